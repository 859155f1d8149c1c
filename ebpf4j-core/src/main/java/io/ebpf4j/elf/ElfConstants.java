package io.ebpf4j.elf;

/** Numbers from the ELF specification (and the BPF psABI) that callers of this package compare against. */
public final class ElfConstants {
    private ElfConstants() {
    }

    /** {@code e_type}: a relocatable object, the only kind clang emits for BPF and the kernel loads from. */
    public static final int ET_REL = 1;
    /** {@code e_type}: an executable linked at a fixed address. */
    public static final int ET_EXEC = 2;
    /** {@code e_type}: a shared library or a position-independent executable. */
    public static final int ET_DYN = 3;
    /** {@code e_machine} of BPF objects. */
    public static final int EM_BPF = 247;

    public static final int SHT_NULL = 0;
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_STRTAB = 3;
    public static final int SHT_RELA = 4;
    public static final int SHT_HASH = 5;
    public static final int SHT_DYNAMIC = 6;
    public static final int SHT_NOTE = 7;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_REL = 9;
    public static final int SHT_DYNSYM = 11;
    public static final int SHT_SYMTAB_SHNDX = 18;

    public static final long SHF_WRITE = 0x1;
    public static final long SHF_ALLOC = 0x2;
    public static final long SHF_EXECINSTR = 0x4;
    public static final long SHF_MERGE = 0x10;
    public static final long SHF_STRINGS = 0x20;
    public static final long SHF_INFO_LINK = 0x40;

    /** {@code p_type} of a segment mapped from the file. */
    public static final int PT_LOAD = 1;
    /** {@code p_flags}: the segment is executable. */
    public static final int PF_X = 0x1;

    public static final int SHN_UNDEF = 0;
    public static final int SHN_LORESERVE = 0xff00;
    public static final int SHN_ABS = 0xfff1;
    public static final int SHN_COMMON = 0xfff2;
    public static final int SHN_XINDEX = 0xffff;

    public static final int STB_LOCAL = 0;
    public static final int STB_GLOBAL = 1;
    public static final int STB_WEAK = 2;

    public static final int STT_NOTYPE = 0;
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;
    public static final int STT_SECTION = 3;
    public static final int STT_FILE = 4;
    /** A function whose address a resolver picks at load time (glibc's memcpy, strlen...). */
    public static final int STT_GNU_IFUNC = 10;

    public static final int STV_DEFAULT = 0;
    public static final int STV_INTERNAL = 1;
    public static final int STV_HIDDEN = 2;
    public static final int STV_PROTECTED = 3;
}
