package io.ebpf4j.elf;

/**
 * The relocation types of the BPF psABI. {@link #UNKNOWN} stands for any other number; the relocation keeps the
 * raw value in {@link Relocation#rawType()}.
 */
public enum BpfRelocationType {
    R_BPF_NONE(0, 0),
    /** A 64-bit immediate load ({@code ld_imm64}, two instruction slots): maps, global data, kfuncs. */
    R_BPF_64_64(1, 16),
    /** A 64-bit data word, e.g. a pointer in {@code .data} or a DWARF/BTF offset. */
    R_BPF_64_ABS64(2, 8),
    /** A 32-bit data word, e.g. an offset in {@code .BTF.ext}. */
    R_BPF_64_ABS32(3, 4),
    /** A 32-bit data word that no dynamic loader resolves (DWARF line info). */
    R_BPF_64_NODYLD32(4, 4),
    /** A call's 32-bit immediate ({@code call} instruction, one slot): BPF-to-BPF calls. */
    R_BPF_64_32(10, 8),
    /** A number this enum does not know. */
    UNKNOWN(-1, 0);

    private final int code;
    private final int width;

    BpfRelocationType(int code, int width) {
        this.code = code;
        this.width = width;
    }

    /** The number in {@code r_info}, or -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /**
     * How many bytes at the relocation's offset the type touches, counted from the offset: the whole instruction
     * for instruction relocations, the data word otherwise. 0 for NONE and UNKNOWN.
     */
    public int width() {
        return width;
    }

    /** The type with this number, or {@link #UNKNOWN}. */
    public static BpfRelocationType of(long code) {
        for (BpfRelocationType t : values()) {
            if (t != UNKNOWN && t.code == code) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
