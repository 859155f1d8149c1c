package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.features.Features;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.ProgramType;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves an object's externs against the running kernel for one load: {@code .kconfig} values from the
 * kernel configuration (and libbpf's virtual {@code LINUX_*} ones), typeless ksyms from {@code /proc/kallsyms},
 * typed ksyms and kfuncs from kernel BTF (vmlinux, then modules, whose BTF objects it opens and holds until
 * closed). Then patches the instructions that refer to them.
 */
final class ExternResolver implements AutoCloseable {
    /** BPF_PSEUDO_KFUNC_CALL and BPF_PSEUDO_BTF_ID in an instruction's source register. */
    static final int PSEUDO_KFUNC_CALL = 2;
    static final int PSEUDO_BTF_ID = 3;
    /** A call to a missing weak kfunc becomes a call to a helper that does not exist, numbered after it. */
    static final int POISON_KFUNC_BASE = 2_002_000_000;
    static final Path KALLSYMS = Path.of("/proc/kallsyms");
    static final Path SYS_BTF = Path.of("/sys/kernel/btf");

    /** How one extern was resolved; {@code set} false for a missing weak one. */
    record Resolved(boolean set, long address, int btfId, int btfObjFd, int fdIndex) {
        static final Resolved MISSING = new Resolved(false, 0, 0, 0, 0);
    }

    private final String object;
    private final List<Externs.Extern> externs;
    private final Map<String, Resolved> resolved = new HashMap<>();
    private final byte[] kconfig;
    private final List<LoadedBtf> moduleBtfs = new ArrayList<>();
    /** fd_array for kfuncs in modules; index 0 stays unused (an offset of 0 means vmlinux). */
    private final List<Integer> fdArray = new ArrayList<>();

    /** The object's BTF, for checking declarations against the kernel's. */
    private final Btf localBtf;

    private ExternResolver(String object, List<Externs.Extern> externs, Btf localBtf) {
        this.object = object;
        this.localBtf = localBtf;
        this.externs = externs;
        this.kconfig = new byte[Externs.kconfigSize(externs)];
    }

    /** Resolves every extern; a strong one that cannot be resolved is an error naming it. */
    static ExternResolver resolve(String object, List<Externs.Extern> externs, Btf localBtf) {
        ExternResolver r = new ExternResolver(object, externs, localBtf);
        try {
            r.resolveKconfig();
            r.resolveKallsyms();
            r.resolveBtf();
            List<String> missing = new ArrayList<>();
            for (Externs.Extern e : externs) {
                if (!r.resolved.containsKey(e.name())) {
                    if (!e.weak()) {
                        missing.add(describe(e));
                    }
                    r.resolved.put(e.name(), Resolved.MISSING);
                }
            }
            if (!missing.isEmpty()) {
                throw new BpfException("loading object '" + object + "': the kernel has no " + String.join(", ",
                        missing) + "; declare " + (missing.size() == 1 ? "it" : "them") + " __weak to load without "
                        + "(a weak extern reads as zero; test with bpf_ksym_exists())");
            }
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private static String describe(Externs.Extern e) {
        return switch (e.kind()) {
            case KCONFIG -> "kconfig value '" + e.name() + "'";
            case KSYM -> (e.typed() ? "BTF variable '" : "kernel symbol '") + e.name() + "'"
                    + (e.typed() ? " (typed __ksym: looked up in vmlinux and module BTF)" : " (in /proc/kallsyms)");
            case KFUNC -> "kfunc '" + e.name() + "' (looked up in vmlinux and module BTF)";
        };
    }

    /** The {@code .kconfig} map's initial value. */
    byte[] kconfigImage() {
        return kconfig.clone();
    }

    /** The fd_array programs need for module kfuncs, or null when every kfunc lives in vmlinux. */
    int[] fdArray() {
        return fdArray.isEmpty() ? null : fdArray.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- kconfig ----

    private void resolveKconfig() {
        Map<String, String> config = null;
        for (Externs.Extern e : externs) {
            if (e.kind() != Externs.Kind.KCONFIG) {
                continue;
            }
            if (e.name().startsWith("CONFIG_")) {
                if (config == null) {
                    config = configFor(externs);
                }
                String v = config.get(e.name());
                if (v != null) {
                    Kconfig.set(kconfig, e, v);
                    resolved.put(e.name(), new Resolved(true, 0, 0, 0, 0));
                }
                continue;
            }
            long value;
            switch (e.name()) {
                case "LINUX_KERNEL_VERSION" -> value = Kconfig.kernelVersion(Kconfig.release());
                case "LINUX_HAS_BPF_COOKIE" -> value = Features.helper(ProgramType.TRACEPOINT,
                        Helpers.id("get_attach_cookie").orElseThrow()).supported() ? 1 : 0;
                case "LINUX_HAS_SYSCALL_WRAPPER" -> value = hasSyscallWrapper() ? 1 : 0;
                default -> {
                    if (!e.name().startsWith("LINUX_") || !e.weak()) {
                        throw new BpfException("loading object '" + object + "': kconfig extern '" + e.name()
                                + "' is neither a CONFIG_ value nor one of LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, "
                                + "LINUX_HAS_SYSCALL_WRAPPER");
                    }
                    continue; // an unknown weak LINUX_ value reads as zero, as in libbpf
                }
            }
            Kconfig.setNumber(kconfig, e, value);
            resolved.put(e.name(), new Resolved(true, 0, 0, 0, 0));
        }
    }

    /**
     * The running kernel's configuration; when there is none and every CONFIG_ extern is weak, an empty one
     * (they all read zero), else the error that says where it looked.
     */
    private static Map<String, String> configFor(List<Externs.Extern> externs) {
        try {
            return Kconfig.running();
        } catch (BpfException e) {
            boolean allWeak = externs.stream().filter(x -> x.kind() == Externs.Kind.KCONFIG
                    && x.name().startsWith("CONFIG_")).allMatch(Externs.Extern::weak);
            if (allWeak) {
                return Map.of();
            }
            throw e;
        }
    }

    /** The prefix of syscall entry points on this architecture ({@code __x64_sys_} on x86-64). */
    static String syscallPrefix() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "__x64_sys_";
            case "aarch64" -> "__arm64_sys_";
            case "s390x" -> "__s390x_sys_";
            case "riscv64" -> "__riscv_sys_";
            case "ppc64le", "ppc64" -> "sys_";
            default -> "__se_sys_";
        };
    }

    // ---- kallsyms ----

    private void resolveKallsyms() {
        Set<String> wanted = new HashSet<>();
        for (Externs.Extern e : externs) {
            if (e.kind() == Externs.Kind.KSYM && !e.typed()) {
                wanted.add(e.name());
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        Map<String, Long> found = kallsyms(wanted);
        for (Map.Entry<String, Long> f : found.entrySet()) {
            resolved.put(f.getKey(), new Resolved(true, f.getValue(), 0, 0, 0));
        }
    }

    /**
     * Whether syscalls enter through the architecture's wrappers ({@code __x64_sys_bpf}): kernel BTF lists the
     * function when it has it (cheap, mapped once per process); else kallsyms (reading it costs ~0.1 s).
     */
    private boolean hasSyscallWrapper() {
        String name = syscallPrefix() + "bpf";
        try {
            if (Btf.loadKernel().find(name, BtfKind.FUNC).isPresent()) {
                return true;
            }
        } catch (io.ebpf4j.UnsupportedFeatureException noKernelBtf) {
            // fall back to kallsyms
        }
        return kallsyms(Set.of(name)).containsKey(name);
    }

    /** What this load looks up in kallsyms, read in one pass on first use. */
    private Map<String, Long> kallsymsFound;

    /** Addresses of those of the named symbols kallsyms lists. */
    private Map<String, Long> kallsyms(Set<String> names) {
        if (kallsymsFound == null) {
            kallsymsFound = readKallsyms(kallsymsWanted());
        }
        Map<String, Long> out = new HashMap<>();
        for (String n : names) {
            Long addr = kallsymsFound.get(n);
            if (addr != null) {
                out.put(n, addr);
            }
        }
        return out;
    }

    /** Every name this load may need from kallsyms: typeless and typed ksyms and the syscall wrapper probe. */
    private Set<String> kallsymsWanted() {
        Set<String> wanted = new HashSet<>();
        for (Externs.Extern e : externs) {
            if (e.kind() == Externs.Kind.KSYM) {
                wanted.add(e.name());
            } else if (e.name().equals("LINUX_HAS_SYSCALL_WRAPPER")) {
                wanted.add(syscallPrefix() + "bpf");
            }
        }
        return wanted;
    }

    /** Addresses of the named symbols; a name with two different addresses is ambiguous, as libbpf says. */
    private Map<String, Long> readKallsyms(Set<String> names) {
        Map<String, Long> out = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(KALLSYMS)) {
            String line;
            while ((line = in.readLine()) != null) {
                int a = line.indexOf(' ');
                int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
                if (b < 0) {
                    continue;
                }
                int end = line.indexOf('\t', b + 1);
                String name = line.substring(b + 1, end < 0 ? line.length() : end);
                if (!names.contains(name)) {
                    continue;
                }
                long addr = Long.parseUnsignedLong(line.substring(0, a), 16);
                if (addr == 0) {
                    throw new BpfException("loading object '" + object + "': " + KALLSYMS + " shows address 0 for '"
                            + name + "': addresses are hidden (kernel.kptr_restrict, or not root)");
                }
                Long before = out.putIfAbsent(name, addr);
                if (before != null && before != addr) {
                    throw new BpfException("loading object '" + object + "': kernel symbol '" + name
                            + "' is ambiguous: " + KALLSYMS + " lists it at 0x" + Long.toHexString(before) + " and 0x"
                            + Long.toHexString(addr));
                }
            }
        } catch (IOException e) {
            throw new BpfException("loading object '" + object + "': cannot read " + KALLSYMS + ": " + e, e);
        }
        return out;
    }

    // ---- kernel BTF ----

    private void resolveBtf() {
        List<Externs.Extern> wanted = externs.stream()
                .filter(e -> e.kind() == Externs.Kind.KFUNC || e.kind() == Externs.Kind.KSYM && e.typed()).toList();
        if (wanted.isEmpty()) {
            return;
        }
        Btf vmlinux = Btf.loadKernel();
        List<Externs.Extern> rest = new ArrayList<>();
        for (Externs.Extern e : wanted) {
            int id = find(vmlinux, e);
            if (id > 0) {
                resolved.put(e.name(), new Resolved(true, 0, id, 0, 0));
            } else {
                rest.add(e);
            }
        }
        if (!rest.isEmpty()) {
            searchModules(rest);
        }
        placeableVariables(wanted);
    }

    /**
     * The kernel places a typed variable through kallsyms, which lists variables only with CONFIG_KALLSYMS_ALL:
     * one it does not list cannot load, so it counts as missing (a weak one reads as zero; a strong one is an
     * error that says why) instead of failing in the verifier with ENOENT.
     */
    private void placeableVariables(List<Externs.Extern> wanted) {
        Set<String> vars = new HashSet<>();
        for (Externs.Extern e : wanted) {
            if (e.kind() == Externs.Kind.KSYM && resolved.containsKey(e.name())) {
                vars.add(e.name());
            }
        }
        if (vars.isEmpty()) {
            return;
        }
        Map<String, Long> listed = kallsyms(vars);
        for (Externs.Extern e : wanted) {
            if (vars.contains(e.name()) && !listed.containsKey(e.name())) {
                resolved.remove(e.name());
                if (!e.weak()) {
                    throw new BpfException("loading object '" + object + "': typed ksym '" + e.name() + "' is in the "
                            + "kernel's BTF, but the kernel finds a variable's address through kallsyms, and "
                            + KALLSYMS + " does not list it (a kernel without CONFIG_KALLSYMS_ALL lists no variables): "
                            + "declare it __weak and guard its use with bpf_ksym_exists(), or use a kernel with "
                            + "CONFIG_KALLSYMS_ALL");
                }
            }
        }
    }

    /** The kernel BTF id of the extern's VAR or FUNC, checked against the object's declaration; 0 if absent. */
    private int find(Btf kernel, Externs.Extern e) {
        BtfKind kind = e.kind() == Externs.Kind.KFUNC ? BtfKind.FUNC : BtfKind.VAR;
        int id = kernel.find(e.name(), kind).orElse(0);
        if (id == 0 || id < kernel.firstTypeId()) {
            return 0;
        }
        if (e.kind() == Externs.Kind.KFUNC) {
            BtfType proto = kernel.type(((BtfType.Func) kernel.type(id)).type());
            if (localBtf != null && proto instanceof BtfType.FuncProto kp
                    && localBtf.type(e.typeId()) instanceof BtfType.FuncProto lp
                    && kp.params().size() != lp.params().size()) {
                throw new BpfException("loading object '" + object + "': kfunc '" + e.name() + "' takes "
                        + kp.params().size() + " arguments in the kernel, but the object declares "
                        + lp.params().size());
            }
        } else if (localBtf != null) {
            BtfType want = localBtf.resolveType(e.typeId());
            BtfType have = kernel.resolveType(((BtfType.Var) kernel.type(id)).type());
            // As libbpf's compatibility check, the kinds must agree (a forward declaration stands for its kind).
            boolean forward = want instanceof BtfType.Fwd || have instanceof BtfType.Fwd;
            if (want.kind() != have.kind() && !forward) {
                throw new BpfException("loading object '" + object + "': typed ksym '" + e.name() + "' is a "
                        + describe(want) + " in the object but a " + describe(have) + " in the kernel");
            }
        }
        return id;
    }

    private static String describe(BtfType t) {
        return t.kind().name().toLowerCase(java.util.Locale.ROOT) + (t.name().isEmpty() ? "" : " '" + t.name() + "'");
    }

    private void searchModules(List<Externs.Extern> rest) {
        List<String> modules = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(SYS_BTF)) {
            for (Path p : dir) {
                String m = p.getFileName().toString();
                if (!m.equals("vmlinux")) {
                    modules.add(m);
                }
            }
        } catch (IOException e) {
            return; // no module BTF to search
        }
        modules.sort(null);
        for (String m : modules) {
            if (rest.isEmpty()) {
                return;
            }
            try (Btf btf = Btf.loadModule(m)) {
                List<Externs.Extern> found = new ArrayList<>();
                for (Externs.Extern e : rest) {
                    int id = find(btf, e);
                    if (id > 0) {
                        LoadedBtf obj = moduleObject(m);
                        int index = 0;
                        if (e.kind() == Externs.Kind.KFUNC) {
                            if (fdArray.isEmpty()) {
                                fdArray.add(0);
                            }
                            index = fdArray.indexOf(obj.fd());
                            if (index < 0) {
                                index = fdArray.size();
                                fdArray.add(obj.fd());
                            }
                        }
                        resolved.put(e.name(), new Resolved(true, 0, id, obj.fd(), index));
                        found.add(e);
                    }
                }
                rest.removeAll(found);
            }
        }
    }

    /** The kernel's BTF object of a module, opened once per load. */
    private LoadedBtf moduleObject(String module) {
        for (LoadedBtf b : moduleBtfs) {
            if (b.info().name().equals(module)) {
                return b;
            }
        }
        for (int id : LoadedBtf.ids()) {
            LoadedBtf b;
            try {
                b = LoadedBtf.fromId(id);
            } catch (BpfException gone) {
                continue; // unloaded meanwhile
            }
            LoadedBtf.Info info;
            try {
                info = b.info();
            } catch (RuntimeException e) {
                throw Closing.closeAllAfter(e, b);
            }
            if (info.kernel() && info.name().equals(module)) {
                moduleBtfs.add(b);
                return b;
            }
            b.close();
        }
        throw new BpfException("loading object '" + object + "': module '" + module + "' has BTF in " + SYS_BTF
                + " but no kernel BTF object by that name");
    }

    // ---- instructions ----

    /** Rewrites the instruction that refers to extern {@code x} (an ld_imm64, or a kfunc call). */
    void apply(List<Instruction> slots, Reloc.Extern x, int kconfigMapFd, String program) {
        Externs.Extern e = extern(x.name());
        Resolved r = resolved.getOrDefault(e.name(), Resolved.MISSING);
        Instruction insn = slots.get(x.insn());
        if (x.call()) {
            if (e.kind() != Externs.Kind.KFUNC) {
                throw new BpfException("loading object '" + object + "': program '" + program + "' calls '"
                        + e.name() + "', which is a variable, not a kfunc");
            }
            if (r.set()) {
                slots.set(x.insn(), insn.withSrc(PSEUDO_KFUNC_CALL).withImm(r.btfId()).withOffset(r.fdIndex()));
            } else {
                int callOpcode = io.ebpf4j.asm.OpClass.JMP.code() | io.ebpf4j.asm.JmpOp.CALL.code()
                        | io.ebpf4j.asm.Source.K.code();
                slots.set(x.insn(), Instruction.of(callOpcode, io.ebpf4j.asm.Register.R0, io.ebpf4j.asm.Register.R0, 0,
                        POISON_KFUNC_BASE + externs.indexOf(e)));
            }
            return;
        }
        if (!insn.isLdImm64()) {
            throw new BpfException("loading object '" + object + "': program '" + program + "' refers to extern '"
                    + e.name() + "' from an instruction that is no 64-bit load");
        }
        switch (e.kind()) {
            case KCONFIG -> slots.set(x.insn(), insn.withSrc(BpfObject.PSEUDO_MAP_VALUE)
                    .withImm((long) e.offset() << 32 | kconfigMapFd & 0xffff_ffffL));
            case KSYM, KFUNC -> {
                if (r.set() && r.btfId() != 0) {
                    slots.set(x.insn(), insn.withSrc(PSEUDO_BTF_ID)
                            .withImm((long) r.btfObjFd() << 32 | r.btfId() & 0xffff_ffffL));
                } else {
                    // A typeless ksym's address, or zero for a missing weak one.
                    slots.set(x.insn(), insn.withSrc(0).withImm(r.address()));
                }
            }
        }
    }

    private Externs.Extern extern(String name) {
        for (Externs.Extern e : externs) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        throw new BpfException("loading object '" + object + "': extern '" + name + "' is referenced but was not "
                + "collected");
    }

    private static final java.util.regex.Pattern NO_ADDRESS =
            java.util.regex.Pattern.compile("failed to find the address for kernel symbol '([^']+)'");

    /**
     * Why the kernel could not place a typed ksym, when its log says so (else empty): it looks the variable's
     * address up in kallsyms, which lists variables only when the kernel has CONFIG_KALLSYMS_ALL.
     */
    static String explain(String log) {
        java.util.regex.Matcher m = NO_ADDRESS.matcher(log);
        if (!m.find()) {
            return "";
        }
        return "the kernel could not find the address of '" + m.group(1) + "' in kallsyms (a kernel without "
                + "CONFIG_KALLSYMS_ALL lists no variables)\n";
    }

    /** The missing weak kfunc a verifier log's {@code unknown#N} call names, or null. */
    static String poisonedKfunc(String log, List<Externs.Extern> externs) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("unknown#(\\d+)").matcher(log);
        while (m.find()) {
            long n = Long.parseLong(m.group(1)) - POISON_KFUNC_BASE;
            if (n >= 0 && n < externs.size()) {
                return externs.get((int) n).name();
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            Closing.closeAll(moduleBtfs);
        } finally {
            moduleBtfs.clear();
        }
    }
}
