package io.ebpf4j.kernel;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A {@code NETLINK_ROUTE} socket: requests with acknowledgement, dumps, and the kernel's extended error
 * messages. A netlink socket belongs to the network namespace of the thread that made it, for its whole life, so
 * an attachment made through one keeps its socket to undo the attachment in the same namespace later.
 */
public final class Netlink implements AutoCloseable {
    static final int NETLINK_ROUTE = 0;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;

    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_ECHO = 0x8;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    private static final int NLM_F_ACK_TLVS = 0x200;

    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLMSGERR_ATTR_MSG = 1;
    public static final int NLA_F_NESTED = 0x8000;
    private static final int NLA_TYPE_MASK = 0x3fff;

    static final int HEADER = 16;
    private static final int RECV_BUFFER = 64 * 1024;
    private static final long RECV_TIMEOUT_MILLIS = 10_000;

    private final Fd fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment recvBuffer;
    private int seq;

    private Netlink(Fd fd) {
        this.fd = fd;
        this.recvBuffer = arena.allocate(RECV_BUFFER, 8);
    }

    /** A route netlink socket in the calling thread's network namespace. */
    public static Netlink route() {
        Fd fd = Sockets.socket(Sockets.AF_NETLINK, Sockets.SOCK_RAW, NETLINK_ROUTE, "netlink route");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(12, 4); // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
            sa.set(JAVA_SHORT, 0, (short) Sockets.AF_NETLINK);
            Sockets.bind(fd.get(), sa, "netlink route");
            // Error messages from the kernel (best effort: old kernels lack them), without the echoed request.
            Sockets.trySetsockoptInt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, 1);
            Sockets.trySetsockoptInt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, 1);
            // The kernel answers at once; a silent socket must not hang the caller.
            Sockets.setReceiveTimeout(fd.get(), RECV_TIMEOUT_MILLIS, "netlink route");
            return new Netlink(fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** A netlink message under construction: header, family header, attributes (little-endian on our hosts). */
    public static final class Message {
        private ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        private final int type;

        public Message(int type, int flags) {
            this.type = type;
            b.putInt(0).putShort((short) type).putShort((short) flags).putInt(0).putInt(0);
        }

        public int type() {
            return type;
        }

        private void room(int n) {
            if (b.remaining() < n + 8) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n + 64))
                        .order(ByteOrder.nativeOrder());
                b.flip();
                bigger.put(b);
                b = bigger;
            }
        }

        private void align() {
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
        }

        public Message u8(int v) {
            room(1);
            b.put((byte) v);
            return this;
        }

        public Message u16(int v) {
            room(2);
            b.putShort((short) v);
            return this;
        }

        public Message u32(int v) {
            room(4);
            b.putInt(v);
            return this;
        }

        public Message attr(int attrType, byte[] payload) {
            room(4 + payload.length + 4);
            align();
            b.putShort((short) (4 + payload.length)).putShort((short) attrType).put(payload);
            align();
            return this;
        }

        public Message attrU32(int attrType, int v) {
            return attr(attrType, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array());
        }

        /** A NUL-terminated string attribute. */
        public Message attrString(int attrType, String s) {
            byte[] raw = s.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[raw.length + 1];
            System.arraycopy(raw, 0, z, 0, raw.length);
            return attr(attrType, z);
        }

        /** Opens a nested attribute; returns the mark to pass to {@link #end}. */
        public int begin(int attrType) {
            room(4);
            align();
            int mark = b.position();
            b.putShort((short) 0).putShort((short) (attrType | NLA_F_NESTED));
            return mark;
        }

        public Message end(int mark) {
            b.putShort(mark, (short) (b.position() - mark));
            return this;
        }

        byte[] finish(int seq) {
            align();
            b.putInt(0, b.position());
            b.putInt(8, seq);
            return java.util.Arrays.copyOf(b.array(), b.position());
        }
    }

    /** One received message: its type and its payload (after the netlink header). */
    public record Reply(int type, ByteBuffer payload) {
    }

    /**
     * Sends {@code m} with NLM_F_ACK and returns the messages the kernel sent before its acknowledgement (an
     * echo or a reply). A negative acknowledgement throws, with the kernel's own message when it gave one.
     */
    public List<Reply> request(Message m, String what) {
        return exchange(m, false, what);
    }

    /** Sends a dump request ({@code m} carries NLM_F_DUMP) and returns every message up to NLMSG_DONE. */
    public List<Reply> dump(Message m, String what) {
        return exchange(m, true, what);
    }

    private List<Reply> exchange(Message m, boolean dump, String what) {
        int mySeq = ++seq;
        byte[] bytes = m.finish(mySeq);
        if (!dump) {
            ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort(6,
                    (short) (ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getShort(6) | NLM_F_ACK | NLM_F_REQUEST));
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(bytes.length, 8);
            MemorySegment.copy(bytes, 0, out, JAVA_BYTE, 0, bytes.length);
            long sent = Sockets.send(fd.get(), out, 0);
            if (sent < 0) {
                throw new SyscallException("netlink send", (int) -sent, what, null);
            }
        }
        List<Reply> replies = new ArrayList<>();
        while (true) {
            long n = Sockets.recv(fd.get(), recvBuffer, 0);
            if (n == -Errno.EINTR.number()) {
                continue;
            }
            if (n < 0) {
                throw new SyscallException("netlink recv", (int) -n, what, n == -Errno.EAGAIN.number()
                        ? "the kernel did not answer within " + RECV_TIMEOUT_MILLIS / 1000 + " s" : null);
            }
            ByteBuffer in = recvBuffer.asSlice(0, n).asByteBuffer().order(ByteOrder.nativeOrder());
            int at = 0;
            while (at + HEADER <= n) {
                int len = in.getInt(at);
                int type = Short.toUnsignedInt(in.getShort(at + 4));
                int flags = Short.toUnsignedInt(in.getShort(at + 6));
                int rseq = in.getInt(at + 8);
                if (len < HEADER || at + len > n) {
                    throw new io.ebpf4j.BpfException("malformed netlink message from the kernel (" + what + ")");
                }
                if (rseq == mySeq) {
                    ByteBuffer payload = copy(in, at + HEADER, len - HEADER);
                    if (type == NLMSG_ERROR) {
                        int error = payload.getInt(0);
                        if (error == 0) {
                            return replies;
                        }
                        String kernelSays = extAck(payload, flags);
                        throw new SyscallException("netlink", -error,
                                kernelSays == null ? what : what + "; " + kernelSays, Hints.forNetlink(-error));
                    }
                    if (type == NLMSG_DONE) {
                        return replies;
                    }
                    replies.add(new Reply(type, payload));
                }
                at += align4(len);
            }
        }
    }

    private static ByteBuffer copy(ByteBuffer in, int from, int len) {
        byte[] b = new byte[len];
        in.get(from, b);
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    /** The kernel's text from an error acknowledgement's NLMSGERR_ATTR_MSG, or null. */
    private static String extAck(ByteBuffer err, int flags) {
        if ((flags & NLM_F_ACK_TLVS) == 0 || err.capacity() < 4 + HEADER) {
            return null;
        }
        // The request is capped (NETLINK_CAP_ACK): only its header follows the error code.
        ByteBuffer msg = attributes(err, 4 + HEADER, err.capacity()).get(NLMSGERR_ATTR_MSG);
        return msg == null ? null : "kernel says: " + string(msg);
    }

    static int align4(int n) {
        return (n + 3) & ~3;
    }

    /** The attributes in {@code buf} between {@code from} and {@code to}, by type (nested flag masked off). */
    public static Map<Integer, ByteBuffer> attributes(ByteBuffer buf, int from, int to) {
        Map<Integer, ByteBuffer> attrs = new LinkedHashMap<>();
        int at = from;
        while (at + 4 <= to) {
            int len = Short.toUnsignedInt(buf.getShort(at));
            int type = Short.toUnsignedInt(buf.getShort(at + 2)) & NLA_TYPE_MASK;
            if (len < 4 || at + len > to) {
                break;
            }
            attrs.putIfAbsent(type, copy(buf, at + 4, len - 4));
            at += align4(len);
        }
        return attrs;
    }

    /** A NUL-terminated string attribute's text. */
    public static String string(ByteBuffer attr) {
        int n = 0;
        while (n < attr.capacity() && attr.get(n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        attr.get(0, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) { // closing again does nothing
            Closing.closeAll(fd, arena);
        }
    }
}
