package io.ebpf4j.link;

import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An iterator program ({@code SEC("iter/task")}, {@code iter/bpf_map_elem}...) attached as a link. Each
 * {@link #open()} starts a new walk ({@code BPF_ITER_CREATE}) whose output — what the program wrote with
 * {@code BPF_SEQ_PRINTF} or {@code bpf_seq_write} — is read as a stream. A pinned iterator link can also be read
 * with {@code cat} on its pin.
 */
public final class IterLink extends BpfLink {
    /** {@code union bpf_iter_link_info}: 16 bytes (the cgroup member is the largest). */
    private static final int ITER_INFO_SIZE = 16;
    private static final long TASK_TID = 0;
    private static final long TASK_PID = 4;

    private IterLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Attaches an iterator program that takes no parameter (task, bpf_map, bpf_prog, tcp...). */
    public static IterLink attach(Program program) {
        String d = "iter '" + program.name() + "'";
        return new IterLink(Bpf.linkCreate(program.fd(), 0, AttachType.TRACE_ITER.value(), 0, null, 0, d), d);
    }

    /** Attaches a map-element iterator ({@code iter/bpf_map_elem}, {@code iter/sockmap}...) to {@code map}. */
    public static IterLink attach(Program program, BpfMap map) {
        return withInfo(program, info -> info.set(JAVA_INT, 0, map.fd()), "iter '" + program.name() + "' over map");
    }

    /** Attaches a task iterator limited to the threads of process {@code pid} (Linux 6.1+). */
    public static IterLink attachToProcess(Program program, int pid) {
        return withInfo(program, info -> info.set(JAVA_INT, TASK_PID, pid), "iter '" + program.name() + "' over pid " + pid);
    }

    /** Attaches a task iterator limited to thread {@code tid} (Linux 6.1+). */
    public static IterLink attachToThread(Program program, int tid) {
        return withInfo(program, info -> info.set(JAVA_INT, TASK_TID, tid), "iter '" + program.name() + "' over tid " + tid);
    }

    private static IterLink withInfo(Program program, java.util.function.Consumer<MemorySegment> fill, String d) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(ITER_INFO_SIZE, 8);
            fill.accept(info);
            return new IterLink(Bpf.linkCreate(program.fd(), 0, AttachType.TRACE_ITER.value(), 0, a -> {
                a.set(JAVA_LONG, Attr.LinkCreate.ITER_INFO, info.address());
                a.set(JAVA_INT, Attr.LinkCreate.ITER_INFO_LEN, ITER_INFO_SIZE);
            }, Attr.LinkCreate.ITER_INFO_LEN + Integer.BYTES, d), d);
        }
    }

    /** Starts a walk; the stream yields the program's output and ends with the walk. Close it. */
    public InputStream open() {
        return new IterStream(Bpf.iterCreate(fd(), describe()), describe());
    }

    /** Runs one whole walk and returns its output as lines. */
    public List<String> lines() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open(), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of one walk, read with read(2) through a native buffer. */
    private static final class IterStream extends InputStream {
        private static final int BUFFER = 8192;
        private final Fd fd;
        private final String what;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment buf = arena.allocate(BUFFER);
        private int pos;
        private int limit;
        private boolean eof;

        IterStream(Fd fd, String what) {
            this.fd = fd;
            this.what = what;
        }

        private boolean fill() {
            if (eof) {
                return false;
            }
            if (pos < limit) {
                return true;
            }
            int n = Sys.readRetrying(fd.get(), buf, what);
            pos = 0;
            limit = n;
            eof = n == 0;
            return n > 0;
        }

        @Override
        public synchronized int read() {
            if (!fill()) {
                return -1;
            }
            return buf.get(JAVA_BYTE, pos++) & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, limit - pos);
            MemorySegment.copy(buf, JAVA_BYTE, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public synchronized void close() {
            if (!fd.isClosed()) {
                fd.close();
                arena.close();
            }
        }
    }
}
