package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import io.ebpf4j.testing.NativeC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * USDT probes of the native test program ({@code sys/sdt.h}), attached with libbpf's usdt.bpf.h conventions and
 * fired: {@code bpf_usdt_arg()} returns the real register and memory arguments, {@code bpf_usdt_cookie()} the
 * cookie, and a semaphore-guarded probe only runs because the attachment raised its semaphore.
 */
class UsdtKernelTest {
    private static Path exe;
    private BpfObject obj;

    @BeforeAll
    static void build() {
        KernelAccess.assume();
        Assumptions.assumeTrue(NativeC.hasHeader("sys/sdt.h"), "sys/sdt.h is missing (apt-get install "
                + "systemtap-sdt-dev): the test program has no USDT probes");
        exe = TargetProcess.executable();
    }

    @BeforeEach
    void load() throws Exception {
        obj = BpfObject.load(ObjectSpec.read(BpfC.object("usdt")));
    }

    @AfterEach
    void close() {
        if (obj != null) {
            obj.close();
        }
    }

    private long v(String name) {
        return obj.variableLong(name);
    }

    @Test
    void notesAreReadWithArgumentsAndSemaphores() {
        Map<String, UsdtProbe> probes = UsdtProbe.read(exe).stream()
                .collect(Collectors.toMap(p -> p.provider() + ":" + p.name(), p -> p, (a, b) -> a));
        assertEquals(java.util.Set.of("ebpf4j:args", "ebpf4j:guarded", "ebpf4j:twice"), probes.keySet());
        UsdtProbe args = probes.get("ebpf4j:args");
        List<UsdtArgument> a = args.arguments();
        assertEquals(3, a.size(), args.argumentText());
        assertEquals(List.of(4, 2, 8), a.stream().map(UsdtArgument::size).toList());
        assertTrue(a.get(0).signed() && a.get(1).signed());
        assertEquals(UsdtArgument.Kind.REG_DEREF, a.get(2).kind(), "the volatile local is a memory operand: "
                + args.argumentText());
        for (UsdtProbe p : probes.values()) {
            assertNotEquals(0, p.semaphoreAddress());
            assertNotEquals(0, p.semaphoreOffset());
            assertTrue(p.fileOffset() > 0 && p.fileOffset() < exe.toFile().length());
        }
    }

    @Test
    void argumentsCookieAndSemaphoreGuardedProbeFire() throws Exception {
        try (TargetProcess t = new TargetProcess(5);
             UsdtLink args = UsdtLink.attach(obj.program("on_args"), exe.toString(), "ebpf4j", "args", -1, 77);
             UsdtLink guarded = UsdtLink.attach(obj.program("on_guarded"), exe.toString(), "ebpf4j", "guarded",
                     t.pid(), 0)) {
            assertEquals(1, args.sites().size());
            assertEquals(1, guarded.uprobes().size());
            assertTrue(guarded.describe().contains("ebpf4j:guarded"));
            t.run();
            assertEquals(5, v("args_calls"));
            assertEquals(3, v("args_count"));
            assertEquals(77, v("args_cookie"));
            assertEquals(1 + 2 + 3 + 4 + 5, v("args_first_sum"));
            assertEquals(-(1 + 2 + 3 + 4 + 5), v("args_small_sum"), "the short argument is sign-extended");
            assertEquals(-5, v("args_last_small"));
            assertEquals(1000L * (1 + 2 + 3 + 4 + 5), v("args_memory_sum"), "the memory operand is read");
            assertEquals(5, v("guarded_calls"), "the attachment raised the semaphore, so the guarded probe ran");
            assertEquals((1 + 2 + 3 + 4 + 5) + 5 * 7, v("guarded_sum"));
        }
    }

    @Test
    void unattachedGuardedProbeDoesNotRun() throws Exception {
        // Only "args" is attached: "guarded"'s semaphore stays 0 and its probe site is never reached, even though
        // the program for it is loaded.
        try (TargetProcess t = new TargetProcess(3);
             UsdtLink args = UsdtLink.attach(obj.program("on_args"), exe.toString(), "ebpf4j", "args", t.pid(), 0)) {
            t.run();
            assertEquals(3, v("args_calls"));
            assertEquals(0, v("guarded_calls"));
            assertTrue(args.uprobes().getFirst().info().details().get("ref_ctr_offset") instanceof Long r && r > 0);
        }
    }

    @Test
    void closingFreesTheSpecSlot() throws Exception {
        BpfMap specs = obj.map("__bpf_usdt_specs");
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0).array();
        UsdtLink link = UsdtLink.attach(obj.program("on_args"), exe.toString(), "ebpf4j", "args", -1, 5);
        byte[] spec = specs.lookup(key).orElseThrow();
        assertEquals(3, ByteBuffer.wrap(spec).order(ByteOrder.nativeOrder()).getShort(200), "arg_cnt of slot 0");
        assertEquals(5, ByteBuffer.wrap(spec).order(ByteOrder.nativeOrder()).getLong(192), "usdt_cookie");
        link.close();
        assertArrayEquals(new byte[spec.length], specs.lookup(key).orElseThrow());
        try (UsdtLink again = UsdtLink.attach(obj.program("on_args"), exe.toString(), "ebpf4j", "args", -1, 6)) {
            assertEquals(6, ByteBuffer.wrap(specs.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder())
                    .getLong(192), "the freed slot 0 is used again");
            assertEquals(1, again.sites().size());
        }
    }

    @Test
    void probeWithTwoSitesGetsAUprobeOnEach() throws Exception {
        try (TargetProcess t = new TargetProcess(4);
             UsdtLink link = UsdtLink.attach(obj.program("on_twice"), exe.toString(), "ebpf4j", "twice", t.pid(), 0)) {
            assertEquals(2, link.sites().size());
            assertEquals(2, link.uprobes().size());
            assertTrue(link.describe().endsWith("(2 sites)"), link.describe());
            assertEquals(link.sites().get(0).argumentText(), link.sites().get(1).argumentText());
            assertEquals(link.uprobes().get(0).info().details().get("cookie"),
                    link.uprobes().get(1).info().details().get("cookie"), "same arguments, one shared spec");
            t.run();
            assertEquals(2 * 4, v("twice_calls"));
            assertEquals(3 * (1 + 2 + 3 + 4), v("twice_sum"), "each site reads its own argument location");
        }
    }

    @Test
    void probeInASharedLibraryFoundByNameWithoutSemaphore() throws Exception {
        UsdtProbe site = UsdtProbe.read(TargetProcess.library()).getFirst();
        assertEquals("ebpf4jlib:add", site.provider() + ":" + site.name());
        assertEquals(0, site.semaphoreAddress());
        try (TargetProcess t = new TargetProcess(4);
             UsdtLink link = UsdtLink.attach(obj.program("on_lib"), "libebpf4jtest.so", "ebpf4jlib", "add", t.pid(),
                     0)) {
            assertEquals(0L, link.uprobes().getFirst().info().details().get("ref_ctr_offset"));
            t.run();
            assertEquals(4, v("lib_calls"));
            assertEquals((1 + 2 + 3 + 4) + 4 * 100, v("lib_sum"));
        }
    }

    @Test
    void autoAttach() throws Exception {
        try (TargetProcess t = new TargetProcess(2);
             Link link = UsdtLink.autoAttach(obj.program("on_args"), "usdt/" + exe + ":ebpf4j:args")) {
            assertTrue(link instanceof UsdtLink);
            t.run();
            assertEquals(2, v("args_calls"));
            assertEquals(-3, v("args_small_sum"));
        }
        assertThrows(IllegalArgumentException.class, () -> UsdtLink.autoAttach(obj.program("on_args"), "usdt"));
    }

    @Test
    void programWithoutTheSpecMapIsRefused() throws Exception {
        try (BpfObject plain = BpfObject.load(ObjectSpec.read(BpfC.object("uprobe")))) {
            var e = assertThrows(BpfException.class, () -> UsdtLink.attach(plain.program("on_add"), exe.toString(),
                    "ebpf4j", "args", -1, 0));
            assertTrue(e.getMessage().contains("uses no map named __bpf_usdt_specs"), e.getMessage());
        }
    }

    @Test
    void unknownProbeListsTheProbesThereAre() {
        var e = assertThrows(BpfException.class,
                () -> UsdtLink.attach(obj.program("on_args"), exe.toString(), "ebpf4j", "nope", -1, 0));
        assertTrue(e.getMessage().contains("no such probe") && e.getMessage().contains("ebpf4j:guarded"),
                e.getMessage());
    }
}
