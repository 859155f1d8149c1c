package io.ebpf4j.elf;

import io.ebpf4j.ObjectFormatException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The program header table ({@link ElfFile#segments()}) and {@code .dynsym} on hand-made files. */
class ElfSegmentsTest {
    private static final int EHDR = 64;
    private static final int PHDR = 56;

    /** An ELF64 little-endian ET_DYN header with no sections and {@code phnum} program headers after it. */
    private static ByteBuffer header(int phnum) {
        ByteBuffer b = ByteBuffer.allocate(EHDR + phnum * PHDR).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) ElfConstants.ET_DYN);
        b.putShort(18, (short) 62); // EM_X86_64
        b.putLong(32, EHDR); // e_phoff
        b.putShort(52, (short) EHDR);
        b.putShort(54, (short) PHDR);
        b.putShort(56, (short) phnum);
        return b;
    }

    private static void segment(ByteBuffer b, int i, int type, int flags, long offset, long vaddr, long size) {
        int at = EHDR + i * PHDR;
        b.putInt(at, type);
        b.putInt(at + 4, flags);
        b.putLong(at + 8, offset);
        b.putLong(at + 16, vaddr);
        b.putLong(at + 24, vaddr);
        b.putLong(at + 32, size);
        b.putLong(at + 40, size + 0x10);
    }

    @Test
    void segmentsAndAddressToOffset() {
        ByteBuffer b = header(2);
        segment(b, 0, ElfConstants.PT_LOAD, ElfConstants.PF_X | 4, 0x1000, 0x401000, 0x200);
        segment(b, 1, 6, 4, 0x40, 0x400040, 0x70); // PT_PHDR
        ElfFile elf = ElfFile.of(b.array());
        assertEquals(2, elf.segments().size());
        Segment code = elf.segments().getFirst();
        assertTrue(code.isLoad() && code.isExecutable());
        assertEquals(0x210, code.memorySize());
        assertTrue(code.containsAddress(0x401000) && code.containsAddress(0x4011ff));
        assertFalse(code.containsAddress(0x401200) || code.containsAddress(0x400fff));
        assertEquals(0x1234, code.fileOffset(0x401234));
        assertFalse(elf.segments().get(1).isLoad());
        assertEquals(java.util.List.of(), elf.dynamicSymbols(), "no .dynsym");
        assertEquals(java.util.List.of(), elf.symbols());
    }

    @Test
    void malformedProgramHeaderTables() {
        ByteBuffer past = header(1);
        past.putLong(32, 1L << 40);
        var e = assertThrows(ObjectFormatException.class, () -> ElfFile.of(past.array()).segments());
        assertTrue(e.getMessage().contains("e_phoff"), e.getMessage());

        ByteBuffer tooMany = header(1);
        tooMany.putShort(56, (short) 1000);
        assertThrows(ObjectFormatException.class, () -> ElfFile.of(tooMany.array()).segments());

        ByteBuffer wrongSize = header(1);
        wrongSize.putShort(54, (short) 32);
        e = assertThrows(ObjectFormatException.class, () -> ElfFile.of(wrongSize.array()).segments());
        assertTrue(e.getMessage().contains("e_phentsize"), e.getMessage());

        ByteBuffer none = header(0);
        none.putLong(32, 0);
        assertEquals(java.util.List.of(), ElfFile.of(none.array()).segments());
    }
}
