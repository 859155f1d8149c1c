package io.ebpf4j.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A control for {@link EventsBenchmark#perf}: the same steps (1,000 test runs of {@code produce_pb}, then
 * {@code perf_buffer__poll} with a zero timeout until all 1,000 samples are handled) through Debian's libbpf,
 * called from this JVM with plain FFM downcalls. Each sample goes to a native callback
 * ({@code c/perfcontrol.c}, the same code as {@code c/eventbench.c}'s), so no upcall enters the JVM. Paired with
 * the C harness like the real benchmark, it shows what the JVM process costs this work, apart from ebpf4j's code.
 * Needs {@code libbpf.so.1} and the callback library that {@code run-eventbench --control} builds.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class LibbpfPerfControl {
    /** As {@code c/eventbench.c}'s PERF_PAGES and the real benchmark's pages per CPU. */
    private static final long PAGES = 64;
    /** {@code struct bpf_test_run_opts} (libbpf 1.x): its size, and where data_in, data_size_in and repeat sit. */
    private static final long TEST_RUN_OPTS_SIZE = 80;
    private static final long DATA_IN = 8;
    private static final long DATA_SIZE_IN = 24;
    private static final long REPEAT = 60;
    /** {@code struct perfcontrol_counts}: u64 sum, u64 seen. */
    private static final long SEEN = 8;

    @Param("ebpf4j-bench/target/events64.bpf.o")
    public String object;

    @Param("ebpf4j-bench/target/libperfcontrol.so")
    public String callbackLibrary;

    private Arena arena;
    private Libbpf libbpf;
    private MethodHandle testRun;
    private MethodHandle poll;
    private MemorySegment obj = MemorySegment.NULL;
    private MemorySegment pb = MemorySegment.NULL;
    private MemorySegment opts;
    private MemorySegment counts;
    private int progFd;

    @Setup
    @SuppressWarnings("restricted") // the benchmarks' JVMs run with --enable-native-access
    public void setup() throws Throwable {
        arena = Arena.ofConfined();
        libbpf = new Libbpf(arena);
        testRun = libbpf.testRun;
        poll = libbpf.perfBufferPoll;
        Path lib = Path.of(callbackLibrary).toAbsolutePath();
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException("no callback library at " + lib + ": build it with "
                    + "ebpf4j-bench/run-eventbench --control, or pass -p callbackLibrary=<path>");
        }
        MemorySegment onSample = SymbolLookup.libraryLookup(lib, arena).findOrThrow("perfcontrol_on_sample");
        obj = libbpf.openAndLoad(arena, EventsBenchmark.objectPath(object).toString());
        progFd = libbpf.programFd(arena, obj, "produce_pb");
        counts = arena.allocate(16, 8);
        pb = libbpf.perfBuffer(libbpf.mapFd(arena, obj, "pb"), PAGES, onSample, counts);
        opts = arena.allocate(TEST_RUN_OPTS_SIZE, 8);
        opts.set(JAVA_LONG, 0, TEST_RUN_OPTS_SIZE);
        opts.set(JAVA_LONG, DATA_IN, arena.allocate(64).address());
        opts.set(JAVA_INT, DATA_SIZE_IN, 64);
        opts.set(JAVA_INT, REPEAT, EventsBenchmark.BATCH);
    }

    @TearDown
    public void tearDown() throws Throwable {
        if (!pb.equals(MemorySegment.NULL)) {
            libbpf.freePerfBuffer(pb);
        }
        if (!obj.equals(MemorySegment.NULL)) {
            libbpf.closeObject(obj);
        }
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(EventsBenchmark.BATCH)
    public long perf(PairedC paired) throws Throwable {
        int err = (int) testRun.invokeExact(progFd, opts);
        if (err != 0) {
            throw new IllegalStateException("bpf_prog_test_run_opts: " + err);
        }
        long want = counts.get(JAVA_LONG, SEEN) + EventsBenchmark.BATCH;
        while (counts.get(JAVA_LONG, SEEN) < want) {
            int n = (int) poll.invokeExact(pb, 0);
            if (n < 0) {
                throw new IllegalStateException("perf_buffer__poll: " + n);
            }
        }
        return counts.get(JAVA_LONG, 0);
    }
}
