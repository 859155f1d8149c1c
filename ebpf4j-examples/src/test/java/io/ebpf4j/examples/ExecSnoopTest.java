package io.ebpf4j.examples;

import io.ebpf4j.SyscallException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Runs the README's example against the kernel: it must see the exec of a program this test starts. */
class ExecSnoopTest {
    @TempDir
    Path tmp;

    @Test
    void seesTheExecOfAProgramTheTestStarts() throws Exception {
        Path object = Path.of("..").resolve(ExecSnoop.BUNDLED);
        Path probe = tmp.resolve("ebpf4j-example-" + ProcessHandle.current().pid());
        Files.copy(Path.of("/bin/true"), probe, StandardCopyOption.COPY_ATTRIBUTES);
        BlockingQueue<ExecSnoop.Event> events = new LinkedBlockingQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread watcher = Thread.ofPlatform().start(() -> {
            try {
                ExecSnoop.watch(object, running::get, events::add);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        try {
            ExecSnoop.Event seen = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // The watcher attaches in the background: run the probe until its exec shows up.
            while (seen == null && failed.get() == null && System.nanoTime() < deadline) {
                new ProcessBuilder(probe.toString()).start().waitFor();
                for (ExecSnoop.Event e = events.poll(200, TimeUnit.MILLISECONDS); e != null; e = events.poll()) {
                    if (e.filename().equals(probe.toString())) {
                        seen = e;
                    }
                }
            }
            if (failed.get() instanceof SyscallException e && e.getMessage().contains("EPERM")) {
                Assumptions.abort("BPF is not available to this process: " + e.getMessage());
            }
            assertNull(failed.get(), () -> "the example failed: " + failed.get());
            assertNotNull(seen, "the example never reported the probe's exec");
            assertEquals(ProcessHandle.current().pid(), seen.ppid());
            assertEquals(probe.getFileName().toString().substring(0, 15), seen.comm());
        } finally {
            running.set(false);
            watcher.join(10_000);
        }
    }
}
