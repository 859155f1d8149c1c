package io.ebpf4j.trace;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.testing.EventsFixture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A tc program calls {@code bpf_printk} with a marker unique to this run (fired through test-run), and the line
 * comes back through {@code trace_pipe}. Other processes may read trace_pipe at the same time and take lines: the
 * program fires repeatedly within a window, and if the marker never shows up while another process holds
 * trace_pipe open, the test is skipped, saying so.
 */
class TracePipeKernelTest {
    @BeforeEach
    void kernel() {
        KernelAccess.assume();
    }

    @Test
    void readsBpfPrintkLines() {
        long marker = (ProcessHandle.current().pid() << 24) ^ ThreadLocalRandom.current().nextInt(1 << 24);
        String want = "ebpf4j-trace-marker " + Long.toUnsignedString(marker);
        try (EventsFixture f = EventsFixture.load(4096); TracePipe pipe = TracePipe.open()) {
            f.object().variable("marker").set(JAVA_LONG, 0, marker);
            List<TraceLine> mine = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (mine.size() < 3 && System.nanoTime() < deadline) {
                f.run("printk");
                pipe.poll(Duration.ofMillis(300), l -> {
                    if (l.message().equals(want)) {
                        mine.add(l);
                    }
                });
            }
            if (mine.isEmpty()) {
                List<Long> others = otherReaders();
                Assumptions.assumeTrue(others.isEmpty(), "trace_pipe is busy: process(es) " + others
                        + " read it too and took this test's lines");
                fail("the marker '" + want + "' never came through " + pipe.path());
            }
            TraceLine l = mine.getFirst();
            assertTrue(l.parsed(), l.line());
            assertTrue(l.isPrintk(), l.line());
            // The test run ran the program in this process, on one of its threads.
            assertTrue(Files.isDirectory(Path.of("/proc/self/task/" + l.pid())), "pid " + l.pid() + " is not ours");
            assertTrue(l.cpu() >= 0);
            assertTrue(l.timestampNanos() > 0);
            assertFalse(l.task().isEmpty());
        }
    }

    @Test
    void closingWakesAWaitingReader() throws Exception {
        TracePipe pipe = TracePipe.open();
        CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> {
            int r;
            // Lines of other tracers may come first; wait until the close.
            while ((r = pipe.poll(Duration.ofSeconds(60), l -> { })) >= 0) {
                assertTrue(r > 0, "a 60 s poll returned with nothing");
            }
            return r;
        });
        Thread.sleep(300);
        long t0 = System.nanoTime();
        pipe.close();
        assertEquals(-1, waiter.get(5, TimeUnit.SECONDS));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
        assertNull(pipe.next(Duration.ofSeconds(1)));
    }

    /** Other processes holding a trace_pipe open. */
    private static List<Long> otherReaders() {
        List<Long> pids = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
                    continue;
                }
                try (Stream<Path> fds = Files.list(p.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().endsWith("/trace_pipe")) {
                                pids.add(Long.parseLong(name));
                                break;
                            }
                        } catch (IOException ignored) {
                            // the descriptor closed meanwhile
                        }
                    }
                } catch (IOException ignored) {
                    // the process exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc: " + e.getMessage(), e);
        }
        return pids;
    }
}
