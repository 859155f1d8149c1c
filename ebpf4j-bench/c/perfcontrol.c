// perfcontrol: the sample callback of LibbpfPerfControl (../src/main/java/io/ebpf4j/bench), built as a shared
// library so that the control hands each sample to native code exactly as c/eventbench.c does, with no upcall
// into the JVM: what differs from the C harness is then only the process around libbpf.
//
// Build: gcc -O2 -shared -fPIC -o target/libperfcontrol.so c/perfcontrol.c

#include <stdint.h>
#include <string.h>

struct perfcontrol_counts {
    uint64_t sum;  // what the callback reads, so that the samples are really touched
    uint64_t seen;
};

void perfcontrol_on_sample(void *ctx, int cpu, void *data, uint32_t size) {
    struct perfcontrol_counts *c = ctx;
    uint64_t v;
    memcpy(&v, data, sizeof(v)); // perf samples are 4-byte aligned
    c->sum += v;
    c->seen++;
}
