// load3: the fixture of the object open + load benchmark (ObjectLoadBenchmark, c/loadbench.c).
//
// 3 maps (a BTF-defined array and hash in .maps, and the .bss global-data map) and 3 programs (XDP, tc and a
// socket filter), each doing a little work with the maps: lookups and updates, a bounded loop, and a call to a
// .text subprogram. No CO-RE, no pinning, no optional ('?') sections, so that both ebpf4j and Debian's
// libbpf 1.1 load it as it is.
//
// Build (run-loadbench does this):
//   clang-19 -g -O2 -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu -c bpf/load3.bpf.c -o target/load3.bpf.o

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u64);
} sizes SEC(".maps");

// .bss: the third map.
__u64 packets_seen;
__u32 last_len;

// A subprogram in .text, called by all three programs: bumps one counter slot.
static __attribute__((noinline)) int bump(__u32 slot, __u64 by) {
    __u64 *v = bpf_map_lookup_elem(&counters, &slot);
    if (!v)
        return 0;
    __sync_fetch_and_add(v, by);
    return 1;
}

// Folds a length into a small bucket number with a bounded loop.
static __attribute__((always_inline)) __u32 bucket(__u32 len) {
    __u32 b = 0;
    for (int i = 0; i < 16; i++) {
        if (len <= (32u << i))
            break;
        b++;
    }
    return b;
}

static __attribute__((always_inline)) void account(__u32 len) {
    __u32 key = bucket(len);
    __u64 *seen = bpf_map_lookup_elem(&sizes, &key);
    if (seen) {
        __sync_fetch_and_add(seen, 1);
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&sizes, &key, &one, BPF_NOEXIST);
    }
    packets_seen++;
    last_len = len;
}

SEC("xdp")
int load3_xdp(struct xdp_md *ctx) {
    __u32 len = ctx->data_end - ctx->data;
    account(len);
    bump(0, len);
    return XDP_PASS;
}

SEC("tc")
int load3_tc(struct __sk_buff *skb) {
    __u32 len = skb->len;
    account(len);
    __u64 sum = 0;
    for (__u32 i = 1; i < 8; i++) {
        __u64 *v = bpf_map_lookup_elem(&counters, &i);
        if (v)
            sum += *v;
    }
    bump(1, sum & 0xff);
    return 0; // TC_ACT_OK
}

SEC("socket")
int load3_socket(struct __sk_buff *skb) {
    __u32 len = skb->len;
    account(len);
    bump(2 + (skb->protocol & 1), 1);
    return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
