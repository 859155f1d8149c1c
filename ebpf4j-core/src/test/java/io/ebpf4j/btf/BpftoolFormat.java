package io.ebpf4j.btf;

import java.util.ArrayList;
import java.util.List;

/** Renders decoded types the way {@code bpftool btf dump file F} (raw format) prints them, for cross-checks. */
final class BpftoolFormat {
    private BpftoolFormat() {
    }

    static List<String> render(Btf btf, int id) {
        BtfType t = btf.type(id);
        List<String> out = new ArrayList<>();
        String head = "[" + id + "] " + t.kind() + " " + quoted(t.name());
        switch (t) {
            case BtfType.Int i -> out.add(head + " size=" + i.size() + " bits_offset=" + i.bitOffset() + " nr_bits=" + i.bits()
                    + " encoding=" + (i.encoding() == BtfType.IntEncoding.NONE ? "(none)" : i.encoding().name()));
            case BtfType.Ptr p -> out.add(head + " type_id=" + p.type());
            case BtfType.Typedef p -> out.add(head + " type_id=" + p.type());
            case BtfType.Const p -> out.add(head + " type_id=" + p.type());
            case BtfType.Volatile p -> out.add(head + " type_id=" + p.type());
            case BtfType.Restrict p -> out.add(head + " type_id=" + p.type());
            case BtfType.TypeTag p -> out.add(head + " type_id=" + p.type());
            case BtfType.Array a -> out.add(head + " type_id=" + a.elemType() + " index_type_id=" + a.indexType()
                    + " nr_elems=" + Integer.toUnsignedString(a.nelems()));
            case BtfType.Composite c -> {
                out.add(head + " size=" + c.size() + " vlen=" + c.members().size());
                for (BtfType.Member m : c.members()) {
                    out.add("\t" + quoted(m.name()) + " type_id=" + m.type() + " bits_offset=" + Integer.toUnsignedString(m.bitOffset())
                            + (m.bitfieldSize() != 0 ? " bitfield_size=" + m.bitfieldSize() : ""));
                }
            }
            case BtfType.Enum e -> {
                out.add(head + " encoding=" + (e.signed() ? "SIGNED" : "UNSIGNED") + " size=" + e.size() + " vlen=" + e.values().size());
                for (BtfType.EnumValue v : e.values()) {
                    out.add("\t" + quoted(v.name()) + " val=" + v.value());
                }
            }
            case BtfType.Enum64 e -> {
                out.add(head + " encoding=" + (e.signed() ? "SIGNED" : "UNSIGNED") + " size=" + e.size() + " vlen=" + e.values().size());
                for (BtfType.EnumValue v : e.values()) {
                    out.add("\t" + quoted(v.name()) + " val=" + (e.signed() ? v.value() + "LL" : Long.toUnsignedString(v.value()) + "ULL"));
                }
            }
            case BtfType.Fwd f -> out.add(head + " fwd_kind=" + (f.union() ? "union" : "struct"));
            case BtfType.Func f -> out.add(head + " type_id=" + f.type() + " linkage=" + f.linkage().name().toLowerCase());
            case BtfType.FuncProto p -> {
                out.add(head + " ret_type_id=" + p.returnType() + " vlen=" + p.params().size());
                for (BtfType.Param q : p.params()) {
                    out.add("\t" + quoted(q.name()) + " type_id=" + q.type());
                }
            }
            case BtfType.Var v -> out.add(head + " type_id=" + v.type() + ", linkage=" + v.linkage().name().toLowerCase());
            case BtfType.Datasec d -> {
                out.add(head + " size=" + d.size() + " vlen=" + d.vars().size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    out.add("\ttype_id=" + v.type() + " offset=" + v.offset() + " size=" + v.size()
                            + " (" + btf.kind(v.type()) + " " + quoted(btf.nameOf(v.type())) + ")");
                }
            }
            case BtfType.Float f -> out.add(head + " size=" + f.size());
            case BtfType.DeclTag d -> out.add(head + " type_id=" + d.type() + " component_idx=" + d.componentIdx());
            case BtfType.Void v -> out.add("[0] VOID");
        }
        return out;
    }

    private static String quoted(String name) {
        return "'" + (name.isEmpty() ? "(anon)" : name) + "'";
    }
}
