package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.link.BpfLink;
import io.ebpf4j.link.LinkInfo;
import io.ebpf4j.program.AttachType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ebpf4j link}: the kernel's bpf_links, shown, pinned and detached as {@code bpftool link} does. */
@Command(name = "link", description = "Inspect and manage BPF links (without a subcommand: show them all).")
final class LinkCommand implements Callable<Integer> {
    private static final EnumSet<Selector.Kind> ONE = EnumSet.of(Selector.Kind.ID, Selector.Kind.PINNED);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return show(List.of());
    }

    @Command(name = "show", aliases = "list", description = "Show all links, or the one LINK names.")
    int show(@Parameters(arity = "0..2", paramLabel = "LINK", description = "id ID | pinned FILE") List<String> words)
            throws IOException {
        Selector sel = Selector.parse(spec.subcommands().get("show").getCommandSpec(), words,
                EnumSet.of(Selector.Kind.ALL, Selector.Kind.ID, Selector.Kind.PINNED));
        Output out = Output.of(spec);
        if (sel.kind() != Selector.Kind.ALL) {
            LinkInfo info;
            try (BpfLink l = open(sel)) {
                info = l.info();
            }
            if (out.json()) {
                out.json(g -> writeJson(g, info));
            } else {
                printText(out.text(), info);
            }
        } else {
            List<LinkInfo> infos = BpfLink.ids().stream().map(LinkCommand::infoIfPresent)
                    .filter(java.util.Objects::nonNull).toList();
            if (out.json()) {
                out.json(g -> {
                    g.writeStartArray();
                    for (LinkInfo i : infos) {
                        writeJson(g, i);
                    }
                    g.writeEndArray();
                });
            } else {
                infos.forEach(i -> printText(out.text(), i));
            }
        }
        out.text().flush();
        return 0;
    }

    @Command(name = "pin", description = "Pin the link LINK names at FILE (in a bpffs): the pin keeps it attached.")
    int pin(@Parameters(index = "0", paramLabel = "KIND", description = "id | pinned") String kind,
            @Parameters(index = "1", paramLabel = "LINK", description = "the id or pin path") String value,
            @Parameters(index = "2", paramLabel = "FILE", description = "where to pin it") Path file) {
        Selector sel = Selector.parse(spec.subcommands().get("pin").getCommandSpec(), List.of(kind, value), ONE);
        try (BpfLink l = open(sel)) {
            l.pin(file);
        }
        return 0;
    }

    @Command(name = "detach", description = "Detach the link LINK names now, even if pins or other processes "
            + "hold it (the link stays, defunct, until its last holder lets go).")
    int detach(@Parameters(arity = "2", paramLabel = "LINK", description = "id ID | pinned FILE") List<String> words) {
        Selector sel = Selector.parse(spec.subcommands().get("detach").getCommandSpec(), words, ONE);
        try (BpfLink l = open(sel)) {
            l.detach();
        }
        return 0;
    }

    private static BpfLink open(Selector sel) {
        return sel.kind() == Selector.Kind.ID ? BpfLink.fromId(sel.id()) : BpfLink.openPinned(sel.path());
    }

    /** The link's info, or null when it went away since its id was listed. */
    private static LinkInfo infoIfPresent(int id) {
        try (BpfLink l = BpfLink.fromId(id)) {
            return l.info();
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    /** Values as bpftool prints them: attach types by their lower-case name. */
    private static String text(Object v) {
        return v instanceof AttachType t ? t.displayName() : String.valueOf(v);
    }

    static void printText(PrintWriter w, LinkInfo info) {
        StringBuilder sb = new StringBuilder();
        sb.append(info.id()).append(": ").append(info.typeName()).append("  prog ").append(info.programId());
        if (!info.details().isEmpty()) {
            sb.append("\n\t");
            boolean first = true;
            for (Map.Entry<String, Object> e : info.details().entrySet()) {
                if (!first) {
                    sb.append("  ");
                }
                first = false;
                sb.append(e.getKey()).append(' ').append(text(e.getValue()));
            }
        }
        w.println(sb);
    }

    static void writeJson(JsonGenerator g, LinkInfo info) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", info.id());
        g.writeStringField("type", info.typeName());
        g.writeNumberField("prog_id", info.programId());
        for (Map.Entry<String, Object> e : info.details().entrySet()) {
            Object v = e.getValue();
            switch (v) {
                case Integer i -> g.writeNumberField(e.getKey(), i);
                case Long l -> g.writeNumberField(e.getKey(), l);
                case AttachType t -> g.writeStringField(e.getKey(), t.displayName());
                default -> g.writeStringField(e.getKey(), String.valueOf(v));
            }
        }
        g.writeEndObject();
    }
}
