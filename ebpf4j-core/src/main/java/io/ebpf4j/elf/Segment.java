package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.PF_X;
import static io.ebpf4j.elf.ElfConstants.PT_LOAD;

/**
 * One program header: a range of the file and where it is mapped in memory. Uprobes and USDT notes name code by
 * virtual address; the segment that contains an address turns it into the file offset the kernel wants.
 *
 * @param index the header's index in the program header table
 * @param type {@code p_type} ({@link ElfConstants#PT_LOAD} for mapped segments)
 * @param flags {@code p_flags} ({@link ElfConstants#PF_X} for code)
 * @param offset {@code p_offset}, the file offset of the segment's first byte
 * @param vaddr {@code p_vaddr}, the virtual address of the segment's first byte
 * @param fileSize {@code p_filesz}
 * @param memorySize {@code p_memsz}
 */
public record Segment(int index, int type, int flags, long offset, long vaddr, long fileSize, long memorySize) {

    public boolean isLoad() {
        return type == PT_LOAD;
    }

    public boolean isExecutable() {
        return (flags & PF_X) != 0;
    }

    /** Whether {@code address} lies inside the part of this segment that comes from the file. */
    public boolean containsAddress(long address) {
        return Long.compareUnsigned(address, vaddr) >= 0 && Long.compareUnsigned(address - vaddr, fileSize) < 0;
    }

    /** The file offset of {@code address}, which must be {@linkplain #containsAddress contained}. */
    public long fileOffset(long address) {
        return address - vaddr + offset;
    }
}
