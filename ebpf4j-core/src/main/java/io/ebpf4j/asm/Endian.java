package io.ebpf4j.asm;

/**
 * Target byte order of a class-ALU {@link AluOp#END} instruction ({@code BPF_TO_LE}, {@code BPF_TO_BE}); it
 * occupies the bit that other ALU instructions use for {@link Source}. In class ALU64 only {@code TO_LE} is
 * defined, and means an unconditional byte swap.
 */
public enum Endian {
    TO_LE(0x00), TO_BE(0x08);

    private final int code;

    Endian(int code) {
        this.code = code;
    }

    /** The byte-order bit, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The byte order of an END opcode. */
    public static Endian of(int opcode) {
        return (opcode & Source.MASK) == 0 ? TO_LE : TO_BE;
    }
}
