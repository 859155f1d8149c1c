package io.ebpf4j.btf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Types as text, line for line as {@code bpftool btf dump} prints them in its raw format: a line
 * {@code [id] KIND 'name' ...} per type, then one tab-indented line per member, enumerator, parameter or
 * section variable.
 */
public final class BtfRawFormat {
    private BtfRawFormat() {
    }

    /**
     * Writes every type {@code btf} itself holds (for split BTF: not those of its base), each line ended by
     * {@code '\n'}.
     *
     * @throws UncheckedIOException when {@code out} fails
     */
    public static void write(Btf btf, Appendable out) {
        StringBuilder sb = new StringBuilder(256);
        try {
            for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
                sb.setLength(0);
                append(btf, id, sb);
                out.append(sb).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of type {@code id}, separated (not ended) by {@code '\n'}. */
    public static String format(Btf btf, int id) {
        StringBuilder sb = new StringBuilder(64);
        append(btf, id, sb);
        return sb.toString();
    }

    private static void append(Btf btf, int id, StringBuilder sb) {
        BtfType t = btf.type(id);
        if (t instanceof BtfType.Void) {
            sb.append("[0] VOID");
            return;
        }
        sb.append('[').append(id).append("] ").append(t.kind().name()).append(' ');
        quoted(sb, t.name());
        switch (t) {
            case BtfType.Int i -> sb.append(" size=").append(i.size()).append(" bits_offset=").append(i.bitOffset())
                    .append(" nr_bits=").append(i.bits()).append(" encoding=").append(encoding(i));
            case BtfType.Ptr p -> sb.append(" type_id=").append(p.type());
            case BtfType.Typedef p -> sb.append(" type_id=").append(p.type());
            case BtfType.Const p -> sb.append(" type_id=").append(p.type());
            case BtfType.Volatile p -> sb.append(" type_id=").append(p.type());
            case BtfType.Restrict p -> sb.append(" type_id=").append(p.type());
            case BtfType.TypeTag p -> sb.append(" type_id=").append(p.type());
            case BtfType.Array a -> sb.append(" type_id=").append(a.elemType()).append(" index_type_id=")
                    .append(a.indexType()).append(" nr_elems=").append(Integer.toUnsignedString(a.nelems()));
            case BtfType.Composite c -> {
                sb.append(" size=").append(c.size()).append(" vlen=").append(c.members().size());
                for (BtfType.Member m : c.members()) {
                    sb.append("\n\t");
                    quoted(sb, m.name());
                    sb.append(" type_id=").append(m.type()).append(" bits_offset=")
                            .append(Integer.toUnsignedString(m.bitOffset()));
                    if (m.bitfieldSize() != 0) {
                        sb.append(" bitfield_size=").append(m.bitfieldSize());
                    }
                }
            }
            case BtfType.Enum e -> {
                sb.append(" encoding=").append(e.signed() ? "SIGNED" : "UNSIGNED").append(" size=").append(e.size())
                        .append(" vlen=").append(e.values().size());
                for (BtfType.EnumValue v : e.values()) {
                    sb.append("\n\t");
                    quoted(sb, v.name());
                    sb.append(" val=").append(v.value());
                }
            }
            case BtfType.Enum64 e -> {
                sb.append(" encoding=").append(e.signed() ? "SIGNED" : "UNSIGNED").append(" size=").append(e.size())
                        .append(" vlen=").append(e.values().size());
                for (BtfType.EnumValue v : e.values()) {
                    sb.append("\n\t");
                    quoted(sb, v.name());
                    sb.append(" val=");
                    if (e.signed()) {
                        sb.append(v.value()).append("LL");
                    } else {
                        sb.append(Long.toUnsignedString(v.value())).append("ULL");
                    }
                }
            }
            case BtfType.Fwd f -> sb.append(" fwd_kind=").append(f.union() ? "union" : "struct");
            case BtfType.Func f -> sb.append(" type_id=").append(f.type()).append(" linkage=").append(linkage(f.linkage()));
            case BtfType.FuncProto p -> {
                sb.append(" ret_type_id=").append(p.returnType()).append(" vlen=").append(p.params().size());
                for (BtfType.Param q : p.params()) {
                    sb.append("\n\t");
                    quoted(sb, q.name());
                    sb.append(" type_id=").append(q.type());
                }
            }
            // bpftool really does put a comma here.
            case BtfType.Var v -> sb.append(" type_id=").append(v.type()).append(", linkage=").append(linkage(v.linkage()));
            case BtfType.Datasec d -> {
                sb.append(" size=").append(d.size()).append(" vlen=").append(d.vars().size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    sb.append("\n\ttype_id=").append(v.type()).append(" offset=").append(v.offset()).append(" size=")
                            .append(v.size()).append(" (").append(btf.kind(v.type()).name()).append(' ');
                    quoted(sb, btf.nameOf(v.type()));
                    sb.append(')');
                }
            }
            case BtfType.Float f -> sb.append(" size=").append(f.size());
            case BtfType.DeclTag d -> sb.append(" type_id=").append(d.type()).append(" component_idx=").append(d.componentIdx());
            case BtfType.Void v -> throw new AssertionError(v);
        }
    }

    /** bpftool's word for an INT's encoding. */
    static String encoding(BtfType.Int i) {
        return i.encoding() == BtfType.IntEncoding.NONE ? "(none)" : i.encoding().name();
    }

    /** bpftool's word for a linkage. */
    static String linkage(BtfType.Linkage l) {
        return l.name().toLowerCase(Locale.ROOT);
    }

    private static void quoted(StringBuilder sb, String name) {
        sb.append('\'').append(name.isEmpty() ? "(anon)" : name).append('\'');
    }
}
