package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Mounts;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.program.Program;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * kprobes, kretprobes and their syscall forms (ksyscall/kretsyscall), attached as perf events: through the
 * kprobe PMU ({@code /sys/bus/event_source/devices/kprobe}, Linux 4.17+) or, without it, through a probe
 * defined in tracefs {@code kprobe_events} (removed again when the link closes). A kernel built without
 * {@code CONFIG_KPROBES} has neither: every call then throws an {@link UnsupportedFeatureException}.
 */
public final class KprobeLink {
    private KprobeLink() {
    }

    private static final Path PMU = Path.of("/sys/bus/event_source/devices/kprobe");
    private static final String LEGACY_GROUP = "ebpf4j";
    private static final AtomicInteger LEGACY_COUNTER = new AtomicInteger();

    /** How this kernel offers kprobes. */
    public enum Support {
        /** The kprobe PMU: perf_event_open with the PMU's type. */
        PMU,
        /** Only tracefs {@code kprobe_events}. */
        TRACEFS,
        /** No kprobes at all. */
        NONE
    }

    /** Which mechanism this kernel has (the PMU is preferred). */
    public static Support support() {
        if (Files.exists(PMU.resolve("type"))) {
            return Support.PMU;
        }
        Path tracefs;
        try {
            tracefs = Mounts.tracefs();
        } catch (BpfException e) {
            return Support.NONE;
        }
        return Files.exists(tracefs.resolve("kprobe_events")) ? Support.TRACEFS : Support.NONE;
    }

    /** Why kprobes cannot be used here, for skip messages and errors. */
    public static String unsupportedReason() {
        return "this kernel has no kprobes (CONFIG_KPROBES): neither the kprobe PMU (" + PMU
                + ") nor tracefs kprobe_events exists";
    }

    private static Support require() {
        Support s = support();
        if (s == Support.NONE) {
            throw new UnsupportedFeatureException("kprobes", unsupportedReason());
        }
        return s;
    }

    /** Attaches {@code program} (type kprobe) at {@code symbol + offset}. */
    public static PerfEventLink kprobe(Program program, String symbol, long offset, long cookie) {
        return attach(program, symbol, offset, false, cookie);
    }

    /** Attaches {@code program} to the return of {@code symbol}. */
    public static PerfEventLink kretprobe(Program program, String symbol, long cookie) {
        return attach(program, symbol, 0, true, cookie);
    }

    /**
     * Attaches {@code program} to system call {@code syscall} ({@code getpid}, {@code openat}...) through its
     * arch-specific entry ({@code __x64_sys_getpid} on x86_64), or to its return.
     */
    public static PerfEventLink ksyscall(Program program, String syscall, boolean ret, long cookie) {
        require();
        return attach(program, Ksyms.syscallSymbol(syscall), 0, ret, cookie);
    }

    private static PerfEventLink attach(Program program, String symbol, long offset, boolean ret, long cookie) {
        if (symbol == null || symbol.isEmpty()) {
            throw new IllegalArgumentException("a kprobe needs a function name");
        }
        Support s = require();
        String what = (ret ? "kretprobe" : "kprobe") + " '" + program.name() + "' on " + symbol
                + (offset != 0 ? "+0x" + Long.toHexString(offset) : "");
        if (s == Support.PMU) {
            int type = readInt(PMU.resolve("type"));
            int retBit = ret ? retprobeBit(PMU.resolve("format/retprobe")) : 0;
            Fd perf;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment name = arena.allocateFrom(symbol);
                perf = PerfEvent.open(a -> fillPmuAttr(a, type, ret, retBit, name, offset), -1, 0, -1, what);
            }
            return PerfEventLink.attach(program, perf, cookie, PerfEventLink.Mode.AUTO, what);
        }
        return attachLegacy(program, symbol, offset, ret, cookie, what);
    }

    /**
     * The kprobe PMU's attribute: the PMU's dynamic type; the retprobe bit of {@code config}; the function name's
     * address in {@code config1} ({@code kprobe_func}) and the offset in {@code config2} ({@code probe_offset}).
     */
    static void fillPmuAttr(MemorySegment a, int pmuType, boolean ret, int retBit, MemorySegment name, long offset) {
        a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), pmuType);
        a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), ret ? 1L << retBit : 0);
        a.set(JAVA_LONG, PerfEvent.ATTR.offset("config1"), name.address());
        a.set(JAVA_LONG, PerfEvent.ATTR.offset("config2"), offset);
    }

    /** The bit of {@code format/retprobe} ({@code "config:0"}). */
    static int retprobeBit(Path format) {
        String f;
        try {
            f = Files.readString(format).trim();
        } catch (IOException e) {
            throw new BpfException("cannot read " + format + ": " + e.getMessage(), e);
        }
        return parseFormatBit(f, format.toString());
    }

    static int parseFormatBit(String format, String where) {
        try {
            return UprobePmu.firstBit(format);
        } catch (NumberFormatException e) {
            throw new BpfException("unexpected perf PMU format '" + format + "' in " + where, e);
        }
    }

    // ---- tracefs kprobe_events ----

    /** A {@code kprobe_events} definition: {@code p:GROUP/EVENT SYMBOL+OFFSET} or {@code r:GROUP/EVENT SYMBOL}. */
    static String legacyDefinition(boolean ret, String event, String symbol, long offset) {
        return (ret ? "r" : "p") + ":" + LEGACY_GROUP + "/" + event + " " + symbol + (offset != 0 ? "+" + offset : "");
    }

    /** A unique event name: this process, the function, a counter (tracefs allows [A-Za-z0-9_]). */
    static String legacyEventName(String symbol, long pid, int n) {
        String clean = symbol.replaceAll("[^A-Za-z0-9_]", "_");
        return "ebpf4j_" + pid + "_" + clean + "_" + n;
    }

    private static PerfEventLink attachLegacy(Program program, String symbol, long offset, boolean ret, long cookie,
                                              String what) {
        Path tracefs = Mounts.tracefs();
        Path events = tracefs.resolve("kprobe_events");
        String event = legacyEventName(symbol, ProcessHandle.current().pid(), LEGACY_COUNTER.incrementAndGet());
        append(events, legacyDefinition(ret, event, symbol, offset));
        Runnable remove = () -> append(events, "-:" + LEGACY_GROUP + "/" + event);
        try {
            int id = readInt(tracefs.resolve("events").resolve(LEGACY_GROUP).resolve(event).resolve("id"));
            Fd perf = PerfEvent.open(a -> {
                a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), PerfEvent.TYPE_TRACEPOINT);
                a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), id);
            }, -1, 0, -1, what);
            return PerfEventLink.attach(program, perf, cookie, PerfEventLink.Mode.AUTO, what).afterClose(remove);
        } catch (RuntimeException e) {
            try {
                remove.run();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static void append(Path file, String line) {
        try {
            Files.writeString(file, line + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new BpfException("writing '" + line + "' to " + file + " failed: " + e.getMessage()
                    + " (does the function exist and may it be probed?)", e);
        }
    }

    private static int readInt(Path p) {
        try {
            return Integer.parseInt(Files.readString(p).trim());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("cannot read a number from " + p + ": " + e.getMessage(), e);
        }
    }
}
