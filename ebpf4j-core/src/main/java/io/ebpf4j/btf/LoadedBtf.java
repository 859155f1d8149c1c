package io.ebpf4j.btf;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Fd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** BTF the kernel holds: loaded from bytes ({@code BPF_BTF_LOAD}) or opened by id. Owns its fd. */
public final class LoadedBtf implements AutoCloseable {
    private final Fd fd;

    private LoadedBtf(Fd fd) {
        this.fd = fd;
    }

    /** Loads raw BTF; a rejection carries the kernel's BTF log. */
    public static LoadedBtf load(byte[] btf) {
        return load(btf, 0);
    }

    public static LoadedBtf load(byte[] btf, int tokenFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, btf);
            Bpf.LoadAttempt a = Bpf.btfLoad(data, null, 0, tokenFd);
            if (a.fd() >= 0) {
                return new LoadedBtf(Fd.own(a.fd(), "BTF"));
            }
            long size = 64 * 1024;
            while (true) {
                MemorySegment log = arena.allocate(size);
                Bpf.LoadAttempt b = Bpf.btfLoad(data, log, 1, tokenFd);
                if (b.fd() >= 0) {
                    return new LoadedBtf(Fd.own(b.fd(), "BTF"));
                }
                if (b.errno() == Errno.ENOSPC.number() && size < (1 << 26)) {
                    size = Math.max(size * 2, b.logTrueSize() + 1L);
                    continue;
                }
                String text = log.getString(0).strip();
                throw new SyscallException("BPF_BTF_LOAD", b.errno(), "BTF of " + btf.length + " bytes",
                        text.isEmpty() ? null : "the kernel's BTF log says: " + lastLines(text, 6));
            }
        }
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    public static LoadedBtf fromId(int id) {
        return new LoadedBtf(Bpf.fdById(BpfCmd.BTF_GET_FD_BY_ID, id, 0, "BTF"));
    }

    /** Every BTF object id the kernel has (vmlinux, modules, programs'). */
    public static List<Integer> ids() {
        return Bpf.allIds(BpfCmd.BTF_GET_NEXT_ID);
    }

    public int fd() {
        return fd.get();
    }

    /** What the kernel says of this BTF object. */
    public record Info(int id, String name, int size, boolean kernel) {
    }

    public Info info() {
        var l = Attr.BTF_INFO;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(l.layout());
            MemorySegment name = arena.allocate(256);
            s.set(ValueLayout.JAVA_LONG, l.offset("name"), name.address());
            s.set(ValueLayout.JAVA_INT, l.offset("name_len"), (int) name.byteSize());
            Bpf.objInfo(fd.get(), s, "BTF");
            return new Info(s.get(ValueLayout.JAVA_INT, l.offset("id")), name.getString(0),
                    s.get(ValueLayout.JAVA_INT, l.offset("btf_size")), s.get(ValueLayout.JAVA_INT, l.offset("kernel_btf")) != 0);
        }
    }

    /** The raw BTF bytes the kernel holds. */
    public byte[] bytes() {
        var l = Attr.BTF_INFO;
        int size = info().size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(l.layout());
            MemorySegment data = arena.allocate(Math.max(1, size));
            s.set(ValueLayout.JAVA_LONG, l.offset("btf"), data.address());
            s.set(ValueLayout.JAVA_INT, l.offset("btf_size"), size);
            Bpf.objInfo(fd.get(), s, "BTF");
            return data.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE);
        } catch (IndexOutOfBoundsException e) {
            throw new BpfException("BTF object changed size while being read", e);
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
