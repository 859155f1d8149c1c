/**
 * A read-only, bounds-checked view of ELF64 object files as clang emits them for BPF: sections, symbols,
 * relocations and notes, in pure Java with no system calls.
 */
package io.ebpf4j.elf;
