// harness.h: what mapbench.c and eventbench.c share (each includes it once; everything here is static).
//
// Paired mode: after setting up, a harness prints "ready", then serves slices: for each line "<name> <seconds>"
// read from stdin it runs that benchmark for that long and prints "<name> <value>". The JMH benchmarks drive it
// between their own iterations (PairedC.java).

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Runs benchmark `name` for `seconds`, storing its figure in *value; returns 0 when `name` was not set up.
typedef int (*harness_slice_fn)(const char *name, double seconds, void *ctx, double *value);

static void harness_serve(const char *prog, harness_slice_fn slice, void *ctx) {
    printf("ready\n");
    fflush(stdout);
    char line[128], name[32];
    double seconds, value;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%31s %lf", name, &seconds) != 2 || seconds <= 0) {
            fprintf(stderr, "%s: bad request '%s'\n", prog, line);
            exit(2);
        }
        if (!slice(name, seconds, ctx, &value)) {
            fprintf(stderr, "%s: '%s' was not set up (name it on the command line)\n", prog, name);
            exit(2);
        }
        printf("%s %.2f\n", name, value);
        fflush(stdout);
    }
}

// An idle second thread makes the process multi-threaded like a JVM. The kernel then looks up fds differently:
// fdget() in a process whose file table is shared takes and drops a file reference on every system call, which
// a single-threaded process skips. Used to tell that cost apart.
static void *harness_idle(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void harness_start_idle_thread(const char *prog) {
    pthread_t t;
    int err = pthread_create(&t, NULL, harness_idle, NULL);
    if (err) {
        fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
        exit(1);
    }
}
