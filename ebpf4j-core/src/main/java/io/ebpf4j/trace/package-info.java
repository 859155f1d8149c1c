/**
 * The kernel's trace buffer as a stream: {@link io.ebpf4j.trace.TracePipe} reads tracefs's {@code trace_pipe},
 * where {@code bpf_printk} writes, and hands out each line parsed into a {@link io.ebpf4j.trace.TraceLine}.
 */
package io.ebpf4j.trace;
