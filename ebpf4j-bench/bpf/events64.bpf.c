// Producers for the event-stream benchmarks: each run of a tc program (driven by test-run with a repeat count)
// writes one 64-byte record, numbered, into the ring buffer or the perf buffer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 24); // room for the 200,000-record drain (72 bytes each with the header)
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, 4);
    __uint(value_size, 4);
    __uint(max_entries, 128);
} pb SEC(".maps");

__u64 seq;

SEC("tc")
int produce_rb(struct __sk_buff *skb)
{
    __u64 rec[8] = {seq++, 1, 2, 3, 4, 5, 6, 7};
    bpf_ringbuf_output(&rb, rec, sizeof(rec), 0);
    return 0;
}

SEC("tc")
int produce_pb(struct __sk_buff *skb)
{
    __u64 rec[8] = {seq++, 1, 2, 3, 4, 5, 6, 7};
    bpf_perf_event_output(skb, &pb, BPF_F_CURRENT_CPU, rec, sizeof(rec));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
