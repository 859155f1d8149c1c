package io.ebpf4j.link;

import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.AttachType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Socket filters on a socketpair, and sk_msg on a sockmap holding one end of a loopback TCP connection. */
class SocketKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static String text(MemorySegment buf, long n) {
        return new String(buf.asSlice(0, n).toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void socketFilterTruncatesThenDropsDatagrams() {
        Fd[] pair = Sockets.socketpair(Sockets.AF_UNIX, Sockets.SOCK_DGRAM, "test socketpair");
        try (BpfObject obj = Counts.load(); Arena arena = Arena.ofConfined()) {
            MemorySegment msg = arena.allocateFrom("hello world");
            MemorySegment buf = arena.allocate(64);
            try (SocketFilter filter = SocketFilter.attach(obj.program("sock_trunc"), pair[1].get())) {
                assertEquals(12, Sockets.send(pair[0].get(), msg, 0));
                assertEquals("hell", text(buf, Sockets.recv(pair[1].get(), buf, Sockets.MSG_DONTWAIT)),
                        "the filter kept 4 bytes");
                assertEquals(1, Counts.get(obj, Counts.SOCKET_SEEN));

                filter.update(obj.program("sock_drop"));
                assertEquals(12, Sockets.send(pair[0].get(), msg, 0), "the sender does not see the drop");
                assertEquals(-Errno.EAGAIN.number(), Sockets.recv(pair[1].get(), buf, Sockets.MSG_DONTWAIT));
                assertEquals(2, Counts.get(obj, Counts.SOCKET_SEEN));
            }
            assertEquals(12, Sockets.send(pair[0].get(), msg, 0));
            assertEquals(12, Sockets.recv(pair[1].get(), buf, Sockets.MSG_DONTWAIT), "no filter after close");
            assertEquals(2, Counts.get(obj, Counts.SOCKET_SEEN));
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }

    /** A loopback TCP connection made with FFM sockets: listener, client, accepted server end. */
    private static Fd[] tcpPair() {
        Fd listener = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM, 0, "tcp listener");
        Fd client = null;
        try {
            Sockets.bindInet(listener.get(), Sockets.INADDR_LOOPBACK, 0, "tcp listener");
            Sockets.listen(listener.get(), 1, "tcp listener");
            int port = Sockets.localPort(listener.get(), "tcp listener");
            client = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM, 0, "tcp client");
            Sockets.connectInet(client.get(), Sockets.INADDR_LOOPBACK, port, "tcp client");
            Fd server = Sockets.accept(listener.get(), "tcp listener");
            return new Fd[] {client, server};
        } catch (RuntimeException e) {
            if (client != null) {
                client.close();
            }
            throw e;
        } finally {
            listener.close();
        }
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    @Test
    void skMsgLinkOnSockmapCountsThenDrops() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-skmsg-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("link");
        Fd[] tcp = tcpPair();
        try (BpfObject obj = Counts.load(); Arena arena = Arena.ofConfined()) {
            BpfMap sockets = obj.map("sockets");
            MemorySegment msg = arena.allocateFrom("hello"); // 6 bytes with the NUL
            MemorySegment buf = arena.allocate(64);
            int linkId;
            try (SockmapLink link = SockmapLink.attach(obj.program("msg_count"), sockets, AttachType.SK_MSG_VERDICT)) {
                LinkInfo info = link.info();
                linkId = info.id();
                assertEquals(LinkType.SOCKMAP, info.type().orElseThrow());
                assertEquals(sockets.id(), info.details().get("map_id"));
                // Programs reach a socket when it enters the map.
                sockets.update(u32(0), u32(tcp[0].get()));
                assertEquals(6, Sockets.send(tcp[0].get(), msg, 0));
                assertEquals("hello", text(buf, Sockets.recv(tcp[1].get(), buf, 0) - 1));
                assertEquals(6, Counts.get(obj, Counts.MSG_BYTES));
                link.pin(pin);
            }
            try (BpfLink reopened = BpfLink.openPinned(pin)) {
                assertEquals(linkId, reopened.id());
                reopened.update(obj.program("msg_drop"));
                sockets.delete(u32(0));
                sockets.update(u32(0), u32(tcp[0].get()));
                assertEquals(-Errno.EACCES.number(), Sockets.send(tcp[0].get(), msg, 0), "SK_DROP fails the send");
                assertEquals(1, Counts.get(obj, Counts.MSG_DROPPED));
                Files.delete(pin);
            }
            assertFalse(BpfLink.ids().contains(linkId));
        } finally {
            tcp[0].close();
            tcp[1].close();
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void skMsgProgAttachFallback() {
        Fd[] tcp = tcpPair();
        try (BpfObject obj = Counts.load(); Arena arena = Arena.ofConfined()) {
            BpfMap sockets = obj.map("sockets");
            MemorySegment msg = arena.allocateFrom("abc");
            MemorySegment buf = arena.allocate(64);
            try (SockmapAttachment a = SockmapAttachment.attach(obj.program("msg_count"), sockets, AttachType.SK_MSG_VERDICT)) {
                assertTrue(a.describe().contains("prog_attach"));
                sockets.update(u32(0), u32(tcp[0].get()));
                assertEquals(4, Sockets.send(tcp[0].get(), msg, 0));
                assertEquals(4, Sockets.recv(tcp[1].get(), buf, 0));
                assertEquals(4, Counts.get(obj, Counts.MSG_BYTES));
                sockets.delete(u32(0));
            }
            // Detached: a socket entering the map now gets no program.
            sockets.update(u32(0), u32(tcp[0].get()));
            assertEquals(4, Sockets.send(tcp[0].get(), msg, 0));
            assertEquals(4, Sockets.recv(tcp[1].get(), buf, 0));
            assertEquals(4, Counts.get(obj, Counts.MSG_BYTES));
        } finally {
            tcp[0].close();
            tcp[1].close();
        }
    }

    /** An sk_skb stream verdict program sees what a socket in the map receives, and passes it on. */
    @Test
    void skSkbStreamVerdictLinkSeesReceivedData() {
        Fd[] tcp = tcpPair();
        try (BpfObject obj = Counts.load(); Arena arena = Arena.ofConfined()) {
            BpfMap sockets = obj.map("sockets");
            MemorySegment msg = arena.allocateFrom("0123456789"); // 11 bytes with the NUL
            MemorySegment buf = arena.allocate(64);
            try (SockmapLink link = SockmapLink.attach(obj.program("skb_verdict"), sockets, AttachType.SK_SKB_STREAM_VERDICT)) {
                assertEquals(AttachType.SK_SKB_STREAM_VERDICT, link.info().attachType().orElseThrow());
                sockets.update(u32(1), u32(tcp[1].get())); // the receiving end
                assertEquals(11, Sockets.send(tcp[0].get(), msg, 0));
                long got = 0;
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (got < 11 && System.nanoTime() < deadline) {
                    long n = Sockets.recv(tcp[1].get(), buf, Sockets.MSG_DONTWAIT);
                    if (n > 0) {
                        got += n;
                    }
                }
                assertEquals(11, got, "SK_PASS delivered the data");
                assertEquals(11, Counts.get(obj, Counts.SKB_BYTES));
                sockets.delete(u32(1));
            }
        } finally {
            tcp[0].close();
            tcp[1].close();
        }
    }
}
