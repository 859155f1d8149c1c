package io.ebpf4j.link;

import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Netlink;
import io.ebpf4j.kernel.RtNetlink;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

/**
 * An XDP program set on an interface through netlink ({@code RTM_SETLINK} with {@code IFLA_XDP}), for kernels
 * without XDP links. The attachment belongs to the interface, not to a descriptor: closing this object removes
 * the program, but only if it is still the one this object set (the kernel checks the expected program), so a
 * program someone else put there since is left alone. It cannot be pinned.
 */
public final class XdpNetlinkLink extends AbstractAttachment {
    private final Netlink netlink;
    private final int ifindex;
    private final XdpMode mode;
    private Fd current;

    private XdpNetlinkLink(Netlink netlink, int ifindex, XdpMode mode, Fd current, String description) {
        super(description);
        this.netlink = netlink;
        this.ifindex = ifindex;
        this.mode = mode;
        this.current = current;
    }

    /** Attaches {@code program}; fails (EBUSY) if the interface already runs an XDP program. */
    public static XdpNetlinkLink attach(Program program, int ifindex, XdpMode mode) {
        return attach(program, ifindex, mode, false);
    }

    /**
     * Attaches {@code program}; with {@code overwrite}, it replaces a program set through netlink before (never
     * one held by a bpf_link).
     */
    public static XdpNetlinkLink attach(Program program, int ifindex, XdpMode mode, boolean overwrite) {
        String what = "xdp '" + program.name() + "' on " + Owned.ifname(ifindex) + " ("
                + mode.name().toLowerCase(java.util.Locale.ROOT) + " mode, netlink)";
        Hooks.requireProgramType(program, AttachType.XDP, what);
        Netlink nl = Netlink.route();
        Fd own = null;
        try {
            own = Owned.program(program);
            RtNetlink.xdpSet(nl, ifindex, own.get(),
                    mode.flag() | (overwrite ? 0 : RtNetlink.XDP_FLAGS_UPDATE_IF_NOEXIST), 0, what);
            return new XdpNetlinkLink(nl, ifindex, mode, own, what);
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, own, nl);
        }
    }

    /** Swaps in {@code program}, only if the interface still runs the program this object set. */
    public synchronized void update(Program program) {
        requireOpen();
        Fd next = Owned.program(program);
        try {
            RtNetlink.xdpSet(netlink, ifindex, next.get(), mode.flag() | RtNetlink.XDP_FLAGS_REPLACE, current.get(),
                    description + " update to '" + program.name() + "'");
        } catch (RuntimeException e) {
            next.close();
            throw e;
        }
        current.close();
        current = next;
    }

    /** The interface's XDP state now: attach mode and program ids. */
    public synchronized XdpState query() {
        requireOpen();
        return XdpState.of(RtNetlink.xdpQuery(netlink, ifindex, description));
    }

    public int ifindex() {
        return ifindex;
    }

    private void requireOpen() {
        if (isClosed()) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    /**
     * Leaves the program attached and releases this object's descriptors: the attachment outlives the process
     * until someone removes it (as {@code ip} and {@code bpftool} attachments do). Closing afterwards does nothing.
     */
    public synchronized void disown() {
        if (!markClosed()) {
            return;
        }
        Closing.closeAll(current, netlink);
    }

    @Override
    void detach() {
        try {
            RtNetlink.xdpSet(netlink, ifindex, -1, mode.flag() | RtNetlink.XDP_FLAGS_REPLACE, current.get(),
                    description + " detach");
        } catch (io.ebpf4j.SyscallException e) {
            // ENODEV: the interface (or its namespace) is gone, and the program with it. EEXIST: someone replaced it.
            if (e.errno() != io.ebpf4j.Errno.ENODEV && e.errno() != io.ebpf4j.Errno.EEXIST) {
                throw e;
            }
        } finally {
            Closing.closeAll(current, netlink);
        }
    }
}
