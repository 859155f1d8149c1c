package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.Program;

/**
 * Descriptors an attachment keeps for itself: attachments that the kernel undoes by naming the program (or map)
 * again, as PROG_DETACH and netlink do, hold their own reference so that closing the caller's
 * {@link Program} first does not break the detach.
 */
final class Owned {
    private Owned() {
    }

    static Fd program(Program p) {
        return Bpf.fdById(BpfCmd.PROG_GET_FD_BY_ID, p.id(), 0, "program '" + p.name() + "'");
    }

    static Fd map(BpfMap m) {
        return Bpf.fdById(BpfCmd.MAP_GET_FD_BY_ID, m.id(), 0, "map '" + m.name() + "'");
    }

    /** An interface's name for messages, or its number when the calling thread's namespace has no such index. */
    static String ifname(int ifindex) {
        String name = Sockets.ifIndexToName(ifindex);
        return name == null ? "ifindex " + ifindex : name;
    }
}
