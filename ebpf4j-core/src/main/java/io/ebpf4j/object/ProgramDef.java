package io.ebpf4j.object;

import io.ebpf4j.asm.Instruction;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;

import java.util.List;
import java.util.Objects;

/**
 * An entry program of an object file: its function's instructions, what they refer to, and how its section
 * name says to load it. Editable before load: type, expected attach type, flags, autoload, log level.
 */
public final class ProgramDef {
    private final String name;
    private final String section;
    private final SectionDefs.Match match;
    private final List<Instruction> instructions;
    private final List<Reloc> relocations;
    private final int sectionOffset;
    private ProgramType type;
    private AttachType expectedAttachType;
    private int flags;
    private boolean autoload;
    private int logLevel;
    private String attachTarget;
    private io.ebpf4j.program.Program freplaceTarget;

    ProgramDef(String name, String section, SectionDefs.Match match, List<Instruction> instructions,
               List<Reloc> relocations, int sectionOffset) {
        this.name = Objects.requireNonNull(name);
        this.section = section;
        this.match = match;
        this.instructions = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(instructions));
        this.relocations = List.copyOf(relocations);
        this.sectionOffset = sectionOffset;
        this.type = match.def().type();
        this.expectedAttachType = match.def().attachType();
        this.autoload = match.autoload();
        int f = 0;
        if (match.def().has(SectionDef.SLEEPABLE)) {
            f |= io.ebpf4j.program.ProgramSpec.F_SLEEPABLE;
        }
        if (match.def().has(SectionDef.XDP_FRAGS)) {
            f |= io.ebpf4j.program.ProgramSpec.F_XDP_HAS_FRAGS;
        }
        this.flags = f;
    }

    /** The function's name: the program's name. */
    public String name() {
        return name;
    }

    /** The ELF section, as written ({@code ?} included). */
    public String section() {
        return section;
    }

    /** The section-table row and the target named after the section's prefix (e.g. a tracepoint). */
    public SectionDefs.Match match() {
        return match;
    }

    /** The program's own instructions, before subprograms are appended. */
    public List<Instruction> instructions() {
        return instructions.stream().filter(java.util.Objects::nonNull).toList();
    }

    /** The instructions by slot: an ld_imm64's second slot is null. Relocations index this list. */
    List<Instruction> slots() {
        return instructions;
    }

    /** What the instructions refer to (slot indices into {@link #instructions()}). */
    public List<Reloc> relocations() {
        return relocations;
    }

    /** The function's first slot within its section. */
    public int sectionOffset() {
        return sectionOffset;
    }

    public ProgramType type() {
        return type;
    }

    public ProgramDef type(ProgramType t) {
        this.type = Objects.requireNonNull(t);
        return this;
    }

    public AttachType expectedAttachType() {
        return expectedAttachType;
    }

    public ProgramDef expectedAttachType(AttachType t) {
        this.expectedAttachType = t;
        return this;
    }

    /** {@code BPF_F_*} load flags (sleepable and XDP frags come from the section name). */
    public int flags() {
        return flags;
    }

    public ProgramDef flags(int f) {
        this.flags = f;
        return this;
    }

    /** Whether {@code load} loads this program ({@code SEC("?...")} starts out false). */
    public boolean autoload() {
        return autoload;
    }

    public ProgramDef autoload(boolean a) {
        this.autoload = a;
        return this;
    }

    public int logLevel() {
        return logLevel;
    }

    public ProgramDef logLevel(int level) {
        this.logLevel = level;
        return this;
    }

    /**
     * The attach target: the one set with {@link #attachTarget(String)}, else what the section names after its
     * prefix ({@code sys_enter} in {@code tp_btf/sys_enter}); "" when neither says.
     */
    public String attachTarget() {
        return attachTarget != null ? attachTarget : match.target();
    }

    /**
     * Sets the attach target for sections that name none or another one (libbpf's
     * {@code bpf_program__set_attach_target}): a tracepoint, kernel function, iterator... as the section would.
     */
    public ProgramDef attachTarget(String target) {
        this.attachTarget = Objects.requireNonNull(target);
        return this;
    }

    /** The loaded program whose function a freplace program replaces, or null. */
    public io.ebpf4j.program.Program freplaceTarget() {
        return freplaceTarget;
    }

    /**
     * For {@code SEC("freplace/<function>")}: the loaded program that holds {@code <function>} (it must carry
     * BTF). The function name comes from {@link #attachTarget()}.
     */
    public ProgramDef freplaceTarget(io.ebpf4j.program.Program target) {
        this.freplaceTarget = Objects.requireNonNull(target);
        return this;
    }

    @Override
    public String toString() {
        return "ProgramDef[" + name + " in " + section + ", " + type.displayName() + ", " + instructions.size() + " slots]";
    }
}
