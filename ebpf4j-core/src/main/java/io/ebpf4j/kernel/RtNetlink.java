package io.ebpf4j.kernel;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rtnetlink requests that attach BPF programs the classic way: XDP through {@code RTM_SETLINK} with
 * {@code IFLA_XDP}, and tc through a {@code clsact} qdisc with a {@code cls_bpf} filter in direct-action mode.
 */
public final class RtNetlink {
    private RtNetlink() {
    }

    private static final int RTM_NEWLINK = 16;
    private static final int RTM_GETLINK = 18;
    private static final int RTM_SETLINK = 19;
    private static final int RTM_NEWQDISC = 36;
    private static final int RTM_DELQDISC = 37;
    private static final int RTM_GETQDISC = 38;
    private static final int RTM_NEWTFILTER = 44;
    private static final int RTM_DELTFILTER = 45;
    private static final int RTM_GETTFILTER = 46;

    private static final int AF_UNSPEC = 0;

    // struct ifinfomsg: family, pad, type, index, flags, change
    private static final int IFINFOMSG = 16;
    private static final int IFLA_XDP = 43;
    private static final int IFLA_XDP_FD = 1;
    private static final int IFLA_XDP_ATTACHED = 2;
    private static final int IFLA_XDP_FLAGS = 3;
    private static final int IFLA_XDP_PROG_ID = 4;
    private static final int IFLA_XDP_DRV_PROG_ID = 5;
    private static final int IFLA_XDP_SKB_PROG_ID = 6;
    private static final int IFLA_XDP_HW_PROG_ID = 7;
    private static final int IFLA_XDP_EXPECTED_FD = 8;

    /** {@code XDP_FLAGS_*} of if_link.h. */
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    public static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    public static final int XDP_FLAGS_DRV_MODE = 1 << 2;
    public static final int XDP_FLAGS_HW_MODE = 1 << 3;
    public static final int XDP_FLAGS_REPLACE = 1 << 4;
    public static final int XDP_FLAGS_MODES = XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE;

    // struct tcmsg: family, pad, pad, ifindex, handle, parent, info
    private static final int TCMSG = 20;
    private static final int TCA_KIND = 1;
    private static final int TCA_OPTIONS = 2;
    private static final int TCA_BPF_FD = 6;
    private static final int TCA_BPF_NAME = 7;
    private static final int TCA_BPF_FLAGS = 8;
    private static final int TCA_BPF_ID = 11;
    private static final int TCA_BPF_FLAG_ACT_DIRECT = 1;

    /** The clsact qdisc: {@code TC_H_CLSACT} as parent, major ffff as handle. */
    public static final int TC_H_CLSACT = 0xFFFF_FFF1;
    private static final int CLSACT_HANDLE = 0xFFFF_0000;
    /** Parents of clsact's two hooks: {@code TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / EGRESS)}. */
    public static final int TC_PARENT_INGRESS = 0xFFFF_FFF2;
    public static final int TC_PARENT_EGRESS = 0xFFFF_FFF3;
    /** {@code htons(ETH_P_ALL)}: the filter sees every protocol. */
    private static final int ETH_P_ALL_NETWORK_ORDER = 0x0300;

    // ---- XDP ----

    /**
     * Sets (or, with {@code progFd} -1, removes) the XDP program of {@code ifindex}. With
     * {@link #XDP_FLAGS_REPLACE}, only if the current program is {@code expectedFd}.
     */
    public static void xdpSet(Netlink nl, int ifindex, int progFd, int flags, int expectedFd, String what) {
        Netlink.Message m = new Netlink.Message(RTM_SETLINK, Netlink.NLM_F_REQUEST)
                .u8(AF_UNSPEC).u8(0).u16(0).u32(ifindex).u32(0).u32(0);
        int nest = m.begin(IFLA_XDP);
        m.attrU32(IFLA_XDP_FD, progFd);
        if (flags != 0) {
            m.attrU32(IFLA_XDP_FLAGS, flags);
        }
        if ((flags & XDP_FLAGS_REPLACE) != 0) {
            m.attrU32(IFLA_XDP_EXPECTED_FD, expectedFd);
        }
        m.end(nest);
        nl.request(m, what);
    }

    /** What XDP holds on an interface: the mode ({@code XDP_ATTACHED_*}, 0 for none) and program ids by mode. */
    public record XdpState(int attached, int progId, int drvProgId, int skbProgId, int hwProgId) {
    }

    public static XdpState xdpQuery(Netlink nl, int ifindex, String what) {
        Netlink.Message m = new Netlink.Message(RTM_GETLINK, Netlink.NLM_F_REQUEST)
                .u8(AF_UNSPEC).u8(0).u16(0).u32(ifindex).u32(0).u32(0);
        for (Netlink.Reply r : nl.request(m, what)) {
            if (r.type() != RTM_NEWLINK) {
                continue;
            }
            return xdpState(Netlink.attributes(r.payload(), IFINFOMSG, r.payload().capacity()).get(IFLA_XDP));
        }
        throw new io.ebpf4j.BpfException("the kernel sent no link message for interface " + ifindex + " (" + what + ")");
    }

    /** One interface of a link dump: index, name and XDP state. */
    public record Interface(int index, String name, XdpState xdp) {
    }

    private static final int IFLA_IFNAME = 3;

    /** Every interface of the socket's network namespace. */
    public static List<Interface> interfaces(Netlink nl, String what) {
        List<Interface> out = new ArrayList<>();
        Netlink.Message m = new Netlink.Message(RTM_GETLINK, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP)
                .u8(AF_UNSPEC).u8(0).u16(0).u32(0).u32(0).u32(0);
        for (Netlink.Reply r : nl.dump(m, what)) {
            if (r.type() != RTM_NEWLINK) {
                continue;
            }
            Map<Integer, ByteBuffer> a = Netlink.attributes(r.payload(), IFINFOMSG, r.payload().capacity());
            out.add(new Interface(r.payload().getInt(4), a.containsKey(IFLA_IFNAME) ? Netlink.string(a.get(IFLA_IFNAME)) : "",
                    xdpState(a.get(IFLA_XDP))));
        }
        return out;
    }

    private static XdpState xdpState(ByteBuffer xdp) {
        if (xdp == null) {
            return new XdpState(0, 0, 0, 0, 0);
        }
        Map<Integer, ByteBuffer> a = Netlink.attributes(xdp, 0, xdp.capacity());
        return new XdpState(a.containsKey(IFLA_XDP_ATTACHED) ? Byte.toUnsignedInt(a.get(IFLA_XDP_ATTACHED).get(0)) : 0,
                u32(a, IFLA_XDP_PROG_ID), u32(a, IFLA_XDP_DRV_PROG_ID), u32(a, IFLA_XDP_SKB_PROG_ID),
                u32(a, IFLA_XDP_HW_PROG_ID));
    }

    private static int u32(Map<Integer, ByteBuffer> a, int type) {
        ByteBuffer b = a.get(type);
        return b == null || b.capacity() < 4 ? 0 : b.getInt(0);
    }

    // ---- tc: clsact + cls_bpf ----

    private static Netlink.Message tcmsg(int type, int flags, int ifindex, int handle, int parent, int info) {
        return new Netlink.Message(type, Netlink.NLM_F_REQUEST | flags)
                .u8(AF_UNSPEC).u8(0).u16(0).u32(ifindex).u32(handle).u32(parent).u32(info);
    }

    /** Adds a clsact qdisc to {@code ifindex}; returns false when the interface had one already. */
    public static boolean clsactAdd(Netlink nl, int ifindex, String what) {
        Netlink.Message m = tcmsg(RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, ifindex, CLSACT_HANDLE,
                TC_H_CLSACT, 0).attrString(TCA_KIND, "clsact");
        try {
            nl.request(m, what);
            return true;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EEXIST) {
                return false;
            }
            throw e;
        }
    }

    public static void clsactDelete(Netlink nl, int ifindex, String what) {
        nl.request(tcmsg(RTM_DELQDISC, 0, ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0).attrString(TCA_KIND, "clsact"), what);
    }

    /** The kinds of the qdiscs on {@code ifindex} ({@code "clsact"}, {@code "noqueue"}...). */
    public static List<String> qdiscKinds(Netlink nl, int ifindex, String what) {
        List<String> kinds = new ArrayList<>();
        for (Netlink.Reply r : nl.dump(tcmsg(RTM_GETQDISC, Netlink.NLM_F_DUMP, 0, 0, 0, 0), what)) {
            ByteBuffer p = r.payload();
            if (p.getInt(4) != ifindex) {
                continue;
            }
            ByteBuffer kind = Netlink.attributes(p, TCMSG, p.capacity()).get(TCA_KIND);
            if (kind != null) {
                kinds.add(Netlink.string(kind));
            }
        }
        return kinds;
    }

    /** Where a cls_bpf filter sits: the kernel picks priority and handle when they are 0. */
    public record TcFilter(int priority, int handle) {
    }

    /** Adds a direct-action cls_bpf filter running {@code progFd}; returns where the kernel put it. */
    public static TcFilter bpfFilterAdd(Netlink nl, int ifindex, int parent, int priority, int handle, int progFd,
                                        String name, String what) {
        Netlink.Message m = tcmsg(RTM_NEWTFILTER, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL | Netlink.NLM_F_ECHO,
                ifindex, handle, parent, (priority << 16) | ETH_P_ALL_NETWORK_ORDER);
        m.attrString(TCA_KIND, "bpf");
        int nest = m.begin(TCA_OPTIONS);
        m.attrU32(TCA_BPF_FD, progFd);
        m.attrString(TCA_BPF_NAME, name);
        m.attrU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        m.end(nest);
        for (Netlink.Reply r : nl.request(m, what)) {
            if (r.type() == RTM_NEWTFILTER) {
                return new TcFilter(r.payload().getInt(16) >>> 16, r.payload().getInt(8));
            }
        }
        if (priority == 0 || handle == 0) {
            throw new io.ebpf4j.BpfException("the kernel did not echo the new tc filter (" + what
                    + "); give an explicit priority and handle");
        }
        return new TcFilter(priority, handle);
    }

    public static void bpfFilterDelete(Netlink nl, int ifindex, int parent, TcFilter f, String what) {
        nl.request(tcmsg(RTM_DELTFILTER, 0, ifindex, f.handle(), parent, (f.priority() << 16) | ETH_P_ALL_NETWORK_ORDER)
                .attrString(TCA_KIND, "bpf"), what);
    }

    /** Whether any filter (of any classifier) sits under {@code parent} of {@code ifindex}. */
    public static boolean anyFilter(Netlink nl, int ifindex, int parent, String what) {
        try {
            for (Netlink.Reply r : nl.dump(tcmsg(RTM_GETTFILTER, Netlink.NLM_F_DUMP, ifindex, 0, parent, 0), what)) {
                // Each priority's chain head is listed with handle 0; the filters have their handles.
                if (r.type() == RTM_NEWTFILTER && r.payload().getInt(8) != 0) {
                    return true;
                }
            }
            return false;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    /** One cls_bpf filter of a listing. */
    public record BpfFilter(int priority, int handle, String name, int progId, boolean directAction) {
    }

    /** The cls_bpf filters under {@code parent} of {@code ifindex}; empty when the interface has no clsact. */
    public static List<BpfFilter> bpfFilters(Netlink nl, int ifindex, int parent, String what) {
        List<BpfFilter> out = new ArrayList<>();
        List<Netlink.Reply> replies;
        try {
            replies = nl.dump(tcmsg(RTM_GETTFILTER, Netlink.NLM_F_DUMP, ifindex, 0, parent, 0), what);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                return out; // no qdisc there
            }
            throw e;
        }
        for (Netlink.Reply r : replies) {
            if (r.type() != RTM_NEWTFILTER) {
                continue;
            }
            ByteBuffer p = r.payload();
            Map<Integer, ByteBuffer> a = Netlink.attributes(p, TCMSG, p.capacity());
            ByteBuffer kind = a.get(TCA_KIND);
            ByteBuffer opts = a.get(TCA_OPTIONS);
            if (kind == null || !Netlink.string(kind).equals("bpf") || opts == null) {
                continue; // the chain head, or another classifier
            }
            Map<Integer, ByteBuffer> o = Netlink.attributes(opts, 0, opts.capacity());
            int flags = u32(o, TCA_BPF_FLAGS);
            out.add(new BpfFilter(p.getInt(16) >>> 16, p.getInt(8),
                    o.containsKey(TCA_BPF_NAME) ? Netlink.string(o.get(TCA_BPF_NAME)) : "", u32(o, TCA_BPF_ID),
                    (flags & TCA_BPF_FLAG_ACT_DIRECT) != 0));
        }
        return out;
    }
}
