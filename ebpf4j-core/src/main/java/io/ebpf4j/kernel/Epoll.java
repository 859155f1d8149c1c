package io.ebpf4j.kernel;

import io.ebpf4j.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * An epoll instance with an eventfd registered in it, so that another thread can wake a waiter at once
 * ({@link #wake()}), which is how closing a reader releases a thread blocked in {@link #await}. Each watched
 * descriptor carries a caller-chosen 64-bit token that {@link #token} hands back for every ready descriptor.
 * <p>Not thread-safe except {@link #wake()}: one thread waits, any thread may wake it.
 */
public final class Epoll implements AutoCloseable {
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    /** Edge-triggered: report a descriptor when the kernel signals it anew, not for as long as it is ready. */
    public static final int EPOLLET = 1 << 31;

    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;

    /** The token of the wake-up eventfd; callers' tokens must differ from it. */
    public static final long WAKE_TOKEN = -1L;

    /**
     * {@code struct epoll_event} is packed on x86_64 (12 bytes, the data word unaligned at offset 4) and
     * naturally aligned elsewhere (16 bytes, data at 8).
     */
    private static final boolean PACKED = Libc.Arch.current() == Libc.Arch.X86_64;
    private static final long EVENT_SIZE = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;

    private final Fd epfd;
    private final Fd wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final MemorySegment one;
    private final int capacity;
    private final String what;

    private Epoll(Fd epfd, Fd wakeFd, int capacity, String what) {
        this.epfd = epfd;
        this.wakeFd = wakeFd;
        this.capacity = capacity;
        this.what = what;
        this.events = arena.allocate(EVENT_SIZE * capacity, 8);
        this.one = arena.allocate(16, 8);
    }

    /** A new epoll instance able to report {@code capacity} ready descriptors per wait; {@code what} names it. */
    public static Epoll create(int capacity, String what) {
        Scratch s = Scratch.get();
        int ep;
        try {
            ep = (int) Libc.EPOLL_CREATE1.invokeExact(s.capture, EPOLL_CLOEXEC);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (ep < 0) {
            throw new SyscallException("epoll_create1", Libc.errno(s.capture), what, null);
        }
        Fd epfd = Fd.own(ep, "epoll of " + what);
        Fd wake = null;
        Epoll made = null;
        try {
            int ev;
            try {
                ev = (int) Libc.EVENTFD.invokeExact(s.capture, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            } catch (Throwable t) {
                throw Scratch.rethrow(t);
            }
            if (ev < 0) {
                throw new SyscallException("eventfd", Libc.errno(s.capture), what, null);
            }
            wake = Fd.own(ev, "wake-up eventfd of " + what);
            made = new Epoll(epfd, wake, Math.max(1, capacity) + 1, what);
            made.add(ev, EPOLLIN, WAKE_TOKEN);
            return made;
        } catch (RuntimeException | Error e) {
            Closing.closeAllAfter(e, made, wake, epfd);
            throw e;
        }
    }

    /** Watches {@code fd} for {@code mask} (level-triggered unless it has {@link #EPOLLET}), reporting {@code token}. */
    public void add(int fd, int mask, long token) {
        one.set(JAVA_INT, 0, mask);
        one.set(JAVA_LONG_UNALIGNED, DATA_OFFSET, token);
        Scratch s = Scratch.get();
        int r;
        try {
            r = (int) Libc.EPOLL_CTL.invokeExact(s.capture, epfd.get(), EPOLL_CTL_ADD, fd, one);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (r < 0) {
            throw new SyscallException("epoll_ctl", Libc.errno(s.capture), what + " (fd " + fd + ")",
                    "the descriptor cannot be polled");
        }
    }

    /**
     * Waits up to {@code timeoutMs} milliseconds (-1: without limit, 0: not at all) for ready descriptors and
     * returns how many are ready (0 on timeout or when a signal interrupted the wait).
     */
    public int await(int timeoutMs) {
        Scratch s = Scratch.get();
        int n;
        try {
            n = (int) Libc.EPOLL_WAIT.invokeExact(s.capture, epfd.get(), events, capacity, timeoutMs);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (n < 0) {
            int errno = Libc.errno(s.capture);
            if (errno == io.ebpf4j.Errno.EINTR.number()) {
                return 0;
            }
            throw new SyscallException("epoll_wait", errno, what, null);
        }
        return n;
    }

    /** The token of the {@code i}-th ready descriptor of the last {@link #await}. */
    public long token(int i) {
        return events.get(JAVA_LONG_UNALIGNED, i * EVENT_SIZE + DATA_OFFSET);
    }

    /** The ready mask (EPOLLIN, EPOLLOUT...) of the {@code i}-th ready descriptor of the last {@link #await}. */
    public int mask(int i) {
        return events.get(JAVA_INT, i * EVENT_SIZE);
    }

    /** Makes a waiting (or the next) {@link #await} return at once, reporting {@link #WAKE_TOKEN}; any thread. */
    public void wake() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            Scratch s = Scratch.get();
            long r = (long) Libc.WRITE.invokeExact(s.capture, wakeFd.get(), one, 8L);
            assert r == 8 || r < 0; // EAGAIN only when the counter is saturated: a waiter is woken anyway
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Closes both descriptors and frees the event buffer; closing again does nothing. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            Closing.closeAll(wakeFd, epfd, arena);
        }
    }

    /**
     * A wait's timeout in the milliseconds {@code epoll_wait} takes: rounded up, so that a timeout below a
     * millisecond still waits, and capped at {@link Integer#MAX_VALUE}. Zero means do not wait.
     */
    public static int timeoutMillis(java.time.Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout " + timeout);
        }
        if (timeout.isZero()) {
            return 0;
        }
        long ms;
        try {
            ms = timeout.plusNanos(999_999).toMillis();
        } catch (ArithmeticException e) {
            ms = Integer.MAX_VALUE;
        }
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

}
