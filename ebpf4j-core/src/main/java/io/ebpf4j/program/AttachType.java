package io.ebpf4j.program;

import java.util.Locale;
import java.util.Optional;

/** Attach types ({@code enum bpf_attach_type}, Linux 6.18): where a program of a type may hook. */
public enum AttachType {
    CGROUP_INET_INGRESS(0),
    CGROUP_INET_EGRESS(1),
    CGROUP_INET_SOCK_CREATE(2),
    CGROUP_SOCK_OPS(3),
    SK_SKB_STREAM_PARSER(4),
    SK_SKB_STREAM_VERDICT(5),
    CGROUP_DEVICE(6),
    SK_MSG_VERDICT(7),
    CGROUP_INET4_BIND(8),
    CGROUP_INET6_BIND(9),
    CGROUP_INET4_CONNECT(10),
    CGROUP_INET6_CONNECT(11),
    CGROUP_INET4_POST_BIND(12),
    CGROUP_INET6_POST_BIND(13),
    CGROUP_UDP4_SENDMSG(14),
    CGROUP_UDP6_SENDMSG(15),
    LIRC_MODE2(16),
    FLOW_DISSECTOR(17),
    CGROUP_SYSCTL(18),
    CGROUP_UDP4_RECVMSG(19),
    CGROUP_UDP6_RECVMSG(20),
    CGROUP_GETSOCKOPT(21),
    CGROUP_SETSOCKOPT(22),
    TRACE_RAW_TP(23),
    TRACE_FENTRY(24),
    TRACE_FEXIT(25),
    MODIFY_RETURN(26),
    LSM_MAC(27),
    TRACE_ITER(28),
    CGROUP_INET4_GETPEERNAME(29),
    CGROUP_INET6_GETPEERNAME(30),
    CGROUP_INET4_GETSOCKNAME(31),
    CGROUP_INET6_GETSOCKNAME(32),
    XDP_DEVMAP(33),
    CGROUP_INET_SOCK_RELEASE(34),
    XDP_CPUMAP(35),
    SK_LOOKUP(36),
    XDP(37),
    SK_SKB_VERDICT(38),
    SK_REUSEPORT_SELECT(39),
    SK_REUSEPORT_SELECT_OR_MIGRATE(40),
    PERF_EVENT(41),
    TRACE_KPROBE_MULTI(42),
    LSM_CGROUP(43),
    STRUCT_OPS(44),
    NETFILTER(45),
    TCX_INGRESS(46),
    TCX_EGRESS(47),
    TRACE_UPROBE_MULTI(48),
    CGROUP_UNIX_CONNECT(49),
    CGROUP_UNIX_SENDMSG(50),
    CGROUP_UNIX_RECVMSG(51),
    CGROUP_UNIX_GETPEERNAME(52),
    CGROUP_UNIX_GETSOCKNAME(53),
    NETKIT_PRIMARY(54),
    NETKIT_PEER(55),
    TRACE_KPROBE_SESSION(56),
    TRACE_UPROBE_SESSION(57);

    private static final AttachType[] BY_VALUE = new AttachType[58];

    static {
        for (AttachType t : values()) {
            BY_VALUE[t.value] = t;
        }
    }

    private final int value;

    AttachType(int value) {
        this.value = value;
    }

    /**
     * The one program type a hook of this attach type runs, as the kernel pairs them for PROG_ATTACH and
     * LINK_CREATE; empty where more than one type attaches (perf events take kprobe, tracepoint and tracing
     * programs; the tracing family, LSM), where the type is only a load-time expected attach type (reuseport
     * selection), and for types without a fixed pairing.
     */
    public java.util.Optional<ProgramType> programType() {
        ProgramType t = switch (this) {
            case CGROUP_INET_INGRESS, CGROUP_INET_EGRESS -> ProgramType.CGROUP_SKB;
            case CGROUP_INET_SOCK_CREATE, CGROUP_INET_SOCK_RELEASE, CGROUP_INET4_POST_BIND, CGROUP_INET6_POST_BIND ->
                    ProgramType.CGROUP_SOCK;
            case CGROUP_INET4_BIND, CGROUP_INET6_BIND, CGROUP_INET4_CONNECT, CGROUP_INET6_CONNECT,
                 CGROUP_UNIX_CONNECT, CGROUP_INET4_GETPEERNAME, CGROUP_INET6_GETPEERNAME, CGROUP_UNIX_GETPEERNAME,
                 CGROUP_INET4_GETSOCKNAME, CGROUP_INET6_GETSOCKNAME, CGROUP_UNIX_GETSOCKNAME, CGROUP_UDP4_SENDMSG,
                 CGROUP_UDP6_SENDMSG, CGROUP_UNIX_SENDMSG, CGROUP_UDP4_RECVMSG, CGROUP_UDP6_RECVMSG,
                 CGROUP_UNIX_RECVMSG -> ProgramType.CGROUP_SOCK_ADDR;
            case CGROUP_SOCK_OPS -> ProgramType.SOCK_OPS;
            case CGROUP_DEVICE -> ProgramType.CGROUP_DEVICE;
            case CGROUP_SYSCTL -> ProgramType.CGROUP_SYSCTL;
            case CGROUP_GETSOCKOPT, CGROUP_SETSOCKOPT -> ProgramType.CGROUP_SOCKOPT;
            case SK_MSG_VERDICT -> ProgramType.SK_MSG;
            case SK_SKB_STREAM_PARSER, SK_SKB_STREAM_VERDICT, SK_SKB_VERDICT -> ProgramType.SK_SKB;
            case LIRC_MODE2 -> ProgramType.LIRC_MODE2;
            case FLOW_DISSECTOR -> ProgramType.FLOW_DISSECTOR;
            case SK_LOOKUP -> ProgramType.SK_LOOKUP;
            case XDP -> ProgramType.XDP;
            case NETFILTER -> ProgramType.NETFILTER;
            case TCX_INGRESS, TCX_EGRESS, NETKIT_PRIMARY, NETKIT_PEER -> ProgramType.SCHED_CLS;
            default -> null;
        };
        return java.util.Optional.ofNullable(t);
    }

    /** The kernel's number. */
    public int value() {
        return value;
    }

    /** The constant with this number; empty for a number newer than ebpf4j. */
    public static Optional<AttachType> of(int value) {
        return value >= 0 && value < BY_VALUE.length ? Optional.ofNullable(BY_VALUE[value]) : Optional.empty();
    }

    /** The name bpftool prints, e.g. {@code cgroup_inet_egress}. */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
