/**
 * Kernel feature probes: which program types, map types, helpers and other features the running kernel has.
 * Each answer is cached and says why when the answer is no.
 */
package io.ebpf4j.features;
