// SPDX-License-Identifier: GPL-2.0-only
/* Host-socket source: the bytes read and written on Samba's named-pipe hand-off sockets
 * (unix stream sockets bound under `<ncalrpc dir>/np/`), where smbd passes each named pipe to
 * samba-dcerpcd / rpcd_* after SMB3 decryption. Two hook types, chosen at start-up by the
 * loader (userspace/loader/hostsock_loader.cc): fentry/fexit on unix_stream_sendmsg/recvmsg
 * where the kernel allows them (they run for unix stream sockets only), else syscall
 * tracepoints on the read/write family (every read and write on the host pays the fd lookup).
 * Either way the enter side resolves the socket -> unix_sock -> bound path with CO-RE reads and
 * remembers only transfers on np/ sockets; the exit side copies the bytes actually moved
 * (Samba's sockets are non-blocking: the request size means nothing).
 *
 * Only the server end is captured: the socket accept() returned, which carries the listener's
 * address (the connecting end has none). It sees the whole conversation once - requests as
 * reads, replies as writes - and survives the SCM_RIGHTS hand-off from samba-dcerpcd to
 * rpcd_* (same struct sock). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "rpcmon/host_wire.h"

char LICENSE[] SEC("license") = "GPL";

/* Minimal kernel types for CO-RE (field offsets are relocated against the running kernel's
 * BTF; only the fields named here are read). */
struct file {
	void *private_data;
	struct inode *f_inode;
} __attribute__((preserve_access_index));
struct inode {
	unsigned short i_mode;
	unsigned long i_ino;
} __attribute__((preserve_access_index));
struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));
struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));
struct task_struct {
	struct files_struct *files;
} __attribute__((preserve_access_index));
struct in6_addr___rpcmon {
	unsigned char s6_addr[16];
};
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));
struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));
typedef struct {
	struct net *net;
} __attribute__((preserve_access_index)) possible_net_t;
struct sock_common {
	possible_net_t skc_net;
	unsigned short skc_family;
	unsigned int skc_daddr;
	unsigned int skc_rcv_saddr;
	unsigned short skc_dport;  /* network byte order */
	unsigned short skc_num;    /* host byte order */
	struct in6_addr___rpcmon skc_v6_daddr;
	struct in6_addr___rpcmon skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));
struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));
struct socket {
	short type;
	struct file *file;
	struct sock *sk;
} __attribute__((preserve_access_index));
struct sockaddr_un {
	unsigned short sun_family;
	char sun_path[108];
} __attribute__((preserve_access_index));
struct unix_address {
	int len;
	struct sockaddr_un name[];
} __attribute__((preserve_access_index));
struct unix_sock {
	struct sock sk;
	struct unix_address *addr;
} __attribute__((preserve_access_index));

/* UAPI (user memory, fixed layout; the kernel's struct iovec has the same). */
struct hs_iovec {
	__u64 base;
	__u64 len;
};

/* The message iterator the fentry side reads (kernel 6.0+: ubuf; 6.4 renamed iov to __iov). */
enum iter_type {
	ITER_UBUF = 0,
	ITER_IOVEC = 1,
};
struct iov_iter {
	__u8 iter_type;
	__u64 iov_offset;
	const struct hs_iovec *__iov;
	void *ubuf;
	unsigned long nr_segs;
} __attribute__((preserve_access_index));
struct msghdr {
	struct iov_iter msg_iter;
} __attribute__((preserve_access_index));
struct iov_iter___pre64 {
	const struct hs_iovec *iov;
} __attribute__((preserve_access_index));
struct msghdr___pre64 {
	struct iov_iter___pre64 msg_iter;
} __attribute__((preserve_access_index));
struct hs_user_msghdr {
	__u64 msg_name;
	__s32 msg_namelen;
	__u32 pad;
	__u64 msg_iov;
	__u64 msg_iovlen;
};

/* Syscall tracepoint contexts (tracefs format: common fields, __syscall_nr, then 8-byte args). */
struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};
struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

#define HS_S_IFMT 00170000
#define HS_S_IFSOCK 0140000
#define HS_AF_UNIX 1
#define HS_AF_INET 2
#define HS_AF_INET6 10
#define HS_SOCK_STREAM 1
#define HS_MSG_PEEK 2

/* What the enter side found, for the exit side of the same thread. */
struct pending {
	__u64 sock_id;
	__u64 sock_ino;
	__u64 buf;    /* plain buffer, or the iovec array */
	__u64 first_off; /* bytes of the first iovec entry already consumed (fentry: iov_offset) */
	__u32 iovcnt; /* 0: plain buffer */
	__u8 syscall;
	__u8 direction;
	__u8 iov_kernel; /* the iovec array is kernel memory (fentry), else user memory */
	__u8 pad;
	char pipe[RPCMON_HOST_PIPE_NAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* threads inside a read/write on an np/ socket at once */
	__type(key, __u64);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} host_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RPCMON_HOST_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} host_counters SEC(".maps");

/* Where the copy of one transfer stands. Kept in the per-CPU map value, not on the stack:
 * values loaded from a map are unknown to the verifier, so it checks one bpf_loop step once
 * instead of following every turn with exact numbers. */
struct copy_state {
	__u64 iov;
	__u32 iovcnt, seg;
	__u64 seg_base, seg_len, seg_off;
	__u64 left, done;
	__u32 failed, iov_kernel;
	__u64 first_off;
};

struct scratch {
	struct rpcmon_host_msg_record rec;
	__u8 data[RPCMON_HOST_CHUNK];
	struct copy_state c;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count(__u32 id, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&host_counters, &id);
	if (c)
		*c += n;
}

/* Fills sock id, inode and pipe name when `sock` is the server end of a unix stream socket
 * bound under a directory named "np"; returns -1 otherwise. */
static __always_inline int np_sock(struct socket *sock, __u64 inode, struct pending *p)
{
	if (!sock || BPF_CORE_READ(sock, type) != HS_SOCK_STREAM)
		return -1;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != HS_AF_UNIX)
		return -1;
	struct unix_address *addr = BPF_CORE_READ((struct unix_sock *)sk, addr);
	if (!addr)
		return -1; /* the connecting end (smbd), or an unbound socket */
	int len = BPF_CORE_READ(addr, len);
	/* len counts sun_family (2 bytes) and the path, with or without its NUL. */
	int plen = len - 2;
	if (plen < 5 || plen > 108)
		return -1;
	char path[128] = {}; /* 128: indexes are masked with 127 for the verifier */
	/* Only the bytes the address holds: it is allocated to its length, and a longer read
	 * fails where the allocation ends near unmapped memory. */
	if (bpf_probe_read_kernel(path, plen & 127, &addr->name[0].sun_path))
		return -1;
	if (path[0] == 0)
		return -1; /* abstract socket */
	/* len may or may not count the path's NUL. */
	int end = plen;
	if (path[(end - 1) & 127] == 0)
		end--;
	/* Last '/' of the path, scanning back over at most the pipe-name length: the pipe name
	 * follows it and "/np" must precede it. Breaking at the first hit keeps the verifier's
	 * walk linear. */
	int slash = -1;
	for (int i = 1; i <= RPCMON_HOST_PIPE_NAME + 1; i++) {
		int idx = end - i;
		if (idx < 0)
			break;
		if (path[idx & 127] == '/') {
			slash = idx;
			break;
		}
	}
	if (slash < 2 || slash + 1 >= end)
		return -1;
	if (path[(slash - 1) & 127] != 'p' || path[(slash - 2) & 127] != 'n')
		return -1;
	if (slash > 2 && path[(slash - 3) & 127] != '/')
		return -1;
	for (int i = 0; i < RPCMON_HOST_PIPE_NAME; i++) {
		int j = slash + 1 + i;
		p->pipe[i] = j < end ? path[j & 127] : 0;
	}
	p->sock_id = (__u64)sk;
	p->sock_ino = inode;
	return 0;
}

/* The np/ socket behind `fd` of the current task (np_sock). Returns -1 in the common case
 * after a few reads: not a socket. */
static __always_inline int np_socket(__u64 fd, struct pending *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return -1;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return -1;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!ino || (BPF_CORE_READ(ino, i_mode) & HS_S_IFMT) != HS_S_IFSOCK)
		return -1;
	return np_sock(BPF_CORE_READ(f, private_data), BPF_CORE_READ(ino, i_ino), p);
}

static __always_inline int remember(struct pending *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&pending, &id, p, BPF_ANY))
		count(RPCMON_HOST_CNT_PENDING_FULL, 1);
	else
		count(RPCMON_HOST_CNT_SYSCALLS_MATCHED, 1);
	return 0;
}

static __always_inline int on_enter(__u64 fd, __u64 buf, __u64 iovcnt, __u8 sys, __u8 dir)
{
	struct pending p = {};
	if (np_socket(fd, &p))
		return 0;
	p.buf = buf;
	p.iovcnt = iovcnt > RPCMON_HOST_MAX_IOV ? RPCMON_HOST_MAX_IOV : (__u32)iovcnt;
	p.syscall = sys;
	p.direction = dir;
	return remember(&p);
}

/* fentry side: the socket comes as an argument; the message's iterator says where the bytes
 * are (one user buffer for read/write, a kernel copy of the iovec array for readv/sendmsg). */
static __always_inline int on_unix_enter(struct socket *sock, struct msghdr *msg, __u8 sys, __u8 dir)
{
	struct pending p = {};
	if (np_sock(sock, BPF_CORE_READ(sock, file, f_inode, i_ino), &p))
		return 0;
	__u8 type = BPF_CORE_READ(msg, msg_iter.iter_type);
	__u64 off = BPF_CORE_READ(msg, msg_iter.iov_offset);
	if (type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
		p.buf = (__u64)BPF_CORE_READ(msg, msg_iter.ubuf) + off;
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		if (bpf_core_field_exists(msg->msg_iter.__iov))
			p.buf = (__u64)BPF_CORE_READ(msg, msg_iter.__iov);
		else
			p.buf = (__u64)BPF_CORE_READ((struct msghdr___pre64 *)msg, msg_iter.iov);
		unsigned long segs = BPF_CORE_READ(msg, msg_iter.nr_segs);
		p.iovcnt = segs > RPCMON_HOST_MAX_IOV ? RPCMON_HOST_MAX_IOV : (__u32)segs;
		p.iov_kernel = 1;
		p.first_off = off;
		if (!p.iovcnt)
			return 0;
	} else {
		return 0; /* kernel buffers (kvec, bvec): not a process's pipe traffic */
	}
	p.syscall = sys;
	p.direction = dir;
	return remember(&p);
}

static __always_inline int on_msg_enter(__u64 fd, __u64 umsg, __u64 flags, __u8 sys, __u8 dir)
{
	if (flags & HS_MSG_PEEK) {
		struct pending probe = {};
		if (!np_socket(fd, &probe))
			count(RPCMON_HOST_CNT_PEEK_SKIPPED, 1);
		return 0;
	}
	struct hs_user_msghdr m;
	if (bpf_probe_read_user(&m, sizeof(m), (void *)umsg))
		return 0;
	return on_enter(fd, m.msg_iov, m.msg_iovlen, sys, dir);
}

static __always_inline void fill_header(struct scratch *s, struct pending *p, __u64 id, __u32 total)
{
	s->rec.hdr.type = RPCMON_REC_HOST_MSG;
	s->rec.hdr.flags = 0;
	s->rec.hdr.timestamp_ns = bpf_ktime_get_ns();
	s->rec.sock_id = p->sock_id;
	s->rec.sock_ino = p->sock_ino;
	s->rec.pid = (__u32)id;
	s->rec.tgid = id >> 32;
	s->rec.uid = (__u32)bpf_get_current_uid_gid();
	s->rec.total_len = total;
	s->rec.direction = p->direction;
	s->rec.syscall = p->syscall;
	bpf_get_current_comm(s->rec.comm, sizeof(s->rec.comm));
	__builtin_memcpy(s->rec.pipe, p->pipe, sizeof(s->rec.pipe));
}

static __always_inline int emit(struct scratch *s, __u32 n)
{
	if (n > RPCMON_HOST_CHUNK)
		n = RPCMON_HOST_CHUNK;
	s->rec.captured_len = n;
	s->rec.hdr.size = sizeof(s->rec) + n;
	if (bpf_ringbuf_output(&host_events, s, sizeof(s->rec) + n, 0)) {
		count(RPCMON_HOST_CNT_RINGBUF_DROPS, 1);
		return -1;
	}
	count(RPCMON_HOST_CNT_RECORDS, 1);
	count(RPCMON_HOST_CNT_BYTES_COPIED, n);
	return 0;
}

/* One turn of the copy: moves to the next iovec entry, or copies and emits one chunk. */
static long copy_step(__u64 index, void *ctx)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 1;
	struct copy_state *c = &s->c;
	if (!c->left)
		return 1;
	if (c->seg_off >= c->seg_len) {
		/* next iovec entry (zero-length entries cost one turn each) */
		if (!c->iovcnt || c->seg >= c->iovcnt)
			return 1;
		struct hs_iovec v;
		void *at = (void *)(c->iov + c->seg * sizeof(v));
		if (c->iov_kernel ? bpf_probe_read_kernel(&v, sizeof(v), at) : bpf_probe_read_user(&v, sizeof(v), at))
			return 1;
		c->seg_base = v.base;
		c->seg_len = v.len;
		c->seg_off = c->seg ? 0 : c->first_off; /* the iterator may start inside entry 0 */
		c->seg++;
		return 0;
	}
	__u64 n = c->seg_len - c->seg_off;
	if (n > c->left)
		n = c->left;
	if (n > RPCMON_HOST_CHUNK)
		n = RPCMON_HOST_CHUNK;
	__u32 cn = n;
	s->rec.offset = c->done;
	s->rec.hdr.flags = 0;
	if (cn > RPCMON_HOST_CHUNK)
		return 1;
	if (bpf_probe_read_user(s->data, cn, (void *)(c->seg_base + c->seg_off))) {
		count(RPCMON_HOST_CNT_COPY_FAILURES, 1);
		s->rec.hdr.flags = RPCMON_HOSTF_COPY_FAILED;
		emit(s, 0);
		c->failed = 1;
		return 1;
	}
	if (emit(s, cn)) {
		c->failed = 1;
		return 1;
	}
	c->seg_off += n;
	c->done += n;
	c->left -= n;
	return 0;
}

static __always_inline int on_exit(__s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *pp = bpf_map_lookup_elem(&pending, &id);
	if (!pp)
		return 0;
	struct pending p = *pp;
	bpf_map_delete_elem(&pending, &id);
	if (ret < 0)
		return 0; /* EAGAIN and errors move nothing */
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	__u32 total = ret > 0xffffffffll ? 0xffffffffu : (__u32)ret;
	fill_header(s, &p, id, total);
	if (ret == 0) {
		if (p.direction != RPCMON_HOST_RECV)
			return 0;
		count(RPCMON_HOST_CNT_EOF, 1);
		s->rec.hdr.flags = RPCMON_HOSTF_EOF;
		s->rec.offset = 0;
		emit(s, 0);
		return 0;
	}
	s->c.iov = p.buf;
	s->c.iovcnt = p.iovcnt;
	s->c.seg = 0;
	s->c.seg_base = p.buf;
	s->c.seg_len = p.iovcnt ? 0 : total;
	s->c.seg_off = 0;
	s->c.left = total;
	s->c.done = 0;
	s->c.failed = 0;
	s->c.iov_kernel = p.iov_kernel;
	s->c.first_off = p.first_off;
	bpf_loop(RPCMON_HOST_MAX_CHUNKS + RPCMON_HOST_MAX_IOV, copy_step, NULL, 0);
	if (s->c.failed)
		return 0;
	__u64 left = s->c.left, done = s->c.done;
	if (left) {
		count(RPCMON_HOST_CNT_TRUNCATED_BYTES, left);
		s->rec.offset = done;
		s->rec.hdr.flags = RPCMON_HOSTF_TRUNCATED;
		emit(s, 0);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int hs_enter_read(struct sys_enter_ctx *ctx)
{
	return on_enter(ctx->args[0], ctx->args[1], 0, RPCMON_HOST_SYS_READ, RPCMON_HOST_RECV);
}
SEC("tracepoint/syscalls/sys_enter_write")
int hs_enter_write(struct sys_enter_ctx *ctx)
{
	return on_enter(ctx->args[0], ctx->args[1], 0, RPCMON_HOST_SYS_WRITE, RPCMON_HOST_SEND);
}
SEC("tracepoint/syscalls/sys_enter_readv")
int hs_enter_readv(struct sys_enter_ctx *ctx)
{
	if (!ctx->args[2])
		return 0;
	return on_enter(ctx->args[0], ctx->args[1], ctx->args[2], RPCMON_HOST_SYS_READV, RPCMON_HOST_RECV);
}
SEC("tracepoint/syscalls/sys_enter_writev")
int hs_enter_writev(struct sys_enter_ctx *ctx)
{
	if (!ctx->args[2])
		return 0;
	return on_enter(ctx->args[0], ctx->args[1], ctx->args[2], RPCMON_HOST_SYS_WRITEV, RPCMON_HOST_SEND);
}
SEC("tracepoint/syscalls/sys_enter_recvmsg")
int hs_enter_recvmsg(struct sys_enter_ctx *ctx)
{
	return on_msg_enter(ctx->args[0], ctx->args[1], ctx->args[2], RPCMON_HOST_SYS_RECVMSG, RPCMON_HOST_RECV);
}
SEC("tracepoint/syscalls/sys_enter_sendmsg")
int hs_enter_sendmsg(struct sys_enter_ctx *ctx)
{
	return on_msg_enter(ctx->args[0], ctx->args[1], 0, RPCMON_HOST_SYS_SENDMSG, RPCMON_HOST_SEND);
}
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int hs_enter_recvfrom(struct sys_enter_ctx *ctx)
{
	if (ctx->args[3] & HS_MSG_PEEK) {
		struct pending probe = {};
		if (!np_socket(ctx->args[0], &probe))
			count(RPCMON_HOST_CNT_PEEK_SKIPPED, 1);
		return 0;
	}
	return on_enter(ctx->args[0], ctx->args[1], 0, RPCMON_HOST_SYS_RECVFROM, RPCMON_HOST_RECV);
}
SEC("tracepoint/syscalls/sys_enter_sendto")
int hs_enter_sendto(struct sys_enter_ctx *ctx)
{
	return on_enter(ctx->args[0], ctx->args[1], 0, RPCMON_HOST_SYS_SENDTO, RPCMON_HOST_SEND);
}

#define EXIT_PROG(name)                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)        \
	int hs_exit_##name(struct sys_exit_ctx *ctx)      \
	{                                                 \
		return on_exit(ctx->ret);                 \
	}
EXIT_PROG(read)
EXIT_PROG(write)
EXIT_PROG(readv)
EXIT_PROG(writev)
EXIT_PROG(recvmsg)
EXIT_PROG(sendmsg)
EXIT_PROG(recvfrom)
EXIT_PROG(sendto)

/* fentry/fexit: the same capture inside the unix socket layer. Arguments come as the 64-bit
 * context array: unix_stream_sendmsg(sock, msg, len) returns in ctx[3],
 * unix_stream_recvmsg(sock, msg, size, flags) in ctx[4]. */
SEC("fentry/unix_stream_sendmsg")
int hs_fentry_send(unsigned long long *ctx)
{
	return on_unix_enter((struct socket *)ctx[0], (struct msghdr *)ctx[1], RPCMON_HOST_SYS_UNIX_SENDMSG,
			     RPCMON_HOST_SEND);
}
SEC("fexit/unix_stream_sendmsg")
int hs_fexit_send(unsigned long long *ctx)
{
	return on_exit((__s64)ctx[3]);
}
SEC("fentry/unix_stream_recvmsg")
int hs_fentry_recv(unsigned long long *ctx)
{
	if (ctx[3] & HS_MSG_PEEK) {
		struct pending probe = {};
		if (!np_sock((struct socket *)ctx[0], 0, &probe))
			count(RPCMON_HOST_CNT_PEEK_SKIPPED, 1);
		return 0;
	}
	return on_unix_enter((struct socket *)ctx[0], (struct msghdr *)ctx[1], RPCMON_HOST_SYS_UNIX_RECVMSG,
			     RPCMON_HOST_RECV);
}
SEC("fexit/unix_stream_recvmsg")
int hs_fexit_recv(unsigned long long *ctx)
{
	return on_exit((__s64)ctx[4]);
}

/* ---- process attribution: who made (connect) or took (accept) a TCP connection ---------- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64); /* fd */
} connecting SEC(".maps");

/* Emits the TCP socket behind `fd` with the current process. */
static __always_inline void conn_record(__u64 fd, __u8 role)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!ino || (BPF_CORE_READ(ino, i_mode) & HS_S_IFMT) != HS_S_IFSOCK)
		return;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, type) != HS_SOCK_STREAM)
		return;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != HS_AF_INET && family != HS_AF_INET6)
		return;
	struct rpcmon_host_conn_record r = {};
	r.hdr.type = RPCMON_REC_HOST_CONN;
	r.hdr.size = sizeof(r);
	r.hdr.timestamp_ns = bpf_ktime_get_ns();
	if (family == HS_AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		r.local_addr[10] = r.local_addr[11] = 0xff;
		r.remote_addr[10] = r.remote_addr[11] = 0xff;
		__builtin_memcpy(&r.local_addr[12], &l, 4);
		__builtin_memcpy(&r.remote_addr[12], &d, 4);
	} else {
		BPF_CORE_READ_INTO(&r.local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r.remote_addr, sk, __sk_common.skc_v6_daddr);
	}
	r.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	r.remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!r.remote_port)
		return; /* not connected (a failed connect) */
	r.role = role;
	/* The socket's network namespace: in a lab both ends are on one kernel, and the agent
	 * names the process on its own side of the link. */
	r.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	__u64 id = bpf_get_current_pid_tgid();
	r.pid = (__u32)id;
	r.tgid = id >> 32;
	r.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(r.comm, sizeof(r.comm));
	if (bpf_ringbuf_output(&host_events, &r, sizeof(r), 0))
		count(RPCMON_HOST_CNT_RINGBUF_DROPS, 1);
	else
		count(RPCMON_HOST_CNT_CONNECTIONS, 1);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int hs_enter_connect(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), fd = ctx->args[0];
	bpf_map_update_elem(&connecting, &id, &fd, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int hs_exit_connect(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *fd = bpf_map_lookup_elem(&connecting, &id);
	if (!fd)
		return 0;
	__u64 f = *fd;
	bpf_map_delete_elem(&connecting, &id);
	/* 0, or -EINPROGRESS (115) on a non-blocking socket: the ports are chosen by now */
	if (ctx->ret == 0 || ctx->ret == -115)
		conn_record(f, RPCMON_HOST_CONN_CLIENT);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int hs_exit_accept4(struct sys_exit_ctx *ctx)
{
	if (ctx->ret >= 0)
		conn_record(ctx->ret, RPCMON_HOST_CONN_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int hs_exit_accept(struct sys_exit_ctx *ctx)
{
	if (ctx->ret >= 0)
		conn_record(ctx->ret, RPCMON_HOST_CONN_SERVER);
	return 0;
}
