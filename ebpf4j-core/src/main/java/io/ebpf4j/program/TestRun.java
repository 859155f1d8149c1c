package io.ebpf4j.program;

/**
 * Inputs of {@code BPF_PROG_TEST_RUN}: packet data and/or a context, how often to repeat, flags and CPU.
 *
 * @param dataOutSize the room for output data; the kernel says ENOSPC (and ebpf4j how much it needs) when short
 */
public record TestRun(byte[] data, int dataOutSize, byte[] ctx, int ctxOutSize, int repeat, int flags, int cpu,
                      int batchSize) {
    /** BPF_F_TEST_RUN_ON_CPU: run on {@code cpu} (raw tracepoints). */
    public static final int F_RUN_ON_CPU = 1;
    /** BPF_F_TEST_XDP_LIVE_FRAMES: send the XDP program's frames for real. */
    public static final int F_XDP_LIVE_FRAMES = 1 << 1;
    /** BPF_F_TEST_SKB_CHECKSUM_COMPLETE. */
    public static final int F_SKB_CHECKSUM_COMPLETE = 1 << 2;

    /** Room added to the input's size for output data: programs may grow packets. */
    public static final int OUT_HEADROOM = 256;

    public static TestRun withData(byte[] data) {
        return new TestRun(data, data.length + OUT_HEADROOM, null, 0, 1, 0, 0, 0);
    }

    public static TestRun withContext(byte[] ctx) {
        return new TestRun(null, 0, ctx, ctx.length, 1, 0, 0, 0);
    }

    public static TestRun empty() {
        return new TestRun(null, 0, null, 0, 1, 0, 0, 0);
    }

    public TestRun repeat(int n) {
        return new TestRun(data, dataOutSize, ctx, ctxOutSize, n, flags, cpu, batchSize);
    }

    public TestRun context(byte[] c) {
        return new TestRun(data, dataOutSize, c, c == null ? 0 : c.length, repeat, flags, cpu, batchSize);
    }

    public TestRun flags(int f) {
        return new TestRun(data, dataOutSize, ctx, ctxOutSize, repeat, f, cpu, batchSize);
    }

    public TestRun onCpu(int c) {
        return new TestRun(data, dataOutSize, ctx, ctxOutSize, repeat, flags | F_RUN_ON_CPU, c, batchSize);
    }

    public TestRun dataOutSize(int n) {
        return new TestRun(data, n, ctx, ctxOutSize, repeat, flags, cpu, batchSize);
    }

    /** What a test run gave back. {@code durationNs} is the mean per repetition. */
    public record Result(int retval, long durationNs, byte[] dataOut, byte[] ctxOut) {
    }
}
