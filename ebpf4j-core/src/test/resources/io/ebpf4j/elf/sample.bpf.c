// A small BPF object for ElfFileRealObjectTest: two programs, a .text subprogram, a BTF-defined map and
// globals in .data, .rodata and .bss. Compiled at test time with clang -target bpf; never loaded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

int data_var = 7;
const volatile int rodata_var = 3;
int bss_var;

static __attribute__((noinline)) int add_one(int x)
{
    return x + bss_var + 1;
}

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&counts, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    return add_one(rodata_var) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("tp/syscalls/sys_enter_getpid")
int getpid_prog(void *ctx)
{
    __u32 key = 1;
    __u64 init = data_var;
    bpf_map_update_elem(&counts, &key, &init, BPF_ANY);
    return add_one(0);
}

char LICENSE[] SEC("license") = "GPL";
