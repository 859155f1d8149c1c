package io.ebpf4j.kernel;

import io.ebpf4j.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;

/**
 * The few socket calls that Java's socket API cannot make: a socket option by level and number (such as
 * {@code TCP_CONGESTION}, which picks a congestion control by name) set before connecting.
 */
public final class Sockets {
    private Sockets() {
    }

    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    public static final int IPPROTO_TCP = 6;
    /** {@code TCP_CONGESTION}: the congestion control algorithm, by name. */
    public static final int TCP_CONGESTION = 13;
    private static final int SOCKADDR_IN_SIZE = 16;

    /** A new close-on-exec socket. */
    public static Fd socket(int domain, int type) {
        Scratch s = Scratch.get();
        int fd;
        try {
            fd = (int) Libc.SOCKET.invokeExact(s.capture, domain, type | SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (fd < 0) {
            throw new SyscallException("socket", Libc.errno(s.capture), "socket", null);
        }
        return Fd.own(fd, "socket");
    }

    /** Sets a string-valued option (e.g. TCP_CONGESTION). */
    public static void setOption(int fd, int level, int option, String value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] b = value.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_BYTE, b);
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
            MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, maxLength);
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

    /** Connects an AF_INET stream socket (blocking). */
    public static void connect(int fd, Inet4Address address, int port, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SOCKADDR_IN_SIZE, 4);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            // sin_port and sin_addr are in network byte order.
            sa.set(ValueLayout.JAVA_BYTE, 2, (byte) (port >> 8));
            sa.set(ValueLayout.JAVA_BYTE, 3, (byte) port);
            MemorySegment.copy(address.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
            Scratch s = Scratch.get();
            int r = (int) Libc.CONNECT.invokeExact(s.capture, fd, sa, SOCKADDR_IN_SIZE);
            if (r < 0) {
                throw new SyscallException("connect", Libc.errno(s.capture), what, null);
            }
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }
}
