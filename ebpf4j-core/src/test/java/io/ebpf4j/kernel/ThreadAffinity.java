package io.ebpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Test support: keeps the calling thread on the CPU it runs on until closed, then restores its CPU mask. A tc
 * test-run writes perf samples to the current CPU's ring, so a test that needs two test-runs to reach the same ring
 * must not migrate between them.
 */
public final class ThreadAffinity implements AutoCloseable {
    /** Room for 8,192 CPUs: the kernel refuses a mask smaller than its own. */
    private static final int MASK_BYTES = 1024;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GET = handle("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SET = handle("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_CPU = handle("sched_getcpu", FunctionDescriptor.of(JAVA_INT));

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment saved = arena.allocate(MASK_BYTES);
    private final int cpu;

    private ThreadAffinity() {
        try {
            check((int) GET.invokeExact(0, (long) MASK_BYTES, saved), "sched_getaffinity");
            cpu = (int) GET_CPU.invokeExact();
            check(cpu, "sched_getcpu");
            MemorySegment one = arena.allocate(MASK_BYTES);
            one.set(JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            check((int) SET.invokeExact(0, (long) MASK_BYTES, one), "sched_setaffinity");
        } catch (Throwable t) {
            arena.close();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /** Pins the calling thread (pid 0: the thread itself) to the CPU it is on now. */
    public static ThreadAffinity pinHere() {
        return new ThreadAffinity();
    }

    /** The CPU the thread is pinned to. */
    public int cpu() {
        return cpu;
    }

    @Override
    public void close() {
        try {
            check((int) SET.invokeExact(0, (long) MASK_BYTES, saved), "sched_setaffinity (restore)");
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }

    private static void check(int r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + " failed");
        }
    }

    @SuppressWarnings("restricted") // libc's affinity calls, with their C signatures
    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd);
    }
}
