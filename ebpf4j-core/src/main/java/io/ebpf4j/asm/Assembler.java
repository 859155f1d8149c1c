package io.ebpf4j.asm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes eBPF programs in Java with symbolic labels.
 *
 * <pre>{@code
 * var a = new Assembler();
 * a.mov64(R0, 0).ldxW(R2, R1, 0).jeq(R2, 5, "out").mov64(R0, 1).label("out").exit();
 * List<Instruction> insns = a.build();
 * }</pre>
 *
 * <p>Method names follow the kernel's mnemonics: a {@code 64} suffix operates on whole registers (class ALU64
 * or JMP), a {@code 32} suffix on their low halves (class ALU or JMP32). Memory operands are written
 * {@code (dst, src, offset)} in the order of the kernel's instruction macros. Branches, {@link #callSubprog} and
 * {@link #ldFunc} name a label; {@link #build()} turns labels into slot distances counted from the slot after
 * the referring instruction, with ld_imm64 occupying two slots.
 *
 * <p>An assembler is not thread-safe. {@code build()} may be called repeatedly; the assembler stays usable.
 */
public final class Assembler {

    /** Where a label's distance goes once resolved. */
    private enum Fixup { OFFSET16, IMM32 }

    private record Item(Instruction insn, String label, Fixup fixup) {
    }

    private final List<Item> items = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    private int pc;

    /** Creates an empty assembler. */
    public Assembler() {
    }

    // ---- labels and raw instructions -----------------------------------------------------------------------

    /**
     * Marks the next instruction's slot with {@code name}.
     *
     * @throws IllegalArgumentException if the name is blank or already defined
     */
    public Assembler label(String name) {
        requireLabelName(name);
        Integer previous = labels.putIfAbsent(name, pc);
        if (previous != null) {
            throw new IllegalArgumentException("duplicate label '" + name + "': already defined at slot " + previous);
        }
        return this;
    }

    /** The slot index the next instruction will occupy. */
    public int pc() {
        return pc;
    }

    /** Appends an instruction as is. */
    public Assembler raw(Instruction insn) {
        Objects.requireNonNull(insn, "insn");
        items.add(new Item(insn, null, null));
        pc = Math.addExact(pc, insn.slots());
        return this;
    }

    /**
     * Resolves every label reference and returns the program.
     *
     * @throws IllegalStateException if a label is not defined, or a branch distance does not fit in 16 bits
     */
    public List<Instruction> build() {
        var out = new ArrayList<Instruction>(items.size());
        int at = 0;
        for (Item item : items) {
            Instruction insn = item.insn();
            if (item.label() != null) {
                Integer target = labels.get(item.label());
                if (target == null) {
                    throw new IllegalStateException("unknown label '" + item.label() + "' referenced at slot " + at);
                }
                int delta = target - (at + 1);
                if (item.fixup() == Fixup.OFFSET16) {
                    if (delta < Short.MIN_VALUE || delta > Short.MAX_VALUE) {
                        throw new IllegalStateException("branch at slot " + at + " to label '" + item.label()
                                + "' needs a distance of " + delta
                                + " slots, beyond the 16-bit offset; use gotol for long jumps");
                    }
                    insn = insn.withOffset(delta);
                } else {
                    insn = insn.withImm(delta);
                }
            }
            out.add(insn);
            at += insn.slots();
        }
        return List.copyOf(out);
    }

    // ---- ALU ----------------------------------------------------------------------------------------------

    /** A 64-bit ALU operation with an immediate operand. */
    public Assembler alu64(AluOp op, Register dst, int imm) {
        return aluImm(OpClass.ALU64, op, dst, 0, imm);
    }

    /** A 64-bit ALU operation with a register operand. */
    public Assembler alu64(AluOp op, Register dst, Register src) {
        return aluReg(OpClass.ALU64, op, dst, src, 0);
    }

    /** A 32-bit ALU operation with an immediate operand; the result is zero-extended. */
    public Assembler alu32(AluOp op, Register dst, int imm) {
        return aluImm(OpClass.ALU, op, dst, 0, imm);
    }

    /** A 32-bit ALU operation with a register operand; the result is zero-extended. */
    public Assembler alu32(AluOp op, Register dst, Register src) {
        return aluReg(OpClass.ALU, op, dst, src, 0);
    }

    public Assembler add64(Register dst, int imm) { return alu64(AluOp.ADD, dst, imm); }
    public Assembler add64(Register dst, Register src) { return alu64(AluOp.ADD, dst, src); }
    public Assembler add32(Register dst, int imm) { return alu32(AluOp.ADD, dst, imm); }
    public Assembler add32(Register dst, Register src) { return alu32(AluOp.ADD, dst, src); }

    public Assembler sub64(Register dst, int imm) { return alu64(AluOp.SUB, dst, imm); }
    public Assembler sub64(Register dst, Register src) { return alu64(AluOp.SUB, dst, src); }
    public Assembler sub32(Register dst, int imm) { return alu32(AluOp.SUB, dst, imm); }
    public Assembler sub32(Register dst, Register src) { return alu32(AluOp.SUB, dst, src); }

    public Assembler mul64(Register dst, int imm) { return alu64(AluOp.MUL, dst, imm); }
    public Assembler mul64(Register dst, Register src) { return alu64(AluOp.MUL, dst, src); }
    public Assembler mul32(Register dst, int imm) { return alu32(AluOp.MUL, dst, imm); }
    public Assembler mul32(Register dst, Register src) { return alu32(AluOp.MUL, dst, src); }

    public Assembler div64(Register dst, int imm) { return alu64(AluOp.DIV, dst, imm); }
    public Assembler div64(Register dst, Register src) { return alu64(AluOp.DIV, dst, src); }
    public Assembler div32(Register dst, int imm) { return alu32(AluOp.DIV, dst, imm); }
    public Assembler div32(Register dst, Register src) { return alu32(AluOp.DIV, dst, src); }

    /** Signed division (ISA v4). */
    public Assembler sdiv64(Register dst, int imm) { return aluImm(OpClass.ALU64, AluOp.DIV, dst, SIGNED, imm); }
    /** Signed division (ISA v4). */
    public Assembler sdiv64(Register dst, Register src) { return aluReg(OpClass.ALU64, AluOp.DIV, dst, src, SIGNED); }
    /** Signed division (ISA v4). */
    public Assembler sdiv32(Register dst, int imm) { return aluImm(OpClass.ALU, AluOp.DIV, dst, SIGNED, imm); }
    /** Signed division (ISA v4). */
    public Assembler sdiv32(Register dst, Register src) { return aluReg(OpClass.ALU, AluOp.DIV, dst, src, SIGNED); }

    public Assembler mod64(Register dst, int imm) { return alu64(AluOp.MOD, dst, imm); }
    public Assembler mod64(Register dst, Register src) { return alu64(AluOp.MOD, dst, src); }
    public Assembler mod32(Register dst, int imm) { return alu32(AluOp.MOD, dst, imm); }
    public Assembler mod32(Register dst, Register src) { return alu32(AluOp.MOD, dst, src); }

    /** Signed modulo (ISA v4). */
    public Assembler smod64(Register dst, int imm) { return aluImm(OpClass.ALU64, AluOp.MOD, dst, SIGNED, imm); }
    /** Signed modulo (ISA v4). */
    public Assembler smod64(Register dst, Register src) { return aluReg(OpClass.ALU64, AluOp.MOD, dst, src, SIGNED); }
    /** Signed modulo (ISA v4). */
    public Assembler smod32(Register dst, int imm) { return aluImm(OpClass.ALU, AluOp.MOD, dst, SIGNED, imm); }
    /** Signed modulo (ISA v4). */
    public Assembler smod32(Register dst, Register src) { return aluReg(OpClass.ALU, AluOp.MOD, dst, src, SIGNED); }

    public Assembler or64(Register dst, int imm) { return alu64(AluOp.OR, dst, imm); }
    public Assembler or64(Register dst, Register src) { return alu64(AluOp.OR, dst, src); }
    public Assembler or32(Register dst, int imm) { return alu32(AluOp.OR, dst, imm); }
    public Assembler or32(Register dst, Register src) { return alu32(AluOp.OR, dst, src); }

    public Assembler and64(Register dst, int imm) { return alu64(AluOp.AND, dst, imm); }
    public Assembler and64(Register dst, Register src) { return alu64(AluOp.AND, dst, src); }
    public Assembler and32(Register dst, int imm) { return alu32(AluOp.AND, dst, imm); }
    public Assembler and32(Register dst, Register src) { return alu32(AluOp.AND, dst, src); }

    public Assembler lsh64(Register dst, int imm) { return alu64(AluOp.LSH, dst, imm); }
    public Assembler lsh64(Register dst, Register src) { return alu64(AluOp.LSH, dst, src); }
    public Assembler lsh32(Register dst, int imm) { return alu32(AluOp.LSH, dst, imm); }
    public Assembler lsh32(Register dst, Register src) { return alu32(AluOp.LSH, dst, src); }

    public Assembler rsh64(Register dst, int imm) { return alu64(AluOp.RSH, dst, imm); }
    public Assembler rsh64(Register dst, Register src) { return alu64(AluOp.RSH, dst, src); }
    public Assembler rsh32(Register dst, int imm) { return alu32(AluOp.RSH, dst, imm); }
    public Assembler rsh32(Register dst, Register src) { return alu32(AluOp.RSH, dst, src); }

    public Assembler arsh64(Register dst, int imm) { return alu64(AluOp.ARSH, dst, imm); }
    public Assembler arsh64(Register dst, Register src) { return alu64(AluOp.ARSH, dst, src); }
    public Assembler arsh32(Register dst, int imm) { return alu32(AluOp.ARSH, dst, imm); }
    public Assembler arsh32(Register dst, Register src) { return alu32(AluOp.ARSH, dst, src); }

    public Assembler xor64(Register dst, int imm) { return alu64(AluOp.XOR, dst, imm); }
    public Assembler xor64(Register dst, Register src) { return alu64(AluOp.XOR, dst, src); }
    public Assembler xor32(Register dst, int imm) { return alu32(AluOp.XOR, dst, imm); }
    public Assembler xor32(Register dst, Register src) { return alu32(AluOp.XOR, dst, src); }

    /** {@code dst = imm}, sign-extended to 64 bits. */
    public Assembler mov64(Register dst, int imm) { return alu64(AluOp.MOV, dst, imm); }
    public Assembler mov64(Register dst, Register src) { return alu64(AluOp.MOV, dst, src); }
    public Assembler mov32(Register dst, int imm) { return alu32(AluOp.MOV, dst, imm); }
    public Assembler mov32(Register dst, Register src) { return alu32(AluOp.MOV, dst, src); }

    /** Sign-extending move of the low {@code bits} (8, 16 or 32) of {@code src} (ISA v4). */
    public Assembler movsx64(Register dst, Register src, int bits) {
        if (bits != Byte.SIZE && bits != Short.SIZE && bits != Integer.SIZE) {
            throw new IllegalArgumentException("movsx64 extends from 8, 16 or 32 bits, not " + bits);
        }
        return aluReg(OpClass.ALU64, AluOp.MOV, dst, src, bits);
    }

    /** Sign-extending move of the low {@code bits} (8 or 16) of {@code src} into a 32-bit register (ISA v4). */
    public Assembler movsx32(Register dst, Register src, int bits) {
        if (bits != Byte.SIZE && bits != Short.SIZE) {
            throw new IllegalArgumentException("movsx32 extends from 8 or 16 bits, not " + bits);
        }
        return aluReg(OpClass.ALU, AluOp.MOV, dst, src, bits);
    }

    /** {@code dst = -dst}. */
    public Assembler neg64(Register dst) { return aluImm(OpClass.ALU64, AluOp.NEG, dst, 0, 0); }
    /** {@code dst = -dst} on the low half. */
    public Assembler neg32(Register dst) { return aluImm(OpClass.ALU, AluOp.NEG, dst, 0, 0); }

    // ---- byte order ----------------------------------------------------------------------------------------

    /** Converts the low 16 bits from host order to little-endian, zeroing the rest. */
    public Assembler le16(Register dst) { return endian(OpClass.ALU, Endian.TO_LE, dst, Short.SIZE); }
    public Assembler le32(Register dst) { return endian(OpClass.ALU, Endian.TO_LE, dst, Integer.SIZE); }
    public Assembler le64(Register dst) { return endian(OpClass.ALU, Endian.TO_LE, dst, Long.SIZE); }
    /** Converts the low 16 bits from host order to big-endian, zeroing the rest. */
    public Assembler be16(Register dst) { return endian(OpClass.ALU, Endian.TO_BE, dst, Short.SIZE); }
    public Assembler be32(Register dst) { return endian(OpClass.ALU, Endian.TO_BE, dst, Integer.SIZE); }
    public Assembler be64(Register dst) { return endian(OpClass.ALU, Endian.TO_BE, dst, Long.SIZE); }
    /** Unconditionally reverses the low 16 bits' bytes, zeroing the rest (ISA v4). */
    public Assembler bswap16(Register dst) { return endian(OpClass.ALU64, Endian.TO_LE, dst, Short.SIZE); }
    public Assembler bswap32(Register dst) { return endian(OpClass.ALU64, Endian.TO_LE, dst, Integer.SIZE); }
    public Assembler bswap64(Register dst) { return endian(OpClass.ALU64, Endian.TO_LE, dst, Long.SIZE); }

    // ---- loads and stores ----------------------------------------------------------------------------------

    /** {@code dst = *(size *)(src + offset)}, zero-extended. */
    public Assembler ldx(Size size, Register dst, Register src, int offset) {
        requireWritable(dst, "ldx");
        return raw(Instruction.of(OpClass.LDX.code() | Mode.MEM.code() | size.code(), dst, src, offset, 0));
    }

    public Assembler ldxB(Register dst, Register src, int offset) { return ldx(Size.B, dst, src, offset); }
    public Assembler ldxH(Register dst, Register src, int offset) { return ldx(Size.H, dst, src, offset); }
    public Assembler ldxW(Register dst, Register src, int offset) { return ldx(Size.W, dst, src, offset); }
    public Assembler ldxDW(Register dst, Register src, int offset) { return ldx(Size.DW, dst, src, offset); }

    /** {@code dst = *(s8/s16/s32 *)(src + offset)}, sign-extended (ISA v4); {@code DW} is not defined. */
    public Assembler ldxs(Size size, Register dst, Register src, int offset) {
        if (size == Size.DW) {
            throw new IllegalArgumentException("sign-extending loads exist for B, H and W only");
        }
        requireWritable(dst, "ldxs");
        return raw(Instruction.of(OpClass.LDX.code() | Mode.MEMSX.code() | size.code(), dst, src, offset, 0));
    }

    public Assembler ldxsB(Register dst, Register src, int offset) { return ldxs(Size.B, dst, src, offset); }
    public Assembler ldxsH(Register dst, Register src, int offset) { return ldxs(Size.H, dst, src, offset); }
    public Assembler ldxsW(Register dst, Register src, int offset) { return ldxs(Size.W, dst, src, offset); }

    /** {@code *(size *)(dst + offset) = imm}. */
    public Assembler st(Size size, Register dst, int offset, int imm) {
        return raw(new Instruction(OpClass.ST.code() | Mode.MEM.code() | size.code(), dst.index(), 0, offset, imm));
    }

    public Assembler stB(Register dst, int offset, int imm) { return st(Size.B, dst, offset, imm); }
    public Assembler stH(Register dst, int offset, int imm) { return st(Size.H, dst, offset, imm); }
    public Assembler stW(Register dst, int offset, int imm) { return st(Size.W, dst, offset, imm); }
    public Assembler stDW(Register dst, int offset, int imm) { return st(Size.DW, dst, offset, imm); }

    /** {@code *(size *)(dst + offset) = src}. */
    public Assembler stx(Size size, Register dst, Register src, int offset) {
        return raw(Instruction.of(OpClass.STX.code() | Mode.MEM.code() | size.code(), dst, src, offset, 0));
    }

    public Assembler stxB(Register dst, Register src, int offset) { return stx(Size.B, dst, src, offset); }
    public Assembler stxH(Register dst, Register src, int offset) { return stx(Size.H, dst, src, offset); }
    public Assembler stxW(Register dst, Register src, int offset) { return stx(Size.W, dst, src, offset); }
    public Assembler stxDW(Register dst, Register src, int offset) { return stx(Size.DW, dst, src, offset); }

    /** Legacy packet load {@code r0 = *(size *)skb[imm]} (socket filters only). */
    public Assembler ldAbs(Size size, int imm) {
        return raw(new Instruction(OpClass.LD.code() | Mode.ABS.code() | size.code(), 0, 0, 0, imm));
    }

    /** Legacy packet load {@code r0 = *(size *)skb[src + imm]} (socket filters only). */
    public Assembler ldInd(Size size, Register src, int imm) {
        return raw(new Instruction(OpClass.LD.code() | Mode.IND.code() | size.code(), 0, src.index(), 0, imm));
    }

    // ---- atomics -------------------------------------------------------------------------------------------

    /**
     * An atomic operation on {@code *(size *)(dst + offset)} with operand {@code src}. With {@code fetch} the old
     * value lands in {@code src}; XCHG and CMPXCHG always fetch and CMPXCHG compares against, and returns in, R0.
     */
    public Assembler atomic(Size size, AtomicOp op, boolean fetch, Register dst, Register src, int offset) {
        Objects.requireNonNull(op, "op");
        boolean ordering = op == AtomicOp.LOAD_ACQ || op == AtomicOp.STORE_REL;
        if (!ordering && size != Size.W && size != Size.DW) {
            throw new IllegalArgumentException("atomic " + op + " needs size W or DW, not " + size);
        }
        if (fetch && !op.isArithmetic()) {
            throw new IllegalArgumentException("the fetch flag applies to ADD, OR, AND and XOR only; "
                    + op + " has fixed semantics");
        }
        if (fetch || op == AtomicOp.XCHG) {
            requireWritable(src, "atomic fetch into src");
        }
        if (op == AtomicOp.LOAD_ACQ) {
            requireWritable(dst, "load-acquire");
        }
        int imm = op.code() | (fetch ? AtomicOp.FETCH : 0);
        return raw(Instruction.of(OpClass.STX.code() | Mode.ATOMIC.code() | size.code(), dst, src, offset, imm));
    }

    /** {@code lock *(size *)(dst + offset) += src}. */
    public Assembler atomicAdd(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.ADD, false, dst, src, offset);
    }

    /** {@code src = atomic_fetch_add((size *)(dst + offset), src)}. */
    public Assembler atomicFetchAdd(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.ADD, true, dst, src, offset);
    }

    public Assembler atomicOr(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.OR, false, dst, src, offset);
    }

    public Assembler atomicFetchOr(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.OR, true, dst, src, offset);
    }

    public Assembler atomicAnd(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.AND, false, dst, src, offset);
    }

    public Assembler atomicFetchAnd(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.AND, true, dst, src, offset);
    }

    public Assembler atomicXor(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.XOR, false, dst, src, offset);
    }

    public Assembler atomicFetchXor(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.XOR, true, dst, src, offset);
    }

    /** Swaps {@code src} with {@code *(size *)(dst + offset)}. */
    public Assembler xchg(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.XCHG, false, dst, src, offset);
    }

    /** If {@code *(size *)(dst + offset) == r0} stores {@code src}; either way r0 receives the old value. */
    public Assembler cmpxchg(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.CMPXCHG, false, dst, src, offset);
    }

    /** {@code dst = load_acquire((size *)(src + offset))}. */
    public Assembler loadAcquire(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.LOAD_ACQ, false, dst, src, offset);
    }

    /** {@code store_release((size *)(dst + offset), src)}. */
    public Assembler storeRelease(Size size, Register dst, Register src, int offset) {
        return atomic(size, AtomicOp.STORE_REL, false, dst, src, offset);
    }

    // ---- 64-bit immediates ---------------------------------------------------------------------------------

    /** {@code dst = value}, the full 64 bits (two slots). */
    public Assembler ldImm64(Register dst, long value) {
        return ldImm64(dst, Imm64Kind.PLAIN, value);
    }

    /** {@code dst = } the map with file descriptor {@code fd}; the kernel substitutes its address. */
    public Assembler ldMapFd(Register dst, int fd) {
        return ldImm64(dst, Imm64Kind.MAP_FD, Integer.toUnsignedLong(fd));
    }

    /** {@code dst = } the address of byte {@code offset} of the value of the single-element map {@code fd}. */
    public Assembler ldMapValue(Register dst, int fd, int offset) {
        return ldImm64(dst, Imm64Kind.MAP_VALUE, pair(fd, offset));
    }

    /** Like {@link #ldMapFd} with an index into the fd array passed at load time. */
    public Assembler ldMapIdx(Register dst, int index) {
        return ldImm64(dst, Imm64Kind.MAP_IDX, Integer.toUnsignedLong(index));
    }

    /** Like {@link #ldMapValue} with an index into the fd array passed at load time. */
    public Assembler ldMapIdxValue(Register dst, int index, int offset) {
        return ldImm64(dst, Imm64Kind.MAP_IDX_VALUE, pair(index, offset));
    }

    /** {@code dst = } the address of the kernel variable with BTF id {@code btfId}. */
    public Assembler ldBtfId(Register dst, int btfId) {
        return ldImm64(dst, Imm64Kind.BTF_ID, Integer.toUnsignedLong(btfId));
    }

    /** {@code dst = } the address of the subprogram at {@code label} (for callbacks). */
    public Assembler ldFunc(Register dst, String label) {
        requireWritable(dst, "ld_imm64");
        requireLabelName(label);
        return refer(new Instruction(Instruction.LD_IMM64, dst.index(), Imm64Kind.FUNC.code(), 0, 0),
                label, Fixup.IMM32);
    }

    private Assembler ldImm64(Register dst, Imm64Kind kind, long imm) {
        requireWritable(dst, "ld_imm64");
        return raw(new Instruction(Instruction.LD_IMM64, dst.index(), kind.code(), 0, imm));
    }

    private static long pair(int low, int high) {
        return ((long) high << Integer.SIZE) | Integer.toUnsignedLong(low);
    }

    // ---- branches and calls --------------------------------------------------------------------------------

    /** A 64-bit conditional branch comparing {@code dst} with an immediate. */
    public Assembler jmp(JmpOp op, Register dst, int imm, String label) {
        return branch(OpClass.JMP, op, dst, Source.K, 0, imm, label);
    }

    /** A 64-bit conditional branch comparing {@code dst} with {@code src}. */
    public Assembler jmp(JmpOp op, Register dst, Register src, String label) {
        return branch(OpClass.JMP, op, dst, Source.X, src.index(), 0, label);
    }

    /** A 32-bit conditional branch comparing the low half of {@code dst} with an immediate. */
    public Assembler jmp32(JmpOp op, Register dst, int imm, String label) {
        return branch(OpClass.JMP32, op, dst, Source.K, 0, imm, label);
    }

    /** A 32-bit conditional branch comparing the low halves of {@code dst} and {@code src}. */
    public Assembler jmp32(JmpOp op, Register dst, Register src, String label) {
        return branch(OpClass.JMP32, op, dst, Source.X, src.index(), 0, label);
    }

    public Assembler jeq(Register dst, int imm, String label) { return jmp(JmpOp.JEQ, dst, imm, label); }
    public Assembler jeq(Register dst, Register src, String label) { return jmp(JmpOp.JEQ, dst, src, label); }
    public Assembler jeq32(Register dst, int imm, String label) { return jmp32(JmpOp.JEQ, dst, imm, label); }
    public Assembler jeq32(Register dst, Register src, String label) { return jmp32(JmpOp.JEQ, dst, src, label); }

    public Assembler jne(Register dst, int imm, String label) { return jmp(JmpOp.JNE, dst, imm, label); }
    public Assembler jne(Register dst, Register src, String label) { return jmp(JmpOp.JNE, dst, src, label); }
    public Assembler jne32(Register dst, int imm, String label) { return jmp32(JmpOp.JNE, dst, imm, label); }
    public Assembler jne32(Register dst, Register src, String label) { return jmp32(JmpOp.JNE, dst, src, label); }

    public Assembler jgt(Register dst, int imm, String label) { return jmp(JmpOp.JGT, dst, imm, label); }
    public Assembler jgt(Register dst, Register src, String label) { return jmp(JmpOp.JGT, dst, src, label); }
    public Assembler jgt32(Register dst, int imm, String label) { return jmp32(JmpOp.JGT, dst, imm, label); }
    public Assembler jgt32(Register dst, Register src, String label) { return jmp32(JmpOp.JGT, dst, src, label); }

    public Assembler jge(Register dst, int imm, String label) { return jmp(JmpOp.JGE, dst, imm, label); }
    public Assembler jge(Register dst, Register src, String label) { return jmp(JmpOp.JGE, dst, src, label); }
    public Assembler jge32(Register dst, int imm, String label) { return jmp32(JmpOp.JGE, dst, imm, label); }
    public Assembler jge32(Register dst, Register src, String label) { return jmp32(JmpOp.JGE, dst, src, label); }

    public Assembler jlt(Register dst, int imm, String label) { return jmp(JmpOp.JLT, dst, imm, label); }
    public Assembler jlt(Register dst, Register src, String label) { return jmp(JmpOp.JLT, dst, src, label); }
    public Assembler jlt32(Register dst, int imm, String label) { return jmp32(JmpOp.JLT, dst, imm, label); }
    public Assembler jlt32(Register dst, Register src, String label) { return jmp32(JmpOp.JLT, dst, src, label); }

    public Assembler jle(Register dst, int imm, String label) { return jmp(JmpOp.JLE, dst, imm, label); }
    public Assembler jle(Register dst, Register src, String label) { return jmp(JmpOp.JLE, dst, src, label); }
    public Assembler jle32(Register dst, int imm, String label) { return jmp32(JmpOp.JLE, dst, imm, label); }
    public Assembler jle32(Register dst, Register src, String label) { return jmp32(JmpOp.JLE, dst, src, label); }

    public Assembler jsgt(Register dst, int imm, String label) { return jmp(JmpOp.JSGT, dst, imm, label); }
    public Assembler jsgt(Register dst, Register src, String label) { return jmp(JmpOp.JSGT, dst, src, label); }
    public Assembler jsgt32(Register dst, int imm, String label) { return jmp32(JmpOp.JSGT, dst, imm, label); }
    public Assembler jsgt32(Register dst, Register src, String label) { return jmp32(JmpOp.JSGT, dst, src, label); }

    public Assembler jsge(Register dst, int imm, String label) { return jmp(JmpOp.JSGE, dst, imm, label); }
    public Assembler jsge(Register dst, Register src, String label) { return jmp(JmpOp.JSGE, dst, src, label); }
    public Assembler jsge32(Register dst, int imm, String label) { return jmp32(JmpOp.JSGE, dst, imm, label); }
    public Assembler jsge32(Register dst, Register src, String label) { return jmp32(JmpOp.JSGE, dst, src, label); }

    public Assembler jslt(Register dst, int imm, String label) { return jmp(JmpOp.JSLT, dst, imm, label); }
    public Assembler jslt(Register dst, Register src, String label) { return jmp(JmpOp.JSLT, dst, src, label); }
    public Assembler jslt32(Register dst, int imm, String label) { return jmp32(JmpOp.JSLT, dst, imm, label); }
    public Assembler jslt32(Register dst, Register src, String label) { return jmp32(JmpOp.JSLT, dst, src, label); }

    public Assembler jsle(Register dst, int imm, String label) { return jmp(JmpOp.JSLE, dst, imm, label); }
    public Assembler jsle(Register dst, Register src, String label) { return jmp(JmpOp.JSLE, dst, src, label); }
    public Assembler jsle32(Register dst, int imm, String label) { return jmp32(JmpOp.JSLE, dst, imm, label); }
    public Assembler jsle32(Register dst, Register src, String label) { return jmp32(JmpOp.JSLE, dst, src, label); }

    /** Branches if {@code dst & imm} is non-zero. */
    public Assembler jset(Register dst, int imm, String label) { return jmp(JmpOp.JSET, dst, imm, label); }
    public Assembler jset(Register dst, Register src, String label) { return jmp(JmpOp.JSET, dst, src, label); }
    public Assembler jset32(Register dst, int imm, String label) { return jmp32(JmpOp.JSET, dst, imm, label); }
    public Assembler jset32(Register dst, Register src, String label) { return jmp32(JmpOp.JSET, dst, src, label); }

    /** Unconditional branch within 16-bit reach ({@code goto}). */
    public Assembler ja(String label) {
        requireLabelName(label);
        return refer(new Instruction(OpClass.JMP.code() | JmpOp.JA.code(), 0, 0, 0, 0), label, Fixup.OFFSET16);
    }

    /** Unconditional branch with 32-bit reach ({@code gotol}, ISA v4). */
    public Assembler gotol(String label) {
        requireLabelName(label);
        return refer(new Instruction(OpClass.JMP32.code() | JmpOp.JA.code(), 0, 0, 0, 0), label, Fixup.IMM32);
    }

    /** Calls the kernel helper with id {@code helperId}. */
    public Assembler call(int helperId) {
        return raw(new Instruction(CALL, 0, CallKind.HELPER.code(), 0, helperId));
    }

    /** Calls the subprogram starting at {@code label} (bpf-to-bpf call). */
    public Assembler callSubprog(String label) {
        requireLabelName(label);
        return refer(new Instruction(CALL, 0, CallKind.SUBPROG.code(), 0, 0), label, Fixup.IMM32);
    }

    /** Calls the kernel function with BTF id {@code btfId} in vmlinux. */
    public Assembler callKfunc(int btfId) {
        return callKfunc(btfId, 0);
    }

    /** Calls the kernel function with BTF id {@code btfId} in the module BTF at {@code fdArrayIndex}. */
    public Assembler callKfunc(int btfId, int fdArrayIndex) {
        return raw(new Instruction(CALL, 0, CallKind.KFUNC.code(), fdArrayIndex, btfId));
    }

    /** Returns from the program or subprogram with r0. */
    public Assembler exit() {
        return raw(new Instruction(OpClass.JMP.code() | JmpOp.EXIT.code(), 0, 0, 0, 0));
    }

    // ---- internals -----------------------------------------------------------------------------------------

    /** Offset value that turns DIV and MOD into their signed variants. */
    private static final int SIGNED = 1;
    private static final int CALL = OpClass.JMP.code() | JmpOp.CALL.code() | Source.K.code();

    private Assembler aluImm(OpClass cls, AluOp op, Register dst, int offset, int imm) {
        Objects.requireNonNull(op, "op");
        requireWritable(dst, op.name());
        return raw(new Instruction(cls.code() | op.code() | Source.K.code(), dst.index(), 0, offset, imm));
    }

    private Assembler aluReg(OpClass cls, AluOp op, Register dst, Register src, int offset) {
        Objects.requireNonNull(op, "op");
        requireWritable(dst, op.name());
        return raw(Instruction.of(cls.code() | op.code() | Source.X.code(), dst, src, offset, 0));
    }

    private Assembler endian(OpClass cls, Endian order, Register dst, int bits) {
        requireWritable(dst, "byte swap");
        return raw(new Instruction(cls.code() | AluOp.END.code() | order.code(), dst.index(), 0, 0, bits));
    }

    private Assembler branch(OpClass cls, JmpOp op, Register dst, Source source, int src, int imm, String label) {
        Objects.requireNonNull(op, "op");
        if (!op.isConditional()) {
            throw new IllegalArgumentException(op + " is not a conditional branch; use ja, gotol, call or exit");
        }
        requireLabelName(label);
        return refer(new Instruction(cls.code() | op.code() | source.code(), dst.index(), src, 0, imm),
                label, Fixup.OFFSET16);
    }

    private Assembler refer(Instruction insn, String label, Fixup fixup) {
        items.add(new Item(insn, label, fixup));
        pc = Math.addExact(pc, insn.slots());
        return this;
    }

    private static void requireWritable(Register dst, String what) {
        if (dst == Register.FP) {
            throw new IllegalArgumentException(what + " would write r10, the read-only frame pointer");
        }
    }

    private static void requireLabelName(String name) {
        Objects.requireNonNull(name, "label");
        if (name.isBlank()) {
            throw new IllegalArgumentException("label names must not be blank");
        }
    }
}
