package io.ebpf4j.map;

import io.ebpf4j.SizeMismatchException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MapSpecTest {
    @Test
    void problemsNameTheSuspiciousAttribute() {
        assertTrue(MapType.ARRAY.problems(MapSpec.of(MapType.ARRAY, 8, 8, 1)).get(0).contains("key_size must be 4"));
        assertTrue(MapType.RINGBUF.problems(MapSpec.of(MapType.RINGBUF, 0, 0, 1000)).get(0).contains("power of two"));
        assertTrue(MapType.LPM_TRIE.problems(MapSpec.of(MapType.LPM_TRIE, 8, 8, 1)).get(0).contains("NO_PREALLOC"));
        assertTrue(MapType.HASH_OF_MAPS.problems(MapSpec.of(MapType.HASH_OF_MAPS, 4, 4, 1)).get(0).contains("inner map"));
        assertTrue(MapType.HASH.problems(MapSpec.of(MapType.HASH, 4, 4, 0)).get(0).contains("max_entries"));
        assertTrue(MapType.HASH.problems(MapSpec.of(MapType.HASH, 4, 8, 10)).isEmpty());
    }

    @Test
    void withersKeepTheRest() {
        MapSpec s = MapSpec.of(MapType.HASH, 4, 8, 10).withName("x").withFlags(MapFlags.NO_PREALLOC).withNumaNode(0);
        assertEquals("x", s.name());
        assertEquals(MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE, s.flags());
        assertEquals(0, s.numaNode());
        assertEquals(10, s.maxEntries());
    }

    @Test
    void kernelNamesAreShortAndClean() {
        assertEquals("abc_def.x", BpfMap.kernelName("abc-def.x"));
        assertEquals(15, BpfMap.kernelName("a_very_long_map_name_indeed").length());
    }

    public record Point(byte tag, int x, long y, short z) {
    }

    @Test
    void recordCodecLaysOutLikeC() {
        Codec<Point> c = Codec.ofRecord(Point.class);
        assertEquals(24, c.size()); // tag@0, x@4, y@8, z@16, padded to 24
        try (Arena a = Arena.ofConfined()) {
            var seg = a.allocate(c.size());
            c.encode(new Point((byte) 7, 42, -1L, (short) 3), seg);
            assertEquals(42, seg.get(Codec.NATIVE_INT, 4));
            assertEquals(3, seg.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 16));
            assertEquals(new Point((byte) 7, 42, -1L, (short) 3), c.decode(seg));
        }
        assertThrows(SizeMismatchException.class, () -> Codec.bytes(4).encode(new byte[3], null));
    }
}
