package io.ebpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native memory for system-call attributes and errno capture, so that hot paths (map element
 * operations) allocate nothing. A kernel wrapper fills {@link #attr} and reads results back before it returns:
 * wrappers never nest.
 */
final class Scratch {
    /** Larger than any {@code union bpf_attr} member we use (the 6.18 union is 168 bytes). */
    static final int ATTR_BYTES = 256;
    private static final int INITIAL_BUFFER = 256;
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    final Arena arena = Arena.ofAuto();
    final MemorySegment attr = arena.allocate(ATTR_BYTES, 8);
    final MemorySegment capture = Libc.newCapture(arena);
    private MemorySegment key = arena.allocate(INITIAL_BUFFER, 8);
    private MemorySegment value = arena.allocate(INITIAL_BUFFER, 8);

    static Scratch get() {
        return LOCAL.get();
    }

    /** The attribute buffer, zeroed over {@code size} bytes. */
    MemorySegment attr(long size) {
        attr.asSlice(0, size).fill((byte) 0);
        return attr;
    }

    /** A native buffer of at least {@code size} bytes for keys, reused by this thread. */
    MemorySegment key(long size) {
        if (key.byteSize() < size) {
            key = arena.allocate(Math.max(size, key.byteSize() * 2), 8);
        }
        return key.asSlice(0, size);
    }

    /** A native buffer of at least {@code size} bytes for values, reused by this thread. */
    MemorySegment value(long size) {
        if (value.byteSize() < size) {
            value = arena.allocate(Math.max(size, value.byteSize() * 2), 8);
        }
        return value.asSlice(0, size);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
