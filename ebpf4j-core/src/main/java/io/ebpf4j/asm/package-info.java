/**
 * eBPF instructions as Java values: the {@link io.ebpf4j.asm.Instruction} encoding, opcode tables, an
 * {@link io.ebpf4j.asm.Assembler} with labels and an objdump-style {@link io.ebpf4j.asm.Disassembler}; pure Java,
 * no system calls.
 */
package io.ebpf4j.asm;
