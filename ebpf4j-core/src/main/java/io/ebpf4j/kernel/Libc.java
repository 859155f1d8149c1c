package io.ebpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls into the C library. Those that can fail capture {@code errno} right after the call, so that the JVM
 * cannot clobber it; callers pass a capture segment from {@link Scratch}. The one exception is
 * {@link #SYSCALL3_KEEP2_CRITICAL_QUIET}, whose callers repeat a failed call through a capturing handle.
 */
public final class Libc {
    private Libc() {
    }

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** x86_64 and aarch64 system call numbers we use through {@code syscall(2)}. */
    static final long SYS_BPF = Arch.current().sysBpf;
    static final long SYS_PERF_EVENT_OPEN = Arch.current().sysPerfEventOpen;

    /** {@code long syscall(long nr, ...)} with three register-sized variadic arguments. */
    static final MethodHandle SYSCALL3 = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    /**
     * {@code syscall(SYS_bpf, cmd, attr, size, a, b)} for commands whose attribute points at two of the caller's
     * segments (keys and values). {@code bpf(2)} reads three arguments and ignores the other two; they are passed
     * so that the linker treats {@code a} and {@code b} as it treats any segment argument: it refuses one that is
     * closed or confined to another thread, and keeps its memory alive until the call returns (the attribute
     * itself holds only addresses, which nothing checks).
     */
    static final MethodHandle SYSCALL3_KEEP2 = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    /**
     * The same without the JVM's thread-state transition: only for {@code bpf(2)} map element commands, which
     * never block and return in about a microsecond. The attribute's address goes as a {@code long} (the same
     * register for a variadic argument), so the hot path needs no segment object for it.
     */
    static final MethodHandle SYSCALL3_KEEP2_CRITICAL = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO, Linker.Option.critical(false));
    /**
     * The same shape with the thread-state transition, for element commands that may sleep in the kernel (a map
     * of maps' update waits for an RCU grace period, a sock map's takes the socket's lock): a critical call would
     * hold off the JVM's safepoints, and with them every other thread, for that long.
     */
    static final MethodHandle SYSCALL3_KEEP2_BLOCKING = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    /**
     * The same without errno capture, for callers that repeat a failed call through the capturing handle to learn
     * why: capturing calls into the JVM after every call, a cost a lookup notices (see {@code Bpf.mapLookupQuiet}).
     */
    static final MethodHandle SYSCALL3_KEEP2_CRITICAL_QUIET = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            Linker.Option.firstVariadicArg(1), Linker.Option.critical(false));
    /** {@code syscall(nr, a, b, c, d, e)} for perf_event_open. */
    static final MethodHandle SYSCALL5 = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);
    static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE_ERRNO);
    static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    static final MethodHandle MOUNT = handle("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);
    /** {@code statfs(path, buf)}: only {@code f_type}, the first field (a long on the 64-bit ABIs), is read. */
    static final MethodHandle STATFS = handle("statfs", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    static final MethodHandle IOCTL = handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);
    static final MethodHandle EPOLL_CREATE1 = handle("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle EPOLL_CTL = handle("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), CAPTURE_ERRNO);
    static final MethodHandle EPOLL_WAIT = handle("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    static final MethodHandle EVENTFD = handle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle READ = handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
            CAPTURE_ERRNO);
    static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
            CAPTURE_ERRNO);
    static final MethodHandle MALLOC = handle("malloc", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
    static final MethodHandle FREE = handle("free", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle GETPID = handle("getpid", FunctionDescriptor.of(JAVA_INT));
    static final MethodHandle SYSCONF = handle("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    // Sockets, netlink and network namespaces (see Sockets and Netlink).
    static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle SOCKETPAIR = handle("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), CAPTURE_ERRNO);
    static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
    static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle LISTEN = handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle ACCEPT4 = handle("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
    static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle GETSOCKNAME = handle("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    static final MethodHandle SEND = handle("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle RECV = handle("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
            CAPTURE_ERRNO);
    static final MethodHandle SETNS = handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    static final MethodHandle IF_NAMETOINDEX = handle("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS),
            CAPTURE_ERRNO);
    static final MethodHandle IF_INDEXTONAME = handle("if_indextoname", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS),
            CAPTURE_ERRNO);

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final long MAP_FAILED = -1L;
    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    private static final int SC_PAGESIZE = 30;

    // Binding C functions is what this package is for.
    @SuppressWarnings("restricted")
    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no '" + name + "'"));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static MemorySegment newCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    private static final long PAGE_SIZE = pageSize();

    private static long pageSize() {
        try {
            return (long) SYSCONF.invokeExact(SC_PAGESIZE);
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    /** The system's page size. */
    public static long pageSize0() {
        return PAGE_SIZE;
    }

    /** This process's id. */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** The processor architectures we know system call numbers for. */
    enum Arch {
        X86_64(321, 298),
        AARCH64(280, 241);

        final long sysBpf;
        final long sysPerfEventOpen;

        Arch(long sysBpf, long sysPerfEventOpen) {
            this.sysBpf = sysBpf;
            this.sysPerfEventOpen = sysPerfEventOpen;
        }

        static Arch current() {
            String arch = System.getProperty("os.arch");
            return switch (arch) {
                case "amd64", "x86_64" -> X86_64;
                case "aarch64", "arm64" -> AARCH64;
                default -> throw new UnsupportedOperationException(
                        "ebpf4j knows no system call numbers for architecture '" + arch + "' (x86_64 and aarch64 are supported)");
            };
        }
    }
}
