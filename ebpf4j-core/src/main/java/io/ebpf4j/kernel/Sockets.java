package io.ebpf4j.kernel;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Sockets through the C library: what socket filters, sockmaps and netlink need, and what Java's own socket API
 * hides (the descriptor). Also network namespaces ({@code setns}) and interface names.
 */
public final class Sockets {
    private Sockets() {
    }

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int IPPROTO_TCP = 6;
    /** TCP option naming the congestion-control algorithm (a string). */
    public static final int TCP_CONGESTION = 13;
    public static final int SO_ATTACH_BPF = 50;
    /** SO_DETACH_BPF has the value of SO_DETACH_FILTER: one detach for classic and eBPF filters. */
    public static final int SO_DETACH_BPF = 27;

    /** {@code MSG_DONTWAIT}: fail with EAGAIN instead of blocking. */
    public static final int MSG_DONTWAIT = 0x40;

    /** {@code CLONE_NEWNET} for setns. */
    public static final int CLONE_NEWNET = 0x40000000;

    /** 127.0.0.1 in host order. */
    public static final int INADDR_LOOPBACK = 0x7f000001;

    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int IF_NAMESIZE = 16;

    private static SyscallException failure(String call, String what) {
        int errno = Libc.errno(Scratch.get().capture);
        return new SyscallException(call, errno, what, hint(errno));
    }

    private static String hint(int errno) {
        return switch (Errno.of(errno)) {
            case EPERM, EACCES -> "this needs root or CAP_NET_ADMIN";
            case EMFILE, ENFILE -> "too many open files: raise the limit (ulimit -n)";
            case null, default -> null;
        };
    }

    /** {@code socket(2)}, close-on-exec. */
    public static Fd socket(int domain, int type, int protocol, String what) {
        try {
            int fd = (int) Libc.SOCKET.invokeExact(Scratch.get().capture, domain, type | SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                throw failure("socket", what);
            }
            return Fd.own(fd, "socket " + what);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code socketpair(2)}, close-on-exec: two connected sockets. */
    public static Fd[] socketpair(int domain, int type, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = (int) Libc.SOCKETPAIR.invokeExact(Scratch.get().capture, domain, type | SOCK_CLOEXEC, 0, fds);
            if (r < 0) {
                throw failure("socketpair", what);
            }
            return new Fd[] {Fd.own(fds.getAtIndex(JAVA_INT, 0), "socket " + what + " [0]"),
                    Fd.own(fds.getAtIndex(JAVA_INT, 1), "socket " + what + " [1]")};
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code setsockopt(2)} with an int value. */
    public static void setsockoptInt(int fd, int level, int option, int value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) Libc.SETSOCKOPT.invokeExact(Scratch.get().capture, fd, level, option,
                    arena.allocateFrom(JAVA_INT, value), Integer.BYTES);
            if (r < 0) {
                throw failure("setsockopt", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code setsockopt(2)} with an int value; returns 0 or the errno instead of throwing. */
    public static int trySetsockoptInt(int fd, int level, int option, int value) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = Scratch.get();
            int r = (int) Libc.SETSOCKOPT.invokeExact(s.capture, fd, level, option,
                    arena.allocateFrom(JAVA_INT, value), Integer.BYTES);
            return r < 0 ? Libc.errno(s.capture) : 0;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    private static final int SO_RCVTIMEO = 20;

    /** Makes blocking receives on {@code fd} fail with EAGAIN after {@code millis} ({@code SO_RCVTIMEO}). */
    public static void setReceiveTimeout(int fd, long millis, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(16, 8); // struct timeval: seconds, microseconds
            tv.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, millis / 1000);
            tv.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, (millis % 1000) * 1000);
            int r = (int) Libc.SETSOCKOPT.invokeExact(Scratch.get().capture, fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
            if (r < 0) {
                throw failure("setsockopt(SO_RCVTIMEO)", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    private static MemorySegment sockaddrIn(Arena arena, int addressHostOrder, int port) {
        MemorySegment sa = arena.allocate(SOCKADDR_IN_SIZE, 4);
        sa.set(JAVA_SHORT, 0, (short) AF_INET);
        sa.set(JAVA_BYTE, 2, (byte) (port >>> 8)); // network byte order
        sa.set(JAVA_BYTE, 3, (byte) port);
        sa.set(JAVA_BYTE, 4, (byte) (addressHostOrder >>> 24));
        sa.set(JAVA_BYTE, 5, (byte) (addressHostOrder >>> 16));
        sa.set(JAVA_BYTE, 6, (byte) (addressHostOrder >>> 8));
        sa.set(JAVA_BYTE, 7, (byte) addressHostOrder);
        return sa;
    }

    /** Binds an AF_INET socket to {@code address:port} (host order; port 0 picks one). */
    public static void bindInet(int fd, int addressHostOrder, int port, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) Libc.BIND.invokeExact(Scratch.get().capture, fd, sockaddrIn(arena, addressHostOrder, port),
                    SOCKADDR_IN_SIZE);
            if (r < 0) {
                throw failure("bind", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Binds a socket to a raw address structure (netlink's {@code sockaddr_nl}, for example). */
    static void bind(int fd, MemorySegment sockaddr, String what) {
        try {
            int r = (int) Libc.BIND.invokeExact(Scratch.get().capture, fd, sockaddr, (int) sockaddr.byteSize());
            if (r < 0) {
                throw failure("bind", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** The local port of an AF_INET socket. */
    public static int localPort(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SOCKADDR_IN_SIZE, 4);
            MemorySegment len = arena.allocateFrom(JAVA_INT, SOCKADDR_IN_SIZE);
            int r = (int) Libc.GETSOCKNAME.invokeExact(Scratch.get().capture, fd, sa, len);
            if (r < 0) {
                throw failure("getsockname", what);
            }
            return (Byte.toUnsignedInt(sa.get(JAVA_BYTE, 2)) << 8) | Byte.toUnsignedInt(sa.get(JAVA_BYTE, 3));
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    public static void listen(int fd, int backlog, String what) {
        try {
            int r = (int) Libc.LISTEN.invokeExact(Scratch.get().capture, fd, backlog);
            if (r < 0) {
                throw failure("listen", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Accepts one connection (blocking), close-on-exec. */
    public static Fd accept(int fd, String what) {
        try {
            int r = (int) Libc.ACCEPT4.invokeExact(Scratch.get().capture, fd, MemorySegment.NULL, MemorySegment.NULL,
                    SOCK_CLOEXEC);
            if (r < 0) {
                throw failure("accept", what);
            }
            return Fd.own(r, "socket " + what + " (accepted)");
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    public static void connectInet(int fd, int addressHostOrder, int port, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) Libc.CONNECT.invokeExact(Scratch.get().capture, fd, sockaddrIn(arena, addressHostOrder, port),
                    SOCKADDR_IN_SIZE);
            if (r < 0) {
                throw failure("connect", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code send(2)}; returns the bytes sent, or minus the errno. */
    public static long send(int fd, MemorySegment data, int flags) {
        try {
            Scratch s = Scratch.get();
            long r = (long) Libc.SEND.invokeExact(s.capture, fd, data, data.byteSize(), flags);
            return r < 0 ? -Libc.errno(s.capture) : r;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code recv(2)} into {@code buffer}; returns the bytes received, or minus the errno. */
    public static long recv(int fd, MemorySegment buffer, int flags) {
        try {
            Scratch s = Scratch.get();
            long r = (long) Libc.RECV.invokeExact(s.capture, fd, buffer, buffer.byteSize(), flags);
            return r < 0 ? -Libc.errno(s.capture) : r;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /**
     * Moves the calling thread into the namespace behind {@code nsFd} ({@code CLONE_NEWNET}: network namespaces
     * are per thread).
     */
    public static void setns(int nsFd, int nsType, String what) {
        try {
            int r = (int) Libc.SETNS.invokeExact(Scratch.get().capture, nsFd, nsType);
            if (r < 0) {
                throw failure("setns", what);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** The index of interface {@code name} in the calling thread's network namespace, or 0 when there is none. */
    public static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Libc.IF_NAMETOINDEX.invokeExact(Scratch.get().capture, arena.allocateFrom(name));
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** The name of interface {@code index} in the calling thread's network namespace, or null. */
    public static String ifIndexToName(int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(IF_NAMESIZE);
            MemorySegment r = (MemorySegment) Libc.IF_INDEXTONAME.invokeExact(Scratch.get().capture, index, buf);
            if (r.address() == 0) {
                return null;
            }
            return CString.of(buf);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Sets a string-valued option (e.g. TCP_CONGESTION). */
    public static void setOption(int fd, int level, int option, String value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] b = value.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            MemorySegment v = arena.allocateFrom(JAVA_BYTE, b);
            Scratch s = Scratch.get();
            int r = (int) Libc.SETSOCKOPT.invokeExact(s.capture, fd, level, option, v, b.length);
            if (r < 0) {
                throw new SyscallException("setsockopt", Libc.errno(s.capture), what, null);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Reads a string-valued option. */
    public static String getOption(int fd, int level, int option, int maxLength, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(maxLength + 1L);
            MemorySegment len = arena.allocateFrom(JAVA_INT, maxLength);
            Scratch s = Scratch.get();
            int r = (int) Libc.GETSOCKOPT.invokeExact(s.capture, fd, level, option, v, len);
            if (r < 0) {
                throw new SyscallException("getsockopt", Libc.errno(s.capture), what, null);
            }
            return v.getString(0);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }
}
