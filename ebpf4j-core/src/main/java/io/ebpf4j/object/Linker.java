package io.ebpf4j.object;

import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.asm.Instruction;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Links an entry program with the {@code .text} subprograms it reaches, as libbpf does: each subprogram is
 * appended once, at the end, the first time a call (or callback address) reaches it, and its own calls are
 * followed at once (depth first). Call and function-address immediates are rewritten to the appended copies;
 * map and data references stay symbolic for the loader.
 */
public final class Linker {
    private Linker() {
    }

    /**
     * An entry program ready for the loader: slot-indexed instructions (an ld_imm64's second slot is null) and the
     * relocations left for load time (maps, global data, externs), by slot.
     */
    public record Linked(String name, List<Instruction> slots, List<Reloc> relocations, List<String> subprograms,
                         List<FuncInfo> funcInfo, List<LineInfo> lineInfo) {
        /** The instructions without the second-slot placeholders. */
        public List<Instruction> instructions() {
            List<Instruction> out = new ArrayList<>(slots.size());
            for (Instruction i : slots) {
                if (i != null) {
                    out.add(i);
                }
            }
            return out;
        }
    }

    /** A function of the linked program: its first slot and its BTF FUNC type id. */
    public record FuncInfo(int insn, int typeId) {
    }

    /** A source line of the linked program: the slot it starts at and the {@code .BTF.ext} record. */
    public record LineInfo(int insn, io.ebpf4j.btf.BtfExt.LineInfo source) {
    }

    static Linked link(ProgramDef program, ObjectSpec.Subprograms subprograms, io.ebpf4j.btf.BtfExt ext) {
        Run run = new Run(program.name(), subprograms);
        run.out.addAll(program.slots());
        run.process(program.slots().size(), 0, program.relocations());
        return new Linked(program.name(), run.out, run.pending, run.order, funcInfo(program, run.appended, ext),
                lineInfo(program, subprograms, run.appended, ext));
    }

    /**
     * The line info of the linked program, rebased as func info is: the entry's lines from its section, and each
     * appended subprogram's lines from .text moved with it (the kernel wants instruction indices, sorted).
     */
    private static List<LineInfo> lineInfo(ProgramDef program, ObjectSpec.Subprograms subprograms,
                                           Map<Integer, Integer> appended, io.ebpf4j.btf.BtfExt ext) {
        List<LineInfo> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        int start = program.sectionOffset();
        int end = start + program.slots().size();
        for (io.ebpf4j.btf.BtfExt.LineInfo li : ext.lineInfos(program.section())) {
            int slot = li.insnOff() / Instruction.SLOT_SIZE;
            if (slot >= start && slot < end) {
                out.add(new LineInfo(slot - start, li));
            }
        }
        if (!appended.isEmpty()) {
            for (io.ebpf4j.btf.BtfExt.LineInfo li : ext.lineInfos(ObjectReader.TEXT)) {
                int slot = li.insnOff() / Instruction.SLOT_SIZE;
                ObjectSpec.Subprogram sub = subprograms.containing(slot);
                Integer where = sub == null ? null : appended.get(sub.start());
                if (where != null) {
                    out.add(new LineInfo(where + slot - sub.start(), li));
                }
            }
        }
        out.sort(java.util.Comparator.comparingInt(LineInfo::insn));
        return out;
    }

    /**
     * The func info of the linked program: the entry function's record from its section, and each appended
     * subprogram's record from .text moved to where it was appended (.BTF.ext offsets are bytes; the kernel
     * wants instruction indices).
     */
    private static List<FuncInfo> funcInfo(ProgramDef program, Map<Integer, Integer> appended, io.ebpf4j.btf.BtfExt ext) {
        List<FuncInfo> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        int start = program.sectionOffset();
        int end = start + program.slots().size();
        for (io.ebpf4j.btf.BtfExt.FuncInfo fi : ext.funcInfos(program.section())) {
            int slot = fi.insnOff() / Instruction.SLOT_SIZE;
            if (slot >= start && slot < end) {
                out.add(new FuncInfo(slot - start, fi.typeId()));
            }
        }
        for (io.ebpf4j.btf.BtfExt.FuncInfo fi : ext.funcInfos(ObjectReader.TEXT)) {
            Integer where = appended.get(fi.insnOff() / Instruction.SLOT_SIZE);
            if (where != null) {
                out.add(new FuncInfo(where, fi.typeId()));
            }
        }
        out.sort(java.util.Comparator.comparingInt(FuncInfo::insn));
        return out;
    }

    private static final class Run {
        final String program;
        final ObjectSpec.Subprograms subprograms;
        final List<Instruction> out = new ArrayList<>();
        final List<Reloc> pending = new ArrayList<>();
        /** Subprogram start (slot in .text) → where it was appended. */
        final Map<Integer, Integer> appended = new HashMap<>();
        final List<String> order = new ArrayList<>();

        Run(String program, ObjectSpec.Subprograms subprograms) {
            this.program = program;
            this.subprograms = subprograms;
        }

        /** Relocates the code at {@code base} (of {@code slots} slots) whose relocations are {@code relocs}. */
        void process(int slots, int base, List<Reloc> relocs) {
            for (Reloc r : relocs) {
                switch (r) {
                    case Reloc.Call c -> out.set(base + c.insn(), out.get(base + c.insn())
                            .withImm(target(c.target(), base + c.insn())));
                    case Reloc.FuncAddr f -> {
                        Instruction ld = out.get(base + f.insn());
                        // Only the first slot's immediate is the offset; the second stays zero.
                        out.set(base + f.insn(), ld.withSrc(ObjectReader.PSEUDO_FUNC)
                                .withImm(target(f.target(), base + f.insn()) & 0xffff_ffffL));
                    }
                    default -> pending.add(r.at(base + r.insn()));
                }
            }
            assert slots >= 0;
        }

        /** The pc-relative immediate from {@code at} to subprogram start {@code target}, appending it if new. */
        private int target(int target, int at) {
            ObjectSpec.Subprogram sub = subprograms.byStart().get(target);
            if (sub == null) {
                ObjectSpec.Subprogram holder = subprograms.containing(target);
                throw new ObjectFormatException(".text", -1, "program '" + program + "' calls .text instruction "
                        + target + (holder == null ? ", where no function starts"
                        : ", inside function '" + holder.name() + "' rather than at its start"));
            }
            Integer where = appended.get(target);
            if (where == null) {
                where = out.size();
                appended.put(target, where);
                order.add(sub.name());
                out.addAll(sub.instructions());
                process(sub.slots(), where, sub.relocations());
            }
            return where - at - 1;
        }
    }
}
