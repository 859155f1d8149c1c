/**
 * BTF, the BPF Type Format: {@link io.ebpf4j.btf.Btf}, a lazy parser of raw and split BTF (the kernel's own
 * from {@code /sys/kernel/btf}, or an object's {@code .BTF}) into {@link io.ebpf4j.btf.BtfType} records,
 * {@link io.ebpf4j.btf.BtfExt} for {@code .BTF.ext}, {@link io.ebpf4j.btf.BtfWriter} for writing raw BTF and
 * {@link io.ebpf4j.btf.LoadedBtf}, BTF held by the kernel; for people, {@link io.ebpf4j.btf.BtfCDump} writes BTF as
 * a C header (a {@code vmlinux.h}) and {@link io.ebpf4j.btf.BtfValueFormatter} reads values through their types. The sanitizer and CO-RE engine grow here.
 */
package io.ebpf4j.btf;
