package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import io.ebpf4j.testing.NativeC;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Uprobes, uretprobes and uprobe.multi on a native test program and its shared library, fired for real: the
 * program's functions run in a child process and the BPF side counts the calls and sees arguments, return
 * values and cookies.
 */
class UprobeKernelTest {
    private static Path exe;
    private static Path lib;
    private BpfObject obj;

    @BeforeAll
    static void build() {
        KernelAccess.assume();
        lib = TargetProcess.library();
        exe = TargetProcess.executable();
    }

    @BeforeEach
    void load() throws Exception {
        obj = BpfObject.load(ObjectSpec.read(BpfC.object("uprobe")));
    }

    @AfterEach
    void close() {
        if (obj != null) {
            obj.close();
        }
    }

    private static void assumeUprobeMulti() {
        var status = UprobeMultiLink.probe();
        Assumptions.assumeTrue(status.supported(), "no uprobe.multi links here: " + status.reason());
    }

    @Test
    void uprobeMultiProbeMatchesTheKernelVersion() {
        String[] v = System.getProperty("os.version").split("[.-]");
        boolean atLeast66 = Integer.parseInt(v[0]) > 6 || Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) >= 6;
        assertEquals(atLeast66, UprobeMultiLink.probe().supported(), String.valueOf(UprobeMultiLink.probe().reason()));
        assertEquals(UprobeMultiLink.probe(), UprobeMultiLink.probe(), "probed once, then kept");
    }

    private long v(String name) {
        return obj.variableLong(name);
    }

    @Test
    void uprobeSeesArgumentsAndCookieAndReportsItsInfo() throws Exception {
        try (TargetProcess t = new TargetProcess(5);
             UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe.toString(), "ebpf4j_target_add",
                     UprobeOptions.uprobe().withCookie(0xC00C1EL))) {
            assertEquals(UprobeTargets.functionOffset(exe, "ebpf4j_target_add"), link.offset());
            LinkInfo info = link.info();
            assertEquals(LinkType.PERF_EVENT, info.type().orElseThrow());
            assertEquals("uprobe", info.details().get("event_type"));
            assertEquals(exe.toString(), info.details().get("file"));
            assertEquals(link.offset(), info.details().get("offset"));
            assertEquals(0xC00C1EL, info.details().get("cookie"));
            t.run();
            assertEquals(5, v("add_calls"));
            assertEquals(1 + 2 + 3 + 4 + 5, v("add_arg_sum"));
            assertEquals(0xC00C1EL, v("add_cookie"));
        }
    }

    @Test
    void uretprobeSeesTheReturnValue() throws Exception {
        try (TargetProcess t = new TargetProcess(5);
             UprobeLink link = UprobeLink.attach(obj.program("on_add_return"), exe.toString(), "ebpf4j_target_add",
                     UprobeOptions.uretprobe())) {
            assertEquals("uretprobe", link.info().details().get("event_type"));
            t.run();
            assertEquals(5, v("ret_calls"));
            assertEquals((1 + 2 + 3 + 4 + 5) + 5 * 10, v("ret_sum"));
            assertEquals(15, v("ret_last"));
        }
    }

    @Test
    void sharedLibraryFunctionByPathAndByNameThroughTheProcessMaps() throws Exception {
        var prog = obj.program("on_lib_add");
        try (TargetProcess t = new TargetProcess(3);
             UprobeLink byPath = UprobeLink.attach(prog, lib.toString(), "ebpf4j_lib_add", UprobeOptions.uprobe())) {
            assertEquals(lib, byPath.binary());
            t.run();
        }
        assertEquals(3, v("lib_calls"));
        try (TargetProcess t = new TargetProcess(4);
             UprobeLink byName = UprobeLink.attach(prog, "libebpf4jtest.so", "ebpf4j_lib_add",
                     UprobeOptions.uprobe().withPid(t.pid()))) {
            assertEquals(lib.toRealPath(), byName.binary().toRealPath(), "found through /proc/PID/maps");
            t.run();
        }
        assertEquals(3 + 4, v("lib_calls"));
        assertEquals(100 * 7, v("lib_arg_sum"));
    }

    @Test
    void pidFilterCountsOnlyThatProcess() throws Exception {
        try (TargetProcess mine = new TargetProcess(4); TargetProcess other = new TargetProcess(6);
             UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe.toString(), "ebpf4j_target_add",
                     UprobeOptions.uprobe().withPid(mine.pid()))) {
            other.run();
            assertEquals(0, v("add_calls"), "another process calling the function is not counted");
            mine.run();
            assertEquals(4, v("add_calls"));
            assertTrue(link.describe().contains("pid " + mine.pid()));
        }
    }

    @Test
    void rawOffsetAndFunctionPlusOffset() throws Exception {
        long offset = UprobeTargets.functionOffset(exe, "ebpf4j_target_add");
        try (TargetProcess t = new TargetProcess(2);
             UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe, offset, UprobeOptions.uprobe())) {
            t.run();
            assertEquals(2, v("add_calls"));
            assertEquals(offset, link.info().details().get("offset"));
        }
    }

    @Test
    void perfLinksCannotSwapPrograms() {
        try (UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe.toString(), "ebpf4j_target_add",
                UprobeOptions.uprobe())) {
            var e = assertThrows(BpfException.class,
                    () -> link.update(obj.program("on_lib_add")));
            assertTrue(e.getMessage().contains("close it and attach the new program"), e.getMessage());
            // What the kernel says when asked anyway, through a plain BpfLink of the same link.
            try (BpfLink plain = BpfLink.fromId(link.id())) {
                var k = assertThrows(io.ebpf4j.SyscallException.class, () -> plain.update(obj.program("on_lib_add")));
                assertEquals(io.ebpf4j.Errno.EINVAL, k.errno(), k.getMessage());
            }
        }
    }

    @Test
    void closingTheLinkDetaches() throws Exception {
        int id;
        try (TargetProcess t = new TargetProcess(3)) {
            UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe.toString(), "ebpf4j_target_add",
                    UprobeOptions.uprobe());
            id = link.id();
            assertTrue(BpfLink.ids().contains(id));
            link.close();
            assertTrue(link.isClosed());
            t.run();
        }
        assertEquals(0, v("add_calls"));
        assertFalse(BpfLink.ids().contains(id));
    }

    @Test
    void pinnedUprobeLinkSurvivesItsObject() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-uprobe-" + ProcessHandle.current().pid());
        Path pin = dir.resolve("link");
        try (TargetProcess t = new TargetProcess(2)) {
            int id;
            try (UprobeLink link = UprobeLink.attach(obj.program("on_add"), exe.toString(), "ebpf4j_target_add",
                    UprobeOptions.uprobe())) {
                id = link.id();
                link.pin(pin);
            }
            try (BpfLink reopened = BpfLink.openPinned(pin)) {
                assertEquals(id, reopened.id());
                assertEquals("uprobe", reopened.info().details().get("event_type"));
            }
            t.run();
            assertEquals(2, v("add_calls"), "the pin keeps the uprobe attached");
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void uprobeMultiWithAPatternMatchingTwoFunctions() throws Exception {
        assumeUprobeMulti();
        try (TargetProcess t = new TargetProcess(4);
             UprobeMultiLink link = UprobeMultiLink.attach(obj.program("on_multi"), exe.toString(),
                     "ebpf4j_target_*", false, t.pid())) {
            assertEquals(List.of("ebpf4j_target_add", "ebpf4j_target_mul"),
                    link.functions().stream().sorted().toList());
            LinkInfo info = link.info();
            assertEquals(LinkType.UPROBE_MULTI, info.type().orElseThrow());
            assertEquals(2, info.details().get("count"));
            assertEquals(t.pid(), info.details().get("pid"));
            t.run();
            assertEquals(2 * 4, v("multi_calls"));
        }
    }

    @Test
    void uprobeMultiSitesCarryTheirOwnCookies() throws Exception {
        assumeUprobeMulti();
        long add = UprobeTargets.functionOffset(exe, "ebpf4j_target_add");
        long mul = UprobeTargets.functionOffset(exe, "ebpf4j_target_mul");
        try (TargetProcess t = new TargetProcess(3);
             UprobeMultiLink link = UprobeMultiLink.attach(obj.program("on_multi"), exe,
                     List.of(new UprobeMultiLink.Site(add, 0, 1), new UprobeMultiLink.Site(mul, 0, 1000)), false,
                     -1)) {
            t.run();
            assertEquals(2 * 3, v("multi_calls"));
            assertEquals(3 * 1001, v("multi_cookie_sum"));
            assertFalse(link.isClosed());
        }
    }

    @Test
    void uprobeMultiRaisesSemaphoresThroughRefCtrOffsets() throws Exception {
        assumeUprobeMulti();
        Assumptions.assumeTrue(NativeC.hasHeader("sys/sdt.h"), "sys/sdt.h is missing (apt-get install "
                + "systemtap-sdt-dev): the test program has no semaphore-guarded USDT site");
        UsdtProbe guarded = UsdtProbe.read(exe).stream().filter(p -> p.name().equals("guarded")).findFirst()
                .orElseThrow();
        try (TargetProcess t = new TargetProcess(4);
             UprobeMultiLink link = UprobeMultiLink.attach(obj.program("on_multi"), exe,
                     List.of(new UprobeMultiLink.Site(guarded.fileOffset(), guarded.semaphoreOffset(), 5)), false,
                     t.pid())) {
            t.run();
            assertEquals(4, v("multi_calls"), "the guarded site only runs while its semaphore is raised");
            assertEquals(4 * 5, v("multi_cookie_sum"));
            assertEquals(1, link.info().details().get("count"));
        }
    }

    @Test
    void uretprobeMultiSeesReturnValues() throws Exception {
        assumeUprobeMulti();
        try (TargetProcess t = new TargetProcess(3);
             UprobeMultiLink link = UprobeMultiLink.attach(obj.program("on_multi_return"), exe.toString(),
                     "ebpf4j_target_?ul", true, -1)) {
            assertEquals(List.of("ebpf4j_target_mul"), link.functions());
            assertEquals(UprobeMultiLink.F_RETURN, link.info().details().get("flags"));
            t.run();
            assertEquals(3 * (1 + 2 + 3), v("multi_ret_sum"));
        }
    }

    @Test
    void autoAttachForms() throws Exception {
        assumeUprobeMulti();
        try (TargetProcess t = new TargetProcess(3);
             Link entry = UprobeLink.autoAttach(obj.program("on_add"), "uprobe/" + exe + ":ebpf4j_target_add");
             Link ret = UprobeLink.autoAttach(obj.program("on_add_return"),
                     "uretprobe/" + exe + ":ebpf4j_target_add");
             Link multi = UprobeLink.autoAttach(obj.program("on_multi"), "uprobe.multi/" + exe + ":ebpf4j_target_*")) {
            assertTrue(entry instanceof UprobeLink);
            assertTrue(multi instanceof UprobeMultiLink);
            assertTrue(ret.describe().startsWith("uretprobe"));
            t.run();
            assertEquals(3, v("add_calls"));
            assertEquals(6 + 30, v("ret_sum"));
            assertEquals(6, v("multi_calls"));
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> UprobeLink.autoAttach(obj.program("on_add"), "uprobe"));
        assertTrue(e.getMessage().contains("names no uprobe target"), e.getMessage());
    }

    @Test
    void errorsNameWhatWasNotFound() {
        var prog = obj.program("on_add");
        var e = assertThrows(BpfException.class, () -> UprobeLink.attach(prog, exe.toString(), "no_such_function",
                UprobeOptions.uprobe()));
        assertTrue(e.getMessage().contains("'no_such_function' was not found")
                && e.getMessage().contains(exe.toString()), e.getMessage());
        e = assertThrows(BpfException.class, () -> UprobeLink.attach(prog, "/nonexistent/ebpf4j-bin", "f",
                UprobeOptions.uprobe()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UprobeLink.attach(prog, "libebpf4j-no-such-lib.so", "f",
                UprobeOptions.uprobe()));
        assertTrue(e.getMessage().contains("was not found (looked in"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UprobeMultiLink.attach(obj.program("on_multi"), exe.toString(),
                "no_such_*", false, -1));
        assertTrue(e.getMessage().contains("no function"), e.getMessage());
        assumeUprobeMulti();
        // A program loaded for a plain uprobe cannot take a uprobe.multi link.
        e = assertThrows(io.ebpf4j.SyscallException.class, () -> UprobeMultiLink.attach(prog, exe.toString(),
                "ebpf4j_target_add", false, -1));
        assertTrue(e.getMessage().contains("BPF_TRACE_UPROBE_MULTI"), e.getMessage());
    }

    @Test
    void systemLibraryByName() {
        Path libc = UprobeTargets.resolveBinary("libc.so.6", (int) ProcessHandle.current().pid());
        assertTrue(Files.isRegularFile(libc), libc.toString());
        assertTrue(UprobeTargets.functionOffset(libc, "getpid") > 0);
    }
}
