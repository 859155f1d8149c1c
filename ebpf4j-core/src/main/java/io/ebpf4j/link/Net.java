package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.program.Program;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Interfaces, network namespaces, and attach calls that pick the best mechanism the kernel has (a bpf_link,
 * else netlink).
 */
public final class Net {
    private Net() {
    }

    /** The directory where {@code ip netns add NAME} puts its namespace files. */
    public static final Path NETNS_DIR = Path.of("/var/run/netns");

    /** The index of interface {@code name} in the calling thread's network namespace. */
    public static int ifindex(String name) {
        int index = Sockets.ifNameToIndex(name);
        if (index == 0) {
            throw new BpfException("no network interface '" + name + "' in this network namespace (see 'ip link')");
        }
        return index;
    }

    /**
     * Runs {@code task} on a new thread that has entered the network namespace behind {@code netns} (a file
     * such as {@code /var/run/netns/NAME}) and returns its result. Network namespaces belong to threads, so the
     * caller's thread is not changed. Interface indexes, netlink sockets and XDP/tcx/netfilter attachments made
     * inside belong to that namespace; the links made there may be used and closed from any thread. A caller
     * interrupted while waiting gets a {@link BpfException} at once; the task's thread is interrupted too, and a
     * result that is {@link AutoCloseable} (a link, say) is closed when the task ends, since nobody else holds it.
     */
    public static <T> T inNamespace(Path netns, Callable<T> task) {
        HandOver<T> result = new HandOver<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("ebpf4j-netns").unstarted(() -> {
            try {
                try (Fd ns = Sys.open(netns.toString(), false)) {
                    Sockets.setns(ns.get(), Sockets.CLONE_NEWNET, "network namespace " + netns);
                }
                T made = task.call();
                if (!result.offer(made)) {
                    closeIfOwner(made); // the caller was interrupted and left: nobody else would close it
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            t.interrupt(); // passed on to the task
            closeIfOwner(result.abandon()); // null unless the task finished just before the interrupt
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while waiting for work in network namespace " + netns
                    + "; what the work makes is closed when it ends", e);
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new BpfException("work in network namespace " + netns + " failed: " + e.getMessage(), e);
        }
        return result.take();
    }

    /** A task's result, taken by the waiting caller, or closed by the task's thread once the caller has left. */
    private static final class HandOver<T> {
        private T result;
        private boolean abandoned;

        /** Keeps {@code made} for the caller; false when the caller has left. */
        synchronized boolean offer(T made) {
            if (abandoned) {
                return false;
            }
            result = made;
            return true;
        }

        /** The caller leaves early; returns what was handed over already (now nobody's but the caller's). */
        synchronized T abandon() {
            abandoned = true;
            T r = result;
            result = null;
            return r;
        }

        synchronized T take() {
            return result;
        }
    }

    private static void closeIfOwner(Object made) {
        if (made instanceof AutoCloseable c) {
            try {
                Closing.closeAll(c);
            } catch (RuntimeException ignored) {
                // nobody is left to tell: the caller was interrupted and has gone
            }
        }
    }

    /** {@link #inNamespace(Path, Callable)} for a namespace made by {@code ip netns add NAME}. */
    public static <T> T inNamespace(String name, Callable<T> task) {
        return inNamespace(NETNS_DIR.resolve(name), task);
    }

    /** XDP with a bpf_link, or through netlink on kernels without XDP links. */
    public static Link attachXdp(Program program, int ifindex, XdpMode mode) {
        try {
            return XdpLink.attach(program, ifindex, mode);
        } catch (SyscallException e) {
            if (!lacksLinkType(e)) {
                throw e;
            }
            return XdpNetlinkLink.attach(program, ifindex, mode);
        }
    }

    /** tc with a tcx link, or clsact + cls_bpf through netlink on kernels without tcx. */
    public static Link attachTc(Program program, int ifindex, TcDirection direction) {
        try {
            return TcxLink.attach(program, ifindex, direction);
        } catch (SyscallException e) {
            if (!lacksLinkType(e)) {
                throw e;
            }
            return TcNetlinkLink.attach(program, ifindex, direction);
        }
    }

    /** How LINK_CREATE answers for an attach type the kernel cannot link. */
    private static boolean lacksLinkType(SyscallException e) {
        return e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOTSUPP;
    }

    /** An interface of the calling thread's network namespace, with what XDP holds on it. */
    public record Interface(int index, String name, XdpState xdp) {
    }

    /** Every interface of the calling thread's network namespace. */
    public static java.util.List<Interface> interfaces() {
        try (io.ebpf4j.kernel.Netlink nl = io.ebpf4j.kernel.Netlink.route()) {
            return io.ebpf4j.kernel.RtNetlink.interfaces(nl, "interface list").stream()
                    .map(i -> new Interface(i.index(), i.name(), XdpState.of(i.xdp()))).toList();
        }
    }

    /**
     * Removes the XDP program of {@code ifindex} that was set through netlink (by ebpf4j, ip or bpftool), in
     * whatever mode it runs. A program held by a bpf_link cannot be removed this way (EBUSY): close or detach
     * the link. Returns false when no program was attached.
     */
    public static boolean detachXdp(int ifindex) {
        return detachXdp(ifindex, XdpMode.DEFAULT);
    }

    /**
     * {@link #detachXdp(int)} for one mode only ({@link XdpMode#DEFAULT}: any): the programs of other modes stay.
     * Returns false when no program was attached in that mode.
     */
    public static boolean detachXdp(int ifindex, XdpMode only) {
        try (io.ebpf4j.kernel.Netlink nl = io.ebpf4j.kernel.Netlink.route()) {
            String what = "XDP detach on " + Owned.ifname(ifindex);
            XdpState s = XdpState.of(io.ebpf4j.kernel.RtNetlink.xdpQuery(nl, ifindex, what));
            if (s.attached() == XdpState.ATTACHED_NONE) {
                return false;
            }
            int[][] modes = {{s.driverProgramId(), XdpMode.DRV.flag()}, {s.skbProgramId(), XdpMode.SKB.flag()},
                    {s.hwProgramId(), XdpMode.HW.flag()}};
            boolean removed = false;
            for (int[] m : modes) {
                if (m[0] != 0 && (only == XdpMode.DEFAULT || only.flag() == m[1])) {
                    removed = true;
                    try {
                        io.ebpf4j.kernel.RtNetlink.xdpSet(nl, ifindex, -1, m[1], 0, what);
                    } catch (SyscallException e) {
                        if (e.errno() == Errno.EBUSY) {
                            throw new SyscallException(e.call(), e.errnoNumber(), what,
                                    "a bpf_link holds this program: close it, remove its pin, or detach the link (ebpf4j link detach)");
                        }
                        throw e;
                    }
                }
            }
            return removed;
        }
    }

    /**
     * Removes every program from one tc hook of {@code ifindex}: tcx links are detached (LINK_DETACH; their
     * holders keep defunct links), and cls_bpf filters are deleted. Returns how many were removed.
     */
    public static int detachTc(int ifindex, TcDirection direction) {
        return detachTcx(ifindex, direction) + detachTcFilters(ifindex, direction);
    }

    /**
     * Removes the tcx programs of one direction of {@code ifindex} (links are detached; their holders keep defunct
     * links); cls_bpf filters stay. Returns how many were removed.
     */
    public static int detachTcx(int ifindex, TcDirection direction) {
        int n = 0;
        HookQuery q = TcxLink.query(ifindex, direction);
        for (int i = 0; i < q.programIds().size(); i++) {
            int linkId = q.linkIds().get(i);
            if (linkId != 0) {
                try (BpfLink l = BpfLink.fromId(linkId)) {
                    l.detach();
                }
            } else {
                try (Program p = Program.fromId(q.programIds().get(i))) {
                    io.ebpf4j.kernel.Bpf.progAttach(io.ebpf4j.kernel.BpfCmd.PROG_DETACH, ifindex, p.fd(),
                            direction.tcxAttachType().value(), 0, 0, "tcx " + direction.displayName() + " detach");
                }
            }
            n++;
        }
        return n;
    }

    /**
     * Deletes the cls_bpf filters (tc through netlink, as ip and tc make them) of one direction of {@code ifindex};
     * tcx programs stay. Returns how many were removed.
     */
    public static int detachTcFilters(int ifindex, TcDirection direction) {
        int n = 0;
        try (io.ebpf4j.kernel.Netlink nl = io.ebpf4j.kernel.Netlink.route()) {
            for (TcFilter f : TcNetlinkLink.filters(ifindex, direction)) {
                io.ebpf4j.kernel.RtNetlink.bpfFilterDelete(nl, ifindex, direction.clsactParent(),
                        new io.ebpf4j.kernel.RtNetlink.TcFilter(f.priority(), f.handle()),
                        "tc " + direction.displayName() + " filter delete on " + Owned.ifname(ifindex));
                n++;
            }
        }
        return n;
    }
}
