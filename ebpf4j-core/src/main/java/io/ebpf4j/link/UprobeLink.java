package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.program.Program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A uprobe or uretprobe: a perf event of the kernel's uprobe PMU on a file offset of a binary, with the program
 * attached to it through a perf bpf_link (which carries the cookie). The link owns both descriptors: closing it
 * detaches the program and removes the probe.
 */
public final class UprobeLink extends BpfLink {
    private final Fd perfEvent;
    private final Path binary;
    private final long offset;

    private UprobeLink(Fd link, Fd perfEvent, String description, Path binary, long offset) {
        super(link, description);
        this.perfEvent = perfEvent;
        this.binary = binary;
        this.offset = offset;
    }

    /**
     * Attaches {@code program} to function {@code function} of {@code binary} (a path, or a library or program
     * name resolved by {@link UprobeTargets#resolveBinary}, using the options' pid when there is one).
     */
    public static UprobeLink attach(Program program, String binary, String function, UprobeOptions options) {
        return attach(program, binary, function, 0, options);
    }

    /** Like {@link #attach(Program, String, String, UprobeOptions)}, {@code functionOffset} bytes into it. */
    public static UprobeLink attach(Program program, String binary, String function, long functionOffset,
                                    UprobeOptions options) {
        Path path = UprobeTargets.resolveBinary(binary, options.pid());
        long offset = UprobeTargets.functionOffset(path, function) + functionOffset;
        return attach(program, path, offset, options, function + (functionOffset == 0 ? "" : "+" + functionOffset));
    }

    /** Attaches {@code program} at file offset {@code offset} of {@code binary}. */
    public static UprobeLink attach(Program program, Path binary, long offset, UprobeOptions options) {
        return attach(program, binary, offset, options, "0x" + Long.toHexString(offset));
    }

    private static UprobeLink attach(Program program, Path binary, long offset, UprobeOptions options, String where) {
        Path path = binary.toAbsolutePath();
        String kind = options.retprobe() ? "uretprobe" : "uprobe";
        String what = kind + " '" + program.name() + "' on " + path + ":" + where
                + (options.pid() > 0 ? " (pid " + options.pid() + ")" : "");
        Fd perf = openEvent(path, offset, options, what);
        try {
            Fd link = PerfEventLink.perfLink(program, perf, options.cookie(), what);
            return new UprobeLink(link, perf, what, path, offset);
        } catch (RuntimeException e) {
            perf.close();
            throw e;
        }
    }

    /** Opens the uprobe perf event; the path only has to live for the call. */
    static Fd openEvent(Path path, long offset, UprobeOptions options, String what) {
        UprobePmu pmu = UprobePmu.get();
        long config = options.retprobe() ? 1L << pmu.retprobeBit() : 0;
        if (options.refCtrOffset() != 0) {
            if (pmu.refCtrShift() < 0) {
                throw new io.ebpf4j.UnsupportedFeatureException("uprobe ref_ctr_offset", "this kernel's uprobe PMU "
                        + "has no ref_ctr_offset field (Linux 4.20 or newer has it), so " + what
                        + " cannot raise a USDT semaphore");
            }
            config |= options.refCtrOffset() << pmu.refCtrShift();
        }
        final long cfg = config;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            // A per-process uprobe is opened on any CPU; a system-wide one on CPU 0 (where it fires is not
            // limited by that: the program runs wherever the probed code does).
            int pid = options.pid();
            return PerfEvent.open(a -> {
                a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), pmu.type());
                a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), cfg);
                a.set(JAVA_LONG, PerfEvent.ATTR.offset("config1"), name.address());
                a.set(JAVA_LONG, PerfEvent.ATTR.offset("config2"), offset);
            }, pid, pid > 0 ? -1 : 0, -1, what);
        }
    }

    /** The binary the probe is in. */
    public Path binary() {
        return binary;
    }

    /** The probe's file offset in {@link #binary()}. */
    public long offset() {
        return offset;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            perfEvent.close();
        }
    }

    /**
     * Not possible: the kernel cannot swap the program of a perf-event (uprobe) link (LINK_UPDATE fails with EINVAL).
     * Close this link and attach the new program instead.
     *
     * @throws BpfException always
     */
    @Override
    public void update(Program program) {
        throw noUpdate();
    }

    /** Not possible either; see {@link #update(Program)}. */
    @Override
    public void update(Program program, Program expected) {
        throw noUpdate();
    }

    private BpfException noUpdate() {
        return new BpfException(describe() + ": the kernel cannot swap the program of a perf-event (uprobe) link "
                + "(LINK_UPDATE); close it and attach the new program");
    }

    // ---- auto-attach ----

    private static final Pattern SECTION = Pattern.compile(
            "(uprobe|uretprobe)(\\.s)?/([^:]+):([A-Za-z0-9_.@$]+)(?:\\+(0x[0-9a-fA-F]+|[0-9]+))?");

    /**
     * Whether libbpf's auto-attach section form for uprobes names a target: {@code uprobe/PATH:FUNC[+OFFSET]},
     * {@code uretprobe/...} and their sleepable {@code .s} forms. A bare {@code uprobe} section has none.
     */
    public static boolean hasAutoAttachTarget(String section) {
        return SECTION.matcher(section).matches();
    }

    /**
     * Attaches {@code program} where its section says, in libbpf's forms {@code uprobe/PATH:FUNC[+OFFSET]} and
     * {@code uretprobe/PATH:FUNC[+OFFSET]} (also {@code uprobe.s/}, {@code uretprobe.s/}, and
     * {@code uprobe.multi/PATH:PATTERN}, handed to {@link UprobeMultiLink#autoAttach}). PATH is a path or a
     * library name; FUNC a function name or a {@code 0x} file offset. Every process is probed.
     *
     * @throws IllegalArgumentException when the section names no target (attach such programs by hand)
     */
    public static Link autoAttach(Program program, String sectionTarget) {
        if (sectionTarget.startsWith("uprobe.multi") || sectionTarget.startsWith("uretprobe.multi")) {
            return UprobeMultiLink.autoAttach(program, sectionTarget);
        }
        Matcher m = SECTION.matcher(sectionTarget);
        if (!m.matches()) {
            throw new IllegalArgumentException("section '" + sectionTarget + "' of program '" + program.name()
                    + "' names no uprobe target; libbpf's forms are uprobe/PATH:FUNC[+OFFSET] and "
                    + "uretprobe/PATH:FUNC[+OFFSET]: attach it with UprobeLink.attach instead");
        }
        UprobeOptions options = m.group(1).equals("uretprobe") ? UprobeOptions.uretprobe() : UprobeOptions.uprobe();
        String func = m.group(4);
        long extra = m.group(5) == null ? 0 : Long.decode(m.group(5));
        if (func.startsWith("0x")) {
            try {
                long raw = Long.parseUnsignedLong(func.substring(2), 16);
                return attach(program, UprobeTargets.resolveBinary(m.group(3), -1), raw + extra, options);
            } catch (NumberFormatException e) {
                throw new BpfException("section '" + sectionTarget + "': '" + func + "' is not a hex offset");
            }
        }
        return attach(program, m.group(3), func, extra, options);
    }
}
