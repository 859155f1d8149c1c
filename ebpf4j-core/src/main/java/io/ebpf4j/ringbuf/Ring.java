package io.ebpf4j.ringbuf;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.map.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One ring buffer mapped as the kernel lays it out: the consumer page (ours, read-write) at offset 0, then the
 * producer page and the data area, read-only, the data area mapped twice in a row so that a record crossing the
 * end of the ring is contiguous in memory.
 */
final class Ring {
    /** Each record starts with an 8-byte header: u32 length with the two flag bits, u32 page offset. */
    static final int HEADER = 8;
    static final int BUSY_BIT = 1 << 31;
    static final int DISCARD_BIT = 1 << 30;
    static final int LENGTH_MASK = ~(BUSY_BIT | DISCARD_BIT);

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final String name;
    private final Arena arena;
    private final MemorySegment consumerPage;
    private final MemorySegment producerPage;
    /** The data area, twice ({@code 2 * size} bytes), read-only. */
    private final MemorySegment data;
    private final long mask;
    /** Our copy of the consumer position; we are its only writer. */
    private long consumerPos;
    final RecordHandler handler;

    private Ring(String name, Arena arena, MemorySegment consumerPage, MemorySegment producerPage, MemorySegment data,
            long size, RecordHandler handler) {
        this.name = name;
        this.arena = arena;
        this.consumerPage = consumerPage;
        this.producerPage = producerPage;
        this.data = data;
        this.mask = size - 1;
        this.handler = handler;
        this.consumerPos = (long) LONG.getAcquire(consumerPage, 0L);
    }

    static String describe(BpfMap map) {
        return "ring buffer '" + map.name() + "'";
    }

    static Ring map(BpfMap map, RecordHandler handler) {
        if (map.isClosed()) {
            throw new IllegalStateException(describe(map) + " is closed");
        }
        if (map.type() != io.ebpf4j.map.MapType.RINGBUF) {
            throw new BpfException("map '" + map.name() + "' is a " + map.type() + " map, not a RINGBUF: a ring buffer "
                    + "reader needs a BPF_MAP_TYPE_RINGBUF map (for USER_RINGBUF use UserRingBuffer)");
        }
        long page = Sys.pageSize();
        long size = Integer.toUnsignedLong(map.maxEntries());
        String what = describe(map);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment consumer = Sys.mmap(map.fd(), page, Libc.PROT_READ | Libc.PROT_WRITE, 0, arena, what);
            MemorySegment rest = Sys.mmap(map.fd(), page + 2 * size, Libc.PROT_READ, page, arena, what);
            return new Ring(map.name(), arena, consumer, rest.asSlice(0, page).asReadOnly(),
                    rest.asSlice(page, 2 * size).asReadOnly(), size, handler);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A ring over memory laid out as the kernel does; for tests that play the producer. */
    static Ring over(String name, MemorySegment consumerPage, MemorySegment producerPage, MemorySegment data,
            long size, RecordHandler handler) {
        return new Ring(name, null, consumerPage, producerPage, data, size, handler);
    }

    /** Bytes the producer has committed or reserved beyond our position. */
    long pending() {
        return (long) LONG.getAcquire(producerPage, 0L) - consumerPos;
    }

    /**
     * Hands every committed record to {@code h} in order and returns how many it handed (discarded records are
     * skipped, a record still being written stops the batch). The consumer position is published once per pass
     * with a release store, then the producer position is read again, so that a record committed meanwhile is
     * either seen here or followed by a kernel wake-up.
     */
    int consume(RecordHandler h) {
        // Locals: the JIT reloads fields after every acquire load, locals it keeps in registers.
        final MemorySegment data = this.data;
        final MemorySegment producer = this.producerPage;
        final long mask = this.mask;
        long cons = consumerPos;
        int handed = 0;
        try {
            while (true) {
                long prod = (long) LONG.getAcquire(producer, 0L);
                if (cons >= prod) {
                    return handed;
                }
                do {
                    long offset = cons & mask;
                    int header = (int) INT.getAcquire(data, offset);
                    if ((header & BUSY_BIT) != 0) {
                        return handed;
                    }
                    int length = header & LENGTH_MASK;
                    cons += (length + HEADER + 7) & ~7L;
                    if ((header & DISCARD_BIT) == 0) {
                        handed++;
                        h.accept(data.asSlice(offset + HEADER, length));
                    }
                } while (cons < prod);
                LONG.setRelease(consumerPage, 0L, cons);
                consumerPos = cons;
            }
        } finally {
            if (consumerPos != cons) {
                LONG.setRelease(consumerPage, 0L, cons);
                consumerPos = cons;
            }
        }
    }

    void unmap() {
        if (arena != null) {
            arena.close();
        }
    }
}
