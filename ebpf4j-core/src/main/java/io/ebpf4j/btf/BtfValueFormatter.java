package io.ebpf4j.btf;

import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a value's bytes through its BTF type, as {@code bpftool map dump} does for maps with BTF.
 *
 * <p>{@link #tree} gives a tree of plain Java values ready for a JSON writer: structs and unions become
 * {@code Map<String, Object>} (members in order; the members of an anonymous struct or union member are
 * lifted into the enclosing map, where C code reaches them), arrays {@code List}, integers {@code Long} or, for
 * unsigned 64-bit values past {@code Long.MAX_VALUE}, {@code BigInteger}; bitfields and 128-bit integers
 * {@code "0x..."} strings, as bpftool writes them, {@code _Bool} {@code Boolean}, enums
 * the enumerator's name (its number when none matches), {@code char} arrays holding a printable NUL-terminated
 * string a {@code String}, floats {@code Double}, pointers their unsigned value, a section of global data
 * ({@code DATASEC}) {@code {".bss": [{"var": value}, ...]}}.
 *
 * <p>{@link #format} writes the same as text in bpftool's layout, where pointers, bitfields and 128-bit
 * integers are hexadecimal ({@link Style#TEXT} trees carry those as {@link Literal}s); {@link #render}
 * writes any such tree, e.g. a whole map dump.
 *
 * <p>Values are read in the BTF's byte order (a map's values are in the machine's, as is its BTF).
 */
public final class BtfValueFormatter {
    /** How a tree spells the values text and JSON disagree on. */
    public enum Style {
        /** Pointers as numbers; bitfields and 128-bit integers as {@code "0x..."} strings. */
        JSON,
        /** Pointers, bitfields and integers past 64 bits as hexadecimal {@link Literal}s, as bpftool's text. */
        TEXT
    }

    /** A value that text shows verbatim, unquoted: {@code 0xffff8880...}, {@code (nil)}. */
    public record Literal(String text) {
    }

    private static final int MAX_DEPTH = 64;
    private final Btf btf;
    private final boolean little;

    /** A formatter of values whose types are in {@code btf} (read in {@code btf}'s byte order). */
    public BtfValueFormatter(Btf btf) {
        this.btf = btf;
        this.little = btf.byteOrder() == ByteOrder.LITTLE_ENDIAN;
    }

    /** The JSON-style tree of the value of type {@code typeId} at the start of {@code data}. */
    public Object tree(int typeId, byte[] data) {
        return tree(typeId, data, 0, Style.JSON);
    }

    /**
     * The tree of the value of type {@code typeId} at {@code offset} in {@code data}.
     *
     * @throws IllegalArgumentException when the type has no size (void, a function) or the bytes are too few
     */
    public Object tree(int typeId, byte[] data, int offset, Style style) {
        long size = sizeOfValue(typeId);
        if (offset < 0 || offset + size > data.length) {
            throw new IllegalArgumentException("type id " + typeId + " (" + describe(typeId) + ") needs " + size
                    + " bytes at offset " + offset + ", but there are " + data.length);
        }
        return value(typeId, data, offset, 0, style == Style.TEXT, 0);
    }

    /** The value as bpftool's text shows it: {@code {"a": 1, ...}} laid out over lines. */
    public String format(int typeId, byte[] data) {
        return render(tree(typeId, data, 0, Style.TEXT));
    }

    private long sizeOfValue(int typeId) {
        if (btf.resolveType(typeId) instanceof BtfType.Datasec d) {
            return Integer.toUnsignedLong(d.size());
        }
        try {
            return btf.sizeOf(typeId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("type id " + typeId + " (" + describe(typeId)
                    + ") has no size: values of it cannot be formatted", e);
        }
    }

    private String describe(int id) {
        if (id < 0 || id > btf.lastTypeId()) {
            return "not in this BTF";
        }
        BtfType t = btf.type(id);
        return t.kind() + (t.name().isEmpty() ? "" : " '" + t.name() + "'");
    }

    // ---- the walk

    /** The value of {@code id} at byte {@code off} (plus {@code bitOff} bits, for ints inside bitfields). */
    private Object value(int id, byte[] d, int off, int bitOff, boolean text, int depth) {
        if (depth > MAX_DEPTH) {
            throw new BtfFormatException("type id " + id + ": types nest deeper than " + MAX_DEPTH + " (a loop?)");
        }
        BtfType t = btf.type(id);
        return switch (t) {
            case BtfType.Int i -> intValue(i, d, off, bitOff, text);
            case BtfType.Typedef m -> value(m.type(), d, off, bitOff, text, depth + 1);
            case BtfType.Const m -> value(m.type(), d, off, bitOff, text, depth + 1);
            case BtfType.Volatile m -> value(m.type(), d, off, bitOff, text, depth + 1);
            case BtfType.Restrict m -> value(m.type(), d, off, bitOff, text, depth + 1);
            case BtfType.TypeTag m -> value(m.type(), d, off, bitOff, text, depth + 1);
            case BtfType.Ptr p -> {
                long v = btf.sizeOf(id) == 4 ? Integer.toUnsignedLong((int) readLong(d, off, 4)) : readLong(d, off, 8);
                if (text) {
                    yield new Literal(v == 0 ? "(nil)" : "0x" + Long.toHexString(v));
                }
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case BtfType.Enum e -> {
                // Enumerator values are sign- or zero-extended per the enum's signedness; so is what we read.
                long v = e.signed() ? readSigned(d, off, e.size()) : readLong(d, off, e.size());
                for (BtfType.EnumValue ev : e.values()) {
                    if (ev.value() == v) {
                        yield ev.name();
                    }
                }
                yield e.signed() || v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case BtfType.Enum64 e -> {
                long v = readLong(d, off, e.size());
                for (BtfType.EnumValue ev : e.values()) {
                    if (ev.value() == v) {
                        yield ev.name();
                    }
                }
                yield e.signed() || v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case BtfType.Float f -> switch (f.size()) {
                case 4 -> (double) java.lang.Float.intBitsToFloat((int) readLong(d, off, 4));
                case 8 -> Double.longBitsToDouble(readLong(d, off, 8));
                default -> hexBytes(d, off, f.size(), text);
            };
            case BtfType.Array a -> arrayValue(a, d, off, text, depth);
            case BtfType.Composite c -> {
                Map<String, Object> m = new LinkedHashMap<>();
                members(c, d, off, text, depth, m);
                yield m;
            }
            case BtfType.Var v -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(v.name(), value(v.type(), d, off, 0, text, depth + 1));
                yield m;
            }
            case BtfType.Datasec s -> {
                List<Object> vars = new ArrayList<>();
                for (BtfType.VarSecinfo vs : s.vars()) {
                    if (off + Integer.toUnsignedLong(vs.offset()) + Integer.toUnsignedLong(vs.size()) > d.length) {
                        throw new IllegalArgumentException("variable type id " + vs.type() + " of " + s.name()
                                + " ends past the " + d.length + " bytes of the value");
                    }
                    vars.add(value(vs.type(), d, off + vs.offset(), 0, text, depth + 1));
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(s.name(), vars);
                yield m;
            }
            default -> text ? new Literal("(" + t.kind().name().toLowerCase(java.util.Locale.ROOT) + ")")
                    : "(" + t.kind().name().toLowerCase(java.util.Locale.ROOT) + ")";
        };
    }

    private void members(BtfType.Composite c, byte[] d, int off, boolean text, int depth, Map<String, Object> into) {
        for (BtfType.Member m : c.members()) {
            long bitPos = Integer.toUnsignedLong(m.bitOffset());
            int byteOff = off + (int) (bitPos / 8);
            int bitIn = (int) (bitPos % 8);
            if (m.bitfieldSize() != 0) {
                into.put(m.name(), bits(d, byteOff, bitIn, m.bitfieldSize(), text));
                continue;
            }
            if (m.name().isEmpty() && btf.resolveType(m.type()) instanceof BtfType.Composite inner) {
                // An anonymous struct or union: its members are the enclosing record's in C.
                members(inner, d, byteOff, text, depth + 1, into);
                continue;
            }
            into.put(m.name(), value(m.type(), d, byteOff, bitIn, text, depth + 1));
        }
    }

    private Object arrayValue(BtfType.Array a, byte[] d, int off, boolean text, int depth) {
        long n = Integer.toUnsignedLong(a.nelems());
        if (isCharArray(a)) {
            int len = -1;
            boolean printable = true;
            for (int k = 0; k < n; k++) {
                int b = d[off + k] & 0xff;
                if (b == 0) {
                    len = k;
                    break;
                }
                if (b <= 0x1f || b >= 0x7f) {
                    printable = false;
                    break;
                }
            }
            if (printable && len >= 0) {
                return new String(d, off, len, java.nio.charset.StandardCharsets.US_ASCII);
            }
        }
        long elem = n == 0 ? 0 : btf.sizeOf(a.elemType());
        List<Object> out = new ArrayList<>((int) Math.min(n, 1 << 16));
        for (long k = 0; k < n; k++) {
            out.add(value(a.elemType(), d, (int) (off + k * elem), 0, text, depth + 1));
        }
        return out;
    }

    /** Arrays of {@code char} (through qualifiers, not typedefs) may hold strings. */
    private boolean isCharArray(BtfType.Array a) {
        int cur = a.elemType();
        for (int k = 0; k < 16 && cur != 0; k++) {
            switch (btf.type(cur)) {
                case BtfType.Const m -> cur = m.type();
                case BtfType.Volatile m -> cur = m.type();
                case BtfType.Restrict m -> cur = m.type();
                case BtfType.Int i -> {
                    return i.size() == 1 && (i.encoding() == BtfType.IntEncoding.CHAR || i.name().equals("char"));
                }
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    private Object intValue(BtfType.Int i, byte[] d, int off, int bitOff, boolean text) {
        int bits = i.bits();
        if (bitOff != 0 || i.bitOffset() != 0 || bits % 8 != 0 || (bits != 8 && bits != 16 && bits != 32
                && bits != 64 && bits != 128)) {
            int total = bitOff + i.bitOffset();
            return bits(d, off + total / 8, total % 8, bits, text);
        }
        if (bits == 128) {
            return bits(d, off, 0, 128, text);
        }
        int bytes = bits / 8;
        return switch (i.encoding()) {
            case SIGNED -> readSigned(d, off, bytes);
            case BOOL -> readLong(d, off, bytes) != 0;
            case CHAR -> {
                int c = d[off] & 0xff;
                if (c >= 0x20 && c < 0x7f) {
                    yield String.valueOf((char) c);
                }
                yield text ? new Literal("0x" + Integer.toHexString(c)) : String.valueOf((char) c);
            }
            case NONE -> {
                long v = readLong(d, off, bytes);
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
        };
    }

    /**
     * {@code n} bits from bit {@code bitIn} of byte {@code off}, unsigned, in hexadecimal: a literal in text, a
     * {@code "0x..."} string in JSON (as bpftool writes bitfields and 128-bit integers).
     */
    private Object bits(byte[] d, int off, int bitIn, int n, boolean text) {
        int bytes = (bitIn + n + 7) / 8;
        if (off + bytes > d.length) {
            throw new IllegalArgumentException("a " + n + "-bit field at byte " + off + " ends past the "
                    + d.length + " bytes of the value");
        }
        BigInteger v = BigInteger.ZERO;
        for (int k = bytes - 1; k >= 0; k--) {
            int b = d[off + (little ? k : bytes - 1 - k)] & 0xff;
            v = v.shiftLeft(8).or(BigInteger.valueOf(b));
        }
        // Little-endian bitfields count from the low bit; big-endian ones from the high bit.
        int shift = little ? bitIn : bytes * 8 - bitIn - n;
        v = v.shiftRight(shift).and(BigInteger.ONE.shiftLeft(n).subtract(BigInteger.ONE));
        String hex = "0x" + v.toString(16);
        return text ? new Literal(hex) : hex;
    }

    private Object hexBytes(byte[] d, int off, int n, boolean text) {
        return bits(d, off, 0, n * 8, text);
    }

    private long readLong(byte[] d, int off, int bytes) {
        long v = 0;
        for (int k = 0; k < bytes; k++) {
            long b = d[off + k] & 0xffL;
            v |= little ? b << (8 * k) : b << (8 * (bytes - 1 - k));
        }
        return v;
    }

    private long readSigned(byte[] d, int off, int bytes) {
        long v = readLong(d, off, bytes);
        int shift = 64 - 8 * Math.min(bytes, 8);
        return (v << shift) >> shift;
    }

    // ---- text, laid out as bpftool's JSON writer does in its pretty mode

    /**
     * Writes a tree as bpftool's text: objects open a line per member, indented four spaces a level; array
     * elements follow each other on one line with the closing bracket on its own; {@link Literal}s unquoted.
     */
    public static String render(Object tree) {
        Pretty p = new Pretty();
        p.value(tree);
        return p.sb.toString();
    }

    private static final class Pretty {
        final StringBuilder sb = new StringBuilder();
        int depth;
        /** What goes before the next item: ',' after a sibling, nothing first in a container. */
        char sep;

        void beforeItem() {
            if (sep != 0) {
                sb.append(sep);
            }
            sep = ',';
        }

        void newline() {
            sb.append('\n');
            sb.repeat("    ", depth);
        }

        void open(char c) {
            beforeItem();
            sb.append(c);
            depth++;
            sep = 0;
        }

        void close(char c) {
            depth--;
            if (sep != 0) {
                newline();
            }
            sb.append(c);
            sep = ',';
        }

        void name(String n) {
            beforeItem();
            newline();
            sep = 0;
            string(n);
            sb.append(": ");
        }

        void scalar(String s) {
            beforeItem();
            sb.append(s);
        }

        void string(String s) {
            sb.append('"');
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                switch (c) {
                    case '\t' -> sb.append("\\t");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\f' -> sb.append("\\f");
                    case '\b' -> sb.append("\\b");
                    case '\\' -> sb.append("\\\\");
                    case '"' -> sb.append("\\\"");
                    default -> sb.append(c);
                }
            }
            sb.append('"');
        }

        void value(Object v) {
            switch (v) {
                case Map<?, ?> m -> {
                    open('{');
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        name(String.valueOf(e.getKey()));
                        value(e.getValue());
                    }
                    close('}');
                }
                case List<?> l -> {
                    open('[');
                    for (Object o : l) {
                        value(o);
                    }
                    close(']');
                }
                case String s -> {
                    beforeItem();
                    string(s);
                }
                case Literal lit -> scalar(lit.text());
                case null -> scalar("null");
                default -> scalar(String.valueOf(v));
            }
        }
    }
}
