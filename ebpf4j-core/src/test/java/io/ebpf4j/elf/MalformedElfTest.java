package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.elf.ElfBuilder.Built;
import io.ebpf4j.elf.ElfBuilder.Sym;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deliberately broken objects: each must raise {@link ObjectFormatException}, with a message that names the
 * section and the file offset, at open or when the broken part is read.
 */
class MalformedElfTest {

    private static Built sample() {
        return ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build();
    }

    /** Reads everything the file offers, so a problem anywhere surfaces. */
    static void walk(ElfFile elf) {
        for (Section s : elf.sections()) {
            s.data();
            if (s.size() < 1 << 20) {
                s.bytes();
            }
            if (s.type() == SHT_REL || s.type() == SHT_RELA) {
                elf.target(s);
                elf.relocations(s);
            } else if (s.type() == SHT_NOTE) {
                elf.notes(s);
            } else if (s.type() == SHT_STRTAB && s.size() > 0) {
                elf.string(s, 0);
            }
        }
        elf.symbols();
        elf.requireLoadable();
    }

    /** Opens and walks {@code bytes}; returns the exception after checking it points at the bytes. */
    static ObjectFormatException broken(byte[] bytes) {
        var e = assertThrows(ObjectFormatException.class, () -> walk(ElfFile.of(bytes)));
        String m = e.getMessage();
        assertTrue(m.startsWith("malformed ELF: ") || m.contains("BPF object"), m);
        assertTrue(e.offset() >= 0, "offset missing: " + m);
        assertTrue(m.contains("0x" + Long.toHexString(e.offset())), "offset not in message: " + m);
        if (e.section() != null) {
            String named = e.section().startsWith("#") ? "section " + e.section() : "'" + e.section() + "'";
            assertTrue(m.contains(named) || m.contains(e.section()), "section not in message: " + m);
        }
        return e;
    }

    static ObjectFormatException broken(Built b, Consumer<Built> damage) {
        damage.accept(b);
        return broken(b.bytes());
    }

    private static void contains(ObjectFormatException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void theSampleItselfIsFine() {
        walk(ElfFile.of(sample().bytes()));
    }

    @Test
    void truncatedInsideTheHeader() {
        byte[] whole = sample().bytes();
        for (int len = 0; len <= 64; len++) {
            var e = broken(Arrays.copyOf(whole, len));
            if (len < 16) {
                contains(e, len + " bytes", "identification");
            } else if (len < 64) {
                contains(e, len + " bytes", "64-byte ELF64 header");
            }
        }
    }

    @Test
    void truncatedAnywhere() {
        byte[] whole = sample().bytes();
        // The section table is last, so every shorter file loses part of it and fails on opening.
        for (int len = 65; len < whole.length; len += 7) {
            int n = len;
            var e = assertThrows(ObjectFormatException.class, () -> ElfFile.of(Arrays.copyOf(whole, n)));
            contains(e, "e_shoff", "past the end of the " + n + "-byte file");
        }
        broken(Arrays.copyOf(whole, whole.length - 1));
    }

    @Test
    void wrongMagic() {
        var e = broken(sample(), b -> b.put8(1, 'X'));
        contains(e, "not an ELF file", "7f 58 4c 46");
    }

    @Test
    void elf32IsRefusedByName() {
        var e = broken(sample(), b -> b.put8(4, 1));
        contains(e, "ELF32");
        assertEquals(4, e.offset());
    }

    @Test
    void unknownClassEncodingVersion() {
        contains(broken(sample(), b -> b.put8(4, 9)), "ELF class 9");
        contains(broken(sample(), b -> b.put8(5, 3)), "data encoding 3");
        contains(broken(sample(), b -> b.put8(6, 2)), "ELF version 2");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, 0x7fffffffffffffffL, 0x10000, 8})
    void sectionTableOffsetOutOfRange(long shoff) {
        Built b = sample();
        long value = shoff == 8 ? b.bytes().length - 8 : shoff;
        var e = broken(b, x -> x.put64(40, value));
        contains(e, "e_shoff");
    }

    @Test
    void sectionOverlapsHeader() {
        var e = broken(sample(), b -> b.put64(b.header(".data") + 24, 8));
        contains(e, "'.data'", "overlaps", "the ELF header");
    }

    @Test
    void sectionCountOutOfRange() {
        var e = broken(sample(), b -> b.put16(60, 0xffff));
        contains(e, "65535 entries", "run past the end");
    }

    @Test
    void sectionEntrySizeWrong() {
        contains(broken(sample(), b -> b.put16(58, 40)), "e_shentsize", "40");
    }

    @Test
    void sectionCountZeroWithNoExtendedCount() {
        var e = broken(sample(), b -> b.put16(60, 0));
        contains(e, "e_shnum is 0");
        assertEquals("#0", e.section());
    }

    @Test
    void stringTableIndexOutOfRange() {
        var e = broken(sample(), b -> b.put16(62, 200));
        contains(e, "e_shstrndx", "200");
        assertEquals(0x3e, e.offset());
    }

    @Test
    void extendedStringTableIndexOutOfRange() {
        Built b = ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).extendedIndices().build();
        var e = broken(b, x -> x.put32(x.shoff() + 40, 5000));
        contains(e, "e_shstrndx", "5000");
    }

    @Test
    void stringTableIndexNamesNonStringTable() {
        Built b = sample();
        var e = broken(b, x -> x.put16(62, x.indexOf("xdp")));
        contains(e, "not SHT_STRTAB");
        assertEquals("#" + b.indexOf("xdp"), e.section());
    }

    @Test
    void sectionPastEndOfFile() {
        Built b = sample();
        int idx = b.indexOf(".data");
        var e = broken(b, x -> x.put64(x.header(".data") + 24, x.bytes().length - 2));
        assertEquals("#" + idx, e.section());
        contains(e, "run past the end");
    }

    @ParameterizedTest
    @ValueSource(longs = {0x7fffffffffffffffL, -1L, 0x8000000000000000L})
    void absurdSizes(long size) {
        Built b = sample();
        contains(broken(b, x -> x.put64(x.header(".symtab") + 32, size)), "section #" + b.indexOf(".symtab"));
        // An absurd .bss is not read, but cannot be represented either.
        Built c = sample();
        if (size < 0) {
            contains(broken(c, x -> x.put64(x.header(".bss") + 32, size)), "absurd");
        }
        Built d = sample();
        contains(broken(d, x -> x.put64(x.header(".data") + 24, size)), "section #" + d.indexOf(".data"));
    }

    @Test
    void overlappingSectionsAreBothNamed() {
        Built b = sample();
        var e = broken(b, x -> x.put64(x.header(".rodata") + 24, x.data(".data")));
        contains(e, "'.data'", "'.rodata'", "overlaps");
    }

    @Test
    void sectionInsideAnotherOverlaps() {
        Built b = sample();
        var e = broken(b, x -> x.put64(x.header("license") + 24, x.data("xdp") + 8));
        contains(e, "'xdp'", "'license'", "overlaps");
    }

    @Test
    void sectionOverlapsSectionTable() {
        Built b = sample();
        var e = broken(b, x -> x.put64(x.header(".data") + 24, x.shoff()));
        contains(e, "'.data'", "section header table");
    }

    @Test
    void badSectionLink() {
        Built b = sample();
        var e = broken(b, x -> x.put32(x.header(".data") + 40, 999));
        contains(e, "sh_link 999");
        assertEquals("#" + b.indexOf(".data"), e.section());
        assertEquals(b.header(".data") + 40, e.offset());
    }

    @Test
    void badAlignment() {
        contains(broken(sample(), b -> b.put64(b.header("xdp") + 48, 3)), "sh_addralign 0x3");
    }

    @Test
    void sectionZeroMustBeNull() {
        contains(broken(sample(), b -> b.put32(b.shoff() + 4, SHT_PROGBITS)), "section 0 must be SHT_NULL");
    }

    @Test
    void badSectionNameOffset() {
        Built b = sample();
        var e = broken(b, x -> x.put32(x.header("xdp"), 100_000));
        contains(e, "name at offset 100000", "past the end of string table");
        assertEquals("#" + b.indexOf("xdp"), e.section());
    }

    @Test
    void badSymbolNameOffset() {
        Built b = sample();
        int i = b.symbolIndex("xdp_prog");
        var e = broken(b, x -> x.put32(x.symbol("xdp_prog"), 99_999));
        contains(e, "section '.symtab'", "symbol " + i, "offset 99999", "'.strtab'");
        assertEquals(".symtab", e.section());
        assertEquals(b.symbol("xdp_prog"), e.offset());
    }

    @Test
    void stringWithoutNul() {
        Built b = sample();
        var e = broken(b, x -> x.put8(x.data(".strtab") + x.size(".strtab") - 1, 'z'));
        contains(e, "no terminating NUL", "'.strtab'");
    }

    @Test
    void badSymbolSectionIndex() {
        Built b = sample();
        var e = broken(b, x -> x.put16(x.symbol("counts") + 6, 500));
        contains(e, "names section 500", "symbol " + b.symbolIndex("counts"));
        assertEquals(".symtab", e.section());
    }

    @Test
    void reservedSymbolSectionIndex() {
        contains(broken(sample(), b -> b.put16(b.symbol("counts") + 6, 0xff10)), "reserved section index 0xff10");
    }

    @Test
    void extendedSymbolIndexWithoutTable() {
        contains(broken(sample(), b -> b.put16(b.symbol("counts") + 6, SHN_XINDEX)), "SHT_SYMTAB_SHNDX");
    }

    @Test
    void extendedSymbolIndexOutOfRange() {
        var b = new ElfBuilder();
        b.symbol(Sym.raw("far", STB_GLOBAL, STT_OBJECT, SHN_XINDEX, 0, 8));
        byte[] table = new byte[8];
        table[4] = 99;
        b.section(".symtab_shndx", SHT_SYMTAB_SHNDX, 0, table).align(4).entsize(4).link(".symtab");
        contains(broken(b.build().bytes()), "section 99", "'.symtab_shndx'");
        var c = new ElfBuilder();
        c.symbol(Sym.raw("far", STB_GLOBAL, STT_OBJECT, SHN_XINDEX, 0, 8));
        c.section(".symtab_shndx", SHT_SYMTAB_SHNDX, 0, new byte[4]).align(4).entsize(4).link(".symtab");
        contains(broken(c.build().bytes()), "has 1 entries but");
    }

    @Test
    void symtabSizeNotAMultiple() {
        Built b = sample();
        var e = broken(b, x -> x.put64(x.header(".symtab") + 32, x.size(".symtab") - 1));
        contains(e, "not a multiple of the 24-byte entry size");
        assertEquals(".symtab", e.section());
    }

    @Test
    void symtabEntrySizeWrong() {
        var e = broken(sample(), b -> b.put64(b.header(".symtab") + 56, 16));
        contains(e, "sh_entsize", "16", "24");
    }

    @Test
    void symtabLinkNotAStringTable() {
        contains(broken(sample(), b -> b.put32(b.header(".symtab") + 40, b.indexOf("xdp"))),
                "should name the symbol string table");
    }

    @Test
    void symtabInfoPastTheEnd() {
        contains(broken(sample(), b -> b.put32(b.header(".symtab") + 44, 1000)), "first non-local");
    }

    @Test
    void twoSymbolTables() {
        contains(broken(sample(), b -> b.put32(b.header(".strtab") + 4, SHT_SYMTAB)), "a second SHT_SYMTAB");
    }

    @Test
    void badRelocationSymbolIndex() {
        Built b = sample();
        int rel = b.indexOf(".relxdp");
        long at = b.data(".relxdp") + 16;
        var e = broken(b, x -> x.put64(at + 8, 99L << 32 | 1));
        assertEquals(".relxdp", e.section());
        assertEquals(at, e.offset());
        assertEquals("malformed ELF: section '.relxdp' (#" + rel + "): relocation 1 at file offset 0x"
                + Long.toHexString(at) + " names symbol 99 but .symtab has 12 symbols", e.getMessage());
    }

    @Test
    void relocationOffsetPastTarget() {
        Built b = sample();
        var e = broken(b, x -> x.put64(x.data(".relxdp"), 0x1000));
        contains(e, "section '.relxdp'", "offset 0x1000", "target section 'xdp'", "0x40 bytes");
        // An ld_imm64 is 16 bytes: starting 8 bytes before the end, it does not fit.
        Built c = sample();
        contains(broken(c, x -> x.put64(x.data(".relxdp"), 64 - 8)), "patches 16 byte(s) at offset 0x38");
        Built d = sample();
        contains(broken(d, x -> x.put64(x.data(".relxdp"), -8)), "0xfffffffffffffff8");
    }

    @Test
    void relocationTargetOutOfRange() {
        Built b = sample();
        var e = broken(b, x -> x.put32(x.header(".relxdp") + 44, 999));
        contains(e, "sh_info 999", "section '.relxdp'");
        assertEquals(b.header(".relxdp") + 44, e.offset());
        contains(broken(sample(), x -> x.put32(x.header(".relxdp") + 44, 0)), "sh_info 0");
    }

    @Test
    void relocationLinkNotTheSymbolTable() {
        contains(broken(sample(), b -> b.put32(b.header(".relxdp") + 40, b.indexOf(".data"))),
                "should name the symbol table");
    }

    @Test
    void relocationEntrySizeAndCount() {
        contains(broken(sample(), b -> b.put64(b.header(".relxdp") + 56, 24)), "SHT_REL entries are 16 bytes");
        contains(broken(sample(), b -> b.put64(b.header(".relxdp") + 32, 40)), "not a multiple");
    }

    @Test
    void relocationsWithoutSymbolTable() {
        Built b = sample();
        // Turn .symtab into a plain section: nothing is SHT_SYMTAB any more.
        contains(broken(b, x -> x.put32(x.header(".symtab") + 4, SHT_PROGBITS)), "no symbol table");
    }

    @Test
    void noteSizesChecked() {
        contains(broken(sample(), b -> b.put32(b.data(".note.stapsdt"), 1000)), "1000-byte name");
        contains(broken(sample(), b -> b.put32(b.data(".note.stapsdt") + 4, 1000)), "1000-byte descriptor");
        contains(broken(sample(), b -> b.put32(b.data(".note.stapsdt") + 4, -1)), "4294967295-byte descriptor");
        Built c = sample();
        // Cut the section inside the second note's header.
        contains(broken(c, x -> x.put64(x.header(".note.stapsdt") + 32, x.size(".note.stapsdt") - 8)),
                "12-byte header");
    }

    @Test
    void exceptionCarriesSectionAndOffset() {
        Built b = sample();
        var e = broken(b, x -> x.put16(x.symbol("counts") + 6, 500));
        List<String> parts = List.of("section '.symtab' (#" + b.indexOf(".symtab") + ")",
                "0x" + Long.toHexString(b.symbol("counts")));
        for (String p : parts) {
            if (!e.getMessage().contains(p)) {
                fail(p + " not in " + e.getMessage());
            }
        }
    }
}
