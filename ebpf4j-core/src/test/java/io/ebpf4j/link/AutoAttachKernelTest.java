package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Links.attachAll: every program with a target in its section attached and firing, the others listed. */
class AutoAttachKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void attachesWhatSectionsNameAndSkipsTheRest() {
        List<Integer> ids;
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("tracing")))) {
            obj.variable("target_tgid").set(ValueLayout.JAVA_INT, 0, Libc.getpid());
            try (Links.Attached attached = Links.attachAll(obj)) {
                assertEquals(Set.of("count_getpid", "raw_getpid", "raw_getpid_second", "btf_getpid", "set_test_err"),
                        attached.links().keySet());
                assertEquals(Set.of("count_sample", "xdp_pass", "raw_unnamed"), attached.skipped().keySet());
                assertTrue(attached.skipped().get("xdp_pass").contains("'xdp'"));
                assertInstanceOf(PerfEventLink.class, attached.links().get("count_getpid"));
                assertInstanceOf(RawTracepointLink.class, attached.links().get("raw_getpid"));
                assertInstanceOf(TracingLink.class, attached.links().get("btf_getpid"));
                ids = attached.links().values().stream().map(l -> l.bpfLink().orElseThrow().id()).toList();
                for (int i = 0; i < 20; i++) {
                    Libc.getpid();
                }
                for (String counter : List.of("tp_count", "raw_count", "raw_count2", "btf_count")) {
                    assertTrue(obj.variableLong(counter) >= 20, counter + " = " + obj.variableLong(counter));
                }
            }
        }
        ids.forEach(TracingLinksKernelTest::awaitLinkGone);
    }

    @Test
    void aSectionWithoutTargetTakesOneFromTheProgramDef() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("tracing"));
        for (var d : spec.programs().values()) {
            d.autoload(d.name().equals("btf_unnamed"));
        }
        io.ebpf4j.BpfException e = assertThrows(io.ebpf4j.BpfException.class, () -> BpfObject.load(spec));
        assertTrue(e.getMessage().contains("needs a target name"), e.getMessage());

        spec.programs().get("btf_unnamed").attachTarget("sys_enter");
        try (BpfObject obj = BpfObject.load(spec)) {
            obj.variable("target_tgid").set(ValueLayout.JAVA_INT, 0, Libc.getpid());
            try (Links.Attached attached = Links.attachAll(obj)) {
                assertEquals(Set.of("btf_unnamed"), attached.links().keySet());
                for (int i = 0; i < 20; i++) {
                    Libc.getpid();
                }
                assertTrue(obj.variableLong("btf_count") >= 20);
            }
        }
    }

    @Test
    void iteratorSectionsAttach() {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("iter_task")));
             Links.Attached attached = Links.attachAll(obj)) {
            IterLink it = assertInstanceOf(IterLink.class, attached.links().get("dump_task"));
            assertTrue(it.lines().stream().anyMatch(l -> l.startsWith(ProcessHandle.current().pid() + " ")));
            assertTrue(attached.skipped().isEmpty());
        }
    }
}
