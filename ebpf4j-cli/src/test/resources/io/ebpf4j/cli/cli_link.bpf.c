// Programs for the link commands: two with a target in their section, one without.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 cli_hits;

SEC("tp/syscalls/sys_enter_getppid")
int cli_tp(void *ctx)
{
	__sync_fetch_and_add(&cli_hits, 1);
	return 0;
}

SEC("raw_tp/sys_exit")
int cli_raw(void *ctx)
{
	return 0;
}

SEC("xdp")
int cli_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
