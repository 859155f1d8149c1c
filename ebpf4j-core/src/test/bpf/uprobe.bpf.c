// SPDX-License-Identifier: GPL-2.0
/* Uprobe fixtures: counters and arguments the uprobe tests read back from .bss. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 add_calls;
__u64 add_arg_sum;
__u64 add_cookie;
__u64 ret_calls;
__s64 ret_sum;
__s64 ret_last;
__u64 lib_calls;
__u64 lib_arg_sum;
__u64 multi_calls;
__u64 multi_cookie_sum;
__u64 multi_ret_sum;

SEC("uprobe")
int BPF_KPROBE(on_add, int a, int b)
{
	__sync_fetch_and_add(&add_calls, 1);
	__sync_fetch_and_add(&add_arg_sum, a);
	add_cookie = bpf_get_attach_cookie(ctx);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(on_add_return, int ret)
{
	__sync_fetch_and_add(&ret_calls, 1);
	__sync_fetch_and_add(&ret_sum, ret);
	ret_last = ret;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(on_lib_add, int a, int b)
{
	__sync_fetch_and_add(&lib_calls, 1);
	__sync_fetch_and_add(&lib_arg_sum, b);
	return 0;
}

SEC("uprobe.multi")
int on_multi(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&multi_calls, 1);
	__sync_fetch_and_add(&multi_cookie_sum, bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("uretprobe.multi")
int on_multi_return(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&multi_ret_sum, PT_REGS_RC(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
