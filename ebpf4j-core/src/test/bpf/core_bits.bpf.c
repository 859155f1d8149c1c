// Bitfield and resized-field reads through CO-RE, against a target BTF the test writes: the test fills in[]
// with the target's layout, the program reads it with the local layout's code, relocated.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct core_bits {
	unsigned int u : 3;
	int s : 5;
	unsigned int w;
} __attribute__((preserve_access_index));

__u64 in[4];
__u64 got_u, got_w;
__s64 got_s;

SEC("raw_tp/sys_enter")
int read_bits(void *ctx)
{
	struct core_bits *b = (void *)in;

	got_u = BPF_CORE_READ_BITFIELD(b, u);
	got_s = BPF_CORE_READ_BITFIELD(b, s);
	got_w = b->w;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
