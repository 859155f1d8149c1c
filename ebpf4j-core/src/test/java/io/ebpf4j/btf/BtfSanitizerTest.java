package io.ebpf4j.btf;

import io.ebpf4j.KernelAccess;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each downgrade as a pure transform on BTF that has every kind, then loaded into this kernel (which supports
 * all of them, so the downgraded BTF must load too).
 */
class BtfSanitizerTest {
    /** Ids of the sample's types. */
    private static final int INT = 1;
    private static final int PROTO = 2;
    private static final int FUNC = 3;
    private static final int VAR = 4;
    private static final int DATASEC = 5;
    private static final int QMARK_VAR = 6;
    private static final int QMARK_DATASEC = 7;
    private static final int FLOAT = 8;
    private static final int DECL_TAG = 9;
    private static final int TYPE_TAG = 10;
    private static final int PTR = 11;
    private static final int ENUM = 12;
    private static final int ENUM64 = 13;

    private static byte[] sample() {
        BtfWriter w = new BtfWriter();
        assertEquals(INT, w.addInt("int", 4, true));
        assertEquals(PROTO, w.addFuncProto(INT, List.of(new BtfType.Param("a", INT))));
        assertEquals(FUNC, w.addFunc("f", PROTO, 1));
        assertEquals(VAR, w.addVar("counter", INT, 1));
        assertEquals(DATASEC, w.addDatasec(".data", 4, List.of(new BtfType.VarSecinfo(VAR, 0, 4))));
        assertEquals(QMARK_VAR, w.addVar("opt", INT, 1));
        assertEquals(QMARK_DATASEC, w.addDatasec("?.opt", 8, List.of(new BtfType.VarSecinfo(QMARK_VAR, 4, 4))));
        assertEquals(FLOAT, w.addFloat("double", 8));
        assertEquals(DECL_TAG, w.addDeclTag("tag", FUNC, -1));
        assertEquals(TYPE_TAG, w.addTypeTag("user", INT));
        assertEquals(PTR, w.addPtr(TYPE_TAG));
        assertEquals(ENUM, w.addEnum("e", 4, true, new BtfType.EnumValue("MINUS", -1)));
        assertEquals(ENUM64, w.addEnum64("big", 8, "HUGE", 1L << 40));
        return w.toBytes();
    }

    private static Btf sanitized(BtfSanitizer.Support s) {
        byte[] out = BtfSanitizer.sanitize(sample(), s);
        loads(out);
        return Btf.parse(out);
    }

    /** Loads into the kernel when the test may use BPF; the transforms are checked either way. */
    private static void loads(byte[] raw) {
        if (!kernelAvailable()) {
            return;
        }
        try (LoadedBtf b = LoadedBtf.load(raw)) {
            assertTrue(b.fd() > 0);
        }
    }

    private static boolean kernelAvailable() {
        try {
            KernelAccess.assume();
            return true;
        } catch (org.opentest4j.TestAbortedException e) {
            return false;
        }
    }

    @Test
    void aKernelWithEverythingGetsTheBytesUnchanged() {
        byte[] raw = sample();
        assertSame(raw, BtfSanitizer.sanitize(raw, BtfSanitizer.Support.ALL));
        loads(raw);
    }

    @Test
    void globalFunctionsBecomeStatic() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withFuncGlobal(false));
        BtfType.Func f = assertInstanceOf(BtfType.Func.class, b.type(FUNC));
        assertEquals(BtfType.Linkage.STATIC, f.linkage());
        assertEquals("f", f.name());
    }

    @Test
    void withoutFuncFunctionsBecomeTypedefsAndProtosEnums() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withFunc(false));
        BtfType.Typedef t = assertInstanceOf(BtfType.Typedef.class, b.type(FUNC));
        assertEquals("f", t.name());
        BtfType.Enum e = assertInstanceOf(BtfType.Enum.class, b.type(PROTO));
        assertEquals(4, e.size());
        assertEquals("a", e.values().getFirst().name(), "parameters read as enumerators");
    }

    @Test
    void unnamedParametersGetANameAsEnumerators() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int proto = w.addFuncProto(i, List.of(new BtfType.Param("", i), new BtfType.Param("b", i)));
        int ptr = w.addPtr(proto);
        byte[] out = BtfSanitizer.sanitize(w.toBytes(), BtfSanitizer.Support.ALL.withFunc(false));
        loads(out);
        BtfType.Enum e = assertInstanceOf(BtfType.Enum.class, Btf.parse(out).type(proto));
        assertEquals(List.of("anon_param", "b"), e.values().stream().map(BtfType.EnumValue::name).toList());
        assertEquals(proto, ((BtfType.Ptr) Btf.parse(out).type(ptr)).type());
    }

    @Test
    void withoutDatasecVariablesBecomeIntsAndSectionsStructs() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withDatasec(false));
        BtfType.Int v = assertInstanceOf(BtfType.Int.class, b.type(VAR));
        assertEquals("counter", v.name());
        assertEquals(1, v.size());
        assertEquals(8, v.bits());
        BtfType.Struct s = assertInstanceOf(BtfType.Struct.class, b.type(DATASEC));
        assertEquals("_data", s.name(), "'.' and '?' become '_'");
        assertEquals(4, s.size());
        assertEquals(List.of(new BtfType.Member("counter", VAR, 0, 0)), s.members());
        BtfType.Struct q = assertInstanceOf(BtfType.Struct.class, b.type(QMARK_DATASEC));
        assertEquals("__opt", q.name());
        assertEquals(32, q.members().getFirst().bitOffset(), "byte offset 4 is bit offset 32");
    }

    @Test
    void qmarkDatasecNamesLoseTheirQuestionMark() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withQmarkDatasec(false));
        BtfType.Datasec d = assertInstanceOf(BtfType.Datasec.class, b.type(QMARK_DATASEC));
        assertEquals("_.opt", d.name());
        assertEquals(".data", b.nameOf(DATASEC));
    }

    @Test
    void floatsBecomeAnonymousStructsOfTheSameSize() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withFloats(false));
        BtfType.Struct s = assertInstanceOf(BtfType.Struct.class, b.type(FLOAT));
        assertEquals("", s.name());
        assertEquals(8, s.size());
        assertTrue(s.members().isEmpty());
    }

    @Test
    void declTagsBecomeOneByteInts() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withDeclTag(false));
        BtfType.Int i = assertInstanceOf(BtfType.Int.class, b.type(DECL_TAG));
        assertEquals(1, i.size());
        assertInstanceOf(BtfType.Func.class, b.type(FUNC), "the tagged function is untouched");
    }

    @Test
    void typeTagsBecomeAnonymousConsts() {
        Btf b = sanitized(BtfSanitizer.Support.ALL.withTypeTag(false));
        BtfType.Const c = assertInstanceOf(BtfType.Const.class, b.type(TYPE_TAG));
        assertEquals("", c.name());
        assertEquals(INT, c.type());
        assertEquals(INT, b.resolve(((BtfType.Ptr) b.type(PTR)).type()), "the pointer still reaches int");
    }

    @Test
    void withoutEnum64EnumsLoseSignednessAndEnum64sBecomeUnions() {
        byte[] raw = sample();
        byte[] out = BtfSanitizer.sanitize(raw, BtfSanitizer.Support.ALL.withEnum64(false));
        loads(out);
        Btf b = Btf.parse(out);
        BtfType.Enum e = assertInstanceOf(BtfType.Enum.class, b.type(ENUM));
        assertTrue(!e.signed(), "kind_flag cleared");
        BtfType.Union u = assertInstanceOf(BtfType.Union.class, b.type(ENUM64));
        assertEquals(8, u.size());
        assertEquals(1, u.members().size());
        BtfType.Member m = u.members().getFirst();
        assertEquals("HUGE", m.name());
        assertEquals(0, m.bitOffset());
        BtfType.Int placeholder = assertInstanceOf(BtfType.Int.class, b.type(m.type()));
        assertEquals("enum64_placeholder", placeholder.name());
        assertEquals(1, placeholder.size());
        assertEquals(Btf.parse(raw).lastTypeId() + 1, b.lastTypeId(), "one type appended");
        // Strings and ids of everything else are where they were.
        assertEquals("counter", b.nameOf(VAR));
        assertArrayEquals(new int[] {INT, FUNC}, new int[] {b.find("int", BtfKind.INT).orElseThrow(),
                b.find("f", BtfKind.FUNC).orElseThrow()});
    }

    @Test
    void everythingOffAtOnceStillLoads() {
        BtfSanitizer.Support none = new BtfSanitizer.Support(false, false, false, false, false, false, false, false);
        Btf b = sanitized(none);
        for (int id = b.firstTypeId(); id <= b.lastTypeId(); id++) {
            BtfKind k = b.kind(id);
            assertTrue(k != BtfKind.FUNC && k != BtfKind.VAR && k != BtfKind.DATASEC && k != BtfKind.FLOAT
                    && k != BtfKind.DECL_TAG && k != BtfKind.TYPE_TAG && k != BtfKind.ENUM64 && k != BtfKind.FUNC_PROTO,
                    "type " + id + " is still " + k);
        }
    }
}
