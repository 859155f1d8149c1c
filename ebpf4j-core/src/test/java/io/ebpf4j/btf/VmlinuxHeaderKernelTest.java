package io.ebpf4j.btf;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.Program;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CO-RE program compiled against the {@code vmlinux.h} our dumper generates ({@link BpfC#vmlinuxHeader()})
 * loads, runs in this thread through PROG_TEST_RUN, and reads {@code task_struct} fields that match /proc.
 */
class VmlinuxHeaderKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void coreReadsOfTaskStructMatchProc() throws IOException {
        Path header = BpfC.vmlinuxHeader();
        assertTrue(Files.readString(header).contains("struct task_struct {"), "the header is ours and complete");
        ObjectSpec spec = ObjectSpec.read(BpfC.object("vmlinux_task"));
        try (BpfObject obj = BpfObject.load(spec)) {
            Program p = obj.program("read_task");
            // A raw_tp test run without a CPU flag runs the program in the calling thread.
            assertEquals(0, p.testRun(TestRun.empty()).retval());
            String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "<pid>/task/<tid>"
            int tid = Integer.parseInt(self.substring(self.lastIndexOf('/') + 1));
            long pid = ProcessHandle.current().pid();
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Field 4 of stat, after the parenthesised command name.
            int ppid = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
            String comm = Files.readString(Path.of("/proc/thread-self/comm")).strip();

            assertEquals(1L, obj.variableLong("runs"));
            assertEquals(tid, intVar(obj, "seen_pid"), "task->pid is this thread's id");
            assertEquals(pid, intVar(obj, "seen_tgid"), "task->tgid is this process's id");
            assertEquals(ppid, intVar(obj, "seen_ppid"), "task->real_parent->tgid is the parent's pid");
            byte[] c = obj.readVariable("seen_comm");
            int n = 0;
            while (n < c.length && c[n] != 0) {
                n++;
            }
            assertEquals(comm, new String(c, 0, n, StandardCharsets.UTF_8), "task->comm is this thread's name");
        }
    }

    private static int intVar(BpfObject obj, String name) {
        return ByteBuffer.wrap(obj.readVariable(name)).order(ByteOrder.nativeOrder()).getInt();
    }
}
