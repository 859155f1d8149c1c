package io.ebpf4j.asm;

/** Addressing modes for load and store classes, the top three bits of the opcode. */
public enum Mode {
    /** An immediate; with {@link Size#DW} and class LD this is the two-slot ld_imm64. */
    IMM(0x00),
    /** Legacy packet access at a constant offset (socket filters). */
    ABS(0x20),
    /** Legacy packet access at a register plus constant offset. */
    IND(0x40),
    MEM(0x60),
    /** Sign-extending load (ISA v4), LDX only. */
    MEMSX(0x80),
    /** Atomic read-modify-write; the operation sits in the immediate. */
    ATOMIC(0xc0);

    /** Bits of the opcode that select the mode. */
    public static final int MASK = 0xe0;

    private final int code;

    Mode(int code) {
        this.code = code;
    }

    /** The mode bits, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The mode of a load/store opcode, or {@code null} for the two mode values the ISA leaves undefined. */
    public static Mode of(int opcode) {
        int bits = opcode & MASK;
        for (Mode m : values()) {
            if (m.code == bits) {
                return m;
            }
        }
        return null;
    }
}
