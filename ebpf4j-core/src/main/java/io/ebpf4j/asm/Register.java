package io.ebpf4j.asm;

/**
 * The eleven eBPF registers. R0 holds return values, R1-R5 carry call arguments (clobbered by calls),
 * R6-R9 are callee-saved, and R10 is the read-only frame pointer.
 */
public enum Register {
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10;

    /** The frame pointer; programs may address the stack through it but never write it. */
    public static final Register FP = R10;

    private static final Register[] BY_INDEX = values();

    /** The register number as it appears in an instruction's dst/src nibble. */
    public int index() {
        return ordinal();
    }

    /** The register with number {@code index}; throws for numbers outside 0-10. */
    public static Register of(int index) {
        if (index < 0 || index >= BY_INDEX.length) {
            throw new IllegalArgumentException("no eBPF register r" + index + " (valid: r0-r10)");
        }
        return BY_INDEX[index];
    }
}
