package io.ebpf4j.link;

import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.ProgQuery;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramType;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A cgroup program (any {@code CGROUP_*} attach type) held by a bpf_link on a cgroup v2 directory (Linux 5.7+).
 * Link-attached programs coexist with each other like {@code BPF_F_ALLOW_MULTI} ones and cannot be overridden.
 * Kernels without cgroup links use {@link CgroupAttachment}.
 */
public final class CgroupLink extends BpfLink {
    private static final int MAX_QUERY = 64;

    /** Every cgroup attach type, with the program type it takes. */
    private static final Map<AttachType, ProgramType> CGROUP_HOOKS = hooks();

    private static Map<AttachType, ProgramType> hooks() {
        Map<AttachType, ProgramType> m = new EnumMap<>(AttachType.class);
        for (AttachType t : new AttachType[] {AttachType.CGROUP_INET_INGRESS, AttachType.CGROUP_INET_EGRESS}) {
            m.put(t, ProgramType.CGROUP_SKB);
        }
        for (AttachType t : new AttachType[] {AttachType.CGROUP_INET_SOCK_CREATE, AttachType.CGROUP_INET_SOCK_RELEASE,
                AttachType.CGROUP_INET4_POST_BIND, AttachType.CGROUP_INET6_POST_BIND}) {
            m.put(t, ProgramType.CGROUP_SOCK);
        }
        for (AttachType t : new AttachType[] {AttachType.CGROUP_INET4_BIND, AttachType.CGROUP_INET6_BIND,
                AttachType.CGROUP_INET4_CONNECT, AttachType.CGROUP_INET6_CONNECT, AttachType.CGROUP_UDP4_SENDMSG,
                AttachType.CGROUP_UDP6_SENDMSG, AttachType.CGROUP_UDP4_RECVMSG, AttachType.CGROUP_UDP6_RECVMSG,
                AttachType.CGROUP_INET4_GETPEERNAME, AttachType.CGROUP_INET6_GETPEERNAME,
                AttachType.CGROUP_INET4_GETSOCKNAME, AttachType.CGROUP_INET6_GETSOCKNAME,
                AttachType.CGROUP_UNIX_CONNECT, AttachType.CGROUP_UNIX_SENDMSG, AttachType.CGROUP_UNIX_RECVMSG,
                AttachType.CGROUP_UNIX_GETPEERNAME, AttachType.CGROUP_UNIX_GETSOCKNAME}) {
            m.put(t, ProgramType.CGROUP_SOCK_ADDR);
        }
        m.put(AttachType.CGROUP_SOCK_OPS, ProgramType.SOCK_OPS);
        m.put(AttachType.CGROUP_DEVICE, ProgramType.CGROUP_DEVICE);
        m.put(AttachType.CGROUP_SYSCTL, ProgramType.CGROUP_SYSCTL);
        m.put(AttachType.CGROUP_GETSOCKOPT, ProgramType.CGROUP_SOCKOPT);
        m.put(AttachType.CGROUP_SETSOCKOPT, ProgramType.CGROUP_SOCKOPT);
        m.put(AttachType.LSM_CGROUP, ProgramType.LSM);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The program type a cgroup attach type takes; empty for attach types that are not cgroup hooks. */
    public static Optional<ProgramType> programType(AttachType type) {
        return Optional.ofNullable(CGROUP_HOOKS.get(type));
    }

    /** Every cgroup attach type ebpf4j knows. */
    public static java.util.Set<AttachType> attachTypes() {
        return CGROUP_HOOKS.keySet();
    }

    private CgroupLink(Fd fd, String description) {
        super(fd, description);
    }

    public static CgroupLink attach(Program program, Path cgroup, AttachType type) {
        return attach(program, cgroup, type, LinkOrder.append());
    }

    /** With an explicit place among the cgroup's programs (kernels with ordered cgroup hooks). */
    public static CgroupLink attach(Program program, Path cgroup, AttachType type, LinkOrder order) {
        String what = "cgroup " + type.displayName() + " '" + program.name() + "' on " + cgroup;
        Hooks.requireProgramType(program, type, what);
        try (Fd dir = Cgroups.openDir(cgroup)) {
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
        ProgQuery.Result r;
        try (Fd dir = Cgroups.openDir(cgroup)) {
            r = ProgQuery.query(dir.get(), type.value(), 0, MAX_QUERY, "cgroup " + type.displayName() + " of " + cgroup);
        }
        int[] links = r.linkIds();
        if (r.progIds().length > 0 && java.util.Arrays.stream(links).allMatch(id -> id == 0)) {
            links = linksFor(cgroup, type, r.progIds());
        }
        return HookQuery.of(new ProgQuery.Result(r.attachFlags(), r.progIds(), links, r.revision()));
    }

    /**
     * The cgroup links holding {@code progIds} on this hook, found among all links by cgroup id and attach type:
     * for kernels whose PROG_QUERY reports no link ids for cgroups.
     */
    private static int[] linksFor(Path cgroup, AttachType type, int[] progIds) {
        int[] links = new int[progIds.length];
        long cgroupId;
        try {
            cgroupId = ((Number) java.nio.file.Files.getAttribute(cgroup, "unix:ino")).longValue();
        } catch (java.io.IOException e) {
            return links;
        }
        for (int id : BpfLink.ids()) {
            LinkInfo info;
            try (BpfLink l = BpfLink.fromId(id)) {
                info = l.info();
            } catch (io.ebpf4j.SyscallException gone) {
                continue; // freed since listed
            }
            if (info.type().orElse(null) != LinkType.CGROUP || info.attachType().orElse(null) != type
                    || !Long.valueOf(cgroupId).equals(info.details().get("cgroup_id"))) {
                continue;
            }
            for (int i = 0; i < progIds.length; i++) {
                if (progIds[i] == info.programId() && links[i] == 0) {
                    links[i] = id;
                    break;
                }
            }
        }
        return links;
    }

    /** The programs that run for {@code type} in {@code cgroup}, inherited ones included. */
    public static HookQuery queryEffective(Path cgroup, AttachType type) {
        try (Fd dir = Cgroups.openDir(cgroup)) {
            ProgQuery.Result r = ProgQuery.query(dir.get(), type.value(), ProgQuery.BPF_F_QUERY_EFFECTIVE, MAX_QUERY,
                    "cgroup " + type.displayName() + " of " + cgroup);
            return HookQuery.of(new ProgQuery.Result(r.attachFlags(), r.progIds(), new int[0], r.revision()));
        }
    }
}
