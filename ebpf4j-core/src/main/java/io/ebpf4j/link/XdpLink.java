package io.ebpf4j.link;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

/**
 * An XDP program on an interface, held by a bpf_link (Linux 5.9+): pinnable, updatable, and nobody else can
 * replace it while the link lives. The interface index is looked up in the calling thread's network namespace
 * (see {@link Net#inNamespace}). Kernels without XDP links use {@link XdpNetlinkLink}.
 */
public final class XdpLink extends BpfLink {
    private XdpLink(Fd fd, String description) {
        super(fd, description);
    }

    public static XdpLink attach(Program program, int ifindex, XdpMode mode) {
        String what = "xdp '" + program.name() + "' on " + Owned.ifname(ifindex) + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + " mode, bpf_link)";
        Hooks.requireProgramType(program, AttachType.XDP, what);
        try {
            return new XdpLink(Bpf.linkCreate(program.fd(), ifindex, AttachType.XDP.value(), mode.flag(), null, 16, what), what);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINVAL) {
                // The kernel answers EINVAL for a missing device as well as for a bad program or flags.
                throw new SyscallException(e.call(), e.errnoNumber(), what, "is there an interface with index " + ifindex
                        + " in this thread's network namespace (see Net.inNamespace), is the program an XDP program, "
                        + "and does the interface take this mode?");
            }
            throw e;
        }
    }
}
