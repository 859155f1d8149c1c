package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Where a BTF-attached program hooks: the BTF type id the kernel wants in PROG_LOAD's {@code attach_btf_id}
 * (and, for a module, the BTF object that holds it). The names follow libbpf's conventions: {@code tp_btf/X}
 * is the typedef {@code btf_trace_X}, {@code iter/X} the function {@code bpf_iter_X}, {@code lsm/X} the function
 * {@code bpf_lsm_X}, {@code fentry/X}, {@code fexit/X} and {@code fmod_ret/X} the function {@code X}; kernel
 * BTF is searched first, then each loaded module's.
 */
public final class AttachTargets {
    private AttachTargets() {
    }

    private static final Path SYSFS_BTF = Path.of("/sys/kernel/btf");

    /**
     * A resolved target.
     *
     * @param btfId      the type id inside {@code module}'s BTF (split ids for modules)
     * @param module     "vmlinux" or the module's name
     * @param btfObjId   the kernel's id of the module's BTF object (0 for vmlinux, which needs none)
     * @param btfName    the BTF name that was looked up ({@code btf_trace_sys_enter}...)
     */
    public record Target(int btfId, String module, int btfObjId, String btfName) {
        public boolean inModule() {
            return !module.equals("vmlinux");
        }
    }

    /** How a program kind names its target in kernel BTF. */
    public record Naming(String prefix, BtfKind kind) {
        public String btfName(String target) {
            return prefix + target;
        }
    }

    /** The naming rule for a program type and expected attach type, or null when the type has no BTF target. */
    public static Naming naming(ProgramType type, AttachType attachType) {
        if (type == ProgramType.LSM) {
            return new Naming("bpf_lsm_", BtfKind.FUNC);
        }
        if (type != ProgramType.TRACING || attachType == null) {
            return null;
        }
        return switch (attachType) {
            case TRACE_RAW_TP -> new Naming("btf_trace_", BtfKind.TYPEDEF);
            case TRACE_ITER -> new Naming("bpf_iter_", BtfKind.FUNC);
            case TRACE_FENTRY, TRACE_FEXIT, MODIFY_RETURN -> new Naming("", BtfKind.FUNC);
            default -> null;
        };
    }

    /** Resolves {@code target} (the part after {@code tp_btf/}, {@code fentry/}...) for a program kind. */
    public static Target resolve(ProgramType type, AttachType attachType, String target) {
        Naming n = naming(type, attachType);
        if (n == null) {
            throw new IllegalArgumentException("program type " + type.displayName()
                    + (attachType == null ? "" : " with attach type " + attachType.displayName())
                    + " is not attached through a kernel BTF id");
        }
        if (target == null || target.isEmpty()) {
            throw new BpfException("a " + type.displayName() + " program needs a target name (e.g. SEC(\""
                    + sectionHint(attachType, type) + "/<name>\")), or set one with ProgramDef.attachTarget");
        }
        String name = n.btfName(target);
        Btf vmlinux = Btf.loadKernel();
        OptionalInt id = vmlinux.find(name, n.kind());
        if (id.isPresent()) {
            return new Target(id.getAsInt(), "vmlinux", 0, name);
        }
        for (String module : modules()) {
            try (Btf m = Btf.loadModule(module)) {
                OptionalInt mid = m.find(name, n.kind());
                if (mid.isPresent()) {
                    return new Target(mid.getAsInt(), module, moduleBtfObjectId(module), name);
                }
            }
        }
        throw new BpfException("no " + n.kind().name().toLowerCase(java.util.Locale.ROOT) + " '" + name
                + "' in the kernel's BTF or any module's: the " + sectionHint(attachType, type) + " target '"
                + target + "' does not exist in this kernel (check the spelling against /sys/kernel/btf/vmlinux)");
    }

    private static String sectionHint(AttachType a, ProgramType t) {
        if (t == ProgramType.LSM) {
            return "lsm";
        }
        if (a == null) {
            return t.displayName();
        }
        return switch (a) {
            case TRACE_RAW_TP -> "tp_btf";
            case TRACE_ITER -> "iter";
            case TRACE_FENTRY -> "fentry";
            case TRACE_FEXIT -> "fexit";
            case MODIFY_RETURN -> "fmod_ret";
            default -> a.displayName();
        };
    }

    private static List<String> modules() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(SYSFS_BTF)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("vmlinux")).sorted().forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    /** The id of the kernel BTF object named {@code module} (the fd for attach_btf_obj_fd is opened from it). */
    private static int moduleBtfObjectId(String module) {
        for (int id : LoadedBtf.ids()) {
            try (LoadedBtf b = LoadedBtf.fromId(id)) {
                LoadedBtf.Info info = b.info();
                if (info.kernel() && info.name().equals(module)) {
                    return id;
                }
            } catch (io.ebpf4j.SyscallException gone) {
                // freed while we looked: not the one
            }
        }
        throw new BpfException("module " + module + " has BTF in " + SYSFS_BTF + " but no kernel BTF object");
    }

    /**
     * The BTF id of function {@code function} in the BTF of a loaded program (the target of a freplace program):
     * the program must have been loaded with BTF ({@code -g}).
     */
    public static int programFunction(Program target, String function) {
        int btfId = target.info().btfId();
        if (btfId == 0) {
            throw new BpfException("program '" + target.name() + "' was loaded without BTF, so its function '"
                    + function + "' cannot be replaced: build it with -g");
        }
        byte[] raw;
        try (LoadedBtf b = LoadedBtf.fromId(btfId)) {
            raw = b.bytes();
        }
        Btf btf = Btf.parse(raw);
        return btf.find(function, BtfKind.FUNC).orElseThrow(() -> new BpfException("program '" + target.name()
                + "' has no function '" + function + "' in its BTF (a static function the compiler inlined has none)"));
    }
}
