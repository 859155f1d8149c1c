package io.ebpf4j.bench;

import io.ebpf4j.map.BatchCursor;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.map.UpdateFlag;
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
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Reads a whole 1,000,000-entry hash map (4-byte key, 8-byte value): {@link #batch} with BPF_MAP_LOOKUP_BATCH,
 * as {@code c/mapbench.c} does, and {@link #lookupAll} with {@link BpfMap#lookupAll} (the walk in the kernel),
 * paired with that same C batch walk ({@link PairedC#C_WORK}). One operation is one entry
 * ({@link OperationsPerInvocation}), so the score is entries per second. Same map, fill and chunk as C.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class BatchLookupBenchmark {
    static final int ENTRIES = 1_000_000;
    /** Entries written per batch update while filling. */
    static final int FILL_CHUNK = 100_000;

    /** Elements per BPF_MAP_LOOKUP_BATCH call; the run script passes the same number to the C harness. */
    @Param("10000")
    public int chunk;

    private Arena arena;
    private BpfMap map;
    private BatchCursor cursor;
    private MemorySegment keys;
    private MemorySegment values;
    /** Room for the whole map, for {@link #lookupAll}. */
    private MemorySegment allKeys;
    private MemorySegment allValues;

    /** {@code paired} (the C side in paired mode) is set up first: its harness may have made the map opened here. */
    @Setup
    public void setup(PairedC paired) {
        arena = Arena.ofConfined();
        Path shared = paired.sharedMap("batch");
        if (shared != null) {
            map = BpfMap.openPinned(shared);
            MapOpsBenchmark.requireShape(map, ENTRIES, shared);
        } else {
            map = BpfMap.create(MapSpec.of(MapType.HASH, Integer.BYTES, Long.BYTES, ENTRIES).withName("bench_batch"));
            fill();
        }
        cursor = new BatchCursor(Integer.BYTES);
        keys = arena.allocate(JAVA_INT, chunk);
        values = arena.allocate(JAVA_LONG, chunk);
        // A short walk would make the score a lie: check once that a walk sees every entry.
        long seen = walk();
        if (seen != ENTRIES) {
            throw new IllegalStateException("a batch walk saw " + seen + " entries, expected " + ENTRIES);
        }
        allKeys = arena.allocate(JAVA_INT, ENTRIES);
        allValues = arena.allocate(JAVA_LONG, ENTRIES);
        // Also loads lookupAll's walk program, once, outside the measurement.
        int all = map.lookupAll(allKeys, allValues);
        if (all != ENTRIES) {
            throw new IllegalStateException("lookupAll read " + all + " entries, expected " + ENTRIES);
        }
    }

    /** Fills the map with batch updates: a million single updates would take a second or more of setup. */
    private void fill() {
        MemorySegment k = arena.allocate(JAVA_INT, FILL_CHUNK);
        MemorySegment v = arena.allocate(JAVA_LONG, FILL_CHUNK);
        for (int base = 0, n; base < ENTRIES; base += n) {
            n = fillChunk(k, v, base);
            int done = map.updateBatch(k, v, n, UpdateFlag.ANY);
            if (done != n) {
                throw new IllegalStateException("batch update wrote " + done + " of " + n);
            }
        }
    }

    /** Writes the entries from {@code base} on (key i, value i) into {@code k} and {@code v}; how many. */
    static int fillChunk(MemorySegment k, MemorySegment v, int base) {
        int n = (int) Math.min(k.byteSize() / Integer.BYTES, ENTRIES - base);
        for (int i = 0; i < n; i++) {
            k.setAtIndex(JAVA_INT, i, base + i);
            v.setAtIndex(JAVA_LONG, i, base + i);
        }
        return n;
    }

    @TearDown
    public void tearDown() {
        cursor.close();
        map.close();
        arena.close();
    }

    /** One walk of the whole map. */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public long batch() {
        return walk();
    }

    /** The whole map in one call (a walk in the kernel). */
    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public int lookupAll() {
        return map.lookupAll(allKeys, allValues);
    }

    private long walk() {
        cursor.reset();
        long total = 0;
        while (!cursor.isDone()) {
            total += map.lookupBatch(cursor, keys, values, chunk);
        }
        return total;
    }
}
