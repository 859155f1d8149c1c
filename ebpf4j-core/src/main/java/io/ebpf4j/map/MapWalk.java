package io.ebpf4j.map;

import io.ebpf4j.VerifierException;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.asm.Register;
import io.ebpf4j.asm.Size;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Fd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.ebpf4j.asm.Register.FP;
import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static io.ebpf4j.asm.Register.R2;
import static io.ebpf4j.asm.Register.R3;
import static io.ebpf4j.asm.Register.R4;
import static io.ebpf4j.asm.Register.R6;
import static io.ebpf4j.asm.Register.R7;
import static io.ebpf4j.asm.Register.R8;
import static io.ebpf4j.asm.Register.R9;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Reads a whole map with one system call: a syscall program built here walks the map inside the kernel
 * ({@code bpf_for_each_map_elem}) and packs its keys and values into two {@code BPF_F_MMAPABLE} arrays that this
 * process has mapped, from which {@link BpfMap#lookupAll} copies them out. {@code BPF_MAP_LOOKUP_BATCH} instead
 * takes each hash bucket's lock and makes two {@code copy_to_user} calls per bucket; the walk does neither.
 *
 * <p>Keys and values land packed, {@link #PER_SLOT} of them in each element of the output arrays, so that the
 * mapped memory is one contiguous run of keys and one of values, laid out as a batch call would lay them out.
 *
 * <p>The program reads values 4, 2 or 1 bytes at a time. The verifier refuses such loads over any special field
 * of a value (a {@code bpf_spin_lock}, timer, kptr, list or tree node...), which {@code BPF_MAP_LOOKUP_BATCH}
 * would zero rather than copy: a map with one fails to load here and {@link BpfMap#lookupAll} uses batches.
 */
final class MapWalk implements AutoCloseable {
    /** Keys (values) per element of the output arrays; a power of two, for the program's shift and mask. */
    static final int PER_SLOT = 512;
    private static final int SLOT_SHIFT = Integer.numberOfTrailingZeros(PER_SLOT);
    /** Most elements walked this way: one walk is one system call, without a break for the scheduler. */
    static final int MAX_ELEMENTS = 1 << 22;
    /** Most memory for the output arrays, kept while the map is open: {@code maxEntries × (key + value)}. */
    static final long MAX_OUTPUT_BYTES = 64L << 20;
    /** Largest value walked this way: one output element must stay under the kernel's kmalloc limit (4 MiB). */
    static final int MAX_VALUE_SIZE = 4096;

    // Kernel constants the program needs. The map package stays below `program` and `btf`; MapWalkTest checks
    // that these agree with ProgramType, ProgramSpec, Helpers and BtfKind.
    static final int PROG_TYPE_SYSCALL = 31;
    static final int F_SLEEPABLE = 1 << 4;
    static final int FUNC_MAP_LOOKUP_ELEM = 1;
    static final int FUNC_FOR_EACH_MAP_ELEM = 164;
    static final int BTF_KIND_FUNC = 12;
    static final int BTF_KIND_FUNC_PROTO = 13;
    private static final int BTF_MAGIC = 0xeB9F;
    private static final int BTF_HEADER_LEN = 24;
    private static final int BTF_FUNC_STATIC = 0;
    private static final int BTF_FUNC_GLOBAL = 1;
    private static final int FUNC_INFO_REC_SIZE = 8;
    /** Verifier log for a refused walk program: it is small, and only the reason is kept. */
    private static final int LOG_SIZE = 64 * 1024;

    /** The program's context: zero in, the number of elements the walk met out (it may exceed {@link #capacity}). */
    private static final long CTX_SIZE = Long.BYTES;

    private final BpfMap keysOut;
    private final BpfMap valuesOut;
    private final Fd prog;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final Arena arena;
    private final MemorySegment ctx;
    final int capacity;

    private MapWalk(BpfMap keysOut, BpfMap valuesOut, Fd prog, int capacity, int keySize, int valueSize) {
        this.keysOut = keysOut;
        this.valuesOut = valuesOut;
        this.prog = prog;
        this.capacity = capacity;
        this.keys = keysOut.mmap().asSlice(0, (long) capacity * keySize);
        this.values = valuesOut.mmap().asSlice(0, (long) capacity * valueSize);
        this.arena = Arena.ofShared(); // after the mappings, which may fail: nothing of its own to close then
        this.ctx = arena.allocate(CTX_SIZE, Long.BYTES);
    }

    /**
     * Whether a map of this type, sizes and flags can be walked this way at all. Not per-CPU maps (the callback
     * sees the current CPU's value only), not a map user space may not read ({@code BPF_F_WRONLY}: a program
     * would read it all the same), and not one programs may not read ({@code BPF_F_WRONLY_PROG}).
     */
    static boolean suits(MapType type, int keySize, int valueSize, int maxEntries, int flags) {
        boolean walkable = type == MapType.HASH || type == MapType.LRU_HASH || type == MapType.ARRAY;
        return walkable && (flags & (MapFlags.WRONLY | MapFlags.WRONLY_PROG)) == 0 && keySize > 0 && valueSize > 0
                && valueSize <= MAX_VALUE_SIZE && maxEntries > 0 && maxEntries <= MAX_ELEMENTS
                && (long) maxEntries * (keySize + valueSize) <= MAX_OUTPUT_BYTES;
    }

    /**
     * Builds the output arrays and loads the program for {@code map}, with room for {@code capacity} elements
     * (rounded up to whole output elements).
     * Throws what the kernel said when it refuses; closes whatever it had made.
     */
    static MapWalk load(BpfMap map, int capacity) {
        int slots = (capacity + PER_SLOT - 1) / PER_SLOT;
        int rounded = slots * PER_SLOT;
        BpfMap keysOut = null;
        BpfMap valuesOut = null;
        Fd prog = null;
        try {
            keysOut = BpfMap.create(MapSpec.of(MapType.ARRAY, Integer.BYTES, map.keySize() * PER_SLOT, slots)
                    .withName("walk_keys").withFlags(MapFlags.MMAPABLE));
            valuesOut = BpfMap.create(MapSpec.of(MapType.ARRAY, Integer.BYTES, map.valueSize() * PER_SLOT, slots)
                    .withName("walk_values").withFlags(MapFlags.MMAPABLE));
            prog = loadProgram(program(map.fd(), keysOut.fd(), valuesOut.fd(), rounded, map.keySize(),
                    map.valueSize()), map);
            return new MapWalk(keysOut, valuesOut, prog, rounded, map.keySize(), map.valueSize());
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, prog, valuesOut, keysOut);
        }
    }

    /**
     * The walk. The main function calls {@code bpf_for_each_map_elem(map, copy_elem, &count, 0)} and stores the
     * count in its context; {@code copy_elem} counts every element and copies those below the capacity into
     * slot {@code n % PER_SLOT} of output element {@code n / PER_SLOT}.
     */
    static List<Instruction> program(int mapFd, int keysFd, int valuesFd, int capacity, int keySize,
                                     int valueSize) {
        Assembler a = new Assembler();
        // The count starts from the context (which the caller zeroes) rather than from a constant: a count the
        // verifier knows exactly would make it follow the callback once per value, until its limit.
        a.mov64(R6, R1)
                .ldxDW(R1, R6, 0)
                .stxDW(FP, R1, -8)
                .ldMapFd(R1, mapFd)
                .ldFunc(R2, "copy_elem")
                .mov64(R3, FP).add64(R3, -8)
                .mov64(R4, 0)
                .call(FUNC_FOR_EACH_MAP_ELEM)
                .ldxDW(R1, FP, -8)
                .stxDW(R6, R1, 0)
                .mov64(R0, 0)
                .exit();
        // copy_elem(map, key, value, ctx): R6 = n, R8 = key, R9 = value.
        a.label("copy_elem")
                .ldxDW(R6, R4, 0)
                .mov64(R7, R6).add64(R7, 1)
                .stxDW(R4, R7, 0)
                .jge(R6, capacity, "next")
                .mov64(R8, R2)
                .mov64(R9, R3)
                .mov64(R1, R6).rsh64(R1, SLOT_SHIFT)
                .stxW(FP, R1, -4);
        slotPointer(a, keysFd, keySize);
        copy(a, R8, keySize, true);
        slotPointer(a, valuesFd, valueSize);
        copy(a, R9, valueSize, false);
        a.label("next").mov64(R0, 0).exit()
                .label("stop").mov64(R0, 1).exit();
        return a.build();
    }

    /** R0 = the address of slot {@code R6 % PER_SLOT} in element {@code *(FP-4)} of the array {@code fd}. */
    private static void slotPointer(Assembler a, int fd, int size) {
        a.ldMapFd(R1, fd)
                .mov64(R2, FP).add64(R2, -4)
                .call(FUNC_MAP_LOOKUP_ELEM)
                .jeq(R0, 0, "stop")
                .mov64(R1, R6).and64(R1, PER_SLOT - 1)
                .mul64(R1, size)
                .add64(R0, R1);
    }

    /**
     * Copies {@code size} bytes from {@code src} to R0, through R1. Keys go 8 bytes at a time; values at most 4,
     * so that the verifier refuses a value with a special field (see the class comment) instead of copying it.
     */
    private static void copy(Assembler a, Register src, int size, boolean wide) {
        int off = 0;
        for (Size s : wide ? new Size[]{Size.DW, Size.W, Size.H, Size.B} : new Size[]{Size.W, Size.H, Size.B}) {
            int n = s.bytes();
            for (; size - off >= n; off += n) {
                a.ldx(s, R1, src, off).stx(s, R0, R1, off);
            }
        }
    }

    private static Fd loadProgram(List<Instruction> insns, BpfMap map) {
        try (Arena a = Arena.ofConfined()) {
            int mainEnd = 0;
            for (Instruction i : insns) {
                mainEnd += i.slots();
                if (i.isExit()) {
                    break;
                }
            }
            byte[] bytecode = Instruction.encodeAll(insns);
            MemorySegment code = a.allocate(bytecode.length, 8);
            MemorySegment.copy(bytecode, 0, code, JAVA_BYTE, 0, bytecode.length);
            // A callback needs BTF func info: one FUNC for the main program and a static one for copy_elem.
            Bpf.LoadAttempt btf = Bpf.btfLoad(funcBtf(a), null, 0, 0);
            if (btf.fd() < 0) {
                throw Bpf.failure(BpfCmd.BTF_LOAD, null, null, 0, btf.errno(),
                        "the walk program's BTF for " + map, null);
            }
            try (Fd btfFd = Fd.own(btf.fd(), "BTF of the walk program for " + map)) {
                MemorySegment funcInfo = a.allocate(2L * FUNC_INFO_REC_SIZE, 4);
                funcInfo.set(JAVA_INT, 0, 0);
                funcInfo.set(JAVA_INT, 4, 2);
                funcInfo.set(JAVA_INT, 8, mainEnd);
                funcInfo.set(JAVA_INT, 12, 3);
                Bpf.ProgLoad p = new Bpf.ProgLoad(PROG_TYPE_SYSCALL, code, "GPL", 0, F_SLEEPABLE, "map_walk", 0, 0,
                        btfFd.get(), FUNC_INFO_REC_SIZE, funcInfo, 2, 0, MemorySegment.NULL, 0, 0, 0,
                        MemorySegment.NULL, 0, 0);
                Bpf.LoadAttempt r = Bpf.progLoad(p, null, 0);
                if (r.fd() < 0) {
                    // Again with a log, so that the reason kept for diagnostics quotes what the verifier refused.
                    MemorySegment log = a.allocate(LOG_SIZE);
                    Bpf.LoadAttempt logged = Bpf.progLoad(p, log, 1);
                    if (logged.fd() >= 0) {
                        return Fd.own(logged.fd(), "walk program for " + map);
                    }
                    throw new VerifierException("map_walk for " + map, r.errno(), log.getString(0), null);
                }
                return Fd.own(r.fd(), "walk program for " + map);
            }
        }
    }

    /** BTF with {@code void (void)} as the prototype of {@code map_walk} (global) and {@code copy_elem} (static). */
    static MemorySegment funcBtf(Arena arena) {
        byte[] strings = "\0map_walk\0copy_elem\0".getBytes(StandardCharsets.US_ASCII);
        int mainName = 1;
        int callbackName = 1 + "map_walk".length() + 1;
        int[] types = {
            0, BTF_KIND_FUNC_PROTO << 24, 0,                       // [1] void (void)
            mainName, BTF_KIND_FUNC << 24 | BTF_FUNC_GLOBAL, 1,    // [2] map_walk
            callbackName, BTF_KIND_FUNC << 24 | BTF_FUNC_STATIC, 1, // [3] copy_elem
        };
        int typeLen = types.length * Integer.BYTES;
        MemorySegment b = arena.allocate(BTF_HEADER_LEN + typeLen + strings.length, 4);
        // BTF is read in the machine's byte order, as the JAVA_* layouts write.
        b.set(JAVA_SHORT, 0, (short) BTF_MAGIC);
        b.set(JAVA_BYTE, 2, (byte) 1);                // version
        b.set(JAVA_BYTE, 3, (byte) 0);                // flags
        b.set(JAVA_INT, 4, BTF_HEADER_LEN);                 // hdr_len
        b.set(JAVA_INT, 8, 0);                              // type_off
        b.set(JAVA_INT, 12, typeLen);                       // type_len
        b.set(JAVA_INT, 16, typeLen);                       // str_off
        b.set(JAVA_INT, 20, strings.length);                // str_len
        for (int i = 0; i < types.length; i++) {
            b.set(JAVA_INT, BTF_HEADER_LEN + (long) i * Integer.BYTES, types[i]);
        }
        MemorySegment.copy(strings, 0, b, JAVA_BYTE, BTF_HEADER_LEN + typeLen, strings.length);
        return b;
    }

    /**
     * Walks the map; returns how many elements it holds. When that is at most {@code room} (and the capacity),
     * their keys and values are in {@code keysDst} and {@code valuesDst}; otherwise nothing was copied.
     */
    long walk(MemorySegment keysDst, MemorySegment valuesDst, long room, int keySize, int valueSize, String object) {
        ctx.set(JAVA_LONG, 0, 0);
        Bpf.TestRunOut out = Bpf.progTestRun(prog.get(), new Bpf.TestRun(null, null, ctx, null, 0, 0, 0, 0), object);
        if (out.retval() != 0) {
            throw new IllegalStateException("the walk program for " + object + " returned " + out.retval());
        }
        long total = ctx.get(JAVA_LONG, 0);
        if (total <= room && total <= capacity) {
            MemorySegment.copy(keys, 0, keysDst, 0, total * keySize);
            MemorySegment.copy(values, 0, valuesDst, 0, total * valueSize);
        }
        return total;
    }

    @Override
    public void close() {
        Closing.closeAll(arena, prog, valuesOut, keysOut);
    }
}
