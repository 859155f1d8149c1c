package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One program on many kernel functions at once ({@code kprobe.multi}, {@code kretprobe.multi},
 * {@code kprobe.session}), by symbol names, a glob over {@code /proc/kallsyms}, or addresses, each with an
 * optional BPF cookie. The kernel needs fprobe support ({@code CONFIG_FPROBE}, Linux 5.18+).
 */
public final class KprobeMultiLink extends BpfLink {
    /** {@code BPF_F_KPROBE_MULTI_RETURN}: run at function return. */
    static final int F_RETURN = 1;

    /** Where the program runs. */
    public enum Kind {
        ENTRY(AttachType.TRACE_KPROBE_MULTI, 0),
        RETURN(AttachType.TRACE_KPROBE_MULTI, F_RETURN),
        /** Entry and return, sharing a session (the program must be loaded with attach type kprobe_session). */
        SESSION(AttachType.TRACE_KPROBE_SESSION, 0);

        final AttachType attachType;
        final int flags;

        Kind(AttachType attachType, int flags) {
            this.attachType = attachType;
            this.flags = flags;
        }
    }

    private KprobeMultiLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Attaches to each of {@code symbols}; {@code cookies} is null or one per symbol. */
    public static KprobeMultiLink attach(Program program, List<String> symbols, long[] cookies, Kind kind) {
        if (symbols.isEmpty()) {
            throw new IllegalArgumentException("kprobe.multi needs at least one symbol");
        }
        checkCookies(cookies, symbols.size());
        String d = "kprobe.multi '" + program.name() + "' on " + (symbols.size() == 1 ? symbols.getFirst()
                : symbols.size() + " functions") + " (" + kind.name().toLowerCase(java.util.Locale.ROOT) + ")";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment syms = arena.allocate(ADDRESS, symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                syms.setAtIndex(ADDRESS, i, arena.allocateFrom(symbols.get(i)));
            }
            MemorySegment c = cookies == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_LONG, cookies);
            return create(program, kind, encode(kind, symbols.size(), syms, MemorySegment.NULL, c), d);
        }
    }

    /** Attaches to every kernel function whose name matches {@code glob} ({@code *} and {@code ?}). */
    public static KprobeMultiLink attachPattern(Program program, String glob, Kind kind) {
        List<String> symbols = Ksyms.functions(Ksyms.glob(glob));
        if (symbols.isEmpty()) {
            throw new BpfException("no kernel function matches '" + glob + "' in /proc/kallsyms");
        }
        return attach(program, symbols, null, kind);
    }

    /** Attaches at kernel addresses (from kallsyms); {@code cookies} is null or one per address. */
    public static KprobeMultiLink attachAddresses(Program program, long[] addresses, long[] cookies, Kind kind) {
        if (addresses.length == 0) {
            throw new IllegalArgumentException("kprobe.multi needs at least one address");
        }
        checkCookies(cookies, addresses.length);
        String d = "kprobe.multi '" + program.name() + "' on " + addresses.length + " addresses";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom(JAVA_LONG, addresses);
            MemorySegment c = cookies == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_LONG, cookies);
            return create(program, kind, encode(kind, addresses.length, MemorySegment.NULL, a, c), d);
        }
    }

    private static void checkCookies(long[] cookies, int n) {
        if (cookies != null && cookies.length != n) {
            throw new IllegalArgumentException(cookies.length + " cookies for " + n + " functions: give one each, or none");
        }
    }

    /** Writes LINK_CREATE's kprobe_multi member: flags, count and the three array addresses. */
    static Consumer<MemorySegment> encode(Kind kind, int count, MemorySegment syms, MemorySegment addrs,
                                          MemorySegment cookies) {
        return a -> {
            a.set(JAVA_INT, Attr.LinkCreate.KPROBE_MULTI_FLAGS, kind.flags);
            a.set(JAVA_INT, Attr.LinkCreate.KPROBE_MULTI_CNT, count);
            a.set(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_SYMS, syms.address());
            a.set(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_ADDRS, addrs.address());
            a.set(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_COOKIES, cookies.address());
        };
    }

    private static KprobeMultiLink create(Program program, Kind kind, Consumer<MemorySegment> union, String d) {
        try {
            return new KprobeMultiLink(Bpf.linkCreate(program.fd(), 0, kind.attachType.value(), 0, union,
                    Attr.LinkCreate.KPROBE_MULTI_COOKIES + Long.BYTES, d), d);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOTSUPP) {
                throw new UnsupportedFeatureException("kprobe.multi links",
                        "this kernel has no fprobe (CONFIG_FPROBE), which kprobe.multi needs (" + d + ")");
            }
            throw e;
        }
    }
}
