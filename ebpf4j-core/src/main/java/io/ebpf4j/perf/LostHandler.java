package io.ebpf4j.perf;

/** Told how many samples the kernel dropped on {@code cpu} because its ring was full (a PERF_RECORD_LOST). */
@FunctionalInterface
public interface LostHandler {
    void lost(int cpu, long count);
}
