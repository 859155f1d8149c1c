package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.ebpf4j.asm.Register.R0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tracepoint (perf link and ioctl), raw_tp, raw_tp.w, tp_btf and perf_event links, made to fire by this process:
 * a getpid loop through the C library, a test run, a busy loop. Every program counts only this process's events.
 */
class TracingLinksKernelTest {
    private static final int CALLS = 50;
    private static final long PID = ProcessHandle.current().pid();

    private BpfObject obj;
    private final List<Path> pins = new ArrayList<>();

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @BeforeEach
    void load() {
        obj = BpfObject.load(ObjectSpec.read(BpfC.object("tracing")));
        obj.variable("target_tgid").set(ValueLayout.JAVA_INT, 0, Libc.getpid());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (obj != null) {
            obj.close();
        }
        for (Path p : pins) {
            Files.deleteIfExists(p);
        }
        Files.deleteIfExists(pinDir());
    }

    private static Path pinDir() {
        return Mounts.bpffs().resolve("ebpf4j-test-tracing-" + PID);
    }

    private Path pin(String name) {
        Path p = pinDir().resolve(name);
        pins.add(p);
        return p;
    }

    private static void getpids(int n) {
        for (int i = 0; i < n; i++) {
            Libc.getpid();
        }
    }

    /** A link whose last reference was a pin is freed after the pin's inode goes: allow that a moment. */
    static void awaitLinkGone(int id) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (BpfLink.ids().contains(id)) {
            assertTrue(System.nanoTime() < deadline, "link " + id + " still exists 2 s after its last reference went");
            Thread.onSpinWait();
        }
    }

    private long counter(String name) {
        return obj.variableLong(name);
    }

    @Test
    void tracepointThroughPerfLinkFiresWithCookie() {
        try (PerfEventLink link = PerfEventLink.tracepoint(obj.program("count_getpid"), "syscalls", "sys_enter_getpid",
                0xC0FFEE, PerfEventLink.Mode.AUTO)) {
            assertEquals(PerfEventLink.Mode.BPF_LINK, link.mode());
            getpids(CALLS);
            assertTrue(counter("tp_count") >= CALLS, "tracepoint fired " + counter("tp_count") + " times");
            assertEquals(0xC0FFEE, counter("tp_cookie"), "the program read the link's cookie");
            LinkInfo info = link.bpfLink().orElseThrow().info();
            assertEquals(LinkType.PERF_EVENT, info.type().orElseThrow());
            assertEquals("tracepoint", info.details().get("event_type"));
            assertEquals("sys_enter_getpid", info.details().get("tracepoint"));
            assertEquals(obj.program("count_getpid").id(), info.programId());
        }
        long after = counter("tp_count");
        getpids(CALLS);
        assertEquals(after, counter("tp_count"), "closed: the tracepoint no longer runs the program");
    }

    @Test
    void tracepointThroughIoctlFires() {
        Program p = obj.program("count_getpid");
        try (PerfEventLink link = PerfEventLink.tracepoint(p, "syscalls", "sys_enter_getpid", 0, PerfEventLink.Mode.IOCTL)) {
            assertEquals(PerfEventLink.Mode.IOCTL, link.mode());
            assertTrue(link.bpfLink().isEmpty());
            getpids(CALLS);
            assertTrue(counter("tp_count") >= CALLS, "fired " + counter("tp_count") + " times");
        }
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> PerfEventLink.tracepoint(p, "syscalls", "sys_enter_getpid", 1, PerfEventLink.Mode.IOCTL));
        assertTrue(e.getMessage().contains("cookie"), e.getMessage());
    }

    @Test
    void unknownTracepointIsNamed() {
        var e = assertThrows(io.ebpf4j.BpfException.class,
                () -> PerfEventLink.tracepoint(obj.program("count_getpid"), "syscalls", "sys_enter_ebpf4j_none"));
        assertTrue(e.getMessage().contains("syscalls:sys_enter_ebpf4j_none"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PerfEventLink.tracepointId("../x", "y"));
    }

    @Test
    void rawTracepointPinnedReopenedDetached() throws Exception {
        Program first = obj.program("raw_getpid");
        Program second = obj.program("raw_getpid_second");
        Path pin = pin("raw");
        int id;
        try (RawTracepointLink link = RawTracepointLink.attach(first, "sys_enter")) {
            id = link.id();
            assertEquals("sys_enter", link.info().details().get("tp_name"));
            link.pin(pin);
        }
        // The pin alone keeps the attachment.
        getpids(CALLS);
        assertTrue(counter("raw_count") >= CALLS, "pinned link fired " + counter("raw_count") + " times");

        try (BpfLink reopened = BpfLink.openPinned(pin)) {
            assertEquals(id, reopened.id());
            assertEquals(first.id(), reopened.info().programId());
            // Raw tracepoint links cannot change program: the kernel says so, and nothing changes.
            SyscallException noSwap = assertThrows(SyscallException.class, () -> reopened.update(second));
            assertTrue(noSwap.getMessage().contains("raw_tracepoint links cannot change program"), noSwap.getMessage());
            assertEquals(first.id(), reopened.info().programId());

            // Nor can they be detached while held: the error says to unpin and close instead.
            UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, reopened::detach);
            assertTrue(e.getMessage().contains("raw_tracepoint"), e.getMessage());
        }
        Files.delete(pin);
        awaitLinkGone(id);
        long before = counter("raw_count");
        getpids(CALLS);
        assertEquals(before, counter("raw_count"), "unpinned and closed: the program no longer runs");
    }

    @Test
    void tpBtfFires() {
        try (TracingLink link = TracingLink.attach(obj.program("btf_getpid"))) {
            getpids(CALLS);
            assertTrue(counter("btf_count") >= CALLS, "tp_btf fired " + counter("btf_count") + " times");
            LinkInfo info = link.info();
            // The kernel implements tp_btf attachments as raw tracepoint links.
            assertEquals(LinkType.RAW_TRACEPOINT, info.type().orElseThrow());
            assertEquals("sys_enter", info.details().get("tp_name"));
        }
        long after = counter("btf_count");
        getpids(CALLS);
        assertEquals(after, counter("btf_count"));
    }

    @Test
    void tpBtfThroughLinkCreateCarriesCookie() {
        try (TracingLink link = TracingLink.attach(obj.program("btf_getpid"), io.ebpf4j.program.AttachType.TRACE_RAW_TP, 77)) {
            getpids(CALLS);
            assertTrue(counter("btf_count") >= CALLS, "tp_btf fired " + counter("btf_count") + " times");
            assertEquals(77, counter("btf_cookie"));
            assertEquals(77L, link.info().details().get("cookie"));
        }
    }

    @Test
    void writableRawTracepointRewritesTestRunResult() {
        final int edom = 33;
        try (Program filter = Program.load(ProgramSpec.of("ebpf4j_sf", ProgramType.SOCKET_FILTER,
                new Assembler().mov64(R0, 0).exit().build()));
             RawTracepointLink link = RawTracepointLink.attach(obj.program("set_test_err"), "bpf_test_finish")) {
            byte[] frame = new byte[64];
            assertEquals(0, filter.testRun(TestRun.withData(frame)).retval(), "not armed: the test run succeeds");
            obj.variable("writable_err").set(ValueLayout.JAVA_INT, 0, -edom);
            SyscallException e = assertThrows(SyscallException.class, () -> filter.testRun(TestRun.withData(frame)));
            assertEquals(edom, e.errnoNumber(), "the writable tracepoint program set the test run's result");
            assertTrue(link.describe().contains("bpf_test_finish"));
        }
    }

    @Test
    void perfEventSamplesOnEveryCpu() {
        try (LinkGroup links = PerfEventLink.perfEvent(obj.program("count_sample"),
                PerfEventLink.EventSpec.software(PerfEventLink.SoftwareEvent.CPU_CLOCK, 100_000))) {
            assertEquals(io.ebpf4j.kernel.Cpus.online().length, links.links().size());
            long end = System.nanoTime() + 200_000_000L;
            long spin = 0;
            while (System.nanoTime() < end || counter("perf_count") == 0 && System.nanoTime() < end + 2_000_000_000L) {
                spin++;
            }
            assertTrue(spin > 0);
            assertTrue(counter("perf_count") > 0, "cpu-clock samples counted: " + counter("perf_count"));
            Link first = links.links().getFirst();
            assertEquals("event", first.bpfLink().orElseThrow().info().details().get("event_type"));
        }
    }

    @Test
    void closingObjectAndLinksLeavesNothing() {
        List<Integer> progIds = obj.programs().values().stream().map(Program::id).toList();
        List<Integer> mapIds = obj.maps().values().stream().map(BpfMap::id).toList();
        int linkId;
        try (RawTracepointLink link = RawTracepointLink.attach(obj.program("raw_getpid"), "sys_enter")) {
            linkId = link.id();
        }
        obj.close();
        obj = null;
        // Freeing is immediate for ids in practice, but allow the kernel's deferred release a moment.
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            List<Integer> linksNow = BpfLink.ids();
            List<Integer> progsNow = Program.ids();
            List<Integer> mapsNow = io.ebpf4j.kernel.Bpf.allIds(io.ebpf4j.kernel.BpfCmd.MAP_GET_NEXT_ID);
            boolean gone = !linksNow.contains(linkId) && progIds.stream().noneMatch(progsNow::contains)
                    && mapIds.stream().noneMatch(mapsNow::contains);
            if (gone) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "still in the kernel after close: link " + linksNow.contains(linkId)
                    + ", programs " + progIds.stream().filter(progsNow::contains).toList()
                    + ", maps " + mapIds.stream().filter(mapsNow::contains).toList());
            Thread.onSpinWait();
        }
    }
}
