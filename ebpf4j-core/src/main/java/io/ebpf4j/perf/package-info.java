/**
 * Perf buffers: {@link io.ebpf4j.perf.PerfBuffer} opens one {@code PERF_COUNT_SW_BPF_OUTPUT} event per CPU with
 * an mmap'd ring, stores them in a {@code BPF_MAP_TYPE_PERF_EVENT_ARRAY} map for {@code bpf_perf_event_output},
 * and reads every CPU's samples (and lost-sample reports) through one epoll.
 */
package io.ebpf4j.perf;
