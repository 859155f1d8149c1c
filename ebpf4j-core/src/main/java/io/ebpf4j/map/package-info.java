/**
 * BPF maps: the {@link io.ebpf4j.map.MapType} table, {@link io.ebpf4j.map.MapSpec} (what to create, no kernel)
 * and {@link io.ebpf4j.map.BpfMap} (a live map: element operations, batches, per-CPU values, mmap, pins).
 */
package io.ebpf4j.map;
