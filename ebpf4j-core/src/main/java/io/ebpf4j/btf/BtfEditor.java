package io.ebpf4j.btf;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A private copy of raw (base) BTF patched in place, as a loader must before {@code BPF_BTF_LOAD}: type records
 * are rewritten word by word, and new types and strings are appended without moving existing ones, so string
 * offsets (which line info and CO-RE records hold) and type ids stay valid.
 *
 * <p>A type record is {@code name_off, info, size|type} followed by its kind's extra words; {@code info} holds
 * the vlen (bits 0-15), the kind (bits 24-28) and kind_flag (bit 31).
 */
public final class BtfEditor {
    private static final int HDR_LEN = 4;
    private static final int TYPE_OFF = 8;
    private static final int TYPE_LEN = 12;
    private static final int STR_OFF = 16;
    private static final int STR_LEN = 20;
    /** Byte offsets of a type record's words. */
    public static final int NAME_OFF = 0;
    public static final int INFO = 4;
    public static final int SIZE_OR_TYPE = 8;
    public static final int EXTRA = 12;

    private byte[] raw;
    private Btf btf;

    private BtfEditor(byte[] raw) {
        this.raw = raw;
        this.btf = Btf.parse(raw.clone());
    }

    /** An editor over a copy of {@code raw}; the input is not changed. */
    public static BtfEditor of(byte[] raw) {
        return new BtfEditor(raw.clone());
    }

    /**
     * The BTF as parsed when the editor was made or last grew: ids, kinds and names before the word edits
     * made since.
     */
    public Btf btf() {
        return btf;
    }

    /** The edited bytes (a copy). */
    public byte[] bytes() {
        return raw.clone();
    }

    private ValueLayout.OfInt u32() {
        return ValueLayout.JAVA_INT_UNALIGNED.withOrder(btf.byteOrder());
    }

    private int header(int field) {
        return MemorySegment.ofArray(raw).get(u32(), field);
    }

    /** A word of type {@code id}'s record, {@code at} bytes into it. */
    public int word(int id, int at) {
        return MemorySegment.ofArray(raw).get(u32(), (long) btf.recordOffset(id) + at);
    }

    public void setWord(int id, int at, int value) {
        MemorySegment.ofArray(raw).set(u32(), (long) btf.recordOffset(id) + at, value);
    }

    /** Rewrites a record's info word: its kind, vlen and kind_flag. */
    public void setInfo(int id, int kind, int vlen, boolean kindFlag) {
        setWord(id, INFO, info(kind, vlen, kindFlag));
    }

    static int info(int kind, int vlen, boolean kindFlag) {
        return (kindFlag ? 1 << 31 : 0) | (kind & 0x1f) << 24 | (vlen & 0xffff);
    }

    /** Replaces the characters {@code from} by {@code to} in the string at {@code offset} (in place). */
    public void replaceInString(int offset, char from, char to) {
        int at = header(HDR_LEN) + header(STR_OFF) + offset;
        for (int i = at; i < raw.length && raw[i] != 0; i++) {
            if (raw[i] == (byte) from) {
                raw[i] = (byte) to;
            }
        }
    }

    /** Appends a string; returns its offset. */
    public int addString(String s) {
        byte[] b = (s + '\0').getBytes(StandardCharsets.UTF_8);
        int off = header(STR_LEN);
        rebuild(new byte[0], b);
        return off;
    }

    /**
     * Appends a type record (name_off, info, size|type, then {@code extra} words); returns its id. Records of
     * the original types keep their offsets.
     */
    public int addType(int nameOff, int info, int sizeOrType, int... extra) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(EXTRA + extra.length * Integer.BYTES).order(btf.byteOrder());
        b.putInt(nameOff).putInt(info).putInt(sizeOrType);
        for (int e : extra) {
            b.putInt(e);
        }
        int id = btf.lastTypeId() + 1;
        rebuild(b.array(), new byte[0]);
        return id;
    }

    /** Lays the data out as header, types (+ new), strings (+ new); offsets inside each part do not move. */
    private void rebuild(byte[] moreTypes, byte[] moreStrings) {
        int hdr = header(HDR_LEN);
        int typeOff = header(TYPE_OFF);
        int typeLen = header(TYPE_LEN);
        int strOff = header(STR_OFF);
        int strLen = header(STR_LEN);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + moreTypes.length + moreStrings.length);
        out.write(raw, 0, hdr);
        out.write(raw, hdr + typeOff, typeLen);
        out.write(moreTypes, 0, moreTypes.length);
        out.write(raw, hdr + strOff, strLen);
        out.write(moreStrings, 0, moreStrings.length);
        byte[] next = out.toByteArray();
        MemorySegment s = MemorySegment.ofArray(next);
        s.set(u32(), TYPE_OFF, 0);
        s.set(u32(), TYPE_LEN, typeLen + moreTypes.length);
        s.set(u32(), STR_OFF, typeLen + moreTypes.length);
        s.set(u32(), STR_LEN, strLen + moreStrings.length);
        raw = next;
        // Re-parsed for the record offsets (types may have moved); kinds and names are read from this view, so
        // word edits made so far are not reflected in it.
        btf = Btf.parse(raw.clone());
    }
}
