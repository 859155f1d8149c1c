package io.ebpf4j.program;

import io.ebpf4j.kernel.CString;
import io.ebpf4j.Errno;
import io.ebpf4j.SizeMismatchException;
import io.ebpf4j.SyscallException;
import io.ebpf4j.VerifierException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.map.BpfMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A program loaded into the kernel. Owns its file descriptor; {@link #close()} releases it (the kernel frees the
 * program when nothing else — a link, a pin, a prog array — holds it).
 * <p>Safe to use from several threads (test runs, attaching, info), but {@link #close()} must not race those calls:
 * the kernel may give the closed descriptor's number to a new object at once.
 */
public final class Program implements AutoCloseable {
    /** The kernel refuses logs larger than this ({@code UINT_MAX >> 2}); we stop growing a little before. */
    static final int MAX_LOG_SIZE = Integer.MAX_VALUE >> 1;

    private final Fd fd;
    private final String name;
    /** How messages name it, made once: test runs in a loop should not build it per call. */
    private final String described;
    private final int rawType;
    private final String verifierLog;

    private Program(Fd fd, String name, int rawType, String verifierLog) {
        this.fd = fd;
        this.name = name;
        this.described = "program '" + name + "'";
        this.rawType = rawType;
        this.verifierLog = verifierLog;
    }

    public static Program load(ProgramSpec spec) {
        return load(spec, LoadOptions.DEFAULT);
    }

    /**
     * Loads a program. Without a log level, the first attempt asks for no log (as libbpf does: cheaper); if it
     * fails, the load is retried with a verbose log that grows until the whole log fits, and the failure becomes
     * a {@link VerifierException} holding that log.
     */
    public static Program load(ProgramSpec spec, LoadOptions options) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] code = spec.bytecode(); // a copy: read it once
            MemorySegment insns = arena.allocate(code.length, 8);
            MemorySegment.copy(code, 0, insns, ValueLayout.JAVA_BYTE, 0, code.length);
            MemorySegment fdArray = MemorySegment.NULL;
            int fdCount = 0;
            if (options.fdArray() != null && options.fdArray().length > 0) {
                fdArray = arena.allocateFrom(ValueLayout.JAVA_INT, options.fdArray());
                fdCount = options.fdArray().length;
            }
            LoadOptions.FuncInfo fi = options.funcInfo();
            MemorySegment funcInfo = fi == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, fi.records());
            LoadOptions.LineInfo li = options.lineInfo();
            MemorySegment lineInfo = li == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, li.records());
            Bpf.ProgLoad p = new Bpf.ProgLoad(spec.type().value(), insns, spec.license(), spec.kernVersion(),
                    spec.flags(), kernelName(spec.name()), options.ifindex(),
                    spec.expectedAttachType() == null ? 0 : spec.expectedAttachType().value(), options.btfFd(),
                    fi == null ? 0 : fi.recordSize(), funcInfo, fi == null ? 0 : fi.count(), li == null ? 0 : li.recordSize(), lineInfo, li == null ? 0 : li.count(),
                    spec.attachBtfId(),
                    options.attachProgFd() != 0 ? options.attachProgFd() : options.attachBtfObjFd(), fdArray, 0,
                    options.tokenFd());
            // fd_array_cnt (6.14+) would make the kernel bind every fd in the array; we only pass the array.
            assert fdCount >= 0;
            return loadWithLog(p, spec, options);
        }
    }

    private static Program loadWithLog(Bpf.ProgLoad p, ProgramSpec spec, LoadOptions options) {
        Bpf.LoadAttempt first = null;
        if (options.logLevel() == 0) {
            first = Bpf.progLoad(p, null, 0);
            if (first.fd() >= 0) {
                return new Program(Fd.own(first.fd(), "program '" + spec.name() + "'"), spec.name(),
                        spec.type().value(), "");
            }
        }
        int level = Math.max(1, options.logLevel());
        long size = Math.max(options.initialLogSize(), 4096);
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment log = arena.allocate(size);
                Bpf.LoadAttempt a = Bpf.progLoad(p, log, level);
                String text = log.getString(0);
                if (a.fd() >= 0) {
                    return new Program(Fd.own(a.fd(), "program '" + spec.name() + "'"), spec.name(),
                            spec.type().value(), options.logLevel() > 0 ? text : "");
                }
                boolean logTooSmall = a.errno() == Errno.ENOSPC.number();
                if (logTooSmall && size < MAX_LOG_SIZE) {
                    long need = a.logTrueSize() > size ? a.logTrueSize() + 1L : size * 2;
                    size = Math.min(need, MAX_LOG_SIZE);
                    continue;
                }
                throw loadFailure(spec, a.errno(), text, first);
            }
        }
    }

    private static RuntimeException loadFailure(ProgramSpec spec, int errno, String log, Bpf.LoadAttempt first) {
        String name = spec.name().isEmpty() ? "(unnamed)" : spec.name();
        boolean verifier = !log.isBlank() || errno == Errno.EACCES.number();
        if (verifier) {
            return new VerifierException(name, errno, log, null);
        }
        String hint;
        if (errno == Errno.EPERM.number() && needsTrampoline(spec) && privileged()) {
            return new io.ebpf4j.UnsupportedFeatureException("BPF trampolines (program '" + name + "', "
                    + trampolineKind(spec) + ")", "the kernel refused the load with EPERM and no verifier log although "
                    + "this process has CAP_BPF/CAP_SYS_ADMIN: it was built without BPF trampolines for this kind of "
                    + "program (fentry/fexit/fmod_ret/freplace need CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS and a JIT; "
                    + "lsm needs CONFIG_BPF_LSM and 'bpf' in the lsm= boot list)");
        }
        if (errno == Errno.EPERM.number()) {
            hint = "the kernel refused with no verifier log: run as root (or with CAP_BPF, CAP_PERFMON, "
                    + "CAP_NET_ADMIN), or this kernel lacks what program type " + spec.type().displayName()
                    + " needs (e.g. BPF trampolines for fentry/fexit/lsm)";
        } else if (errno == Errno.EINVAL.number()) {
            hint = "the kernel refused program type " + spec.type().displayName()
                    + (spec.expectedAttachType() == null ? "" : " with attach type " + spec.expectedAttachType().displayName())
                    + " before verifying: the type, attach type, flags or license may not fit this kernel";
        } else if (errno == Errno.E2BIG.number()) {
            hint = "the program has " + spec.instructionCount() + " instructions, more than the kernel accepts";
        } else {
            hint = null;
        }
        return new SyscallException("BPF_PROG_LOAD", errno, "program '" + name + "'", hint);
    }

    /** Program kinds that run through a BPF trampoline (tp_btf and iterators do not). */
    private static boolean needsTrampoline(ProgramSpec spec) {
        return switch (spec.type()) {
            case LSM, EXT -> true;
            case TRACING -> spec.expectedAttachType() == AttachType.TRACE_FENTRY
                    || spec.expectedAttachType() == AttachType.TRACE_FEXIT
                    || spec.expectedAttachType() == AttachType.MODIFY_RETURN;
            default -> false;
        };
    }

    private static String trampolineKind(ProgramSpec spec) {
        return spec.type() == ProgramType.TRACING ? spec.expectedAttachType().displayName() : spec.type().displayName();
    }

    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_BPF = 39;

    /**
     * Whether this process holds CAP_SYS_ADMIN or CAP_BPF (from {@code /proc/self/status}), to tell "not allowed"
     * from "not built in" when the kernel answers EPERM without a log.
     */
    static boolean privileged() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                    return (caps & (1L << CAP_SYS_ADMIN)) != 0 || (caps & (1L << CAP_BPF)) != 0;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** The name the kernel keeps: at most 15 characters from {@code [A-Za-z0-9_.]}. */
    static String kernelName(String name) {
        return BpfMap.kernelName(name);
    }

    // ---- opening existing programs ----

    public static Program openPinned(Path path) {
        Fd fd = Bpf.objGet(path.toString(), 0).requireKind(Fd.Kind.PROGRAM, "'" + path + "'");
        return fromFd(fd);
    }

    public static Program fromId(int id) {
        return fromFd(Bpf.fdById(BpfCmd.PROG_GET_FD_BY_ID, id, 0, "program"));
    }

    /** Every program id the kernel has now, in order. */
    public static List<Integer> ids() {
        return Bpf.allIds(BpfCmd.PROG_GET_NEXT_ID);
    }

    private static Program fromFd(Fd fd) {
        try {
            ProgramInfo info = info(fd.get(), "program fd " + fd.number(), false);
            return new Program(fd, info.name(), info.rawType(), "");
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    // ---- use ----

    public String name() {
        return name;
    }

    public ProgramType type() {
        return ProgramType.of(rawType).orElse(ProgramType.UNSPEC);
    }

    public int fd() {
        return fd.get();
    }

    /** The verifier's log of a load that asked for one ({@link LoadOptions#logLevel()} above 0), else empty. */
    public String verifierLog() {
        return verifierLog;
    }

    /** Runs the program once in the kernel on {@code run}'s input ({@code BPF_PROG_TEST_RUN}). */
    public TestRun.Result testRun(TestRun run) {
        ContextOnlyRun shape = ContextOnlyRun.of(type());
        if (shape != null) {
            return testRunContextOnly(run, shape);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dataIn = run.data() == null ? null : arena.allocateFrom(ValueLayout.JAVA_BYTE, run.data());
            MemorySegment dataOut = run.dataOutSize() > 0 ? arena.allocate(run.dataOutSize()) : null;
            MemorySegment ctxIn = run.ctx() == null ? null : arena.allocateFrom(ValueLayout.JAVA_BYTE, run.ctx());
            MemorySegment ctxOut = run.ctxOutSize() > 0 ? arena.allocate(run.ctxOutSize()) : null;
            Bpf.TestRunOut out;
            try {
                out = Bpf.progTestRun(fd.get(), new Bpf.TestRun(dataIn, dataOut, ctxIn, ctxOut, run.repeat(),
                        run.flags(), run.cpu(), run.batchSize()), described);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENOSPC) {
                    throw new SizeMismatchException("test-run output buffer of program '" + name
                            + "' (the program's output is larger)", run.dataOutSize() * 2L, run.dataOutSize());
                }
                if (e.errno() == Errno.ENOTSUPP || e.errno() == Errno.EOPNOTSUPP) {
                    throw new SyscallException(e.call(), e.errnoNumber(), e.object(),
                            "the kernel cannot test-run programs of type " + type().displayName());
                }
                throw e;
            }
            byte[] data = dataOut == null ? new byte[0]
                    : dataOut.asSlice(0, Math.min(out.dataSizeOut(), dataOut.byteSize())).toArray(ValueLayout.JAVA_BYTE);
            byte[] ctx = ctxOut == null ? new byte[0]
                    : ctxOut.asSlice(0, Math.min(out.ctxSizeOut(), ctxOut.byteSize())).toArray(ValueLayout.JAVA_BYTE);
            return new TestRun.Result(out.retval(), out.durationNs(), data, ctx);
        }
    }

    /**
     * Program types whose test run takes only a context and runs once: the kernel refuses data, an output
     * context and a repeat count for them. Syscall programs get their context written back.
     */
    enum ContextOnlyRun {
        RAW_TRACEPOINT(false), SYSCALL(true), TRACING(false);

        final boolean writesBack;

        ContextOnlyRun(boolean writesBack) {
            this.writesBack = writesBack;
        }

        static ContextOnlyRun of(ProgramType t) {
            return switch (t) {
                case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE -> RAW_TRACEPOINT;
                case SYSCALL -> SYSCALL;
                case TRACING -> TRACING;
                default -> null;
            };
        }
    }

    private TestRun.Result testRunContextOnly(TestRun run, ContextOnlyRun shape) {
        if (run.data() != null) {
            throw new IllegalArgumentException(type().displayName() + " programs take no packet data in a test run, "
                    + "only a context");
        }
        if (run.repeat() > 1) {
            throw new IllegalArgumentException(type().displayName() + " programs run once per test run; call "
                    + "testRun again to repeat");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = run.ctx() == null ? null : arena.allocateFrom(ValueLayout.JAVA_BYTE, run.ctx());
            Bpf.TestRunOut out = Bpf.progTestRun(fd.get(), new Bpf.TestRun(null, null, ctx, null, 0, run.flags(),
                    run.cpu(), 0), described);
            byte[] ctxOut = shape.writesBack && ctx != null ? ctx.toArray(ValueLayout.JAVA_BYTE) : new byte[0];
            return new TestRun.Result(out.retval(), 0, new byte[0], ctxOut);
        }
    }

    /**
     * Runs the program {@code repeat} times on {@code data} (native memory) and returns its return value:
     * the allocation-free path for benchmarks and event producers.
     */
    public int run(MemorySegment data, int repeat) {
        // The kernel gets the address only: refuse what it must not read (FFM checks nothing on that path).
        if (!data.isNative()) {
            throw new IllegalArgumentException("the data passed to run on " + described
                    + " must be native memory (allocate it from an Arena), or use testRun with a byte[]");
        }
        if (!data.scope().isAlive()) {
            throw new IllegalStateException("the data passed to run on " + described
                    + " belongs to an arena that is already closed: allocate it from one that is still open");
        }
        if (!data.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the data passed to run on " + described
                    + " is confined to another thread: use it from that thread, or allocate it from a shared arena");
        }
        return Bpf.progTestRun(fd.get(), new Bpf.TestRun(data, null, null, null, repeat, 0, 0, 0),
                described).retval();
    }

    /** Keeps {@code map} alive as long as this program (e.g. {@code .rodata} a program reads only by value). */
    public void bindMap(BpfMap map) {
        Bpf.progBindMap(fd.get(), map.fd(), described);
    }

    /** Pins the program at {@code path} (in a bpffs; missing parent directories are made). */
    public void pin(Path path) {
        Bpf.pinCreatingParents(fd.get(), path, described);
    }

    public int id() {
        return info(fd.get(), described, false).id();
    }

    /** The kernel's view of this program, without instruction dumps. */
    public ProgramInfo info() {
        return info(fd.get(), described, false);
    }

    /** The kernel's view including the xlated and jited instructions (needs root). */
    public ProgramInfo infoWithInstructions() {
        return info(fd.get(), described, true);
    }

    /**
     * Reads {@code bpf_prog_info} in two steps: the first call says how long the arrays are, the second fills
     * them.
     */
    static ProgramInfo info(int fd, String what, boolean withInstructions) {
        var l = Attr.PROG_INFO;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(l.layout());
            Bpf.objInfo(fd, s, what);
            int nrMaps = s.get(ValueLayout.JAVA_INT, l.offset("nr_map_ids"));
            int xlatedTotal = s.get(ValueLayout.JAVA_INT, l.offset("xlated_prog_len"));
            int jitedTotal = s.get(ValueLayout.JAVA_INT, l.offset("jited_prog_len"));
            int xlatedLen = withInstructions ? xlatedTotal : 0;
            int jitedLen = withInstructions ? jitedTotal : 0;
            MemorySegment maps = arena.allocate(Math.max(4, nrMaps * 4L), 4);
            MemorySegment xlated = arena.allocate(Math.max(8, xlatedLen), 8);
            MemorySegment jited = arena.allocate(Math.max(8, jitedLen), 8);
            if (nrMaps > 0 || xlatedLen > 0 || jitedLen > 0) {
                s.fill((byte) 0);
                s.set(ValueLayout.JAVA_INT, l.offset("nr_map_ids"), nrMaps);
                s.set(ValueLayout.JAVA_LONG, l.offset("map_ids"), maps.address());
                s.set(ValueLayout.JAVA_INT, l.offset("xlated_prog_len"), xlatedLen);
                s.set(ValueLayout.JAVA_LONG, l.offset("xlated_prog_insns"), xlatedLen > 0 ? xlated.address() : 0);
                s.set(ValueLayout.JAVA_INT, l.offset("jited_prog_len"), jitedLen);
                s.set(ValueLayout.JAVA_LONG, l.offset("jited_prog_insns"), jitedLen > 0 ? jited.address() : 0);
                Bpf.objInfo(fd, s, what);
            }
            List<Integer> mapIds = new ArrayList<>();
            int gotMaps = Math.min(nrMaps, s.get(ValueLayout.JAVA_INT, l.offset("nr_map_ids")));
            for (int i = 0; i < gotMaps; i++) {
                mapIds.add(maps.getAtIndex(ValueLayout.JAVA_INT, i));
            }
            int gotX = Math.min(xlatedLen, s.get(ValueLayout.JAVA_INT, l.offset("xlated_prog_len")));
            int gotJ = Math.min(jitedLen, s.get(ValueLayout.JAVA_INT, l.offset("jited_prog_len")));
            return new ProgramInfo(s.get(ValueLayout.JAVA_INT, l.offset("id")), s.get(ValueLayout.JAVA_INT, l.offset("type")),
                    CString.of(s.asSlice(l.offset("name"), Attr.OBJ_NAME_LEN)),
                    HexFormat.of().formatHex(s.asSlice(l.offset("tag"), 8).toArray(ValueLayout.JAVA_BYTE)),
                    s.get(ValueLayout.JAVA_LONG, l.offset("load_time")), s.get(ValueLayout.JAVA_INT, l.offset("created_by_uid")),
                    List.copyOf(mapIds), xlated.asSlice(0, gotX).toArray(ValueLayout.JAVA_BYTE),
                    jited.asSlice(0, gotJ).toArray(ValueLayout.JAVA_BYTE), s.get(ValueLayout.JAVA_INT, l.offset("btf_id")),
                    (s.get(ValueLayout.JAVA_INT, l.offset("gpl_compatible")) & 1) != 0,
                    s.get(ValueLayout.JAVA_LONG, l.offset("run_time_ns")), s.get(ValueLayout.JAVA_LONG, l.offset("run_cnt")),
                    s.get(ValueLayout.JAVA_LONG, l.offset("recursion_misses")),
                    s.get(ValueLayout.JAVA_INT, l.offset("verified_insns")), s.get(ValueLayout.JAVA_INT, l.offset("ifindex")),
                    s.get(ValueLayout.JAVA_INT, l.offset("attach_btf_obj_id")),
                    s.get(ValueLayout.JAVA_INT, l.offset("attach_btf_id")), xlatedTotal, jitedTotal);
        }
    }

    /**
     * Turns on the kernel's run-time statistics for every program ({@code run_time_ns}, {@code run_cnt} in
     * {@link ProgramInfo}) until the returned handle is closed.
     */
    public static AutoCloseable enableRunTimeStats() {
        Fd fd = Bpf.enableStats(Bpf.BPF_STATS_RUN_TIME);
        return fd::close;
    }

    @Override
    public void close() {
        fd.close();
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public String toString() {
        return "program '" + name + "' (" + type().displayName() + ")";
    }
}
