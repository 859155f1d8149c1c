package io.ebpf4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Values decoded through BTF are trees of maps (structs, unions), lists (arrays), numbers, strings and booleans.
 * These render them as one line of text ({@code pid=12 comm="bash"}) or as JSON.
 */
final class Values {
    private Values() {
    }

    /** Top-level fields as {@code name=value} pairs; nested records in braces, arrays in brackets. */
    static String inline(Map<String, ?> fields) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(e.getKey()).append('=');
            append(b, e.getValue());
        }
        return b.toString();
    }

    private static void append(StringBuilder b, Object v) {
        switch (v) {
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(first ? "" : ", ").append(e.getKey()).append('=');
                    append(b, e.getValue());
                    first = false;
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    b.append(i == 0 ? "" : ", ");
                    append(b, l.get(i));
                }
                b.append(']');
            }
            case String s -> b.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            case null -> b.append("null");
            default -> b.append(v);
        }
    }

    static void writeJson(JsonGenerator g, Object v) throws IOException {
        switch (v) {
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    writeJson(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> l -> {
                g.writeStartArray();
                for (Object o : l) {
                    writeJson(g, o);
                }
                g.writeEndArray();
            }
            case String s -> g.writeString(s);
            case Boolean z -> g.writeBoolean(z);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case BigInteger i -> g.writeNumber(i);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case Number n -> g.writeNumber(n.toString());
            case null -> g.writeNull();
            default -> g.writeString(v.toString());
        }
    }
}
