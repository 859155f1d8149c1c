package io.ebpf4j.features;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.Helpers;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What KERNEL.md says this 6.18 kernel has, checked through the probes. */
class FeaturesKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void programTypesThisKernelHas() {
        for (ProgramType t : new ProgramType[] {ProgramType.SOCKET_FILTER, ProgramType.XDP, ProgramType.SCHED_CLS,
                ProgramType.TRACEPOINT, ProgramType.RAW_TRACEPOINT, ProgramType.CGROUP_SKB, ProgramType.SYSCALL,
                ProgramType.SK_MSG, ProgramType.NETFILTER, ProgramType.CGROUP_SOCK_ADDR, ProgramType.SK_LOOKUP}) {
            FeatureStatus s = Features.programType(t);
            assertTrue(s.supported(), t + ": " + s.reason());
        }
        FeatureStatus unspec = Features.programType(ProgramType.UNSPEC);
        assertFalse(unspec.supported());
        assertFalse(unspec.reason().isEmpty());
    }

    @Test
    void mapTypesThisKernelHas() {
        for (MapType t : new MapType[] {MapType.HASH, MapType.RINGBUF, MapType.ARRAY_OF_MAPS, MapType.USER_RINGBUF,
                MapType.TASK_STORAGE, MapType.CGROUP_STORAGE, MapType.STRUCT_OPS, MapType.LPM_TRIE}) {
            FeatureStatus s = Features.mapType(t);
            assertTrue(s.supported(), t + ": " + s.reason());
        }
    }

    /** Arenas are not in KERNEL.md's list: some 6.18 builds refuse them even to root, and the probe must say so. */
    @Test
    void arenaIsAvailableOrTheProbeSaysWhy() {
        FeatureStatus s = Features.mapType(MapType.ARENA);
        if (!s.supported()) {
            assertTrue(s.reason().startsWith("MAP_CREATE: E"), s.reason());
            if (s.reason().startsWith("MAP_CREATE: EPERM")) {
                assertTrue(s.reason().contains("forbids this type"), s.reason());
            }
            Assumptions.abort("this kernel refuses ARENA maps: " + s.reason());
        }
        assertTrue(s.reason().isEmpty(), s.reason());
    }

    @Test
    void helpersPerProgramType() {
        int lookup = Helpers.id("bpf_map_lookup_elem").orElseThrow();
        assertEquals(1, lookup);
        assertTrue(Features.helper(ProgramType.XDP, lookup).supported());
        int redirect = Helpers.id("redirect").orElseThrow();
        assertTrue(Features.helper(ProgramType.XDP, redirect).supported());
        // A socket filter may not redirect packets: the verifier says so and the probe reports it.
        FeatureStatus no = Features.helper(ProgramType.SOCKET_FILTER, redirect);
        assertFalse(no.supported());
        assertTrue(no.reason().contains("not allowed"), no.reason());
        FeatureStatus unknown = Features.helper(ProgramType.XDP, Helpers.maxId() + 1000);
        assertFalse(unknown.supported());
        assertTrue(unknown.reason().contains("does not know"), unknown.reason());
    }

    @Test
    void miscFeaturesAndCaching() {
        for (MiscFeature f : MiscFeature.values()) {
            FeatureStatus s = Features.misc(f);
            assertTrue(s.supported(), f + ": " + s.reason());
        }
        assertSame(Features.misc(MiscFeature.BTF), Features.misc(MiscFeature.BTF));
    }
}
