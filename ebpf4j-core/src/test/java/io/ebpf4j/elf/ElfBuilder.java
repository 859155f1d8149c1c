package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small ELF64 writer for tests: emits relocatable BPF objects from described sections, symbols and
 * relocations, in either byte order, and reports where everything landed so tests can break it on purpose.
 * Layout: ELF header, then each section's bytes (aligned), then {@code .symtab}, {@code .strtab},
 * {@code .shstrtab} data, then the section header table.
 */
final class ElfBuilder {
    /** A symbol; {@code section} is a section name, or null to use {@code shndx} as is. */
    record Sym(String name, int bind, int type, String section, int shndx, long value, long size) {
        static Sym of(String name, int bind, int type, String section, long value, long size) {
            return new Sym(name, bind, type, section, 0, value, size);
        }

        static Sym raw(String name, int bind, int type, int shndx, long value, long size) {
            return new Sym(name, bind, type, null, shndx, value, size);
        }
    }

    /** A relocation against the symbol named {@code symbol}. */
    record Rel(long offset, String symbol, int type, long addend) {
        Rel(long offset, String symbol, int type) {
            this(offset, symbol, type, 0);
        }
    }

    record NoteSpec(String name, int type, byte[] desc) {
    }

    /** One section to be written; link and info name other sections or hold raw numbers. */
    static final class Sec {
        final String name;
        final int type;
        long flags;
        byte[] data;
        long nobitsSize;
        String linkName;
        int link;
        String infoName;
        int info;
        long align = 1;
        long entsize;
        // Filled in at build time for sections whose contents depend on the symbol order.
        List<Rel> rels;
        boolean rela;

        Sec(String name, int type, long flags, byte[] data) {
            this.name = name;
            this.type = type;
            this.flags = flags;
            this.data = data;
        }

        Sec align(long a) {
            this.align = a;
            return this;
        }

        Sec entsize(long e) {
            this.entsize = e;
            return this;
        }

        Sec link(String section) {
            this.linkName = section;
            return this;
        }

        Sec info(String section) {
            this.infoName = section;
            return this;
        }
    }

    /** Where things landed. */
    record Built(byte[] bytes, ByteOrder order, long shoff, Map<String, Integer> index, long[] offsets,
            long[] sizes, List<String> symbolOrder) {
        int indexOf(String section) {
            Integer i = index.get(section);
            if (i == null) {
                throw new IllegalArgumentException("no section " + section);
            }
            return i;
        }

        /** File offset of section {@code name}'s header. */
        long header(String name) {
            return shoff + 64L * indexOf(name);
        }

        /** File offset of section {@code name}'s data. */
        long data(String name) {
            return offsets[indexOf(name)];
        }

        long size(String name) {
            return sizes[indexOf(name)];
        }

        /** File offset of symbol {@code name}'s entry in {@code .symtab}. */
        long symbol(String name) {
            return data(".symtab") + 24L * symbolIndex(name);
        }

        int symbolIndex(String name) {
            int i = symbolOrder.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no symbol " + name);
            }
            return i;
        }

        byte[] copy() {
            return bytes.clone();
        }

        void put8(long off, int v) {
            bytes[(int) off] = (byte) v;
        }

        void put16(long off, int v) {
            buf().putShort((int) off, (short) v);
        }

        void put32(long off, long v) {
            buf().putInt((int) off, (int) v);
        }

        void put64(long off, long v) {
            buf().putLong((int) off, v);
        }

        private ByteBuffer buf() {
            return ByteBuffer.wrap(bytes).order(order);
        }
    }

    private final ByteOrder order;
    private final List<Sec> sections = new ArrayList<>();
    private final List<Sym> symbols = new ArrayList<>();
    private int machine = EM_BPF;
    private boolean extendedIndices;

    ElfBuilder(ByteOrder order) {
        this.order = order;
    }

    ElfBuilder() {
        this(ByteOrder.LITTLE_ENDIAN);
    }

    ElfBuilder machine(int m) {
        this.machine = m;
        return this;
    }

    /** Writes e_shnum and e_shstrndx in their extended forms (through section 0), as very large files must. */
    ElfBuilder extendedIndices() {
        this.extendedIndices = true;
        return this;
    }

    Sec section(String name, int type, long flags, byte[] data) {
        Sec s = new Sec(name, type, flags, data);
        sections.add(s);
        return s;
    }

    Sec progbits(String name, long flags, byte[] data) {
        return section(name, SHT_PROGBITS, flags, data).align(8);
    }

    Sec nobits(String name, long flags, long size) {
        Sec s = section(name, SHT_NOBITS, flags, new byte[0]).align(8);
        s.nobitsSize = size;
        return s;
    }

    Sec rel(String target, List<Rel> rels) {
        Sec s = section(".rel" + target, SHT_REL, SHF_INFO_LINK, null).align(8).entsize(16).link(".symtab")
                .info(target);
        s.rels = rels;
        return s;
    }

    Sec rela(String target, List<Rel> rels) {
        Sec s = section(".rela" + target, SHT_RELA, SHF_INFO_LINK, null).align(8).entsize(24).link(".symtab")
                .info(target);
        s.rels = rels;
        s.rela = true;
        return s;
    }

    Sec notes(String name, List<NoteSpec> notes) {
        var out = new ByteArrayOutputStream();
        for (NoteSpec n : notes) {
            byte[] name0 = (n.name() + "\0").getBytes(StandardCharsets.UTF_8);
            ByteBuffer h = ByteBuffer.allocate(12).order(order);
            h.putInt(name0.length).putInt(n.desc().length).putInt(n.type());
            out.writeBytes(h.array());
            out.writeBytes(name0);
            out.writeBytes(new byte[pad(name0.length, 4)]);
            out.writeBytes(n.desc());
            out.writeBytes(new byte[pad(n.desc().length, 4)]);
        }
        return section(name, SHT_NOTE, 0, out.toByteArray()).align(4);
    }

    ElfBuilder symbol(Sym s) {
        symbols.add(s);
        return this;
    }

    Built build() {
        // Symbol table: the null symbol, then locals, then the rest (ELF requires locals first).
        List<Sym> ordered = new ArrayList<>();
        ordered.add(Sym.raw("", STB_LOCAL, STT_NOTYPE, 0, 0, 0));
        symbols.stream().filter(s -> s.bind() == STB_LOCAL).forEach(ordered::add);
        int firstGlobal = ordered.size();
        symbols.stream().filter(s -> s.bind() != STB_LOCAL).forEach(ordered::add);
        List<String> symbolOrder = ordered.stream().map(Sym::name).toList();

        List<Sec> all = new ArrayList<>(sections);
        Sec symtab = null;
        Sec strtab = null;
        if (!symbols.isEmpty()) {
            symtab = new Sec(".symtab", SHT_SYMTAB, 0, null).align(8).entsize(24).link(".strtab");
            symtab.info = firstGlobal;
            strtab = new Sec(".strtab", SHT_STRTAB, 0, null);
            all.add(symtab);
            all.add(strtab);
        }
        Sec shstrtab = new Sec(".shstrtab", SHT_STRTAB, 0, null);
        all.add(shstrtab);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            index.putIfAbsent(all.get(i).name, i + 1);
        }

        if (symtab != null) {
            var strings = new StringTable();
            ByteBuffer b = ByteBuffer.allocate(24 * ordered.size()).order(order);
            for (Sym s : ordered) {
                int shndx = s.section() != null ? index.get(s.section()) : s.shndx();
                b.putInt(s.name().isEmpty() ? 0 : strings.add(s.name()));
                b.put((byte) (s.bind() << 4 | s.type()));
                b.put((byte) 0);
                b.putShort((short) shndx);
                b.putLong(s.value());
                b.putLong(s.size());
            }
            symtab.data = b.array();
            strtab.data = strings.bytes();
        }
        for (Sec s : all) {
            if (s.rels != null) {
                ByteBuffer b = ByteBuffer.allocate((s.rela ? 24 : 16) * s.rels.size()).order(order);
                for (Rel r : s.rels) {
                    int sym = symbolOrder.indexOf(r.symbol());
                    if (sym < 0) {
                        throw new IllegalArgumentException("no symbol " + r.symbol());
                    }
                    b.putLong(r.offset());
                    b.putLong((long) sym << 32 | r.type());
                    if (s.rela) {
                        b.putLong(r.addend());
                    }
                }
                s.data = b.array();
            }
        }
        var names = new StringTable();
        int[] nameOffsets = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            nameOffsets[i] = names.add(all.get(i).name);
        }
        shstrtab.data = names.bytes();

        var out = new ByteArrayOutputStream();
        out.writeBytes(new byte[64]);
        int n = all.size() + 1;
        long[] offsets = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < all.size(); i++) {
            Sec s = all.get(i);
            if (s.type == SHT_NOBITS) {
                offsets[i + 1] = out.size();
                sizes[i + 1] = s.nobitsSize;
                continue;
            }
            out.writeBytes(new byte[pad(out.size(), Math.max(1, s.align))]);
            offsets[i + 1] = out.size();
            sizes[i + 1] = s.data.length;
            out.writeBytes(s.data);
        }
        out.writeBytes(new byte[pad(out.size(), 8)]);
        long shoff = out.size();
        ByteBuffer sh = ByteBuffer.allocate(64 * n).order(order);
        // Section 0: all zeros, unless it carries the extended count and string table index.
        sh.putInt(0).putInt(SHT_NULL).putLong(0).putLong(0).putLong(0);
        sh.putLong(extendedIndices ? n : 0);
        sh.putInt(extendedIndices ? index.get(".shstrtab") : 0).putInt(0).putLong(0).putLong(0);
        for (int i = 0; i < all.size(); i++) {
            Sec s = all.get(i);
            sh.putInt(nameOffsets[i]).putInt(s.type).putLong(s.flags).putLong(0);
            sh.putLong(offsets[i + 1]).putLong(sizes[i + 1]);
            sh.putInt(s.linkName != null ? index.get(s.linkName) : s.link);
            sh.putInt(s.infoName != null ? index.get(s.infoName) : s.info);
            sh.putLong(s.align).putLong(s.entsize);
        }
        out.writeBytes(sh.array());

        byte[] bytes = out.toByteArray();
        ByteBuffer h = ByteBuffer.wrap(bytes).order(order);
        h.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1});
        h.putShort(16, (short) ET_REL);
        h.putShort(18, (short) machine);
        h.putInt(20, 1);
        h.putLong(40, shoff);
        h.putShort(52, (short) 64);
        h.putShort(58, (short) 64);
        h.putShort(60, (short) (extendedIndices ? 0 : n));
        h.putShort(62, (short) (extendedIndices ? SHN_XINDEX : index.get(".shstrtab")));
        return new Built(bytes, order, shoff, index, offsets, sizes, symbolOrder);
    }

    private static int pad(long at, long align) {
        return (int) ((align - at % align) % align);
    }

    /** A string table: starts with NUL, no deduplication needed at this size. */
    private static final class StringTable {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> seen = new HashMap<>();

        StringTable() {
            out.write(0);
        }

        int add(String s) {
            return seen.computeIfAbsent(s, k -> {
                int at = out.size();
                out.writeBytes(k.getBytes(StandardCharsets.UTF_8));
                out.write(0);
                return at;
            });
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A typical small BPF object: two programs, a subprogram, a map, data, rodata, bss, license, a note. */
    static ElfBuilder sample(ByteOrder order) {
        var b = new ElfBuilder(order);
        byte[] insns = new byte[8 * 8];
        b.progbits(".text", SHF_ALLOC | SHF_EXECINSTR, new byte[16]);
        b.progbits("xdp", SHF_ALLOC | SHF_EXECINSTR, insns);
        b.progbits("tp/syscalls/sys_enter_getpid", SHF_ALLOC | SHF_EXECINSTR, new byte[48]);
        b.progbits(".maps", SHF_ALLOC | SHF_WRITE, new byte[32]);
        b.progbits(".data", SHF_ALLOC | SHF_WRITE, new byte[] {7, 0, 0, 0});
        b.progbits(".rodata", SHF_ALLOC, new byte[] {3, 0, 0, 0});
        b.nobits(".bss", SHF_ALLOC | SHF_WRITE, 4);
        b.progbits("license", SHF_ALLOC | SHF_WRITE, "GPL\0".getBytes(StandardCharsets.US_ASCII)).align(1);
        b.rel("xdp", List.of(new Rel(8, "counts", 1), new Rel(32, ".text", 10), new Rel(48, "rodata_var", 1)));
        b.rel("tp/syscalls/sys_enter_getpid", List.of(new Rel(0, "counts", 1), new Rel(16, "data_var", 1)));
        b.rela(".text", List.of(new Rel(0, "bss_var", 1, 4)));
        b.notes(".note.stapsdt", List.of(new NoteSpec("stapsdt", 3, new byte[] {1, 2, 3, 4, 5}),
                new NoteSpec("GNU", 1, new byte[0])));
        b.symbol(Sym.of("add_one", STB_LOCAL, STT_FUNC, ".text", 0, 16));
        b.symbol(Sym.of(".text", STB_LOCAL, STT_SECTION, ".text", 0, 0));
        b.symbol(Sym.of("xdp_prog", STB_GLOBAL, STT_FUNC, "xdp", 0, 64));
        b.symbol(Sym.of("getpid_prog", STB_GLOBAL, STT_FUNC, "tp/syscalls/sys_enter_getpid", 0, 48));
        b.symbol(Sym.of("counts", STB_GLOBAL, STT_OBJECT, ".maps", 0, 32));
        b.symbol(Sym.of("data_var", STB_GLOBAL, STT_OBJECT, ".data", 0, 4));
        b.symbol(Sym.of("rodata_var", STB_GLOBAL, STT_OBJECT, ".rodata", 0, 4));
        b.symbol(Sym.of("bss_var", STB_WEAK, STT_OBJECT, ".bss", 0, 4));
        b.symbol(Sym.of("LICENSE", STB_GLOBAL, STT_OBJECT, "license", 0, 4));
        b.symbol(Sym.raw("bpf_ktime", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF, 0, 0));
        b.symbol(Sym.raw("abs_sym", STB_GLOBAL, STT_NOTYPE, SHN_ABS, 42, 0));
        return b;
    }
}
