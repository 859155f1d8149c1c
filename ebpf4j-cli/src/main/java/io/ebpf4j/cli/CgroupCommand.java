package io.ebpf4j.cli;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.link.CgroupAttachment;
import io.ebpf4j.link.CgroupLink;
import io.ebpf4j.link.Cgroups;
import io.ebpf4j.link.HookQuery;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ebpf4j cgroup}: programs on cgroup v2 directories, with bpftool's syntax and attach-type names. Without
 * {@code --pin} a program is attached with PROG_ATTACH and stays after the command exits; with {@code --pin} a
 * cgroup link is made and pinned.
 */
@Command(name = "cgroup", description = "Attach, detach and list programs of a cgroup (v2).")
final class CgroupCommand {
    @Spec
    CommandSpec spec;

    /** bpftool's names for the cgroup attach types; the kernel's names ({@code cgroup_inet_ingress}) work too. */
    static final Map<String, AttachType> NAMES = names();

    private static Map<String, AttachType> names() {
        Map<String, AttachType> m = new LinkedHashMap<>();
        m.put("ingress", AttachType.CGROUP_INET_INGRESS);
        m.put("egress", AttachType.CGROUP_INET_EGRESS);
        m.put("sock_create", AttachType.CGROUP_INET_SOCK_CREATE);
        m.put("sock_release", AttachType.CGROUP_INET_SOCK_RELEASE);
        m.put("sock_ops", AttachType.CGROUP_SOCK_OPS);
        m.put("device", AttachType.CGROUP_DEVICE);
        m.put("bind4", AttachType.CGROUP_INET4_BIND);
        m.put("bind6", AttachType.CGROUP_INET6_BIND);
        m.put("post_bind4", AttachType.CGROUP_INET4_POST_BIND);
        m.put("post_bind6", AttachType.CGROUP_INET6_POST_BIND);
        m.put("connect4", AttachType.CGROUP_INET4_CONNECT);
        m.put("connect6", AttachType.CGROUP_INET6_CONNECT);
        m.put("connect_unix", AttachType.CGROUP_UNIX_CONNECT);
        m.put("getpeername4", AttachType.CGROUP_INET4_GETPEERNAME);
        m.put("getpeername6", AttachType.CGROUP_INET6_GETPEERNAME);
        m.put("getpeername_unix", AttachType.CGROUP_UNIX_GETPEERNAME);
        m.put("getsockname4", AttachType.CGROUP_INET4_GETSOCKNAME);
        m.put("getsockname6", AttachType.CGROUP_INET6_GETSOCKNAME);
        m.put("getsockname_unix", AttachType.CGROUP_UNIX_GETSOCKNAME);
        m.put("sendmsg4", AttachType.CGROUP_UDP4_SENDMSG);
        m.put("sendmsg6", AttachType.CGROUP_UDP6_SENDMSG);
        m.put("sendmsg_unix", AttachType.CGROUP_UNIX_SENDMSG);
        m.put("recvmsg4", AttachType.CGROUP_UDP4_RECVMSG);
        m.put("recvmsg6", AttachType.CGROUP_UDP6_RECVMSG);
        m.put("recvmsg_unix", AttachType.CGROUP_UNIX_RECVMSG);
        m.put("sysctl", AttachType.CGROUP_SYSCTL);
        m.put("getsockopt", AttachType.CGROUP_GETSOCKOPT);
        m.put("setsockopt", AttachType.CGROUP_SETSOCKOPT);
        m.put("lsm_cgroup", AttachType.LSM_CGROUP);
        return java.util.Collections.unmodifiableMap(m);
    }

    private static AttachType attachType(CommandSpec spec, String word) {
        AttachType t = NAMES.get(word);
        if (t == null) {
            for (AttachType a : CgroupLink.attachTypes()) {
                if (a.displayName().equals(word)) {
                    t = a;
                }
            }
        }
        if (t == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown cgroup attach type '" + word
                    + "'; expected one of " + String.join(", ", NAMES.keySet()));
        }
        return t;
    }

    private static String shortName(AttachType t) {
        for (Map.Entry<String, AttachType> e : NAMES.entrySet()) {
            if (e.getValue() == t) {
                return e.getKey();
            }
        }
        return t.displayName();
    }

    /** A cgroup path as given, or relative to the cgroup v2 mount when it does not exist as given. */
    private static Path cgroup(String arg) {
        Path p = Path.of(arg);
        if (!Files.isDirectory(p) && !p.isAbsolute()) {
            p = Cgroups.root().resolve(arg);
        }
        if (!Files.isDirectory(p)) {
            throw new BpfException("no cgroup directory '" + arg + "' (cgroup v2 is mounted at " + Cgroups.root() + ")");
        }
        return p;
    }

    @Command(name = "attach", description = "Attach a program: CGROUP ATTACH_TYPE PROG [multi | override]. PROG is "
            + "'id ID' or 'pinned FILE'.")
    int attach(@Parameters(arity = "4..5", paramLabel = "ARGS") List<String> words,
               @Option(names = "--pin", paramLabel = "FILE", description = "Attach with a cgroup link and pin it here.") Path pin)
            throws IOException {
        CommandSpec sub = spec.subcommands().get("attach").getCommandSpec();
        Path cg = cgroup(words.get(0));
        AttachType type = attachType(sub, words.get(1));
        Selector sel = Selector.parse(sub, words.subList(2, 4), EnumSet.of(Selector.Kind.ID, Selector.Kind.PINNED));
        CgroupAttachment.Mode mode = CgroupAttachment.Mode.EXCLUSIVE;
        if (words.size() == 5) {
            mode = switch (words.get(4)) {
                case "multi" -> CgroupAttachment.Mode.MULTI;
                case "override" -> CgroupAttachment.Mode.OVERRIDE;
                default -> throw new CommandLine.ParameterException(sub.commandLine(),
                        "expected 'multi' or 'override', got '" + words.get(4) + "'");
            };
            if (pin != null) {
                throw new CommandLine.ParameterException(sub.commandLine(),
                        "'" + words.get(4) + "' is for PROG_ATTACH; links (--pin) always share the hook");
            }
        }
        String described;
        try (Program p = ProgCommand.open(sel)) {
            if (pin != null) {
                try (CgroupLink link = CgroupLink.attach(p, cg, type)) {
                    link.pin(pin);
                    described = link.describe() + " pinned at " + pin;
                }
            } else {
                CgroupAttachment a = CgroupAttachment.attach(p, cg, type, mode);
                a.disown();
                described = a.describe();
            }
        }
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartObject();
                g.writeStringField("attached", described);
                g.writeEndObject();
            });
        } else {
            out.text().println("attached " + described);
            out.text().flush();
        }
        return 0;
    }

    @Command(name = "detach", description = "Detach a program: CGROUP ATTACH_TYPE PROG (through its link if a link holds it).")
    int detach(@Parameters(arity = "4", paramLabel = "ARGS") List<String> words) throws IOException {
        CommandSpec sub = spec.subcommands().get("detach").getCommandSpec();
        Path cg = cgroup(words.get(0));
        AttachType type = attachType(sub, words.get(1));
        Selector sel = Selector.parse(sub, words.subList(2, 4), EnumSet.of(Selector.Kind.ID, Selector.Kind.PINNED));
        try (Program p = ProgCommand.open(sel)) {
            CgroupAttachment.detach(cg, type, p);
            Output out = Output.of(spec);
            if (out.json()) {
                out.json(g -> {
                    g.writeStartObject();
                    g.writeNumberField("detached", p.id());
                    g.writeEndObject();
                });
            } else {
                out.text().println("detached program " + p.id() + " from " + shortName(type) + " of " + cg);
                out.text().flush();
            }
        }
        return 0;
    }

    private record Row(int progId, String type, int linkId, String name) {
    }

    @Command(name = "list", aliases = "show", description = "List the programs attached to CGROUP itself.")
    int list(@Parameters(arity = "1", paramLabel = "CGROUP") String path) throws IOException {
        Path cg = cgroup(path);
        List<Row> rows = new ArrayList<>();
        for (AttachType t : CgroupLink.attachTypes()) {
            HookQuery q;
            try {
                q = CgroupLink.query(cg, t);
            } catch (SyscallException e) {
                if (e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP) {
                    continue; // a hook this kernel does not have
                }
                throw e;
            }
            for (int i = 0; i < q.programIds().size(); i++) {
                int id = q.programIds().get(i);
                String name;
                try (Program p = Program.fromId(id)) {
                    name = p.name();
                } catch (SyscallException e) {
                    name = "";
                }
                rows.add(new Row(id, shortName(t), q.linkIds().get(i), name));
            }
        }
        Output out = Output.of(spec);
        if (out.json()) {
            out.json(g -> {
                g.writeStartArray();
                for (Row r : rows) {
                    g.writeStartObject();
                    g.writeNumberField("id", r.progId());
                    g.writeStringField("attach_type", r.type());
                    if (r.linkId() != 0) {
                        g.writeNumberField("link_id", r.linkId());
                    }
                    g.writeStringField("name", r.name());
                    g.writeEndObject();
                }
                g.writeEndArray();
            });
        } else {
            var w = out.text();
            w.printf("%-8s %-16s %-8s %s%n", "ID", "AttachType", "LinkID", "Name");
            for (Row r : rows) {
                w.printf("%-8d %-16s %-8s %s%n", r.progId(), r.type(), r.linkId() == 0 ? "" : Integer.toString(r.linkId()), r.name());
            }
            w.flush();
        }
        return 0;
    }
}
