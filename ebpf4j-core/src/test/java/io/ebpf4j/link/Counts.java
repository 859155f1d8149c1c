package io.ebpf4j.link;

import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The {@code net} fixture's counters: one slot per program (see {@code net.bpf.c}). */
final class Counts {
    private Counts() {
    }

    static final int XDP_COUNT = 0;
    static final int XDP_DROPPED = 1;
    static final int TC_FIRST = 2;
    static final int TC_SECOND = 3;
    static final int TC_DROPPED = 4;
    static final int CG_EGRESS = 5;
    static final int SOCK_DENIED = 6;
    static final int NF_LOCAL_OUT = 7;
    static final int MSG_BYTES = 8;
    static final int MSG_DROPPED = 9;
    static final int SK_LOOKUPS = 10;
    static final int SOCKET_SEEN = 11;
    static final int SKB_BYTES = 12;

    static BpfObject load() {
        return BpfObject.load(ObjectSpec.read(BpfC.object("net")));
    }

    static long get(BpfObject obj, int slot) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        byte[] v = obj.map("counts").lookup(key).orElseThrow();
        return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
    }
}
