package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.asm.Disassembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.object.Linker;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.object.ProgramDef;
import io.ebpf4j.object.Reloc;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** {@code ebpf4j prog dump}: the instructions of a loaded program, or of a program in an object file. */
@Command(name = "dump", description = "Disassemble a program: as the kernel translated it, or from an object file.")
final class ProgDumpCommand {
    private static final Disassembler DISASSEMBLER = Disassembler.DEFAULT.withHelperNames(Helpers::name);
    private static final HexFormat HEX = HexFormat.of();

    @Spec
    CommandSpec spec;

    @Command(name = "xlated", description = "The instructions of a loaded program as the kernel translated them "
            + "(needs CAP_SYS_ADMIN).")
    int xlated(@Parameters(arity = "2", paramLabel = "PROG", description = "id ID | pinned FILE") List<String> words)
            throws IOException {
        Selector sel = Selector.parse(spec.subcommands().get("xlated").getCommandSpec(), words,
                EnumSet.of(Selector.Kind.ID, Selector.Kind.PINNED));
        Output out = Output.of(spec);
        List<Instruction> insns;
        try (Program p = ProgCommand.open(sel)) {
            ProgramInfo info = p.infoWithInstructions();
            if (info.xlated() == null || info.xlated().length == 0) {
                // The kernel hides the instructions from those who may not see kernel addresses.
                throw new BpfException("the kernel gave no translated instructions for program " + info.id()
                        + " (" + info.xlatedLength() + " bytes): reading them needs CAP_SYS_ADMIN");
            }
            insns = Instruction.decode(info.xlated());
        }
        write(out, insns, true);
        return 0;
    }

    @Command(name = "file", description = "The instructions of a program in an object file as ebpf4j links it "
            + "(subprograms appended, map references not yet resolved); every program when none is named.")
    int file(@Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file.") Path file,
             @Parameters(index = "1", arity = "0..1", paramLabel = "PROGRAM", description = "A program's name.")
             String program) throws IOException {
        ObjectSpec o = ObjectSpec.read(file);
        List<ProgramDef> programs = program == null ? List.copyOf(o.programs().values())
                : List.of(o.program(program).orElseThrow(() -> new BpfException("object '" + o.name()
                        + "' has no program '" + program + "'; it has " + o.programs().keySet())));
        // Linked before anything is written, so that a failure prints only the error.
        List<Linker.Linked> linked = programs.stream().map(p -> o.link(p.name())).toList();
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartArray();
                for (int i = 0; i < programs.size(); i++) {
                    ProgramDef p = programs.get(i);
                    g.writeStartObject();
                    g.writeStringField("name", p.name());
                    g.writeStringField("type", p.type().displayName());
                    g.writeStringField("section", p.section());
                    g.writeArrayFieldStart("insns");
                    writeInsns(g, linked.get(i).instructions(), false, notes(linked.get(i)));
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        } else {
            PrintWriter w = out.text();
            for (int i = 0; i < programs.size(); i++) {
                ProgramDef p = programs.get(i);
                if (i > 0) {
                    w.println();
                }
                w.println(p.name() + " (" + p.type().displayName() + ", section " + p.section() + "):");
                printInsns(w, linked.get(i).instructions(), false, notes(linked.get(i)));
            }
            w.flush();
        }
        return 0;
    }

    private static void write(Output out, List<Instruction> insns, boolean xlated) {
        if (out.json()) {
            out.json(g -> {
                g.writeStartArray();
                writeInsns(g, insns, xlated, Map.of());
                g.writeEndArray();
            });
        } else {
            printInsns(out.text(), insns, xlated, Map.of());
            out.text().flush();
        }
    }

    /**
     * What the loader will put in the instructions that still refer to something by name (maps, global data,
     * externs), by slot: the disassembly alone shows them as {@code r1 = 0x0 ll}.
     */
    private static Map<Integer, String> notes(Linker.Linked linked) {
        Map<Integer, String> notes = new HashMap<>();
        for (Reloc r : linked.relocations()) {
            String note = switch (r) {
                case Reloc.MapRef m -> "map " + m.map();
                case Reloc.MapValue v -> "map " + v.map() + " + " + v.offset();
                case Reloc.Extern x -> (x.call() ? "kfunc " : "extern ") + x.name();
                case Reloc.FuncAddr f -> "function at " + f.target();
                case Reloc.Call c -> null;
            };
            if (note != null) {
                notes.put(r.insn(), note);
            }
        }
        return notes;
    }

    /**
     * An instruction's text. In translated programs the kernel has put map ids where the loader put map file
     * descriptors, so a map reference is labelled as an id there, as bpftool does.
     */
    private static String text(Instruction insn, boolean xlated) {
        String text = DISASSEMBLER.format(insn);
        return xlated && insn.isLdImm64() ? text.replace("map[fd:", "map[id:") : text;
    }

    /** One line per instruction, as bpftool prints them: the slot index, the opcode in hex, the text. */
    private static void printInsns(PrintWriter w, List<Instruction> insns, boolean xlated,
                                   Map<Integer, String> notes) {
        int slot = 0;
        for (Instruction insn : insns) {
            String note = notes.get(slot);
            w.printf("%4d: (%02x) %s%s%n", slot, insn.opcode(), text(insn, xlated), note == null ? "" : "\t; " + note);
            slot += insn.slots();
        }
    }

    /** One object per instruction: its slot index, text and encoding (16 bytes for a 64-bit immediate load). */
    private static void writeInsns(JsonGenerator g, List<Instruction> insns, boolean xlated,
                                   Map<Integer, String> notes) throws IOException {
        int slot = 0;
        for (Instruction insn : insns) {
            g.writeStartObject();
            g.writeNumberField("insn", slot);
            g.writeStringField("text", text(insn, xlated));
            g.writeStringField("bytes", HEX.formatHex(insn.encode()));
            if (notes.containsKey(slot)) {
                g.writeStringField("reloc", notes.get(slot));
            }
            g.writeEndObject();
            slot += insn.slots();
        }
    }
}
