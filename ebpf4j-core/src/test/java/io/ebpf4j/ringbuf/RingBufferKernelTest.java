package io.ebpf4j.ringbuf;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.testing.EventsFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ring buffers fed by a tc program through test-run, read back record by record and byte by byte. */
class RingBufferKernelTest {
    @BeforeEach
    void kernel() {
        KernelAccess.assume();
    }

    /** Checks records in order from {@code next[0]}. */
    private static RecordHandler checker(long[] next) {
        return rec -> EventsFixture.check(rec, next[0]++, true);
    }

    @Test
    void carriesEveryRecordThroughManyWrapArounds() {
        // A one-page ring, records of 16..79 bytes (24..88 with header): 40 per batch fit, 20,000 wrap it ~250 times.
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 64).target(EventsFixture.RB);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            long[] next = {0};
            int total = 0;
            for (int batch = 0; batch < 500; batch++) {
                f.produce(40);
                int got = 0;
                while (got < 40) {
                    int n = reader.poll(Duration.ofSeconds(5), checker(next));
                    assertTrue(n > 0, "batch " + batch + ": no records within 5 s after " + got);
                    got += n;
                }
                assertEquals(40, got);
                total += got;
            }
            assertEquals(20_000, total);
            assertEquals(20_000, next[0]);
            assertEquals(0, f.failures(), "the program found the ring full");
            assertEquals(0, reader.consume(checker(next)), "nothing left over");
        }
    }

    @Test
    void aFullRingDropsAtTheProducerAndConsumeDrainsWhatFitted() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(100, 1).target(EventsFixture.RB);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            f.produce(100); // 112 bytes each: 36 fit in 4096
            long[] next = {0};
            int n = reader.consume(checker(next));
            assertEquals(4096 / 112, n);
            assertEquals(100 - n, f.failures());
            // Space is back: the next records arrive in order.
            f.produce(10);
            next[0] = f.nextSeq() - 10;
            assertEquals(10, reader.consume(checker(next)));
        }
    }

    @Test
    void skipsDiscardedRecords() {
        try (EventsFixture f = EventsFixture.load(8192).discardEvery(3).target(EventsFixture.RB);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            List<Long> seen = new ArrayList<>();
            for (int batch = 0; batch < 50; batch++) {
                f.produce(30);
                reader.consume(rec -> {
                    assertEquals(64, rec.byteSize());
                    long seq = rec.get(JAVA_LONG, 0);
                    EventsFixture.check(rec, seq, true);
                    seen.add(seq);
                });
            }
            assertEquals(0, f.failures());
            List<Long> want = new ArrayList<>();
            for (long s = 0; s < 1500; s++) {
                if (s % 3 != 0) {
                    want.add(s);
                }
            }
            assertEquals(want, seen);
        }
    }

    @Test
    void severalRingBuffersOnOneEpoll() {
        try (EventsFixture f = EventsFixture.load(16384).sizes(16, 32)) {
            List<Long> one = new ArrayList<>();
            List<Long> two = new ArrayList<>();
            try (RingBufferReader reader = twoRings(f, one, two)) {
                assertEquals(2, reader.size());
                List<Long> wantOne = new ArrayList<>();
                List<Long> wantTwo = new ArrayList<>();
                for (int round = 0; round < 20; round++) {
                    int target = round % 3 == 0 ? EventsFixture.RB2 : EventsFixture.RB;
                    long first = f.nextSeq();
                    f.target(target).produce(25);
                    for (long s = first; s < first + 25; s++) {
                        (target == EventsFixture.RB ? wantOne : wantTwo).add(s);
                    }
                    // Only the ring that got records is ready; poll must find it, whichever it is.
                    int got = 0;
                    while (got < 25) {
                        int n = reader.poll(Duration.ofSeconds(5));
                        assertTrue(n > 0, "round " + round + ": nothing within 5 s");
                        got += n;
                    }
                }
                assertEquals(wantOne, one);
                assertEquals(wantTwo, two);
                assertTrue(!wantOne.isEmpty() && !wantTwo.isEmpty());
            }
        }
    }

    /** A reader of the fixture's two ring buffers, each collecting its records' first field. */
    private static RingBufferReader twoRings(EventsFixture f, List<Long> one, List<Long> two) {
        return RingBufferReader.builder()
                .add(f.map("rb"), rec -> one.add(rec.get(JAVA_LONG, 0)))
                .add(f.map("rb2"), rec -> two.add(rec.get(JAVA_LONG, 0)))
                .build();
    }

    @Test
    void onePollHandsOutWhatEveryRingAlreadyHas() {
        try (EventsFixture f = EventsFixture.load(16384).sizes(16, 32)) {
            List<Long> one = new ArrayList<>();
            List<Long> two = new ArrayList<>();
            try (RingBufferReader reader = twoRings(f, one, two)) {
                f.target(EventsFixture.RB).produce(10);
                f.target(EventsFixture.RB2).produce(7);
                // Both rings hold records before the call: one poll takes them all, whatever the timeout.
                assertEquals(17, reader.poll(Duration.ofSeconds(30)));
                assertEquals(10, one.size());
                assertEquals(7, two.size());
                assertEquals(0, reader.poll(Duration.ZERO), "nothing is left");
            }
        }
    }

    @Test
    void aPollWaitingOnEmptyRingsIsWokenByNewRecords() throws Exception {
        try (EventsFixture f = EventsFixture.load(16384);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            java.util.concurrent.CompletableFuture<Integer> polled = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> reader.poll(Duration.ofSeconds(30), rec -> { }));
            Thread.sleep(200); // let the poll reach epoll_wait: nothing is pending yet
            assertTrue(!polled.isDone(), "poll returned before any record was produced");
            f.produce(5);
            int got = polled.get(10, TimeUnit.SECONDS);
            // The wake-up may come after the first records only; the rest follow on the next call.
            while (got < 5) {
                got += reader.poll(Duration.ofSeconds(5), rec -> { });
            }
            assertEquals(5, got);
        }
    }

    @Test
    void aPollWaitingAfterABusySpellIsWokenByTheNextRecord() throws Exception {
        try (EventsFixture f = EventsFixture.load(16384).target(EventsFixture.RB);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            long[] next = {0};
            f.produce(5);
            assertEquals(5, reader.poll(Duration.ZERO, checker(next)));
            // The last record is still published as unconsumed (no wake-ups while the reader is busy). A waiting
            // poll must publish it first: else epoll would report the ring ready at once and the poll return 0.
            CompletableFuture<Integer> polled = CompletableFuture.supplyAsync(
                    () -> reader.poll(Duration.ofSeconds(30), checker(next)));
            Thread.sleep(200);
            assertTrue(!polled.isDone(), "poll returned " + (polled.isDone() ? polled.join() : null)
                    + " before the next record was produced");
            f.produce(1);
            assertEquals(1, polled.get(10, TimeUnit.SECONDS));
            assertEquals(6, next[0]);
        }
    }

    @Test
    void aReaderClosedAfterConsumingLeavesNothingForTheNextReader() {
        try (EventsFixture f = EventsFixture.load(16384).target(EventsFixture.RB)) {
            long[] next = {0};
            try (RingBufferReader first = RingBufferReader.of(f.map("rb"))) {
                f.produce(3);
                assertEquals(3, first.poll(Duration.ZERO, checker(next)));
            }
            try (RingBufferReader second = RingBufferReader.of(f.map("rb"))) {
                assertEquals(0, second.poll(Duration.ZERO, rec -> {
                    throw new AssertionError("a record the first reader consumed came again");
                }));
                f.produce(2);
                assertEquals(2, second.poll(Duration.ZERO, checker(next)));
            }
            assertEquals(5, next[0]);
        }
    }

    @Test
    void pollTimesOutOnAnEmptyRing() {
        try (EventsFixture f = EventsFixture.load(4096);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            long t0 = System.nanoTime();
            assertEquals(0, reader.poll(Duration.ofMillis(150), rec -> {
                throw new AssertionError("no record was produced");
            }));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 140 && ms < 3000, "poll returned after " + ms + " ms");
        }
    }

    @Test
    void closingTheReaderWakesAThreadWaitingInPoll() throws Exception {
        try (EventsFixture f = EventsFixture.load(4096)) {
            RingBufferReader reader = RingBufferReader.of(f.map("rb"));
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(
                    () -> reader.poll(Duration.ofSeconds(60), rec -> { }));
            Thread.sleep(200);
            assertTrue(!waiter.isDone(), "poll returned before any record or close");
            long t0 = System.nanoTime();
            reader.close();
            assertEquals(-1, waiter.get(5, TimeUnit.SECONDS));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
            assertTrue(reader.isClosed());
            assertEquals(-1, reader.poll(Duration.ZERO, rec -> { }));
            assertEquals(-1, reader.consume(rec -> { }));
        }
    }

    @Test
    void closingFromTheHandlerEndsTheBatchSafely() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 1)) {
            RingBufferReader reader = RingBufferReader.of(f.map("rb"));
            f.produce(5);
            int[] calls = {0};
            reader.consume(rec -> {
                calls[0]++;
                reader.close();
            });
            assertTrue(reader.isClosed());
            assertTrue(calls[0] >= 1);
            assertEquals(-1, reader.consume(rec -> { }));
        }
    }

    @Test
    void copiesOnRequestOutliveTheCallback() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(40, 1);
                RingBufferReader reader = RingBufferReader.of(f.map("rb"))) {
            List<MemorySegment> kept = new ArrayList<>();
            f.produce(3);
            assertEquals(3, reader.consume(rec -> kept.add(RecordHandler.copy(rec))));
            f.produce(200); // overwrite the ring's memory
            reader.consume(rec -> { });
            for (int i = 0; i < 3; i++) {
                EventsFixture.check(kept.get(i), i, true);
            }
        }
    }

    @Test
    void refusesMapsThatAreNotRingBuffers() {
        try (EventsFixture f = EventsFixture.load(4096)) {
            BpfException e = assertThrows(BpfException.class, () -> RingBufferReader.of(f.map("pb")));
            assertTrue(e.getMessage().contains("not a RINGBUF"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> RingBufferReader.builder().build());
            try (RingBufferReader r = RingBufferReader.of(f.map("rb"))) {
                IllegalStateException s = assertThrows(IllegalStateException.class, () -> r.consume());
                assertTrue(s.getMessage().contains("without a handler"), s.getMessage());
            }
        }
    }
}
