// SPDX-License-Identifier: GPL-2.0
// For `ebpf4j run` tests: the verifier rejects this program (it reads past a map value).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tp/sched/sched_process_exec")
int too_far(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (!v)
		return 0;
	return *(v + 4);
}

char LICENSE[] SEC("license") = "GPL";
