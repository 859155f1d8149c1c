package io.ebpf4j.features;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapFlags;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Probes the running kernel, the way libbpf's {@code libbpf_probe_*} and bpftool's {@code feature probe} do:
 * by creating the smallest object of each kind and reading the kernel's answer. Answers are cached for the
 * life of the process.
 */
public final class Features {
    private Features() {
    }

    private static final Map<ProgramType, FeatureStatus> PROGRAM_TYPES = new ConcurrentHashMap<>();
    private static final Map<MapType, FeatureStatus> MAP_TYPES = new ConcurrentHashMap<>();
    private static final Map<Long, FeatureStatus> HELPERS = new ConcurrentHashMap<>();
    private static final Map<MiscFeature, FeatureStatus> MISC = new ConcurrentHashMap<>();

    // Opcodes of the few instructions probes need (kept local: probes must not depend on the assembler).
    private static final int OP_MOV64_IMM = 0xb7;
    private static final int OP_EXIT = 0x95;
    private static final int OP_CALL = 0x85;
    private static final int OP_LD_IMM64 = 0x18;
    private static final int PSEUDO_MAP_VALUE = 2;
    private static final int KPROBE_ANY_VERSION = 0xffffffff;

    private static byte[] insns(long... words) {
        ByteBuffer b = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        return b.array();
    }

    /** One instruction as the kernel's little-endian 64-bit word. */
    private static long insn(int op, int dst, int src, int off, int imm) {
        return (op & 0xffL) | ((long) (dst | src << 4) & 0xff) << 8 | (off & 0xffffL) << 16 | (imm & 0xffffffffL) << 32;
    }

    /** {@code r0 = 0; exit}. */
    private static final byte[] RETURN_ZERO = insns(insn(OP_MOV64_IMM, 0, 0, 0, 0), insn(OP_EXIT, 0, 0, 0, 0));

    // ---- program types ----

    public static FeatureStatus programType(ProgramType type) {
        return PROGRAM_TYPES.computeIfAbsent(type, Features::probeProgramType);
    }

    /** The attributes a program of {@code type} needs to load at all (libbpf's probe choices). */
    static ProgramSpec minimalProgram(ProgramType type, byte[] code) {
        ProgramSpec s = ProgramSpec.of("probe", type, code);
        return switch (type) {
            case CGROUP_SOCK_ADDR -> s.withExpectedAttachType(AttachType.CGROUP_INET4_CONNECT);
            case CGROUP_SOCKOPT -> s.withExpectedAttachType(AttachType.CGROUP_GETSOCKOPT);
            case SK_LOOKUP -> s.withExpectedAttachType(AttachType.SK_LOOKUP);
            case LIRC_MODE2 -> s.withExpectedAttachType(AttachType.LIRC_MODE2);
            case NETFILTER -> s.withExpectedAttachType(AttachType.NETFILTER);
            case KPROBE -> s.withKernVersion(KPROBE_ANY_VERSION);
            case SYSCALL -> s.withFlags(ProgramSpec.F_SLEEPABLE);
            case TRACING -> s.withExpectedAttachType(AttachType.TRACE_FENTRY).withAttachBtfId(1);
            case LSM -> s.withExpectedAttachType(AttachType.LSM_MAC).withAttachBtfId(1);
            case EXT, STRUCT_OPS -> s.withAttachBtfId(1);
            default -> s;
        };
    }

    /** Types that cannot load without a real attach target: the probe expects a refusal about that target. */
    private static boolean needsTarget(ProgramType t) {
        return t == ProgramType.TRACING || t == ProgramType.LSM || t == ProgramType.EXT || t == ProgramType.STRUCT_OPS;
    }

    private static FeatureStatus probeProgramType(ProgramType type) {
        if (type == ProgramType.UNSPEC) {
            return FeatureStatus.no("not a program type");
        }
        Attempt a = load(minimalProgram(type, RETURN_ZERO), 1);
        if (a.fd >= 0) {
            return FeatureStatus.yes();
        }
        if (needsTarget(type)) {
            // Past the type check, the kernel complains about btf id 1 (not a function / struct).
            boolean refusedTarget = a.errno == Errno.EINVAL.number() || a.errno == Errno.ENOTSUPP.number()
                    || a.errno == Errno.EOPNOTSUPP.number();
            if (refusedTarget && !a.log.isBlank()) {
                return FeatureStatus.yes();
            }
            return FeatureStatus.no(describe(a, "the kernel refused the type before looking at its attach target"));
        }
        return FeatureStatus.no(describe(a, "the kernel does not know this program type"));
    }

    private static String describe(Attempt a, String meaning) {
        String line = a.log.lines().filter(l -> !l.isBlank()).reduce((x, y) -> y).orElse("");
        return "PROG_LOAD: " + Errno.nameOf(a.errno) + (line.isEmpty() ? " with an empty log" : " (" + line + ")")
                + ": " + meaning;
    }

    private record Attempt(int fd, int errno, String log) {
    }

    /** Loads with a small log and closes the result at once. */
    private static Attempt load(ProgramSpec spec, int logLevel) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocateFrom(ValueLayout.JAVA_BYTE, spec.bytecode());
            MemorySegment log = arena.allocate(16 * 1024);
            Bpf.LoadAttempt a = Bpf.progLoad(new Bpf.ProgLoad(spec.type().value(), code, spec.license(),
                    spec.kernVersion(), spec.flags(), "", 0,
                    spec.expectedAttachType() == null ? 0 : spec.expectedAttachType().value(), 0, 0,
                    MemorySegment.NULL, 0, 0, MemorySegment.NULL, 0, spec.attachBtfId(), 0, MemorySegment.NULL, 0, 0),
                    logLevel > 0 ? log : null, logLevel);
            if (a.fd() >= 0) {
                Fd.own(a.fd(), "probe program").close();
            }
            return new Attempt(a.fd(), a.errno(), logLevel > 0 ? log.getString(0) : "");
        }
    }

    // ---- helpers ----

    /**
     * Whether programs of {@code type} may call helper {@code helperId}. As libbpf does, loads a program that
     * calls the helper and reads the verifier's complaint: an unknown or forbidden helper is named as such;
     * any other complaint (about arguments) means the helper is there.
     */
    public static FeatureStatus helper(ProgramType type, int helperId) {
        long key = (long) type.value() << 32 | helperId;
        return HELPERS.computeIfAbsent(key, k -> probeHelper(type, helperId));
    }

    private static FeatureStatus probeHelper(ProgramType type, int helperId) {
        FeatureStatus t = programType(type);
        if (!t.supported()) {
            return FeatureStatus.no("program type " + type.displayName() + " is not supported");
        }
        byte[] code = insns(insn(OP_CALL, 0, 0, 0, helperId), insn(OP_EXIT, 0, 0, 0, 0));
        Attempt a = load(minimalProgram(type, code), 1);
        if (a.fd >= 0) {
            return FeatureStatus.yes();
        }
        String log = a.log;
        if (log.contains("invalid func ") || log.contains("unknown func ")) {
            return FeatureStatus.no("the kernel does not know helper " + helperName(helperId));
        }
        if (log.contains("program of this type cannot use helper ") || log.contains("cannot call GPL-restricted")) {
            return FeatureStatus.no(helperName(helperId) + " is not allowed in " + type.displayName() + " programs");
        }
        if (needsTarget(type) || log.isBlank()) {
            return FeatureStatus.no(describe(a, "cannot tell for this program type"));
        }
        return FeatureStatus.yes();
    }

    private static String helperName(int id) {
        String n = Helpers.name(id);
        return n == null ? "#" + id : n;
    }

    // ---- map types ----

    public static FeatureStatus mapType(MapType type) {
        return MAP_TYPES.computeIfAbsent(type, Features::probeMapType);
    }

    /**
     * The smallest spec the kernel accepts for {@code type}, as libbpf's probes use: sizes, flags and inner map.
     * Local storage types also need {@link #storageBtf()} (key {@code int}, value a 64-bit integer).
     */
    public static MapSpec minimalSpec(MapType type) {
        MapSpec s = MapSpec.of(type, 4, 4, 1).withName("probe");
        long page = io.ebpf4j.kernel.Sys.pageSize();
        return switch (type) {
            case LPM_TRIE -> MapSpec.of(type, 8, 8, 1).withFlags(MapFlags.NO_PREALLOC);
            case STACK_TRACE -> MapSpec.of(type, 4, 8, 1);
            case QUEUE, STACK, BLOOM_FILTER -> MapSpec.of(type, 0, 4, 1);
            case RINGBUF, USER_RINGBUF -> MapSpec.of(type, 0, 0, (int) page);
            case ARENA -> MapSpec.of(type, 0, 0, 1).withFlags(MapFlags.MMAPABLE);
            case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE -> MapSpec.of(type, CGROUP_STORAGE_KEY_SIZE, 4, 0);
            case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE ->
                    MapSpec.of(type, 4, 8, 0).withFlags(MapFlags.NO_PREALLOC)
                            .withBtfTypes(STORAGE_BTF_KEY, STORAGE_BTF_VALUE);
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> s.withInnerMap(MapSpec.of(MapType.ARRAY, 4, 4, 1));
            case STRUCT_OPS -> MapSpec.of(type, 4, 4, 1).withBtfVmlinuxValueType(1);
            default -> s;
        };
    }

    /** {@code sizeof(struct bpf_cgroup_storage_key)}: a 64-bit cgroup inode id and a 32-bit attach type, padded. */
    static final int CGROUP_STORAGE_KEY_SIZE = 16;
    static final int STORAGE_BTF_KEY = 1;
    static final int STORAGE_BTF_VALUE = 2;

    /** BTF with {@code int} (id 1) and a 64-bit {@code long} (id 2), for local storage maps. */
    public static byte[] storageBtf() {
        BtfWriter w = new BtfWriter();
        w.addInt("int", 4, true);
        w.addInt("long", 8, true);
        return w.toBytes();
    }

    /** Whether creating {@code type} needs {@link #storageBtf()}. */
    public static boolean needsStorageBtf(MapType type) {
        return type == MapType.SK_STORAGE || type == MapType.INODE_STORAGE || type == MapType.TASK_STORAGE
                || type == MapType.CGRP_STORAGE;
    }

    /** What a map probe's errno means, for the reason a user reads. */
    private static String mapRefusal(SyscallException e) {
        if (e.errno() == Errno.EINVAL) {
            return ": the kernel does not know this map type (or it is not enabled)";
        }
        return e.errno() == Errno.EPERM && e.hint() != null ? ": " + e.hint() : "";
    }

    private static FeatureStatus probeMapType(MapType type) {
        if (type == MapType.UNSPEC) {
            return FeatureStatus.no("not a map type");
        }
        MapSpec spec = minimalSpec(type);
        LoadedBtf btf = null;
        try {
            if (needsStorageBtf(type)) {
                if (!misc(MiscFeature.BTF).supported()) {
                    return FeatureStatus.no("needs BTF, which this kernel lacks");
                }
                btf = LoadedBtf.load(storageBtf());
            }
            BpfMap.CreateOptions opts = btf == null ? BpfMap.CreateOptions.DEFAULT
                    : BpfMap.CreateOptions.DEFAULT.withBtfFd(btf.fd());
            try (BpfMap m = BpfMap.create(spec, opts)) {
                assert m.type() == type;
                return FeatureStatus.yes();
            }
        } catch (SyscallException e) {
            // struct_ops with a bogus value type id: the kernel knows the type and rejects the id.
            if (type == MapType.STRUCT_OPS && (e.errno() == Errno.ENOTSUPP || e.errno() == Errno.EOPNOTSUPP)) {
                return FeatureStatus.yes();
            }
            return FeatureStatus.no("MAP_CREATE: " + Errno.nameOf(e.errnoNumber()) + mapRefusal(e));
        } catch (BpfException e) {
            return FeatureStatus.no(e.getMessage());
        } finally {
            if (btf != null) {
                btf.close();
            }
        }
    }

    // ---- misc ----

    public static FeatureStatus misc(MiscFeature f) {
        return MISC.computeIfAbsent(f, Features::probeMisc);
    }

    private static FeatureStatus probeMisc(MiscFeature f) {
        return switch (f) {
            case BPF_LINK -> commandExists(BpfCmd.LINK_CREATE);
            case BPF_TOKEN -> commandExists(BpfCmd.TOKEN_CREATE);
            case PROG_BIND_MAP -> commandExists(BpfCmd.PROG_BIND_MAP);
            case MMAPABLE_ARRAYS -> creates(MapSpec.of(MapType.ARRAY, 4, 8, 1).withFlags(MapFlags.MMAPABLE));
            case OBJECT_NAMES -> creates(MapSpec.of(MapType.ARRAY, 4, 4, 1).withName("probe_name"));
            case GLOBAL_DATA -> globalData();
            case BTF -> btf(w -> w.addInt("int", 4, true));
            case BTF_FUNC -> btf(w -> {
                int proto = w.addFuncProto(0);
                w.addFunc("probe", proto, 0);
            });
            case BTF_FUNC_GLOBAL -> btf(w -> {
                int proto = w.addFuncProto(0);
                w.addFunc("probe", proto, 1);
            });
            case BTF_DATASEC -> btf(w -> {
                int i = w.addInt("int", 4, true);
                int v = w.addVar("x", i, 1);
                w.addDatasec(".data", 4, v, 4);
            });
            case BTF_QMARK_DATASEC -> btf(w -> {
                int i = w.addInt("int", 4, true);
                int v = w.addVar("x", i, 1);
                w.addDatasec("?.data", 4, v, 4);
            });
            case BTF_FLOAT -> btf(w -> w.addFloat("float", 4));
            case BTF_DECL_TAG -> btf(w -> {
                int i = w.addInt("int", 4, true);
                int v = w.addVar("x", i, 1);
                w.addDeclTag("tag", v, -1);
            });
            case BTF_TYPE_TAG -> btf(w -> {
                int i = w.addInt("int", 4, true);
                int t = w.addTypeTag("tag", i);
                w.addPtr(t);
            });
            case BTF_ENUM64 -> btf(w -> w.addEnum64("e", 8, "V", 1L << 40));
        };
    }

    /**
     * A command the kernel knows fails on a file descriptor of -1 (EBADF); one it does not know answers EINVAL
     * before reading any field.
     */
    private static FeatureStatus commandExists(BpfCmd cmd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(64);
            long size = switch (cmd) {
                case LINK_CREATE -> {
                    attr.set(ValueLayout.JAVA_INT, 0, -1); // prog_fd
                    attr.set(ValueLayout.JAVA_INT, 4, -1); // target_fd
                    yield 16;
                }
                case TOKEN_CREATE -> {
                    attr.set(ValueLayout.JAVA_INT, 4, -1); // bpffs_fd
                    yield 8;
                }
                case PROG_BIND_MAP -> {
                    attr.set(ValueLayout.JAVA_INT, 0, -1); // prog_fd
                    attr.set(ValueLayout.JAVA_INT, 4, -1); // map_fd
                    yield 12;
                }
                default -> throw new IllegalArgumentException(cmd.name());
            };
            int errno = io.ebpf4j.kernel.Probe.errnoOf(cmd, attr, size);
            if (errno == Errno.EINVAL.number()) {
                return FeatureStatus.no(cmd.uapiName() + ": EINVAL: the kernel does not know the command");
            }
            return FeatureStatus.yes();
        }
    }

    private static FeatureStatus creates(MapSpec spec) {
        try (BpfMap _ = BpfMap.create(spec)) {
            return FeatureStatus.yes();
        } catch (SyscallException e) {
            return FeatureStatus.no("MAP_CREATE: " + Errno.nameOf(e.errnoNumber()));
        }
    }

    private static FeatureStatus globalData() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 1).withName("probe_data"))) {
            byte[] code = insns(insn(OP_LD_IMM64, 1, PSEUDO_MAP_VALUE, 0, m.fd()), 0L,
                    insn(0x7a, 1, 0, 0, 42), // *(u64 *)(r1 + 0) = 42
                    insn(OP_MOV64_IMM, 0, 0, 0, 0), insn(OP_EXIT, 0, 0, 0, 0));
            Attempt a = load(ProgramSpec.of("probe", ProgramType.SOCKET_FILTER, code), 1);
            return a.fd >= 0 ? FeatureStatus.yes() : FeatureStatus.no(describe(a, "direct map value access is not supported"));
        }
    }

    private static FeatureStatus btf(java.util.function.Consumer<BtfWriter> types) {
        BtfWriter w = new BtfWriter();
        types.accept(w);
        try (LoadedBtf _ = LoadedBtf.load(w.toBytes())) {
            return FeatureStatus.yes();
        } catch (SyscallException e) {
            return FeatureStatus.no("BTF_LOAD: " + Errno.nameOf(e.errnoNumber())
                    + (e.hint() == null ? "" : " (" + e.hint() + ")"));
        }
    }
}
