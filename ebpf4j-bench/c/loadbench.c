// loadbench: the C/libbpf side of ebpf4j's object open + load benchmark (see docs/benchmarks.md).
//
// One operation is what ObjectLoadBenchmark times in Java: open an object file (parse the ELF), load it
// (create its maps, load its programs) and close it again:
//   bpf_object__open_file(path, NULL); bpf_object__load(obj); bpf_object__close(obj);
// It warms up for a while, then times several iterations with CLOCK_MONOTONIC and prints one line:
//   load <mean> us/op iterations=<n> per-iteration=<m1,m2,...>
// where <mean> is total measured time over total operations (what JMH's average-time score amounts to) and
// each per-iteration figure is that iteration's mean, in µs per op.
//
// Build: gcc -O2 -o target/loadbench c/loadbench.c -lbpf     (Debian: apt-get install libbpf-dev)

#define _GNU_SOURCE
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

static void die(const char *what, const char *path, int err) {
    fprintf(stderr, "loadbench: %s %s: %s\n", what, path, strerror(err < 0 ? -err : err));
    exit(1);
}

// One operation: open, load, close. The loaded object is dropped whole, as BpfObject.close() does.
static void open_load_close(const char *path) {
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    long err = libbpf_get_error(obj);
    if (err)
        die("bpf_object__open_file", path, (int)err);
    int rc = bpf_object__load(obj);
    if (rc) {
        bpf_object__close(obj);
        die("bpf_object__load", path, rc);
    }
    bpf_object__close(obj);
}

static void usage(void) {
    fprintf(stderr, "usage: loadbench [-w warmup_s] [-i iterations] [-r iteration_s] [-v] object.bpf.o\n"
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
    if (iterations < 1 || iterations > 64 || iteration_s <= 0 || optind != argc - 1)
        usage();
    const char *path = argv[optind];
    // libbpf's messages are not part of the work; a load that fails is reported by die().
    if (!verbose)
        libbpf_set_print(NULL);

    double end = now() + warmup_s;
    do
        open_load_close(path);
    while (now() < end);

    double means[64];
    uint64_t total_ops = 0;
    double total_time = 0;
    for (int it = 0; it < iterations; it++) {
        uint64_t ops = 0;
        double start = now(), t;
        do {
            open_load_close(path);
            ops++;
            t = now();
        } while (t - start < iteration_s);
        means[it] = (t - start) * 1e6 / ops;
        total_ops += ops;
        total_time += t - start;
    }
    printf("load %.1f us/op iterations=%d per-iteration=", total_time * 1e6 / total_ops, iterations);
    for (int it = 0; it < iterations; it++)
        printf("%s%.1f", it ? "," : "", means[it]);
    printf("\n");
    return 0;
}
