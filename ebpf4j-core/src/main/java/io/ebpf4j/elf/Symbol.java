package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;

/**
 * One {@code .symtab} entry.
 *
 * @param index the entry's index in the symbol table (what relocations name)
 * @param name the name from the linked string table; empty for unnamed symbols
 * @param bind {@code STB_*}
 * @param type {@code STT_*}
 * @param visibility {@code STV_*}
 * @param sectionIndex the defining section, with {@code SHN_XINDEX} already resolved to the real index; or
 *     {@code SHN_UNDEF}, {@code SHN_ABS}, {@code SHN_COMMON}
 * @param value the symbol's value; in a relocatable object, the offset inside its section
 * @param size the symbol's size in bytes
 */
public record Symbol(int index, String name, int bind, int type, int visibility, int sectionIndex, long value,
        long size) {

    public boolean isLocal() {
        return bind == STB_LOCAL;
    }

    public boolean isGlobal() {
        return bind == STB_GLOBAL;
    }

    public boolean isWeak() {
        return bind == STB_WEAK;
    }

    public boolean isFunction() {
        return type == STT_FUNC;
    }

    public boolean isObject() {
        return type == STT_OBJECT;
    }

    public boolean isSection() {
        return type == STT_SECTION;
    }

    /** Defined elsewhere (an extern, e.g. a kconfig or ksym variable in a BPF object). */
    public boolean isUndefined() {
        return sectionIndex == SHN_UNDEF;
    }

    public boolean isAbsolute() {
        return sectionIndex == SHN_ABS;
    }

    public boolean isCommon() {
        return sectionIndex == SHN_COMMON;
    }

    /** True when {@link #sectionIndex()} names a real section of the file. */
    public boolean hasSection() {
        return sectionIndex != SHN_UNDEF && sectionIndex != SHN_ABS && sectionIndex != SHN_COMMON;
    }
}
