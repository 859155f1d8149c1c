package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapFlags;
import io.ebpf4j.map.MapInfo;
import io.ebpf4j.map.MapType;
import io.ebpf4j.object.AutoAttach;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ProgramDef;
import io.ebpf4j.program.Program;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Auto-attach: every program whose {@code SEC()} names its hook is attached where it says, following libbpf's
 * rules for each {@link AutoAttach} kind; programs whose section names no target ({@code SEC("xdp")},
 * {@code SEC("tp")}, {@code SEC("raw_tp")}...) are skipped and listed with the reason. struct_ops maps declared
 * in {@code SEC(".struct_ops.link")} are registered as well, as libbpf's skeletons do.
 */
public final class Links {
    private Links() {
    }

    /** Attaches one program from its section; empty means "nothing to attach automatically". */
    @FunctionalInterface
    interface Handler {
        Optional<Link> attach(Program program, ProgramDef def);
    }

    /** The dispatch table: one handler per auto-attach kind. */
    private static final Map<AutoAttach, Handler> HANDLERS = handlers();

    private static Map<AutoAttach, Handler> handlers() {
        Map<AutoAttach, Handler> h = new EnumMap<>(AutoAttach.class);
        h.put(AutoAttach.NONE, (p, d) -> Optional.empty());
        h.put(AutoAttach.TRACEPOINT, Links::tracepoint);
        h.put(AutoAttach.RAW_TRACEPOINT, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(RawTracepointLink.attach(p, d.attachTarget())));
        h.put(AutoAttach.TRACING, (p, d) -> Optional.of(TracingLink.attach(p)));
        h.put(AutoAttach.LSM, (p, d) -> Optional.of(TracingLink.attach(p)));
        h.put(AutoAttach.ITER, (p, d) -> Optional.of(IterLink.attach(p)));
        h.put(AutoAttach.KPROBE, Links::kprobe);
        h.put(AutoAttach.KSYSCALL, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(KprobeLink.ksyscall(p, d.attachTarget(), base(d).startsWith("kret"), 0)));
        h.put(AutoAttach.KPROBE_MULTI, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(KprobeMultiLink.attachPattern(p, d.attachTarget(),
                base(d).startsWith("kret") ? KprobeMultiLink.Kind.RETURN : KprobeMultiLink.Kind.ENTRY)));
        h.put(AutoAttach.KPROBE_SESSION, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(KprobeMultiLink.attachPattern(p, d.attachTarget(), KprobeMultiLink.Kind.SESSION)));
        h.put(AutoAttach.UPROBE, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(UprobeLink.autoAttach(p, d.section())));
        h.put(AutoAttach.UPROBE_MULTI, (p, d) -> d.attachTarget().isEmpty() ? Optional.empty()
                : Optional.of(UprobeMultiLink.autoAttach(p, d.section())));
        h.put(AutoAttach.USDT, (p, d) -> UsdtLink.hasAutoAttachTarget(d.section())
                ? Optional.of(UsdtLink.autoAttach(p, d.section())) : Optional.empty());
        for (AutoAttach a : AutoAttach.values()) {
            if (!h.containsKey(a)) {
                throw new IllegalStateException("no auto-attach handler for " + a);
            }
        }
        return Collections.unmodifiableMap(h);
    }

    private static String base(ProgramDef d) {
        return d.match().def().baseName();
    }

    /** {@code tp/<category>/<name>}; {@code tp} alone is skipped. */
    private static Optional<Link> tracepoint(Program p, ProgramDef d) {
        String t = d.attachTarget();
        if (t.isEmpty()) {
            return Optional.empty();
        }
        int slash = t.indexOf('/');
        if (slash <= 0 || slash == t.length() - 1) {
            throw new BpfException("section '" + d.section() + "' of program '" + p.name()
                    + "': a tracepoint is named <category>/<name>, e.g. tp/syscalls/sys_enter_openat");
        }
        return Optional.of(PerfEventLink.tracepoint(p, t.substring(0, slash), t.substring(slash + 1)));
    }

    /** {@code kprobe/<function>[+<offset>]} and {@code kretprobe/<function>}. */
    private static Optional<Link> kprobe(Program p, ProgramDef d) {
        String t = d.attachTarget();
        if (t.isEmpty()) {
            return Optional.empty();
        }
        boolean ret = base(d).startsWith("kret");
        int plus = t.indexOf('+');
        String func = plus < 0 ? t : t.substring(0, plus);
        long offset = 0;
        if (plus >= 0) {
            String off = t.substring(plus + 1);
            try {
                offset = off.startsWith("0x") ? Long.parseLong(off.substring(2), 16) : Long.parseLong(off);
            } catch (NumberFormatException e) {
                throw new BpfException("section '" + d.section() + "': bad kprobe offset '" + off + "'", e);
            }
            if (ret && offset != 0) {
                throw new BpfException("section '" + d.section() + "': a kretprobe takes no offset");
            }
        }
        return Optional.of(ret ? KprobeLink.kretprobe(p, func, 0) : KprobeLink.kprobe(p, func, offset, 0));
    }

    /**
     * What {@link #attachAll} did: the links by program name (struct_ops links by map name), and the programs
     * skipped with why. Closing it closes every link.
     */
    public record Attached(Map<String, Link> links, Map<String, String> skipped) implements AutoCloseable {
        public Attached {
            links = Collections.unmodifiableMap(new LinkedHashMap<>(links));
            skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
        }

        @Override
        public void close() {
            new LinkGroup("auto-attached links", links.values().stream().toList()).close();
        }
    }

    /**
     * Attaches every loaded program of {@code object} whose section says where. A failure closes the links made
     * so far and names the program.
     */
    public static Attached attachAll(BpfObject object) {
        Map<String, Link> links = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Program> e : object.programs().entrySet()) {
                ProgramDef def = object.programDef(e.getKey());
                Optional<Link> l = attach(e.getValue(), def);
                if (l.isPresent()) {
                    links.put(e.getKey(), l.get());
                } else {
                    skipped.put(e.getKey(), "section '" + def.section() + "' names no attach target");
                }
            }
            // struct_ops maps from SEC(".struct_ops.link") are registered too, under the map's name.
            for (Map.Entry<String, BpfMap> e : object.maps().entrySet()) {
                MapInfo info = e.getValue().info();
                if (info.rawType() == MapType.STRUCT_OPS.value() && (info.flags() & MapFlags.LINK) != 0) {
                    links.put(e.getKey(), StructOpsLink.attach(e.getValue()));
                }
            }
            return new Attached(links, skipped);
        } catch (RuntimeException | Error e) {
            Closing.closeAllAfter(e, links.values());
            throw e;
        }
    }

    /** Attaches one program as its section says; empty when the section names no target. */
    public static Optional<Link> attach(Program program, ProgramDef def) {
        return HANDLERS.get(def.match().def().autoAttach()).attach(program, def);
    }
}
