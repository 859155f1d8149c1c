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

/**
 * The commands about object files: {@code object show}, {@code prog loadall}, {@code prog dump}. The object is
 * {@code cli.bpf.c}, compiled with clang-19 when it is installed.
 */
class CliObjectTest {
    private static final Path BPFFS = Path.of("/sys/fs/bpf");

    @TempDir
    static Path tmp;
    static Path object;
    static Path unsafeObject;

    /** Where loadall pins, in the kernel's bpffs; removed after each test. */
    private final Path pinDir = BPFFS.resolve("ebpf4j-cli-test-" + ProcessHandle.current().pid());

    @BeforeAll
    static void compileObjects() throws IOException, InterruptedException {
        CliTest.kernel();
        object = Fixtures.compile("cli", tmp);
        unsafeObject = Fixtures.compile("cli_bad", tmp);
    }

    private static Path compile(String name) throws IOException, InterruptedException {
        return Fixtures.compile(name, tmp);
    }

    @AfterEach
    void unpin() throws IOException {
        Fixtures.removeTree(pinDir);
    }

    /** The C header of a small object's BTF (cli_types.bpf.c: types only) is exactly the expected text. */
    @Test
    void btfDumpFormatCOfASmallObject() throws IOException, InterruptedException {
        Path types = compile("cli_types");
        assertEquals("""
                #ifndef __VMLINUX_H__
                #define __VMLINUX_H__

                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
                #endif

                enum mode {
                \tMODE_OFF = 0,
                \tMODE_ON = 5,
                };

                typedef unsigned int u32;

                struct point {
                \tint x;
                \tint y;
                };

                struct node;

                struct shape {
                \tenum mode mode;
                \tu32 flags: 3;
                \tu32 kind: 5;
                \tstruct point corners[2];
                \tstruct node *next;
                \tunion {
                \t\tint i;
                \t\tfloat f;
                \t} u;
                \tint (*area)(const struct shape *);
                \tchar name[2][4];
                };

                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute pop
                #endif

                #endif /* __VMLINUX_H__ */
                """, ok("btf", "dump", "file", types.toString(), "format", "c").out());
    }

    /** {@code btf dump file} of an object file reads its .BTF section: as C, and raw. */
    @Test
    void btfDumpOfTheObjectFile() {
        String c = ok("btf", "dump", "file", object.toString(), "format", "c").out();
        assertTrue(c.startsWith("#ifndef __VMLINUX_H__\n"), c);
        assertTrue(c.contains("\ntypedef unsigned int __u32;\n"), c);
        assertTrue(c.contains("\nstruct xdp_md {\n\t__u32 data;\n"), c);
        assertFalse(c.contains("cli_seen"), "variables and sections are not types C declares");
        String raw = ok("btf", "dump", "file", object.toString()).out();
        assertTrue(raw.contains("DATASEC '.bss'"), raw);
        assertTrue(raw.contains("FUNC 'cli_xdp'"), raw);
    }

    @Test
    void objectShowListsProgramsMapsAndVariables() throws IOException {
        String text = ok("object", "show", object.toString()).out();
        assertTrue(text.startsWith(object + ": object cli  license GPL  version 0\nsections:\n"), text);
        assertTrue(text.contains("\txdp  programs cli_xdp\n"), text);
        assertTrue(text.contains("\t.maps  maps cli_counts\n"), text);
        assertTrue(text.contains("\n\tcli_xdp: xdp  section xdp  expected_attach_type xdp  insns "), text);
        assertTrue(text.contains("\n\tcli_off: sched_cls  section ?tc  insns 2  noautoload\n"), text);
        assertTrue(text.contains("\n\tcli_counts: array  origin btf  key 4B  value 8B  max_entries 2  flags 0x0"
                + "  pinning none\n"), text);
        assertTrue(text.contains("\n\tcli_step: map cli.rodata  offset 0  size 4  ro\n"), text);

        Map<String, Object> doc = Json.object(ok("object", "show", object.toString(), "-j").json());
        assertEquals("GPL", doc.get("license"));
        List<Object> programs = Json.array(doc.get("programs"));
        assertEquals(List.of("cli_xdp", "cli_socket", "cli_off"),
                programs.stream().map(p -> Json.object(p).get("name")).toList());
        Map<String, Object> xdp = Json.object(programs.get(0));
        assertEquals("xdp", xdp.get("type"));
        assertEquals(true, xdp.get("autoload"));
        Map<String, Object> counts = Json.object(Json.array(doc.get("maps")).get(0));
        assertEquals("cli_counts", counts.get("name"));
        assertEquals("btf", counts.get("origin"));
        assertEquals(2L, counts.get("max_entries"));
        assertTrue(Json.array(doc.get("variables")).stream()
                .anyMatch(v -> "cli_seen".equals(Json.object(v).get("name"))));
    }

    @Test
    void loadallPinsProgramsAndMaps() throws IOException {
        Path progs = pinDir.resolve("progs");
        Path maps = pinDir.resolve("maps");
        CliTest.Result r = ok("prog", "loadall", object.toString(), progs.toString(), "--pinmaps", maps.toString());
        assertEquals("", r.out(), "loadall prints nothing");
        // The programs that load by default, and every map (dots made underscores: bpffs refuses them).
        assertEquals(List.of("cli_socket", "cli_xdp"), names(progs));
        assertEquals(List.of("cli_bss", "cli_counts", "cli_rodata"), names(maps));

        String show = ok("prog", "show", "pinned", progs.resolve("cli_xdp").toString()).out();
        assertTrue(show.contains(": xdp  name cli_xdp  tag "), show);
        Map<String, Object> info = Json.object(ok("prog", "show", "pinned", progs.resolve("cli_socket").toString(),
                "-j").json());
        assertEquals("socket_filter", info.get("type"));

        // The pins outlive the command; loading again over them fails and takes back what it pinned.
        Path other = pinDir.resolve("other");
        CliTest.Result again = run("prog", "loadall", object.toString(), other.toString(), "--pinmaps",
                maps.toString());
        assertEquals(1, again.exit());
        assertTrue(again.err().startsWith("ebpf4j: BPF_OBJ_PIN ("), again.err());
        assertTrue(again.err().contains("EEXIST"), again.err());
        assertEquals(1, again.err().lines().count(), again.err());
        assertFalse(Files.exists(other), "the failed load removed the pins and directory it made");
    }

    @Test
    void dumpXlatedOfPinnedProgram() throws IOException {
        Path progs = pinDir.resolve("progs");
        ok("prog", "loadall", object.toString(), progs.toString());
        String pinned = progs.resolve("cli_xdp").toString();
        String text = ok("prog", "dump", "xlated", "pinned", pinned).out();
        assertTrue(text.startsWith("   0: ("), text);
        assertTrue(text.contains(") exit\n"), text);
        assertTrue(text.contains("map[id:"), text);

        List<Object> insns = Json.array(ok("prog", "dump", "xlated", "pinned", pinned, "-j").json());
        Map<String, Object> first = Json.object(insns.getFirst());
        assertEquals(0L, first.get("insn"));
        assertEquals(16, ((String) first.get("bytes")).length());
        assertTrue(insns.stream().anyMatch(i -> "exit".equals(Json.object(i).get("text"))));
    }

    @Test
    void dumpFileShowsEachProgram() throws IOException {
        String all = ok("prog", "dump", "file", object.toString()).out();
        assertTrue(all.startsWith("cli_xdp (xdp, section xdp):\n   0: ("), all);
        assertTrue(all.contains("\n\ncli_socket (socket_filter, section socket):\n"), all);
        assertTrue(all.contains("\ncli_off (sched_cls, section ?tc):\n"), all);
        assertTrue(all.contains(") exit\n"), all);

        String one = ok("prog", "dump", "file", object.toString(), "cli_socket").out();
        assertEquals("cli_socket (socket_filter, section socket):\n   0: (b7) r0 = 0x0\n   1: (95) exit\n", one);

        List<Object> json = Json.array(ok("prog", "dump", "file", object.toString(), "cli_xdp", "-j").json());
        assertEquals("cli_xdp", Json.object(json.getFirst()).get("name"));

        CliTest.Result missing = run("prog", "dump", "file", object.toString(), "nosuch");
        assertEquals(1, missing.exit());
        assertEquals(1, missing.err().lines().count(), missing.err());
    }

    @Test
    void brokenObjectIsOneLineAndExitOne() throws IOException {
        Path zeros = tmp.resolve("zeros.o");
        Files.write(zeros, new byte[256]);
        for (String[] args : List.of(new String[] {"object", "show", zeros.toString()},
                new String[] {"prog", "dump", "file", zeros.toString()},
                new String[] {"prog", "loadall", zeros.toString(), pinDir.toString()})) {
            CliTest.Result r = run(args);
            assertEquals(1, r.exit(), String.join(" ", args));
            assertEquals("", r.out());
            assertTrue(r.err().startsWith("ebpf4j: "), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        assertFalse(Files.exists(pinDir));
    }

    @Test
    void verifierFailureSaysWhyAndPinsNothing() {
        CliTest.Result r = run("prog", "loadall", unsafeObject.toString(), pinDir.resolve("progs").toString(),
                "--pinmaps", pinDir.resolve("maps").toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("ebpf4j: the verifier rejected program 'cli_unsafe' (EACCES)"), r.err());
        // The verifier's own words follow the first line.
        assertTrue(r.err().contains("\n  | R0 invalid mem access 'map_value_or_null'\n"), r.err());
        assertFalse(Files.exists(pinDir), "nothing pinned");
    }

    @Test
    void autoattachNamesTheProgramsItLeavesUnattached() {
        // cli.bpf.o's xdp and socket programs name no hook that can be attached without more input.
        CliTest.Result r = run("prog", "loadall", object.toString(), pinDir.resolve("progs").toString(), "--autoattach");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("ebpf4j: not attached cli_xdp: "), r.err());
    }

    @Test
    void aLoadallThatFailsHalfWayRemovesThePinsAndDirectoriesItMade() throws IOException, InterruptedException {
        Path pinned = compile("cli_pinned");
        Path pinRoot = pinDir.resolve("root/sub");
        Path progs = tmp.resolve("not-bpffs/progs");
        // The load pins the object's map under pinRoot (making pinDir, root and sub); the programs' pins then fail:
        // their directory is not in a bpffs.
        CliTest.Result r = run("prog", "loadall", pinned.toString(), progs.toString(), "--pin-root", pinRoot.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("EPERM"), r.err());
        assertFalse(Files.exists(pinDir), "the map's pin or the directories made for it are left");
        assertFalse(Files.exists(progs.getParent()), "the directories made for the programs' pins are left");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
