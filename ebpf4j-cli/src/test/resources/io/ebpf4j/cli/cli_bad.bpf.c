// An object the verifier refuses: cli_unsafe dereferences a hash lookup without checking it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} cli_hash SEC(".maps");

SEC("socket")
int cli_fine(struct __sk_buff *skb)
{
	return 0;
}

SEC("socket")
int cli_unsafe(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&cli_hash, &key);

	return *v;
}

char LICENSE[] SEC("license") = "GPL";
