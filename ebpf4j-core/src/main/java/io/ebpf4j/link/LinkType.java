package io.ebpf4j.link;

import java.util.Optional;

/** The kernel's {@code enum bpf_link_type} (Linux 6.18). */
public enum LinkType {
    UNSPEC(0),
    RAW_TRACEPOINT(1),
    TRACING(2),
    CGROUP(3),
    ITER(4),
    NETNS(5),
    XDP(6),
    PERF_EVENT(7),
    KPROBE_MULTI(8),
    STRUCT_OPS(9),
    NETFILTER(10),
    TCX(11),
    UPROBE_MULTI(12),
    NETKIT(13),
    SOCKMAP(14);

    private static final LinkType[] BY_VALUE = values();

    private final int value;

    LinkType(int value) {
        this.value = value;
    }

    /** The kernel's number for this type. */
    public int value() {
        return value;
    }

    /** The type with the kernel's number {@code value}, if this release knows it. */
    public static Optional<LinkType> of(int value) {
        return value >= 0 && value < BY_VALUE.length ? Optional.of(BY_VALUE[value]) : Optional.empty();
    }

    /** bpftool's name for the type: {@code raw_tracepoint}, {@code xdp}, {@code tcx}... */
    public String bpftoolName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
