package io.ebpf4j.map;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a batch walk over a map stands. Start with a new cursor; each batch call moves it on;
 * {@link #isDone()} says when the map was walked to its end. Not thread-safe.
 */
public final class BatchCursor implements AutoCloseable {
    /** The cursor's own memory; null when it lives in an arena of the caller's. */
    private final Arena arena;
    final MemorySegment in;
    final MemorySegment out;
    boolean started;
    boolean done;

    /** A cursor for a map with the given key size (the kernel's batch token is at most one key wide). */
    public BatchCursor(int keySize) {
        this(keySize, Arena.ofConfined(), true);
    }

    /** A cursor in {@code memory}, which {@link #close()} leaves open (for iterators that may be abandoned). */
    BatchCursor(int keySize, Arena memory) {
        this(keySize, memory, false);
    }

    private BatchCursor(int keySize, Arena memory, boolean owned) {
        arena = owned ? memory : null;
        long size = Math.max(keySize, Long.BYTES);
        in = memory.allocate(size, Long.BYTES);
        out = memory.allocate(size, Long.BYTES);
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
        if (arena != null && arena.scope().isAlive()) { // closing again does nothing
            arena.close();
        }
    }
}
