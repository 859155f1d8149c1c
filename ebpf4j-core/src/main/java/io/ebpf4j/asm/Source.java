package io.ebpf4j.asm;

/**
 * Operand source for ALU and jump classes: {@code K} takes the immediate, {@code X} the source register.
 * Byte-swap instructions reuse this bit for the target byte order; see {@link Endian}.
 */
public enum Source {
    K(0x00), X(0x08);

    /** The bit of the opcode that selects the source. */
    public static final int MASK = 0x08;

    private final int code;

    Source(int code) {
        this.code = code;
    }

    /** The source bit, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The source of an ALU or jump opcode. */
    public static Source of(int opcode) {
        return (opcode & MASK) == 0 ? K : X;
    }
}
