package io.ebpf4j.btf;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Module BTF is split BTF on vmlinux. */
class BtfModulesTest {
    private static final Path SYSFS = Path.of("/sys/kernel/btf");

    @Test
    void everyLoadedModulesBtfDecodes() throws IOException {
        Assumptions.assumeTrue(Files.isReadable(BtfKernelTest.VMLINUX), "this kernel exposes no BTF");
        List<String> modules;
        try (Stream<Path> s = Files.list(SYSFS)) {
            modules = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("vmlinux")).sorted().toList();
        }
        Assumptions.assumeFalse(modules.isEmpty(),
                "no module BTF here: " + SYSFS + " holds only vmlinux (no loaded module was built with BTF)");
        Btf vmlinux = Btf.loadKernel();
        for (String m : modules) {
            try (Btf btf = Btf.loadModule(m)) {
                assertEquals(vmlinux.lastTypeId() + 1, btf.firstTypeId(), m);
                assertTrue(btf.base().isPresent());
                for (int id = 1; id <= btf.lastTypeId(); id++) {
                    btf.type(id);
                    btf.nameOf(id);
                }
                assertTrue(btf.find("task_struct", BtfKind.STRUCT).isPresent(), "base names are found through " + m);
            }
        }
    }

    @Test
    void aSplitOnTheRealVmlinux() {
        Assumptions.assumeTrue(Files.isReadable(BtfKernelTest.VMLINUX), "this kernel exposes no BTF");
        Btf vmlinux = Btf.loadKernel();
        int list = vmlinux.find("list_head", BtfKind.STRUCT).orElseThrow();
        int u32 = vmlinux.find("u32", BtfKind.TYPEDEF).orElseThrow();
        BtfWriter w = BtfWriter.split(vmlinux);
        int s = w.addStruct("my_module_state", 24, new BtfWriter.Member("node", list, 0), new BtfWriter.Member("n", u32, 128));
        int p = w.addPtr(s);
        Btf mod = Btf.parse(w.toBytes(), vmlinux);
        assertEquals(vmlinux.lastTypeId() + 1, s);
        assertEquals(s + 1, p);
        assertEquals(p, mod.lastTypeId());
        assertEquals(new BtfType.Struct("my_module_state", 24, List.of(new BtfType.Member("node", list, 0, 0),
                new BtfType.Member("n", u32, 128, 0))), mod.type(s));
        assertEquals(16, mod.sizeOf(list));
        assertEquals(4, mod.sizeOf(((BtfType.Struct) mod.type(s)).members().get(1).type()));
        assertEquals(List.of(s), mod.findByName("my_module_state"));
        assertEquals(vmlinux.findByName("list_head"), mod.findByName("list_head"));
        assertEquals("list_head", mod.nameOf(list));
        assertEquals(8, mod.sizeOf(p));
    }

    @Test
    void moduleNamesAreChecked() {
        for (String bad : new String[] {"", "..", "a/b", "vmlinux"}) {
            assertThrows(IllegalArgumentException.class, () -> Btf.loadModule(bad), bad);
        }
    }
}
