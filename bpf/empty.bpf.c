// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Baseline programs for the benchmark: the cost of running any XDP / socket filter at all. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("socket")
int empty_socket(struct __sk_buff *skb)
{
	return 0;
}
