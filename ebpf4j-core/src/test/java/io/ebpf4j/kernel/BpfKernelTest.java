package io.ebpf4j.kernel;

import io.ebpf4j.Errno;
import io.ebpf4j.KernelAccess;
import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpfKernelTest {
    /** sizeof(union bpf_attr) in 6.18: the kernel refuses non-zero bytes past it with E2BIG. */
    private static final int ATTR_UNION_SIZE = 168;

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void aFieldTheKernelDoesNotKnowIsNamed() {
        // A MAP_CREATE attribute from a "future" UAPI, one field past what this kernel knows.
        AttrLayout future = AttrLayout.of("BPF_MAP_CREATE", JAVA_INT.withName("map_type"), JAVA_INT.withName("key_size"),
                JAVA_INT.withName("value_size"), JAVA_INT.withName("max_entries"), paddingLayout(ATTR_UNION_SIZE - 16),
                JAVA_INT.withName("future_field"), paddingLayout(4));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(future.layout());
            a.set(JAVA_INT, future.offset("map_type"), 2);
            a.set(JAVA_INT, future.offset("key_size"), 4);
            a.set(JAVA_INT, future.offset("value_size"), 4);
            a.set(JAVA_INT, future.offset("max_entries"), 1);
            a.set(JAVA_INT, future.offset("future_field"), 1);
            UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                    () -> Bpf.callOrThrow(BpfCmd.MAP_CREATE, future, a, future.size(), "map 'x'", null));
            assertTrue(e.getMessage().contains("lacks BPF_MAP_CREATE attribute 'future_field'"), e.getMessage());
            // A known field is not blamed: max_entries too large is a plain E2BIG/ENOMEM-style failure.
            assertTrue(Bpf.kernelKnowsField(BpfCmd.MAP_CREATE, Attr.MAP_CREATE, "map_token_fd"));
        }
    }

    @Test
    void errnoAndHintsReachTheUser() {
        SyscallException e = assertThrows(SyscallException.class, () -> Bpf.fdById(BpfCmd.PROG_GET_FD_BY_ID, Integer.MAX_VALUE, 0, "program"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("BPF_PROG_GET_FD_BY_ID", e.call());
        assertTrue(e.getMessage().contains("no object has that id"), e.getMessage());
        // A path outside bpffs: under the JVM's temporary directory, not created.
        String notBpffs = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "ebpf4j-not-bpffs-" + ProcessHandle.current().pid(), "x").toString();
        SyscallException pin = assertThrows(SyscallException.class, () -> Bpf.objPin(0, notBpffs, "map 'x'"));
        assertTrue(pin.errno() == Errno.EINVAL || pin.errno() == Errno.ENOENT || pin.errno() == Errno.EBADF, pin.getMessage());
    }

    @Test
    void nextIdEndsWithZero() {
        assertEquals(0, Bpf.nextId(BpfCmd.MAP_GET_NEXT_ID, Integer.MAX_VALUE - 1));
    }
}
