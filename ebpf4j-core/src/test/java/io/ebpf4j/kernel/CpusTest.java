package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpusTest {
    @Test
    void parsesKernelCpuLists() {
        assertArrayEquals(new int[] {0}, Cpus.parseList("0"));
        assertArrayEquals(new int[] {0, 1, 2, 3}, Cpus.parseList("0-3\n"));
        assertArrayEquals(new int[] {0, 1, 5, 7, 8}, Cpus.parseList("0-1,5,7-8"));
        assertEquals(8, Cpus.highest("0-1,5,7-8"));
    }

    @Test
    void thisMachineHasPossibleCpus() {
        assertTrue(Cpus.possibleCount() >= Cpus.online().length);
    }
}
