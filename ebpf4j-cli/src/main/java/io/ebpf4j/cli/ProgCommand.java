package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.link.BpfLink;
import io.ebpf4j.link.Links;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.MapDef;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** {@code ebpf4j prog}: the programs loaded in the kernel, shown as {@code bpftool prog show} shows them. */
@Command(name = "prog", description = "Inspect and load BPF programs (without a subcommand: show them all).",
        subcommands = ProgDumpCommand.class)
final class ProgCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return show(List.of());
    }

    @Command(name = "show", aliases = "list", description = "Show all programs, or those PROG selects.")
    int show(@Parameters(arity = "0..2", paramLabel = "PROG",
            description = "id ID | pinned FILE | name NAME | tag TAG") List<String> words) throws IOException {
        Selector sel = Selector.parse(spec.subcommands().get("show").getCommandSpec(), words,
                EnumSet.allOf(Selector.Kind.class));
        Output out = Output.of(spec);
        if (sel.kind() == Selector.Kind.ID || sel.kind() == Selector.Kind.PINNED) {
            // One program: opened before anything is written, so a bad id prints only the error. bpftool
            // answers an object here and an array otherwise.
            try (Program p = open(sel)) {
                ProgramInfo info = p.info();
                if (out.json()) {
                    out.json(g -> writeJson(g, p, info));
                } else {
                    printText(out.text(), p, info);
                }
            }
        } else {
            List<Integer> ids = ids(sel);
            if (out.json()) {
                out.json(g -> {
                    g.writeStartArray();
                    forEach(ids, (p, info) -> writeJson(g, p, info));
                    g.writeEndArray();
                });
            } else {
                forEach(ids, (p, info) -> printText(out.text(), p, info));
            }
        }
        out.text().flush();
        return 0;
    }

    @Command(name = "loadall", description = "Load every program of an object file and pin each as "
            + "PINDIR/<program> (and, with --pinmaps, each map as MAPDIR/<map>). The pins keep them loaded.")
    int loadall(@Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file.") Path file,
                @Parameters(index = "1", paramLabel = "PINDIR", description = "Where to pin the programs (in a "
                        + "bpffs; made when missing).") Path pinDir,
                @Option(names = "--pinmaps", paramLabel = "MAPDIR", description = "Also pin every map there.")
                Path mapDir,
                @Option(names = "--pin-root", paramLabel = "DIR", defaultValue = "/sys/fs/bpf",
                        description = "Where maps the object asks to pin by name go (default: ${DEFAULT-VALUE}).")
                Path pinRoot,
                @Option(names = "--autoattach", description = "Also attach every program whose section names "
                        + "its hook, pinning each link as PINDIR/<program>_link (the pin keeps it attached).")
                boolean autoattach,
                @Option(names = "--target-btf", paramLabel = "PATH", description = "Resolve CO-RE relocations "
                        + "against this BTF file (raw BTF, or an ELF file with .BTF) instead of the running kernel's.")
                Path targetBtf) {
        ObjectSpec objectSpec = ObjectSpec.read(file);
        Pins pins = new Pins();
        // The maps the object asks to pin, pinned by the load itself: those it makes are ours to take back.
        List<Path> objectPins = objectSpec.maps().values().stream().map(m -> objectPinPath(m, objectSpec, pinRoot))
                .filter(p -> p != null && !Files.exists(p)).toList();
        // And the directories the load will make for them (tc/globals...), outermost first.
        Set<Path> objectDirs = new LinkedHashSet<>();
        objectPins.forEach(p -> objectDirs.addAll(Pins.missingParents(p)));
        try (BpfObject obj = BpfObject.load(objectSpec,
                BpfObject.Options.defaults().withPinRoot(pinRoot).withTargetBtf(targetBtf))) {
            try {
                objectDirs.stream().filter(Files::isDirectory).forEach(pins.made::add);
                objectPins.stream().filter(Files::exists).forEach(pins.made::add);
                for (var e : obj.programs().entrySet()) {
                    pins.pin(pinDir.resolve(pinName(e.getKey())), e.getValue()::pin);
                }
                if (mapDir != null) {
                    for (var e : obj.maps().entrySet()) {
                        pins.pin(mapDir.resolve(pinName(e.getKey())), e.getValue()::pin);
                    }
                }
                if (autoattach) {
                    try (Links.Attached attached = Links.attachAll(obj)) {
                        PrintWriter err = spec.commandLine().getErr();
                        for (var s : attached.skipped().entrySet()) {
                            err.println("ebpf4j: not attached " + s.getKey() + ": " + s.getValue());
                        }
                        err.flush();
                        for (var e : attached.links().entrySet()) {
                            BpfLink link = e.getValue().bpfLink().orElseThrow(() -> new BpfException("program '"
                                    + e.getKey() + "' was attached without a bpf_link (" + e.getValue().describe()
                                    + "), which cannot be pinned: this kernel is too old for --autoattach"));
                            pins.pin(pinDir.resolve(pinName(e.getKey()) + "_link"), link::pin);
                        }
                    }
                }
            } catch (RuntimeException e) {
                pins.undo(e);
                throw e;
            }
        }
        return 0;
    }

    /** bpffs refuses names with dots (reserved): {@code minimal.bss} is pinned as {@code minimal_bss}, as libbpf. */
    static String pinName(String name) {
        return name.replace('.', '_');
    }

    /** Where loading pins a map that asks for pinning, or null when it does not. */
    private static Path objectPinPath(MapDef m, ObjectSpec o, Path root) {
        if (m.pinPath() != null) {
            return Path.of(m.pinPath());
        }
        return switch (m.pinning()) {
            case NONE -> null;
            case BY_NAME -> root.resolve(m.name());
            case GLOBAL_NS -> root.resolve("tc").resolve("globals").resolve(m.name());
            case OBJECT_NS -> root.resolve("tc").resolve(o.name()).resolve(m.name());
        };
    }

    /** The pins and directories {@code loadall} made, so that a failure half way can take them back. */
    private static final class Pins {
        private final List<Path> made = new ArrayList<>();

        /** The ancestors of {@code path} that do not exist yet, outermost first (a symbolic link exists). */
        static List<Path> missingParents(Path path) {
            List<Path> missing = new ArrayList<>();
            for (Path d = path.toAbsolutePath().getParent(); d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS);
                 d = d.getParent()) {
                missing.addFirst(d);
            }
            return missing;
        }

        void pin(Path path, Consumer<Path> pinner) {
            // Directories the pin creates are noted first, outermost first, so that undo removes them last (the
            // library takes back its own when the pin itself fails).
            List<Path> newDirs = missingParents(path);
            pinner.accept(path);
            newDirs.stream().filter(Files::isDirectory).forEach(made::add);
            made.add(path);
        }

        /**
         * Removes what was made, newest first; a directory only while it is empty (another pin may live there
         * now). Problems are added to {@code cause} rather than thrown.
         */
        void undo(RuntimeException cause) {
            for (Path p : made.reversed()) {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException inUse) {
                    // someone else's pin is in it
                } catch (IOException e) {
                    cause.addSuppressed(e);
                }
            }
        }
    }

    /** Receives each selected program while it is open. */
    @FunctionalInterface
    interface Visitor {
        void visit(Program p, ProgramInfo info) throws IOException;
    }

    /** The one program an id or pin path names. */
    static Program open(Selector sel) {
        return sel.kind() == Selector.Kind.ID ? Program.fromId(sel.id()) : Program.openPinned(sel.path());
    }

    /**
     * The ids of the programs {@code sel} selects (all, or by name or tag), found before any output so that
     * "no such program" is an error rather than an empty list.
     */
    private static List<Integer> ids(Selector sel) {
        if (sel.kind() == Selector.Kind.ALL) {
            return Program.ids();
        }
        List<Integer> ids = new ArrayList<>();
        for (int id : Program.ids()) {
            try (Program p = openIfPresent(id)) {
                ProgramInfo info = p == null ? null : p.info();
                if (info != null && (sel.kind() == Selector.Kind.NAME && info.name().equals(sel.value())
                        || sel.kind() == Selector.Kind.TAG && info.tag().equalsIgnoreCase(sel.value()))) {
                    ids.add(id);
                }
            }
        }
        if (ids.isEmpty()) {
            throw new BpfException("no program has " + sel.kind().name().toLowerCase(Locale.ROOT) + " '"
                    + sel.value() + "'");
        }
        return ids;
    }

    /** Opens each program, hands it to {@code v} and closes it; skips those freed since their id was listed. */
    private static void forEach(List<Integer> ids, Visitor v) throws IOException {
        for (int id : ids) {
            try (Program p = openIfPresent(id)) {
                if (p != null) {
                    v.visit(p, p.info());
                }
            }
        }
    }

    /** The program with this id, or null when it went away since its id was listed. */
    private static Program openIfPresent(int id) {
        try {
            return Program.fromId(id);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    private static void printText(PrintWriter w, Program p, ProgramInfo info) {
        StringBuilder sb = new StringBuilder();
        sb.append(info.id()).append(": ").append(info.typeName()).append("  ");
        if (!info.name().isEmpty()) {
            sb.append("name ").append(info.name()).append("  ");
        }
        sb.append("tag ").append(info.tag());
        if (info.gplCompatible()) {
            sb.append("  gpl");
        }
        if (info.runTimeNs() != 0) {
            sb.append(" run_time_ns ").append(info.runTimeNs()).append(" run_cnt ").append(info.runCount());
        }
        if (info.recursionMisses() != 0) {
            sb.append(" recursion_misses ").append(info.recursionMisses());
        }
        sb.append('\n');
        Instant loaded = info.loadTimeNs() == 0 ? null : Proc.sinceBoot(info.loadTimeNs());
        if (loaded != null) {
            sb.append("\tloaded_at ").append(Proc.formatLocal(loaded)).append("  uid ").append(info.createdByUid())
                    .append('\n');
        }
        sb.append("\txlated ").append(info.xlatedLength()).append('B');
        sb.append(info.jitedLength() > 0 ? "  jited " + info.jitedLength() + "B" : "  not jited");
        long memlock = Proc.fdInfoLong(Proc.fdInfo(p.fd()), "memlock");
        if (memlock >= 0) {
            sb.append("  memlock ").append(memlock).append('B');
        }
        if (!info.mapIds().isEmpty()) {
            sb.append("  map_ids ").append(info.mapIds().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        if (info.btfId() != 0) {
            sb.append("\n\tbtf_id ").append(info.btfId());
        }
        w.println(sb);
    }

    private static void writeJson(JsonGenerator g, Program p, ProgramInfo info) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", info.id());
        g.writeStringField("type", info.typeName());
        if (!info.name().isEmpty()) {
            g.writeStringField("name", info.name());
        }
        g.writeStringField("tag", info.tag());
        g.writeBooleanField("gpl_compatible", info.gplCompatible());
        if (info.runTimeNs() != 0) {
            g.writeNumberField("run_time_ns", info.runTimeNs());
            g.writeNumberField("run_cnt", info.runCount());
        }
        if (info.recursionMisses() != 0) {
            g.writeNumberField("recursion_misses", info.recursionMisses());
        }
        Instant loaded = info.loadTimeNs() == 0 ? null : Proc.sinceBoot(info.loadTimeNs());
        if (loaded != null) {
            g.writeNumberField("loaded_at", loaded.getEpochSecond());
            g.writeNumberField("uid", info.createdByUid());
        }
        g.writeNumberField("bytes_xlated", info.xlatedLength());
        g.writeBooleanField("jited", info.jitedLength() > 0);
        if (info.jitedLength() > 0) {
            g.writeNumberField("bytes_jited", info.jitedLength());
        }
        long memlock = Proc.fdInfoLong(Proc.fdInfo(p.fd()), "memlock");
        if (memlock >= 0) {
            g.writeNumberField("bytes_memlock", memlock);
        }
        if (!info.mapIds().isEmpty()) {
            g.writeArrayFieldStart("map_ids");
            for (int id : info.mapIds()) {
                g.writeNumber(id);
            }
            g.writeEndArray();
        }
        if (info.btfId() != 0) {
            g.writeNumberField("btf_id", info.btfId());
        }
        g.writeNumberField("verified_insns", info.verifiedInstructions());
        g.writeEndObject();
    }
}
