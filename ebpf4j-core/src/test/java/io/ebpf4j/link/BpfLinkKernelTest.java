package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.ebpf4j.asm.Register.R0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bpf_link base: info (with the name decoded), pin, reopen by pin and id, ids, detach on close. */
class BpfLinkKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static Program rawTp(String name) {
        return Program.load(ProgramSpec.of(name, ProgramType.RAW_TRACEPOINT, new Assembler().mov64(R0, 0).exit().build()));
    }

    @Test
    @SuppressWarnings("try") // the link is closed inside its try block on purpose, to see it gone
    void infoPinReopenAndClose() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-bpflink-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("link");
        try (Program p = rawTp("tp_noop");
             BpfLink link = new BpfLink(Bpf.rawTracepointOpen("sys_enter", p.fd(), 0, "raw_tp sys_enter"), "raw_tp sys_enter")) {
            LinkInfo info = link.info();
            assertEquals(LinkType.RAW_TRACEPOINT, info.type().orElseThrow());
            assertEquals(p.id(), info.programId());
            assertEquals("sys_enter", info.details().get("tp_name"));
            assertTrue(BpfLink.ids().contains(info.id()));

            link.pin(pin);
            try (BpfLink reopened = BpfLink.openPinned(pin); BpfLink byId = BpfLink.fromId(info.id())) {
                assertEquals(info.id(), reopened.id());
                assertEquals(info.id(), byId.id());
                assertTrue(reopened.describe().contains("raw_tracepoint"));
            }
            Files.delete(pin);
            link.close();
            assertTrue(link.isClosed());
            assertFalse(BpfLink.ids().contains(info.id()), "an unpinned link closed by its last holder is gone");
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void softwareClockPerfEventOpens() {
        try (var fd = PerfEvent.open(a -> {
            a.set(java.lang.foreign.ValueLayout.JAVA_INT, PerfEvent.ATTR.offset("type"), PerfEvent.TYPE_SOFTWARE);
            a.set(java.lang.foreign.ValueLayout.JAVA_LONG, PerfEvent.ATTR.offset("config"), PerfEvent.COUNT_SW_CPU_CLOCK);
            a.set(java.lang.foreign.ValueLayout.JAVA_LONG, PerfEvent.ATTR.offset("sample_period"), 1_000_000);
            a.set(java.lang.foreign.ValueLayout.JAVA_LONG, PerfEvent.ATTR.offset("flags"), PerfEvent.FLAG_DISABLED);
        }, -1, 0, -1, "cpu-clock on cpu 0")) {
            PerfEvent.enable(fd.get(), "cpu-clock");
            PerfEvent.disable(fd.get(), "cpu-clock");
            assertEquals(136, PerfEvent.ATTR.size());
        }
    }
}
