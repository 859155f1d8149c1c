package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CloseGateTest {
    @Test
    void aCloseNeverWakesThroughWhatALeavingReaderAlreadyReleased() throws Exception {
        AtomicInteger wokeAfterRelease = new AtomicInteger();
        for (int i = 0; i < 1_000; i++) {
            AtomicBoolean released = new AtomicBoolean();
            CloseGate gate = new CloseGate(() -> {
                // A wake-up takes a system call's time (an eventfd write), during which a reader may leave.
                long until = System.nanoTime() + 5_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                if (released.get()) {
                    wokeAfterRelease.incrementAndGet(); // the real wake writes to a closed eventfd here
                }
            }, () -> released.set(true));
            // A busy consumer: reading calls one after another until the reader is closed.
            CountDownLatch running = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                while (!gate.isClosed()) {
                    gate.enter();
                    gate.exit();
                    running.countDown();
                }
            });
            assertTrue(running.await(10, TimeUnit.SECONDS));
            gate.close();
            reader.join();
            assertTrue(released.get());
        }
        assertEquals(0, wokeAfterRelease.get(), "closes that woke after the release");
    }

    @Test
    void aReadingCallFromInsideAReadingCallIsRefused() {
        CloseGate gate = new CloseGate(() -> { }, () -> { });
        gate.enter();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, gate::enter);
            assertTrue(e.getMessage().contains("inside a handler"), e.getMessage());
        } finally {
            gate.exit();
        }
        gate.enter(); // one after the other is fine
        gate.exit();
    }

    @Test
    void aCloseFromAHandlerReleasesWhenTheReadingCallLeaves() {
        AtomicInteger releases = new AtomicInteger();
        AtomicInteger wakes = new AtomicInteger();
        CloseGate gate = new CloseGate(wakes::incrementAndGet, releases::incrementAndGet);
        gate.enter();
        gate.close();
        assertEquals(0, releases.get(), "released under the handler's feet");
        gate.exit();
        assertEquals(1, releases.get());
        gate.close();
        assertEquals(1, releases.get());
        assertEquals(1, wakes.get());
    }

    @Test
    void everyCloserFromAnotherThreadReturnsOnlyAfterTheRelease() throws Exception {
        AtomicBoolean released = new AtomicBoolean();
        CloseGate gate = new CloseGate(() -> { }, () -> released.set(true));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            Future<?> reader = pool.submit(() -> {
                gate.enter();
                try {
                    inside.countDown();
                    leave.await(); // a handler still running
                } finally {
                    gate.exit();
                }
                return null;
            });
            assertTrue(inside.await(10, TimeUnit.SECONDS));
            CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> {
                gate.close();
                return released.get();
            }, pool);
            CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> {
                gate.close();
                return released.get();
            }, pool);
            try {
                Thread.sleep(100);
                assertFalse(first.isDone() || second.isDone(), "a close returned while a handler still ran");
            } finally {
                leave.countDown(); // also when the assertion fails: the pool's close waits for the reader
            }
            reader.get(10, TimeUnit.SECONDS);
            assertTrue(first.get(10, TimeUnit.SECONDS), "the first closer returned before the release");
            assertTrue(second.get(10, TimeUnit.SECONDS), "the second closer returned before the release");
        }
    }
}
