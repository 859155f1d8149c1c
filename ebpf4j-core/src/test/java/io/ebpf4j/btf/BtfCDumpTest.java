package io.ebpf4j.btf;

import io.ebpf4j.btf.BtfType.EnumValue;
import io.ebpf4j.btf.BtfType.IntEncoding;
import io.ebpf4j.btf.BtfType.Param;
import io.ebpf4j.btf.BtfWriter.Member;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The C dumper on hand-built BTF, one tricky case per test; {@link CLayout} also compiles each result with
 * clang (when installed) and checks that sizes and offsets come out as BTF says.
 */
class BtfCDumpTest {
    private static Btf parse(BtfWriter w) {
        return Btf.parse(w.toBytes());
    }

    /** Every type's definition, no header. */
    private static String dump(Btf btf) {
        StringBuilder sb = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, sb);
        for (int id = 1; id <= btf.lastTypeId(); id++) {
            d.dumpType(id);
        }
        return sb.toString();
    }

    private static String dumpAndCompile(BtfWriter w) {
        Btf btf = parse(w);
        String c = dump(btf);
        CLayout.check(btf, "BtfCDumpTest");
        return c;
    }

    @Test
    void embeddedTypesComeFirstAndPointerOnlyOnesAreForwardDeclared() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int pb = w.addPtr(4); // 2: struct B *
        int a = w.addStruct("A", 16, new Member("b", pb, 0), new Member("x", i, 64)); // 3
        w.addStruct("B", 16, new Member("a", a, 0)); // 4
        w.addStruct("C", 8, new Member("self", w.addPtr(6), 0)); // 5 *C, 6 C
        assertEquals("""
                struct B;

                struct A {
                \tstruct B *b;
                \tint x;
                };

                struct B {
                \tstruct A a;
                };

                struct C {
                \tstruct C *self;
                };

                """, dumpAndCompile(w));
    }

    @Test
    void embeddingOrderIsTopologicalWhateverTheIds() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int outer = w.addStruct("outer", 8, new Member("in", 3, 0), new Member("t", 4, 32)); // 2
        w.addStruct("inner", 4, new Member("v", i, 0)); // 3
        w.addTypedef("inner_t", i); // 4
        assertEquals(2, outer);
        assertEquals("""
                struct inner {
                \tint v;
                };

                typedef int inner_t;

                struct outer {
                \tstruct inner in;
                \tinner_t t;
                };

                """, dumpAndCompile(w));
    }

    @Test
    void anonymousStructsAndUnionsAreInline() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int l = w.addInt("long long int", 8, true); // 2
        int anonS = w.addStruct("", 8, new Member("lo", i, 0), new Member("hi", i, 32)); // 3
        int anonU = w.addUnion("", 8, new Member("whole", l, 0), new Member("", anonS, 0)); // 4
        int e = w.addEnum("", 4, false, new EnumValue("A", 0), new EnumValue("B", 1)); // 5
        w.addStruct("s", 24, new Member("kind", e, 0), new Member("", anonU, 64),
                new Member("named", anonS, 128)); // 6
        assertEquals("""
                struct s {
                \tenum {
                \t\tA = 0,
                \t\tB = 1,
                \t} kind;
                \tunion {
                \t\tlong long int whole;
                \t\tstruct {
                \t\t\tint lo;
                \t\t\tint hi;
                \t\t};
                \t};
                \tstruct {
                \t\tint lo;
                \t\tint hi;
                \t} named;
                };

                """, dumpAndCompile(w));
    }

    @Test
    void bitfieldsAndGapsArePaddedToTheExactOffsets() {
        BtfWriter w = new BtfWriter();
        int u = w.addInt("unsigned int", 4, false); // 1
        int ch = w.addInt("char", 1, true); // 2
        int l = w.addInt("long int", 8, true); // 3
        // a:3 at 0, b:5 at 3, gap, c:4 at 16 (a hole of 8 bits), then a char at byte 4 and a long at byte 16.
        w.addStruct("bits", 24, new Member("a", u, 0, 3), new Member("b", u, 3, 5), new Member("c", u, 16, 4),
                new Member("d", ch, 32), new Member("e", l, 128));
        // A struct whose tail BTF says is larger than its members need.
        w.addStruct("tail", 32, new Member("x", ch, 0));
        String c = dumpAndCompile(w);
        assertEquals("""
                struct bits {
                \tunsigned int a: 3;
                \tunsigned int b: 5;
                \tshort: 8;
                \tunsigned int c: 4;
                \tint: 0;
                \tchar d;
                \tlong: 64;
                \tlong int e;
                };

                struct tail {
                \tchar x;
                \tlong: 64;
                \tlong: 64;
                \tlong: 64;
                };

                """, c);
    }

    @Test
    void unnaturalOffsetsMakeAStructPacked() {
        BtfWriter w = new BtfWriter();
        int ch = w.addInt("char", 1, true); // 1
        int i = w.addInt("int", 4, true); // 2
        int p = w.addStruct("p", 5, new Member("c", ch, 0), new Member("i", i, 8)); // 3
        w.addStruct("holder", 6, new Member("c", ch, 0), new Member("p", p, 8)); // 4
        // Natural alignment explains this one: not packed.
        w.addStruct("natural", 8, new Member("c", ch, 0), new Member("i", i, 32)); // 5
        assertEquals("""
                struct p {
                \tchar c;
                \tint i;
                } __attribute__((packed));

                struct holder {
                \tchar c;
                \tstruct p p;
                };

                struct natural {
                \tchar c;
                \tint i;
                };

                """, dumpAndCompile(w));
    }

    @Test
    void aUnionLargerThanItsMembersKeepsItsSize() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        w.addUnion("u", 16, new Member("a", i, 0));
        String c = dumpAndCompile(w);
        assertTrue(c.contains("char " + BtfCDump.UNION_PAD + "[16];"), c);
    }

    @Test
    void enumsKeepTheirValuesSignednessAndSize() {
        BtfWriter w = new BtfWriter();
        w.addEnum("small", 1, false, new EnumValue("S0", 0), new EnumValue("S1", 255));
        w.addEnum("neg", 4, true, new EnumValue("N", -1), new EnumValue("P", 7));
        w.addEnum("uns", 4, false, new EnumValue("BIG", 0xffffffffL));
        w.addEnum64("wide", 8, false, new EnumValue("W", 0xffff_ffff_0000_0000L), new EnumValue("MAX", -1L));
        w.addEnum64("wide_signed", 8, true, new EnumValue("M", Long.MIN_VALUE));
        w.addEnum64("narrow64", 8, false, new EnumValue("ONE", 1));
        w.addEnum("word", 8, false, new EnumValue("X", 1));
        w.addInt("long int", 8, true);
        assertEquals("""
                enum small {
                \tS0 = 0,
                \tS1 = 255,
                } __attribute__((mode(byte)));

                enum neg {
                \tN = -1,
                \tP = 7,
                };

                enum uns {
                \tBIG = 4294967295,
                };

                enum wide {
                \tW = 18446744069414584320ULL,
                \tMAX = 18446744073709551615ULL,
                };

                enum wide_signed {
                \tM = (-9223372036854775807LL - 1),
                };

                enum narrow64 {
                \tONE = 1ULL,
                } __attribute__((mode(word)));

                enum word {
                \tX = 1,
                } __attribute__((mode(word)));

                """, dumpAndCompile(w));
    }

    @Test
    void typedefChainsFunctionPointersArraysAndQualifiers() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int ch = w.addInt("char", 1, true); // 2
        int u32 = w.addTypedef("u32", w.addInt("unsigned int", 4, false)); // 3 uint, 4 u32
        int myU32 = w.addTypedef("my_u32", u32); // 5
        int cch = w.addConst(ch); // 6
        int pcch = w.addPtr(cch); // 7: const char *
        int proto = w.addFuncProto(i, List.of(new Param("name", pcch), new Param("n", myU32))); // 8
        int fp = w.addPtr(proto); // 9
        int varargs = w.addFuncProto(0, List.of(new Param("fmt", pcch), new Param("", 0))); // 10
        int noargs = w.addFuncProto(fp, List.of()); // 11: returns a function pointer
        int row = w.addArray(i, i, 3); // 12
        int grid = w.addArray(row, i, 2); // 13: int[2][3]
        int vp = w.addVolatile(w.addPtr(i)); // 14 int *, 15 volatile
        int rp = w.addRestrict(w.addPtr(ch)); // 16 char *, 17 restrict
        int cvp = w.addConst(w.addPtr(vp)); // 18 ptr, 19 const
        int pgrid = w.addPtr(grid); // 20
        int afp = w.addArray(fp, i, 4); // 21: array of function pointers
        w.addStruct("ops", 112, new Member("cb", fp, 0), new Member("log", w.addPtr(varargs), 64), // 22 ptr
                new Member("get", w.addPtr(noargs), 128), new Member("grid", grid, 192), // 24 ptr
                new Member("vp", vp, 384), new Member("rp", rp, 448), new Member("cvp", cvp, 512),
                new Member("pgrid", pgrid, 576), new Member("table", afp, 640)); // ops is 23
        w.addTypedef("handler_t", fp); // 25
        assertEquals("""
                typedef unsigned int u32;

                typedef u32 my_u32;

                struct ops {
                \tint (*cb)(const char *, my_u32);
                \tvoid (*log)(const char *, ...);
                \tint (* (*get)(void))(const char *, my_u32);
                \tint grid[2][3];
                \tint * volatile vp;
                \tchar * restrict rp;
                \tint * volatile * const cvp;
                \tint (*pgrid)[2][3];
                \tint (*table[4])(const char *, my_u32);
                };

                typedef int (*handler_t)(const char *, my_u32);

                """.replace("(const char *, my_u32)", "(const char *name, my_u32 n)")
                .replace("(const char *, ...)", "(const char *fmt, ...)"), dumpAndCompile(w));
    }

    @Test
    void typeTagsBecomeAttributes() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int tag = w.addTypeTag("user", i); // 2
        int p = w.addPtr(tag); // 3
        w.addStruct("t", 8, new Member("up", p, 0));
        assertEquals("""
                struct t {
                \tint __attribute__((btf_type_tag("user"))) *up;
                };

                """, dumpAndCompile(w));
    }

    @Test
    void repeatedNamesGetNumberedSuffixes() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        w.addStruct("dup", 4, new Member("a", i, 0)); // 2
        w.addStruct("dup", 8, new Member("a", i, 0), new Member("b", i, 32)); // 3
        w.addTypedef("t", i); // 4
        w.addTypedef("t", w.addPtr(i)); // 5 ptr, 6 typedef
        w.addEnum("", 4, false, new EnumValue("K", 1)); // 7: top-level constants
        w.addEnum("", 4, false, new EnumValue("K", 2)); // 8
        assertEquals("""
                struct dup {
                \tint a;
                };

                struct dup___2 {
                \tint a;
                \tint b;
                };

                typedef int t;

                typedef int *t___2;

                enum {
                \tK = 1,
                };

                enum {
                \tK___2 = 2,
                };

                """, dumpAndCompile(w));
    }

    @Test
    void forwardDeclarationsAndEmptyStructs() {
        BtfWriter w = new BtfWriter();
        int fwd = w.addFwd("opaque", false); // 1
        int fwdU = w.addFwd("uopaque", true); // 2
        w.addStruct("refs", 16, new Member("o", w.addPtr(fwd), 0), new Member("u", w.addPtr(fwdU), 64));
        w.addStruct("empty", 0);
        assertEquals("""
                struct opaque;

                union uopaque;

                struct refs {
                \tstruct opaque *o;
                \tunion uopaque *u;
                };

                struct empty {};

                """, dumpAndCompile(w));
    }

    @Test
    void theHeaderHasGuardsAndPreservesAccessIndex() {
        BtfWriter w = new BtfWriter();
        w.addInt("int", 4, true);
        String h = BtfCDump.header(parse(w));
        assertEquals("""
                #ifndef __VMLINUX_H__
                #define __VMLINUX_H__

                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
                #endif

                #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                #pragma clang attribute pop
                #endif

                #endif /* __VMLINUX_H__ */
                """, h);
    }

    @Test
    void aCycleWithoutAPointerIsAnError() {
        BtfWriter w = new BtfWriter();
        w.addStruct("a", 4, new Member("b", 2, 0)); // 1
        w.addStruct("b", 4, new Member("a", 1, 0)); // 2
        BtfFormatException e = assertThrows(BtfFormatException.class, () -> dump(parse(w)));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }

    @Test
    void dumpTypeEmitsDependenciesOnce() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int t = w.addTypedef("myint", i);
        int s = w.addStruct("s", 4, new Member("v", t, 0));
        int ptrToArray = w.addPtr(w.addArray(t, i, 3));
        Btf btf = parse(w);
        StringBuilder sb = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, sb);
        d.dumpType(s);
        d.dumpType(t);
        d.dumpType(s);
        assertEquals("""
                typedef int myint;

                struct s {
                \tmyint v;
                };

                """, sb.toString());
        assertEquals("struct s", d.cName(s));
        assertEquals("myint", d.cName(t));
        assertEquals("myint (*x)[3]", d.declaration(ptrToArray, "x"));
        assertEquals("myint(*)[3]", d.declaration(ptrToArray, ""), "a cast's spelling, as bpftool writes it");
        assertThrows(IllegalArgumentException.class, () -> d.dumpType(99));
    }

    @Test
    void splitBtfIsDumpedWithItsBase() {
        BtfWriter bw = new BtfWriter();
        int i = bw.addInt("int", 4, true);
        int base = bw.addStruct("base_rec", 4, new Member("v", i, 0));
        Btf baseBtf = parse(bw);
        BtfWriter sw = BtfWriter.split(baseBtf);
        sw.addStruct("module_rec", 8, new Member("b", base, 0), new Member("w", i, 32));
        Btf split = Btf.parse(sw.toBytes(), baseBtf);
        assertEquals("""
                struct base_rec {
                \tint v;
                };

                struct module_rec {
                \tstruct base_rec b;
                \tint w;
                };

                """, dump(split));
        CLayout.check(split, "BtfCDumpTest-split");
    }

    /** The compiler's va_list is its own (a pointer for BPF): what BTF says it occupies is filled up after it. */
    @Test
    void anEmbeddedVaListKeepsTheFollowingOffsets() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true); // 1
        int u = w.addInt("unsigned int", 4, false); // 2
        int vp = w.addPtr(0); // 3
        int tag = w.addStruct("__va_list_tag", 24, new Member("gp_offset", u, 0), new Member("fp_offset", u, 32),
                new Member("overflow_arg_area", vp, 64), new Member("reg_save_area", vp, 128)); // 4
        int builtin = w.addTypedef("__builtin_va_list", w.addArray(tag, i, 1)); // 5 array, 6 typedef
        int vaList = w.addTypedef("va_list", builtin); // 7
        int fmt = w.addPtr(w.addConst(w.add(new BtfType.Int("char", 1, IntEncoding.SIGNED, 0, 8)))); // 8 char, 9, 10
        w.addStruct("warn_args", 40, new Member("fmt", fmt, 0), new Member("args", vaList, 64),
                new Member("after", i, 256));
        String c = dumpAndCompile(w);
        assertTrue(!c.contains("typedef struct __va_list_tag __builtin_va_list"), "the builtin is never redefined:\n" + c);
        assertTrue(c.contains("""
                struct warn_args {
                \tconst char *fmt;
                \tva_list args;
                \tchar args___va_list_pad[24 - sizeof(__builtin_va_list)];
                \tint after;
                """), c);
    }
}
