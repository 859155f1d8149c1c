package io.ebpf4j.map;

/** How an update treats an existing key. */
public enum UpdateFlag {
    /** Create the element or replace it ({@code BPF_ANY}). */
    ANY(0),
    /** Only create: fail if the key exists ({@code BPF_NOEXIST}). */
    NOEXIST(1),
    /** Only replace: fail if the key is absent ({@code BPF_EXIST}). */
    EXIST(2),
    /** Replace under the value's {@code struct bpf_spin_lock} ({@code BPF_F_LOCK}). */
    F_LOCK(4);

    private final long value;

    UpdateFlag(long value) {
        this.value = value;
    }

    public long value() {
        return value;
    }
}
