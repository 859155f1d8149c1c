// Maps for BpfMap.lookupAll: values described by BTF, some with special fields (a spin lock, a timer, a kptr)
// that a kernel-side walk must not copy out, and a plain one that it may.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))

// A small kernel struct, defined in full here (a pointer alone would leave it a forward declaration, which
// the kernel does not take as a kptr's target).
struct callback_head walk_full_head;

struct locked {
	struct bpf_spin_lock lock;
	__u32 hits;
	__u64 total;
};

struct timed {
	struct bpf_timer timer;
	__u64 deadline;
};

struct owned {
	__u64 id;
	struct callback_head __kptr_untrusted *head;
};

struct odd {
	__u32 a;
	__u16 b;
	__u8 c;
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct locked);
} with_lock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct timed);
} with_timer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct owned);
} with_kptr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct odd);
} typed_plain SEC(".maps");
