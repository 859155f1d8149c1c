package io.ebpf4j.bench;

import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.map.UpdateFlag;
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
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Single-element lookup and update on a hash map (4-byte key, 8-byte value), one thread. The work per call
 * matches {@code c/mapbench.c}: same map size, same 64K prefilled keys visited in the same rotating order.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class MapOpsBenchmark {
    /** Kept equal to MAX_ENTRIES and FILLED in mapbench.c. */
    static final int MAX_ENTRIES = 1 << 20;
    static final int FILLED = 1 << 16;
    private static final int MASK = FILLED - 1;

    private Arena arena;
    private BpfMap map;
    // Native, preallocated, exactly key/value sized: the library then passes them to the kernel as they are.
    private MemorySegment key;
    private MemorySegment value;
    private int next;

    /** {@code paired} (the C side in paired mode) is set up first: its harness may have made the map opened here. */
    @Setup
    public void setup(PairedC paired) {
        arena = Arena.ofConfined();
        key = arena.allocate(JAVA_INT);
        value = arena.allocate(JAVA_LONG);
        next = 0;
        Path shared = paired.sharedMap("ops");
        if (shared != null) {
            map = BpfMap.openPinned(shared);
            requireShape(map, MAX_ENTRIES, shared);
            key.set(JAVA_INT, 0, FILLED - 1);
            if (!map.lookup(key, value)) {
                throw new IllegalStateException(shared + " lacks its last prefilled key");
            }
            return;
        }
        map = BpfMap.create(MapSpec.of(MapType.HASH, Integer.BYTES, Long.BYTES, MAX_ENTRIES).withName("bench_ops"));
        for (int i = 0; i < FILLED; i++) {
            key.set(JAVA_INT, 0, i);
            value.set(JAVA_LONG, 0, i);
            map.update(key, value, UpdateFlag.ANY);
        }
    }

    /** Refuses a shared map that is not the hash map the C harness and this class make. */
    static void requireShape(BpfMap map, int maxEntries, Path where) {
        if (map.type() != MapType.HASH || map.keySize() != Integer.BYTES || map.valueSize() != Long.BYTES
                || map.maxEntries() != maxEntries) {
            throw new IllegalStateException(where + " is a " + map.type() + " map with " + map.keySize() + "-byte keys, "
                    + map.valueSize() + "-byte values and " + map.maxEntries() + " entries; expected a hash map, 4, 8 and "
                    + maxEntries);
        }
    }


    @TearDown
    public void tearDown() {
        map.close();
        arena.close();
    }

    @Benchmark
    public boolean lookup() {
        key.set(JAVA_INT, 0, next);
        next = (next + 1) & MASK;
        return map.lookup(key, value);
    }

    @Benchmark
    public void update() {
        int k = next;
        key.set(JAVA_INT, 0, k);
        value.set(JAVA_LONG, 0, k);
        next = (k + 1) & MASK;
        map.update(key, value, UpdateFlag.ANY);
    }
}
