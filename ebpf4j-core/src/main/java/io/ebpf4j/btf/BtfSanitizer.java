package io.ebpf4j.btf;

import io.ebpf4j.features.Features;
import io.ebpf4j.features.MiscFeature;

/**
 * Rewrites an object's BTF so an older kernel accepts it, replacing each kind or attribute the kernel lacks by
 * one it knows with the same record size (libbpf's rules): type ids and string offsets stay valid, so func and
 * line info still point at the right things. What the kernel has is a {@link Support}, normally probed.
 */
public final class BtfSanitizer {
    private BtfSanitizer() {
    }

    /** Which BTF features the target kernel has. */
    public record Support(boolean func, boolean funcGlobal, boolean datasec, boolean qmarkDatasec, boolean floats,
                          boolean declTag, boolean typeTag, boolean enum64) {
        /** A kernel that has everything: nothing is rewritten. */
        public static final Support ALL = new Support(true, true, true, true, true, true, true, true);

        /** What the running kernel supports, from the {@link Features} probes (cached per process). */
        public static Support probe() {
            return new Support(has(MiscFeature.BTF_FUNC), has(MiscFeature.BTF_FUNC_GLOBAL),
                    has(MiscFeature.BTF_DATASEC), has(MiscFeature.BTF_QMARK_DATASEC), has(MiscFeature.BTF_FLOAT),
                    has(MiscFeature.BTF_DECL_TAG), has(MiscFeature.BTF_TYPE_TAG), has(MiscFeature.BTF_ENUM64));
        }

        private static boolean has(MiscFeature f) {
            return Features.misc(f).supported();
        }

        public boolean all() {
            return equals(ALL);
        }

        public Support withFunc(boolean v) {
            return new Support(v, funcGlobal, datasec, qmarkDatasec, floats, declTag, typeTag, enum64);
        }

        public Support withFuncGlobal(boolean v) {
            return new Support(func, v, datasec, qmarkDatasec, floats, declTag, typeTag, enum64);
        }

        public Support withDatasec(boolean v) {
            return new Support(func, funcGlobal, v, qmarkDatasec, floats, declTag, typeTag, enum64);
        }

        public Support withQmarkDatasec(boolean v) {
            return new Support(func, funcGlobal, datasec, v, floats, declTag, typeTag, enum64);
        }

        public Support withFloats(boolean v) {
            return new Support(func, funcGlobal, datasec, qmarkDatasec, v, declTag, typeTag, enum64);
        }

        public Support withDeclTag(boolean v) {
            return new Support(func, funcGlobal, datasec, qmarkDatasec, floats, v, typeTag, enum64);
        }

        public Support withTypeTag(boolean v) {
            return new Support(func, funcGlobal, datasec, qmarkDatasec, floats, declTag, v, enum64);
        }

        public Support withEnum64(boolean v) {
            return new Support(func, funcGlobal, datasec, qmarkDatasec, floats, declTag, typeTag, v);
        }
    }

    /** The INT encoding word of a one-byte, 8-bit, unsigned integer: what VAR and DECL_TAG become. */
    private static final int INT_8_BITS = 8;
    private static final int FUNC_STATIC = 0;

    /** Sanitized raw BTF; the input is returned as is when the kernel supports everything. */
    public static byte[] sanitize(byte[] raw, Support s) {
        if (s.all()) {
            return raw;
        }
        BtfEditor e = BtfEditor.of(raw);
        Btf btf = e.btf();
        int enum64Placeholder = 0;
        int anonParam = 0;
        int last = btf.lastTypeId();
        for (int id = btf.firstTypeId(); id <= last; id++) {
            BtfKind kind = btf.kind(id);
            int vlen = e.word(id, BtfEditor.INFO) & 0xffff;
            if (!s.datasec() && kind == BtfKind.VAR || !s.declTag() && kind == BtfKind.DECL_TAG) {
                // One byte is the safe size: a bigger INT could exceed the variable it stands for.
                e.setInfo(id, BtfWriter.KIND_INT, 0, false);
                e.setWord(id, BtfEditor.SIZE_OR_TYPE, 1);
                e.setWord(id, BtfEditor.EXTRA, INT_8_BITS);
            } else if (!s.datasec() && kind == BtfKind.DATASEC) {
                // A STRUCT whose members are the variables: secinfo {type, offset, size} becomes member
                // {name_off, type, bit offset}, the name being the variable's.
                int nameOff = e.word(id, BtfEditor.NAME_OFF);
                e.replaceInString(nameOff, '.', '_');
                e.replaceInString(nameOff, '?', '_');
                e.setInfo(id, BtfWriter.KIND_STRUCT, vlen, false);
                for (int j = 0; j < vlen; j++) {
                    int at = BtfEditor.EXTRA + j * 12;
                    int varType = e.word(id, at);
                    int offset = e.word(id, at + 4);
                    int varName = e.word(varType, BtfEditor.NAME_OFF);
                    e.setWord(id, at, varName);
                    e.setWord(id, at + 4, varType);
                    e.setWord(id, at + 8, offset * Byte.SIZE);
                }
            } else if (!s.qmarkDatasec() && kind == BtfKind.DATASEC && btf.nameOf(id).startsWith("?")) {
                e.replaceInString(e.word(id, BtfEditor.NAME_OFF), '?', '_');
            } else if (!s.func() && kind == BtfKind.FUNC_PROTO) {
                // Parameters {name_off, type} read as enumerators {name_off, value}; the kernel wants size 4.
                // Enumerators need names: unnamed parameters get one (libbpf leaves them empty, which the
                // kernel refuses).
                e.setInfo(id, BtfWriter.KIND_ENUM, vlen, false);
                e.setWord(id, BtfEditor.SIZE_OR_TYPE, Integer.BYTES);
                for (int j = 0; j < vlen; j++) {
                    int at = BtfEditor.EXTRA + j * 8;
                    if (e.word(id, at) == 0) {
                        if (anonParam == 0) {
                            anonParam = e.addString("anon_param");
                        }
                        e.setWord(id, at, anonParam);
                    }
                }
            } else if (!s.func() && kind == BtfKind.FUNC) {
                e.setInfo(id, BtfWriter.KIND_TYPEDEF, 0, false);
            } else if (!s.funcGlobal() && kind == BtfKind.FUNC) {
                e.setInfo(id, BtfWriter.KIND_FUNC, FUNC_STATIC, false);
            } else if (!s.floats() && kind == BtfKind.FLOAT) {
                // An empty STRUCT of the same size; anonymous, since "float" is no struct name.
                e.setWord(id, BtfEditor.NAME_OFF, 0);
                e.setInfo(id, BtfWriter.KIND_STRUCT, 0, false);
            } else if (!s.typeTag() && kind == BtfKind.TYPE_TAG) {
                e.setWord(id, BtfEditor.NAME_OFF, 0);
                e.setInfo(id, BtfWriter.KIND_CONST, 0, false);
            } else if (!s.enum64() && kind == BtfKind.ENUM) {
                // Before ENUM64, kind_flag (signedness) was not allowed on ENUM.
                e.setInfo(id, BtfWriter.KIND_ENUM, vlen, false);
            } else if (!s.enum64() && kind == BtfKind.ENUM64) {
                // A UNION of the same size whose members (one per enumerator, {name_off, lo32, hi32} read as
                // {name_off, type, offset}) are a one-byte placeholder INT at offset 0.
                if (enum64Placeholder == 0) {
                    enum64Placeholder = e.addType(e.addString("enum64_placeholder"),
                            BtfEditor.info(BtfWriter.KIND_INT, 0, false), 1, INT_8_BITS);
                }
                e.setInfo(id, BtfWriter.KIND_UNION, vlen, false);
                for (int j = 0; j < vlen; j++) {
                    int at = BtfEditor.EXTRA + j * 12;
                    e.setWord(id, at + 4, enum64Placeholder);
                    e.setWord(id, at + 8, 0);
                }
            }
        }
        return e.bytes();
    }
}
