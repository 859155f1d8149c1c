package io.ebpf4j.asm;

/** Instruction classes, the low three bits of the opcode ({@code BPF_LD} .. {@code BPF_ALU64}). */
public enum OpClass {
    LD(0x00), LDX(0x01), ST(0x02), STX(0x03), ALU(0x04), JMP(0x05), JMP32(0x06), ALU64(0x07);

    /** Bits of the opcode that select the class. */
    public static final int MASK = 0x07;

    private static final OpClass[] BY_CODE = values();

    private final int code;

    OpClass(int code) {
        this.code = code;
    }

    /** The class bits, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The class of an opcode; every 3-bit value names a class, so this never fails. */
    public static OpClass of(int opcode) {
        // The constants are declared in code order, so the class bits index the array directly.
        return BY_CODE[opcode & MASK];
    }
}
