package io.ebpf4j.kernel;

import java.util.concurrent.locks.ReentrantLock;

/**
 * How readers that a thread may wait in (ring and perf buffers, trace_pipe) are closed. Reading calls run between
 * {@link #enter()} and {@link #exit()}; {@link #close()} may come from any thread, or from a handler inside a
 * reading call: it marks the reader closed and wakes a waiter, and the reader's resources are released once, by
 * whoever leaves last — at once when no call is inside, else when the outermost reading call exits.
 */
public final class CloseGate {
    private final ReentrantLock lock = new ReentrantLock();
    private final Runnable wake;
    private final Runnable release;
    private volatile boolean closed;
    private boolean released;

    /** {@code wake} interrupts a waiting call (e.g. an eventfd write); {@code release} frees what the reader holds. */
    public CloseGate(Runnable wake, Runnable release) {
        this.wake = wake;
        this.release = release;
    }

    /** Starts a reading call; every call is paired with {@link #exit()} in a {@code finally}. */
    public void enter() {
        lock.lock();
    }

    /** Ends a reading call, releasing the resources if the reader was closed meanwhile. */
    public void exit() {
        try {
            if (closed && lock.getHoldCount() == 1) {
                releaseOnce();
            }
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Marks the reader closed, wakes a waiting call, and releases now unless a reading call is inside. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wake.run();
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
        if (released) {
            return;
        }
        released = true;
        release.run();
    }
}
