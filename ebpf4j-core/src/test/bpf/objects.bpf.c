// A libbpf-style object: BTF-defined maps, global data, subprograms (static and global), several programs in
// one section, and a program that is not loaded by default.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_hash SEC(".maps");

const volatile __u32 multiplier = 1;
__u64 total = 7;
__u64 hits;
static __u64 hidden;

static __noinline __u64 triple(__u64 x)
{
	return x * 3;
}

__noinline __u64 add_one(__u64 x)
{
	return triple(x) + 1;
}

static __noinline int plus_two(int x)
{
	return x + 2;
}

SEC("xdp")
int prog_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		__sync_fetch_and_add(v, add_one(multiplier));
	hits++;
	return XDP_PASS;
}

SEC("xdp")
int prog_xdp_second(struct xdp_md *ctx)
{
	hidden += 1;
	return XDP_PASS + (int)(hidden & 0);
}

SEC("tc")
int prog_tc(struct __sk_buff *skb)
{
	total += plus_two(skb->len);
	return 0;
}

/* bpftool from libbpf 1.1 cannot pin programs left unloaded: the libbpf comparison builds without them. */
#ifndef NO_OPTIONAL_PROGRAMS
SEC("?tc")
int prog_off(struct __sk_buff *skb)
{
	return 1;
}

/*
 * Unsafe on purpose: dereferences a hash lookup result without checking it (an array lookup with a constant
 * key would be safe: the verifier knows it cannot miss). Off by default.
 */
SEC("?socket")
int prog_unsafe(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u32 *v = bpf_map_lookup_elem(&pinned_hash, &key);

	return *v;
}
#endif

char LICENSE[] SEC("license") = "GPL";
