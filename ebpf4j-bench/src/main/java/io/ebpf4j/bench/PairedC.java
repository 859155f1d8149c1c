package io.ebpf4j.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Paired mode: runs the C harness between JMH's own iterations, so that C and Java alternate second by second
 * and slow drift of the machine (on a shared VM the same loop's speed wanders by 20–30% over tens of seconds)
 * falls on both sides alike. Off unless the run script sets the properties below; the benchmarks then behave
 * exactly as plain JMH benchmarks.
 * <ul>
 *   <li>{@value #OUT}: a directory; each benchmark writes {@code <name>.pairs} there, one line per C slice:
 *       {@code <side> <warmup|measurement> <index> <rate>}.</li>
 *   <li>{@value #SIDE_PREFIX}{@code <side>}: the command line (split at spaces) of a C harness in its serving
 *       mode. It prints {@code ready} once set up, then answers each request {@code <name> <seconds>} read from
 *       its stdin with {@code <name> <rate>} after working that long.</li>
 *   <li>{@value #SHARED}: a bpffs path prefix that the harnesses were given ({@code mapbench -P}): the first
 *       one makes and pins the benchmark's map there, the others open it, and so does Java
 *       ({@link #sharedMap}), so that every side works on one kernel map.</li>
 * </ul>
 * Before each JMH iteration every side runs one slice as long as the iteration, and once more after the last
 * one; the run script compares Java's iteration i with the mean of the C slices just before and just after it.
 * A benchmark takes part by taking this state as a parameter, either of the benchmark method or, when it opens
 * the shared map, of its {@code @Setup} (JMH then starts the harnesses first). Never both: JMH would make two
 * instances, each with its own harnesses. The request name is the benchmark method's name, except where
 * {@link #C_WORK} names the C work a Java method is measured against.
 */
@State(Scope.Thread)
public class PairedC {
    static final String OUT = "ebpf4j.bench.pair.out";
    static final String SIDE_PREFIX = "ebpf4j.bench.pair.side.";
    static final String SHARED = "ebpf4j.bench.pair.shared";

    private record Side(String name, Process process, BufferedReader answers, Writer requests) {
    }

    /**
     * Java benchmarks measured against C work of another name: {@code lookupAll} reads a whole map as C's batch
     * walk does, libbpf's way to read one.
     */
    static final Map<String, String> C_WORK = Map.of("lookupAll", "batch");

    private String benchmark;
    /** The C harness's name for the work of {@link #benchmark}. */
    private String work;
    private Path results;
    /** Empty when pairing is off. */
    private List<Side> sides = List.of();
    private IterationParams last;
    private int index;
    private IterationType type;

    /** Starts the harnesses named by the system properties, set up for this benchmark; nothing when pairing is off. */
    @Setup(Level.Trial)
    public void start(BenchmarkParams params) {
        CpuPin.pinIfAsked();
        String out = System.getProperty(OUT);
        if (out == null) {
            return;
        }
        String method = params.getBenchmark();
        benchmark = method.substring(method.lastIndexOf('.') + 1);
        work = C_WORK.getOrDefault(benchmark, benchmark);
        Map<String, String> commands = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(p -> p.startsWith(SIDE_PREFIX))
                .forEach(p -> commands.put(p.substring(SIDE_PREFIX.length()), System.getProperty(p)));
        if (commands.isEmpty()) {
            throw new IllegalStateException(OUT + " is set but no " + SIDE_PREFIX + "<side> names a harness");
        }
        List<Side> started = new ArrayList<>();
        try {
            for (Map.Entry<String, String> c : commands.entrySet()) {
                List<String> argv = new ArrayList<>(Arrays.asList(c.getValue().trim().split(" +")));
                argv.add(work);
                Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                Side side = new Side(c.getKey(), p,
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)),
                        new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII));
                started.add(side);
                String ready = side.answers.readLine();
                if (!"ready".equals(ready)) {
                    throw new IllegalStateException("the " + c.getKey() + " harness (" + c.getValue()
                            + ") did not get ready: it said " + ready);
                }
            }
            results = Path.of(out, benchmark + ".pairs");
            Files.deleteIfExists(results);
            sides = started;
        } catch (IOException | RuntimeException e) {
            started.forEach(s -> s.process.destroy());
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * Where the harnesses pinned the map named {@code suffix} ({@code <prefix>-<suffix>}) when they share their
     * maps with Java; {@code null} when they do not (pairing off, or {@value #SHARED} unset).
     */
    Path sharedMap(String suffix) {
        String prefix = System.getProperty(SHARED, "");
        return sides.isEmpty() || prefix.isBlank() ? null : Path.of(prefix.trim() + "-" + suffix);
    }

    /** Runs one slice on every side, as long as the coming iteration. */
    @Setup(Level.Iteration)
    public void before(IterationParams iteration) {
        // Again per iteration, in case JMH hands the next iteration to another worker thread.
        CpuPin.pinIfAsked();
        if (sides.isEmpty()) {
            return;
        }
        if (iteration.getType() != type) {
            type = iteration.getType();
            index = 0;
        }
        last = iteration;
        slice(iteration, type, index++);
    }

    private void slice(IterationParams iteration, IterationType kind, int at) {
        double seconds = iteration.getTime().convertTo(TimeUnit.MILLISECONDS) / 1000.0;
        StringBuilder lines = new StringBuilder();
        for (Side s : sides) {
            try {
                s.requests.write(work + " " + seconds + "\n");
                s.requests.flush();
                String answer = s.answers.readLine();
                String[] f = answer == null ? new String[0] : answer.split(" ");
                if (f.length != 2 || !f[0].equals(work)) {
                    throw new IllegalStateException("the " + s.name + " harness answered '" + answer + "' to "
                            + work);
                }
                lines.append(s.name).append(' ')
                        .append(kind == IterationType.WARMUP ? "warmup" : "measurement").append(' ')
                        .append(at).append(' ').append(f[1]).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            Files.writeString(results, lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the closing slice (after the last measured iteration) and stops the harnesses. */
    @TearDown(Level.Trial)
    public void stop() {
        try {
            if (last != null && type == IterationType.MEASUREMENT) {
                slice(last, type, index);
            }
        } finally {
            for (Side s : sides) {
                try {
                    s.requests.close();
                    s.process.waitFor(10, TimeUnit.SECONDS);
                } catch (IOException e) {
                    // Stopping it below is all that is left to do.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    s.process.destroy();
                }
            }
        }
    }
}
