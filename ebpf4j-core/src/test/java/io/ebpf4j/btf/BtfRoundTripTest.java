package io.ebpf4j.btf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What BtfWriter writes, Btf reads back as the same records. */
class BtfRoundTripTest {
    /** A BTF of every kind, with the variants each kind_flag and vlen allow; returns the records by id. */
    static List<BtfType> everyKind(BtfWriter w) {
        List<BtfType> t = new ArrayList<>();
        t.add(BtfType.Void.INSTANCE);
        int i = add(w, t, new BtfType.Int("int", 4, BtfType.IntEncoding.SIGNED, 0, 32));
        int u8 = add(w, t, new BtfType.Int("unsigned char", 1, BtfType.IntEncoding.NONE, 0, 8));
        add(w, t, new BtfType.Int("char", 1, BtfType.IntEncoding.CHAR, 0, 8));
        add(w, t, new BtfType.Int("_Bool", 1, BtfType.IntEncoding.BOOL, 0, 8));
        add(w, t, new BtfType.Int("odd", 4, BtfType.IntEncoding.NONE, 3, 17));
        int p = add(w, t, new BtfType.Ptr("", i));
        add(w, t, new BtfType.Array("", u8, i, 16));
        add(w, t, new BtfType.Array("", p, i, -1)); // nelems is unsigned: 0xffffffff
        int s = add(w, t, new BtfType.Struct("pair", 8, List.of(
                new BtfType.Member("a", i, 0, 0), new BtfType.Member("b", i, 32, 0))));
        add(w, t, new BtfType.Struct("bits", 4, List.of(
                new BtfType.Member("x", i, 0, 3), new BtfType.Member("y", i, 3, 29), new BtfType.Member("", s, 0, 0))));
        add(w, t, new BtfType.Struct("", 0, List.of()));
        add(w, t, new BtfType.Union("u", 8, List.of(new BtfType.Member("i", i, 0, 0), new BtfType.Member("p", p, 0, 0))));
        add(w, t, new BtfType.Union("ubits", 4, List.of(new BtfType.Member("f", i, 0, 5))));
        add(w, t, new BtfType.Enum("color", 4, false, List.of(new BtfType.EnumValue("RED", 0),
                new BtfType.EnumValue("BIG", 0xffffffffL))));
        add(w, t, new BtfType.Enum("sign", 4, true, List.of(new BtfType.EnumValue("NEG", -1),
                new BtfType.EnumValue("MIN", Integer.MIN_VALUE))));
        add(w, t, new BtfType.Enum64("wide", 8, false, List.of(new BtfType.EnumValue("TOP", -1L),
                new BtfType.EnumValue("HI", 1L << 40))));
        add(w, t, new BtfType.Enum64("swide", 8, true, List.of(new BtfType.EnumValue("LOW", Long.MIN_VALUE))));
        add(w, t, new BtfType.Fwd("later", false));
        add(w, t, new BtfType.Fwd("ulater", true));
        int td = add(w, t, new BtfType.Typedef("int_t", i));
        int v = add(w, t, new BtfType.Volatile("", td));
        int c = add(w, t, new BtfType.Const("", v));
        int r = add(w, t, new BtfType.Restrict("", p));
        int proto = add(w, t, new BtfType.FuncProto("", i, List.of(new BtfType.Param("x", c), new BtfType.Param("y", r))));
        add(w, t, new BtfType.FuncProto("", 0, List.of(new BtfType.Param("fmt", p), new BtfType.Param("", 0))));
        int f = add(w, t, new BtfType.Func("f", proto, BtfType.Linkage.GLOBAL));
        add(w, t, new BtfType.Func("g", proto, BtfType.Linkage.STATIC));
        add(w, t, new BtfType.Func("h", proto, BtfType.Linkage.EXTERN));
        int var = add(w, t, new BtfType.Var("counter", i, BtfType.Linkage.GLOBAL));
        int var2 = add(w, t, new BtfType.Var("st", s, BtfType.Linkage.STATIC));
        add(w, t, new BtfType.Var("ext", i, BtfType.Linkage.EXTERN));
        add(w, t, new BtfType.Datasec(".data", 12, List.of(new BtfType.VarSecinfo(var, 0, 4), new BtfType.VarSecinfo(var2, 4, 8))));
        add(w, t, new BtfType.Float("double", 8));
        add(w, t, new BtfType.DeclTag("kfunc", f, -1, false));
        add(w, t, new BtfType.DeclTag("nonnull", f, 1, true));
        add(w, t, new BtfType.TypeTag("rcu", i, false));
        add(w, t, new BtfType.TypeTag("address_space(1)", i, true));
        return t;
    }

    private static int add(BtfWriter w, List<BtfType> t, BtfType type) {
        int id = w.add(type);
        assertEquals(t.size(), id);
        t.add(type);
        return id;
    }

    @ParameterizedTest
    @ValueSource(strings = {"LITTLE_ENDIAN", "BIG_ENDIAN"})
    void everyKindReadsBackEqual(String orderName) {
        ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        BtfWriter w = new BtfWriter(order);
        List<BtfType> written = everyKind(w);
        Btf btf = Btf.parse(w.toBytes());
        assertEquals(order, btf.byteOrder());
        assertEquals(written.size() - 1, btf.typeCount());
        Set<BtfKind> seen = EnumSet.noneOf(BtfKind.class);
        for (int id = 0; id < written.size(); id++) {
            assertEquals(written.get(id), btf.type(id), "type id " + id);
            assertEquals(written.get(id).kind(), btf.kind(id));
            assertEquals(written.get(id).name(), btf.nameOf(id));
            seen.add(btf.kind(id));
        }
        assertEquals(EnumSet.allOf(BtfKind.class), seen, "every kind written");
    }

    @Test
    void rewritingDecodedTypesGivesTheSameBytes() {
        BtfWriter w = new BtfWriter();
        everyKind(w);
        byte[] raw = w.toBytes();
        Btf btf = Btf.parse(raw);
        BtfWriter again = new BtfWriter();
        for (int id = 1; id <= btf.lastTypeId(); id++) {
            again.add(btf.type(id));
        }
        assertEquals(java.util.HexFormat.of().formatHex(raw), java.util.HexFormat.of().formatHex(again.toBytes()));
    }

    @Test
    void theProbeMethodsWriteWhatTheyPromise() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int l = w.addInt("long", 8, true);
        int s = w.addStruct("pair", 8, new BtfWriter.Member("a", i, 0), new BtfWriter.Member("b", i, 32));
        int bf = w.addStruct("bf", 4, new BtfWriter.Member("x", i, 0, 1), new BtfWriter.Member("y", i, 1, 7));
        int un = w.addUnion("un", 8, new BtfWriter.Member("i", i, 0), new BtfWriter.Member("l", l, 0));
        int en = w.addEnum("e", 4, true, new BtfType.EnumValue("A", -2));
        int e64 = w.addEnum64("e64", 8, "V", 1L << 40);
        int fwd = w.addFwd("f", true);
        int k = w.addConst(i);
        int v = w.addVolatile(k);
        int p = w.addPtr(v);
        int r = w.addRestrict(p);
        int proto = w.addFuncProto(i, i, l);
        int named = w.addFuncProto(0, List.of(new BtfType.Param("ctx", r)));
        int fn = w.addFunc("probe", proto, 1);
        int var = w.addVar("x", i, 1);
        int ds = w.addDatasec(".data", 4, var, 4);
        int fl = w.addFloat("float", 4);
        int dt = w.addDeclTag("tag", var, -1);
        int tt = w.addTypeTag("tag", i);
        int arr = w.addArray(i, i, 3);
        int td = w.addTypedef("pair_t", s);
        Btf b = Btf.parse(w.toBytes());
        assertEquals(new BtfType.Int("int", 4, BtfType.IntEncoding.SIGNED, 0, 32), b.type(i));
        assertEquals(List.of(new BtfType.Member("x", i, 0, 1), new BtfType.Member("y", i, 1, 7)),
                ((BtfType.Struct) b.type(bf)).members());
        assertEquals(new BtfType.Union("un", 8, List.of(new BtfType.Member("i", i, 0, 0), new BtfType.Member("l", l, 0, 0))), b.type(un));
        assertEquals(new BtfType.Enum("e", 4, true, List.of(new BtfType.EnumValue("A", -2))), b.type(en));
        assertEquals(new BtfType.Enum64("e64", 8, false, List.of(new BtfType.EnumValue("V", 1L << 40))), b.type(e64));
        assertEquals(new BtfType.Fwd("f", true), b.type(fwd));
        assertEquals(new BtfType.FuncProto("", i, List.of(new BtfType.Param("", i), new BtfType.Param("", l))), b.type(proto));
        assertEquals(new BtfType.FuncProto("", 0, List.of(new BtfType.Param("ctx", r))), b.type(named));
        assertEquals(new BtfType.Func("probe", proto, BtfType.Linkage.GLOBAL), b.type(fn));
        assertEquals(new BtfType.Datasec(".data", 4, List.of(new BtfType.VarSecinfo(var, 0, 4))), b.type(ds));
        assertEquals(new BtfType.Float("float", 4), b.type(fl));
        assertEquals(new BtfType.DeclTag("tag", var, -1, false), b.type(dt));
        assertEquals(new BtfType.TypeTag("tag", i, false), b.type(tt));
        assertEquals(new BtfType.Array("", i, i, 3), b.type(arr));
        // Resolution and sizes through the chain restrict -> ptr -> volatile -> const -> int.
        assertEquals(p, b.resolve(r));
        assertEquals(i, b.resolve(v));
        assertEquals(i, b.resolve(tt));
        assertEquals(8, b.sizeOf(r), "pointer size from the 8-byte long");
        assertEquals(12, b.sizeOf(arr));
        assertEquals(8, b.sizeOf(td));
        assertEquals(4, b.sizeOf(var));
        assertThrows(IllegalArgumentException.class, () -> b.sizeOf(fn));
        assertThrows(IllegalArgumentException.class, () -> b.sizeOf(0));
        assertThrows(IllegalArgumentException.class, () -> b.type(b.lastTypeId() + 1));
        assertThrows(IllegalArgumentException.class, () -> b.type(-1));
        assertEquals(List.of(dt, tt), b.findByName("tag"));
        assertEquals(OptionalInt.of(tt), b.find("tag", BtfKind.TYPE_TAG));
        assertTrue(b.find("tag", BtfKind.STRUCT).isEmpty());
        assertTrue(b.findByName("").isEmpty());
    }

    @Test
    void pointersAreFourBytesWhereLongIs() {
        BtfWriter w = new BtfWriter();
        int l = w.addInt("long int", 4, true);
        int p = w.addPtr(l);
        assertEquals(4, Btf.parse(w.toBytes()).sizeOf(p));
    }

    @Test
    void manyNamesFindTheirTypes() {
        BtfWriter w = new BtfWriter();
        int n = 5000;
        int i = w.addInt("int", 4, true);
        for (int k = 0; k < n; k++) {
            // Names of every length up to 40 bytes, with shared prefixes, so that the hash sees partial words.
            w.addTypedef(("t" + k + "_" + "x".repeat(k % 40)), i);
            w.addStruct(("t" + k + "_" + "x".repeat(k % 40)), 0);
        }
        Btf b = Btf.parse(w.toBytes());
        for (int k = 0; k < n; k++) {
            String name = "t" + k + "_" + "x".repeat(k % 40);
            int typedef = 2 + 2 * k;
            assertEquals(List.of(typedef, typedef + 1), b.findByName(name));
            assertEquals(OptionalInt.of(typedef + 1), b.find(name, BtfKind.STRUCT));
            assertEquals(OptionalInt.of(typedef), b.find(name, BtfKind.TYPEDEF));
            assertTrue(b.find(name + "x", BtfKind.TYPEDEF).isEmpty() || (k % 40) == 39);
        }
        assertEquals(List.of(1), b.findByName("int"));
    }

    @Test
    void splitBtfContinuesItsBase() {
        BtfWriter bw = new BtfWriter();
        int i = bw.addInt("int", 4, true);
        int list = bw.addStruct("list_head", 16);
        int td = bw.addTypedef("s32", i);
        Btf base = Btf.parse(bw.toBytes());

        BtfWriter sw = BtfWriter.split(base);
        int mod = sw.addStruct("mod_state", 24, new BtfWriter.Member("n", td, 0), new BtfWriter.Member("l", list, 64));
        int p = sw.addPtr(mod);
        int again = sw.addStruct("list_head", 16); // a split may repeat a base name
        int borrowed = sw.addTypedef("borrowed", p);
        byte[] raw = sw.toBytes();
        // Give the last type a name from the base's strings ("int" at base offset 1), as deduplicated split BTF does.
        int lastNameOff = Btf.HEADER_LEN + (12 + 2 * 12) + 12 + 12;
        java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.nativeOrder()).putInt(lastNameOff, 1);
        Btf split = Btf.parse(raw, base);

        assertEquals(4, split.firstTypeId());
        assertEquals(base.lastTypeId() + 1, mod);
        assertEquals(7, split.lastTypeId());
        assertEquals(4, split.typeCount());
        assertEquals(base.type(i), split.type(i), "base ids decode through the base");
        assertEquals(new BtfType.Struct("mod_state", 24, List.of(new BtfType.Member("n", td, 0, 0),
                new BtfType.Member("l", list, 64, 0))), split.type(mod));
        assertEquals(new BtfType.Typedef("int", p), split.type(borrowed));
        assertEquals(List.of(i, borrowed), split.findByName("int"));
        assertEquals(List.of(list, again), split.findByName("list_head"));
        assertEquals(OptionalInt.of(list), split.find("list_head", BtfKind.STRUCT), "the base's comes first");
        assertEquals(OptionalInt.of(mod), split.find("mod_state", BtfKind.STRUCT));
        assertTrue(base.find("mod_state", BtfKind.STRUCT).isEmpty());
        assertEquals(i, split.resolve(td));
        assertEquals(4, split.sizeOf(((BtfType.Struct) split.type(mod)).members().get(0).type()));
        assertEquals(base.stringsEnd() + "mod_state".length() + 1 + "n".length() + 1 + "l".length() + 1
                + "list_head".length() + 1 + "borrowed".length() + 1, split.stringsEnd());
        assertThrows(IllegalArgumentException.class, () -> base.type(mod));
    }
}
