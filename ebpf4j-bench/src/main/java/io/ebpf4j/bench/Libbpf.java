package io.ebpf4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Debian's {@code libbpf.so.1} through plain FFM downcalls, for the control benchmarks that run libbpf inside a
 * JVM. The handles return what libbpf returns: a negative errno on failure.
 */
final class Libbpf {
    private static final int BPF_MAP_TYPE_HASH = 1;
    private static final long BPF_ANY = 0;

    /** {@code int bpf_map_lookup_elem(int fd, const void *key, void *value)} */
    final MethodHandle lookupElem;
    /** {@code int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)} */
    final MethodHandle updateElem;
    /** {@code int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, __u32 *count, opts)} */
    final MethodHandle lookupBatch;
    /** {@code int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count, opts)} */
    final MethodHandle updateBatch;
    /** {@code int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts)} */
    final MethodHandle testRun;
    /** {@code int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)} */
    final MethodHandle perfBufferPoll;
    private final MethodHandle create;
    private final MethodHandle objGet;
    private final MethodHandle close;
    private final MethodHandle objectOpen;
    private final MethodHandle objectLoad;
    private final MethodHandle objectClose;
    private final MethodHandle findProgram;
    private final MethodHandle programFd;
    private final MethodHandle findMapFd;
    private final MethodHandle perfBufferNew;
    private final MethodHandle perfBufferFree;

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
        objGet = linker.downcallHandle(lib.findOrThrow("bpf_obj_get"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        close = linker.downcallHandle(linker.defaultLookup().findOrThrow("close"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        testRun = linker.downcallHandle(lib.findOrThrow("bpf_prog_test_run_opts"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        objectOpen = linker.downcallHandle(lib.findOrThrow("bpf_object__open_file"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        objectLoad = linker.downcallHandle(lib.findOrThrow("bpf_object__load"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        objectClose = linker.downcallHandle(lib.findOrThrow("bpf_object__close"),
                FunctionDescriptor.ofVoid(ADDRESS));
        findProgram = linker.downcallHandle(lib.findOrThrow("bpf_object__find_program_by_name"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        programFd = linker.downcallHandle(lib.findOrThrow("bpf_program__fd"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        findMapFd = linker.downcallHandle(lib.findOrThrow("bpf_object__find_map_fd_by_name"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        perfBufferNew = linker.downcallHandle(lib.findOrThrow("perf_buffer__new"),
                FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        perfBufferPoll = linker.downcallHandle(lib.findOrThrow("perf_buffer__poll"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        perfBufferFree = linker.downcallHandle(lib.findOrThrow("perf_buffer__free"),
                FunctionDescriptor.ofVoid(ADDRESS));
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

    /**
     * The map of the single-element benchmarks, as {@code c/mapbench.c} makes it: the one the C harness shares
     * when {@code paired} names it, checked by a lookup of its last prefilled key; else a new one, filled. Its fd.
     */
    int opsMap(Arena arena, PairedC paired) throws Throwable {
        MemorySegment key = arena.allocate(JAVA_INT);
        MemorySegment value = arena.allocate(JAVA_LONG);
        Path shared = paired.sharedMap("ops");
        if (shared != null) {
            int fd = objGet(arena, shared.toString());
            key.set(JAVA_INT, 0, MapOpsBenchmark.FILLED - 1);
            int err = (int) lookupElem.invokeExact(fd, key, value);
            if (err != 0) {
                close(fd);
                throw new IllegalStateException(shared + " lacks its last prefilled key: " + err);
            }
            return fd;
        }
        int fd = createHash(arena, "bench_ops", Integer.BYTES, Long.BYTES, MapOpsBenchmark.MAX_ENTRIES);
        for (int i = 0; i < MapOpsBenchmark.FILLED; i++) {
            key.set(JAVA_INT, 0, i);
            value.set(JAVA_LONG, 0, i);
            int err = (int) updateElem.invokeExact(fd, key, value, BPF_ANY);
            if (err != 0) {
                close(fd);
                throw new IllegalStateException("bpf_map_update_elem: " + err);
            }
        }
        return fd;
    }

    /** {@code bpf_obj_get}: opens what is pinned at {@code path}; its fd. */
    int objGet(Arena arena, String path) throws Throwable {
        int fd = (int) objGet.invokeExact(arena.allocateFrom(path));
        if (fd < 0) {
            throw new IllegalStateException("bpf_obj_get " + path + ": " + fd);
        }
        return fd;
    }

    /** Opens and loads a BPF object file, as {@code c/eventbench.c} does; its {@code struct bpf_object *}. */
    MemorySegment openAndLoad(Arena arena, String path) throws Throwable {
        MemorySegment obj = (MemorySegment) objectOpen.invokeExact(arena.allocateFrom(path), MemorySegment.NULL);
        if (obj.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("bpf_object__open_file " + path + " failed");
        }
        int err = (int) objectLoad.invokeExact(obj);
        if (err != 0) {
            closeObject(obj);
            throw new IllegalStateException("bpf_object__load " + path + ": " + err);
        }
        return obj;
    }

    int programFd(Arena arena, MemorySegment obj, String name) throws Throwable {
        MemorySegment prog = (MemorySegment) findProgram.invokeExact(obj, arena.allocateFrom(name));
        if (prog.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("no program " + name);
        }
        return (int) programFd.invokeExact(prog);
    }

    int mapFd(Arena arena, MemorySegment obj, String name) throws Throwable {
        int fd = (int) findMapFd.invokeExact(obj, arena.allocateFrom(name));
        if (fd < 0) {
            throw new IllegalStateException("no map " + name + ": " + fd);
        }
        return fd;
    }

    void closeObject(MemorySegment obj) throws Throwable {
        objectClose.invokeExact(obj);
    }

    /** {@code perf_buffer__new} with a native sample callback and its context; a {@code struct perf_buffer *}. */
    MemorySegment perfBuffer(int mapFd, long pages, MemorySegment sampleFn, MemorySegment ctx) throws Throwable {
        MemorySegment pb = (MemorySegment) perfBufferNew.invokeExact(mapFd, pages, sampleFn, MemorySegment.NULL, ctx,
                MemorySegment.NULL);
        if (pb.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("perf_buffer__new failed");
        }
        return pb;
    }

    void freePerfBuffer(MemorySegment pb) throws Throwable {
        perfBufferFree.invokeExact(pb);
    }

    void close(int fd) throws Throwable {
        if (fd >= 0) {
            int unused = (int) close.invokeExact(fd);
        }
    }
}
