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
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A control for {@link MapOpsBenchmark}: the least a JVM can do for the same lookups and updates. One native
 * buffer holds the attribute, the key and the value; each operation writes the key (and value) and calls
 * {@code syscall(SYS_bpf, cmd, attr, 32)} through a critical downcall that captures nothing. No checks, no
 * errno, no objects: what is left between this and the C harness is the JVM's own cost of a system call (JMH's
 * loop, the stub, everything cold after each call on this machine). Map set-up as {@link LibbpfMapOpsControl}'s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class BareDowncallControl {
    private static final long BPF_MAP_LOOKUP_ELEM = 1;
    private static final long BPF_MAP_UPDATE_ELEM = 2;
    /** The element commands' part of {@code union bpf_attr}: map_fd, pad, key, value, flags. */
    private static final long ATTR_SIZE = 32;
    private static final long KEY_AT = ATTR_SIZE;
    private static final long VALUE_AT = ATTR_SIZE + Long.BYTES;
    private static final int MASK = MapOpsBenchmark.FILLED - 1;
    private static final long SYS_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64" -> 280;
        default -> throw new IllegalStateException("no bpf(2) number known for " + System.getProperty("os.arch"));
    };
    private static final MethodHandle SYSCALL;

    static {
        SYSCALL = downcall(Linker.nativeLinker());
    }

    @SuppressWarnings("restricted") // the benchmarks' JVMs run with --enable-native-access
    private static MethodHandle downcall(Linker linker) {
        return linker.downcallHandle(linker.defaultLookup().findOrThrow("syscall"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.critical(false));
    }

    private Arena arena;
    private Libbpf libbpf;
    private int fd = -1;
    /** attr (32 bytes), then the key (8-byte slot), then the value. */
    private MemorySegment buffer;
    private long attr;
    private int next;

    /** {@code paired} (the C side in paired mode) is set up first: its harness may have made the map opened here. */
    @Setup
    public void setup(PairedC paired) throws Throwable {
        arena = Arena.ofConfined();
        libbpf = new Libbpf(arena);
        buffer = arena.allocate(ATTR_SIZE + 2 * Long.BYTES, Long.BYTES);
        attr = buffer.address();
        fd = libbpf.opsMap(arena, paired);
        buffer.set(JAVA_INT, 0, fd);
        buffer.set(JAVA_LONG, 8, attr + KEY_AT);
        buffer.set(JAVA_LONG, 16, attr + VALUE_AT);
        buffer.set(JAVA_LONG, 24, 0); // BPF_ANY
        // The attribute built here, checked once.
        next = MapOpsBenchmark.FILLED - 1;
        if (lookup() != 0) {
            throw new IllegalStateException("a bare lookup of the last prefilled key failed: is the attribute right?");
        }
        next = 0;
    }

    @TearDown
    public void tearDown() throws Throwable {
        libbpf.close(fd);
        arena.close();
    }

    @Benchmark
    public long lookup() throws Throwable {
        int k = next;
        buffer.set(JAVA_INT, KEY_AT, k);
        next = (k + 1) & MASK;
        return (long) SYSCALL.invokeExact(SYS_BPF, BPF_MAP_LOOKUP_ELEM, attr, ATTR_SIZE);
    }

    @Benchmark
    public long update() throws Throwable {
        int k = next;
        buffer.set(JAVA_INT, KEY_AT, k);
        buffer.set(JAVA_LONG, VALUE_AT, k);
        next = (k + 1) & MASK;
        return (long) SYSCALL.invokeExact(SYS_BPF, BPF_MAP_UPDATE_ELEM, attr, ATTR_SIZE);
    }
}
