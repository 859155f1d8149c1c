package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sockets;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.AttachType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Hooks of a whole network namespace, in a fresh namespace this test makes (so that all traffic in it is the
 * test's): netfilter LOCAL_OUT and sk_lookup, fired by UDP datagrams over its loopback.
 */
class NetnsHooksKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    /** Sends {@code n} datagrams to 127.0.0.1:PORT inside {@code ns}, to a receiver bound there; returns received. */
    private static int loopback(String ns, int n) {
        return Net.inNamespace(ns, () -> {
            try (Fd rx = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp receiver");
                 Fd tx = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "udp sender");
                 Arena arena = Arena.ofConfined()) {
                Sockets.bindInet(rx.get(), Sockets.INADDR_LOOPBACK, TestNet.PORT, "udp receiver");
                Sockets.connectInet(tx.get(), Sockets.INADDR_LOOPBACK, TestNet.PORT, "udp sender");
                MemorySegment buf = arena.allocate(64);
                int got = 0;
                for (int i = 0; i < n; i++) {
                    Sockets.send(tx.get(), arena.allocateFrom("x"), 0);
                    if (Sockets.recv(rx.get(), buf, 0) > 0) {
                        got++;
                    }
                }
                return got;
            }
        });
    }

    @Test
    void netfilterLocalOutAndSkLookupFire() throws Exception {
        String ns = TestNet.singleNamespace("nsh");
        try (BpfObject obj = Counts.load()) {
            NetfilterLink.Options where = NetfilterLink.Options.of(NetfilterLink.Family.IPV4, NetfilterLink.Hook.LOCAL_OUT, -128);
            int nfId;
            try (NetfilterLink nf = Net.inNamespace(ns, () -> NetfilterLink.attach(obj.program("nf_count"), where));
                 NetnsLink lookup = NetnsLink.attach(obj.program("lookup_count"), Net.NETNS_DIR.resolve(ns), AttachType.SK_LOOKUP)) {
                LinkInfo info = nf.info();
                nfId = info.id();
                assertEquals(LinkType.NETFILTER, info.type().orElseThrow());
                assertEquals(2, info.details().get("pf"));
                assertEquals(3, info.details().get("hooknum"));
                assertEquals(-128, info.details().get("prio"));

                LinkInfo li = lookup.info();
                assertEquals(LinkType.NETNS, li.type().orElseThrow());
                assertEquals(AttachType.SK_LOOKUP, li.attachType().orElseThrow());
                assertEquals(((Number) Files.getAttribute(Net.NETNS_DIR.resolve(ns), "unix:ino")).longValue(),
                        li.details().get("netns_ino"));

                assertEquals(3, loopback(ns, 3));
                assertEquals(3, Counts.get(obj, Counts.NF_LOCAL_OUT), "three datagrams left through LOCAL_OUT");
                assertEquals(3, Counts.get(obj, Counts.SK_LOOKUPS), "three socket lookups on receive");

                // Netfilter links cannot swap programs: the kernel says so, and the link keeps running.
                io.ebpf4j.SyscallException noUpdate = org.junit.jupiter.api.Assertions.assertThrows(
                        io.ebpf4j.SyscallException.class, () -> nf.update(obj.program("nf_count")));
                assertEquals(io.ebpf4j.Errno.EOPNOTSUPP, noUpdate.errno(), noUpdate.getMessage());
            }
            assertFalse(BpfLink.ids().contains(nfId));
            assertEquals(3, loopback(ns, 3));
            assertEquals(3, Counts.get(obj, Counts.NF_LOCAL_OUT), "closed links do not fire");
            assertEquals(3, Counts.get(obj, Counts.SK_LOOKUPS));
        } finally {
            TestNet.quietly("ip", "netns", "del", ns);
        }
    }

    @Test
    void netnsLinkRefusesOtherAttachTypes() {
        Path self = NetnsLink.CURRENT;
        try (BpfObject obj = Counts.load()) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> NetnsLink.attach(obj.program("xdp_count"), self, AttachType.XDP));
        }
    }

    /**
     * A flow dissector link on a fresh namespace: attached (info names the namespace and attach type), a second
     * one refused while it lives (one per namespace), gone on close. Not fired: which packets get dissected
     * depends on the receive path.
     */
    @Test
    void flowDissectorLinkIsOnePerNamespace() {
        String ns = TestNet.singleNamespace("fd");
        Path file = Net.NETNS_DIR.resolve(ns);
        io.ebpf4j.program.ProgramSpec spec = io.ebpf4j.program.ProgramSpec.of("dissect",
                io.ebpf4j.program.ProgramType.FLOW_DISSECTOR,
                new io.ebpf4j.asm.Assembler().mov64(io.ebpf4j.asm.Register.R0, 0).exit().build())
                .withExpectedAttachType(AttachType.FLOW_DISSECTOR);
        try (io.ebpf4j.program.Program p = io.ebpf4j.program.Program.load(spec)) {
            int id;
            try (NetnsLink link = NetnsLink.attach(p, file, AttachType.FLOW_DISSECTOR)) {
                id = link.id();
                assertEquals(AttachType.FLOW_DISSECTOR, link.info().attachType().orElseThrow());
                io.ebpf4j.SyscallException busy = org.junit.jupiter.api.Assertions.assertThrows(
                        io.ebpf4j.SyscallException.class, () -> NetnsLink.attach(p, file, AttachType.FLOW_DISSECTOR));
                assertEquals(io.ebpf4j.Errno.E2BIG, busy.errno(), busy.getMessage());
            }
            assertFalse(BpfLink.ids().contains(id));
        } finally {
            TestNet.quietly("ip", "netns", "del", ns);
        }
    }
}
