package io.ebpf4j.bench;

import io.ebpf4j.object.BpfObject;
import io.ebpf4j.perf.PerfBuffer;
import io.ebpf4j.perf.SampleHandler;
import io.ebpf4j.program.Program;
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

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The perf buffer consumer's cost alone, as {@link RingBufferDrainBenchmark} measures the ring buffer's: before
 * each op a tc program writes 40,000 64-byte samples into a perf buffer of 1,024 pages per CPU (untimed; each ring
 * holds them all, whichever CPUs the test run runs on), then the op is one {@link PerfBuffer#consume(SampleHandler)}
 * of them all. The score is ns per sample; {@code c/eventbench.c perfDrain} times libbpf's
 * {@code perf_buffer__consume} the same way. The end-to-end {@code perf} benchmark's time is nearly all the
 * producer's (a wake-up per sample); this one shows what the two consumers cost.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class PerfDrainBenchmark {
    static final int DRAIN = 40_000;
    /** 4 MiB per CPU: room for {@link #DRAIN} samples of 80 bytes with their headers. */
    static final int PAGES = 1024;

    @Param("ebpf4j-bench/target/events64.bpf.o")
    public String object;

    private BpfObject obj;
    private Program produce;
    private PerfBuffer perf;
    private Arena arena;
    private MemorySegment packet;
    private long sum;
    private int seen;
    private final SampleHandler onSample = (cpu, s) -> {
        sum += s.get(JAVA_INT, 0);
        seen++;
    };

    @Setup
    public void setup() {
        obj = EventsBenchmark.load(object);
        produce = obj.program("produce_pb");
        arena = Arena.ofConfined();
        packet = arena.allocate(64);
        perf = PerfBuffer.open(obj.map("pb"), PerfBuffer.Options.defaults().withPagesPerCpu(PAGES));
    }

    /**
     * Fills one ring (about 0.2 s here: a wake-up per sample). A per-invocation setup is fine: the timed consume
     * (about 0.2 ms) is long against JMH's timestamps around it.
     */
    @Setup(Level.Invocation)
    public void fill() {
        produce.run(packet, DRAIN);
    }

    @TearDown
    public void tearDown() {
        perf.close();
        obj.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(DRAIN)
    public long perfDrain(PairedC paired) {
        int before = seen;
        perf.consume(onSample);
        if (seen - before != DRAIN) {
            throw new IllegalStateException("consumed " + (seen - before) + " samples, not " + DRAIN
                    + " (lost: " + perf.lostSamples() + ")");
        }
        return sum;
    }
}
