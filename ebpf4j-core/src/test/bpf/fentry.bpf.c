// The trampoline family: fentry, fexit, lsm and freplace. Kernels without BPF trampolines refuse to load them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int target_tgid;
__u64 fentry_count;
__u64 fexit_count;

static __always_inline int mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_tgid;
}

// getpid() calls __task_pid_nr_ns (syscall wrappers such as __x64_sys_getpid have no BTF).
SEC("fentry/__task_pid_nr_ns")
int on_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&fentry_count, 1);
	return 0;
}

SEC("fexit/__task_pid_nr_ns")
int on_getpid_exit(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&fexit_count, 1);
	return 0;
}

SEC("lsm/file_open")
int on_file_open(void *ctx)
{
	return 0;
}

// Replaces raw_getpid of the tracing fixture; loaded only on request (it needs that program).
SEC("?freplace/raw_getpid")
int replacement(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
