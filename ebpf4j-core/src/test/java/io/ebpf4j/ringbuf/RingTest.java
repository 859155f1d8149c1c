package io.ebpf4j.ringbuf;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer loop over memory laid out like the kernel's ring, the test playing the producer: the busy bit stops
 * a batch, the discard bit skips a record, and the consumer position is published once per batch, holding the last
 * small record back until the reader settles before a wait.
 */
class RingTest {
    private static final long SIZE = 4096;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment consumer = arena.allocate(4096, 4096);
    private final MemorySegment producer = arena.allocate(4096, 4096);
    private final MemorySegment data = arena.allocate(2 * SIZE, 4096);
    private long prod;

    /** Appends a record of {@code len} bytes valued {@code fill}, with the given flag bits; returns its position. */
    private long write(int len, byte fill, int flags) {
        long pos = prod;
        long off = pos & (SIZE - 1);
        data.set(JAVA_INT, off, len | flags);
        data.set(JAVA_INT, off + 4, 0);
        data.asSlice(off + Ring.HEADER, len).fill(fill);
        prod += (len + Ring.HEADER + 7) & ~7L;
        producer.set(JAVA_LONG, 0, prod);
        return pos;
    }

    @Test
    void busyStopsDiscardSkipsAndThePositionIsPublishedOncePerBatch() {
        try (arena) {
            write(10, (byte) 1, 0);
            write(20, (byte) 2, Ring.DISCARD_BIT);
            write(5, (byte) 3, 0);
            long busyAt = write(7, (byte) 4, Ring.BUSY_BIT);
            Ring ring = Ring.over("test", arena, consumer, producer, data, SIZE, null);
            List<byte[]> got = new ArrayList<>();
            List<Long> publishedDuringBatch = new ArrayList<>();
            assertEquals(2, ring.consume(rec -> {
                got.add(rec.toArray(JAVA_BYTE));
                publishedDuringBatch.add(consumer.get(JAVA_LONG, 0));
            }));
            assertArrayEquals(new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, got.get(0));
            assertArrayEquals(new byte[] {3, 3, 3, 3, 3}, got.get(1));
            assertEquals(List.of(0L, 0L), publishedDuringBatch, "published per record, not per batch");
            assertEquals(busyAt - 16, consumer.get(JAVA_LONG, 0), "the last record consumed is held back");
            assertEquals(prod - busyAt, ring.pending(), "our own position stopped at the busy record");
            ring.settle();
            assertEquals(busyAt, consumer.get(JAVA_LONG, 0), "settled: stopped at the busy record");

            // The producer commits the busy record: the next pass hands it out.
            long off = busyAt & (SIZE - 1);
            data.set(JAVA_INT, off, 7);
            got.clear();
            assertEquals(1, ring.consume(rec -> got.add(rec.toArray(JAVA_BYTE))));
            assertArrayEquals(new byte[] {4, 4, 4, 4, 4, 4, 4}, got.get(0));
            assertEquals(busyAt, consumer.get(JAVA_LONG, 0), "held back again");
            assertEquals(0, ring.pending());
            assertEquals(0, ring.consume(rec -> {
                throw new AssertionError("nothing is left: the record held back is not handed out twice");
            }));
            assertEquals(busyAt, consumer.get(JAVA_LONG, 0), "a pass that consumed nothing publishes nothing");
            ring.settle();
            assertEquals(prod, consumer.get(JAVA_LONG, 0));
            ring.settle();
            assertEquals(prod, consumer.get(JAVA_LONG, 0), "settling twice changes nothing");
        }
    }

    @Test
    void aRecordLargeAgainstTheRingIsNotHeldBack() {
        try (arena) {
            long small = write(8, (byte) 1, 0);
            Ring ring = Ring.over("test", arena, consumer, producer, data, SIZE, null);
            assertEquals(1, ring.consume(rec -> { }));
            assertEquals(small, consumer.get(JAVA_LONG, 0), "16 bytes of a 4096-byte ring: held back");
            // The largest footprint that may be held back is a sixteenth of the ring: 256 bytes here.
            long edge = write(256 - Ring.HEADER, (byte) 2, 0);
            assertEquals(1, ring.consume(rec -> { }));
            assertEquals(edge, consumer.get(JAVA_LONG, 0), "256 bytes: held back");
            write(256 - Ring.HEADER + 1, (byte) 3, 0);
            assertEquals(1, ring.consume(rec -> { }));
            assertEquals(prod, consumer.get(JAVA_LONG, 0), "264 bytes: published whole");
        }
    }

    @Test
    void aThrowingHandlerStillPublishesWhatWasConsumed() {
        try (arena) {
            write(8, (byte) 1, 0);
            long second = write(8, (byte) 2, 0);
            write(8, (byte) 3, 0);
            Ring ring = Ring.over("test", arena, consumer, producer, data, SIZE, null);
            int[] calls = {0};
            assertThrows(IllegalStateException.class, () -> ring.consume(rec -> {
                if (++calls[0] == 2) {
                    throw new IllegalStateException("handler failed");
                }
            }));
            // The failed record counts as consumed (as in libbpf), held back as the last one; the third is next.
            assertEquals(second, consumer.get(JAVA_LONG, 0));
            assertEquals(prod - (second + 16), ring.pending());
            List<Byte> firsts = new ArrayList<>();
            assertEquals(1, ring.consume(rec -> firsts.add(rec.get(JAVA_BYTE, 0))));
            assertEquals(List.of((byte) 3), firsts);
        }
    }

    @Test
    void recordViewsAreReadOnlyExactlySizedAndDieWithTheMapping() {
        List<MemorySegment> kept = new ArrayList<>();
        try (arena) {
            write(12, (byte) 9, 0);
            Ring ring = Ring.over("test", arena, consumer, producer, data, SIZE, null);
            assertEquals(1, ring.consume(kept::add));
            MemorySegment rec = kept.get(0);
            assertEquals(12, rec.byteSize());
            assertTrue(rec.isReadOnly());
            assertEquals(data.address() + Ring.HEADER, rec.address());
            assertThrows(IllegalArgumentException.class, () -> rec.set(JAVA_BYTE, 0, (byte) 1), "read-only");
            assertThrows(IndexOutOfBoundsException.class, () -> rec.get(JAVA_BYTE, 12));
            assertEquals((byte) 9, rec.get(JAVA_BYTE, 11));
        }
        assertThrows(IllegalStateException.class, () -> kept.get(0).get(JAVA_BYTE, 0),
                "a view kept past the mapping's end throws instead of reading unmapped memory");
    }

    @Test
    void aRecordLongerThanTheRingIsRefusedAsCorruption() {
        try (arena) {
            data.set(JAVA_INT, 0, (int) SIZE);
            producer.set(JAVA_LONG, 0, SIZE);
            Ring ring = Ring.over("test", arena, consumer, producer, data, SIZE, null);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ring.consume(rec -> { }));
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
            assertEquals(0, consumer.get(JAVA_LONG, 0), "nothing is consumed");
        }
    }
}
