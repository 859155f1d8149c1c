package io.ebpf4j.ringbuf;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.testing.EventsFixture;
import io.ebpf4j.testing.OpenFds;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java produces numbered, patterned samples into a user ring buffer; the fixture's {@code drain} program (a tc
 * program run through test-run) reads them with {@code bpf_user_ringbuf_drain} and checks sequence and bytes.
 */
class UserRingBufferKernelTest {
    @BeforeEach
    void kernel() {
        KernelAccess.assume();
    }

    private static long var(EventsFixture f, String name) {
        return f.object().variable(name).get(JAVA_LONG, 0);
    }

    private static void drain(EventsFixture f) {
        f.run("drain");
    }

    private static int size(long seq) {
        return 16 + (int) (seq * 37 % 200);
    }

    @Test
    void theProgramReadsEverySubmittedSampleAndNoDiscardedOne() {
        try (EventsFixture f = EventsFixture.load(4096); UserRingBuffer rb = UserRingBuffer.of(f.map("urb"))) {
            assertEquals(4096, rb.capacity());
            long seq = 0;
            int submitted = 0;
            // Rounds that fill the ring until it refuses, then drain: the data wraps around the end many times.
            for (int round = 0; round < 40; round++) {
                int refused;
                while (true) {
                    if (round % 2 == 0 && seq % 5 == 2) {
                        MemorySegment junk = rb.tryReserve(64);
                        if (junk == null) {
                            refused = 64;
                            break;
                        }
                        // A sample the program must never see: it would break the sequence.
                        EventsFixture.fill(junk, 1_000_000 + seq, 64);
                        rb.discard(junk);
                    }
                    MemorySegment s = rb.tryReserve(size(seq));
                    if (s == null) {
                        refused = size(seq);
                        break;
                    }
                    assertEquals(size(seq), s.byteSize());
                    EventsFixture.fill(s, seq, size(seq));
                    rb.submit(s);
                    seq++;
                    submitted++;
                }
                assertTrue(rb.available() < 8 + refused, "refused with room left");
                drain(f);
                assertEquals(4096, rb.available(), "round " + round + ": not drained");
            }
            assertTrue(submitted > 500, "only " + submitted + " samples");
            assertEquals(0, var(f, "drain_bad"), "the program found bad samples");
            assertEquals(submitted, var(f, "drained"));
            assertEquals(seq, var(f, "drain_expect"));
        }
    }

    @Test
    void anUnsubmittedSampleHoldsBackTheOnesAfterIt() {
        try (EventsFixture f = EventsFixture.load(4096); UserRingBuffer rb = UserRingBuffer.of(f.map("urb"))) {
            MemorySegment first = rb.tryReserve(32);
            MemorySegment second = rb.tryReserve(32);
            EventsFixture.fill(first, 0, 32);
            EventsFixture.fill(second, 1, 32);
            rb.submit(second);
            drain(f);
            assertEquals(0, var(f, "drained"), "the program read past a busy sample");
            rb.submit(first);
            drain(f);
            assertEquals(2, var(f, "drained"));
            assertEquals(0, var(f, "drain_bad"));
        }
    }

    @Test
    void blockingReserveWaitsForTheProgramToDrain() throws Exception {
        try (EventsFixture f = EventsFixture.load(4096); UserRingBuffer rb = UserRingBuffer.of(f.map("urb"))) {
            long seq = 0;
            MemorySegment s;
            while ((s = rb.tryReserve(200)) != null) {
                EventsFixture.fill(s, seq++, 200);
                rb.submit(s);
            }
            long t0 = System.nanoTime();
            assertNull(rb.reserve(200, Duration.ofMillis(100)), "reserved in a full ring");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90));

            CompletableFuture<Void> drainer = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                drain(f);
            });
            t0 = System.nanoTime();
            MemorySegment got = rb.reserve(200, Duration.ofSeconds(10));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            drainer.get(10, TimeUnit.SECONDS);
            assertNotNull(got, "no room within 10 s although the program drained");
            assertTrue(ms >= 150 && ms < 5000, "reserve returned after " + ms + " ms");
            EventsFixture.fill(got, seq++, 200);
            rb.submit(got);
            drain(f);
            assertEquals(seq, var(f, "drained"));
            assertEquals(0, var(f, "drain_bad"));
        }
    }

    @Test
    void waitsHoldNoLockAndClosingWakesEveryWaiterAndReleasesEverything() throws Exception {
        // Threads of their own: the common pool may run one task at a time on a small machine.
        try (EventsFixture f = EventsFixture.load(4096); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            long fds = OpenFds.count();
            UserRingBuffer rb = UserRingBuffer.of(f.map("urb"));
            MemorySegment s;
            while ((s = rb.tryReserve(200)) != null) {
                rb.submit(s);
            }
            // 19 samples of 208 bytes: 144 bytes stay free, too few for another 200 but room for a small one.
            assertEquals(144, rb.available());
            List<CompletableFuture<Long>> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(CompletableFuture.supplyAsync(() -> {
                    long t0 = System.nanoTime();
                    IllegalStateException e = assertThrows(IllegalStateException.class,
                            () -> rb.reserve(200, Duration.ofSeconds(30)));
                    assertTrue(e.getMessage().contains("closed"), e.getMessage());
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }, pool));
            }
            Thread.sleep(200); // the waiters are in epoll_wait by now (nothing drains the ring)
            long t0 = System.nanoTime();
            MemorySegment small = rb.reserve(16, Duration.ofSeconds(1));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertNotNull(small, "a sample that fits was refused while others waited");
            assertTrue(ms < 500, "a reserve that fits took " + ms + " ms behind the waiting ones");
            rb.submit(small);
            synchronized (rb) { // a caller holding the producer's lock may close it too
                rb.close();
            }
            for (CompletableFuture<Long> w : waiters) {
                long waited = w.get(10, TimeUnit.SECONDS);
                assertTrue(waited < 5000, "a waiter returned after " + waited + " ms");
            }
            assertThrows(IllegalStateException.class, () -> rb.tryReserve(16));
            rb.close();
            assertEquals(fds, OpenFds.count(), "descriptors left open");
        }
    }

    @Test
    void refusesMisuse() {
        try (EventsFixture f = EventsFixture.load(4096)) {
            BpfException e = assertThrows(BpfException.class, () -> UserRingBuffer.of(f.map("rb")));
            assertTrue(e.getMessage().contains("not a USER_RINGBUF"), e.getMessage());
            try (UserRingBuffer rb = UserRingBuffer.of(f.map("urb"))) {
                assertThrows(IllegalArgumentException.class, () -> rb.tryReserve(4096));
                assertThrows(IllegalArgumentException.class, () -> rb.tryReserve(0));
                MemorySegment s = rb.tryReserve(16);
                rb.submit(s);
                assertThrows(IllegalStateException.class, () -> rb.submit(s));
                assertThrows(IllegalArgumentException.class, () -> rb.submit(MemorySegment.ofArray(new byte[16])));
            }
        }
    }
}
