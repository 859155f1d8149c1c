package io.ebpf4j.btf;

/** The kinds of BTF type ({@code BTF_KIND_*}), with their codes in the type's info word. */
public enum BtfKind {
    /** Type id 0, {@code void}; code 0 never appears in a type record. */
    VOID(0),
    INT(1),
    PTR(2),
    ARRAY(3),
    STRUCT(4),
    UNION(5),
    ENUM(6),
    FWD(7),
    TYPEDEF(8),
    VOLATILE(9),
    CONST(10),
    RESTRICT(11),
    FUNC(12),
    FUNC_PROTO(13),
    VAR(14),
    DATASEC(15),
    FLOAT(16),
    DECL_TAG(17),
    TYPE_TAG(18),
    ENUM64(19);

    private static final BtfKind[] BY_CODE = values();

    private final int code;

    BtfKind(int code) {
        this.code = code;
    }

    /** The {@code BTF_KIND_*} number. */
    public int code() {
        return code;
    }

    /** The kind with this code, or null when the code is unknown. */
    public static BtfKind of(int code) {
        // The constants are declared in code order, so the code is the ordinal.
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
