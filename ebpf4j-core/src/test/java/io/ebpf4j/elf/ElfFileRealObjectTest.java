package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real clang-built BPF object ({@code sample.bpf.c}), read back and, when llvm-readelf is there, compared with
 * it. Skipped without clang-19.
 */
class ElfFileRealObjectTest {

    @TempDir
    static Path dir;

    private static Path object;
    private static ElfFile elf;

    @BeforeAll
    static void compile() throws Exception {
        Assumptions.assumeTrue(SampleObject.onPath(SampleObject.CLANG) != null,
                "clang-19 is not on the PATH: no real BPF object to read");
        object = SampleObject.compile(dir);
        elf = ElfFile.open(object);
    }

    @AfterAll
    static void close() {
        if (elf != null) {
            elf.close();
        }
    }

    private Section section(String name) {
        return elf.section(name).orElseThrow(() -> new AssertionError("no section " + name));
    }

    private Map<String, Symbol> namedSymbols() {
        return elf.symbols().stream().filter(s -> !s.name().isEmpty() && !s.isSection())
                .collect(Collectors.toMap(Symbol::name, Function.identity()));
    }

    @Test
    void header() {
        assertEquals(EM_BPF, elf.machine());
        assertEquals(ET_REL, elf.type());
        assertEquals(ByteOrder.LITTLE_ENDIAN, elf.byteOrder());
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            elf.requireLoadable();
        }
    }

    @Test
    void sections() {
        Section xdp = section("xdp");
        assertEquals(SHT_PROGBITS, xdp.type());
        assertTrue(xdp.isExecutable() && xdp.isAllocated());
        assertTrue(xdp.size() > 0 && xdp.size() % 8 == 0);
        assertTrue(section("tp/syscalls/sys_enter_getpid").isExecutable());
        assertTrue(section(".text").isExecutable());
        assertEquals(32, section(".maps").size());
        assertTrue(section(".data").isWritable());
        assertFalse(section(".rodata").isWritable());
        assertTrue(section(".bss").isNobits());
        assertEquals(4, section(".bss").size());
        assertArrayEquals("GPL\0".getBytes(), section("license").bytes());
        assertEquals(SHT_SYMTAB, section(".symtab").type());
        assertNotNull(section(".BTF"));
        assertNotNull(section(".BTF.ext"));
    }

    @Test
    void symbols() {
        Map<String, Symbol> syms = namedSymbols();
        for (String[] prog : new String[][] {{"xdp_prog", "xdp"}, {"getpid_prog", "tp/syscalls/sys_enter_getpid"}}) {
            Symbol s = syms.get(prog[0]);
            assertTrue(s.isFunction() && s.isGlobal(), s.toString());
            Section in = elf.section(s.sectionIndex());
            assertEquals(prog[1], in.name());
            assertEquals(0, s.value());
            // One program per section: the function fills it.
            assertEquals(in.size(), s.size());
        }
        Symbol addOne = syms.get("add_one");
        assertTrue(addOne.isFunction() && addOne.isLocal());
        assertEquals(".text", elf.section(addOne.sectionIndex()).name());
        assertTrue(addOne.size() > 0);

        Symbol counts = syms.get("counts");
        assertTrue(counts.isObject() && counts.isGlobal());
        assertEquals(".maps", elf.section(counts.sectionIndex()).name());
        assertEquals(32, counts.size());
        assertEquals(".data", elf.section(syms.get("data_var").sectionIndex()).name());
        assertEquals(".rodata", elf.section(syms.get("rodata_var").sectionIndex()).name());
        assertEquals(".bss", elf.section(syms.get("bss_var").sectionIndex()).name());
        assertEquals("license", elf.section(syms.get("LICENSE").sectionIndex()).name());
        assertTrue(elf.symbols().stream().anyMatch(s -> s.type() == STT_FILE && s.isAbsolute()));
    }

    private Section relocationsFor(String target) {
        return elf.relocationSections().stream().filter(r -> elf.target(r).name().equals(target)).findFirst()
                .orElseThrow(() -> new AssertionError("no relocations for " + target));
    }

    @Test
    void programRelocations() {
        List<Symbol> syms = elf.symbols();
        for (String prog : List.of("xdp", "tp/syscalls/sys_enter_getpid")) {
            List<Relocation> rels = elf.relocations(relocationsFor(prog));
            assertTrue(rels.stream().allMatch(r -> r.offset() % 8 == 0), "instruction-aligned");
            assertTrue(rels.stream().anyMatch(r -> r.type() == BpfRelocationType.R_BPF_64_64
                    && syms.get(r.symbolIndex()).name().equals("counts")), prog + ": map load");
            // The call to the static subprogram names .text (its section symbol, or the function).
            assertTrue(rels.stream().anyMatch(r -> {
                Symbol s = syms.get(r.symbolIndex());
                return r.type() == BpfRelocationType.R_BPF_64_32 && s.hasSection()
                        && elf.section(s.sectionIndex()).name().equals(".text");
            }), prog + ": call into .text");
        }
        List<Relocation> text = elf.relocations(relocationsFor(".text"));
        assertTrue(text.stream().anyMatch(r -> syms.get(r.symbolIndex()).name().equals("bss_var")));
    }

    @Test
    void everySectionReads() {
        int relocations = 0;
        for (Section s : elf.sections()) {
            s.data();
            if (s.type() == SHT_REL) {
                relocations += elf.relocations(s).size();
            }
        }
        assertTrue(relocations > 20, "debug info and BTF.ext relocations too: " + relocations);
    }

    // ---- llvm-readelf agreement, when it is installed ----

    private static String readelf(String... args) throws Exception {
        Assumptions.assumeTrue(SampleObject.onPath(SampleObject.READELF) != null,
                "llvm-readelf-19 is not on the PATH: nothing to compare with");
        List<String> cmd = new ArrayList<>(List.of(SampleObject.READELF, "--wide"));
        cmd.addAll(List.of(args));
        cmd.add(object.toString());
        return SampleObject.run(cmd);
    }

    private static final Pattern SECTION_LINE = Pattern.compile(
            "^\\s*\\[\\s*(\\d+)\\]\\s+(\\S+)\\s+(\\S+)\\s+([0-9a-f]{16})\\s+([0-9a-f]+)\\s+([0-9a-f]+)\\s+([0-9a-f]+)");

    @Test
    void sectionsAgreeWithReadelf() throws Exception {
        int seen = 0;
        for (String line : readelf("-S").split("\n")) {
            Matcher m = SECTION_LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Section s = elf.section(Integer.parseInt(m.group(1)));
            assertEquals(m.group(2), s.name());
            assertEquals(Long.parseLong(m.group(5), 16), s.offset(), s.name());
            assertEquals(Long.parseLong(m.group(6), 16), s.size(), s.name());
            assertEquals(Long.parseLong(m.group(7), 16), s.entsize(), s.name());
            seen++;
        }
        assertEquals(elf.sections().size() - 1, seen, "every section but the null one");
    }

    private static final Pattern SYMBOL_LINE = Pattern.compile(
            "^\\s*(\\d+):\\s+([0-9a-f]{16})\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s*(.*)$");

    @Test
    void symbolsAgreeWithReadelf() throws Exception {
        Map<String, Integer> types = Map.of("NOTYPE", STT_NOTYPE, "OBJECT", STT_OBJECT, "FUNC", STT_FUNC,
                "SECTION", STT_SECTION, "FILE", STT_FILE);
        Map<String, Integer> binds = Map.of("LOCAL", STB_LOCAL, "GLOBAL", STB_GLOBAL, "WEAK", STB_WEAK);
        int seen = 0;
        for (String line : readelf("-s").split("\n")) {
            Matcher m = SYMBOL_LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Symbol s = elf.symbols().get(Integer.parseInt(m.group(1)));
            assertEquals(Long.parseLong(m.group(2), 16), s.value());
            assertEquals(Long.parseLong(m.group(3)), s.size());
            assertEquals(types.get(m.group(4)), s.type(), line);
            assertEquals(binds.get(m.group(5)), s.bind(), line);
            String ndx = m.group(7);
            int expected = switch (ndx) {
                case "UND" -> SHN_UNDEF;
                case "ABS" -> SHN_ABS;
                case "COM" -> SHN_COMMON;
                default -> Integer.parseInt(ndx);
            };
            assertEquals(expected, s.sectionIndex(), line);
            // readelf shows a section symbol under its section's name; the symbol's own name is empty.
            String name = s.isSection() ? elf.section(s.sectionIndex()).name() : s.name();
            assertEquals(m.group(8).trim(), name, line);
            seen++;
        }
        assertEquals(elf.symbols().size(), seen);
    }

    private static final Pattern REL_HEADER = Pattern.compile("^Relocation section '(.*)' at offset 0x([0-9a-f]+)");
    private static final Pattern REL_LINE = Pattern.compile("^([0-9a-f]{16})\\s+([0-9a-f]{16})\\s+(\\S+)");

    @Test
    void relocationsAgreeWithReadelf() throws Exception {
        Map<String, List<String[]>> listed = new HashMap<>();
        List<String[]> current = null;
        for (String line : readelf("-r").split("\n")) {
            Matcher h = REL_HEADER.matcher(line);
            if (h.find()) {
                current = new ArrayList<>();
                listed.put(h.group(1), current);
                assertEquals(Long.parseLong(h.group(2), 16), section(h.group(1)).offset());
                continue;
            }
            Matcher m = REL_LINE.matcher(line);
            if (m.find() && current != null) {
                current.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        assertEquals(elf.relocationSections().size(), listed.size());
        for (Section rel : elf.relocationSections()) {
            List<String[]> expected = listed.get(rel.name());
            List<Relocation> actual = elf.relocations(rel);
            assertEquals(expected.size(), actual.size(), rel.name());
            for (int i = 0; i < actual.size(); i++) {
                Relocation r = actual.get(i);
                assertEquals(Long.parseUnsignedLong(expected.get(i)[0], 16), r.offset());
                assertEquals(Long.parseUnsignedLong(expected.get(i)[1], 16),
                        (long) r.symbolIndex() << 32 | r.rawType());
                assertEquals(expected.get(i)[2], r.type().name(), rel.name() + " #" + i);
            }
        }
    }
}
