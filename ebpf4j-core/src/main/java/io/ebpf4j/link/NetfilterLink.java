package io.ebpf4j.link;

import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A {@code NETFILTER} program on a netfilter hook of the calling thread's network namespace (Linux 6.4+). It
 * returns {@code NF_ACCEPT} (1) or {@code NF_DROP} (0) for each packet.
 */
public final class NetfilterLink extends BpfLink {
    /** The protocol families netfilter links take ({@code NFPROTO_*}). */
    public enum Family {
        IPV4(2), IPV6(10);

        private final int value;

        Family(int value) {
            this.value = value;
        }

        public int value() {
            return value;
        }
    }

    /** The hooks ({@code NF_INET_*}). */
    public enum Hook {
        PRE_ROUTING, LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING;

        public int value() {
            return ordinal();
        }
    }

    /** {@code BPF_F_NETFILTER_IP_DEFRAG}: the program sees reassembled packets (6.6+). */
    public static final int F_IP_DEFRAG = 1;

    /**
     * Where to attach: family, hook, priority (among netfilter's hooks; lower runs first; not
     * {@code INT_MIN}/{@code INT_MAX}) and flags.
     */
    public record Options(Family family, Hook hook, int priority, int flags) {
        public static Options of(Family family, Hook hook, int priority) {
            return new Options(family, hook, priority, 0);
        }
    }

    private NetfilterLink(Fd fd, String description) {
        super(fd, description);
    }

    public static NetfilterLink attach(Program program, Options o) {
        String what = "netfilter '" + program.name() + "' on " + o.family() + " " + o.hook() + " prio " + o.priority();
        Fd fd = Bpf.linkCreate(program.fd(), 0, AttachType.NETFILTER.value(), 0, a -> {
            a.set(JAVA_INT, Attr.LinkCreate.NETFILTER_PF, o.family().value());
            a.set(JAVA_INT, Attr.LinkCreate.NETFILTER_HOOKNUM, o.hook().value());
            a.set(JAVA_INT, Attr.LinkCreate.NETFILTER_PRIORITY, o.priority());
            a.set(JAVA_INT, Attr.LinkCreate.NETFILTER_FLAGS, o.flags());
        }, Attr.LinkCreate.NETFILTER_FLAGS + Integer.BYTES, what);
        return new NetfilterLink(fd, what);
    }
}
