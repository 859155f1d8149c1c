package io.ebpf4j.asm;

/** What a {@code call} instruction's immediate names, chosen by its source register. */
public enum CallKind {
    /** A kernel helper, by its numeric id. */
    HELPER(0),
    /** A bpf-to-bpf call ({@code BPF_PSEUDO_CALL}): the immediate is the slot distance from the next slot. */
    SUBPROG(1),
    /** A kernel function ({@code BPF_PSEUDO_KFUNC_CALL}): the immediate is its BTF id, the offset an fd array index. */
    KFUNC(2);

    private final int code;

    CallKind(int code) {
        this.code = code;
    }

    /** The source-register value that selects this kind. */
    public int code() {
        return code;
    }

    /** The kind a source-register value selects, or {@code null} if none. */
    public static CallKind of(int src) {
        for (CallKind k : values()) {
            if (k.code == src) {
                return k;
            }
        }
        return null;
    }
}
