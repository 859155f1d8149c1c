package io.ebpf4j.elf;

import java.util.Arrays;

/**
 * One entry of an {@code SHT_NOTE} section, e.g. a USDT probe in {@code .note.stapsdt}.
 *
 * @param name the owner name, without its terminating NUL (e.g. {@code "stapsdt"})
 * @param type the note type; its meaning depends on the name
 * @param desc a copy of the descriptor bytes, in the file's byte order
 * @param offset the file offset of the note's header
 */
public record Note(String name, int type, byte[] desc, long offset) {

    public Note {
        desc = desc.clone();
    }

    @Override
    public byte[] desc() {
        return desc.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Note n && n.name.equals(name) && n.type == type && Arrays.equals(n.desc, desc)
                && n.offset == offset;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + type) * 31 + Arrays.hashCode(desc) + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return "Note[name=" + name + ", type=" + type + ", desc=" + desc.length + " bytes, offset=0x"
                + Long.toHexString(offset) + "]";
    }
}
