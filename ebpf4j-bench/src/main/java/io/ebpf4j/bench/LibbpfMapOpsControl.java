package io.ebpf4j.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A control for {@link MapOpsBenchmark}: the same single-element lookups and updates, but through Debian's
 * libbpf ({@code bpf_map_lookup_elem}, {@code bpf_map_update_elem}) called from this JVM with plain FFM
 * downcalls, on the same map and keys as {@code c/mapbench.c}. Paired with the C harness like the real
 * benchmark, it shows what the JVM process costs a {@code bpf()} call, apart from ebpf4j's code. Needs
 * {@code libbpf.so.1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class LibbpfMapOpsControl {
    private static final long BPF_ANY = 0;
    private static final int MASK = MapOpsBenchmark.FILLED - 1;

    private Arena arena;
    private MethodHandle lookupElem;
    private MethodHandle updateElem;
    private Libbpf libbpf;
    private int fd = -1;
    private MemorySegment key;
    private MemorySegment value;
    private int next;

    /** {@code paired} (the C side in paired mode) is set up first: its harness may have made the map opened here. */
    @Setup
    public void setup(PairedC paired) throws Throwable {
        arena = Arena.ofConfined();
        libbpf = new Libbpf(arena);
        lookupElem = libbpf.lookupElem;
        updateElem = libbpf.updateElem;
        fd = libbpf.opsMap(arena, paired);
        key = arena.allocate(JAVA_INT);
        value = arena.allocate(JAVA_LONG);
        next = 0;
    }

    @TearDown
    public void tearDown() throws Throwable {
        libbpf.close(fd);
        arena.close();
    }

    @Benchmark
    public int lookup() throws Throwable {
        key.set(JAVA_INT, 0, next);
        next = (next + 1) & MASK;
        return (int) lookupElem.invokeExact(fd, key, value);
    }

    @Benchmark
    public int update() throws Throwable {
        int k = next;
        key.set(JAVA_INT, 0, k);
        value.set(JAVA_LONG, 0, k);
        next = (k + 1) & MASK;
        return (int) updateElem.invokeExact(fd, key, value, BPF_ANY);
    }
}
