package io.ebpf4j.bench;

import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.perf.PerfBuffer;
import io.ebpf4j.perf.SampleHandler;
import io.ebpf4j.program.Program;
import io.ebpf4j.ringbuf.RecordHandler;
import io.ebpf4j.ringbuf.RingBufferReader;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Ring and perf buffer consumption with a producer in the loop, one thread: each op test-runs a tc program of
 * {@code bpf/events64.bpf.c} 1,000 times (one 64-byte record per run), then polls with a zero timeout until all
 * 1,000 records are handled. The score is events/s. The same steps as {@code c/eventbench.c} ({@code poll},
 * {@code perf}) do with libbpf's {@code ring_buffer__poll} and {@code perf_buffer__poll}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class EventsBenchmark {
    static final int BATCH = 1000;

    /** The object file; relative paths are resolved against the working directory. */
    @Param("ebpf4j-bench/target/events64.bpf.o")
    public String object;

    private BpfObject obj;
    private Program produceRb;
    private Program producePb;
    private RingBufferReader reader;
    private PerfBuffer perf;
    private Arena arena;
    private MemorySegment packet;
    private long sum;
    private int seen;
    private final RecordHandler onRecord = rec -> {
        sum += rec.get(JAVA_LONG, 0);
        seen++;
    };
    // Perf samples start 4-byte aligned. An 8-byte unaligned read (JAVA_LONG_UNALIGNED) here made C2 keep the
    // sample view's allocation (48 B per sample on JDK 25); a 4-byte read of the sequence number lets it go.
    private final SampleHandler onSample = (cpu, s) -> {
        sum += s.get(JAVA_INT, 0);
        seen++;
    };

    static BpfObject load(String object) {
        return BpfObject.load(ObjectSpec.read(objectPath(object)));
    }

    /** The producer object's absolute path; it must exist. */
    static Path objectPath(String object) {
        Path path = Path.of(object).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("no object file at " + path
                    + ": build it with ebpf4j-bench/run-eventbench, or pass -p object=<path>");
        }
        return path;
    }


    @Setup
    public void setup() {
        obj = load(object);
        produceRb = obj.program("produce_rb");
        producePb = obj.program("produce_pb");
        arena = Arena.ofConfined();
        packet = arena.allocate(64);
        reader = RingBufferReader.of(obj.map("rb"));
        perf = PerfBuffer.open(obj.map("pb"), PerfBuffer.Options.defaults().withPagesPerCpu(64));
    }


    @TearDown
    public void tearDown() {
        reader.close();
        perf.close();
        obj.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long poll(PairedC paired) {
        produceRb.run(packet, BATCH);
        int want = seen + BATCH;
        while (seen < want) {
            reader.poll(Duration.ZERO, onRecord);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long perf(PairedC paired) {
        producePb.run(packet, BATCH);
        int want = seen + BATCH;
        while (seen < want) {
            perf.poll(Duration.ZERO, onSample);
        }
        return sum;
    }
}
