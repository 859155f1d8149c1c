package io.ebpf4j.asm;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static io.ebpf4j.asm.Register.R10;
import static io.ebpf4j.asm.Register.R2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AssemblerTest {

    @Test
    void exampleFromTheJavadoc() {
        var a = new Assembler();
        a.mov64(R0, 0).ldxW(R2, R1, 0).jeq(R2, 5, "out").mov64(R0, 1).label("out").exit();
        List<Instruction> insns = a.build();
        assertEquals(5, insns.size());
        assertEquals(1, insns.get(2).offset());
        assertEquals("""
                   0: r0 = 0x0
                   1: r2 = *(u32 *)(r1 + 0x0)
                   2: if r2 == 0x5 goto +1
                   3: r0 = 0x1
                   4: exit
                """, Disassembler.DEFAULT.disassemble(insns));
    }

    @Test
    void forwardAndBackwardLabelsCountLdImm64AsTwoSlots() {
        List<Instruction> p = new Assembler()
                .label("top")                       // slot 0
                .ldImm64(R1, 1)                     // slots 0-1
                .jeq(R1, 0, "end")                  // slot 2 -> 7: +4
                .ldMapFd(R2, 3)                     // slots 3-4
                .ldMapValue(R2, 3, 8)               // slots 5-6
                .label("end")
                .ja("top")                          // slot 7 -> 0: -8
                .gotol("end")                       // slot 8 -> 7: -2
                .callSubprog("sub")                 // slot 9 -> 11: +1
                .exit()                             // slot 10
                .label("sub")
                .ldFunc(R1, "top")                  // slots 11-12 -> 0: -12
                .exit()
                .build();
        assertEquals(4, p.get(1).offset());
        assertEquals(-8, p.get(4).offset());
        assertEquals(-2, p.get(5).imm());
        assertEquals(0, p.get(5).offset());
        assertEquals(1, p.get(6).imm());
        assertEquals(-12, p.get(8).immLo());
        assertEquals(Imm64Kind.FUNC, p.get(8).imm64Kind());
        assertEquals(14, Instruction.slotCount(p));
    }

    @Test
    void labelsMayPointPastTheEndAndBuildIsRepeatable() {
        var a = new Assembler().ja("end").label("end");
        assertEquals(0, a.build().getFirst().offset());
        a.exit();
        assertEquals(List.of(new Instruction(0x05, 0, 0, 0, 0), new Instruction(0x95, 0, 0, 0, 0)), a.build());
        assertEquals(2, a.pc());
    }

    @Test
    void unknownLabel() {
        var a = new Assembler().jne(R1, 0, "nowhere").exit();
        var e = assertThrows(IllegalStateException.class, a::build);
        assertTrue(e.getMessage().contains("'nowhere'"), e.getMessage());
        assertThrows(IllegalStateException.class, new Assembler().callSubprog("missing")::build);
    }

    @Test
    void duplicateLabel() {
        var a = new Assembler().label("x").exit();
        var e = assertThrows(IllegalArgumentException.class, () -> a.label("x"));
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.label(" "));
    }

    @Test
    void offsetOverflowSuggestsGotol() {
        var a = new Assembler().ja("far");
        for (int i = 0; i < Short.MAX_VALUE; i++) {
            a.mov64(R0, i);
        }
        a.label("far").exit();
        // Exactly at the 16-bit limit still fits.
        assertEquals(Short.MAX_VALUE, a.build().getFirst().offset());

        var b = new Assembler().jeq(R1, 0, "far");
        for (int i = 0; i <= Short.MAX_VALUE; i++) {
            b.mov64(R0, i);
        }
        b.label("far").exit();
        var e = assertThrows(IllegalStateException.class, b::build);
        assertTrue(e.getMessage().contains("'far'") && e.getMessage().contains("gotol"), e.getMessage());

        var c = new Assembler().gotol("far");
        for (int i = 0; i <= Short.MAX_VALUE; i++) {
            c.mov64(R0, i);
        }
        c.label("far").exit();
        assertEquals(Short.MAX_VALUE + 1, c.build().getFirst().imm());
    }

    @Test
    void rejectsInvalidOperands() {
        var a = new Assembler();
        assertThrows(IllegalArgumentException.class, () -> a.mov64(R10, 0));
        assertThrows(IllegalArgumentException.class, () -> a.ldxDW(R10, R1, 0));
        assertThrows(IllegalArgumentException.class, () -> a.movsx64(R1, R2, 64));
        assertThrows(IllegalArgumentException.class, () -> a.movsx32(R1, R2, 32));
        assertThrows(IllegalArgumentException.class, () -> a.ldxs(Size.DW, R1, R2, 0));
        assertThrows(IllegalArgumentException.class, () -> a.atomicAdd(Size.B, R1, R2, 0));
        assertThrows(IllegalArgumentException.class, () -> a.atomic(Size.DW, AtomicOp.XCHG, true, R1, R2, 0));
        assertThrows(IllegalArgumentException.class, () -> a.jmp(JmpOp.CALL, R1, 0, "x"));
        assertThrows(IllegalArgumentException.class, () -> a.ldxW(R1, R2, 1 << 15));
        assertEquals(0, a.pc());
        // Writing through the frame pointer is fine; only writing the register itself is not.
        a.stxDW(R10, R1, -8).stDW(R10, -16, 0);
        assertEquals(2, a.pc());
    }

    @Test
    void genericAluAndJumpMatchNamedForms() {
        assertEquals(new Assembler().xor64(R1, R2).build(), new Assembler().alu64(AluOp.XOR, R1, R2).build());
        assertEquals(new Assembler().rsh32(R1, 3).build(), new Assembler().alu32(AluOp.RSH, R1, 3).build());
        assertEquals(new Assembler().label("l").jsle32(R1, R2, "l").build(),
                new Assembler().label("l").jmp32(JmpOp.JSLE, R1, R2, "l").build());
    }

    @Test
    void everyFormEmitsTheExpectedClass() {
        for (AllForms.Form form : AllForms.FORMS) {
            Instruction insn = form.instruction();
            String t = form.text();
            OpClass expected;
            if (t.startsWith("if w") || t.startsWith("gotol")) {
                expected = OpClass.JMP32;
            } else if (t.startsWith("if ") || t.startsWith("goto") || t.startsWith("call") || t.equals("exit")) {
                expected = OpClass.JMP;
            } else if (t.endsWith(" ll") || t.contains("skb[")) {
                expected = OpClass.LD;
            } else if (t.startsWith("lock") || t.contains("atomic") || t.contains("xchg") || t.contains("release")
                    || t.contains("acquire") || (t.startsWith("*(") && t.contains("= r"))) {
                expected = OpClass.STX;
            } else if (t.startsWith("*(")) {
                expected = OpClass.ST;
            } else if (t.contains(" = *(")) {
                expected = OpClass.LDX;
            } else if (t.startsWith("w") || t.contains(" le") || t.contains(" be")) {
                expected = OpClass.ALU;
            } else {
                expected = OpClass.ALU64;
            }
            assertEquals(expected, insn.opClass(), t);
        }
    }
}
