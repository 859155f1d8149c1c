package io.ebpf4j.btf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes BTF types as C declarations that a C compiler accepts, as {@code bpftool btf dump ... format c} does:
 * {@link #writeHeader(Btf, Appendable)} makes a whole {@code vmlinux.h} from any BTF (the kernel's, a module's
 * split BTF with its base, an object's).
 *
 * <p>How the C comes out right:
 * <ul>
 * <li>Order. A type is emitted after every type it embeds (a member's type, an array's element, a typedef's
 * target). A named struct or union reached only through a pointer needs no definition first: a forward
 * declaration {@code struct X;} is emitted in its place when the definition is still to come. Anonymous
 * structs, unions and enums are written inline where they are used.</li>
 * <li>Layout. Member offsets are reproduced exactly: a gap between members becomes anonymous bitfield padding
 * ({@code long: 64;}, {@code int: 32;} ...), trailing padding likewise; a struct whose offsets natural
 * alignment cannot explain is marked {@code __attribute__((packed))}; a union the compiler would make smaller
 * than BTF says gets an alignment or a filler so that its size matches. Enums of one or eight bytes get
 * {@code mode(byte)}/{@code mode(word)}.</li>
 * <li>Names. C has one namespace for struct/union/enum tags and one for typedefs and enumerators; BTF may
 * repeat a name (types of different compilation units). The second and later types of a name are written as
 * {@code name___2}, {@code name___3} ..., numbered in the order the dump first names them.</li>
 * </ul>
 *
 * <p>An instance keeps state between calls: {@link #dumpType(int)} emits a type and whatever it needs that was
 * not emitted yet, so dumping a selection of types one after another gives one compilable text. Not safe for
 * concurrent use.
 */
public final class BtfCDump {
    /** Compiler built-ins that must not be redefined. */
    private static final String VA_LIST_BUILTIN = "__builtin_va_list";
    private static final String GNUC_VA_LIST = "__gnuc_va_list";
    /** The member that gives a union the size BTF says when its members are all smaller. */
    static final String UNION_PAD = "__union_pad";

    private static final byte NOT_ORDERED = 0;
    private static final byte ORDERING = 1;
    private static final byte ORDERED = 2;

    private static final byte NOT_EMITTED = 0;
    private static final byte EMITTING = 1;
    private static final byte EMITTED = 2;

    private final Btf btf;
    private final Appendable out;
    private final StringBuilder sb = new StringBuilder(1 << 16);
    private final int pointerSize;
    private final int count;
    private final byte[] orderState;
    private final byte[] emitState;
    private final boolean[] fwdEmitted;
    private final boolean[] referenced;
    /** Alignment per type, computed on demand; 0 when not yet known. */
    private final int[] alignCache;
    /** The C name given to a type (with its {@code ___N} suffix), null until it is first named. */
    private final String[] names;
    /** How many types of each name were named so far, per C namespace. */
    private final Map<String, Integer> tagNames = new HashMap<>();
    private final Map<String, Integer> identNames = new HashMap<>();
    private int[] queue = new int[64];
    private int queued;
    private int[] declStack = new int[64];
    private int declDepth;

    /** A dumper of {@code btf}'s types (ids from 1, its base's included) into {@code out}. */
    public BtfCDump(Btf btf, Appendable out) {
        this.btf = btf;
        this.out = out;
        this.count = btf.lastTypeId() + 1;
        this.orderState = new byte[count];
        this.emitState = new byte[count];
        this.fwdEmitted = new boolean[count];
        this.referenced = new boolean[count];
        this.alignCache = new int[count];
        this.names = new String[count];
        this.pointerSize = pointerSize(btf);
        markReferenced();
    }

    /**
     * Writes a whole header: every type of {@code btf} (and of its base, for split BTF) between
     * {@code #ifndef __VMLINUX_H__} guards, with records under clang's {@code preserve_access_index} attribute
     * (unless {@code BPF_NO_PRESERVE_ACCESS_INDEX} is defined) so that CO-RE programs can include it.
     */
    public static void writeHeader(Btf btf, Appendable out) {
        new BtfCDump(btf, out).dumpAll();
    }

    /** Writes every type, as {@link #writeHeader} describes, through this dumper. */
    public void dumpAll() {
        sb.append("""
                #ifndef __VMLINUX_H__
                #define __VMLINUX_H__

                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
                #endif

                """);
        for (int id = 1; id < count; id++) {
            dumpType(id);
        }
        sb.append("""
                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute pop
                #endif

                #endif /* __VMLINUX_H__ */
                """);
        flush();
    }

    /**
     * How the C written by this dumper names a type: {@code struct task_struct}, {@code union u___2},
     * {@code enum e}, a typedef's name; empty for anonymous and unnamed kinds.
     */
    public String cName(int id) {
        BtfType t = btf.type(id);
        return switch (t) {
            case BtfType.Struct s when !s.name().isEmpty() -> "struct " + tagName(id);
            case BtfType.Union u when !u.name().isEmpty() -> "union " + tagName(id);
            case BtfType.Enum e when !e.name().isEmpty() -> "enum " + tagName(id);
            case BtfType.Enum64 e when !e.name().isEmpty() -> "enum " + tagName(id);
            case BtfType.Fwd f -> (f.union() ? "union " : "struct ") + tagName(id);
            case BtfType.Typedef td -> identName(id);
            case BtfType.Int i -> i.name();
            case BtfType.Float f -> f.name();
            default -> "";
        };
    }

    /** {@link #writeHeader} into a string. */
    public static String header(Btf btf) {
        StringBuilder s = new StringBuilder(1 << 20);
        writeHeader(btf, s);
        return s.toString();
    }

    /**
     * Emits the definition of type {@code id}, preceded by what it depends on that this dumper did not emit yet.
     * Types with no C definition of their own (ints, pointers, functions, variables, sections) emit only their
     * dependencies.
     *
     * @throws BtfFormatException when the types form a cycle C cannot express (no pointer breaks it)
     */
    public void dumpType(int id) {
        if (id <= 0 || id >= count) {
            throw new IllegalArgumentException("type id " + id + " is not in this BTF (1.." + (count - 1) + ")");
        }
        queued = 0;
        order(id, false);
        for (int i = 0; i < queued; i++) {
            emit(queue[i], 0);
        }
        flush();
    }

    /** The C declaration of {@code name} with type {@code id}, e.g. {@code int (*name)[4]}; empty name for a cast. */
    public String declaration(int id, String name) {
        int start = sb.length();
        emitDecl(id, name, 0);
        String s = sb.substring(start);
        sb.setLength(start);
        return s;
    }

    private void flush() {
        try {
            out.append(sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sb.setLength(0);
    }

    // ---- which anonymous enums are used by other types (the others are top-level constant lists)

    private void markReferenced() {
        for (int id = 1; id < count; id++) {
            switch (btf.type(id)) {
                case BtfType.Ptr t -> ref(t.type());
                case BtfType.Typedef t -> ref(t.type());
                case BtfType.Const t -> ref(t.type());
                case BtfType.Volatile t -> ref(t.type());
                case BtfType.Restrict t -> ref(t.type());
                case BtfType.TypeTag t -> ref(t.type());
                case BtfType.DeclTag t -> ref(t.type());
                case BtfType.Func t -> ref(t.type());
                case BtfType.Var t -> ref(t.type());
                case BtfType.Array a -> {
                    ref(a.elemType());
                    ref(a.indexType());
                }
                case BtfType.Composite c -> {
                    for (BtfType.Member m : c.members()) {
                        ref(m.type());
                    }
                }
                case BtfType.FuncProto p -> {
                    ref(p.returnType());
                    for (BtfType.Param q : p.params()) {
                        ref(q.type());
                    }
                }
                case BtfType.Datasec s -> {
                    for (BtfType.VarSecinfo v : s.vars()) {
                        ref(v.type());
                    }
                }
                default -> {
                }
            }
        }
    }

    private void ref(int id) {
        if (id > 0 && id < count) {
            referenced[id] = true;
        }
    }

    // ---- ordering: a depth-first walk that queues named definitions after what they embed

    /**
     * Orders {@code id} and what it needs; returns whether the link to it is strong (its definition, or a
     * typedef's, must come first) rather than satisfiable by a forward declaration.
     */
    private boolean order(int id, boolean throughPtr) {
        if (id == 0 || orderState[id] == ORDERED) {
            return true;
        }
        BtfType t = btf.type(id);
        if (orderState[id] == ORDERING) {
            if (t instanceof BtfType.Composite && throughPtr && !t.name().isEmpty()) {
                return false; // a loop through a pointer: a forward declaration breaks it
            }
            throw new BtfFormatException("type id " + id + " (" + t.kind() + " '" + t.name()
                    + "') is part of a cycle of types that C cannot declare (no pointer breaks it)");
        }
        switch (t) {
            case BtfType.Int i -> {
                orderState[id] = ORDERED;
                return false;
            }
            case BtfType.Float f -> {
                orderState[id] = ORDERED;
                return false;
            }
            case BtfType.Ptr p -> {
                boolean strong = order(p.type(), true);
                orderState[id] = ORDERED;
                return strong;
            }
            case BtfType.Array a -> {
                return order(a.elemType(), false);
            }
            case BtfType.Composite c -> {
                // Embedded (no pointer on the way) or anonymous (defined inline) means a strong link.
                if (throughPtr && !c.name().isEmpty()) {
                    return false;
                }
                orderState[id] = ORDERING;
                for (BtfType.Member m : c.members()) {
                    order(m.type(), false);
                }
                if (!c.name().isEmpty()) {
                    enqueue(id);
                }
                orderState[id] = ORDERED;
                return true;
            }
            case BtfType.Enum e -> {
                return orderTopLevel(id, e.name());
            }
            case BtfType.Enum64 e -> {
                return orderTopLevel(id, e.name());
            }
            case BtfType.Fwd f -> {
                return orderTopLevel(id, f.name());
            }
            case BtfType.Typedef td -> {
                boolean strong = order(td.type(), throughPtr);
                if (throughPtr && !strong) {
                    return false;
                }
                enqueue(id);
                orderState[id] = ORDERED;
                return true;
            }
            case BtfType.Const m -> {
                return order(m.type(), throughPtr);
            }
            case BtfType.Volatile m -> {
                return order(m.type(), throughPtr);
            }
            case BtfType.Restrict m -> {
                return order(m.type(), throughPtr);
            }
            case BtfType.TypeTag m -> {
                return order(m.type(), throughPtr);
            }
            case BtfType.FuncProto p -> {
                boolean strong = order(p.returnType(), throughPtr);
                for (BtfType.Param q : p.params()) {
                    strong |= order(q.type(), throughPtr);
                }
                return strong;
            }
            default -> {
                // FUNC, VAR, DATASEC, DECL_TAG: no C type definition of their own.
                orderState[id] = ORDERED;
                return false;
            }
        }
    }

    /** Named enums and forward declarations are definitions; so is an anonymous enum nothing refers to. */
    private boolean orderTopLevel(int id, String name) {
        if (!name.isEmpty() || !referenced[id]) {
            enqueue(id);
        }
        orderState[id] = ORDERED;
        return true;
    }

    private void enqueue(int id) {
        if (queued == queue.length) {
            queue = Arrays.copyOf(queue, queued * 2);
        }
        queue[queued++] = id;
    }

    // ---- emitting: definitions, with forward declarations where a definition is not yet possible

    /**
     * Emits {@code id}'s definition when at top level ({@code container} 0), else what it needs: forward
     * declarations of named records it refers to, definitions its inline anonymous records need.
     * {@code container} is the named record or typedef being defined.
     */
    private void emit(int id, int container) {
        if (id == 0 || emitState[id] == EMITTED) {
            return;
        }
        boolean topLevel = container == 0;
        BtfType t = btf.type(id);
        if (emitState[id] == EMITTING) {
            // Reached again while being defined: only a forward declaration can help.
            if (fwdEmitted[id]) {
                return;
            }
            if (t instanceof BtfType.Composite c) {
                if (id == container || c.name().isEmpty()) {
                    return;
                }
                emitRecordFwd(id, c);
                sb.append(";\n\n");
                fwdEmitted[id] = true;
            } else if (t instanceof BtfType.Typedef td) {
                // A typedef defined early serves references through pointers.
                if (!builtin(td)) {
                    emitTypedef(id, td, 0);
                    sb.append(";\n\n");
                }
                fwdEmitted[id] = true;
            }
            return;
        }
        switch (t) {
            case BtfType.Int i -> emitState[id] = EMITTED;
            case BtfType.Enum e -> {
                if (topLevel) {
                    emitEnum(id, 0);
                    sb.append(";\n\n");
                }
                emitState[id] = EMITTED;
            }
            case BtfType.Enum64 e -> {
                if (topLevel) {
                    emitEnum(id, 0);
                    sb.append(";\n\n");
                }
                emitState[id] = EMITTED;
            }
            case BtfType.Ptr p -> emit(p.type(), container);
            case BtfType.Const m -> emit(m.type(), container);
            case BtfType.Volatile m -> emit(m.type(), container);
            case BtfType.Restrict m -> emit(m.type(), container);
            case BtfType.TypeTag m -> emit(m.type(), container);
            case BtfType.Array a -> emit(a.elemType(), container);
            case BtfType.Fwd f -> {
                emitFwd(id, f);
                sb.append(";\n\n");
                emitState[id] = EMITTED;
            }
            case BtfType.Typedef td -> {
                emitState[id] = EMITTING;
                emit(td.type(), id);
                if (!fwdEmitted[id] && !builtin(td)) {
                    emitTypedef(id, td, 0);
                    sb.append(";\n\n");
                }
                emitState[id] = EMITTED;
            }
            case BtfType.Composite c -> {
                emitState[id] = EMITTING;
                if (topLevel || c.name().isEmpty()) {
                    // Members will be written out: what they refer to must be declared first.
                    int inner = c.name().isEmpty() ? container : id;
                    for (BtfType.Member m : c.members()) {
                        emit(m.type(), inner);
                    }
                } else if (!fwdEmitted[id] && id != container) {
                    emitRecordFwd(id, c);
                    sb.append(";\n\n");
                    fwdEmitted[id] = true;
                }
                if (topLevel) {
                    emitRecord(id, c, 0);
                    sb.append(";\n\n");
                    emitState[id] = EMITTED;
                } else {
                    emitState[id] = NOT_EMITTED;
                }
            }
            case BtfType.FuncProto p -> {
                emit(p.returnType(), container);
                for (BtfType.Param q : p.params()) {
                    emit(q.type(), container);
                }
            }
            default -> {
            }
        }
    }

    /** Whether a member's type is the compiler's va_list, through typedefs and qualifiers. */
    private boolean viaBuiltinVaList(int id) {
        int cur = id;
        for (int depth = 0; depth < 64 && cur != 0; depth++) {
            switch (btf.type(cur)) {
                case BtfType.Typedef td -> {
                    if (builtin(td)) {
                        return true;
                    }
                    cur = td.type();
                }
                case BtfType.Const m -> cur = m.type();
                case BtfType.Volatile m -> cur = m.type();
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    private boolean builtin(BtfType.Typedef td) {
        return td.name().equals(VA_LIST_BUILTIN);
    }

    private void emitRecordFwd(int id, BtfType.Composite c) {
        sb.append(c instanceof BtfType.Struct ? "struct" : "union");
        if (!c.name().isEmpty()) {
            sb.append(' ').append(tagName(id));
        }
    }

    private void emitFwd(int id, BtfType.Fwd f) {
        sb.append(f.union() ? "union " : "struct ").append(tagName(id));
    }

    private void emitTypedef(int id, BtfType.Typedef td, int lvl) {
        String name = identName(id);
        if (td.type() == 0 && name.equals(GNUC_VA_LIST)) {
            // Some compilers describe this typedef as one of void; the builtin is what it means.
            sb.append("typedef ").append(VA_LIST_BUILTIN).append(' ').append(GNUC_VA_LIST);
            return;
        }
        sb.append("typedef ");
        emitDecl(td.type(), name, lvl);
    }

    private void emitEnum(int id, int lvl) {
        BtfType t = btf.type(id);
        boolean wide = t instanceof BtfType.Enum64;
        boolean signed;
        int size;
        List<BtfType.EnumValue> values;
        if (t instanceof BtfType.Enum e) {
            signed = e.signed();
            size = e.size();
            values = e.values();
        } else {
            BtfType.Enum64 e = (BtfType.Enum64) t;
            signed = e.signed();
            size = e.size();
            values = e.values();
        }
        sb.append("enum");
        if (!t.name().isEmpty()) {
            sb.append(' ').append(tagName(id));
        }
        if (values.isEmpty()) {
            return;
        }
        sb.append(" {");
        boolean upperBits = false;
        for (BtfType.EnumValue v : values) {
            String name = v.name();
            int dups = countName(identNames, name);
            indent(lvl + 1);
            sb.append(name);
            if (dups > 1) {
                sb.append("___").append(dups);
            }
            sb.append(" = ");
            long val = v.value();
            if (wide) {
                upperBits |= (val >>> 32) != 0;
                if (signed && val == Long.MIN_VALUE) {
                    sb.append("(-9223372036854775807LL - 1)"); // the literal 9223372036854775808LL overflows
                } else {
                    sb.append(signed ? Long.toString(val) : Long.toUnsignedString(val)).append(signed ? "LL" : "ULL");
                }
            } else {
                sb.append(signed ? Long.toString((int) val) : Long.toString(val & 0xffffffffL));
            }
            sb.append(',');
        }
        indent(lvl);
        sb.append('}');
        // The compiler sizes an enum by its values; other sizes need a mode attribute.
        if (size == 1) {
            sb.append(" __attribute__((mode(byte)))");
        } else if (size == 8 && pointerSize == 8 && (!wide || !upperBits)) {
            sb.append(" __attribute__((mode(word)))");
        }
    }

    // ---- records and their layout

    private void emitRecord(int id, BtfType.Composite c, int lvl) {
        boolean isStruct = c instanceof BtfType.Struct;
        boolean packed = isStruct && packed(c);
        sb.append(isStruct ? "struct" : "union");
        if (!c.name().isEmpty()) {
            sb.append(' ').append(tagName(id));
        }
        sb.append(" {");
        long off = 0;
        boolean prevBitfield = false;
        long maxEnd = 0;
        int natural = 1;
        for (BtfType.Member m : c.members()) {
            int bits = m.bitfieldSize();
            long mOff = Integer.toUnsignedLong(m.bitOffset());
            int mAlign = packed ? 1 : alignOf(m.type());
            natural = Math.max(natural, alignOf(m.type()));
            boolean inBitfield = prevBitfield && bits != 0;
            if (isStruct) {
                padding(off, mOff, mAlign, inBitfield, lvl + 1);
            }
            indent(lvl + 1);
            emitDecl(m.type(), m.name(), lvl + 1);
            if (bits == 0 && isStruct && viaBuiltinVaList(m.type())) {
                // The compiler's own va_list differs by target (24 bytes on x86-64, a pointer for BPF): fill up
                // to the size BTF recorded so that later members keep their offsets.
                long btfSize = sizeOrZero(m.type());
                sb.append(";");
                indent(lvl + 1);
                sb.append("char ").append(m.name()).append("___va_list_pad[")
                        .append(btfSize).append(" - sizeof(").append(VA_LIST_BUILTIN).append(")]");
            }
            if (bits != 0) {
                sb.append(": ").append(bits);
                off = mOff + bits;
                prevBitfield = true;
            } else {
                off = mOff + Math.max(0, sizeOrZero(m.type())) * 8;
                prevBitfield = false;
            }
            maxEnd = Math.max(maxEnd, isStruct ? off : roundUp(off, 8));
            sb.append(';');
        }
        long size = Integer.toUnsignedLong(c.size());
        if (isStruct) {
            padding(off, size * 8, alignOf(id), false, lvl + 1);
        } else if (maxEnd < size * 8) {
            // A union is as large as its largest member; BTF says larger (an aligned or padding member the
            // compiler described away): a filler member of that size keeps the size exact.
            indent(lvl + 1);
            sb.append("char ").append(UNION_PAD).append('[').append(size).append("];");
        }
        if (!c.members().isEmpty() || size != 0) {
            indent(lvl);
        }
        sb.append('}');
        if (packed) {
            sb.append(" __attribute__((packed))");
        } else if (!isStruct && size % natural != 0) {
            sb.append(" __attribute__((packed))");
        }
    }

    /** Whether natural alignment fails to explain a struct's member offsets or size. */
    private boolean packed(BtfType.Composite c) {
        int max = 1;
        for (BtfType.Member m : c.members()) {
            int a = alignOf(m.type());
            if (m.bitfieldSize() == 0 && Integer.toUnsignedLong(m.bitOffset()) % (8L * a) != 0) {
                return true;
            }
            max = Math.max(max, a);
        }
        return Integer.toUnsignedLong(c.size()) % max != 0;
    }

    private static final String[] PAD_TYPES = {"long", "int", "short", "char"};

    /**
     * Fills the bits from {@code cur} to {@code next} with anonymous bitfields, relying on the compiler's
     * natural alignment where it leads exactly there.
     */
    private void padding(long cur, long next, int nextAlign, boolean inBitfield, int lvl) {
        if (cur >= next) {
            return;
        }
        int[] padBits = {pointerSize * 8, 32, 16, 8};
        int padBitsChosen = 8;
        String padType = "char";
        long aligned = 0;
        for (int i = 0; i < padBits.length; i++) {
            padBitsChosen = padBits[i];
            padType = PAD_TYPES[i];
            aligned = roundUp(cur, padBitsChosen);
            if (aligned <= next) {
                break;
            }
        }
        if (aligned > cur && aligned <= next) {
            // The compiler aligns the next member by itself only when its alignment leads to `aligned`
            // and the filler would not fit into the hole anyway; otherwise say `type: 0` (or, in a run
            // of bitfields, the exact bit count).
            if (inBitfield
                    || (aligned == next && roundUp(cur, nextAlign * 8L) != aligned)
                    || (aligned != next && next - aligned <= aligned - cur)) {
                indent(lvl);
                sb.append(padType).append(": ").append(inBitfield ? aligned - cur : 0).append(';');
            }
            cur = aligned;
        }
        while (cur != next) {
            long bits = Math.min(next - cur, padBitsChosen);
            if (bits == padBitsChosen) {
                indent(lvl);
                sb.append(padType).append(": ").append(padBitsChosen).append(';');
                cur += bits;
                continue;
            }
            // The remainder: the smallest type that holds it.
            for (int i = padBits.length - 1; i >= 0; i--) {
                if (padBits[i] < bits) {
                    continue;
                }
                indent(lvl);
                sb.append(PAD_TYPES[i]).append(": ").append(bits).append(';');
                cur += bits;
                break;
            }
        }
    }

    private static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    private long sizeOrZero(int id) {
        try {
            return btf.sizeOf(id);
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /** The alignment a C compiler gives the type, as BTF's layout shows it (1 for what must be packed). */
    int alignOf(int id) {
        if (id == 0) {
            return 1;
        }
        int cached = alignCache[id];
        if (cached != 0) {
            return cached;
        }
        int a = switch (btf.type(id)) {
            case BtfType.Int i -> Math.max(1, Math.min(i.size(), pointerSize));
            case BtfType.Enum e -> Math.max(1, Math.min(e.size(), pointerSize));
            case BtfType.Enum64 e -> Math.max(1, Math.min(e.size(), pointerSize));
            case BtfType.Float f -> Math.max(1, Math.min(f.size(), pointerSize));
            case BtfType.Ptr p -> pointerSize;
            case BtfType.Typedef m -> alignOf(m.type());
            case BtfType.Const m -> alignOf(m.type());
            case BtfType.Volatile m -> alignOf(m.type());
            case BtfType.Restrict m -> alignOf(m.type());
            case BtfType.TypeTag m -> alignOf(m.type());
            case BtfType.Array arr -> alignOf(arr.elemType());
            case BtfType.Composite c -> {
                int max = 1;
                boolean packed = false;
                for (BtfType.Member m : c.members()) {
                    int ma = alignOf(m.type());
                    max = Math.max(max, ma);
                    if (m.bitfieldSize() == 0 && Integer.toUnsignedLong(m.bitOffset()) % (8L * ma) != 0) {
                        packed = true;
                    }
                }
                yield packed || Integer.toUnsignedLong(c.size()) % max != 0 ? 1 : max;
            }
            default -> 1;
        };
        alignCache[id] = a;
        return a;
    }

    // ---- declarations: a type chain written in C's inside-out syntax

    /**
     * Writes the declaration of {@code name} as type {@code id}. The chain of pointers, arrays, modifiers and
     * prototypes down to a named (or inline) type is collected first, then written from that type back up:
     * modifiers before a base type, after a pointer; arrays and prototypes wrap what lies above them in
     * parentheses.
     */
    private void emitDecl(int id, String name, int lvl) {
        int start = declDepth;
        int cur = id;
        while (true) {
            push(cur);
            if (cur == 0) {
                break;
            }
            BtfType t = btf.type(cur);
            switch (t) {
                case BtfType.Ptr p -> cur = p.type();
                case BtfType.Const m -> cur = m.type();
                case BtfType.Volatile m -> cur = m.type();
                case BtfType.Restrict m -> cur = m.type();
                case BtfType.TypeTag m -> cur = m.type();
                case BtfType.FuncProto p -> cur = p.returnType();
                case BtfType.Array a -> cur = a.elemType();
                default -> cur = -1;
            }
            if (cur < 0) {
                break;
            }
            if (declDepth - start > 4096) {
                throw new BtfFormatException("type id " + id + ": its declaration chain does not end (a loop?)");
            }
        }
        int[] frame = Arrays.copyOfRange(declStack, start, declDepth);
        declDepth = start;
        Chain chain = new Chain(frame);
        emitChain(chain, name, lvl);
    }

    private void push(int id) {
        if (declDepth == declStack.length) {
            declStack = Arrays.copyOf(declStack, declDepth * 2);
        }
        declStack[declDepth++] = id;
    }

    /** One declaration's chain, consumed from the top (the base type) down. */
    private static final class Chain {
        final int[] ids;
        int n;

        Chain(int[] ids) {
            this.ids = ids;
            this.n = ids.length;
        }

        int peek() {
            return ids[n - 1];
        }
    }

    private boolean isMod(int id) {
        if (id == 0) {
            return false;
        }
        BtfKind k = btf.kind(id);
        return k == BtfKind.CONST || k == BtfKind.VOLATILE || k == BtfKind.RESTRICT;
    }

    /** Writes the modifiers right below the base type, before it ({@code const int}). */
    private void emitMods(Chain c) {
        while (c.n > 0) {
            int id = c.peek();
            BtfKind k = id == 0 ? BtfKind.VOID : btf.kind(id);
            switch (k) {
                case VOLATILE -> sb.append("volatile ");
                case CONST -> sb.append("const ");
                case RESTRICT -> sb.append("restrict ");
                default -> {
                    return;
                }
            }
            c.n--;
        }
    }

    private void dropMods(Chain c) {
        while (c.n > 0 && isMod(c.peek())) {
            c.n--;
        }
    }

    private void emitName(String name, boolean lastWasPtr) {
        if (!name.isEmpty() && !lastWasPtr) {
            sb.append(' ');
        }
        sb.append(name);
    }

    private void emitChain(Chain c, String name, int lvl) {
        boolean lastWasPtr = true;
        while (c.n > 0) {
            int id = c.ids[--c.n];
            if (id == 0) {
                emitMods(c);
                sb.append("void");
                lastWasPtr = false;
                continue;
            }
            BtfType t = btf.type(id);
            switch (t) {
                case BtfType.Int i -> {
                    emitMods(c);
                    sb.append(i.name());
                }
                case BtfType.Float f -> {
                    emitMods(c);
                    sb.append(f.name());
                }
                case BtfType.Composite r -> {
                    emitMods(c);
                    if (r.name().isEmpty()) {
                        emitRecord(id, r, lvl);
                    } else {
                        emitRecordFwd(id, r);
                    }
                }
                case BtfType.Enum e -> {
                    emitMods(c);
                    emitEnumRef(id, e.name(), lvl);
                }
                case BtfType.Enum64 e -> {
                    emitMods(c);
                    emitEnumRef(id, e.name(), lvl);
                }
                case BtfType.Fwd f -> {
                    emitMods(c);
                    emitFwd(id, f);
                }
                case BtfType.Typedef td -> {
                    emitMods(c);
                    sb.append(identName(id));
                }
                case BtfType.Ptr p -> sb.append(lastWasPtr ? "*" : " *");
                case BtfType.Volatile m -> sb.append(" volatile");
                case BtfType.Const m -> sb.append(" const");
                case BtfType.Restrict m -> sb.append(" restrict");
                case BtfType.TypeTag tag -> {
                    emitMods(c);
                    if (tag.attribute()) {
                        sb.append(" __attribute__((").append(tag.name()).append("))");
                    } else {
                        sb.append(" __attribute__((btf_type_tag(\"").append(tag.name()).append("\")))");
                    }
                }
                case BtfType.Array a -> {
                    // Qualifiers on an array's element come out on the element; on the array they mean nothing.
                    dropMods(c);
                    if (c.n == 0) {
                        emitName(name, lastWasPtr);
                        sb.append('[').append(Integer.toUnsignedString(a.nelems())).append(']');
                        return;
                    }
                    boolean multidim = btf.kind(c.peek()) == BtfKind.ARRAY;
                    if (!name.isEmpty() && !lastWasPtr) {
                        sb.append(' ');
                    }
                    if (!multidim) {
                        sb.append('(');
                    }
                    emitChain(c, name, lvl);
                    if (!multidim) {
                        sb.append(')');
                    }
                    sb.append('[').append(Integer.toUnsignedString(a.nelems())).append(']');
                    return;
                }
                case BtfType.FuncProto p -> {
                    dropMods(c);
                    if (c.n > 0) {
                        sb.append(" (");
                        emitChain(c, name, lvl);
                        sb.append(')');
                    } else {
                        emitName(name, lastWasPtr);
                    }
                    sb.append('(');
                    List<BtfType.Param> params = p.params();
                    if (params.isEmpty() || (params.size() == 1 && params.getFirst().type() == 0)) {
                        sb.append("void)");
                        return;
                    }
                    for (int i = 0; i < params.size(); i++) {
                        if (i > 0) {
                            sb.append(", ");
                        }
                        BtfType.Param q = params.get(i);
                        if (i == params.size() - 1 && q.type() == 0) {
                            sb.append("...");
                            break;
                        }
                        emitDecl(q.type(), q.name(), lvl);
                    }
                    sb.append(')');
                    return;
                }
                default -> {
                    // FUNC, VAR, DATASEC, DECL_TAG have no place in a declaration.
                    sb.append("/* ").append(t.kind()).append(" ").append(id).append(" */");
                }
            }
            lastWasPtr = t instanceof BtfType.Ptr;
        }
        emitName(name, lastWasPtr);
    }

    private void emitEnumRef(int id, String name, int lvl) {
        if (name.isEmpty()) {
            emitEnum(id, lvl);
        } else {
            sb.append("enum ").append(tagName(id));
        }
    }

    private void indent(int lvl) {
        sb.append('\n');
        for (int i = 0; i < lvl; i++) {
            sb.append('\t');
        }
    }

    // ---- names

    private String tagName(int id) {
        return resolveName(id, tagNames);
    }

    private String identName(int id) {
        return resolveName(id, identNames);
    }

    /** The name the dump gives a type: its own the first time the name is used, with {@code ___N} after. */
    private String resolveName(int id, Map<String, Integer> namespace) {
        String cached = names[id];
        if (cached != null) {
            return cached;
        }
        BtfType t = btf.type(id);
        String name = t.name();
        if (name.isEmpty() || t instanceof BtfType.Fwd
                || (t instanceof BtfType.Enum e && e.values().isEmpty())) {
            // Forward declarations name the one definition they stand for.
            names[id] = name;
            return name;
        }
        int dups = countName(namespace, name);
        String resolved = dups > 1 ? name + "___" + dups : name;
        names[id] = resolved;
        return resolved;
    }

    private static int countName(Map<String, Integer> namespace, String name) {
        return namespace.merge(name, 1, Integer::sum);
    }

    private static int pointerSize(Btf btf) {
        for (String name : new String[] {"long int", "long unsigned int", "long", "unsigned long"}) {
            var t = btf.find(name, BtfKind.INT);
            if (t.isPresent()) {
                long s = btf.sizeOf(t.getAsInt());
                if (s == 4 || s == 8) {
                    return (int) s;
                }
            }
        }
        return 8;
    }
}
