package io.ebpf4j.ringbuf;

import java.lang.foreign.MemorySegment;

/**
 * Receives one record of a ring or perf buffer. The segment is a read-only view of the kernel's buffer, valid only
 * during the call: the space is handed back to the producer once the batch ends. Keep the bytes with
 * {@link #copy(MemorySegment)} (or {@code record.toArray(ValueLayout.JAVA_BYTE)}).
 */
@FunctionalInterface
public interface RecordHandler {
    void accept(MemorySegment record);

    /**
     * A copy of {@code record} on the heap, valid after the callback returns. It is backed by a {@code long[]}, so
     * that aligned reads of 8-byte fields work on it as on the ring.
     */
    static MemorySegment copy(MemorySegment record) {
        long n = record.byteSize();
        MemorySegment heap = MemorySegment.ofArray(new long[(int) ((n + 7) / 8)]).asSlice(0, n);
        return heap.copyFrom(record);
    }
}
