package io.ebpf4j.asm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One eBPF instruction in the layout of the kernel's {@code struct bpf_insn}: an opcode byte, destination and
 * source register nibbles, a signed 16-bit offset and a signed 32-bit immediate.
 *
 * <p>The two-slot {@code ld_imm64} is one {@code Instruction} whose {@link #imm()} holds all 64 bits (the first
 * slot's immediate in the low half, the second slot's in the high half); {@link #slots()} reports 2 for it. Every
 * other instruction keeps a sign-extended 32-bit value in {@code imm}.
 *
 * <p>Register fields accept any nibble (0-15) so that arbitrary bytes decode losslessly; the {@link Assembler}
 * only produces r0-r10, and the kernel rejects the rest. For ld_imm64 and calls {@code src} selects an
 * {@link Imm64Kind} or {@link CallKind} rather than a register.
 *
 * @param opcode the opcode byte, 0-255
 * @param dst    the destination register nibble
 * @param src    the source register nibble, or a pseudo source
 * @param offset the signed 16-bit offset
 * @param imm    the immediate: 64 bits for ld_imm64, otherwise a signed 32-bit value
 */
public record Instruction(int opcode, int dst, int src, int offset, long imm) {

    /** Bytes in one instruction slot. */
    public static final int SLOT_SIZE = 8;

    /** The opcode of the two-slot 64-bit immediate load. */
    public static final int LD_IMM64 = OpClass.LD.code() | Mode.IMM.code() | Size.DW.code();

    private static final int CALL_K = OpClass.JMP.code() | JmpOp.CALL.code() | Source.K.code();
    private static final int EXIT = OpClass.JMP.code() | JmpOp.EXIT.code();
    private static final int GOTOL = OpClass.JMP32.code() | JmpOp.JA.code();
    private static final int NIBBLE = 0x0f;
    private static final long LOW32 = 0xffff_ffffL;

    private static final ValueLayout.OfShort OFF_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt IMM_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort OFF_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt IMM_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Validates the fields. For single-slot instructions an immediate in the unsigned 32-bit range is accepted
     * and stored sign-extended, so {@code 0xffffffffL} and {@code -1} give equal instructions.
     */
    public Instruction {
        if (opcode < 0 || opcode > 0xff) {
            throw new IllegalArgumentException("opcode " + opcode + " is not a byte");
        }
        if (dst < 0 || dst > NIBBLE) {
            throw new IllegalArgumentException("dst " + dst + " does not fit the 4-bit register field");
        }
        if (src < 0 || src > NIBBLE) {
            throw new IllegalArgumentException("src " + src + " does not fit the 4-bit register field");
        }
        if (offset < Short.MIN_VALUE || offset > Short.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit in 16 signed bits");
        }
        if (opcode != LD_IMM64) {
            if (imm < Integer.MIN_VALUE || imm > LOW32) {
                throw new IllegalArgumentException("immediate " + imm + " does not fit in 32 bits"
                        + " (only ld_imm64 carries 64)");
            }
            imm = (int) imm;
        }
    }

    /** An instruction with register operands. */
    public static Instruction of(int opcode, Register dst, Register src, int offset, long imm) {
        return new Instruction(opcode, dst.index(), src.index(), offset, imm);
    }

    // ---- shape ------------------------------------------------------------------------------------------

    /** Slots this instruction occupies: 2 for ld_imm64, 1 otherwise. */
    public int slots() {
        return isLdImm64() ? 2 : 1;
    }

    /** The instruction class. */
    public OpClass opClass() {
        return OpClass.of(opcode);
    }

    /** The ALU operation; only for classes ALU and ALU64. Null for an undefined operation. */
    public AluOp aluOp() {
        requireClass(isAlu(), "aluOp");
        return AluOp.of(opcode);
    }

    /** The jump operation; only for classes JMP and JMP32. Null for an undefined operation. */
    public JmpOp jmpOp() {
        requireClass(isJmpClass(), "jmpOp");
        return JmpOp.of(opcode);
    }

    /** The operand source; only for ALU and jump classes. */
    public Source source() {
        requireClass(isAlu() || isJmpClass(), "source");
        return Source.of(opcode);
    }

    /** The access size; only for the load and store classes. */
    public Size size() {
        requireClass(isMemoryClass(), "size");
        return Size.of(opcode);
    }

    /** The addressing mode; only for the load and store classes. Null for an undefined mode. */
    public Mode mode() {
        requireClass(isMemoryClass(), "mode");
        return Mode.of(opcode);
    }

    /** Whether the class is ALU or ALU64. */
    public boolean isAlu() {
        OpClass c = opClass();
        return c == OpClass.ALU || c == OpClass.ALU64;
    }

    /** Whether the class is JMP or JMP32 (branches, calls and exit). */
    public boolean isJmpClass() {
        OpClass c = opClass();
        return c == OpClass.JMP || c == OpClass.JMP32;
    }

    /** Whether the class is LD, LDX, ST or STX. */
    public boolean isMemoryClass() {
        OpClass c = opClass();
        return c == OpClass.LD || c == OpClass.LDX || c == OpClass.ST || c == OpClass.STX;
    }

    /** Whether this is a branch: a JMP/JMP32 instruction other than call and exit, including ja and gotol. */
    public boolean isJump() {
        if (!isJmpClass()) {
            return false;
        }
        JmpOp op = JmpOp.of(opcode);
        return op != null && op != JmpOp.CALL && op != JmpOp.EXIT;
    }

    /** Whether this is a branch taken on a comparison ({@code if ... goto}). */
    public boolean isConditionalJump() {
        if (!isJmpClass()) {
            return false;
        }
        JmpOp op = JmpOp.of(opcode);
        return op != null && op.isConditional();
    }

    /** Whether this is {@code gotol}, whose target sits in the immediate. */
    public boolean isGotol() {
        return opcode == GOTOL;
    }

    /** Whether this is a call by immediate: a helper, subprogram or kfunc call. */
    public boolean isCall() {
        return opcode == CALL_K;
    }

    /** Whether this is a helper call. */
    public boolean isHelperCall() {
        return isCall() && src == CallKind.HELPER.code();
    }

    /** Whether this is a bpf-to-bpf call, whose immediate is relative to the next slot. */
    public boolean isPseudoCall() {
        return isCall() && src == CallKind.SUBPROG.code();
    }

    /** Whether this is a kfunc call, whose immediate is a BTF id. */
    public boolean isKfuncCall() {
        return isCall() && src == CallKind.KFUNC.code();
    }

    /** What the call's immediate names; only for {@link #isCall()} instructions. Null for an unknown source. */
    public CallKind callKind() {
        requireClass(isCall(), "callKind");
        return CallKind.of(src);
    }

    /** Whether this is {@code exit}. */
    public boolean isExit() {
        return opcode == EXIT;
    }

    /** Whether this is the two-slot 64-bit immediate load. */
    public boolean isLdImm64() {
        return opcode == LD_IMM64;
    }

    /** What the 64-bit immediate means; only for ld_imm64. Null for an unknown pseudo source. */
    public Imm64Kind imm64Kind() {
        requireClass(isLdImm64(), "imm64Kind");
        return Imm64Kind.of(src);
    }

    /** Whether this is an atomic read-modify-write, load-acquire or store-release. */
    public boolean isAtomic() {
        return opClass() == OpClass.STX && (opcode & Mode.MASK) == Mode.ATOMIC.code();
    }

    /** The atomic operation; only for {@link #isAtomic()} instructions. Null for an unknown immediate. */
    public AtomicOp atomicOp() {
        requireClass(isAtomic(), "atomicOp");
        return AtomicOp.of((int) imm);
    }

    /** Whether this atomic returns the old value (XCHG and CMPXCHG always do). */
    public boolean isAtomicFetch() {
        return isAtomic() && (imm & AtomicOp.FETCH) != 0;
    }

    // ---- immediates and jump targets ----------------------------------------------------------------------

    /** The low 32 bits of the immediate: the whole immediate, or an ld_imm64's first slot. */
    public int immLo() {
        return (int) imm;
    }

    /** The high 32 bits of the immediate: an ld_imm64's second slot (zero for sign-extended non-negatives). */
    public int immHi() {
        return (int) (imm >>> Integer.SIZE);
    }

    /** The branch distance in slots from the next slot: the immediate for gotol, else the offset. */
    public int jumpOffset() {
        return isGotol() ? (int) imm : offset;
    }

    /** A copy whose branch distance is {@code delta}, in the immediate for gotol and the offset otherwise. */
    public Instruction withJumpOffset(int delta) {
        return isGotol() ? withImm(delta) : withOffset(delta);
    }

    /** A copy with another immediate (all 64 bits for ld_imm64). */
    public Instruction withImm(long newImm) {
        return new Instruction(opcode, dst, src, offset, newImm);
    }

    /** A copy with another offset. */
    public Instruction withOffset(int newOffset) {
        return new Instruction(opcode, dst, src, newOffset, imm);
    }

    /** A copy with another source nibble (a register or a pseudo source). */
    public Instruction withSrc(int newSrc) {
        return new Instruction(opcode, dst, newSrc, offset, imm);
    }

    /** A copy with another source register. */
    public Instruction withSrc(Register newSrc) {
        return withSrc(newSrc.index());
    }

    /** A copy with another destination nibble. */
    public Instruction withDst(int newDst) {
        return new Instruction(opcode, newDst, src, offset, imm);
    }

    // ---- encoding ---------------------------------------------------------------------------------------

    /** Writes this instruction little-endian ({@code bpfel}) at {@code offset}, {@code 8 * slots()} bytes. */
    public void encode(MemorySegment dst, long offset) {
        encode(dst, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes this instruction at {@code offset} in the given byte order. Big-endian targets ({@code bpfeb})
     * also swap the register nibbles, as the kernel's bit-field layout does there.
     */
    public void encode(MemorySegment dst, long offset, ByteOrder order) {
        writeSlot(dst, offset, order, opcode, this.dst, src, this.offset, (int) imm);
        if (isLdImm64()) {
            writeSlot(dst, offset + SLOT_SIZE, order, 0, 0, 0, 0, immHi());
        }
    }

    /** This instruction's little-endian bytes. */
    public byte[] encode() {
        byte[] out = new byte[slots() * SLOT_SIZE];
        encode(MemorySegment.ofArray(out), 0);
        return out;
    }

    /** The little-endian bytes of a whole program. */
    public static byte[] encodeAll(List<Instruction> program) {
        byte[] out = new byte[Math.multiplyExact(slotCount(program), SLOT_SIZE)];
        MemorySegment seg = MemorySegment.ofArray(out);
        long at = 0;
        for (Instruction insn : program) {
            insn.encode(seg, at);
            at += (long) insn.slots() * SLOT_SIZE;
        }
        return out;
    }

    /** The number of slots a program occupies, counting ld_imm64 twice. */
    public static int slotCount(List<Instruction> program) {
        int n = 0;
        for (Instruction insn : program) {
            n = Math.addExact(n, insn.slots());
        }
        return n;
    }

    /** Decodes little-endian program bytes. */
    public static List<Instruction> decode(byte[] bytes) {
        return decode(MemorySegment.ofArray(bytes), ByteOrder.LITTLE_ENDIAN);
    }

    /** Decodes a little-endian program. */
    public static List<Instruction> decode(MemorySegment program) {
        return decode(program, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Decodes a program in the given byte order.
     *
     * @throws IllegalArgumentException if the length is not a multiple of 8, an ld_imm64 lacks its second slot,
     *                                  or that second slot has anything but an immediate set
     */
    public static List<Instruction> decode(MemorySegment program, ByteOrder order) {
        long length = program.byteSize();
        if (length % SLOT_SIZE != 0) {
            throw new IllegalArgumentException("program length " + length + " is not a multiple of " + SLOT_SIZE
                    + ": " + (length % SLOT_SIZE) + " stray bytes at offset " + (length - length % SLOT_SIZE));
        }
        if (length > Integer.MAX_VALUE - SLOT_SIZE) {
            throw new IllegalArgumentException("program of " + length + " bytes is larger than any BPF program");
        }
        // Decoded from a heap copy with plain arithmetic: C2 in JDK 25.0.3 crashed compiling the earlier loop,
        // which read through segment var handles chosen per call by byte order.
        byte[] b = program.toArray(ValueLayout.JAVA_BYTE);
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        var out = new ArrayList<Instruction>(b.length / SLOT_SIZE);
        int at = 0;
        while (at < b.length) {
            int code = b[at] & BYTE_MASK;
            int regs = b[at + 1] & BYTE_MASK;
            int dst = little ? regs & NIBBLE : regs >>> 4;
            int src = little ? regs >>> 4 : regs & NIBBLE;
            short off = (short) u16(b, at + 2, little);
            int imm = s32(b, at + 4, little);
            if (code != LD_IMM64) {
                out.add(new Instruction(code, dst, src, off, imm));
                at += SLOT_SIZE;
                continue;
            }
            int second = at + SLOT_SIZE;
            if (second >= b.length) {
                throw new IllegalArgumentException("truncated ld_imm64 at offset " + at + " (slot " + at / SLOT_SIZE
                        + "): the program ends before its second slot");
            }
            // Only the immediate of the second half carries data; the kernel rejects anything else set there.
            if (s32(b, second, little) != 0) {
                throw new IllegalArgumentException("malformed ld_imm64 at offset " + at + " (slot " + at / SLOT_SIZE
                        + "): its second slot has code, registers or offset set");
            }
            int hi = s32(b, second + 4, little);
            out.add(new Instruction(code, dst, src, off, ((long) hi << Integer.SIZE) | (imm & LOW32)));
            at += 2 * SLOT_SIZE;
        }
        return List.copyOf(out);
    }

    private static final int BYTE_MASK = 0xff;

    private static int u16(byte[] b, int at, boolean little) {
        int lo = b[little ? at : at + 1] & BYTE_MASK;
        int hi = b[little ? at + 1 : at] & BYTE_MASK;
        return hi << Byte.SIZE | lo;
    }

    private static int s32(byte[] b, int at, boolean little) {
        return little ? u16(b, at, true) | u16(b, at + 2, true) << Short.SIZE
                : u16(b, at, false) << Short.SIZE | u16(b, at + 2, false);
    }

    private static void writeSlot(MemorySegment seg, long at, ByteOrder order,
                                  int code, int dst, int src, int off, int imm) {
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        seg.set(ValueLayout.JAVA_BYTE, at, (byte) code);
        seg.set(ValueLayout.JAVA_BYTE, at + 1, (byte) (little ? (src << 4) | dst : (dst << 4) | src));
        seg.set(little ? OFF_LE : OFF_BE, at + 2, (short) off);
        seg.set(little ? IMM_LE : IMM_BE, at + 4, imm);
    }

    private void requireClass(boolean ok, String accessor) {
        if (!ok) {
            throw new IllegalStateException(accessor + "() does not apply to opcode 0x" + Integer.toHexString(opcode)
                    + " (class " + opClass() + ")");
        }
    }

    /** The disassembly followed by the raw fields, for test failures and logs. */
    @Override
    public String toString() {
        return Disassembler.DEFAULT.format(this) + " {code=0x" + Integer.toHexString(opcode) + " dst=" + dst
                + " src=" + src + " off=" + offset + " imm=" + imm + "}";
    }
}
