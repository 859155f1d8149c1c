package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.elf.Section;
import io.ebpf4j.elf.Segment;
import io.ebpf4j.elf.Symbol;
import io.ebpf4j.testing.NativeC;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of uprobe and USDT attachment that need no kernel: names, patterns, notes, arguments, formats. */
class UprobeParsingTest {

    @Test
    void usdtArgumentForms() {
        UsdtArgument reg = UsdtArgument.parse("-4@%edi");
        assertEquals(new UsdtArgument(4, true, UsdtArgument.Kind.REG, "edi", 112, 0, null, -1, 0), reg);
        UsdtArgument deref = UsdtArgument.parse("8@-8(%rsp)");
        assertEquals(UsdtArgument.Kind.REG_DEREF, deref.kind());
        assertEquals(152, deref.registerOffset());
        assertEquals(-8, deref.value());
        assertFalse(deref.signed());
        assertEquals(0, UsdtArgument.parse("2@(%rbp)").value());
        UsdtArgument constant = UsdtArgument.parse("-4@$-9");
        assertEquals(UsdtArgument.Kind.CONST, constant.kind());
        assertEquals(-9, constant.value());
        assertEquals(0x10, UsdtArgument.parse("1@$0x10").value());
        UsdtArgument sib = UsdtArgument.parse("8@16(%rax,%rdx,8)");
        assertEquals(UsdtArgument.Kind.SIB, sib.kind());
        assertEquals(80, sib.registerOffset());
        assertEquals(96, sib.indexRegisterOffset());
        assertEquals(8, sib.scale());
        assertEquals(1, UsdtArgument.parse("4@(%rax,%r8)").scale());
        assertEquals(List.of(4, 2, 8), UsdtArgument.parseAll(" -4@%edi  -2@%ax 8@-8(%rsp) ").stream()
                .map(UsdtArgument::size).toList());
        assertEquals(List.of(), UsdtArgument.parseAll(""));
    }

    @Test
    void usdtArgumentErrorsNameTheArgument() {
        var e = assertThrows(BpfException.class, () -> UsdtArgument.parse("3@%eax"));
        assertTrue(e.getMessage().contains("'3@%eax'") && e.getMessage().contains("size 3"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UsdtArgument.parse("4@%xmm0"));
        assertTrue(e.getMessage().contains("%xmm0"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UsdtArgument.parse("4@counter(%rip)"));
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
        assertThrows(BpfException.class, () -> UsdtArgument.parse("8@(%rax,%rdx,3)"));
    }

    @Test
    void usdtArgumentEncodesLibbpfsArgSpec() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(32);
            UsdtArgument.parse("-2@-24(%rbp)").encode(s, 16);
            assertEquals(-24, s.get(JAVA_LONG, 16));
            assertEquals(2, s.get(JAVA_INT, 24)); // BPF_USDT_ARG_REG_DEREF
            assertEquals(32, s.get(JAVA_SHORT, 28)); // offsetof(struct pt_regs, bp)
            assertEquals(1, s.get(JAVA_BYTE, 30)); // signed
            assertEquals(48, s.get(JAVA_BYTE, 31)); // 64 - 16 bits
            UsdtArgument.parse("8@(%rax,%rdx,4)").encode(s, 0);
            assertEquals(3 | 96 << 8 | 2 << 20, s.get(JAVA_INT, 8));
            assertEquals(0, s.get(JAVA_BYTE, 15));
        }
    }

    @Test
    void globs() {
        assertTrue(UprobeTargets.globMatch("ebpf4j_target_*", "ebpf4j_target_add"));
        assertTrue(UprobeTargets.globMatch("*_add", "ebpf4j_lib_add"));
        assertTrue(UprobeTargets.globMatch("a?c", "abc"));
        assertTrue(UprobeTargets.globMatch("*", ""));
        assertTrue(UprobeTargets.globMatch("a*b*c", "axxbyyc"));
        assertFalse(UprobeTargets.globMatch("a*b*c", "axxbyy"));
        assertFalse(UprobeTargets.globMatch("a?c", "ac"));
        assertFalse(UprobeTargets.globMatch("abc", "abcd"));
    }

    @Test
    void procMapsLines() {
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu/libc.so.6"), UprobeTargets.mappedFile(
                "7f1c2e400000-7f1c2e428000 r--p 00000000 fe:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6"));
        assertEquals(Path.of("/opt/with space/lib.so"), UprobeTargets.mappedFile(
                "7f1c2e400000-7f1c2e428000 r-xp 00000000 fe:01 1234 /opt/with space/lib.so"));
        assertNull(UprobeTargets.mappedFile("7ffd1000-7ffd2000 rw-p 00000000 00:00 0          [stack]"));
        assertNull(UprobeTargets.mappedFile("7ffd1000-7ffd2000 rw-p 00000000 00:00 0"));
        assertNull(UprobeTargets.mappedFile("7f00-7f10 r-xp 00000000 fe:01 99 /gone/lib.so (deleted)"));
    }

    @Test
    void pmuFormat(@TempDir Path dir) throws Exception {
        assertEquals(0, UprobePmu.firstBit("config:0\n"));
        assertEquals(32, UprobePmu.firstBit("config:32-63"));
        Files.createDirectories(dir.resolve("format"));
        Files.writeString(dir.resolve("type"), "9\n");
        Files.writeString(dir.resolve("format/retprobe"), "config:0\n");
        assertEquals(new UprobePmu(9, 0, -1), UprobePmu.read(dir), "no ref_ctr_offset format: no semaphores");
        Files.writeString(dir.resolve("format/ref_ctr_offset"), "config:32-63\n");
        assertEquals(new UprobePmu(9, 0, 32), UprobePmu.read(dir));
        var e = assertThrows(io.ebpf4j.UnsupportedFeatureException.class, () -> UprobePmu.read(dir.resolve("none")));
        assertTrue(e.getMessage().contains("uprobe PMU"), e.getMessage());
    }

    @Test
    void autoAttachSectionForms() {
        assertTrue(UprobeLink.hasAutoAttachTarget("uprobe//usr/bin/bash:readline"));
        assertTrue(UprobeLink.hasAutoAttachTarget("uretprobe/libc.so.6:malloc+0x10"));
        assertTrue(UprobeLink.hasAutoAttachTarget("uprobe.s/libc.so.6:malloc"));
        assertTrue(UprobeLink.hasAutoAttachTarget("uprobe/bin:0x1234"));
        assertFalse(UprobeLink.hasAutoAttachTarget("uprobe"));
        assertFalse(UprobeLink.hasAutoAttachTarget("uprobe/libc.so.6"));
        assertTrue(UprobeMultiLink.hasAutoAttachTarget("uprobe.multi/libc.so.6:mem*"));
        assertTrue(UprobeMultiLink.hasAutoAttachTarget("uretprobe.multi.s//bin/x:f?"));
        assertFalse(UprobeMultiLink.hasAutoAttachTarget("uprobe.multi"));
        assertTrue(UsdtLink.hasAutoAttachTarget("usdt//usr/lib/libc.so.6:libc:setjmp"));
        assertTrue(UsdtLink.hasAutoAttachTarget("usdt.s/bin:p:n"));
        assertFalse(UsdtLink.hasAutoAttachTarget("usdt/bin:p"));
        assertFalse(UsdtLink.hasAutoAttachTarget("usdt"));
    }

    @Test
    void uprobeOptionsCheckTheirValues() {
        assertThrows(IllegalArgumentException.class, () -> UprobeOptions.uprobe().withPid(0));
        assertThrows(IllegalArgumentException.class, () -> UprobeOptions.uprobe().withRefCtrOffset(-1));
        UprobeOptions o = UprobeOptions.uretprobe().withPid(42).withCookie(7).withRefCtrOffset(0x30);
        assertEquals(new UprobeOptions(true, 42, 7, 0x30), o);
    }

    @Test
    void elfDynamicSymbolsSegmentsAndFunctionOffsets() throws Exception {
        Path lib = TargetProcess.library();
        Path exe = TargetProcess.executable();
        try (ElfFile elf = ElfFile.open(lib)) {
            Symbol add = elf.dynamicSymbols().stream().filter(s -> s.name().equals("ebpf4j_lib_add")).findFirst()
                    .orElseThrow();
            assertTrue(add.isFunction() && add.isGlobal());
            Segment code = elf.segments().stream().filter(s -> s.isLoad() && s.containsAddress(add.value()))
                    .findFirst().orElseThrow();
            assertTrue(code.isExecutable());
            // The section route (what functionOffset uses) and the segment route agree.
            assertEquals(code.fileOffset(add.value()), UprobeTargets.functionOffset(lib, "ebpf4j_lib_add"));
        }
        List<UprobeTargets.FunctionOffset> found = UprobeTargets.functionOffsets(exe, "ebpf4j_target_*");
        assertEquals(List.of("ebpf4j_target_add", "ebpf4j_target_mul"),
                found.stream().map(UprobeTargets.FunctionOffset::name).sorted().toList());
        try (ElfFile elf = ElfFile.open(exe)) {
            byte[] bytes = Files.readAllBytes(exe);
            for (var f : found) {
                Symbol s = elf.symbols().stream().filter(x -> x.name().equals(f.name())).findFirst().orElseThrow();
                // The file holds the function's first bytes at that offset: compare with the section's copy.
                Section text = elf.section(s.sectionIndex());
                byte[] atOffset = java.util.Arrays.copyOfRange(bytes, (int) f.offset(), (int) f.offset() + 4);
                byte[] inSection = java.util.Arrays.copyOfRange(text.bytes(), (int) (s.value() - text.addr()),
                        (int) (s.value() - text.addr()) + 4);
                assertEquals(java.util.HexFormat.of().formatHex(inSection),
                        java.util.HexFormat.of().formatHex(atOffset));
            }
        }
        var e = assertThrows(BpfException.class, () -> UprobeTargets.functionOffset(exe, "ebpf4j_nothing"));
        assertTrue(e.getMessage().contains("nm -D"), e.getMessage());
    }

    @Test
    void usdtNotesWithSemaphoreOffsetsInTheDataSegment() throws Exception {
        Assumptions.assumeTrue(NativeC.hasHeader("sys/sdt.h"), "sys/sdt.h is missing (apt-get install "
                + "systemtap-sdt-dev)");
        Path exe = TargetProcess.executable();
        List<UsdtProbe> probes = UsdtProbe.read(exe);
        assertEquals(List.of("ebpf4j:args", "ebpf4j:guarded", "ebpf4j:twice", "ebpf4j:twice"),
                probes.stream().map(p -> p.provider() + ":" + p.name()).toList());
        try (ElfFile elf = ElfFile.open(exe)) {
            Section semaphores = elf.section(".probes").orElseThrow();
            Section text = elf.section(".text").orElseThrow();
            for (UsdtProbe p : probes) {
                assertEquals(semaphores.offset() + (p.semaphoreAddress() - semaphores.addr()), p.semaphoreOffset(),
                        p.toString());
                assertEquals(text.offset() + (p.address() - text.addr()), p.fileOffset(), p.toString());
            }
        }
        // Prelink moves a binary and its .stapsdt.base with it; the note keeps the old base. Make the note's base
        // 0x10 higher than the section's address: the probe then sits 0x10 lower than the note's pc.
        byte[] bytes = Files.readAllBytes(exe);
        UsdtProbe original = probes.getFirst();
        try (ElfFile elf = ElfFile.open(exe)) {
            var note = elf.notes(elf.section(".note.stapsdt").orElseThrow()).getFirst();
            var desc = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int baseField = (int) note.offset() + 12 + 8 + 8; // header, "stapsdt\0", pc
            desc.putLong(baseField, desc.getLong(baseField) + 0x10);
        }
        UsdtProbe moved = UsdtProbe.read(ElfFile.of(bytes), "patched").getFirst();
        assertEquals(original.address() - 0x10, moved.address());
        assertEquals(original.fileOffset() - 0x10, moved.fileOffset());
        UsdtProbe inLibrary = UsdtProbe.read(TargetProcess.library()).getFirst();
        assertEquals(2, inLibrary.arguments().size(), inLibrary.toString());
        assertEquals(0, inLibrary.semaphoreOffset());
    }
}
