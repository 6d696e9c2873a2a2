/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * wire.h - the one definition of everything the BPF programs and user space share:
 * ring-buffer record layout, flow tuple, watched-endpoint map key/value, counter ids,
 * classification codes. Included by bpf/rpcmon.bpf.c and by the C++ code; never copy a struct
 * out of this file. Layout is checked with static asserts at the bottom.
 */
#ifndef RPCMON_WIRE_H
#define RPCMON_WIRE_H

#include <linux/types.h>

/* Largest payload one packet record carries. A packet whose needed payload is longer (a
 * GSO/GRO super-packet, a jumbo frame) is delivered as several records, each a contiguous
 * piece with its own sequence number (flag RPCMON_RECF_MORE on all but the last). Power of
 * two: the BPF programs mask lengths with (RPCMON_RECORD_MAX_PAYLOAD - 1) so the verifier
 * sees the bound. */
#define RPCMON_RECORD_MAX_PAYLOAD 4096
/* Records one packet may become (64 x 4 KiB = 256 KiB: BIG TCP GSO packets included), plus
 * room for the empty records that carry a FIN or end a skipped message. */
#define RPCMON_MAX_RECORDS_PER_PACKET 72
/* Cap on the payload bytes delivered per packet for traffic the kernel does not frame itself
 * (DCE/RPC over TCP, UDP, flows whose framing is lost): the configured snap length (rodata
 * cfg_snaplen, default RPCMON_DEFAULT_SNAPLEN) is clamped to this. Framed flows (flow_track.h)
 * deliver every needed byte up to this bound whatever the snap length. Beyond it a packet is
 * cut, counted (cut_packets, cut_bytes) and user space sees an explicit gap. */
#define RPCMON_MAX_SNAPLEN 262144
#define RPCMON_DEFAULT_SNAPLEN 262144
/* Offline (pcap) input has every byte already in memory: no kernel copy to bound. */
#define RPCMON_OFFLINE_MAX_SNAPLEN 262144

/* Largest L4 header offset the classifier accepts: Ethernet 14 + one VLAN tag 4 + IPv6 40 + up
 * to four IPv6 extension headers. Beyond this a packet is not classified (counted). */
#define RPCMON_MAX_L4_OFFSET 400

/* Record types: the first field of every ring-buffer record. User space dispatches on this
 * through one table and counts unknown types instead of dropping them silently. */
enum rpcmon_record_type {
	RPCMON_REC_PACKET = 1, /* struct rpcmon_packet_record + payload bytes */
	/* An IP fragment, whole frame from the MAC header (struct rpcmon_frame_record + bytes):
	 * user space reassembles the datagram and classifies it like a pcap frame. */
	RPCMON_REC_IP_FRAGMENT = 2,
};

/* rpcmon_record_header.flags */
enum rpcmon_record_flags {
	RPCMON_RECF_TRUNCATED = 1 << 0, /* payload longer than the snap length; tail not copied */
	/* Some of the skipped_before bytes were lost (ring buffer full), not skipped on purpose. */
	RPCMON_RECF_LOSS_BEFORE = 1 << 1,
	/* The flow is tracked in the kernel (flow_track.h): every byte it does not deliver is
	 * reported in skipped_before, so user space need not infer losses from the peer's ACKs
	 * (bare ACKs of such flows are not delivered at all). */
	RPCMON_RECF_TRACKED = 1 << 2,
	/* More records of the same packet follow (a GSO/GRO super-packet is delivered as several
	 * records, each a contiguous piece of its payload; the last one carries FIN/RST). */
	RPCMON_RECF_MORE = 1 << 3,
	/* Bits 4-5: the TCP/UDP checksum as the kernel judged it (enum rpcmon_csum, shifted by
	 * RPCMON_RECF_CSUM_SHIFT). Every record of one packet carries the same verdict. */
	RPCMON_RECF_CSUM_MASK = 3 << 4,
};
#define RPCMON_RECF_CSUM_SHIFT 4

/* Checksum verdicts (record flags bits 4-5). XDP has no checksum metadata, so the kernel sums the
 * L4 bytes itself, only for classified ingress packets it delivers (or whose bytes the flow
 * tracker would read): non-RPC traffic and skipped bulk data pay nothing. */
enum rpcmon_csum {
	/* Not judged: egress (this host's own packets, whose checksum the stack or NIC fills in
	 * later), offline input (judged before classification, userspace/stream/checksum.h), or
	 * more than RPCMON_CSUM_MAX_LEN L4 bytes (a GSO/GRO super-packet: GRO validated it, GSO will
	 * be checksummed by the sender's stack or NIC; counted csum_not_checked). */
	RPCMON_CSUM_NOT_CHECKED = 0,
	RPCMON_CSUM_GOOD = 1,
	RPCMON_CSUM_BAD = 2,
	/* The field holds only the pseudo-header sum (Linux CHECKSUM_PARTIAL): legitimate from a veth
	 * peer with transmit offload, but a real NIC never delivers it and an attacker can forge it.
	 * Undecided, like BAD data: user space holds such a segment until a good copy of its bytes
	 * (then it was an insertion) or the peer's ACK covering it (then the host took it). */
	RPCMON_CSUM_PARTIAL = 3,
};
/* L4 bytes (header + payload) the kernel sums at most: MTU and jumbo frames. Longer packets are
 * super-packets (see RPCMON_CSUM_NOT_CHECKED). */
#define RPCMON_CSUM_MAX_LEN 16384

/* Where a packet was seen. */
enum rpcmon_hook {
	RPCMON_HOOK_XDP = 1,       /* XDP, ingress */
	RPCMON_HOOK_SOCKET = 2,    /* socket filter on AF_PACKET, egress only (ingress is XDP's) */
	RPCMON_HOOK_PCAP = 3,      /* offline: a pcap file run through the same classifier */
	RPCMON_HOOK_SOCKET_INGRESS = 4, /* socket filter, ingress: only when XDP is not attached */
};

/* Which side of the RPC conversation sent the packet, decided from the matched server endpoint. */
enum rpcmon_role {
	RPCMON_ROLE_UNKNOWN = 0,
	RPCMON_ROLE_TO_SERVER = 1,   /* destination is the RPC server endpoint (call direction) */
	RPCMON_ROLE_FROM_SERVER = 2, /* source is the RPC server endpoint (reply direction) */
};

/* Application protocol guess made in the kernel; user space confirms by parsing. */
enum rpcmon_app {
	RPCMON_APP_NONE = 0,
	RPCMON_APP_ONC = 1,     /* ONC RPC (portmapper, NFS, MOUNT, NLM, ...) */
	RPCMON_APP_DCERPC = 2,  /* DCE/RPC directly over TCP/UDP (135, dynamic ports) */
	RPCMON_APP_SMB = 3,     /* SMB over TCP 445 (direct NetBIOS session framing) */
	RPCMON_APP_NBSS = 4,    /* NetBIOS session service, TCP 139 */
	RPCMON_APP_COUNT        /* number of values; user space has one descriptor per value */
};

/* Why a packet was classified. */
enum rpcmon_match {
	RPCMON_MATCH_NONE = 0,
	RPCMON_MATCH_PORT = 1,      /* well-known server port */
	RPCMON_MATCH_WATCHED = 2,   /* (address, port) in the watched map */
	RPCMON_MATCH_SIGNATURE = 3, /* payload looks like an ONC RPC call or a DCE/RPC v5 header */
};

/* Per-CPU counters (array map "counters", one slot per id). Names for user space are in
 * counterName() in userspace/capture/pcap_source.cc; keep the two lists in the same order. */
enum rpcmon_counter {
	RPCMON_CNT_PACKETS_SEEN = 0,
	RPCMON_CNT_BYTES_SEEN,         /* XDP: the linear part of a multi-buffer frame (cheap) */
	RPCMON_CNT_PACKETS_CLASSIFIED,
	RPCMON_CNT_BYTES_CLASSIFIED,
	RPCMON_CNT_RINGBUF_DROPS,      /* bpf_ringbuf_output failed: ring full */
	RPCMON_CNT_TRUNCATED_HEADERS,  /* L2/L3/L4 header shorter than it claims */
	RPCMON_CNT_NON_IP,
	RPCMON_CNT_IP_FRAGMENTS,       /* non-first IP fragments: no L4 header to classify */
	RPCMON_CNT_SIGNATURE_LEARNED,  /* server endpoints added to the watched map by signature */
	RPCMON_CNT_WATCHED_FULL,       /* watched map update failed */
	RPCMON_CNT_BYTES_DELIVERED,    /* ring-buffer record bytes submitted (header + payload) */
	RPCMON_CNT_BULK_BYTES_SKIPPED, /* payload bytes of tracked flows not delivered: bulk data */
	RPCMON_CNT_BULK_PACKETS_SKIPPED, /* segments with nothing to deliver (all bulk data) */
	RPCMON_CNT_ACKS_SUPPRESSED,    /* bare ACKs of tracked flows not delivered */
	RPCMON_CNT_FLOWS_TRACKED,      /* flow directions the kernel started tracking */
	RPCMON_CNT_TRACK_LOST_SYNC,    /* tracked flow lost message framing: delivers everything */
	RPCMON_CNT_TRACK_RESYNC,       /* framing found again at a segment start (or picked up) */
	RPCMON_CNT_SUPER_PACKETS,      /* packets delivered as several records (GSO/GRO, jumbo) */
	RPCMON_CNT_EXTRA_RECORDS,      /* records beyond the first of such packets */
	RPCMON_CNT_CUT_PACKETS,        /* packets whose needed payload was cut (cap or record bound) */
	RPCMON_CNT_CUT_BYTES,          /* needed payload bytes not delivered: user space sees a gap */
	RPCMON_CNT_FRAGMENTS_DELIVERED, /* IP fragments handed to user space for reassembly */
	RPCMON_CNT_FRAGMENT_BUDGET_DROPS, /* fragments over their source's budget: not delivered */
	/* Checksum verdicts of ingress TCP/UDP packets judged (enum rpcmon_csum); live only. */
	RPCMON_CNT_CSUM_GOOD,
	RPCMON_CNT_CSUM_BAD,
	RPCMON_CNT_CSUM_PARTIAL,
	RPCMON_CNT_CSUM_NOT_CHECKED,   /* ingress packets longer than RPCMON_CSUM_MAX_LEN */
	/* Tracked segments with a bad or partial checksum where the tracker would have read message
	 * headers: it takes no framing from them (the flow delivers everything until a good
	 * segment starts a message), so an insertion cannot make it skip the real bytes. */
	RPCMON_CNT_TRACK_CSUM_UNSURE,
	RPCMON_CNT_MAX,
};

/* Transport flow as seen on the wire (source = sender of this packet). IPv4 addresses are
 * stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one key type serves both families. */
struct rpcmon_flow_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u8 family; /* 4 or 6 */
	__u8 l4proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u16 vlan_id; /* 0 = untagged */
};

/* Common header of every ring-buffer record (Tetragon style). */
struct rpcmon_record_header {
	__u16 type;  /* enum rpcmon_record_type */
	__u16 flags; /* enum rpcmon_record_flags */
	__u32 size;  /* total record size in bytes, header included */
	__u64 timestamp_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns); pcap: wall clock */
};

/* One classified packet. Followed by captured_len payload bytes (the L4 payload prefix). */
struct rpcmon_packet_record {
	struct rpcmon_record_header hdr;
	struct rpcmon_flow_tuple flow;
	__u32 ifindex;
	__u32 tcp_seq;
	__u32 tcp_ack;
	__u8 tcp_flags;  /* FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 */
	__u8 hook;       /* enum rpcmon_hook */
	__u8 role;       /* enum rpcmon_role */
	__u8 app;        /* enum rpcmon_app */
	__u8 match;      /* enum rpcmon_match */
	__u8 pad[3];
	__u32 payload_len;  /* L4 payload length on the wire */
	__u32 captured_len; /* bytes that follow this struct */
	/* Bytes just before tcp_seq that the kernel did not deliver since this flow's previous
	 * record: bulk data skipped on purpose (see flow_track.h), plus records lost to a full ring
	 * (flag RPCMON_RECF_LOSS_BEFORE). User space turns them into an explicit stream gap. */
	__u32 skipped_before;
	__u8 payload[];
};

/* One IP fragment (RPCMON_REC_IP_FRAGMENT), followed by captured_len bytes of the frame from
 * its MAC header (Ethernet, as classify.h reads it). */
struct rpcmon_frame_record {
	struct rpcmon_record_header hdr;
	__u32 ifindex;
	__u8 hook;   /* enum rpcmon_hook */
	__u8 pad[3];
	__u32 frame_len;    /* bytes of the frame on the wire */
	__u32 captured_len; /* bytes that follow (less than frame_len: cut, counted in user space) */
	__u8 frame[];
};

/* Largest fragment frame delivered whole (a 9000-byte jumbo MTU plus headers). Power of two. */
#define RPCMON_MAX_FRAGMENT_CAPTURE 16384
/* Per source address and second, fragment bytes delivered to user space; a flood beyond it
 * from one source is counted (fragment_budget_drops) and cannot starve the ring for others. */
#define RPCMON_FRAGMENT_BUDGET_BYTES (1u << 20)
#define RPCMON_FRAGMENT_BUDGET_ENTRIES 4096

/* Key of the watched-endpoint map: an RPC server endpoint learned at run time (portmapper and
 * endpoint-mapper replies, or a signature match). */
struct rpcmon_endpoint_key {
	__u8 addr[16]; /* IPv4-mapped for IPv4 */
	__u16 port;    /* host byte order */
	__u8 l4proto;
	__u8 pad;
};

struct rpcmon_endpoint_value {
	__u8 app;    /* enum rpcmon_app to report for this endpoint */
	__u8 origin; /* enum rpcmon_match: who added it (WATCHED = user space, SIGNATURE = kernel) */
	__u16 pad;
	__u32 program; /* ONC program number or 0; informational */
	__u64 added_ns;
	/* When user space removes the entry: live, CLOCK_MONOTONIC ns; offline, capture time.
	 * Learned endpoints expire (a port can be reused by another service); the LRU map bounds
	 * the count, this bounds the age. */
	__u64 expires_ns;
};

/* Kernel-side message tracking of one TCP flow direction (flow_track.h). Keyed by the flow
 * tuple plus the interface, so a flow routed through two monitored interfaces is tracked once
 * per interface. Sequence numbers are TCP sequence numbers (mod 2^32). */
struct rpcmon_track_key {
	struct rpcmon_flow_tuple flow;
	__u32 ifindex;
};

struct rpcmon_flow_track {
	__u32 next_seq;      /* sequence number of the next payload byte expected */
	__u32 msg_end;       /* where the current message ends: the next message header starts */
	__u32 keep_end;      /* bytes of the current message from here to msg_end are bulk data */
	__u32 delivered_end; /* end of the last payload delivered or reported as skipped */
	__u8 state;          /* enum rpcmon_track_state */
	__u8 hdr_have;       /* bytes of a message header cut by a segment end, kept in hdr */
	__u8 loss;           /* a record of this flow was lost to a full ring since the last one */
	/* The peer sent segments whose checksum user space must decide by this direction's ACK:
	 * bare ACKs are delivered until one covers ack_wanted_end (peer's sequence numbers). */
	__u8 ack_wanted;
	__u8 hdr[4];
	/* The skipped tail of the previous bulk message: late or retransmitted segments inside it
	 * are skipped too. */
	__u32 prev_bulk_lo;
	__u32 prev_bulk_hi;
	__u32 ack_wanted_end;
	/* Framing read from a segment with a bad or partial checksum is tentative until the host's
	 * ACK covers tent_end: meanwhile nothing is skipped (segments go whole), and a second copy
	 * of bytes below tent_end makes the flow LOST. */
	__u32 tent_end;
	__u8 tentative;
	__u8 pad2[3];
};

#define RPCMON_TRACK_MAX_ENTRIES 65536
/* Messages larger than this are bulk (NFS READ/WRITE data, SMB file data): only their first
 * RPCMON_BULK_PREFIX bytes are delivered. Smaller messages, and SMB messages that carry a
 * DCE/RPC PDU, are always delivered whole. */
#define RPCMON_BULK_THRESHOLD 16384
/* Covers the headers a decoder reads: ONC RPC call with a full AUTH_SYS credential (up to
 * 400 bytes) + NFS file handle + offset/count; SMB2 READ/WRITE header (116 bytes). */
#define RPCMON_BULK_PREFIX 512
/* Larger claimed messages are not trusted for skipping (a hostile length could hide what
 * follows): the flow falls back to delivering everything. SMB2 caps I/O at 8 MiB. */
#define RPCMON_BULK_MAX_MESSAGE (16u << 20)

/* Port prefilter: one bit per port, set when any watched endpoint uses that port, so a packet
 * on an unwatched port costs one inlined array lookup instead of two hash lookups. */
#define RPCMON_PORT_BITMAP_WORDS (65536 / 64)

#define RPCMON_WATCHED_MAX_ENTRIES 8192
/* Lifetime of an endpoint the kernel learned from a payload signature (rodata
 * cfg_signature_ttl_ns may override): long enough for a session, short enough that a reused
 * port is not watched forever. */
#define RPCMON_SIGNATURE_TTL_NS (600ull * 1000000000ull)
#define RPCMON_RINGBUF_DEFAULT_BYTES (8u << 20)

#ifdef __cplusplus
static_assert(sizeof(struct rpcmon_flow_tuple) == 40, "flow tuple layout");
static_assert(sizeof(struct rpcmon_record_header) == 16, "record header layout");
static_assert(sizeof(struct rpcmon_packet_record) == 88, "packet record layout");
static_assert(__builtin_offsetof(struct rpcmon_packet_record, payload) == 88, "payload offset");
static_assert(sizeof(struct rpcmon_endpoint_key) == 20, "endpoint key layout");
static_assert(sizeof(struct rpcmon_endpoint_value) == 24, "endpoint value layout");
static_assert(sizeof(struct rpcmon_track_key) == 44, "track key layout");
static_assert(sizeof(struct rpcmon_flow_track) == 44, "flow track layout");
static_assert(sizeof(struct rpcmon_frame_record) == 32, "frame record layout");
static_assert((RPCMON_RECF_CSUM_MASK & (RPCMON_RECF_TRUNCATED | RPCMON_RECF_LOSS_BEFORE | RPCMON_RECF_TRACKED |
				       RPCMON_RECF_MORE)) == 0, "checksum verdict bits overlap other flags");
static_assert((RPCMON_CSUM_PARTIAL << RPCMON_RECF_CSUM_SHIFT) == RPCMON_RECF_CSUM_MASK, "verdict field width");
#else
_Static_assert(sizeof(struct rpcmon_flow_tuple) == 40, "flow tuple layout");
_Static_assert(sizeof(struct rpcmon_record_header) == 16, "record header layout");
_Static_assert(sizeof(struct rpcmon_packet_record) == 88, "packet record layout");
_Static_assert(sizeof(struct rpcmon_endpoint_key) == 20, "endpoint key layout");
_Static_assert(sizeof(struct rpcmon_endpoint_value) == 24, "endpoint value layout");
_Static_assert(sizeof(struct rpcmon_track_key) == 44, "track key layout");
_Static_assert(sizeof(struct rpcmon_flow_track) == 44, "flow track layout");
_Static_assert(sizeof(struct rpcmon_frame_record) == 32, "frame record layout");
_Static_assert((RPCMON_RECF_CSUM_MASK & (RPCMON_RECF_TRUNCATED | RPCMON_RECF_LOSS_BEFORE | RPCMON_RECF_TRACKED |
					RPCMON_RECF_MORE)) == 0, "checksum verdict bits overlap other flags");
_Static_assert((RPCMON_CSUM_PARTIAL << RPCMON_RECF_CSUM_SHIFT) == RPCMON_RECF_CSUM_MASK, "verdict field width");
#endif

#endif /* RPCMON_WIRE_H */
