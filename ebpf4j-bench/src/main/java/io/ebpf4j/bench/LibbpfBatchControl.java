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
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A control for {@link BatchLookupBenchmark}: the same walk of a 1,000,000-entry hash map, but through Debian's
 * libbpf ({@code bpf_map_create}, {@code bpf_map_update_batch}, {@code bpf_map_lookup_batch}) called from this
 * JVM, exactly as {@code c/mapbench.c} calls it. Paired with the C harness like the real benchmark, it shows
 * what the JVM process itself costs a batch walk, apart from ebpf4j's code. Needs {@code libbpf.so.1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class LibbpfBatchControl {
    private static final int ENOENT = 2;

    @Param("10000")
    public int chunk;

    private Arena arena;
    private MethodHandle lookupBatch;
    private Libbpf libbpf;
    private int fd = -1;
    private MemorySegment token;
    private MemorySegment count;
    private MemorySegment keys;
    private MemorySegment values;

    /** {@code paired} (the C side in paired mode) is set up first: its harness may have made the map opened here. */
    @Setup
    public void setup(PairedC paired) throws Throwable {
        arena = Arena.ofConfined();
        libbpf = new Libbpf(arena);
        lookupBatch = libbpf.lookupBatch;
        int entries = BatchLookupBenchmark.ENTRIES;
        count = arena.allocate(JAVA_INT);
        Path shared = paired.sharedMap("batch");
        if (shared != null) {
            fd = libbpf.objGet(arena, shared.toString());
        } else {
            fd = libbpf.createHash(arena, "bench_batch", Integer.BYTES, Long.BYTES, entries);
            fill(entries);
        }
        token = arena.allocate(JAVA_INT);
        keys = arena.allocate(JAVA_INT, chunk);
        values = arena.allocate(JAVA_LONG, chunk);
        long seen = walk();
        if (seen != entries) {
            throw new IllegalStateException("a batch walk saw " + seen + " entries, expected " + entries);
        }
    }

    private void fill(int entries) throws Throwable {
        MemorySegment k = arena.allocate(JAVA_INT, BatchLookupBenchmark.FILL_CHUNK);
        MemorySegment v = arena.allocate(JAVA_LONG, BatchLookupBenchmark.FILL_CHUNK);
        for (int base = 0, n; base < entries; base += n) {
            n = BatchLookupBenchmark.fillChunk(k, v, base);
            count.set(JAVA_INT, 0, n);
            int err = (int) libbpf.updateBatch.invokeExact(fd, k, v, count, MemorySegment.NULL);
            if (err != 0 || count.get(JAVA_INT, 0) != n) {
                throw new IllegalStateException("bpf_map_update_batch: " + err);
            }
        }
    }

    @TearDown
    public void tearDown() throws Throwable {
        libbpf.close(fd);
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BatchLookupBenchmark.ENTRIES)
    public long batch() throws Throwable {
        return walk();
    }

    /** As mapbench.c's walk: NULL in_batch first, then the token; ENOENT ends the map. */
    private long walk() throws Throwable {
        long total = 0;
        boolean first = true;
        while (true) {
            count.set(JAVA_INT, 0, chunk);
            MemorySegment inBatch = first ? MemorySegment.NULL : token;
            int err = (int) lookupBatch.invokeExact(fd, inBatch, token, keys, values, count, MemorySegment.NULL);
            first = false;
            total += count.get(JAVA_INT, 0);
            if (err != 0) {
                if (err == -ENOENT) {
                    return total;
                }
                throw new IllegalStateException("bpf_map_lookup_batch: " + err);
            }
        }
    }
}
