package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.btf.BtfValueFormatter;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ebpf4j map}: the maps of the kernel, shown and dumped as {@code bpftool map} does. */
@Command(name = "map", description = "Inspect BPF maps (without a subcommand: show them all).")
final class MapCommand implements Callable<Integer> {
    private static final EnumSet<Selector.Kind> SELECTORS =
            EnumSet.of(Selector.Kind.ALL, Selector.Kind.ID, Selector.Kind.PINNED, Selector.Kind.NAME);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        return show(List.of());
    }

    @Command(name = "show", aliases = "list", description = "Show all maps, or those MAP selects.")
    int show(@Parameters(arity = "0..2", paramLabel = "MAP", description = "id ID | pinned FILE | name NAME")
             List<String> words) throws IOException {
        Selector sel = Selector.parse(spec.subcommands().get("show").getCommandSpec(), words, SELECTORS);
        Output out = Output.of(spec);
        if (sel.kind() == Selector.Kind.ID || sel.kind() == Selector.Kind.PINNED) {
            // One map: opened before anything is written; bpftool answers an object here, an array otherwise.
            try (BpfMap m = open(sel)) {
                MapInfo info = m.info();
                if (out.json()) {
                    out.json(g -> writeJson(g, m, info));
                } else {
                    printText(out.text(), m, info);
                }
            }
        } else {
            List<Integer> ids = ids(sel);
            if (out.json()) {
                out.json(g -> {
                    g.writeStartArray();
                    forEach(ids, (m, info) -> writeJson(g, m, info));
                    g.writeEndArray();
                });
            } else {
                forEach(ids, (m, info) -> printText(out.text(), m, info));
            }
        }
        out.text().flush();
        return 0;
    }

    @Command(name = "dump", description = "Print every key and value of a map, in hex.")
    int dump(@Parameters(arity = "2", paramLabel = "MAP", description = "id ID | pinned FILE | name NAME")
             List<String> words) throws IOException {
        Selector sel = Selector.parse(spec.subcommands().get("dump").getCommandSpec(), words, SELECTORS);
        Output out = Output.of(spec);
        try (BpfMap m = openOne(sel)) {
            requireDumpable(m);
            try (MapBtf btf = MapBtf.of(m.info())) {
                if (out.json()) {
                    out.json(g -> {
                        g.writeStartArray();
                        dumpJson(g, m, btf);
                        g.writeEndArray();
                    });
                } else if (btf != null) {
                    // With BTF, bpftool's text is its JSON writer in pretty mode, and no element count.
                    out.text().println(BtfValueFormatter.render(formatted(m, btf, BtfValueFormatter.Style.TEXT)));
                } else {
                    int n = dumpText(out.text(), m);
                    out.text().println("Found " + n + " element" + (n == 1 ? "" : "s"));
                }
            }
        }
        out.text().flush();
        return 0;
    }

    /** Receives each selected map while it is open. */
    @FunctionalInterface
    interface Visitor {
        void visit(BpfMap m, MapInfo info) throws IOException;
    }

    /** The one map an id or pin path names. */
    private static BpfMap open(Selector sel) {
        return sel.kind() == Selector.Kind.ID ? BpfMap.fromId(sel.id()) : BpfMap.openPinned(sel.path());
    }

    /** The one map {@code sel} names; a name must name exactly one map. */
    private static BpfMap openOne(Selector sel) throws IOException {
        if (sel.kind() != Selector.Kind.NAME) {
            return open(sel);
        }
        List<Integer> ids = ids(sel);
        if (ids.size() > 1) {
            throw new BpfException(ids.size() + " maps are named '" + sel.value() + "' (ids " + ids
                    + "): select one with 'id ID'");
        }
        return BpfMap.fromId(ids.get(0));
    }

    /**
     * The ids of the maps {@code sel} selects (all, or by name), found before any output so that "no such map"
     * is an error rather than an empty list.
     */
    private static List<Integer> ids(Selector sel) throws IOException {
        if (sel.kind() == Selector.Kind.ALL) {
            return BpfMap.ids();
        }
        List<Integer> ids = new ArrayList<>();
        forEach(BpfMap.ids(), (m, info) -> {
            if (info.name().equals(sel.value())) {
                ids.add(info.id());
            }
        });
        if (ids.isEmpty()) {
            throw new BpfException("no map has " + sel.kind().name().toLowerCase(Locale.ROOT) + " '"
                    + sel.value() + "'");
        }
        return ids;
    }

    /** Opens each map, hands it to {@code v} and closes it; skips those freed since their id was listed. */
    private static void forEach(List<Integer> ids, Visitor v) throws IOException {
        for (int id : ids) {
            try (BpfMap m = openIfPresent(id)) {
                if (m != null) {
                    v.visit(m, m.info());
                }
            }
        }
    }

    /** The map with this id, or null when it went away since its id was listed. */
    private static BpfMap openIfPresent(int id) {
        try {
            return BpfMap.fromId(id);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    // ---- show ----

    private static void printText(PrintWriter w, BpfMap m, MapInfo info) {
        Map<String, String> fdInfo = Proc.fdInfo(m.fd());
        StringBuilder sb = new StringBuilder();
        sb.append(info.id()).append(": ").append(info.typeName()).append("  ");
        if (!info.name().isEmpty()) {
            sb.append("name ").append(info.name()).append("  ");
        }
        sb.append("flags 0x").append(Integer.toHexString(info.flags())).append('\n');
        sb.append("\tkey ").append(info.keySize()).append("B  value ").append(info.valueSize())
                .append("B  max_entries ").append(info.maxEntries());
        long memlock = Proc.fdInfoLong(fdInfo, "memlock");
        if (memlock >= 0) {
            sb.append("  memlock ").append(memlock).append('B');
        }
        if (Proc.fdInfoLong(fdInfo, "frozen") > 0) {
            sb.append("  frozen");
        }
        if (info.btfId() != 0) {
            sb.append("\n\tbtf_id ").append(info.btfId());
        }
        w.println(sb);
    }

    private static void writeJson(JsonGenerator g, BpfMap m, MapInfo info) throws IOException {
        Map<String, String> fdInfo = Proc.fdInfo(m.fd());
        g.writeStartObject();
        g.writeNumberField("id", info.id());
        g.writeStringField("type", info.typeName());
        if (!info.name().isEmpty()) {
            g.writeStringField("name", info.name());
        }
        g.writeNumberField("flags", info.flags());
        g.writeNumberField("bytes_key", info.keySize());
        g.writeNumberField("bytes_value", info.valueSize());
        g.writeNumberField("max_entries", info.maxEntries());
        long memlock = Proc.fdInfoLong(fdInfo, "memlock");
        if (memlock >= 0) {
            g.writeNumberField("bytes_memlock", memlock);
        }
        long frozen = Proc.fdInfoLong(fdInfo, "frozen");
        if (frozen >= 0) {
            g.writeNumberField("frozen", frozen);
        }
        if (info.btfId() != 0) {
            g.writeNumberField("btf_id", info.btfId());
        }
        g.writeEndObject();
    }

    // ---- dump ----

    /**
     * Checks, before anything is printed, that the map can be dumped: it has keys to walk (queues, stacks, ring
     * buffers, bloom filters and arenas have none), they are not descriptors of the owners (local storage), and
     * user space can read its values.
     */
    private static void requireDumpable(BpfMap m) {
        String what = "map '" + m.name() + "' (" + m.type().displayName() + ")";
        if (m.type().isKeyless() || m.keySize() == 0) {
            throw new BpfException(what + " has no keys: its contents cannot be dumped element by element");
        }
        if (m.type().isLocalStorage()) {
            throw new BpfException(what + " is keyed by descriptors of the objects it stores data for (sockets, "
                    + "tasks...): user space cannot walk it");
        }
        m.type().unreadableValues(m.valueSize()).ifPresent(why -> {
            throw new BpfException(what + " cannot be dumped: " + why);
        });
    }

    /**
     * Each element as bpftool prints it without BTF: short keys and values on one line, longer ones under
     * {@code key:} and {@code value:}, per-CPU values one CPU at a time. Returns the number of elements.
     */
    private static int dumpText(PrintWriter w, BpfMap m) {
        int keySize = m.keySize();
        int valueSize = m.valueSize();
        int slots = m.cpuSlots();
        int stride = m.valueBufferSize() / slots;
        boolean breakNames = keySize > 16 || valueSize > 16;
        boolean oneLine = keySize + valueSize <= 24 && !breakNames;
        int n = 0;
        for (Map.Entry<byte[], byte[]> element : m.entries()) {
            byte[] key = element.getKey();
            byte[] v = element.getValue();
            StringBuilder sb = new StringBuilder();
            if (!m.type().isPerCpu()) {
                sb.append("key:").append(breakNames ? '\n' : ' ').append(Output.hex(key, 0, keySize))
                        .append(oneLine ? "  " : "\n");
                sb.append("value:").append(breakNames ? '\n' : ' ').append(Output.hex(v, 0, valueSize));
            } else {
                sb.append("key:\n").append(Output.hex(key, 0, keySize));
                for (int cpu = 0; cpu < slots; cpu++) {
                    sb.append(String.format("\nvalue (CPU %02d):%c", cpu, valueSize > 16 ? '\n' : ' '))
                            .append(Output.hex(v, cpu * stride, valueSize));
                }
            }
            w.println(sb);
            n++;
        }
        return n;
    }

    /** Every element's key and value(s) read through the map's BTF, as bpftool's {@code do_dump_btf} shows them. */
    private static List<Object> formatted(BpfMap m, MapBtf btf, BtfValueFormatter.Style style) {
        List<Object> all = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> element : m.entries()) {
            all.add(btf.element(m, element.getKey(), element.getValue(), style));
        }
        return all;
    }

    /** Each element as a JSON object of hex-string arrays, as bpftool writes them; with BTF also "formatted". */
    private static void dumpJson(JsonGenerator g, BpfMap m, MapBtf btf) throws IOException {
        int slots = m.cpuSlots();
        int stride = m.valueBufferSize() / slots;
        for (Map.Entry<byte[], byte[]> element : m.entries()) {
            byte[] key = element.getKey();
            byte[] v = element.getValue();
            g.writeStartObject();
            g.writeFieldName("key");
            Output.hexArray(g, key, 0, m.keySize());
            if (!m.type().isPerCpu()) {
                g.writeFieldName("value");
                Output.hexArray(g, v, 0, m.valueSize());
            } else {
                g.writeArrayFieldStart("values");
                for (int cpu = 0; cpu < slots; cpu++) {
                    g.writeStartObject();
                    g.writeNumberField("cpu", cpu);
                    g.writeFieldName("value");
                    Output.hexArray(g, v, cpu * stride, m.valueSize());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (btf != null) {
                g.writeFieldName("formatted");
                Output.tree(g, btf.element(m, key, v, BtfValueFormatter.Style.JSON));
            }
            g.writeEndObject();
        }
    }
}
