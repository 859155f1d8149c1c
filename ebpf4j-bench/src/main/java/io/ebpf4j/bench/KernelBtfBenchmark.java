package io.ebpf4j.bench;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Kernel BTF from scratch to one type, one thread, warm: each op is {@link Btf#open(Path)} of
 * {@code /sys/kernel/btf/vmlinux}, {@link Btf#find(String, BtfKind) find("task_struct", STRUCT)} and
 * {@link Btf#close()}. The same op as {@code c/btfbench.c} does with libbpf ({@code btf__load_vmlinux_btf},
 * {@code btf__find_by_name_kind}, {@code btf__free}). {@link Btf#loadKernel()} is not used: it caches the
 * parsed BTF for the whole process, so only its first call would do any work.
 *
 * <p>The heap a parsed kernel BTF keeps alive is measured by {@link KernelBtfHeap}, not here.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class KernelBtfBenchmark {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    /** The id found by the first op; every later op must find the same. */
    private int expected;

    @Setup
    public void setup() {
        if (!Files.isReadable(VMLINUX)) {
            throw new IllegalStateException(VMLINUX + " is missing or unreadable: this kernel exposes no BTF");
        }
        expected = openFind();
    }

    /** One op: open, find task_struct, close. Returns its type id (positive), or throws. */
    static int openFind() {
        try (Btf btf = Btf.open(VMLINUX)) {
            OptionalInt id = btf.find("task_struct", BtfKind.STRUCT);
            if (id.isEmpty()) {
                throw new IllegalStateException("no struct task_struct in " + VMLINUX);
            }
            return id.getAsInt();
        }
    }

    @Benchmark
    public int openFindClose() {
        int id = openFind();
        if (id != expected) {
            throw new IllegalStateException("task_struct is type " + id + ", was " + expected);
        }
        return id;
    }
}
