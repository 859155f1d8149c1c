package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.features.FeatureStatus;
import io.ebpf4j.features.Features;
import io.ebpf4j.features.MiscFeature;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.ProgramType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code ebpf4j feature}: what the running kernel supports, as {@code bpftool feature probe kernel} says. */
@Command(name = "feature", description = "Probe what the running kernel supports.")
final class FeatureCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "probe", description = "Probe program types, map types, helpers per program type and other "
            + "features of the running kernel.")
    int probe(@Parameters(arity = "0..1", paramLabel = "kernel",
            description = "What to probe; only 'kernel' (the default) for now.") String target) throws IOException {
        if (target != null && !target.equals("kernel")) {
            throw new CommandLine.ParameterException(spec.subcommands().get("probe"),
                    "only 'kernel' can be probed, not '" + target + "'");
        }
        long start = System.nanoTime();
        Report r = Report.probe();
        Output out = Output.of(spec);
        if (out.debug()) {
            spec.commandLine().getErr().printf("ebpf4j: probed in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        }
        if (out.json()) {
            out.json(g -> writeJson(g, r));
        } else {
            printText(out.text(), r);
            out.text().flush();
        }
        return 0;
    }

    /**
     * The helpers one program type may call. {@code unknownReason} is set when the probe could not tell for any
     * helper (types that need a real attach target to load at all), so that an empty list is not taken for "none".
     */
    record HelperSet(List<String> available, String unknownReason) {
    }

    /** Every answer, gathered before anything is printed. */
    record Report(Map<ProgramType, FeatureStatus> programTypes, Map<MapType, FeatureStatus> mapTypes,
                  Map<ProgramType, HelperSet> helpers, Map<MiscFeature, FeatureStatus> misc) {

        static Report probe() {
            Map<ProgramType, FeatureStatus> progs = new LinkedHashMap<>();
            for (ProgramType t : ProgramType.values()) {
                if (t != ProgramType.UNSPEC) {
                    progs.put(t, Features.programType(t));
                }
            }
            Map<MapType, FeatureStatus> maps = new LinkedHashMap<>();
            for (MapType t : MapType.values()) {
                if (t != MapType.UNSPEC) {
                    maps.put(t, Features.mapType(t));
                }
            }
            // Thousands of program loads, independent of each other: one task per program type keeps every
            // CPU busy (the kernel's verifier does the work). The map keeps the program types' order.
            Map<ProgramType, HelperSet> helpers = new LinkedHashMap<>();
            List<ProgramType> loadable = progs.keySet().stream().filter(t -> progs.get(t).supported()).toList();
            List<HelperSet> sets = loadable.parallelStream().map(Report::helpersOf).toList();
            for (int i = 0; i < loadable.size(); i++) {
                helpers.put(loadable.get(i), sets.get(i));
            }
            Map<MiscFeature, FeatureStatus> misc = new LinkedHashMap<>();
            for (MiscFeature f : MiscFeature.values()) {
                misc.put(f, Features.misc(f));
            }
            return new Report(progs, maps, helpers, misc);
        }

        /**
         * One probe per helper, as bpftool does. The probes say "no" both for a helper the type may not call and
         * for one they cannot judge; since every program type that loads may call some helper, none at all
         * means the probes could not tell, and the first helper's answer says why.
         */
        private static HelperSet helpersOf(ProgramType t) {
            List<String> available = new ArrayList<>();
            String firstReason = null;
            for (int id = 1; id <= Helpers.maxId(); id++) {
                FeatureStatus s = Features.helper(t, id);
                if (s.supported()) {
                    available.add(Helpers.name(id));
                } else if (firstReason == null) {
                    firstReason = s.reason();
                }
            }
            return new HelperSet(available, available.isEmpty() ? firstReason : null);
        }
    }

    private static String availability(FeatureStatus s) {
        return s.supported() ? "is available" : "is NOT available (" + s.reason() + ")";
    }

    private static void printText(PrintWriter w, Report r) {
        w.println("Scanning eBPF program types...");
        r.programTypes().forEach((t, s) -> w.println("eBPF program_type " + t.displayName() + " " + availability(s)));
        w.println();
        w.println("Scanning eBPF map types...");
        r.mapTypes().forEach((t, s) -> w.println("eBPF map_type " + t.displayName() + " " + availability(s)));
        w.println();
        w.println("Scanning eBPF helper functions...");
        r.helpers().forEach((t, h) -> {
            if (h.unknownReason() != null) {
                w.println("eBPF helpers supported for program type " + t.displayName() + ": cannot tell ("
                        + h.unknownReason() + ")");
                return;
            }
            w.println("eBPF helpers supported for program type " + t.displayName() + ":");
            h.available().forEach(name -> w.println("\t- " + name));
        });
        w.println();
        w.println("Scanning miscellaneous eBPF features...");
        r.misc().forEach((f, s) -> w.println(f.description() + " " + availability(s)));
    }

    /** JSON keys as bpftool's ({@code have_xdp_prog_type}, {@code xdp_available_helpers}), plus the reasons. */
    private static void writeJson(JsonGenerator g, Report r) throws IOException {
        Map<String, String> reasons = new LinkedHashMap<>();
        g.writeStartObject();
        g.writeObjectFieldStart("program_types");
        for (var e : r.programTypes().entrySet()) {
            flag(g, reasons, "have_" + e.getKey().displayName() + "_prog_type", e.getValue());
        }
        g.writeEndObject();
        g.writeObjectFieldStart("map_types");
        for (var e : r.mapTypes().entrySet()) {
            flag(g, reasons, "have_" + e.getKey().displayName() + "_map_type", e.getValue());
        }
        g.writeEndObject();
        g.writeObjectFieldStart("helpers");
        for (var e : r.helpers().entrySet()) {
            String key = e.getKey().displayName() + "_available_helpers";
            g.writeArrayFieldStart(key);
            for (String name : e.getValue().available()) {
                g.writeString(name);
            }
            g.writeEndArray();
            if (e.getValue().unknownReason() != null) {
                reasons.put(key, "cannot tell: " + e.getValue().unknownReason());
            }
        }
        g.writeEndObject();
        g.writeObjectFieldStart("misc");
        for (var e : r.misc().entrySet()) {
            flag(g, reasons, "have_" + e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
        }
        g.writeEndObject();
        // Why each "false" (and each unknown helper list) is so, under the same key.
        g.writeObjectFieldStart("reasons");
        for (var e : reasons.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void flag(JsonGenerator g, Map<String, String> reasons, String key, FeatureStatus s)
            throws IOException {
        g.writeBooleanField(key, s.supported());
        if (!s.supported()) {
            reasons.put(key, s.reason());
        }
    }
}
