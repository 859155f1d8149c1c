package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.AttachType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user sees when an attach cannot work, and that nothing is left open after it. */
class NetErrorsKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    /** An interface index no namespace of this test has: the namespace is fresh and holds only lo (1). */
    private static final int NO_SUCH_IFINDEX = 999_999;

    @Test
    void missingInterfaceIsNamed() {
        BpfException e = assertThrows(BpfException.class, () -> Net.ifindex("ebpf4j-no-such-if"));
        assertTrue(e.getMessage().contains("ebpf4j-no-such-if"), e.getMessage());
    }

    @Test
    void attachToAMissingInterfaceFailsWithEnodevAndLeaksNothing() {
        String ns = TestNet.singleNamespace("err");
        long leaks = Fd.leaks();
        try (BpfObject obj = Counts.load()) {
            SyscallException link = assertThrows(SyscallException.class, () -> Net.inNamespace(ns,
                    () -> XdpLink.attach(obj.program("xdp_count"), NO_SUCH_IFINDEX, XdpMode.SKB)));
            // The kernel says EINVAL for a missing device here; the message says what to check.
            assertEquals(Errno.EINVAL, link.errno(), link.getMessage());
            assertTrue(link.getMessage().contains("xdp_count") && link.getMessage().contains("index 999999"), link.getMessage());

            SyscallException tcx = assertThrows(SyscallException.class, () -> Net.inNamespace(ns,
                    () -> TcxLink.attach(obj.program("tc_first"), NO_SUCH_IFINDEX, TcDirection.INGRESS)));
            assertEquals(Errno.ENODEV, tcx.errno(), tcx.getMessage());

            // The automatic choice falls back to netlink on EINVAL, whose answer is the precise one.
            SyscallException auto = assertThrows(SyscallException.class, () -> Net.inNamespace(ns,
                    () -> Net.attachXdp(obj.program("xdp_count"), NO_SUCH_IFINDEX, XdpMode.SKB)));
            assertEquals(Errno.ENODEV, auto.errno(), auto.getMessage());

            SyscallException nl = assertThrows(SyscallException.class, () -> Net.inNamespace(ns,
                    () -> XdpNetlinkLink.attach(obj.program("xdp_count"), NO_SUCH_IFINDEX, XdpMode.SKB)));
            assertEquals(Errno.ENODEV, nl.errno(), nl.getMessage());
            assertTrue(nl.getMessage().contains("netlink"), nl.getMessage());

            SyscallException tc = assertThrows(SyscallException.class, () -> Net.inNamespace(ns,
                    () -> TcNetlinkLink.attach(obj.program("tc_first"), NO_SUCH_IFINDEX, TcDirection.INGRESS)));
            assertEquals(Errno.ENODEV, tc.errno(), tc.getMessage());
        } finally {
            TestNet.quietly("ip", "netns", "del", ns);
        }
        System.gc();
        assertEquals(leaks, Fd.leaks(), "failed attaches closed what they opened");
    }

    @Test
    void anInterruptedCallerLeavesAtOnceAndWhatTheTaskMakesIsClosed() throws Exception {
        String ns = TestNet.singleNamespace("intr");
        try {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch closed = new CountDownLatch(1);
            AtomicReference<Throwable> callerGot = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    Net.inNamespace(ns, () -> {
                        started.countDown();
                        // Work that ignores interrupts for a while, then makes something that must be closed.
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        return (AutoCloseable) closed::countDown;
                    });
                } catch (Throwable t) {
                    callerGot.set(t);
                }
            });
            caller.start();
            assertTrue(started.await(10, TimeUnit.SECONDS));
            caller.interrupt();
            caller.join(2_000);
            assertFalse(caller.isAlive(), "the interrupted caller still waits");
            assertTrue(callerGot.get() instanceof BpfException, String.valueOf(callerGot.get()));
            assertTrue(callerGot.get().getMessage().contains("interrupted"), callerGot.get().getMessage());
            assertTrue(closed.await(10, TimeUnit.SECONDS), "the task's result was never closed");
        } finally {
            TestNet.quietly("ip", "netns", "del", ns);
        }
    }

    @Test
    void wrongProgramTypeForTheHookIsRefused() {
        // Refused before any system call (the kernel would say only EINVAL), naming both types.
        try (BpfObject obj = Counts.load()) {
            Path cgroup = Cgroups.root();
            BpfException e = assertThrows(BpfException.class,
                    () -> CgroupLink.attach(obj.program("xdp_count"), cgroup, AttachType.CGROUP_INET_EGRESS));
            assertTrue(e.getMessage().contains("program 'xdp_count' is a xdp program, and a cgroup_inet_egress hook "
                    + "runs cgroup_skb programs"), e.getMessage());
            BpfException xdp = assertThrows(BpfException.class,
                    () -> XdpNetlinkLink.attach(obj.program("tc_first"), 1, XdpMode.SKB));
            assertTrue(xdp.getMessage().contains("is a sched_cls program, and a xdp hook runs xdp programs"),
                    xdp.getMessage());
            BpfException tc = assertThrows(BpfException.class,
                    () -> TcNetlinkLink.attach(obj.program("xdp_count"), 1, TcDirection.INGRESS));
            assertTrue(tc.getMessage().contains("is a xdp program, and a tc (cls_bpf) hook runs sched_cls programs"),
                    tc.getMessage());
        }
        assertTrue(AttachType.TRACE_FENTRY.programType().isEmpty(), "extension programs attach there too");
    }
}
