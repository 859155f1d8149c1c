package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.map.MapInfo;
import io.ebpf4j.map.MapType;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.MapDef;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * struct_ops: a tcp_congestion_ops registered through a link, chosen by a loopback socket with TCP_CONGESTION,
 * its init callback counted; the link updated to a second version, detached, and the algorithm gone.
 */
class StructOpsLinkKernelTest {
    private static final String CC = "ebpf4j_cc";
    private static final Path AVAILABLE = Path.of("/proc/sys/net/ipv4/tcp_available_congestion_control");

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static boolean available() throws Exception {
        return List.of(Files.readString(AVAILABLE).trim().split("\\s+")).contains(CC);
    }

    /** Connects a loopback socket that asks for {@value #CC}; returns the algorithm the socket reports. */
    private static String connectWithCc() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, lo); Fd fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM, 0, "tcp client")) {
            Sockets.setOption(fd.get(), Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION, CC, "TCP_CONGESTION");
            Sockets.connectInet(fd.get(), Sockets.INADDR_LOOPBACK, server.getLocalPort(), "loopback");
            try (Socket accepted = server.accept()) {
                assertTrue(accepted.isConnected());
            }
            return Sockets.getOption(fd.get(), Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION, 16, "TCP_CONGESTION");
        }
    }

    @Test
    void congestionControlRegistersFiresUpdatesAndDetaches() throws Exception {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("struct_ops"));
        MapDef def = spec.maps().get(CC);
        assertEquals(MapDef.Origin.STRUCT_OPS, def.origin());
        assertEquals("ebpf4j_init_v2", spec.maps().get("ebpf4j_cc_v2").structOps().programs().get("init"));
        assertEquals("tcp_congestion_ops", def.structOps().typeName());
        assertEquals(java.util.Map.of("init", "ebpf4j_init", "ssthresh", "ebpf4j_ssthresh", "cong_avoid",
                "ebpf4j_cong_avoid", "undo_cwnd", "ebpf4j_undo_cwnd"), def.structOps().programs());
        assertFalse(available(), CC + " must not be registered before the test");
        try (BpfObject obj = BpfObject.load(spec)) {
            MapInfo info = obj.map(CC).info();
            assertEquals(MapType.STRUCT_OPS, info.type().orElseThrow());
            assertTrue(info.btfVmlinuxValueTypeId() != 0);
            assertFalse(available(), "filling the map does not register a .struct_ops.link map");

            try (StructOpsLink link = StructOpsLink.attach(obj.map(CC))) {
                assertTrue(available(), CC + " is listed once the link exists");
                assertEquals(LinkType.STRUCT_OPS, link.info().type().orElseThrow());
                assertEquals(info.id(), link.info().details().get("map_id"));

                assertEquals(CC, connectWithCc());
                long first = obj.variableLong("init_calls");
                assertTrue(first >= 1, "init ran for the connecting socket: " + first);

                link.update(obj.map("ebpf4j_cc_v2"), obj.map(CC));
                assertEquals(obj.map("ebpf4j_cc_v2").id(), link.info().details().get("map_id"));
                assertEquals(CC, connectWithCc());
                assertTrue(obj.variableLong("init_calls_v2") >= 1, "the new version runs");
                assertEquals(first, obj.variableLong("init_calls"), "the old version no longer runs");

                link.detach();
                assertFalse(available(), "detached: the algorithm is unregistered although the link is open");
            }
        }
        assertFalse(available());
    }

    @Test
    void autoAttachRegistersStructOpsMaps() throws Exception {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("struct_ops")))) {
            // Two variables share the algorithm name: auto-attaching both is refused by the kernel (EEXIST)
            // and nothing stays registered.
            assertThrowsAny(() -> Links.attachAll(obj));
            assertFalse(available(), "a failed attachAll closes what it attached");
        }
        ObjectSpec one = ObjectSpec.read(BpfC.object("struct_ops"));
        one.maps().get("ebpf4j_cc_v2").autocreate(false);
        for (String p : List.of("ebpf4j_init_v2", "ebpf4j_ssthresh_v2", "ebpf4j_undo_cwnd_v2", "ebpf4j_cong_avoid_v2")) {
            one.programs().get(p).autoload(false);
        }
        try (BpfObject obj = BpfObject.load(one); Links.Attached attached = Links.attachAll(obj)) {
            assertTrue(attached.links().get(CC) instanceof StructOpsLink);
            assertTrue(available());
            assertEquals(CC, connectWithCc());
            assertTrue(obj.variableLong("init_calls") >= 1);
        }
        assertFalse(available());
    }

    private static void assertThrowsAny(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(io.ebpf4j.BpfException.class, e);
    }

    @Test
    void closingTheLinkUnregisters() throws Exception {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("struct_ops")))) {
            try (StructOpsLink link = StructOpsLink.attach(obj.map(CC))) {
                assertTrue(available() && !link.isClosed());
            }
            assertFalse(available(), "closed without pins: unregistered");
        }
    }
}
