package io.ebpf4j.btf;

import io.ebpf4j.btf.BtfType.EnumValue;
import io.ebpf4j.btf.BtfType.IntEncoding;
import io.ebpf4j.btf.BtfWriter.Member;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values read through hand-built BTF, as trees and as bpftool's text. */
class BtfValueFormatterTest {
    /** Builds {@code struct value} (80 bytes) with one member of each interesting kind; returns its id. */
    private static int valueType(BtfWriter w) {
        int i = w.addInt("int", 4, true); // 1
        int u = w.addInt("unsigned int", 4, false); // 2
        int ch = w.addInt("char", 1, true); // 3
        int bool = w.addInt("_Bool", 1, IntEncoding.BOOL, 0, 8); // 4
        int u128 = w.addInt("__int128 unsigned", 16, IntEncoding.NONE, 0, 128); // 5
        int color = w.addEnum("color", 4, false, new EnumValue("RED", 0), new EnumValue("GREEN", 1),
                new EnumValue("BLUE", 2)); // 6
        int ptr = w.addPtr(i); // 7
        int name = w.addArray(ch, i, 8); // 8
        int row = w.addArray(i, i, 2); // 9
        int grid = w.addArray(row, i, 2); // 10
        int u32 = w.addTypedef("u32", u); // 11
        int cu32 = w.addConst(u32); // 12
        int union = w.addUnion("", 4, new Member("si", i, 0), new Member("ui", u, 0)); // 13
        int dbl = w.addFloat("double", 8); // 14
        return w.addStruct("value", 80,
                new Member("a", i, 0), new Member("b", cu32, 32), new Member("name", name, 64),
                new Member("flag", bool, 128), new Member("x", u, 136, 3), new Member("y", u, 139, 5),
                new Member("c", color, 160), new Member("", union, 192), new Member("p", ptr, 256),
                new Member("grid", grid, 320), new Member("big", u128, 448), new Member("d", dbl, 576));
    }

    private static byte[] valueBytes() {
        ByteBuffer b = ByteBuffer.allocate(80).order(ByteOrder.nativeOrder());
        b.putInt(0, -5);
        b.putInt(4, (int) 4_000_000_000L);
        b.put(8, "hi".getBytes());
        b.put(16, (byte) 1);
        b.put(17, (byte) (5 | 17 << 3)); // x = 5, y = 17
        b.putInt(20, 2); // BLUE
        b.putInt(24, -1); // the union: si -1, ui 4294967295
        b.putLong(32, 0xffff_8880_1234_5678L);
        for (int k = 0; k < 4; k++) {
            b.putInt(40 + 4 * k, k + 1);
        }
        b.putLong(56, 1);
        b.putLong(64, 1); // big = 2^64 + 1
        b.putDouble(72, 1.5);
        return b.array();
    }

    @Test
    void treeHasOneEntryPerMemberWithTheValuesJsonWants() {
        BtfWriter w = new BtfWriter();
        int id = valueType(w);
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        Map<String, Object> want = new LinkedHashMap<>();
        want.put("a", -5L);
        want.put("b", 4_000_000_000L);
        want.put("name", "hi");
        want.put("flag", true);
        want.put("x", "0x5");
        want.put("y", "0x11");
        want.put("c", "BLUE");
        want.put("si", -1L);
        want.put("ui", 4294967295L);
        want.put("p", new BigInteger("ffff888012345678", 16));
        want.put("grid", List.of(List.of(1L, 2L), List.of(3L, 4L)));
        want.put("big", "0x10000000000000001");
        want.put("d", 1.5);
        assertEquals(want, f.tree(id, valueBytes()));
    }

    @Test
    void textIsBpftoolsLayout() {
        BtfWriter w = new BtfWriter();
        int id = valueType(w);
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        assertEquals("""
                {
                    "a": -5,
                    "b": 4000000000,
                    "name": "hi",
                    "flag": true,
                    "x": 0x5,
                    "y": 0x11,
                    "c": "BLUE",
                    "si": -1,
                    "ui": 4294967295,
                    "p": 0xffff888012345678,
                    "grid": [[1,2
                        ],[3,4
                        ]
                    ],
                    "big": 0x10000000000000001,
                    "d": 1.5
                }""", f.format(id, valueBytes()));
    }

    @Test
    void charArraysAreStringsOnlyWhenPrintableAndTerminated() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int ch = w.addInt("char", 1, true);
        int uch = w.addInt("unsigned char", 1, false);
        int s = w.addArray(ch, i, 4);
        int bytes = w.addArray(uch, i, 4);
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        assertEquals("abc", f.tree(s, new byte[] {'a', 'b', 'c', 0}));
        assertEquals("", f.tree(s, new byte[4]));
        assertEquals(List.of(97L, 98L, 99L, 100L), f.tree(s, new byte[] {'a', 'b', 'c', 'd'}), "no NUL: numbers");
        assertEquals(List.of(1L, 0L, 0L, 0L), f.tree(s, new byte[] {1, 0, 0, 0}), "not printable: numbers");
        assertEquals(List.of(97L, 0L, 0L, 0L), f.tree(bytes, new byte[] {'a', 0, 0, 0}), "unsigned char is bytes");
    }

    @Test
    void enumsSignedValuesPointersAndBitfieldsEdgeCases() {
        BtfWriter w = new BtfWriter();
        int e = w.addEnum("e", 4, true, new EnumValue("NEG", -2));
        int e64 = w.addEnum64("e64", 8, false, new EnumValue("HUGE", -1L));
        int p = w.addPtr(0);
        int s8 = w.addInt("signed char", 1, true);
        int u64 = w.addInt("long long unsigned int", 8, false);
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        assertEquals("NEG", f.tree(e, le(-2, 4)));
        assertEquals(5L, f.tree(e, le(5, 4)), "no enumerator: the number");
        assertEquals("HUGE", f.tree(e64, le(-1, 8)));
        assertEquals(new BigInteger("18446744073709551614"), f.tree(e64, le(-2, 8)));
        assertEquals("(nil)", ((BtfValueFormatter.Literal) f.tree(p, new byte[8], 0, BtfValueFormatter.Style.TEXT)).text());
        assertEquals(0L, f.tree(p, new byte[8]));
        assertEquals(-128L, f.tree(s8, new byte[] {(byte) 0x80}));
        assertEquals(new BigInteger("18446744073709551615"), f.tree(u64, le(-1, 8)));
    }

    @Test
    void datasecShowsEachVariableByName() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int ch = w.addInt("char", 1, true);
        int msg = w.addArray(ch, i, 8);
        int counter = w.addVar("counter", i, 1);
        int text = w.addVar("msg", msg, 1);
        int sec = w.addDatasec(".data", 12, List.of(new BtfType.VarSecinfo(counter, 0, 4),
                new BtfType.VarSecinfo(text, 4, 8)));
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        byte[] data = new byte[12];
        ByteBuffer.wrap(data).order(ByteOrder.nativeOrder()).putInt(0, 3).put(4, "ok".getBytes());
        assertEquals(Map.of(".data", List.of(Map.of("counter", 3L), Map.of("msg", "ok"))), f.tree(sec, data));
        assertEquals("""
                {
                    ".data": [{
                            "counter": 3
                        },{
                            "msg": "ok"
                        }
                    ]
                }""", f.format(sec, data));
    }

    @Test
    void tooFewBytesOrSizelessTypesAreErrors() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int proto = w.addFuncProto(i);
        BtfValueFormatter f = new BtfValueFormatter(Btf.parse(w.toBytes()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tree(i, new byte[3]));
        assertTrue(e.getMessage().contains("needs 4 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> f.tree(proto, new byte[8]));
    }

    private static byte[] le(long v, int n) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, v);
        byte[] out = new byte[n];
        System.arraycopy(b.array(), ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0 : 8 - n, out, 0, n);
        return out;
    }
}
