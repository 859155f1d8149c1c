package io.ebpf4j.btf.core;

import io.ebpf4j.asm.Instruction;
import io.ebpf4j.asm.JmpOp;
import io.ebpf4j.asm.OpClass;
import io.ebpf4j.asm.Size;
import io.ebpf4j.asm.Source;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfExt.CoreRelo;
import io.ebpf4j.btf.BtfExt.CoreReloKind;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Applies CO-RE relocations to a program's instructions (libbpf's relo_core semantics).
 *
 * <p>For each relocation the access string is read against the program's BTF (the local spec), candidates of
 * the same kind and essential name are looked up in the {@link CoreTarget}, each candidate is matched (fields
 * by name, through anonymous members; types by compatibility or by {@code bpf_core_type_matches} rules; enum
 * values by name), and the value the relocation asks for is computed for the local spec and for the match.
 * The instruction must hold the local value (unless the value is one the compiler may legitimately disagree
 * on: bitfield positions, type ids); it then gets the target value: the immediate of an ALU instruction or of an
 * {@code ld_imm64}, the offset of a load or store (whose access size follows the field's size where that is
 * safe: pointers and unsigned integers).
 *
 * <p>Several matching candidates must agree, or the relocation is ambiguous and fails. No matching candidate
 * makes existence questions answer 0 and poisons the instruction of every other kind.
 */
public final class CoreRelocator {
    /** The helper number a poisoned instruction calls: {@code 0xbad2310}, "bad relo", as libbpf has it. */
    public static final int POISON_HELPER = 195_896_080;
    private static final int CALL = OpClass.JMP.code() | JmpOp.CALL.code() | Source.K.code();
    private static final int MAX_ACCESS_LEN = 64;

    /** A relocation record and the slot of the program's instruction list it applies to. */
    public record Site(int insn, CoreRelo relo) {
        public Site {
            Objects.requireNonNull(relo);
        }
    }

    private final String program;
    private final Btf local;
    private final CoreTarget target;
    private final Map<Integer, List<CoreTarget.Candidate>> candidates = new HashMap<>();

    private CoreRelocator(String program, Btf local, CoreTarget target) {
        this.program = program;
        this.local = local;
        this.target = target;
    }

    /**
     * Relocates {@code slots} in place (slot-indexed: an {@code ld_imm64}'s second slot is {@code null}) and
     * returns what each relocation did, in the order of {@code sites}.
     *
     * @param program a name for messages
     * @param local   the program's own BTF, which the relocation records' type ids and access strings refer to
     * @throws CoreRelocationException when a relocation cannot be applied (it names the relocation)
     */
    public static List<CoreRelocation> relocate(String program, Btf local, List<Instruction> slots, List<Site> sites,
                                                CoreTarget target) {
        CoreRelocator r = new CoreRelocator(program, local, target);
        List<CoreRelocation> out = new ArrayList<>(sites.size());
        for (int i = 0; i < sites.size(); i++) {
            out.add(r.apply(i, sites.get(i), slots));
        }
        return List.copyOf(out);
    }

    /** The poisoned relocation whose instruction is {@code insn}, if any (to explain a verifier rejection). */
    public static Optional<CoreRelocation> poisonedAt(List<CoreRelocation> relocations, int insn) {
        for (CoreRelocation r : relocations) {
            if (r.poisoned() && r.insn() == insn) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    // ---- one relocation

    /** The computed answer: values, whether to check the instruction, load sizes, or poison with a reason. */
    private record Result(long localValue, long targetValue, boolean validate, int localSize, int targetSize,
                          boolean memSizeUnsafe, String poison) {
    }

    private CoreRelocation apply(int index, Site site, List<Instruction> slots) {
        CoreRelo relo = site.relo();
        Spec localSpec;
        try {
            localSpec = parse(relo);
        } catch (CoreRelocationException e) {
            throw fail(index, site, typeName(local, relo.typeId()), e.getMessage());
        }
        String what = localSpec.describe();
        Result res;
        if (relo.kind() == CoreReloKind.TYPE_ID_LOCAL) {
            res = new Result(relo.typeId(), relo.typeId(), false, 0, 0, false, null);
        } else {
            res = resolve(index, site, localSpec, what);
        }
        if (site.insn() < 0 || site.insn() >= slots.size() || slots.get(site.insn()) == null) {
            throw fail(index, site, what, "instruction " + site.insn() + " is not the start of an instruction of the "
                    + slots.size() + "-slot program");
        }
        Instruction insn = slots.get(site.insn());
        String poison = res.poison();
        if (poison == null) {
            poison = patch(index, site, what, slots, insn, res);
        }
        if (poison != null) {
            Instruction call = new Instruction(CALL, 0, 0, 0, POISON_HELPER);
            if (insn.isLdImm64()) {
                // Both slots, so the verifier does not stop at a meaningless second half first.
                slots.set(site.insn() + 1, call);
            }
            slots.set(site.insn(), call);
            return new CoreRelocation(site.insn(), relo.kind(), relo.typeId(), relo.accessString(), what, true,
                    res.localValue(), 0, poison);
        }
        return new CoreRelocation(site.insn(), relo.kind(), relo.typeId(), relo.accessString(), what, false,
                res.localValue(), res.targetValue(), "");
    }

    private Result resolve(int index, Site site, Spec localSpec, String what) {
        CoreRelo relo = site.relo();
        String name = local.nameOf(relo.typeId());
        if (name.isEmpty()) {
            throw fail(index, site, what, "the local type is anonymous, and CO-RE finds target types by name: give "
                    + "the struct, union or enum a name");
        }
        List<CoreTarget.Candidate> cands = candidates.computeIfAbsent(relo.typeId(),
                id -> target.candidates(local.kind(id), name));
        Result chosen = null;
        Spec chosenSpec = null;
        for (CoreTarget.Candidate c : cands) {
            Spec cs;
            try {
                cs = match(localSpec, c);
            } catch (CoreRelocationException e) {
                throw fail(index, site, what, "matching target type [" + c.id() + "] " + typeName(c.btf(), c.id())
                        + ": " + e.getMessage());
            }
            if (cs == null) {
                continue;
            }
            Result r = calc(index, site, what, localSpec, cs);
            if (chosen == null) {
                chosen = r;
                chosenSpec = cs;
            } else if (cs.bitOffset != chosenSpec.bitOffset
                    || !Objects.equals(r.poison(), chosen.poison()) || r.targetValue() != chosen.targetValue()) {
                throw fail(index, site, what, "ambiguous: target types [" + chosenSpec.rootId + "] " + chosenSpec.describe()
                        + " and [" + cs.rootId + "] " + cs.describe() + " in " + target.description()
                        + " both match but give different results (" + chosen.targetValue() + " and "
                        + r.targetValue() + "); rename the local type with a ___flavor suffix only one of them has");
            }
        }
        if (chosen == null) {
            chosen = calc(index, site, what, localSpec, null);
            if (chosen.poison() != null && cands.isEmpty()) {
                chosen = new Result(chosen.localValue(), 0, chosen.validate(), 0, 0, false,
                        "no type named like " + CoreNames.essential(name) + " (" + local.kind(relo.typeId())
                                .name().toLowerCase(java.util.Locale.ROOT) + ") in " + target.description());
            } else if (chosen.poison() != null) {
                chosen = new Result(chosen.localValue(), 0, chosen.validate(), 0, 0, false, cands.size()
                        + " candidate type(s) in " + target.description() + " but none has a matching "
                        + (localSpec.kind == CoreReloKind.ENUMVAL_VALUE ? "enumerator" : "field"));
            }
        }
        return chosen;
    }

    // ---- specs: the access string read against a type

    /** One step of an access path: a named member of a composite, or an array index (name null). */
    private record Accessor(int typeId, int index, String name) {
    }

    /** An access path into {@code btf} from {@code rootId}: named steps and array indexes, and where it lands. */
    private static final class Spec {
        final Btf btf;
        final int rootId;
        final CoreReloKind kind;
        final List<Accessor> accessors = new ArrayList<>();
        long bitOffset;

        Spec(Btf btf, int rootId, CoreReloKind kind) {
            this.btf = btf;
            this.rootId = rootId;
            this.kind = kind;
        }

        Accessor last() {
            return accessors.getLast();
        }

        /** {@code struct task_struct.real_parent}, {@code struct s[1].a[2]}, {@code enum e::V}, {@code struct s}. */
        String describe() {
            StringBuilder sb = new StringBuilder(typeName(btf, rootId));
            if (isEnumval(kind)) {
                return sb.append("::").append(accessors.isEmpty() ? "?" : accessors.getFirst().name()).toString();
            }
            for (int i = 0; i < accessors.size(); i++) {
                Accessor a = accessors.get(i);
                if (a.name() != null) {
                    sb.append('.').append(a.name());
                } else if (i > 0 || a.index() != 0) {
                    sb.append('[').append(a.index()).append(']');
                }
            }
            return sb.toString();
        }
    }

    static String typeName(Btf btf, int id) {
        BtfKind k = btf.kind(id);
        String n = btf.nameOf(id);
        String kind = switch (k) {
            case ENUM64 -> "enum";
            case FWD -> btf.type(id) instanceof BtfType.Fwd f && f.union() ? "union" : "struct";
            default -> k.name().toLowerCase(java.util.Locale.ROOT);
        };
        if (k == BtfKind.INT || k == BtfKind.FLOAT) {
            return n;
        }
        return kind + " " + (n.isEmpty() ? "<anon>" : n);
    }

    private static boolean isField(CoreReloKind k) {
        return k.code() <= CoreReloKind.FIELD_RSHIFT_U64.code();
    }

    private static boolean isEnumval(CoreReloKind k) {
        return k == CoreReloKind.ENUMVAL_EXISTS || k == CoreReloKind.ENUMVAL_VALUE;
    }

    private Spec parse(CoreRelo relo) {
        Spec spec = new Spec(local, relo.typeId(), relo.kind());
        String s = relo.accessString();
        if (!isField(relo.kind()) && !isEnumval(relo.kind())) {
            if (!s.equals("0")) {
                throw new CoreRelocationException("a type relocation's access string must be \"0\", not \"" + s + "\"");
            }
            return spec;
        }
        int[] raw = accessIndexes(s);
        int id = local.resolve(relo.typeId());
        BtfType t = local.type(id);
        if (isEnumval(relo.kind())) {
            List<BtfType.EnumValue> values = enumValues(t);
            if (values == null || raw.length != 1 || raw[0] >= values.size()) {
                throw new CoreRelocationException("access string \"" + s + "\" does not name an enumerator of "
                        + typeName(local, id));
            }
            spec.accessors.add(new Accessor(id, raw[0], values.get(raw[0]).name()));
            return spec;
        }
        spec.accessors.add(new Accessor(id, raw[0], null));
        spec.bitOffset = (long) raw[0] * size(local, id) * 8;
        for (int i = 1; i < raw.length; i++) {
            id = local.resolve(id);
            t = local.type(id);
            int idx = raw[i];
            switch (t) {
                case BtfType.Composite c -> {
                    if (idx >= c.members().size()) {
                        throw new CoreRelocationException("access string \"" + s + "\": member index " + idx + " of "
                                + typeName(local, id) + ", which has " + c.members().size() + " members");
                    }
                    BtfType.Member m = c.members().get(idx);
                    spec.bitOffset += m.bitOffset();
                    if (!m.name().isEmpty()) {
                        spec.accessors.add(new Accessor(id, idx, m.name()));
                    }
                    id = m.type();
                }
                case BtfType.Array a -> {
                    int elem = local.resolve(a.elemType());
                    if (!isFlexible(local, spec.last(), a) && Integer.toUnsignedLong(idx) >= Integer.toUnsignedLong(a.nelems())) {
                        throw new CoreRelocationException("access string \"" + s + "\": index " + idx + " is past the "
                                + Integer.toUnsignedLong(a.nelems()) + " elements of the array");
                    }
                    spec.accessors.add(new Accessor(elem, idx, null));
                    spec.bitOffset += (long) idx * size(local, elem) * 8;
                    id = elem;
                }
                default -> throw new CoreRelocationException("access string \"" + s + "\": step " + i + " reaches "
                        + typeName(local, id) + ", which is neither a struct, a union nor an array");
            }
        }
        return spec;
    }

    private static int[] accessIndexes(String s) {
        if (s.isEmpty() || s.startsWith(":") || s.endsWith(":")) {
            throw new CoreRelocationException("malformed access string \"" + s + "\"");
        }
        String[] parts = s.split(":");
        if (parts.length > MAX_ACCESS_LEN) {
            throw new CoreRelocationException("access string \"" + s + "\" is longer than " + MAX_ACCESS_LEN + " steps");
        }
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                out[i] = -1;
            }
            if (out[i] < 0) {
                throw new CoreRelocationException("malformed access string \"" + s + "\": \"" + parts[i]
                        + "\" is not an index");
            }
        }
        return out;
    }

    private static List<BtfType.EnumValue> enumValues(BtfType t) {
        return switch (t) {
            case BtfType.Enum e -> e.values();
            case BtfType.Enum64 e -> e.values();
            default -> null;
        };
    }

    /** A zero-length array as the last member of a struct: indexes past its (zero) length are fine. */
    private static boolean isFlexible(Btf btf, Accessor holder, BtfType.Array a) {
        if (holder.name() == null || a.nelems() != 0) {
            return false;
        }
        return btf.type(holder.typeId()) instanceof BtfType.Composite c && holder.index() == c.members().size() - 1;
    }

    private static long size(Btf btf, int id) {
        try {
            return btf.sizeOf(id);
        } catch (IllegalArgumentException e) {
            throw new CoreRelocationException(e.getMessage());
        }
    }

    // ---- matching a candidate

    /** The candidate's spec when it matches the local one, else null. */
    private Spec match(Spec localSpec, CoreTarget.Candidate cand) {
        Btf tb = cand.btf();
        Spec ts = new Spec(tb, cand.id(), localSpec.kind);
        CoreReloKind kind = localSpec.kind;
        if (!isField(kind) && !isEnumval(kind)) {
            boolean ok = kind == CoreReloKind.TYPE_MATCHES ? CoreTypes.matches(local, localSpec.rootId, tb, cand.id())
                    : CoreTypes.compatible(local, localSpec.rootId, tb, cand.id());
            return ok ? ts : null;
        }
        if (isEnumval(kind)) {
            int id = tb.resolve(cand.id());
            List<BtfType.EnumValue> values = enumValues(tb.type(id));
            if (values == null) {
                return null;
            }
            String want = CoreNames.essential(localSpec.accessors.getFirst().name());
            for (int i = 0; i < values.size(); i++) {
                if (CoreNames.essential(values.get(i).name()).equals(want)) {
                    ts.accessors.add(new Accessor(id, i, values.get(i).name()));
                    return ts;
                }
            }
            return null;
        }
        int targId = cand.id();
        for (int i = 0; i < localSpec.accessors.size(); i++) {
            Accessor la = localSpec.accessors.get(i);
            targId = tb.resolve(targId);
            if (la.name() != null) {
                int next = matchMember(la, tb, targId, ts);
                if (next < 0) {
                    return null;
                }
                targId = next;
            } else {
                if (i > 0) {
                    if (!(tb.type(targId) instanceof BtfType.Array a)) {
                        return null;
                    }
                    if (!isFlexible(tb, ts.last(), a)
                            && Integer.toUnsignedLong(la.index()) >= Integer.toUnsignedLong(a.nelems())) {
                        return null;
                    }
                    targId = tb.resolve(a.elemType());
                }
                ts.accessors.add(new Accessor(targId, la.index(), null));
                ts.bitOffset += (long) la.index() * size(tb, targId) * 8;
            }
        }
        return ts;
    }

    /**
     * Finds the local accessor's member by name in the target composite {@code targId}, searching anonymous
     * members too; adds the target accessor and bit offset and returns the member's type id, or -1.
     */
    private int matchMember(Accessor la, Btf tb, int targId, Spec ts) {
        if (!(tb.type(tb.resolve(targId)) instanceof BtfType.Composite tc)) {
            return -1;
        }
        targId = tb.resolve(targId);
        BtfType.Member lm = ((BtfType.Composite) local.type(la.typeId())).members().get(la.index());
        for (int i = 0; i < tc.members().size(); i++) {
            BtfType.Member tm = tc.members().get(i);
            if (tm.name().isEmpty()) {
                ts.bitOffset += tm.bitOffset();
                int found = matchMember(la, tb, tm.type(), ts);
                if (found >= 0) {
                    return found;
                }
                ts.bitOffset -= tm.bitOffset();
            } else if (tm.name().equals(lm.name())) {
                if (!CoreTypes.fieldsCompatible(local, lm.type(), tb, tm.type())) {
                    return -1;
                }
                ts.bitOffset += tm.bitOffset();
                ts.accessors.add(new Accessor(targId, i, tm.name()));
                return tm.type();
            }
        }
        return -1;
    }

    // ---- values

    /** A relocation's value for one spec: the value, the access size and its type, and whether to validate. */
    private record Value(long value, int size, int typeId, boolean validate, boolean poison) {
        static final Value POISON = new Value(0, 0, 0, false, true);
    }

    private Result calc(int index, Site site, String what, Spec localSpec, Spec targetSpec) {
        CoreReloKind kind = localSpec.kind;
        Value l;
        Value t;
        try {
            if (isField(kind)) {
                l = field(kind, localSpec);
                t = field(kind, targetSpec);
            } else if (isEnumval(kind)) {
                l = enumval(kind, localSpec);
                t = enumval(kind, targetSpec);
            } else {
                l = type(kind, localSpec);
                t = type(kind, targetSpec);
            }
        } catch (CoreRelocationException e) {
            throw fail(index, site, what, e.getMessage());
        }
        if (t.poison()) {
            return new Result(l.value(), 0, l.validate(), 0, 0, false, "not found in " + target.description());
        }
        boolean unsafe = false;
        if (isField(kind) && l.size() != t.size()) {
            // Only zero-extending loads stay right at another width: pointers and unsigned integers.
            BtfType lt = localSpec.btf.type(l.typeId());
            BtfType tt = targetSpec.btf.type(t.typeId());
            boolean ptrs = lt instanceof BtfType.Ptr && tt instanceof BtfType.Ptr;
            boolean unsigned = lt instanceof BtfType.Int li && tt instanceof BtfType.Int ti && !li.signed() && !ti.signed();
            unsafe = !ptrs && !unsigned;
        }
        return new Result(l.value(), t.value(), l.validate(), l.size(), t.size(), unsafe, null);
    }

    private static Value field(CoreReloKind kind, Spec spec) {
        if (kind == CoreReloKind.FIELD_EXISTS) {
            return new Value(spec == null ? 0 : 1, 0, 0, true, false);
        }
        if (spec == null) {
            return Value.POISON;
        }
        Btf btf = spec.btf;
        Accessor acc = spec.last();
        if (acc.name() == null) {
            // An array element (or the root itself): its own size, not the array's.
            return switch (kind) {
                case FIELD_BYTE_OFFSET -> {
                    int elem = elementType(btf, acc.typeId());
                    yield new Value(spec.bitOffset / 8, (int) size(btf, elem), elem, true, false);
                }
                case FIELD_BYTE_SIZE -> new Value(size(btf, acc.typeId()), 0, 0, true, false);
                default -> throw new CoreRelocationException(kind + " cannot be applied to an array element");
            };
        }
        BtfType.Member m = ((BtfType.Composite) btf.type(acc.typeId())).members().get(acc.index());
        int fieldType = btf.resolve(m.type());
        BtfType mt = btf.type(fieldType);
        long bitOff = spec.bitOffset;
        long bitSize = m.bitfieldSize();
        boolean bitfield = bitSize > 0;
        long byteSize;
        long byteOff;
        if (bitfield) {
            byteSize = size(btf, fieldType);
            if (byteSize <= 0) {
                throw new CoreRelocationException("bitfield " + m.name() + " has a type of size " + byteSize);
            }
            byteOff = bitOff / 8 / byteSize * byteSize;
            // The smallest aligned load that holds the whole bitfield.
            while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
                if (byteSize >= 8) {
                    throw new CoreRelocationException("bitfield " + m.name() + " (" + bitSize + " bits at bit "
                            + bitOff + ") cannot be read with one 64-bit load");
                }
                byteSize *= 2;
                byteOff = bitOff / 8 / byteSize * byteSize;
            }
        } else {
            byteSize = size(btf, fieldType);
            byteOff = bitOff / 8;
            bitSize = byteSize * 8;
        }
        // The compiler may lay a bitfield's load out differently from us: check the instruction only when
        // the answer is unambiguous.
        boolean validate = !bitfield;
        return switch (kind) {
            case FIELD_BYTE_OFFSET -> {
                if (bitfield) {
                    yield new Value(byteOff, 0, 0, false, false);
                }
                int elem = elementType(btf, fieldType);
                yield new Value(byteOff, (int) size(btf, elem), fieldType, true, false);
            }
            case FIELD_BYTE_SIZE -> new Value(byteSize, 0, 0, validate, false);
            case FIELD_SIGNED -> new Value(signed(mt) ? 1 : 0, 0, 0, true, false);
            case FIELD_LSHIFT_U64 -> new Value(btf.byteOrder() == ByteOrder.LITTLE_ENDIAN
                    ? 64 - (bitOff + bitSize - byteOff * 8)
                    : (8 - byteSize) * 8 + (bitOff - byteOff * 8), 0, 0, validate, false);
            case FIELD_RSHIFT_U64 -> new Value(64 - bitSize, 0, 0, true, false);
            default -> throw new AssertionError(kind);
        };
    }

    private static boolean signed(BtfType t) {
        return switch (t) {
            case BtfType.Enum e -> e.signed();
            case BtfType.Enum64 e -> e.signed();
            case BtfType.Int i -> i.signed();
            default -> false;
        };
    }

    /** Strips arrays (and modifiers) down to the element type. */
    private static int elementType(Btf btf, int id) {
        int cur = btf.resolve(id);
        for (int depth = 0; depth < MAX_ACCESS_LEN && btf.type(cur) instanceof BtfType.Array a; depth++) {
            cur = btf.resolve(a.elemType());
        }
        return cur;
    }

    private static Value type(CoreReloKind kind, Spec spec) {
        if (spec == null) {
            return new Value(0, 0, 0, true, false);
        }
        return switch (kind) {
            // Type ids change when BTF is deduplicated or linked: the compiler's number is not checked.
            case TYPE_ID_TARGET -> new Value(spec.rootId, 0, 0, false, false);
            case TYPE_EXISTS, TYPE_MATCHES -> new Value(1, 0, 0, true, false);
            case TYPE_SIZE -> new Value(size(spec.btf, spec.rootId), 0, 0, true, false);
            default -> throw new AssertionError(kind);
        };
    }

    private static Value enumval(CoreReloKind kind, Spec spec) {
        if (kind == CoreReloKind.ENUMVAL_EXISTS) {
            return new Value(spec == null ? 0 : 1, 0, 0, true, false);
        }
        if (spec == null) {
            return Value.POISON;
        }
        Accessor a = spec.accessors.getFirst();
        return new Value(enumValues(spec.btf.type(a.typeId())).get(a.index()).value(), 0, 0, true, false);
    }

    // ---- patching

    /** Patches the instruction; returns a poison reason instead when the access cannot be made safe. */
    private String patch(int index, Site site, String what, List<Instruction> slots, Instruction insn, Result res) {
        long orig = res.localValue();
        long val = res.targetValue();
        switch (insn.opClass()) {
            case ALU, ALU64 -> {
                if (insn.source() != Source.K) {
                    throw fail(index, site, what, "instruction " + insn + " is an ALU instruction with a register "
                            + "operand; only an immediate can be relocated");
                }
                if (res.validate() && !(fits32(orig) && (int) insn.imm() == (int) orig)) {
                    throw unexpected(index, site, what, "immediate", insn.imm(), orig);
                }
                if (!fits32(val)) {
                    throw fail(index, site, what, "the target value " + val + " does not fit the 32-bit immediate of "
                            + insn);
                }
                slots.set(site.insn(), insn.withImm((int) val));
            }
            case LDX, ST, STX -> {
                if (res.validate() && insn.offset() != orig) {
                    throw unexpected(index, site, what, "offset", insn.offset(), orig);
                }
                if (val > Short.MAX_VALUE || val < 0) {
                    throw fail(index, site, what, "the target offset " + val + " does not fit a load/store's 16-bit offset");
                }
                if (res.memSizeUnsafe()) {
                    return "the field is " + res.targetSize() + " bytes in " + target.description() + ", not "
                            + res.localSize() + ", and is not a pointer or unsigned integer, so a load of another size "
                            + "would change its value";
                }
                Instruction patched = insn.withOffset((int) val);
                if (res.localSize() != res.targetSize()) {
                    int have = insn.size().bytes();
                    if (have != res.localSize()) {
                        throw fail(index, site, what, "instruction " + insn + " accesses " + have
                                + " bytes, the local field has " + res.localSize());
                    }
                    Size to = sizeOf(res.targetSize());
                    if (to == null) {
                        throw fail(index, site, what, "the target field is " + res.targetSize()
                                + " bytes, which no single load or store accesses");
                    }
                    patched = new Instruction((insn.opcode() & ~Size.MASK) | to.code(), patched.dst(), patched.src(),
                            patched.offset(), patched.imm());
                }
                slots.set(site.insn(), patched);
            }
            case LD -> {
                if (!insn.isLdImm64() || insn.src() != 0 || insn.offset() != 0) {
                    throw fail(index, site, what, "instruction " + insn + " is not a plain 64-bit immediate load");
                }
                if (res.validate() && insn.imm() != orig) {
                    throw unexpected(index, site, what, "64-bit immediate", insn.imm(), orig);
                }
                slots.set(site.insn(), insn.withImm(val));
            }
            default -> throw fail(index, site, what, "instruction " + insn + " cannot carry a CO-RE relocation "
                    + "(only ALU immediates, loads, stores and ld_imm64 can)");
        }
        return null;
    }

    private static boolean fits32(long v) {
        return v >= Integer.MIN_VALUE && v <= 0xffff_ffffL;
    }

    private static Size sizeOf(int bytes) {
        for (Size s : Size.values()) {
            if (s.bytes() == bytes) {
                return s;
            }
        }
        return null;
    }

    private CoreRelocationException unexpected(int index, Site site, String what, String field, long have, long want) {
        return fail(index, site, what, "the instruction's " + field + " is " + have + " but the program's BTF says "
                + want + ": the object's BTF and code disagree (was the object modified after compiling?)");
    }

    private CoreRelocationException fail(int index, Site site, String what, String why) {
        return new CoreRelocationException("program '" + program + "': CO-RE relocation #" + index + " ("
                + site.relo().kind() + " of " + what + ", access string \"" + site.relo().accessString()
                + "\", at instruction " + site.insn() + "): " + why);
    }
}
