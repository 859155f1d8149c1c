// Externs: .kconfig values, typeless and typed .ksyms, kfunc calls, weak ones that are missing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

extern int CONFIG_HZ __kconfig;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig;
extern bool CONFIG_BPF_JIT __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern unsigned short CONFIG_NR_CPUS __kconfig;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern int CONFIG_EBPF4J_NOT_A_CONFIG __kconfig __weak;

extern const void __x64_sys_bpf __ksym;
extern const void ebpf4j_no_such_symbol __ksym __weak;
#ifdef WEAK_TYPED_KSYM
extern const int bpf_prog_active __ksym __weak;
#endif
#ifdef TYPED_KSYM
/* Typed per-CPU variables: the kernel finds their address through kallsyms, which lists variables only with
 * CONFIG_KALLSYMS_ALL. */
extern const int bpf_prog_active __ksym;
extern const struct rq runqueues __ksym;
#endif

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_ebpf4j_no_such_kfunc(void) __ksym __weak;
/* Weak, so clang cannot fold bpf_ksym_exists() to 1: the address is loaded (BPF_PSEUDO_BTF_ID of the FUNC). */
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;

#ifdef STRONG_MISSING
extern const void ebpf4j_strong_missing __ksym;
#endif

struct args {
    int pid;
};

long hz = -1;
long bpf_syscall = -1;
long jit = -1;
char hostname[16];
long nr_cpus = -1;
long kernel_version = -1;
long has_cookie = -1;
long has_wrapper = -1;
long not_a_config = -1;
unsigned long sys_bpf_addr;
long missing_sym_exists = -1;
long missing_kfunc_exists = -1;
long present_kfunc_exists = -1;
long weak_typed_exists = -1;
long prog_active = -1;
long rq_cpu = -1;
long task_pid = -1;

SEC("syscall")
int read_externs(struct args *ctx)
{
    hz = CONFIG_HZ;
    bpf_syscall = CONFIG_BPF_SYSCALL;
    jit = CONFIG_BPF_JIT;
    __builtin_memcpy(hostname, CONFIG_DEFAULT_HOSTNAME, sizeof(hostname));
    nr_cpus = CONFIG_NR_CPUS;
    kernel_version = LINUX_KERNEL_VERSION;
    has_cookie = LINUX_HAS_BPF_COOKIE;
    has_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
    not_a_config = CONFIG_EBPF4J_NOT_A_CONFIG;
    sys_bpf_addr = (unsigned long)&__x64_sys_bpf;
    missing_sym_exists = bpf_ksym_exists(&ebpf4j_no_such_symbol);
    missing_kfunc_exists = bpf_ksym_exists(bpf_ebpf4j_no_such_kfunc);
    if (bpf_ksym_exists(bpf_ebpf4j_no_such_kfunc))
        bpf_ebpf4j_no_such_kfunc();
#ifdef STRONG_MISSING
    sys_bpf_addr = (unsigned long)&ebpf4j_strong_missing;
#endif
    present_kfunc_exists = bpf_ksym_exists(bpf_task_acquire);
#ifdef WEAK_TYPED_KSYM
    weak_typed_exists = bpf_ksym_exists(&bpf_prog_active);
    if (bpf_ksym_exists(&bpf_prog_active))
        prog_active = *(int *)bpf_this_cpu_ptr(&bpf_prog_active);
#endif
#ifdef TYPED_KSYM
    int *active = bpf_this_cpu_ptr(&bpf_prog_active);
    prog_active = *active;
    struct rq *rq = bpf_this_cpu_ptr(&runqueues);
    rq_cpu = rq->cpu;
#endif
    struct task_struct *t = bpf_task_from_pid(ctx->pid);
    if (t) {
        task_pid = t->tgid;
        bpf_task_release(t);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
