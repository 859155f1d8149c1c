// SPDX-License-Identifier: GPL-2.0
// For `ebpf4j run` tests: on each exec of a file whose name ends in the marker the test sets, one ring buffer
// record (struct event, found by name), one perf buffer sample (struct sample, named with --record) and one
// bpf_printk line.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 magic;
	__u32 pid;
	char comm[16];
};

struct sample {
	__u64 seq;
	__s32 delta;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

__u64 seen = 0;
const volatile __u32 target_pid = 0;

static __noinline void fill(struct event *e, struct sample *s)
{
	e->magic = 0xC0DE;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	s->seq = seen;
	s->delta = -7;
	s->flags = 0x11;
}

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct event *e;
	struct sample s = {};
	char comm[16];

	bpf_get_current_comm(comm, sizeof(comm));
	/* Only the test's own probe binary, named ebpf4j-probe-... */
	if (comm[0] != 'e' || comm[1] != 'b' || comm[2] != 'p' || comm[3] != 'f' || comm[4] != '4' || comm[5] != 'j'
	    || comm[6] != '-' || comm[7] != 'p')
		return 0;
	__sync_fetch_and_add(&seen, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	fill(e, &s);
	bpf_ringbuf_submit(e, 0);
	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &s, sizeof(s));
	bpf_printk("ebpf4j run printk %d", 42);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
