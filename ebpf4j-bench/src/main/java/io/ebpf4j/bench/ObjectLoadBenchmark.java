package io.ebpf4j.bench;

import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Open + load + close of a whole object file from one benchmark thread, warm: each op is {@link ObjectSpec#read(Path)}
 * (read and parse the ELF), {@link BpfObject#load} (create the maps, load the programs: in parallel with
 * {@code loadThreads=0}, one after another with {@code 1}) and {@link BpfObject#close()}.
 * The same op as {@code c/loadbench.c} does with libbpf. The object is {@code bpf/load3.bpf.c} built by
 * {@code run-loadbench}; pass another with {@code -p object=<path>}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 20, time = 1) // the loader's code takes about 15 s of this loop to finish compiling
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Threads(1)
@State(Scope.Thread)
public class ObjectLoadBenchmark {
    /** The object file; relative paths are resolved against the working directory. */
    @Param("ebpf4j-bench/target/load3.bpf.o")
    public String object;

    /** Programs verified at once: 0 = one per CPU (the default), 1 = one after another, as libbpf. */
    @Param("0")
    public int loadThreads;

    private Path path;
    /** Options without pins: the fixture pins nothing, so the root is never touched. */
    private BpfObject.Options options;

    @Setup
    public void setup() {
        path = Path.of(object).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("no object file at " + path
                    + ": build it with ebpf4j-bench/run-loadbench, or pass -p object=<path>");
        }
        options = BpfObject.Options.defaults().withLoadThreads(loadThreads);
        // Fail here, with the loader's message, rather than in the middle of a measurement.
        try (BpfObject o = BpfObject.load(ObjectSpec.read(path), options)) {
            if (o.programs().isEmpty()) {
                throw new IllegalStateException(path + " has no programs to load");
            }
        }
    }

    @Benchmark
    public int openLoadClose() {
        ObjectSpec spec = ObjectSpec.read(path);
        try (BpfObject o = BpfObject.load(spec, options)) {
            return o.programs().size() + o.maps().size();
        }
    }
}
