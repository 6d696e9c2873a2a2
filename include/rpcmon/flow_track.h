/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * flow_track.h - kernel-side bulk skipping, shared by the BPF programs and user space (offline
 * emulation, unit tests) like classify.h. Per TCP flow direction of an ONC RPC, SMB (445) or
 * NetBIOS (139) flow it follows where the next message starts - the RFC 5531 record mark and
 * the RFC 1002 / MS-SMB2 2.1 session header are both 4 bytes with the length inside - and
 * decides, per segment, which payload bytes user space needs:
 *
 *   - every message header and all of every message up to RPCMON_BULK_THRESHOLD bytes;
 *   - of larger messages (NFS READ/WRITE data, SMB2 READ/WRITE file data) only the first
 *     `prefix` bytes; the rest is skipped in the kernel. SMB messages whose data is a DCE/RPC
 *     PDU (named pipes) are never skipped, so NDR arguments stay complete.
 *
 * A delivered record then starts at the first needed byte and says in skipped_before how many
 * bytes before it were not delivered; user space turns them into an explicit stream gap, which
 * its parsers already step over without losing framing. Anything unexpected - a hole in the
 * sequence space, a header that does not parse, a length beyond max_message, more messages in
 * one segment than the walk bound - makes the flow LOST: from then on every byte is delivered
 * (the behaviour without tracking) until a segment starts with an unmistakable message header.
 * So the tracker can only ever lose efficiency, never make user space mis-parse.
 *
 * A segment whose checksum is bad or only a pseudo-header sum (wire.h, enum rpcmon_csum) may be
 * one the host drops - an insertion sent before the real bytes - or, from a veth peer with
 * transmit offload, every segment of the flow. Framing read from it is tentative: until the
 * host's ACK covers it nothing is skipped (segments are delivered whole), and another copy of
 * those bytes makes the flow LOST, so a fake header can never make the tracker skip the real
 * bytes, in whatever order they come; user space decides about the segment itself.
 *
 * The includer provides, besides classify.h's hooks,
 *   int rpcmon_pkt_load(struct rpcmon_pkt *p, __u32 off, void *dst, __u32 len);
 *       copies len (a constant) bytes at frame offset off into dst; 0 on success
 *   int rpcmon_pkt_csum_unsure(struct rpcmon_pkt *p);
 *       1 when the segment's checksum is bad or partial-looking; asked only where the tracker
 *       would read the payload (bulk data it skips unread costs no checksum)
 */
#ifndef RPCMON_FLOW_TRACK_H
#define RPCMON_FLOW_TRACK_H

#include "rpcmon/wire.h"

#ifndef RPCMON_INLINE
#define RPCMON_INLINE static inline __attribute__((always_inline))
#endif

/* Hides a value's known range from the compiler so a mask that the verifier needs (it tracks
 * ranges less precisely than clang) is not optimised away. */
#ifdef __bpf__
#define RPCMON_OPAQUE(x) asm volatile("" : "+r"(x))
#else
#define RPCMON_OPAQUE(x) ((void)0)
#endif

/* Message headers walked per segment; a segment holding more boundaries (many tiny messages
 * in one GSO packet) makes the flow LOST rather than run an unbounded loop. */
#define RPCMON_TRACK_MAX_MSGS 32
/* Needed byte ranges reported per segment: the needed bytes, and an empty range at the
 * segment end when they stop short of a FIN/RST or of the end of a skipped message. Power of
 * two (indices are masked for the verifier). */
#define RPCMON_TRACK_MAX_RANGES 2

enum rpcmon_track_state {
	RPCMON_TRACK_NONE = 0,   /* not tracked (no entry) */
	RPCMON_TRACK_SYNCED = 1, /* knows where the next message starts */
	RPCMON_TRACK_LOST = 2,   /* framing lost: deliver everything, look for a message start */
};

enum rpcmon_track_verdict {
	RPCMON_TRACK_ALL = 0,     /* deliver the segment as it is (no skipped_before) */
	RPCMON_TRACK_DELIVER = 1, /* deliver from *first; report bytes skipped before it */
	RPCMON_TRACK_SKIP = 2,    /* nothing needed: the segment is bulk data */
	RPCMON_TRACK_SKIP_ACK = 3, /* a bare ACK of a synced flow: not needed */
};

/* Events for the caller's counters (bit set). */
#define RPCMON_TRACK_EV_STARTED 1u   /* tracking began (SYN, or a message start mid-stream) */
#define RPCMON_TRACK_EV_LOST 2u
#define RPCMON_TRACK_EV_RESYNC 4u
#define RPCMON_TRACK_EV_CSUM_UNSURE 8u /* no framing taken from a bad/partial-checksum segment */

struct rpcmon_track_cfg {
	__u32 threshold;   /* messages longer than this are bulk */
	__u32 prefix;      /* bytes of a bulk message delivered */
	__u32 max_message; /* longer claimed messages are not trusted: flow becomes LOST */
};

#define RPCMON_TCP_FIN 0x01
#define RPCMON_TCP_SYN 0x02
#define RPCMON_TCP_RST 0x04

RPCMON_INLINE int rpcmon_seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

RPCMON_INLINE int rpcmon_track_app(__u8 app)
{
	return app == RPCMON_APP_ONC || app == RPCMON_APP_SMB || app == RPCMON_APP_NBSS;
}

/* Total length (header included) of the message whose 4-byte header is h; 0 if h is not a
 * header. ONC: record mark, low 31 bits = fragment length. NBSS: type 0x00 session message or
 * 0x85 keepalive (and on 139 the session setup types 0x81-0x84); 445 uses a 24-bit length
 * (MS-SMB2 2.1), 139 a 17-bit one (RFC 1002 4.3.1: flags byte holds only the E bit). */
RPCMON_INLINE __u32 rpcmon_track_msg_total(__u8 app, const __u8 *h)
{
	if (app == RPCMON_APP_ONC)
		return 4 + (rpcmon_be32(h) & 0x7fffffffu);
	if (app == RPCMON_APP_SMB) {
		if (h[0] != 0x00 && h[0] != 0x85)
			return 0;
		return 4 + (((__u32)h[1] << 16) | ((__u32)h[2] << 8) | h[3]);
	}
	if (h[0] != 0x00 && h[0] != 0x85 && (h[0] < 0x81 || h[0] > 0x84))
		return 0;
	if (h[1] & 0xfe)
		return 0;
	return 4 + (((__u32)(h[1] & 1) << 16) | ((__u32)h[2] << 8) | h[3]);
}

/* Does the segment start with an unmistakable message start? Used to pick a flow up mid-stream
 * and to leave LOST. Stricter than the header parse: ONC needs a whole call or reply header
 * (last-fragment bit, msg_type 0 with rpcvers 2 or msg_type 1 with reply_stat 0/1); SMB needs
 * the protocol magic (0xFE/0xFF/0xFD 'SMB') right after a session-message header. */
RPCMON_INLINE int rpcmon_track_looks_like_start(struct rpcmon_pkt *pkt, __u8 app, __u32 payload_off, __u32 len)
{
	__u8 h[16];

	if (len < 16 || rpcmon_pkt_load(pkt, payload_off, h, 16))
		return 0;
	if (app == RPCMON_APP_ONC) {
		__u32 mark = rpcmon_be32(h), mtype = rpcmon_be32(h + 8), word = rpcmon_be32(h + 12);
		if (!(mark & 0x80000000u) || (mark & 0x7fffffffu) < 24)
			return 0;
		return (mtype == 0 && word == 2) || (mtype == 1 && word <= 1);
	}
	return h[0] == 0x00 && (h[4] == 0xfe || h[4] == 0xff || h[4] == 0xfd) && h[5] == 'S' && h[6] == 'M' &&
	       h[7] == 'B';
}

/* An SMB message longer than the threshold starts at payload offset o: is it bulk file data?
 * Only SMB2 READ responses and WRITE requests whose data does not start with a DCE/RPC header
 * (a named pipe), and encrypted messages (unreadable anyway). Anything that cannot be checked
 * within this segment is not bulk: delivered whole. */
RPCMON_INLINE int rpcmon_track_smb_bulk(struct rpcmon_pkt *pkt, __u32 payload_off, __u32 o, __u32 len)
{
	__u8 h[20], b[4], d[4];
	__u32 data_off;
	__u16 cmd;

	if (o > len || len - o < 4 + 20 || rpcmon_pkt_load(pkt, payload_off + o + 4, h, 20))
		return 0;
	if (h[0] == 0xfd && h[1] == 'S' && h[2] == 'M' && h[3] == 'B')
		return 1; /* SMB3 transform header: encrypted */
	if (h[0] != 0xfe || h[1] != 'S' || h[2] != 'M' || h[3] != 'B')
		return 0;
	cmd = (__u16)(h[12] | (h[13] << 8));
	if (len - o < 4 + 64 + 4 || rpcmon_pkt_load(pkt, payload_off + o + 4 + 64, b, 4))
		return 0;
	if (cmd == 8 && (h[16] & 1)) /* READ response: DataOffset is one byte */
		data_off = b[2];
	else if (cmd == 9 && !(h[16] & 1)) /* WRITE request: DataOffset is two bytes */
		data_off = (__u32)(b[2] | (b[3] << 8));
	else
		return 0;
	if (data_off < 64 || data_off > 1024 || len - o < 4 + data_off + 4 ||
	    rpcmon_pkt_load(pkt, payload_off + o + 4 + data_off, d, 4))
		return 0;
	/* DCE/RPC CO header: rpc_vers 5, minor 0/1, a known PDU type (C706 12.6.4). */
	return !(d[0] == 5 && d[1] <= 1 && d[2] <= 19);
}

RPCMON_INLINE void rpcmon_track_start(struct rpcmon_flow_track *t, __u32 seq)
{
	t->state = RPCMON_TRACK_SYNCED;
	t->next_seq = seq;
	t->msg_end = seq;
	t->keep_end = seq;
	t->delivered_end = seq;
	t->hdr_have = 0;
	t->loss = 0;
	t->prev_bulk_lo = seq;
	t->prev_bulk_hi = seq;
	t->tentative = 0;
}

/*
 * One TCP segment (payload [seq, seq + len) at frame offset payload_off) of a flow whose state
 * is *t (state NONE for a new entry). Returns a verdict; on DELIVER io->first is the payload
 * offset to deliver from. io->events gets RPCMON_TRACK_EV_* bits.
 */
struct rpcmon_track_io {
	/* in */
	__u32 seq, ack, payload_off, len;
	__u8 app, tcp_flags, pad[2];
	struct rpcmon_track_cfg cfg;
	/* out */
	__u32 first;  /* DELIVER: payload offset to deliver from */
	__u32 events; /* RPCMON_TRACK_EV_* bits */
	/* DELIVER: the needed payload ranges [lo, hi), in order, disjoint; after
	 * rpcmon_track_apply they are relative to the record's (moved) start, so r_lo[0] == 0.
	 * An empty range (lo == hi) at the segment end carries a FIN/RST or completes a message
	 * whose tail was skipped. */
	__u32 nr;
	__u32 r_lo[RPCMON_TRACK_MAX_RANGES];
	__u32 r_hi[RPCMON_TRACK_MAX_RANGES];
};

/* One range, the whole payload: what an untracked segment, or one a tracker delivers as it is,
 * needs. */
RPCMON_INLINE void rpcmon_ranges_whole(struct rpcmon_track_io *io, __u32 len)
{
	io->nr = 1;
	io->r_lo[0] = 0;
	io->r_hi[0] = len;
}

/* State of one segment's walk over message boundaries. */
struct rpcmon_track_walk {
	void *prog_ctx; /* the BPF program's context, to rebuild the packet handle in a callback */
	struct rpcmon_flow_track *t;
	struct rpcmon_track_io *io;
	__u32 o;    /* payload offset reached */
	__s32 need; /* payload offset of the first needed byte; -1 = none yet */
	__u8 done;  /* the walk reached the segment end */
	__u8 lost;  /* framing is lost */
	__u8 ends_bulk; /* the segment ends exactly where a message with a skipped tail ends */
};

/* One step: the rest of the current message, then the next header if it starts in this
 * segment. Returns 1 when the walk is over (done or lost). */
RPCMON_INLINE long rpcmon_track_step(struct rpcmon_pkt *pkt, struct rpcmon_track_walk *w)
{
	struct rpcmon_flow_track *t = w->t;
	struct rpcmon_track_io *io = w->io;
	const __u32 seq = io->seq, len = io->len, off = io->payload_off;
	__u32 o = w->o, j, total, msg_start, cut = 0;
	__u8 h[4] = { 0, 0, 0, 0 };

	if (t->hdr_have) {
		/* Finish a header the previous segment cut (only at o == 0). */
		__u8 have = t->hdr_have;
		RPCMON_OPAQUE(have);
		have &= 3;
		h[0] = t->hdr[0];
		h[1] = t->hdr[1];
		h[2] = t->hdr[2];
		for (j = have; j < 4; j++) {
			if (o >= len)
				break;
			if (rpcmon_pkt_load(pkt, off + o, &h[j & 3], 1))
				goto lost;
			o++;
		}
		if (w->need < 0)
			w->need = 0;
		if (j < 4) {
			/* Still short (a segment of one or two bytes). */
			t->hdr[0] = h[0];
			t->hdr[1] = h[1];
			t->hdr[2] = h[2];
			t->hdr_have = (__u8)j;
			goto done;
		}
		msg_start = t->msg_end; /* where the header began, in the previous segment */
		cut = 1;
	} else {
		__s32 keep = (__s32)(t->keep_end - seq), end = (__s32)(t->msg_end - seq);
		if (w->need < 0 && (__s32)o < keep)
			w->need = (__s32)o;
		if (end >= (__s32)len) {
			/* The current message goes on past this segment, or ends with it. */
			if (end == (__s32)len && keep < end)
				w->ends_bulk = 1;
			goto done;
		}
		if (end < (__s32)o)
			goto lost; /* cannot happen while synced; never index backwards */
		o = (__u32)end;
		if (w->need < 0)
			w->need = (__s32)o;
		msg_start = seq + o;
		if (len - o < 4) {
			/* The header is cut by the segment end: keep its first bytes. */
			for (j = 0; j < 3; j++) {
				if (o >= len)
					break;
				if (rpcmon_pkt_load(pkt, off + o, &h[j & 3], 1))
					goto lost;
				o++;
			}
			t->hdr[0] = h[0];
			t->hdr[1] = h[1];
			t->hdr[2] = h[2];
			t->hdr_have = (__u8)j;
			goto done;
		}
		if (rpcmon_pkt_load(pkt, off + o, h, 4))
			goto lost;
		o += 4;
	}
	t->hdr_have = 0;
	if (t->keep_end != t->msg_end) {
		t->prev_bulk_lo = t->keep_end;
		t->prev_bulk_hi = t->msg_end;
	}
	total = rpcmon_track_msg_total(io->app, h);
	if (total == 0 || total > io->cfg.max_message)
		goto lost;
	t->msg_end = msg_start + total;
	t->keep_end = t->msg_end;
	if (total > io->cfg.threshold &&
	    (io->app == RPCMON_APP_ONC || (!cut && rpcmon_track_smb_bulk(pkt, off, o - 4, len))))
		t->keep_end = msg_start + io->cfg.prefix;
	w->o = o;
	return 0;
done:
	w->done = 1;
	return 1;
lost:
	w->lost = 1;
	return 1;
}

/* Runs rpcmon_track_step until it returns 1, at most RPCMON_TRACK_MAX_MSGS times. The BPF
 * includer defines it with bpf_loop (the verifier then checks one step instead of every
 * unrolled path); w->prog_ctx is set from rpcmon_pkt_prog_ctx(pkt) for that. */
#ifndef RPCMON_TRACK_WALK
#define RPCMON_TRACK_WALK(pkt, w)                                   \
	do {                                                        \
		for (int i_ = 0; i_ < RPCMON_TRACK_MAX_MSGS; i_++)  \
			if (rpcmon_track_step((pkt), (w)))          \
				break;                              \
	} while (0)
#define rpcmon_pkt_prog_ctx(pkt) ((void *)0)
#endif

/*
 * One TCP segment (payload [seq, seq + len) at frame offset payload_off) of a flow whose state
 * is *t (state NONE for a new entry). Returns a verdict; on DELIVER io->first is the payload
 * offset to deliver from. io->events gets RPCMON_TRACK_EV_* bits.
 */
RPCMON_INLINE int rpcmon_track_segment(struct rpcmon_pkt *pkt, struct rpcmon_flow_track *t,
				       struct rpcmon_track_io *io)
{
	const __u32 seq = io->seq, len = io->len;
	struct rpcmon_track_walk w = { rpcmon_pkt_prog_ctx(pkt), t, io, 0, -1, 0, 0, 0 };

	if (io->tcp_flags & RPCMON_TCP_SYN) {
		/* A SYN consumes one sequence number; the first message starts after it. */
		rpcmon_track_start(t, seq + 1);
		io->events |= RPCMON_TRACK_EV_STARTED;
		return RPCMON_TRACK_ALL;
	}
	if (len == 0) {
		if (t->state == RPCMON_TRACK_SYNCED && !(io->tcp_flags & (RPCMON_TCP_FIN | RPCMON_TCP_RST))) {
			/* Unless user space holds peer segments this ACK may decide (the caller clears
			 * ack_wanted once one covers them). */
			if (!t->ack_wanted)
				return RPCMON_TRACK_SKIP_ACK;
		}
		return RPCMON_TRACK_ALL;
	}
	/* Segments reordered (or lost) inside the skipped tail of a bulk message change nothing:
	 * those bytes are not delivered either way, and where the next header starts is known. */
	if (t->state == RPCMON_TRACK_SYNCED && seq != t->next_seq && t->hdr_have == 0 &&
	    !rpcmon_seq_before(seq, t->keep_end) && !rpcmon_seq_before(t->msg_end, seq + len) &&
	    !rpcmon_seq_before(t->next_seq, t->keep_end)) {
		/* wholly inside [keep_end, msg_end): an early or a late segment of bulk data */
		if (rpcmon_seq_before(t->next_seq, seq + len))
			t->next_seq = seq + len;
		return RPCMON_TRACK_SKIP;
	}
	if (t->state == RPCMON_TRACK_SYNCED && rpcmon_seq_before(t->next_seq, seq) && t->hdr_have == 0 &&
	    !rpcmon_seq_before(t->next_seq, t->keep_end) && !rpcmon_seq_before(t->msg_end, seq))
		t->next_seq = seq; /* the hole is bulk data; this segment reaches the next header */
	if (t->state != RPCMON_TRACK_SYNCED || seq != t->next_seq) {
		int hole = 0;
		if (t->state == RPCMON_TRACK_SYNCED) {
			/* Wholly old data (late or retransmitted): skipped if it is bulk data of the
			 * previous message, else delivered; the framing stays. */
			if (!rpcmon_seq_before(t->next_seq, seq + len)) {
				if (t->tentative && rpcmon_seq_before(seq, t->tent_end)) {
					/* A second copy of bytes framing was read from, unconfirmed: which one
					 * the host took is unknown, so the framing is not trusted. */
					t->state = RPCMON_TRACK_LOST;
					io->events |= RPCMON_TRACK_EV_LOST | RPCMON_TRACK_EV_CSUM_UNSURE;
					return RPCMON_TRACK_ALL;
				}
				if (!rpcmon_seq_before(seq, t->prev_bulk_lo) &&
				    !rpcmon_seq_before(t->prev_bulk_hi, seq + len) && t->prev_bulk_lo != t->prev_bulk_hi)
					return RPCMON_TRACK_SKIP;
				return RPCMON_TRACK_ALL;
			}
			t->state = RPCMON_TRACK_LOST;
			io->events |= RPCMON_TRACK_EV_LOST;
			/* Bytes between the last segment and this one never passed here: report them as
			 * lost with this record, so user space need not wait for an ACK to learn it. */
			if (rpcmon_seq_before(t->next_seq, seq)) {
				hole = 1;
				t->loss = 1;
			}
		}
		if (!rpcmon_track_looks_like_start(pkt, io->app, io->payload_off, len)) {
			if (!hole)
				return RPCMON_TRACK_ALL;
			io->first = 0;
			return RPCMON_TRACK_DELIVER;
		}
		io->events |= t->state == RPCMON_TRACK_NONE ? RPCMON_TRACK_EV_STARTED : RPCMON_TRACK_EV_RESYNC;
		{
			__u32 delivered_end = t->delivered_end;
			rpcmon_track_start(t, seq);
			if (hole) { /* still report the hole with this segment */
				t->delivered_end = delivered_end;
				t->loss = 1;
			}
		}
	}

	if ((t->hdr_have || rpcmon_seq_before(t->msg_end, seq + len)) && rpcmon_pkt_csum_unsure(pkt)) {
		/* A message header is about to be read from bytes the host may drop (bulk data in
		 * the middle of a message is not read: it needs no checksum here). */
		if (!t->tentative || rpcmon_seq_before(t->tent_end, seq + len))
			t->tent_end = seq + len;
		t->tentative = 1;
		io->events |= RPCMON_TRACK_EV_CSUM_UNSURE;
	}
	RPCMON_TRACK_WALK(pkt, &w);
	t->next_seq = seq + len;
	if (w.lost || !w.done) {
		/* Deliver this whole segment; skipped_before still covers what was skipped so far. */
		t->state = RPCMON_TRACK_LOST;
		t->hdr_have = 0;
		io->events |= RPCMON_TRACK_EV_LOST;
		io->first = 0;
		rpcmon_ranges_whole(io, len);
		return RPCMON_TRACK_DELIVER;
	}
	{
		/* Needed: from the first needed byte to where the last message's needed part ends
		 * (its skipped tail, in a GSO/GRO super-packet possibly most of the packet, stays in
		 * the kernel). Bulk tails of earlier messages in the same packet are delivered: one
		 * range keeps the walk cheap for the verifier; the cost is efficiency on messages
		 * between 16 KiB and a super-packet's size, never correctness. */
		__s32 keep = (__s32)(t->keep_end - seq);
		__u32 hi = keep > 0 && keep < (__s32)len && t->hdr_have == 0 ? (__u32)keep : len;
		__u32 n = 0;

		if (w.need >= 0 && (__u32)w.need < hi) {
			io->r_lo[0] = (__u32)w.need;
			io->r_hi[0] = hi;
			n = 1;
		}
		/* Still report, without payload, the end of a segment that ends a bulk message -
		 * user space then completes the message before its reply arrives (call/reply order)
		 * - and any FIN or RST, when the needed bytes stop short of it. */
		if ((n == 0 || hi < len) && (w.ends_bulk || (io->tcp_flags & (RPCMON_TCP_FIN | RPCMON_TCP_RST)))) {
			io->r_lo[n & 1] = len;
			io->r_hi[n & 1] = len;
			n++;
		}
		io->nr = n;
		if (n == 0)
			return RPCMON_TRACK_SKIP; /* all bulk */
		io->first = io->r_lo[0];
		return RPCMON_TRACK_DELIVER;
	}
}

/* The io block for a classified TCP segment (rec as rpcmon_classify filled it). */
RPCMON_INLINE void rpcmon_track_io_init(struct rpcmon_track_io *io, const struct rpcmon_packet_record *rec,
					__u32 payload_off, __u32 threshold, __u32 prefix, __u32 max_message)
{
	io->seq = rec->tcp_seq;
	io->ack = rec->tcp_ack;
	io->payload_off = payload_off;
	io->len = rec->payload_len;
	io->app = rec->app;
	io->tcp_flags = rec->tcp_flags;
	io->cfg.threshold = threshold;
	io->cfg.prefix = prefix;
	io->cfg.max_message = max_message;
	io->first = 0;
	io->events = 0;
	rpcmon_ranges_whole(io, rec->payload_len);
}

/*
 * Acts on rpcmon_track_segment's verdict, the same way in the kernel and offline: counts into
 * c (a hook's counter array) and, for DELIVER, moves the record's start to the first needed
 * byte and fills skipped_before and the flags. Returns 0 when nothing is to be delivered, 1 to
 * deliver the record as it is now, 2 to deliver it as a tracked record - the caller then sets
 * t->delivered_end and clears t->loss once the record is out (or sets t->loss if it is lost).
 */
RPCMON_INLINE int rpcmon_track_apply(struct rpcmon_flow_track *t, struct rpcmon_track_io *io, int verdict,
				     struct rpcmon_packet_record *rec, __u32 *payload_off, __u64 *c)
{
	if (io->events & RPCMON_TRACK_EV_STARTED)
		c[RPCMON_CNT_FLOWS_TRACKED]++;
	if (io->events & RPCMON_TRACK_EV_LOST)
		c[RPCMON_CNT_TRACK_LOST_SYNC]++;
	if (io->events & RPCMON_TRACK_EV_RESYNC)
		c[RPCMON_CNT_TRACK_RESYNC]++;
	if (io->events & RPCMON_TRACK_EV_CSUM_UNSURE)
		c[RPCMON_CNT_TRACK_CSUM_UNSURE]++;
	if (t->tentative && t->state == RPCMON_TRACK_SYNCED &&
	    (verdict == RPCMON_TRACK_SKIP || verdict == RPCMON_TRACK_DELIVER)) {
		/* Unconfirmed framing decides nothing: the segment goes whole. */
		verdict = RPCMON_TRACK_DELIVER;
		io->first = 0;
		rpcmon_ranges_whole(io, rec->payload_len);
	}
	if (verdict == RPCMON_TRACK_SKIP) {
		c[RPCMON_CNT_BULK_PACKETS_SKIPPED]++;
		c[RPCMON_CNT_BULK_BYTES_SKIPPED] += rec->payload_len;
		return 0;
	}
	if (verdict == RPCMON_TRACK_SKIP_ACK) {
		c[RPCMON_CNT_ACKS_SUPPRESSED]++;
		return 0;
	}
	if (verdict == RPCMON_TRACK_DELIVER && io->first <= rec->payload_len) {
		__u32 first = io->first;
		__u32 at = rec->tcp_seq + first;
		__u32 skipped = at - t->delivered_end;
		__u32 i, kept = 0;

		/* Only forward distances are gaps; anything else is not reported. */
		rec->skipped_before = skipped < (1u << 30) ? skipped : 0;
		if (t->loss)
			rec->hdr.flags |= RPCMON_RECF_LOSS_BEFORE;
		if (t->state == RPCMON_TRACK_SYNCED)
			rec->hdr.flags |= RPCMON_RECF_TRACKED;
		for (i = 0; i < RPCMON_TRACK_MAX_RANGES; i++) {
			if (i >= io->nr)
				break;
			io->r_lo[i] -= first;
			io->r_hi[i] -= first;
			kept += io->r_hi[i] - io->r_lo[i];
		}
		c[RPCMON_CNT_BULK_BYTES_SKIPPED] += rec->payload_len - kept;
		rec->tcp_seq = at;
		*payload_off += first;
		rec->payload_len -= first;
		return 2;
	}
	return 1;
}

/*
 * Splitting a packet's needed ranges (rpcmon_track_io r_lo/r_hi, record-relative) into
 * ring-buffer records of at most RPCMON_RECORD_MAX_PAYLOAD bytes: the same arithmetic in the
 * BPF programs and offline, so both cut a super-packet into the same records.
 */
struct rpcmon_split {
	__u32 ri;       /* range reached */
	__u32 pos;      /* record-relative payload offset reached */
	__u32 prev_end; /* end of the previous piece (skipped bytes are reported before the next) */
	__u32 budget;   /* payload bytes still allowed (snap length) */
};

struct rpcmon_piece {
	__u32 off;            /* record-relative payload offset of the piece */
	__u32 len;            /* bytes to copy */
	__u32 wire_len;       /* payload bytes the record stands for (> len when cut) */
	__u32 skipped_before; /* bytes between the previous piece and this one (bulk data) */
	__u8 last;            /* no piece follows */
	__u8 cut;             /* the budget ran out: wire_len - len needed bytes not copied */
};

RPCMON_INLINE void rpcmon_split_init(struct rpcmon_split *sp, __u32 budget)
{
	sp->ri = 0;
	sp->pos = 0;
	sp->prev_end = 0;
	sp->budget = budget;
}

/* Turns *r, a copy of the packet's record, into the record of piece pc with caplen payload
 * bytes copied: only the first piece reports loss before the packet and carries SYN, only the
 * last carries FIN/RST. */
RPCMON_INLINE void rpcmon_piece_record(struct rpcmon_packet_record *r, const struct rpcmon_piece *pc,
				       __u32 caplen, int first)
{
	r->tcp_seq += pc->off;
	r->payload_len = pc->wire_len;
	r->captured_len = caplen;
	r->hdr.size = sizeof(*r) + caplen;
	if (first) {
		r->skipped_before += pc->skipped_before;
	} else {
		r->skipped_before = pc->skipped_before;
		r->hdr.flags &= ~RPCMON_RECF_LOSS_BEFORE;
		r->tcp_flags &= ~RPCMON_TCP_SYN;
	}
	if (!pc->last) {
		r->hdr.flags |= RPCMON_RECF_MORE;
		r->tcp_flags &= ~(RPCMON_TCP_FIN | RPCMON_TCP_RST);
	}
	if (pc->cut || caplen < pc->len)
		r->hdr.flags |= RPCMON_RECF_TRUNCATED;
}

/* The next piece; 0 when none is left. */
RPCMON_INLINE int rpcmon_split_next(const struct rpcmon_track_io *io, struct rpcmon_split *sp,
				    struct rpcmon_piece *pc)
{
	__u32 ri = sp->ri, lo, hi, n, range_done = 0;

	if (ri >= io->nr || ri >= RPCMON_TRACK_MAX_RANGES)
		return 0;
	ri &= RPCMON_TRACK_MAX_RANGES - 1;
	lo = io->r_lo[ri];
	hi = io->r_hi[ri];
	if (rpcmon_seq_before(sp->pos, lo))
		sp->pos = lo;
	n = rpcmon_seq_before(sp->pos, hi) ? hi - sp->pos : 0;
	pc->last = 0;
	pc->cut = 0;
	if (n > RPCMON_RECORD_MAX_PAYLOAD) {
		n = RPCMON_RECORD_MAX_PAYLOAD;
	} else {
		range_done = 1;
		pc->last = ri + 1 >= io->nr;
	}
	pc->off = sp->pos;
	pc->skipped_before = sp->pos - sp->prev_end;
	pc->wire_len = n;
	if (n > sp->budget) {
		/* Out of budget: this record stands for everything left, copied as far as allowed. */
		__u32 end = io->r_hi[(io->nr - 1) & (RPCMON_TRACK_MAX_RANGES - 1)];
		pc->wire_len = end - sp->pos;
		n = sp->budget;
		pc->cut = 1;
		pc->last = 1;
	}
	pc->len = n;
	sp->budget -= n;
	sp->pos += pc->wire_len;
	sp->prev_end = sp->pos;
	if (pc->last)
		sp->ri = io->nr;
	else if (range_done)
		sp->ri = ri + 1;
	return 1;
}

#endif /* RPCMON_FLOW_TRACK_H */
