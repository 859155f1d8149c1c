package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.object.GlobalVariable;
import io.ebpf4j.object.MapDef;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.object.ProgramDef;
import io.ebpf4j.program.AttachType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code ebpf4j object}: what a BPF object file holds, read without touching the kernel. */
@Command(name = "object", description = "Inspect BPF object files (ELF), without loading them.")
final class ObjectCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "show", description = "Show the sections, programs, maps, global variables and license of "
            + "an object file.")
    int show(@Parameters(paramLabel = "FILE", description = "A BPF object file (clang -target bpf).") Path file)
            throws IOException {
        ObjectSpec o = ObjectSpec.read(file);
        Output out = Output.of(spec);
        List<Section> sections = sections(o);
        if (out.json()) {
            out.json(g -> writeJson(g, file, o, sections));
        } else {
            printText(out.text(), file, o, sections);
            out.text().flush();
        }
        return 0;
    }

    /** A section that matters: one holding programs, map definitions or global data, and what it holds. */
    record Section(String name, String kind, List<String> members) {
    }

    /**
     * The sections, in the order the programs and maps come in the file. The object reader keeps no section
     * table of its own, so they are gathered from what each program and map says it came from.
     */
    static List<Section> sections(ObjectSpec o) {
        Map<String, Section> byName = new LinkedHashMap<>();
        for (ProgramDef p : o.programs().values()) {
            byName.computeIfAbsent(p.section(), s -> new Section(s, "programs", new ArrayList<>())).members()
                    .add(p.name());
        }
        for (MapDef m : o.maps().values()) {
            String kind = switch (m.origin()) {
                case DATA -> "data";
                case KCONFIG -> "kconfig";
                default -> "maps";
            };
            String section = m.section() != null ? m.section() : m.origin() == MapDef.Origin.BTF ? ".maps" : "maps";
            byName.computeIfAbsent(section, s -> new Section(s, kind, new ArrayList<>())).members().add(m.name());
        }
        return List.copyOf(byName.values());
    }

    /** The global variables in the order of their maps, then by offset (the reader keeps them by name). */
    static List<GlobalVariable> variables(ObjectSpec o) {
        List<String> mapOrder = List.copyOf(o.maps().keySet());
        return o.variables().values().stream()
                .sorted(Comparator.comparingInt((GlobalVariable v) -> mapOrder.indexOf(v.map()))
                        .thenComparingLong(GlobalVariable::offset))
                .toList();
    }

    static String attachName(AttachType t) {
        return t == null ? null : t.displayName();
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** {@code SEC("version")} as the kernel's {@code KERNEL_VERSION(a, b, c)} encodes it. */
    static String kernelVersion(int v) {
        return v == 0 ? "0" : v + " (" + (v >>> 16) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff) + ")";
    }

    private static void printText(PrintWriter w, Path file, ObjectSpec o, List<Section> sections) {
        w.println(file + ": object " + o.name() + "  license " + (o.license().isEmpty() ? "(none)" : o.license())
                + "  version " + kernelVersion(o.kernelVersion()));
        w.println("sections:");
        for (Section s : sections) {
            w.println("\t" + s.name() + "  " + s.kind() + " " + String.join(",", s.members()));
        }
        w.println("programs:");
        for (ProgramDef p : o.programs().values()) {
            StringBuilder sb = new StringBuilder("\t").append(p.name()).append(": ").append(p.type().displayName())
                    .append("  section ").append(p.section());
            String attach = attachName(p.expectedAttachType());
            if (attach != null) {
                sb.append("  expected_attach_type ").append(attach);
            }
            sb.append("  insns ").append(p.instructions().size());
            sb.append(p.autoload() ? "  autoload" : "  noautoload");
            w.println(sb);
        }
        w.println("maps:");
        for (MapDef m : o.maps().values()) {
            MapSpec s = m.spec();
            w.println("\t" + m.name() + ": " + s.type().displayName() + "  origin " + lower(m.origin())
                    + "  key " + s.keySize() + "B  value " + s.valueSize() + "B  max_entries " + s.maxEntries()
                    + "  flags 0x" + Integer.toHexString(s.flags()) + "  pinning " + lower(m.pinning()));
        }
        if (!o.variables().isEmpty()) {
            w.println("variables:");
            for (GlobalVariable v : variables(o)) {
                w.println("\t" + v.name() + ": map " + v.map() + "  offset " + v.offset() + "  size " + v.size()
                        + (v.readOnly() ? "  ro" : ""));
            }
        }
    }

    private static void writeJson(JsonGenerator g, Path file, ObjectSpec o, List<Section> sections)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("file", file.toString());
        g.writeStringField("name", o.name());
        g.writeStringField("license", o.license());
        g.writeNumberField("kernel_version", o.kernelVersion());
        g.writeArrayFieldStart("sections");
        for (Section s : sections) {
            g.writeStartObject();
            g.writeStringField("name", s.name());
            g.writeStringField("kind", s.kind());
            g.writeArrayFieldStart(s.kind().equals("programs") ? "programs" : "maps");
            for (String member : s.members()) {
                g.writeString(member);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("programs");
        for (ProgramDef p : o.programs().values()) {
            g.writeStartObject();
            g.writeStringField("name", p.name());
            g.writeStringField("section", p.section());
            g.writeStringField("type", p.type().displayName());
            String attach = attachName(p.expectedAttachType());
            if (attach != null) {
                g.writeStringField("expected_attach_type", attach);
            } else {
                g.writeNullField("expected_attach_type");
            }
            g.writeNumberField("insns", p.instructions().size());
            g.writeBooleanField("autoload", p.autoload());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("maps");
        for (MapDef m : o.maps().values()) {
            MapSpec s = m.spec();
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeStringField("origin", lower(m.origin()));
            g.writeStringField("type", s.type().displayName());
            g.writeNumberField("bytes_key", s.keySize());
            g.writeNumberField("bytes_value", s.valueSize());
            g.writeNumberField("max_entries", s.maxEntries());
            g.writeNumberField("flags", s.flags());
            g.writeStringField("pinning", lower(m.pinning()));
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("variables");
        for (GlobalVariable v : variables(o)) {
            g.writeStartObject();
            g.writeStringField("name", v.name());
            g.writeStringField("map", v.map());
            g.writeNumberField("offset", v.offset());
            g.writeNumberField("size", v.size());
            g.writeBooleanField("readonly", v.readOnly());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
