package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.Mounts;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.VerifierException;
import io.ebpf4j.asm.Disassembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapInfo;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.UpdateFlag;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.LoadOptions;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded object: the maps and programs its {@link ObjectSpec} described, owned together. Closing it closes
 * them all (pinned ones stay in the kernel through their pins).
 * <p>Its maps, programs and variables may be used from several threads, but {@link #close()} must not race them
 * (see {@code BpfMap}).
 */
public final class BpfObject implements AutoCloseable {
    /** BPF_PSEUDO_MAP_FD and BPF_PSEUDO_MAP_VALUE in an ld_imm64's source register. */
    static final int PSEUDO_MAP_FD = 1;
    static final int PSEUDO_MAP_VALUE = 2;
    private static final int CONTEXT_BEFORE = 6;

    private final String name;
    private final Map<String, BpfMap> maps;
    private final Map<String, Program> programs;
    private final Map<String, GlobalVariable> variables;
    private final Map<String, ProgramDef> programDefs;

    private BpfObject(String name, Map<String, BpfMap> maps, Map<String, Program> programs,
                      Map<String, GlobalVariable> variables, Map<String, ProgramDef> programDefs) {
        this.name = name;
        this.maps = maps;
        this.programs = programs;
        this.variables = variables;
        this.programDefs = programDefs;
    }

    /**
     * How to load: where pins live, the verifier log level for every program, the BTF that CO-RE relocations are
     * resolved against ({@code null}: the running kernel's, vmlinux then modules) and how many programs may be
     * verified at once ({@code 0}: one per available CPU; {@code 1}: one after another, as libbpf does).
     */
    public record Options(Path pinRoot, int logLevel, Path targetBtf, int loadThreads) {
        public Options {
            if (loadThreads < 0) {
                throw new IllegalArgumentException("loadThreads must be 0 (one per CPU) or positive, not " + loadThreads);
            }
        }

        public Options(Path pinRoot, int logLevel) {
            this(pinRoot, logLevel, null, 0);
        }

        public static Options defaults() {
            return new Options(Mounts.BPFFS, 0, null, 0);
        }

        public Options withPinRoot(Path root) {
            return new Options(root, logLevel, targetBtf, loadThreads);
        }

        public Options withLogLevel(int level) {
            return new Options(pinRoot, level, targetBtf, loadThreads);
        }

        /** A raw BTF file to resolve CO-RE relocations against instead of the kernel's (libbpf's btf_custom_path). */
        public Options withTargetBtf(Path file) {
            return new Options(pinRoot, logLevel, file, loadThreads);
        }

        /**
         * How many programs the kernel may verify at once. The verifier runs in the thread that asks for the load,
         * so an object's programs load in parallel from several threads; {@code 0} (the default) uses one per
         * available CPU, {@code 1} loads them one after another on the calling thread.
         */
        public Options withLoadThreads(int threads) {
            return new Options(pinRoot, logLevel, targetBtf, threads);
        }
    }

    public static BpfObject load(ObjectSpec spec) {
        return load(spec, Options.defaults());
    }

    /**
     * Creates the maps, loads every program marked autoload and fills static slots. A failure at any step closes
     * what was created and says which map or program failed and why.
     */
    public static BpfObject load(ObjectSpec spec, Options options) {
        Map<String, BpfMap> maps = new LinkedHashMap<>();
        Map<String, Program> programs = new LinkedHashMap<>();
        List<Path> newPins = new ArrayList<>();
        io.ebpf4j.btf.LoadedBtf btf = null;
        ExternResolver externs = null;
        io.ebpf4j.btf.core.CoreTarget core = null;
        try {
            if (CoreRelocations.any(spec)) {
                core = options.targetBtf() == null ? io.ebpf4j.btf.core.CoreTarget.kernel()
                        : io.ebpf4j.btf.core.CoreTarget.file(options.targetBtf());
            }
            btf = loadBtf(spec);
            if (!spec.externs().isEmpty()) {
                externs = ExternResolver.resolve(spec.name(), spec.externs(), spec.btf());
            }
            for (MapDef def : spec.maps().values()) {
                if (def.autocreate()) {
                    maps.put(def.name(), createMap(spec, def, options, newPins, btf, externs));
                }
            }
            List<Prepared> prepared = new ArrayList<>();
            try {
                for (ProgramDef def : spec.programs().values()) {
                    // As libbpf: a struct_ops program no struct_ops variable uses is not loaded.
                    boolean unusedStructOps = def.type() == io.ebpf4j.program.ProgramType.STRUCT_OPS
                            && StructOps.useOf(spec, def.name()) == null;
                    if (def.autoload() && !unusedStructOps) {
                        prepared.add(prepareProgram(spec, def, maps, options, btf, externs, core));
                    }
                }
                List<Program> loaded = ProgramLoads.loadAll(prepared, p -> loadPrepared(spec, p),
                        options.loadThreads());
                for (int i = 0; i < loaded.size(); i++) {
                    programs.put(prepared.get(i).def().name(), loaded.get(i));
                }
            } finally {
                for (Prepared p : prepared) {
                    if (p.module() != null) {
                        p.module().close(); // a loaded program holds its own reference to the module's BTF
                    }
                }
            }
            fillSlots(spec, maps, programs);
            fillStructOps(spec, maps, programs);
            bindReadOnlyData(spec, maps, programs);
            Map<String, ProgramDef> defs = new LinkedHashMap<>();
            programs.keySet().forEach(p -> defs.put(p, spec.programs().get(p)));
            return new BpfObject(spec.name(), maps, programs, spec.variables(), defs);
        } catch (RuntimeException | Error e) {
            // An Error too (a verifier log too large for the heap): what this load made must not outlive it.
            List<AutoCloseable> made = new ArrayList<>();
            made.add(btf);
            btf = null;
            made.addAll(programs.values());
            made.addAll(maps.values());
            Closing.closeAllAfter(e, made);
            // Pins this load made go too (pins it reused stay), and the directories it made for them, newest first,
            // so a failed load leaves nothing behind.
            Bpf.removeMade(newPins, e);
            throw e;
        } finally {
            // The programs and maps hold their own references to the BTF (and to module BTF).
            if (btf != null) {
                btf.close();
            }
            if (externs != null) {
                externs.close();
            }
            if (core != null) {
                core.close();
            }
        }
    }

    /**
     * The object's BTF, sanitized for what the kernel supports and loaded for the maps' key/value types and the
     * programs' func and line info; null when the object has none or the kernel refuses it (then maps and programs
     * load without BTF, as libbpf does, and only what needs BTF fails).
     */
    private static io.ebpf4j.btf.LoadedBtf loadBtf(ObjectSpec spec) {
        byte[] raw = spec.loadableBtfShared();
        if (raw == null) {
            return null;
        }
        try {
            return io.ebpf4j.btf.LoadedBtf.load(io.ebpf4j.btf.BtfSanitizer.sanitize(raw,
                    io.ebpf4j.btf.BtfSanitizer.Support.probe()));
        } catch (io.ebpf4j.SyscallException e) {
            System.getLogger("io.ebpf4j").log(System.Logger.Level.WARNING, "object '" + spec.name()
                    + "': the kernel refused its BTF, loading without it: " + e.getMessage());
            return null;
        }
    }

    // ---- maps ----

    private static BpfMap createMap(ObjectSpec spec, MapDef def, Options options, List<Path> newPins,
                                    io.ebpf4j.btf.LoadedBtf btf, ExternResolver externs) {
        MapSpec ms = def.spec();
        if (ms.type() == io.ebpf4j.map.MapType.PERF_EVENT_ARRAY && ms.maxEntries() == 0) {
            // As libbpf: a perf event array that does not say its size gets one slot per possible CPU.
            ms = ms.withMaxEntries(io.ebpf4j.kernel.Cpus.possibleCount());
        }
        if (def.structOps() != null) {
            try {
                ms = StructOps.kernelSpec(def);
            } catch (BpfException e) {
                throw inContext(e, "map '" + def.name() + "'", spec);
            }
        }
        if (ms.innerMap() != null) {
            ms = ms.withInnerMap(ms.innerMap().withBtfTypes(0, 0));
        }
        Path pin = pinPath(spec, def, options);
        try {
            if (pin != null && Files.exists(pin)) {
                return reusePinned(def, ms, pin);
            }
            BpfMap m;
            if (def.structOps() != null) {
                // The kernel wants a BTF object with a kernel value type id; the object's own serves.
                if (btf == null) {
                    throw new BpfException("struct_ops map '" + def.name() + "' needs the object's BTF loaded, and "
                            + "the kernel refused it (see the warning above) or the object has none");
                }
                m = BpfMap.create(ms.withName(def.name()), BpfMap.CreateOptions.DEFAULT.withBtfFd(btf.fd()));
            } else {
                m = createWithBtf(spec, ms.withName(def.name()), btf);
            }
            try {
                byte[] data = def.structOps() != null ? null // struct_ops: filled after the programs
                        : def.origin() == MapDef.Origin.KCONFIG ? externs.kconfigImage() : def.data();
                // New array maps are zero-filled: an all-zero image (.bss) needs no write.
                if (data != null && !allZero(data)) {
                    m.update(new byte[Integer.BYTES], data, UpdateFlag.ANY);
                }
                if (def.isReadOnlyData()) {
                    m.freeze();
                }
                if (pin != null) {
                    List<Path> dirs = Bpf.missingParents(pin);
                    m.pin(pin);
                    // Directories first: a failed load removes them after the pins in them, and only while empty.
                    dirs.stream().filter(Files::isDirectory).forEach(newPins::add);
                    newPins.add(pin);
                }
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        } catch (BpfException e) {
            throw inContext(e, "map '" + def.name() + "'", spec);
        }
    }

    /**
     * Creates a map with its key/value BTF types when the object's BTF is loaded and names them; if the kernel
     * refuses the types, creates it without, as libbpf does (the map works, tools just cannot show typed values).
     */
    private static BpfMap createWithBtf(ObjectSpec spec, MapSpec ms, io.ebpf4j.btf.LoadedBtf btf) {
        boolean typed = btf != null && (ms.btfKeyTypeId() != 0 || ms.btfValueTypeId() != 0)
                && !UNTYPED_MAPS.contains(ms.type());
        if (!typed) {
            return BpfMap.create(ms.withBtfTypes(0, 0));
        }
        try {
            return BpfMap.create(ms, BpfMap.CreateOptions.DEFAULT.withBtfFd(btf.fd()));
        } catch (io.ebpf4j.SyscallException e) {
            BpfMap m = BpfMap.create(ms.withBtfTypes(0, 0)); // if this fails too, the types were not the problem
            System.getLogger("io.ebpf4j").log(System.Logger.Level.WARNING, "object '" + spec.name() + "': map '"
                    + ms.name() + "': the kernel refused its BTF key/value types, created it without: "
                    + e.getMessage());
            return m;
        }
    }

    /**
     * Map types whose values are kernel objects (fds, sockets, CPUs...) or that have no key: the kernel refuses
     * key/value BTF for them, so libbpf creates them without, and so do we.
     */
    private static final java.util.Set<io.ebpf4j.map.MapType> UNTYPED_MAPS = java.util.EnumSet.of(
            io.ebpf4j.map.MapType.PERF_EVENT_ARRAY, io.ebpf4j.map.MapType.CGROUP_ARRAY,
            io.ebpf4j.map.MapType.STACK_TRACE, io.ebpf4j.map.MapType.ARRAY_OF_MAPS,
            io.ebpf4j.map.MapType.HASH_OF_MAPS, io.ebpf4j.map.MapType.DEVMAP, io.ebpf4j.map.MapType.DEVMAP_HASH,
            io.ebpf4j.map.MapType.CPUMAP, io.ebpf4j.map.MapType.XSKMAP, io.ebpf4j.map.MapType.SOCKMAP,
            io.ebpf4j.map.MapType.SOCKHASH, io.ebpf4j.map.MapType.QUEUE, io.ebpf4j.map.MapType.STACK,
            io.ebpf4j.map.MapType.ARENA);

    private static boolean allZero(byte[] data) {
        for (byte b : data) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds which object (and map or program) a failure concerns, keeping its type: callers may catch
     * {@link io.ebpf4j.SyscallException} to look at the errno.
     */
    private static BpfException inContext(BpfException e, String what, ObjectSpec spec) {
        String where = what + " of object '" + spec.name() + "'";
        if (e instanceof io.ebpf4j.SyscallException se && !(e instanceof VerifierException)) {
            String object = se.object() == null || se.object().isEmpty() ? where : se.object() + ", " + where;
            io.ebpf4j.SyscallException wrapped = new io.ebpf4j.SyscallException(se.call(), se.errnoNumber(), object,
                    se.hint());
            wrapped.initCause(e);
            return wrapped;
        }
        if (e instanceof VerifierException || e instanceof UnsupportedFeatureException
                || e instanceof io.ebpf4j.SizeMismatchException) {
            return e; // these already name the program or the feature
        }
        return new BpfException("loading object '" + spec.name() + "': " + what + ": " + e.getMessage(), e);
    }

    /** Where a map is pinned, or null: libbpf's by-name rule and iproute2's tc/globals and tc/<object> dirs. */
    static Path pinPath(ObjectSpec spec, MapDef def, Options options) {
        if (def.pinPath() != null) {
            return Path.of(def.pinPath());
        }
        return switch (def.pinning()) {
            case NONE -> null;
            case BY_NAME -> options.pinRoot().resolve(def.name());
            case GLOBAL_NS -> options.pinRoot().resolve("tc/globals").resolve(def.name());
            case OBJECT_NS -> options.pinRoot().resolve("tc").resolve(spec.name()).resolve(def.name());
        };
    }

    /** A pinned map is reused only when it is what the object asks for; otherwise the mismatch is named. */
    private static BpfMap reusePinned(MapDef def, MapSpec want, Path pin) {
        BpfMap m = BpfMap.openPinned(pin);
        try {
            requireSame(m.info(), want, pin);
            return m;
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, m);
        }
    }

    private static void requireSame(MapInfo have, MapSpec want, Path pin) {
        List<String> diff = new ArrayList<>();
        if (have.rawType() != want.type().value()) {
            diff.add("type " + have.typeName() + " vs " + want.type().displayName());
        }
        if (have.keySize() != want.keySize()) {
            diff.add("key_size " + have.keySize() + " vs " + want.keySize());
        }
        if (have.valueSize() != want.valueSize()) {
            diff.add("value_size " + have.valueSize() + " vs " + want.valueSize());
        }
        if (have.maxEntries() != want.maxEntries()) {
            diff.add("max_entries " + have.maxEntries() + " vs " + want.maxEntries());
        }
        if (have.flags() != want.flags()) {
            diff.add("map_flags 0x" + Integer.toHexString(have.flags()) + " vs 0x" + Integer.toHexString(want.flags()));
        }
        if (!diff.isEmpty()) {
            throw new BpfException("the map pinned at " + pin + " does not match the object's definition ("
                    + String.join(", ", diff) + " — pinned vs object); remove the pin or change the definition");
        }
    }

    // ---- programs ----

    /**
     * A program made ready for BPF_PROG_LOAD: linked, relocated and patched with map fds, with what its load
     * needs and what a verifier rejection is explained with. {@code module}: the kernel module BTF its attach
     * target lives in, held until the load is over.
     */
    record Prepared(ProgramDef def, ProgramSpec spec, LoadOptions options, List<Instruction> code,
                    List<io.ebpf4j.btf.core.CoreRelocation> coreDone, List<String> mapOrder, LoadedBtf module) {
    }

    /** Everything before the system call, on the calling thread (the CO-RE target and externs are not shared). */
    private static Prepared prepareProgram(ObjectSpec spec, ProgramDef def, Map<String, BpfMap> maps,
                                           Options options, io.ebpf4j.btf.LoadedBtf btf, ExternResolver externs,
                                           io.ebpf4j.btf.core.CoreTarget core) {
        Linker.Linked linked = spec.link(def.name());
        List<Instruction> slots = new ArrayList<>(linked.slots());
        List<io.ebpf4j.btf.core.CoreRelocation> coreDone = CoreRelocations.apply(spec, def, linked, slots, core);
        List<String> mapOrder = List.copyOf(spec.maps().keySet());
        for (Reloc r : linked.relocations()) {
            Instruction insn = slots.get(r.insn());
            String mapName = r instanceof Reloc.MapRef m ? m.map() : r instanceof Reloc.MapValue v ? v.map() : null;
            if (mapName != null && !maps.containsKey(mapName) && spec.map(mapName).map(m -> !m.autocreate()).orElse(false)) {
                poison(slots, r.insn(), mapOrder.indexOf(mapName));
                continue;
            }
            switch (r) {
                case Reloc.MapRef m -> slots.set(r.insn(), insn.withSrc(PSEUDO_MAP_FD).withImm(mapFd(spec, def, maps, m.map())));
                case Reloc.MapValue v -> slots.set(r.insn(), insn.withSrc(PSEUDO_MAP_VALUE)
                        .withImm((v.offset() << 32) | (mapFd(spec, def, maps, v.map()) & 0xffff_ffffL)));
                case Reloc.Extern x -> externs.apply(slots, x, kconfigFd(spec, maps), def.name());
                default -> throw new IllegalStateException("unlinked relocation " + r);
            }
        }
        List<Instruction> code = new ArrayList<>();
        for (Instruction i : slots) {
            if (i != null) {
                code.add(i);
            }
        }
        ProgramSpec ps = ProgramSpec.of(def.name(), def.type(), code).withLicense(spec.license())
                .withExpectedAttachType(def.expectedAttachType()).withFlags(def.flags())
                .withKernVersion(spec.kernelVersion());
        int level = def.logLevel() != 0 ? def.logLevel() : options.logLevel();
        LoadOptions lo = LoadOptions.DEFAULT.withLogLevel(level);
        // Without BTF_FUNC the sanitizer turned functions into typedefs: no func or line info then (as libbpf).
        if (btf != null && !linked.funcInfo().isEmpty()
                && io.ebpf4j.features.Features.misc(io.ebpf4j.features.MiscFeature.BTF_FUNC).supported()) {
            lo = lo.withBtfFd(btf.fd()).withFuncInfo(funcInfo(linked.funcInfo()));
            if (!linked.lineInfo().isEmpty()) {
                lo = lo.withLineInfo(lineInfo(linked.lineInfo()));
            }
        }
        if (externs != null && externs.fdArray() != null) {
            lo = lo.withFdArray(externs.fdArray());
        }
        LoadedBtf module = null;
        try {
            StructOps.Use use = def.type() == io.ebpf4j.program.ProgramType.STRUCT_OPS ? StructOps.useOf(spec, def.name()) : null;
            if (use != null) {
                ps = ps.withAttachBtfId(StructOps.kernelStruct(use.map().structOps()))
                        .withExpectedAttachType(StructOps.memberIndex(use));
            } else if (ps.attachBtfId() == 0 && def.type() == io.ebpf4j.program.ProgramType.EXT) {
                if (def.freplaceTarget() == null) {
                    throw new BpfException("freplace program '" + def.name() + "' needs the program it replaces a "
                            + "function of: set it with ProgramDef.freplaceTarget(program) before loading");
                }
                ps = ps.withAttachBtfId(AttachTargets.programFunction(def.freplaceTarget(), def.attachTarget()));
                lo = lo.withAttachProgFd(def.freplaceTarget().fd());
            } else if (AttachTargets.naming(def.type(), def.expectedAttachType()) != null) {
                AttachTargets.Target t = AttachTargets.resolve(def.type(), def.expectedAttachType(), def.attachTarget());
                ps = ps.withAttachBtfId(t.btfId());
                if (t.inModule()) {
                    module = LoadedBtf.fromId(t.btfObjId());
                    lo = lo.withAttachBtfObjFd(module.fd());
                }
            }
            return new Prepared(def, ps, lo, code, coreDone, mapOrder, module);
        } catch (RuntimeException e) {
            if (module != null) {
                module.close();
            }
            throw e instanceof BpfException b ? inContext(b, "program '" + def.name() + "'", spec) : e;
        }
    }

    /** The system call and the verifier's answer made readable; thread-safe, so programs may load in parallel. */
    private static Program loadPrepared(ObjectSpec spec, Prepared p) {
        ProgramDef def = p.def();
        try {
            return Program.load(p.spec(), p.options());
        } catch (VerifierException e) {
            String poisoned = poisonedMap(e.log(), p.mapOrder());
            String kfunc = ExternResolver.poisonedKfunc(e.log(), spec.externs());
            throw new VerifierException(def.name(), e.errnoNumber(), e.log(),
                    (poisoned == null ? "" : "the program uses map '" + poisoned + "', which was not created (its "
                            + "autocreate is off): create it, or keep the code that uses it unreachable\n")
                    + (kfunc == null ? "" : "the program calls weak kfunc '" + kfunc + "', which this kernel does not "
                            + "have: guard the call with bpf_ksym_exists()\n")
                    + ExternResolver.explain(e.log())
                            + CoreRelocations.explain(e, p.coreDone()).map(x -> x + "\n").orElse("")
                            + "in object '" + spec.name() + "', section '" + def.section() + "'"
                            + e.failingInstruction().stream().mapToObj(i -> ":\n" + around(p.code(), i)).findFirst().orElse(""));
        } catch (BpfException e) {
            throw inContext(e, "program '" + def.name() + "'", spec);
        }
    }

    /**
     * A reference to a map that was not created becomes two calls to a helper that does not exist, numbered after
     * the map (libbpf's convention): harmless in dead code, which the verifier removes; if reached, the verifier
     * names the number and {@link #poisonedMap} turns it back into the map's name.
     */
    static final int POISON_MAP_BASE = 2_001_000_000;

    private static void poison(List<Instruction> slots, int at, int mapIndex) {
        int callOpcode = io.ebpf4j.asm.OpClass.JMP.code() | io.ebpf4j.asm.JmpOp.CALL.code() | io.ebpf4j.asm.Source.K.code();
        Instruction call = Instruction.of(callOpcode, io.ebpf4j.asm.Register.R0, io.ebpf4j.asm.Register.R0, 0,
                POISON_MAP_BASE + mapIndex);
        slots.set(at, call);
        slots.set(at + 1, call);
    }

    private static String poisonedMap(String log, List<String> mapOrder) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("unknown#(\\d+)").matcher(log);
        while (m.find()) {
            long n = Long.parseLong(m.group(1)) - POISON_MAP_BASE;
            if (n >= 0 && n < mapOrder.size()) {
                return mapOrder.get((int) n);
            }
        }
        return null;
    }

    /** {@code struct bpf_func_info} records: instruction index, FUNC type id. */
    private static LoadOptions.FuncInfo funcInfo(List<Linker.FuncInfo> funcs) {
        ByteBuffer b = ByteBuffer.allocate(funcs.size() * FUNC_INFO_SIZE).order(ByteOrder.nativeOrder());
        for (Linker.FuncInfo f : funcs) {
            b.putInt(f.insn()).putInt(f.typeId());
        }
        return new LoadOptions.FuncInfo(b.array(), FUNC_INFO_SIZE, funcs.size());
    }

    private static final int FUNC_INFO_SIZE = 8;

    /** {@code struct bpf_line_info} records: instruction index, file name and line offsets, line_col. */
    private static LoadOptions.LineInfo lineInfo(List<Linker.LineInfo> lines) {
        ByteBuffer b = ByteBuffer.allocate(lines.size() * LINE_INFO_SIZE).order(ByteOrder.nativeOrder());
        for (Linker.LineInfo l : lines) {
            b.putInt(l.insn()).putInt(l.source().fileNameOff()).putInt(l.source().lineOff()).putInt(l.source().lineCol());
        }
        return new LoadOptions.LineInfo(b.array(), LINE_INFO_SIZE, lines.size());
    }

    private static final int LINE_INFO_SIZE = 16;

    /** The fd of the object's {@code .kconfig} map (kconfig externs read from it). */
    private static int kconfigFd(ObjectSpec spec, Map<String, BpfMap> maps) {
        for (MapDef def : spec.maps().values()) {
            if (def.origin() == MapDef.Origin.KCONFIG && maps.containsKey(def.name())) {
                return maps.get(def.name()).fd();
            }
        }
        throw new BpfException("loading object '" + spec.name() + "': programs read __kconfig externs but its "
                + ".kconfig map was not created");
    }

    private static int mapFd(ObjectSpec spec, ProgramDef def, Map<String, BpfMap> maps, String map) {
        BpfMap m = maps.get(map);
        if (m == null) {
            throw new BpfException("loading object '" + spec.name() + "': program '" + def.name()
                    + "' refers to map '" + map + "', which was not created");
        }
        return m.fd();
    }

    /** The disassembly around the failing slot, with a marker on it. */
    static String around(List<Instruction> code, int failingSlot) {
        Disassembler d = Disassembler.DEFAULT.withHelperNames(Helpers::name);
        StringBuilder sb = new StringBuilder();
        int slot = 0;
        for (Instruction i : code) {
            if (slot >= failingSlot - CONTEXT_BEFORE && slot <= failingSlot) {
                sb.append(slot == failingSlot ? "  > " : "    ").append(String.format("%4d: ", slot))
                        .append(d.format(i)).append('\n');
            }
            slot += i.slots();
        }
        return sb.toString().stripTrailing();
    }

    // ---- after load ----

    private static void fillSlots(ObjectSpec spec, Map<String, BpfMap> maps, Map<String, Program> programs) {
        for (MapDef def : spec.maps().values()) {
            for (Map.Entry<Integer, String> slot : def.initialSlots().entrySet()) {
                BpfMap outer = maps.get(def.name());
                int fd;
                if (programs.containsKey(slot.getValue())) {
                    fd = programs.get(slot.getValue()).fd();
                } else if (maps.containsKey(slot.getValue())) {
                    fd = maps.get(slot.getValue()).fd();
                } else if (spec.programs().containsKey(slot.getValue())) {
                    continue; // a program not loaded (autoload off) leaves its slot empty, as libbpf does
                } else {
                    throw new BpfException("loading object '" + spec.name() + "': map '" + def.name() + "' slot "
                            + slot.getKey() + " names '" + slot.getValue() + "', which is neither a program nor a map");
                }
                outer.update(le32(slot.getKey()), le32(fd), UpdateFlag.ANY);
            }
        }
    }

    /**
     * Writes each struct_ops map's value (members by name, program descriptors in the callbacks). For
     * {@code .struct_ops.link} maps this does not register anything yet: attaching the map as a link does.
     */
    private static void fillStructOps(ObjectSpec spec, Map<String, BpfMap> maps, Map<String, Program> programs) {
        for (MapDef def : spec.maps().values()) {
            BpfMap m = maps.get(def.name());
            if (def.structOps() != null && m != null) {
                try {
                    m.update(new byte[Integer.BYTES], StructOps.value(spec, def, programs), UpdateFlag.ANY);
                } catch (BpfException e) {
                    throw inContext(e, "struct_ops map '" + def.name() + "'", spec);
                }
            }
        }
    }

    /** As libbpf: programs keep .rodata alive even when the verifier inlined every read of it. */
    private static void bindReadOnlyData(ObjectSpec spec, Map<String, BpfMap> maps, Map<String, Program> programs) {
        for (MapDef def : spec.maps().values()) {
            if (def.isReadOnlyData()) {
                for (Program p : programs.values()) {
                    p.bindMap(maps.get(def.name()));
                }
            }
        }
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    // ---- access ----

    public String name() {
        return name;
    }

    public Map<String, BpfMap> maps() {
        return Collections.unmodifiableMap(maps);
    }

    public Map<String, Program> programs() {
        return Collections.unmodifiableMap(programs);
    }

    public BpfMap map(String mapName) {
        BpfMap m = maps.get(mapName);
        if (m == null) {
            throw new BpfException("object '" + name + "' has no map '" + mapName + "'; it has " + maps.keySet());
        }
        return m;
    }

    public Program program(String programName) {
        Program p = programs.get(programName);
        if (p == null) {
            throw new BpfException("object '" + name + "' has no loaded program '" + programName + "'; loaded: "
                    + programs.keySet());
        }
        return p;
    }

    /**
     * How a loaded program was described: its section, the section-table row (with its auto-attach kind) and
     * attach target.
     */
    public ProgramDef programDef(String programName) {
        program(programName);
        return programDefs.get(programName);
    }

    public Optional<Program> findProgram(String programName) {
        return Optional.ofNullable(programs.get(programName));
    }

    /**
     * A global variable's memory, live: a view into the mmap'd data map (read-only for {@code .rodata}). For data
     * sections without user-visible variables (not mmap-able), use {@link #readVariable(String)}.
     */
    public MemorySegment variable(String variable) {
        GlobalVariable v = variableDef(variable);
        BpfMap m = map(v.map());
        return m.mmap().asSlice(v.offset(), v.size());
    }

    /** A copy of a global variable's current bytes, read with a map lookup. */
    public byte[] readVariable(String variable) {
        GlobalVariable v = variableDef(variable);
        byte[] all = map(v.map()).lookup(new byte[Integer.BYTES]).orElseThrow();
        byte[] out = new byte[(int) v.size()];
        System.arraycopy(all, (int) v.offset(), out, 0, out.length);
        return out;
    }

    /** A global 64-bit variable read through the mmap. */
    public long variableLong(String variable) {
        return variable(variable).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    private GlobalVariable variableDef(String variable) {
        GlobalVariable v = variables.get(variable);
        if (v == null) {
            throw new BpfException("object '" + name + "' has no global variable '" + variable + "'; it has "
                    + variables.keySet());
        }
        return v;
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(programs.values());
        all.addAll(maps.values());
        Closing.closeAll(all);
    }
}
