package io.ebpf4j.asm;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DisassemblerTest {

    @Test
    void everyForm() {
        for (AllForms.Form form : AllForms.FORMS) {
            assertEquals(form.text(), Disassembler.DEFAULT.format(form.instruction()));
        }
    }

    @Test
    void listingWithSlotNumbersAndRawBytes() {
        List<Instruction> p = new Assembler().ldImm64(R1, 0x1122334455667788L).call(1).mov64(R0, 0).exit().build();
        assertEquals("""
                   0: 18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tr1 = 0x1122334455667788 ll
                   2: 85 00 00 00 01 00 00 00\tcall 0x1
                   3: b7 00 00 00 00 00 00 00\tr0 = 0x0
                   4: 95 00 00 00 00 00 00 00\texit
                """, new Disassembler().withRawBytes(true).disassemble(p));
    }

    @Test
    void helperNames() {
        var d = new Disassembler().withHelperNames(id -> id == 1 ? "bpf_map_lookup_elem" : null);
        assertEquals("call bpf_map_lookup_elem#1", d.format(new Instruction(0x85, 0, 0, 0, 1)));
        assertEquals("call 0x2", d.format(new Instruction(0x85, 0, 0, 0, 2)));
        // Names apply to helpers only, never to subprogram or kfunc calls.
        assertEquals("call pc+1", d.format(new Instruction(0x85, 0, 1, 0, 1)));
        assertEquals("call kfunc#1", d.format(new Instruction(0x85, 0, 2, 0, 1)));
    }

    @Test
    void oddities() {
        var d = Disassembler.DEFAULT;
        assertEquals("callx r1", d.format(new Instruction(0x8d, 1, 0, 0, 0)));
        assertEquals("may_goto +3", d.format(new Instruction(0xe5, 0, 0, 3, 0)));
        assertEquals("r1 = map[fd:5]-0x8 ll", d.format(new Instruction(0x18, 1, 2, 0, (-8L << 32) | 5)));
        assertEquals("<unknown opcode 0xff>", d.format(new Instruction(0xff, 0, 0, 0, 0)));
        assertEquals("<unknown opcode 0xdf>", d.format(new Instruction(0xdf, 1, 0, 0, 16)));  // ALU64 to-BE
        assertEquals("<unknown opcode 0x99>", d.format(new Instruction(0x99, 1, 0, 0, 0)));  // LDX MEMSX DW
        assertEquals("<unknown opcode 0x18>", d.format(new Instruction(0x18, 1, 9, 0, 0)));  // unknown pseudo
        assertEquals("<unknown opcode 0xd4>", d.format(new Instruction(0xd4, 1, 0, 0, 8)));  // bad width
        assertEquals("<unknown opcode 0xbc>", d.format(new Instruction(0xbc, 1, 2, 32, 0)));  // movsx32 from 32
        assertEquals("", d.disassemble(List.of()));
    }
}
