// A minimal TCP congestion control, "ebpf4j_cc", registered through a struct_ops link. It halves the window on
// loss, never grows it, and counts how often the kernel initialised it for a socket.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 init_calls;

SEC("struct_ops")
void BPF_PROG(ebpf4j_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops")
__u32 BPF_PROG(ebpf4j_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 half = tp->snd_cwnd >> 1;

	return half < 2 ? 2 : half;
}

SEC("struct_ops")
__u32 BPF_PROG(ebpf4j_undo_cwnd, struct sock *sk)
{
	return ((const struct tcp_sock *)sk)->snd_cwnd;
}

SEC("struct_ops")
void BPF_PROG(ebpf4j_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops ebpf4j_cc = {
	.init = (void *)ebpf4j_init,
	.ssthresh = (void *)ebpf4j_ssthresh,
	.undo_cwnd = (void *)ebpf4j_undo_cwnd,
	.cong_avoid = (void *)ebpf4j_cong_avoid,
	.name = "ebpf4j_cc",
};

// A second version under the same algorithm name, for updating the link in place.
__u64 init_calls_v2;

SEC("struct_ops")
void BPF_PROG(ebpf4j_init_v2, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls_v2, 1);
}

SEC("struct_ops")
__u32 BPF_PROG(ebpf4j_ssthresh_v2, struct sock *sk)
{
	return 2;
}

SEC("struct_ops")
__u32 BPF_PROG(ebpf4j_undo_cwnd_v2, struct sock *sk)
{
	return ((const struct tcp_sock *)sk)->snd_cwnd;
}

SEC("struct_ops")
void BPF_PROG(ebpf4j_cong_avoid_v2, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops ebpf4j_cc_v2 = {
	.init = (void *)ebpf4j_init_v2,
	.ssthresh = (void *)ebpf4j_ssthresh_v2,
	.undo_cwnd = (void *)ebpf4j_undo_cwnd_v2,
	.cong_avoid = (void *)ebpf4j_cong_avoid_v2,
	.name = "ebpf4j_cc",
};

char LICENSE[] SEC("license") = "GPL";
