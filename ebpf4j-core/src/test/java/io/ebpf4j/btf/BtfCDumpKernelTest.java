package io.ebpf4j.btf;

import io.ebpf4j.elf.ElfFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The running kernel's BTF dumped as C: clang compiles it, and the layout it computes is BTF's. */
class BtfCDumpKernelTest {
    private static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    private static Btf kernel() {
        Assumptions.assumeTrue(Files.isReadable(VMLINUX), "the kernel has no BTF at " + VMLINUX);
        return Btf.loadKernel();
    }

    @Test
    void vmlinuxCompilesAndEveryRecordHasBtfsSizeAndOffsets() {
        Btf btf = kernel();
        StringBuilder header = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, header);
        d.dumpAll();
        String asserts = CLayout.asserts(btf, d, Integer.MAX_VALUE);
        long checks = asserts.lines().filter(l -> l.startsWith("_Static_assert")).count();
        assertTrue(checks > 10_000, "asserts on sizes and offsets: " + checks);
        CLayout.compile(header.toString(), asserts, "vmlinux-layout");
    }

    /**
     * Bitfields cannot be checked with {@code offsetof}: the compiler's own BTF of the dumped records (built
     * with -g) must then equal the kernel's, member by member (name, bit offset, bitfield size).
     */
    @Test
    void bitfieldLayoutsSurviveTheCompiler() throws IOException, InterruptedException {
        Btf btf = kernel();
        Assumptions.assumeTrue(CLayout.haveClang(), "clang-19 is not installed");
        StringBuilder header = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, header);
        d.dumpAll();
        List<Integer> ids = new ArrayList<>();
        StringBuilder src = new StringBuilder("#include \"dump.h\"\n");
        for (int id = 1; id <= btf.lastTypeId(); id++) {
            if (btf.type(id) instanceof BtfType.Composite c && !c.name().isEmpty() && c.hasBitfields()) {
                src.append(d.cName(id)).append(" v").append(id).append(";\n");
                ids.add(id);
            }
        }
        assertTrue(ids.size() > 100, "records with bitfields in vmlinux: " + ids.size());
        Path dir = Files.createTempDirectory("ebpf4j-bitfields-" + ProcessHandle.current().pid());
        try {
            Files.writeString(dir.resolve("dump.h"), header);
            Files.writeString(dir.resolve("v.c"), src);
            Process p = new ProcessBuilder(CLayout.CLANG, "-g", "-O2", "-target", "bpf", "-c",
                    dir.resolve("v.c").toString(), "-o", dir.resolve("v.o").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "clang finished");
            assertEquals(0, p.exitValue(), out);
            try (ElfFile elf = ElfFile.open(dir.resolve("v.o"))) {
                Btf compiled = Btf.parse(elf.section(".BTF").orElseThrow().bytes());
                int compared = 0;
                for (int id : ids) {
                    BtfType.Composite want = (BtfType.Composite) btf.type(id);
                    String name = d.cName(id).substring(d.cName(id).indexOf(' ') + 1);
                    BtfKind kind = want instanceof BtfType.Struct ? BtfKind.STRUCT : BtfKind.UNION;
                    int got = compiled.find(name, kind).orElseThrow(() -> new AssertionError(name + " not in the compiled BTF"));
                    BtfType.Composite have = (BtfType.Composite) compiled.type(got);
                    assertEquals(want.size(), have.size(), name);
                    List<BtfType.Member> haveMembers = have.members().stream()
                            .filter(m -> !m.name().equals(BtfCDump.UNION_PAD) && !m.name().endsWith("___va_list_pad"))
                            .toList();
                    assertEquals(want.members().size(), haveMembers.size(), name + " members");
                    for (int k = 0; k < haveMembers.size(); k++) {
                        BtfType.Member w = want.members().get(k);
                        BtfType.Member h = haveMembers.get(k);
                        String where = name + "." + w.name();
                        assertEquals(w.name(), h.name(), where);
                        assertEquals(w.bitOffset(), h.bitOffset(), where + " bit offset");
                        assertEquals(w.bitfieldSize(), h.bitfieldSize(), where + " bitfield size");
                    }
                    compared++;
                }
                assertEquals(ids.size(), compared);
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** A few well-known records come out as bpftool writes them. */
    @Test
    void matchesBpftoolForWellKnownTypes() throws IOException, InterruptedException {
        Btf btf = kernel();
        String bpftool = CLayout.onPath("bpftool");
        Assumptions.assumeTrue(bpftool != null, "bpftool is not installed: nothing to compare with");
        Process p = new ProcessBuilder(bpftool, "btf", "dump", "file", VMLINUX.toString(), "format", "c")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String theirs = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        String ours = BtfCDump.header(btf);
        for (String def : List.of("struct task_struct {", "struct sk_buff {", "union bpf_attr {",
                "struct file_operations {", "enum bpf_map_type {", "typedef __u32 u32;", "struct list_head {",
                "struct xdp_md {", "struct pt_regs {")) {
            assertEquals(block(theirs, def), block(ours, def), def);
        }
        // The whole header is the same size give or take the few places where we are more exact.
        long theirLines = theirs.lines().count();
        long ourLines = ours.lines().count();
        assertTrue(Math.abs(theirLines - ourLines) < theirLines / 100, theirLines + " vs " + ourLines + " lines");
    }

    private static String block(String header, String start) {
        int at = header.indexOf("\n" + start);
        assertTrue(at >= 0, start + " is in the header");
        int end = header.indexOf("\n\n", at + 1);
        return header.substring(at + 1, end);
    }

    /** The whole vmlinux dump, warm: its cost is printed, and it must stay well under what a build can afford. */
    @Test
    void dumpingVmlinuxIsFast() {
        Btf btf = kernel();
        long best = Long.MAX_VALUE;
        int length = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            StringBuilder sb = new StringBuilder(8 << 20);
            BtfCDump.writeHeader(btf, sb);
            best = Math.min(best, System.nanoTime() - t0);
            length = sb.length();
        }
        System.out.printf("vmlinux.h: %d types, %d chars, best warm dump %.1f ms%n", btf.typeCount(), length, best / 1e6);
        assertTrue(length > 1_000_000, "a vmlinux header is megabytes long: " + length);
        assertTrue(best < 5_000_000_000L, "dumping vmlinux took " + best / 1e6 + " ms");
    }
}
