package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfCDump;
import io.ebpf4j.btf.BtfRawFormat;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/** {@code ebpf4j btf}: the kernel's BTF objects, listed and dumped as {@code bpftool btf} does. */
@Command(name = "btf", description = "Inspect BTF (without a subcommand: list the kernel's BTF objects).")
final class BtfCommand implements Callable<Integer> {
    /** Where the kernel exposes its own BTF and that of its modules. */
    private static final Path SYSFS_BTF = Path.of("/sys/kernel/btf");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return list();
    }

    @Command(name = "list", aliases = "show", description = "List the BTF objects the kernel holds.")
    int list() throws IOException {
        Output out = Output.of(spec);
        // Which programs and maps use each BTF object, as bpftool lists them.
        Map<Integer, List<Integer>> progIds = users(Program.ids(), BtfCommand::programBtf);
        Map<Integer, List<Integer>> mapIds = users(BpfMap.ids(), BtfCommand::mapBtf);
        List<LoadedBtf.Info> infos = new ArrayList<>();
        for (int id : LoadedBtf.ids()) {
            try (LoadedBtf b = openIfPresent(id)) {
                if (b != null) {
                    infos.add(b.info());
                }
            }
        }
        if (out.json()) {
            out.json(g -> {
                g.writeStartArray();
                for (LoadedBtf.Info i : infos) {
                    g.writeStartObject();
                    g.writeNumberField("id", i.id());
                    g.writeNumberField("size", Integer.toUnsignedLong(i.size()));
                    writeIds(g, "prog_ids", progIds.getOrDefault(i.id(), List.of()));
                    writeIds(g, "map_ids", mapIds.getOrDefault(i.id(), List.of()));
                    g.writeBooleanField("kernel", i.kernel());
                    if (!i.name().isEmpty()) {
                        g.writeStringField("name", i.name());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        } else {
            PrintWriter w = out.text();
            for (LoadedBtf.Info i : infos) {
                StringBuilder sb = new StringBuilder();
                sb.append(i.id()).append(": name ")
                        .append(i.kernel() ? "[" + i.name() + "]" : i.name().isEmpty() ? "<anon>" : i.name())
                        .append("  size ").append(Integer.toUnsignedString(i.size())).append('B');
                appendIds(sb, "  prog_ids ", progIds.get(i.id()));
                appendIds(sb, "  map_ids ", mapIds.get(i.id()));
                w.println(sb);
            }
        }
        out.text().flush();
        return 0;
    }

    @Command(name = "dump", description = "Print the types of a BTF file or of a BTF object of the kernel.")
    int dump(@Parameters(arity = "2..4", paramLabel = "(file PATH | id ID) [format raw|c]", hideParamSyntax = true,
            description = "The BTF: a file, or an object of the kernel by id; format raw (the default) lists "
                    + "the types, format c writes them as a C header (a vmlinux.h).")
             List<String> words) throws IOException {
        CommandSpec sub = spec.subcommands().get("dump").getCommandSpec();
        if (words.size() == 3) {
            throw new CommandLine.ParameterException(sub.commandLine(), "expected 'format raw|c' after the BTF, got '"
                    + words.get(2) + "'");
        }
        boolean c = false;
        if (words.size() == 4) {
            if (!words.get(2).equals("format")) {
                throw new CommandLine.ParameterException(sub.commandLine(), "expected 'format', got '"
                        + words.get(2) + "'");
            }
            switch (words.get(3)) {
                case "raw" -> {
                }
                case "c" -> c = true;
                default -> throw new CommandLine.ParameterException(sub.commandLine(), "expected format raw or c, got '"
                        + words.get(3) + "'");
            }
        }
        String what = words.get(1);
        Output out = Output.of(spec);
        if (c && out.json()) {
            throw new CommandLine.ParameterException(sub.commandLine(), "format c is C text: it has no JSON form (drop -j)");
        }
        try (Btf btf = switch (words.get(0)) {
            case "file" -> openFile(Path.of(what));
            case "id" -> {
                if (!(what.matches("[0-9]{1,10}") && Long.parseLong(what) < Integer.MAX_VALUE)) {
                    throw new CommandLine.ParameterException(sub.commandLine(), "'" + what + "' is not an id");
                }
                yield fromId(Integer.parseInt(what));
            }
            default -> throw new CommandLine.ParameterException(sub.commandLine(),
                    "expected file PATH | id ID, got '" + words.get(0) + "'");
        }) {
            if (c) {
                BtfCDump.writeHeader(btf, out.text());
            } else if (out.json()) {
                out.json(g -> {
                    g.writeStartArray();
                    for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
                        writeJson(g, btf, id);
                    }
                    g.writeEndArray();
                });
            } else {
                BtfRawFormat.write(btf, out.text());
            }
        }
        out.text().flush();
        return 0;
    }

    /**
     * A BTF file; a module's BTF under {@code /sys/kernel/btf} is split BTF on the kernel's; an ELF file (a BPF
     * object) gives its {@code .BTF} section.
     */
    private static Btf openFile(Path file) throws IOException {
        if (isElf(file)) {
            try (ElfFile elf = ElfFile.open(file)) {
                byte[] btf = elf.section(".BTF").orElseThrow(() -> new BpfException(file
                        + " is an ELF file without a .BTF section: build it with -g")).bytes();
                return Btf.parse(btf);
            }
        }
        Path abs = file.toAbsolutePath().normalize();
        if (abs.getParent() != null && abs.getParent().equals(SYSFS_BTF) && !abs.getFileName().toString().equals("vmlinux")) {
            return Btf.open(file, Btf.loadKernel());
        }
        return Btf.open(file);
    }

    private static boolean isElf(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        }
    }

    /** The BTF the kernel holds under this id; a module's is split BTF on the kernel's. */
    static Btf fromId(int id) {
        try (LoadedBtf b = LoadedBtf.fromId(id)) {
            LoadedBtf.Info info = b.info();
            byte[] bytes = b.bytes();
            return Btf.parse(bytes, info.kernel() && !info.name().equals("vmlinux") ? Btf.loadKernel() : null);
        }
    }

    private static LoadedBtf openIfPresent(int id) {
        try {
            return LoadedBtf.fromId(id);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    // ---- which programs and maps use a BTF object

    /** Maps each BTF id to the ids of the objects using it; {@code btfOf} gives 0 for none or a vanished one. */
    private static Map<Integer, List<Integer>> users(List<Integer> ids, IntFunction<Integer> btfOf) {
        Map<Integer, List<Integer>> users = new LinkedHashMap<>();
        for (int id : ids) {
            int btf = btfOf.apply(id);
            if (btf != 0) {
                users.computeIfAbsent(btf, k -> new ArrayList<>()).add(id);
            }
        }
        return users;
    }

    private static Integer programBtf(int id) {
        try (Program p = Program.fromId(id)) {
            return p.info().btfId();
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return 0;
            }
            throw e;
        }
    }

    private static Integer mapBtf(int id) {
        try (BpfMap m = BpfMap.fromId(id)) {
            return m.info().btfId();
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return 0;
            }
            throw e;
        }
    }

    private static void appendIds(StringBuilder sb, String label, List<Integer> ids) {
        if (ids == null || ids.isEmpty()) {
            return;
        }
        sb.append(label);
        for (int k = 0; k < ids.size(); k++) {
            sb.append(k == 0 ? "" : ",").append(ids.get(k));
        }
    }

    private static void writeIds(JsonGenerator g, String field, List<Integer> ids) throws IOException {
        g.writeArrayFieldStart(field);
        for (int id : ids) {
            g.writeNumber(id);
        }
        g.writeEndArray();
    }

    // ---- one type as JSON, with bpftool's field names

    private static void writeJson(JsonGenerator g, Btf btf, int id) throws IOException {
        BtfType t = btf.type(id);
        g.writeStartObject();
        g.writeNumberField("id", id);
        g.writeStringField("kind", t.kind().name());
        g.writeStringField("name", anon(t.name()));
        switch (t) {
            case BtfType.Int i -> {
                g.writeNumberField("size", i.size());
                g.writeNumberField("bits_offset", i.bitOffset());
                g.writeNumberField("nr_bits", i.bits());
                g.writeStringField("encoding", i.encoding() == BtfType.IntEncoding.NONE ? "(none)" : i.encoding().name());
            }
            case BtfType.Ptr p -> g.writeNumberField("type_id", p.type());
            case BtfType.Typedef p -> g.writeNumberField("type_id", p.type());
            case BtfType.Const p -> g.writeNumberField("type_id", p.type());
            case BtfType.Volatile p -> g.writeNumberField("type_id", p.type());
            case BtfType.Restrict p -> g.writeNumberField("type_id", p.type());
            case BtfType.TypeTag p -> g.writeNumberField("type_id", p.type());
            case BtfType.Array a -> {
                g.writeNumberField("type_id", a.elemType());
                g.writeNumberField("index_type_id", a.indexType());
                g.writeNumberField("nr_elems", Integer.toUnsignedLong(a.nelems()));
            }
            case BtfType.Composite c -> {
                g.writeNumberField("size", c.size());
                g.writeNumberField("vlen", c.members().size());
                g.writeArrayFieldStart("members");
                for (BtfType.Member m : c.members()) {
                    g.writeStartObject();
                    g.writeStringField("name", anon(m.name()));
                    g.writeNumberField("type_id", m.type());
                    g.writeNumberField("bits_offset", Integer.toUnsignedLong(m.bitOffset()));
                    if (m.bitfieldSize() != 0) {
                        g.writeNumberField("bitfield_size", m.bitfieldSize());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            case BtfType.Enum e -> writeEnum(g, e.signed(), e.size(), e.values(), false);
            case BtfType.Enum64 e -> writeEnum(g, e.signed(), e.size(), e.values(), true);
            case BtfType.Fwd f -> g.writeStringField("fwd_kind", f.union() ? "union" : "struct");
            case BtfType.Func f -> {
                g.writeNumberField("type_id", f.type());
                g.writeStringField("linkage", f.linkage().name().toLowerCase(Locale.ROOT));
            }
            case BtfType.FuncProto p -> {
                g.writeNumberField("ret_type_id", p.returnType());
                g.writeNumberField("vlen", p.params().size());
                g.writeArrayFieldStart("params");
                for (BtfType.Param q : p.params()) {
                    g.writeStartObject();
                    g.writeStringField("name", anon(q.name()));
                    g.writeNumberField("type_id", q.type());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            case BtfType.Var v -> {
                g.writeNumberField("type_id", v.type());
                g.writeStringField("linkage", v.linkage().name().toLowerCase(Locale.ROOT));
            }
            case BtfType.Datasec d -> {
                g.writeNumberField("size", d.size());
                g.writeNumberField("vlen", d.vars().size());
                g.writeArrayFieldStart("vars");
                for (BtfType.VarSecinfo v : d.vars()) {
                    g.writeStartObject();
                    g.writeNumberField("type_id", v.type());
                    g.writeNumberField("offset", Integer.toUnsignedLong(v.offset()));
                    g.writeNumberField("size", Integer.toUnsignedLong(v.size()));
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            case BtfType.Float f -> g.writeNumberField("size", f.size());
            case BtfType.DeclTag d -> {
                g.writeNumberField("type_id", d.type());
                g.writeNumberField("component_idx", d.componentIdx());
            }
            case BtfType.Void v -> {
            }
        }
        g.writeEndObject();
    }

    private static void writeEnum(JsonGenerator g, boolean signed, int size, List<BtfType.EnumValue> values,
                                  boolean wide) throws IOException {
        g.writeStringField("encoding", signed ? "SIGNED" : "UNSIGNED");
        g.writeNumberField("size", size);
        g.writeNumberField("vlen", values.size());
        g.writeArrayFieldStart("values");
        for (BtfType.EnumValue v : values) {
            g.writeStartObject();
            g.writeStringField("name", anon(v.name()));
            if (wide && !signed && v.value() < 0) {
                g.writeFieldName("val");
                g.writeNumber(new java.math.BigInteger(Long.toUnsignedString(v.value())));
            } else {
                g.writeNumberField("val", v.value());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static String anon(String name) {
        return name.isEmpty() ? "(anon)" : name;
    }
}
