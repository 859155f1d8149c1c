package io.ebpf4j.ringbuf;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Epoll;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;

/**
 * The producer side of a {@code BPF_MAP_TYPE_USER_RINGBUF} map: Java reserves space, writes a sample, submits it
 * (or discards it), and a BPF program reads the samples with {@code bpf_user_ringbuf_drain}.
 * <pre>{@code
 * try (UserRingBuffer rb = UserRingBuffer.of(obj.map("requests"))) {
 *     MemorySegment s = rb.reserve(16, Duration.ofSeconds(1));
 *     s.set(JAVA_LONG, 0, 42);
 *     rb.submit(s);
 * }
 * }</pre>
 * Samples may be submitted in any order; the program sees them in reservation order and stops at the first one
 * not yet submitted. One thread produces at a time (the methods synchronize). The map is owned by the caller and
 * must outlive this producer.
 */
public final class UserRingBuffer implements AutoCloseable {
    private final String what;
    private final Arena arena;
    private final MemorySegment consumerPage;
    private final MemorySegment producerPage;
    private final MemorySegment data;
    private final long size;
    private final long mask;
    private final Epoll epoll;
    private long producerPos;
    private boolean closed;
    /** Threads waiting in {@link #reserve(int, Duration)}; the last one to leave a closed producer releases it. */
    private int waiters;
    private boolean released;

    private UserRingBuffer(String what, Arena arena, MemorySegment consumerPage, MemorySegment producerPage,
            MemorySegment data, long size, Epoll epoll) {
        this.what = what;
        this.arena = arena;
        this.consumerPage = consumerPage;
        this.producerPage = producerPage;
        this.data = data;
        this.size = size;
        this.mask = size - 1;
        this.epoll = epoll;
        this.producerPos = (long) Ring.LONG.getAcquire(producerPage, 0L);
    }

    /** Maps the user ring buffer {@code map} for producing. */
    public static UserRingBuffer of(BpfMap map) {
        if (map.type() != MapType.USER_RINGBUF) {
            throw new BpfException("map '" + map.name() + "' is a " + map.type() + " map, not a USER_RINGBUF: a user "
                    + "ring buffer producer needs a BPF_MAP_TYPE_USER_RINGBUF map (for RINGBUF use RingBufferReader)");
        }
        String what = "user ring buffer '" + map.name() + "'";
        long page = Sys.pageSize();
        long size = Integer.toUnsignedLong(map.maxEntries());
        Arena arena = Arena.ofShared();
        Epoll epoll = null;
        try {
            // The consumer page belongs to the kernel (read-only for us); the producer page and data are ours.
            MemorySegment consumer = Sys.mmap(map.fd(), page, Libc.PROT_READ, 0, arena, what);
            MemorySegment rest = Sys.mmap(map.fd(), page + 2 * size, Libc.PROT_READ | Libc.PROT_WRITE, page, arena,
                    what);
            epoll = Epoll.create(1, what);
            // Edge-triggered: the map reports writable whenever it is not completely full, which would make a
            // level-triggered wait for room spin; a drain by the program wakes the edge.
            epoll.add(map.fd(), Epoll.EPOLLOUT | Epoll.EPOLLET, 0);
            return new UserRingBuffer(what, arena, consumer, rest.asSlice(0, page), rest.asSlice(page, 2 * size), size,
                    epoll);
        } catch (RuntimeException | Error e) {
            Closing.closeAllAfter(e, epoll, arena);
            throw e;
        }
    }

    /** The data area's size in bytes; a sample takes its length plus an 8-byte header, rounded up to 8. */
    public long capacity() {
        return size;
    }

    /** Bytes free for new samples now (headers included). */
    public synchronized long available() {
        check();
        return size - (producerPos - (long) Ring.LONG.getAcquire(consumerPage, 0L));
    }

    /**
     * Reserves {@code length} bytes for a sample and returns them (zeroed contents are not guaranteed), or
     * {@code null} when the ring has no room now. Throws when a sample of that length can never fit.
     */
    public synchronized MemorySegment tryReserve(int length) {
        check();
        long total = total(length);
        long cons = (long) Ring.LONG.getAcquire(consumerPage, 0L);
        if (size - (producerPos - cons) < total) {
            return null;
        }
        long offset = producerPos & mask;
        // The header first (busy: the program must not read it yet), then the producer position, released so that
        // the kernel sees the header with it.
        Ring.INT.set(data, offset, length | Ring.BUSY_BIT);
        Ring.INT.set(data, offset + 4, 0);
        producerPos += total;
        Ring.LONG.setRelease(producerPage, 0L, producerPos);
        return data.asSlice(offset + Ring.HEADER, length);
    }

    /**
     * Reserves like {@link #tryReserve} but waits up to {@code timeout} for the program to drain enough room;
     * returns {@code null} when the time passed. Throws {@link IllegalStateException} when the producer is closed,
     * before or during the wait.
     */
    public MemorySegment reserve(int length, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // Counted as a waiter: a close from another thread wakes the wait (tryReserve then says the producer is
        // closed), and the epoll and the mappings are released once every waiter has left. The monitor is not held
        // while waiting, so other producers and a closer never wait for this wait.
        synchronized (this) {
            check();
            waiters++;
        }
        try {
            while (true) {
                MemorySegment s = tryReserve(length);
                if (s != null) {
                    return s;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                epoll.await(Epoll.timeoutMillis(Duration.ofNanos(left)));
            }
        } finally {
            synchronized (this) {
                waiters--;
                if (closed && waiters == 0) {
                    release();
                }
            }
        }
    }

    /** Makes a reserved sample visible to the program. */
    public synchronized void submit(MemorySegment sample) {
        commit(sample, false);
    }

    /** Gives a reserved sample back: the program skips it. */
    public synchronized void discard(MemorySegment sample) {
        commit(sample, true);
    }

    private void commit(MemorySegment sample, boolean discard) {
        check();
        long offset = sample.address() - data.address() - Ring.HEADER;
        if (offset < 0 || offset >= size || sample.address() + sample.byteSize() > data.address() + data.byteSize()) {
            throw new IllegalArgumentException("the sample was not reserved from " + what);
        }
        int header = (int) Ring.INT.getVolatile(data, offset);
        if ((header & Ring.BUSY_BIT) == 0) {
            throw new IllegalStateException("the sample of " + what + " was already submitted or discarded");
        }
        int committed = (header & Ring.LENGTH_MASK) | (discard ? Ring.DISCARD_BIT : 0);
        // A full exchange: the sample's bytes are ordered before the header that publishes them.
        Ring.INT.getAndSet(data, offset, committed);
    }

    private long total(int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("a user ring buffer sample needs a positive length, not " + length);
        }
        long total = (length + Ring.HEADER + 7L) & ~7L;
        if (total > size) {
            throw new IllegalArgumentException("a sample of " + length + " bytes can never fit in " + what + " ("
                    + size + " bytes of data, 8 of them per sample for the header)");
        }
        return total;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException(what + " is closed");
        }
    }

    /** Closes the producer; a thread waiting in {@link #reserve(int, Duration)} is woken and told so. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (waiters > 0) {
            epoll.wake(); // the last waiter to leave releases
        } else {
            release();
        }
    }

    /** Called with the monitor held, once closed and no thread waits. */
    private void release() {
        if (!released) {
            released = true;
            Closing.closeAll(epoll, arena);
        }
    }
}
