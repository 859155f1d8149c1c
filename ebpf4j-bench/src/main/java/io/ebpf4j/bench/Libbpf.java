package io.ebpf4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Debian's {@code libbpf.so.1} through plain FFM downcalls, for the control benchmarks that run libbpf inside a
 * JVM. The handles return what libbpf returns: a negative errno on failure.
 */
final class Libbpf {
    private static final int BPF_MAP_TYPE_HASH = 1;

    /** {@code int bpf_map_lookup_elem(int fd, const void *key, void *value)} */
    final MethodHandle lookupElem;
    /** {@code int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)} */
    final MethodHandle updateElem;
    /** {@code int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, __u32 *count, opts)} */
    final MethodHandle lookupBatch;
    /** {@code int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count, opts)} */
    final MethodHandle updateBatch;
    private final MethodHandle create;
    private final MethodHandle close;

    @SuppressWarnings("restricted") // the benchmarks' JVMs run with --enable-native-access
    Libbpf(Arena arena) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup("libbpf.so.1", arena);
        create = linker.downcallHandle(lib.findOrThrow("bpf_map_create"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        lookupElem = linker.downcallHandle(lib.findOrThrow("bpf_map_lookup_elem"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        updateElem = linker.downcallHandle(lib.findOrThrow("bpf_map_update_elem"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        lookupBatch = linker.downcallHandle(lib.findOrThrow("bpf_map_lookup_batch"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        updateBatch = linker.downcallHandle(lib.findOrThrow("bpf_map_update_batch"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        close = linker.downcallHandle(linker.defaultLookup().findOrThrow("close"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /** A hash map with default options, as {@code c/mapbench.c} creates it; its fd. */
    int createHash(Arena arena, String name, int keySize, int valueSize, int maxEntries) throws Throwable {
        int fd = (int) create.invokeExact(BPF_MAP_TYPE_HASH, arena.allocateFrom(name), keySize, valueSize,
                maxEntries, MemorySegment.NULL);
        if (fd < 0) {
            throw new IllegalStateException("bpf_map_create: " + fd);
        }
        return fd;
    }

    void close(int fd) throws Throwable {
        if (fd >= 0) {
            int unused = (int) close.invokeExact(fd);
        }
    }
}
