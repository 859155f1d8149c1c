/**
 * JMH benchmarks of ebpf4j (map operations, object loading, kernel BTF, ring and perf buffers), each doing the
 * same work as a C harness under {@code c/}; the {@code run-*} scripts run both sides and compare them.
 */
package io.ebpf4j.bench;
