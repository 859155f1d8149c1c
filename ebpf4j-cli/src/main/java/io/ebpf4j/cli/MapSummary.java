package io.ebpf4j.cli;

import io.ebpf4j.btf.BtfValueFormatter;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapType;
import io.ebpf4j.object.BpfObject;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code ebpf4j run} prints on its way out: the contents of the object's data maps, read through their BTF
 * (global variables by name), at most {@value #MAX_ELEMENTS} elements a map. Event streams and maps of
 * descriptors (program arrays, maps of maps, socket maps) have no contents worth printing.
 */
final class MapSummary {
    static final int MAX_ELEMENTS = 32;

    private final Output out;

    MapSummary(Output out) {
        this.out = out;
    }

    void print(BpfObject object) {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Map.Entry<String, BpfMap> e : object.maps().entrySet()) {
            BpfMap m = e.getValue();
            MapType t = m.type();
            if (t == MapType.RINGBUF || t == MapType.USER_RINGBUF || t == MapType.PERF_EVENT_ARRAY || t.holdsFds()
                    || t.isKeyless() || t == MapType.STRUCT_OPS) {
                continue;
            }
            all.put(e.getKey(), contents(m));
        }
        if (all.isEmpty()) {
            return;
        }
        if (out.json()) {
            out.json(g -> {
                g.writeStartObject();
                g.writeFieldName("maps");
                Output.tree(g, all);
                g.writeEndObject();
            });
            return;
        }
        PrintWriter w = out.text();
        w.println("-- maps --");
        for (Map.Entry<String, Object> e : all.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> vars) {
                w.println(e.getKey() + ": " + Values.inline(strings(vars)));
            } else {
                List<?> elements = (List<?>) e.getValue();
                w.println(e.getKey() + ": " + (elements.isEmpty() ? "(empty)" : ""));
                for (Object el : elements) {
                    w.println("  " + Values.inline(strings((Map<?, ?>) el)));
                }
            }
        }
        w.flush();
    }

    /** A global-data map's variables by name, or the map's elements. */
    private static Object contents(BpfMap m) {
        List<Object> elements = new ArrayList<>();
        try (MapBtf btf = MapBtf.of(m.info())) {
            for (Map.Entry<byte[], byte[]> element : m.entries()) {
                if (elements.size() == MAX_ELEMENTS) {
                    elements.add(Map.of("more", "..."));
                    break;
                }
                byte[] key = element.getKey();
                byte[] value = element.getValue();
                if (btf == null) {
                    Map<String, Object> raw = new LinkedHashMap<>();
                    raw.put("key", Output.hex(key, 0, key.length));
                    raw.put("value", Output.hex(value, 0, value.length));
                    elements.add(raw);
                } else {
                    elements.add(btf.element(m, key, value, BtfValueFormatter.Style.JSON));
                }
            }
        }
        Map<String, Object> variables = globalVariables(elements);
        return variables != null ? variables : elements;
    }

    /**
     * One element whose value is a DATASEC ({@code {".bss": [{"execs": 3}, ...]}}): the variables, by name. Null
     * for any other map.
     */
    private static Map<String, Object> globalVariables(List<Object> elements) {
        if (elements.size() != 1 || !(elements.getFirst() instanceof Map<?, ?> el)
                || !(el.get("value") instanceof Map<?, ?> value) || value.size() != 1) {
            return null;
        }
        Map.Entry<?, ?> section = value.entrySet().iterator().next();
        if (!String.valueOf(section.getKey()).startsWith(".") || !(section.getValue() instanceof List<?> vars)) {
            return null;
        }
        Map<String, Object> byName = new LinkedHashMap<>();
        for (Object v : vars) {
            if (v instanceof Map<?, ?> one) {
                one.forEach((k, x) -> byName.put(String.valueOf(k), x));
            }
        }
        return byName;
    }

    private static Map<String, ?> strings(Map<?, ?> m) {
        Map<String, Object> s = new LinkedHashMap<>();
        m.forEach((k, v) -> s.put(String.valueOf(k), v));
        return s;
    }
}
