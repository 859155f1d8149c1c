package io.ebpf4j.kernel;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single owner of one kernel file descriptor. Closing it is idempotent. If an owner is dropped without
 * being closed, a {@link Cleaner} closes the descriptor and reports the leak: a safety net, not a way to manage
 * descriptors.
 */
public final class Fd implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger("io.ebpf4j");
    private static final AtomicLong LEAKS = new AtomicLong();

    private final int fd;
    private final String what;
    private final State state;
    private final Cleaner.Cleanable cleanable;
    /**
     * Set by {@link #close}, before the state is. {@link #get} reads this field of the owner itself rather than
     * the state's flag: map element calls check it once per call, and two fewer dependent loads are measurable
     * against a one-microsecond system call.
     */
    private volatile boolean closed;

    private Fd(int fd, String what) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.fd = fd;
        this.what = what;
        this.state = new State(fd, what);
        this.cleanable = CLEANER.register(this, state);
    }

    /** Takes ownership of {@code fd}; {@code what} names it in leak reports (e.g. {@code "map 'counts'"}). */
    public static Fd own(int fd, String what) {
        return new Fd(fd, what);
    }

    /** The descriptor's number. Throws if this owner was closed. */
    public int get() {
        if (closed) {
            throw new IllegalStateException(what + " is closed");
        }
        return fd;
    }

    /** The number without a check, for messages. */
    public int number() {
        return fd;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        state.explicit = true;
        cleanable.clean();
    }

    /** What kind of BPF object a descriptor refers to. */
    public enum Kind {
        MAP("bpf-map", "map"), PROGRAM("bpf-prog", "program"),
        // A new link's file is named "bpf_link"; a link reopened by pin or id gets "bpf-link".
        LINK("bpf_link", "link", "bpf-link"), BTF("btf", "BTF object"),
        OTHER("", "file that is not a BPF object");

        private final String inode;
        private final String noun;
        private final String otherInode;

        Kind(String inode, String noun) {
            this(inode, noun, inode);
        }

        Kind(String inode, String noun, String otherInode) {
            this.inode = inode;
            this.noun = noun;
            this.otherInode = otherInode;
        }

        /** How messages name it: "map", "program", "link"... */
        public String noun() {
            return noun;
        }
    }

    /** The kind of object behind this descriptor, from the kernel's anonymous-inode name for it. */
    public Kind kind() {
        String target;
        try {
            target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + get())).toString();
        } catch (java.io.IOException e) {
            return Kind.OTHER;
        }
        for (Kind k : Kind.values()) {
            if (k != Kind.OTHER && (target.equals("anon_inode:" + k.inode) || target.equals("anon_inode:" + k.otherInode))) {
                return k;
            }
        }
        return Kind.OTHER;
    }

    /** Throws (closing this descriptor) unless it refers to a {@code want}; {@code what} names it. */
    public Fd requireKind(Kind want, String what) {
        Kind k = kind();
        if (k != want) {
            close();
            throw new io.ebpf4j.BpfException(what + " is not a " + want.noun() + " (it is a " + k.noun() + ")");
        }
        return this;
    }

    /** How many descriptors the safety net has closed in this process: each one is a bug in the caller. */
    public static long leaks() {
        return LEAKS.get();
    }

    @Override
    public String toString() {
        return what + " (fd " + fd + (closed ? ", closed)" : ")");
    }

    private static final class State implements Runnable {
        private final int fd;
        private final String what;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean explicit;

        State(int fd, String what) {
            this.fd = fd;
            this.what = what;
        }

        @Override
        public void run() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            Sys.closeQuietly(fd);
            // Counted after the close, so that a counted leak is a closed one.
            if (!explicit) {
                LEAKS.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "ebpf4j: " + what + " (fd " + fd
                        + ") was never closed; the garbage collector closed it. Close it with try-with-resources.");
            }
        }
    }
}
