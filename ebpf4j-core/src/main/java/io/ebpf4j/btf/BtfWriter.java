package io.ebpf4j.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes raw BTF (header, type section, string section) in the machine's byte order. Types are added in order
 * and get ids from 1; the caller refers to earlier ids. Enough for feature probes and hand-made map types; the
 * object loader's BTF marshalling builds on it.
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
    private int nextId = 1;

    public BtfWriter() {
        strings.write(0);
        stringOffsets.put("", 0);
    }

    /** The offset of {@code s} in the string section, added once. */
    public int string(String s) {
        return stringOffsets.computeIfAbsent(s, k -> {
            int off = strings.size();
            strings.writeBytes(k.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return off;
        });
    }

    private static int info(int kind, int vlen, boolean kindFlag) {
        return (kindFlag ? 1 << 31 : 0) | (kind << 24) | (vlen & 0xffff);
    }

    private void u32(int v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v);
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

    /** A member of a struct or union: its name, type and bit offset. */
    public record Member(String name, int type, int bitOffset) {
    }

    public int addStruct(String name, int size, Member... members) {
        int id = type(name, KIND_STRUCT, members.length, false, size);
        for (Member m : members) {
            u32(string(m.name()));
            u32(m.type());
            u32(m.bitOffset());
        }
        return id;
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
        ByteBuffer b = ByteBuffer.allocate(HEADER_LEN + t.length + s.length).order(ByteOrder.nativeOrder());
        b.putShort((short) MAGIC).put((byte) VERSION).put((byte) 0).putInt(HEADER_LEN);
        b.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        b.put(t).put(s);
        return b.array();
    }
}
