package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.testing.OpenFds;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.Codec;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Objects that clang built, loaded and run in the real kernel. */
class BpfObjectKernelTest {
    private static final int XDP_PASS = 2;
    private Path pinRoot;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @BeforeEach
    void pins() {
        pinRoot = Mounts.bpffs().resolve("ebpf4j-test-obj-" + ProcessHandle.current().pid());
    }

    @AfterEach
    void removePins() throws IOException {
        deleteTree(pinRoot);
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private BpfObject.Options options() {
        return BpfObject.Options.defaults().withPinRoot(pinRoot);
    }

    @Test
    void programsRunWithSubprogramsMapsAndGlobalData() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        spec.setVariable("multiplier", 5); // .rodata, set before load
        try (BpfObject obj = BpfObject.load(spec, options())) {
            assertEquals(List.of("prog_xdp", "prog_xdp_second", "prog_tc"), List.copyOf(obj.programs().keySet()),
                    "SEC(\"?tc\") prog_off is not loaded");
            Program xdp = obj.program("prog_xdp");
            assertEquals(XDP_PASS, xdp.testRun(TestRun.withData(new byte[64])).retval());
            // counts[0] += add_one(multiplier) = triple(5) + 1
            assertEquals(16L, obj.map("counts").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
            assertEquals(1L, obj.variableLong("hits"), ".bss counter read through the mmap");
            xdp.testRun(TestRun.withData(new byte[64]).repeat(4));
            assertEquals(5L, obj.variableLong("hits"));
            assertEquals(5L * 16, obj.map("counts").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());

            assertEquals(XDP_PASS, obj.program("prog_xdp_second").testRun(TestRun.withData(new byte[64])).retval());

            obj.program("prog_tc").testRun(TestRun.withData(new byte[100]));
            // total starts at 7 (.data) and grows by plus_two(skb->len); tc sees the whole frame.
            assertEquals(7L + 100 + 2, obj.variableLong("total"));
            assertEquals(5, ByteBuffer.wrap(obj.readVariable("multiplier")).order(ByteOrder.nativeOrder()).getInt());
            assertTrue(obj.map("objects.rodata").isFrozen());
            assertTrue(Files.exists(pinRoot.resolve("pinned_hash")), "LIBBPF_PIN_BY_NAME pins under the pin root");
        }
    }

    @Test
    void parallelAndSequentialLoadsGiveTheSameProgramsInDefinitionOrder() {
        for (int threads : new int[] {1, 2, 0}) {
            try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("objects")),
                    options().withLoadThreads(threads))) {
                assertEquals(List.of("prog_xdp", "prog_xdp_second", "prog_tc"), List.copyOf(obj.programs().keySet()),
                        "loadThreads " + threads);
                assertEquals(XDP_PASS, obj.program("prog_xdp").testRun(TestRun.withData(new byte[64])).retval());
                assertEquals(XDP_PASS, obj.program("prog_xdp_second").testRun(TestRun.withData(new byte[64])).retval());
                assertEquals(1L, obj.variableLong("hits"), "loadThreads " + threads);
            }
        }
    }

    @Test
    void rodataChangesTheResult() {
        for (int m : new int[] {1, 10}) {
            ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
            spec.setVariable("multiplier", m);
            try (BpfObject obj = BpfObject.load(spec, options())) {
                obj.program("prog_xdp").testRun(TestRun.withData(new byte[64]));
                assertEquals(3L * m + 1, obj.map("counts").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
            }
        }
    }

    @Test
    void autoloadCanBeChangedBeforeLoad() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        spec.program("prog_off").orElseThrow().autoload(true);
        spec.program("prog_xdp_second").orElseThrow().autoload(false);
        try (BpfObject obj = BpfObject.load(spec, options())) {
            assertEquals(1, obj.program("prog_off").testRun(TestRun.withData(new byte[64])).retval());
            assertTrue(obj.findProgram("prog_xdp_second").isEmpty());
        }
    }

    @Test
    void pinnedMapsAreReusedWhenCompatibleAndRefusedWhenNot() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        try (BpfObject first = BpfObject.load(spec, options())) {
            first.map("pinned_hash").update(new byte[4], new byte[] {9, 0, 0, 0});
            try (BpfObject second = BpfObject.load(ObjectSpec.read(BpfC.object("objects")), options())) {
                assertArrayEquals(new byte[] {9, 0, 0, 0}, second.map("pinned_hash").lookup(new byte[4]).orElseThrow(),
                        "the second object shares the pinned map");
            }
        }
        ObjectSpec bigger = ObjectSpec.read(BpfC.object("objects"));
        MapDef def = bigger.map("pinned_hash").orElseThrow();
        def.spec(def.spec().withMaxEntries(256));
        BpfException e = assertThrows(BpfException.class, () -> BpfObject.load(bigger, options()));
        assertTrue(e.getMessage().contains("max_entries 128 vs 256"), e.getMessage());
    }

    @Test
    void legacyAndIproute2MapsWithTheirPins() {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("legacy_maps")), options())) {
            assertEquals(0, obj.program("cls").testRun(TestRun.withData(new byte[64])).retval());
            assertEquals(1L, obj.map("legacy_counts").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
            assertTrue(Files.exists(pinRoot.resolve("tc/globals/tc_global")));
            assertTrue(Files.exists(pinRoot.resolve("tc/legacy_maps/tc_local")));
        }
    }

    /** 0: programs verified in parallel (the default), 1: one after another. */
    @org.junit.jupiter.params.ParameterizedTest(name = "loadThreads {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1})
    void aFailedLoadClosesWhatItMadeAndNamesTheProgram(int loadThreads) throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        // The unsafe program is refused by the verifier after the maps and the earlier programs were created.
        spec.program("prog_unsafe").orElseThrow().autoload(true);
        List<Integer> before = BpfMap.ids();
        long fds = OpenFds.count();
        BpfObject.Options options = options().withLoadThreads(loadThreads);
        io.ebpf4j.VerifierException e = assertThrows(io.ebpf4j.VerifierException.class, () -> BpfObject.load(spec, options));
        assertFalse(Files.exists(pinRoot.resolve("pinned_hash")), "the pin made by the failed load is removed");
        assertEquals("prog_unsafe", e.program());
        assertTrue(e.getMessage().contains("object 'objects', section '?socket'"), e.getMessage());
        assertTrue(e.getMessage().contains("map_value_or_null"), e.getMessage());
        assertTrue(e.getMessage().contains("  > "), "the disassembly marks the failing instruction: " + e.getMessage());
        assertEquals(fds, OpenFds.count());
        // Maps created for the object are gone (freed asynchronously by the kernel: allow a moment). Other
        // processes may create maps meanwhile, so only maps with this object's names count.
        java.util.Set<String> ours = new java.util.HashSet<>();
        spec.maps().keySet().forEach(n -> ours.add(BpfMap.kernelName(n)));
        List<String> leftover = objectMapsSince(before, ours);
        for (int i = 0; i < 50 && !leftover.isEmpty(); i++) {
            sleep();
            leftover = objectMapsSince(before, ours);
        }
        assertTrue(leftover.isEmpty(), "maps left behind: " + leftover);
    }

    private static List<String> objectMapsSince(List<Integer> before, java.util.Set<String> names) {
        List<String> found = new ArrayList<>();
        for (int id : BpfMap.ids()) {
            if (before.contains(id)) {
                continue;
            }
            try (BpfMap m = BpfMap.fromId(id)) {
                if (names.contains(m.info().name())) {
                    found.add(id + ":" + m.info().name());
                }
            } catch (io.ebpf4j.SyscallException gone) {
                // freed between listing and opening
            }
        }
        return found;
    }

    private static void sleep() {
        try {
            TimeUnit.MILLISECONDS.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }


    /**
     * The same object loaded by libbpf (Debian's bpftool prog loadall) and by ebpf4j: every program's
     * translated instructions are equal, map ids aside.
     */
    @Test
    void xlatedInstructionsEqualLibbpfs() throws Exception {
        Path bpftool = Stream.of("/usr/sbin/bpftool", "/usr/bin/bpftool").map(Path::of).filter(Files::isExecutable)
                .findFirst().orElse(null);
        Assumptions.assumeTrue(bpftool != null, "bpftool is not installed (apt-get install bpftool)");
        for (String fixture : List.of("objects", "advanced", "optional", "legacy_maps")) {
            Path obj = BpfC.object(fixture, "NO_OPTIONAL_PROGRAMS");
            Path libbpfPins = pinRoot.resolve("libbpf-" + fixture);
            Files.createDirectories(pinRoot);
            Process p = new ProcessBuilder(bpftool.toString(), "prog", "loadall", obj.toString(), libbpfPins.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                // libbpf 1.x refuses SEC("maps") definitions; that object has no libbpf reference to compare with.
                assertEquals("legacy_maps", fixture, "bpftool prog loadall failed: " + out);
                continue;
            }
            try {
                ObjectSpec spec = ObjectSpec.read(obj);
                try (BpfObject ours = BpfObject.load(spec, options())) {
                    for (String name : ours.programs().keySet()) {
                        try (Program theirs = Program.openPinned(libbpfPins.resolve(name))) {
                            assertEquals(masked(theirs.infoWithInstructions().xlated()),
                                    masked(ours.program(name).infoWithInstructions().xlated()), fixture + ": " + name);
                        }
                    }
                }
            } finally {
                deleteTree(libbpfPins);
                // libbpf pins LIBBPF_PIN_BY_NAME maps under its default root.
                Files.deleteIfExists(Mounts.BPFFS.resolve("pinned_hash"));
            }
        }
    }

    /** Instructions with the map ids of map loads zeroed: the only part two loads legitimately differ in. */
    private static List<Instruction> masked(byte[] xlated) {
        List<Instruction> out = new ArrayList<>();
        for (Instruction i : Instruction.decode(xlated)) {
            boolean mapLoad = i.isLdImm64() && (i.src() == BpfObject.PSEUDO_MAP_FD || i.src() == BpfObject.PSEUDO_MAP_VALUE);
            out.add(mapLoad ? i.withImm(i.imm() & 0xffff_ffff_0000_0000L) : i);
        }
        return out;
    }

    @Test
    void tailCallsThroughAStaticProgArray() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("advanced"));
        assertEquals(java.util.Map.of(1, "tail_target"), spec.map("jumps").orElseThrow().initialSlots());
        try (BpfObject obj = BpfObject.load(spec, options())) {
            assertEquals(42, obj.program("tail_caller").testRun(TestRun.withData(new byte[64])).retval(),
                    "the tail call reached tail_target through slot 1");
        }
    }

    @Test
    void callbacksThroughBpfLoop() {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("advanced")), options())) {
            assertEquals(45, obj.program("looper").testRun(TestRun.withData(new byte[64])).retval(), "0 + 1 + ... + 9");
        }
    }

    @Test
    void mapsOfMapsWithStaticSlots() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("advanced"));
        MapDef outer = spec.map("outer_arr").orElseThrow();
        assertEquals(MapType.ARRAY_OF_MAPS, outer.spec().type());
        assertEquals(java.util.Map.of(0, "inner_a", 1, "inner_b"), outer.initialSlots());
        assertEquals(MapType.ARRAY, outer.inner().spec().type());
        try (BpfObject obj = BpfObject.load(spec, options())) {
            assertEquals(1, obj.program("through_outer").testRun(TestRun.withData(new byte[64])).retval());
            assertEquals(77L, obj.map("inner_b").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
            assertEquals(66L, obj.map("inner_a").typed(Codec.INT, Codec.LONG).get(0).orElseThrow());
        }
    }

    @Test
    void aMapThatIsNotCreatedIsFineInDeadCodeAndNamedWhenReached() {
        ObjectSpec off = ObjectSpec.read(BpfC.object("optional"));
        off.map("optional_map").orElseThrow().autocreate(false);
        try (BpfObject obj = BpfObject.load(off, options())) {
            assertFalse(obj.maps().containsKey("optional_map"));
            assertEquals(XDP_PASS, obj.program("prog_optional").testRun(TestRun.withData(new byte[64])).retval());
        }
        ObjectSpec on = ObjectSpec.read(BpfC.object("optional"));
        on.map("optional_map").orElseThrow().autocreate(false);
        on.setVariable("use_optional", 1);
        io.ebpf4j.VerifierException e = assertThrows(io.ebpf4j.VerifierException.class, () -> BpfObject.load(on, options()));
        assertTrue(e.getMessage().contains("uses map 'optional_map', which was not created"), e.getMessage());
    }

    @Test
    void kernelRefusalsKeepTheirTypeAndNameTheObject() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        MapDef counts = spec.map("counts").orElseThrow();
        counts.spec(counts.spec().withFlags(io.ebpf4j.map.MapFlags.MMAPABLE | io.ebpf4j.map.MapFlags.NO_PREALLOC));
        io.ebpf4j.SyscallException e = assertThrows(io.ebpf4j.SyscallException.class, () -> BpfObject.load(spec, options()));
        assertEquals(io.ebpf4j.Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("of object 'objects'"), e.getMessage());
        assertTrue(e.getMessage().contains("counts"), e.getMessage());
    }

    @Test
    void mapDefinitionsStayEditable() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("objects"));
        MapDef counts = spec.map("counts").orElseThrow();
        counts.spec(counts.spec().withMaxEntries(64));
        try (BpfObject obj = BpfObject.load(spec, options())) {
            assertEquals(64, obj.map("counts").info().maxEntries());
            assertEquals(MapType.ARRAY, obj.map("counts").type());
        }
        assertFalse(MapSpec.of(MapType.ARRAY, 4, 8, 1).equals(counts.spec()));
    }
}
