package io.ebpf4j.link;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.nio.file.Path;

/**
 * A program on a network namespace, held by a bpf_link: {@code SK_LOOKUP} (Linux 5.9+; several per namespace)
 * and {@code FLOW_DISSECTOR} (Linux 5.8+; one per namespace).
 */
public final class NetnsLink extends BpfLink {
    /** The calling thread's network namespace. */
    public static final Path CURRENT = Path.of("/proc/thread-self/ns/net");

    private NetnsLink(Fd fd, String description) {
        super(fd, description);
    }

    /**
     * Attaches to the namespace behind {@code netns}: a namespace file such as {@code /var/run/netns/NAME},
     * {@code /proc/PID/ns/net} or {@link #CURRENT}.
     */
    public static NetnsLink attach(Program program, Path netns, AttachType type) {
        if (type != AttachType.SK_LOOKUP && type != AttachType.FLOW_DISSECTOR) {
            throw new IllegalArgumentException("network namespace links take SK_LOOKUP or FLOW_DISSECTOR, not " + type);
        }
        String what = type.displayName() + " '" + program.name() + "' on netns " + netns;
        try (Fd ns = Sys.open(netns.toString(), false)) {
            return new NetnsLink(Bpf.linkCreate(program.fd(), ns.get(), type.value(), 0, null, 16, what), what);
        } catch (SyscallException e) {
            if (e.errno() == Errno.E2BIG) {
                // The namespace is full: one flow dissector, or the sk_lookup limit.
                throw new SyscallException(e.call(), e.errnoNumber(), what,
                        "the namespace has as many " + type.displayName() + " programs as it takes (flow dissector: one); "
                                + "close the other link first");
            }
            throw e;
        }
    }
}
