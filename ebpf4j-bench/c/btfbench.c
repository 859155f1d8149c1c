// btfbench: the C/libbpf side of ebpf4j's kernel BTF benchmark (see docs/benchmarks.md).
//
// One operation is what KernelBtfBenchmark times in Java: load the running kernel's BTF, find
// struct task_struct in it, and free it again:
//   btf__load_vmlinux_btf(); btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT); btf__free(btf);
// It warms up for a while, then times several iterations with CLOCK_MONOTONIC and prints one line:
//   btf <mean> us/op iterations=<n> per-iteration=<m1,m2,...> id=<task_struct id>
// where <mean> is total measured time over total operations (what JMH's average-time score amounts to) and
// each per-iteration figure is that iteration's mean, in µs per op.
//
// Which libbpf decides what the op costs: Debian's libbpf 1.1 reads /sys/kernel/btf/vmlinux into memory it
// allocates, then parses it; libbpf 1.5 and later map the file instead.
//
// Build: gcc -O2 -o target/btfbench c/btfbench.c -lbpf     (Debian: apt-get install libbpf-dev)

#define _GNU_SOURCE
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timed.h"

// One operation: load, find, free. Returns task_struct's type id; exits on any failure.
static int load_find_free(void) {
    struct btf *btf = btf__load_vmlinux_btf();
    long err = libbpf_get_error(btf);
    if (err) {
        fprintf(stderr, "btfbench: btf__load_vmlinux_btf: %s\n", strerror(err < 0 ? -err : err));
        exit(1);
    }
    int id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
    btf__free(btf);
    if (id <= 0) {
        fprintf(stderr, "btfbench: no struct task_struct in the kernel's BTF (%d)\n", id);
        exit(1);
    }
    return id;
}

static void usage(void) {
    fprintf(stderr, "usage: btfbench [-w warmup_s] [-i iterations] [-r iteration_s] [-v]\n"
                    "  -v  keep libbpf's log messages (on stderr)\n");
    exit(2);
}

static int expected_id;

// The timed op: the same as load_find_free(), and task_struct must keep its id.
static void timed_op(void *ctx) {
    (void) ctx;
    if (load_find_free() != expected_id) {
        fprintf(stderr, "btfbench: task_struct's type id changed between loads\n");
        exit(1);
    }
}

int main(int argc, char **argv) {
    struct timed_options o = timed_parse(argc, argv, 0, usage);
    expected_id = load_find_free();
    timed_run("btf", o, timed_op, NULL);
    printf(" id=%d\n", expected_id);
    return 0;
}
