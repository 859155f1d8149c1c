/**
 * BPF programs: the {@link io.ebpf4j.program.ProgramType} and {@link io.ebpf4j.program.AttachType} tables,
 * {@link io.ebpf4j.program.ProgramSpec} (what to load) and {@link io.ebpf4j.program.Program} (a loaded program:
 * verifier log, test runs, info, pins).
 */
package io.ebpf4j.program;
