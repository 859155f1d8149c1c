package io.ebpf4j.kernel;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdTest {
    @Test
    void closeIsIdempotentAndUseAfterCloseIsRefused() {
        KernelAccess.assume();
        BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1));
        m.close();
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, m::fd);
    }

    @Test
    void theSafetyNetClosesAndReportsADroppedDescriptor() throws Exception {
        KernelAccess.assume();
        long leaksBefore = Fd.leaks();
        int number = dropOne();
        for (int i = 0; i < 50 && Fd.leaks() == leaksBefore; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(Fd.leaks() > leaksBefore, "the cleaner reported the leak");
        // The number may have been reused by now; if it was not, it must no longer be a BPF map.
        Path fd = Path.of("/proc/self/fd/" + number);
        assertFalse(Files.exists(fd) && Files.readSymbolicLink(fd).toString().contains("bpf-map"),
                "fd " + number + " still points at a map");
    }

    private static int dropOne() {
        BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1).withName("dropped"));
        return m.fd();
    }
}
