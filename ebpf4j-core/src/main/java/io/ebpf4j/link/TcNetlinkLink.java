package io.ebpf4j.link;

import io.ebpf4j.kernel.Netlink;
import io.ebpf4j.kernel.RtNetlink;
import io.ebpf4j.program.Program;

import java.util.List;

/**
 * A tc program attached the classic way: a {@code clsact} qdisc on the interface (added if missing) and a
 * {@code cls_bpf} filter in direct-action mode under its ingress or egress hook, for kernels without tcx.
 * Closing removes the filter, and the qdisc too when this object added it and no filter is left on it. The
 * filter holds its own reference to the program; it cannot be pinned.
 */
public final class TcNetlinkLink extends AbstractAttachment {
    private final Netlink netlink;
    private final int ifindex;
    private final TcDirection direction;
    private final RtNetlink.TcFilter filter;
    private final boolean addedQdisc;

    private TcNetlinkLink(Netlink netlink, int ifindex, TcDirection direction, RtNetlink.TcFilter filter,
                          boolean addedQdisc, String description) {
        super(description);
        this.netlink = netlink;
        this.ifindex = ifindex;
        this.direction = direction;
        this.filter = filter;
        this.addedQdisc = addedQdisc;
    }

    /** Attaches with the priority and handle the kernel picks. */
    public static TcNetlinkLink attach(Program program, int ifindex, TcDirection direction) {
        return attach(program, ifindex, direction, 0, 0);
    }

    /**
     * Attaches at {@code priority} (lower runs first; 1..65535, 0 lets the kernel pick) with filter
     * {@code handle} (0 lets the kernel pick).
     */
    public static TcNetlinkLink attach(Program program, int ifindex, TcDirection direction, int priority, int handle) {
        if (priority < 0 || priority > 0xffff) {
            throw new IllegalArgumentException("tc priority must be 0..65535, not " + priority);
        }
        String where = "tc " + direction.displayName() + " '" + program.name() + "' on " + Owned.ifname(ifindex);
        // cls_bpf runs what a tcx hook runs (sched_cls programs).
        Hooks.requireProgramType(program, direction.tcxAttachType(), "a tc (cls_bpf) hook", where);
        Netlink nl = Netlink.route();
        boolean added = false;
        try {
            added = RtNetlink.clsactAdd(nl, ifindex, where + ": add clsact qdisc");
            RtNetlink.TcFilter f = RtNetlink.bpfFilterAdd(nl, ifindex, direction.clsactParent(), priority, handle,
                    program.fd(), program.name(), where + ": add bpf filter");
            String what = where + " (netlink, prio " + f.priority() + " handle 0x" + Integer.toHexString(f.handle()) + ")";
            return new TcNetlinkLink(nl, ifindex, direction, f, added, what);
        } catch (RuntimeException e) {
            try {
                if (added) {
                    RtNetlink.clsactDelete(nl, ifindex, where + ": remove clsact qdisc");
                }
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            nl.close();
            throw e;
        }
    }

    /** The cls_bpf filters on a hook now (empty when the interface has no clsact qdisc). */
    public static List<TcFilter> filters(int ifindex, TcDirection direction) {
        try (Netlink nl = Netlink.route()) {
            return RtNetlink.bpfFilters(nl, ifindex, direction.clsactParent(),
                    "tc " + direction.displayName() + " filters of " + Owned.ifname(ifindex)).stream().map(TcFilter::of).toList();
        }
    }

    /** Whether {@code ifindex} has a clsact qdisc now. */
    public static boolean hasClsact(int ifindex) {
        try (Netlink nl = Netlink.route()) {
            return RtNetlink.qdiscKinds(nl, ifindex, "qdiscs of " + Owned.ifname(ifindex)).contains("clsact");
        }
    }

    public int priority() {
        return filter.priority();
    }

    public int handle() {
        return filter.handle();
    }

    public TcDirection direction() {
        return direction;
    }

    /**
     * Leaves the program attached and releases this object's descriptors: the attachment outlives the process
     * until someone removes it (as {@code ip} and {@code bpftool} attachments do). Closing afterwards does nothing.
     */
    public synchronized void disown() {
        if (!markClosed()) {
            return;
        }
        netlink.close();
    }

    @Override
    void detach() {
        try {
            RtNetlink.bpfFilterDelete(netlink, ifindex, direction.clsactParent(), filter, description + ": delete filter");
            if (addedQdisc && !RtNetlink.anyFilter(netlink, ifindex, RtNetlink.TC_PARENT_INGRESS, description)
                    && !RtNetlink.anyFilter(netlink, ifindex, RtNetlink.TC_PARENT_EGRESS, description)) {
                RtNetlink.clsactDelete(netlink, ifindex, description + ": remove clsact qdisc");
            }
        } catch (io.ebpf4j.SyscallException e) {
            // ENODEV/EINVAL/ENOENT: the interface, qdisc or filter is gone already (with its namespace, say).
            if (e.errno() != io.ebpf4j.Errno.ENODEV && e.errno() != io.ebpf4j.Errno.ENOENT
                    && e.errno() != io.ebpf4j.Errno.EINVAL) {
                throw e;
            }
        } finally {
            netlink.close();
        }
    }
}
