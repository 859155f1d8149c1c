package io.ebpf4j.map;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a batch walk over a map stands. Start with a new cursor; each batch call moves it on;
 * {@link #isDone()} says when the map was walked to its end. Not thread-safe.
 */
public final class BatchCursor implements AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    final MemorySegment in;
    final MemorySegment out;
    boolean started;
    boolean done;

    /** A cursor for a map with the given key size (the kernel's batch token is at most one key wide). */
    public BatchCursor(int keySize) {
        long size = Math.max(keySize, Long.BYTES);
        in = arena.allocate(size, Long.BYTES);
        out = arena.allocate(size, Long.BYTES);
    }

    /** True once a batch call reached the end of the map. */
    public boolean isDone() {
        return done;
    }

    /** Starts over from the beginning. */
    public void reset() {
        started = false;
        done = false;
    }

    void advance() {
        MemorySegment.copy(out, 0, in, 0, in.byteSize());
        started = true;
    }

    @Override
    public void close() {
        arena.close();
    }
}
