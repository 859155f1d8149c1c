package io.ebpf4j.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.ebpf4j.cli.CliTest.ok;
import static io.ebpf4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prog loadall --autoattach} and {@code link list|show|pin|detach}, against the kernel. */
class CliLinkTest {

    @TempDir
    static Path tmp;
    static Path object;

    private final Path pinDir = Path.of("/sys/fs/bpf").resolve("ebpf4j-cli-link-test-" + ProcessHandle.current().pid());

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        CliTest.kernel();
        object = Fixtures.compile("cli_link", tmp);
    }

    @AfterEach
    void unpin() throws IOException {
        Fixtures.removeTree(pinDir);
    }

    private static List<Long> linkIds() throws IOException {
        return Json.array(ok("link", "list", "-j").json()).stream().map(l -> (Long) Json.object(l).get("id")).toList();
    }

    @Test
    void loadallAutoattachPinsLinksThatListShowPinAndDetachSee() throws Exception {
        CliTest.Result loaded = CliTest.run("prog", "loadall", object.toString(), pinDir.toString(), "--autoattach");
        assertEquals(0, loaded.exit(), loaded.err());
        assertEquals("ebpf4j: not attached cli_xdp: section 'xdp' names no attach target", loaded.err().strip(),
                "the program left unattached is named, and nothing else is said");
        try (Stream<Path> s = Files.list(pinDir)) {
            assertEquals(List.of("cli_raw", "cli_raw_link", "cli_tp", "cli_tp_link", "cli_xdp"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "xdp names no target: no link");
        }
        Map<String, Object> raw = Json.object(ok("link", "show", "pinned", pinDir.resolve("cli_raw_link").toString(), "-j").json());
        assertEquals("raw_tracepoint", raw.get("type"));
        assertEquals("sys_exit", raw.get("tp_name"));
        long progId = (Long) Json.object(ok("prog", "show", "pinned", pinDir.resolve("cli_raw").toString(), "-j").json()).get("id");
        assertEquals(progId, raw.get("prog_id"), "the link runs the pinned program");
        long rawId = (Long) raw.get("id");

        Map<String, Object> tp = Json.object(ok("link", "show", "pinned", pinDir.resolve("cli_tp_link").toString(), "-j").json());
        assertEquals("perf_event", tp.get("type"));
        assertEquals("tracepoint", tp.get("event_type"));
        assertEquals("sys_enter_getppid", tp.get("tracepoint"));
        long tpId = (Long) tp.get("id");
        assertTrue(linkIds().containsAll(List.of(rawId, tpId)), "link list shows both");

        String text = ok("link", "show", "id", Long.toString(rawId)).out();
        assertEquals(rawId + ": raw_tracepoint  prog " + progId + "\n\ttp_name sys_exit  cookie 0\n", text);
        assertTrue(ok("link").out().contains(rawId + ": raw_tracepoint  prog " + progId), "no subcommand: list");

        Path extra = pinDir.resolve("extra");
        ok("link", "pin", "id", Long.toString(rawId), extra.toString());
        assertEquals(rawId, Json.object(ok("link", "show", "pinned", extra.toString(), "-j").json()).get("id"));

        CliTest.Result detach = run("link", "detach", "pinned", extra.toString());
        assertEquals(1, detach.exit());
        assertTrue(detach.err().contains("LINK_DETACH for raw_tracepoint links"), detach.err());

        CliTest.Result missing = run("link", "show", "id", "2147483646");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("ENOENT"), missing.err());

        unpin();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (linkIds().contains(rawId) || linkIds().contains(tpId)) {
            assertTrue(System.nanoTime() < deadline, "links still listed after their pins went");
            Thread.sleep(10);
        }
        assertFalse(linkIds().contains(rawId));
    }
}
