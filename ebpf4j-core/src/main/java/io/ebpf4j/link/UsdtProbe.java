package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.elf.Note;
import io.ebpf4j.elf.Section;
import io.ebpf4j.elf.Segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A USDT probe site, read from a binary's {@code .note.stapsdt} section (what {@code sys/sdt.h}'s
 * {@code STAP_PROBE} macros leave behind). Addresses are already corrected for prelinking, the way libbpf does it:
 * the note records the address {@code .stapsdt.base} had at link time, and the difference to its address now
 * shifts the probe.
 *
 * @param provider the provider name
 * @param name the probe name
 * @param address the probe's virtual address in the binary
 * @param fileOffset the probe's file offset, where the uprobe goes
 * @param semaphoreAddress the semaphore's virtual address, or 0 when the probe has none
 * @param semaphoreOffset the semaphore's file offset (the uprobe's ref_ctr_offset), or 0
 * @param argumentText the note's argument string, e.g. {@code -4@%edi 8@-8(%rbp)}
 */
public record UsdtProbe(String provider, String name, long address, long fileOffset, long semaphoreAddress,
                        long semaphoreOffset, String argumentText) {

    /** The note owner and type of USDT probes. */
    static final String NOTE_NAME = "stapsdt";
    static final int NT_STAPSDT = 3;

    /** The arguments, parsed. */
    public List<UsdtArgument> arguments() {
        return UsdtArgument.parseAll(argumentText);
    }

    /** Every USDT probe of {@code binary}, in note order; empty when it has none. */
    public static List<UsdtProbe> read(Path binary) {
        List<UsdtProbe> out = new ArrayList<>();
        UprobeTargets.withElf(binary, elf -> out.addAll(read(elf, binary.toString())));
        return List.copyOf(out);
    }

    /** Every USDT probe of {@code elf}; {@code what} names the file in messages. */
    public static List<UsdtProbe> read(ElfFile elf, String what) {
        Optional<Section> notes = elf.section(".note.stapsdt");
        if (notes.isEmpty()) {
            return List.of();
        }
        long base = elf.section(".stapsdt.base").map(Section::addr).orElse(0L);
        List<UsdtProbe> out = new ArrayList<>();
        for (Note n : elf.notes(notes.get())) {
            if (!n.name().equals(NOTE_NAME) || n.type() != NT_STAPSDT) {
                continue;
            }
            ByteBuffer d = ByteBuffer.wrap(n.desc()).order(elf.byteOrder());
            if (d.remaining() < 3 * 8 + 3) {
                throw new BpfException(what + ": USDT note at file offset 0x" + Long.toHexString(n.offset())
                        + " is " + d.remaining() + " bytes, too short for three addresses and three names");
            }
            long pc = d.getLong();
            long linkBase = d.getLong();
            long semaphore = d.getLong();
            String[] strings = new String[3];
            for (int i = 0; i < 3; i++) {
                int start = d.position();
                int end = -1;
                while (end < 0 && d.hasRemaining()) {
                    if (d.get() == 0) {
                        end = d.position() - 1;
                    }
                }
                if (end < 0) {
                    throw new BpfException(what + ": USDT note at file offset 0x" + Long.toHexString(n.offset())
                            + " has an unterminated " + (i == 0 ? "provider" : i == 1 ? "name" : "argument")
                            + " string");
                }
                strings[i] = new String(d.array(), start, end - start, StandardCharsets.UTF_8);
            }
            // Prelink moved the binary when .stapsdt.base is no longer where the note says it was.
            long address = base != 0 && linkBase != 0 ? pc + (base - linkBase) : pc;
            String probe = strings[0] + ":" + strings[1];
            long offset = fileOffset(elf, address, true, what, "probe " + probe);
            long semaphoreOffset = semaphore == 0 ? 0 : fileOffset(elf, semaphore, false, what,
                    "semaphore of probe " + probe);
            out.add(new UsdtProbe(strings[0], strings[1], address, offset, semaphore, semaphoreOffset, strings[2]));
        }
        return List.copyOf(out);
    }

    /** The file offset of {@code address} through the loadable segment holding it (code or data as asked). */
    private static long fileOffset(ElfFile elf, long address, boolean code, String what, String thing) {
        for (Segment s : elf.segments()) {
            if (s.isLoad() && s.isExecutable() == code && s.containsAddress(address)) {
                return s.fileOffset(address);
            }
        }
        throw new BpfException(what + ": the " + thing + " at address 0x" + Long.toHexString(address) + " lies in no "
                + (code ? "executable" : "data") + " segment of the file");
    }

    @Override
    public String toString() {
        return provider + ":" + name + " at 0x" + Long.toHexString(address) + " [" + argumentText + "]"
                + (semaphoreAddress == 0 ? "" : " semaphore 0x" + Long.toHexString(semaphoreAddress));
    }
}
