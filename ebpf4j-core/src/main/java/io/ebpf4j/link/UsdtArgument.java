package io.ebpf4j.link;

import io.ebpf4j.BpfException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One argument of a USDT probe, parsed from the note's x86-64 argument string ({@code -4@%edi},
 * {@code 8@-8(%rbp)}, {@code -4@$5}, {@code 8@16(%rax,%rdx,8)}): where its value is and how wide it is.
 * {@link #encode} writes it as libbpf's {@code struct __bpf_usdt_arg_spec}, which {@code bpf_usdt_arg()} in
 * {@code usdt.bpf.h} reads. Scaled-index ({@link Kind#SIB}) arguments need the usdt.bpf.h of libbpf 1.7 or newer
 * on the BPF side; older headers return -EINVAL for them.
 *
 * @param size the value's width in bytes: 1, 2, 4 or 8
 * @param signed whether the value is sign-extended to 64 bits
 * @param kind where the value is
 * @param register the register (as the note spells it), or null for a constant
 * @param registerOffset the register's offset in the kernel's {@code struct pt_regs}, or -1 for a constant
 * @param value the constant, or the displacement added to the address for {@link Kind#REG_DEREF} and
 *     {@link Kind#SIB}
 * @param indexRegister the index register of a {@link Kind#SIB} argument, or null
 * @param indexRegisterOffset its offset in {@code struct pt_regs}, or -1
 * @param scale the index's scale (1, 2, 4 or 8) of a {@link Kind#SIB} argument, or 0
 */
public record UsdtArgument(int size, boolean signed, Kind kind, String register, int registerOffset, long value,
                           String indexRegister, int indexRegisterOffset, int scale) {

    /** {@code enum __bpf_usdt_arg_type}, in its order. */
    public enum Kind {
        CONST,
        REG,
        REG_DEREF,
        /** base + index * scale + displacement, dereferenced (libbpf 1.7+). */
        SIB
    }

    private UsdtArgument(int size, boolean signed, Kind kind, String register, int registerOffset, long value) {
        this(size, signed, kind, register, registerOffset, value, null, -1, 0);
    }

    /** {@code sizeof(struct __bpf_usdt_arg_spec)}. */
    public static final int SPEC_SIZE = 16;

    // Offsets of x86-64 struct pt_regs fields, by every name a USDT note may use for the register.
    private static final Map<String, Integer> X86_64_REGISTERS = registers();

    private static Map<String, Integer> registers() {
        Map<String, Integer> m = new java.util.HashMap<>();
        Object[][] table = {
                {0, "r15", "r15d", "r15w", "r15b"}, {8, "r14", "r14d", "r14w", "r14b"},
                {16, "r13", "r13d", "r13w", "r13b"}, {24, "r12", "r12d", "r12w", "r12b"},
                {32, "rbp", "ebp", "bp", "bpl"}, {40, "rbx", "ebx", "bx", "bl"},
                {48, "r11", "r11d", "r11w", "r11b"}, {56, "r10", "r10d", "r10w", "r10b"},
                {64, "r9", "r9d", "r9w", "r9b"}, {72, "r8", "r8d", "r8w", "r8b"},
                {80, "rax", "eax", "ax", "al"}, {88, "rcx", "ecx", "cx", "cl"},
                {96, "rdx", "edx", "dx", "dl"}, {104, "rsi", "esi", "si", "sil"},
                {112, "rdi", "edi", "di", "dil"}, {152, "rsp", "esp", "sp", "spl"},
        };
        for (Object[] row : table) {
            for (int i = 1; i < row.length; i++) {
                m.put((String) row[i], (Integer) row[0]);
            }
        }
        return Map.copyOf(m);
    }

    private static final Pattern SIB_ARG = Pattern.compile(
            "(-?\\d+)@(-?(?:0x[0-9a-fA-F]+|\\d+))?\\(%(\\w+),%(\\w+)(?:,(\\d+))?\\)");
    private static final Pattern DEREF = Pattern.compile("(-?\\d+)@(-?(?:0x[0-9a-fA-F]+|\\d+))?\\(%(\\w+)\\)");
    private static final Pattern REG = Pattern.compile("(-?\\d+)@%(\\w+)");
    private static final Pattern CONST = Pattern.compile("(-?\\d+)@\\$(-?(?:0x[0-9a-fA-F]+|\\d+))");

    /**
     * Parses one x86-64 argument. Symbolic displacements ({@code 4@counter(%rip)}) are not supported (nor are
     * they by libbpf).
     *
     * @throws BpfException naming the argument when it cannot be read
     */
    public static UsdtArgument parse(String spec) {
        Matcher m;
        if ((m = SIB_ARG.matcher(spec)).matches()) {
            int sz = size(spec, m.group(1));
            long off = m.group(2) == null ? 0 : Long.decode(m.group(2));
            int scale = m.group(5) == null ? 1 : Integer.parseInt(m.group(5));
            if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
                throw new BpfException("USDT argument '" + spec + "' has scale " + scale + "; scales are 1, 2, 4 or 8");
            }
            return new UsdtArgument(Math.abs(sz), sz < 0, Kind.SIB, m.group(3), register(spec, m.group(3)), off,
                    m.group(4), register(spec, m.group(4)), scale);
        }
        if ((m = DEREF.matcher(spec)).matches()) {
            int sz = size(spec, m.group(1));
            long off = m.group(2) == null ? 0 : Long.decode(m.group(2));
            return new UsdtArgument(Math.abs(sz), sz < 0, Kind.REG_DEREF, m.group(3), register(spec, m.group(3)), off);
        }
        if ((m = REG.matcher(spec)).matches()) {
            int sz = size(spec, m.group(1));
            return new UsdtArgument(Math.abs(sz), sz < 0, Kind.REG, m.group(2), register(spec, m.group(2)), 0);
        }
        if ((m = CONST.matcher(spec)).matches()) {
            int sz = size(spec, m.group(1));
            return new UsdtArgument(Math.abs(sz), sz < 0, Kind.CONST, null, -1, Long.decode(m.group(2)));
        }
        throw new BpfException("USDT argument '" + spec + "' has a form this release cannot read (it reads "
                + "SIZE@%REG, SIZE@OFFSET(%REG), SIZE@OFFSET(%BASE,%INDEX,SCALE) and SIZE@$CONST)");
    }

    /** Parses a note's whole argument string: arguments separated by spaces; empty for none. */
    public static List<UsdtArgument> parseAll(String args) {
        List<UsdtArgument> out = new ArrayList<>();
        for (String a : args.strip().split("\\s+")) {
            if (!a.isEmpty()) {
                out.add(parse(a));
            }
        }
        return List.copyOf(out);
    }

    private static int size(String spec, String text) {
        int sz = Integer.parseInt(text);
        int abs = Math.abs(sz);
        if (abs != 1 && abs != 2 && abs != 4 && abs != 8) {
            throw new BpfException("USDT argument '" + spec + "' has size " + sz + "; sizes are 1, 2, 4 or 8 bytes");
        }
        return sz;
    }

    private static int register(String spec, String name) {
        Integer off = X86_64_REGISTERS.get(name);
        if (off == null) {
            throw new BpfException("USDT argument '" + spec + "' names register '%" + name + "', which a BPF program "
                    + "cannot read from struct pt_regs");
        }
        return off;
    }

    /** Writes this argument as {@code struct __bpf_usdt_arg_spec} at {@code offset} of {@code out}. */
    public void encode(MemorySegment out, long offset) {
        out.set(JAVA_LONG, offset, value);
        // arg_type is the low byte; libbpf 1.7 packs the index register's pt_regs offset (12 bits) and the
        // scale's log2 (4 bits) above it, where older headers see an enum that is still small for other kinds.
        int word = kind.ordinal();
        if (kind == Kind.SIB) {
            word |= (indexRegisterOffset & 0xfff) << 8 | Integer.numberOfTrailingZeros(scale) << 20;
        }
        out.set(JAVA_INT, offset + 8, word);
        out.set(JAVA_SHORT, offset + 12, (short) Math.max(registerOffset, 0));
        out.set(JAVA_BYTE, offset + 14, (byte) (signed ? 1 : 0));
        out.set(JAVA_BYTE, offset + 15, (byte) (64 - size * 8));
    }
}
