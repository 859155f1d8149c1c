package io.ebpf4j.asm;

/** Access sizes for load and store classes ({@code BPF_W}, {@code BPF_H}, {@code BPF_B}, {@code BPF_DW}). */
public enum Size {
    W(0x00, 4), H(0x08, 2), B(0x10, 1), DW(0x18, 8);

    /** Bits of the opcode that select the size. */
    public static final int MASK = 0x18;

    private final int code;
    private final int bytes;

    Size(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The size bits, ready to be OR-ed into an opcode. */
    public int code() {
        return code;
    }

    /** The access width in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The size of a load/store opcode; every 2-bit value names a size. */
    public static Size of(int opcode) {
        int bits = opcode & MASK;
        for (Size s : values()) {
            if (s.code == bits) {
                return s;
            }
        }
        throw new AssertionError("unreachable: size bits " + bits);
    }
}
