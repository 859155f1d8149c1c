package io.ebpf4j.btf.core;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;

import java.util.List;

/**
 * The three ways CO-RE compares a local type with a target type (the rules of libbpf's relo_core):
 * <ul>
 * <li>{@link #compatible}: for type-based relocations; kinds agree, pointers, arrays and prototypes are compared
 * through, named kinds are taken as compatible (their names were matched when choosing candidates);</li>
 * <li>{@link #fieldsCompatible}: for the type of a field reached by name; any two structs or unions agree,
 * enums and forward declarations need equal essential names (or one anonymous);</li>
 * <li>{@link #matches}: {@code bpf_core_type_matches}; names, integer size and sign, array lengths, every local
 * member and enumerator present in the target.</li>
 * </ul>
 * Typedefs and modifiers are skipped on both sides throughout.
 */
final class CoreTypes {
    /** How deep pointer, array and prototype chains are followed before the types are called incompatible. */
    private static final int MAX_DEPTH = 32;

    private CoreTypes() {
    }

    static boolean compatible(Btf local, int localId, Btf target, int targetId) {
        if (!CoreNames.kindsCompatible(local.kind(localId), target.kind(targetId))) {
            return false;
        }
        return compatible(local, localId, target, targetId, MAX_DEPTH);
    }

    private static boolean compatible(Btf local, int localId, Btf target, int targetId, int depth) {
        if (depth <= 0) {
            throw new CoreRelocationException("type chain from local type id " + localId + " is deeper than "
                    + MAX_DEPTH + " levels");
        }
        int l = local.resolve(localId);
        int t = target.resolve(targetId);
        BtfKind lk = local.kind(l);
        BtfKind tk = target.kind(t);
        if (!CoreNames.kindsCompatible(lk, tk)) {
            return false;
        }
        return switch (local.type(l)) {
            case BtfType.Void v -> true;
            case BtfType.Composite c -> true;
            case BtfType.Enum e -> true;
            case BtfType.Enum64 e -> true;
            case BtfType.Fwd f -> true;
            case BtfType.Int li -> li.bitOffset() == 0 && ((BtfType.Int) target.type(t)).bitOffset() == 0;
            case BtfType.Ptr lp -> compatible(local, lp.type(), target, ((BtfType.Ptr) target.type(t)).type(), depth - 1);
            case BtfType.Array la -> compatible(local, la.elemType(), target, ((BtfType.Array) target.type(t)).elemType(),
                    depth - 1);
            case BtfType.FuncProto lf -> {
                BtfType.FuncProto tf = (BtfType.FuncProto) target.type(t);
                if (lf.params().size() != tf.params().size()) {
                    yield false;
                }
                for (int i = 0; i < lf.params().size(); i++) {
                    if (!compatible(local, lf.params().get(i).type(), target, tf.params().get(i).type(), depth - 1)) {
                        yield false;
                    }
                }
                yield compatible(local, lf.returnType(), target, tf.returnType(), depth - 1);
            }
            default -> false;
        };
    }

    static boolean fieldsCompatible(Btf local, int localId, Btf target, int targetId) {
        for (int depth = MAX_DEPTH; depth > 0; depth--) {
            int l = local.resolve(localId);
            int t = target.resolve(targetId);
            BtfType lt = local.type(l);
            BtfType tt = target.type(t);
            if (lt instanceof BtfType.Composite && tt instanceof BtfType.Composite) {
                return true;
            }
            if (!CoreNames.kindsCompatible(lt.kind(), tt.kind())) {
                return false;
            }
            switch (lt) {
                case BtfType.Ptr p -> {
                    return true;
                }
                case BtfType.Float f -> {
                    return true;
                }
                case BtfType.Fwd f -> {
                    return namesAgreeOrAnonymous(lt.name(), tt.name());
                }
                case BtfType.Enum e -> {
                    return namesAgreeOrAnonymous(lt.name(), tt.name());
                }
                case BtfType.Enum64 e -> {
                    return namesAgreeOrAnonymous(lt.name(), tt.name());
                }
                case BtfType.Int li -> {
                    return li.bitOffset() == 0 && ((BtfType.Int) tt).bitOffset() == 0;
                }
                case BtfType.Array la -> {
                    localId = la.elemType();
                    targetId = ((BtfType.Array) tt).elemType();
                }
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    private static boolean namesAgreeOrAnonymous(String local, String target) {
        String l = CoreNames.essential(local);
        String t = CoreNames.essential(target);
        return l.isEmpty() || t.isEmpty() || l.equals(t);
    }

    /** Essential names equal; an anonymous target matches only an anonymous local. */
    static boolean namesMatch(String local, String target) {
        if (target.isEmpty()) {
            return local.isEmpty();
        }
        return CoreNames.essential(local).equals(CoreNames.essential(target));
    }

    static boolean matches(Btf local, int localId, Btf target, int targetId) {
        return matches(local, localId, target, targetId, false, MAX_DEPTH);
    }

    private static boolean matches(Btf local, int localId, Btf target, int targetId, boolean behindPtr, int depth) {
        if (depth <= 0) {
            throw new CoreRelocationException("type chain from local type id " + localId + " is deeper than "
                    + MAX_DEPTH + " levels");
        }
        int l = local.resolve(localId);
        int t = target.resolve(targetId);
        BtfType lt = local.type(l);
        BtfType tt = target.type(t);
        if (!namesMatch(lt.name(), tt.name())) {
            return false;
        }
        BtfKind tk = tt.kind();
        return switch (lt) {
            case BtfType.Void v -> tk == BtfKind.VOID;
            case BtfType.Fwd lf -> {
                if (tt instanceof BtfType.Fwd tf) {
                    yield lf.union() == tf.union();
                }
                yield behindPtr && (lf.union() ? tk == BtfKind.UNION : tk == BtfKind.STRUCT);
            }
            case BtfType.Enum le -> enumsMatch(le.size(), names(le.values()), tt);
            case BtfType.Enum64 le -> enumsMatch(le.size(), names(le.values()), tt);
            case BtfType.Composite lc -> {
                if (behindPtr) {
                    if (lc.kind() == tk) {
                        yield true;
                    }
                    yield tt instanceof BtfType.Fwd tf && tf.union() == (lc.kind() == BtfKind.UNION);
                }
                yield lc.kind() == tk && compositesMatch(local, lc, target, (BtfType.Composite) tt, depth);
            }
            case BtfType.Int li -> tt instanceof BtfType.Int ti && li.size() == ti.size() && li.signed() == ti.signed();
            case BtfType.Ptr lp -> tt instanceof BtfType.Ptr tp
                    && matches(local, lp.type(), target, tp.type(), true, depth - 1);
            case BtfType.Array la -> tt instanceof BtfType.Array ta && la.nelems() == ta.nelems()
                    && matches(local, la.elemType(), target, ta.elemType(), behindPtr, depth - 1);
            case BtfType.FuncProto lf -> {
                if (!(tt instanceof BtfType.FuncProto tf) || lf.params().size() != tf.params().size()) {
                    yield false;
                }
                for (int i = 0; i < lf.params().size(); i++) {
                    if (!matches(local, lf.params().get(i).type(), target, tf.params().get(i).type(), behindPtr, depth - 1)) {
                        yield false;
                    }
                }
                yield matches(local, lf.returnType(), target, tf.returnType(), behindPtr, depth - 1);
            }
            default -> false;
        };
    }

    private static List<String> names(List<BtfType.EnumValue> values) {
        return values.stream().map(BtfType.EnumValue::name).toList();
    }

    private static boolean enumsMatch(int localSize, List<String> localNames, BtfType target) {
        List<String> targetNames;
        int targetSize;
        switch (target) {
            case BtfType.Enum e -> {
                targetNames = names(e.values());
                targetSize = e.size();
            }
            case BtfType.Enum64 e -> {
                targetNames = names(e.values());
                targetSize = e.size();
            }
            default -> {
                return false;
            }
        }
        if (localSize != targetSize || localNames.size() > targetNames.size()) {
            return false;
        }
        for (String ln : localNames) {
            boolean found = false;
            for (String tn : targetNames) {
                if (namesMatch(ln, tn)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static boolean compositesMatch(Btf local, BtfType.Composite lc, Btf target, BtfType.Composite tc, int depth) {
        if (lc.members().size() > tc.members().size()) {
            return false;
        }
        for (BtfType.Member lm : lc.members()) {
            boolean found = false;
            for (BtfType.Member tm : tc.members()) {
                if (namesMatch(lm.name(), tm.name()) && matches(local, lm.type(), target, tm.type(), false, depth - 1)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }
}
