package io.ebpf4j.asm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares encoder and disassembler against LLVM's BPF backend when an LLVM toolchain (18 or newer, for ISA v4)
 * is on the PATH; skipped otherwise.
 */
class LlvmCrossCheckTest {

    private static final List<String> VERSIONS = List.of("-19", "-20", "-21", "-18", "");
    private static final Pattern LINE = Pattern.compile("^\\s*(\\d+):\\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\\s+(.*)$");
    private static final Pattern HEX_BRANCH = Pattern.compile("(goto|gotol|may_goto) ([+-])0x([0-9a-f]+)");
    private static final Pattern TARGET = Pattern.compile(" <[^<>]*>$");

    private static String clang;
    private static String objdump;

    @TempDir
    Path dir;

    @BeforeAll
    static void findToolchain() {
        for (String v : VERSIONS) {
            String c = onPath("clang" + v);
            String d = onPath("llvm-objdump" + v);
            if (c != null && d != null) {
                clang = c;
                objdump = d;
                return;
            }
        }
    }

    /**
     * Every assembler form llvm's assembler also accepts must encode to llvm's bytes, and llvm's bytes must
     * disassemble to llvm's text. Forms with ebpf4j-only notation are left out.
     */
    @Test
    void assemblerFormsMatchLlvm() throws Exception {
        var forms = new ArrayList<AllForms.Form>();
        for (AllForms.Form form : AllForms.FORMS) {
            if (llvmCanParse(form.text())) {
                forms.add(form);
            }
        }
        var src = new StringBuilder("\t.text\n\t.globl f\nf:\n");
        for (AllForms.Form form : forms) {
            src.append('\t').append(form.text()).append('\n');
        }
        Path asm = dir.resolve("forms.s");
        Files.writeString(asm, src);
        List<Listed> listed = compileAndList(asm);

        assertEquals(forms.size(), listed.size());
        for (int i = 0; i < forms.size(); i++) {
            AllForms.Form form = forms.get(i);
            Listed l = listed.get(i);
            assertArrayEquals(l.bytes(), form.instruction().encode(), form.text());
            assertTrue(l.texts().contains(form.text()), form.text() + " vs llvm " + l.texts());
        }
    }

    /** Real code generation: whatever clang emits for a small program must disassemble the way llvm does. */
    @Test
    void compiledProgramMatchesLlvm() throws Exception {
        Path c = dir.resolve("prog.c");
        Files.writeString(c, """
                typedef unsigned long long u64;
                typedef unsigned int u32;
                typedef signed char s8;
                static void *(*lookup)(void *map, const void *key) = (void *) 1;
                struct { int type; } counters __attribute__((section(".maps")));
                u64 total;

                static __attribute__((noinline)) u64 mix(u64 a, s8 b) {
                    return (a >> 3) ^ (u64)(long) b ^ __builtin_bswap32((u32) a);
                }

                __attribute__((section("xdp"))) int prog(u32 *ctx) {
                    u32 key = ctx[1];
                    u64 *v = lookup(&counters, &key);
                    if (!v)
                        return 0;
                    __sync_fetch_and_add(v, 1);
                    u64 old = __sync_fetch_and_or(&total, 4);
                    long s = (long) ctx[2] / (int) key;
                    for (int i = 0; i < 4; i++)
                        s += mix(s, (s8) i) % 7;
                    return __sync_val_compare_and_swap(&total, old, s) > 3 ? 2 : 1;
                }
                """);
        List<Listed> listed = compileAndList(c);
        assertTrue(listed.size() > 10, "suspiciously short listing: " + listed.size());
        var bytes = new ByteArrayOutputStream();
        for (Listed l : listed) {
            bytes.writeBytes(l.bytes());
        }
        List<Instruction> decoded = Instruction.decode(bytes.toByteArray());
        assertEquals(listed.size(), decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            String ours = Disassembler.DEFAULT.format(decoded.get(i));
            if (decoded.get(i).isPseudoCall()) {
                // llvm prints bpf-to-bpf calls like helper calls; only the source nibble tells them apart.
                assertTrue(listed.get(i).texts().getFirst().startsWith("call "), listed.get(i).texts().toString());
                continue;
            }
            assertTrue(listed.get(i).texts().contains(ours), ours + " vs llvm " + listed.get(i).texts());
        }
    }

    /** One instruction as llvm-objdump lists it: its bytes, and its text with and without {@code +alu32}. */
    private record Listed(byte[] bytes, List<String> texts) {
    }

    private static boolean llvmCanParse(String text) {
        return !(text.contains("map[") || text.contains("btf_id") || text.contains("func ")
                || text.contains(" pc") || text.contains("kfunc") || text.contains("acquire")
                || text.contains("release") || text.contains("skb[r1 +") || text.equals("gotol +70000")
                || text.contains("-0x8000000000000000"));
    }

    private List<Listed> compileAndList(Path source) throws IOException, InterruptedException {
        Assumptions.assumeTrue(clang != null, "no clang and llvm-objdump of one LLVM version on PATH");
        Path obj = dir.resolve("out.o");
        run(clang, "-target", "bpfel", "-mcpu=v4", "-O2", "-c", source.toString(), "-o", obj.toString());
        List<String[]> plain = parse(run(objdump, "-d", obj.toString()));
        List<String[]> alu32 = parse(run(objdump, "-d", "--mattr=+alu32", obj.toString()));
        assertEquals(plain.size(), alu32.size());
        var out = new ArrayList<Listed>();
        for (int i = 0; i < plain.size(); i++) {
            out.add(new Listed(HexFormat.ofDelimiter(" ").parseHex(plain.get(i)[0]),
                    List.of(plain.get(i)[1], alu32.get(i)[1])));
        }
        return out;
    }

    /** Instruction lines of an objdump listing as (bytes, normalised text), branch distances in decimal. */
    private static List<String[]> parse(String listing) {
        var out = new ArrayList<String[]>();
        for (String line : listing.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String text = TARGET.matcher(m.group(3).strip()).replaceAll("");
            Matcher b = HEX_BRANCH.matcher(text);
            if (b.find()) {
                long delta = Long.parseLong(b.group(3), 16);
                text = b.replaceFirst(b.group(1) + " " + b.group(2) + delta);
            }
            out.add(new String[] {m.group(2), text});
        }
        return out;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + String.join(" ", command));
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed:\n" + text);
        }
        return text;
    }

    private static String onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path candidate = Path.of(d, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
