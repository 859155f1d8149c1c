package io.ebpf4j.asm;

/** Operations of the JMP and JMP32 classes, the top four bits of the opcode. */
public enum JmpOp {
    /** Unconditional jump; in class JMP32 it is {@code gotol}, whose target sits in the immediate. */
    JA(0x00),
    JEQ(0x10), JGT(0x20), JGE(0x30), JSET(0x40), JNE(0x50), JSGT(0x60), JSGE(0x70),
    CALL(0x80), EXIT(0x90),
    JLT(0xa0), JLE(0xb0), JSLT(0xc0), JSLE(0xd0),
    /** Verifier-resolved conditional ({@code may_goto}). */
    JCOND(0xe0);

    /** Bits of the opcode that select the operation. */
    public static final int MASK = 0xf0;

    private final int code;

    JmpOp(int code) {
        this.code = code;
    }

    /** The operation bits, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** Whether this operation compares two operands and branches on the result. */
    public boolean isConditional() {
        return switch (this) {
            case JA, CALL, EXIT, JCOND -> false;
            default -> true;
        };
    }

    /** The operation of a jump opcode, or {@code null} for the undefined value 0xf0. */
    public static JmpOp of(int opcode) {
        int bits = opcode & MASK;
        for (JmpOp op : values()) {
            if (op.code == bits) {
                return op;
            }
        }
        return null;
    }
}
