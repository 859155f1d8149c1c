package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.object.AttachTargets;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.object.ProgramDef;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.ProgramType;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * fentry, fexit, lsm and freplace: targets resolved against kernel BTF and a program's BTF, the error a kernel
 * without BPF trampolines gives at load, and firing where the kernel has them.
 */
class TrampolineLinksKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static String nameOf(int id) {
        return Btf.loadKernel().nameOf(id);
    }

    @Test
    void targetsResolveAgainstKernelBtf() {
        Btf k = Btf.loadKernel();
        AttachTargets.Target f = AttachTargets.resolve(ProgramType.TRACING, AttachType.TRACE_FENTRY, "__task_pid_nr_ns");
        assertInstanceOf(BtfType.Func.class, k.type(f.btfId()));
        assertEquals("__task_pid_nr_ns", nameOf(f.btfId()));
        assertEquals("vmlinux", f.module());
        assertEquals(0, f.btfObjId());

        AttachTargets.Target lsm = AttachTargets.resolve(ProgramType.LSM, AttachType.LSM_MAC, "file_open");
        assertEquals("bpf_lsm_file_open", nameOf(lsm.btfId()));
        AttachTargets.Target tp = AttachTargets.resolve(ProgramType.TRACING, AttachType.TRACE_RAW_TP, "sys_enter");
        assertInstanceOf(BtfType.Typedef.class, k.type(tp.btfId()));
        assertEquals("btf_trace_sys_enter", nameOf(tp.btfId()));
        assertEquals("bpf_iter_task", nameOf(AttachTargets.resolve(ProgramType.TRACING, AttachType.TRACE_ITER, "task").btfId()));

        BpfException missing = assertThrows(BpfException.class,
                () -> AttachTargets.resolve(ProgramType.TRACING, AttachType.TRACE_FEXIT, "ebpf4j_no_such_fn"));
        assertTrue(missing.getMessage().contains("no func 'ebpf4j_no_such_fn'"), missing.getMessage());
        assertTrue(missing.getMessage().contains("fexit"), missing.getMessage());
        assertThrows(BpfException.class, () -> AttachTargets.resolve(ProgramType.TRACING, AttachType.TRACE_FENTRY, ""));
        assertNull(AttachTargets.naming(ProgramType.XDP, AttachType.XDP));
        assertThrows(IllegalArgumentException.class, () -> AttachTargets.resolve(ProgramType.XDP, AttachType.XDP, "x"));
    }

    @Test
    void freplaceTargetResolvesInTheProgramsBtf() {
        try (BpfObject target = BpfObject.load(ObjectSpec.read(BpfC.object("tracing")))) {
            int id = AttachTargets.programFunction(target.program("raw_getpid"), "raw_getpid");
            assertTrue(id > 0);
            BpfException e = assertThrows(BpfException.class,
                    () -> AttachTargets.programFunction(target.program("raw_getpid"), "ebpf4j_none"));
            assertTrue(e.getMessage().contains("no function 'ebpf4j_none'"), e.getMessage());

            ObjectSpec spec = only(ObjectSpec.read(BpfC.object("fentry")), "replacement");
            BpfException noTarget = assertThrows(BpfException.class, () -> BpfObject.load(spec));
            assertTrue(noTarget.getMessage().contains("freplaceTarget"), noTarget.getMessage());

            spec.programs().get("replacement").freplaceTarget(target.program("raw_getpid"));
            try (BpfObject ext = BpfObject.load(spec); TracingLink link = TracingLink.attach(ext.program("replacement"))) {
                assertEquals(LinkType.TRACING, link.info().type().orElseThrow());
            } catch (UnsupportedFeatureException noTrampolines) {
                assertTrue(noTrampolines.getMessage().contains("BPF trampolines"), noTrampolines.getMessage());
            }
        }
    }

    /** The spec with only {@code program} loaded. */
    private static ObjectSpec only(ObjectSpec spec, String program) {
        for (ProgramDef d : spec.programs().values()) {
            d.autoload(d.name().equals(program));
        }
        return spec;
    }

    @Test
    void fentryAndFexitFireOrTheLoadSaysWhy() {
        ObjectSpec spec = only(ObjectSpec.read(BpfC.object("fentry")), "on_getpid");
        spec.programs().get("on_getpid_exit").autoload(true);
        BpfObject obj;
        try {
            obj = BpfObject.load(spec);
        } catch (UnsupportedFeatureException e) {
            assertTrue(e.getMessage().contains("BPF trampolines (program 'on_getpid', trace_fentry)"), e.getMessage());
            assertTrue(e.getMessage().contains("EPERM"), e.getMessage());
            Assumptions.abort("firing skipped: " + e.getMessage());
            return;
        }
        try (obj; Links.Attached links = Links.attachAll(obj)) {
            obj.variable("target_tgid").set(ValueLayout.JAVA_INT, 0, Libc.getpid());
            for (int i = 0; i < 20; i++) {
                Libc.getpid();
            }
            assertTrue(obj.variableLong("fentry_count") >= 20);
            assertTrue(obj.variableLong("fexit_count") >= 20);
            assertEquals(2, links.links().size());
        }
    }

    @Test
    void lsmLoadsOrSaysWhy() {
        ObjectSpec spec = only(ObjectSpec.read(BpfC.object("fentry")), "on_file_open");
        try (BpfObject obj = BpfObject.load(spec); TracingLink link = TracingLink.attach(obj.program("on_file_open"))) {
            assertEquals(LinkType.TRACING, link.info().type().orElseThrow());
        } catch (UnsupportedFeatureException e) {
            assertTrue(e.getMessage().contains("BPF trampolines (program 'on_file_open', lsm)"), e.getMessage());
            Assumptions.abort("lsm skipped: " + e.getMessage());
        }
    }
}
