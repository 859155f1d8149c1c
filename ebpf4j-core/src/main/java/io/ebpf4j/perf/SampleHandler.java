package io.ebpf4j.perf;

import java.lang.foreign.MemorySegment;

/**
 * Receives one sample of a perf buffer: the raw bytes a program passed to {@code bpf_perf_event_output}, padded
 * by the kernel so that the sample and its 4-byte size end on an 8-byte boundary. The segment is valid only during
 * the call (a view of the ring, or of a scratch copy when the sample wrapped around the ring's end); copy it to
 * keep it.
 */
@FunctionalInterface
public interface SampleHandler {
    void accept(int cpu, MemorySegment sample);
}
