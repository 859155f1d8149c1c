// A CO-RE program built against the vmlinux.h our own C dumper generates from the running kernel's BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

int seen_pid;
int seen_tgid;
int seen_ppid;
char seen_comm[16];
__u64 runs;

SEC("raw_tp")
int read_task(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	seen_pid = BPF_CORE_READ(task, pid);
	seen_tgid = BPF_CORE_READ(task, tgid);
	seen_ppid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&seen_comm, task, comm);
	runs++;
	return 0;
}
