package io.ebpf4j;

import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import org.junit.jupiter.api.Assumptions;

/** Kernel tests call {@link #assume()} first: without BPF privileges they are skipped, saying why. */
public final class KernelAccess {
    private KernelAccess() {
    }

    private static volatile String missing;

    public static void assume() {
        String why = missing;
        if (why == null) {
            try (BpfMap _ = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1))) {
                why = "";
            } catch (SyscallException e) {
                why = "BPF is not available to this process (" + e.getMessage() + ")";
            }
            missing = why;
        }
        Assumptions.assumeTrue(why.isEmpty(), why);
    }
}
