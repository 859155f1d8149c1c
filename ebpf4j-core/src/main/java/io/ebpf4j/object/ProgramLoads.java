package io.ebpf4j.object;

import io.ebpf4j.kernel.Closing;
import io.ebpf4j.program.Program;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Loads an object's programs, several at once when there are CPUs for it. The kernel verifies a program in the
 * thread that calls BPF_PROG_LOAD, and two loads do not wait for each other, so an object's independent programs
 * verify in parallel: the calling thread loads programs too, and up to {@code threads - 1} helper threads take the
 * rest from a shared counter.
 * <p>All or nothing, as a sequential load: when any program fails, every program that did load is closed once all
 * loads are over, and the failure of the first failing program in definition order is thrown (the others'
 * failures are attached as suppressed). The helpers are daemon threads that end after a minute without work.
 */
final class ProgramLoads {
    private ProgramLoads() {
    }

    /** More helpers than this would only wait for each other in the kernel's allocators. */
    private static final int MAX_HELPERS = 15;
    private static final long IDLE_SECONDS = 60;

    private static final class Pool {
        private static final AtomicInteger COUNT = new AtomicInteger();
        // No queue: a task is taken by an idle or a new helper, or refused (the callers' own loop then does it).
        static final ThreadPoolExecutor HELPERS = new ThreadPoolExecutor(0, MAX_HELPERS, IDLE_SECONDS,
                TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "ebpf4j-program-load-" + COUNT.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Loads each of {@code items} with {@code load} and returns the programs in the same order. {@code threads}:
     * at most this many loads at once, 0 for one per available CPU.
     */
    static <T> List<Program> loadAll(List<T> items, Function<T, Program> load, int threads) {
        int n = items.size();
        int parallel = Math.min(n, threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
        Program[] loaded = new Program[n];
        Throwable[] failed = new Throwable[n];
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                try {
                    loaded[i] = load.apply(items.get(i));
                } catch (RuntimeException | Error e) {
                    failed[i] = e;
                    next.set(n); // no point starting more loads: the object will not load
                }
            }
        };
        List<Future<?>> helpers = new ArrayList<>();
        for (int h = 1; h < parallel; h++) {
            try {
                helpers.add(Pool.HELPERS.submit(worker));
            } catch (RejectedExecutionException busy) {
                break; // every helper is busy with other loads: this thread does the rest
            }
        }
        worker.run();
        Throwable first = awaitAll(helpers);
        for (Throwable t : failed) {
            if (t == null) {
                continue;
            }
            if (first == null) {
                first = t;
            } else {
                first.addSuppressed(t);
            }
        }
        if (first == null) {
            return Arrays.asList(loaded);
        }
        Closing.closeAllAfter(first, Arrays.asList(loaded));
        if (first instanceof Error e) {
            throw e;
        }
        throw (RuntimeException) first;
    }

    /**
     * Waits until every helper has finished, even if interrupted or when one failed: a load still running would
     * leak its fd. Returns how a helper failed outside a load (a bug), or null.
     */
    private static Throwable awaitAll(List<Future<?>> helpers) {
        Throwable failed = null;
        boolean interrupted = false;
        for (Future<?> f : helpers) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failed == null) {
                        failed = new IllegalStateException("a program load helper failed outside a load", e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return failed;
    }
}
