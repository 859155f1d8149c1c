package io.ebpf4j.cli;

import io.ebpf4j.Mounts;
import io.ebpf4j.link.BpfLink;
import io.ebpf4j.link.Cgroups;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ebpf4j net} and {@code ebpf4j cgroup} against the kernel: attach, list and detach on a veth pair in a
 * network namespace and on a cgroup this test makes.
 */
class CliNetTest {
    private static final long PID = ProcessHandle.current().pid();

    @BeforeAll
    static void kernel() {
        CliTest.kernel();
    }

    /** {@code r0 = value; exit}. */
    private static Program returning(String name, ProgramType type, AttachType expected, int value) {
        byte[] code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0xb7L | (long) value << 32).putLong(0x95L).array();
        ProgramSpec spec = ProgramSpec.of(name, type, code);
        return Program.load(expected == null ? spec : spec.withExpectedAttachType(expected));
    }

    private static void ip(String... args) throws Exception {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", args) + ": " + out);
    }

    private static void quietly(String... args) {
        try {
            new ProcessBuilder(args).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // cleanup of something that may not exist
        }
    }

    private static Map<String, Object> list(String ns) throws Exception {
        return Json.object(CliTest.ok("net", "list", "--netns", ns, "-j").json());
    }

    @Test
    void netAttachListDetachXdpTcxAndTc() throws Exception {
        String ns = "ebpf4j-clinet-" + PID;
        String dev = "e4c" + PID + "a";
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-clinet-" + PID);
        Path progPin = dir.resolve("xdp");
        Path linkPin = dir.resolve("tcx_link");
        try (Program xdp = returning("cli_xdp", ProgramType.XDP, AttachType.XDP, 2);
             Program tc = returning("cli_tc", ProgramType.SCHED_CLS, null, -1)) {
            ip("ip", "netns", "add", ns);
            ip("ip", "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", "e4c" + PID + "b");
            xdp.pin(progPin);

            String attached = CliTest.ok("net", "attach", "xdpgeneric", "pinned", progPin.toString(), "dev", dev,
                    "--netns", ns).out();
            assertTrue(attached.contains("netlink"), attached);
            List<Object> xdps = Json.array(list(ns).get("xdp"));
            assertEquals(1, xdps.size(), xdps.toString());
            Map<String, Object> x = Json.object(xdps.getFirst());
            assertEquals(dev, x.get("devname"));
            assertEquals("xdpgeneric", x.get("mode"));
            assertEquals(xdp.id(), ((Number) x.get("id")).intValue());
            // A second attach without 'overwrite' is refused.
            CliTest.Result busy = CliTest.run("net", "attach", "xdpgeneric", "id", Integer.toString(xdp.id()), "dev", dev,
                    "--netns", ns);
            assertNotEquals(0, busy.exit());
            assertTrue(busy.err().contains("EBUSY"), busy.err());
            CliTest.ok("net", "attach", "xdpgeneric", "id", Integer.toString(xdp.id()), "dev", dev, "overwrite", "--netns", ns);

            CliTest.ok("net", "attach", "tcx_ingress", "id", Integer.toString(tc.id()), "dev", dev, "--netns", ns,
                    "--pin", linkPin.toString());
            CliTest.ok("net", "attach", "tc_egress", "id", Integer.toString(tc.id()), "dev", dev, "--netns", ns);
            List<Object> tcs = Json.array(list(ns).get("tc"));
            assertEquals(2, tcs.size(), tcs.toString());
            Map<String, Object> tcx = Json.object(tcs.get(0));
            assertEquals("tcx/ingress", tcx.get("kind"));
            assertEquals("cli_tc", tcx.get("name"));
            int linkId = ((Number) tcx.get("link_id")).intValue();
            try (BpfLink pinned = BpfLink.openPinned(linkPin)) {
                assertEquals(linkId, pinned.id());
            }
            Map<String, Object> cls = Json.object(tcs.get(1));
            assertEquals("clsact/egress", cls.get("kind"));
            assertEquals(Boolean.TRUE, cls.get("direct_action"));
            assertEquals(tc.id(), ((Number) cls.get("prog_id")).intValue());
            String text = CliTest.ok("net", "list", "--netns", ns, "dev", dev).out();
            assertTrue(text.contains(dev + "(") && text.contains("tcx/ingress cli_tc") && text.contains("xdpgeneric"), text);

            assertTrue(CliTest.ok("net", "detach", "xdpgeneric", "dev", dev, "--netns", ns).out().contains("detached 1"));
            CliTest.ok("net", "detach", "tcx_ingress", "dev", dev, "--netns", ns);
            CliTest.ok("net", "detach", "tc_egress", "dev", dev, "--netns", ns);
            Map<String, Object> after = list(ns);
            assertTrue(Json.array(after.get("xdp")).isEmpty(), after.toString());
            assertTrue(Json.array(after.get("tc")).isEmpty(), after.toString());

            CliTest.Result tcxNoPin = CliTest.run("net", "attach", "tcx_egress", "id", Integer.toString(tc.id()), "dev", dev,
                    "--netns", ns);
            assertNotEquals(0, tcxNoPin.exit());
            assertTrue(tcxNoPin.err().contains("--pin"), tcxNoPin.err());
            assertEquals(2, CliTest.run("net", "attach", "bogus", "id", "1", "dev", dev).exit(), "usage error");
        } finally {
            quietly("ip", "netns", "del", ns);
            Files.deleteIfExists(linkPin);
            Files.deleteIfExists(progPin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void cgroupAttachListDetach() throws Exception {
        Path cg = Cgroups.root().resolve("ebpf4j-test-clicg-" + PID);
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-clicg-" + PID);
        Path linkPin = dir.resolve("link");
        Files.createDirectory(cg);
        try (Program p = returning("cli_cg", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, 1)) {
            String id = Integer.toString(p.id());
            CliTest.ok("cgroup", "attach", cg.toString(), "egress", "id", id, "multi");
            List<Object> rows = Json.array(CliTest.ok("cgroup", "list", cg.toString(), "-j").json());
            assertEquals(1, rows.size(), rows.toString());
            Map<String, Object> row = Json.object(rows.getFirst());
            assertEquals("egress", row.get("attach_type"));
            assertEquals("cli_cg", row.get("name"));
            assertFalse(row.containsKey("link_id"));
            CliTest.ok("cgroup", "detach", cg.toString(), "egress", "id", id);
            assertTrue(Json.array(CliTest.ok("cgroup", "list", cg.toString(), "-j").json()).isEmpty());

            // By link, with the cgroup named relative to the cgroup v2 mount.
            CliTest.ok("cgroup", "attach", cg.getFileName().toString(), "cgroup_inet_ingress", "id", id, "--pin", linkPin.toString());
            String text = CliTest.ok("cgroup", "list", cg.toString()).out();
            assertTrue(text.contains("ingress") && text.contains("cli_cg"), text);
            Map<String, Object> linked = Json.object(Json.array(CliTest.ok("cgroup", "list", cg.toString(), "-j").json()).getFirst());
            int linkId = ((Number) linked.get("link_id")).intValue();
            CliTest.ok("cgroup", "detach", cg.toString(), "ingress", "id", id);
            assertTrue(Json.array(CliTest.ok("cgroup", "list", cg.toString(), "-j").json()).isEmpty());
            try (BpfLink l = BpfLink.openPinned(linkPin)) {
                assertEquals(linkId, l.id(), "the pinned link stays, defunct");
            }
            CliTest.Result bad = CliTest.run("cgroup", "attach", cg.toString(), "nonsense", "id", id);
            assertEquals(2, bad.exit());
        } finally {
            Files.deleteIfExists(linkPin);
            Files.deleteIfExists(dir);
            Files.deleteIfExists(cg);
        }
    }
}
