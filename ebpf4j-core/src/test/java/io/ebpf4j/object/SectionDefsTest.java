package io.ebpf4j.object;

import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SectionDefsTest {
    @ParameterizedTest
    @CsvSource({
            "xdp, XDP, XDP",
            "xdp.frags, XDP, XDP",
            "xdp/devmap, XDP, XDP_DEVMAP",
            "tp/syscalls/sys_enter_getpid, TRACEPOINT, ",
            "tracepoint/sched/sched_switch, TRACEPOINT, ",
            "raw_tp/sys_enter, RAW_TRACEPOINT, ",
            "raw_tp.w/sys_enter, RAW_TRACEPOINT_WRITABLE, ",
            "tp_btf/sched_switch, TRACING, TRACE_RAW_TP",
            "fentry/do_unlinkat, TRACING, TRACE_FENTRY",
            "fexit.s/do_unlinkat, TRACING, TRACE_FEXIT",
            "kprobe/do_sys_open, KPROBE, ",
            "uprobe//bin/bash:readline, KPROBE, ",
            "usdt/libc.so.6:libc:setjmp, KPROBE, ",
            "uprobe.multi/libc.so.6:malloc*, KPROBE, TRACE_UPROBE_MULTI",
            "tc, SCHED_CLS, ",
            "tc/ingress, SCHED_CLS, TCX_INGRESS",
            "tcx/egress, SCHED_CLS, TCX_EGRESS",
            "classifier, SCHED_CLS, ",
            "cgroup_skb/egress, CGROUP_SKB, CGROUP_INET_EGRESS",
            "cgroup/sock_create, CGROUP_SOCK, CGROUP_INET_SOCK_CREATE",
            "cgroup/connect4, CGROUP_SOCK_ADDR, CGROUP_INET4_CONNECT",
            "socket, SOCKET_FILTER, ",
            "sk_msg, SK_MSG, SK_MSG_VERDICT",
            "iter/task, TRACING, TRACE_ITER",
            "struct_ops/cubic_init, STRUCT_OPS, ",
            "syscall, SYSCALL, ",
            "netfilter, NETFILTER, NETFILTER",
            "lsm/file_open, LSM, LSM_MAC",
            "sk_reuseport/migrate, SK_REUSEPORT, SK_REUSEPORT_SELECT_OR_MIGRATE",
    })
    void sectionNamesGiveTypesAsLibbpfDoes(String section, ProgramType type, AttachType attach) {
        SectionDefs.Match m = SectionDefs.find(section).orElseThrow();
        assertEquals(type, m.def().type(), section);
        assertEquals(attach, m.def().attachType(), section);
        assertTrue(m.autoload());
    }

    @Test
    void plusMeansExactOrSlash() {
        assertTrue(SectionDefs.find("tp").isPresent());
        assertFalse(SectionDefs.find("tpx").isPresent(), "tp+ must not match tpx");
        // "xdp" is exact: "xdpfoo" and "xdp/foo" are unknown (libbpf agrees).
        assertFalse(SectionDefs.find("xdpfoo").isPresent());
        assertFalse(SectionDefs.find("xdp/foo").isPresent());
        assertEquals("syscalls/sys_enter_getpid", SectionDefs.find("tp/syscalls/sys_enter_getpid").orElseThrow().target());
        assertEquals("", SectionDefs.find("kprobe").orElseThrow().target());
    }

    @Test
    void sleepableAndFragsFlags() {
        assertTrue(SectionDefs.find("fentry.s/x").orElseThrow().def().has(SectionDef.SLEEPABLE));
        assertTrue(SectionDefs.find("uprobe.s/x").orElseThrow().def().has(SectionDef.SLEEPABLE));
        assertTrue(SectionDefs.find("xdp.frags").orElseThrow().def().has(SectionDef.XDP_FRAGS));
        assertFalse(SectionDefs.find("xdp").orElseThrow().def().has(SectionDef.SLEEPABLE));
        assertEquals(AutoAttach.USDT, SectionDefs.find("usdt").orElseThrow().def().autoAttach());
    }

    @Test
    void questionMarkMeansNotLoadedByDefault() {
        SectionDefs.Match m = SectionDefs.find("?tc").orElseThrow();
        assertFalse(m.autoload());
        assertEquals("tc", m.section());
        assertEquals(ProgramType.SCHED_CLS, m.def().type());
    }

    @Test
    void unknownNamesGetTheClosestKnownOnes() {
        assertTrue(SectionDefs.find("xpd").isEmpty());
        assertTrue(SectionDefs.closest("xpd", 3).contains("xdp"), SectionDefs.closest("xpd", 3).toString());
        assertTrue(SectionDefs.closest("tracepont/sched/x", 3).contains("tracepoint"));
        assertEquals(1, SectionDefs.distance("xdp", "xdpp"));
    }

    @Test
    void patternsAreUniqueAndFirstMatchWins() {
        Set<String> seen = new HashSet<>();
        for (SectionDef d : SectionDefs.TABLE) {
            assertTrue(seen.add(d.pattern()), "duplicate " + d.pattern());
            // Every row must be reachable: the name it describes finds this very row.
            assertEquals(d, SectionDefs.find(d.baseName()).orElseThrow().def(), d.pattern());
        }
    }
}
