// kprobe-family fixtures: they load on any kernel with BPF tracing; attaching needs CONFIG_KPROBES
// (kprobe, kretprobe, ksyscall) or CONFIG_FPROBE (kprobe.multi).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int target_tgid;
__u64 kprobe_count;
__u64 kretprobe_count;
__u64 ksyscall_count;
__u64 multi_count;
__u64 multi_cookie;

static __always_inline int mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_tgid;
}

SEC("kprobe/__x64_sys_getpid")
int kp_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&kprobe_count, 1);
	return 0;
}

SEC("kretprobe/__x64_sys_getpid")
int krp_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&kretprobe_count, 1);
	return 0;
}

SEC("ksyscall/getpid")
int ks_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&ksyscall_count, 1);
	return 0;
}

SEC("kprobe.multi/__x64_sys_getpi?")
int km_getpid(void *ctx)
{
	if (mine()) {
		__sync_fetch_and_add(&multi_count, 1);
		multi_cookie = bpf_get_attach_cookie(ctx);
	}
	return 0;
}

// A uprobe section naming a shared library by name: auto-attach resolves it.
SEC("uprobe/libc.so.6:getpid")
int up_main(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
