package io.ebpf4j.object;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.VerifierException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfSanitizer;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.map.MapInfo;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Maps created with their BTF key/value types and programs loaded with line info, checked in the kernel. */
class LoadWithBtfKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void mapsCarryTheirKeyAndValueTypes() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("btf_load"));
        Btf btf = spec.btf();
        int point = btf.find("point", BtfKind.STRUCT).orElseThrow();
        try (BpfObject obj = BpfObject.load(spec)) {
            MapInfo points = obj.map("points").info();
            assertTrue(points.btfId() > 0, "BTF-defined map has the object's BTF: " + points);
            assertEquals("__u32", btf.nameOf(points.btfKeyTypeId()));
            assertEquals(point, points.btfValueTypeId());

            MapInfo legacy = obj.map("legacy_points").info();
            assertEquals(points.btfId(), legacy.btfId(), "one BTF object for the whole object");
            assertEquals("__u32", btf.nameOf(legacy.btfKeyTypeId()));
            assertEquals(point, legacy.btfValueTypeId(), "from struct ____btf_map_legacy_points");

            String bss = spec.maps().values().stream().filter(m -> m.section().equals(".bss")).findFirst()
                    .orElseThrow().name();
            MapInfo data = obj.map(bss).info();
            assertEquals(btf.find(".bss", BtfKind.DATASEC).orElseThrow(), data.btfValueTypeId(),
                    "global data: the value is the section's DATASEC");
            assertEquals(0, data.btfKeyTypeId());

            assertEquals(2, obj.program("read_points").testRun(TestRun.withData(new byte[64])).retval());
        }
    }

    @Test
    void theVerifierNamesTheSourceLineInsideAnAppendedSubprogram() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("btf_load", "REJECT"));
        VerifierException e = assertThrows(VerifierException.class, () -> BpfObject.load(spec).close());
        VerifierException.SourceLine line = e.sourceLine().orElseThrow(() -> new AssertionError(
                "no source line in:\n" + e.getMessage()));
        List<String> source = Files.readAllLines(Path.of("src/test/bpf/btf_load.bpf.c"));
        int expected = 0;
        for (int i = 0; i < source.size(); i++) {
            if (source.get(i).contains("REJECTED LINE")) {
                expected = i + 1;
            }
        }
        assertTrue(line.file().endsWith("btf_load.bpf.c"), line.toString());
        assertEquals(expected, line.line(), line.toString());
        assertTrue(line.text().contains("*((int *)p + 2)"), line.toString());
        assertTrue(e.getMessage().contains("btf_load.bpf.c:" + expected), e.getMessage());
    }

    @Test
    void objectBtfDowngradedForTheOldestKernelsStillLoads() {
        BtfSanitizer.Support none = new BtfSanitizer.Support(false, false, false, false, false, false, false, false);
        for (String fixture : List.of("externs", "btf_load")) {
            byte[] raw = ObjectSpec.read(BpfC.object(fixture)).loadableBtf();
            try (LoadedBtf asIs = LoadedBtf.load(raw)) {
                assertTrue(asIs.info().id() > 0, fixture + ": extern fixups make the object's BTF loadable");
            }
            byte[] old = BtfSanitizer.sanitize(raw, none);
            try (LoadedBtf downgraded = LoadedBtf.load(old)) {
                assertTrue(downgraded.info().id() > 0);
            }
            Btf b = Btf.parse(old);
            for (int id = b.firstTypeId(); id <= b.lastTypeId(); id++) {
                BtfKind k = b.kind(id);
                assertTrue(k != BtfKind.DATASEC && k != BtfKind.VAR && k != BtfKind.FUNC && k != BtfKind.FUNC_PROTO
                        && k != BtfKind.DECL_TAG && k != BtfKind.TYPE_TAG && k != BtfKind.ENUM64
                        && k != BtfKind.FLOAT, fixture + ": type " + id + " is still a " + k);
            }
        }
    }

    @Test
    void lineInfoOfAppendedSubprogramsIsRebased() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("btf_load"));
        Linker.Linked linked = spec.link("read_points");
        assertEquals(List.of("sum"), linked.subprograms());
        assertEquals(0, linked.lineInfo().getFirst().insn(), "the kernel wants line info from instruction 0");
        int sumStart = linked.funcInfo().get(1).insn();
        assertEquals("sum", spec.btf().nameOf(linked.funcInfo().get(1).typeId()));
        boolean atSum = linked.lineInfo().stream().anyMatch(l -> l.insn() == sumStart
                && l.source().line().contains("p->x + p->y"));
        assertTrue(atSum, "the subprogram's first line moved with it: " + linked.lineInfo());
        for (int i = 1; i < linked.lineInfo().size(); i++) {
            assertTrue(linked.lineInfo().get(i).insn() > linked.lineInfo().get(i - 1).insn(), "strictly increasing");
        }
        assertTrue(spec.btf().type(linked.funcInfo().get(1).typeId()) instanceof BtfType.Func);
    }
}
