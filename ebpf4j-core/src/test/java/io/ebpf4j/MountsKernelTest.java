package io.ebpf4j;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountsKernelTest {
    @Test
    void bpffsAndTracefsAreThereWhenAskedFor() {
        KernelAccess.assume();
        Path bpffs = Mounts.bpffs();
        assertTrue(Mounts.isMounted(bpffs, "bpf"));
        assertEquals(bpffs, Mounts.bpffs(), "a second call finds the same mount");
        Path tracefs = Mounts.tracefs();
        // Classic tracepoint ids live under events/<subsystem>/<event>/id.
        assertTrue(Files.isRegularFile(tracefs.resolve("events/syscalls/sys_enter_getpid/id"))
                || Files.isDirectory(tracefs.resolve("events")), tracefs.toString());
        assertTrue(Mounts.find("tracefs").isPresent() || tracefs.toString().contains("debug"));
    }
}
