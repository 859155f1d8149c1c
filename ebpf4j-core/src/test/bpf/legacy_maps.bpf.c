// Maps defined the old ways: libbpf's struct bpf_map_def and iproute2's struct bpf_elf_map, both in
// SEC("maps"), as tc programs written for iproute2 still do. The structs are declared here because current
// headers no longer ship them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

#define PIN_NONE 0
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

struct legacy_map_def SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

struct bpf_elf_map SEC("maps") tc_global = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 16,
	.pinning = PIN_GLOBAL_NS,
};

struct bpf_elf_map SEC("maps") tc_local = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 1,
	.pinning = PIN_OBJECT_NS,
};

SEC("classifier")
int cls(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_counts, &key);

	if (v)
		*v += 1;
	v = bpf_map_lookup_elem(&tc_global, &key);
	if (v)
		*v += 1;
	return bpf_map_lookup_elem(&tc_local, &key) ? 0 : 2;
}

char LICENSE[] SEC("license") = "GPL";
