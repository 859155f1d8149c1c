package io.ebpf4j.asm;

/** One eBPF instruction (placeholder until the instruction model lands). */
public record Instruction(byte opcode, byte dst, byte src, short offset, int imm) {
}
