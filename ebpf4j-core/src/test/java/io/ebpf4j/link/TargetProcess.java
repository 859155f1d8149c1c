package io.ebpf4j.link;

import io.ebpf4j.testing.NativeC;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native program uprobe and USDT tests probe ({@code src/test/native/uprobe_target.c}, linked against
 * {@code libebpf4jtest.so}): started (and, when the constructor returns, loaded with its libraries), it waits
 * until {@link #run()} lets it call its functions N times.
 */
final class TargetProcess implements AutoCloseable {
    static Path library() {
        return NativeC.sharedLibrary("uprobe_lib", "ebpf4jtest");
    }

    static Path executable() {
        return NativeC.executable("uprobe_target", library());
    }

    private final Process process;
    private final int calls;
    private final BufferedReader out;

    TargetProcess(int calls) throws IOException {
        this.calls = calls;
        this.process = new ProcessBuilder(executable().toString(), Integer.toString(calls))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        // Its libraries are mapped once it says so: /proc/PID/maps lookups depend on that.
        String first = out.readLine();
        if (!"ready".equals(first)) {
            close();
            throw new IllegalStateException("the target program did not start: " + first);
        }
    }

    int pid() {
        return (int) process.pid();
    }

    /** Lets the program make its calls and waits until it has (it prints "done SUM" and exits 0). */
    void run() throws Exception {
        process.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        String line = out.readLine();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the target program did not finish");
        assertEquals(0, process.exitValue());
        // add(i,10) + mul(i,3) + lib_add(i,100) for i in 1..N
        long n = calls;
        assertEquals("done " + (n * (n + 1) / 2 * 5 + 110 * n), line);
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
