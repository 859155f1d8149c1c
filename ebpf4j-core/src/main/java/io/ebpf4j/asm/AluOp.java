package io.ebpf4j.asm;

/** Operations of the ALU and ALU64 classes, the top four bits of the opcode. */
public enum AluOp {
    ADD(0x00), SUB(0x10), MUL(0x20),
    /** Unsigned division; signed ({@code sdiv}) when the offset is 1. */
    DIV(0x30),
    OR(0x40), AND(0x50), LSH(0x60), RSH(0x70), NEG(0x80),
    /** Unsigned modulo; signed ({@code smod}) when the offset is 1. */
    MOD(0x90),
    XOR(0xa0),
    /** Move; sign-extending ({@code movsx}) when the offset is 8, 16 or 32. */
    MOV(0xb0),
    ARSH(0xc0),
    /** Byte-order conversion; the immediate holds the width in bits. */
    END(0xd0);

    /** Bits of the opcode that select the operation. */
    public static final int MASK = 0xf0;

    private final int code;

    AluOp(int code) {
        this.code = code;
    }

    /** The operation bits, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The operation of an ALU opcode, or {@code null} for the two undefined values (0xe0, 0xf0). */
    public static AluOp of(int opcode) {
        int bits = opcode & MASK;
        for (AluOp op : values()) {
            if (op.code == bits) {
                return op;
            }
        }
        return null;
    }
}
