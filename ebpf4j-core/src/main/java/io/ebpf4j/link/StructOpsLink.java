package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapFlags;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.AttachType;

/**
 * A struct_ops map (e.g. a {@code tcp_congestion_ops} from {@code SEC(".struct_ops.link")}) registered with its
 * kernel subsystem through a link: closing the link (without pins) unregisters it. The link can be pointed at
 * another struct_ops map of the same kind in place, and detached.
 */
public final class StructOpsLink extends BpfLink {
    private StructOpsLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Registers {@code map}, which must have been created with {@code BPF_F_LINK} and filled (as load does). */
    public static StructOpsLink attach(BpfMap map) {
        var info = map.info();
        if (info.rawType() != MapType.STRUCT_OPS.value()) {
            throw new IllegalArgumentException("map '" + info.name() + "' is a " + info.typeName() + " map, not struct_ops");
        }
        if ((info.flags() & MapFlags.LINK) == 0) {
            throw new io.ebpf4j.BpfException("struct_ops map '" + info.name() + "' was created without BPF_F_LINK "
                    + "(not from SEC(\".struct_ops.link\")), so it cannot be attached as a link");
        }
        String d = "struct_ops '" + info.name() + "'";
        // LINK_CREATE takes the map in the program's place.
        return new StructOpsLink(Bpf.linkCreate(map.fd(), 0, AttachType.STRUCT_OPS.value(), 0, null, 0, d), d);
    }

    /** Replaces the registered struct_ops with {@code map}, if the link still holds {@code expected}. */
    public void update(BpfMap map, BpfMap expected) {
        updateTo(map.fd(), expected == null ? 0 : expected.fd());
    }
}
