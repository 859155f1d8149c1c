package io.ebpf4j.cli;

import java.util.List;
import java.util.Map;

/**
 * Values decoded through BTF are trees of maps (structs, unions), lists (arrays), numbers, strings and booleans.
 * These render them as one line of text ({@code pid=12 comm="bash"}) (JSON goes through {@link Output#tree}).
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
}
