/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * classify.h - the packet classifier shared by the XDP program, the socket-filter program and
 * user space (offline pcap mode, unit tests). It is plain C with no BPF helper calls of its own:
 * the includer provides, before including this file,
 *
 *   struct rpcmon_pkt;                       the packet being classified (opaque here)
 *   const __u8 *rpcmon_pkt_ptr(struct rpcmon_pkt *p, __u32 off, __u32 len, __u8 *tmp);
 *                                            len (a constant) bytes at off: a pointer into the
 *                                            packet where it can be read directly (XDP, user
 *                                            space), else copied into tmp; NULL if out of bounds
 *   int  rpcmon_port_maybe_watched(struct rpcmon_pkt *p, __u16 port);
 *                                            cheap prefilter: may (port) be in the watched map?
 *   int  rpcmon_watched_lookup(struct rpcmon_pkt *p, const struct rpcmon_endpoint_key *k,
 *                              __u8 *app);   1 and *app if the endpoint is watched
 *   void rpcmon_learn_endpoint(struct rpcmon_pkt *p, const struct rpcmon_endpoint_key *k,
 *                              __u8 app);    remember a server found by payload signature
 *   __u32 rpcmon_pkt_total_len(struct rpcmon_pkt *p, __u32 len);
 *                                            the frame's full length, when len (what the caller
 *                                            passed: XDP's linear part) may be short of it
 *
 * so the kernel and user space run the very same decisions (Pixie's trick). Every read goes
 * through rpcmon_pkt_ptr (skb_header_pointer's idea), which bounds-checks; offsets are capped
 * with named constants so the verifier can prove them. Only the bytes a decision needs are
 * read: no header is copied in the XDP path.
 */
#ifndef RPCMON_CLASSIFY_H
#define RPCMON_CLASSIFY_H

#include "rpcmon/wire.h"

#ifndef RPCMON_INLINE
#define RPCMON_INLINE static inline __attribute__((always_inline))
#endif

#define RPCMON_ETH_P_IP 0x0800
#define RPCMON_ETH_P_IPV6 0x86DD
#define RPCMON_ETH_P_8021Q 0x8100
#define RPCMON_ETH_P_8021AD 0x88A8
#define RPCMON_IPPROTO_TCP 6
#define RPCMON_IPPROTO_UDP 17

/* IPv6 extension headers walked before giving up (hop-by-hop, routing, destination options). */
#define RPCMON_MAX_IPV6_EXT 4
/* Smallest ONC RPC call: xid, msg_type, rpcvers, prog, vers, proc (24) + cred and verifier
 * with empty bodies (2 x 8), RFC 5531 section 9. */
#define RPCMON_ONC_MIN_CALL 40
/* DCE/RPC connection-oriented common header, C706 section 12.6.1. */
#define RPCMON_DCE_CO_HDR 16

/* Outcome of classify: what the caller should do with the packet. */
enum rpcmon_verdict {
	RPCMON_V_IGNORE = 0,    /* not RPC traffic (or not IP/TCP/UDP) */
	RPCMON_V_CLASSIFIED = 1,
	RPCMON_V_TRUNCATED = 2, /* headers claim more than the packet holds */
	RPCMON_V_NON_IP = 3,
	RPCMON_V_FRAGMENT = 4,  /* an IPv4/IPv6 fragment (first or later): reassembled in user space */
};

RPCMON_INLINE __u16 rpcmon_be16(const __u8 *b)
{
	return (__u16)((b[0] << 8) | b[1]);
}

RPCMON_INLINE __u32 rpcmon_be32(const __u8 *b)
{
	return ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
}

/* Well-known RPC server ports (TCP and UDP alike). */
RPCMON_INLINE __u8 rpcmon_port_app(__u16 port)
{
	switch (port) {
	case 111:  /* portmapper / rpcbind */
	case 2049: /* NFS */
		return RPCMON_APP_ONC;
	case 135: /* DCE/RPC endpoint mapper */
		return RPCMON_APP_DCERPC;
	case 139: /* NetBIOS session service */
		return RPCMON_APP_NBSS;
	case 445: /* SMB direct hosting */
		return RPCMON_APP_SMB;
	}
	return RPCMON_APP_NONE;
}

/*
 * Payload signature for a call on an unknown port. Conservative on purpose: only the shapes a
 * client sends first, so the server endpoint can be learned and its replies matched by port.
 *   ONC RPC over TCP: record mark (last-fragment bit, length >= 40), xid, msg_type 0, rpcvers 2
 *   ONC RPC over UDP: xid, msg_type 0, rpcvers 2
 *   DCE/RPC v5.0/5.1 CO: rpc_vers 5, minor 0|1, ptype request(0)|bind(11)|alter_context(14),
 *   data representation integer byte 0x10 or 0x00, frag_length >= 16.
 *   DCE/RPC v4 CL over UDP (C706 12.5.1): rpc_vers 4, ptype request(0), flags2 reserved bits
 *   clear, data representation integer byte 0x10 or 0x00.
 */
/* p12: the payload's first 12 bytes; p16: its first 16 bytes, or NULL when shorter. Two
 * pointers rather than one plus a length, so the verifier knows each one's readable range. */
RPCMON_INLINE __u8 rpcmon_signature(const __u8 *p12, const __u8 *p16, __u8 l4proto)
{
	if (l4proto == RPCMON_IPPROTO_TCP) {
		if (!p16)
			return RPCMON_APP_NONE;
		__u32 mark = rpcmon_be32(p16);
		if ((mark & 0x80000000u) && (mark & 0x7fffffffu) >= RPCMON_ONC_MIN_CALL &&
		    rpcmon_be32(p16 + 8) == 0 && rpcmon_be32(p16 + 12) == 2)
			return RPCMON_APP_ONC;
		if (p16[0] == 5 && p16[1] <= 1 && (p16[2] == 0 || p16[2] == 11 || p16[2] == 14) &&
		    (p16[4] & 0xEE) == 0) {
			__u16 frag = (p16[4] & 0x10) ? (__u16)(p16[8] | (p16[9] << 8)) : rpcmon_be16(p16 + 8);
			if (frag >= RPCMON_DCE_CO_HDR)
				return RPCMON_APP_DCERPC;
		}
		return RPCMON_APP_NONE;
	}
	if (rpcmon_be32(p12 + 4) == 0 && rpcmon_be32(p12 + 8) == 2)
		return RPCMON_APP_ONC;
	if (p16 && p16[0] == 4 && p16[1] == 0 && (p16[3] & 0xFC) == 0 && (p16[4] & 0xEE) == 0)
		return RPCMON_APP_DCERPC;
	return RPCMON_APP_NONE;
}

RPCMON_INLINE void rpcmon_map_v4(__u8 *dst, const __u8 *v4)
{
	int i;
	for (i = 0; i < 10; i++)
		dst[i] = 0;
	dst[10] = 0xff;
	dst[11] = 0xff;
	dst[12] = v4[0];
	dst[13] = v4[1];
	dst[14] = v4[2];
	dst[15] = v4[3];
}

RPCMON_INLINE void rpcmon_copy16(__u8 *dst, const __u8 *src)
{
	int i;
	for (i = 0; i < 16; i++)
		dst[i] = src[i];
}

/* Copies the source (dst = 0) or destination (dst = 1) address, IPv4 mapped into IPv6, from
 * the IP header at ip_off. Done only once a packet needs it: most packets are decided on ports
 * alone, and address copies were a measurable share of the non-RPC cost. */
RPCMON_INLINE int rpcmon_copy_addr(struct rpcmon_pkt *pkt, __u8 family, __u32 ip_off, int dst, __u8 *out)
{
	__u8 tmp[16];
	const __u8 *a;

	if (family == 4) {
		a = rpcmon_pkt_ptr(pkt, ip_off + (dst ? 16 : 12), 4, tmp);
		if (!a)
			return -1;
		rpcmon_map_v4(out, a);
		return 0;
	}
	a = rpcmon_pkt_ptr(pkt, ip_off + (dst ? 24 : 8), 16, tmp);
	if (!a)
		return -1;
	rpcmon_copy16(out, a);
	return 0;
}

/*
 * Classify one Ethernet frame of pkt_len bytes (pkt_len counted from the network header when
 * len_excludes_l2: BPF_PROG_TEST_RUN hands socket filters such skbs). On RPCMON_V_CLASSIFIED,
 * rec->flow, tcp fields, role, app, match and payload_len are filled, *payload_off is the
 * L4 payload offset from the start of the frame and *l4_off the TCP/UDP header's (the kernel's
 * checksum judgement sums from there).
 */
RPCMON_INLINE int rpcmon_classify(struct rpcmon_pkt *pkt, __u32 pkt_len, int len_excludes_l2,
				  struct rpcmon_packet_record *rec, __u32 *payload_off, __u32 *l4_off)
{
	__u8 tmp[40]; /* only used where the packet cannot be read in place (socket filter) */
	const __u8 *h, *l4;
	__u32 off = 14, l3_end, ip_off, l4_start;
	__u16 proto, vlan_id = 0;
	__u8 l4proto, family;
	__u16 sport, dport;
	__u32 seq = 0, ack = 0;
	__u8 tcp_flags = 0, app, role, match;
	struct rpcmon_endpoint_key key;
	int i;

	h = rpcmon_pkt_ptr(pkt, 12, 2, tmp);
	if (!h)
		return RPCMON_V_TRUNCATED;
	proto = rpcmon_be16(h);
	if (proto == RPCMON_ETH_P_8021Q || proto == RPCMON_ETH_P_8021AD) {
		h = rpcmon_pkt_ptr(pkt, 14, 4, tmp);
		if (!h)
			return RPCMON_V_TRUNCATED;
		vlan_id = rpcmon_be16(h) & 0x0fff;
		proto = rpcmon_be16(h + 2);
		off = 18;
	}
	if (len_excludes_l2)
		pkt_len += off;

	if (proto == RPCMON_ETH_P_IP) {
		__u32 ihl, tot;
		h = rpcmon_pkt_ptr(pkt, off, 20, tmp);
		if (!h)
			return RPCMON_V_TRUNCATED;
		ihl = (__u32)(h[0] & 0x0f) * 4;
		tot = rpcmon_be16(h + 2);
		/* Total length 0: a TSO/LSO frame captured before segmentation (the NIC fills in
		 * each segment's length); as Wireshark does, the frame length stands in for it. */
		if (tot == 0) {
			__u32 full = rpcmon_pkt_total_len(pkt, pkt_len);
			if (full > off)
				tot = full - off > 0xffffffu ? 0xffffffu : full - off;
		}
		if ((h[0] >> 4) != 4 || ihl < 20 || tot < ihl)
			return RPCMON_V_TRUNCATED;
		/* Any fragment, the first one too (MF set, offset 0): its L4 payload is only part of
		 * the datagram, so it goes whole to user space for reassembly, never into a stream. */
		if (rpcmon_be16(h + 6) & 0x3fff)
			return RPCMON_V_FRAGMENT;
		family = 4;
		l4proto = h[9];
		ip_off = off;
		l3_end = off + tot;
		off += ihl;
	} else if (proto == RPCMON_ETH_P_IPV6) {
		h = rpcmon_pkt_ptr(pkt, off, 40, tmp);
		if (!h)
			return RPCMON_V_TRUNCATED;
		family = 6;
		l4proto = h[6];
		ip_off = off;
		l3_end = off + 40 + rpcmon_be16(h + 4);
		off += 40;
		for (i = 0; i < RPCMON_MAX_IPV6_EXT; i++) {
			if (l4proto != 0 && l4proto != 43 && l4proto != 60 && l4proto != 44)
				break;
			if (off > RPCMON_MAX_L4_OFFSET)
				return RPCMON_V_TRUNCATED;
			h = rpcmon_pkt_ptr(pkt, off, 8, tmp);
			if (!h)
				return RPCMON_V_TRUNCATED;
			if (l4proto == 44) {
				/* Any fragment goes to reassembly; an atomic fragment (offset 0, M clear,
				 * RFC 6946) is a whole datagram and classified here. */
				if (rpcmon_be16(h + 2) & 0xfff9)
					return RPCMON_V_FRAGMENT;
				l4proto = h[0];
				off += 8;
				continue;
			}
			l4proto = h[0];
			off += ((__u32)h[1] + 1) * 8;
		}
	} else {
		return RPCMON_V_NON_IP;
	}
	if (off > RPCMON_MAX_L4_OFFSET)
		return RPCMON_V_TRUNCATED;

	l4_start = off;
	if (l4proto == RPCMON_IPPROTO_TCP) {
		__u32 doff;
		l4 = rpcmon_pkt_ptr(pkt, off, 20, tmp);
		if (!l4)
			return RPCMON_V_TRUNCATED;
		doff = (__u32)(l4[12] >> 4) * 4;
		if (doff < 20)
			return RPCMON_V_TRUNCATED;
		seq = rpcmon_be32(l4 + 4);
		ack = rpcmon_be32(l4 + 8);
		tcp_flags = l4[13];
		off += doff;
	} else if (l4proto == RPCMON_IPPROTO_UDP) {
		l4 = rpcmon_pkt_ptr(pkt, off, 8, tmp);
		if (!l4)
			return RPCMON_V_TRUNCATED;
		off += 8;
	} else {
		return RPCMON_V_IGNORE;
	}
	sport = rpcmon_be16(l4);
	dport = rpcmon_be16(l4 + 2);
	/* Trust the IP length over the frame length (Ethernet pads short frames), but never
	 * beyond the frame (a truncated capture or a lying header). Only a packet that got this
	 * far asks for its full length: an XDP multi-buffer frame's length beyond the linear part
	 * costs a helper call, which non-RPC traffic never pays. */
	if (l3_end > pkt_len) {
		pkt_len = rpcmon_pkt_total_len(pkt, pkt_len);
		if (l3_end > pkt_len)
			l3_end = pkt_len;
	}
	if (off > l3_end)
		return RPCMON_V_TRUNCATED;

	match = RPCMON_MATCH_PORT;
	role = RPCMON_ROLE_TO_SERVER;
	app = rpcmon_port_app(dport);
	if (app == RPCMON_APP_NONE) {
		role = RPCMON_ROLE_FROM_SERVER;
		app = rpcmon_port_app(sport);
	}
	if (app == RPCMON_APP_NONE) {
		match = RPCMON_MATCH_WATCHED;
		key.l4proto = l4proto;
		key.pad = 0;
		if (rpcmon_port_maybe_watched(pkt, dport)) {
			if (rpcmon_copy_addr(pkt, family, ip_off, 1, key.addr))
				return RPCMON_V_TRUNCATED;
			key.port = dport;
			if (rpcmon_watched_lookup(pkt, &key, &app))
				role = RPCMON_ROLE_TO_SERVER;
		}
		if (app == RPCMON_APP_NONE && rpcmon_port_maybe_watched(pkt, sport)) {
			if (rpcmon_copy_addr(pkt, family, ip_off, 0, key.addr))
				return RPCMON_V_TRUNCATED;
			key.port = sport;
			if (rpcmon_watched_lookup(pkt, &key, &app))
				role = RPCMON_ROLE_FROM_SERVER;
		}
	}
	if (app == RPCMON_APP_NONE) {
		__u32 avail = l3_end - off;
		const __u8 *sig12, *sig16 = 0;
		if (avail < 12)
			return RPCMON_V_IGNORE;
		sig12 = rpcmon_pkt_ptr(pkt, off, 12, tmp);
		if (!sig12)
			return RPCMON_V_IGNORE;
		if (avail >= 16)
			sig16 = rpcmon_pkt_ptr(pkt, off, 16, tmp + 16);
		app = rpcmon_signature(sig12, sig16, l4proto);
		if (app == RPCMON_APP_NONE)
			return RPCMON_V_IGNORE;
		match = RPCMON_MATCH_SIGNATURE;
		role = RPCMON_ROLE_TO_SERVER;
		if (rpcmon_copy_addr(pkt, family, ip_off, 1, key.addr))
			return RPCMON_V_TRUNCATED;
		key.port = dport;
		key.l4proto = l4proto;
		key.pad = 0;
		rpcmon_learn_endpoint(pkt, &key, app);
	}

	if (rpcmon_copy_addr(pkt, family, ip_off, 0, rec->flow.saddr) ||
	    rpcmon_copy_addr(pkt, family, ip_off, 1, rec->flow.daddr))
		return RPCMON_V_TRUNCATED;
	rec->flow.sport = sport;
	rec->flow.dport = dport;
	rec->flow.family = family;
	rec->flow.l4proto = l4proto;
	rec->flow.vlan_id = vlan_id;
	rec->tcp_seq = seq;
	rec->tcp_ack = ack;
	rec->tcp_flags = tcp_flags;
	rec->role = role;
	rec->app = app;
	rec->match = match;
	rec->payload_len = l3_end - off;
	*payload_off = off;
	*l4_off = l4_start;
	return RPCMON_V_CLASSIFIED;
}

#endif /* RPCMON_CLASSIFY_H */
