package io.ebpf4j.cli;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfCDump;
import io.ebpf4j.elf.ElfFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ebpf4j run} as a separate process, as a user runs it: the bundled example prints the exec of a program
 * the test starts; a fixture's records are decoded through BTF; a verifier rejection is a short error; SIGTERM
 * (as Ctrl-C) ends the run with exit code 0 and the map summary.
 */
class CliRunTest {
    private static final long WAIT_SECONDS = 60;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void kernel() {
        CliTest.kernel();
    }

    /** A running {@code ebpf4j run}, its stdout and stderr lines queued as they come. */
    private static final class RunProcess implements AutoCloseable {
        final Process process;
        final List<String> allOut = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<String> allErr = java.util.Collections.synchronizedList(new ArrayList<>());

        private final List<Thread> pumps = new ArrayList<>();

        RunProcess(String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    "io.ebpf4j.cli.Main", "run"));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).start();
            pumps.add(pump(process.getInputStream(), allOut));
            pumps.add(pump(process.getErrorStream(), allErr));
        }

        private static Thread pump(InputStream in, List<String> all) {
            return Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        all.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
        }

        /** The first line of {@code lines} containing {@code text}, waiting for it. */
        String await(List<String> lines, String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (System.nanoTime() < deadline) {
                synchronized (lines) {
                    for (String line : lines) {
                        if (line.contains(text)) {
                            return line;
                        }
                    }
                }
                if (!process.isAlive() && pumps.stream().noneMatch(Thread::isAlive)) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no line with '" + text + "'; stdout: " + allOut + "; stderr: " + allErr);
        }

        /** Stops the run as Ctrl-C would (SIGTERM is handled the same way) and returns the exit code. */
        int stop() throws InterruptedException {
            // Process.destroy() would also close our ends of its pipes and lose its last lines; the handle only signals.
            process.toHandle().destroy();
            return exit();
        }

        /** Waits for the process to end and for its last lines to be read; returns its exit code. */
        int exit() throws InterruptedException {
            assertTrue(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "ebpf4j run did not stop");
            for (Thread t : pumps) {
                t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            }
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** Runs a uniquely named copy of /bin/true, whose exec the programs see. */
    private static Path execProbe() throws Exception {
        Path probe = tmp.resolve("ebpf4j-probe-" + ProcessHandle.current().pid());
        if (!Files.exists(probe)) {
            Files.copy(Path.of("/bin/true"), probe, StandardCopyOption.COPY_ATTRIBUTES);
        }
        Process p = new ProcessBuilder(probe.toString()).start();
        assertTrue(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS));
        return probe;
    }

    @Test
    void bundledExamplePrintsTheExecOfACommandTheTestRuns() throws Exception {
        try (RunProcess run = new RunProcess()) {
            run.await(run.allErr, "running");
            Path probe = execProbe();
            String line = run.await(run.allOut, probe.toString());
            assertTrue(line.matches(".* events pid=\\d+ ppid=" + ProcessHandle.current().pid() + " uid=0 comm=\"ebpf4j-probe-\\d*\" "
                    + "filename=\"" + probe + "\""), line);
            assertEquals(0, run.stop());
            assertTrue(run.allOut.contains("-- maps --"), run.allOut + " / " + run.allErr);
            assertTrue(run.allOut.stream().anyMatch(l -> l.matches("execsnoo\\.bss: execs=[1-9]\\d* dropped=0")),
                    run.allOut.toString());
        }
    }

    @Test
    void recordsAreDecodedThroughBtfAsJsonToo() throws Exception {
        Path object = Fixtures.compile("run_events", Files.createDirectories(tmp.resolve("events")));
        try (RunProcess run = new RunProcess(object.toString(), "--record", "samples=sample", "-j")) {
            run.await(run.allErr, "running");
            execProbe();
            String event = run.await(run.allOut, "\"map\":\"events\"");
            assertTrue(event.matches("\\{\"map\":\"events\",\"record\":\\{\"magic\":49374,\"pid\":\\d+,"
                    + "\"comm\":\"ebpf4j-probe-.*\"}}"), event);
            String sample = run.await(run.allOut, "\"map\":\"samples\"");
            assertTrue(sample.matches("\\{\"map\":\"samples\",\"record\":\\{\"seq\":\\d+,\"delta\":-7,\"flags\":17}}"),
                    sample);
            run.await(run.allOut, "ebpf4j run printk 42");
            assertEquals(0, run.stop());
            assertTrue(run.allOut.stream().anyMatch(l -> l.startsWith("{\"maps\":") && l.contains("\"seen\":")),
                    run.allOut.toString());
        }
    }

    @Test
    void aStructThatIsNotThereIsAOneLineError() throws Exception {
        Path object = Fixtures.compile("run_events", Files.createDirectories(tmp.resolve("nostruct")));
        try (RunProcess run = new RunProcess(object.toString(), "--record", "samples=nothing_like_it")) {
            assertEquals(1, run.exit());
            // Checked before anything is loaded or attached: the error is the only line.
            assertEquals(List.of("ebpf4j: --record samples=nothing_like_it: the object's BTF has no struct "
                    + "'nothing_like_it'"), run.allErr);
        }
    }

    @Test
    void aRecordForAMapThatHoldsNoRecordsIsRefused() throws Exception {
        Path object = Fixtures.compile("run_events", Files.createDirectories(tmp.resolve("notrecords")));
        String bss = io.ebpf4j.object.ObjectSpec.read(object).maps().keySet().stream()
                .filter(n -> n.endsWith(".bss")).findFirst().orElseThrow();
        try (RunProcess run = new RunProcess(object.toString(), "--record", bss + "=sample")) {
            assertEquals(1, run.exit());
            assertEquals(List.of("ebpf4j: --record " + bss + "=...: map '" + bss + "' is a array map; records come "
                    + "from ring buffers and perf event arrays"), run.allErr);
        }
    }

    @Test
    void aVerifierRejectionIsAShortErrorAndANonZeroExit() throws Exception {
        Path object = Fixtures.compile("run_broken", Files.createDirectories(tmp.resolve("broken")));
        try (RunProcess run = new RunProcess(object.toString(), "--duration", "30")) {
            assertNotEquals(0, run.exit());
            assertTrue(run.allOut.isEmpty(), run.allOut.toString());
            String first = run.allErr.getFirst();
            assertTrue(first.startsWith("ebpf4j: ") && first.contains("too_far"), run.allErr.toString());
            assertTrue(run.allErr.size() <= 40, "the verifier's relevant lines, not its whole log: " + run.allErr);
            assertTrue(String.join("\n", run.allErr).contains("invalid access to map value"), run.allErr.toString());
        }
    }

    @Test
    void theBundledObjectMatchesItsSource() throws Exception {
        Fixtures.assumeClang();
        Path dir = Files.createDirectories(tmp.resolve("bundled"));
        try (Btf vmlinux = Btf.loadKernel()) {
            Files.writeString(dir.resolve("vmlinux.h"), BtfCDump.header(vmlinux));
        }
        Path source = Path.of("src/main/bpf/execsnoop.bpf.c");
        Files.copy(source, dir.resolve("execsnoop.bpf.c"));
        List<String> cmd = List.of(Fixtures.CLANG, "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86", "-I" + dir,
                "-I/usr/include/x86_64-linux-gnu", "-c", "execsnoop.bpf.c", "-o", "fresh.bpf.o");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        byte[] bundled;
        try (InputStream in = RunCommand.class.getResourceAsStream(RunCommand.EXAMPLE)) {
            bundled = in.readAllBytes();
        }
        ElfFile fresh = ElfFile.of(Files.readAllBytes(dir.resolve("fresh.bpf.o")));
        ElfFile shipped = ElfFile.of(bundled);
        for (String section : List.of("tp/sched/sched_process_exec", ".text", ".maps", ".bss")) {
            assertArrayEquals(fresh.section(section).orElseThrow().bytes(), shipped.section(section).orElseThrow().bytes(),
                    section + " differs: rebuild the bundled object with make -C ebpf4j-cli/src/main/bpf");
        }
        assertFalse(new String(bundled, StandardCharsets.ISO_8859_1).contains(System.getProperty("user.dir")),
                "the bundled object must not name the directory it was built in");
    }
}
