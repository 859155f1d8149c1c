package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;

import io.ebpf4j.ObjectFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A read-only view of an ELF64 object file, in either byte order. The ELF header and the section header table
 * are parsed and checked when the file is opened; symbols, relocations, notes and strings are read when asked
 * for and checked then. Every offset, size, count and index the file holds is checked before it is used, so a
 * malformed file raises {@link ObjectFormatException} and nothing else.
 *
 * <p>Opened from a {@link Path}, the file is mapped read-only and {@link #close()} unmaps it; opened from an
 * array (copied) or a segment (viewed in place), {@code close()} does nothing. Instances may be read from
 * several threads.
 */
public final class ElfFile implements AutoCloseable {
    private static final int IDENT_SIZE = 16;
    private static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;
    private static final int REL_SIZE = 16;
    private static final int RELA_SIZE = 24;
    private static final int NOTE_HEADER_SIZE = 12;
    private static final byte ELFCLASS32 = 1;
    private static final byte ELFCLASS64 = 2;
    private static final byte ELFDATA2LSB = 1;
    private static final byte ELFDATA2MSB = 2;
    private static final byte EV_CURRENT = 1;

    private final MemorySegment file;
    private final Arena arena;
    private final ByteOrder order;
    // Constant layouts per byte order, chosen per read: the JIT folds static final layouts into plain loads.
    private static final ValueLayout.OfShort U16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private final boolean little;
    private final int elfType;
    private final int machine;
    private final int elfFlags;
    private final long shoff;
    private final List<Section> sections;
    private volatile SymbolTable symbolTable;
    private volatile ObjectFormatException symbolError;
    private volatile SymbolTable dynamicSymbolTable;
    private volatile List<Segment> segments;
    private boolean closed;

    private record SymbolTable(Section section, List<Symbol> symbols) {
    }

    private ElfFile(MemorySegment file, Arena arena) {
        this.file = file;
        this.arena = arena;
        long length = file.byteSize();
        if (length < IDENT_SIZE) {
            throw failAt(null, 0, "the file is " + length + " bytes, too short for the " + IDENT_SIZE
                    + "-byte ELF identification at file offset 0x0");
        }
        if (byteAt(0) != 0x7f || byteAt(1) != 'E' || byteAt(2) != 'L' || byteAt(3) != 'F') {
            throw failAt(null, 0, String.format("not an ELF file: the magic at file offset 0x0 is %02x %02x %02x %02x, "
                    + "not 7f 45 4c 46 (\\x7fELF)", byteAt(0), byteAt(1), byteAt(2), byteAt(3)));
        }
        byte elfClass = file.get(ValueLayout.JAVA_BYTE, 4);
        if (elfClass == ELFCLASS32) {
            throw failAt(null, 4, "ELF32 (ELFCLASS32, byte 1 at file offset 0x4) is not supported: BPF objects are "
                    + "ELF64");
        }
        if (elfClass != ELFCLASS64) {
            throw failAt(null, 4, "unknown ELF class " + byteAt(4) + " at file offset 0x4 (ELF64 is 2)");
        }
        byte data = file.get(ValueLayout.JAVA_BYTE, 5);
        if (data == ELFDATA2LSB) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (data == ELFDATA2MSB) {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw failAt(null, 5, "unknown ELF data encoding " + byteAt(5)
                    + " at file offset 0x5 (1 is little-endian, 2 big-endian)");
        }
        if (file.get(ValueLayout.JAVA_BYTE, 6) != EV_CURRENT) {
            throw failAt(null, 6, "unknown ELF version " + byteAt(6) + " at file offset 0x6 (1 is current)");
        }
        if (length < EHDR_SIZE) {
            throw failAt(null, 0, "the file is " + length + " bytes, too short for the " + EHDR_SIZE
                    + "-byte ELF64 header at file offset 0x0");
        }
        little = order == ByteOrder.LITTLE_ENDIAN;
        elfType = readU16(16);
        machine = readU16(18);
        elfFlags = readI32(48);
        shoff = readI64(40);
        sections = readSections(length);
    }

    /** Reads a copy of {@code bytes}, so later changes to the array cannot undo the checks made here. */
    public static ElfFile of(byte[] bytes) {
        return new ElfFile(MemorySegment.ofArray(Objects.requireNonNull(bytes, "bytes").clone()), null);
    }

    /**
     * Views {@code segment} in place, without copying. It must stay alive, and unchanged, while this file and its
     * sections are used: the checks made on opening hold only for the bytes they saw.
     */
    public static ElfFile of(MemorySegment segment) {
        return new ElfFile(Objects.requireNonNull(segment, "segment"), null);
    }

    /**
     * Maps the file at {@code path} read-only. The mapping lives until {@link #close()}.
     *
     * @throws IOException when the file cannot be opened or mapped
     */
    public static ElfFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new ElfFile(segment, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Unmaps a file opened from a {@link Path}; does nothing otherwise. Idempotent. */
    @Override
    public synchronized void close() {
        if (arena != null && !closed) {
            closed = true;
            arena.close();
        }
    }

    /** The file's byte order, from {@code EI_DATA}. */
    public ByteOrder byteOrder() {
        return order;
    }

    /** {@code e_machine}; {@link ElfConstants#EM_BPF} for BPF objects. */
    public int machine() {
        return machine;
    }

    /** {@code e_type}; {@link ElfConstants#ET_REL} for BPF objects. */
    public int type() {
        return elfType;
    }

    /** {@code e_flags}. */
    public int flags() {
        return elfFlags;
    }

    /** The file's size in bytes. */
    public long size() {
        return file.byteSize();
    }

    /**
     * Checks that this object could be loaded into this machine's kernel: a BPF relocatable object in the native
     * byte order. Every other view of the file works without this.
     *
     * @throws ObjectFormatException when it could not
     */
    public void requireLoadable() {
        // Not malformed, just not for this kernel: the messages say so instead of "malformed ELF".
        if (machine != EM_BPF) {
            throw new ObjectFormatException(null, 18, "not a BPF object: e_machine at file offset 0x12 is " + machine
                    + ", not EM_BPF (" + EM_BPF + ")");
        }
        if (elfType != ET_REL) {
            throw new ObjectFormatException(null, 16, "not a loadable BPF object: e_type at file offset 0x10 is "
                    + elfType + ", not ET_REL (1); clang -c emits relocatable objects");
        }
        if (order != ByteOrder.nativeOrder()) {
            String native_ = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "little" : "big";
            String theirs = order == ByteOrder.LITTLE_ENDIAN ? "little" : "big";
            throw new ObjectFormatException(null, 5, theirs + "-endian BPF objects can be inspected but not loaded "
                    + "on this " + native_ + "-endian machine (EI_DATA at file offset 0x5)");
        }
    }

    /** All sections, in index order; index 0 is the null section. Empty when the file has no section table. */
    public List<Section> sections() {
        return sections;
    }

    /** The first section with this name. */
    public Optional<Section> section(String name) {
        for (Section s : sections) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * The section at {@code index}.
     *
     * @throws IndexOutOfBoundsException when there is none (indices taken from the file are already checked)
     */
    public Section section(int index) {
        return sections.get(index);
    }

    /** The {@code SHT_REL} and {@code SHT_RELA} sections, in index order. */
    public List<Section> relocationSections() {
        return sections.stream().filter(s -> s.type() == SHT_REL || s.type() == SHT_RELA).toList();
    }

    /** The {@code SHT_SYMTAB} section, if the file has one. */
    public Optional<Section> symbolTable() {
        return sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst();
    }

    /**
     * Every entry of {@code .symtab} (the {@code SHT_SYMTAB} section), index 0 included; empty when the file has
     * no symbol table. Read and checked on the first call, then kept.
     */
    public List<Symbol> symbols() {
        return loadSymbols().symbols();
    }

    /**
     * Every entry of {@code .dynsym} (the {@code SHT_DYNSYM} section of an executable or shared library), index 0
     * included; empty when the file has none. Read and checked on the first call, then kept.
     */
    public List<Symbol> dynamicSymbols() {
        SymbolTable cached = dynamicSymbolTable;
        if (cached == null) {
            cached = readSymbols(SHT_DYNSYM, "SHT_DYNSYM");
            dynamicSymbolTable = cached;
        }
        return cached.symbols();
    }

    /**
     * The program header table: the segments an executable or shared library is loaded as; empty for relocatable
     * objects. Read and checked on the first call, then kept.
     */
    public List<Segment> segments() {
        List<Segment> cached = segments;
        if (cached == null) {
            cached = readSegments();
            segments = cached;
        }
        return cached;
    }

    /**
     * The NUL-terminated string at {@code offset} in string table {@code strtab}.
     *
     * @throws ObjectFormatException when the offset is outside the table or the string has no NUL before its end
     */
    public String string(Section strtab, long offset) {
        requireOwn(strtab);
        if (strtab.type() != SHT_STRTAB) {
            throw new IllegalArgumentException(strtab + " is not a string table");
        }
        return readString(strtab, offset, null, -1, () -> "string");
    }

    /**
     * The section a relocation section applies to, named by its {@code sh_info}.
     *
     * @throws IllegalArgumentException when {@code rel} is not an {@code SHT_REL}/{@code SHT_RELA} section of
     *     this file
     * @throws ObjectFormatException when {@code sh_info} is not a usable section index
     */
    public Section target(Section rel) {
        requireRelocationSection(rel);
        long info = Integer.toUnsignedLong(rel.info());
        long headerField = sectionHeaderOffset(rel.index()) + 44;
        if (info == 0 || info >= sections.size()) {
            throw fail(rel, headerField, "sh_info " + info + " (at file offset 0x" + Long.toHexString(headerField)
                    + ") should name the section the relocations apply to, but the file has sections 1.."
                    + (sections.size() - 1));
        }
        Section target = sections.get((int) info);
        if (target.type() == SHT_NULL || target == rel) {
            throw fail(rel, headerField, "sh_info " + info + " (at file offset 0x" + Long.toHexString(headerField)
                    + ") names " + describe(target) + ", which cannot hold relocated bytes");
        }
        return target;
    }

    /**
     * The entries of relocation section {@code rel}, each checked: its symbol exists in the linked symbol table,
     * and the bytes it patches lie inside the {@linkplain #target(Section) target section}.
     *
     * @throws IllegalArgumentException when {@code rel} is not an {@code SHT_REL}/{@code SHT_RELA} section of
     *     this file
     */
    public List<Relocation> relocations(Section rel) {
        requireRelocationSection(rel);
        boolean rela = rel.type() == SHT_RELA;
        int entry = rela ? RELA_SIZE : REL_SIZE;
        long count = entryCount(rel, entry, rela ? "SHT_RELA" : "SHT_REL");
        SymbolTable symtab = loadSymbols();
        if (symtab.section() == null) {
            throw fail(rel, rel.offset(), "relocations at file offset 0x" + Long.toHexString(rel.offset())
                    + " name symbols, but the file has no symbol table");
        }
        if (rel.link() != symtab.section().index()) {
            long field = sectionHeaderOffset(rel.index()) + 40;
            throw fail(rel, field, "sh_link " + rel.link() + " (at file offset 0x" + Long.toHexString(field)
                    + ") should name the symbol table, " + describe(symtab.section()));
        }
        Section target = target(rel);
        int symbolCount = symtab.symbols().size();
        List<Relocation> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long at = rel.offset() + (long) i * entry;
            long offset = readI64(at);
            long info = readI64(at + 8);
            long addend = rela ? readI64(at + 16) : 0;
            long symbol = info >>> 32;
            long rawType = info & 0xffff_ffffL;
            if (symbol >= symbolCount) {
                throw fail(rel, at, "relocation " + i + " at file offset 0x" + Long.toHexString(at) + " names symbol "
                        + symbol + " but " + symtab.section().label() + " has " + symbolCount + " symbols");
            }
            BpfRelocationType type = BpfRelocationType.of(rawType);
            long width = Math.max(1, type.width());
            // Unsigned compare: an offset with the top bit set is past any section.
            if (Long.compareUnsigned(offset, target.size()) >= 0 || target.size() - offset < width) {
                throw fail(rel, at, "relocation " + i + " at file offset 0x" + Long.toHexString(at)
                        + " patches " + width + " byte(s) at offset 0x" + Long.toUnsignedString(offset, 16)
                        + " (type " + (type == BpfRelocationType.UNKNOWN ? Long.toString(rawType) : type.name())
                        + ") but target " + describe(target) + " is 0x" + Long.toHexString(target.size())
                        + " bytes");
            }
            out.add(new Relocation(i, offset, (int) symbol, rawType, addend));
        }
        return List.copyOf(out);
    }

    /**
     * The notes of an {@code SHT_NOTE} section. Entries are aligned to 4 bytes (8 when the section's
     * {@code sh_addralign} is 8, as for GNU property notes).
     *
     * @throws IllegalArgumentException when {@code note} is not an {@code SHT_NOTE} section of this file
     */
    public List<Note> notes(Section note) {
        requireOwn(note);
        if (note.type() != SHT_NOTE) {
            throw new IllegalArgumentException(note + " is not an SHT_NOTE section");
        }
        long align = note.addralign() == 8 ? 8 : 4;
        long size = note.size();
        List<Note> out = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            long at = note.offset() + pos;
            if (size - pos < NOTE_HEADER_SIZE) {
                throw fail(note, at, "note at file offset 0x" + Long.toHexString(at) + " needs a "
                        + NOTE_HEADER_SIZE + "-byte header but only " + (size - pos) + " bytes remain");
            }
            long nameSize = Integer.toUnsignedLong(readI32(at));
            long descSize = Integer.toUnsignedLong(readI32(at + 4));
            int type = readI32(at + 8);
            long nameStart = pos + NOTE_HEADER_SIZE;
            if (nameSize > size - nameStart) {
                throw fail(note, at, "note at file offset 0x" + Long.toHexString(at) + " has a " + nameSize
                        + "-byte name but only " + (size - nameStart) + " bytes remain in the section");
            }
            long descStart = pos + alignUp(NOTE_HEADER_SIZE + nameSize, align);
            if (descSize > 0 && (descStart > size || descSize > size - descStart)) {
                throw fail(note, at, "note at file offset 0x" + Long.toHexString(at) + " has a " + descSize
                        + "-byte descriptor but only " + Math.max(0, size - descStart)
                        + " bytes remain in the section");
            }
            byte[] nameBytes = file.asSlice(note.offset() + nameStart, nameSize).toArray(ValueLayout.JAVA_BYTE);
            int nameLength = 0;
            while (nameLength < nameBytes.length && nameBytes[nameLength] != 0) {
                nameLength++;
            }
            String name = new String(nameBytes, 0, nameLength, StandardCharsets.UTF_8);
            byte[] desc = descSize == 0 ? new byte[0]
                    : file.asSlice(note.offset() + descStart, descSize).toArray(ValueLayout.JAVA_BYTE);
            out.add(new Note(name, type, desc, at));
            // The last note's padding may be cut off by the section's end; that is harmless.
            pos = Math.min(size, alignUp(descStart + descSize, align));
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "ElfFile[" + (order == ByteOrder.LITTLE_ENDIAN ? "LE" : "BE") + ", machine=" + machine + ", "
                + sections.size() + " sections, " + file.byteSize() + " bytes]";
    }

    // ---- the section header table ----

    private List<Section> readSections(long length) {
        int shentsize = readU16(58);
        long shnum = readU16(60);
        long shstrndx = readU16(62);
        if (shoff == 0) {
            if (shnum != 0) {
                throw failAt(null, 60, "e_shnum (file offset 0x3c) is " + shnum + " but e_shoff is 0");
            }
            return List.of();
        }
        if (shoff < 0 || shoff > length - SHDR_SIZE) {
            throw failAt(null, 40, "e_shoff (file offset 0x28) is 0x" + Long.toUnsignedString(shoff, 16)
                    + ": the section header table would start past the end of the " + length + "-byte file");
        }
        if (shentsize != SHDR_SIZE) {
            throw failAt(null, 58, "e_shentsize (file offset 0x3a) is " + shentsize + ", but ELF64 section headers are "
                    + SHDR_SIZE + " bytes");
        }
        // Files with 0xff00 or more sections keep the real count in section 0's sh_size and the real string
        // table index in section 0's sh_link.
        if (shnum == 0) {
            shnum = readI64(shoff + 32);
            if (shnum <= 0) {
                throw failAt("#0", shoff + 32, "section #0: e_shnum is 0, so section 0's sh_size (file offset 0x"
                        + Long.toHexString(shoff + 32) + ") must hold the section count, but it is 0x"
                        + Long.toUnsignedString(shnum, 16));
            }
        }
        if (shstrndx == SHN_XINDEX) {
            shstrndx = Integer.toUnsignedLong(readI32(shoff + 40));
        }
        long end;
        try {
            end = Math.addExact(shoff, Math.multiplyExact(shnum, SHDR_SIZE));
        } catch (ArithmeticException e) {
            end = -1;
        }
        if (end < 0 || end > length) {
            throw failAt(null, shoff, "the section header table at file offset 0x" + Long.toHexString(shoff)
                    + " (e_shoff) has " + shnum + " entries (e_shnum) of " + SHDR_SIZE
                    + " bytes, which run past the end of the " + length + "-byte file");
        }
        if (shnum > Integer.MAX_VALUE - 8) {
            throw failAt(null, 60, "the section header table at file offset 0x" + Long.toHexString(shoff) + " has "
                    + shnum + " entries, more than a Java list can hold");
        }
        int count = (int) shnum;
        if (shstrndx >= count) {
            throw failAt(null, 62, "e_shstrndx (file offset 0x3e) is " + shstrndx + " but the file has " + count
                    + " sections");
        }
        record Header(int nameOffset, int type, long flags, long addr, long offset, long size, int link, int info,
                long addralign, long entsize) {
        }
        Header[] headers = new Header[count];
        for (int i = 0; i < count; i++) {
            long at = shoff + (long) i * SHDR_SIZE;
            Header h = new Header(readI32(at), readI32(at + 4), readI64(at + 8),
                    readI64(at + 16), readI64(at + 24), readI64(at + 32), readI32(at + 40),
                    readI32(at + 44), readI64(at + 48), readI64(at + 56));
            headers[i] = h;
            if (i == 0) {
                // Section 0 is reserved; its sh_size and sh_link may carry the extended counts read above.
                if (h.type() != SHT_NULL) {
                    throw failAt("#" + i, at + 4, headerWhere(i, at) + "section 0 must be SHT_NULL but its type is "
                            + Integer.toUnsignedString(h.type()));
                }
                continue;
            }
            if (Integer.toUnsignedLong(h.link()) >= count) {
                throw failAt("#" + i, at + 40, headerWhere(i, at) + "sh_link " + Integer.toUnsignedString(h.link())
                        + " is not a section index (the file has " + count + " sections)");
            }
            if (h.addralign() < 0 || Long.bitCount(h.addralign()) > 1) {
                throw failAt("#" + i, at + 48, headerWhere(i, at) + "sh_addralign 0x" + Long.toUnsignedString(h.addralign(), 16)
                        + " is not a power of two");
            }
            if (h.size() < 0) {
                throw failAt("#" + i, at + 32, headerWhere(i, at) + "sh_size 0x" + Long.toUnsignedString(h.size(), 16)
                        + " is absurd (larger than any file)");
            }
            if (h.type() != SHT_NULL && h.type() != SHT_NOBITS) {
                if (h.offset() < 0 || h.offset() > length || h.size() > length - h.offset()) {
                    throw failAt("#" + i, h.offset() < 0 ? at + 24 : h.offset(), headerWhere(i, at) + "its " + h.size()
                            + " bytes at file offset 0x" + Long.toUnsignedString(h.offset(), 16)
                            + " run past the end of the " + length + "-byte file");
                }
            }
        }
        Section names = null;
        if (shstrndx != SHN_UNDEF) {
            Header h = headers[(int) shstrndx];
            if (h.type() != SHT_STRTAB) {
                long at = sectionHeaderOffset(shoff, (int) shstrndx);
                throw failAt("#" + shstrndx, at + 4, "e_shstrndx names section #" + shstrndx
                        + " (header at file offset 0x" + Long.toHexString(at) + "), whose type "
                        + Integer.toUnsignedString(h.type()) + " is not SHT_STRTAB");
            }
            names = new Section(file, (int) shstrndx, "", h.type(), h.flags(), h.addr(), h.offset(), h.size(),
                    h.link(), h.info(), h.addralign(), h.entsize());
        }
        Section[] out = new Section[count];
        for (int i = 0; i < count; i++) {
            Header h = headers[i];
            String name = "";
            if (names != null && (i != 0 || h.nameOffset() != 0)) {
                long at = sectionHeaderOffset(shoff, i);
                final int index = i;
                name = readString(names, Integer.toUnsignedLong(h.nameOffset()), "#" + i, at,
                        () -> "section #" + index + " (header at file offset 0x" + Long.toHexString(at) + "): name");
            }
            out[i] = new Section(file, i, name, h.type(), h.flags(), h.addr(), h.offset(), h.size(), h.link(),
                    h.info(), h.addralign(), h.entsize());
        }
        List<Section> list = List.of(out);
        checkOverlaps(list, shoff, end);
        return list;
    }

    /** No two ranges of file bytes may claim the same bytes: sections, the ELF header, the section table. */
    private void checkOverlaps(List<Section> list, long shoff, long shend) {
        record Range(long start, long end, String what, Section section) {
        }
        List<Range> ranges = new ArrayList<>();
        ranges.add(new Range(0, EHDR_SIZE, "the ELF header", null));
        ranges.add(new Range(shoff, shend, "the section header table", null));
        for (Section s : list) {
            if (s.hasFileData() && s.size() > 0) {
                ranges.add(new Range(s.offset(), s.offset() + s.size(), describe(s), s));
            }
        }
        ranges.sort(Comparator.comparingLong(Range::start).thenComparingLong(Range::end));
        Range widest = null;
        for (Range r : ranges) {
            if (widest != null && r.start() < widest.end()) {
                Range blamed = r.section() != null ? r : widest;
                Range other = blamed == r ? widest : r;
                String label = blamed.section() != null ? blamed.section().label() : null;
                throw failAt(label, r.start(), capitalize(blamed.what()) + " at file offsets 0x"
                        + Long.toHexString(blamed.start()) + "..0x" + Long.toHexString(blamed.end()) + " overlaps "
                        + other.what() + " at 0x" + Long.toHexString(other.start()) + "..0x"
                        + Long.toHexString(other.end()));
            }
            if (widest == null || r.end() > widest.end()) {
                widest = r;
            }
        }
    }

    // ---- symbols ----

    private SymbolTable loadSymbols() {
        SymbolTable cached = symbolTable;
        if (cached == null) {
            // A broken table stays broken: remember why, rather than re-reading it for every relocation section.
            ObjectFormatException failed = symbolError;
            if (failed != null) {
                throw failed;
            }
            try {
                cached = readSymbols(SHT_SYMTAB, "SHT_SYMTAB");
            } catch (ObjectFormatException e) {
                symbolError = e;
                throw e;
            }
            symbolTable = cached;
        }
        return cached;
    }

    private SymbolTable readSymbols(int tableType, String kind) {
        Section symtab = null;
        for (Section s : sections) {
            if (s.type() == tableType) {
                if (symtab != null) {
                    throw fail(s, s.offset(), "a second " + kind + " section (the first is " + describe(symtab)
                            + "); an ELF file has at most one (file offset 0x" + Long.toHexString(s.offset()) + ")");
                }
                symtab = s;
            }
        }
        if (symtab == null) {
            return new SymbolTable(null, List.of());
        }
        long count = entryCount(symtab, SYM_SIZE, kind);
        Section strtab = sections.get(symtab.link());
        long header = sectionHeaderOffset(symtab.index());
        if (strtab.type() != SHT_STRTAB) {
            throw fail(symtab, header + 40, "sh_link " + symtab.link() + " (at file offset 0x"
                    + Long.toHexString(header + 40) + ") should name the symbol string table, but "
                    + describe(strtab) + " is not SHT_STRTAB");
        }
        if (Integer.toUnsignedLong(symtab.info()) > count) {
            throw fail(symtab, header + 44, "sh_info " + Integer.toUnsignedString(symtab.info())
                    + " (at file offset 0x" + Long.toHexString(header + 44)
                    + "), the index of the first non-local symbol, is past the table's " + count + " symbols");
        }
        Section shndx = null; // looked up only if a symbol needs it
        List<Symbol> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long at = symtab.offset() + (long) i * SYM_SIZE;
            long nameOffset = Integer.toUnsignedLong(readI32(at));
            int info = byteAt(at + 4);
            int other = byteAt(at + 5);
            int sectionIndex = readU16(at + 6);
            long value = readI64(at + 8);
            long size = readI64(at + 16);
            final int index = i;
            final long symbolAt = at;
            final Section table = symtab;
            if (sectionIndex == SHN_XINDEX) {
                if (shndx == null) {
                    shndx = extendedIndexTable(symtab, count, at);
                }
                long real = Integer.toUnsignedLong(readI32(shndx.offset() + 4L * i));
                if (real >= sections.size()) {
                    throw fail(shndx, shndx.offset() + 4L * i, "entry " + i + " at file offset 0x"
                            + Long.toHexString(shndx.offset() + 4L * i) + " gives symbol " + i + " section " + real
                            + " but the file has " + sections.size() + " sections");
                }
                sectionIndex = (int) real;
            } else if (sectionIndex >= SHN_LORESERVE) {
                if (sectionIndex != SHN_ABS && sectionIndex != SHN_COMMON) {
                    throw fail(symtab, at, symbolWhat(i, at) + " has reserved section index 0x" + Integer.toHexString(sectionIndex)
                            + ", which has no meaning in a BPF object");
                }
            } else if (sectionIndex >= sections.size()) {
                throw fail(symtab, at, symbolWhat(i, at) + " names section " + sectionIndex + " but the file has "
                        + sections.size() + " sections");
            }
            String name = nameOffset == 0 ? "" : readString(strtab, nameOffset, symtab.label(), at,
                    () -> where(table) + symbolWhat(index, symbolAt) + ": name");
            out.add(new Symbol(i, name, info >>> 4, info & 0xf, other & 0x3, sectionIndex, value, size));
        }
        return new SymbolTable(symtab, List.copyOf(out));
    }

    // ---- the program header table ----

    private static final int PHDR_SIZE = 56;

    private List<Segment> readSegments() {
        long phoff = readI64(32);
        int phentsize = readU16(54);
        int phnum = readU16(56);
        if (phoff == 0 || phnum == 0) {
            return List.of();
        }
        if (phentsize != PHDR_SIZE) {
            throw failAt(null, 54, "e_phentsize (file offset 0x36) is " + phentsize + ", but ELF64 program headers are "
                    + PHDR_SIZE + " bytes");
        }
        long length = file.byteSize();
        if (phoff < 0 || phoff > length || (long) phnum * PHDR_SIZE > length - phoff) {
            throw failAt(null, 32, "e_phoff (file offset 0x20) is 0x" + Long.toUnsignedString(phoff, 16) + ": the "
                    + phnum + " program headers would end past the end of the " + length + "-byte file");
        }
        List<Segment> out = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * PHDR_SIZE;
            out.add(new Segment(i, readI32(at), readI32(at + 4), readI64(at + 8), readI64(at + 16), readI64(at + 32),
                    readI64(at + 40)));
        }
        return List.copyOf(out);
    }

    /** The {@code SHT_SYMTAB_SHNDX} section that extends {@code symtab}, checked to cover every symbol. */
    private Section extendedIndexTable(Section symtab, long count, long symbolAt) {
        for (Section s : sections) {
            if (s.type() == SHT_SYMTAB_SHNDX && s.link() == symtab.index()) {
                if (s.size() / 4 < count) {
                    throw fail(s, s.offset(), "the extended section index table at file offset 0x"
                            + Long.toHexString(s.offset()) + " has " + s.size() / 4 + " entries but "
                            + describe(symtab) + " has " + count + " symbols");
                }
                return s;
            }
        }
        throw fail(symtab, symbolAt, "symbol at file offset 0x" + Long.toHexString(symbolAt)
                + " has section index SHN_XINDEX but no SHT_SYMTAB_SHNDX section links to the symbol table");
    }

    // ---- helpers ----

    /** The number of fixed-size entries in {@code s}, after checking {@code sh_entsize} and {@code sh_size}. */
    private long entryCount(Section s, int entrySize, String kind) {
        long header = sectionHeaderOffset(s.index());
        if (s.entsize() != entrySize) {
            throw fail(s, header + 56, "sh_entsize (at file offset 0x" + Long.toHexString(header + 56) + ") is "
                    + Long.toUnsignedString(s.entsize()) + " but " + kind + " entries are " + entrySize + " bytes");
        }
        if (s.size() % entrySize != 0) {
            throw fail(s, header + 32, "sh_size " + s.size() + " (at file offset 0x" + Long.toHexString(header + 32)
                    + ") is not a multiple of the " + entrySize + "-byte entry size");
        }
        // Bounded by the file size, which the section's range was checked against; only a mapped file of many
        // gigabytes could hold more entries than a list can.
        long count = s.size() / entrySize;
        if (count > Integer.MAX_VALUE - 8) {
            throw fail(s, s.offset(), "its " + count + " entries at file offset 0x" + Long.toHexString(s.offset())
                    + " are more than a Java list can hold");
        }
        return count;
    }

    private String readString(Section strtab, long offset, String label, long at, java.util.function.Supplier<String> what) {
        String owner = label == null ? strtab.label() : label;
        if (offset < 0 || offset >= strtab.size()) {
            String prefix = what.get() + " at offset " + offset;
            throw failAt(owner, at >= 0 ? at : strtab.offset(), prefix + " is past the end of string table "
                    + describe(strtab) + " (" + strtab.size() + " bytes at file offset 0x"
                    + Long.toHexString(strtab.offset()) + ")");
        }
        long start = strtab.offset() + offset;
        long limit = strtab.offset() + strtab.size();
        for (long p = start; p < limit; p++) {
            if (file.get(ValueLayout.JAVA_BYTE, p) == 0) {
                return new String(file.asSlice(start, p - start).toArray(ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8);
            }
        }
        String prefix = what.get() + " at offset " + offset;
        throw failAt(owner, start, prefix + " in string table " + describe(strtab) + " starting at file offset 0x"
                + Long.toHexString(start) + " has no terminating NUL before the table ends");
    }

    /** How messages name a symbol: built only when a check fails. */
    private static String symbolWhat(int index, long at) {
        return "symbol " + index + " at file offset 0x" + Long.toHexString(at);
    }

    /** How messages name a section header: built only when a check fails. */
    private static String headerWhere(int index, long at) {
        return "section #" + index + " (header at file offset 0x" + Long.toHexString(at) + "): ";
    }

    private void requireOwn(Section s) {
        Objects.requireNonNull(s, "section");
        if (s.index() >= sections.size() || sections.get(s.index()) != s) {
            throw new IllegalArgumentException(s + " does not belong to this file");
        }
    }

    private void requireRelocationSection(Section rel) {
        requireOwn(rel);
        if (rel.type() != SHT_REL && rel.type() != SHT_RELA) {
            throw new IllegalArgumentException(rel + " is not an SHT_REL or SHT_RELA section");
        }
    }

    private long sectionHeaderOffset(int index) {
        return sectionHeaderOffset(shoff, index);
    }

    private static long sectionHeaderOffset(long shoff, int index) {
        return shoff + (long) index * SHDR_SIZE;
    }

    private int byteAt(long offset) {
        return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, offset));
    }

    private int readU16(long offset) {
        return Short.toUnsignedInt(little ? file.get(U16_LE, offset) : file.get(U16_BE, offset));
    }

    private int readI32(long offset) {
        return little ? file.get(U32_LE, offset) : file.get(U32_BE, offset);
    }

    private long readI64(long offset) {
        return little ? file.get(U64_LE, offset) : file.get(U64_BE, offset);
    }

    private static long alignUp(long value, long align) {
        return (value + align - 1) & -align;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** {@code "section '.text' (#2)"}, or {@code "section #2"} for an unnamed one. */
    static String describe(Section s) {
        return s.name().isEmpty() ? "section #" + s.index() : "section '" + s.name() + "' (#" + s.index() + ")";
    }

    /** The prefix of a message about one section. */
    static String where(Section s) {
        return describe(s) + ": ";
    }

    static ObjectFormatException fail(Section s, long offset, String detail) {
        return failAt(s.label(), offset, where(s) + detail);
    }

    /**
     * Builds the exception; the detail already names the section, and names the offset or gets it appended, so
     * every message points at the bytes.
     */
    private static ObjectFormatException failAt(String section, long offset, String detail) {
        String hex = "0x" + Long.toHexString(offset);
        String message = "malformed ELF: " + detail;
        if (offset >= 0 && !detail.contains(hex)) {
            message += " (file offset " + hex + ")";
        }
        return new ObjectFormatException(section, offset, message);
    }
}
