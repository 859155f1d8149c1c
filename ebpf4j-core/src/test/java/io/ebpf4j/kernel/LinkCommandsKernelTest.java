package io.ebpf4j.kernel;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.asm.Assembler;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.ebpf4j.asm.Register.R0;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * LINK_CREATE, LINK_UPDATE, LINK_DETACH and LINK_GET_FD_BY_ID at the kernel layer, with XDP programs that pass
 * every packet on the loopback device (the public link API builds on these).
 */
class LinkCommandsKernelTest {
    private static final int XDP_PASS = 2;
    private static final int BPF_LINK_TYPE_XDP = 6;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static Program pass(String name) {
        return Program.load(ProgramSpec.of(name, ProgramType.XDP, new Assembler().mov64(R0, XDP_PASS).exit().build())
                .withExpectedAttachType(AttachType.XDP));
    }

    private record LinkInfo(int type, int id, int progId) {
    }

    private static LinkInfo info(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            var l = Attr.LINK_INFO;
            MemorySegment s = arena.allocate(l.layout());
            Bpf.objInfo(fd, s, "link");
            return new LinkInfo(s.get(ValueLayout.JAVA_INT, l.offset("type")), s.get(ValueLayout.JAVA_INT, l.offset("id")),
                    s.get(ValueLayout.JAVA_INT, l.offset("prog_id")));
        }
    }

    @Test
    void createUpdateDetach() throws Exception {
        int lo = Integer.parseInt(Files.readString(Path.of("/sys/class/net/lo/ifindex")).trim());
        try (Program first = pass("xdp_first"); Program second = pass("xdp_second");
             Fd link = Bpf.linkCreate(first.fd(), lo, AttachType.XDP.value(), 0, null, 0, "xdp on lo")) {
            LinkInfo created = info(link.get());
            assertEquals(BPF_LINK_TYPE_XDP, created.type());
            assertEquals(first.id(), created.progId());

            Bpf.linkUpdate(link.get(), second.fd(), first.fd(), "xdp on lo");
            assertEquals(second.id(), info(link.get()).progId());
            // The old-program check: claiming the wrong current program is refused.
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.ebpf4j.SyscallException.class,
                    () -> Bpf.linkUpdate(link.get(), first.fd(), first.fd(), "xdp on lo"));
            assertEquals(io.ebpf4j.Errno.EPERM, e.errno());

            try (Fd byId = Bpf.fdById(BpfCmd.LINK_GET_FD_BY_ID, created.id(), 0, "link")) {
                assertEquals(created.id(), info(byId.get()).id());
            }
            Bpf.linkDetach(link.get(), "xdp on lo");
            // A detached link still exists but holds no device; updating it now fails.
            org.junit.jupiter.api.Assertions.assertThrows(io.ebpf4j.SyscallException.class,
                    () -> Bpf.linkUpdate(link.get(), first.fd(), 0, "xdp on lo"));
        }
    }
}
