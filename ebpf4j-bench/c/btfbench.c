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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double warmup_s = 5.0;    // JMH: 5 warm-up iterations of 1 s
static int iterations = 5;       // JMH: 5 measured iterations ...
static double iteration_s = 2.0; // ... of 2 s each

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

int main(int argc, char **argv) {
    int opt, verbose = 0;
    while ((opt = getopt(argc, argv, "w:i:r:vh")) != -1) {
        switch (opt) {
        case 'w': warmup_s = atof(optarg); break;
        case 'i': iterations = atoi(optarg); break;
        case 'r': iteration_s = atof(optarg); break;
        case 'v': verbose = 1; break;
        default: usage();
        }
    }
    if (iterations < 1 || iterations > 64 || iteration_s <= 0 || optind != argc)
        usage();
    // libbpf's messages are not part of the work; a failure is reported by load_find_free().
    if (!verbose)
        libbpf_set_print(NULL);

    int expected = load_find_free();
    double end = now() + warmup_s;
    do
        load_find_free();
    while (now() < end);

    double means[64];
    uint64_t total_ops = 0;
    double total_time = 0;
    for (int it = 0; it < iterations; it++) {
        uint64_t ops = 0;
        double start = now(), t;
        do {
            if (load_find_free() != expected) {
                fprintf(stderr, "btfbench: task_struct's type id changed between loads\n");
                return 1;
            }
            ops++;
            t = now();
        } while (t - start < iteration_s);
        means[it] = (t - start) * 1e6 / ops;
        total_ops += ops;
        total_time += t - start;
    }
    printf("btf %.1f us/op iterations=%d per-iteration=", total_time * 1e6 / total_ops, iterations);
    for (int it = 0; it < iterations; it++)
        printf("%s%.1f", it ? "," : "", means[it]);
    printf(" id=%d\n", expected);
    return 0;
}
