/**
 * ebpf4j core: the eBPF loader and the live-object API, in pure Java over {@code java.lang.foreign}.
 * The {@code io.ebpf4j.kernel} package, the only code that makes system calls, is not exported.
 */
module io.ebpf4j {
    exports io.ebpf4j;
    exports io.ebpf4j.asm;
    exports io.ebpf4j.map;
    exports io.ebpf4j.program;
    exports io.ebpf4j.btf;
    exports io.ebpf4j.btf.core;
    exports io.ebpf4j.elf;
    exports io.ebpf4j.features;
    exports io.ebpf4j.object;
    exports io.ebpf4j.link;
    exports io.ebpf4j.ringbuf;
    exports io.ebpf4j.perf;
    exports io.ebpf4j.trace;
}
