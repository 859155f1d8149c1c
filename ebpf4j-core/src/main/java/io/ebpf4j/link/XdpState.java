package io.ebpf4j.link;

/**
 * What XDP holds on an interface, as netlink reports it ({@code IFLA_XDP}): the attach mode and the program id
 * per mode (0 where none). A program attached through a bpf_link shows here too.
 *
 * @param attached  {@code XDP_ATTACHED_*}: 0 none, 1 driver, 2 generic (skb), 3 hardware, 4 several modes
 * @param programId the program, when a single mode is in use
 */
public record XdpState(int attached, int programId, int driverProgramId, int skbProgramId, int hwProgramId) {
    public static final int ATTACHED_NONE = 0;
    public static final int ATTACHED_DRV = 1;
    public static final int ATTACHED_SKB = 2;
    public static final int ATTACHED_HW = 3;
    public static final int ATTACHED_MULTI = 4;

    /** The mode's name as ip-link prints it ({@code xdp}, {@code xdpgeneric}, {@code xdpoffload}). */
    public String modeName() {
        return switch (attached) {
            case ATTACHED_NONE -> "none";
            case ATTACHED_DRV -> "xdp";
            case ATTACHED_SKB -> "xdpgeneric";
            case ATTACHED_HW -> "xdpoffload";
            case ATTACHED_MULTI -> "xdpmulti";
            default -> Integer.toString(attached);
        };
    }

    static XdpState of(io.ebpf4j.kernel.RtNetlink.XdpState s) {
        return new XdpState(s.attached(), s.progId(), s.drvProgId(), s.skbProgId(), s.hwProgId());
    }

    /** The interface's XDP state, asked in the calling thread's network namespace. */
    public static XdpState query(int ifindex) {
        try (io.ebpf4j.kernel.Netlink nl = io.ebpf4j.kernel.Netlink.route()) {
            return of(io.ebpf4j.kernel.RtNetlink.xdpQuery(nl, ifindex, "XDP state of " + Owned.ifname(ifindex)));
        }
    }
}
