package io.ebpf4j.perf;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.ThreadAffinity;
import io.ebpf4j.testing.EventsFixture;
import io.ebpf4j.testing.OpenFds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Perf buffers fed by a tc program ({@code bpf_perf_event_output}) through test-run: every sample arrives intact,
 * including those that wrap around a ring's end, and a full ring's losses are reported and counted.
 */
class PerfBufferKernelTest {
    /**
     * Every test runs on one CPU: a tc test-run writes to the current CPU's ring, and one that moved to another CPU
     * half-way would split its samples over two rings, so sequence numbers checked across them would arrive out of
     * order, and a lost-record report would wait in a ring that no later sample reaches.
     */
    private ThreadAffinity pin;

    @BeforeEach
    void kernel() {
        KernelAccess.assume();
        pin = ThreadAffinity.pinHere();
    }

    @AfterEach
    void unpin() {
        if (pin != null) {
            pin.close();
        }
    }

    @Test
    void carriesEverySampleIncludingThoseThatWrapTheRingEnd() {
        // One page per CPU; samples of 16..215 bytes (+ 16 bytes of headers, padded to 8) wrap the ring often.
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 200).target(EventsFixture.PERF);
                PerfBuffer pb = PerfBuffer.open(f.map("pb"), PerfBuffer.Options.defaults().withPagesPerCpu(1))) {
            assertTrue(pb.cpus().length >= 1);
            long[] next = {0};
            Set<Integer> cpus = new HashSet<>();
            SampleHandler check = (cpu, s) -> {
                cpus.add(cpu);
                EventsFixture.check(s, next[0]++, false);
            };
            for (int batch = 0; batch < 300; batch++) {
                f.produce(10); // at most 10 * 232 bytes: fits one page
                int got = 0;
                while (got < 10) {
                    int n = pb.poll(Duration.ofSeconds(5), check);
                    assertTrue(n > 0, "batch " + batch + ": no samples within 5 s after " + got);
                    got += n;
                }
            }
            assertEquals(3000, next[0]);
            assertEquals(0, f.failures());
            assertEquals(0, pb.lostSamples());
            assertEquals(Set.of(pin.cpu()), cpus);
            assertTrue(pb.wrappedRecords() > 10, "only " + pb.wrappedRecords() + " samples wrapped the ring end");
        }
    }

    @Test
    void aFullRingReportsLostSamples() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(200, 1).target(EventsFixture.PERF)) {
            AtomicLong reported = new AtomicLong();
            try (PerfBuffer pb = PerfBuffer.open(f.map("pb"), PerfBuffer.Options.defaults().withPagesPerCpu(1)
                    .withLostHandler((cpu, n) -> reported.addAndGet(n)))) {
                // Both test-runs write to the pinned CPU's ring: 2,000 samples of 216 bytes into 4 KiB, unread. The
                // lost-record report is written only by the next sample that reaches the same ring.
                f.produce(2000);
                long[] received = {0};
                List<Long> seqs = new ArrayList<>();
                pb.consume((cpu, s) -> {
                    assertEquals(pin.cpu(), cpu, "a sample from a CPU the test-run was not pinned to");
                    received[0]++;
                    seqs.add(s.get(JAVA_LONG_UNALIGNED, 0));
                    EventsFixture.check(s, s.get(JAVA_LONG_UNALIGNED, 0), false);
                });
                // After reading, the ring has room again; the next sample carries the lost-record report first.
                f.produce(1);
                pb.consume((cpu, s) -> received[0]++);
                assertTrue(pb.lostSamples() > 0, "no lost samples reported");
                assertEquals(pb.lostSamples(), reported.get(), "handler and counter disagree");
                assertEquals(f.failures(), pb.lostSamples(), "the program's failed outputs are the lost samples");
                assertEquals(2001, received[0] + pb.lostSamples());
                // What did arrive arrived in order.
                for (int i = 1; i < seqs.size(); i++) {
                    assertTrue(seqs.get(i) > seqs.get(i - 1));
                }
            }
        }
    }

    @Test
    void aWatermarkDefersTheWakeUpButConsumeReadsAnyway() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 1).target(EventsFixture.PERF);
                PerfBuffer pb = PerfBuffer.open(f.map("pb"), PerfBuffer.Options.defaults().withPagesPerCpu(4)
                        .withWatermarkBytes(8192))) {
            f.produce(3);
            assertEquals(0, pb.poll(Duration.ofMillis(100), (cpu, s) -> { }), "woken below the watermark");
            long[] next = {0};
            assertEquals(3, pb.consume((cpu, s) -> EventsFixture.check(s, next[0]++, false)));
            // 300 samples of 40 bytes pass the watermark: poll is woken.
            f.produce(300);
            int got = 0;
            while (got < 300) {
                int n = pb.poll(Duration.ofSeconds(5), (cpu, s) -> EventsFixture.check(s, next[0]++, false));
                assertTrue(n > 0, "not woken past the watermark (" + got + " read)");
                got += n;
            }
        }
    }

    @Test
    void aReaderThatNeverWaitsKeepsTheRingsOutOfEpollAndItsFirstWaitMissesNothing() throws Exception {
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 1).target(EventsFixture.PERF);
                PerfBuffer pb = PerfBuffer.open(f.map("pb"))) {
            long[] next = {0};
            SampleHandler check = (cpu, s) -> EventsFixture.check(s, next[0]++, false);
            f.produce(50);
            assertEquals(50, pb.poll(Duration.ZERO, check));
            assertEquals(0, pb.poll(Duration.ZERO, check));
            f.produce(5);
            // Samples are waiting: a poll with a timeout hands them out at once, without joining epoll.
            assertEquals(5, pb.poll(Duration.ofSeconds(5), check));
            assertEquals(0, pb.consume(check));
            assertEquals(0, pb.watchedRings(), "the rings joined the epoll set though no poll waited");
            // The first wait adds them; samples produced while it waits wake it.
            long start = System.nanoTime();
            CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
                ThreadAffinity here = ThreadAffinity.pinHere();
                try {
                    Thread.sleep(300);
                    f.produce(7);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    here.close();
                }
            });
            int got = pb.poll(Duration.ofSeconds(10), check);
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            producer.get(10, TimeUnit.SECONDS);
            while (got < 7) {
                int n = pb.poll(Duration.ofSeconds(5), check);
                assertTrue(n > 0, "no samples within 5 s after " + got);
                got += n;
            }
            assertTrue(got == 7 && waitedMs >= 300, "the first wait returned after " + waitedMs + " ms");
            assertEquals(pb.cpus().length, pb.watchedRings());
            // Watched now: samples read by consume() leave their wake-up pending in the kernel. A poll that finds
            // only that still waits its whole timeout.
            f.produce(3);
            assertEquals(3, pb.consume(check));
            start = System.nanoTime();
            assertEquals(0, pb.poll(Duration.ofMillis(300), check));
            waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 300, "a poll returned after " + waitedMs + " ms with nothing read");
            assertEquals(65, next[0]);
            assertEquals(0, pb.lostSamples());
        }
    }

    @Test
    void aSampleThatArrivesJustBeforeTheFirstWaitIsNotLeftInTheRing() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 1).target(EventsFixture.PERF);
                PerfBuffer pb = PerfBuffer.open(f.map("pb"))) {
            // The sample lands after the poll's direct read, before the rings join epoll: adding the ring takes
            // the sample's wake-up, so only another read finds it.
            pb.beforeWatch = () -> f.produce(1);
            long[] next = {0};
            long start = System.nanoTime();
            assertEquals(1, pb.poll(Duration.ofSeconds(5), (cpu, s) -> EventsFixture.check(s, next[0]++, false)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 4000, "the sample was handed out only after " + ms + " ms");
            assertEquals(pb.cpus().length, pb.watchedRings());
        }
    }

    @Test
    void batchedWakeUpsWatchTheRingsFromTheStart() {
        try (EventsFixture f = EventsFixture.load(4096).target(EventsFixture.PERF);
                PerfBuffer wm = PerfBuffer.open(f.map("pb"), PerfBuffer.Options.defaults().withWatermarkBytes(4096))) {
            assertEquals(wm.cpus().length, wm.watchedRings());
        }
        try (EventsFixture f = EventsFixture.load(4096).target(EventsFixture.PERF);
                PerfBuffer every4 = PerfBuffer.open(f.map("pb"), PerfBuffer.Options.defaults().withWakeupEvents(4))) {
            assertEquals(every4.cpus().length, every4.watchedRings());
        }
    }

    @Test
    void closingWakesAThreadWaitingInPollAndClearsTheMap() throws Exception {
        try (EventsFixture f = EventsFixture.load(4096).target(EventsFixture.PERF)) {
            PerfBuffer pb = PerfBuffer.open(f.map("pb"));
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(
                    () -> pb.poll(Duration.ofSeconds(60), (c, s) -> { }));
            Thread.sleep(200);
            assertFalse(waiter.isDone());
            pb.close();
            assertEquals(-1, waiter.get(5, TimeUnit.SECONDS));
            assertEquals(-1, pb.consume((c, s) -> { }));
            // The events are gone from the map: the program's outputs now fail.
            f.produce(5);
            assertEquals(5, f.failures());
        }
    }

    @Test
    void aCloseWhoseMapRefusesTheDeletesStillClosesEveryEvent() {
        try (EventsFixture f = EventsFixture.load(4096).target(EventsFixture.PERF)) {
            long fds = OpenFds.count();
            PerfBuffer pb = PerfBuffer.open(f.map("pb"));
            assertTrue(OpenFds.count() > fds, "no descriptors opened");
            // A frozen map refuses writes from user space, deletes included (EPERM): every CPU's delete fails.
            f.map("pb").freeze();
            SyscallException e = assertThrows(SyscallException.class, pb::close);
            assertEquals(Errno.EPERM, e.errno());
            // Used to stop at the first refused delete, leaving every perf event and the epoll open.
            assertEquals(fds, OpenFds.count(), "descriptors left open");
        }
    }

    @Test
    void aSampleKeptPastCloseThrowsInsteadOfReadingUnmappedMemory() {
        try (EventsFixture f = EventsFixture.load(4096).sizes(16, 1).target(EventsFixture.PERF)) {
            List<MemorySegment> kept = new ArrayList<>();
            PerfBuffer pb = PerfBuffer.open(f.map("pb"));
            f.produce(2);
            assertEquals(2, pb.consume((cpu, s) -> kept.add(s)));
            // Read inside the buffer's life: the views are the samples, of the raw size the kernel wrote (16 bytes
            // plus 4 of padding, so that size field and data end on an 8-byte boundary).
            assertEquals(20, kept.get(0).byteSize());
            EventsFixture.check(kept.get(1), 1, false);
            pb.close();
            assertThrows(IllegalStateException.class, () -> kept.get(0).get(JAVA_LONG_UNALIGNED, 0));
        }
    }

    @Test
    void refusesOtherMapsAndBadOptions() {
        try (EventsFixture f = EventsFixture.load(4096)) {
            BpfException e = assertThrows(BpfException.class, () -> PerfBuffer.open(f.map("rb")));
            assertTrue(e.getMessage().contains("not a PERF_EVENT_ARRAY"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> PerfBuffer.Options.defaults().withPagesPerCpu(3));
        }
    }
}
