package io.ebpf4j.btf.core;

import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfExt.CoreRelo;
import io.ebpf4j.btf.BtfExt.CoreReloKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.BtfWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure engine on hand-built local and target BTF and hand-written instructions. */
class CoreRelocatorTest {
    private static final int MOV64_K = 0xb7;
    private static final int MOV64_X = 0xbf;
    private static final int LDX_W = 0x61;
    private static final int LDX_DW = 0x79;
    private static final int STX_W = 0x63;

    private static Btf btf(Consumer<BtfWriter> types) {
        BtfWriter w = new BtfWriter();
        types.accept(w);
        return Btf.parse(w.toBytes());
    }

    private static CoreRelocation one(Btf local, Btf target, List<Instruction> slots, int insn, int typeId,
                                      String access, CoreReloKind kind) {
        try (CoreTarget t = CoreTarget.of(target)) {
            return CoreRelocator.relocate("p", local, slots, List.of(new CoreRelocator.Site(insn,
                    new CoreRelo(insn * 8, typeId, 0, access, kind))), t).getFirst();
        }
    }

    private static List<Instruction> code(Instruction... insns) {
        List<Instruction> out = new ArrayList<>();
        for (Instruction i : insns) {
            out.add(i);
            if (i.isLdImm64()) {
                out.add(null);
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"task_struct___v2, task_struct", "a___b___c, a___b", "plain, plain", "a____b, a____b",
            "foo___, foo___", "___x, ___x", "x___1, x"})
    void essentialNamesDropTheLastFlavor(String name, String essential) {
        assertEquals(essential, CoreNames.essential(name));
    }

    @Test
    void aLoadOfAWidenedUnsignedFieldGetsTheNewOffsetAndSize() {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("unsigned int", 4, false), 0)));
        Btf target = btf(w -> {
            int u64 = w.addInt("unsigned long", 8, false);
            w.addStruct("s", 16, new BtfWriter.Member("pad", u64, 0), new BtfWriter.Member("f", u64, 64));
        });
        List<Instruction> slots = code(new Instruction(LDX_W, 1, 2, 0, 0));
        CoreRelocation r = one(local, target, slots, 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET);
        assertFalse(r.poisoned());
        assertEquals(new Instruction(LDX_DW, 1, 2, 8, 0), slots.getFirst());
        assertEquals(8, r.targetValue());
    }

    @Test
    void aLoadOfAResizedSignedFieldIsPoisoned() {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        Btf target = btf(w -> w.addStruct("s", 8, new BtfWriter.Member("f", w.addInt("long", 8, true), 0)));
        List<Instruction> slots = code(new Instruction(LDX_W, 1, 2, 0, 0));
        CoreRelocation r = one(local, target, slots, 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET);
        assertTrue(r.poisoned());
        assertTrue(r.reason().contains("not a pointer or unsigned integer"), r.reason());
        assertEquals(CoreRelocator.POISON_HELPER, slots.getFirst().imm());
        assertTrue(slots.getFirst().isHelperCall());
    }

    @Test
    void aStoreKeepsItsSizeWhenTheFieldDoesToo() {
        Btf local = btf(w -> w.addStruct("s", 8, new BtfWriter.Member("a", w.addInt("int", 4, true), 0),
                new BtfWriter.Member("b", 1, 32)));
        Btf target = btf(w -> w.addStruct("s", 12, new BtfWriter.Member("b", w.addInt("int", 4, true), 64)));
        List<Instruction> slots = code(new Instruction(STX_W, 1, 2, 4, 0));
        one(local, target, slots, 0, 2, "0:1", CoreReloKind.FIELD_BYTE_OFFSET);
        assertEquals(new Instruction(STX_W, 1, 2, 8, 0), slots.getFirst());
    }

    @Test
    void anInstructionThatDisagreesWithTheLocalBtfIsAnError() {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        CoreRelocationException e = assertThrows(CoreRelocationException.class, () -> one(local, local,
                code(new Instruction(MOV64_K, 1, 0, 0, 99)), 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET));
        assertTrue(e.getMessage().contains("immediate is 99 but the program's BTF says 0"), e.getMessage());
        assertTrue(e.getMessage().contains("struct s.f"), e.getMessage());
    }

    @Test
    void onlyImmediatesLoadsStoresAndLdImm64CarryRelocations() {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        assertThrows(CoreRelocationException.class, () -> one(local, local,
                code(new Instruction(MOV64_X, 1, 2, 0, 0)), 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET));
        assertThrows(CoreRelocationException.class, () -> one(local, local,
                code(new Instruction(0x95, 0, 0, 0, 0)), 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET));
    }

    @ParameterizedTest
    @CsvSource({"''", "0:", ":0", "0:x", "0:-1", "0:5"})
    void malformedAccessStringsAreErrors(String access) {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        CoreRelocationException e = assertThrows(CoreRelocationException.class, () -> one(local, local,
                code(new Instruction(MOV64_K, 1, 0, 0, 0)), 0, 2, access, CoreReloKind.FIELD_BYTE_OFFSET));
        assertTrue(e.getMessage().contains("access string"), e.getMessage());
    }

    @Test
    void anAnonymousLocalTypeCannotBeLookedUp() {
        Btf local = btf(w -> w.addStruct("", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        CoreRelocationException e = assertThrows(CoreRelocationException.class, () -> one(local, local,
                code(new Instruction(MOV64_K, 1, 0, 0, 0)), 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET));
        assertTrue(e.getMessage().contains("anonymous"), e.getMessage());
    }

    @Test
    void typeIdLocalNeedsNoCandidate() {
        Btf local = btf(w -> w.addStruct("", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        Btf empty = btf(w -> w.addInt("int", 4, true));
        List<Instruction> slots = code(new Instruction(Instruction.LD_IMM64, 1, 0, 0, 7));
        CoreRelocation r = one(local, empty, slots, 0, 2, "0", CoreReloKind.TYPE_ID_LOCAL);
        assertEquals(2, r.targetValue());
        assertEquals(2, slots.getFirst().imm());
    }

    @Test
    void aSameNamedFieldOfAnotherKindDoesNotMatch() {
        Btf local = btf(w -> w.addStruct("s", 4, new BtfWriter.Member("f", w.addInt("int", 4, true), 0)));
        Btf target = btf(w -> {
            int inner = w.addStruct("inner", 4, new BtfWriter.Member("x", w.addInt("int", 4, true), 0));
            w.addStruct("s", 4, new BtfWriter.Member("f", inner, 0));
        });
        List<Instruction> slots = code(new Instruction(MOV64_K, 1, 0, 0, 0));
        CoreRelocation r = one(local, target, slots, 0, 2, "0:0", CoreReloKind.FIELD_BYTE_OFFSET);
        assertTrue(r.poisoned());
        assertTrue(r.reason().contains("none has a matching field"), r.reason());
        List<Instruction> exists = code(new Instruction(MOV64_K, 1, 0, 0, 1));
        assertEquals(0, one(local, target, exists, 0, 2, "0:0", CoreReloKind.FIELD_EXISTS).targetValue());
        assertEquals(0, exists.getFirst().imm());
    }

    @Test
    void aFlexibleArrayMayBeIndexedPastItsLength() {
        Btf local = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int flex = w.addArray(i32, i32, 0);
            w.addStruct("msg", 4, new BtfWriter.Member("n", i32, 0), new BtfWriter.Member("data", flex, 32));
        });
        Btf target = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int flex = w.addArray(i32, i32, 0);
            w.addStruct("msg", 16, new BtfWriter.Member("hdr", w.addInt("long", 8, true), 0),
                    new BtfWriter.Member("n", i32, 64), new BtfWriter.Member("data", flex, 96));
        });
        List<Instruction> slots = code(new Instruction(MOV64_K, 1, 0, 0, 24));
        CoreRelocation r = one(local, target, slots, 0, 3, "0:1:5", CoreReloKind.FIELD_BYTE_OFFSET);
        assertEquals("struct msg.data[5]", r.target());
        assertEquals(12 + 20, slots.getFirst().imm());
    }

    @Test
    void anEnumValueMayComeFromAnEnum64AndFillAnLdImm64() {
        Btf local = btf(w -> w.addEnum("mode", 4, false, new BtfType.EnumValue("M_FAST", 1),
                new BtfType.EnumValue("M_SLOW", 2)));
        Btf target = btf(w -> w.addEnum64("mode", 8, false, new BtfType.EnumValue("M_SLOW___new", 1L << 40)));
        List<Instruction> slots = code(new Instruction(Instruction.LD_IMM64, 1, 0, 0, 2));
        CoreRelocation r = one(local, target, slots, 0, 1, "1", CoreReloKind.ENUMVAL_VALUE);
        assertEquals("enum mode::M_SLOW", r.target());
        assertEquals(1L << 40, slots.getFirst().imm());
        List<Instruction> fast = code(new Instruction(Instruction.LD_IMM64, 1, 0, 0, 1));
        CoreRelocation missing = one(local, target, fast, 0, 1, "0", CoreReloKind.ENUMVAL_VALUE);
        assertTrue(missing.poisoned());
        // Both slots of a poisoned ld_imm64 become the poison call.
        assertEquals(CoreRelocator.POISON_HELPER, fast.get(0).imm());
        assertEquals(CoreRelocator.POISON_HELPER, fast.get(1).imm());
    }

    @Test
    void typeMatchesFollowsLibbpfRules() {
        // struct holder { struct obj *p; int n; } locally; the target's pointer is to a forward declaration.
        Btf local = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int obj = w.addStruct("obj", 4, new BtfWriter.Member("x", i32, 0));
            w.addStruct("holder", 16, new BtfWriter.Member("p", w.addPtr(obj), 0), new BtfWriter.Member("n", i32, 64));
            w.addStruct("plain", 4, new BtfWriter.Member("x", i32, 0));
        });
        Btf target = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int fwd = w.addFwd("obj", false);
            w.addStruct("holder", 16, new BtfWriter.Member("n", i32, 0), new BtfWriter.Member("p", w.addPtr(fwd), 64),
                    new BtfWriter.Member("extra", i32, 96));
            w.addStruct("plain", 4, new BtfWriter.Member("x", w.addInt("unsigned int", 4, false), 0));
        });
        List<Instruction> holder = code(new Instruction(MOV64_K, 1, 0, 0, 1));
        assertEquals(1, one(local, target, holder, 0, 4, "0", CoreReloKind.TYPE_MATCHES).targetValue());
        List<Instruction> plain = code(new Instruction(MOV64_K, 1, 0, 0, 1));
        assertEquals(0, one(local, target, plain, 0, 5, "0", CoreReloKind.TYPE_MATCHES).targetValue(),
                "int vs unsigned int: no match");
        List<Instruction> exists = code(new Instruction(MOV64_K, 1, 0, 0, 1));
        assertEquals(1, one(local, target, exists, 0, 5, "0", CoreReloKind.TYPE_EXISTS).targetValue(),
                "but compatible");
    }

    @Test
    void typeCompatibilityComparesThroughPointersArraysAndPrototypes() {
        Btf local = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int p = w.addPtr(i32);
            w.addTypedef("fn_t", w.addFuncProto(i32, p, i32));
            w.addTypedef("ids_t", w.addArray(i32, i32, 4));
        });
        Btf target = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            int u8 = w.addInt("unsigned char", 1, false);
            w.addTypedef("fn_t", w.addFuncProto(i32, w.addPtr(u8), i32, i32));
            w.addTypedef("ids_t", w.addArray(u8, i32, 16));
        });
        List<Instruction> fn = code(new Instruction(MOV64_K, 1, 0, 0, 1));
        assertEquals(0, one(local, target, fn, 0, 4, "0", CoreReloKind.TYPE_EXISTS).targetValue(),
                "prototypes with different parameter counts");
        List<Instruction> ids = code(new Instruction(MOV64_K, 1, 0, 0, 16));
        CoreRelocation size = one(local, target, ids, 0, 6, "0", CoreReloKind.TYPE_SIZE);
        assertEquals(16, size.targetValue(), "arrays of any length and integer are compatible; the size is the target's");
    }

    @Test
    void modulesAreSearchedOnlyWhenTheMainBtfHasNoCandidate() {
        Btf local = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            w.addStruct("mod_only", 8, new BtfWriter.Member("f", i32, 0));
            w.addStruct("both", 8, new BtfWriter.Member("f", i32, 0));
        });
        Btf vmlinux = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            w.addStruct("both", 8, new BtfWriter.Member("f", i32, 0));
        });
        BtfWriter mw = BtfWriter.split(vmlinux);
        int i32 = 1;
        int modOnly = mw.addStruct("mod_only", 8, new BtfWriter.Member("pad", i32, 0), new BtfWriter.Member("f", i32, 32));
        mw.addStruct("both", 8, new BtfWriter.Member("pad", i32, 0), new BtfWriter.Member("f", i32, 32));
        Btf module = Btf.parse(mw.toBytes(), vmlinux);
        try (CoreTarget t = CoreTarget.of(vmlinux, List.of(module))) {
            assertEquals(List.of(new CoreTarget.Candidate(module, modOnly)),
                    t.candidates(io.ebpf4j.btf.BtfKind.STRUCT, "mod_only"));
            List<CoreTarget.Candidate> both = t.candidates(io.ebpf4j.btf.BtfKind.STRUCT, "both___flavor");
            assertEquals(1, both.size());
            assertEquals(vmlinux, both.getFirst().btf());
            List<Instruction> slots = code(new Instruction(MOV64_K, 1, 0, 0, 0));
            CoreRelocation r = CoreRelocator.relocate("p", local, slots, List.of(new CoreRelocator.Site(0,
                    new CoreRelo(0, 2, 0, "0:0", CoreReloKind.FIELD_BYTE_OFFSET))), t).getFirst();
            assertEquals(4, r.targetValue());
        }
        // The caller's BTF stays open.
        assertEquals("mod_only", module.nameOf(modOnly));
    }

    @Test
    void flavoredTargetNamesAreFoundFromTheStrings() {
        Btf target = btf(w -> {
            int i32 = w.addInt("int", 4, true);
            w.addStruct("sock___old", 4, new BtfWriter.Member("x___y", i32, 0));
            w.addStruct("sock___new", 4, new BtfWriter.Member("x", i32, 0));
            w.addStruct("other", 4, new BtfWriter.Member("x", i32, 0));
        });
        assertEquals(List.of("sock___old", "x___y", "sock___new"), target.stringsContaining("___"));
        try (CoreTarget t = CoreTarget.of(target)) {
            assertEquals(List.of(new CoreTarget.Candidate(target, 2), new CoreTarget.Candidate(target, 3)),
                    t.candidates(io.ebpf4j.btf.BtfKind.STRUCT, "sock"));
            assertEquals(List.of(), t.candidates(io.ebpf4j.btf.BtfKind.UNION, "sock"));
        }
    }

    @Test
    void poisonedAtFindsTheRelocationOfAnInstruction() {
        CoreRelocation ok = new CoreRelocation(3, CoreReloKind.FIELD_BYTE_OFFSET, 2, "0:0", "struct s.f", false, 0, 4, "");
        CoreRelocation bad = new CoreRelocation(7, CoreReloKind.FIELD_BYTE_OFFSET, 2, "0:1", "struct s.g", true, 4, 0, "gone");
        assertEquals(bad, CoreRelocator.poisonedAt(List.of(ok, bad), 7).orElseThrow());
        assertTrue(CoreRelocator.poisonedAt(List.of(ok, bad), 3).isEmpty());
        assertTrue(bad.describe().contains("FIELD_BYTE_OFFSET of struct s.g"));
    }
}
