package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kprobe, kretprobe, ksyscall and kprobe.multi: the attributes and definitions they send (no kernel needed), the
 * error a kernel without kprobes gives, and — where the kernel has them — firing by a getpid loop.
 */
class KprobeLinkTest {
    private static final int CALLS = 50;

    @Test
    void pmuAttributeCarriesNameOffsetAndRetprobeBit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(PerfEvent.ATTR.size());
            MemorySegment name = arena.allocateFrom("do_sys_openat2");
            KprobeLink.fillPmuAttr(a, 8, true, 0, name, 0);
            assertEquals(8, a.get(JAVA_INT, PerfEvent.ATTR.offset("type")));
            assertEquals(1L, a.get(JAVA_LONG, PerfEvent.ATTR.offset("config")), "retprobe bit 0");
            assertEquals(name.address(), a.get(JAVA_LONG, PerfEvent.ATTR.offset("config1")), "kprobe_func");
            KprobeLink.fillPmuAttr(a, 8, false, 0, name, 0x10);
            assertEquals(0L, a.get(JAVA_LONG, PerfEvent.ATTR.offset("config")));
            assertEquals(0x10L, a.get(JAVA_LONG, PerfEvent.ATTR.offset("config2")), "probe_offset");
        }
        assertEquals(0, KprobeLink.parseFormatBit("config:0", "format/retprobe"));
        assertEquals(3, KprobeLink.parseFormatBit("config:3", "format/retprobe"));
        assertThrows(io.ebpf4j.BpfException.class, () -> KprobeLink.parseFormatBit("config1:0-63", "x"));
    }

    @Test
    void legacyDefinitions() {
        String event = KprobeLink.legacyEventName("do_sys.openat2", 42, 1);
        assertEquals("ebpf4j_42_do_sys_openat2_1", event);
        assertEquals("p:ebpf4j/" + event + " do_sys_openat2+16", KprobeLink.legacyDefinition(false, event, "do_sys_openat2", 16));
        assertEquals("r:ebpf4j/" + event + " do_sys_openat2", KprobeLink.legacyDefinition(true, event, "do_sys_openat2", 0));
    }

    @Test
    void multiLinkEncoding() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment syms = arena.allocate(ADDRESS, 2);
            syms.setAtIndex(ADDRESS, 0, arena.allocateFrom("a_func"));
            MemorySegment bFunc = arena.allocateFrom("b_func");
            syms.setAtIndex(ADDRESS, 1, bFunc);
            MemorySegment cookies = arena.allocateFrom(JAVA_LONG, 7, 8);
            MemorySegment attr = arena.allocate(Attr.LINK_CREATE.size());
            KprobeMultiLink.encode(KprobeMultiLink.Kind.RETURN, 2, syms, MemorySegment.NULL, cookies).accept(attr);
            assertEquals(KprobeMultiLink.F_RETURN, attr.get(JAVA_INT, Attr.LinkCreate.KPROBE_MULTI_FLAGS));
            assertEquals(2, attr.get(JAVA_INT, Attr.LinkCreate.KPROBE_MULTI_CNT));
            assertEquals(syms.address(), attr.get(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_SYMS));
            assertEquals(0L, attr.get(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_ADDRS));
            assertEquals(cookies.address(), attr.get(JAVA_LONG, Attr.LinkCreate.KPROBE_MULTI_COOKIES));
            assertEquals(bFunc.address(), syms.getAtIndex(ADDRESS, 1).address(), "the second name's pointer");
        }
        assertEquals(AttachType.TRACE_KPROBE_SESSION, KprobeMultiLink.Kind.SESSION.attachType);
    }

    @Test
    void symbolsFromKallsyms() {
        assertTrue(Ksyms.glob("__x64_sys_getp?d").matcher("__x64_sys_getpid").matches());
        assertFalse(Ksyms.glob("sys_*").matcher("__x64_sys_getpid").matches());
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "x86_64 symbol names");
        KernelAccess.assume(); // reading addresses and names from kallsyms needs root
        assertEquals("__x64_sys_getpid", Ksyms.syscallSymbol("getpid"));
        assertEquals(List.of("__x64_sys_getpid"), Ksyms.functions(Ksyms.glob("__x64_sys_getpid")));
        assertThrows(IllegalArgumentException.class, () -> Ksyms.syscallSymbol("get/pid"));
    }

    private static BpfObject load() {
        BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("kprobe")));
        obj.variable("target_tgid").set(ValueLayout.JAVA_INT, 0, Libc.getpid());
        return obj;
    }

    private static void getpids() {
        for (int i = 0; i < CALLS; i++) {
            Libc.getpid();
        }
    }

    @Test
    void withoutKprobesTheUserIsToldWhy() {
        KernelAccess.assume();
        Assumptions.assumeTrue(KprobeLink.support() == KprobeLink.Support.NONE, "this kernel has kprobes");
        try (BpfObject obj = load()) {
            UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                    () -> KprobeLink.kprobe(obj.program("kp_getpid"), "__x64_sys_getpid", 0, 0));
            assertTrue(e.getMessage().contains("this kernel has no kprobes (CONFIG_KPROBES)"), e.getMessage());
            assertThrows(UnsupportedFeatureException.class,
                    () -> KprobeLink.ksyscall(obj.program("ks_getpid"), "getpid", false, 0));
            // Auto-attach takes the same road.
            UnsupportedFeatureException auto = assertThrows(UnsupportedFeatureException.class,
                    () -> Links.attach(obj.program("krp_getpid"), obj.programDef("krp_getpid")));
            assertTrue(auto.getMessage().contains("CONFIG_KPROBES"));
        }
    }

    @Test
    void kprobesFire() {
        KernelAccess.assume();
        Assumptions.assumeTrue(KprobeLink.support() != KprobeLink.Support.NONE, KprobeLink.unsupportedReason());
        try (BpfObject obj = load();
             PerfEventLink kp = KprobeLink.kprobe(obj.program("kp_getpid"), "__x64_sys_getpid", 0, 0);
             PerfEventLink krp = KprobeLink.kretprobe(obj.program("krp_getpid"), "__x64_sys_getpid", 0);
             PerfEventLink ks = KprobeLink.ksyscall(obj.program("ks_getpid"), "getpid", false, 0)) {
            getpids();
            assertTrue(obj.variableLong("kprobe_count") >= CALLS);
            assertTrue(obj.variableLong("kretprobe_count") >= CALLS);
            assertTrue(obj.variableLong("ksyscall_count") >= CALLS);
            assertTrue(kp.describe().contains("kprobe") && krp.describe().contains("kretprobe") && !ks.isClosed());
        }
    }

    @Test
    void kprobeMultiFiresOrSaysWhyNot() {
        KernelAccess.assume();
        try (BpfObject obj = load()) {
            try (KprobeMultiLink link = KprobeMultiLink.attach(obj.program("km_getpid"), List.of("__x64_sys_getpid"),
                    new long[] {99}, KprobeMultiLink.Kind.ENTRY)) {
                getpids();
                assertTrue(obj.variableLong("multi_count") >= CALLS);
                assertEquals(99, obj.variableLong("multi_cookie"));
                assertEquals(LinkType.KPROBE_MULTI, link.info().type().orElseThrow());
            } catch (UnsupportedFeatureException e) {
                assertTrue(e.getMessage().contains("CONFIG_FPROBE"), e.getMessage());
                Assumptions.abort("firing skipped: " + e.getMessage());
            }
        }
    }

    @Test
    void uprobeSectionsAutoAttachThroughTheTable() {
        KernelAccess.assume();
        try (BpfObject obj = load();
             Link link = Links.attach(obj.program("up_main"), obj.programDef("up_main")).orElseThrow()) {
            LinkInfo info = ((BpfLink) link).info();
            assertEquals(LinkType.PERF_EVENT, info.type().orElseThrow());
            assertEquals("uprobe", info.details().get("event_type"));
            assertTrue(String.valueOf(info.details().get("file")).contains("libc.so.6"), info.details().toString());
        }
    }
}
