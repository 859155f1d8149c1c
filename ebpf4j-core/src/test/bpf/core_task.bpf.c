// CO-RE reads of the current task against the running kernel's BTF: raw_tp programs test-run in the calling
// thread, so the values are the test thread's own (compared with /proc).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

int pid, tgid, ppid, btf_pid, btf_tgid, missing_value, missing_guarded;
int flavor_pid, flavor_tgid, flavor_ppid, sub_tgid, sub_ppid;
char comm[16], flavor_comm[16];

/*
 * The fields this test needs, declared in an order and at offsets no kernel has: only relocation against the
 * kernel's task_struct makes reads through it right.
 */
struct task_struct___mine {
	char comm[16];
	int tgid;
	struct task_struct___mine *real_parent;
	int pid;
} __attribute__((preserve_access_index));

/* A flavor of task_struct with a field no kernel has: relocations against it are poisoned. */
struct task_struct___nofield {
	int no_such_field;
} __attribute__((preserve_access_index));

SEC("raw_tp/sys_enter")
int read_task(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	pid = BPF_CORE_READ(t, pid);
	tgid = BPF_CORE_READ(t, tgid);
	ppid = BPF_CORE_READ(t, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&comm, t, comm);
	return 0;
}

SEC("raw_tp/sys_enter")
int read_task_flavor(void *ctx)
{
	struct task_struct___mine *t = (void *)bpf_get_current_task();

	flavor_pid = BPF_CORE_READ(t, pid);
	flavor_tgid = BPF_CORE_READ(t, tgid);
	flavor_ppid = BPF_CORE_READ(t, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&flavor_comm, t, comm);
	return 0;
}

/* A .text subprogram with CO-RE reads: relocated where the linker appends it to each caller. */
static __noinline int tgid_of(struct task_struct___mine *t)
{
	return BPF_CORE_READ(t, tgid);
}

SEC("raw_tp/sys_enter")
int read_task_sub(void *ctx)
{
	struct task_struct___mine *t = (void *)bpf_get_current_task();

	sub_tgid = tgid_of(t);
	sub_ppid = tgid_of(BPF_CORE_READ(t, real_parent));
	return 0;
}

/* Direct loads through a BTF pointer: the CO-RE relocations sit on the loads' offsets. */
SEC("raw_tp/sys_enter")
int read_task_btf(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();

	btf_pid = t->pid;
	btf_tgid = t->tgid;
	return 0;
}

SEC("raw_tp/sys_enter")
int guarded_missing(void *ctx)
{
	struct task_struct___nofield *t = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(t->no_such_field))
		missing_value = BPF_CORE_READ(t, no_such_field);
	else
		missing_guarded = 1;
	return 0;
}

SEC("?raw_tp/sys_enter")
int unguarded_missing(void *ctx)
{
	struct task_struct___nofield *t = (void *)bpf_get_current_task();

	missing_value = BPF_CORE_READ(t, no_such_field);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
