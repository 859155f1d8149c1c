package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.elf.ElfBuilder.Built;
import io.ebpf4j.elf.ElfBuilder.Rel;
import io.ebpf4j.elf.ElfBuilder.Sym;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Well-formed objects from {@link ElfBuilder}, in both byte orders, read back field by field. */
class ElfFileTest {

    @TempDir
    Path dir;

    private static ByteOrder order(String name) {
        return name.equals("LE") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    }

    @ParameterizedTest
    @ValueSource(strings = {"LE", "BE"})
    void sectionsMatchWhatWasWritten(String o) {
        Built b = ElfBuilder.sample(order(o)).build();
        ElfFile elf = ElfFile.of(b.bytes());
        assertEquals(order(o), elf.byteOrder());
        assertEquals(EM_BPF, elf.machine());
        assertEquals(ET_REL, elf.type());
        assertEquals(b.bytes().length, elf.size());
        assertEquals(b.index().size() + 1, elf.sections().size());
        assertEquals(SHT_NULL, elf.section(0).type());
        for (Map.Entry<String, Integer> e : b.index().entrySet()) {
            Section s = elf.section(e.getKey()).orElseThrow();
            assertEquals(e.getValue(), s.index());
            assertEquals(s, elf.section(s.index()));
            assertEquals(b.data(e.getKey()), s.offset(), e.getKey());
            assertEquals(b.size(e.getKey()), s.size(), e.getKey());
        }
        Section xdp = elf.section("xdp").orElseThrow();
        assertEquals(SHT_PROGBITS, xdp.type());
        assertTrue(xdp.isExecutable() && xdp.isAllocated() && !xdp.isWritable());
        assertEquals(8, xdp.addralign());
        assertEquals(64, xdp.data().byteSize());
        assertTrue(xdp.data().isReadOnly());

        Section license = elf.section("license").orElseThrow();
        assertArrayEquals("GPL\0".getBytes(), license.bytes());
        assertEquals('G', license.data().get(ValueLayout.JAVA_BYTE, 0));

        Section bss = elf.section(".bss").orElseThrow();
        assertTrue(bss.isNobits());
        assertEquals(4, bss.size());
        assertEquals(0, bss.data().byteSize());
        assertEquals(0, bss.bytes().length);

        assertTrue(elf.section("nope").isEmpty());
        assertEquals(List.of(".relxdp", ".reltp/syscalls/sys_enter_getpid", ".rela.text"),
                elf.relocationSections().stream().map(Section::name).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"LE", "BE"})
    void symbolsMatchWhatWasWritten(String o) {
        Built b = ElfBuilder.sample(order(o)).build();
        ElfFile elf = ElfFile.of(b.bytes());
        List<Symbol> syms = elf.symbols();
        assertEquals(b.symbolOrder().size(), syms.size());
        assertEquals(new Symbol(0, "", STB_LOCAL, STT_NOTYPE, STV_DEFAULT, SHN_UNDEF, 0, 0), syms.get(0));
        Map<String, Symbol> byName = syms.stream().filter(s -> !s.name().isEmpty())
                .collect(Collectors.toMap(Symbol::name, Function.identity()));

        Symbol xdp = byName.get("xdp_prog");
        assertTrue(xdp.isGlobal() && xdp.isFunction() && !xdp.isLocal());
        assertEquals(b.indexOf("xdp"), xdp.sectionIndex());
        assertEquals(64, xdp.size());
        assertEquals(b.symbolIndex("xdp_prog"), xdp.index());

        Symbol addOne = byName.get("add_one");
        assertTrue(addOne.isLocal() && addOne.isFunction());
        assertEquals("add_one", syms.get(1).name(), "locals come first");

        Symbol counts = byName.get("counts");
        assertTrue(counts.isObject());
        assertEquals(".maps", elf.section(counts.sectionIndex()).name());
        assertTrue(byName.get(".text").isSection());
        assertTrue(byName.get("bss_var").isWeak());
        assertTrue(byName.get("bpf_ktime").isUndefined());
        assertFalse(byName.get("bpf_ktime").hasSection());
        assertTrue(byName.get("abs_sym").isAbsolute());
        assertEquals(42, byName.get("abs_sym").value());
        assertEquals(".symtab", elf.symbolTable().orElseThrow().name());
        assertTrue(elf.symbols() == syms, "parsed once, then kept");
    }

    @ParameterizedTest
    @ValueSource(strings = {"LE", "BE"})
    void relocationsMatchWhatWasWritten(String o) {
        Built b = ElfBuilder.sample(order(o)).build();
        ElfFile elf = ElfFile.of(b.bytes());
        Section rel = elf.section(".relxdp").orElseThrow();
        assertEquals("xdp", elf.target(rel).name());
        List<Relocation> rels = elf.relocations(rel);
        assertEquals(3, rels.size());
        assertEquals(new Relocation(0, 8, b.symbolIndex("counts"), 1, 0), rels.get(0));
        assertEquals(BpfRelocationType.R_BPF_64_64, rels.get(0).type());
        assertEquals(BpfRelocationType.R_BPF_64_32, rels.get(1).type());
        assertEquals(".text", elf.symbols().get(rels.get(1).symbolIndex()).name());
        assertEquals(48, rels.get(2).offset());

        Section rela = elf.section(".rela.text").orElseThrow();
        assertEquals(SHT_RELA, rela.type());
        Relocation r = elf.relocations(rela).getFirst();
        assertEquals(4, r.addend());
        assertEquals("bss_var", elf.symbols().get(r.symbolIndex()).name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"LE", "BE"})
    void notesAreRead(String o) {
        ElfFile elf = ElfFile.of(ElfBuilder.sample(order(o)).build().bytes());
        List<Note> notes = elf.notes(elf.section(".note.stapsdt").orElseThrow());
        assertEquals(2, notes.size());
        assertEquals("stapsdt", notes.get(0).name());
        assertEquals(3, notes.get(0).type());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, notes.get(0).desc());
        assertEquals(elf.section(".note.stapsdt").orElseThrow().offset(), notes.get(0).offset());
        assertEquals("GNU", notes.get(1).name());
        assertEquals(0, notes.get(1).desc().length);
    }

    @Test
    void relocationTypesKeepUnknownNumbers() {
        assertEquals(BpfRelocationType.R_BPF_64_ABS64, BpfRelocationType.of(2));
        assertEquals(BpfRelocationType.R_BPF_64_ABS32, BpfRelocationType.of(3));
        assertEquals(BpfRelocationType.R_BPF_64_NODYLD32, BpfRelocationType.of(4));
        assertEquals(BpfRelocationType.R_BPF_64_32, BpfRelocationType.of(10));
        var b = new ElfBuilder();
        b.progbits(".data", SHF_ALLOC | SHF_WRITE, new byte[16]);
        b.symbol(Sym.of("x", STB_GLOBAL, STT_OBJECT, ".data", 0, 16));
        b.rel(".data", List.of(new Rel(0, "x", 77)));
        ElfFile elf = ElfFile.of(b.build().bytes());
        Relocation r = elf.relocations(elf.section(".rel.data").orElseThrow()).getFirst();
        assertEquals(BpfRelocationType.UNKNOWN, r.type());
        assertEquals(77, r.rawType());
    }

    @Test
    void strings() {
        ElfFile elf = ElfFile.of(ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes());
        Section strtab = elf.section(".strtab").orElseThrow();
        assertEquals("", elf.string(strtab, 0));
        assertEquals("add_one", elf.string(strtab, 1));
        assertEquals("dd_one", elf.string(strtab, 2));
        var e = assertThrows(ObjectFormatException.class, () -> elf.string(strtab, strtab.size()));
        assertEquals(".strtab", e.section());
        assertThrows(IllegalArgumentException.class, () -> elf.string(elf.section("xdp").orElseThrow(), 0));
    }

    @Test
    void extendedSectionCountAndStringTableIndex() {
        Built b = ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).extendedIndices().build();
        ElfFile elf = ElfFile.of(b.bytes());
        assertEquals(b.index().size() + 1, elf.sections().size());
        assertEquals("xdp", elf.section(b.indexOf("xdp")).name());
    }

    @Test
    void extendedSymbolSectionIndexThroughShndxTable() {
        var b = new ElfBuilder();
        b.progbits(".data", SHF_ALLOC | SHF_WRITE, new byte[8]);
        b.symbol(Sym.raw("far", STB_GLOBAL, STT_OBJECT, SHN_XINDEX, 0, 8));
        b.symbol(Sym.of("near", STB_GLOBAL, STT_OBJECT, ".data", 0, 8));
        // One 4-byte entry per symbol (null, far, near): far's real section is .data (index 1).
        byte[] table = new byte[12];
        table[4] = 1;
        b.section(".symtab_shndx", SHT_SYMTAB_SHNDX, 0, table).align(4).entsize(4).link(".symtab");
        ElfFile elf = ElfFile.of(b.build().bytes());
        assertEquals(1, elf.symbols().get(1).sectionIndex());
        assertEquals(1, elf.symbols().get(2).sectionIndex());
    }

    @Test
    void commonSymbolsAreKept() {
        var b = new ElfBuilder();
        b.symbol(Sym.raw("c", STB_GLOBAL, STT_OBJECT, SHN_COMMON, 8, 8));
        assertTrue(ElfFile.of(b.build().bytes()).symbols().get(1).isCommon());
    }

    @Test
    void requireLoadable() {
        assertDoesNotThrow(() -> ElfFile.of(ElfBuilder.sample(ByteOrder.nativeOrder()).build().bytes())
                .requireLoadable());
        ByteOrder foreign = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN;
        ElfFile other = ElfFile.of(ElfBuilder.sample(foreign).build().bytes());
        var e = assertThrows(ObjectFormatException.class, other::requireLoadable);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            assertTrue(e.getMessage().contains(
                    "big-endian BPF objects can be inspected but not loaded on this little-endian machine"),
                    e.getMessage());
        }
        ElfFile x86 = ElfFile.of(ElfBuilder.sample(ByteOrder.nativeOrder()).machine(62).build().bytes());
        e = assertThrows(ObjectFormatException.class, x86::requireLoadable);
        assertTrue(e.getMessage().contains("EM_BPF"), e.getMessage());
        assertEquals(18, e.offset());
    }

    @Test
    void openMapsTheFileAndCloseUnmapsIt() throws Exception {
        Path p = dir.resolve("x.o");
        Files.write(p, ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes());
        ElfFile elf = ElfFile.open(p);
        Section xdp = elf.section("xdp").orElseThrow();
        assertEquals(64, xdp.data().byteSize());
        assertEquals(12, elf.symbols().size());
        elf.close();
        elf.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> xdp.data().get(ValueLayout.JAVA_BYTE, 0));

        Path empty = Files.createFile(dir.resolve("empty.o"));
        var e = assertThrows(ObjectFormatException.class, () -> ElfFile.open(empty));
        assertTrue(e.getMessage().contains("0 bytes"), e.getMessage());
    }

    @Test
    void byteArrayIsCopied() {
        byte[] bytes = ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes();
        ElfFile elf = ElfFile.of(bytes);
        java.util.Arrays.fill(bytes, (byte) 0xff);
        assertEquals(12, elf.symbols().size());
    }

    @Test
    void wrongSectionKindsAreCallerErrors() {
        ElfFile elf = ElfFile.of(ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes());
        Section xdp = elf.section("xdp").orElseThrow();
        assertThrows(IllegalArgumentException.class, () -> elf.relocations(xdp));
        assertThrows(IllegalArgumentException.class, () -> elf.target(xdp));
        assertThrows(IllegalArgumentException.class, () -> elf.notes(xdp));
        ElfFile other = ElfFile.of(ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes());
        assertThrows(IllegalArgumentException.class,
                () -> elf.relocations(other.section(".relxdp").orElseThrow()));
    }

    @Test
    void noSectionsAtAll() {
        byte[] bytes = ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().copy();
        // e_shoff = 0, e_shnum = 0, e_shstrndx = 0: a file with no section table is well-formed.
        java.util.Arrays.fill(bytes, 40, 48, (byte) 0);
        java.util.Arrays.fill(bytes, 60, 64, (byte) 0);
        ElfFile elf = ElfFile.of(bytes);
        assertTrue(elf.sections().isEmpty());
        assertTrue(elf.symbols().isEmpty());
    }
}
