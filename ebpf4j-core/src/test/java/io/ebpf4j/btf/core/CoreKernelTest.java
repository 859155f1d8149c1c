package io.ebpf4j.btf.core;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.VerifierException;
import io.ebpf4j.btf.BtfExt.CoreReloKind;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.CoreRelocations;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CO-RE against the running kernel: programs compiled with vmlinux.h (and with a task_struct flavor whose
 * layout no kernel has) read the test thread's task_struct in raw_tp test-runs, which run in the calling
 * thread; the values are checked against /proc.
 */
class CoreKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    /** This thread as /proc sees it: tid, tgid (the JVM's pid), the JVM's parent and the thread's comm. */
    private record Me(int pid, int tgid, int ppid, String comm) {
        static Me now() throws IOException {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            int tid = Integer.parseInt(self.getFileName().toString());
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] afterComm = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            String comm = Files.readString(Path.of("/proc/thread-self/comm")).strip();
            return new Me(tid, (int) ProcessHandle.current().pid(), Integer.parseInt(afterComm[1]), comm);
        }
    }

    private static int intVar(BpfObject obj, String name) {
        return ByteBuffer.wrap(obj.readVariable(name)).order(ByteOrder.nativeOrder()).getInt();
    }

    private static String strVar(BpfObject obj, String name) {
        byte[] b = obj.readVariable(name);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    @Test
    void coreReadsOfTheCurrentTaskMatchProc() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("core_task"));
        try (BpfObject obj = BpfObject.load(spec)) {
            Me me = Me.now();
            assertEquals(0, obj.program("read_task").testRun(TestRun.empty()).retval());
            assertEquals(me.pid(), intVar(obj, "pid"));
            assertEquals(me.tgid(), intVar(obj, "tgid"));
            assertEquals(me.ppid(), intVar(obj, "ppid"));
            assertEquals(me.comm(), strVar(obj, "comm"));

            assertEquals(0, obj.program("read_task_btf").testRun(TestRun.empty()).retval());
            assertEquals(me.pid(), intVar(obj, "btf_pid"));
            assertEquals(me.tgid(), intVar(obj, "btf_tgid"));
        }
    }

    @Test
    void aFlavorWithAnotherLayoutIsRelocatedToTheKernels() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("core_task"));
        try (CoreTarget kernel = CoreTarget.kernel()) {
            CoreRelocations.Relocated r = CoreRelocations.apply(spec, "read_task_flavor", kernel);
            // Every offset moved: the local struct puts pid at 32, the kernel elsewhere.
            CoreRelocation pid = r.relocations().stream().filter(c -> c.target().endsWith(".pid")).findFirst().orElseThrow();
            assertEquals(CoreReloKind.FIELD_BYTE_OFFSET, pid.kind());
            assertEquals("struct task_struct___mine.pid", pid.target());
            assertEquals(32, pid.localValue());
            int kernelPid = (int) kernel.btf().find("task_struct", io.ebpf4j.btf.BtfKind.STRUCT).stream()
                    .mapToObj(id -> ((io.ebpf4j.btf.BtfType.Struct) kernel.btf().type(id)).member("pid").orElseThrow()
                            .bitOffset() / 8).findFirst().orElseThrow();
            assertEquals(kernelPid, pid.targetValue());
            assertNotEquals(pid.localValue(), pid.targetValue());
        }
        try (BpfObject obj = BpfObject.load(spec)) {
            Me me = Me.now();
            assertEquals(0, obj.program("read_task_flavor").testRun(TestRun.empty()).retval());
            assertEquals(me.pid(), intVar(obj, "flavor_pid"));
            assertEquals(me.tgid(), intVar(obj, "flavor_tgid"));
            assertEquals(me.ppid(), intVar(obj, "flavor_ppid"));
            assertEquals(me.comm(), strVar(obj, "flavor_comm"));

            assertEquals(0, obj.program("read_task_sub").testRun(TestRun.empty()).retval());
            assertEquals(me.tgid(), intVar(obj, "sub_tgid"));
            assertEquals(me.ppid(), intVar(obj, "sub_ppid"));
        }
    }

    @Test
    void aMissingFieldGuardedByFieldExistsLoads() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("core_task"));
        try (CoreTarget kernel = CoreTarget.kernel()) {
            List<CoreRelocation> poisoned = CoreRelocations.apply(spec, "guarded_missing", kernel).poisoned();
            assertFalse(poisoned.isEmpty(), "the read of the missing field is poisoned");
            assertTrue(poisoned.stream().allMatch(c -> c.target().equals("struct task_struct___nofield.no_such_field")));
        }
        try (BpfObject obj = BpfObject.load(spec)) {
            assertEquals(0, obj.program("guarded_missing").testRun(TestRun.empty()).retval());
            assertEquals(1, intVar(obj, "missing_guarded"));
            assertEquals(0, intVar(obj, "missing_value"));
        }
    }

    @Test
    void aReachableMissingFieldIsNamedInTheVerifierError() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("core_task"));
        spec.programs().values().forEach(p -> p.autoload(p.name().equals("unguarded_missing")));
        VerifierException e = assertThrows(VerifierException.class, () -> BpfObject.load(spec).close());
        assertTrue(e.log().contains("unknown#" + CoreRelocator.POISON_HELPER), e.log());
        assertTrue(e.getMessage().contains("FIELD_BYTE_OFFSET of struct task_struct___nofield.no_such_field"),
                e.getMessage());
        assertTrue(e.getMessage().contains("bpf_core_field_exists"), e.getMessage());
    }
}
