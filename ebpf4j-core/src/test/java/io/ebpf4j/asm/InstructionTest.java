package io.ebpf4j.asm;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static io.ebpf4j.asm.Register.R10;
import static io.ebpf4j.asm.Register.R2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstructionTest {

    private static byte[] hex(String s) {
        return HexFormat.ofDelimiter(" ").parseHex(s);
    }

    private static Instruction single(Assembler a) {
        List<Instruction> insns = a.build();
        assertEquals(1, insns.size());
        return insns.getFirst();
    }

    @Test
    void handComputedEncodings() {
        assertArrayEquals(hex("b7 00 00 00 00 00 00 00"), single(new Assembler().mov64(R0, 0)).encode());
        assertArrayEquals(hex("95 00 00 00 00 00 00 00"), single(new Assembler().exit()).encode());
        assertArrayEquals(hex("18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11"),
                single(new Assembler().ldImm64(R1, 0x1122334455667788L)).encode());
        assertArrayEquals(hex("85 00 00 00 01 00 00 00"), single(new Assembler().call(1)).encode());
        assertArrayEquals(hex("61 12 04 00 00 00 00 00"), single(new Assembler().ldxW(R2, R1, 4)).encode());
        assertArrayEquals(hex("7b 1a f8 ff 00 00 00 00"), single(new Assembler().stxDW(R10, R1, -8)).encode());
        assertArrayEquals(hex("62 0a fc ff 05 00 00 00"), single(new Assembler().stW(R10, -4, 5)).encode());
        assertArrayEquals(hex("b4 00 00 00 ff ff ff ff"), single(new Assembler().mov32(R0, -1)).encode());
        assertArrayEquals(hex("3f 21 01 00 00 00 00 00"), single(new Assembler().sdiv64(R1, R2)).encode());
        assertArrayEquals(hex("bf 21 08 00 00 00 00 00"), single(new Assembler().movsx64(R1, R2, 8)).encode());
        assertArrayEquals(hex("91 12 04 00 00 00 00 00"), single(new Assembler().ldxsB(R2, R1, 4)).encode());
        assertArrayEquals(hex("dc 01 00 00 10 00 00 00"), single(new Assembler().be16(R1)).encode());
        assertArrayEquals(hex("d7 01 00 00 20 00 00 00"), single(new Assembler().bswap32(R1)).encode());
        assertArrayEquals(hex("db 21 00 00 01 00 00 00"),
                single(new Assembler().atomicFetchAdd(Size.DW, R1, R2, 0)).encode());
        assertArrayEquals(hex("c3 21 00 00 f1 00 00 00"), single(new Assembler().cmpxchg(Size.W, R1, R2, 0)).encode());
        assertArrayEquals(hex("18 01 00 00 05 00 00 00 00 00 00 00 00 00 00 00"),
                single(new Assembler().ldImm64(R1, 5)).encode());
        // Map fd in the first slot's imm, value offset in the second's; pseudo source 2 in the high nibble.
        assertArrayEquals(hex("18 21 00 00 07 00 00 00 00 00 00 00 10 00 00 00"),
                single(new Assembler().ldMapValue(R1, 7, 0x10)).encode());
        assertArrayEquals(hex("18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00"),
                single(new Assembler().ldMapFd(R1, 7)).encode());
        assertArrayEquals(hex("06 00 00 00 70 11 01 00"), new Instruction(0x06, 0, 0, 0, 70000).encode());
    }

    @Test
    void encodeIntoSegmentAtOffset() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(24);
            Instruction ld = new Instruction(Instruction.LD_IMM64, 3, 0, 0, -2L);
            ld.encode(seg, 8);
            assertArrayEquals(hex("00 00 00 00 00 00 00 00 18 03 00 00 fe ff ff ff 00 00 00 00 ff ff ff ff"),
                    seg.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(List.of(new Instruction(0, 0, 0, 0, 0), ld), Instruction.decode(seg));
        }
    }

    @Test
    void bigEndianSwapsNibblesAndBytes() {
        Instruction insn = new Instruction(0x61, 2, 1, 4, 0x01020304);
        byte[] be = new byte[8];
        insn.encode(MemorySegment.ofArray(be), 0, ByteOrder.BIG_ENDIAN);
        assertArrayEquals(hex("61 21 00 04 01 02 03 04"), be);
        assertEquals(List.of(insn), Instruction.decode(MemorySegment.ofArray(be), ByteOrder.BIG_ENDIAN));

        Instruction ld = new Instruction(Instruction.LD_IMM64, 1, 0, 0, 0x1122334455667788L);
        byte[] be2 = new byte[16];
        ld.encode(MemorySegment.ofArray(be2), 0, ByteOrder.BIG_ENDIAN);
        assertArrayEquals(hex("18 10 00 00 55 66 77 88 00 00 00 00 11 22 33 44"), be2);
        assertEquals(List.of(ld), Instruction.decode(MemorySegment.ofArray(be2), ByteOrder.BIG_ENDIAN));
    }

    @Test
    void roundTripOfEveryForm() {
        List<Instruction> program = AllForms.program();
        byte[] bytes = Instruction.encodeAll(program);
        assertEquals(Instruction.slotCount(program) * Instruction.SLOT_SIZE, bytes.length);
        assertEquals(program, Instruction.decode(bytes));
        assertArrayEquals(bytes, Instruction.encodeAll(Instruction.decode(bytes)));
    }

    @Test
    void decodeRejectsBadLengths() {
        var e = assertThrows(IllegalArgumentException.class, () -> Instruction.decode(new byte[13]));
        assertTrue(e.getMessage().contains("offset 8"), e.getMessage());

        byte[] truncated = hex("b7 00 00 00 00 00 00 00 18 01 00 00 05 00 00 00");
        e = assertThrows(IllegalArgumentException.class, () -> Instruction.decode(truncated));
        assertTrue(e.getMessage().contains("truncated ld_imm64 at offset 8"), e.getMessage());

        byte[] garbageSecondSlot = hex("18 01 00 00 05 00 00 00 95 00 00 00 00 00 00 00");
        e = assertThrows(IllegalArgumentException.class, () -> Instruction.decode(garbageSecondSlot));
        assertTrue(e.getMessage().contains("offset 0"), e.getMessage());

        assertEquals(List.of(), Instruction.decode(new byte[0]));
    }

    @Test
    void fieldValidation() {
        assertThrows(IllegalArgumentException.class, () -> new Instruction(0x100, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(0xb7, 16, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(0xb7, 0, -1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(0xb7, 0, 0, 0x8000, 0));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(0xb7, 0, 0, 0, 1L << 32));
        // The unsigned spelling of a 32-bit immediate is normalised to its sign-extended form.
        assertEquals(new Instruction(0xb7, 0, 0, 0, -1), new Instruction(0xb7, 0, 0, 0, 0xffff_ffffL));
        assertEquals(Long.MIN_VALUE, new Instruction(Instruction.LD_IMM64, 0, 0, 0, Long.MIN_VALUE).imm());
        assertThrows(IllegalArgumentException.class, () -> Register.of(11));
    }

    @Test
    void classification() {
        List<Instruction> p = new Assembler()
                .call(1).callSubprog("f").callKfunc(42).exit()
                .label("f").ldMapFd(R1, 3).ja("f").gotol("f").jeq32(R1, 0, "f").add64(R1, 1)
                .atomicFetchOr(Size.W, R1, R2, 0).atomicAdd(Size.DW, R1, R2, 0).ldxW(R0, R1, 0)
                .build();
        Instruction helper = p.get(0);
        Instruction sub = p.get(1);
        Instruction kfunc = p.get(2);
        Instruction exit = p.get(3);
        Instruction ld = p.get(4);
        Instruction ja = p.get(5);
        Instruction gotol = p.get(6);
        Instruction jeq32 = p.get(7);
        Instruction add = p.get(8);
        Instruction fetchOr = p.get(9);
        Instruction lockAdd = p.get(10);
        Instruction ldx = p.get(11);

        assertTrue(helper.isCall() && helper.isHelperCall() && !helper.isPseudoCall() && !helper.isKfuncCall());
        assertEquals(CallKind.HELPER, helper.callKind());
        assertTrue(sub.isPseudoCall() && !sub.isHelperCall());
        assertEquals(CallKind.SUBPROG, sub.callKind());
        assertTrue(kfunc.isKfuncCall());
        assertEquals(42, kfunc.imm());
        assertTrue(exit.isExit() && !exit.isJump() && exit.isJmpClass());
        assertTrue(ld.isLdImm64());
        assertEquals(2, ld.slots());
        assertEquals(Imm64Kind.MAP_FD, ld.imm64Kind());
        assertEquals(OpClass.LD, ld.opClass());
        assertTrue(ja.isJump() && !ja.isConditionalJump() && !ja.isGotol());
        assertTrue(gotol.isJump() && gotol.isGotol());
        assertEquals(OpClass.JMP32, gotol.opClass());
        assertTrue(jeq32.isConditionalJump());
        assertEquals(JmpOp.JEQ, jeq32.jmpOp());
        assertEquals(Source.K, jeq32.source());
        assertTrue(add.isAlu() && !add.isJump());
        assertEquals(AluOp.ADD, add.aluOp());
        assertEquals(OpClass.ALU64, add.opClass());
        assertTrue(fetchOr.isAtomic() && fetchOr.isAtomicFetch());
        assertEquals(AtomicOp.OR, fetchOr.atomicOp());
        assertEquals(Size.W, fetchOr.size());
        assertTrue(lockAdd.isAtomic() && !lockAdd.isAtomicFetch());
        assertFalse(ldx.isAtomic());
        assertEquals(Mode.MEM, ldx.mode());
        assertEquals(Size.W, ldx.size());
        assertThrows(IllegalStateException.class, ldx::aluOp);
        assertThrows(IllegalStateException.class, add::size);
        assertThrows(IllegalStateException.class, add::imm64Kind);
    }

    @Test
    void patchingCopies() {
        Instruction ld = new Assembler().ldMapValue(R1, 0, 0x20).build().getFirst();
        Instruction patched = ld.withImm((ld.imm() & 0xffff_ffff_0000_0000L) | 9);
        assertEquals(9, patched.immLo());
        assertEquals(0x20, patched.immHi());
        assertEquals(Imm64Kind.MAP_VALUE, patched.imm64Kind());
        assertEquals(Imm64Kind.MAP_FD, patched.withSrc(Imm64Kind.MAP_FD.code()).imm64Kind());

        Instruction ja = new Instruction(0x05, 0, 0, 0, 0);
        assertEquals(7, ja.withJumpOffset(7).offset());
        assertEquals(7, ja.withJumpOffset(7).jumpOffset());
        Instruction gotol = new Instruction(0x06, 0, 0, 0, 0);
        assertEquals(100_000, gotol.withJumpOffset(100_000).imm());
        assertEquals(100_000, gotol.withJumpOffset(100_000).jumpOffset());
        assertThrows(IllegalArgumentException.class, () -> ja.withJumpOffset(100_000));
        assertEquals(-3, ja.withOffset(-3).offset());
        assertEquals(R2.index(), ja.withSrc(R2).src());
        assertEquals(4, ja.withDst(4).dst());
    }
}
