package io.ebpf4j.bench;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Locale;

/**
 * The Java heap that one parsed kernel BTF keeps alive: used heap after a full GC with the {@link Btf} of
 * {@code /sys/kernel/btf/vmlinux} reachable, after {@code open} and one {@code find("task_struct", STRUCT)}
 * (which builds the name index), minus used heap after a full GC before it. The mapped file itself is not
 * heap and is not counted (it is the kernel's page cache, shared with every reader).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ebpf4j-bench/target/benchmarks.jar io.ebpf4j.bench.KernelBtfHeap</pre>
 *
 * Prints one line: {@code heap <retained bytes> B retained id=<task_struct id> rounds=<n> all=<b1,b2,...>}, the
 * median of several rounds (each with a fresh Btf, the previous one closed and dropped).
 */
public final class KernelBtfHeap {
    private KernelBtfHeap() {
    }

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private static long usedAfterGc() {
        long used = Long.MAX_VALUE;
        // Several passes: one System.gc() may leave objects that finalisation or reference processing frees.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        // Load and initialise every class the op touches first, so that class metadata is not counted.
        for (int i = 0; i < 3; i++) {
            KernelBtfBenchmark.openFind();
        }
        long[] retained = new long[rounds];
        int id = 0;
        for (int r = 0; r < rounds; r++) {
            long before = usedAfterGc();
            Btf btf = Btf.open(KernelBtfBenchmark.VMLINUX);
            id = btf.find("task_struct", BtfKind.STRUCT).orElseThrow();
            long after = usedAfterGc();
            retained[r] = after - before;
            // Keep it reachable through the measurement above, then let it go.
            Reference.reachabilityFence(btf);
            btf.close();
        }
        long[] sorted = retained.clone();
        Arrays.sort(sorted);
        StringBuilder all = new StringBuilder();
        for (long b : retained) {
            all.append(all.isEmpty() ? "" : ",").append(b);
        }
        System.out.printf(Locale.ROOT, "heap %d B retained id=%d rounds=%d all=%s%n", sorted[rounds / 2], id, rounds, all);
    }
}
