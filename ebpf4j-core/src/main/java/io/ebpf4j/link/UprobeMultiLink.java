package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.SyscallException;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.asm.Register;
import io.ebpf4j.features.FeatureStatus;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One bpf_link that puts a program on many places of one binary at once ({@code BPF_TRACE_UPROBE_MULTI}, Linux
 * 6.6+): function offsets, each with its own cookie and semaphore, for every process or one. The program must
 * have been loaded for {@link AttachType#TRACE_UPROBE_MULTI} (sections {@code uprobe.multi}, {@code
 * uretprobe.multi}).
 */
public final class UprobeMultiLink extends BpfLink {
    /** {@code BPF_F_UPROBE_MULTI_RETURN}: the probes fire on return. */
    public static final int F_RETURN = 1;

    /**
     * One probe site.
     *
     * @param offset the file offset of the probed instruction
     * @param refCtrOffset the file offset of a semaphore to raise, or 0
     * @param cookie what {@code bpf_get_attach_cookie()} returns for hits at this site
     */
    public record Site(long offset, long refCtrOffset, long cookie) {
        public static Site at(long offset) {
            return new Site(offset, 0, 0);
        }
    }

    private final List<String> functions;

    private UprobeMultiLink(Fd fd, String description, List<String> functions) {
        super(fd, description);
        this.functions = functions;
    }

    /**
     * Attaches {@code program} to every function of {@code binary} whose name matches {@code pattern}
     * ({@code *} and {@code ?} wildcards).
     *
     * @param retprobe fire on return instead of entry
     * @param pid only this process, or -1 for all
     * @throws BpfException when no function matches
     */
    public static UprobeMultiLink attach(Program program, String binary, String pattern, boolean retprobe, int pid) {
        Path path = UprobeTargets.resolveBinary(binary, pid);
        List<UprobeTargets.FunctionOffset> found = UprobeTargets.functionOffsets(path, pattern);
        if (found.isEmpty()) {
            throw new BpfException("no function of " + path + " matches '" + pattern + "'");
        }
        return attach(program, path, found.stream().map(f -> Site.at(f.offset())).toList(), retprobe, pid,
                found.stream().map(UprobeTargets.FunctionOffset::name).toList(), "'" + pattern + "'");
    }

    /** Attaches {@code program} to the given sites of {@code binary}. */
    public static UprobeMultiLink attach(Program program, Path binary, List<Site> sites, boolean retprobe, int pid) {
        return attach(program, binary, sites, retprobe, pid, List.of(), sites.size() + " sites");
    }

    private static UprobeMultiLink attach(Program program, Path binary, List<Site> sites, boolean retprobe, int pid,
                                          List<String> functions, String where) {
        if (sites.isEmpty()) {
            throw new IllegalArgumentException("uprobe.multi needs at least one site");
        }
        if (pid < -1 || pid == 0) {
            throw new IllegalArgumentException("pid must be a process id or -1 for every process, not " + pid);
        }
        Path path = binary.toAbsolutePath();
        String what = (retprobe ? "uretprobe.multi" : "uprobe.multi") + " '" + program.name() + "' on " + path + " "
                + where + (pid > 0 ? " (pid " + pid + ")" : "");
        int n = sites.size();
        boolean refCtrs = sites.stream().anyMatch(s -> s.refCtrOffset() != 0);
        boolean cookies = sites.stream().anyMatch(s -> s.cookie() != 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            MemorySegment offsets = arena.allocate(JAVA_LONG, n);
            MemorySegment refs = refCtrs ? arena.allocate(JAVA_LONG, n) : MemorySegment.NULL;
            MemorySegment cooks = cookies ? arena.allocate(JAVA_LONG, n) : MemorySegment.NULL;
            for (int i = 0; i < n; i++) {
                Site s = sites.get(i);
                offsets.setAtIndex(JAVA_LONG, i, s.offset());
                if (refCtrs) {
                    refs.setAtIndex(JAVA_LONG, i, s.refCtrOffset());
                }
                if (cookies) {
                    cooks.setAtIndex(JAVA_LONG, i, s.cookie());
                }
            }
            Fd fd;
            try {
                fd = create(program, name, offsets, refs, cooks, n, retprobe, pid, what);
            } catch (SyscallException e) {
                String hint = switch (e.errno()) {
                    case EINVAL -> "uprobe.multi links need Linux 6.6 or newer and a program loaded for "
                            + "BPF_TRACE_UPROBE_MULTI (section uprobe.multi or uretprobe.multi)";
                    case ESRCH -> "process " + pid + " does not exist";
                    case EBADF, ENOENT -> "the kernel cannot open " + path;
                    case null, default -> null;
                };
                if (hint == null) {
                    throw e;
                }
                throw new SyscallException(e.call(), e.errnoNumber(), what, hint);
            }
            return new UprobeMultiLink(fd, what, List.copyOf(functions));
        }
    }

    private static Fd create(Program program, MemorySegment name, MemorySegment offsets, MemorySegment refs,
                             MemorySegment cooks, int n, boolean retprobe, int pid, String what) {
        return Bpf.linkCreate(program.fd(), 0, AttachType.TRACE_UPROBE_MULTI.value(), 0, a -> {
            a.set(JAVA_LONG, Attr.LinkCreate.UPROBE_MULTI_PATH, name.address());
            a.set(JAVA_LONG, Attr.LinkCreate.UPROBE_MULTI_OFFSETS, offsets.address());
            a.set(JAVA_LONG, Attr.LinkCreate.UPROBE_MULTI_REF_CTR_OFFSETS, refs.address());
            a.set(JAVA_LONG, Attr.LinkCreate.UPROBE_MULTI_COOKIES, cooks.address());
            a.set(JAVA_INT, Attr.LinkCreate.UPROBE_MULTI_CNT, n);
            a.set(JAVA_INT, Attr.LinkCreate.UPROBE_MULTI_FLAGS, retprobe ? F_RETURN : 0);
            a.set(JAVA_INT, Attr.LinkCreate.UPROBE_MULTI_PID, Math.max(pid, 0));
        }, Attr.LinkCreate.UPROBE_MULTI_PID + 4, what);
    }

    private static volatile FeatureStatus support;

    /**
     * Whether this kernel has uprobe.multi links: a program loaded for {@code BPF_TRACE_UPROBE_MULTI} is linked to
     * {@code /}, which a kernel with the feature refuses with EBADF (not a regular file) and one without with
     * EINVAL. Probed once, then kept.
     */
    public static FeatureStatus probe() {
        FeatureStatus s = support;
        if (s == null) {
            s = probeNow();
            support = s;
        }
        return s;
    }

    private static FeatureStatus probeNow() {
        Program p;
        try {
            p = Program.load(ProgramSpec.of("uprobe_multi", ProgramType.KPROBE,
                    new Assembler().mov64(Register.R0, 0).exit().build())
                    .withExpectedAttachType(AttachType.TRACE_UPROBE_MULTI).withLicense("GPL"));
        } catch (BpfException e) {
            return FeatureStatus.no("the kernel refuses kprobe programs for BPF_TRACE_UPROBE_MULTI (Linux 6.6+): "
                    + e.getMessage());
        }
        try (p; Arena arena = Arena.ofConfined()) {
            MemorySegment offsets = arena.allocate(JAVA_LONG, 1);
            create(p, arena.allocateFrom("/"), offsets, MemorySegment.NULL, MemorySegment.NULL, 1, false, -1,
                    "uprobe.multi probe").close();
            return FeatureStatus.yes();
        } catch (SyscallException e) {
            return e.errno() == io.ebpf4j.Errno.EBADF ? FeatureStatus.yes()
                    : FeatureStatus.no("LINK_CREATE for BPF_TRACE_UPROBE_MULTI: " + e.getMessage()
                    + " (uprobe.multi links need Linux 6.6+)");
        }
    }

    /** The functions a pattern matched, in symbol-table order; empty when attached by sites. */
    public List<String> functions() {
        return functions;
    }

    /**
     * Not possible: the kernel cannot swap the program of a uprobe.multi link (LINK_UPDATE fails with EINVAL).
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
        return new BpfException(describe() + ": the kernel cannot swap the program of a uprobe.multi link "
                + "(LINK_UPDATE); close it and attach the new program");
    }

    // ---- auto-attach ----

    private static final Pattern SECTION = Pattern.compile("(uprobe|uretprobe)\\.multi(\\.s)?/([^:]+):(.+)");

    /** Whether the section has libbpf's form {@code uprobe.multi/PATH:PATTERN} (or uretprobe.multi, .s). */
    public static boolean hasAutoAttachTarget(String section) {
        return SECTION.matcher(section).matches();
    }

    /**
     * Attaches {@code program} where its section says: {@code uprobe.multi/PATH:PATTERN} or
     * {@code uretprobe.multi/PATH:PATTERN} (and their sleepable {@code .s} forms), for every process.
     *
     * @throws IllegalArgumentException when the section names no target
     */
    public static Link autoAttach(Program program, String sectionTarget) {
        Matcher m = SECTION.matcher(sectionTarget);
        if (!m.matches()) {
            throw new IllegalArgumentException("section '" + sectionTarget + "' of program '" + program.name()
                    + "' names no uprobe.multi target; libbpf's form is uprobe.multi/PATH:PATTERN: attach it with "
                    + "UprobeMultiLink.attach instead");
        }
        return attach(program, m.group(3), m.group(4), m.group(1).equals("uretprobe"), -1);
    }
}
