package io.ebpf4j.link;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.Mounts;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** iter/task: the link, its output read as a stream and parsed, a pinned iterator read as a file, an update. */
class IterLinkKernelTest {
    private static final long PID = ProcessHandle.current().pid();

    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    private static boolean listsThisJvm(List<String> lines) {
        return lines.stream().map(l -> l.split(" ", 2))
                .anyMatch(f -> f.length == 2 && f[0].equals(Long.toString(PID)) && f[1].equals("java"));
    }

    @Test
    void taskIteratorListsThisProcess() throws Exception {
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("iter_task")));
             IterLink link = IterLink.attach(obj.program("dump_task"))) {
            List<String> lines = link.lines();
            assertTrue(lines.size() > 1, "several processes: " + lines.size());
            assertTrue(lines.stream().allMatch(l -> l.matches("\\d+ .*")), "every line is 'tgid comm': " + lines.getFirst());
            assertTrue(listsThisJvm(lines), "this JVM (" + PID + " java) is listed");
            assertEquals(LinkType.ITER, link.info().type().orElseThrow());
            assertEquals("task", link.info().details().get("target_name"));

            // Each open() is a new walk; a stream can be read in small pieces.
            try (InputStream in = link.open()) {
                byte[] small = new byte[7];
                StringBuilder sb = new StringBuilder();
                for (int n; (n = in.read(small)) > 0; ) {
                    sb.append(new String(small, 0, n, StandardCharsets.UTF_8));
                }
                assertTrue(listsThisJvm(sb.toString().lines().toList()));
            }
        }
    }

    @Test
    void pinnedIteratorReadsAsFileAndUpdates() throws Exception {
        Path dir = Mounts.bpffs().resolve("ebpf4j-test-iter-" + PID);
        Path pin = dir.resolve("tasks");
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(BpfC.object("iter_task")));
             IterLink link = IterLink.attach(obj.program("dump_task"))) {
            link.pin(pin);
            assertTrue(listsThisJvm(Files.readAllLines(pin)), "reading the pin runs the iterator");

            link.update(obj.program("dump_task_tagged"), obj.program("dump_task"));
            List<String> tagged = link.lines();
            assertTrue(tagged.contains("tgid=" + PID), "the updated program prints the new format");
            assertTrue(Files.readAllLines(pin).contains("tgid=" + PID), "the pin runs the new program too");
            assertFalse(listsThisJvm(tagged));
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(dir);
        }
    }
}
