package io.ebpf4j.object;

import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.map.MapFlags;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading clang-built objects into specs and linking their programs: no kernel involved. */
class ObjectSpecTest {
    @Test
    void programsSectionsAndAutoload() {
        ObjectSpec o = ObjectSpec.read(BpfC.object("objects"));
        assertEquals("objects", o.name());
        assertEquals("GPL", o.license());
        assertEquals(List.of("prog_xdp", "prog_xdp_second", "prog_tc", "prog_off", "prog_unsafe"), List.copyOf(o.programs().keySet()));
        ProgramDef xdp = o.program("prog_xdp").orElseThrow();
        assertEquals(ProgramType.XDP, xdp.type());
        assertEquals(AttachType.XDP, xdp.expectedAttachType());
        assertEquals("xdp", xdp.section());
        assertEquals(ProgramType.SCHED_CLS, o.program("prog_tc").orElseThrow().type());
        assertTrue(xdp.autoload());
        assertFalse(o.program("prog_off").orElseThrow().autoload(), "SEC(\"?tc\") is not loaded by default");
        assertTrue(o.program("prog_xdp_second").orElseThrow().sectionOffset() > 0, "second program in its section");
        assertTrue(o.subprogramNames().containsAll(Set.of("add_one", "triple", "plus_two")));
        assertNotNull(o.btf());
        assertNotNull(o.btfExt());
    }

    @Test
    void btfMapsAndGlobalData() {
        ObjectSpec o = ObjectSpec.read(BpfC.object("objects"));
        MapDef counts = o.map("counts").orElseThrow();
        assertEquals(MapDef.Origin.BTF, counts.origin());
        assertEquals(MapType.ARRAY, counts.spec().type());
        assertEquals(4, counts.spec().keySize());
        assertEquals(8, counts.spec().valueSize());
        assertEquals(4, counts.spec().maxEntries());
        assertTrue(counts.spec().btfKeyTypeId() > 0 && counts.spec().btfValueTypeId() > 0);
        assertEquals(MapDef.Pinning.BY_NAME, o.map("pinned_hash").orElseThrow().pinning());
        assertEquals(MapDef.Pinning.NONE, counts.pinning());

        // Global data maps are named as libbpf names them: object prefix + section.
        MapDef rodata = o.map("objects.rodata").orElseThrow();
        assertEquals(MapDef.Origin.DATA, rodata.origin());
        assertTrue(rodata.isReadOnlyData());
        assertEquals(MapFlags.RDONLY_PROG | MapFlags.MMAPABLE, rodata.spec().flags());
        assertTrue(o.map("objects.data").isPresent());
        assertTrue(o.map("objects.bss").isPresent());

        GlobalVariable total = o.variables().get("total");
        assertEquals("objects.data", total.map());
        assertEquals(7L, le64(o.variableBytes("total")));
        assertTrue(o.variables().get("multiplier").readOnly());
        o.setVariable("multiplier", 5);
        assertEquals(5, ByteBuffer.wrap(o.variableBytes("multiplier")).order(ByteOrder.nativeOrder()).getInt());
        assertThrows(io.ebpf4j.SizeMismatchException.class, () -> o.setVariable("multiplier", 5L));
        assertThrows(io.ebpf4j.BpfException.class, () -> o.setVariable("nope", 1));
    }

    private static long le64(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
    }

    @Test
    void internalMapNamesFollowLibbpf() {


        ObjectSpec o = ObjectSpec.read(BpfC.object("objects"));
        for (String n : o.maps().keySet()) {
            assertTrue(n.length() <= 15, n);
        }
    }

    @Test
    void linkingAppendsSubprogramsOnceDepthFirst() {
        ObjectSpec o = ObjectSpec.read(BpfC.object("objects"));
        Linker.Linked xdp = o.link("prog_xdp");
        assertEquals(List.of("add_one", "triple"), xdp.subprograms());
        // Every pseudo call now lands on the first instruction of an appended subprogram, inside the program.
        List<Instruction> slots = xdp.slots();
        int calls = 0;
        for (int i = 0; i < slots.size(); i++) {
            Instruction insn = slots.get(i);
            if (insn != null && insn.isPseudoCall()) {
                int target = i + insn.immLo() + 1;
                assertTrue(target > 0 && target < slots.size(), "call at " + i + " lands at " + target);
                calls++;
            }
        }
        assertEquals(2, calls, "prog_xdp calls add_one, add_one calls triple");
        // What is left for the loader: the map and the global data it touches.
        assertTrue(xdp.relocations().stream().anyMatch(r -> r instanceof Reloc.MapRef m && m.map().equals("counts")));
        assertTrue(xdp.relocations().stream().anyMatch(r -> r instanceof Reloc.MapValue v && v.map().equals("objects.rodata")));
        assertTrue(xdp.relocations().stream().anyMatch(r -> r instanceof Reloc.MapValue v && v.map().equals("objects.bss")));
        for (Reloc r : xdp.relocations()) {
            assertInstanceOf(Instruction.class, slots.get(r.insn()));
            assertTrue(slots.get(r.insn()).isLdImm64(), r.toString());
        }
        Linker.Linked tc = o.link("prog_tc");
        assertEquals(List.of("plus_two"), tc.subprograms());
        assertEquals(List.of(), o.link("prog_off").subprograms());
    }

    @Test
    void legacyAndIproute2Maps() {
        ObjectSpec o = ObjectSpec.read(BpfC.object("legacy_maps"));
        MapDef legacy = o.map("legacy_counts").orElseThrow();
        assertEquals(MapDef.Origin.LEGACY, legacy.origin());
        assertEquals(MapType.ARRAY, legacy.spec().type());
        assertEquals(8, legacy.spec().valueSize());
        MapDef global = o.map("tc_global").orElseThrow();
        assertEquals(MapDef.Origin.IPROUTE2, global.origin());
        assertEquals(MapDef.Pinning.GLOBAL_NS, global.pinning());
        assertEquals(16, global.spec().maxEntries());
        assertEquals(MapDef.Pinning.OBJECT_NS, o.map("tc_local").orElseThrow().pinning());
        assertEquals(ProgramType.SCHED_CLS, o.program("cls").orElseThrow().type());
        Linker.Linked cls = o.link("cls");
        assertEquals(Set.of("legacy_counts", "tc_global", "tc_local"), Set.copyOf(cls.relocations().stream()
                .map(r -> ((Reloc.MapRef) r).map()).toList()));
    }

    @Test
    void anUnknownSectionNamesTheClosestKnownOnes() throws Exception {
        byte[] elf = Files.readAllBytes(BpfC.object("legacy_maps"));
        // Rename "classifier" to "classifeir" in the section name string table: same length, unknown name.
        byte[] from = "classifier".getBytes();
        byte[] to = "classifeir".getBytes();
        int renamed = 0;
        for (int at = indexOf(elf, from, 0); at >= 0; at = indexOf(elf, from, at + 1)) {
            System.arraycopy(to, 0, elf, at, to.length);
            renamed++;
        }
        assertTrue(renamed > 0);
        ObjectFormatException e = assertThrows(ObjectFormatException.class, () -> ObjectSpec.read(elf, "x"));
        assertTrue(e.getMessage().contains("unknown program section 'classifeir'"), e.getMessage());
        assertTrue(e.getMessage().contains("classifier"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void truncatedObjectsAreTypedErrors() throws Exception {
        byte[] elf = Files.readAllBytes(BpfC.object("objects"));
        for (int len = 0; len < elf.length; len += 97) {
            byte[] cut = java.util.Arrays.copyOf(elf, len);
            assertThrows(io.ebpf4j.BpfException.class, () -> ObjectSpec.read(cut, "cut"), "length " + len);
        }
        assertArrayEquals(elf, Files.readAllBytes(BpfC.object("objects")));
    }
}
