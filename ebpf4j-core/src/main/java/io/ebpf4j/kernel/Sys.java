package io.ebpf4j.kernel;

import io.ebpf4j.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/** Non-bpf system calls: close, open, mmap, munmap, mount, ioctl. */
public final class Sys {
    private Sys() {
    }

    /**
     * All of memory, for hot paths that read or write native memory at addresses they have checked themselves
     * (map element attributes, ring buffer headers). Being a constant, its bounds and liveness checks fold away
     * in compiled code, where a segment loaded from a field would be checked on every access.
     */
    @SuppressWarnings("restricted")
    public static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static void closeQuietly(int fd) {
        try {
            int r = (int) Libc.CLOSE.invokeExact(Scratch.get().capture, fd);
            assert r == 0 || r == -1;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Room for glibc's {@code struct statfs} (120 bytes on x86-64 and arm64). */
    private static final long STATFS_SIZE = 256;

    /**
     * The magic number ({@code f_type}) of the file system {@code path} is on, as the kernel reports it for the
     * path itself (a mount over a parent directory, another mount namespace's path: what is really there); empty
     * when statfs fails (the path does not exist, say). {@link FsType} names the common ones.
     */
    public static java.util.OptionalLong fsMagic(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STATFS_SIZE, 8);
            Scratch s = Scratch.get();
            int r = (int) Libc.STATFS.invokeExact(s.capture, arena.allocateFrom(path), buf);
            return r < 0 ? java.util.OptionalLong.empty()
                    : java.util.OptionalLong.of(buf.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) & 0xffff_ffffL);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Opens a path read-only with O_CLOEXEC (add O_DIRECTORY with {@code directory}). */
    public static Fd open(String path, boolean directory) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = Scratch.get();
            int flags = Libc.O_RDONLY | Libc.O_CLOEXEC | (directory ? Libc.O_DIRECTORY : 0);
            int fd = (int) Libc.OPEN.invokeExact(s.capture, arena.allocateFrom(path), flags, 0);
            if (fd < 0) {
                int errno = Libc.errno(s.capture);
                throw new SyscallException("open", errno, path, Hints.forPath(errno, path));
            }
            return Fd.own(fd, "file '" + path + "'");
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** Opens a path read-only, close-on-exec and non-blocking (reads return -EAGAIN when there is nothing). */
    public static Fd openNonBlocking(String path) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = Scratch.get();
            int flags = Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NONBLOCK;
            int fd = (int) Libc.OPEN.invokeExact(s.capture, arena.allocateFrom(path), flags, 0);
            if (fd < 0) {
                int errno = Libc.errno(s.capture);
                throw new SyscallException("open", errno, path, Hints.forPath(errno, path));
            }
            return Fd.own(fd, "file '" + path + "'");
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /**
     * {@code read(2)} into {@code buffer}: the byte count (0 at end of file), or -EAGAIN / -EINTR when a
     * non-blocking descriptor has nothing now or a signal came; other errors throw.
     */
    public static long read(int fd, MemorySegment buffer, String what) {
        Scratch s = Scratch.get();
        long r;
        try {
            r = (long) Libc.READ.invokeExact(s.capture, fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (r < 0) {
            int errno = Libc.errno(s.capture);
            if (errno == io.ebpf4j.Errno.EAGAIN.number() || errno == io.ebpf4j.Errno.EINTR.number()) {
                return -errno;
            }
            throw new SyscallException("read", errno, what, null);
        }
        return r;
    }

    /**
     * Maps {@code length} bytes of {@code fd} shared at {@code offset}. The mapping lives as long as
     * {@code arena}; closing the arena unmaps it.
     */
    @SuppressWarnings("restricted") // giving the mapped address its real size and lifetime
    public static MemorySegment mmap(int fd, long length, int prot, long offset, Arena arena, String object) {
        Scratch s = Scratch.get();
        MemorySegment addr;
        try {
            addr = (MemorySegment) Libc.MMAP.invokeExact(s.capture, MemorySegment.NULL, length, prot,
                    Libc.MAP_SHARED, fd, offset);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (addr.address() == Libc.MAP_FAILED) {
            int errno = Libc.errno(s.capture);
            throw new SyscallException("mmap", errno, object, Hints.forMmap(errno));
        }
        Consumer<MemorySegment> unmap = seg -> munmap(seg.address(), length);
        return addr.reinterpret(length, arena, unmap);
    }

    private static final int MAP_PRIVATE = 2;

    /**
     * Maps a file read-only and private (copy-on-write, never written). sysfs files such as
     * {@code /sys/kernel/btf/vmlinux} accept only this kind of mapping, which Java's FileChannel cannot make.
     * The mapping lives as long as {@code arena}.
     */
    @SuppressWarnings("restricted") // giving the mapped address its real size and lifetime
    public static MemorySegment mapFileReadOnly(java.nio.file.Path file, long length, Arena arena) {
        try (Fd fd = open(file.toString(), false)) {
            Scratch s = Scratch.get();
            MemorySegment addr;
            try {
                addr = (MemorySegment) Libc.MMAP.invokeExact(s.capture, MemorySegment.NULL, length, Libc.PROT_READ,
                        MAP_PRIVATE, fd.get(), 0L);
            } catch (Throwable t) {
                throw Scratch.rethrow(t);
            }
            if (addr.address() == Libc.MAP_FAILED) {
                int errno = Libc.errno(s.capture);
                throw new SyscallException("mmap", errno, file.toString(), null);
            }
            Consumer<MemorySegment> unmap = seg -> munmap(seg.address(), length);
            return addr.reinterpret(length, arena, unmap);
        }
    }

    private static void munmap(long address, long length) {
        try {
            int r = (int) Libc.MUNMAP.invokeExact(Scratch.get().capture, MemorySegment.ofAddress(address), length);
            assert r == 0;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code mount(2)}; returns 0 or the errno. */
    public static int mount(String source, String target, String fsType, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = Scratch.get();
            MemorySegment d = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
            int r = (int) Libc.MOUNT.invokeExact(s.capture, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fsType), flags, d);
            return r == 0 ? 0 : Libc.errno(s.capture);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** {@code ioctl(fd, request, arg)}; returns the result or throws. */
    public static int ioctl(int fd, long request, long arg, String what) {
        Scratch s = Scratch.get();
        try {
            int r = (int) Libc.IOCTL.invokeExact(s.capture, fd, request, arg);
            if (r < 0) {
                int errno = Libc.errno(s.capture);
                throw new SyscallException("ioctl", errno, what, null);
            }
            return r;
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
    }

    /** The system's page size in bytes. */
    public static long pageSize() {
        return Libc.pageSize0();
    }

    /**
     * {@code read(2)} into {@code buf}; returns the byte count (0 at the end) or throws. Retries on EINTR, and on
     * EAGAIN as the BPF iterator's read may answer it while the kernel restarts a batch.
     */
    public static int readRetrying(int fd, MemorySegment buf, String what) {
        Scratch s = Scratch.get();
        for (int attempt = 0; ; attempt++) {
            long r;
            try {
                r = (long) Libc.READ.invokeExact(s.capture, fd, buf, buf.byteSize());
            } catch (Throwable t) {
                throw Scratch.rethrow(t);
            }
            if (r >= 0) {
                return (int) r;
            }
            int errno = Libc.errno(s.capture);
            boolean retry = errno == io.ebpf4j.Errno.EINTR.number() || errno == io.ebpf4j.Errno.EAGAIN.number();
            if (!retry || attempt >= 100) {
                throw new SyscallException("read", errno, what, null);
            }
        }
    }
}
