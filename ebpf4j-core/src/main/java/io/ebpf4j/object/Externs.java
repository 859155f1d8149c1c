package io.ebpf4j.object;

import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfEditor;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.elf.Symbol;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The object's externs, as libbpf finds them: undefined symbols described by a BTF VAR or FUNC with extern
 * linkage in the {@code .kconfig} or {@code .ksyms} DATASEC. Pure (no kernel): collecting them, laying out the
 * {@code .kconfig} map and fixing up the BTF so the kernel accepts it; {@link ExternResolver} resolves them.
 */
public final class Externs {
    private Externs() {
    }

    /** What an extern is. */
    public enum Kind {
        /** A {@code __kconfig} variable: a value in the read-only {@code .kconfig} map. */
        KCONFIG,
        /** A {@code __ksym} variable: typeless (an address from kallsyms) or typed (a kernel BTF VAR). */
        KSYM,
        /** A {@code __ksym} function: a kfunc, called with BPF_PSEUDO_KFUNC_CALL. */
        KFUNC
    }

    /** How a {@code .kconfig} value is typed (libbpf's kcfg types). */
    public enum KconfigType {
        /** A one-byte {@code bool}: y/n or 0/1. */
        BOOL,
        /** {@code enum libbpf_tristate}: y = 1, m = 2, n = 0. */
        TRISTATE,
        /** A one-byte {@code char}: y/n/m as the letter, or a number. */
        CHAR,
        /** An integer of 1, 2, 4 or 8 bytes. */
        INT,
        /** A {@code char[N]}: a quoted string, NUL-terminated and truncated to N - 1. */
        CHAR_ARRAY
    }

    /**
     * One extern.
     *
     * @param btfId   its VAR or FUNC in the object's BTF
     * @param typeId  for ksyms and kfuncs, the local type (modifiers and typedefs skipped; 0: typeless)
     * @param offset  for kconfig, the byte offset of its value in the {@code .kconfig} map
     */
    public record Extern(String name, Kind kind, boolean weak, int btfId, int typeId, KconfigType kconfigType,
                         boolean signed, int size, int align, int offset) {
        /** A typed ksym: resolved against a kernel BTF VAR (PSEUDO_BTF_ID), not kallsyms. */
        public boolean typed() {
            return typeId != 0;
        }

        Extern at(int newOffset) {
            return new Extern(name, kind, weak, btfId, typeId, kconfigType, signed, size, align, newOffset);
        }
    }

    static final String KCONFIG = ObjectReader.KCONFIG;
    static final String KSYMS = ObjectReader.KSYMS;
    private static final int VAR_ALLOCATED = BtfType.Linkage.GLOBAL.code();
    private static final int FUNC_GLOBAL = BtfType.Linkage.GLOBAL.code();
    private static final int SECINFO_SIZE = 12;

    /** The externs of an object, kconfig ones first (laid out as libbpf lays them out), then ksyms and kfuncs. */
    static List<Extern> collect(List<Symbol> symbols, Btf btf) {
        List<Extern> found = new ArrayList<>();
        for (Symbol sym : symbols) {
            if (!sym.isUndefined() || sym.name().isEmpty() || !(sym.isGlobal() || sym.isWeak())) {
                continue;
            }
            if (btf == null) {
                throw new ObjectFormatException(".symtab", -1, "extern '" + sym.name() + "' needs BTF to be "
                        + "resolved, and the object has none (compile with -g)");
            }
            int id = externBtfId(btf, sym.name());
            String section = sectionOf(btf, id);
            BtfType t = btf.type(id);
            boolean weak = sym.isWeak();
            if (section.equals(KCONFIG)) {
                if (t instanceof BtfType.Func) {
                    throw new ObjectFormatException(KCONFIG, -1, "extern function '" + sym.name()
                            + "' cannot be a __kconfig value");
                }
                int type = ((BtfType.Var) t).type();
                long size = btf.sizeOf(type);
                boolean[] signed = new boolean[1];
                KconfigType kt = kconfigType(btf, type, signed);
                if (kt == null) {
                    throw new ObjectFormatException(KCONFIG, -1, "extern '" + sym.name() + "': its type ("
                            + btf.resolveType(type) + ") is no kconfig type: use bool, char, an integer of 1, 2, 4 "
                            + "or 8 bytes, enum libbpf_tristate or a char array");
                }
                found.add(new Extern(sym.name(), Kind.KCONFIG, weak, id, 0, kt, signed[0], (int) size,
                        alignOf(btf, type), -1));
            } else if (section.equals(KSYMS)) {
                int type = t instanceof BtfType.Var v ? btf.resolve(v.type()) : btf.resolve(((BtfType.Func) t).type());
                found.add(new Extern(sym.name(), t instanceof BtfType.Func ? Kind.KFUNC : Kind.KSYM, weak, id, type,
                        null, false, 0, 0, -1));
            } else {
                throw new ObjectFormatException(section, -1, "extern '" + sym.name() + "' lives in section '"
                        + section + "'; only .kconfig and .ksyms externs are supported");
            }
        }
        found.sort(Comparator.comparing(Extern::kind).thenComparing(e -> e.kind() == Kind.KCONFIG ? -e.align() : 0)
                .thenComparing(e -> e.kind() == Kind.KCONFIG ? e.size() : 0).thenComparing(Extern::name));
        int off = 0;
        for (int i = 0; i < found.size(); i++) {
            Extern e = found.get(i);
            if (e.kind() == Kind.KCONFIG) {
                int at = (off + e.align() - 1) / e.align() * e.align();
                found.set(i, e.at(at));
                off = at + e.size();
            }
        }
        return found;
    }

    /** The size of the {@code .kconfig} map's value: where the last kconfig extern ends. */
    static int kconfigSize(List<Extern> externs) {
        int end = 0;
        for (Extern e : externs) {
            if (e.kind() == Kind.KCONFIG) {
                end = Math.max(end, e.offset() + e.size());
            }
        }
        return end;
    }

    private static int externBtfId(Btf btf, String name) {
        for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
            BtfKind k = btf.kind(id);
            if ((k == BtfKind.VAR || k == BtfKind.FUNC) && btf.nameOf(id).equals(name)) {
                BtfType t = btf.type(id);
                BtfType.Linkage l = t instanceof BtfType.Var v ? v.linkage() : ((BtfType.Func) t).linkage();
                if (l != BtfType.Linkage.EXTERN) {
                    throw new ObjectFormatException(".BTF", -1, "extern '" + name + "': its BTF " + k
                            + " is not declared extern");
                }
                return id;
            }
        }
        throw new ObjectFormatException(".BTF", -1, "extern '" + name + "' has no BTF VAR or FUNC; declare it with "
                + "__kconfig or __ksym and compile with -g");
    }

    private static String sectionOf(Btf btf, int externId) {
        for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
            if (btf.kind(id) == BtfKind.DATASEC) {
                BtfType.Datasec ds = (BtfType.Datasec) btf.type(id);
                for (BtfType.VarSecinfo vs : ds.vars()) {
                    if (vs.type() == externId) {
                        return ds.name();
                    }
                }
            }
        }
        throw new ObjectFormatException(".BTF", -1, "extern '" + btf.nameOf(externId) + "' is in no DATASEC; "
                + "declare it with __kconfig or __ksym");
    }

    /** libbpf's kcfg typing; null when the type is none of them. */
    private static KconfigType kconfigType(Btf btf, int type, boolean[] signed) {
        BtfType t = btf.resolveType(type);
        return switch (t) {
            case BtfType.Int i when i.encoding() == BtfType.IntEncoding.BOOL -> i.size() == 1 ? KconfigType.BOOL : null;
            case BtfType.Int i -> {
                signed[0] = i.encoding() == BtfType.IntEncoding.SIGNED;
                if (i.size() == 1) {
                    yield KconfigType.CHAR;
                }
                yield i.size() == 2 || i.size() == 4 || i.size() == 8 ? KconfigType.INT : null;
            }
            case BtfType.Enum en when en.size() == 4 && en.name().equals("libbpf_tristate") -> KconfigType.TRISTATE;
            case BtfType.Enum64 en when en.name().equals("libbpf_tristate") -> KconfigType.TRISTATE;
            case BtfType.Array a when a.nelems() > 0
                    && kconfigType(btf, a.elemType(), new boolean[1]) == KconfigType.CHAR -> KconfigType.CHAR_ARRAY;
            default -> null;
        };
    }

    private static int alignOf(Btf btf, int type) {
        BtfType t = btf.resolveType(type);
        return switch (t) {
            case BtfType.Array a -> alignOf(btf, a.elemType());
            case BtfType.Int i -> Math.min(Math.max(1, i.size()), Long.BYTES);
            case BtfType.Enum en -> Math.min(Math.max(1, en.size()), Long.BYTES);
            case BtfType.Enum64 en -> Math.min(Math.max(1, en.size()), Long.BYTES);
            default -> 1;
        };
    }

    /**
     * The BTF the kernel will accept with these externs (libbpf's fixups): extern VARs of {@code .kconfig}
     * become allocated variables at their map offsets; in {@code .ksyms}, variables become 4-byte ints and
     * functions are replaced in the DATASEC by one dummy variable (the kernel allows only VARs there), the
     * functions made global with every parameter named.
     */
    static byte[] fixupBtf(byte[] raw, List<Extern> externs) {
        if (externs.isEmpty()) {
            return raw;
        }
        BtfEditor e = BtfEditor.of(raw);
        Btf btf = e.btf();
        int kconfig = btf.find(KCONFIG, BtfKind.DATASEC).orElse(0);
        if (kconfig != 0) {
            e.setWord(kconfig, BtfEditor.SIZE_OR_TYPE, kconfigSize(externs));
            // The kernel wants the variables in offset order, so they are written out sorted.
            List<BtfType.VarSecinfo> vars = new ArrayList<>();
            for (BtfType.VarSecinfo vs : ((BtfType.Datasec) btf.type(kconfig)).vars()) {
                vars.add(new BtfType.VarSecinfo(vs.type(), byBtfId(externs, vs.type()).offset(), vs.size()));
            }
            vars.sort(Comparator.comparingInt(BtfType.VarSecinfo::offset));
            for (int i = 0; i < vars.size(); i++) {
                BtfType.VarSecinfo vs = vars.get(i);
                e.setWord(vs.type(), BtfEditor.EXTRA, VAR_ALLOCATED);
                int at = BtfEditor.EXTRA + i * SECINFO_SIZE;
                e.setWord(kconfig, at, vs.type());
                e.setWord(kconfig, at + 4, vs.offset());
                e.setWord(kconfig, at + 8, vs.size());
            }
        }
        int ksyms = btf.find(KSYMS, BtfKind.DATASEC).orElse(0);
        if (ksyms != 0) {
            List<BtfType.VarSecinfo> vars = ((BtfType.Datasec) btf.type(ksyms)).vars();
            int intId = int32(btf);
            int dummy = 0;
            int dummyName = 0;
            if (vars.stream().anyMatch(v -> btf.kind(v.type()) == BtfKind.FUNC)) {
                dummyName = e.addString("dummy_ksym");
                dummy = e.addType(dummyName, info(BtfWriter.KIND_VAR, 0), intId, VAR_ALLOCATED);
            }
            int off = 0;
            for (int i = 0; i < vars.size(); i++) {
                int id = vars.get(i).type();
                int secinfo = BtfEditor.EXTRA + i * SECINFO_SIZE;
                if (btf.kind(id) == BtfKind.FUNC) {
                    int proto = ((BtfType.Func) btf.type(id)).type();
                    if (btf.kind(proto) == BtfKind.FUNC_PROTO) {
                        List<BtfType.Param> params = ((BtfType.FuncProto) btf.type(proto)).params();
                        for (int j = 0; j < params.size(); j++) {
                            if (params.get(j).type() != 0 && params.get(j).name().isEmpty()) {
                                e.setWord(proto, BtfEditor.EXTRA + j * 8, dummyName);
                            }
                        }
                    }
                    e.setWord(ksyms, secinfo, dummy);
                    e.setInfo(id, BtfWriter.KIND_FUNC, FUNC_GLOBAL, false);
                } else {
                    e.setWord(id, BtfEditor.EXTRA, VAR_ALLOCATED);
                    e.setWord(id, BtfEditor.SIZE_OR_TYPE, intId);
                }
                e.setWord(ksyms, secinfo + 4, off);
                e.setWord(ksyms, secinfo + 8, Integer.BYTES);
                off += Integer.BYTES;
            }
            e.setWord(ksyms, BtfEditor.SIZE_OR_TYPE, off);
        }
        return e.bytes();
    }

    private static int info(int kind, int vlen) {
        return kind << 24 | vlen;
    }

    private static Extern byBtfId(List<Extern> externs, int id) {
        for (Extern x : externs) {
            if (x.btfId() == id) {
                return x;
            }
        }
        throw new ObjectFormatException(".BTF", -1, "the .kconfig DATASEC lists type " + id
                + ", which is no extern of the symbol table");
    }

    /** The first 32-bit INT (what libbpf uses for the stand-in variables), 0 when there is none. */
    private static int int32(Btf btf) {
        for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
            if (btf.type(id) instanceof BtfType.Int i && i.bits() == 32) {
                return id;
            }
        }
        return 0;
    }
}
