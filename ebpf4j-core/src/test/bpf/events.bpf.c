// Event stream fixture: tc programs (driven by test-run, one record per run) that write numbered, patterned
// records into ring buffers and a perf buffer, drain a user ring buffer and call bpf_printk.
// Record layout: u64 seq, u32 size, u32 zero, then byte i = (seq * 7 + i) & 0xff up to size.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_RECORD 256
#define FIXED_RECORD 64

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb2 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, 4);
    __uint(value_size, 4);
    __uint(max_entries, 128);
} pb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_USER_RINGBUF);
    __uint(max_entries, 4096);
} urb SEC(".maps");

struct buf {
    __u8 d[MAX_RECORD];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct buf);
} scratch SEC(".maps");

// Set by the test.
volatile __u32 min_size = 12;
volatile __u32 size_span = 1;
volatile __u32 discard_every;
volatile __u32 target; // 0: rb, 1: rb2, 2: pb
volatile __u64 marker;

// Kept by the programs.
volatile __u64 next_seq;
volatile __u64 failures;
volatile __u64 drained;
volatile __u64 drain_bad;
volatile __u64 drain_expect;
volatile long drain_ret;

static __always_inline void fill(struct buf *b, __u64 seq, __u32 size)
{
    *(__u64 *)&b->d[0] = seq;
    *(__u32 *)&b->d[8] = size;
    *(__u32 *)&b->d[12] = 0;
    for (__u32 i = 16; i < MAX_RECORD; i++) {
        if (i >= size)
            break;
        b->d[i] = (seq * 7 + i) & 0xff;
    }
}

SEC("tc")
int produce(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
    if (!b)
        return 0;
    __u64 seq = next_seq++;
    __u32 size = min_size + (size_span > 1 ? seq % size_span : 0);
    if (discard_every)
        size = FIXED_RECORD;
    if (size < 16)
        size = 16;
    if (size > MAX_RECORD)
        size = MAX_RECORD;
    fill(b, seq, size);

    if (discard_every) {
        void *rec = target == 1 ? bpf_ringbuf_reserve(&rb2, FIXED_RECORD, 0) : bpf_ringbuf_reserve(&rb, FIXED_RECORD, 0);
        if (!rec) {
            failures++;
            return 0;
        }
        __builtin_memcpy(rec, b->d, FIXED_RECORD);
        if (seq % discard_every == 0)
            bpf_ringbuf_discard(rec, 0);
        else
            bpf_ringbuf_submit(rec, 0);
        return 0;
    }
    long err;
    if (target == 2)
        err = bpf_perf_event_output(skb, &pb, BPF_F_CURRENT_CPU, b->d, size);
    else if (target == 1)
        err = bpf_ringbuf_output(&rb2, b->d, size, 0);
    else
        err = bpf_ringbuf_output(&rb, b->d, size, 0);
    if (err)
        failures++;
    return 0;
}

// Checks one user ring buffer sample: the layout above, in sequence from drain_expect.
static long check_sample(struct bpf_dynptr *sample, void *ctx)
{
    __u32 zero = 0;
    struct buf *b = bpf_map_lookup_elem(&scratch, &zero);
    if (!b)
        return 1;
    if (bpf_dynptr_read(b->d, 16, sample, 0, 0)) {
        drain_bad++;
        return 0;
    }
    __u64 seq = *(__u64 *)&b->d[0];
    __u32 size = *(__u32 *)&b->d[8];
    if (seq != drain_expect || size < 16 || size >= MAX_RECORD) {
        drain_bad++;
        drain_expect = seq + 1;
        return 0;
    }
    drain_expect = seq + 1;
    // Bounds the length for the verifier (size < 256 was checked above).
    asm volatile("%0 &= 0xff" : "+r"(size));
    if (bpf_dynptr_read(b->d, size, sample, 0, 0)) {
        drain_bad++;
        return 0;
    }
    for (__u32 i = 16; i < MAX_RECORD; i++) {
        if (i >= size)
            break;
        if (b->d[i] != ((seq * 7 + i) & 0xff)) {
            drain_bad++;
            return 0;
        }
    }
    drained++;
    return 0;
}

SEC("tc")
int drain(struct __sk_buff *skb)
{
    drain_ret = bpf_user_ringbuf_drain(&urb, check_sample, NULL, 0);
    return 0;
}

SEC("tc")
int printk(struct __sk_buff *skb)
{
    bpf_printk("ebpf4j-trace-marker %llu", marker);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
