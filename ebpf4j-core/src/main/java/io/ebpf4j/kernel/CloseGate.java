package io.ebpf4j.kernel;

import java.util.concurrent.locks.ReentrantLock;

/**
 * How readers that a thread may wait in (ring and perf buffers, trace_pipe) are closed. Reading calls run between
 * {@link #enter()} and {@link #exit()}; {@link #close()} may come from any thread, or from a handler inside a
 * reading call: it marks the reader closed and wakes a waiter, and the reader's resources are released once, by
 * whoever leaves last — at once when no call is inside, else when the reading call exits. A close from another
 * thread returns after the release, so it waits for a running batch's handlers to return.
 */
public final class CloseGate {
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Orders the wake-up against the release: without it, a reading call could leave and release (closing the
     * wake-up descriptor) between a close marking the reader closed and its wake-up, which would then write to a
     * closed descriptor, or to whatever file got its number since.
     */
    private final Object wakeLock = new Object();
    private final Runnable wake;
    private final Runnable release;
    private volatile boolean closed;
    private boolean released; // guarded by wakeLock

    /** {@code wake} interrupts a waiting call (e.g. an eventfd write); {@code release} frees what the reader holds. */
    public CloseGate(Runnable wake, Runnable release) {
        this.wake = wake;
        this.release = release;
    }

    /**
     * Starts a reading call; every call is paired with {@link #exit()} in a {@code finally}. A reading call from a
     * handler of the same reader is refused: the outer call would then publish a stale position and hand records
     * out twice.
     */
    public void enter() {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("a handler called back into the reader it was called from (poll or "
                    + "consume inside a handler); read from the handler's own arguments, or after the call returns");
        }
        lock.lock();
    }

    /** Ends a reading call, releasing the resources if the reader was closed meanwhile. */
    public void exit() {
        try {
            if (closed) {
                releaseOnce();
            }
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Marks the reader closed and wakes a waiting call; then, unless called from a handler inside a reading call,
     * waits for any reading call to leave and makes sure the resources are released before it returns (a second
     * closer too).
     */
    public void close() {
        synchronized (wakeLock) {
            if (!closed) {
                closed = true;
                wake.run(); // not released yet: a release sets released under this lock, and only once closed
            }
        }
        if (lock.isHeldByCurrentThread()) {
            return; // inside a reading call (a handler closed it): exit() releases
        }
        lock.lock();
        try {
            releaseOnce();
        } finally {
            lock.unlock();
        }
    }

    private void releaseOnce() {
        synchronized (wakeLock) {
            if (released) {
                return;
            }
            released = true;
        }
        release.run();
    }
}
