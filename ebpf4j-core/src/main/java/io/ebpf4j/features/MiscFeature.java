package io.ebpf4j.features;

/** Features that are neither a program type, a map type nor a helper. */
public enum MiscFeature {
    /** {@code BPF_LINK_CREATE} exists (5.7+). */
    BPF_LINK("bpf_link support"),
    /** Array maps can be mapped into user space ({@code BPF_F_MMAPABLE}, 5.5+). */
    MMAPABLE_ARRAYS("memory-mapped array maps"),
    /** Programs can reference map values directly ({@code BPF_PSEUDO_MAP_VALUE}: global data, 5.2+). */
    GLOBAL_DATA("global data (.data, .rodata, .bss)"),
    /** Map and program names. */
    OBJECT_NAMES("object names"),
    /** {@code BPF_TOKEN_CREATE} exists (6.9+). */
    BPF_TOKEN("BPF tokens"),
    /** {@code BPF_PROG_BIND_MAP} exists (5.10+). */
    PROG_BIND_MAP("binding maps to programs"),
    BTF("BTF"),
    BTF_FUNC("BTF functions"),
    BTF_FUNC_GLOBAL("BTF global function linkage"),
    BTF_DATASEC("BTF DATASEC and VAR"),
    BTF_QMARK_DATASEC("BTF DATASEC names starting with '?'"),
    BTF_FLOAT("BTF FLOAT"),
    BTF_DECL_TAG("BTF DECL_TAG"),
    BTF_TYPE_TAG("BTF TYPE_TAG"),
    BTF_ENUM64("BTF ENUM64");

    private final String description;

    MiscFeature(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
