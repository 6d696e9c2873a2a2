/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/* Records of the host-socket source (bpf/hostsock.bpf.c), shared by the BPF side and user
 * space: messages read and written on Samba's named-pipe hand-off sockets
 * (`<ncalrpc dir>/np/<pipe>`, unix stream sockets), captured at syscall (or fexit) exit. */
#ifndef RPCMON_HOST_WIRE_H
#define RPCMON_HOST_WIRE_H

#include "rpcmon/wire.h"

/* Record type of struct rpcmon_host_msg_record in rpcmon_record_header.type. Kept apart from
 * wire.h's enum rpcmon_record_type (checked to differ in userspace/pipeline/pipeline.cc). */
#define RPCMON_REC_HOST_MSG 16

/* Record type of struct rpcmon_host_conn_record: a TCP connection this host's process made
 * (connect) or took (accept), for process attribution of wire records. */
#define RPCMON_REC_HOST_CONN 17

/* Payload bytes per record: a syscall moving more is split into several records (offset). */
#define RPCMON_HOST_CHUNK 8192
/* Records per syscall (RPCMON_HOST_MAX_CHUNKS * RPCMON_HOST_CHUNK = 256 KiB); the rest of a
 * bigger transfer is cut (host_truncated_bytes). Samba moves at most one 64 KiB message plus
 * its 2-byte header per call. */
#define RPCMON_HOST_MAX_CHUNKS 32
/* iovec entries followed per readv/writev/sendmsg/recvmsg (Samba uses one or two). */
#define RPCMON_HOST_MAX_IOV 16
/* Pipe name bytes carried (the last path component; Samba's longest is 12). */
#define RPCMON_HOST_PIPE_NAME 32

enum rpcmon_host_dir {
	RPCMON_HOST_RECV = 0, /* the process read the bytes (server end: client -> server) */
	RPCMON_HOST_SEND = 1, /* the process wrote them (server end: server -> client) */
};

enum rpcmon_host_flags {
	RPCMON_HOSTF_EOF = 1 << 0,       /* a read returned 0: the peer closed (no payload) */
	RPCMON_HOSTF_TRUNCATED = 1 << 1, /* bytes after this record were not copied */
	RPCMON_HOSTF_COPY_FAILED = 1 << 2, /* the user buffer could not be read (gap) */
};

/* enum order = JSON names in HOST_COUNTER_NAMES (userspace/host/host_source.cc). */
enum rpcmon_host_counter {
	RPCMON_HOST_CNT_SYSCALLS_MATCHED = 0, /* reads/writes on an np/ socket */
	RPCMON_HOST_CNT_RECORDS,              /* records written to the ring */
	RPCMON_HOST_CNT_BYTES_COPIED,
	RPCMON_HOST_CNT_RINGBUF_DROPS,        /* ring full: record lost (user space sees a gap) */
	RPCMON_HOST_CNT_TRUNCATED_BYTES,      /* bytes of transfers beyond the per-syscall budget */
	RPCMON_HOST_CNT_COPY_FAILURES,        /* bpf_probe_read_user failed */
	RPCMON_HOST_CNT_PEEK_SKIPPED,         /* MSG_PEEK reads (not consumed: not copied) */
	RPCMON_HOST_CNT_PENDING_FULL,         /* enter->exit table full: transfer not seen */
	RPCMON_HOST_CNT_EOF,
	RPCMON_HOST_CNT_CONNECTIONS,          /* connect/accept records (process attribution) */
	RPCMON_HOST_CNT_MAX,
};

/* One chunk of one read/write on an np/ socket. Followed by captured_len payload bytes. */
struct rpcmon_host_msg_record {
	struct rpcmon_record_header hdr; /* type RPCMON_REC_HOST_MSG, flags enum rpcmon_host_flags */
	__u64 sock_id;    /* kernel struct sock address: the same socket after SCM_RIGHTS fd passing;
	                   * an identity only, never printed */
	__u64 sock_ino;   /* inode number of the socket (with sock_id: survives address reuse) */
	__u32 pid;        /* thread id */
	__u32 tgid;       /* process id */
	__u32 uid;
	__u32 total_len;  /* bytes the syscall moved */
	__u32 offset;     /* where this chunk starts within them */
	__u32 captured_len;
	__u8 direction;   /* enum rpcmon_host_dir */
	__u8 syscall;     /* enum rpcmon_host_syscall */
	__u8 pad[6];
	char comm[16];
	char pipe[RPCMON_HOST_PIPE_NAME]; /* socket file name (NUL padded) */
};

enum rpcmon_host_syscall {
	RPCMON_HOST_SYS_READ = 0,
	RPCMON_HOST_SYS_READV,
	RPCMON_HOST_SYS_RECVMSG,
	RPCMON_HOST_SYS_RECVFROM,
	RPCMON_HOST_SYS_WRITE,
	RPCMON_HOST_SYS_WRITEV,
	RPCMON_HOST_SYS_SENDMSG,
	RPCMON_HOST_SYS_SENDTO,
	RPCMON_HOST_SYS_UNIX_SENDMSG, /* fentry/fexit on unix_stream_sendmsg (any write call) */
	RPCMON_HOST_SYS_UNIX_RECVMSG, /* fentry/fexit on unix_stream_recvmsg (any read call) */
};

enum rpcmon_host_conn_role {
	RPCMON_HOST_CONN_CLIENT = 0, /* connect(): the process is the caller */
	RPCMON_HOST_CONN_SERVER = 1, /* accept(): the process serves the connection */
};

/* One TCP connection and the process on this host behind it (addresses IPv4-mapped): from
 * the connect/accept hooks, or from the /proc scan at start-up (userspace/host/proc_scan.h). */
struct rpcmon_host_conn_record {
	struct rpcmon_record_header hdr; /* type RPCMON_REC_HOST_CONN */
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;  /* host byte order */
	__u16 remote_port; /* host byte order */
	__u8 role;         /* enum rpcmon_host_conn_role */
	__u8 pad[3];
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 netns;       /* inode of the socket's network namespace (0: unknown) */
	char comm[16];
};

#ifdef __cplusplus
#include <cstddef>
static_assert(sizeof(struct rpcmon_host_conn_record) == 16 + 32 + 8 + 16 + 16, "conn record layout");
static_assert(sizeof(struct rpcmon_host_msg_record) == 16 + 8 + 8 + 6 * 4 + 8 + 16 + RPCMON_HOST_PIPE_NAME,
              "host record layout is shared with the BPF side");
static_assert(offsetof(struct rpcmon_host_msg_record, sock_id) == 16, "header first");
static_assert(offsetof(struct rpcmon_host_msg_record, comm) == 64, "host record layout");
static_assert(sizeof(struct rpcmon_host_msg_record) % 8 == 0, "records stay 8-byte aligned");
#endif

#endif /* RPCMON_HOST_WIRE_H */
