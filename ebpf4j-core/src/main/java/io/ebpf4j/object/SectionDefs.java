package io.ebpf4j.object;

import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static io.ebpf4j.object.SectionDef.ATTACHABLE;
import static io.ebpf4j.object.SectionDef.ATTACHABLE_OPT;
import static io.ebpf4j.object.SectionDef.ATTACH_BTF;
import static io.ebpf4j.object.SectionDef.SLEEPABLE;
import static io.ebpf4j.object.SectionDef.USDT;
import static io.ebpf4j.object.SectionDef.XDP_FRAGS;
import static io.ebpf4j.program.ProgramType.CGROUP_DEVICE;
import static io.ebpf4j.program.ProgramType.CGROUP_SKB;
import static io.ebpf4j.program.ProgramType.CGROUP_SOCK;
import static io.ebpf4j.program.ProgramType.CGROUP_SOCKOPT;
import static io.ebpf4j.program.ProgramType.CGROUP_SOCK_ADDR;
import static io.ebpf4j.program.ProgramType.CGROUP_SYSCTL;
import static io.ebpf4j.program.ProgramType.KPROBE;
import static io.ebpf4j.program.ProgramType.LSM;
import static io.ebpf4j.program.ProgramType.RAW_TRACEPOINT;
import static io.ebpf4j.program.ProgramType.RAW_TRACEPOINT_WRITABLE;
import static io.ebpf4j.program.ProgramType.SCHED_CLS;
import static io.ebpf4j.program.ProgramType.SK_SKB;
import static io.ebpf4j.program.ProgramType.STRUCT_OPS;
import static io.ebpf4j.program.ProgramType.TRACEPOINT;
import static io.ebpf4j.program.ProgramType.TRACING;
import static io.ebpf4j.program.ProgramType.XDP;

/**
 * The section-name table: which program type, attach type and flags a {@code SEC("...")} name means. The rows,
 * their order (first match wins) and their meaning follow libbpf's table; entries for attach types newer than
 * Linux 6.18 are not here yet. A name may start with {@code '?'}: the program is then not loaded by default.
 */
public final class SectionDefs {
    private SectionDefs() {
    }

    private static final int NONE = 0;

    private static SectionDef def(String pattern, ProgramType type, AttachType attach, int flags, AutoAttach auto) {
        return new SectionDef(pattern, type, attach, flags, auto);
    }

    private static SectionDef def(String pattern, ProgramType type, AttachType attach, int flags) {
        return new SectionDef(pattern, type, attach, flags, AutoAttach.NONE);
    }

    /** The table, in matching order. */
    public static final List<SectionDef> TABLE = List.of(
            def("socket", ProgramType.SOCKET_FILTER, null, NONE),
            def("sk_reuseport/migrate", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE, ATTACHABLE),
            def("sk_reuseport", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT, ATTACHABLE),
            def("kprobe+", KPROBE, null, NONE, AutoAttach.KPROBE),
            def("uprobe+", KPROBE, null, NONE, AutoAttach.UPROBE),
            def("uprobe.s+", KPROBE, null, SLEEPABLE, AutoAttach.UPROBE),
            def("kretprobe+", KPROBE, null, NONE, AutoAttach.KPROBE),
            def("uretprobe+", KPROBE, null, NONE, AutoAttach.UPROBE),
            def("uretprobe.s+", KPROBE, null, SLEEPABLE, AutoAttach.UPROBE),
            def("kprobe.multi+", KPROBE, AttachType.TRACE_KPROBE_MULTI, NONE, AutoAttach.KPROBE_MULTI),
            def("kretprobe.multi+", KPROBE, AttachType.TRACE_KPROBE_MULTI, NONE, AutoAttach.KPROBE_MULTI),
            def("kprobe.session+", KPROBE, AttachType.TRACE_KPROBE_SESSION, NONE, AutoAttach.KPROBE_SESSION),
            def("uprobe.multi+", KPROBE, AttachType.TRACE_UPROBE_MULTI, NONE, AutoAttach.UPROBE_MULTI),
            def("uretprobe.multi+", KPROBE, AttachType.TRACE_UPROBE_MULTI, NONE, AutoAttach.UPROBE_MULTI),
            def("uprobe.session+", KPROBE, AttachType.TRACE_UPROBE_SESSION, NONE, AutoAttach.UPROBE_MULTI),
            def("uprobe.multi.s+", KPROBE, AttachType.TRACE_UPROBE_MULTI, SLEEPABLE, AutoAttach.UPROBE_MULTI),
            def("uretprobe.multi.s+", KPROBE, AttachType.TRACE_UPROBE_MULTI, SLEEPABLE, AutoAttach.UPROBE_MULTI),
            def("uprobe.session.s+", KPROBE, AttachType.TRACE_UPROBE_SESSION, SLEEPABLE, AutoAttach.UPROBE_MULTI),
            def("ksyscall+", KPROBE, null, NONE, AutoAttach.KSYSCALL),
            def("kretsyscall+", KPROBE, null, NONE, AutoAttach.KSYSCALL),
            def("usdt+", KPROBE, null, USDT, AutoAttach.USDT),
            def("usdt.s+", KPROBE, null, USDT | SLEEPABLE, AutoAttach.USDT),
            def("tc/ingress", SCHED_CLS, AttachType.TCX_INGRESS, NONE),
            def("tc/egress", SCHED_CLS, AttachType.TCX_EGRESS, NONE),
            def("tcx/ingress", SCHED_CLS, AttachType.TCX_INGRESS, NONE),
            def("tcx/egress", SCHED_CLS, AttachType.TCX_EGRESS, NONE),
            def("tc", SCHED_CLS, null, NONE),
            def("classifier", SCHED_CLS, null, NONE),
            def("action", ProgramType.SCHED_ACT, null, NONE),
            def("netkit/primary", SCHED_CLS, AttachType.NETKIT_PRIMARY, NONE),
            def("netkit/peer", SCHED_CLS, AttachType.NETKIT_PEER, NONE),
            def("tracepoint+", TRACEPOINT, null, NONE, AutoAttach.TRACEPOINT),
            def("tp+", TRACEPOINT, null, NONE, AutoAttach.TRACEPOINT),
            def("tracepoint.s+", TRACEPOINT, null, SLEEPABLE, AutoAttach.TRACEPOINT),
            def("tp.s+", TRACEPOINT, null, SLEEPABLE, AutoAttach.TRACEPOINT),
            def("raw_tracepoint+", RAW_TRACEPOINT, null, NONE, AutoAttach.RAW_TRACEPOINT),
            def("raw_tp+", RAW_TRACEPOINT, null, NONE, AutoAttach.RAW_TRACEPOINT),
            def("raw_tracepoint.s+", RAW_TRACEPOINT, null, SLEEPABLE, AutoAttach.RAW_TRACEPOINT),
            def("raw_tp.s+", RAW_TRACEPOINT, null, SLEEPABLE, AutoAttach.RAW_TRACEPOINT),
            def("raw_tracepoint.w+", RAW_TRACEPOINT_WRITABLE, null, NONE, AutoAttach.RAW_TRACEPOINT),
            def("raw_tp.w+", RAW_TRACEPOINT_WRITABLE, null, NONE, AutoAttach.RAW_TRACEPOINT),
            def("tp_btf+", TRACING, AttachType.TRACE_RAW_TP, ATTACH_BTF, AutoAttach.TRACING),
            def("tp_btf.s+", TRACING, AttachType.TRACE_RAW_TP, ATTACH_BTF | SLEEPABLE, AutoAttach.TRACING),
            def("fentry+", TRACING, AttachType.TRACE_FENTRY, ATTACH_BTF, AutoAttach.TRACING),
            def("fmod_ret+", TRACING, AttachType.MODIFY_RETURN, ATTACH_BTF, AutoAttach.TRACING),
            def("fexit+", TRACING, AttachType.TRACE_FEXIT, ATTACH_BTF, AutoAttach.TRACING),
            def("fentry.s+", TRACING, AttachType.TRACE_FENTRY, ATTACH_BTF | SLEEPABLE, AutoAttach.TRACING),
            def("fmod_ret.s+", TRACING, AttachType.MODIFY_RETURN, ATTACH_BTF | SLEEPABLE, AutoAttach.TRACING),
            def("fexit.s+", TRACING, AttachType.TRACE_FEXIT, ATTACH_BTF | SLEEPABLE, AutoAttach.TRACING),
            def("freplace+", ProgramType.EXT, null, ATTACH_BTF, AutoAttach.TRACING),
            def("lsm+", LSM, AttachType.LSM_MAC, ATTACH_BTF, AutoAttach.LSM),
            def("lsm.s+", LSM, AttachType.LSM_MAC, ATTACH_BTF | SLEEPABLE, AutoAttach.LSM),
            def("lsm_cgroup+", LSM, AttachType.LSM_CGROUP, ATTACH_BTF),
            def("iter+", TRACING, AttachType.TRACE_ITER, ATTACH_BTF, AutoAttach.ITER),
            def("iter.s+", TRACING, AttachType.TRACE_ITER, ATTACH_BTF | SLEEPABLE, AutoAttach.ITER),
            def("syscall", ProgramType.SYSCALL, null, SLEEPABLE),
            def("xdp.frags/devmap", XDP, AttachType.XDP_DEVMAP, XDP_FRAGS),
            def("xdp/devmap", XDP, AttachType.XDP_DEVMAP, ATTACHABLE),
            def("xdp.frags/cpumap", XDP, AttachType.XDP_CPUMAP, XDP_FRAGS),
            def("xdp/cpumap", XDP, AttachType.XDP_CPUMAP, ATTACHABLE),
            def("xdp.frags", XDP, AttachType.XDP, XDP_FRAGS),
            def("xdp", XDP, AttachType.XDP, ATTACHABLE_OPT),
            def("perf_event", ProgramType.PERF_EVENT, null, NONE),
            def("lwt_in", ProgramType.LWT_IN, null, NONE),
            def("lwt_out", ProgramType.LWT_OUT, null, NONE),
            def("lwt_xmit", ProgramType.LWT_XMIT, null, NONE),
            def("lwt_seg6local", ProgramType.LWT_SEG6LOCAL, null, NONE),
            def("sockops", ProgramType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS, ATTACHABLE_OPT),
            def("sk_skb/stream_parser", SK_SKB, AttachType.SK_SKB_STREAM_PARSER, ATTACHABLE_OPT),
            def("sk_skb/stream_verdict", SK_SKB, AttachType.SK_SKB_STREAM_VERDICT, ATTACHABLE_OPT),
            def("sk_skb/verdict", SK_SKB, AttachType.SK_SKB_VERDICT, ATTACHABLE_OPT),
            def("sk_skb", SK_SKB, null, NONE),
            def("sk_msg", ProgramType.SK_MSG, AttachType.SK_MSG_VERDICT, ATTACHABLE_OPT),
            def("lirc_mode2", ProgramType.LIRC_MODE2, AttachType.LIRC_MODE2, ATTACHABLE_OPT),
            def("flow_dissector", ProgramType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR, ATTACHABLE_OPT),
            def("cgroup_skb/ingress", CGROUP_SKB, AttachType.CGROUP_INET_INGRESS, ATTACHABLE_OPT),
            def("cgroup_skb/egress", CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, ATTACHABLE_OPT),
            def("cgroup/skb", CGROUP_SKB, null, NONE),
            def("cgroup/sock_create", CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE, ATTACHABLE),
            def("cgroup/sock_release", CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_RELEASE, ATTACHABLE),
            def("cgroup/sock", CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE, ATTACHABLE_OPT),
            def("cgroup/post_bind4", CGROUP_SOCK, AttachType.CGROUP_INET4_POST_BIND, ATTACHABLE),
            def("cgroup/post_bind6", CGROUP_SOCK, AttachType.CGROUP_INET6_POST_BIND, ATTACHABLE),
            def("cgroup/bind4", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_BIND, ATTACHABLE),
            def("cgroup/bind6", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_BIND, ATTACHABLE),
            def("cgroup/connect4", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT, ATTACHABLE),
            def("cgroup/connect6", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_CONNECT, ATTACHABLE),
            def("cgroup/connect_unix", CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_CONNECT, ATTACHABLE),
            def("cgroup/sendmsg4", CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_SENDMSG, ATTACHABLE),
            def("cgroup/sendmsg6", CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_SENDMSG, ATTACHABLE),
            def("cgroup/sendmsg_unix", CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_SENDMSG, ATTACHABLE),
            def("cgroup/recvmsg4", CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_RECVMSG, ATTACHABLE),
            def("cgroup/recvmsg6", CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_RECVMSG, ATTACHABLE),
            def("cgroup/recvmsg_unix", CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_RECVMSG, ATTACHABLE),
            def("cgroup/getpeername4", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETPEERNAME, ATTACHABLE),
            def("cgroup/getpeername6", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETPEERNAME, ATTACHABLE),
            def("cgroup/getpeername_unix", CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETPEERNAME, ATTACHABLE),
            def("cgroup/getsockname4", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETSOCKNAME, ATTACHABLE),
            def("cgroup/getsockname6", CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETSOCKNAME, ATTACHABLE),
            def("cgroup/getsockname_unix", CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETSOCKNAME, ATTACHABLE),
            def("cgroup/sysctl", CGROUP_SYSCTL, AttachType.CGROUP_SYSCTL, ATTACHABLE),
            def("cgroup/getsockopt", CGROUP_SOCKOPT, AttachType.CGROUP_GETSOCKOPT, ATTACHABLE),
            def("cgroup/setsockopt", CGROUP_SOCKOPT, AttachType.CGROUP_SETSOCKOPT, ATTACHABLE),
            def("cgroup/dev", CGROUP_DEVICE, AttachType.CGROUP_DEVICE, ATTACHABLE_OPT),
            def("struct_ops+", STRUCT_OPS, null, NONE),
            def("struct_ops.s+", STRUCT_OPS, null, SLEEPABLE),
            def("sk_lookup", ProgramType.SK_LOOKUP, AttachType.SK_LOOKUP, ATTACHABLE),
            def("netfilter", ProgramType.NETFILTER, AttachType.NETFILTER, NONE));

    /** A section name resolved against the table. */
    public record Match(String section, boolean autoload, SectionDef def, String target) {
    }

    /** The row for a section name (a leading {@code '?'} marks a program not loaded by default). */
    public static Optional<Match> find(String section) {
        boolean autoload = !section.startsWith("?");
        String name = autoload ? section : section.substring(1);
        for (SectionDef d : TABLE) {
            if (d.matches(name)) {
                return Optional.of(new Match(name, autoload, d, d.target(name)));
            }
        }
        return Optional.empty();
    }

    /** Up to {@code n} known section names closest to an unknown one, for "did you mean" messages. */
    public static List<String> closest(String section, int n) {
        String name = section.startsWith("?") ? section.substring(1) : section;
        int slash = name.indexOf('/');
        String head = slash < 0 ? name : name.substring(0, slash);
        record Scored(String name, int distance) {
        }
        List<Scored> scored = new ArrayList<>();
        for (SectionDef d : TABLE) {
            String base = d.baseName();
            int dist = Math.min(distance(name, base), distance(head, base));
            if (scored.stream().noneMatch(s -> s.name().equals(base))) {
                scored.add(new Scored(base, dist));
            }
        }
        scored.sort(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name));
        return scored.stream().limit(n).map(Scored::name).toList();
    }

    /** Edit distance (insertions, deletions, substitutions), two rows of memory. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
