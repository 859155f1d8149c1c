package io.ebpf4j.elf;

import static io.ebpf4j.elf.ElfConstants.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ebpf4j.ObjectFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random damage to well-formed objects: whatever the bytes, reading every section, symbol, relocation and
 * note either works or raises {@link ObjectFormatException}, and never anything else, and never hangs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ElfFuzzTest {
    private static final int MUTATIONS = 5_000;

    @TempDir
    Path dir;

    /** How the walks over mutated files ended. */
    private record Outcome(int ok, int refused) {
    }

    @Test
    void builderObjectLittleEndian() {
        check(fuzz(ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes(), 0x5eedL, MUTATIONS));
    }

    @Test
    void builderObjectBigEndian() {
        check(fuzz(ElfBuilder.sample(ByteOrder.BIG_ENDIAN).build().bytes(), 0xb16L, MUTATIONS));
    }

    @Test
    void realObject() throws Exception {
        Assumptions.assumeTrue(SampleObject.onPath(SampleObject.CLANG) != null,
                "clang-19 is not on the PATH: fuzzing builder-made objects only");
        check(fuzz(Files.readAllBytes(SampleObject.compile(dir)), 0xe1fL, MUTATIONS));
    }

    /** Every byte of the ELF header and the section header table, set to a handful of telling values. */
    @Test
    void everyHeaderByte() {
        byte[] original = ElfBuilder.sample(ByteOrder.LITTLE_ENDIAN).build().bytes();
        ElfFile clean = ElfFile.of(original);
        long shoff = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(40);
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            positions.add(i);
        }
        for (long i = shoff; i < shoff + 64L * clean.sections().size(); i++) {
            positions.add((int) i);
        }
        int ok = 0;
        int refused = 0;
        for (int pos : positions) {
            for (int value : new int[] {0x00, 0xff, 0x80, 0x7f, 0x01, original[pos] ^ 0x10}) {
                byte[] bytes = original.clone();
                bytes[pos] = (byte) value;
                if (walk(bytes, "byte " + pos + " = " + value)) {
                    ok++;
                } else {
                    refused++;
                }
            }
        }
        check(new Outcome(ok, refused));
    }

    private static void check(Outcome o) {
        // Both outcomes must be common, or the mutations are either harmless or never get past the header.
        int total = o.ok() + o.refused();
        assertTrue(o.refused() > total / 20, "too few refused: " + o);
        assertTrue(o.ok() > total / 50, "too few read through: " + o);
    }

    /** Byte ranges worth damaging: the header, the section table, and the tables the parser interprets. */
    private static List<long[]> regions(byte[] original) {
        ElfFile elf = ElfFile.of(original);
        List<long[]> out = new ArrayList<>();
        out.add(new long[] {0, 64});
        long shoff = ByteBuffer.wrap(original).order(elf.byteOrder()).getLong(40);
        out.add(new long[] {shoff, shoff + 64L * elf.sections().size()});
        for (Section s : elf.sections()) {
            int t = s.type();
            if ((t == SHT_SYMTAB || t == SHT_REL || t == SHT_RELA || t == SHT_NOTE || t == SHT_STRTAB)
                    && s.size() > 0) {
                out.add(new long[] {s.offset(), s.offset() + s.size()});
            }
        }
        out.add(new long[] {0, original.length});
        return out;
    }

    private static final long[] INTERESTING = {0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 64, 0x7f, 0x80, 0xff, 0xff00,
        0xfff1, 0xfff2, 0xffff, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, Long.MAX_VALUE, Long.MIN_VALUE, -1, -8};

    private static Outcome fuzz(byte[] original, long seed, int mutations) {
        Random random = new Random(seed);
        List<long[]> regions = regions(original);
        ByteOrder order = ElfFile.of(original).byteOrder();
        int ok = 0;
        int refused = 0;
        for (int n = 0; n < mutations; n++) {
            byte[] bytes = original.clone();
            int edits = 1 + random.nextInt(4);
            for (int k = 0; k < edits; k++) {
                long[] r = regions.get(random.nextInt(regions.size()));
                int span = (int) (r[1] - r[0]);
                int pos = (int) r[0] + random.nextInt(span);
                switch (random.nextInt(4)) {
                    case 0 -> bytes[pos] = (byte) random.nextInt(256);
                    case 1 -> bytes[pos] ^= (byte) (1 << random.nextInt(8));
                    case 2 -> {
                        long v = random.nextInt(3) == 0 ? original.length + random.nextInt(3) - 1
                                : INTERESTING[random.nextInt(INTERESTING.length)];
                        int width = new int[] {2, 4, 8}[random.nextInt(3)];
                        ByteBuffer b = ByteBuffer.allocate(8).order(order);
                        if (width == 2) {
                            b.putShort((short) v);
                        } else if (width == 4) {
                            b.putInt((int) v);
                        } else {
                            b.putLong(v);
                        }
                        for (int i = 0; i < width && pos + i < bytes.length; i++) {
                            bytes[pos + i] = b.get(i);
                        }
                    }
                    default -> {
                        // Truncation, now and then.
                        if (random.nextInt(8) == 0) {
                            bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                            k = edits;
                        }
                    }
                }
            }
            if (walk(bytes, "seed 0x" + Long.toHexString(seed) + ", mutation " + n)) {
                ok++;
            } else {
                refused++;
            }
        }
        return new Outcome(ok, refused);
    }

    /** Reads everything; true when all of it read cleanly, false on ObjectFormatException, fails otherwise. */
    private static boolean walk(byte[] bytes, String what) {
        try {
            ElfFile elf = ElfFile.of(bytes);
            boolean clean = true;
            List<Symbol> symbols = List.of();
            try {
                symbols = elf.symbols();
                for (Symbol s : symbols) {
                    if (s.hasSection()) {
                        elf.section(s.sectionIndex());
                    }
                }
            } catch (ObjectFormatException e) {
                clean = false;
            }
            try {
                elf.dynamicSymbols();
                elf.segments();
            } catch (ObjectFormatException e) {
                clean = false;
            }
            for (Section s : elf.sections()) {
                try {
                    s.data();
                    s.bytes();
                    switch (s.type()) {
                        case SHT_REL, SHT_RELA -> {
                            Section target = elf.target(s);
                            for (Relocation r : elf.relocations(s)) {
                                symbols.get(r.symbolIndex());
                                target.data();
                            }
                        }
                        case SHT_NOTE -> elf.notes(s);
                        case SHT_STRTAB -> {
                            if (s.size() > 0) {
                                elf.string(s, s.size() - 1);
                            }
                        }
                        default -> {
                        }
                    }
                } catch (ObjectFormatException e) {
                    clean = false;
                }
            }
            return clean;
        } catch (ObjectFormatException e) {
            return false;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }
}
