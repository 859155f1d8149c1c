package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cgroup programs on a cgroup this test makes, fired by a child shell that the test moves into it: cgroup_skb
 * egress counts the child's UDP datagrams, cgroup/sock_create makes its socket() fail; by link and by
 * PROG_ATTACH.
 */
class CgroupKernelTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String SEND_THREE = "for i in 1 2 3; do echo x > /dev/udp/127.0.0.1/" + TestNet.PORT + "; done";
    private Path cgroup;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @BeforeEach
    void makeCgroup() throws Exception {
        cgroup = Cgroups.root().resolve("ebpf4j-test-cg-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        Files.createDirectory(cgroup);
    }

    @AfterEach
    void removeCgroup() throws Exception {
        Files.deleteIfExists(cgroup);
    }

    /** What a child shell did: its exit code and error output. */
    record Child(int exit, String stderr) {
    }

    /** Runs {@code script} in bash, moved into the test cgroup before it starts its work. */
    private Child inCgroup(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "read go; " + script).start();
        try {
            Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(p.pid()));
            try (OutputStream in = p.getOutputStream()) {
                in.write("go\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child finished");
            return new Child(p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDirectoryThatIsNotACgroupV2IsNamedAsSuch(@org.junit.jupiter.api.io.TempDir Path tmp) {
        io.ebpf4j.BpfException e = org.junit.jupiter.api.Assertions.assertThrows(io.ebpf4j.BpfException.class,
                () -> CgroupLink.query(tmp, AttachType.CGROUP_INET_EGRESS));
        assertTrue(e.getMessage().contains("is not a cgroup v2 directory"), e.getMessage());
        assertTrue(e.getMessage().contains("cgroup v2 is mounted at"), e.getMessage());
    }

    @Test
    void skbEgressLinkCountsTheChildsDatagrams() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-cg-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("egress");
        try (BpfObject obj = Counts.load()) {
            Program egress = obj.program("cg_egress");
            int linkId;
            try (CgroupLink link = CgroupLink.attach(egress, cgroup, AttachType.CGROUP_INET_EGRESS)) {
                LinkInfo info = link.info();
                linkId = info.id();
                assertEquals(LinkType.CGROUP, info.type().orElseThrow());
                assertEquals(AttachType.CGROUP_INET_EGRESS, info.attachType().orElseThrow());
                assertEquals(((Number) Files.getAttribute(cgroup, "unix:ino")).longValue(), info.details().get("cgroup_id"));
                HookQuery q = CgroupLink.query(cgroup, AttachType.CGROUP_INET_EGRESS);
                assertEquals(List.of(egress.id()), q.programIds());
                assertEquals(List.of(linkId), q.linkIds());

                assertEquals(0, Counts.get(obj, Counts.CG_EGRESS));
                Child c = inCgroup(SEND_THREE);
                assertEquals(0, c.exit(), c.stderr());
                assertEquals(3, Counts.get(obj, Counts.CG_EGRESS), "the child's three datagrams");

                link.pin(pin);
            }
            Child pinned = inCgroup(SEND_THREE);
            assertEquals(0, pinned.exit(), pinned.stderr());
            assertEquals(6, Counts.get(obj, Counts.CG_EGRESS), "the pin keeps the program attached");
            try (BpfLink reopened = BpfLink.openPinned(pin)) {
                assertEquals(linkId, reopened.id());
                reopened.detach();
                assertTrue(CgroupLink.query(cgroup, AttachType.CGROUP_INET_EGRESS).programIds().isEmpty());
                Files.delete(pin);
            }
            assertFalse(BpfLink.ids().contains(linkId));
            inCgroup(SEND_THREE);
            assertEquals(6, Counts.get(obj, Counts.CG_EGRESS), "detached: nothing counted");
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void sockCreateLinkDeniesTheChildsSocket() throws Exception {
        try (BpfObject obj = Counts.load()) {
            String udp = "echo x > /dev/udp/127.0.0.1/" + TestNet.PORT;
            try (CgroupLink link = CgroupLink.attach(obj.program("sock_deny"), cgroup, AttachType.CGROUP_INET_SOCK_CREATE)) {
                assertEquals(AttachType.CGROUP_INET_SOCK_CREATE, link.info().attachType().orElseThrow());
                Child denied = inCgroup(udp);
                assertNotEquals(0, denied.exit());
                assertTrue(denied.stderr().contains("Operation not permitted"), denied.stderr());
                assertTrue(Counts.get(obj, Counts.SOCK_DENIED) >= 1);

                link.update(obj.program("sock_allow"), obj.program("sock_deny"));
                Child updated = inCgroup(udp);
                assertEquals(0, updated.exit(), "the link now runs the allowing program: " + updated.stderr());
            }
            Child allowed = inCgroup(udp);
            assertEquals(0, allowed.exit(), "closing the link lifted the ban: " + allowed.stderr());
        }
    }

    @Test
    void progAttachFallbackAttachesAndDetaches() throws Exception {
        try (BpfObject obj = Counts.load()) {
            Program deny = obj.program("sock_deny");
            Program egress = obj.program("cg_egress");
            String udp = "echo x > /dev/udp/127.0.0.1/" + TestNet.PORT;
            try (var _ = CgroupAttachment.attach(deny, cgroup, AttachType.CGROUP_INET_SOCK_CREATE,
                    CgroupAttachment.Mode.MULTI)) {
                HookQuery q = CgroupLink.query(cgroup, AttachType.CGROUP_INET_SOCK_CREATE);
                assertEquals(List.of(deny.id()), q.programIds());
                assertEquals(List.of(0), q.linkIds(), "attached without a link");
                Child denied = inCgroup(udp);
                assertNotEquals(0, denied.exit());
                assertTrue(denied.stderr().contains("Operation not permitted"), denied.stderr());
            }
            assertTrue(CgroupLink.query(cgroup, AttachType.CGROUP_INET_SOCK_CREATE).programIds().isEmpty());
            assertEquals(0, inCgroup(udp).exit());

            try (CgroupAttachment a = CgroupAttachment.attach(egress, cgroup, AttachType.CGROUP_INET_EGRESS,
                    CgroupAttachment.Mode.OVERRIDE)) {
                assertTrue(a.describe().contains("override"), a.describe());
                assertEquals(0, inCgroup(SEND_THREE).exit());
                assertEquals(3, Counts.get(obj, Counts.CG_EGRESS));
            }
            assertEquals(0, inCgroup(SEND_THREE).exit());
            assertEquals(3, Counts.get(obj, Counts.CG_EGRESS), "detached on close");
        }
    }

    /**
     * LINK_CREATE for every cgroup attach type: a program of the matching type (returning 1, "allow") attaches,
     * the kernel reports the link with that attach type on this cgroup, and closing removes it. LSM_CGROUP needs
     * BTF-attached LSM programs, which this kernel does not load: it is skipped when PROG_LOAD refuses it.
     */
    @Test
    void everyCgroupAttachTypeLinks() throws Exception {
        long cgroupId = ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
        List<AttachType> skipped = new java.util.ArrayList<>();
        for (AttachType type : CgroupLink.attachTypes()) {
            ProgramType pt = CgroupLink.programType(type).orElseThrow();
            ProgramSpec spec = ProgramSpec.of("cg_" + type.ordinal(), pt,
                    new Assembler().mov64(io.ebpf4j.asm.Register.R0, 1).exit().build()).withExpectedAttachType(type);
            Program p;
            try {
                p = Program.load(spec);
            } catch (io.ebpf4j.BpfException e) {
                assertEquals(AttachType.LSM_CGROUP, type, "only LSM_CGROUP may fail to load here: " + e.getMessage());
                skipped.add(type);
                continue;
            }
            try (p; CgroupLink link = CgroupLink.attach(p, cgroup, type)) {
                LinkInfo info = link.info();
                assertEquals(type, info.attachType().orElseThrow(), type.toString());
                assertEquals(cgroupId, info.details().get("cgroup_id"));
                assertEquals(List.of(p.id()), CgroupLink.query(cgroup, type).programIds(), type.toString());
            }
            assertTrue(CgroupLink.query(cgroup, type).programIds().isEmpty(), type + " detached on close");
        }
        assertTrue(skipped.size() <= 1, skipped.toString());
    }

    /** Cgroup links placed before another link, when the kernel orders cgroup hooks (mprog). */
    @Test
    void cgroupLinksTakeAnOrder() {
        try (BpfObject obj = Counts.load();
             CgroupLink first = CgroupLink.attach(obj.program("cg_egress"), cgroup, AttachType.CGROUP_INET_EGRESS)) {
            long revision = CgroupLink.query(cgroup, AttachType.CGROUP_INET_EGRESS).revision();
            org.junit.jupiter.api.Assumptions.assumeTrue(revision != 0,
                    "this kernel reports no revision for cgroup hooks: they are not ordered");
            try (Program twin = egressTwin();
                 CgroupLink second = CgroupLink.attach(twin, cgroup, AttachType.CGROUP_INET_EGRESS,
                         LinkOrder.before(first).expectRevision(revision))) {
                HookQuery q = CgroupLink.query(cgroup, AttachType.CGROUP_INET_EGRESS);
                assertEquals(List.of(twin.id(), first.info().programId()), q.programIds(), "'before' put it in front");
                assertEquals(List.of(second.id(), first.id()), q.linkIds());
                assertTrue(q.revision() > revision);
            }
        }
    }

    /** A second cgroup_skb egress program (the same one may not be attached twice). */
    private static Program egressTwin() {
        return Program.load(ProgramSpec.of("cg_twin", ProgramType.CGROUP_SKB,
                new Assembler().mov64(io.ebpf4j.asm.Register.R0, 1).exit().build())
                .withExpectedAttachType(AttachType.CGROUP_INET_EGRESS));
    }
}
