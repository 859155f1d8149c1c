package io.ebpf4j.asm;

/**
 * What the 64-bit immediate of an ld_imm64 means, chosen by its source register ({@code BPF_PSEUDO_*}).
 * The loader rewrites the non-plain kinds into addresses before the verifier sees them.
 */
public enum Imm64Kind {
    /** A plain 64-bit constant. */
    PLAIN(0),
    /** The low 32 bits hold a map file descriptor. */
    MAP_FD(1),
    /** Low 32 bits: map file descriptor; high 32 bits: offset into the map's value. */
    MAP_VALUE(2),
    /** The low 32 bits hold a BTF id of a kernel variable. */
    BTF_ID(3),
    /** The low 32 bits hold the slot distance to a subprogram, counted from the next slot. */
    FUNC(4),
    /** The low 32 bits hold an index into the program's fd array. */
    MAP_IDX(5),
    /** Low 32 bits: fd array index; high 32 bits: offset into the map's value. */
    MAP_IDX_VALUE(6);

    private final int code;

    Imm64Kind(int code) {
        this.code = code;
    }

    /** The source-register value that selects this kind. */
    public int code() {
        return code;
    }

    /** The kind a source-register value selects, or {@code null} if none. */
    public static Imm64Kind of(int src) {
        for (Imm64Kind k : values()) {
            if (k.code == src) {
                return k;
            }
        }
        return null;
    }

    /** Whether the high half of the immediate is a value offset rather than part of one number. */
    public boolean hasValueOffset() {
        return this == MAP_VALUE || this == MAP_IDX_VALUE;
    }
}
