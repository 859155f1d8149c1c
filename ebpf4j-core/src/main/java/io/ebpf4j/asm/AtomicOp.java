package io.ebpf4j.asm;

/**
 * Operations of {@code STX | ATOMIC} instructions, carried in the immediate. ADD, OR, AND and XOR may be
 * combined with {@link #FETCH}; XCHG and CMPXCHG always fetch, so their codes include it.
 */
public enum AtomicOp {
    ADD(0x00), OR(0x40), AND(0x50), XOR(0xa0),
    XCHG(0xe0 | AtomicOp.FETCH),
    /** Compares R0 with memory and stores the source register on a match; R0 receives the old value. */
    CMPXCHG(0xf0 | AtomicOp.FETCH),
    /** Load-acquire into the destination register. */
    LOAD_ACQ(0x100),
    /** Store-release of the source register. */
    STORE_REL(0x110);

    /** Immediate flag asking an arithmetic atomic to return the old value in the source register. */
    public static final int FETCH = 0x01;

    private final int code;

    AtomicOp(int code) {
        this.code = code;
    }

    /** The immediate value for this operation, without {@link #FETCH} for the arithmetic ones. */
    public int code() {
        return code;
    }

    /** Whether {@link #FETCH} may be toggled for this operation, i.e. it is one of ADD, OR, AND, XOR. */
    public boolean isArithmetic() {
        return this == ADD || this == OR || this == AND || this == XOR;
    }

    /** The operation an atomic instruction's immediate names, or {@code null} if it names none. */
    public static AtomicOp of(int imm) {
        for (AtomicOp op : values()) {
            if (op.code == imm || (op.isArithmetic() && (op.code | FETCH) == imm)) {
                return op;
            }
        }
        return null;
    }
}
