// timed.h: what the average-time C harnesses (btfbench, loadbench) share. Options, warm-up and the timed
// iterations work the way the JMH side measures: warm up for warmup_s seconds, then `iterations` iterations of
// iteration_s seconds each; print
//   <name> <mean> us/op iterations=<n> per-iteration=<m1,m2,...>
// (no newline: a harness may add fields) where <mean> is total time over total operations.
#ifndef EBPF4J_TIMED_H
#define EBPF4J_TIMED_H

#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define TIMED_MAX_ITERATIONS 64

struct timed_options {
    double warmup_s;    // JMH: 5 warm-up iterations of 1 s
    int iterations;     // JMH: 5 measured iterations ...
    double iteration_s; // ... of 2 s each
};

static double timed_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Parses -w -i -r -v; exactly `positional` arguments must follow. libbpf's messages are silenced unless -v:
// they are not part of the work, and each harness reports its own failures.
static struct timed_options timed_parse(int argc, char **argv, int positional, void (*usage)(void)) {
    struct timed_options o = {5.0, 5, 2.0};
    int opt, verbose = 0;
    while ((opt = getopt(argc, argv, "w:i:r:vh")) != -1) {
        switch (opt) {
        case 'w': o.warmup_s = atof(optarg); break;
        case 'i': o.iterations = atoi(optarg); break;
        case 'r': o.iteration_s = atof(optarg); break;
        case 'v': verbose = 1; break;
        default: usage();
        }
    }
    if (o.iterations < 1 || o.iterations > TIMED_MAX_ITERATIONS || o.iteration_s <= 0
            || optind != argc - positional)
        usage();
    if (!verbose)
        libbpf_set_print(NULL);
    return o;
}

// Warms up, times `op` and prints the result line (without its newline).
static void timed_run(const char *name, struct timed_options o, void (*op)(void *), void *ctx) {
    double end = timed_now() + o.warmup_s;
    do
        op(ctx);
    while (timed_now() < end);

    double means[TIMED_MAX_ITERATIONS];
    uint64_t total_ops = 0;
    double total_time = 0;
    for (int it = 0; it < o.iterations; it++) {
        uint64_t ops = 0;
        double start = timed_now(), t;
        do {
            op(ctx);
            ops++;
            t = timed_now();
        } while (t - start < o.iteration_s);
        means[it] = (t - start) * 1e6 / ops;
        total_ops += ops;
        total_time += t - start;
    }
    printf("%s %.1f us/op iterations=%d per-iteration=", name, total_time * 1e6 / total_ops, o.iterations);
    for (int it = 0; it < o.iterations; it++)
        printf("%s%.1f", it ? "," : "", means[it]);
}

#endif
