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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tc on the ingress of a veth end inside a namespace this test makes: tcx links in an explicit order (with the
 * revision check), pinned and updated to a dropping program, and the clsact + cls_bpf netlink fallback.
 */
class TcKernelTest {
    private static final int N = 4;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void tcxLinksOrderRunUpdateAndGo() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-tcx-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("first");
        try (TestNet net = TestNet.create("tcx"); BpfObject obj = Counts.load()) {
            Program first = obj.program("tc_first");
            Program second = obj.program("tc_second");
            Program drop = obj.program("tc_drop");
            int ifindex = net.ifindexB();
            Fd[] udp = net.udpPair();
            int firstId;
            int secondId;
            try (TcxLink a = Net.inNamespace(net.nsB, () -> TcxLink.attach(first, ifindex, TcDirection.INGRESS))) {
                HookQuery q1 = Net.inNamespace(net.nsB, () -> TcxLink.query(ifindex, TcDirection.INGRESS));
                assertEquals(List.of(first.id()), q1.programIds());
                assertEquals(List.of(a.id()), q1.linkIds());

                // An attach that expects an older revision is refused, and changes nothing.
                SyscallException stale = assertThrows(SyscallException.class, () -> Net.inNamespace(net.nsB,
                        () -> TcxLink.attach(second, ifindex, TcDirection.INGRESS,
                                LinkOrder.before(a).expectRevision(q1.revision() - 1))));
                assertEquals(Errno.ESTALE, stale.errno(), stale.getMessage());

                try (TcxLink b = Net.inNamespace(net.nsB, () -> TcxLink.attach(second, ifindex, TcDirection.INGRESS,
                        LinkOrder.before(a).expectRevision(q1.revision())))) {
                    HookQuery q2 = Net.inNamespace(net.nsB, () -> TcxLink.query(ifindex, TcDirection.INGRESS));
                    assertEquals(List.of(second.id(), first.id()), q2.programIds(), "'before' put it in front");
                    assertEquals(List.of(b.id(), a.id()), q2.linkIds());
                    assertTrue(q2.revision() > q1.revision());
                    assertEquals(LinkType.TCX, b.info().type().orElseThrow());
                    assertEquals(ifindex, b.info().details().get("ifindex"));

                    assertEquals(N, TestNet.exchange(udp, N, 2000));
                    assertEquals(N, Counts.get(obj, Counts.TC_FIRST), "both programs ran");
                    assertEquals(N, Counts.get(obj, Counts.TC_SECOND));
                    secondId = b.id();
                }
                assertFalse(BpfLink.ids().contains(secondId), "closing an unpinned link removes it");
                firstId = a.id();
                a.pin(pin);
            }
            try (BpfLink reopened = BpfLink.openPinned(pin)) {
                assertEquals(firstId, reopened.id());
                reopened.update(drop);
                assertEquals(0, TestNet.exchange(udp, N, 300), "the updated link drops the datagrams");
                assertEquals(N, Counts.get(obj, Counts.TC_DROPPED));
                Files.delete(pin);
            }
            assertFalse(BpfLink.ids().contains(firstId));
            HookQuery empty = Net.inNamespace(net.nsB, () -> TcxLink.query(ifindex, TcDirection.INGRESS));
            assertTrue(empty.programIds().isEmpty());
            assertEquals(N, TestNet.exchange(udp, N, 2000));
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void netlinkClsactFilterCountsAndIsRemoved() throws Exception {
        try (TestNet net = TestNet.create("tnl"); BpfObject obj = Counts.load()) {
            Program first = obj.program("tc_first");
            Program drop = obj.program("tc_drop");
            int ifindex = net.ifindexB();
            Fd[] udp = net.udpPair();
            TcNetlinkLink counting = Net.inNamespace(net.nsB, () -> TcNetlinkLink.attach(first, ifindex, TcDirection.INGRESS));
            try {
                assertTrue(Net.inNamespace(net.nsB, () -> TcNetlinkLink.hasClsact(ifindex)));
                List<TcFilter> filters = Net.inNamespace(net.nsB,
                        () -> TcNetlinkLink.filters(ifindex, TcDirection.INGRESS));
                assertEquals(1, filters.size(), filters.toString());
                TcFilter f = filters.getFirst();
                assertEquals(first.id(), f.programId());
                assertTrue(f.directAction());
                assertEquals("tc_first", f.name());
                assertEquals(counting.priority(), f.priority());
                assertEquals(counting.handle(), f.handle());

                assertEquals(N, TestNet.exchange(udp, N, 2000));
                assertEquals(N, Counts.get(obj, Counts.TC_FIRST));

                // A second filter at an explicit, later priority: the first passes on (TC_ACT_UNSPEC), this drops.
                try (TcNetlinkLink dropping = Net.inNamespace(net.nsB,
                        () -> TcNetlinkLink.attach(drop, ifindex, TcDirection.INGRESS, counting.priority() + 1, 7))) {
                    assertEquals(7, dropping.handle());
                    assertEquals(0, TestNet.exchange(udp, N, 300));
                    assertEquals(2 * N, Counts.get(obj, Counts.TC_FIRST));
                    assertEquals(N, Counts.get(obj, Counts.TC_DROPPED));
                }
                assertEquals(1, Net.inNamespace(net.nsB, () -> TcNetlinkLink.filters(ifindex, TcDirection.INGRESS)).size());
            } finally {
                counting.close();
            }
            assertTrue(Net.inNamespace(net.nsB, () -> TcNetlinkLink.filters(ifindex, TcDirection.INGRESS)).isEmpty());
            assertFalse(Net.inNamespace(net.nsB, () -> TcNetlinkLink.hasClsact(ifindex)),
                    "the qdisc this link added is removed with its last filter");
            assertEquals(N, TestNet.exchange(udp, N, 2000));
            assertEquals(2 * N, Counts.get(obj, Counts.TC_FIRST), "nothing counts after detach");
        }
    }
}
