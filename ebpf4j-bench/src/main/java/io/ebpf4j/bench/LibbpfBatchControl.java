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
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
    private static final int BPF_MAP_TYPE_HASH = 1;
    private static final int ENOENT = 2;

    @Param("10000")
    public int chunk;

    private Arena arena;
    private MethodHandle lookupBatch;
    private MethodHandle close;
    private int fd = -1;
    private MemorySegment token;
    private MemorySegment count;
    private MemorySegment keys;
    private MemorySegment values;

    @Setup
    public void setup() throws Throwable {
        arena = Arena.ofConfined();
        Linker linker = Linker.nativeLinker();
        SymbolLookup libbpf = SymbolLookup.libraryLookup("libbpf.so.1", arena);
        MethodHandle create = linker.downcallHandle(libbpf.findOrThrow("bpf_map_create"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        MethodHandle updateBatch = linker.downcallHandle(libbpf.findOrThrow("bpf_map_update_batch"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        lookupBatch = linker.downcallHandle(libbpf.findOrThrow("bpf_map_lookup_batch"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        close = linker.downcallHandle(linker.defaultLookup().findOrThrow("close"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        int entries = BatchLookupBenchmark.ENTRIES;
        fd = (int) create.invokeExact(BPF_MAP_TYPE_HASH, arena.allocateFrom("bench_batch"), Integer.BYTES,
                Long.BYTES, entries, MemorySegment.NULL);
        if (fd < 0) {
            throw new IllegalStateException("bpf_map_create: " + fd);
        }
        int fillChunk = 100_000;
        MemorySegment k = arena.allocate(JAVA_INT, fillChunk);
        MemorySegment v = arena.allocate(JAVA_LONG, fillChunk);
        count = arena.allocate(JAVA_INT);
        for (int base = 0; base < entries; base += fillChunk) {
            int n = Math.min(fillChunk, entries - base);
            for (int i = 0; i < n; i++) {
                k.setAtIndex(JAVA_INT, i, base + i);
                v.setAtIndex(JAVA_LONG, i, base + i);
            }
            count.set(JAVA_INT, 0, n);
            int err = (int) updateBatch.invokeExact(fd, k, v, count, MemorySegment.NULL);
            if (err != 0 || count.get(JAVA_INT, 0) != n) {
                throw new IllegalStateException("bpf_map_update_batch: " + err);
            }
        }
        token = arena.allocate(JAVA_INT);
        keys = arena.allocate(JAVA_INT, chunk);
        values = arena.allocate(JAVA_LONG, chunk);
        long seen = walk();
        if (seen != entries) {
            throw new IllegalStateException("a batch walk saw " + seen + " entries, expected " + entries);
        }
    }

    @TearDown
    public void tearDown() throws Throwable {
        if (fd >= 0) {
            int unused = (int) close.invokeExact(fd);
        }
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BatchLookupBenchmark.ENTRIES)
    public long batch(PairedC paired) throws Throwable {
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
