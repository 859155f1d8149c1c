// SPDX-License-Identifier: GPL-2.0
// The example `ebpf4j run` runs when given no file: one event per exec on the machine, through the
// sched_process_exec tracepoint and a ring buffer. Rebuild the shipped object with `make -C ebpf4j-cli/src/main/bpf`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define MAX_FILENAME 256

struct event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* How many execs were seen, and how many events did not fit in the ring. */
__u64 execs = 0;
__u64 dropped = 0;

/*
 * Not inlined, so that `struct event` appears in the object's BTF (through this function's prototype):
 * that is how `ebpf4j run` finds the records' layout.
 */
static __noinline void fill(struct event *e, const char *filename)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	unsigned int filename_at = ctx->__data_loc_filename & 0xFFFF;
	struct event *e;

	__sync_fetch_and_add(&execs, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	fill(e, (const char *)ctx + filename_at);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
