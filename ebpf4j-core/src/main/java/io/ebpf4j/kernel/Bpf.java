package io.ebpf4j.kernel;

import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code bpf(2)} commands. Each wrapper fills the command's attribute in per-thread scratch memory, makes the
 * call and turns a failure into a {@link SyscallException} that names the command, the errno, the object and
 * what to do. Map element commands return the errno instead of throwing, because "no such key" is an answer.
 */
public final class Bpf {
    private Bpf() {
    }

    /** Flags for map element updates ({@code BPF_ANY}, ...). */
    public static final long BPF_ANY = 0;
    public static final long BPF_NOEXIST = 1;
    public static final long BPF_EXIST = 2;
    public static final long BPF_F_LOCK = 4;

    /** {@code BPF_F_RDONLY} / {@code BPF_F_WRONLY} for OBJ_GET and GET_FD_BY_ID. */
    public static final int BPF_F_RDONLY = 1 << 3;
    public static final int BPF_F_WRONLY = 1 << 4;

    private static final long ELEM_SIZE = Attr.MAP_ELEM.size();
    private static final long ELEM_MAP_FD = Attr.MAP_ELEM.offset("map_fd");
    private static final long ELEM_KEY = Attr.MAP_ELEM.offset("key");
    private static final long ELEM_VALUE = Attr.MAP_ELEM.offset("value");
    private static final long ELEM_FLAGS = Attr.MAP_ELEM.offset("flags");

    // ---- the raw call ----

    /** Makes the call; returns its non-negative result, or minus the errno. */
    static long call(BpfCmd cmd, MemorySegment attr, long size, MemorySegment capture) {
        long r;
        try {
            r = (long) Libc.SYSCALL3.invokeExact(capture, Libc.SYS_BPF, (long) cmd.number, attr, size);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        return r < 0 ? -Libc.errno(capture) : r;
    }

    /** Makes the call, retrying on EINTR/EAGAIN a few times, and throws on failure. */
    static long callOrThrow(BpfCmd cmd, AttrLayout layout, MemorySegment attr, long size, String object, String hint) {
        Scratch s = Scratch.get();
        long r = 0;
        for (int attempt = 0; attempt < 5; attempt++) {
            r = call(cmd, attr, size, s.capture);
            if (r != -io.ebpf4j.Errno.EINTR.number() && r != -io.ebpf4j.Errno.EAGAIN.number()) {
                break;
            }
        }
        if (r < 0) {
            throw failure(cmd, layout, attr, size, (int) -r, object, hint);
        }
        return r;
    }

    /**
     * The exception for a failed command. An E2BIG whose cause is an attribute field the running kernel does
     * not know becomes an {@link UnsupportedFeatureException} naming the field.
     */
    public static RuntimeException failure(BpfCmd cmd, AttrLayout layout, MemorySegment attr, long size, int errno,
                                           String object, String hint) {
        if (errno == io.ebpf4j.Errno.E2BIG.number() && layout != null) {
            String field = layout.lastNonZeroField(attr, size);
            if (field != null && !kernelKnowsField(cmd, layout, field)) {
                return new UnsupportedFeatureException(cmd.uapiName() + " attribute '" + field + "'",
                        "the running kernel predates it (it answered E2BIG); upgrade the kernel or leave that option unset"
                                + (object == null ? "" : " for " + object));
            }
        }
        return new SyscallException(cmd.uapiName(), errno, object, hint != null ? hint : Hints.forBpf(cmd, errno));
    }

    /**
     * Asks the kernel whether it knows a field of a command's attribute: a call whose only non-zero bytes are that
     * field's fails with E2BIG exactly when the field lies beyond what the kernel knows. All other fields are
     * zero, so the call fails early without side effects (no fd, no map, no program).
     */
    static boolean kernelKnowsField(BpfCmd cmd, AttrLayout layout, String field) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(layout.layout());
            long off = layout.offset(field);
            probe.set(JAVA_BYTE, off, (byte) 1);
            long end = layout.endOf(field);
            long r = call(cmd, probe, end, Scratch.get().capture);
            if (r >= 0) {
                Sys.closeQuietly((int) r);
                return true;
            }
            return r != -io.ebpf4j.Errno.E2BIG.number();
        }
    }

    // ---- maps ----

    /** This thread's native buffer for keys (reused: valid until the thread's next map call). */
    public static MemorySegment scratchKey(long size) {
        return Scratch.get().key(size);
    }

    /** This thread's native buffer for values (reused: valid until the thread's next map call). */
    public static MemorySegment scratchValue(long size) {
        return Scratch.get().value(size);
    }

    /** BPF_MAP_CREATE's inputs. Names longer than 15 bytes are cut by the caller. */
    public record MapCreate(int mapType, int keySize, int valueSize, int maxEntries, int mapFlags, int innerMapFd,
                            int numaNode, String name, int ifindex, int btfFd, int btfKeyTypeId,
                            int btfValueTypeId, int btfVmlinuxValueTypeId, long mapExtra, int valueTypeBtfObjFd,
                            int tokenFd) {
    }

    /** BPF_F_NUMA_NODE: numa_node is only read when this map flag is set. */
    public static final int BPF_F_NUMA_NODE = 1 << 2;

    public static Fd mapCreate(MapCreate m, String object, String hint) {
        AttrLayout l = Attr.MAP_CREATE;
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(l.size());
        a.set(JAVA_INT, l.offset("map_type"), m.mapType());
        a.set(JAVA_INT, l.offset("key_size"), m.keySize());
        a.set(JAVA_INT, l.offset("value_size"), m.valueSize());
        a.set(JAVA_INT, l.offset("max_entries"), m.maxEntries());
        a.set(JAVA_INT, l.offset("map_flags"), m.mapFlags());
        a.set(JAVA_INT, l.offset("inner_map_fd"), m.innerMapFd());
        a.set(JAVA_INT, l.offset("numa_node"), m.numaNode());
        putName(a, l.offset("map_name"), m.name());
        a.set(JAVA_INT, l.offset("map_ifindex"), m.ifindex());
        a.set(JAVA_INT, l.offset("btf_fd"), m.btfFd());
        a.set(JAVA_INT, l.offset("btf_key_type_id"), m.btfKeyTypeId());
        a.set(JAVA_INT, l.offset("btf_value_type_id"), m.btfValueTypeId());
        a.set(JAVA_INT, l.offset("btf_vmlinux_value_type_id"), m.btfVmlinuxValueTypeId());
        a.set(JAVA_LONG, l.offset("map_extra"), m.mapExtra());
        a.set(JAVA_INT, l.offset("value_type_btf_obj_fd"), m.valueTypeBtfObjFd());
        a.set(JAVA_INT, l.offset("map_token_fd"), m.tokenFd());
        long fd = callOrThrow(BpfCmd.MAP_CREATE, l, a, l.size(), object, hint);
        return Fd.own((int) fd, object);
    }

    /** Writes a NUL-terminated object name of at most 15 bytes. */
    static void putName(MemorySegment a, long offset, String name) {
        if (name == null) {
            return;
        }
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(b, 0, a, JAVA_BYTE, offset, Math.min(b.length, Attr.OBJ_NAME_LEN - 1));
    }

    /**
     * A map element command. Through the critical (no thread transition) handle unless {@code mayBlock}: commands
     * that never sleep in the kernel (lookups; writes to hash, array and similar maps) need no transition, and
     * writes that may sleep must not hold off the JVM's safepoints. {@code s} must be the calling thread's scratch.
     */
    private static int elem(Scratch s, BpfCmd cmd, int mapFd, MemorySegment key, MemorySegment value, long flags,
                            boolean mayBlock) {
        long a = fillElem(s, mapFd, key, value, flags);
        long r;
        try {
            r = mayBlock
                    ? (long) Libc.SYSCALL3_KEEP2_BLOCKING.invokeExact(s.capture, Libc.SYS_BPF, (long) cmd.number, a,
                            ELEM_SIZE, key, value)
                    : (long) Libc.SYSCALL3_KEEP2_CRITICAL.invokeExact(s.capture, Libc.SYS_BPF, (long) cmd.number, a,
                            ELEM_SIZE, key, value);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        return r < 0 ? Libc.errno(s.capture) : 0;
    }

    /** The same without reading errno: true when the command succeeded. */
    private static boolean elemQuiet(Scratch s, BpfCmd cmd, int mapFd, MemorySegment key, MemorySegment value,
                                     long flags) {
        long a = fillElem(s, mapFd, key, value, flags);
        long r;
        try {
            r = (long) Libc.SYSCALL3_KEEP2_CRITICAL_QUIET.invokeExact(Libc.SYS_BPF, (long) cmd.number, a, ELEM_SIZE,
                    key, value);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        return r >= 0;
    }

    /** Writes an element command's attribute into {@code s}; returns its address. */
    private static long fillElem(Scratch s, int mapFd, MemorySegment key, MemorySegment value, long flags) {
        // Written through the constant all-memory segment: the scratch's own segment would be loaded and checked.
        final MemorySegment all = Sys.ALL_MEMORY;
        long a = s.attrAddress;
        all.set(JAVA_LONG, a + ELEM_MAP_FD, mapFd & 0xffff_ffffL); // map_fd and the padding after it
        all.set(JAVA_LONG, a + ELEM_KEY, key.address());
        all.set(JAVA_LONG, a + ELEM_VALUE, value.address());
        all.set(JAVA_LONG, a + ELEM_FLAGS, flags);
        return a;
    }

    /**
     * BPF_MAP_LOOKUP_ELEM without errno: true when the key was found. On false the caller does not know why
     * (usually ENOENT) and repeats the lookup through {@link #mapLookup} to learn it, which is safe because a
     * lookup changes nothing. Capturing errno calls into the JVM after every system call; on this path that costs
     * a few tens of nanoseconds of a two-microsecond lookup.
     */
    public static boolean mapLookupQuiet(Scratch s, int mapFd, MemorySegment key, MemorySegment value) {
        return elemQuiet(s, BpfCmd.MAP_LOOKUP_ELEM, mapFd, key, value, 0);
    }

    /**
     * BPF_MAP_UPDATE_ELEM without errno: true when the update was made. Only for maps whose failed update changes
     * nothing (the caller repeats it through {@link #mapUpdate} to learn why); an LRU map, for one, may evict on
     * an update that then fails.
     */
    public static boolean mapUpdateQuiet(Scratch s, int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elemQuiet(s, BpfCmd.MAP_UPDATE_ELEM, mapFd, key, value, flags);
    }

    /**
     * Returns 0 or the errno (ENOENT: no such key). Key and value must be native memory of the map's sizes;
     * {@code s} the calling thread's scratch (the forms without it look it up).
     */
    public static int mapLookup(Scratch s, int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elem(s, BpfCmd.MAP_LOOKUP_ELEM, mapFd, key, value, flags, false);
    }

    public static int mapLookup(int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return mapLookup(Scratch.get(), mapFd, key, value, flags);
    }

    /** {@code mayBlock}: the map's writes may sleep in the kernel (see {@code BpfMap}), so no critical call. */
    public static int mapUpdate(Scratch s, int mapFd, MemorySegment key, MemorySegment value, long flags,
                                boolean mayBlock) {
        return elem(s, BpfCmd.MAP_UPDATE_ELEM, mapFd, key, value, flags, mayBlock);
    }

    public static int mapDelete(int mapFd, MemorySegment key, long flags, boolean mayBlock) {
        return elem(Scratch.get(), BpfCmd.MAP_DELETE_ELEM, mapFd, key, MemorySegment.NULL, flags, mayBlock);
    }

    public static int mapLookupAndDelete(int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elem(Scratch.get(), BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, mapFd, key, value, flags, false);
    }

    /** {@code key} NULL asks for the first key. Returns 0 or the errno (ENOENT: no more keys). */
    public static int mapGetNextKey(int mapFd, MemorySegment key, MemorySegment nextKey) {
        return elem(Scratch.get(), BpfCmd.MAP_GET_NEXT_KEY, mapFd, key, nextKey, 0, false);
    }

    /** The outcome of a batch command: how many elements it handled, and 0, ENOENT (the end) or another errno. */
    public record BatchResult(int count, int errno) {
    }

    private static final long BATCH_SIZE = Attr.MAP_BATCH.size();
    private static final long BATCH_IN = Attr.MAP_BATCH.offset("in_batch");
    private static final long BATCH_OUT = Attr.MAP_BATCH.offset("out_batch");
    private static final long BATCH_KEYS = Attr.MAP_BATCH.offset("keys");
    private static final long BATCH_VALUES = Attr.MAP_BATCH.offset("values");
    private static final long BATCH_COUNT = Attr.MAP_BATCH.offset("count");
    private static final long BATCH_MAP_FD = Attr.MAP_BATCH.offset("map_fd");
    private static final long BATCH_ELEM_FLAGS = Attr.MAP_BATCH.offset("elem_flags");

    public static BatchResult mapBatch(BpfCmd cmd, int mapFd, MemorySegment inBatch, MemorySegment outBatch,
                                       MemorySegment keys, MemorySegment values, int count, long elemFlags) {
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(BATCH_SIZE);
        a.set(JAVA_LONG, BATCH_IN, inBatch.address());
        a.set(JAVA_LONG, BATCH_OUT, outBatch.address());
        a.set(JAVA_LONG, BATCH_KEYS, keys.address());
        a.set(JAVA_LONG, BATCH_VALUES, values.address());
        a.set(JAVA_INT, BATCH_COUNT, count);
        a.set(JAVA_INT, BATCH_MAP_FD, mapFd);
        a.set(JAVA_LONG, BATCH_ELEM_FLAGS, elemFlags);
        long r;
        try {
            r = (long) Libc.SYSCALL3_KEEP2.invokeExact(s.capture, Libc.SYS_BPF, (long) cmd.number, a, BATCH_SIZE,
                    keys, values);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        r = r < 0 ? -Libc.errno(s.capture) : r;
        int done = a.get(JAVA_INT, BATCH_COUNT);
        return new BatchResult(done, r < 0 ? (int) -r : 0);
    }

    public static void mapFreeze(int mapFd, String object) {
        AttrLayout l = Attr.MAP_ELEM;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("map_fd"), mapFd);
        callOrThrow(BpfCmd.MAP_FREEZE, l, a, Integer.BYTES, object, null);
    }

    // ---- programs ----

    /** BPF_PROG_LOAD's inputs. Segments are native; {@code NULL} where absent. */
    public record ProgLoad(int progType, MemorySegment insns, String license, int kernVersion, int progFlags,
                           String name, int ifindex, int expectedAttachType, int btfFd, int funcInfoRecSize,
                           MemorySegment funcInfo, int funcInfoCnt, int lineInfoRecSize, MemorySegment lineInfo,
                           int lineInfoCnt, int attachBtfId, int attachProgFd, MemorySegment fdArray,
                           int fdArrayCnt, int tokenFd) {
    }

    /** The outcome of one load attempt: the fd (or -1), the errno, and the log's true size (6.4+). */
    public record LoadAttempt(int fd, int errno, int logTrueSize) {
    }

    public static LoadAttempt progLoad(ProgLoad p, MemorySegment logBuf, int logLevel) {
        AttrLayout l = Attr.PROG_LOAD;
        try (Arena arena = Arena.ofConfined()) {
            Scratch s = Scratch.get();
            MemorySegment a = s.attr(l.size());
            a.set(JAVA_INT, l.offset("prog_type"), p.progType());
            a.set(JAVA_INT, l.offset("insn_cnt"), (int) (p.insns().byteSize() / Attr.INSN_SIZE));
            a.set(JAVA_LONG, l.offset("insns"), p.insns().address());
            a.set(JAVA_LONG, l.offset("license"), arena.allocateFrom(p.license()).address());
            if (logBuf != null && logBuf.byteSize() > 0) {
                a.set(JAVA_INT, l.offset("log_level"), logLevel);
                a.set(JAVA_INT, l.offset("log_size"), (int) logBuf.byteSize());
                a.set(JAVA_LONG, l.offset("log_buf"), logBuf.address());
            }
            a.set(JAVA_INT, l.offset("kern_version"), p.kernVersion());
            a.set(JAVA_INT, l.offset("prog_flags"), p.progFlags());
            putName(a, l.offset("prog_name"), p.name());
            a.set(JAVA_INT, l.offset("prog_ifindex"), p.ifindex());
            a.set(JAVA_INT, l.offset("expected_attach_type"), p.expectedAttachType());
            a.set(JAVA_INT, l.offset("prog_btf_fd"), p.btfFd());
            if (p.funcInfoCnt() > 0) {
                a.set(JAVA_INT, l.offset("func_info_rec_size"), p.funcInfoRecSize());
                a.set(JAVA_LONG, l.offset("func_info"), p.funcInfo().address());
                a.set(JAVA_INT, l.offset("func_info_cnt"), p.funcInfoCnt());
            }
            if (p.lineInfoCnt() > 0) {
                a.set(JAVA_INT, l.offset("line_info_rec_size"), p.lineInfoRecSize());
                a.set(JAVA_LONG, l.offset("line_info"), p.lineInfo().address());
                a.set(JAVA_INT, l.offset("line_info_cnt"), p.lineInfoCnt());
            }
            a.set(JAVA_INT, l.offset("attach_btf_id"), p.attachBtfId());
            a.set(JAVA_INT, l.offset("attach_prog_fd"), p.attachProgFd());
            if (p.fdArray() != null && !MemorySegment.NULL.equals(p.fdArray())) {
                a.set(JAVA_LONG, l.offset("fd_array"), p.fdArray().address());
                a.set(JAVA_INT, l.offset("fd_array_cnt"), p.fdArrayCnt());
            }
            a.set(JAVA_INT, l.offset("prog_token_fd"), p.tokenFd());
            long r = 0;
            for (int attempt = 0; attempt < 5; attempt++) {
                r = call(BpfCmd.PROG_LOAD, a, sizeUpToLastField(l, a), s.capture);
                if (r != -io.ebpf4j.Errno.EAGAIN.number() && r != -io.ebpf4j.Errno.EINTR.number()) {
                    break;
                }
            }
            int trueSize = a.get(JAVA_INT, l.offset("log_true_size"));
            if (r < 0 && r == -io.ebpf4j.Errno.E2BIG.number()) {
                String field = l.lastNonZeroField(a, l.size());
                if (field != null && !kernelKnowsField(BpfCmd.PROG_LOAD, l, field)) {
                    throw new UnsupportedFeatureException("BPF_PROG_LOAD attribute '" + field + "'",
                            "the running kernel predates it (it answered E2BIG) for program '" + p.name() + "'");
                }
            }
            return new LoadAttempt(r < 0 ? -1 : (int) r, r < 0 ? (int) -r : 0, trueSize);
        }
    }

    /**
     * The size passed for PROG_LOAD: up to the end of log_true_size at least (so that 6.4+ kernels report the
     * log's true size) and further only when later fields are set, so older kernels accept the common case.
     */
    private static long sizeUpToLastField(AttrLayout l, MemorySegment a) {
        long min = l.offset("log_true_size") + Integer.BYTES;
        String last = l.lastNonZeroField(a, l.size());
        if (last == null) {
            return min;
        }
        return Math.max(min, l.endOf(last));
    }

    /** BPF_PROG_TEST_RUN's inputs and, after the call, outputs. */
    public record TestRun(MemorySegment dataIn, MemorySegment dataOut, MemorySegment ctxIn, MemorySegment ctxOut,
                          int repeat, int flags, int cpu, int batchSize) {
    }

    /** What PROG_TEST_RUN reported. */
    public record TestRunOut(int retval, int durationNs, int dataSizeOut, int ctxSizeOut) {
    }

    private static final long TR_SIZE = Attr.TEST_RUN.size();
    private static final long TR_PROG_FD = Attr.TEST_RUN.offset("prog_fd");
    private static final long TR_RETVAL = Attr.TEST_RUN.offset("retval");
    private static final long TR_DATA_SIZE_IN = Attr.TEST_RUN.offset("data_size_in");
    private static final long TR_DATA_SIZE_OUT = Attr.TEST_RUN.offset("data_size_out");
    private static final long TR_DATA_IN = Attr.TEST_RUN.offset("data_in");
    private static final long TR_DATA_OUT = Attr.TEST_RUN.offset("data_out");
    private static final long TR_REPEAT = Attr.TEST_RUN.offset("repeat");
    private static final long TR_DURATION = Attr.TEST_RUN.offset("duration");
    private static final long TR_CTX_SIZE_IN = Attr.TEST_RUN.offset("ctx_size_in");
    private static final long TR_CTX_SIZE_OUT = Attr.TEST_RUN.offset("ctx_size_out");
    private static final long TR_CTX_IN = Attr.TEST_RUN.offset("ctx_in");
    private static final long TR_CTX_OUT = Attr.TEST_RUN.offset("ctx_out");
    private static final long TR_FLAGS = Attr.TEST_RUN.offset("flags");
    private static final long TR_CPU = Attr.TEST_RUN.offset("cpu");
    private static final long TR_BATCH_SIZE = Attr.TEST_RUN.offset("batch_size");

    /** BPF_PROG_TEST_RUN. Offsets are computed once: test runs are often made in a loop (benchmarks, producers). */
    public static TestRunOut progTestRun(int progFd, TestRun t, String object) {
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(TR_SIZE);
        a.set(JAVA_INT, TR_PROG_FD, progFd);
        if (t.dataIn() != null) {
            a.set(JAVA_INT, TR_DATA_SIZE_IN, (int) t.dataIn().byteSize());
            a.set(JAVA_LONG, TR_DATA_IN, t.dataIn().address());
        }
        if (t.dataOut() != null) {
            a.set(JAVA_INT, TR_DATA_SIZE_OUT, (int) t.dataOut().byteSize());
            a.set(JAVA_LONG, TR_DATA_OUT, t.dataOut().address());
        }
        if (t.ctxIn() != null) {
            a.set(JAVA_INT, TR_CTX_SIZE_IN, (int) t.ctxIn().byteSize());
            a.set(JAVA_LONG, TR_CTX_IN, t.ctxIn().address());
        }
        if (t.ctxOut() != null) {
            a.set(JAVA_INT, TR_CTX_SIZE_OUT, (int) t.ctxOut().byteSize());
            a.set(JAVA_LONG, TR_CTX_OUT, t.ctxOut().address());
        }
        a.set(JAVA_INT, TR_REPEAT, t.repeat());
        a.set(JAVA_INT, TR_FLAGS, t.flags());
        a.set(JAVA_INT, TR_CPU, t.cpu());
        a.set(JAVA_INT, TR_BATCH_SIZE, t.batchSize());
        callOrThrow(BpfCmd.PROG_TEST_RUN, Attr.TEST_RUN, a, TR_SIZE, object, null);
        return new TestRunOut(a.get(JAVA_INT, TR_RETVAL), a.get(JAVA_INT, TR_DURATION),
                a.get(JAVA_INT, TR_DATA_SIZE_OUT), a.get(JAVA_INT, TR_CTX_SIZE_OUT));
    }

    public static void progBindMap(int progFd, int mapFd, String object) {
        AttrLayout l = Attr.PROG_BIND_MAP;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("prog_fd"), progFd);
        a.set(JAVA_INT, l.offset("map_fd"), mapFd);
        callOrThrow(BpfCmd.PROG_BIND_MAP, l, a, l.size(), object, null);
    }

    /** PROG_ATTACH (attach) or PROG_DETACH (detach) of a program to a target fd (cgroup, sockmap, netns...). */
    public static void progAttach(BpfCmd cmd, int targetFd, int progFd, int attachType, int flags, int replaceFd,
                                  String object) {
        AttrLayout l = Attr.PROG_ATTACH;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("target_fd"), targetFd);
        a.set(JAVA_INT, l.offset("attach_bpf_fd"), progFd);
        a.set(JAVA_INT, l.offset("attach_type"), attachType);
        a.set(JAVA_INT, l.offset("attach_flags"), flags);
        a.set(JAVA_INT, l.offset("replace_bpf_fd"), replaceFd);
        callOrThrow(cmd, l, a, l.offset("relative_fd"), object, null);
    }

    /** RAW_TRACEPOINT_OPEN: a raw tracepoint (or BTF-based tracing) link; {@code name} may be null. */
    public static Fd rawTracepointOpen(String name, int progFd, long cookie, String object) {
        AttrLayout l = Attr.RAW_TRACEPOINT_OPEN;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Scratch.get().attr(l.size());
            a.set(JAVA_LONG, l.offset("name"), name == null ? 0 : arena.allocateFrom(name).address());
            a.set(JAVA_INT, l.offset("prog_fd"), progFd);
            a.set(JAVA_LONG, l.offset("cookie"), cookie);
            long size = cookie == 0 ? l.offset("prog_fd") + Integer.BYTES : l.size();
            return Fd.own((int) callOrThrow(BpfCmd.RAW_TRACEPOINT_OPEN, l, a, size, object, null), "raw tracepoint link " + object);
        }
    }

    // ---- pins and ids ----

    public static void objPin(int fd, String path, String object) {
        AttrLayout l = Attr.OBJ;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Scratch.get().attr(l.size());
            a.set(JAVA_LONG, l.offset("pathname"), arena.allocateFrom(path).address());
            a.set(JAVA_INT, l.offset("bpf_fd"), fd);
            try {
                callOrThrow(BpfCmd.OBJ_PIN, l, a, l.offset("path_fd"), object + " -> " + path, null);
            } catch (io.ebpf4j.SyscallException e) {
                java.nio.file.Path p = java.nio.file.Path.of(path).toAbsolutePath();
                boolean dotted = p.getFileName() != null && p.getFileName().toString().contains(".");
                throw withPathHint(e, p.getParent(), dotted);
            }
        }
    }

    /**
     * A pin or a pinned-object open refused with EPERM, EACCES or EINVAL: say so when the path is not in a bpffs
     * (the kernel's answer then reads like a permission problem), or is a directory.
     */
    private static io.ebpf4j.SyscallException withPathHint(io.ebpf4j.SyscallException e, java.nio.file.Path where,
                                                           boolean dottedName) {
        io.ebpf4j.Errno errno = e.errno();
        if (where == null || (errno != io.ebpf4j.Errno.EPERM && errno != io.ebpf4j.Errno.EACCES
                && errno != io.ebpf4j.Errno.EINVAL)) {
            return e;
        }
        java.nio.file.Path existing = where;
        while (existing != null && !java.nio.file.Files.exists(existing)) {
            existing = existing.getParent();
        }
        String fs = existing == null || FsType.BPF.holds(existing.toString()) ? null
                : FsType.describe(existing.toString());
        String hint;
        if (fs != null) {
            hint = "'" + where + "' is on " + fs + ", not a bpffs: pinned objects live in a mounted bpffs (mount -t "
                    + "bpf bpf /sys/fs/bpf, or Mounts.bpffs())";
        } else if (java.nio.file.Files.isDirectory(where) && e.call().equals(BpfCmd.OBJ_GET.uapiName())) {
            hint = "'" + where + "' is a directory, not a pinned object";
        } else if (errno == io.ebpf4j.Errno.EPERM && dottedName) {
            hint = "bpffs refuses names with a dot (they are reserved): choose a name without one";
        } else {
            return e;
        }
        io.ebpf4j.SyscallException hinted = new io.ebpf4j.SyscallException(e.call(), e.errnoNumber(), e.object(), hint);
        hinted.initCause(e);
        return hinted;
    }

    public static Fd objGet(String path, int fileFlags) {
        AttrLayout l = Attr.OBJ;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Scratch.get().attr(l.size());
            a.set(JAVA_LONG, l.offset("pathname"), arena.allocateFrom(path).address());
            a.set(JAVA_INT, l.offset("file_flags"), fileFlags);
            long fd;
            try {
                fd = callOrThrow(BpfCmd.OBJ_GET, l, a, l.offset("path_fd"), path, null);
            } catch (io.ebpf4j.SyscallException e) {
                throw withPathHint(e, java.nio.file.Path.of(path).toAbsolutePath(), false);
            }
            return Fd.own((int) fd, "pinned object '" + path + "'");
        }
    }

    /** The id after {@code startId} for a *_GET_NEXT_ID command, or 0 when there is none. */
    public static int nextId(BpfCmd cmd, int startId) {
        AttrLayout l = Attr.GET_ID;
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(l.size());
        a.set(JAVA_INT, l.offset("id"), startId);
        long r = call(cmd, a, l.offset("open_flags") + Integer.BYTES, s.capture);
        if (r == -io.ebpf4j.Errno.ENOENT.number()) {
            return 0;
        }
        if (r < 0) {
            throw failure(cmd, l, a, l.size(), (int) -r, null, null);
        }
        return a.get(JAVA_INT, l.offset("next_id"));
    }

    /** Every id a *_GET_NEXT_ID command lists now, in order. */
    public static java.util.List<Integer> allIds(BpfCmd nextIdCommand) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        for (int id = nextId(nextIdCommand, 0); id != 0; id = nextId(nextIdCommand, id)) {
            ids.add(id);
        }
        return ids;
    }

    /**
     * Pins {@code fd} at {@code path}, making missing parent directories first (as bpftool does). When the pin
     * fails, the directories this call made are removed again (those it found, or another process made meanwhile,
     * stay).
     */
    public static void pinCreatingParents(int fd, java.nio.file.Path path, String object) {
        java.util.List<java.nio.file.Path> made = new java.util.ArrayList<>();
        for (java.nio.file.Path d : missingParents(path)) {
            try {
                java.nio.file.Files.createDirectory(d);
                made.add(d);
            } catch (java.io.IOException e) {
                boolean taken = e instanceof java.nio.file.FileAlreadyExistsException;
                if (taken && java.nio.file.Files.isDirectory(d)) {
                    continue; // made by another process meanwhile: not ours to remove
                }
                // Either d itself or its parent (the first ancestor that exists) is something else than a directory.
                java.nio.file.Path blocker = taken ? d : d.getParent();
                String why = blocker != null && java.nio.file.Files.exists(blocker)
                        && !java.nio.file.Files.isDirectory(blocker)
                        ? blocker + " is in the way and is not a directory (a pinned object?)" : e.toString();
                throw removeMade(made, new io.ebpf4j.BpfException("cannot create pin directory " + d + " for "
                        + object + ": " + why, e));
            }
        }
        try {
            objPin(fd, path.toString(), object);
        } catch (RuntimeException e) {
            throw removeMade(made, e);
        }
    }

    /**
     * The ancestors of {@code path} that do not exist yet, outermost first: what pinning there would make. A
     * symbolic link counts as existing, even a dangling one.
     */
    public static java.util.List<java.nio.file.Path> missingParents(java.nio.file.Path path) {
        java.util.List<java.nio.file.Path> missing = new java.util.ArrayList<>();
        for (java.nio.file.Path d = path.toAbsolutePath().getParent();
             d != null && !java.nio.file.Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
            missing.addFirst(d);
        }
        return missing;
    }

    /**
     * Takes back what a failed pinning made, given in the order it was made (directories before the pins in
     * them): pins are deleted, directories only while they are empty directories (a pin someone else has put there
     * since keeps its directory). Problems are added to {@code failure}, which is returned.
     */
    public static <T extends Throwable> T removeMade(java.util.List<java.nio.file.Path> made, T failure) {
        for (java.nio.file.Path p : made.reversed()) {
            try {
                java.nio.file.Files.deleteIfExists(p);
            } catch (java.nio.file.DirectoryNotEmptyException inUse) {
                // another pin lives there now
            } catch (java.io.IOException e) {
                failure.addSuppressed(e);
            }
        }
        return failure;
    }

    public static Fd fdById(BpfCmd cmd, int id, int openFlags, String what) {
        AttrLayout l = Attr.GET_ID;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("id"), id);
        a.set(JAVA_INT, l.offset("open_flags"), openFlags);
        long fd = callOrThrow(cmd, l, a, l.offset("open_flags") + Integer.BYTES, what + " id " + id, null);
        return Fd.own((int) fd, what + " id " + id);
    }

    /** OBJ_GET_INFO_BY_FD into {@code info}; returns the length the kernel filled in. */
    public static int objInfo(int fd, MemorySegment info, String object) {
        AttrLayout l = Attr.INFO;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("bpf_fd"), fd);
        a.set(JAVA_INT, l.offset("info_len"), (int) info.byteSize());
        a.set(JAVA_LONG, l.offset("info"), info.address());
        callOrThrow(BpfCmd.OBJ_GET_INFO_BY_FD, l, a, l.size(), object, null);
        return a.get(JAVA_INT, l.offset("info_len"));
    }

    // ---- BTF ----

    public static LoadAttempt btfLoad(MemorySegment btf, MemorySegment logBuf, int logLevel, int tokenFd) {
        AttrLayout l = Attr.BTF_LOAD;
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(l.size());
        a.set(JAVA_LONG, l.offset("btf"), btf.address());
        a.set(JAVA_INT, l.offset("btf_size"), (int) btf.byteSize());
        if (logBuf != null && logBuf.byteSize() > 0) {
            a.set(JAVA_LONG, l.offset("btf_log_buf"), logBuf.address());
            a.set(JAVA_INT, l.offset("btf_log_size"), (int) logBuf.byteSize());
            a.set(JAVA_INT, l.offset("btf_log_level"), logLevel);
        }
        long size = l.offset("btf_log_true_size") + Integer.BYTES;
        if (tokenFd != 0) {
            a.set(JAVA_INT, l.offset("btf_token_fd"), tokenFd);
            a.set(JAVA_INT, l.offset("btf_flags"), BPF_F_TOKEN_FD);
            size = l.size();
        }
        long r = call(BpfCmd.BTF_LOAD, a, size, s.capture);
        return new LoadAttempt(r < 0 ? -1 : (int) r, r < 0 ? (int) -r : 0, a.get(JAVA_INT, l.offset("btf_log_true_size")));
    }

    /** BPF_F_TOKEN_FD: the token fd field is valid. */
    public static final int BPF_F_TOKEN_FD = 1 << 16;

    // ---- links ----

    /**
     * LINK_CREATE. {@code extra} writes the link kind's part of the union (offsets in {@link Attr.LinkCreate});
     * {@code size} is the end of the last field it wrote (16 when none).
     */
    public static Fd linkCreate(int progFd, int targetFd, int attachType, int flags, Consumer<MemorySegment> extra,
                                long size, String object) {
        AttrLayout l = Attr.LINK_CREATE;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("prog_fd"), progFd);
        a.set(JAVA_INT, l.offset("target_fd"), targetFd);
        a.set(JAVA_INT, l.offset("attach_type"), attachType);
        a.set(JAVA_INT, l.offset("flags"), flags);
        if (extra != null) {
            extra.accept(a);
        }
        long fd = callOrThrow(BpfCmd.LINK_CREATE, l, a, Math.max(size, l.offset("u0")), object, null);
        return Fd.own((int) fd, "link " + object);
    }

    /** BPF_F_REPLACE for LINK_UPDATE: only swap when the current program is {@code oldProgFd}. */
    public static final int BPF_F_REPLACE = 1 << 2;

    public static void linkUpdate(int linkFd, int newProgFd, int oldProgFd, String object) {
        AttrLayout l = Attr.LINK_UPDATE;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("link_fd"), linkFd);
        a.set(JAVA_INT, l.offset("new_prog_fd"), newProgFd);
        if (oldProgFd > 0) {
            a.set(JAVA_INT, l.offset("flags"), BPF_F_REPLACE);
            a.set(JAVA_INT, l.offset("old_prog_fd"), oldProgFd);
        }
        callOrThrow(BpfCmd.LINK_UPDATE, l, a, l.size(), object, null);
    }

    public static void linkDetach(int linkFd, String object) {
        AttrLayout l = Attr.LINK_DETACH;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("link_fd"), linkFd);
        callOrThrow(BpfCmd.LINK_DETACH, l, a, l.size(), object, null);
    }

    public static Fd iterCreate(int linkFd, String object) {
        AttrLayout l = Attr.ITER_CREATE;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("link_fd"), linkFd);
        return Fd.own((int) callOrThrow(BpfCmd.ITER_CREATE, l, a, l.size(), object, null), "iterator " + object);
    }

    // ---- misc ----

    /** BPF_STATS_RUN_TIME: while the returned fd is open, the kernel counts run time and run count. */
    public static final int BPF_STATS_RUN_TIME = 0;

    public static Fd enableStats(int type) {
        AttrLayout l = Attr.ENABLE_STATS;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("type"), type);
        return Fd.own((int) callOrThrow(BpfCmd.ENABLE_STATS, l, a, l.size(), "stats", null), "stats switch");
    }

    public static Fd tokenCreate(int bpffsFd, int flags, String object) {
        AttrLayout l = Attr.TOKEN_CREATE;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("flags"), flags);
        a.set(JAVA_INT, l.offset("bpffs_fd"), bpffsFd);
        return Fd.own((int) callOrThrow(BpfCmd.TOKEN_CREATE, l, a, l.size(), object,
                "BPF tokens need a bpffs mounted with delegate_cmds/delegate_maps/... options, inside a user namespace"),
                "token " + object);
    }

    /** PROG_QUERY: fills {@code progIds} and returns how many programs are attached. */
    public static int progQuery(int targetFd, int attachType, MemorySegment progIds, String object) {
        AttrLayout l = Attr.PROG_QUERY;
        MemorySegment a = Scratch.get().attr(l.size());
        a.set(JAVA_INT, l.offset("target_fd"), targetFd);
        a.set(JAVA_INT, l.offset("attach_type"), attachType);
        a.set(JAVA_LONG, l.offset("prog_ids"), progIds.address());
        a.set(JAVA_INT, l.offset("prog_cnt"), (int) (progIds.byteSize() / Integer.BYTES));
        callOrThrow(BpfCmd.PROG_QUERY, l, a, l.offset("prog_cnt") + Integer.BYTES, object, null);
        return a.get(JAVA_INT, l.offset("prog_cnt"));
    }
}
