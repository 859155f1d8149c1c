// mapbench: the C/libbpf side of ebpf4j's map benchmarks (see docs/benchmarks.md).
//
// Same work as the JMH benchmarks in ../src/main/java/io/ebpf4j/bench: a BPF_MAP_TYPE_HASH with 4-byte keys
// and 8-byte values; single-element lookup and update over 64K prefilled keys of a 1<<20-entry map, visited
// in rotating order; and a full BPF_MAP_LOOKUP_BATCH walk of a 1,000,000-entry map in fixed chunks.
// Each measurement warms up, then times several iterations with CLOCK_MONOTONIC and prints one line:
//   <name> <rate> <unit> iterations=<n> per-iteration=<r1,r2,...>
// where <rate> is total work over total measured time (what JMH's throughput score amounts to).
//
// With -S (paired mode, see harness.h) it sets up the named benchmarks and serves one-benchmark slices, so that
// C and Java alternate second by second and the machine's drift shows up in both.
// With -P PREFIX the two maps are shared through bpffs: <PREFIX>-ops and <PREFIX>-batch are opened when pinned
// there, else created, filled and pinned (and unpinned again at exit). Every side of a paired run then works on
// the very same kernel map: where the kernel happened to place a map's memory otherwise differs from map to map.
//
// Build: gcc -O2 -o target/mapbench c/mapbench.c -lbpf     (Debian: apt-get install libbpf-dev)

#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

// Kept equal to MapOpsBenchmark and BatchLookupBenchmark.
#define OPS_MAX_ENTRIES (1u << 20)
#define OPS_FILLED (1u << 16)
#define BATCH_ENTRIES 1000000u

static double warmup_s = 3.0;    // JMH: 3 warm-up iterations of 1 s
static int iterations = 5;       // JMH: 5 measured iterations ...
static double iteration_s = 2.0; // ... of 2 s each
static uint32_t chunk = 10000;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err) {
    fprintf(stderr, "mapbench: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

static int create_hash(const char *name, uint32_t max_entries) {
    int fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(uint32_t), sizeof(uint64_t), max_entries, NULL);
    if (fd < 0)
        die("bpf_map_create", errno);
    return fd;
}

// -P: where the shared maps are pinned; the pins this process made, removed at exit.
static const char *pin_prefix;
static char made_pins[2][PATH_MAX];
static int made_pin_count;

static void remove_made_pins(void) {
    for (int i = 0; i < made_pin_count; i++)
        unlink(made_pins[i]);
}

// Opens the shared map <pin_prefix>-<suffix> when it is pinned (returns its fd after checking its shape), or
// returns -1 with the path stored in `path` for share_pin() once the map is made. Without -P: -1.
static int share_open(const char *suffix, uint32_t max_entries, char *path) {
    if (!pin_prefix)
        return -1;
    if (snprintf(path, PATH_MAX, "%s-%s", pin_prefix, suffix) >= PATH_MAX)
        die("-P: path too long", ENAMETOOLONG);
    int fd = bpf_obj_get(path);
    if (fd < 0) {
        if (errno == ENOENT)
            return -1;
        die(path, errno);
    }
    struct bpf_map_info info = {0};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len))
        die(path, errno);
    if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(uint32_t) || info.value_size != sizeof(uint64_t)
            || info.max_entries != max_entries) {
        fprintf(stderr, "mapbench: %s is not the hash map this benchmark makes (4-byte key, 8-byte value, %u entries)\n",
                path, max_entries);
        exit(1);
    }
    return fd;
}

static void share_pin(int fd, const char *path) {
    if (!pin_prefix)
        return;
    if (bpf_obj_pin(fd, path))
        die(path, errno);
    strcpy(made_pins[made_pin_count++], path);
}

// One step of a benchmark: returns how many units of work it did (ops or entries).
typedef uint64_t (*step_fn)(void *ctx);

struct ops_ctx {
    int fd;
    uint32_t next;
};

static uint64_t lookup_step(void *p) {
    struct ops_ctx *c = p;
    uint32_t key = c->next;
    uint64_t value;
    c->next = (c->next + 1) & (OPS_FILLED - 1);
    int err = bpf_map_lookup_elem(c->fd, &key, &value);
    if (err)
        die("bpf_map_lookup_elem", errno);
    return 1;
}

static uint64_t update_step(void *p) {
    struct ops_ctx *c = p;
    uint32_t key = c->next;
    uint64_t value = key;
    c->next = (c->next + 1) & (OPS_FILLED - 1);
    int err = bpf_map_update_elem(c->fd, &key, &value, BPF_ANY);
    if (err)
        die("bpf_map_update_elem", errno);
    return 1;
}

struct batch_ctx {
    int fd;
    uint32_t *keys;
    uint64_t *values;
};

// One whole walk of the map, like one invocation of BatchLookupBenchmark.walk.
static uint64_t walk(struct batch_ctx *c) {
    uint32_t token = 0;
    uint64_t total = 0;
    int first = 1;
    for (;;) {
        uint32_t count = chunk;
        int err = bpf_map_lookup_batch(c->fd, first ? NULL : &token, &token, c->keys, c->values, &count, NULL);
        first = 0;
        total += count;
        if (err) {
            if (errno == ENOENT)
                return total; // the end of the map
            die("bpf_map_lookup_batch", errno);
        }
    }
}

static uint64_t batch_step(void *p) {
    return walk(p);
}

// Calls step for at least `seconds`; returns the work done and stores the time taken.
// Checking the clock every few steps keeps its cost out of the per-op figure (steps cost ~1 µs).
static uint64_t stretch(step_fn step, void *ctx, int steps_per_check, double seconds, double *taken) {
    uint64_t work = 0;
    double start = now(), t;
    do {
        for (int i = 0; i < steps_per_check; i++)
            work += step(ctx);
        t = now();
    } while (t - start < seconds);
    *taken = t - start;
    return work;
}

// Calls step for warm-up, then for `iterations` timed stretches; prints the line described at the top.
static void measure(const char *name, const char *unit, step_fn step, void *ctx, int steps_per_check) {
    double taken;
    stretch(step, ctx, steps_per_check, warmup_s, &taken);

    double rates[64];
    uint64_t total_work = 0;
    double total_time = 0;
    for (int it = 0; it < iterations; it++) {
        uint64_t work = stretch(step, ctx, steps_per_check, iteration_s, &taken);
        rates[it] = work / taken;
        total_work += work;
        total_time += taken;
    }
    printf("%s %.1f %s iterations=%d per-iteration=", name, total_work / total_time, unit, iterations);
    for (int it = 0; it < iterations; it++)
        printf("%s%.1f", it ? "," : "", rates[it]);
    printf("\n");
    fflush(stdout);
}

static void ops_setup(struct ops_ctx *c) {
    char path[PATH_MAX];
    c->next = 0;
    c->fd = share_open("ops", OPS_MAX_ENTRIES, path);
    if (c->fd >= 0) {
        uint32_t k = OPS_FILLED - 1;
        uint64_t v;
        if (bpf_map_lookup_elem(c->fd, &k, &v))
            die("the shared map lacks its last prefilled key", errno);
        return;
    }
    c->fd = create_hash("bench_ops", OPS_MAX_ENTRIES);
    for (uint32_t k = 0; k < OPS_FILLED; k++) {
        uint64_t v = k;
        if (bpf_map_update_elem(c->fd, &k, &v, BPF_ANY))
            die("prefill", errno);
    }
    share_pin(c->fd, path);
}

// Fills the batch map with batch updates, as the Java setup does.
static void batch_fill(int fd) {
    const uint32_t fill = 100000;
    uint32_t *k = malloc(fill * sizeof(*k));
    uint64_t *v = malloc(fill * sizeof(*v));
    if (!k || !v)
        die("malloc", ENOMEM);
    for (uint32_t base = 0; base < BATCH_ENTRIES; base += fill) {
        uint32_t n = BATCH_ENTRIES - base < fill ? BATCH_ENTRIES - base : fill;
        for (uint32_t i = 0; i < n; i++) {
            k[i] = base + i;
            v[i] = base + i;
        }
        uint32_t count = n;
        if (bpf_map_update_batch(fd, k, v, &count, NULL) || count != n)
            die("bpf_map_update_batch", errno);
    }
    free(k);
    free(v);
}

static void batch_setup(struct batch_ctx *c) {
    char path[PATH_MAX];
    c->keys = malloc(chunk * sizeof(*c->keys));
    c->values = malloc(chunk * sizeof(*c->values));
    if (!c->keys || !c->values)
        die("malloc", ENOMEM);
    c->fd = share_open("batch", BATCH_ENTRIES, path);
    if (c->fd < 0) {
        c->fd = create_hash("bench_batch", BATCH_ENTRIES);
        batch_fill(c->fd);
        share_pin(c->fd, path);
    }
    uint64_t seen = walk(c);
    if (seen != BATCH_ENTRIES) {
        fprintf(stderr, "mapbench: a batch walk saw %llu entries, expected %u\n", (unsigned long long)seen,
                BATCH_ENTRIES);
        exit(1);
    }
}

struct served {
    struct ops_ctx *ops;
    struct batch_ctx *batch;
};

// One slice of paired mode (harness.h).
static int slice(const char *name, double seconds, void *p, double *value) {
    struct served *s = p;
    double taken;
    uint64_t work;
    if (!strcmp(name, "lookup") && s->ops->fd >= 0)
        work = stretch(lookup_step, s->ops, 256, seconds, &taken);
    else if (!strcmp(name, "update") && s->ops->fd >= 0)
        work = stretch(update_step, s->ops, 256, seconds, &taken);
    else if (!strcmp(name, "batch") && s->batch->fd >= 0)
        work = stretch(batch_step, s->batch, 1, seconds, &taken);
    else
        return 0;
    *value = work / taken;
    return 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: mapbench [-w warmup_s] [-i iterations] [-r iteration_s] [-c chunk] [-T] [-S] [-P pin_prefix]\n"
            "                [lookup|update|batch]...\n"
            "  -T  start an idle extra thread first (the process then is multi-threaded, like a JVM)\n"
            "  -S  paired mode: set up, print 'ready', then run '<name> <seconds>' requests read from stdin\n"
            "  -P  with -S: share the maps through bpffs: open <pin_prefix>-ops / -batch when pinned, else make\n"
            "      and pin them (unpinned at exit)\n"
            "  with no benchmark names, runs all three\n");
    exit(2);
}

int main(int argc, char **argv) {
    int opt, threaded = 0, server = 0;
    while ((opt = getopt(argc, argv, "w:i:r:c:TSP:h")) != -1) {
        switch (opt) {
        case 'w': warmup_s = atof(optarg); break;
        case 'i': iterations = atoi(optarg); break;
        case 'r': iteration_s = atof(optarg); break;
        case 'c': chunk = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'T': threaded = 1; break;
        case 'S': server = 1; break;
        case 'P': pin_prefix = optarg; break;
        default: usage();
        }
    }
    // -P keeps maps alive past their benchmark (pinned), which only paired mode expects.
    if (iterations < 1 || iterations > 64 || chunk < 1 || iteration_s <= 0 || (pin_prefix && !server))
        usage();
    if (threaded)
        harness_start_idle_thread("mapbench");
    atexit(remove_made_pins);
    int lookup = 0, update = 0, batch = 0;
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "lookup")) lookup = 1;
        else if (!strcmp(argv[i], "update")) update = 1;
        else if (!strcmp(argv[i], "batch")) batch = 1;
        else usage();
    }
    if (optind == argc)
        lookup = update = batch = 1;
    struct ops_ctx ops = {.fd = -1};
    struct batch_ctx bc = {.fd = -1};
    if (server) {
        if (lookup || update)
            ops_setup(&ops);
        if (batch)
            batch_setup(&bc);
        struct served served = {&ops, &bc};
        harness_serve("mapbench", slice, &served);
        return 0;
    }
    // One map at a time, the single-element one closed before the large one is filled.
    if (lookup || update) {
        ops_setup(&ops);
        if (lookup)
            measure("lookup", "ops/s", lookup_step, &ops, 256);
        if (update)
            measure("update", "ops/s", update_step, &ops, 256);
        close(ops.fd);
    }
    if (batch) {
        batch_setup(&bc);
        measure("batch", "entries/s", batch_step, &bc, 1);
    }
    return 0;
}
