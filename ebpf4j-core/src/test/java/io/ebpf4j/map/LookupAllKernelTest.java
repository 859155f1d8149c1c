package io.ebpf4j.map;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.testing.OpenFds;
import io.ebpf4j.SizeMismatchException;
import io.ebpf4j.kernel.Cpus;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link BpfMap#lookupAll}: the kernel walk, its fallbacks to batches and to keys, and its errors. */
class LookupAllKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static void fill(BpfMap m, int n, long mul) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(m.keySize());
            MemorySegment v = a.allocate(m.valueBufferSize());
            for (int i = 0; i < n; i++) {
                k.set(JAVA_INT, 0, i);
                for (int c = 0; c < m.cpuSlots(); c++) {
                    v.set(JAVA_LONG, (long) c * ((m.valueSize() + 7) & ~7), i * mul + c);
                }
                m.update(k, v);
            }
        }
    }

    /** Reads the map with lookupAll into exactly-sized native buffers; key → first 8 bytes of the value. */
    private static Map<Integer, Long> readAll(BpfMap m, int room) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment keys = a.allocate((long) room * m.keySize());
            MemorySegment values = a.allocate((long) room * m.valueBufferSize());
            int n = m.lookupAll(keys, values);
            Map<Integer, Long> out = new HashMap<>();
            for (int i = 0; i < n; i++) {
                out.put(keys.get(JAVA_INT, (long) i * m.keySize()),
                        values.get(JAVA_LONG, (long) i * m.valueBufferSize()));
            }
            assertEquals(n, out.size(), "every key once");
            return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HASH", "LRU_HASH"})
    void hashMapsAreWalkedInTheKernel(String typeName) {
        MapType type = MapType.valueOf(typeName);
        try (BpfMap m = BpfMap.create(MapSpec.of(type, 4, 8, 20_000).withName("walk_hash"))) {
            fill(m, 10_000, 3);
            Map<Integer, Long> got = readAll(m, 20_000);
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, m.lastWalkMethod, m::walkRefused);
            assertEquals(10_000, got.size());
            for (int i = 0; i < 10_000; i++) {
                assertEquals(i * 3L, got.get(i), "key " + i);
            }
            // Changes show in the next walk (the walk's arrays are reused, not stale).
            try (Arena a = Arena.ofConfined()) {
                MemorySegment k = a.allocate(4);
                k.set(JAVA_INT, 0, 7);
                assertTrue(m.delete(k));
            }
            Map<Integer, Long> again = readAll(m, 20_000);
            assertEquals(9_999, again.size());
            assertTrue(!again.containsKey(7));
        }
    }

    @Test
    void anArrayGivesEveryIndexAndAnEmptyHashNothing() {
        try (BpfMap arr = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 1000).withName("walk_arr"));
             BpfMap empty = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 100).withName("walk_empty"))) {
            fill(arr, 500, 5);
            Map<Integer, Long> got = readAll(arr, 1000);
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, arr.lastWalkMethod);
            assertEquals(1000, got.size());
            for (int i = 0; i < 1000; i++) {
                assertEquals(i < 500 ? i * 5L : 0L, got.get(i), "index " + i);
            }
            assertEquals(0, readAll(empty, 100).size());
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, empty.lastWalkMethod);
        }
    }

    @Test
    void oddSizesAndHeapBuffersComeBackByteForByte() {
        int keySize = 6;
        int valueSize = 13;
        int n = 1500; // three output slots' worth and a part
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, keySize, valueSize, 2000).withName("walk_odd"))) {
            Map<String, byte[]> want = new HashMap<>();
            for (int i = 0; i < n; i++) {
                byte[] k = new byte[keySize];
                byte[] v = new byte[valueSize];
                for (int b = 0; b < 4; b++) {
                    k[b] = (byte) (b * 7 + 1);
                }
                k[4] = (byte) i;
                k[5] = (byte) (i >> 8);
                for (int b = 0; b < valueSize; b++) {
                    v[b] = (byte) (i * 31 + b);
                }
                m.update(k, v);
                want.put(java.util.HexFormat.of().formatHex(k), v);
            }
            byte[] keys = new byte[2000 * keySize];
            byte[] values = new byte[2000 * valueSize];
            int got = m.lookupAll(MemorySegment.ofArray(keys), MemorySegment.ofArray(values));
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, m.lastWalkMethod, m::walkRefused);
            assertEquals(want.size(), got);
            for (int i = 0; i < got; i++) {
                byte[] k = java.util.Arrays.copyOfRange(keys, i * keySize, (i + 1) * keySize);
                byte[] v = java.util.Arrays.copyOfRange(values, i * valueSize, (i + 1) * valueSize);
                assertArrayEquals(want.get(java.util.HexFormat.of().formatHex(k)), v, "element " + i);
            }
        }
    }

    @Test
    void tooSmallBuffersSayHowManyThereAreWhicheverWayTheMapIsRead() {
        try (BpfMap hash = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 1000).withName("walk_small"));
             BpfMap percpu = BpfMap.create(MapSpec.of(MapType.PERCPU_HASH, 4, 8, 1000).withName("walk_pc_small"));
             Arena a = Arena.ofConfined()) {
            fill(hash, 300, 1);
            fill(percpu, 300, 1);
            for (BpfMap m : new BpfMap[]{hash, percpu}) {
                MemorySegment keys = a.allocate(100L * m.keySize());
                MemorySegment values = a.allocate(1000L * m.valueBufferSize());
                SizeMismatchException e = assertThrows(SizeMismatchException.class, () -> m.lookupAll(keys, values));
                assertEquals(300L * m.keySize(), e.expected(), e.getMessage());
                assertTrue(e.getMessage().contains("holds 300 elements"), e.getMessage());
                assertTrue(e.getMessage().contains("keys buffer"), e.getMessage());
                // Room for all of them after all: the same map reads in full.
                assertEquals(300, readAll(m, 300).size());
            }
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, hash.lastWalkMethod);
            assertEquals(BpfMap.WalkMethod.BATCH, percpu.lastWalkMethod);
        }
    }

    @Test
    void perCpuMapsAreReadByBatchesWithEveryCpusValue() {
        int cpus = Cpus.possibleCount();
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.PERCPU_HASH, 4, 8, 5000).withName("walk_pc"));
             Arena a = Arena.ofConfined()) {
            fill(m, 3000, 10);
            MemorySegment keys = a.allocate(5000L * 4);
            MemorySegment values = a.allocate(5000L * m.valueBufferSize());
            assertEquals(3000, m.lookupAll(keys, values));
            assertEquals(BpfMap.WalkMethod.BATCH, m.lastWalkMethod);
            for (int i = 0; i < 3000; i++) {
                int key = keys.get(JAVA_INT, i * 4L);
                for (int c = 0; c < cpus; c++) {
                    assertEquals(key * 10L + c, values.get(JAVA_LONG, (long) i * m.valueBufferSize() + c * 8L));
                }
            }
        }
    }

    @Test
    void aMapWithoutBatchOperationsIsReadKeyByKey() {
        // A device map has keys but no batch operations (BPF_MAP_LOOKUP_BATCH answers ENOTSUPP); its values are
        // interface indexes, here the loopback's.
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.DEVMAP, 4, 4, 8).withName("walk_devmap"));
             Arena a = Arena.ofConfined()) {
            for (int i : new int[]{1, 3, 5}) {
                m.update(MapKernelTest.le32(i), MapKernelTest.le32(1));
            }
            MemorySegment keys = a.allocate(8L * 4);
            MemorySegment values = a.allocate(8L * 4);
            assertEquals(3, m.lookupAll(keys, values));
            assertEquals(BpfMap.WalkMethod.KEYS, m.lastWalkMethod);
            for (int i = 0; i < 3; i++) {
                assertEquals(2 * i + 1, keys.get(JAVA_INT, i * 4L));
                assertEquals(1, values.get(JAVA_INT, i * 4L));
            }
            SizeMismatchException e = assertThrows(SizeMismatchException.class,
                    () -> m.lookupAll(keys.asSlice(0, 8), values));
            assertTrue(e.getMessage().contains("holds 3 elements"), e.getMessage());
            List<Integer> seen = new ArrayList<>();
            m.forEach((k, v) -> seen.add(k.get(JAVA_INT, 0)));
            assertEquals(List.of(1, 3, 5), seen, "forEach falls back to keys too");
            List<Integer> entries = new ArrayList<>();
            for (Map.Entry<byte[], byte[]> element : m.entries()) {
                entries.add(MemorySegment.ofArray(element.getKey()).get(JAVA_INT_UNALIGNED, 0));
                assertArrayEquals(MapKernelTest.le32(1), element.getValue());
            }
            assertEquals(List.of(1, 3, 5), entries, "and so do entries()");
        }
    }

    @Test
    void anArrayOfMapsWithEmptySlotsIsReadKeyByKeyEverywhere() {
        // Its batch walk would stop at the first empty slot with EINTR; key by key skips the empty slots.
        MapSpec innerSpec = MapSpec.of(MapType.ARRAY, 4, 4, 1);
        try (BpfMap outer = BpfMap.create(MapSpec.of(MapType.ARRAY_OF_MAPS, 4, 4, 6).withInnerMap(innerSpec)
                .withName("walk_aom"));
             BpfMap inner = BpfMap.create(innerSpec.withName("walk_inner"));
             Arena a = Arena.ofConfined()) {
            outer.update(MapKernelTest.le32(2), MapKernelTest.le32(inner.fd()));
            outer.update(MapKernelTest.le32(4), MapKernelTest.le32(inner.fd()));
            MemorySegment keys = a.allocate(6L * 4);
            MemorySegment values = a.allocate(6L * 4);
            assertEquals(2, outer.lookupAll(keys, values));
            assertEquals(BpfMap.WalkMethod.KEYS, outer.lastWalkMethod);
            assertEquals(2, keys.get(JAVA_INT, 0));
            assertEquals(4, keys.get(JAVA_INT, 4));
            assertEquals(inner.id(), values.get(JAVA_INT, 0), "an inner map's id");
            List<Integer> seen = new ArrayList<>();
            outer.forEach((k, v) -> seen.add(k.get(JAVA_INT, 0)));
            for (Map.Entry<byte[], byte[]> element : outer.entries()) {
                seen.add(MemorySegment.ofArray(element.getKey()).get(JAVA_INT_UNALIGNED, 0));
            }
            assertEquals(List.of(2, 4, 2, 4), seen);
        }
    }

    @Test
    void heapBuffersNameTheOneThatIsShort() {
        // Staged through native memory on the batch and key paths; the error still names the caller's buffer.
        try (BpfMap pc = BpfMap.create(MapSpec.of(MapType.PERCPU_HASH, 4, 8, 64).withName("walk_heap_pc"));
             BpfMap dev = BpfMap.create(MapSpec.of(MapType.DEVMAP, 4, 4, 8).withName("walk_heap_dev"))) {
            fill(pc, 20, 1);
            for (int i = 0; i < 5; i++) {
                dev.update(MapKernelTest.le32(i), MapKernelTest.le32(1));
            }
            for (BpfMap m : new BpfMap[]{pc, dev}) {
                int have = m == pc ? 20 : 5;
                byte[] keys = new byte[64 * m.keySize()];
                byte[] values = new byte[(have - 1) * m.valueBufferSize()];
                SizeMismatchException e = assertThrows(SizeMismatchException.class,
                        () -> m.lookupAll(MemorySegment.ofArray(keys), MemorySegment.ofArray(values)));
                assertTrue(e.getMessage().contains("the values buffer"), e.getMessage());
                assertEquals((long) have * m.valueBufferSize(), e.expected(), e.getMessage());
                assertEquals(values.length, e.actual());
                byte[] enough = new byte[have * m.valueBufferSize()];
                assertEquals(have, m.lookupAll(MemorySegment.ofArray(keys), MemorySegment.ofArray(enough)));
            }
            assertEquals(BpfMap.WalkMethod.KEYS, dev.lastWalkMethod);
            assertEquals(BpfMap.WalkMethod.BATCH, pc.lastWalkMethod);
        }
    }

    @Test
    void keylessAndClosedMapsAreRefusedPlainly() {
        try (BpfMap q = BpfMap.create(MapSpec.of(MapType.QUEUE, 0, 8, 4).withName("walk_queue"));
             Arena a = Arena.ofConfined()) {
            var e = assertThrows(io.ebpf4j.BpfException.class, () -> q.lookupAll(a.allocate(8), a.allocate(64)));
            assertTrue(e.getMessage().contains("pop() or peek()"), e.getMessage());
        }
        BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 16).withName("walk_closed"));
        m.close();
        long before = OpenFds.count();
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalStateException.class, () -> m.lookupAll(a.allocate(64), a.allocate(128)));
        }
        assertEquals(before, OpenFds.count());
    }

    @Test
    void forEachReadsInBatchesAndSeesEveryElement() {
        int n = 3 * BpfMap.FOR_EACH_CHUNK + 7;
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 2 * n).withName("walk_foreach"))) {
            fill(m, n, 11);
            Map<Integer, Long> seen = new HashMap<>();
            m.forEach((k, v) -> seen.put(k.get(JAVA_INT, 0), v.get(JAVA_LONG, 0)));
            assertEquals(n, seen.size());
            for (int i = 0; i < n; i++) {
                assertEquals(i * 11L, seen.get(i), "key " + i);
            }
        }
    }

    @Test
    void entriesAreCopiesReadInBatchesAndMayBeLeftUnfinished() {
        int n = 2 * BpfMap.FOR_EACH_CHUNK + 5;
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.PERCPU_HASH, 4, 8, 2 * n).withName("walk_entries"))) {
            fill(m, n, 13);
            Map<Integer, byte[]> seen = new HashMap<>();
            for (Map.Entry<byte[], byte[]> e : m.entries()) {
                assertEquals(4, e.getKey().length);
                assertEquals(m.valueBufferSize(), e.getValue().length, "every CPU's value");
                seen.put(MemorySegment.ofArray(e.getKey()).get(JAVA_INT_UNALIGNED, 0), e.getValue());
            }
            assertEquals(n, seen.size());
            for (int i = 0; i < n; i++) {
                MemorySegment v = MemorySegment.ofArray(seen.get(i));
                for (int c = 0; c < m.cpuSlots(); c++) {
                    assertEquals(i * 13L + c, v.get(JAVA_LONG_UNALIGNED, c * 8L), "key " + i + " CPU " + c);
                }
            }
            var it = m.entries().iterator();
            assertTrue(it.hasNext());
            byte[] first = it.next().getKey();
            first[0] ^= 1; // a copy: changing it changes nothing in the map or the iterator
            assertTrue(it.hasNext());
            assertEquals(n, seen.size());
            var empty = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("walk_none"));
            try (empty) {
                assertTrue(!empty.entries().iterator().hasNext());
                assertThrows(java.util.NoSuchElementException.class, () -> empty.entries().iterator().next());
            }
        }
    }

    @Test
    void valuesWithSpecialFieldsAreNeverCopiedByTheWalk() {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("walk_maps")));
             Arena a = Arena.ofConfined()) {
            Map<String, String> field = Map.of("with_lock", "bpf_spin_lock", "with_timer", "bpf_timer",
                    "with_kptr", "kptr");
            for (String name : field.keySet()) {
                BpfMap m = obj.map(name);
                byte[] key = {1, 0, 0, 0};
                m.update(key, new byte[m.valueSize()]);
                MemorySegment keys = a.allocate(64L * m.keySize());
                MemorySegment values = a.allocate(64L * m.valueBufferSize());
                assertEquals(1, m.lookupAll(keys, values), name);
                assertEquals(BpfMap.WalkMethod.BATCH, m.lastWalkMethod,
                        name + ": the verifier refuses the walk over its special field");
                assertTrue(m.walkRefused().contains(field.get(name)), m.walkRefused());
            }
            BpfMap plain = obj.map("typed_plain");
            byte[] key = {9, 0, 0, 0, 0, 0, 0, 0};
            byte[] value = {1, 2, 3, 4, 5, 6, 7};
            plain.update(key, value);
            MemorySegment keys = a.allocate(64L * 8);
            MemorySegment values = a.allocate(64L * 7);
            assertEquals(1, plain.lookupAll(keys, values));
            assertEquals(BpfMap.WalkMethod.KERNEL_WALK, plain.lastWalkMethod, "BTF alone does not stop the walk");
            assertArrayEquals(value, values.asSlice(0, 7).toArray(JAVA_BYTE));
        }
    }

    @Test
    void theWalkLeavesNoDescriptorBehind() {
        long before = OpenFds.count();
        for (int i = 0; i < 50; i++) {
            try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 600).withName("walk_leak"))) {
                fill(m, 10, 1);
                assertEquals(10, readAll(m, 10).size());
                assertEquals(10, readAll(m, 600).size()); // the same walk, its arrays reused
                assertEquals(BpfMap.WalkMethod.KERNEL_WALK, m.lastWalkMethod, m::walkRefused);
            }
        }
        assertEquals(before, OpenFds.count());
    }

}
