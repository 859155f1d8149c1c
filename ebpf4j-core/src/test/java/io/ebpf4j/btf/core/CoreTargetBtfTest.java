package io.ebpf4j.btf.core;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.VerifierException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfExt.CoreReloKind;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.CoreRelocations;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code core_target} fixture relocated against a target BTF this test writes (another "kernel"): fields
 * moved, resized, renamed (flavors on either side), dropped, bitfields moved and resized, enumerators revalued
 * and dropped, types missing, matching and not, and two flavors that disagree. The relocated constants are
 * computed by the programs in a raw_tp test-run and read back from {@code .bss}.
 */
class CoreTargetBtfTest {
    // Indexes into the fixture's out[] (its enum out_index).
    private static final int OFF_A = 0, OFF_B = 1, SIZE_C = 2, EXISTS_GONE = 3, EXISTS_A = 4, SIGNED_BF_U = 5,
            SIGNED_BF_S = 6, LSHIFT_BF_U = 7, RSHIFT_BF_U = 8, LSHIFT_BF_S = 9, RSHIFT_BF_S = 10, OFF_ARR2 = 11,
            OFF_INNER = 12, OFF_RENAMED_Y = 13, OFF_FLAV_Z = 14, RED_EXISTS = 15, GREEN_VALUE = 16, BLUE_VALUE = 17,
            WIDE_VALUE = 18, WIDE_EXISTS = 19, GONE_TYPE_EXISTS = 20, SAMPLE_EXISTS = 21, SAMPLE_SIZE = 22,
            SAMPLE_ID_LOCAL = 23, SAMPLE_ID_TARGET = 24, MATCH_YES = 25, MATCH_NO = 26, MATCH_NO_EXISTS = 27,
            GUARDED = 28, SIZE_ARR = 29, OUT_LEN = 30;

    private Path targetFile;
    private int targetSampleId;

    /** The target: every local type of the fixture, changed. Integer names are clang's, which
     * {@code bpf_core_type_matches} compares. */
    private byte[] targetBtf() {
        BtfWriter w = new BtfWriter();
        int i32 = w.addInt("int", 4, true);
        int u32 = w.addInt("unsigned int", 4, false);
        int i64 = w.addInt("long", 8, true);
        int u64 = w.addInt("unsigned long", 8, false);
        int anon = w.addStruct("", 8, new BtfWriter.Member("a", i32, 0), new BtfWriter.Member("inner", i32, 32));
        int arr8 = w.addArray(i32, i32, 8);
        targetSampleId = w.addStruct("core_sample", 64,
                new BtfWriter.Member("pad", i64, 0),
                new BtfWriter.Member("", anon, 64),
                new BtfWriter.Member("c", i64, 128),
                new BtfWriter.Member("b", i32, 192),
                new BtfWriter.Member("bf_u", u32, 232, 3),
                new BtfWriter.Member("bf_s", i32, 235, 7),
                new BtfWriter.Member("arr", arr8, 256));
        w.addStruct("core_renamed", 8, new BtfWriter.Member("y", i32, 0), new BtfWriter.Member("x", i32, 32));
        w.addStruct("core_flav___old", 16, new BtfWriter.Member("pad", i64, 0), new BtfWriter.Member("z", i32, 64));
        w.addEnum("core_color", 4, false, new BtfType.EnumValue("CORE_GREEN", 10), new BtfType.EnumValue("CORE_BLUE", 20));
        w.addEnum64("core_wide", 8, false, new BtfType.EnumValue("CORE_WIDE", 1L << 50));
        w.addStruct("core_amb___a", 4, new BtfWriter.Member("v", i32, 0));
        w.addStruct("core_amb___b", 8, new BtfWriter.Member("pad", i32, 0), new BtfWriter.Member("v", i32, 32));
        w.addStruct("core_match_yes", 16, new BtfWriter.Member("n", u64, 0), new BtfWriter.Member("m", i32, 64));
        w.addStruct("core_match_no", 8, new BtfWriter.Member("m", i64, 0));
        assertTrue(u32 > 0 && u64 > 0);
        return w.toBytes();
    }

    @BeforeEach
    void writeTarget() throws IOException {
        targetFile = Files.createTempFile("ebpf4j-core-target-" + ProcessHandle.current().pid() + "-", ".btf");
        Files.write(targetFile, targetBtf());
    }

    @AfterEach
    void removeTarget() throws IOException {
        Files.deleteIfExists(targetFile);
    }

    private static ObjectSpec fixture() {
        return ObjectSpec.read(BpfC.object("core_target"));
    }

    @Test
    void everyKindIsRelocatedToTheTargetAndRunsInTheKernel() {
        KernelAccess.assume();
        ObjectSpec spec = fixture();
        int localSample = spec.btf().find("core_sample", BtfKind.STRUCT).orElseThrow();
        long[] want = new long[OUT_LEN];
        want[OFF_A] = 8;            // moved into an anonymous struct after a long
        want[OFF_B] = 24;
        want[SIZE_C] = 8;           // short became long
        want[EXISTS_GONE] = 0;
        want[EXISTS_A] = 1;
        want[SIGNED_BF_U] = 0;
        want[SIGNED_BF_S] = 1;
        want[LSHIFT_BF_U] = 53;     // 3 bits at bit 232: a 4-byte load at byte 28, bits 8..10
        want[RSHIFT_BF_U] = 61;
        want[LSHIFT_BF_S] = 46;     // 7 bits (was 5) at bit 235
        want[RSHIFT_BF_S] = 57;
        want[OFF_ARR2] = 40;
        want[SIZE_ARR] = 32;        // int[4] became int[8]
        want[OFF_INNER] = 12;
        want[OFF_RENAMED_Y] = 0;    // local core_renamed___v2 → target core_renamed
        want[OFF_FLAV_Z] = 8;       // local core_flav → target core_flav___old
        want[RED_EXISTS] = 0;
        want[GREEN_VALUE] = 10;
        want[BLUE_VALUE] = 20;
        want[WIDE_VALUE] = 1L << 50;
        want[WIDE_EXISTS] = 1;
        want[GONE_TYPE_EXISTS] = 0;
        want[SAMPLE_EXISTS] = 1;
        want[SAMPLE_SIZE] = 64;
        want[SAMPLE_ID_LOCAL] = localSample;
        want[SAMPLE_ID_TARGET] = targetSampleId;
        want[MATCH_YES] = 1;
        want[MATCH_NO] = 0;         // int m vs long m: compatible, but no match
        want[MATCH_NO_EXISTS] = 1;
        want[GUARDED] = 12345;      // the poisoned read is dead code behind bpf_core_type_exists
        try (BpfObject obj = BpfObject.load(spec, BpfObject.Options.defaults().withTargetBtf(targetFile))) {
            assertEquals(0, obj.program("values").testRun(TestRun.empty()).retval());
            ByteBuffer out = ByteBuffer.wrap(obj.readVariable("out")).order(ByteOrder.nativeOrder());
            for (int i = 0; i < OUT_LEN; i++) {
                assertEquals(want[i], out.getLong(i * Long.BYTES), "out[" + i + "]");
            }
        }
    }

    @Test
    void whatEachRelocationDidIsReportedWithoutTheKernel() {
        try (CoreTarget target = CoreTarget.file(targetFile)) {
            CoreRelocations.Relocated r = CoreRelocations.apply(fixture(), "values", target);
            CoreRelocation a = r.relocations().getFirst();
            assertEquals(CoreReloKind.FIELD_BYTE_OFFSET, a.kind());
            assertEquals("struct core_sample.a", a.target());
            assertEquals(0, a.localValue());
            assertEquals(8, a.targetValue());
            List<CoreRelocation> poisoned = r.poisoned();
            assertEquals(1, poisoned.size(), poisoned.toString());
            assertEquals("struct core_gone_type.q", poisoned.getFirst().target());
            assertTrue(poisoned.getFirst().reason().contains("no type named like core_gone_type"), poisoned.getFirst().reason());
            // The poisoned instruction is the helper call the verifier will name if it is reached.
            assertEquals(CoreRelocator.POISON_HELPER, r.instructionAt(poisoned.getFirst().insn()).imm());
        }
    }

    @Test
    void twoFlavorsThatDisagreeAreAnAmbiguityError() {
        try (CoreTarget target = CoreTarget.file(targetFile)) {
            CoreRelocationException e = assertThrows(CoreRelocationException.class,
                    () -> CoreRelocations.apply(fixture(), "ambiguous", target));
            assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
            assertTrue(e.getMessage().contains("core_amb___a") && e.getMessage().contains("core_amb___b"), e.getMessage());
            assertTrue(e.getMessage().contains("program 'ambiguous'"), e.getMessage());
        }
    }

    @Test
    void aReachablePoisonedRelocationFailsTheLoadNamingIt() {
        KernelAccess.assume();
        ObjectSpec spec = fixture();
        spec.programs().values().forEach(p -> p.autoload(p.name().equals("unguarded")));
        VerifierException e = assertThrows(VerifierException.class,
                () -> BpfObject.load(spec, BpfObject.Options.defaults().withTargetBtf(targetFile)).close());
        assertTrue(e.getMessage().contains("FIELD_BYTE_OFFSET of struct core_gone_type.q"), e.getMessage());
        assertTrue(e.getMessage().contains("at instruction 0"), e.getMessage());
        assertTrue(e.getMessage().contains("no type named like core_gone_type"), e.getMessage());
    }

    /**
     * {@code core_bits}: bitfields read with BPF_CORE_READ_BITFIELD (offset, load size, shifts, signedness all
     * relocated; one now needs a 64-bit load) and a 4-byte unsigned field that became 8 bytes (the load is
     * widened). The input is laid out as the target says; only correct relocation reads it back.
     */
    @Test
    void bitfieldsAndAWidenedFieldAreReadWithTheTargetsLayout() throws IOException {
        KernelAccess.assume();
        BtfWriter w = new BtfWriter();
        int u8 = w.addInt("unsigned char", 1, false);
        int u32 = w.addInt("unsigned int", 4, false);
        int i32 = w.addInt("int", 4, true);
        int u64 = w.addInt("unsigned long", 8, false);
        w.addStruct("core_bits", 24, new BtfWriter.Member("pad", u8, 0), new BtfWriter.Member("u", u32, 13, 6),
                new BtfWriter.Member("s", i32, 27, 11), new BtfWriter.Member("w", u64, 64));
        Files.write(targetFile, w.toBytes());

        long u = 45;
        long s = -700;
        long wide = 0x1_2345_6789L;
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("core_bits")),
                BpfObject.Options.defaults().withTargetBtf(targetFile))) {
            java.lang.foreign.MemorySegment in = obj.variable("in");
            in.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x5aL | u << 13 | (s & 0x7ff) << 27 | 1L << 38);
            in.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8, wide);
            assertEquals(0, obj.program("read_bits").testRun(TestRun.empty()).retval());
            assertEquals(u, obj.variableLong("got_u"));
            assertEquals(s, obj.variableLong("got_s"));
            assertEquals(wide, obj.variableLong("got_w"));
        }
    }

    @Test
    void anElfFilesBtfSectionCanBeTheTarget() {
        // The object itself as the target: every relocation resolves to what the compiler put there.
        try (CoreTarget target = CoreTarget.file(BpfC.object("core_target"))) {
            CoreRelocations.Relocated r = CoreRelocations.apply(fixture(), "values", target);
            assertEquals(List.of(), r.poisoned());
            for (CoreRelocation c : r.relocations()) {
                assertEquals(c.localValue(), c.targetValue(), c.toString());
            }
        }
    }

    @Test
    void aFileThatIsNotBtfIsNamed() throws IOException {
        Files.write(targetFile, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        io.ebpf4j.BpfException e = assertThrows(io.ebpf4j.BpfException.class, () -> CoreTarget.file(targetFile).close());
        assertTrue(e.getMessage().contains(targetFile + " is not valid BTF"), e.getMessage());
        Path missing = targetFile.resolveSibling(targetFile.getFileName() + ".missing");
        e = assertThrows(io.ebpf4j.BpfException.class, () -> CoreTarget.file(missing).close());
        assertTrue(e.getMessage().contains("is not a readable file"), e.getMessage());
    }

    @Test
    void theTargetFileIsReadBackAsWritten() {
        try (Btf btf = Btf.open(targetFile)) {
            assertEquals(targetSampleId, btf.find("core_sample", BtfKind.STRUCT).orElseThrow());
        }
    }
}
