// SPDX-License-Identifier: GPL-2.0
/* USDT fixtures: libbpf's usdt.bpf.h reads the arguments; the tests read the values back from .bss. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * usdt.bpf.h asks for LINUX_HAS_BPF_COOKIE, a .kconfig extern libbpf fills in. The loader does not resolve
 * .kconfig externs yet, so the fixture defines it (every kernel these tests run on has bpf cookies).
 */
#undef __kconfig
#define __kconfig = 1
#include <bpf/usdt.bpf.h>
#undef __kconfig

__u64 args_calls;
__s64 args_first_sum;
__s64 args_small_sum;
__s64 args_memory_sum;
__s64 args_last_small;
__s64 args_count;
__s64 args_cookie;
__u64 guarded_calls;
__s64 guarded_sum;
__u64 twice_calls;
__s64 twice_sum;
__u64 lib_calls;
__s64 lib_sum;

SEC("usdt")
int BPF_USDT(on_args, int i, short small, long in_memory)
{
	__sync_fetch_and_add(&args_calls, 1);
	__sync_fetch_and_add(&args_first_sum, i);
	__sync_fetch_and_add(&args_small_sum, small);
	__sync_fetch_and_add(&args_memory_sum, in_memory);
	args_last_small = small;
	args_count = bpf_usdt_arg_cnt(ctx);
	args_cookie = bpf_usdt_cookie(ctx);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_guarded, int v)
{
	__sync_fetch_and_add(&guarded_calls, 1);
	__sync_fetch_and_add(&guarded_sum, v);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_twice, long v)
{
	__sync_fetch_and_add(&twice_calls, 1);
	__sync_fetch_and_add(&twice_sum, v);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_lib, int a, int b)
{
	__sync_fetch_and_add(&lib_calls, 1);
	__sync_fetch_and_add(&lib_sum, a + b);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
