package io.ebpf4j.link;

/**
 * Where an XDP program runs ({@code XDP_FLAGS_*_MODE}). {@link #DEFAULT} lets the kernel choose: the driver
 * when it supports XDP, else the generic (skb) path.
 */
public enum XdpMode {
    DEFAULT(0),
    /** Generic XDP, after the skb is built: works on every interface, slowest. */
    SKB(1 << 1),
    /** Native XDP in the driver. */
    DRV(1 << 2),
    /** Offloaded to the NIC. */
    HW(1 << 3);

    private final int flag;

    XdpMode(int flag) {
        this.flag = flag;
    }

    /** The kernel's flag for this mode. */
    public int flag() {
        return flag;
    }
}
