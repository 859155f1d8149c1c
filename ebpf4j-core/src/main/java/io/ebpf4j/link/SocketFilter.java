package io.ebpf4j.link;

import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.program.Program;

/**
 * A {@code SOCKET_FILTER} program on one socket ({@code SO_ATTACH_BPF}): it sees every packet the socket
 * receives and returns how many bytes to keep (0 drops the packet). The socket belongs to the caller; closing
 * this object removes the filter ({@code SO_DETACH_BPF}), so close it before the socket.
 */
public final class SocketFilter extends AbstractAttachment {
    private final int socketFd;

    private SocketFilter(int socketFd, String description) {
        super(description);
        this.socketFd = socketFd;
    }

    /** Attaches {@code program} (type socket_filter) to the socket {@code socketFd} ({@code SO_ATTACH_BPF}). */
    public static SocketFilter attach(Program program, int socketFd) {
        String what = "socket filter '" + program.name() + "' on socket fd " + socketFd;
        Sockets.setsockoptInt(socketFd, Sockets.SOL_SOCKET, Sockets.SO_ATTACH_BPF, program.fd(), what);
        return new SocketFilter(socketFd, what);
    }

    /** Replaces the socket's filter with {@code program} (one call, no window without a filter). */
    public synchronized void update(Program program) {
        if (isClosed()) {
            throw new IllegalStateException(description + " is closed");
        }
        Sockets.setsockoptInt(socketFd, Sockets.SOL_SOCKET, Sockets.SO_ATTACH_BPF, program.fd(), description);
    }

    @Override
    void detach() {
        int errno = Sockets.trySetsockoptInt(socketFd, Sockets.SOL_SOCKET, Sockets.SO_DETACH_BPF, 0);
        // ENOENT: no filter any more; EBADF/ENOTSOCK: the socket was closed first, and its filter with it.
        if (errno != 0 && errno != io.ebpf4j.Errno.ENOENT.number() && errno != io.ebpf4j.Errno.EBADF.number()
                && errno != io.ebpf4j.Errno.ENOTSOCK.number()) {
            throw new io.ebpf4j.SyscallException("setsockopt(SO_DETACH_BPF)", errno, description, null);
        }
    }
}
