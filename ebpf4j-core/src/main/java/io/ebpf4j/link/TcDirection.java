package io.ebpf4j.link;

import io.ebpf4j.kernel.RtNetlink;
import io.ebpf4j.program.AttachType;

/** The two tc hooks of an interface, as tcx attach types and as clsact parents. */
public enum TcDirection {
    INGRESS(AttachType.TCX_INGRESS, RtNetlink.TC_PARENT_INGRESS),
    EGRESS(AttachType.TCX_EGRESS, RtNetlink.TC_PARENT_EGRESS);

    private final AttachType tcxAttachType;
    private final int clsactParent;

    TcDirection(AttachType tcxAttachType, int clsactParent) {
        this.tcxAttachType = tcxAttachType;
        this.clsactParent = clsactParent;
    }

    public AttachType tcxAttachType() {
        return tcxAttachType;
    }

    int clsactParent() {
        return clsactParent;
    }

    /** {@code ingress} or {@code egress}. */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
