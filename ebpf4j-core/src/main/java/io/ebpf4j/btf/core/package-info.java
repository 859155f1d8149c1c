/**
 * CO-RE ("compile once, run everywhere") relocation: {@link io.ebpf4j.btf.core.CoreRelocator} rewrites the
 * instructions a {@code .BTF.ext} CO-RE record names so that field offsets, sizes, bitfield shifts, type ids,
 * type existence and enum values are those of the target kernel's BTF ({@link io.ebpf4j.btf.core.CoreTarget})
 * rather than of the headers the program was compiled against. Pure: no system calls.
 */
package io.ebpf4j.btf.core;
