// Loading with BTF: BTF-defined, legacy (annotated the BPF_ANNOTATE_KV_PAIR way) and global-data maps get their
// key/value types; programs get line info, so a verifier rejection names the source line, also inside a
// subprogram appended from .text. With -DREJECT the subprogram reads out of bounds.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct point {
	int x;
	int y;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct point);
} points SEC(".maps");

struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def SEC("maps") legacy_points = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct point),
	.max_entries = 8,
};

/* What BPF_ANNOTATE_KV_PAIR(legacy_points, __u32, struct point) declares. */
struct ____btf_map_legacy_points {
	__u32 key;
	struct point value;
} ____btf_map_legacy_points SEC(".maps.legacy_points") __attribute__((used));

long total;

static __attribute__((noinline)) int sum(struct point *p)
{
#ifdef REJECT
	return p->x + *((int *)p + 2); /* REJECTED LINE */
#else
	return p->x + p->y;
#endif
}

SEC("xdp")
int read_points(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct point *p = bpf_map_lookup_elem(&points, &key);
	struct point *q = bpf_map_lookup_elem(&legacy_points, &key);
	if (p)
		total += sum(p);
	if (q)
		total += q->x;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
