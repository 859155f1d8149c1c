package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.VerifierException;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.BtfExt;
import io.ebpf4j.btf.core.CoreRelocation;
import io.ebpf4j.btf.core.CoreRelocator;
import io.ebpf4j.btf.core.CoreTarget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The loader's CO-RE step: applies an object's {@code .BTF.ext} CO-RE records to a linked program. The records
 * give byte offsets within ELF sections; the entry function's are shifted to its start in its section, and
 * those of {@code .text} go to wherever the linker appended the subprogram that holds them (a subprogram
 * appended to two programs is relocated in each).
 */
public final class CoreRelocations {
    private CoreRelocations() {
    }

    /** A program's instructions after CO-RE relocation, and what each relocation did. */
    public record Relocated(List<Instruction> instructions, List<CoreRelocation> relocations) {
        public Relocated {
            instructions = List.copyOf(instructions);
            relocations = List.copyOf(relocations);
        }

        /** The instruction starting at slot {@code slot} (relocations name slots; an ld_imm64 takes two). */
        public Instruction instructionAt(int slot) {
            int at = 0;
            for (Instruction i : instructions) {
                if (at == slot) {
                    return i;
                }
                at += i.slots();
            }
            throw new IndexOutOfBoundsException("no instruction starts at slot " + slot + " of the "
                    + at + "-slot program");
        }

        /** The relocations that were poisoned (the target had no answer). */
        public List<CoreRelocation> poisoned() {
            return relocations.stream().filter(CoreRelocation::poisoned).toList();
        }
    }

    /**
     * Links and CO-RE-relocates one program of {@code spec} against {@code target} without loading anything:
     * what {@link BpfObject#load} would give the kernel (before map fds are filled in).
     */
    public static Relocated apply(ObjectSpec spec, String program, CoreTarget target) {
        ProgramDef def = spec.program(program).orElseThrow(() -> new BpfException("object '" + spec.name()
                + "' has no program '" + program + "'; it has " + spec.programs().keySet()));
        Linker.Linked linked = spec.link(program);
        List<Instruction> slots = new ArrayList<>(linked.slots());
        List<CoreRelocation> done = apply(spec, def, linked, slots, target);
        List<Instruction> code = new ArrayList<>();
        for (Instruction i : slots) {
            if (i != null) {
                code.add(i);
            }
        }
        return new Relocated(code, done);
    }

    /** Whether any section of the object has CO-RE records (only then is a target needed). */
    static boolean any(ObjectSpec spec) {
        BtfExt ext = spec.btfExt();
        return ext != null && spec.btf() != null && ext.coreRelos().values().stream().anyMatch(l -> !l.isEmpty());
    }

    /** Relocates {@code slots}, the slot list of {@code linked}, in place. */
    static List<CoreRelocation> apply(ObjectSpec spec, ProgramDef def, Linker.Linked linked, List<Instruction> slots,
                                      CoreTarget target) {
        if (!any(spec)) {
            return List.of();
        }
        List<CoreRelocator.Site> sites = new ArrayList<>();
        BtfExt ext = spec.btfExt();
        addSites(sites, ext.coreRelos(def.section()), def.sectionOffset(), def.slots().size(), 0);
        Map<String, ObjectSpec.Subprogram> byName = new java.util.HashMap<>();
        for (ObjectSpec.Subprogram s : spec.subprograms().byStart().values()) {
            byName.put(s.name(), s);
        }
        // The linker appends each reached subprogram once, in this order, after the entry function.
        int at = def.slots().size();
        for (String name : linked.subprograms()) {
            ObjectSpec.Subprogram sub = byName.get(name);
            addSites(sites, ext.coreRelos(ObjectReader.TEXT), sub.start(), sub.slots(), at);
            at += sub.slots();
        }
        if (sites.isEmpty()) {
            return List.of();
        }
        if (target == null) {
            throw new IllegalStateException("program '" + def.name() + "' has CO-RE relocations but no target BTF");
        }
        return CoreRelocator.relocate(def.name(), spec.btf(), slots, sites, target);
    }

    private static void addSites(List<CoreRelocator.Site> out, List<BtfExt.CoreRelo> relos, int start, int slots, int to) {
        for (BtfExt.CoreRelo r : relos) {
            int slot = r.insnOff() / Instruction.SLOT_SIZE;
            if (slot >= start && slot < start + slots) {
                out.add(new CoreRelocator.Site(to + slot - start, r));
            }
        }
    }

    /**
     * When the verifier stopped at a poisoned instruction, the line that says which relocation it was, in
     * source terms, and what to do; empty otherwise.
     */
    static Optional<String> explain(VerifierException e, List<CoreRelocation> relocations) {
        if (relocations.isEmpty() || !e.log().contains("unknown#" + CoreRelocator.POISON_HELPER)) {
            return Optional.empty();
        }
        Optional<CoreRelocation> r = e.failingInstruction().stream().boxed()
                .flatMap(i -> CoreRelocator.poisonedAt(relocations, i).stream()).findFirst();
        if (r.isEmpty()) {
            r = relocations.stream().filter(CoreRelocation::poisoned).findFirst();
        }
        return r.map(c -> "the verifier reached the instruction of an unresolved CO-RE relocation: " + c.describe()
                + ": " + c.reason() + "; guard the access with bpf_core_field_exists()/bpf_core_type_exists() "
                + "(or check the target BTF)");
    }
}
