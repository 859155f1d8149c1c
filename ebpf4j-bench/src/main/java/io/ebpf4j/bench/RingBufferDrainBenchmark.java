package io.ebpf4j.bench;

import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.Program;
import io.ebpf4j.ringbuf.RecordHandler;
import io.ebpf4j.ringbuf.RingBufferReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The ring buffer consumer's cost alone: before each op a tc program fills the ring with 200,000 64-byte records
 * (untimed), then the op is one {@link RingBufferReader#consume(RecordHandler)} of them all. The score is ns per
 * record; {@code c/eventbench.c drain} times libbpf's {@code ring_buffer__consume} the same way.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class RingBufferDrainBenchmark {
    static final int DRAIN = 200_000;

    @Param("ebpf4j-bench/target/events64.bpf.o")
    public String object;

    private BpfObject obj;
    private Program produce;
    private RingBufferReader reader;
    private Arena arena;
    private MemorySegment packet;
    private long sum;
    private int seen;
    private final RecordHandler onRecord = rec -> {
        sum += rec.get(JAVA_LONG, 0);
        seen++;
    };


    @Setup
    public void setup() {
        obj = EventsBenchmark.load(object);
        produce = obj.program("produce_rb");
        arena = Arena.ofConfined();
        packet = arena.allocate(64);
        reader = RingBufferReader.of(obj.map("rb"));
    }


    /** Fills the ring; a per-invocation setup is fine here: an op takes milliseconds. */
    @Setup(Level.Invocation)
    public void fill() {
        produce.run(packet, DRAIN);
    }

    @TearDown
    public void tearDown() {
        reader.close();
        obj.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(DRAIN)
    public long drain(PairedC paired) {
        int before = seen;
        reader.consume(onRecord);
        if (seen - before != DRAIN) {
            throw new IllegalStateException("consumed " + (seen - before) + " records, not " + DRAIN);
        }
        return sum;
    }
}
