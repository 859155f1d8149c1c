package io.ebpf4j.btf;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One decoded BTF type: a record per kind. Types refer to other types by id; the {@link Btf} they came from
 * resolves those ids. Names are empty for anonymous types, never null. Records compare by value, so a type
 * decoded from BTF equals the record that was written.
 */
public sealed interface BtfType {
    /** The type's name; empty when anonymous. */
    String name();

    BtfKind kind();

    /** How a function or variable is linked ({@code BTF_FUNC_*}, {@code BTF_VAR_*}). */
    enum Linkage {
        STATIC, GLOBAL, EXTERN;

        private static final Linkage[] BY_CODE = values();

        /** The BTF number: 0 static, 1 global, 2 extern. */
        public int code() {
            return ordinal();
        }

        /** The linkage with this code, or null when unknown. */
        public static Linkage of(int code) {
            return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        }
    }

    /** The encoding of an INT: at most one of signed, char or bool ({@code BTF_INT_*}). */
    enum IntEncoding {
        NONE(0), SIGNED(1), CHAR(2), BOOL(4);

        private final int code;

        IntEncoding(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The encoding with this code, or null when the bits are no single known encoding. */
        public static IntEncoding of(int code) {
            return switch (code) {
                case 0 -> NONE;
                case 1 -> SIGNED;
                case 2 -> CHAR;
                case 4 -> BOOL;
                default -> null;
            };
        }
    }

    /** Type id 0, {@code void}; its name is empty like that of string offset 0. */
    record Void() implements BtfType {
        public static final Void INSTANCE = new Void();

        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.VOID;
        }
    }

    /** An integer of {@code size} bytes whose value is {@code bits} bits from bit {@code bitOffset}. */
    record Int(String name, int size, IntEncoding encoding, int bitOffset, int bits) implements BtfType {
        public Int {
            Objects.requireNonNull(name);
            Objects.requireNonNull(encoding);
        }

        public boolean signed() {
            return encoding == IntEncoding.SIGNED;
        }

        @Override
        public BtfKind kind() {
            return BtfKind.INT;
        }
    }

    record Ptr(String name, int type) implements BtfType {
        public Ptr {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.PTR;
        }
    }

    /** {@code nelems} elements of {@code elemType}; {@code nelems} is unsigned. */
    record Array(String name, int elemType, int indexType, int nelems) implements BtfType {
        public Array {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ARRAY;
        }
    }

    /**
     * A struct or union member. {@code bitfieldSize} is non-zero only for bitfields (which set the parent's
     * kind_flag); {@code bitOffset} is from the start of the parent.
     */
    record Member(String name, int type, int bitOffset, int bitfieldSize) {
        public Member {
            Objects.requireNonNull(name);
        }
    }

    /** A STRUCT or UNION. */
    sealed interface Composite extends BtfType permits Struct, Union {
        int size();

        List<Member> members();

        /** The first member with this name (anonymous members are not searched into). */
        default Optional<Member> member(String name) {
            for (Member m : members()) {
                if (m.name().equals(name)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }

        /** Whether any member is a bitfield, i.e. whether the record needs kind_flag. */
        default boolean hasBitfields() {
            for (Member m : members()) {
                if (m.bitfieldSize() != 0) {
                    return true;
                }
            }
            return false;
        }
    }

    record Struct(String name, int size, List<Member> members) implements Composite {
        public Struct {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.STRUCT;
        }
    }

    record Union(String name, int size, List<Member> members) implements Composite {
        public Union {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.UNION;
        }
    }

    /**
     * An enumerator. For a 32-bit ENUM the value is sign- or zero-extended per the enum's signedness; for
     * ENUM64 an unsigned value above {@link Long#MAX_VALUE} reads as negative.
     */
    record EnumValue(String name, long value) {
        public EnumValue {
            Objects.requireNonNull(name);
        }
    }

    /** A 32-bit-valued enum of {@code size} bytes; {@code signed} is the kind_flag. */
    record Enum(String name, int size, boolean signed, List<EnumValue> values) implements BtfType {
        public Enum {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ENUM;
        }
    }

    /** A 64-bit-valued enum of {@code size} bytes; {@code signed} is the kind_flag. */
    record Enum64(String name, int size, boolean signed, List<EnumValue> values) implements BtfType {
        public Enum64 {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ENUM64;
        }
    }

    /** A forward declaration of a struct, or of a union when {@code union} (the kind_flag). */
    record Fwd(String name, boolean union) implements BtfType {
        public Fwd {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FWD;
        }
    }

    record Typedef(String name, int type) implements BtfType {
        public Typedef {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.TYPEDEF;
        }
    }

    record Volatile(String name, int type) implements BtfType {
        public Volatile {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.VOLATILE;
        }
    }

    record Const(String name, int type) implements BtfType {
        public Const {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.CONST;
        }
    }

    record Restrict(String name, int type) implements BtfType {
        public Restrict {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.RESTRICT;
        }
    }

    /** A function; {@code type} is its FUNC_PROTO. The linkage is stored in the record's vlen. */
    record Func(String name, int type, Linkage linkage) implements BtfType {
        public Func {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FUNC;
        }
    }

    /** A parameter; a variadic prototype ends with one of empty name and type 0. */
    record Param(String name, int type) {
        public Param {
            Objects.requireNonNull(name);
        }
    }

    record FuncProto(String name, int returnType, List<Param> params) implements BtfType {
        public FuncProto {
            Objects.requireNonNull(name);
            params = List.copyOf(params);
        }

        /** Whether the last parameter is the {@code ...} marker. */
        public boolean variadic() {
            if (params.isEmpty()) {
                return false;
            }
            Param last = params.getLast();
            return last.type() == 0 && last.name().isEmpty();
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FUNC_PROTO;
        }
    }

    record Var(String name, int type, Linkage linkage) implements BtfType {
        public Var {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.VAR;
        }
    }

    /** A variable (or function) placed in a data section: its type id, byte offset and size. */
    record VarSecinfo(int type, int offset, int size) {
    }

    record Datasec(String name, int size, List<VarSecinfo> vars) implements BtfType {
        public Datasec {
            Objects.requireNonNull(name);
            vars = List.copyOf(vars);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.DATASEC;
        }
    }

    record Float(String name, int size) implements BtfType {
        public Float {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FLOAT;
        }
    }

    /**
     * A tag on {@code type}, or on its member or parameter {@code componentIdx} (-1 for the type itself).
     * {@code attribute} (the kind_flag) marks a plain {@code __attribute__} rather than a {@code btf_decl_tag}.
     */
    record DeclTag(String name, int type, int componentIdx, boolean attribute) implements BtfType {
        public DeclTag {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.DECL_TAG;
        }
    }

    /** A type tag on {@code type}; {@code attribute} (the kind_flag) as for {@link DeclTag}. */
    record TypeTag(String name, int type, boolean attribute) implements BtfType {
        public TypeTag {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.TYPE_TAG;
        }
    }
}
