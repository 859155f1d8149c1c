package io.ebpf4j.kernel;

import java.lang.foreign.MemorySegment;

/** Raw calls for feature probes: the errno of a command with a caller-made attribute. */
public final class Probe {
    private Probe() {
    }

    /** Runs {@code cmd} with {@code attr}; returns 0 on success (closing any fd it made) or the errno. */
    public static int errnoOf(BpfCmd cmd, MemorySegment attr, long size) {
        long r = Bpf.call(cmd, attr, size, Scratch.get().capture);
        if (r >= 0) {
            if (cmd == BpfCmd.LINK_CREATE || cmd == BpfCmd.TOKEN_CREATE) {
                Sys.closeQuietly((int) r);
            }
            return 0;
        }
        return (int) -r;
    }
}
