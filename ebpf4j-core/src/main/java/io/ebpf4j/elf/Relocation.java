package io.ebpf4j.elf;

/**
 * One entry of an {@code SHT_REL} or {@code SHT_RELA} section.
 *
 * @param index the entry's index in its relocation section
 * @param offset where in the target section the relocation applies (a section offset, not a file offset)
 * @param symbolIndex the index into the symbol table the relocation section links to
 * @param rawType the type number from {@code r_info}, kept even when {@link #type()} does not know it
 * @param addend the explicit addend of {@code SHT_RELA}; 0 for {@code SHT_REL}, whose addend is implicit in the
 *     relocated bytes
 */
public record Relocation(int index, long offset, int symbolIndex, long rawType, long addend) {

    /** The BPF relocation type, or {@link BpfRelocationType#UNKNOWN}. */
    public BpfRelocationType type() {
        return BpfRelocationType.of(rawType);
    }
}
