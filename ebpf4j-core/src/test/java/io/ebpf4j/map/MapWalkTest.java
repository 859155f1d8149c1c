package io.ebpf4j.map;

import io.ebpf4j.asm.Disassembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.asm.OpClass;
import io.ebpf4j.asm.Size;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel walk's program and BTF, built without a kernel. */
class MapWalkTest {
    @Test
    void itsKernelConstantsAgreeWithTheTables() {
        assertEquals(ProgramType.SYSCALL.value(), MapWalk.PROG_TYPE_SYSCALL);
        assertEquals(ProgramSpec.F_SLEEPABLE, MapWalk.F_SLEEPABLE);
        assertEquals(Helpers.id("map_lookup_elem").orElseThrow(), MapWalk.FUNC_MAP_LOOKUP_ELEM);
        assertEquals(Helpers.id("for_each_map_elem").orElseThrow(), MapWalk.FUNC_FOR_EACH_MAP_ELEM);
        assertEquals(BtfKind.FUNC.code(), MapWalk.BTF_KIND_FUNC);
        assertEquals(BtfKind.FUNC_PROTO.code(), MapWalk.BTF_KIND_FUNC_PROTO);
    }

    @Test
    void itsBtfNamesAGlobalMainAndAStaticCallback() {
        try (Arena a = Arena.ofConfined()) {
            Btf btf = Btf.parse(MapWalk.funcBtf(a));
            assertEquals(3, btf.typeCount());
            assertEquals(new BtfType.FuncProto("", 0, List.of()), btf.type(1));
            assertEquals(new BtfType.Func("map_walk", 1, BtfType.Linkage.GLOBAL), btf.type(2));
            assertEquals(new BtfType.Func("copy_elem", 1, BtfType.Linkage.STATIC), btf.type(3));
        }
    }

    @Test
    void theCallbackCopiesKeysWideAndValuesNoWiderThanFourBytes() {
        List<Instruction> p = MapWalk.program(3, 4, 5, 1024, 12, 14);
        String text = new Disassembler().withHelperNames(Helpers::name).disassemble(p);
        assertTrue(text.contains("call bpf_for_each_map_elem"), text);
        assertTrue(text.contains("if r6 >= 0x400 goto"), "stops copying at the capacity:\n" + text);
        // Key: 12 bytes = one 8-byte and one 4-byte move from R8; value: 14 = three 4-byte and one 2-byte from R9.
        assertEquals(1, count(p, 8, Size.DW), text);
        assertEquals(1, count(p, 8, Size.W), text);
        assertEquals(3, count(p, 9, Size.W), text);
        assertEquals(1, count(p, 9, Size.H), text);
        assertEquals(0, count(p, 9, Size.DW), "no 8-byte load from a value:\n" + text);
    }

    private static long count(List<Instruction> p, int src, Size size) {
        return p.stream().filter(i -> i.isMemoryClass() && i.src() == src && i.size() == size
                && i.opClass() == OpClass.LDX).count();
    }

    @Test
    void onlyPlainHashAndArrayMapsOfBoundedSizeSuit() {
        assertTrue(MapWalk.suits(MapType.HASH, 4, 8, 1 << 20, 0));
        assertTrue(MapWalk.suits(MapType.LRU_HASH, 4, 8, 1, 0));
        assertTrue(MapWalk.suits(MapType.ARRAY, 4, 12, MapWalk.MAX_ELEMENTS, 0));
        assertTrue(MapWalk.suits(MapType.ARRAY, 4, MapWalk.MAX_VALUE_SIZE, 16_000, 0));
        assertFalse(MapWalk.suits(MapType.ARRAY, 4, MapWalk.MAX_VALUE_SIZE, 17_000, 0),
                "output arrays over " + MapWalk.MAX_OUTPUT_BYTES + " bytes");
        assertFalse(MapWalk.suits(MapType.PERCPU_HASH, 4, 8, 100, 0), "for_each sees one CPU's value only");
        assertFalse(MapWalk.suits(MapType.PERCPU_ARRAY, 4, 8, 100, 0));
        assertFalse(MapWalk.suits(MapType.LPM_TRIE, 8, 8, 100, 0));
        assertFalse(MapWalk.suits(MapType.HASH, 4, MapWalk.MAX_VALUE_SIZE + 1, 100, 0));
        assertFalse(MapWalk.suits(MapType.HASH, 4, 8, MapWalk.MAX_ELEMENTS + 1, 0));
        assertFalse(MapWalk.suits(MapType.HASH, 4, 8, 100, MapFlags.WRONLY), "user space may not read it");
        assertFalse(MapWalk.suits(MapType.HASH, 4, 8, 100, MapFlags.WRONLY_PROG), "programs may not read it");
        assertTrue(MapWalk.suits(MapType.HASH, 4, 8, 100, MapFlags.RDONLY));
    }
}
