// The object the CLI tests load: a map, global data, a subprogram, two programs and one left unloaded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cli_counts SEC(".maps");

const volatile __u32 cli_step = 1;
__u64 cli_seen;

static __noinline __u64 cli_add(__u64 x)
{
	return x + cli_step;
}

SEC("xdp")
int cli_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&cli_counts, &key);

	if (v)
		*v = cli_add(*v);
	cli_seen++;
	return XDP_PASS;
}

SEC("socket")
int cli_socket(struct __sk_buff *skb)
{
	return 0;
}

SEC("?tc")
int cli_off(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
