package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Netlink message encoding and attribute parsing, without the kernel. */
class NetlinkMessageTest {
    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    @Test
    void headerLengthSequenceAndAlignedAttributes() {
        Netlink.Message m = new Netlink.Message(19, Netlink.NLM_F_REQUEST).u8(0).u8(0).u16(0).u32(7).u32(0).u32(0);
        int nest = m.begin(43);
        m.attrU32(1, 42);
        m.attrString(7, "abc"); // 4 + 4 bytes: no padding needed
        m.attr(9, new byte[] {1}); // 5 bytes, padded to 8
        m.end(nest);
        ByteBuffer b = le(m.finish(5));
        assertEquals(b.capacity(), b.getInt(0), "nlmsg_len covers the whole message");
        assertEquals(19, b.getShort(4));
        assertEquals(Netlink.NLM_F_REQUEST, b.getShort(6));
        assertEquals(5, b.getInt(8));
        assertEquals(7, b.getInt(Netlink.HEADER + 4), "ifindex in the family header");
        int at = Netlink.HEADER + 16;
        assertEquals(4 + 8 + 8 + 8, b.getShort(at), "the nest's length covers its members with their padding");
        assertEquals(43 | Netlink.NLA_F_NESTED, Short.toUnsignedInt(b.getShort(at + 2)));
        assertEquals(0, b.capacity() % 4);

        Map<Integer, ByteBuffer> top = Netlink.attributes(b, Netlink.HEADER + 16, b.capacity());
        ByteBuffer xdp = top.get(43);
        Map<Integer, ByteBuffer> inner = Netlink.attributes(xdp, 0, xdp.capacity());
        assertEquals(42, inner.get(1).getInt(0));
        assertEquals("abc", Netlink.string(inner.get(7)));
        assertEquals(1, inner.get(9).capacity());
    }

    @Test
    void truncatedAttributesStopTheParse() {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) 8).putShort(2, (short) 1).putInt(4, 9);
        b.putShort(8, (short) 40).putShort(10, (short) 2); // claims more than there is
        Map<Integer, ByteBuffer> a = Netlink.attributes(b, 0, 12);
        assertEquals(1, a.size());
        assertEquals(9, a.get(1).getInt(0));
    }
}
