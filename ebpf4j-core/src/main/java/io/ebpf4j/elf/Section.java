package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One section header of an {@link ElfFile}, with zero-copy access to the section's bytes. The header's file
 * range was checked against the file when the file was opened; the section's contents are checked by the
 * {@link ElfFile} methods that interpret them.
 */
public final class Section {
    private final MemorySegment file;
    private final int index;
    private final String name;
    private final int type;
    private final long flags;
    private final long addr;
    private final long offset;
    private final long size;
    private final int link;
    private final int info;
    private final long addralign;
    private final long entsize;

    Section(MemorySegment file, int index, String name, int type, long flags, long addr, long offset, long size,
            int link, int info, long addralign, long entsize) {
        this.file = file;
        this.index = index;
        this.name = name;
        this.type = type;
        this.flags = flags;
        this.addr = addr;
        this.offset = offset;
        this.size = size;
        this.link = link;
        this.info = info;
        this.addralign = addralign;
        this.entsize = entsize;
    }

    /** The section's index in the section header table (what symbols and {@code sh_link}/{@code sh_info} name). */
    public int index() {
        return index;
    }

    /** The name from the section header string table; empty when the file has none. */
    public String name() {
        return name;
    }

    /** {@code SHT_*}. */
    public int type() {
        return type;
    }

    /** {@code SHF_*} bits. */
    public long flags() {
        return flags;
    }

    public long addr() {
        return addr;
    }

    /** The file offset of the section's bytes (meaningless for {@code SHT_NOBITS}). */
    public long offset() {
        return offset;
    }

    /** The size in bytes; for {@code SHT_NOBITS}, the size the section takes in memory, not in the file. */
    public long size() {
        return size;
    }

    /** {@code sh_link}, checked to be a valid section index. */
    public int link() {
        return link;
    }

    /** {@code sh_info}, raw; its meaning depends on the type and is checked where it is used. */
    public int info() {
        return info;
    }

    public long addralign() {
        return addralign;
    }

    public long entsize() {
        return entsize;
    }

    /** A section with no bytes in the file ({@code .bss}); {@link #data()} is empty but {@link #size()} is not. */
    public boolean isNobits() {
        return type == SHT_NOBITS;
    }

    public boolean isAllocated() {
        return (flags & SHF_ALLOC) != 0;
    }

    public boolean isWritable() {
        return (flags & SHF_WRITE) != 0;
    }

    public boolean isExecutable() {
        return (flags & SHF_EXECINSTR) != 0;
    }

    /** True when the section holds bytes in the file: neither {@code SHT_NULL} nor {@code SHT_NOBITS}. */
    boolean hasFileData() {
        return type != SHT_NULL && type != SHT_NOBITS;
    }

    /**
     * The section's bytes as a read-only slice of the file, without copying; empty for {@code SHT_NOBITS} and
     * {@code SHT_NULL}. Valid while the {@link ElfFile} is open.
     */
    public MemorySegment data() {
        return hasFileData() ? file.asSlice(offset, size).asReadOnly() : file.asSlice(0, 0).asReadOnly();
    }

    /** A copy of the section's bytes; empty for {@code SHT_NOBITS}. */
    public byte[] bytes() {
        if (!hasFileData()) {
            return new byte[0];
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw ElfFile.fail(this, offset, "its " + size + " bytes at file offset 0x" + Long.toHexString(offset)
                    + " are too many for a Java array");
        }
        return file.asSlice(offset, size).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The name, or {@code "#index"} when there is none: what {@code ObjectFormatException.section()} reports. */
    String label() {
        return name.isEmpty() ? "#" + index : name;
    }

    @Override
    public String toString() {
        return "Section[#" + index + " '" + name + "' type=" + type + " flags=0x" + Long.toHexString(flags)
                + " offset=0x" + Long.toHexString(offset) + " size=" + size + "]";
    }
}
