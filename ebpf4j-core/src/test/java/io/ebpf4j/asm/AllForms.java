package io.ebpf4j.asm;

import static io.ebpf4j.asm.Register.R0;
import static io.ebpf4j.asm.Register.R1;
import static io.ebpf4j.asm.Register.R10;
import static io.ebpf4j.asm.Register.R2;
import static io.ebpf4j.asm.Register.R3;
import static io.ebpf4j.asm.Register.R9;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** One example of every instruction form the assembler writes, with the text the disassembler must print. */
final class AllForms {

    /** An assembler call that emits exactly one instruction, and that instruction's disassembly. */
    record Form(String text, Consumer<Assembler> emit) {
        Instruction instruction() {
            var a = new Assembler();
            emit.accept(a);
            List<Instruction> insns = a.build();
            if (insns.size() != 1) {
                throw new IllegalStateException(text + " emitted " + insns.size() + " instructions");
            }
            return insns.getFirst();
        }
    }

    private AllForms() {
    }

    private static Form f(String text, Consumer<Assembler> emit) {
        return new Form(text, emit);
    }

    static final List<Form> FORMS = List.of(
            // ALU64 and ALU, immediate and register
            f("r1 += 0x3", a -> a.add64(R1, 3)),
            f("r1 += r2", a -> a.add64(R1, R2)),
            f("w1 += 0x3", a -> a.add32(R1, 3)),
            f("w1 += w2", a -> a.add32(R1, R2)),
            f("r1 -= 0x1", a -> a.sub64(R1, 1)),
            f("r1 -= r2", a -> a.sub64(R1, R2)),
            f("w1 -= -0x1", a -> a.sub32(R1, -1)),
            f("w1 -= w2", a -> a.sub32(R1, R2)),
            f("r1 *= 0x7", a -> a.mul64(R1, 7)),
            f("r1 *= r2", a -> a.mul64(R1, R2)),
            f("w1 *= 0x7", a -> a.mul32(R1, 7)),
            f("w1 *= w2", a -> a.mul32(R1, R2)),
            f("r1 /= 0x3", a -> a.div64(R1, 3)),
            f("r1 /= r2", a -> a.div64(R1, R2)),
            f("w1 /= 0x3", a -> a.div32(R1, 3)),
            f("w1 /= w2", a -> a.div32(R1, R2)),
            f("r1 s/= 0x3", a -> a.sdiv64(R1, 3)),
            f("r1 s/= r2", a -> a.sdiv64(R1, R2)),
            f("w1 s/= 0x3", a -> a.sdiv32(R1, 3)),
            f("w1 s/= w2", a -> a.sdiv32(R1, R2)),
            f("r1 %= 0x3", a -> a.mod64(R1, 3)),
            f("r1 %= r2", a -> a.mod64(R1, R2)),
            f("w1 %= 0x3", a -> a.mod32(R1, 3)),
            f("w1 %= w2", a -> a.mod32(R1, R2)),
            f("r1 s%= 0x3", a -> a.smod64(R1, 3)),
            f("r1 s%= r2", a -> a.smod64(R1, R2)),
            f("w1 s%= 0x3", a -> a.smod32(R1, 3)),
            f("w1 s%= w2", a -> a.smod32(R1, R2)),
            f("r1 |= 0x1", a -> a.or64(R1, 1)),
            f("r1 |= r2", a -> a.or64(R1, R2)),
            f("w1 |= 0x1", a -> a.or32(R1, 1)),
            f("w1 |= w2", a -> a.or32(R1, R2)),
            f("r1 &= 0xff", a -> a.and64(R1, 0xff)),
            f("r1 &= r2", a -> a.and64(R1, R2)),
            f("w1 &= 0xff", a -> a.and32(R1, 0xff)),
            f("w1 &= w2", a -> a.and32(R1, R2)),
            f("r1 <<= 0x3", a -> a.lsh64(R1, 3)),
            f("r1 <<= r3", a -> a.lsh64(R1, R3)),
            f("w1 <<= 0x3", a -> a.lsh32(R1, 3)),
            f("w1 <<= w3", a -> a.lsh32(R1, R3)),
            f("r1 >>= 0x3", a -> a.rsh64(R1, 3)),
            f("r1 >>= r3", a -> a.rsh64(R1, R3)),
            f("w1 >>= 0x3", a -> a.rsh32(R1, 3)),
            f("w1 >>= w3", a -> a.rsh32(R1, R3)),
            f("r1 s>>= 0x3", a -> a.arsh64(R1, 3)),
            f("r1 s>>= r3", a -> a.arsh64(R1, R3)),
            f("w1 s>>= 0x3", a -> a.arsh32(R1, 3)),
            f("w1 s>>= w3", a -> a.arsh32(R1, R3)),
            f("r1 ^= 0x1", a -> a.xor64(R1, 1)),
            f("r1 ^= r2", a -> a.xor64(R1, R2)),
            f("w1 ^= 0x1", a -> a.xor32(R1, 1)),
            f("w1 ^= w2", a -> a.xor32(R1, R2)),
            f("r0 = 0x0", a -> a.mov64(R0, 0)),
            f("r0 = -0x1", a -> a.mov64(R0, -1)),
            f("r0 = -0x80000000", a -> a.mov64(R0, Integer.MIN_VALUE)),
            f("r1 = r2", a -> a.mov64(R1, R2)),
            f("w0 = 0x7fffffff", a -> a.mov32(R0, Integer.MAX_VALUE)),
            f("w1 = w2", a -> a.mov32(R1, R2)),
            f("r1 = (s8)r2", a -> a.movsx64(R1, R2, 8)),
            f("r1 = (s16)r2", a -> a.movsx64(R1, R2, 16)),
            f("r1 = (s32)r2", a -> a.movsx64(R1, R2, 32)),
            f("w1 = (s8)w2", a -> a.movsx32(R1, R2, 8)),
            f("w1 = (s16)w2", a -> a.movsx32(R1, R2, 16)),
            f("r1 = -r1", a -> a.neg64(R1)),
            f("w1 = -w1", a -> a.neg32(R1)),
            // byte order
            f("r1 = le16 r1", a -> a.le16(R1)),
            f("r1 = le32 r1", a -> a.le32(R1)),
            f("r1 = le64 r1", a -> a.le64(R1)),
            f("r1 = be16 r1", a -> a.be16(R1)),
            f("r1 = be32 r1", a -> a.be32(R1)),
            f("r1 = be64 r1", a -> a.be64(R1)),
            f("r1 = bswap16 r1", a -> a.bswap16(R1)),
            f("r1 = bswap32 r1", a -> a.bswap32(R1)),
            f("r1 = bswap64 r1", a -> a.bswap64(R1)),
            // loads and stores
            f("r2 = *(u8 *)(r1 + 0x4)", a -> a.ldxB(R2, R1, 4)),
            f("r2 = *(u16 *)(r1 + 0x4)", a -> a.ldxH(R2, R1, 4)),
            f("r2 = *(u32 *)(r1 + 0x4)", a -> a.ldxW(R2, R1, 4)),
            f("r0 = *(u64 *)(r1 - 0x10)", a -> a.ldxDW(R0, R1, -16)),
            f("r0 = *(u16 *)(r1 + 0x7fff)", a -> a.ldx(Size.H, R0, R1, Short.MAX_VALUE)),
            f("r0 = *(u16 *)(r1 - 0x8000)", a -> a.ldx(Size.H, R0, R1, Short.MIN_VALUE)),
            f("r2 = *(s8 *)(r1 + 0x4)", a -> a.ldxsB(R2, R1, 4)),
            f("r2 = *(s16 *)(r1 + 0x0)", a -> a.ldxsH(R2, R1, 0)),
            f("r2 = *(s32 *)(r1 + 0x0)", a -> a.ldxsW(R2, R1, 0)),
            f("*(u8 *)(r10 - 0x1) = 0xff", a -> a.stB(R10, -1, 0xff)),
            f("*(u16 *)(r10 - 0x2) = 0x1", a -> a.stH(R10, -2, 1)),
            f("*(u32 *)(r10 - 0x4) = 0x5", a -> a.stW(R10, -4, 5)),
            f("*(u64 *)(r10 - 0x8) = -0x1", a -> a.stDW(R10, -8, -1)),
            f("*(u8 *)(r10 - 0x1) = r1", a -> a.stxB(R10, R1, -1)),
            f("*(u16 *)(r10 - 0x2) = r1", a -> a.stxH(R10, R1, -2)),
            f("*(u32 *)(r10 - 0x4) = r1", a -> a.stxW(R10, R1, -4)),
            f("*(u64 *)(r10 - 0x8) = r1", a -> a.stxDW(R10, R1, -8)),
            f("r0 = *(u8 *)skb[0x4]", a -> a.ldAbs(Size.B, 4)),
            f("r0 = *(u32 *)skb[r1]", a -> a.ldInd(Size.W, R1, 0)),
            f("r0 = *(u16 *)skb[r1 + 0x8]", a -> a.ldInd(Size.H, R1, 8)),
            // atomics
            f("lock *(u64 *)(r1 + 0x0) += r2", a -> a.atomicAdd(Size.DW, R1, R2, 0)),
            f("lock *(u32 *)(r1 + 0x8) += w2", a -> a.atomicAdd(Size.W, R1, R2, 8)),
            f("lock *(u64 *)(r1 + 0x0) |= r2", a -> a.atomicOr(Size.DW, R1, R2, 0)),
            f("lock *(u32 *)(r1 + 0x0) |= w2", a -> a.atomicOr(Size.W, R1, R2, 0)),
            f("lock *(u64 *)(r1 + 0x0) &= r2", a -> a.atomicAnd(Size.DW, R1, R2, 0)),
            f("lock *(u32 *)(r1 + 0x0) &= w2", a -> a.atomicAnd(Size.W, R1, R2, 0)),
            f("lock *(u64 *)(r1 + 0x0) ^= r2", a -> a.atomicXor(Size.DW, R1, R2, 0)),
            f("lock *(u32 *)(r1 + 0x0) ^= w2", a -> a.atomicXor(Size.W, R1, R2, 0)),
            f("r2 = atomic_fetch_add((u64 *)(r1 + 0x0), r2)", a -> a.atomicFetchAdd(Size.DW, R1, R2, 0)),
            f("w2 = atomic_fetch_add((u32 *)(r1 + 0x0), w2)", a -> a.atomicFetchAdd(Size.W, R1, R2, 0)),
            f("r2 = atomic_fetch_or((u64 *)(r1 + 0x0), r2)", a -> a.atomicFetchOr(Size.DW, R1, R2, 0)),
            f("w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)", a -> a.atomicFetchOr(Size.W, R1, R2, 0)),
            f("r2 = atomic_fetch_and((u64 *)(r1 + 0x0), r2)", a -> a.atomicFetchAnd(Size.DW, R1, R2, 0)),
            f("w2 = atomic_fetch_and((u32 *)(r1 + 0x0), w2)", a -> a.atomicFetchAnd(Size.W, R1, R2, 0)),
            f("r2 = atomic_fetch_xor((u64 *)(r1 - 0x8), r2)", a -> a.atomicFetchXor(Size.DW, R1, R2, -8)),
            f("w2 = atomic_fetch_xor((u32 *)(r1 + 0x0), w2)", a -> a.atomicFetchXor(Size.W, R1, R2, 0)),
            f("r0 = xchg_64(r1 + 0x0, r0)", a -> a.xchg(Size.DW, R1, R0, 0)),
            f("w0 = xchg32_32(r1 + 0x0, w0)", a -> a.xchg(Size.W, R1, R0, 0)),
            f("r0 = cmpxchg_64(r1 + 0x0, r0, r2)", a -> a.cmpxchg(Size.DW, R1, R2, 0)),
            f("w0 = cmpxchg32_32(r1 + 0x0, w0, w2)", a -> a.cmpxchg(Size.W, R1, R2, 0)),
            f("r0 = load_acquire((u64 *)(r1 + 0x0))", a -> a.loadAcquire(Size.DW, R0, R1, 0)),
            f("w0 = load_acquire((u8 *)(r1 + 0x0))", a -> a.loadAcquire(Size.B, R0, R1, 0)),
            f("store_release((u64 *)(r1 + 0x0), r2)", a -> a.storeRelease(Size.DW, R1, R2, 0)),
            f("store_release((u16 *)(r1 + 0x0), w2)", a -> a.storeRelease(Size.H, R1, R2, 0)),
            // 64-bit immediates
            f("r1 = 0x1122334455667788 ll", a -> a.ldImm64(R1, 0x1122334455667788L)),
            f("r0 = -0x1 ll", a -> a.ldImm64(R0, -1)),
            f("r0 = 0x80000000 ll", a -> a.ldImm64(R0, 0x8000_0000L)),
            f("r0 = -0x8000000000000000 ll", a -> a.ldImm64(R0, Long.MIN_VALUE)),
            f("r1 = map[fd:5] ll", a -> a.ldMapFd(R1, 5)),
            f("r1 = map[fd:5]+0x10 ll", a -> a.ldMapValue(R1, 5, 0x10)),
            f("r2 = map[idx:1] ll", a -> a.ldMapIdx(R2, 1)),
            f("r2 = map[idx:1]+0x8 ll", a -> a.ldMapIdxValue(R2, 1, 8)),
            f("r1 = btf_id:123 ll", a -> a.ldBtfId(R1, 123)),
            f("r2 = func pc-1 ll", a -> a.label("cb").ldFunc(R2, "cb")),
            // branches
            f("if r1 == 0x5 goto -1", a -> a.label("l").jeq(R1, 5, "l")),
            f("if r1 == r2 goto -1", a -> a.label("l").jeq(R1, R2, "l")),
            f("if w1 == 0x5 goto -1", a -> a.label("l").jeq32(R1, 5, "l")),
            f("if w1 == w2 goto -1", a -> a.label("l").jeq32(R1, R2, "l")),
            f("if r1 != 0x5 goto -1", a -> a.label("l").jne(R1, 5, "l")),
            f("if r1 != r2 goto -1", a -> a.label("l").jne(R1, R2, "l")),
            f("if w1 != 0x5 goto -1", a -> a.label("l").jne32(R1, 5, "l")),
            f("if w1 != w2 goto -1", a -> a.label("l").jne32(R1, R2, "l")),
            f("if r1 > 0x5 goto -1", a -> a.label("l").jgt(R1, 5, "l")),
            f("if r1 > r2 goto -1", a -> a.label("l").jgt(R1, R2, "l")),
            f("if w1 > 0x5 goto -1", a -> a.label("l").jgt32(R1, 5, "l")),
            f("if w1 > w2 goto -1", a -> a.label("l").jgt32(R1, R2, "l")),
            f("if r1 >= 0x5 goto -1", a -> a.label("l").jge(R1, 5, "l")),
            f("if r1 >= r2 goto -1", a -> a.label("l").jge(R1, R2, "l")),
            f("if w1 >= 0x5 goto -1", a -> a.label("l").jge32(R1, 5, "l")),
            f("if w1 >= w2 goto -1", a -> a.label("l").jge32(R1, R2, "l")),
            f("if r1 < 0x5 goto -1", a -> a.label("l").jlt(R1, 5, "l")),
            f("if r1 < r2 goto -1", a -> a.label("l").jlt(R1, R2, "l")),
            f("if w1 < 0x5 goto -1", a -> a.label("l").jlt32(R1, 5, "l")),
            f("if w1 < w2 goto -1", a -> a.label("l").jlt32(R1, R2, "l")),
            f("if r1 <= 0x5 goto -1", a -> a.label("l").jle(R1, 5, "l")),
            f("if r1 <= r2 goto -1", a -> a.label("l").jle(R1, R2, "l")),
            f("if w1 <= 0x5 goto -1", a -> a.label("l").jle32(R1, 5, "l")),
            f("if w1 <= w2 goto -1", a -> a.label("l").jle32(R1, R2, "l")),
            f("if r1 s> -0x1 goto -1", a -> a.label("l").jsgt(R1, -1, "l")),
            f("if r1 s> r2 goto -1", a -> a.label("l").jsgt(R1, R2, "l")),
            f("if w1 s> -0x1 goto -1", a -> a.label("l").jsgt32(R1, -1, "l")),
            f("if w1 s> w2 goto -1", a -> a.label("l").jsgt32(R1, R2, "l")),
            f("if r1 s>= 0x5 goto -1", a -> a.label("l").jsge(R1, 5, "l")),
            f("if r1 s>= r2 goto -1", a -> a.label("l").jsge(R1, R2, "l")),
            f("if w1 s>= 0x5 goto -1", a -> a.label("l").jsge32(R1, 5, "l")),
            f("if w1 s>= w2 goto -1", a -> a.label("l").jsge32(R1, R2, "l")),
            f("if r1 s< 0x5 goto -1", a -> a.label("l").jslt(R1, 5, "l")),
            f("if r1 s< r2 goto -1", a -> a.label("l").jslt(R1, R2, "l")),
            f("if w1 s< 0x5 goto -1", a -> a.label("l").jslt32(R1, 5, "l")),
            f("if w1 s< w2 goto -1", a -> a.label("l").jslt32(R1, R2, "l")),
            f("if r1 s<= 0x5 goto -1", a -> a.label("l").jsle(R1, 5, "l")),
            f("if r1 s<= r2 goto -1", a -> a.label("l").jsle(R1, R2, "l")),
            f("if w1 s<= 0x5 goto -1", a -> a.label("l").jsle32(R1, 5, "l")),
            f("if w1 s<= w2 goto -1", a -> a.label("l").jsle32(R1, R2, "l")),
            f("if r1 & 0x4 goto -1", a -> a.label("l").jset(R1, 4, "l")),
            f("if r1 & r2 goto -1", a -> a.label("l").jset(R1, R2, "l")),
            f("if w1 & 0x4 goto -1", a -> a.label("l").jset32(R1, 4, "l")),
            f("if w9 & w2 goto -1", a -> a.label("l").jset32(R9, R2, "l")),
            f("goto -1", a -> a.label("l").ja("l")),
            f("goto +0", a -> a.ja("l").label("l")),
            f("gotol -1", a -> a.label("l").gotol("l")),
            f("gotol +70000", a -> a.raw(new Instruction(0x06, 0, 0, 0, 70_000))),
            f("goto +3", a -> a.raw(new Instruction(0x05, 0, 0, 3, 0))),
            f("if w1 s> w2 goto -2", a -> a.raw(new Instruction(0x6e, 1, 2, -2, 0))),
            // calls and exit
            f("call 0x5", a -> a.call(5)),
            f("call pc-1", a -> a.label("f").callSubprog("f")),
            f("call pc+4", a -> a.raw(new Instruction(0x85, 0, 1, 0, 4))),
            f("call kfunc#1234", a -> a.callKfunc(1234)),
            f("exit", Assembler::exit));

    /** Every form in one program, so that encoding and decoding can be checked in bulk. */
    static List<Instruction> program() {
        var out = new ArrayList<Instruction>();
        for (Form form : FORMS) {
            out.add(form.instruction());
        }
        return List.copyOf(out);
    }
}
