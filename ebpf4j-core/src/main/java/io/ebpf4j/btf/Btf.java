package io.ebpf4j.btf;

import io.ebpf4j.BpfException;
import io.ebpf4j.UnsupportedFeatureException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Parsed BTF: the types and strings of a raw BTF blob (as in {@code /sys/kernel/btf/*} or an object file's
 * {@code .BTF} section), in either byte order.
 *
 * <p>Parsing is lazy. Construction checks the header and walks the type section once to find where each
 * type's record starts (records have variable length); a type is decoded into its {@link BtfType} record on
 * first access and kept. The name index behind {@link #findByName} and {@link #find} is built on the first
 * lookup. Every offset is checked: malformed data raises {@link BtfFormatException} naming the type id and
 * byte offset, whether found at construction or at decoding.
 *
 * <p>Split BTF (a kernel module's) continues its base's type ids and strings: its first type id is one past
 * the base's last, and string offsets from the base's string length on are its own. Lookups and decoding of
 * base ids go to the base.
 *
 * <p>Instances are safe for concurrent use. One made from a file owns the memory it read or mapped and frees
 * it on {@link #close()}, after which only already-decoded types remain usable; the process-wide
 * {@link #loadKernel()} instance ignores {@code close()}. One made from a {@code byte[]} or a segment reads
 * the caller's memory in place, which must stay unchanged and alive.
 */
public final class Btf implements AutoCloseable {
    /** The length of the header this parser knows. */
    public static final int HEADER_LEN = 24;
    private static final int MAGIC = 0xeB9F;
    private static final int TYPE_HEADER = 12;
    /** Bits of a type's info word that BTF leaves unused (between vlen and kind, and above kind). */
    private static final int INFO_RESERVED = 0x60ff0000;
    /** How many typedefs and modifiers a resolution follows before calling the chain a loop. */
    private static final int MAX_CHAIN = 64;
    private static final long U32_MAX = 0xffffffffL;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Path SYSFS = Path.of("/sys/kernel/btf");
    private static final int KINDS = 20;
    /**
     * Record length per kind code: fixed part, and bytes per vlen entry. -1 marks unknown kinds. Tables, not a
     * switch: the kinds of successive records look random to the branch predictor, and the walk is sequential.
     */
    private static final int[] FIXED_LEN = new int[32];
    private static final int[] VLEN_LEN = new int[32];

    static {
        Arrays.fill(FIXED_LEN, -1);
        for (int k : new int[] {2, 7, 8, 9, 10, 11, 12, 16, 18}) {
            FIXED_LEN[k] = TYPE_HEADER; // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC (vlen is linkage), FLOAT, TYPE_TAG
        }
        for (int k : new int[] {1, 14, 17}) {
            FIXED_LEN[k] = TYPE_HEADER + 4; // INT, VAR, DECL_TAG: one extra word
        }
        FIXED_LEN[3] = TYPE_HEADER + 12; // ARRAY
        for (int k : new int[] {4, 5, 15, 19}) {
            FIXED_LEN[k] = TYPE_HEADER;
            VLEN_LEN[k] = 12; // members, var_secinfos, enum64 values
        }
        for (int k : new int[] {6, 13}) {
            FIXED_LEN[k] = TYPE_HEADER;
            VLEN_LEN[k] = 8; // enum values, params
        }
    }

    private final MemorySegment data;
    /** The memory owner for file-backed instances; null when the caller owns the memory. */
    private final Arena arena;
    private final boolean shared;
    /** Whether the data's byte order differs from the machine's: reads go through the native order and swap. */
    private final boolean swap;
    private final Btf base;
    private final int firstId;
    private final int count;
    /** The byte offset in {@link #data} of each own type's record, indexed by {@code id - firstId}. */
    private final int[] offsets;
    private final int typeEnd;
    private final int strStart;
    private final int strLen;
    /** String offsets below this are the base's. */
    private final int strBase;
    /** Decoded types, filled on first access. Racy writes are fine: records are immutable and equal. */
    private final BtfType[] cache;
    /** Each own type's kind code, by {@code id - firstId}: lets the name index pick one kind without reading records. */
    private final byte[] kinds;
    /** How many own types there are of each kind code. */
    private final int[] kindCounts;
    /** Name indexes per kind code, built on first lookup of that kind; replaced, never changed, once published. */
    private volatile NameIndex[] indexes = new NameIndex[KINDS];
    /** The chain links of all name indexes (each type is in its kind's only); guarded by this. */
    private int[] chains;
    private volatile int pointerSize;
    private boolean closed;

    private Btf(MemorySegment data, Btf base, Arena arena, boolean shared) {
        this.data = data;
        this.base = base;
        this.arena = arena;
        this.shared = shared;
        long size = data.byteSize();
        if (size > Integer.MAX_VALUE) {
            throw fail("BTF of %d bytes is larger than the 2 GiB this parser reads", size);
        }
        if (size < 2) {
            throw fail("BTF header truncated: %d bytes of data, the header needs %d", size, HEADER_LEN);
        }
        int b0 = data.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        int b1 = data.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
        ByteOrder order;
        if (b0 == (MAGIC & 0xff) && b1 == MAGIC >>> 8) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (b0 == MAGIC >>> 8 && b1 == (MAGIC & 0xff)) {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw fail("bad BTF magic 0x%02x%02x at byte offset 0 (want 0xeb9f in either byte order)", b0, b1);
        }
        this.swap = order != ByteOrder.nativeOrder();
        if (size < HEADER_LEN) {
            throw fail("BTF header truncated: %d bytes of data, the header needs %d", size, HEADER_LEN);
        }
        int version = data.get(ValueLayout.JAVA_BYTE, 2) & 0xff;
        if (version != 1) {
            throw fail("unsupported BTF version %d at byte offset 2 (this parser reads version 1)", version);
        }
        int flags = data.get(ValueLayout.JAVA_BYTE, 3) & 0xff;
        if (flags != 0) {
            throw fail("unsupported BTF header flags 0x%02x at byte offset 3", flags);
        }
        long hdrLen = u32(4) & U32_MAX;
        if (hdrLen < HEADER_LEN) {
            throw fail("hdr_len %d at byte offset 4 is shorter than the %d-byte header", hdrLen, HEADER_LEN);
        }
        if (hdrLen > size) {
            throw fail("hdr_len %d at byte offset 4 is past the end of the %d bytes of data", hdrLen, size);
        }
        // A longer header carries fields this parser does not know; only all-zero (unused) ones are safe to skip.
        for (long at = HEADER_LEN; at < hdrLen; at++) {
            if (data.get(ValueLayout.JAVA_BYTE, at) != 0) {
                throw fail("header byte at offset %d is not zero: hdr_len %d has fields past the %d bytes this parser knows",
                        at, hdrLen, HEADER_LEN);
            }
        }
        long typeOff = u32(8) & U32_MAX;
        long typeLen = u32(12) & U32_MAX;
        long strOff = u32(16) & U32_MAX;
        long strLength = u32(20) & U32_MAX;
        long avail = size - hdrLen;
        if (typeOff + typeLen > avail) {
            throw fail("type section (type_off %d, type_len %d at byte offsets 8 and 12) ends at byte offset %d, past the end of the %d bytes of data",
                    typeOff, typeLen, hdrLen + typeOff + typeLen, size);
        }
        if (strOff + strLength > avail) {
            throw fail("string section (str_off %d, str_len %d at byte offsets 16 and 20) ends at byte offset %d, past the end of the %d bytes of data",
                    strOff, strLength, hdrLen + strOff + strLength, size);
        }
        if (typeLen > 0 && strLength > 0 && typeOff < strOff + strLength && strOff < typeOff + typeLen) {
            throw fail("type section [%d, %d) and string section [%d, %d) overlap",
                    hdrLen + typeOff, hdrLen + typeOff + typeLen, hdrLen + strOff, hdrLen + strOff + strLength);
        }
        this.strStart = (int) (hdrLen + strOff);
        this.strLen = (int) strLength;
        if (base == null && (strLen == 0 || data.get(ValueLayout.JAVA_BYTE, strStart) != 0)) {
            throw fail("string section at byte offset %d must start with a NUL (offset 0 is the empty name)", strStart);
        }
        if (strLen > 0 && data.get(ValueLayout.JAVA_BYTE, strStart + strLen - 1L) != 0) {
            throw fail("string section ends at byte offset %d without a NUL", strStart + strLen - 1L);
        }
        if (base == null) {
            this.firstId = 1;
            this.strBase = 0;
        } else {
            this.firstId = base.lastTypeId() + 1;
            this.strBase = base.stringsEnd();
            if ((long) strBase + strLen > Integer.MAX_VALUE) {
                throw fail("the strings of this split BTF and its base pass 2 GiB");
            }
        }
        int start = (int) (hdrLen + typeOff);
        this.typeEnd = (int) (start + typeLen);
        // Every record has at least the 12-byte common header, which bounds the count before any walk.
        int bound = (int) (typeLen / TYPE_HEADER);
        int[] offs = new int[bound];
        byte[] kindOf = new byte[bound];
        this.kindCounts = new int[KINDS];
        int n = walk(start, offs, kindOf, kindCounts);
        if ((long) firstId + n - 1 > Integer.MAX_VALUE) {
            throw fail("type ids of this split BTF would pass %d", Integer.MAX_VALUE);
        }
        this.count = n;
        // Trim when the bound was loose, so the tables retain no more than they need.
        boolean trim = n < bound - bound / 8;
        this.offsets = trim ? Arrays.copyOf(offs, n) : offs;
        this.kinds = trim ? Arrays.copyOf(kindOf, n) : kindOf;
        this.cache = new BtfType[n];
    }

    /** The first pass: records where each type starts and its kind; returns the number of types. */
    private int walk(int start, int[] offs, byte[] kindOf, int[] counts) {
        MemorySegment d = data;
        boolean sw = swap;
        int end = typeEnd;
        int n = 0;
        for (int at = start; at < end; n++) {
            if (end - at < TYPE_HEADER) {
                throw fail("type id %d at byte offset %d: %d bytes remain in the type section, a type needs %d",
                        firstId + n, at, end - at, TYPE_HEADER);
            }
            int info = d.get(U32, at + 4L);
            if (sw) {
                info = Integer.reverseBytes(info);
            }
            int kind = (info >>> 24) & 0x1f;
            int fixed = FIXED_LEN[kind];
            if (fixed < 0 || (info & INFO_RESERVED) != 0) {
                recordLength(info, firstId + n, at); // throws, naming the problem
            }
            long len = fixed + (long) VLEN_LEN[kind] * (info & 0xffff);
            if (len > end - at) {
                throw fail("type id %d at byte offset %d: its %s record needs %d bytes (vlen %d), only %d remain in the type section",
                        firstId + n, at, BtfKind.of(kind), len, info & 0xffff, end - at);
            }
            offs[n] = at;
            kindOf[n] = (byte) kind;
            counts[kind]++;
            at += (int) len;
        }
        return n;
    }

    /** The record length of a type from its info word; rejects unknown kinds and reserved bits. */
    private long recordLength(int info, int id, long at) {
        if ((info & INFO_RESERVED) != 0) {
            throw fail("type id %d at byte offset %d: info word 0x%08x has reserved bits set", id, at, info);
        }
        int kind = (info >>> 24) & 0x1f;
        if (FIXED_LEN[kind] < 0) {
            throw fail("type id %d at byte offset %d: unknown kind %d", id, at, kind);
        }
        return FIXED_LEN[kind] + (long) VLEN_LEN[kind] * (info & 0xffff);
    }

    // ---- construction

    /** Parses base BTF held in {@code data}, which is read in place and must stay unchanged. */
    public static Btf parse(byte[] data) {
        return parse(data, null);
    }

    /** Parses split BTF on {@code base} (null for base BTF) held in {@code data}, read in place. */
    public static Btf parse(byte[] data, Btf base) {
        return new Btf(MemorySegment.ofArray(data), base, null, false);
    }

    /** Parses base BTF in a segment the caller keeps alive and unchanged while this is used. */
    public static Btf parse(MemorySegment data) {
        return parse(data, null);
    }

    /** Parses split BTF on {@code base} (null for base BTF) in a segment the caller keeps alive. */
    public static Btf parse(MemorySegment data, Btf base) {
        return new Btf(data, base, null, false);
    }

    /** Reads base BTF from a file; close the result to free its memory. */
    public static Btf open(Path file) {
        return open(file, null);
    }

    /**
     * Reads BTF from a file, split on {@code base} unless that is null. The file is mapped read-only when the
     * file system allows, else read into memory this instance owns; close it to free either.
     */
    public static Btf open(Path file, Btf base) {
        Arena arena = Arena.ofShared();
        try {
            return new Btf(readFile(file, arena), base, arena, false);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment readFile(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw fail("%s: BTF of %d bytes is larger than the 2 GiB this parser reads", file, size);
            }
            if (size == 0) {
                // Pseudo files may report no size; read until the end.
                byte[] all = Files.readAllBytes(file);
                return arena.allocate(Math.max(1, all.length)).copyFrom(MemorySegment.ofArray(all)).asSlice(0, all.length);
            }
            try {
                // /sys/kernel/btf/* accepts only private read-only mappings, which FileChannel cannot make.
                return io.ebpf4j.kernel.Sys.mapFileReadOnly(file, size, arena);
            } catch (io.ebpf4j.SyscallException e) {
                // Older kernels cannot map BTF at all: read it.
            }
            try {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            } catch (IOException | UnsupportedOperationException e) {
                // Some files refuse any mapping: read them.
            }
            MemorySegment buf = arena.allocate(size);
            ByteBuffer bb = buf.asByteBuffer();
            while (bb.hasRemaining() && ch.read(bb) >= 0) {
                // read until full or at the end
            }
            if (!bb.hasRemaining() && ch.read(ByteBuffer.allocate(1)) > 0) {
                throw new BpfException(file + " grew while being read");
            }
            return buf.asSlice(0, bb.position());
        } catch (NoSuchFileException e) {
            throw new BpfException("no BTF file " + file, e);
        } catch (IOException e) {
            throw new BpfException("reading BTF from " + file + ": " + e.getMessage(), e);
        }
    }

    private static final Object KERNEL_LOCK = new Object();
    private static volatile Btf kernel;

    /**
     * The running kernel's BTF, {@code /sys/kernel/btf/vmlinux}, read once per process and shared; its
     * {@link #close()} does nothing.
     *
     * @throws UnsupportedFeatureException when the kernel exposes no BTF
     */
    public static Btf loadKernel() {
        Btf k = kernel;
        if (k == null) {
            synchronized (KERNEL_LOCK) {
                k = kernel;
                if (k == null) {
                    Path vmlinux = SYSFS.resolve("vmlinux");
                    if (!Files.exists(vmlinux)) {
                        throw new UnsupportedFeatureException("kernel BTF",
                                vmlinux + " does not exist (a kernel built without CONFIG_DEBUG_INFO_BTF)");
                    }
                    // The global arena: the shared instance lives as long as the process.
                    k = new Btf(readFile(vmlinux, Arena.global()), null, null, true);
                    kernel = k;
                }
            }
        }
        return k;
    }

    /** A loaded module's BTF, {@code /sys/kernel/btf/<module>}, split on {@link #loadKernel()}. Close it. */
    public static Btf loadModule(String module) {
        if (module.isEmpty() || module.contains("/") || module.equals(".") || module.equals("..")
                || module.equals("vmlinux")) {
            throw new IllegalArgumentException("not a module name: \"" + module + "\"");
        }
        Btf vmlinux = loadKernel();
        Path file = SYSFS.resolve(module);
        if (!Files.exists(file)) {
            throw new BpfException("no BTF for module " + module + ": " + file
                    + " does not exist (is the module loaded, and built with BTF?)");
        }
        return open(file, vmlinux);
    }

    // ---- the whole

    /** The base this split BTF continues, if it is split. */
    public Optional<Btf> base() {
        return Optional.ofNullable(base);
    }

    /** The byte order of the data. */
    public ByteOrder byteOrder() {
        return swap == (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN;
    }

    /** How many types this BTF's own type section holds (not counting void or a base's types). */
    public int typeCount() {
        return count;
    }

    /** The id of this BTF's first own type: 1, or one past the base's last for split BTF. */
    public int firstTypeId() {
        return firstId;
    }

    /** The highest valid type id; {@code firstTypeId() - 1} when there are no own types. */
    public int lastTypeId() {
        return firstId + count - 1;
    }

    /** One past the last string offset of this BTF (its base's included): split BTF on this one starts there. */
    public int stringsEnd() {
        return strBase + strLen;
    }

    // ---- types

    /**
     * The byte offset, in the data this BTF was parsed from, of an own type's record (for tools that patch raw
     * BTF in place, such as the loader's DATASEC fixups).
     */
    public int recordOffset(int id) {
        if (id < firstId || id >= firstId + count) {
            throw new IllegalArgumentException("type id " + id + " is not one of this BTF's own types ("
                    + firstId + ".." + (firstId + count - 1) + ")");
        }
        return offsets[id - firstId];
    }

    /** The type with this id, decoded on first access; id 0 is {@link BtfType.Void}. */
    public BtfType type(int id) {
        if (id == 0) {
            return BtfType.Void.INSTANCE;
        }
        if (id < firstId && base != null && id > 0) {
            return base.type(id);
        }
        int i = localIndex(id);
        BtfType t = cache[i];
        if (t == null) {
            t = decode(id, offsets[i]);
            cache[i] = t;
        }
        return t;
    }

    /** The kind of a type, without decoding it. */
    public BtfKind kind(int id) {
        if (id == 0) {
            return BtfKind.VOID;
        }
        Btf o = owner(id);
        return BtfKind.of(o.kinds[id - o.firstId]);
    }

    /** The name of a type, empty when anonymous, without decoding the rest of it. */
    public String nameOf(int id) {
        if (id == 0) {
            return "";
        }
        Btf o = owner(id);
        int off = o.offsets[id - o.firstId];
        return string(o.u32(off), id, off);
    }

    /** The type an id means once typedefs, const, volatile, restrict and type tags are skipped. */
    public int resolve(int id) {
        int cur = id;
        for (int depth = 0; depth <= MAX_CHAIN; depth++) {
            if (cur == 0) {
                return 0;
            }
            Btf o = owner(cur);
            int off = o.offsets[cur - o.firstId];
            int kind = o.kinds[cur - o.firstId];
            switch (kind) {
                case 8, 9, 10, 11, 18 -> cur = o.ref(o.u32(off + 8L), cur, off);
                default -> {
                    return cur;
                }
            }
        }
        throw fail("type id %d: the chain of typedefs and modifiers from it is longer than %d (a loop?)", id, MAX_CHAIN);
    }

    /** The decoded type {@link #resolve(int)} leads to. */
    public BtfType resolveType(int id) {
        return type(resolve(id));
    }

    /**
     * The size in bytes of a value of this type: following typedefs, modifiers and variables, multiplying
     * through arrays; a pointer has the size of the BTF's {@code long} (8 when it has none).
     *
     * @throws IllegalArgumentException for void, functions, prototypes, forward declarations and tags
     */
    public long sizeOf(int id) {
        long mult = 1;
        int cur = id;
        for (int depth = 0; depth <= MAX_CHAIN; depth++) {
            if (cur == 0) {
                throw new IllegalArgumentException("type id " + id + (id == 0 ? "" : " leads to void, which") + " has no size");
            }
            Btf o = owner(cur);
            int off = o.offsets[cur - o.firstId];
            int kind = o.kinds[cur - o.firstId];
            long size;
            switch (kind) {
                case 1, 4, 5, 6, 15, 16, 19 -> size = o.u32(off + 8L) & U32_MAX;
                case 2 -> size = pointerSize();
                case 8, 9, 10, 11, 14, 18 -> {
                    cur = o.ref(o.u32(off + 8L), cur, off);
                    continue;
                }
                case 3 -> {
                    long n = o.u32(off + 20L) & U32_MAX;
                    mult = multiply(mult, n, id);
                    cur = o.ref(o.u32(off + 12L), cur, off);
                    continue;
                }
                default -> throw new IllegalArgumentException("type id " + id + (cur == id ? "" : " leads to type id " + cur + ", which")
                        + " is a " + BtfKind.of(kind) + ", which has no size");
            }
            return multiply(mult, size, id);
        }
        throw fail("type id %d: the chain of typedefs, modifiers and arrays from it is longer than %d (a loop?)", id, MAX_CHAIN);
    }

    private static long multiply(long a, long b, int id) {
        long r = a * b;
        if (r > U32_MAX || (a != 0 && r / a != b)) {
            throw fail("type id %d: size overflows 32 bits", id);
        }
        return r;
    }

    /** The pointer size, from the size of a {@code long} integer type if there is one. */
    private int pointerSize() {
        int p = pointerSize;
        if (p == 0) {
            p = 8;
            for (String name : new String[] {"long", "long int", "unsigned long", "long unsigned int"}) {
                OptionalInt t = find(name, BtfKind.INT);
                if (t.isPresent()) {
                    int s = (int) sizeOf(t.getAsInt());
                    if (s == 4 || s == 8) {
                        p = s;
                        break;
                    }
                }
            }
            pointerSize = p;
        }
        return p;
    }

    // ---- lookup by name

    /** The ids of every type with this name, ascending (a base's first); none for the empty name. */
    public List<Integer> findByName(String name) {
        List<Integer> out = new ArrayList<>();
        byte[] q = query(name);
        if (q != null) {
            collect(q, hash(q), out);
        }
        return List.copyOf(out);
    }

    /** The lowest id of a type with this name and kind. */
    public OptionalInt find(String name, BtfKind kind) {
        byte[] q = query(name);
        if (q == null || kind == BtfKind.VOID) {
            return OptionalInt.empty();
        }
        int id = first(q, hash(q), kind.code());
        return id == 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private static byte[] query(String name) {
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            return null;
        }
        return name.getBytes(StandardCharsets.UTF_8);
    }

    private void collect(byte[] q, int h, List<Integer> out) {
        if (base != null) {
            base.collect(q, h, out);
        }
        int from = out.size();
        NameIndex[] all = index(ALL_KINDS);
        for (NameIndex ix : all) {
            if (ix == null) {
                continue;
            }
            for (int e = ix.heads[h & ix.mask]; e != 0; e = ix.next[e - 1]) {
                if (nameEquals(u32(offsets[e - 1]), q)) {
                    out.add(firstId + e - 1);
                }
            }
        }
        // Each kind's chain is ascending; across kinds they interleave.
        out.subList(from, out.size()).sort(null);
    }

    /** The lowest id (a base's first) with this name and kind code, or 0. */
    private int first(byte[] q, int h, int kind) {
        if (base != null) {
            int id = base.first(q, h, kind);
            if (id != 0) {
                return id;
            }
        }
        NameIndex ix = index(1 << kind)[kind];
        if (ix == null) {
            return 0;
        }
        for (int e = ix.heads[h & ix.mask]; e != 0; e = ix.next[e - 1]) {
            if (nameEquals(u32(offsets[e - 1]), q)) {
                return firstId + e - 1;
            }
        }
        return 0;
    }

    private static final int ALL_KINDS = (1 << KINDS) - 2;

    /**
     * The named types of one kind, bucketed by name hash and chained through {@code next}: entries are local
     * index + 1, 0 ends a chain. Int arrays only, no Strings: names are hashed and compared in the string section.
     */
    private record NameIndex(int[] heads, int[] next, int mask) {
    }

    /** The per-kind indexes, with those of the kinds in {@code mask} built (null where a kind has no types). */
    private NameIndex[] index(int mask) {
        NameIndex[] ix = indexes;
        if (!built(ix, mask)) {
            synchronized (this) {
                ix = indexes;
                if (!built(ix, mask)) {
                    ix = buildIndexes(ix, mask);
                    indexes = ix;
                }
            }
        }
        return ix;
    }

    private boolean built(NameIndex[] ix, int mask) {
        for (int k = 1; k < KINDS; k++) {
            if ((mask & 1 << k) != 0 && ix[k] == null && kindCounts[k] > 0) {
                return false;
            }
        }
        return true;
    }

    /** A copy of {@code old} with the indexes of the kinds in {@code mask} added, in one pass over the types. */
    private NameIndex[] buildIndexes(NameIndex[] old, int mask) {
        if (chains == null) {
            chains = new int[count];
        }
        int[] next = chains;
        NameIndex[] ix = old.clone();
        int want = 0;
        for (int k = 1; k < KINDS; k++) {
            if ((mask & 1 << k) != 0 && ix[k] == null && kindCounts[k] > 0) {
                int cap = Integer.highestOneBit(Math.max(4, kindCounts[k]) * 2 - 1) << 1;
                ix[k] = new NameIndex(new int[cap], next, cap - 1);
                want |= 1 << k;
            }
        }
        byte[] kindOf = kinds;
        // Backwards, pushing onto the chain heads, so that every chain lists ids in ascending order.
        for (int i = count - 1; i >= 0; i--) {
            int k = kindOf[i];
            if ((want & 1 << k) == 0) {
                continue;
            }
            int off = offsets[i];
            int nameOff = u32(off);
            if (nameOff == 0) {
                continue;
            }
            NameIndex t = ix[k];
            int b = hashAt(nameOff, firstId + i, off) & t.mask;
            next[i] = t.heads[b];
            t.heads[b] = i + 1;
        }
        return ix;
    }

    // The name hash works on 8-byte little-endian words so that most names cost two or three reads; the word
    // holding the terminating NUL is masked to the bytes before it. The query's hash walks its bytes the same way.

    private static long mix(long h, long v) {
        h = (h ^ v) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 32);
    }

    private static int finish(long h) {
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 31));
    }

    private static int hash(byte[] q) {
        long h = 0;
        int i = 0;
        for (; i + 8 <= q.length; i += 8) {
            h = mix(h, word(q, i, 8));
        }
        return finish(mix(h, word(q, i, q.length - i)));
    }

    private static long word(byte[] q, int from, int n) {
        long v = 0;
        for (int k = 0; k < n; k++) {
            v |= (q[from + k] & 0xffL) << (8 * k);
        }
        return v;
    }

    /** The hash of the name at a string offset (checked) of this BTF or its base. */
    private int hashAt(int nameOff, int id, int at) {
        Btf s = nameOff >= strBase && nameOff - strBase < strLen ? this : stringOwner(nameOff, id, at);
        long pos = s.strStart + (long) (nameOff - s.strBase);
        long end = s.strStart + (long) s.strLen;
        MemorySegment d = s.data;
        long h = 0;
        while (true) {
            long v;
            if (end - pos >= 8) {
                v = d.get(LE64, pos);
            } else {
                // Near the end of the section: the bytes past it read as zero, and the section ends with a NUL.
                v = 0;
                for (int k = 0; k < end - pos; k++) {
                    v |= (d.get(ValueLayout.JAVA_BYTE, pos + k) & 0xffL) << (8 * k);
                }
            }
            // The lowest flagged byte is the first NUL (the trick's false positives sit only above a real zero).
            long z = (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
            if (z != 0) {
                int nul = Long.numberOfTrailingZeros(z) >>> 3;
                return finish(mix(h, nul == 0 ? 0 : v & (-1L >>> (64 - 8 * nul))));
            }
            h = mix(h, v);
            pos += 8;
        }
    }

    /** Whether the NUL-terminated name at a string offset equals {@code q}; false for offsets out of range. */
    private boolean nameEquals(int nameOff, byte[] q) {
        if (nameOff < 0) {
            return false;
        }
        Btf s = this;
        while (nameOff < s.strBase) {
            s = s.base;
        }
        long local = (nameOff & U32_MAX) - s.strBase;
        if (local + q.length >= s.strLen) {
            return false;
        }
        long pos = s.strStart + local;
        MemorySegment d = s.data;
        for (int k = 0; k < q.length; k++) {
            if (d.get(ValueLayout.JAVA_BYTE, pos + k) != q[k]) {
                return false;
            }
        }
        return d.get(ValueLayout.JAVA_BYTE, pos + q.length) == 0;
    }

    // ---- strings

    /**
     * The string at an offset of this BTF's string section (a base's offsets included).
     *
     * @throws BtfFormatException when the offset is past the strings
     */
    public String string(int offset) {
        return string(offset, 0, -1);
    }

    /**
     * The distinct strings of this BTF's string section (and its base's) that contain {@code needle}: a scan of
     * the strings alone, far cheaper than decoding every type's name (CO-RE finds {@code ___flavor} names so).
     */
    public List<String> stringsContaining(String needle) {
        byte[] q = needle.getBytes(StandardCharsets.UTF_8);
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        if (q.length == 0 || needle.indexOf('\0') >= 0) {
            return List.of();
        }
        for (Btf b = this; b != null; b = b.base) {
            byte[] s = b.data.asSlice(b.strStart, b.strLen).toArray(ValueLayout.JAVA_BYTE);
            byte first = q[0];
            int last = s.length - q.length;
            for (int i = 0; i <= last; i++) {
                if (s[i] != first || !Arrays.equals(s, i, i + q.length, q, 0, q.length)) {
                    continue;
                }
                int start = i;
                while (start > 0 && s[start - 1] != 0) {
                    start--;
                }
                int end = i;
                while (end < s.length && s[end] != 0) {
                    end++;
                }
                out.add(new String(s, start, end - start, StandardCharsets.UTF_8));
                i = end;
            }
        }
        return List.copyOf(out);
    }

    /** Whether a string offset falls inside the strings of this BTF or its base. */
    public boolean hasString(int offset) {
        return offset >= 0 && offset < stringsEnd();
    }

    private String string(int off, int id, long at) {
        if (off == 0) {
            return "";
        }
        Btf s = stringOwner(off, id, at);
        // The section ends with a NUL (checked at parse), so the read stops inside it.
        return s.data.getString(s.strStart + (long) (off - s.strBase));
    }

    private Btf stringOwner(int off, int id, long at) {
        Btf s = this;
        if (off < 0 || off >= stringsEnd()) {
            throw fail("%sstring offset %d is past the string section (%d bytes%s)",
                    id == 0 ? "" : "type id " + id + " at byte offset " + at + ": ", off & U32_MAX, stringsEnd(),
                    base == null ? "" : ", base included");
        }
        while (off < s.strBase) {
            s = s.base;
        }
        return s;
    }

    // ---- decoding

    private int localIndex(int id) {
        if (id < firstId || id - firstId >= count) {
            throw new IllegalArgumentException("no type id " + id + ": this BTF's ids run 0.." + lastTypeId());
        }
        return id - firstId;
    }

    /** The BTF in the chain that holds a (checked) type id. */
    private Btf owner(int id) {
        if (id <= 0 || id > lastTypeId()) {
            throw new IllegalArgumentException("no type id " + id + ": this BTF's ids run 0.." + lastTypeId());
        }
        Btf o = this;
        while (id < o.firstId) {
            o = o.base;
        }
        return o;
    }

    /** Checks a type id found in the record of type {@code id} at {@code at}. */
    private int ref(int target, int id, long at) {
        if (target < 0 || target > lastTypeId()) {
            throw fail("type id %d at byte offset %d refers to type id %d, past the last id %d",
                    id, at, target & U32_MAX, lastTypeId());
        }
        return target;
    }

    private BtfType decode(int id, int off) {
        int info = u32(off + 4L);
        long len = recordLength(info, id, off);
        if (len > typeEnd - off) {
            throw fail("type id %d at byte offset %d: record of %d bytes runs past the type section (the data changed after parsing?)",
                    id, off, len);
        }
        String name = string(u32(off), id, off);
        int kind = (info >>> 24) & 0x1f;
        int vlen = info & 0xffff;
        boolean kindFlag = info < 0;
        int st = u32(off + 8L);
        return switch (kind) {
            case 1 -> {
                int enc = u32(off + 12L);
                if ((enc & 0xf000ff00) != 0) {
                    throw fail("type id %d at byte offset %d: INT encoding word 0x%08x has reserved bits set", id, off, enc);
                }
                BtfType.IntEncoding e = BtfType.IntEncoding.of((enc >>> 24) & 0xf);
                if (e == null) {
                    throw fail("type id %d at byte offset %d: INT encoding 0x%x is not one of signed, char or bool",
                            id, off, (enc >>> 24) & 0xf);
                }
                yield new BtfType.Int(name, st, e, (enc >>> 16) & 0xff, enc & 0xff);
            }
            case 2 -> new BtfType.Ptr(name, ref(st, id, off));
            case 3 -> new BtfType.Array(name, ref(u32(off + 12L), id, off), ref(u32(off + 16L), id, off), u32(off + 20L));
            case 4, 5 -> {
                BtfType.Member[] ms = new BtfType.Member[vlen];
                for (int k = 0; k < vlen; k++) {
                    long m = off + TYPE_HEADER + 12L * k;
                    int o = u32(m + 8);
                    ms[k] = new BtfType.Member(string(u32(m), id, m), ref(u32(m + 4), id, m),
                            kindFlag ? o & 0xffffff : o, kindFlag ? o >>> 24 : 0);
                }
                yield kind == 4 ? new BtfType.Struct(name, st, List.of(ms)) : new BtfType.Union(name, st, List.of(ms));
            }
            case 6 -> {
                BtfType.EnumValue[] vs = new BtfType.EnumValue[vlen];
                for (int k = 0; k < vlen; k++) {
                    long m = off + TYPE_HEADER + 8L * k;
                    int v = u32(m + 4);
                    vs[k] = new BtfType.EnumValue(string(u32(m), id, m), kindFlag ? v : v & U32_MAX);
                }
                yield new BtfType.Enum(name, st, kindFlag, List.of(vs));
            }
            case 7 -> new BtfType.Fwd(name, kindFlag);
            case 8 -> new BtfType.Typedef(name, ref(st, id, off));
            case 9 -> new BtfType.Volatile(name, ref(st, id, off));
            case 10 -> new BtfType.Const(name, ref(st, id, off));
            case 11 -> new BtfType.Restrict(name, ref(st, id, off));
            case 12 -> new BtfType.Func(name, ref(st, id, off), linkage(vlen, "FUNC", id, off));
            case 13 -> {
                BtfType.Param[] ps = new BtfType.Param[vlen];
                for (int k = 0; k < vlen; k++) {
                    long m = off + TYPE_HEADER + 8L * k;
                    ps[k] = new BtfType.Param(string(u32(m), id, m), ref(u32(m + 4), id, m));
                }
                yield new BtfType.FuncProto(name, ref(st, id, off), List.of(ps));
            }
            case 14 -> new BtfType.Var(name, ref(st, id, off), linkage(u32(off + 12L), "VAR", id, off));
            case 15 -> {
                BtfType.VarSecinfo[] vs = new BtfType.VarSecinfo[vlen];
                for (int k = 0; k < vlen; k++) {
                    long m = off + TYPE_HEADER + 12L * k;
                    vs[k] = new BtfType.VarSecinfo(ref(u32(m), id, m), u32(m + 4), u32(m + 8));
                }
                yield new BtfType.Datasec(name, st, List.of(vs));
            }
            case 16 -> new BtfType.Float(name, st);
            case 17 -> new BtfType.DeclTag(name, ref(st, id, off), u32(off + 12L), kindFlag);
            case 18 -> new BtfType.TypeTag(name, ref(st, id, off), kindFlag);
            case 19 -> {
                BtfType.EnumValue[] vs = new BtfType.EnumValue[vlen];
                for (int k = 0; k < vlen; k++) {
                    long m = off + TYPE_HEADER + 12L * k;
                    long lo = u32(m + 4) & U32_MAX;
                    long hi = u32(m + 8) & U32_MAX;
                    vs[k] = new BtfType.EnumValue(string(u32(m), id, m), hi << 32 | lo);
                }
                yield new BtfType.Enum64(name, st, kindFlag, List.of(vs));
            }
            default -> throw fail("type id %d at byte offset %d: unknown kind %d", id, off, kind);
        };
    }

    private static BtfType.Linkage linkage(int code, String kind, int id, long at) {
        BtfType.Linkage l = BtfType.Linkage.of(code);
        if (l == null) {
            throw fail("type id %d at byte offset %d: %s linkage %d is not static (0), global (1) or extern (2)",
                    id, at, kind, code & U32_MAX);
        }
        return l;
    }

    private int u32(long at) {
        int v = data.get(U32, at);
        return swap ? Integer.reverseBytes(v) : v;
    }

    private static BtfFormatException fail(String format, Object... args) {
        return new BtfFormatException(String.format(format, args));
    }

    /** Frees the memory of a file-backed instance; nothing for others and for {@link #loadKernel()}'s. */
    @Override
    public void close() {
        if (arena == null || shared) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "Btf[ids " + firstId + ".." + lastTypeId() + ", " + data.byteSize() + " bytes, " + byteOrder()
                + (base == null ? "" : ", split") + "]";
    }
}
