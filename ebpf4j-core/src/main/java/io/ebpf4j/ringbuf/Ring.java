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
    /** A record is held back (see {@link #consume}) only if it takes at most this fraction of the ring. */
    static final int HELD_FRACTION = 16;

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /**
     * The record headers are read through {@link Sys#ALL_MEMORY} at {@code base + (position & mask)}, always inside
     * the first copy of the data area, and only from {@link #consume}, which runs under the reader's lock while the
     * ring is mapped (the reader unmaps under the same lock). A segment of the ring's own would have its bounds and
     * liveness checks repeated for every record, because C2 reloads what it checked after each header's acquire
     * load (measured: about 2 ns per record of a 5 ns consume on cache-hot records). The views handed to handlers
     * keep every check.
     */
    private static final MemorySegment ALL = Sys.ALL_MEMORY;

    final String name;
    /** The arena to close when the reader is done (null for {@link #over}). */
    private final Arena arena;
    /** The arena whose lifetime the record views share: closed, they throw instead of reading unmapped memory. */
    private final Arena scope;
    private final MemorySegment consumerPage;
    private final MemorySegment producerPage;
    private final long mask;
    /** The data area's address (mapped twice, {@code 2 * size} bytes), and the longest record payload it can hold. */
    private final long base;
    private final long maxLength;
    /** How far we have consumed; the consumer page may hold less (see {@link #consume}). */
    private long consumerPos;
    /** The longest record footprint (header and padding included) that may stay published as unconsumed. */
    private final long maxHeld;
    final RecordHandler handler;

    private Ring(String name, Arena arena, Arena scope, MemorySegment consumerPage, MemorySegment producerPage,
            MemorySegment data, long size, RecordHandler handler) {
        this.name = name;
        this.arena = arena;
        this.scope = scope;
        this.base = data.address();
        this.maxLength = size - HEADER;
        this.consumerPage = consumerPage;
        this.producerPage = producerPage;
        this.mask = size - 1;
        this.handler = handler;
        this.consumerPos = (long) LONG.getAcquire(consumerPage, 0L);
        this.maxHeld = size / HELD_FRACTION;
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
            return new Ring(map.name(), arena, arena, consumer, rest.asSlice(0, page).asReadOnly(),
                    rest.asSlice(page, 2 * size).asReadOnly(), size, handler);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A ring over native memory of {@code scope} laid out as the kernel does ({@code data} twice the size); for
     * tests that play the producer.
     */
    static Ring over(String name, Arena scope, MemorySegment consumerPage, MemorySegment producerPage,
            MemorySegment data, long size, RecordHandler handler) {
        return new Ring(name, null, scope, consumerPage, producerPage, data, size, handler);
    }

    /** Bytes the producer has committed or reserved beyond our position. */
    long pending() {
        return (long) LONG.getAcquire(producerPage, 0L) - consumerPos;
    }

    /**
     * Hands every committed record to {@code h} in order and returns how many it handed (discarded records are
     * skipped, a record still being written stops the batch). The consumer position is published once per pass
     * with a release store, then the producer position is read again.
     * <p>
     * The position published after a pass is the start of the last record consumed, not its end, as long as that
     * record is small against the ring ({@link #HELD_FRACTION}). The kernel raises a wake-up (an irq_work, a
     * self-IPI) for a committed record only when the published position equals that record's start, that is when
     * the consumer looks caught up; holding the last record back keeps a reader that is still busy from paying
     * for wake-ups nobody waits for. Before waiting, the reader calls {@link #settle()}, which publishes the full
     * position, so the next record wakes it as usual; a record committed between the look and the settle keeps
     * epoll ready (it reports data whenever the producer is past the published position). We keep our own
     * position, so the record held back is never handed out twice.
     */
    int consume(RecordHandler h) {
        // Locals: the JIT reloads fields after every acquire load, locals it keeps in registers.
        final MemorySegment producer = this.producerPage;
        final long mask = this.mask;
        final long base = this.base;
        final long maxLength = this.maxLength;
        final Arena scope = this.scope;
        final long maxHeld = this.maxHeld;
        long cons = consumerPos;
        long last = cons; // the start of the last record consumed in this call
        int handed = 0;
        try {
            while (true) {
                long prod = (long) LONG.getAcquire(producer, 0L);
                if (cons >= prod) {
                    return handed;
                }
                do {
                    long offset = cons & mask;
                    int header = (int) INT.getAcquire(ALL, base + offset);
                    if ((header & BUSY_BIT) != 0) {
                        return handed;
                    }
                    int length = header & LENGTH_MASK;
                    if (length > maxLength) {
                        throw new IllegalStateException(name + ": a record of " + length + " bytes at offset " + offset
                                + " does not fit the ring (" + (mask + 1) + " bytes): the ring is corrupt");
                    }
                    last = cons;
                    cons += (length + HEADER + 7) & ~7L;
                    if ((header & DISCARD_BIT) == 0) {
                        handed++;
                        h.accept(view(base, scope, offset, length));
                    }
                } while (cons < prod);
                LONG.setRelease(consumerPage, 0L, cons - last <= maxHeld ? last : cons);
                consumerPos = cons;
            }
        } finally {
            if (consumerPos != cons) {
                LONG.setRelease(consumerPage, 0L, cons - last <= maxHeld ? last : cons);
                consumerPos = cons;
            }
        }
    }

    /** Publishes the whole consumed position, so that the next committed record wakes a waiting reader. */
    void settle() {
        if ((long) LONG.get(consumerPage, 0L) != consumerPos) {
            LONG.setRelease(consumerPage, 0L, consumerPos);
        }
    }

    /**
     * The read-only view of a record's payload. Made from the address rather than by {@code data.asSlice}: the
     * length was checked against the ring once above, and this path measured about 1 ns per record cheaper in the
     * drain benchmark (roughly 7.0 against 8.0 ns), which is an eighth of the consumer's cost. The view shares the
     * mapping's arena, so a handler that keeps it past {@link #unmap} gets an exception, not a crash.
     */
    @SuppressWarnings("restricted") // the address and length lie inside the data area, checked by the caller
    private static MemorySegment view(long base, Arena scope, long offset, int length) {
        return MemorySegment.ofAddress(base + offset + HEADER).reinterpret(length, scope, null).asReadOnly();
    }

    /** Settles the position (a later reader of the map starts where we stopped) and unmaps the ring. */
    void unmap() {
        if (arena != null) {
            settle();
            arena.close();
        }
    }
}
