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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timed.h"

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

static void timed_op(void *path) {
    open_load_close(path);
}

int main(int argc, char **argv) {
    struct timed_options o = timed_parse(argc, argv, 1, usage);
    timed_run("load", o, timed_op, argv[optind]);
    printf("\n");
    return 0;
}
