package io.ebpf4j.map;

import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.SizeMismatchException;
import io.ebpf4j.SyscallException;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.features.FeatureStatus;
import io.ebpf4j.features.Features;
import io.ebpf4j.kernel.Cpus;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MapKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    private static byte[] le64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >> (8 * i));
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(value = MapType.class, mode = EnumSource.Mode.EXCLUDE, names = "UNSPEC")
    void createsEveryMapTypeThisKernelSupports(MapType type) {
        FeatureStatus probe = Features.mapType(type);
        Assumptions.assumeTrue(probe.supported(), () -> type + " is not supported here: " + probe.reason());
        MapSpec spec = Features.minimalSpec(type).withName("t_" + type.displayName());
        if (type == MapType.STRUCT_OPS) {
            // A real struct_ops map implements a kernel struct: its value type comes from vmlinux BTF.
            io.ebpf4j.btf.Btf vmlinux = io.ebpf4j.btf.Btf.loadKernel();
            int valueType = vmlinux.find("bpf_struct_ops_tcp_congestion_ops", io.ebpf4j.btf.BtfKind.STRUCT).orElseThrow();
            spec = MapSpec.of(type, 4, (int) vmlinux.sizeOf(valueType), 1).withName("t_struct_ops")
                    .withBtfVmlinuxValueType(valueType);
        }
        // Local storage maps take their key and value types from BTF; struct_ops maps need some BTF loaded too.
        LoadedBtf btf = Features.needsStorageBtf(type) || type == MapType.STRUCT_OPS
                ? LoadedBtf.load(Features.storageBtf()) : null;
        try (BpfMap m = BpfMap.create(spec, btf == null ? BpfMap.CreateOptions.DEFAULT
                : BpfMap.CreateOptions.DEFAULT.withBtfFd(btf.fd()))) {
            MapInfo info = m.info();
            assertEquals(type.value(), info.rawType());
            assertEquals(spec.keySize(), info.keySize());
            assertEquals(spec.valueSize(), info.valueSize());
            assertEquals(BpfMap.kernelName(spec.name()), info.name());
            assertTrue(BpfMap.ids().contains(info.id()));
        } finally {
            if (btf != null) {
                btf.close();
            }
        }
    }

    @Test
    void hashCrudWithFlags() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("crud"))) {
            assertTrue(m.lookup(le32(1)).isEmpty());
            m.update(le32(1), le64(100));
            assertArrayEquals(le64(100), m.lookup(le32(1)).orElseThrow());
            SyscallException exists = assertThrows(SyscallException.class,
                    () -> m.update(le32(1), le64(5), UpdateFlag.NOEXIST));
            assertEquals(Errno.EEXIST, exists.errno());
            SyscallException absent = assertThrows(SyscallException.class,
                    () -> m.update(le32(2), le64(5), UpdateFlag.EXIST));
            assertEquals(Errno.ENOENT, absent.errno());
            m.update(le32(1), le64(7), UpdateFlag.EXIST);
            assertArrayEquals(le64(7), m.lookup(le32(1)).orElseThrow());
            for (int i = 2; i <= 4; i++) {
                m.update(le32(i), le64(i));
            }
            SyscallException full = assertThrows(SyscallException.class, () -> m.update(le32(9), le64(9)));
            assertEquals(Errno.E2BIG, full.errno());
            assertTrue(full.getMessage().contains("full"), full.getMessage());
            Set<Integer> keys = new HashSet<>();
            for (byte[] k : m.keys()) {
                keys.add(MemorySegment.ofArray(k).get(Codec.NATIVE_INT, 0));
            }
            assertEquals(Set.of(1, 2, 3, 4), keys);
            assertTrue(m.delete(le32(1)));
            assertFalse(m.delete(le32(1)));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(8);
                assertTrue(m.lookupAndDelete(MemorySegment.ofArray(le32(2)), v));
                assertEquals(2L, v.get(ValueLayout.JAVA_LONG, 0));
                assertFalse(m.lookupAndDelete(MemorySegment.ofArray(le32(2)), v));
            }
        }
    }

    @Test
    void aLookupUserSpaceCannotMakeSaysWhy() {
        try (BpfMap pb = BpfMap.create(MapSpec.of(MapType.PERF_EVENT_ARRAY, 4, 4, 2).withName("pb"));
             BpfMap sm = BpfMap.create(MapSpec.of(MapType.SOCKMAP, 4, 4, 2).withName("sm"))) {
            SyscallException perf = assertThrows(SyscallException.class, () -> pb.lookup(le32(0)));
            assertTrue(perf.getMessage().contains("cannot read back"), perf.getMessage());
            SyscallException sock = assertThrows(SyscallException.class, () -> sm.lookup(le32(0)));
            assertEquals(Errno.ENOSPC, sock.errno(), sock.getMessage());
            assertTrue(sock.getMessage().contains("needs 8-byte values"), sock.getMessage());
        }
        assertTrue(MapType.SOCKMAP.unreadableValues(8).isEmpty());
        assertTrue(MapType.HASH.unreadableValues(4).isEmpty());
    }

    @Test
    void wrongSizesAreRefusedBeforeTheSyscall() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("sizes"))) {
            SizeMismatchException k = assertThrows(SizeMismatchException.class, () -> m.lookup(new byte[8]));
            assertEquals(4, k.expected());
            assertTrue(k.getMessage().contains("must be 4 bytes"), k.getMessage());
            SizeMismatchException v = assertThrows(SizeMismatchException.class, () -> m.update(le32(1), le32(1)));
            assertEquals(8, v.expected());
            assertThrows(SizeMismatchException.class, () -> m.typed(Codec.INT, Codec.INT));
        }
    }

    @Test
    void badCreateSaysWhichAttributeIsSuspicious() {
        SyscallException e = assertThrows(SyscallException.class,
                () -> BpfMap.create(MapSpec.of(MapType.ARRAY, 8, 8, 1).withName("bad")));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("key_size must be 4"), e.getMessage());
        assertTrue(e.getMessage().contains("BPF_MAP_CREATE"), e.getMessage());
    }

    @Test
    void typedViewAndArrays() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 3).withName("arr"))) {
            var t = m.typed(Codec.INT, Codec.LONG);
            assertEquals(0L, t.get(2).orElseThrow());
            t.put(2, 99L);
            assertEquals(99L, t.get(2).orElseThrow());
            assertTrue(t.get(3).isEmpty());
            assertEquals(3, t.entries().size());
            SyscallException e = assertThrows(SyscallException.class, () -> t.remove(1));
            assertTrue(e.getMessage().contains("cannot be deleted"), e.getMessage());
        }
    }

    @Test
    void perCpuValuesHaveOneSlotPerPossibleCpu() {
        int cpus = Cpus.possibleCount();
        for (MapType type : List.of(MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH)) {
            try (BpfMap m = BpfMap.create(MapSpec.of(type, 4, 4, 4).withName("pcpu"))) {
                assertEquals(cpus, m.cpuSlots());
                assertEquals(8 * cpus, m.valueBufferSize());
                List<byte[]> values = new ArrayList<>();
                for (int c = 0; c < cpus; c++) {
                    values.add(le32(1000 + c));
                }
                m.updatePerCpu(le32(1), values, UpdateFlag.ANY);
                List<byte[]> back = m.lookupPerCpu(le32(1)).orElseThrow();
                assertEquals(cpus, back.size());
                for (int c = 0; c < cpus; c++) {
                    assertArrayEquals(le32(1000 + c), back.get(c), type + " cpu " + c);
                }
                assertThrows(SizeMismatchException.class, () -> m.updatePerCpu(le32(1), List.of(le32(1)), UpdateFlag.ANY));
            }
        }
    }

    @Test
    void batchesWalkAndChangeWholeMaps() {
        int n = 10_000;
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, n).withName("batch"));
             Arena a = Arena.ofConfined()) {
            MemorySegment keys = a.allocate(4L * n);
            MemorySegment values = a.allocate(8L * n);
            for (int i = 0; i < n; i++) {
                keys.setAtIndex(ValueLayout.JAVA_INT, i, i);
                values.setAtIndex(ValueLayout.JAVA_LONG, i, i * 3L);
            }
            assertEquals(n, m.updateBatch(keys, values, n, UpdateFlag.ANY));
            MemorySegment outKeys = a.allocate(4L * 1000);
            MemorySegment outValues = a.allocate(8L * 1000);
            long sum = 0;
            int seen = 0;
            try (BatchCursor cursor = new BatchCursor(4)) {
                while (!cursor.isDone()) {
                    int got = m.lookupBatch(cursor, outKeys, outValues, 1000);
                    for (int i = 0; i < got; i++) {
                        int k = outKeys.getAtIndex(ValueLayout.JAVA_INT, i);
                        assertEquals(k * 3L, outValues.getAtIndex(ValueLayout.JAVA_LONG, i));
                        sum += k;
                    }
                    seen += got;
                }
            }
            assertEquals(n, seen);
            assertEquals((long) n * (n - 1) / 2, sum);
            assertEquals(100, m.deleteBatch(keys, 100));
            assertTrue(m.lookup(le32(5)).isEmpty());
            int drained = 0;
            try (BatchCursor cursor = new BatchCursor(4)) {
                while (!cursor.isDone()) {
                    drained += m.lookupAndDeleteBatch(cursor, outKeys, outValues, 1000);
                }
            }
            assertEquals(n - 100, drained);
            assertFalse(m.keys().iterator().hasNext());
        }
    }

    @Test
    void mmapAndFreeze() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 16).withName("mm").withFlags(MapFlags.MMAPABLE))) {
            MemorySegment mem = m.mmap();
            mem.setAtIndex(ValueLayout.JAVA_LONG, 5, 12345L);
            assertArrayEquals(le64(12345L), m.lookup(le32(5)).orElseThrow());
            m.update(le32(6), le64(777));
            assertEquals(777L, mem.getAtIndex(ValueLayout.JAVA_LONG, 6));
        }
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 2).withName("frz"))) {
            m.update(le32(0), le64(1));
            m.freeze();
            assertTrue(m.isFrozen());
            assertTrue(m.info().frozen());
            SyscallException e = assertThrows(SyscallException.class, () -> m.update(le32(0), le64(2)));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().contains("frozen"), e.getMessage());
            assertArrayEquals(le64(1), m.lookup(le32(0)).orElseThrow());
        }
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 2).withName("nomm"))) {
            assertThrows(io.ebpf4j.BpfException.class, m::mmap);
        }
    }

    @Test
    void pinReopenAndOpenById() throws Exception {
        Path root = Mounts.bpffs().resolve("ebpf4j-test-" + ProcessHandle.current().pid());
        Path pin = root.resolve("maps/pinned");
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("pinned"))) {
            m.update(le32(3), le64(33));
            m.pin(pin);
            assertTrue(Files.exists(pin));
            try (BpfMap again = BpfMap.openPinned(pin)) {
                assertEquals("pinned", again.name());
                assertEquals(MapType.HASH, again.type());
                assertArrayEquals(le64(33), again.lookup(le32(3)).orElseThrow());
                again.update(le32(4), le64(44));
            }
            assertArrayEquals(le64(44), m.lookup(le32(4)).orElseThrow());
            try (BpfMap byId = BpfMap.fromId(m.id())) {
                assertEquals(8, byId.valueSize());
            }
            try (BpfMap ro = BpfMap.openPinned(pin, true)) {
                SyscallException e = assertThrows(SyscallException.class, () -> ro.update(le32(1), le64(1)));
                assertEquals(Errno.EPERM, e.errno());
            }
            SyscallException dup = assertThrows(SyscallException.class, () -> m.pin(pin));
            assertEquals(Errno.EEXIST, dup.errno());
            // A pin the kernel refuses (bpffs names may not hold dots) takes back the directories made for it.
            Path refused = root.resolve("new/deeper/a.b");
            SyscallException dotted = assertThrows(SyscallException.class, () -> m.pin(refused));
            assertTrue(dotted.getMessage().contains("names with a dot"), dotted.getMessage());
            assertFalse(Files.exists(root.resolve("new")), "directories made for a refused pin are left");
            // A pinned object in the way of a directory is named.
            io.ebpf4j.BpfException blocked = assertThrows(io.ebpf4j.BpfException.class,
                    () -> m.pin(pin.resolve("below/x")));
            assertTrue(blocked.getMessage().contains(pin + " is in the way"), blocked.getMessage());
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(pin.getParent());
            Files.deleteIfExists(root);
        }
        SyscallException gone = assertThrows(SyscallException.class, () -> BpfMap.openPinned(pin));
        assertEquals(Errno.ENOENT, gone.errno());
        assertTrue(gone.getMessage().contains("nothing is pinned"), gone.getMessage());
    }

    @Test
    void pathsOutsideABpffsOrThatAreDirectoriesAreNamedAsSuch(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        assertTrue(io.ebpf4j.kernel.FsType.BPF.holds(Mounts.bpffs().toString()), "statfs of the bpffs");
        assertFalse(io.ebpf4j.kernel.FsType.BPF.holds(tmp.toString()));
        Path file = Files.writeString(tmp.resolve("not-a-pin"), "x");
        SyscallException notBpffs = assertThrows(SyscallException.class, () -> BpfMap.openPinned(file));
        assertTrue(notBpffs.getMessage().contains("not a bpffs"), notBpffs.getMessage());
        SyscallException dir = assertThrows(SyscallException.class, () -> BpfMap.openPinned(Mounts.bpffs()));
        assertTrue(dir.getMessage().contains("is a directory, not a pinned object"), dir.getMessage());
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1).withName("elsewhere"))) {
            SyscallException pin = assertThrows(SyscallException.class, () -> m.pin(tmp.resolve("sub/pin")));
            assertTrue(pin.getMessage().contains("not a bpffs"), pin.getMessage());
            assertFalse(Files.exists(tmp.resolve("sub")), "the directory made for the pin is left");
            // What was there before is not the pin's to remove, even a dangling link where a directory must go.
            Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nowhere"));
            assertThrows(io.ebpf4j.BpfException.class, () -> m.pin(dangling.resolve("sub/pin")));
            assertTrue(Files.isSymbolicLink(dangling), "a failed pin removed the user's link");
        }
    }

    @Test
    void queueStackBloomAndLpm() {
        try (BpfMap q = BpfMap.create(MapSpec.of(MapType.QUEUE, 0, 4, 4).withName("q"));
             BpfMap s = BpfMap.create(MapSpec.of(MapType.STACK, 0, 4, 4).withName("s"));
             Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(4);
            for (int i = 1; i <= 3; i++) {
                v.set(ValueLayout.JAVA_INT, 0, i);
                q.push(v);
                s.push(v);
            }
            assertTrue(q.peek(v));
            assertEquals(1, v.get(ValueLayout.JAVA_INT, 0));
            assertTrue(q.pop(v));
            assertEquals(1, v.get(ValueLayout.JAVA_INT, 0));
            assertTrue(s.pop(v));
            assertEquals(3, v.get(ValueLayout.JAVA_INT, 0));
            q.pop(v);
            q.pop(v);
            assertFalse(q.pop(v));
        }
        try (BpfMap b = BpfMap.create(MapSpec.of(MapType.BLOOM_FILTER, 0, 4, 100).withMapExtra(3).withName("bloom"));
             Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(4);
            v.set(ValueLayout.JAVA_INT, 0, 42);
            b.push(v);
            assertTrue(b.peek(v));
        }
        try (BpfMap lpm = BpfMap.create(MapSpec.of(MapType.LPM_TRIE, 8, 4, 16).withFlags(MapFlags.NO_PREALLOC).withName("lpm"))) {
            // key: u32 prefix length, then an IPv4 address; 10.0.0.0/8 -> 1
            lpm.update(new byte[] {8, 0, 0, 0, 10, 0, 0, 0}, le32(1));
            assertArrayEquals(le32(1), lpm.lookup(new byte[] {32, 0, 0, 0, 10, 1, 2, 3}).orElseThrow());
            assertTrue(lpm.lookup(new byte[] {32, 0, 0, 0, 11, 1, 2, 3}).isEmpty());
        }
    }

    @Test
    void mapInMapHoldsInnerMaps() {
        MapSpec innerSpec = MapSpec.of(MapType.ARRAY, 4, 4, 1);
        try (BpfMap outer = BpfMap.create(MapSpec.of(MapType.HASH_OF_MAPS, 4, 4, 4).withInnerMap(innerSpec).withName("outer"));
             BpfMap inner = BpfMap.create(innerSpec.withName("inner"))) {
            // A map of maps' write waits for an RCU grace period: it must not be a critical downcall.
            assertTrue(outer.writesMayBlock());
            assertFalse(inner.writesMayBlock());
            outer.update(le32(7), le32(inner.fd()));
            // Lookups of map-in-map values return the inner map's id.
            assertArrayEquals(le32(inner.id()), outer.lookup(le32(7)).orElseThrow());
            assertTrue(outer.delete(le32(7)));
            assertTrue(outer.lookup(le32(7)).isEmpty());
        }
        SyscallException e = assertThrows(SyscallException.class,
                () -> BpfMap.create(MapSpec.of(MapType.ARRAY_OF_MAPS, 4, 4, 1).withName("noinner")));
        assertTrue(e.getMessage().contains("needs an inner map"), e.getMessage());
    }

    @Test
    void numaNodeAndLru() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 4, 4).withNumaNode(0).withName("numa"))) {
            assertTrue((m.info().flags() & MapFlags.NUMA_NODE) != 0);
        }
        try (BpfMap lru = BpfMap.create(MapSpec.of(MapType.LRU_HASH, 4, 4, 64).withName("lru"))) {
            for (int i = 0; i < 1000; i++) {
                lru.update(le32(i), le32(i));
            }
            assertTrue(lru.lookup(le32(999)).isPresent(), "the newest key survives eviction");
        }
    }

    /**
     * Element calls use the scratch memory of the thread that makes them; a map remembers the last thread's. Four
     * threads taking turns on one map, each with its own keys, must each read back exactly what they wrote.
     */
    @Test
    void threadsTakingTurnsOnOneMapEachSeeTheirOwnElements() throws Exception {
        int threads = 4;
        int rounds = 2_000;
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, threads * rounds).withName("turns"))) {
            java.util.concurrent.CyclicBarrier turn = new java.util.concurrent.CyclicBarrier(threads);
            List<java.util.concurrent.Future<Integer>> done = new ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    done.add(pool.submit(() -> {
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
                            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
                            int checked = 0;
                            for (int i = 0; i < rounds; i++) {
                                int k = i * threads + id;
                                key.set(ValueLayout.JAVA_INT, 0, k);
                                value.set(ValueLayout.JAVA_LONG, 0, k * 31L + id);
                                m.update(key, value, UpdateFlag.NOEXIST);
                                if (i % 100 == 0) {
                                    turn.await(); // the threads interleave on the map throughout
                                }
                                value.set(ValueLayout.JAVA_LONG, 0, -1);
                                assertTrue(m.lookup(key, value), "key " + k);
                                assertEquals(k * 31L + id, value.get(ValueLayout.JAVA_LONG, 0), "value of key " + k);
                                checked++;
                            }
                            return checked;
                        }
                    }));
                }
                for (java.util.concurrent.Future<Integer> f : done) {
                    assertEquals(rounds, f.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            int count = 0;
            for (byte[] ignored : m.keys()) {
                count++;
            }
            assertEquals(threads * rounds, count, "every thread's keys are in the map");
        }
    }

    @Test
    void theQuietPathAnswersLikeTheLongWay() {
        // Native segments of the right sizes go to the kernel without errno capture; a failure is repeated with it.
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 2).withName("quiet"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            key.set(ValueLayout.JAVA_INT, 0, 1);
            value.set(ValueLayout.JAVA_LONG, 0, 10);
            m.update(key, value, UpdateFlag.ANY); // the first call takes the long way and remembers this thread
            value.set(ValueLayout.JAVA_LONG, 0, 11);
            m.update(key, value, UpdateFlag.ANY);
            value.set(ValueLayout.JAVA_LONG, 0, 0);
            assertTrue(m.lookup(key, value));
            assertEquals(11L, value.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0, m.loudLookups());
            assertTrue(m.takesQuietUpdates());

            value.set(ValueLayout.JAVA_LONG, 0, 99);
            SyscallException exists = assertThrows(SyscallException.class,
                    () -> m.update(key, value, UpdateFlag.NOEXIST));
            assertEquals(Errno.EEXIST, exists.errno());
            assertTrue(m.lookup(key, value));
            assertEquals(11L, value.get(ValueLayout.JAVA_LONG, 0)); // the failed update, made twice, changed nothing
            key.set(ValueLayout.JAVA_INT, 0, 2);
            m.update(key, value, UpdateFlag.ANY);
            key.set(ValueLayout.JAVA_INT, 0, 3);
            SyscallException full = assertThrows(SyscallException.class, () -> m.update(key, value, UpdateFlag.ANY));
            assertEquals(Errno.E2BIG, full.errno());
            assertTrue(full.getMessage().contains("full"), full.getMessage());

            // A miss is answered; the map's next lookups capture errno at once, so that the misses after it cost
            // one call each.
            value.set(ValueLayout.JAVA_LONG, 0, -1);
            assertFalse(m.lookup(key, value));
            assertEquals(-1L, value.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(BpfMap.LOUD_LOOKUPS_AFTER_MISS, m.loudLookups());
            assertFalse(m.lookup(key, value));
            assertEquals(BpfMap.LOUD_LOOKUPS_AFTER_MISS - 1, m.loudLookups());
            key.set(ValueLayout.JAVA_INT, 0, 1);
            for (int i = 1; i < BpfMap.LOUD_LOOKUPS_AFTER_MISS; i++) {
                assertTrue(m.lookup(key, value));
            }
            assertEquals(0, m.loudLookups());
            value.set(ValueLayout.JAVA_LONG, 0, 0);
            assertTrue(m.lookup(key, value)); // quiet again
            assertEquals(0, m.loudLookups());
            assertEquals(11L, value.get(ValueLayout.JAVA_LONG, 0));
        }
        // A lookup that fails for another reason than a missing key says so.
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 2).withName("wronly").withFlags(MapFlags.WRONLY));
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            m.update(key, value, UpdateFlag.ANY);
            m.update(key, value, UpdateFlag.ANY);
            SyscallException denied = assertThrows(SyscallException.class, () -> m.lookup(key, value));
            assertEquals(Errno.EPERM, denied.errno());
        }
        // Per-CPU values take the quiet path with one slot per possible CPU; LRU maps keep capturing on update.
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.PERCPU_ARRAY, 4, 8, 2).withName("qpcpu"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment values = arena.allocate(m.valueBufferSize());
            int cpus = Cpus.possibleCount();
            for (int c = 0; c < cpus; c++) {
                values.set(ValueLayout.JAVA_LONG, 8L * c, 100 + c);
            }
            key.set(ValueLayout.JAVA_INT, 0, 1);
            m.update(key, values, UpdateFlag.ANY);
            m.update(key, values, UpdateFlag.ANY);
            values.fill((byte) 0);
            assertTrue(m.lookup(key, values));
            for (int c = 0; c < cpus; c++) {
                assertEquals(100L + c, values.get(ValueLayout.JAVA_LONG, 8L * c));
            }
            key.set(ValueLayout.JAVA_INT, 0, 2); // out of range: E2BIG, from the repeated call
            SyscallException e = assertThrows(SyscallException.class, () -> m.update(key, values, UpdateFlag.ANY));
            assertEquals(Errno.E2BIG, e.errno());
        }
        try (BpfMap lru = BpfMap.create(MapSpec.of(MapType.LRU_HASH, 4, 8, 16).withName("qlru"))) {
            assertFalse(lru.takesQuietUpdates());
        }
        // So does an update of a frozen map, on the quiet path.
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 8, 2).withName("qfrz"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            m.update(key, value, UpdateFlag.ANY);
            m.freeze();
            SyscallException e = assertThrows(SyscallException.class, () -> m.update(key, value, UpdateFlag.ANY));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().contains("frozen"), e.getMessage());
        }
    }

    @Test
    void aClosedMapRefusesElementCalls() {
        BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("closed"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            m.update(key, value, UpdateFlag.ANY);
            m.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.lookup(key, value));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> m.update(key, value, UpdateFlag.ANY));
        }
    }

    @Test
    void keyAndValueSegmentsMustBeOpenOwnedAndWritable() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("segs"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            key.set(ValueLayout.JAVA_INT, 0, 7);
            value.set(ValueLayout.JAVA_LONG, 0, 70);
            m.update(key, value, UpdateFlag.ANY);

            Arena gone = Arena.ofConfined();
            MemorySegment closedKey = gone.allocate(ValueLayout.JAVA_INT);
            MemorySegment closedValue = gone.allocate(ValueLayout.JAVA_LONG);
            gone.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.lookup(closedKey, value));
            assertTrue(e.getMessage().contains("key segment") && e.getMessage().contains("already closed"),
                    e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> m.lookup(key, closedValue));
            assertTrue(e.getMessage().contains("value segment") && e.getMessage().contains("'segs'"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> m.update(key, closedValue, UpdateFlag.ANY));
            assertThrows(IllegalStateException.class, () -> m.delete(closedKey));
            assertThrows(IllegalStateException.class, () -> m.nextKey(null, closedKey));

            // A confined segment used from another thread.
            var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                Throwable t = pool.submit(() -> {
                    try (Arena own = Arena.ofConfined()) {
                        MemorySegment v = own.allocate(ValueLayout.JAVA_LONG);
                        return assertThrows(WrongThreadException.class, () -> m.lookup(key, v));
                    }
                }).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(t.getMessage().contains("key segment") && t.getMessage().contains("another thread"),
                        t.getMessage());
            } finally {
                pool.shutdownNow();
            }

            // The kernel writes a looked-up value: a read-only one is refused before the call, and a lookup-and-
            // delete into it loses nothing.
            MemorySegment readOnly = value.asReadOnly();
            IllegalArgumentException ro = assertThrows(IllegalArgumentException.class, () -> m.lookup(key, readOnly));
            assertTrue(ro.getMessage().contains("read-only"), ro.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.lookupAndDelete(key, readOnly));
            assertTrue(m.lookup(key, value));
            assertEquals(70L, value.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void batchBuffersAndCursorMustBeOpenAndWritable() {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 16).withName("bsegs"));
             Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate(4L * 16);
            MemorySegment values = arena.allocate(8L * 16);
            Arena gone = Arena.ofConfined();
            MemorySegment closedKeys = gone.allocate(4L * 16);
            gone.close();
            try (BatchCursor cursor = new BatchCursor(4)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> m.lookupBatch(cursor, closedKeys, values, 16));
                assertTrue(e.getMessage().contains("keys segment"), e.getMessage());
                IllegalArgumentException ro = assertThrows(IllegalArgumentException.class,
                        () -> m.lookupBatch(cursor, keys, values.asReadOnly(), 16));
                assertTrue(ro.getMessage().contains("values segment"), ro.getMessage());
            }
            BatchCursor closed = new BatchCursor(4);
            closed.close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.lookupBatch(closed, keys, values, 16));
            assertTrue(e.getMessage().contains("cursor"), e.getMessage());
        }
    }
}
