package io.ebpf4j.bench;

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
 * Pins the calling thread to one CPU when the run script asks for it ({@value #PROPERTY}), so that the measured
 * thread and the C harness it is compared with (started under {@code taskset} on the same CPU) run on the same
 * CPU. On the two-vCPU VMs these benchmarks run on, one vCPU is at times 10–50% slower than the other for the
 * same loop; two processes left to the scheduler can each settle on a different one.
 */
final class CpuPin {
    static final String PROPERTY = "ebpf4j.bench.cpu";

    /** Bytes of the CPU mask handed to the kernel: 1,024 CPUs, glibc's {@code cpu_set_t}. */
    private static final int MASK_BYTES = 128;

    private static final MethodHandle SCHED_SETAFFINITY;
    private static final MethodHandle SCHED_GETCPU;

    static {
        Linker linker = Linker.nativeLinker();
        SCHED_SETAFFINITY = downcall(linker, "sched_setaffinity",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
        SCHED_GETCPU = downcall(linker, "sched_getcpu", FunctionDescriptor.of(JAVA_INT));
    }

    @SuppressWarnings("restricted") // the benchmarks' JVMs run with --enable-native-access
    private static MethodHandle downcall(Linker linker, String name, FunctionDescriptor descriptor) {
        return linker.downcallHandle(linker.defaultLookup().findOrThrow(name), descriptor);
    }

    private CpuPin() {
    }

    /** Pins the calling thread to the CPU named by {@value #PROPERTY}; nothing when it is unset or empty. */
    static void pinIfAsked() {
        String cpu = System.getProperty(PROPERTY, "");
        if (!cpu.isBlank()) {
            pin(Integer.parseInt(cpu.trim()));
        }
    }

    /** Pins the calling thread to {@code cpu} and checks that it now runs there. */
    static void pin(int cpu) {
        if (cpu < 0 || cpu >= MASK_BYTES * Byte.SIZE) {
            throw new IllegalArgumentException(PROPERTY + "=" + cpu + ": not a CPU number");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            mask.set(JAVA_BYTE, cpu / Byte.SIZE, (byte) (1 << (cpu % Byte.SIZE)));
            int rc = (int) SCHED_SETAFFINITY.invokeExact(0, (long) MASK_BYTES, mask);
            if (rc != 0) {
                throw new IllegalStateException("sched_setaffinity to CPU " + cpu + " failed: is it online and in"
                        + " this process's allowed set (taskset -p " + ProcessHandle.current().pid() + ")?");
            }
            int now = (int) SCHED_GETCPU.invokeExact();
            if (now != cpu) {
                throw new IllegalStateException("pinned to CPU " + cpu + " but running on " + now);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
