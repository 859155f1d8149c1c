package io.ebpf4j.btf;

import io.ebpf4j.KernelAccess;
import io.ebpf4j.SyscallException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadedBtfKernelTest {
    @BeforeAll
    static void kernel() {
        KernelAccess.assume();
    }

    @Test
    void loadsReadsBackAndOpensById() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        w.addStruct("pair", 8, new BtfWriter.Member("a", i, 0), new BtfWriter.Member("b", i, 32));
        byte[] raw = w.toBytes();
        try (LoadedBtf btf = LoadedBtf.load(raw)) {
            LoadedBtf.Info info = btf.info();
            assertFalse(info.kernel());
            assertArrayEquals(raw, btf.bytes());
            assertTrue(LoadedBtf.ids().contains(info.id()));
            try (LoadedBtf again = LoadedBtf.fromId(info.id())) {
                assertArrayEquals(raw, again.bytes());
            }
        }
    }

    @Test
    void theKernelsOwnBtfIsListed() {
        boolean vmlinux = false;
        for (int id : LoadedBtf.ids()) {
            try (LoadedBtf b = LoadedBtf.fromId(id)) {
                LoadedBtf.Info info = b.info();
                vmlinux |= info.kernel() && info.name().equals("vmlinux");
            } catch (SyscallException e) {
                // freed between listing and opening
            }
        }
        assertTrue(vmlinux);
    }

    @Test
    void badBtfCarriesTheKernelsLog() {
        BtfWriter w = new BtfWriter();
        w.addPtr(42); // points at a type that does not exist
        byte[] raw = w.toBytes();
        SyscallException e = assertThrows(SyscallException.class, () -> LoadedBtf.load(raw));
        assertTrue(e.getMessage().contains("BPF_BTF_LOAD"), e.getMessage());
        assertTrue(e.hint() != null && !e.hint().isEmpty(), e.getMessage());
        byte[] truncated = Arrays.copyOf(raw, 10);
        assertThrows(SyscallException.class, () -> LoadedBtf.load(truncated));
    }
}
