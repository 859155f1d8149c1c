package io.ebpf4j.link;

import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.ProgQuery;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A cgroup program (any {@code CGROUP_*} attach type) held by a bpf_link on a cgroup v2 directory (Linux 5.7+).
 * Link-attached programs coexist with each other like {@code BPF_F_ALLOW_MULTI} ones and cannot be overridden.
 * Kernels without cgroup links use {@link CgroupAttachment}.
 */
public final class CgroupLink extends BpfLink {
    private static final int MAX_QUERY = 64;

    private CgroupLink(Fd fd, String description) {
        super(fd, description);
    }

    public static CgroupLink attach(Program program, Path cgroup, AttachType type) {
        return attach(program, cgroup, type, LinkOrder.append());
    }

    /** With an explicit place among the cgroup's programs (kernels with ordered cgroup hooks). */
    public static CgroupLink attach(Program program, Path cgroup, AttachType type, LinkOrder order) {
        String what = "cgroup " + type.displayName() + " '" + program.name() + "' on " + cgroup;
        try (Fd dir = Sys.open(cgroup.toString(), true)) {
            boolean ordered = order.flags() != 0 || order.expectedRevision() != 0;
            Fd fd = Bpf.linkCreate(program.fd(), dir.get(), type.value(), order.flags(), a -> {
                a.set(JAVA_INT, Attr.LinkCreate.RELATIVE_FD, order.relativeId());
                a.set(JAVA_LONG, Attr.LinkCreate.EXPECTED_REVISION, order.expectedRevision());
            }, ordered ? Attr.LinkCreate.EXPECTED_REVISION + Long.BYTES : 16, what);
            return new CgroupLink(fd, what);
        }
    }

    /**
     * The programs attached to {@code cgroup} itself for {@code type} (not inherited ones), in order, with
     * their links.
     */
    public static HookQuery query(Path cgroup, AttachType type) {
        try (Fd dir = Sys.open(cgroup.toString(), true)) {
            return HookQuery.of(ProgQuery.query(dir.get(), type.value(), 0, MAX_QUERY,
                    "cgroup " + type.displayName() + " of " + cgroup));
        }
    }

    /** The programs that run for {@code type} in {@code cgroup}, inherited ones included. */
    public static HookQuery queryEffective(Path cgroup, AttachType type) {
        try (Fd dir = Sys.open(cgroup.toString(), true)) {
            ProgQuery.Result r = ProgQuery.query(dir.get(), type.value(), ProgQuery.BPF_F_QUERY_EFFECTIVE, MAX_QUERY,
                    "cgroup " + type.displayName() + " of " + cgroup);
            return HookQuery.of(new ProgQuery.Result(r.attachFlags(), r.progIds(), new int[0], r.revision()));
        }
    }
}
