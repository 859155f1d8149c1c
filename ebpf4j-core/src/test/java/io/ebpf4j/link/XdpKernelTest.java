package io.ebpf4j.link;

import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.Program;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * XDP on the receiving end of a veth pair between two namespaces this test makes: UDP datagrams sent from the
 * other end are counted, then dropped after an update, by a bpf_link (pinned, reopened, updated, detached) and
 * by the netlink fallback.
 */
class XdpKernelTest {
    private static final int N = 5;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void bpfLinkCountsPinsUpdatesToDropAndDetaches() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-xdp-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("link");
        try (TestNet net = TestNet.create("xdp"); BpfObject obj = Counts.load()) {
            Program count = obj.program("xdp_count");
            Program drop = obj.program("xdp_drop");
            int ifindex = net.ifindexB();
            Fd[] udp = net.udpPair();
            int linkId;
            try (XdpLink link = Net.inNamespace(net.nsB, () -> XdpLink.attach(count, ifindex, XdpMode.DEFAULT))) {
                LinkInfo info = link.info();
                assertEquals(LinkType.XDP, info.type().orElseThrow());
                assertEquals(ifindex, info.details().get("ifindex"));
                assertEquals(count.id(), info.programId());
                linkId = info.id();
                XdpState seen = Net.inNamespace(net.nsB, () -> XdpState.query(ifindex));
                assertEquals(XdpState.ATTACHED_DRV, seen.attached(), "veth takes native XDP; netlink sees the link's program");
                assertEquals(count.id(), seen.driverProgramId());

                assertEquals(N, TestNet.exchange(udp, N, 2000));
                assertEquals(N, Counts.get(obj, Counts.XDP_COUNT));

                link.pin(pin);
            }
            // The pin keeps the program attached after the link object is closed.
            assertTrue(BpfLink.ids().contains(linkId));
            assertEquals(N, TestNet.exchange(udp, N, 2000));
            assertEquals(2 * N, Counts.get(obj, Counts.XDP_COUNT));

            try (BpfLink reopened = BpfLink.openPinned(pin)) {
                assertEquals(linkId, reopened.id());
                reopened.update(drop, count);
                assertEquals(drop.id(), reopened.info().programId());
                assertEquals(0, TestNet.exchange(udp, N, 300), "the second program drops the datagrams");
                assertEquals(N, Counts.get(obj, Counts.XDP_DROPPED));
                assertEquals(2 * N, Counts.get(obj, Counts.XDP_COUNT));
                SyscallException stale = assertThrows(SyscallException.class, () -> reopened.update(count, count));
                assertEquals(Errno.EPERM, stale.errno(), "the old-program check refuses a wrong expectation");

                reopened.detach();
                assertEquals(N, TestNet.exchange(udp, N, 2000), "detached: datagrams pass again");
                assertEquals(N, Counts.get(obj, Counts.XDP_DROPPED));
                Files.delete(pin);
            }
            assertFalse(BpfLink.ids().contains(linkId), "the link is gone once its pin and last fd are");
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void netlinkFallbackCountsUpdatesToDropAndRemoves() throws Exception {
        try (TestNet net = TestNet.create("xnl"); BpfObject obj = Counts.load()) {
            Program count = obj.program("xdp_count");
            Program drop = obj.program("xdp_drop");
            int ifindex = net.ifindexB();
            Fd[] udp = net.udpPair();
            XdpNetlinkLink link = Net.inNamespace(net.nsB, () -> XdpNetlinkLink.attach(count, ifindex, XdpMode.SKB));
            try {
                XdpState state = link.query();
                assertEquals(XdpState.ATTACHED_SKB, state.attached());
                assertEquals("xdpgeneric", state.modeName());
                assertEquals(count.id(), state.skbProgramId());
                assertEquals(N, TestNet.exchange(udp, N, 2000));
                assertEquals(N, Counts.get(obj, Counts.XDP_COUNT));

                SyscallException busy = assertThrows(SyscallException.class,
                        () -> Net.inNamespace(net.nsB, () -> XdpNetlinkLink.attach(drop, ifindex, XdpMode.SKB)));
                assertEquals(Errno.EBUSY, busy.errno(), busy.getMessage());

                // A detach of another mode leaves the generic-mode program alone.
                assertFalse(Net.inNamespace(net.nsB, () -> Net.detachXdp(ifindex, XdpMode.DRV)));
                assertEquals(count.id(), link.query().skbProgramId());

                link.update(drop);
                assertEquals(drop.id(), link.query().skbProgramId());
                assertEquals(0, TestNet.exchange(udp, N, 300));
                assertEquals(N, Counts.get(obj, Counts.XDP_DROPPED));

                link.close();
                assertTrue(link.isClosed());
                XdpState after = Net.inNamespace(net.nsB, () -> XdpState.query(ifindex));
                assertEquals(0, after.attached(), "closing removed the program");
                assertEquals(N, TestNet.exchange(udp, N, 2000));
            } finally {
                link.close();
            }
        }
    }

    @Test
    void autoAttachPrefersTheLink() throws Exception {
        try (TestNet net = TestNet.create("xau"); BpfObject obj = Counts.load()) {
            int ifindex = net.ifindexB();
            try (Link link = Net.inNamespace(net.nsB, () -> Net.attachXdp(obj.program("xdp_count"), ifindex, XdpMode.SKB))) {
                assertInstanceOf(XdpLink.class, link);
                assertTrue(link.describe().contains(net.vethB), link.describe());
            }
            try (Link tc = Net.inNamespace(net.nsB, () -> Net.attachTc(obj.program("tc_first"), ifindex, TcDirection.EGRESS))) {
                assertInstanceOf(TcxLink.class, tc);
                // Each detach removes only what it names: no cls_bpf filter here, no tcx program on ingress.
                assertEquals(0, Net.inNamespace(net.nsB, () -> Net.detachTcFilters(ifindex, TcDirection.EGRESS)));
                assertEquals(0, Net.inNamespace(net.nsB, () -> Net.detachTcx(ifindex, TcDirection.INGRESS)));
                assertEquals(1, Net.inNamespace(net.nsB, () -> TcxLink.query(ifindex, TcDirection.EGRESS)).programIds().size());
                assertEquals(1, Net.inNamespace(net.nsB, () -> Net.detachTc(ifindex, TcDirection.EGRESS)));
                assertTrue(Net.inNamespace(net.nsB, () -> TcxLink.query(ifindex, TcDirection.EGRESS)).programIds().isEmpty(),
                        "detachTc emptied the hook; the link object stays, defunct, until closed");
            }
        }
    }
}
