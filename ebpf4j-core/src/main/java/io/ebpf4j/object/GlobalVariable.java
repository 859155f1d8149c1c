package io.ebpf4j.object;

/** A global variable: its name, the global-data map holding it, and where. */
public record GlobalVariable(String name, String map, long offset, long size, boolean readOnly) {
}
