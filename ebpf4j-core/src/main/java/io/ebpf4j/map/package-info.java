/**
 * BPF maps: the {@link io.ebpf4j.map.MapType} table, {@link io.ebpf4j.map.MapSpec} (what to create, no kernel)
 * and {@link io.ebpf4j.map.BpfMap} (a live map: element operations, batches, per-CPU values, mmap, pins).
 * {@code MapWalk} is the syscall program, built here with the assembler, behind
 * {@link io.ebpf4j.map.BpfMap#lookupAll}.
 */
package io.ebpf4j.map;
