package io.ebpf4j.link;

import io.ebpf4j.program.AttachType;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel's view of a link ({@code struct bpf_link_info}): its type, id, the program it runs and the
 * type-specific fields, named as bpftool names them ({@code ifindex}, {@code attach_type}, {@code tp_name}...),
 * in the kernel's order.
 */
public record LinkInfo(int rawType, int id, int programId, Map<String, Object> details) {
    public LinkInfo {
        details = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    public Optional<LinkType> type() {
        return LinkType.of(rawType);
    }

    /** bpftool's name for the type, or the number when this release does not know it. */
    public String typeName() {
        return type().map(LinkType::bpftoolName).orElse(Integer.toString(rawType));
    }

    /** The attach type, for links that record one (tracing, cgroup, netns, tcx, netkit, sockmap). */
    public Optional<AttachType> attachType() {
        return details.get("attach_type") instanceof AttachType t ? Optional.of(t) : Optional.empty();
    }
}
