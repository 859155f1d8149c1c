package io.ebpf4j.object;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfValueFormatter;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.TestRun;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A compiled object's {@code .bss}, read from the kernel's map after a run and formatted through the object's
 * BTF as loaded (DATASEC with the loader's offsets): every variable by name.
 */
class GlobalDataFormatKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void bssIsFormattedVariableByVariable() throws IOException {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("vmlinux_task"));
        Btf btf = Btf.parse(spec.loadableBtf());
        int bss = btf.find(".bss", BtfKind.DATASEC).orElseThrow();
        try (BpfObject obj = BpfObject.load(spec)) {
            obj.program("read_task").testRun(TestRun.empty());
            BpfMap map = obj.maps().values().stream().filter(m -> m.name().endsWith(".bss")).findFirst().orElseThrow();
            byte[] value = map.lookup(new byte[4]).orElseThrow();
            String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
            long tid = Long.parseLong(self.substring(self.lastIndexOf('/') + 1));
            String comm = Files.readString(Path.of("/proc/thread-self/comm")).strip();
            Object tree = new BtfValueFormatter(btf).tree(bss, value);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> vars = (List<Map<String, Object>>) ((Map<String, Object>) tree).get(".bss");
            assertEquals(5, vars.size(), tree.toString());
            assertEquals(Map.of("seen_pid", tid), vars.get(0));
            assertEquals(Map.of("seen_tgid", ProcessHandle.current().pid()), vars.get(1));
            assertEquals(Map.of("seen_comm", comm), vars.get(3));
            assertEquals(Map.of("runs", 1L), vars.get(4));
        }
    }
}
