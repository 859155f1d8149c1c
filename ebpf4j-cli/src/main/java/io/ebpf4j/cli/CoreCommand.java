package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.btf.core.CoreRelocation;
import io.ebpf4j.btf.core.CoreTarget;
import io.ebpf4j.object.CoreRelocations;
import io.ebpf4j.object.ObjectSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ebpf4j core FILE}: what CO-RE relocation makes of an object's programs against the running kernel's BTF
 * or a named one, without loading anything.
 */
@Command(name = "core", description = "Show how each CO-RE relocation of an object file resolves against the "
        + "kernel's BTF (or --target-btf), without loading: the field or type, the compiled and the relocated value, "
        + "and why a relocation is poisoned.")
final class CoreCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file.")
    Path file;

    @Parameters(index = "1..*", paramLabel = "PROGRAM", description = "Programs to show (default: all).")
    List<String> programs;

    @Option(names = "--target-btf", paramLabel = "PATH", description = "Resolve against this BTF file (raw BTF, "
            + "or an ELF file with .BTF) instead of the running kernel's.")
    Path targetBtf;

    @Override
    public Integer call() throws IOException {
        ObjectSpec o = ObjectSpec.read(file);
        List<String> names = programs == null || programs.isEmpty() ? List.copyOf(o.programs().keySet()) : programs;
        for (String n : names) {
            if (!o.programs().containsKey(n)) {
                throw new BpfException("object '" + o.name() + "' has no program '" + n + "'; it has "
                        + o.programs().keySet());
            }
        }
        Map<String, List<CoreRelocation>> done = new LinkedHashMap<>();
        try (CoreTarget target = targetBtf == null ? CoreTarget.kernel() : CoreTarget.file(targetBtf)) {
            for (String n : names) {
                done.put(n, CoreRelocations.apply(o, n, target).relocations());
            }
        }
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> writeJson(g, done));
        } else {
            PrintWriter w = out.text();
            done.forEach((program, relos) -> {
                w.println(program + ": " + relos.size() + " CO-RE relocation" + (relos.size() == 1 ? "" : "s"));
                for (CoreRelocation r : relos) {
                    w.println("\tinsn " + r.insn() + "  " + r.kind() + "  " + r.target() + "  "
                            + (r.poisoned() ? "poisoned: " + r.reason() : r.localValue() + " -> " + r.targetValue()));
                }
            });
            w.flush();
        }
        return 0;
    }

    private static void writeJson(JsonGenerator g, Map<String, List<CoreRelocation>> done) throws IOException {
        g.writeStartArray();
        for (var e : done.entrySet()) {
            for (CoreRelocation r : e.getValue()) {
                g.writeStartObject();
                g.writeStringField("program", e.getKey());
                g.writeNumberField("insn", r.insn());
                g.writeStringField("kind", r.kind().name());
                g.writeStringField("target", r.target());
                g.writeStringField("access", r.accessString());
                g.writeNumberField("local_type_id", r.localTypeId());
                g.writeNumberField("local_value", r.localValue());
                g.writeBooleanField("poisoned", r.poisoned());
                if (r.poisoned()) {
                    g.writeStringField("reason", r.reason());
                } else {
                    g.writeNumberField("target_value", r.targetValue());
                }
                g.writeEndObject();
            }
        }
        g.writeEndArray();
    }
}
