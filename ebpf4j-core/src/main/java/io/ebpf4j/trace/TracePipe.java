package io.ebpf4j.trace;

import io.ebpf4j.Errno;
import io.ebpf4j.Mounts;
import io.ebpf4j.kernel.CloseGate;
import io.ebpf4j.kernel.Epoll;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The kernel trace buffer's {@code trace_pipe}, where {@code bpf_printk} writes, read line by line.
 * <pre>{@code
 * try (TracePipe pipe = TracePipe.open()) {
 *     while (pipe.poll(Duration.ofSeconds(1), line -> System.out.println(line.message())) >= 0) { }
 * }
 * }</pre>
 * Reading {@code trace_pipe} consumes: each line goes to exactly one reader, so two readers on one machine
 * (another tool, {@code cat trace_pipe}) each see only part of the lines. Waits are bounded by their timeout and
 * {@link #close()} (from any thread) wakes a waiting reader, which then returns -1 (or {@code null}).
 */
public final class TracePipe implements AutoCloseable {
    private static final int CHUNK = 64 * 1024;
    private static final int SLICE_MS = 100;

    private final Path path;
    private final Fd fd;
    private final Epoll epoll;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final byte[] bytes = new byte[CHUNK];
    /** Bytes of an unfinished line, kept until its newline arrives. */
    private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
    private final ArrayDeque<TraceLine> ready = new ArrayDeque<>();
    private final CloseGate gate;

    private TracePipe(Path path, Fd fd, Epoll epoll) {
        this.path = path;
        this.fd = fd;
        this.epoll = epoll;
        this.gate = new CloseGate(epoll::wake, this::release);
        this.buffer = arena.allocate(CHUNK);
    }

    /** Opens {@code trace_pipe} of the tracefs (mounted first if it is not, see {@link Mounts#tracefs()}). */
    public static TracePipe open() {
        return open(Mounts.tracefs().resolve("trace_pipe"));
    }

    /** Opens a trace pipe file, e.g. an instance's {@code instances/<name>/trace_pipe}. */
    public static TracePipe open(Path path) {
        Fd fd = Sys.openNonBlocking(path.toString());
        Epoll epoll = null;
        try {
            epoll = Epoll.create(1, "trace pipe " + path);
            epoll.add(fd.get(), Epoll.EPOLLIN, 0);
            return new TracePipe(path, fd, epoll);
        } catch (RuntimeException | Error e) {
            if (epoll != null) {
                epoll.close();
            }
            fd.close();
            throw e;
        }
    }

    /** The trace pipe file this reads. */
    public Path path() {
        return path;
    }

    /**
     * Waits up to {@code timeout} for lines, then hands every complete line read so far to {@code handler}.
     * Returns how many it handed (0 when the timeout passed), or -1 once closed.
     */
    public int poll(Duration timeout, Consumer<TraceLine> handler) {
        Objects.requireNonNull(handler, "handler");
        gate.enter();
        try {
            if (gate.isClosed()) {
                return -1;
            }
            if (ready.isEmpty() && !fill(timeout)) {
                return gate.isClosed() ? -1 : 0;
            }
            int n = 0;
            TraceLine l;
            while ((l = ready.poll()) != null) {
                n++;
                handler.accept(l);
                if (gate.isClosed()) {
                    break;
                }
            }
            return n;
        } finally {
            gate.exit();
        }
    }

    /** The next line, waiting up to {@code timeout}; {@code null} when the time passed or the pipe was closed. */
    public TraceLine next(Duration timeout) {
        gate.enter();
        try {
            if (gate.isClosed()) {
                return null;
            }
            if (ready.isEmpty()) {
                fill(timeout);
            }
            return gate.isClosed() ? null : ready.poll();
        } finally {
            gate.exit();
        }
    }

    /** Reads until at least one complete line is queued or the time passes; false if none is. */
    private boolean fill(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ready.isEmpty()) {
            long r = Sys.read(fd.get(), buffer, "trace pipe " + path);
            if (r > 0) {
                split((int) r);
                continue;
            }
            if (r == 0 || r == -Errno.EINTR.number() || r == -Errno.EAGAIN.number()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || gate.isClosed()) {
                    return false;
                }
                // Read again at least every SLICE_MS: whether poll() on trace_pipe wakes for a single line depends
                // on the kernel and on the buffer_percent setting.
                epoll.await((int) Math.min(SLICE_MS, Math.max(1, (left + 999_999) / 1_000_000)));
                if (gate.isClosed()) {
                    return false;
                }
            }
        }
        return true;
    }

    private void split(int n) {
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (bytes[i] == '\n') {
                String text;
                if (partial.size() > 0) {
                    partial.write(bytes, start, i - start);
                    text = partial.toString(StandardCharsets.UTF_8);
                    partial.reset();
                } else {
                    text = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                }
                ready.add(TraceLine.parse(text));
                start = i + 1;
            }
        }
        partial.write(bytes, start, n - start);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return gate.isClosed();
    }

    /**
     * Closes the pipe; a thread waiting in {@link #poll} or {@link #next} returns at once. From another thread it
     * returns once the pipe is released, after the line being handed out, if any.
     */
    @Override
    public void close() {
        gate.close();
    }

    private void release() {
        try {
            epoll.close();
            fd.close();
        } finally {
            arena.close();
        }
    }
}
