// eventbench: the C/libbpf side of ebpf4j's event-stream benchmarks (see docs/benchmarks.md).
//
// Same work as EventsBenchmark and RingBufferDrainBenchmark in ../src/main/java/io/ebpf4j/bench, on the object
// built from bpf/events64.bpf.c: tc programs write one 64-byte record per test-run repetition.
//   poll   produce 1,000 records into the ring buffer (one test run), then ring_buffer__poll(timeout 0) until all
//          1,000 are consumed; events/s over the whole step (producer included)
//   drain  produce 200,000 records (untimed), then time one ring_buffer__consume; ns per event
//   perf   as poll, through a perf buffer (64 pages per CPU) and perf_buffer__poll
//   perfDrain  produce 40,000 records into a perf buffer of 1,024 pages per CPU (untimed), then time one
//          perf_buffer__consume; ns per event
// Each prints one line: <name> <value> <unit> iterations=<n> per-iteration=<v1,v2,...>
//
// With -S (paired mode, see harness.h) it sets up the named benchmarks and serves one-benchmark slices (events/s,
// or ns/event for the drains).
//
// Build: gcc -O2 -o target/eventbench c/eventbench.c -lbpf     (Debian: apt-get install libbpf-dev)

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BATCH 1000
#define DRAIN 200000
#define PERF_PAGES 64
#define PERF_DRAIN 40000
#define PERF_DRAIN_PAGES 1024 // 4 MiB per CPU: room for PERF_DRAIN records of 80 bytes with their headers

static double warmup_s = 3.0;
static int iterations = 5;
static double iteration_s = 2.0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err) {
    fprintf(stderr, "eventbench: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

static uint64_t sum;  // what the callbacks read, so that the records are really touched
static uint64_t seen;

static int on_record(void *ctx, void *data, size_t size) {
    sum += *(uint64_t *)data;
    seen++;
    return 0;
}

static void on_sample(void *ctx, int cpu, void *data, uint32_t size) {
    uint64_t v;
    memcpy(&v, data, sizeof(v)); // perf samples are 4-byte aligned
    sum += v;
    seen++;
}

static char packet[64];

static void produce(int prog_fd, int repeat) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet), .repeat = repeat);
    if (bpf_prog_test_run_opts(prog_fd, &opts))
        die("bpf_prog_test_run_opts", errno);
}

struct ctx {
    int prog_fd;
    struct ring_buffer *rb;
    struct perf_buffer *pb;
};

static double poll_step(struct ctx *c) {
    produce(c->prog_fd, BATCH);
    uint64_t want = seen + BATCH;
    while (seen < want) {
        int n = ring_buffer__poll(c->rb, 0);
        if (n < 0)
            die("ring_buffer__poll", n);
    }
    return BATCH;
}

static double perf_step(struct ctx *c) {
    produce(c->prog_fd, BATCH);
    uint64_t want = seen + BATCH;
    while (seen < want) {
        int n = perf_buffer__poll(c->pb, 0);
        if (n < 0)
            die("perf_buffer__poll", n);
    }
    return BATCH;
}

// Runs `step` (which returns the events it handled) for at least `seconds`; returns events/s.
static double stretch(double (*step)(struct ctx *), struct ctx *c, double seconds) {
    double events = 0, start = now(), t;
    do {
        events += step(c);
        t = now();
    } while (t - start < seconds);
    return events / (t - start);
}

// Runs `step` for warm-up and timed iterations; prints events/s (total events over total time).
static void rate(const char *name, double (*step)(struct ctx *), struct ctx *c) {
    stretch(step, c, warmup_s);
    double rates[64], total_events = 0, total_time = 0;
    for (int it = 0; it < iterations; it++) {
        double start = now();
        rates[it] = stretch(step, c, iteration_s);
        double t = now() - start;
        total_events += rates[it] * t;
        total_time += t;
    }
    printf("%s %.1f events/s iterations=%d per-iteration=", name, total_events / total_time, iterations);
    for (int it = 0; it < iterations; it++)
        printf("%s%.1f", it ? "," : "", rates[it]);
    printf("\n");
    fflush(stdout);
}

// One drain: fill with `count` records, then time `consume` alone. Returns the seconds consumed.
static double drain_once(struct ctx *c, int count, int (*consume)(struct ctx *), const char *what) {
    produce(c->prog_fd, count);
    uint64_t before = seen;
    double t0 = now();
    int n = consume(c);
    double t = now() - t0;
    if (n < 0)
        die(what, n);
    if (seen - before != (uint64_t)count) {
        fprintf(stderr, "eventbench: %s consumed %llu records, not %d\n", what, (unsigned long long)(seen - before),
                count);
        exit(1);
    }
    return t;
}

static int consume_rb(struct ctx *c) {
    return ring_buffer__consume(c->rb);
}

static int consume_pb(struct ctx *c) {
    return perf_buffer__consume(c->pb);
}

// Drains for at least `seconds` of wall time, fills included; returns ns per event over the consumes alone.
static double drain_stretch(struct ctx *c, double seconds) {
    double start = now(), timed = 0, events = 0;
    do {
        if (c->pb) {
            timed += drain_once(c, PERF_DRAIN, consume_pb, "perf_buffer__consume");
            events += PERF_DRAIN;
        } else {
            timed += drain_once(c, DRAIN, consume_rb, "ring_buffer__consume");
            events += DRAIN;
        }
    } while (now() - start < seconds);
    return timed * 1e9 / events;
}

static void drain(const char *name, struct ctx *c) {
    drain_stretch(c, warmup_s);
    double per[64], sum_per = 0;
    for (int it = 0; it < iterations; it++) {
        per[it] = drain_stretch(c, iteration_s);
        sum_per += per[it];
    }
    printf("%s %.2f ns/event iterations=%d per-iteration=", name, sum_per / iterations, iterations);
    for (int it = 0; it < iterations; it++)
        printf("%s%.2f", it ? "," : "", per[it]);
    printf("\n");
    fflush(stdout);
}

struct served {
    struct ctx *rb;
    struct ctx *pb;
    struct ctx *pd; // perfDrain: its own, larger perf buffer
};

// One slice of paired mode (harness.h): events/s, or ns/event for drain.
static int slice(const char *name, double seconds, void *p, double *value) {
    struct served *s = p;
    if (!strcmp(name, "poll") && s->rb->rb)
        *value = stretch(poll_step, s->rb, seconds);
    else if (!strcmp(name, "drain") && s->rb->rb)
        *value = drain_stretch(s->rb, seconds);
    else if (!strcmp(name, "perf") && s->pb->pb)
        *value = stretch(perf_step, s->pb, seconds);
    else if (!strcmp(name, "perfDrain") && s->pd->pb)
        *value = drain_stretch(s->pd, seconds);
    else
        return 0;
    return 1;
}

static void usage(void) {
    fprintf(stderr, "usage: eventbench [-w warmup_s] [-i iterations] [-r iteration_s] [-v] [-T] [-S] object.bpf.o "
                    "(poll|drain|perf|perfDrain)...\n"
                    "  -T  start an idle extra thread first (the process then is multi-threaded, like a JVM)\n"
                    "  -S  paired mode: set up, print 'ready', then run '<name> <seconds>' requests read from stdin\n");
    exit(2);
}

int main(int argc, char **argv) {
    int opt, verbose = 0, server = 0, threaded = 0;
    while ((opt = getopt(argc, argv, "w:i:r:vTSh")) != -1) {
        switch (opt) {
        case 'w': warmup_s = atof(optarg); break;
        case 'i': iterations = atoi(optarg); break;
        case 'r': iteration_s = atof(optarg); break;
        case 'v': verbose = 1; break;
        case 'S': server = 1; break;
        case 'T': threaded = 1; break;
        default: usage();
        }
    }
    if (iterations < 1 || iterations > 64 || optind + 2 > argc)
        usage();
    if (threaded)
        harness_start_idle_thread("eventbench");
    if (!verbose)
        libbpf_set_print(NULL);
    struct bpf_object *obj = bpf_object__open_file(argv[optind], NULL);
    if (!obj)
        die("bpf_object__open_file", errno);
    if (bpf_object__load(obj))
        die("bpf_object__load", errno);
    int rb_fd = bpf_object__find_map_fd_by_name(obj, "rb");
    int pb_fd = bpf_object__find_map_fd_by_name(obj, "pb");
    int rb_prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce_rb"));
    int pb_prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "produce_pb"));

    if (server) {
        struct ctx rb = {.prog_fd = rb_prog}, pb = {.prog_fd = pb_prog}, pd = {.prog_fd = pb_prog};
        for (int a = optind + 1; a < argc; a++) {
            if ((!strcmp(argv[a], "poll") || !strcmp(argv[a], "drain")) && !rb.rb) {
                rb.rb = ring_buffer__new(rb_fd, on_record, NULL, NULL);
                if (!rb.rb)
                    die("ring_buffer__new", errno);
            } else if (!strcmp(argv[a], "perf") && !pb.pb && !pd.pb) {
                pb.pb = perf_buffer__new(pb_fd, PERF_PAGES, on_sample, NULL, NULL, NULL);
                if (!pb.pb)
                    die("perf_buffer__new", errno);
            } else if (!strcmp(argv[a], "perfDrain") && !pd.pb && !pb.pb) {
                // One perf event array holds one perf buffer's events: perf and perfDrain are served apart.
                pd.pb = perf_buffer__new(pb_fd, PERF_DRAIN_PAGES, on_sample, NULL, NULL, NULL);
                if (!pd.pb)
                    die("perf_buffer__new", errno);
            }
        }
        struct served served = {&rb, &pb, &pd};
        harness_serve("eventbench", slice, &served);
        ring_buffer__free(rb.rb);
        perf_buffer__free(pb.pb);
        perf_buffer__free(pd.pb);
        bpf_object__close(obj);
        return 0;
    }
    for (int a = optind + 1; a < argc; a++) {
        struct ctx c = {0};
        if (!strcmp(argv[a], "poll") || !strcmp(argv[a], "drain")) {
            c.prog_fd = rb_prog;
            c.rb = ring_buffer__new(rb_fd, on_record, NULL, NULL);
            if (!c.rb)
                die("ring_buffer__new", errno);
            if (!strcmp(argv[a], "poll"))
                rate("poll", poll_step, &c);
            else
                drain("drain", &c);
            ring_buffer__free(c.rb);
        } else if (!strcmp(argv[a], "perf")) {
            c.prog_fd = pb_prog;
            c.pb = perf_buffer__new(pb_fd, PERF_PAGES, on_sample, NULL, NULL, NULL);
            if (!c.pb)
                die("perf_buffer__new", errno);
            rate("perf", perf_step, &c);
            perf_buffer__free(c.pb);
        } else if (!strcmp(argv[a], "perfDrain")) {
            c.prog_fd = pb_prog;
            c.pb = perf_buffer__new(pb_fd, PERF_DRAIN_PAGES, on_sample, NULL, NULL, NULL);
            if (!c.pb)
                die("perf_buffer__new", errno);
            drain("perfDrain", &c);
            perf_buffer__free(c.pb);
        } else {
            usage();
        }
    }
    if (sum == 42)
        fprintf(stderr, "(unlikely)\n");
    bpf_object__close(obj);
    return 0;
}
