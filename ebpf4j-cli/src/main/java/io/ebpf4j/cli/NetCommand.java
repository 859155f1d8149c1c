package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.link.HookQuery;
import io.ebpf4j.link.Net;
import io.ebpf4j.link.TcDirection;
import io.ebpf4j.link.TcFilter;
import io.ebpf4j.link.TcNetlinkLink;
import io.ebpf4j.link.TcxLink;
import io.ebpf4j.link.XdpLink;
import io.ebpf4j.link.XdpMode;
import io.ebpf4j.link.XdpNetlinkLink;
import io.ebpf4j.program.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ebpf4j net}: XDP and tc programs on network interfaces, as {@code bpftool net} does it. Attachments made
 * without {@code --pin} go through netlink and stay after the command exits; with {@code --pin}, a bpf_link is
 * made and pinned (tcx attachments are always links, so they need a pin).
 */
@Command(name = "net", description = "Attach, detach and list XDP and tc programs of network interfaces "
        + "(without a subcommand: list them).")
final class NetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The attach types {@code net attach} and {@code net detach} take. */
    enum Type {
        XDP("xdp", XdpMode.DEFAULT, null, false),
        XDPGENERIC("xdpgeneric", XdpMode.SKB, null, false),
        XDPDRV("xdpdrv", XdpMode.DRV, null, false),
        XDPOFFLOAD("xdpoffload", XdpMode.HW, null, false),
        TCX_INGRESS("tcx_ingress", null, TcDirection.INGRESS, true),
        TCX_EGRESS("tcx_egress", null, TcDirection.EGRESS, true),
        TC_INGRESS("tc_ingress", null, TcDirection.INGRESS, false),
        TC_EGRESS("tc_egress", null, TcDirection.EGRESS, false);

        final String word;
        final XdpMode xdp;
        final TcDirection tc;
        final boolean tcx;

        Type(String word, XdpMode xdp, TcDirection tc, boolean tcx) {
            this.word = word;
            this.xdp = xdp;
            this.tc = tc;
            this.tcx = tcx;
        }

        static Type parse(CommandSpec spec, String word) {
            for (Type t : values()) {
                if (t.word.equals(word)) {
                    return t;
                }
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown attach type '" + word
                    + "'; expected one of " + String.join(", ", EnumSet.allOf(Type.class).stream().map(t -> t.word).toList()));
        }
    }

    @Override
    public Integer call() throws IOException {
        return list(List.of(), null);
    }

    /** Runs {@code task} in the named namespace, or here. */
    private static <T> T in(String netns, Callable<T> task) throws IOException {
        if (netns != null) {
            return Net.inNamespace(netns, task);
        }
        try {
            return task.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code dev NAME} at {@code words[from]}. */
    private static String device(CommandSpec spec, List<String> words, int from) {
        if (words.size() < from + 2 || !words.get(from).equals("dev")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "expected 'dev NAME'");
        }
        return words.get(from + 1);
    }

    @Command(name = "attach", description = "Attach a program to an interface: ATTACH_TYPE PROG dev NAME [overwrite]. "
            + "ATTACH_TYPE is xdp, xdpgeneric, xdpdrv, xdpoffload, tcx_ingress, tcx_egress, tc_ingress (clsact + "
            + "cls_bpf) or tc_egress; PROG is 'id ID' or 'pinned FILE'.")
    int attach(@Parameters(arity = "5..6", paramLabel = "ARGS") List<String> words,
               @Option(names = "--pin", paramLabel = "FILE", description = "Attach with a bpf_link and pin it here.") Path pin,
               @Option(names = "--netns", paramLabel = "NAME", description = "The network namespace (ip netns) of the interface.") String netns)
            throws IOException {
        CommandSpec sub = spec.subcommands().get("attach").getCommandSpec();
        Type type = Type.parse(sub, words.get(0));
        Selector sel = Selector.parse(sub, words.subList(1, 3), EnumSet.of(Selector.Kind.ID, Selector.Kind.PINNED));
        String dev = device(sub, words, 3);
        boolean overwrite = words.size() == 6;
        if (overwrite && !words.get(5).equals("overwrite")) {
            throw new CommandLine.ParameterException(sub.commandLine(), "unexpected '" + words.get(5) + "'");
        }
        if (overwrite && (type.xdp == null || pin != null)) {
            throw new CommandLine.ParameterException(sub.commandLine(), "'overwrite' applies to XDP attached without --pin");
        }
        if (type.tcx && pin == null) {
            throw new BpfException("tcx attachments are bpf_links, which end with the command: give --pin FILE to keep one");
        }
        if (type.tc != null && !type.tcx && pin != null) {
            throw new BpfException("tc_ingress/tc_egress attach through netlink, which cannot be pinned; use tcx_"
                    + type.tc.displayName() + " for a pinnable link");
        }
        String described;
        try (Program p = ProgCommand.open(sel)) {
            described = in(netns, () -> {
                int ifindex = Net.ifindex(dev);
                if (pin != null) {
                    try (io.ebpf4j.link.BpfLink link = type.xdp != null ? XdpLink.attach(p, ifindex, type.xdp)
                            : TcxLink.attach(p, ifindex, type.tc)) {
                        link.pin(pin);
                        return link.describe() + " pinned at " + pin;
                    }
                }
                if (type.xdp != null) {
                    XdpNetlinkLink l = XdpNetlinkLink.attach(p, ifindex, type.xdp, overwrite);
                    l.disown();
                    return l.describe();
                }
                TcNetlinkLink l = TcNetlinkLink.attach(p, ifindex, type.tc);
                l.disown();
                return l.describe();
            });
        }
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartObject();
                g.writeStringField("attached", described);
                if (pin != null) {
                    g.writeStringField("pinned", pin.toString());
                }
                g.writeEndObject();
            });
        } else {
            out.text().println("attached " + described);
            out.text().flush();
        }
        return 0;
    }

    @Command(name = "detach", description = "Remove the programs of one hook: ATTACH_TYPE dev NAME. xdp removes the "
            + "netlink-attached XDP program in whatever mode it runs, xdpgeneric, xdpdrv and xdpoffload only the one "
            + "of that mode; tcx_* types detach the tcx programs of that direction (their links become defunct), "
            + "tc_* types delete its cls_bpf filters.")
    int detach(@Parameters(arity = "3", paramLabel = "ARGS") List<String> words,
               @Option(names = "--netns", paramLabel = "NAME", description = "The network namespace (ip netns) of the interface.") String netns)
            throws IOException {
        CommandSpec sub = spec.subcommands().get("detach").getCommandSpec();
        Type type = Type.parse(sub, words.get(0));
        String dev = device(sub, words, 1);
        int removed = in(netns, () -> {
            int ifindex = Net.ifindex(dev);
            if (type.xdp != null) {
                return Net.detachXdp(ifindex, type.xdp) ? 1 : 0;
            }
            return type.tcx ? Net.detachTcx(ifindex, type.tc) : Net.detachTcFilters(ifindex, type.tc);
        });
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartObject();
                g.writeNumberField("detached", removed);
                g.writeEndObject();
            });
        } else {
            out.text().println("detached " + removed + " program" + (removed == 1 ? "" : "s") + " from " + type.word + " of " + dev);
            out.text().flush();
        }
        return 0;
    }

    /** One row of the listing. */
    private record Row(String dev, int ifindex, String kind, String name, int progId, int linkId, int prio, int handle,
                       boolean directAction) {
    }

    @Command(name = "list", aliases = "show", description = "List XDP and tc programs of every interface, or of 'dev NAME'.")
    int list(@Parameters(arity = "0..2", paramLabel = "dev NAME") List<String> words,
             @Option(names = "--netns", paramLabel = "NAME", description = "The network namespace (ip netns) to list.") String netns)
            throws IOException {
        String only = words == null || words.isEmpty() ? null
                : device(spec.subcommands().get("list").getCommandSpec(), words, 0);
        List<List<Row>> rows = in(netns, () -> {
            List<Row> xdp = new ArrayList<>();
            List<Row> tc = new ArrayList<>();
            boolean found = false;
            for (Net.Interface i : Net.interfaces()) {
                if (only != null && !only.equals(i.name())) {
                    continue;
                }
                found = true;
                if (i.xdp().attached() != 0) {
                    int id = i.xdp().programId() != 0 ? i.xdp().programId()
                            : Math.max(i.xdp().driverProgramId(), Math.max(i.xdp().skbProgramId(), i.xdp().hwProgramId()));
                    xdp.add(new Row(i.name(), i.index(), i.xdp().modeName(), programName(id), id, 0, 0, 0, false));
                }
                for (TcDirection d : TcDirection.values()) {
                    HookQuery q = TcxLink.query(i.index(), d);
                    for (int k = 0; k < q.programIds().size(); k++) {
                        int id = q.programIds().get(k);
                        tc.add(new Row(i.name(), i.index(), "tcx/" + d.displayName(), programName(id), id,
                                q.linkIds().get(k), 0, 0, true));
                    }
                    for (TcFilter f : TcNetlinkLink.filters(i.index(), d)) {
                        tc.add(new Row(i.name(), i.index(), "clsact/" + d.displayName(), f.name(), f.programId(), 0,
                                f.priority(), f.handle(), f.directAction()));
                    }
                }
            }
            if (!found && only != null) {
                throw new BpfException("no network interface '" + only + "'" + (netns == null ? "" : " in " + netns));
            }
            return List.of(xdp, tc);
        });
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("xdp");
                for (Row r : rows.get(0)) {
                    g.writeStartObject();
                    g.writeStringField("devname", r.dev());
                    g.writeNumberField("ifindex", r.ifindex());
                    g.writeStringField("mode", r.kind());
                    g.writeNumberField("id", r.progId());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("tc");
                for (Row r : rows.get(1)) {
                    writeTc(g, r);
                }
                g.writeEndArray();
                g.writeEndObject();
            });
            return 0;
        }
        var w = out.text();
        w.println("xdp:");
        for (Row r : rows.get(0)) {
            w.println(r.dev() + "(" + r.ifindex() + ") " + r.kind() + " id " + r.progId());
        }
        w.println();
        w.println("tc:");
        for (Row r : rows.get(1)) {
            StringBuilder sb = new StringBuilder(r.dev() + "(" + r.ifindex() + ") " + r.kind() + " " + r.name()
                    + " prog_id " + r.progId());
            if (r.linkId() != 0) {
                sb.append(" link_id ").append(r.linkId());
            }
            if (r.kind().startsWith("clsact")) {
                sb.append(" prio ").append(r.prio()).append(" handle 0x").append(Integer.toHexString(r.handle()));
                if (r.directAction()) {
                    sb.append(" direct-action");
                }
            }
            w.println(sb);
        }
        w.flush();
        return 0;
    }

    private static void writeTc(JsonGenerator g, Row r) throws IOException {
        g.writeStartObject();
        g.writeStringField("devname", r.dev());
        g.writeNumberField("ifindex", r.ifindex());
        g.writeStringField("kind", r.kind());
        g.writeStringField("name", r.name());
        g.writeNumberField("prog_id", r.progId());
        if (r.linkId() != 0) {
            g.writeNumberField("link_id", r.linkId());
        }
        if (r.kind().startsWith("clsact")) {
            g.writeNumberField("prio", r.prio());
            g.writeNumberField("handle", r.handle());
            g.writeBooleanField("direct_action", r.directAction());
        }
        g.writeEndObject();
    }

    /** A program's name, or "" when it went away meanwhile. */
    private static String programName(int id) {
        try (Program p = Program.fromId(id)) {
            return p.name();
        } catch (io.ebpf4j.SyscallException e) {
            return "";
        }
    }
}
