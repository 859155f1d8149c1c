// One CO-RE relocation against a type no kernel has: loads only against a target BTF that defines it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct cli_core_t {
	int a;
	int b;
} __attribute__((preserve_access_index));

__u64 cli_core_off;

SEC("raw_tp/sys_enter")
int cli_core(void *ctx)
{
	cli_core_off = bpf_core_field_offset(struct cli_core_t, b);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
