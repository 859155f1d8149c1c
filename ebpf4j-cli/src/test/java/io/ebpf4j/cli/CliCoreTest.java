package io.ebpf4j.cli;

import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.TestRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.ebpf4j.cli.CliTest.ok;
import static io.ebpf4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code prog loadall --target-btf}: CO-RE against a BTF file rather than the running kernel's. */
class CliCoreTest {

    @TempDir
    static Path tmp;
    static Path object;

    private final Path pinDir = Path.of("/sys/fs/bpf").resolve("ebpf4j-cli-core-test-" + ProcessHandle.current().pid());

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        CliTest.kernel();
        object = Fixtures.compile("cli_core", tmp);
    }

    @AfterEach
    void unpin() throws IOException {
        Fixtures.removeTree(pinDir);
    }

    /** A target where cli_core_t.b is at byte 8 (the object was compiled with it at 4). */
    private static Path targetBtf() throws IOException {
        BtfWriter w = new BtfWriter();
        int i32 = w.addInt("int", 4, true);
        int i64 = w.addInt("long", 8, true);
        w.addStruct("cli_core_t", 16, new BtfWriter.Member("pad", i64, 0), new BtfWriter.Member("b", i32, 64),
                new BtfWriter.Member("a", i32, 96));
        Path btf = tmp.resolve("target-" + ProcessHandle.current().pid() + ".btf");
        Files.write(btf, w.toBytes());
        return btf;
    }

    @Test
    void coreShowsEachRelocationWithoutLoading() throws IOException {
        Path btf = targetBtf();
        String text = ok("core", object.toString(), "--target-btf", btf.toString()).out();
        assertEquals("cli_core: 1 CO-RE relocation\n\tinsn 0  FIELD_BYTE_OFFSET  struct cli_core_t.b  4 -> 8\n", text);

        Map<String, Object> r = Json.object(Json.array(ok("core", object.toString(), "cli_core", "--target-btf",
                btf.toString(), "-j").json()).getFirst());
        assertEquals("cli_core", r.get("program"));
        assertEquals("FIELD_BYTE_OFFSET", r.get("kind"));
        assertEquals("struct cli_core_t.b", r.get("target"));
        assertEquals("0:1", r.get("access"));
        assertEquals(4L, r.get("local_value"));
        assertEquals(8L, r.get("target_value"));
        assertEquals(false, r.get("poisoned"));

        String kernel = ok("core", object.toString()).out();
        assertTrue(kernel.contains("struct cli_core_t.b  poisoned: no type named like cli_core_t (struct) in kernel BTF"),
                kernel);
        CliTest.Result bad = run("core", object.toString(), "nope");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("has no program 'nope'"), bad.err());
    }

    @Test
    void loadallResolvesCoreAgainstTheNamedBtf() throws IOException {
        Path btf = targetBtf();

        Path progs = pinDir.resolve("progs");
        Path maps = pinDir.resolve("maps");
        ok("prog", "loadall", object.toString(), progs.toString(), "--pinmaps", maps.toString(),
                "--target-btf", btf.toString());
        try (Program p = Program.openPinned(progs.resolve("cli_core"));
             BpfMap bss = BpfMap.openPinned(maps.resolve("cli_core_bss"))) {
            assertEquals(0, p.testRun(TestRun.empty()).retval());
            byte[] value = bss.lookup(new byte[4]).orElseThrow();
            assertEquals(8, ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getLong(0),
                    "the offset of b in the target BTF, not the compiled 4");
        }
    }

    @Test
    void withoutTheTargetTheUnresolvedRelocationIsNamed() {
        CliTest.Result r = run("prog", "loadall", object.toString(), pinDir.resolve("progs").toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("FIELD_BYTE_OFFSET of struct cli_core_t.b"), r.err());
        assertFalse(Files.exists(pinDir.resolve("progs").resolve("cli_core")));
    }

    @Test
    void aMissingTargetFileIsNamed() {
        CliTest.Result r = run("prog", "loadall", object.toString(), pinDir.resolve("progs").toString(),
                "--target-btf", tmp.resolve("no-such.btf").toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("no-such.btf"), r.err());
    }
}
