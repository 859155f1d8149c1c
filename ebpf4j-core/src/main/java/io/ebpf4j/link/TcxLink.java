package io.ebpf4j.link;

import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.ProgQuery;
import io.ebpf4j.program.Program;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A tc program on an interface's ingress or egress through a tcx link (Linux 6.6+): several programs per hook,
 * ordered explicitly ({@link LinkOrder}), each owned by its link. The program's return value is a {@code TCX_*}
 * verdict ({@code TC_ACT_*} values are accepted). Kernels without tcx use {@link TcNetlinkLink}.
 */
public final class TcxLink extends BpfLink {
    private static final int MAX_QUERY = 64;

    private TcxLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Appends {@code program} to the hook. */
    public static TcxLink attach(Program program, int ifindex, TcDirection direction) {
        return attach(program, ifindex, direction, LinkOrder.append());
    }

    public static TcxLink attach(Program program, int ifindex, TcDirection direction, LinkOrder order) {
        String what = "tcx " + direction.displayName() + " '" + program.name() + "' on " + Owned.ifname(ifindex);
        Hooks.requireProgramType(program, direction.tcxAttachType(), what);
        Fd fd = Bpf.linkCreate(program.fd(), ifindex, direction.tcxAttachType().value(), order.flags(), a -> {
            a.set(JAVA_INT, Attr.LinkCreate.RELATIVE_FD, order.relativeId());
            a.set(JAVA_LONG, Attr.LinkCreate.EXPECTED_REVISION, order.expectedRevision());
        }, Attr.LinkCreate.EXPECTED_REVISION + Long.BYTES, what);
        return new TcxLink(fd, what);
    }

    /** The programs on the hook now, in run order, with the hook's revision. */
    public static HookQuery query(int ifindex, TcDirection direction) {
        return HookQuery.of(ProgQuery.query(ifindex, direction.tcxAttachType().value(), 0, MAX_QUERY,
                "tcx " + direction.displayName() + " of " + Owned.ifname(ifindex)));
    }
}
