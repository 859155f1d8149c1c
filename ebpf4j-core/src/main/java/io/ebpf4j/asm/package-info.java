/** eBPF instructions: encoding and decoding, a builder with labels, and a disassembler. Pure Java, no kernel. */
package io.ebpf4j.asm;
