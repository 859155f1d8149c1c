package io.ebpf4j.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-thread native memory for system-call attributes, errno capture and key/value staging, so that hot paths
 * (map element operations) allocate nothing. A kernel wrapper fills {@link #attr} and reads results back before
 * it returns: wrappers never nest.
 * <p>The memory comes from {@code malloc} and is seen through segments of the global scope: passing a segment of
 * a shared scope (an automatic or shared arena) to a downcall costs an atomic acquire and release per argument,
 * which a microsecond-long system call notices. A {@link Cleaner} frees the memory once the thread's scratch is
 * unreachable.
 * <p>Public only so that a map can keep the scratch of the thread that used it last ({@link #isCurrentThread}),
 * which saves a {@code ThreadLocal} lookup per element call; the package is not exported.
 */
public final class Scratch {
    /** Larger than any {@code union bpf_attr} member we use (the 6.18 union is 168 bytes). */
    static final int ATTR_BYTES = 256;
    private static final int INITIAL_BUFFER = 256;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    /** The addresses to free; kept apart from the Scratch so that the cleaner does not keep it reachable. */
    private final Blocks blocks = new Blocks();
    final MemorySegment attr = blocks.allocate(ATTR_BYTES);
    /** {@link #attr}'s address, for the element calls, which write it through a constant segment. */
    final long attrAddress = attr.address();
    final MemorySegment capture = blocks.allocate(Libc.CAPTURE_LAYOUT.byteSize());
    private final Thread owner = Thread.currentThread();
    private MemorySegment key = blocks.allocate(INITIAL_BUFFER);
    private MemorySegment value = blocks.allocate(INITIAL_BUFFER);

    private Scratch() {
        CLEANER.register(this, blocks);
    }

    /** This thread's scratch. */
    public static Scratch get() {
        return LOCAL.get();
    }

    /** Whether this is the calling thread's scratch (only then may the caller use it). */
    public boolean isCurrentThread() {
        return owner == Thread.currentThread();
    }

    /** The attribute buffer, zeroed over {@code size} bytes. */
    MemorySegment attr(long size) {
        attr.asSlice(0, size).fill((byte) 0);
        return attr;
    }

    /** A native buffer of at least {@code size} bytes for keys, reused by this thread. */
    MemorySegment key(long size) {
        if (key.byteSize() < size) {
            key = blocks.allocate(Math.max(size, key.byteSize() * 2));
        }
        return key.asSlice(0, size);
    }

    /** A native buffer of at least {@code size} bytes for values, reused by this thread. */
    MemorySegment value(long size) {
        if (value.byteSize() < size) {
            value = blocks.allocate(Math.max(size, value.byteSize() * 2));
        }
        return value.asSlice(0, size);
    }

    /** malloc'd blocks (malloc aligns to 16 bytes), freed together. */
    private static final class Blocks implements Runnable {
        private final List<MemorySegment> all = new ArrayList<>();

        @SuppressWarnings("restricted") // sizing memory that malloc returned
        MemorySegment allocate(long size) {
            MemorySegment raw;
            try {
                raw = (MemorySegment) Libc.MALLOC.invokeExact(size);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (raw.address() == 0) {
                throw new OutOfMemoryError("malloc(" + size + ") failed");
            }
            MemorySegment seg = raw.reinterpret(size);
            seg.fill((byte) 0);
            all.add(seg);
            return seg;
        }

        @Override
        public void run() {
            for (MemorySegment seg : all) {
                try {
                    Libc.FREE.invokeExact(seg);
                } catch (Throwable t) {
                    throw rethrow(t);
                }
            }
            all.clear();
        }
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
