package io.ebpf4j.object;

import io.ebpf4j.program.Program;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parallel load's bookkeeping, with a stand-in for the system call (no program is loaded). */
class ProgramLoadsTest {
    private static final List<Integer> ITEMS = IntStream.range(0, 8).boxed().toList();

    @Test
    void oneThreadLoadsInOrderOnTheCaller() {
        List<Integer> order = new java.util.ArrayList<>();
        Thread caller = Thread.currentThread();
        List<Program> out = ProgramLoads.loadAll(ITEMS, i -> {
            assertSame(caller, Thread.currentThread());
            order.add(i);
            return null;
        }, 1);
        assertEquals(ITEMS, order);
        assertEquals(ITEMS.size(), out.size());
    }

    @Test
    void severalThreadsShareTheWorkAndEveryItemLoadsOnce() {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        ProgramLoads.loadAll(ITEMS, i -> {
            threads.add(Thread.currentThread());
            seen.add(i);
            calls.incrementAndGet();
            pause(); // long enough that one thread cannot take every item before a helper starts
            return null;
        }, 4);
        assertEquals(Set.copyOf(ITEMS), seen);
        assertEquals(ITEMS.size(), calls.get());
        assertTrue(threads.size() > 1, "the items were loaded by " + threads);
        assertTrue(threads.contains(Thread.currentThread()), "the caller loads too");
    }

    @Test
    void theFirstFailureInDefinitionOrderIsThrownAndLaterOnesAreSuppressed() {
        for (int threads : new int[] {1, 2, 4}) {
            Function<Integer, Program> load = i -> {
                pause();
                if (i == 2 || i == 3) {
                    throw new IllegalStateException("item " + i);
                }
                return null;
            };
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ProgramLoads.loadAll(ITEMS, load, threads));
            assertEquals("item 2", e.getMessage(), "threads " + threads);
            for (Throwable s : e.getSuppressed()) {
                assertEquals("item 3", s.getMessage());
            }
        }
    }

    @Test
    void afterAFailureNoNewLoadStarts() {
        AtomicInteger calls = new AtomicInteger();
        assertThrows(IllegalStateException.class, () -> ProgramLoads.loadAll(ITEMS, i -> {
            calls.incrementAndGet();
            if (i == 0) {
                throw new IllegalStateException("first");
            }
            return null;
        }, 1));
        assertEquals(1, calls.get());
    }

    @Test
    void aNegativeThreadCountIsRefusedByTheOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpfObject.Options.defaults().withLoadThreads(-1));
        assertTrue(e.getMessage().contains("loadThreads"), e.getMessage());
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
