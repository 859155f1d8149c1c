package io.ebpf4j.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes raw BTF (header, type section, string section), in the machine's byte order unless told otherwise.
 * Types are added in order and get ids from 1 (or, for split BTF, from one past the base's last id); the caller
 * refers to earlier ids. {@link #add(BtfType)} writes any decoded type, so what {@link Btf} reads can be
 * written back. Used by feature probes and for hand-made map types; the object loader's BTF marshalling builds
 * on it.
 */
public final class BtfWriter {
    public static final int MAGIC = 0xeB9F;
    public static final int VERSION = 1;
    public static final int HEADER_LEN = 24;

    /** BTF kinds ({@code BTF_KIND_*}). */
    public static final int KIND_INT = 1;
    public static final int KIND_PTR = 2;
    public static final int KIND_ARRAY = 3;
    public static final int KIND_STRUCT = 4;
    public static final int KIND_UNION = 5;
    public static final int KIND_ENUM = 6;
    public static final int KIND_FWD = 7;
    public static final int KIND_TYPEDEF = 8;
    public static final int KIND_VOLATILE = 9;
    public static final int KIND_CONST = 10;
    public static final int KIND_RESTRICT = 11;
    public static final int KIND_FUNC = 12;
    public static final int KIND_FUNC_PROTO = 13;
    public static final int KIND_VAR = 14;
    public static final int KIND_DATASEC = 15;
    public static final int KIND_FLOAT = 16;
    public static final int KIND_DECL_TAG = 17;
    public static final int KIND_TYPE_TAG = 18;
    public static final int KIND_ENUM64 = 19;

    /** {@code BTF_INT_SIGNED} in an INT's encoding. */
    public static final int INT_SIGNED = 1;

    private final ByteArrayOutputStream types = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private final ByteOrder order;
    /** The string offset this writer's own strings start at: 0, or the base's string length for split BTF. */
    private final int stringBase;
    private int nextId;

    /** A writer of base BTF in the machine's byte order. */
    public BtfWriter() {
        this(ByteOrder.nativeOrder());
    }

    /** A writer of base BTF in the given byte order. */
    public BtfWriter(ByteOrder order) {
        this(order, 1, 0);
        strings.write(0);
    }

    private BtfWriter(ByteOrder order, int firstId, int stringBase) {
        this.order = order;
        this.nextId = firstId;
        this.stringBase = stringBase;
        stringOffsets.put("", 0);
    }

    /**
     * A writer of split BTF on {@code base}: ids continue after the base's last, string offsets after the base's
     * strings (the empty name is the base's offset 0; other strings are written anew, not shared with the base).
     */
    public static BtfWriter split(Btf base) {
        return new BtfWriter(base.byteOrder(), base.lastTypeId() + 1, base.stringsEnd());
    }

    /** The offset of {@code s} in the string section, added once. */
    public int string(String s) {
        return stringOffsets.computeIfAbsent(s, k -> {
            int off = stringBase + strings.size();
            strings.writeBytes(k.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return off;
        });
    }

    /** The id the next added type gets. */
    public int nextId() {
        return nextId;
    }

    private static int info(int kind, int vlen, boolean kindFlag) {
        return (kindFlag ? 1 << 31 : 0) | (kind << 24) | (vlen & 0xffff);
    }

    private void u32(int v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(order).putInt(v);
        types.writeBytes(b.array());
    }

    private int type(String name, int kind, int vlen, boolean kindFlag, int sizeOrType) {
        u32(string(name));
        u32(info(kind, vlen, kindFlag));
        u32(sizeOrType);
        return nextId++;
    }

    /** An integer of {@code bytes} bytes; returns its id. */
    public int addInt(String name, int bytes, boolean signed) {
        int id = type(name, KIND_INT, 0, false, bytes);
        u32((signed ? INT_SIGNED : 0) << 24 | bytes * 8);
        return id;
    }

    public int addPtr(int targetId) {
        return type("", KIND_PTR, 0, false, targetId);
    }

    public int addArray(int elemType, int indexType, int n) {
        int id = type("", KIND_ARRAY, 0, false, 0);
        u32(elemType);
        u32(indexType);
        u32(n);
        return id;
    }

    /** An integer with an explicit encoding and bit layout. */
    public int addInt(String name, int bytes, BtfType.IntEncoding encoding, int bitOffset, int bits) {
        if ((bitOffset & ~0xff) != 0 || (bits & ~0xff) != 0) {
            throw new IllegalArgumentException("INT bit offset and bits are bytes: " + bitOffset + ", " + bits);
        }
        int id = type(name, KIND_INT, 0, false, bytes);
        u32(encoding.code() << 24 | bitOffset << 16 | bits);
        return id;
    }

    /**
     * A member of a struct or union: its name, type, bit offset and, for a bitfield, its size in bits (0 for a
     * plain member). Any bitfield sets the parent's kind_flag, which limits bit offsets to 24 bits.
     */
    public record Member(String name, int type, int bitOffset, int bitfieldSize) {
        public Member(String name, int type, int bitOffset) {
            this(name, type, bitOffset, 0);
        }
    }

    public int addStruct(String name, int size, Member... members) {
        return composite(name, KIND_STRUCT, size, members);
    }

    public int addUnion(String name, int size, Member... members) {
        return composite(name, KIND_UNION, size, members);
    }

    private int composite(String name, int kind, int size, Member... members) {
        boolean bitfields = false;
        for (Member m : members) {
            bitfields |= m.bitfieldSize() != 0;
        }
        if (bitfields) {
            for (Member m : members) {
                if ((m.bitOffset() & ~0xffffff) != 0 || (m.bitfieldSize() & ~0xff) != 0) {
                    throw new IllegalArgumentException("member " + m + ": with bitfields, offsets have 24 bits and sizes 8");
                }
            }
        }
        int id = type(name, kind, vlen(members.length), bitfields, size);
        for (Member m : members) {
            u32(string(m.name()));
            u32(m.type());
            u32(bitfields ? m.bitfieldSize() << 24 | m.bitOffset() : m.bitOffset());
        }
        return id;
    }

    private static int vlen(int n) {
        if (n > 0xffff) {
            throw new IllegalArgumentException(n + " entries do not fit BTF's 16-bit vlen");
        }
        return n;
    }

    /** A 32-bit-valued enum; each value must fit 32 bits as signed or unsigned per {@code signed}. */
    public int addEnum(String name, int bytes, boolean signed, BtfType.EnumValue... values) {
        int id = type(name, KIND_ENUM, vlen(values.length), signed, bytes);
        for (BtfType.EnumValue v : values) {
            long x = v.value();
            if (signed ? x != (int) x : x != (x & 0xffffffffL)) {
                throw new IllegalArgumentException("enum value " + v + " does not fit 32 " + (signed ? "signed" : "unsigned") + " bits");
            }
            u32(string(v.name()));
            u32((int) x);
        }
        return id;
    }

    /** A 64-bit-valued enum. */
    public int addEnum64(String name, int bytes, boolean signed, BtfType.EnumValue... values) {
        int id = type(name, KIND_ENUM64, vlen(values.length), signed, bytes);
        for (BtfType.EnumValue v : values) {
            u32(string(v.name()));
            u32((int) v.value());
            u32((int) (v.value() >>> 32));
        }
        return id;
    }

    /** A forward declaration of a struct, or of a union. */
    public int addFwd(String name, boolean union) {
        return type(name, KIND_FWD, 0, union, 0);
    }

    public int addConst(int type) {
        return type("", KIND_CONST, 0, false, type);
    }

    public int addVolatile(int type) {
        return type("", KIND_VOLATILE, 0, false, type);
    }

    public int addRestrict(int type) {
        return type("", KIND_RESTRICT, 0, false, type);
    }

    public int addTypedef(String name, int type) {
        return type(name, KIND_TYPEDEF, 0, false, type);
    }

    /** A function prototype with unnamed parameters. */
    public int addFuncProto(int returnType, int... paramTypes) {
        int id = type("", KIND_FUNC_PROTO, paramTypes.length, false, returnType);
        for (int p : paramTypes) {
            u32(0);
            u32(p);
        }
        return id;
    }

    /** A function prototype with named parameters; end with an empty-named type-0 one for {@code ...}. */
    public int addFuncProto(int returnType, List<BtfType.Param> params) {
        int id = type("", KIND_FUNC_PROTO, vlen(params.size()), false, returnType);
        for (BtfType.Param p : params) {
            u32(string(p.name()));
            u32(p.type());
        }
        return id;
    }

    /** A function; linkage 0 static, 1 global, 2 extern. */
    public int addFunc(String name, int protoId, int linkage) {
        return type(name, KIND_FUNC, linkage, false, protoId);
    }

    public int addVar(String name, int type, int linkage) {
        int id = type(name, KIND_VAR, 0, false, type);
        u32(linkage);
        return id;
    }

    public int addFloat(String name, int bytes) {
        return type(name, KIND_FLOAT, 0, false, bytes);
    }

    public int addDeclTag(String tag, int type, int componentIdx) {
        int id = type(tag, KIND_DECL_TAG, 0, false, type);
        u32(componentIdx);
        return id;
    }

    public int addTypeTag(String tag, int type) {
        return type(tag, KIND_TYPE_TAG, 0, false, type);
    }

    public int addEnum64(String name, int bytes, String value, long v) {
        int id = type(name, KIND_ENUM64, 1, false, bytes);
        u32(string(value));
        u32((int) v);
        u32((int) (v >>> 32));
        return id;
    }

    /** A DATASEC with these variables. */
    public int addDatasec(String name, int size, List<BtfType.VarSecinfo> vars) {
        int id = type(name, KIND_DATASEC, vlen(vars.size()), false, size);
        for (BtfType.VarSecinfo v : vars) {
            u32(v.type());
            u32(v.offset());
            u32(v.size());
        }
        return id;
    }

    /**
     * Writes any type as decoded by {@link Btf}; returns its id. Type ids inside are written as they are, so
     * they must mean the same in this writer (as they do when copying a BTF's types in id order).
     */
    public int add(BtfType t) {
        return switch (t) {
            case BtfType.Void v -> throw new IllegalArgumentException("void is type id 0, not a record");
            case BtfType.Int i -> addInt(i.name(), i.size(), i.encoding(), i.bitOffset(), i.bits());
            case BtfType.Ptr p -> type(p.name(), KIND_PTR, 0, false, p.type());
            case BtfType.Array a -> {
                int id = type(a.name(), KIND_ARRAY, 0, false, 0);
                u32(a.elemType());
                u32(a.indexType());
                u32(a.nelems());
                yield id;
            }
            case BtfType.Struct s -> composite(s.name(), KIND_STRUCT, s.size(), members(s.members()));
            case BtfType.Union u -> composite(u.name(), KIND_UNION, u.size(), members(u.members()));
            case BtfType.Enum e -> addEnum(e.name(), e.size(), e.signed(), e.values().toArray(BtfType.EnumValue[]::new));
            case BtfType.Enum64 e -> addEnum64(e.name(), e.size(), e.signed(), e.values().toArray(BtfType.EnumValue[]::new));
            case BtfType.Fwd f -> type(f.name(), KIND_FWD, 0, f.union(), 0);
            case BtfType.Typedef d -> addTypedef(d.name(), d.type());
            case BtfType.Volatile v -> type(v.name(), KIND_VOLATILE, 0, false, v.type());
            case BtfType.Const c -> type(c.name(), KIND_CONST, 0, false, c.type());
            case BtfType.Restrict r -> type(r.name(), KIND_RESTRICT, 0, false, r.type());
            case BtfType.Func f -> addFunc(f.name(), f.type(), f.linkage().code());
            case BtfType.FuncProto p -> {
                int id = type(p.name(), KIND_FUNC_PROTO, vlen(p.params().size()), false, p.returnType());
                for (BtfType.Param q : p.params()) {
                    u32(string(q.name()));
                    u32(q.type());
                }
                yield id;
            }
            case BtfType.Var v -> addVar(v.name(), v.type(), v.linkage().code());
            case BtfType.Datasec d -> addDatasec(d.name(), d.size(), d.vars());
            case BtfType.Float f -> addFloat(f.name(), f.size());
            case BtfType.DeclTag d -> {
                int id = type(d.name(), KIND_DECL_TAG, 0, d.attribute(), d.type());
                u32(d.componentIdx());
                yield id;
            }
            case BtfType.TypeTag g -> type(g.name(), KIND_TYPE_TAG, 0, g.attribute(), g.type());
        };
    }

    private static Member[] members(List<BtfType.Member> ms) {
        return ms.stream().map(m -> new Member(m.name(), m.type(), m.bitOffset(), m.bitfieldSize())).toArray(Member[]::new);
    }

    /** A DATASEC with one variable at offset 0. */
    public int addDatasec(String name, int size, int varId, int varSize) {
        int id = type(name, KIND_DATASEC, 1, false, size);
        u32(varId);
        u32(0);
        u32(varSize);
        return id;
    }

    /** The raw BTF: header, types, strings. */
    public byte[] toBytes() {
        byte[] t = types.toByteArray();
        byte[] s = strings.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(HEADER_LEN + t.length + s.length).order(order);
        b.putShort((short) MAGIC).put((byte) VERSION).put((byte) 0).putInt(HEADER_LEN);
        b.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        b.put(t).put(s);
        return b.array();
    }
}
