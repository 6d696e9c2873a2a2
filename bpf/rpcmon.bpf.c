// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rpcmon kernel side: an XDP program (ingress) and a socket filter on an AF_PACKET socket
 * (egress) run the shared classifier (include/rpcmon/classify.h) and send each classified
 * packet's headers plus a bounded payload prefix to user space through one ring buffer.
 * Monitor only: XDP always returns XDP_PASS; the socket filter returns 0, which only means
 * "queue nothing to this socket" - the packet itself goes on untouched.
 */
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>

#include "rpcmon/wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load (frozen .rodata: the verifier treats them as constants). */
const volatile __u32 cfg_snaplen = RPCMON_DEFAULT_SNAPLEN;
/* 1 when no XDP program is attached: the socket filter then reports both directions. */
const volatile __u8 cfg_socket_all_directions = 0;
/* 1 only under BPF_PROG_TEST_RUN, whose socket-filter skbs start at the network header, so
 * skb->len lacks the L2 header that a real AF_PACKET skb includes. */
const volatile __u8 cfg_skb_len_excludes_l2 = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RPCMON_RINGBUF_DEFAULT_BYTES);
} events SEC(".maps");

struct rpcmon_counters {
	__u64 c[RPCMON_CNT_MAX];
};

/* Slot 0: XDP, slot 1: socket filter. Per-CPU, so increments need no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct rpcmon_counters);
} counters SEC(".maps");

/* Server endpoints learned at run time; LRU so a flood of fake endpoints cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RPCMON_WATCHED_MAX_ENTRIES);
	__type(key, struct rpcmon_endpoint_key);
	__type(value, struct rpcmon_endpoint_value);
} watched SEC(".maps");

/* One bit per port present in `watched` (see wire.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RPCMON_PORT_BITMAP_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} watched_ports SEC(".maps");

/* The record is assembled here and copied to the ring with its exact size. */
struct rpcmon_scratch {
	__u8 buf[sizeof(struct rpcmon_packet_record) + RPCMON_MAX_SNAPLEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rpcmon_scratch);
} scratch SEC(".maps");

/* The packet as the classifier sees it: XDP reads the linear data directly; the socket filter
 * (no direct packet access) loads relative to the MAC header, which is where an AF_PACKET
 * socket's skb->data points and also where BPF_PROG_TEST_RUN's does not (it starts at the
 * network header) - relative loads make both the same. `skb` is a compile-time NULL in the
 * XDP path, so each program keeps only its own branch. */
struct rpcmon_pkt {
	void *data;
	void *data_end;
	struct xdp_md *xdp;
	struct __sk_buff *skb;
	struct rpcmon_counters *cnt;
};

static __always_inline int rpcmon_pkt_load(struct rpcmon_pkt *p, __u32 off, void *dst, __u32 len)
{
	if (p->skb)
		return bpf_skb_load_bytes_relative(p->skb, off, dst, len, BPF_HDR_START_MAC) ? -1 : 0;
	if (off > RPCMON_MAX_L4_OFFSET + 64)
		return -1;
	__u8 *s = (__u8 *)p->data + off;
	if ((void *)(s + len) > p->data_end)
		return -1;
	__builtin_memcpy(dst, s, len);
	return 0;
}

static __always_inline int rpcmon_port_maybe_watched(struct rpcmon_pkt *p, __u16 port)
{
	__u32 idx = port >> 6;
	__u64 *w = bpf_map_lookup_elem(&watched_ports, &idx);
	return w && ((*w >> (port & 63)) & 1);
}

static __always_inline int rpcmon_watched_lookup(struct rpcmon_pkt *p,
						 const struct rpcmon_endpoint_key *k, __u8 *app)
{
	struct rpcmon_endpoint_value *v = bpf_map_lookup_elem(&watched, k);
	if (!v)
		return 0;
	*app = v->app;
	return 1;
}

static __always_inline void rpcmon_learn_endpoint(struct rpcmon_pkt *p,
						  const struct rpcmon_endpoint_key *k, __u8 app)
{
	struct rpcmon_endpoint_value v = {
		.app = app,
		.origin = RPCMON_MATCH_SIGNATURE,
		.added_ns = bpf_ktime_get_ns(),
	};
	__u32 idx = k->port >> 6;
	__u64 *w;
	long err = bpf_map_update_elem(&watched, k, &v, BPF_NOEXIST);

	if (err == 0)
		p->cnt->c[RPCMON_CNT_SIGNATURE_LEARNED]++;
	else if (err != -17 /* EEXIST: already watched */)
		p->cnt->c[RPCMON_CNT_WATCHED_FULL]++;
	w = bpf_map_lookup_elem(&watched_ports, &idx);
	if (w)
		__sync_fetch_and_or(w, 1ull << (k->port & 63));
}

#include "rpcmon/classify.h"

static __always_inline void rpcmon_handle(struct rpcmon_pkt *pkt, __u32 len, int len_excludes_l2,
					  __u8 hook, __u32 ifindex, __u32 slot)
{
	struct rpcmon_counters *cnt = bpf_map_lookup_elem(&counters, &slot);
	struct rpcmon_scratch *s;
	struct rpcmon_packet_record *rec;
	__u32 zero = 0, payload_off = 0, caplen;
	int verdict;

	if (!cnt)
		return;
	pkt->cnt = cnt;
	cnt->c[RPCMON_CNT_PACKETS_SEEN]++;
	cnt->c[RPCMON_CNT_BYTES_SEEN] += len;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	rec = (struct rpcmon_packet_record *)s->buf;

	verdict = rpcmon_classify(pkt, len, len_excludes_l2, rec, &payload_off);
	if (verdict != RPCMON_V_CLASSIFIED) {
		if (verdict == RPCMON_V_TRUNCATED)
			cnt->c[RPCMON_CNT_TRUNCATED_HEADERS]++;
		else if (verdict == RPCMON_V_NON_IP)
			cnt->c[RPCMON_CNT_NON_IP]++;
		else if (verdict == RPCMON_V_FRAGMENT)
			cnt->c[RPCMON_CNT_IP_FRAGMENTS]++;
		return;
	}
	cnt->c[RPCMON_CNT_PACKETS_CLASSIFIED]++;
	cnt->c[RPCMON_CNT_BYTES_CLASSIFIED] += len;

	rec->hdr.type = RPCMON_REC_PACKET;
	rec->hdr.flags = 0;
	rec->hdr.timestamp_ns = bpf_ktime_get_ns();
	rec->ifindex = ifindex;
	rec->hook = hook;
	rec->reserved = 0;
	caplen = rec->payload_len;
	if (caplen > cfg_snaplen) {
		caplen = cfg_snaplen;
		rec->hdr.flags = RPCMON_RECF_TRUNCATED;
	}
	if (caplen > RPCMON_MAX_SNAPLEN)
		caplen = RPCMON_MAX_SNAPLEN;
	if (caplen > 0) {
		/* Same value for caplen in [1, MAX]; the mask lets the verifier see the range. */
		__u32 n = ((caplen - 1) & (RPCMON_MAX_SNAPLEN - 1)) + 1;
		long err;

		if (pkt->skb) {
			/* Relative loads cover only the linear part; a GSO packet's payload sits in
			 * page fragments, which bpf_skb_load_bytes reads (AF_PACKET: data = MAC). */
			err = bpf_skb_load_bytes_relative(pkt->skb, payload_off, rec->payload, n,
							  BPF_HDR_START_MAC);
			if (err)
				err = bpf_skb_load_bytes(pkt->skb, payload_off, rec->payload, n);
		} else {
			err = bpf_xdp_load_bytes(pkt->xdp, payload_off, rec->payload, n);
		}
		if (err)
			caplen = 0;
	}
	rec->captured_len = caplen;
	caplen &= (2 * RPCMON_MAX_SNAPLEN - 1); /* no-op for caplen <= MAX; bounds it for the verifier */
	rec->hdr.size = sizeof(*rec) + caplen;
	if (bpf_ringbuf_output(&events, rec, sizeof(*rec) + caplen, 0))
		cnt->c[RPCMON_CNT_RINGBUF_DROPS]++;
}

SEC("xdp")
int rpcmon_xdp(struct xdp_md *ctx)
{
	struct rpcmon_pkt pkt = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.xdp = ctx,
		.skb = 0,
	};

	rpcmon_handle(&pkt, (__u32)(pkt.data_end - pkt.data), 0, RPCMON_HOOK_XDP, ctx->ingress_ifindex, 0);
	return XDP_PASS;
}

SEC("socket")
int rpcmon_socket(struct __sk_buff *skb)
{
	struct rpcmon_pkt pkt = { .skb = skb };

	/* Ingress belongs to XDP: report it here only when XDP is not attached. */
	if (skb->pkt_type != PACKET_OUTGOING && !cfg_socket_all_directions)
		return 0;
	rpcmon_handle(&pkt, skb->len, cfg_skb_len_excludes_l2,
		      skb->pkt_type == PACKET_OUTGOING ? RPCMON_HOOK_SOCKET : RPCMON_HOOK_SOCKET_INGRESS,
		      skb->ifindex, 1);
	return 0;
}
