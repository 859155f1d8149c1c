// A map that the user may decide not to create: the program only touches it when configured to.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 use_optional = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} optional_map SEC(".maps");

SEC("xdp")
int prog_optional(struct xdp_md *ctx)
{
	if (use_optional) {
		__u32 key = 0;
		__u64 *v = bpf_map_lookup_elem(&optional_map, &key);

		if (v)
			*v += 1;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
