// Tracing fixtures for the link tests: each program counts events of one process (target_tgid, set by the
// test through the .bss mmap) so that other processes on the machine do not disturb the counts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NR_GETPID_X86_64 39

int target_tgid;
__u64 tp_count;
__u64 tp_cookie;
__u64 raw_count;
__u64 raw_count2;
__u64 btf_count;
__u64 btf_cookie;
__u64 perf_count;
int writable_err;

static __always_inline int mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_tgid;
}

SEC("tp/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
	if (!mine())
		return 0;
	__sync_fetch_and_add(&tp_count, 1);
	tp_cookie = bpf_get_attach_cookie(ctx);
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_getpid(struct bpf_raw_tracepoint_args *ctx)
{
	if (!mine() || ctx->args[1] != NR_GETPID_X86_64)
		return 0;
	__sync_fetch_and_add(&raw_count, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_getpid_second(struct bpf_raw_tracepoint_args *ctx)
{
	if (!mine() || ctx->args[1] != NR_GETPID_X86_64)
		return 0;
	__sync_fetch_and_add(&raw_count2, 1);
	return 0;
}

// tp_btf: the arguments of the tracepoint's BTF prototype (regs, id) as an array of u64.
SEC("tp_btf/sys_enter")
int btf_getpid(__u64 *ctx)
{
	if (!mine() || ctx[1] != NR_GETPID_X86_64)
		return 0;
	__sync_fetch_and_add(&btf_count, 1);
	btf_cookie = bpf_get_attach_cookie(ctx);
	return 0;
}

// Writable raw tracepoint: bpf_test_finish hands its result code by pointer; overwrite it for this process.
SEC("raw_tp.w/bpf_test_finish")
int set_test_err(struct bpf_raw_tracepoint_args *ctx)
{
	int *err = (int *)ctx->args[0];

	if (!mine() || writable_err == 0)
		return 0;
	*err = writable_err;
	return 0;
}

SEC("perf_event")
int count_sample(void *ctx)
{
	__sync_fetch_and_add(&perf_count, 1);
	return 0;
}



// No target in these sections: auto-attach skips the raw tracepoint; the tp_btf one cannot even load until it
// is given a target (ProgramDef.attachTarget), so it is off by default.
SEC("raw_tp")
int raw_unnamed(void *ctx)
{
	return 0;
}

SEC("?tp_btf")
int btf_unnamed(__u64 *ctx)
{
	if (!mine() || ctx[1] != NR_GETPID_X86_64)
		return 0;
	__sync_fetch_and_add(&btf_count, 1);
	return 0;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
