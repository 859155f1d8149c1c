package io.ebpf4j.object;

/** How a program whose section names its target is attached automatically (libbpf's attach handlers). */
public enum AutoAttach {
    /** No automatic attachment: the program is attached by hand (or its section says no target). */
    NONE,
    KPROBE,
    KSYSCALL,
    KPROBE_MULTI,
    KPROBE_SESSION,
    UPROBE,
    UPROBE_MULTI,
    USDT,
    TRACEPOINT,
    RAW_TRACEPOINT,
    /** tp_btf, fentry, fexit, fmod_ret, freplace: a BTF-identified target. */
    TRACING,
    LSM,
    ITER
}
