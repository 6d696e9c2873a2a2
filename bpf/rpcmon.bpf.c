// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rpcmon kernel side: an XDP program (ingress) and a socket filter on an AF_PACKET socket
 * (egress) run the shared classifier (include/rpcmon/classify.h) and send each classified
 * packet's headers plus a bounded payload prefix to user space through one ring buffer.
 * A packet whose needed payload does not fit one record (GSO/GRO super-packets, jumbo frames)
 * becomes several records; IP fragments go whole to user space for reassembly.
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
/* 1 only under BPF_PROG_TEST_RUN, whose socket-filter skbs start at the network header, so
 * skb->len lacks the L2 header that a real AF_PACKET skb includes. */
const volatile __u8 cfg_skb_len_excludes_l2 = 0;
const volatile __u64 cfg_signature_ttl_ns = RPCMON_SIGNATURE_TTL_NS;
/* Kernel-side bulk skipping (flow_track.h); 0 delivers every classified segment. */
const volatile __u8 cfg_bulk_skip = 1;
const volatile __u32 cfg_bulk_threshold = RPCMON_BULK_THRESHOLD;
const volatile __u32 cfg_bulk_prefix = RPCMON_BULK_PREFIX;
const volatile __u32 cfg_bulk_max_message = RPCMON_BULK_MAX_MESSAGE;

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

/* Message framing per TCP flow direction (flow_track.h). LRU: a flood of flows evicts old
 * entries, and an evicted flow only loses its fast path (delivered whole until a message
 * start is seen again). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RPCMON_TRACK_MAX_ENTRIES);
	__type(key, struct rpcmon_track_key);
	__type(value, struct rpcmon_flow_track);
} track SEC(".maps");

/* Socket filter only: the first bytes of the frame, loaded with one helper call so header
 * reads need no further calls. 128 covers Ethernet + VLAN + IPv6 + TCP with options. */
#define RPCMON_SKB_HEAD 128


/* The packet as the classifier sees it: XDP reads the linear data in place; the socket filter
 * (no direct packet access) reads from `head`, a copy of the frame's first bytes made relative
 * to the MAC header - where an AF_PACKET socket's skb->data points and where
 * BPF_PROG_TEST_RUN's does not (it starts at the network header), so relative loads make both
 * the same. `skb` is a compile-time NULL in the XDP path, so each program keeps only its own
 * branch. */
struct rpcmon_pkt {
	void *data;
	void *data_end;
	struct xdp_md *xdp;
	struct __sk_buff *skb;
	__u8 *head;
	__u32 head_len;
	struct rpcmon_counters *cnt;
	struct rpcmon_scratch *s; /* set once the packet is classified (checksum judgement) */
};

static __always_inline const __u8 *rpcmon_pkt_ptr(struct rpcmon_pkt *p, __u32 off, __u32 len, __u8 *tmp)
{
	if (p->skb) {
		if (off <= RPCMON_SKB_HEAD - len && off + len <= p->head_len)
			return p->head + off;
		return bpf_skb_load_bytes_relative(p->skb, off, tmp, len, BPF_HDR_START_MAC) ? 0 : tmp;
	}
	if (off > RPCMON_MAX_L4_OFFSET + 64)
		return 0;
	const __u8 *s = (const __u8 *)p->data + off;
	if ((const void *)(s + len) > p->data_end)
		return 0;
	return s;
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
	__u64 now = bpf_ktime_get_ns();
	struct rpcmon_endpoint_value v = {
		.app = app,
		.origin = RPCMON_MATCH_SIGNATURE,
		.added_ns = now,
		.expires_ns = now + cfg_signature_ttl_ns,
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

/* The frame's length including what lies beyond `linear` (XDP multi-buffer fragments); the
 * socket filter's skb->len already counts everything. */
static __always_inline __u32 rpcmon_pkt_total_len(struct rpcmon_pkt *p, __u32 linear)
{
	if (p->skb)
		return linear;
	return (__u32)bpf_xdp_get_buff_len(p->xdp);
}

/* len bytes (a constant) at frame offset off, wherever they are: XDP frags, skb page frags. */
static __always_inline int rpcmon_pkt_load(struct rpcmon_pkt *p, __u32 off, void *dst, __u32 len)
{
	if (p->skb) {
		if (!bpf_skb_load_bytes_relative(p->skb, off, dst, len, BPF_HDR_START_MAC))
			return 0;
		return bpf_skb_load_bytes(p->skb, off, dst, len) ? -1 : 0;
	}
	return bpf_xdp_load_bytes(p->xdp, off, dst, len) ? -1 : 0;
}

#include "rpcmon/classify.h"

static __always_inline int rpcmon_pkt_csum_unsure(struct rpcmon_pkt *pkt);

/* The message walk runs under bpf_loop; each program gets its own callback so the packet
 * handle's kind stays a compile-time constant (an XDP helper must not appear in the socket
 * filter's code, nor the reverse). */
struct rpcmon_track_walk;
static __always_inline long rpcmon_track_step(struct rpcmon_pkt *pkt, struct rpcmon_track_walk *w);
static long rpcmon_walk_xdp(__u32 i, void *ctx);
static long rpcmon_walk_skb(__u32 i, void *ctx);
#define rpcmon_pkt_prog_ctx(pkt) ((pkt)->skb ? (void *)(pkt)->skb : (void *)(pkt)->xdp)
#define RPCMON_TRACK_WALK(pkt, w)                                                  \
	do {                                                                       \
		if ((pkt)->skb)                                                    \
			bpf_loop(RPCMON_TRACK_MAX_MSGS, rpcmon_walk_skb, (w), 0);  \
		else                                                               \
			bpf_loop(RPCMON_TRACK_MAX_MSGS, rpcmon_walk_xdp, (w), 0);  \
	} while (0)
#include "rpcmon/flow_track.h"

static long rpcmon_walk_xdp(__u32 i, void *ctx)
{
	struct rpcmon_track_walk *w = ctx;
	struct rpcmon_pkt p = { .xdp = w->prog_ctx, .skb = 0 };

	return rpcmon_track_step(&p, w);
}

static long rpcmon_walk_skb(__u32 i, void *ctx)
{
	struct rpcmon_track_walk *w = ctx;
	struct rpcmon_pkt p = { .skb = w->prog_ctx };

	if (!p.skb)
		return 1;
	return rpcmon_track_step(&p, w);
}

struct rpcmon_scratch;

/* bpf_csum_diff sums at most 512 bytes per call. */
#define RPCMON_CSUM_CHUNK 512

/* A packet delivered as several records (super-packet, jumbo frame, several needed ranges):
 * numbers of the bpf_loop that emits one record per step. They live in scratch (map memory,
 * where the verifier tracks no exact values, so the loop is verified once instead of once per
 * possible byte count); pointers stay in the stack context (map memory would lose their type). */
struct rpcmon_emit {
	__u32 payload_off; /* frame offset of record-relative payload offset 0 */
	__u32 records;     /* records submitted */
	__u32 delivered;   /* record-relative end of the last record submitted */
	__u8 failed;       /* the ring was full */
	__u8 cut;          /* the snap length cut needed bytes */
	__u8 pad[2];
	struct rpcmon_split sp;
};

struct rpcmon_scratch {
	__u8 head[RPCMON_SKB_HEAD];
	/* Flow tracking's working set: the program stack (512 bytes) has no room left for it. */
	struct rpcmon_track_key track_key;
	struct rpcmon_flow_track fresh;
	struct rpcmon_track_io io;
	struct rpcmon_emit emit;
	/* Fragment budget lookup key: the source address. */
	__u8 frag_src[16];
	/* Checksum judgement of the classified packet (rpcmon_csum_judge): computed at most once,
	 * when the tracker would read the payload or when the packet is delivered. */
	__u32 csum_l4_off;
	__u32 csum_l4_len;
	__u8 csum_done;    /* verdict known (egress: nothing to judge) */
	__u8 csum_verdict; /* enum rpcmon_csum */
	__u8 csum_pad[2];
	/* One chunk of L4 bytes for bpf_csum_diff, plus room for the zero padding to a multiple of
	 * four after a short chunk. */
	__u8 csum_buf[RPCMON_CSUM_CHUNK + 8];
	/* Built here, copied into the ring reservation (last: its payload[] has no size). */
	struct rpcmon_packet_record rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* slot 0: XDP, slot 1: socket filter */
	__type(key, __u32);
	__type(value, struct rpcmon_scratch);
} scratch SEC(".maps");

/*
 * The TCP/UDP checksum of a classified ingress packet, as the receiving host will judge it (XDP
 * has no ip_summed to tell whether a NIC checked it): the pseudo-header, then the L4 bytes in
 * chunks of RPCMON_CSUM_CHUNK through scratch (bpf_xdp_load_bytes / bpf_skb_load_bytes follow
 * multi-buffer frames and page fragments), summed by bpf_csum_diff under bpf_loop.
 */
struct rpcmon_csum_ctx {
	void *prog_ctx;
	struct rpcmon_scratch *s;
	__u32 off;  /* frame offset reached */
	__u32 left; /* bytes still to sum */
	__u32 sum;  /* running one's-complement sum (not folded) */
	__u8 failed;
};

/* sum + the one's-complement sum of n4 bytes of buf (n4 a multiple of four, at most
 * RPCMON_CSUM_CHUNK), not folded. XDP has bpf_csum_diff; socket filters may not call it, so they
 * add the words themselves, in 64-byte blocks (the caller zeroed the last block beyond n4): one
 * exit test per block keeps both the run time and the verifier's walk short. -1 on error. */
static __always_inline __s64 rpcmon_csum_add(struct rpcmon_pkt *pkt, __u8 *buf, __u32 n4, __u32 sum)
{
	__u64 acc = sum, x;
	__u32 b, k, blocks;

	if (!pkt->skb)
		return bpf_csum_diff(0, 0, (__be32 *)buf, n4, sum);
	blocks = (n4 + 63) / 64;
	for (b = 0; b < RPCMON_CSUM_CHUNK / 64; b++) {
		if (b >= blocks)
			break;
		for (k = 0; k < 8; k++) {
			__builtin_memcpy(&x, buf + b * 64 + k * 8, 8);
			acc += (x & 0xffffffffull) + (x >> 32);
		}
	}
	acc = (acc & 0xffffffffull) + (acc >> 32);
	acc = (acc & 0xffffffffull) + (acc >> 32);
	return (__s64)acc;
}

static __always_inline long rpcmon_csum_step(struct rpcmon_pkt *pkt, struct rpcmon_csum_ctx *c)
{
	struct rpcmon_scratch *s = c->s;
	__u32 n = c->left, n4;
	__s64 r;

	if (!s || n == 0)
		return 1;
	if (n > RPCMON_CSUM_CHUNK)
		n = RPCMON_CSUM_CHUNK;
	n = ((n - 1) & (RPCMON_CSUM_CHUNK - 1)) + 1;
	if (pkt->skb) {
		/* Zeros after the chunk's end in its last 64-byte block (rpcmon_csum_add sums blocks). */
		__u32 z = (n - 1) & (RPCMON_CSUM_CHUNK - 64);
		__builtin_memset(s->csum_buf + z, 0, 64);
	}
	if (rpcmon_pkt_load(pkt, c->off, s->csum_buf, n)) {
		c->failed = 1;
		return 1;
	}
	/* An odd tail is summed as if padded with zeros (RFC 1071), which is what these are. */
	s->csum_buf[n] = 0;
	s->csum_buf[n + 1] = 0;
	s->csum_buf[n + 2] = 0;
	n4 = (n + 3) & ~3u;
	r = rpcmon_csum_add(pkt, s->csum_buf, n4, c->sum);
	if (r < 0) {
		c->failed = 1;
		return 1;
	}
	c->sum = (__u32)r;
	c->off += n;
	c->left -= n;
	return c->left == 0;
}

static long rpcmon_csum_xdp(__u32 i, void *ctx)
{
	struct rpcmon_csum_ctx *c = ctx;
	struct rpcmon_pkt p = { .xdp = c->prog_ctx, .skb = 0 };

	return rpcmon_csum_step(&p, c);
}

static long rpcmon_csum_skb(__u32 i, void *ctx)
{
	struct rpcmon_csum_ctx *c = ctx;
	struct rpcmon_pkt p = { .skb = c->prog_ctx };

	if (!p.skb)
		return 1;
	return rpcmon_csum_step(&p, c);
}

static __always_inline __u16 rpcmon_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The verdict (enum rpcmon_csum) of the packet classified into s->rec; counted. Sums are in
 * the CPU's byte order throughout (one's-complement sums do not depend on it), so the field
 * read raw compares directly with the folded pseudo-header sum. */
static __always_inline __u8 rpcmon_csum_judge(struct rpcmon_pkt *pkt, struct rpcmon_scratch *s)
{
	struct rpcmon_packet_record *rec = &s->rec;
	struct rpcmon_csum_ctx c = { rpcmon_pkt_prog_ctx(pkt), s, s->csum_l4_off, s->csum_l4_len, 0, 0 };
	__u32 l4_len = s->csum_l4_len;
	__u8 *b = s->csum_buf, tmp[2];
	__u16 field, pseudo;
	__s64 r;
	int i;

	if (l4_len > RPCMON_CSUM_MAX_LEN) {
		pkt->cnt->c[RPCMON_CNT_CSUM_NOT_CHECKED]++;
		return RPCMON_CSUM_NOT_CHECKED;
	}
	if (rpcmon_pkt_load(pkt, s->csum_l4_off + (rec->flow.l4proto == RPCMON_IPPROTO_TCP ? 16 : 6), tmp, 2))
		return RPCMON_CSUM_NOT_CHECKED;
	__builtin_memcpy(&field, tmp, 2);
	if (pkt->skb)
		__builtin_memset(b, 0, 64); /* the pseudo-header's block, summed whole by rpcmon_csum_add */
	/* Pseudo-header (RFC 793 / RFC 8200 8.1) in network order. */
	if (rec->flow.family == 4) {
		if (rec->flow.l4proto == RPCMON_IPPROTO_UDP && field == 0) {
			pkt->cnt->c[RPCMON_CNT_CSUM_GOOD]++; /* IPv4 UDP without a checksum: accepted */
			return RPCMON_CSUM_GOOD;
		}
		for (i = 0; i < 4; i++) {
			b[i] = rec->flow.saddr[12 + i];
			b[4 + i] = rec->flow.daddr[12 + i];
		}
		b[8] = 0;
		b[9] = rec->flow.l4proto;
		b[10] = (__u8)(l4_len >> 8);
		b[11] = (__u8)l4_len;
		r = rpcmon_csum_add(pkt, b, 12, 0);
	} else {
		for (i = 0; i < 16; i++) {
			b[i] = rec->flow.saddr[i];
			b[16 + i] = rec->flow.daddr[i];
		}
		b[32] = 0;
		b[33] = 0;
		b[34] = (__u8)(l4_len >> 8);
		b[35] = (__u8)l4_len;
		b[36] = 0;
		b[37] = 0;
		b[38] = 0;
		b[39] = rec->flow.l4proto;
		r = rpcmon_csum_add(pkt, b, 40, 0);
	}
	if (r < 0)
		return RPCMON_CSUM_NOT_CHECKED;
	pseudo = rpcmon_csum_fold((__u32)r);
	c.sum = (__u32)r;
	if (!pkt->skb && c.left <= RPCMON_CSUM_CHUNK)
		rpcmon_csum_step(pkt, &c); /* one chunk (most RPC packets): no loop to set up */
	else if (pkt->skb) /* (inline, its stack would not fit the socket filter's) */
		bpf_loop(RPCMON_CSUM_MAX_LEN / RPCMON_CSUM_CHUNK, rpcmon_csum_skb, &c, 0);
	else
		bpf_loop(RPCMON_CSUM_MAX_LEN / RPCMON_CSUM_CHUNK, rpcmon_csum_xdp, &c, 0);
	if (c.failed || c.left) {
		pkt->cnt->c[RPCMON_CNT_CSUM_NOT_CHECKED]++;
		return RPCMON_CSUM_NOT_CHECKED;
	}
	if (rpcmon_csum_fold(c.sum) == 0xffff) {
		pkt->cnt->c[RPCMON_CNT_CSUM_GOOD]++;
		return RPCMON_CSUM_GOOD;
	}
	/* Linux CHECKSUM_PARTIAL leaves ~csum_tcpudp_magic(..., 0) = the folded pseudo sum. */
	if (field == pseudo) {
		pkt->cnt->c[RPCMON_CNT_CSUM_PARTIAL]++;
		return RPCMON_CSUM_PARTIAL;
	}
	pkt->cnt->c[RPCMON_CNT_CSUM_BAD]++;
	return RPCMON_CSUM_BAD;
}

static __always_inline __u8 rpcmon_pkt_csum(struct rpcmon_pkt *pkt)
{
	struct rpcmon_scratch *s = pkt->s;

	if (!s)
		return RPCMON_CSUM_NOT_CHECKED;
	if (!s->csum_done) {
		s->csum_verdict = rpcmon_csum_judge(pkt, s);
		s->csum_done = 1;
	}
	return s->csum_verdict;
}

static __always_inline int rpcmon_pkt_csum_unsure(struct rpcmon_pkt *pkt)
{
	__u8 v = rpcmon_pkt_csum(pkt);

	return v == RPCMON_CSUM_BAD || v == RPCMON_CSUM_PARTIAL;
}

/* Fragment bytes delivered per source address in the current second (see wire.h). */
struct rpcmon_frag_budget {
	__u64 window_start_ns;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RPCMON_FRAGMENT_BUDGET_ENTRIES);
	__type(key, __u8[16]);
	__type(value, struct rpcmon_frag_budget);
} frag_budget SEC(".maps");

/*
 * An IP fragment: no stream can use it before the datagram is whole, so the frame goes to user
 * space (which reassembles as the host does and classifies the datagram). Fragments are rare
 * in normal traffic, and an attacker's favourite: all are delivered, within a per-source
 * budget so a flood from one source cannot starve the ring for everyone else.
 */
static __always_inline void rpcmon_fragment(struct rpcmon_pkt *pkt, struct rpcmon_scratch *s,
					    struct rpcmon_counters *cnt, __u32 len, int len_excludes_l2,
					    __u8 hook, __u32 ifindex)
{
	struct rpcmon_frame_record *r;
	struct rpcmon_frag_budget *b, fresh = {};
	__u8 tmp[4];
	const __u8 *h;
	__u32 l3 = 14, n;
	__u16 proto;
	__u64 now;
	long err;

	cnt->c[RPCMON_CNT_IP_FRAGMENTS]++;
	len = rpcmon_pkt_total_len(pkt, len);
	h = rpcmon_pkt_ptr(pkt, 12, 2, tmp);
	if (!h)
		return;
	proto = rpcmon_be16(h);
	if (proto == RPCMON_ETH_P_8021Q || proto == RPCMON_ETH_P_8021AD) {
		h = rpcmon_pkt_ptr(pkt, 16, 2, tmp);
		if (!h)
			return;
		proto = rpcmon_be16(h);
		l3 = 18;
	}
	if (len_excludes_l2)
		len += l3;
	if (rpcmon_copy_addr(pkt, proto == RPCMON_ETH_P_IPV6 ? 6 : 4, l3, 0, s->frag_src))
		return;
	now = bpf_ktime_get_ns();
	b = bpf_map_lookup_elem(&frag_budget, s->frag_src);
	if (!b) {
		fresh.window_start_ns = now;
		bpf_map_update_elem(&frag_budget, s->frag_src, &fresh, BPF_ANY);
		b = bpf_map_lookup_elem(&frag_budget, s->frag_src);
		if (!b)
			return;
	}
	if (now - b->window_start_ns > 1000000000ull) {
		b->window_start_ns = now;
		b->bytes = 0;
	}
	if (b->bytes + len > RPCMON_FRAGMENT_BUDGET_BYTES) {
		cnt->c[RPCMON_CNT_FRAGMENT_BUDGET_DROPS]++;
		return;
	}
	b->bytes += len;

	n = len < RPCMON_MAX_FRAGMENT_CAPTURE ? len : RPCMON_MAX_FRAGMENT_CAPTURE;
	if (n == 0)
		return;
	if (n <= 2048) {
		n = ((n - 1) & 2047) + 1;
		r = bpf_ringbuf_reserve(&events, sizeof(*r) + 2048, 0);
	} else {
		n = ((n - 1) & (RPCMON_MAX_FRAGMENT_CAPTURE - 1)) + 1;
		r = bpf_ringbuf_reserve(&events, sizeof(*r) + RPCMON_MAX_FRAGMENT_CAPTURE, 0);
	}
	if (!r) {
		cnt->c[RPCMON_CNT_RINGBUF_DROPS]++;
		return;
	}
	if (pkt->skb) {
		err = bpf_skb_load_bytes_relative(pkt->skb, 0, r->frame, n, BPF_HDR_START_MAC);
		if (err)
			err = bpf_skb_load_bytes(pkt->skb, 0, r->frame, n);
	} else {
		err = bpf_xdp_load_bytes(pkt->xdp, 0, r->frame, n);
	}
	if (err) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	r->hdr.type = RPCMON_REC_IP_FRAGMENT;
	r->hdr.flags = n < len ? RPCMON_RECF_TRUNCATED : 0;
	r->hdr.size = sizeof(*r) + n;
	r->hdr.timestamp_ns = now;
	r->ifindex = ifindex;
	r->hook = hook;
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	r->frame_len = len;
	r->captured_len = n;
	bpf_ringbuf_submit(r, 0);
	cnt->c[RPCMON_CNT_FRAGMENTS_DELIVERED]++;
	cnt->c[RPCMON_CNT_BYTES_DELIVERED] += sizeof(*r) + n;
}

/* Copies n payload bytes (n in [1, size], size a power of two known at the call site) into the
 * reserved record; returns the bytes copied (0 if the packet could not be read). */
#define RPCMON_COPY_PAYLOAD(pkt, r, off, caplen, size)                                          \
	({                                                                                        \
		__u32 __n = (((caplen) - 1) & ((size) - 1)) + 1;                                  \
		long __err;                                                                       \
		if ((pkt)->skb) {                                                                 \
			/* Relative loads cover only the linear part; a GSO packet's payload sits  \
			 * in page fragments, which bpf_skb_load_bytes reads (AF_PACKET: data =   \
			 * MAC). */                                                               \
			__err = bpf_skb_load_bytes_relative((pkt)->skb, off, (r)->payload, __n,    \
							    BPF_HDR_START_MAC);                     \
			if (__err)                                                                \
				__err = bpf_skb_load_bytes((pkt)->skb, off, (r)->payload, __n);   \
		} else {                                                                          \
			__err = bpf_xdp_load_bytes((pkt)->xdp, off, (r)->payload, __n);           \
		}                                                                                 \
		__err ? 0 : __n;                                                                  \
	})

/* Reserves a record for caplen payload bytes in place (no second copy), in one of three size
 * classes (payload <= 256, <= 2048, <= 4096): the verifier needs a constant size, and one class
 * for all would waste ring space on small packets. Copies the payload; *r is NULL when the
 * ring is full. The record's own hdr.size says how much of the reservation is used. */
#define RPCMON_RESERVE_COPY(pkt, r, off, caplen)                                                  \
	do {                                                                                      \
		if ((caplen) <= 256) {                                                            \
			r = bpf_ringbuf_reserve(&events, sizeof(*r) + 256, 0);                    \
			if (r)                                                                    \
				caplen = caplen ? RPCMON_COPY_PAYLOAD(pkt, r, off, caplen, 256) : 0; \
		} else if ((caplen) <= 2048) {                                                    \
			r = bpf_ringbuf_reserve(&events, sizeof(*r) + 2048, 0);                   \
			if (r)                                                                    \
				caplen = RPCMON_COPY_PAYLOAD(pkt, r, off, caplen, 2048);          \
		} else {                                                                          \
			r = bpf_ringbuf_reserve(&events, sizeof(*r) + RPCMON_RECORD_MAX_PAYLOAD, 0); \
			if (r)                                                                    \
				caplen = RPCMON_COPY_PAYLOAD(pkt, r, off, caplen,                 \
							     RPCMON_RECORD_MAX_PAYLOAD);          \
		}                                                                                 \
	} while (0)

/* bpf_loop's context (on the stack, as bpf_loop requires). */
struct rpcmon_emit_ctx {
	void *prog_ctx;
	struct rpcmon_scratch *s; /* s->rec is the template, s->io the ranges, s->emit the state */
	struct rpcmon_counters *cnt;
};

static __always_inline long rpcmon_emit_step(struct rpcmon_pkt *pkt, struct rpcmon_emit_ctx *c)
{
	struct rpcmon_scratch *s = c->s;
	struct rpcmon_packet_record *tmpl, *r;
	struct rpcmon_emit *e;
	struct rpcmon_piece pc;
	__u32 caplen;

	if (!s || !c->cnt)
		return 1;
	tmpl = &s->rec;
	e = &s->emit;
	if (!rpcmon_split_next(&s->io, &e->sp, &pc))
		return 1;
	caplen = pc.len;
	RPCMON_RESERVE_COPY(pkt, r, e->payload_off + pc.off, caplen);
	if (!r) {
		e->failed = 1;
		c->cnt->c[RPCMON_CNT_RINGBUF_DROPS]++;
		return 1;
	}
	__builtin_memcpy(r, tmpl, sizeof(*tmpl));
	rpcmon_piece_record(r, &pc, caplen, e->records == 0);
	if (pc.cut || caplen < pc.len) {
		e->cut = 1;
		c->cnt->c[RPCMON_CNT_CUT_BYTES] += pc.wire_len - caplen;
	}
	bpf_ringbuf_submit(r, 0);
	c->cnt->c[RPCMON_CNT_BYTES_DELIVERED] += sizeof(*r) + caplen;
	e->records++;
	e->delivered = pc.off + pc.wire_len;
	return pc.last;
}

static long rpcmon_emit_xdp(__u32 i, void *ctx)
{
	struct rpcmon_emit_ctx *c = ctx;
	struct rpcmon_pkt p = { .xdp = c->prog_ctx, .skb = 0 };

	return rpcmon_emit_step(&p, c);
}

static long rpcmon_emit_skb(__u32 i, void *ctx)
{
	struct rpcmon_emit_ctx *c = ctx;
	struct rpcmon_pkt p = { .skb = c->prog_ctx };

	if (!p.skb)
		return 1;
	return rpcmon_emit_step(&p, c);
}

/* A segment user space will hold (bad or partial checksum): the other direction's bare ACKs,
 * which its tracker would suppress, decide it, so they are delivered until one covers it. */
static __always_inline void rpcmon_want_ack(struct rpcmon_scratch *s, const struct rpcmon_packet_record *rec,
					    __u32 ifindex)
{
	struct rpcmon_flow_track *peer;
	__u32 end = rec->tcp_seq + rec->payload_len + ((rec->tcp_flags & (RPCMON_TCP_FIN | RPCMON_TCP_RST)) ? 1 : 0);

	__builtin_memcpy(s->track_key.flow.saddr, rec->flow.daddr, 16);
	__builtin_memcpy(s->track_key.flow.daddr, rec->flow.saddr, 16);
	s->track_key.flow.sport = rec->flow.dport;
	s->track_key.flow.dport = rec->flow.sport;
	s->track_key.flow.family = rec->flow.family;
	s->track_key.flow.l4proto = rec->flow.l4proto;
	s->track_key.flow.vlan_id = rec->flow.vlan_id;
	s->track_key.ifindex = ifindex;
	peer = bpf_map_lookup_elem(&track, &s->track_key);
	if (!peer)
		return; /* not tracked: its bare ACKs are delivered anyway */
	if (!peer->ack_wanted || rpcmon_seq_before(peer->ack_wanted_end, end))
		peer->ack_wanted_end = end;
	peer->ack_wanted = 1;
}

/* This direction acknowledged ack (rec->tcp_ack) while the peer has segments user space holds:
 * it confirms the peer's tentative framing up to there, and once it covers them all, bare ACKs
 * may be suppressed again. */
static __always_inline void rpcmon_ack_seen(struct rpcmon_scratch *s, struct rpcmon_flow_track *t,
					    const struct rpcmon_packet_record *rec, __u32 ifindex)
{
	struct rpcmon_flow_track *peer;
	__u32 ack = rec->tcp_ack;

	__builtin_memcpy(s->track_key.flow.saddr, rec->flow.daddr, 16);
	__builtin_memcpy(s->track_key.flow.daddr, rec->flow.saddr, 16);
	s->track_key.flow.sport = rec->flow.dport;
	s->track_key.flow.dport = rec->flow.sport;
	s->track_key.flow.family = rec->flow.family;
	s->track_key.flow.l4proto = rec->flow.l4proto;
	s->track_key.flow.vlan_id = rec->flow.vlan_id;
	s->track_key.ifindex = ifindex;
	peer = bpf_map_lookup_elem(&track, &s->track_key);
	if (peer && peer->tentative && !rpcmon_seq_before(ack, peer->tent_end))
		peer->tentative = 0;
	if (!rpcmon_seq_before(ack, t->ack_wanted_end))
		t->ack_wanted = 0;
}

static __always_inline void rpcmon_handle(struct rpcmon_pkt *pkt, __u32 len, int len_excludes_l2,
					  __u8 hook, __u32 ifindex, __u32 slot)
{
	struct rpcmon_counters *cnt = bpf_map_lookup_elem(&counters, &slot);
	struct rpcmon_packet_record *rec, *r;
	struct rpcmon_scratch *s;
	struct rpcmon_flow_track *t = 0;
	struct rpcmon_track_io *io;
	__u32 payload_off = 0, l4_off = 0, caplen, budget;
	int verdict, tracked = 0;

	if (!cnt)
		return;
	pkt->cnt = cnt;
	cnt->c[RPCMON_CNT_PACKETS_SEEN]++;
	cnt->c[RPCMON_CNT_BYTES_SEEN] += len;
	/* One scratch slot per hook: the socket filter never runs nested in XDP on a CPU, but
	 * separate slots make that irrelevant. */
	s = bpf_map_lookup_elem(&scratch, &slot);
	if (!s)
		return;
	rec = &s->rec;
	io = &s->io;
	if (pkt->skb) {
		/* Same value for n in [1, HEAD]; the mask lets the verifier see the range. */
		__u32 n = len < RPCMON_SKB_HEAD ? len : RPCMON_SKB_HEAD;

		n = ((n - 1) & (RPCMON_SKB_HEAD - 1)) + 1;
		pkt->head = s->head;
		pkt->head_len = bpf_skb_load_bytes_relative(pkt->skb, 0, s->head, n, BPF_HDR_START_MAC) ? 0 : n;
	}

	verdict = rpcmon_classify(pkt, len, len_excludes_l2, rec, &payload_off, &l4_off);
	if (verdict != RPCMON_V_CLASSIFIED) {
		if (verdict == RPCMON_V_TRUNCATED)
			cnt->c[RPCMON_CNT_TRUNCATED_HEADERS]++;
		else if (verdict == RPCMON_V_NON_IP)
			cnt->c[RPCMON_CNT_NON_IP]++;
		else if (verdict == RPCMON_V_FRAGMENT)
			rpcmon_fragment(pkt, s, cnt, len, len_excludes_l2, hook, ifindex);
		return;
	}
	cnt->c[RPCMON_CNT_PACKETS_CLASSIFIED]++;
	cnt->c[RPCMON_CNT_BYTES_CLASSIFIED] += rpcmon_pkt_total_len(pkt, len);

	/* Checksums are judged on ingress only: egress packets are this host's own. */
	pkt->s = s;
	s->csum_done = hook != RPCMON_HOOK_XDP && hook != RPCMON_HOOK_SOCKET_INGRESS;
	s->csum_verdict = RPCMON_CSUM_NOT_CHECKED;
	s->csum_l4_off = l4_off;
	s->csum_l4_len = payload_off - l4_off + rec->payload_len;
	rec->hdr.flags = 0;
	rec->skipped_before = 0;
	rpcmon_ranges_whole(io, rec->payload_len);
	if (cfg_bulk_skip && rec->flow.l4proto == RPCMON_IPPROTO_TCP && rpcmon_track_app(rec->app)) {
		rpcmon_track_io_init(io, rec, payload_off, cfg_bulk_threshold, cfg_bulk_prefix, cfg_bulk_max_message);
		__builtin_memcpy(&s->track_key.flow, &rec->flow, sizeof(rec->flow));
		s->track_key.ifindex = ifindex;
		t = bpf_map_lookup_elem(&track, &s->track_key);
		if (!t && ((rec->tcp_flags & RPCMON_TCP_SYN) ||
			   rpcmon_track_looks_like_start(pkt, rec->app, payload_off, rec->payload_len))) {
			__builtin_memset(&s->fresh, 0, sizeof(s->fresh));
			if (!bpf_map_update_elem(&track, &s->track_key, &s->fresh, BPF_ANY))
				t = bpf_map_lookup_elem(&track, &s->track_key);
		}
		if (t) {
			int deliver = rpcmon_track_apply(t, io, rpcmon_track_segment(pkt, t, io), rec, &payload_off, cnt->c);

			if (t->ack_wanted && (rec->tcp_flags & 0x10))
				rpcmon_ack_seen(s, t, rec, ifindex);
			if (!deliver)
				return;
			tracked = deliver == 2;
		}
	}

	{
		__u8 csum = rpcmon_pkt_csum(pkt);

		rec->hdr.flags |= (__u16)(csum << RPCMON_RECF_CSUM_SHIFT);
		if ((csum == RPCMON_CSUM_BAD || csum == RPCMON_CSUM_PARTIAL) && cfg_bulk_skip &&
		    rec->flow.l4proto == RPCMON_IPPROTO_TCP && rpcmon_track_app(rec->app))
			rpcmon_want_ack(s, rec, ifindex);
	}
	rec->hdr.type = RPCMON_REC_PACKET;
	rec->hdr.timestamp_ns = bpf_ktime_get_ns();
	rec->ifindex = ifindex;
	rec->hook = hook;
	rec->pad[0] = rec->pad[1] = rec->pad[2] = 0;
	/* Framed flows deliver every needed byte; the snap length caps the rest. */
	budget = (rec->hdr.flags & RPCMON_RECF_TRACKED) ? RPCMON_MAX_SNAPLEN : cfg_snaplen;

	if (io->nr == 1 && io->r_hi[0] <= RPCMON_RECORD_MAX_PAYLOAD && io->r_hi[0] <= budget) {
		/* Fast path: one record (every MTU-sized packet). */
		caplen = io->r_hi[0];
		rec->payload_len = caplen;
		RPCMON_RESERVE_COPY(pkt, r, payload_off, caplen);
		if (!r)
			goto drop;
		if (caplen < io->r_hi[0]) {
			rec->hdr.flags |= RPCMON_RECF_TRUNCATED;
			cnt->c[RPCMON_CNT_CUT_PACKETS]++;
			cnt->c[RPCMON_CNT_CUT_BYTES] += io->r_hi[0] - caplen;
		}
		rec->captured_len = caplen;
		rec->hdr.size = sizeof(*rec) + caplen;
		__builtin_memcpy(r, rec, sizeof(*rec));
		bpf_ringbuf_submit(r, 0);
		cnt->c[RPCMON_CNT_BYTES_DELIVERED] += rec->hdr.size;
		if (tracked) {
			t->delivered_end = rec->tcp_seq + rec->payload_len;
			t->loss = 0;
		}
		return;
	}

	/* Several records. */
	{
		struct rpcmon_emit *e = &s->emit;
		struct rpcmon_emit_ctx c = { rpcmon_pkt_prog_ctx(pkt), s, cnt };

		e->payload_off = payload_off;
		e->records = 0;
		e->delivered = 0;
		e->failed = 0;
		e->cut = 0;
		rpcmon_split_init(&e->sp, budget);
		if (pkt->skb)
			bpf_loop(RPCMON_MAX_RECORDS_PER_PACKET, rpcmon_emit_skb, &c, 0);
		else
			bpf_loop(RPCMON_MAX_RECORDS_PER_PACKET, rpcmon_emit_xdp, &c, 0);
		if (e->records > 1) {
			cnt->c[RPCMON_CNT_SUPER_PACKETS]++;
			cnt->c[RPCMON_CNT_EXTRA_RECORDS] += e->records - 1;
		}
		if (e->cut)
			cnt->c[RPCMON_CNT_CUT_PACKETS]++;
		if (tracked) {
			/* Up to what was submitted; a full ring makes the next record report the rest
			 * as lost. */
			t->delivered_end = rec->tcp_seq + e->delivered;
			t->loss = e->failed || e->sp.ri < io->nr;
		}
	}
	return;
drop:
	cnt->c[RPCMON_CNT_RINGBUF_DROPS]++;
	/* The next record of a tracked flow reports the lost bytes as a gap right away. */
	if (tracked)
		t->loss = 1;
}

/* xdp.frags: multi-buffer frames (jumbo MTU, LRO / hardware GRO) are accepted; headers are read
 * from the linear part, payload through bpf_xdp_load_bytes, which follows the fragments. */
SEC("xdp.frags")
int rpcmon_xdp(struct xdp_md *ctx)
{
	struct rpcmon_pkt pkt = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.xdp = ctx,
		.skb = 0,
	};

	/* The linear length: the full one (multi-buffer) is asked for only by packets that need it. */
	rpcmon_handle(&pkt, (__u32)(pkt.data_end - pkt.data), 0, RPCMON_HOOK_XDP, ctx->ingress_ifindex, 0);
	return XDP_PASS;
}

/* Egress only: ingress is XDP's. */
SEC("socket")
int rpcmon_socket(struct __sk_buff *skb)
{
	struct rpcmon_pkt pkt = { .skb = skb };

	if (skb->pkt_type != PACKET_OUTGOING)
		return 0;
	rpcmon_handle(&pkt, skb->len, cfg_skb_len_excludes_l2, RPCMON_HOOK_SOCKET, skb->ifindex, 1);
	return 0;
}

/* Both directions: on an interface where no XDP program could be attached (--xdp-mode off, or
 * auto when neither native nor generic XDP attaches). Chosen per interface at attach time. */
SEC("socket")
int rpcmon_socket_all(struct __sk_buff *skb)
{
	struct rpcmon_pkt pkt = { .skb = skb };

	rpcmon_handle(&pkt, skb->len, cfg_skb_len_excludes_l2,
		      skb->pkt_type == PACKET_OUTGOING ? RPCMON_HOOK_SOCKET : RPCMON_HOOK_SOCKET_INGRESS,
		      skb->ifindex, 1);
	return 0;
}
