package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
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
     * inside belong to that namespace; the links made there may be used and closed from any thread.
     */
    public static <T> T inNamespace(Path netns, Callable<T> task) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("ebpf4j-netns").unstarted(() -> {
            try {
                try (Fd ns = Sys.open(netns.toString(), false)) {
                    Sockets.setns(ns.get(), Sockets.CLONE_NEWNET, "network namespace " + netns);
                }
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while waiting for work in network namespace " + netns, e);
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
        return result.get();
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
}
