package io.ebpf4j.btf;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The running kernel's BTF: parsed, fully decoded, and checked against bpftool. Needs no privileges. */
class BtfKernelTest {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    @BeforeAll
    static void kernelBtf() {
        Assumptions.assumeTrue(Files.isReadable(VMLINUX), "this kernel exposes no BTF at " + VMLINUX);
    }

    @Test
    void everyTypeDecodes() {
        try (Btf btf = Btf.open(VMLINUX)) {
            assertEquals(1, btf.firstTypeId());
            assertTrue(btf.typeCount() > 1000, btf.toString());
            for (int id = 0; id <= btf.lastTypeId(); id++) {
                BtfType t = btf.type(id);
                assertEquals(t.kind(), btf.kind(id));
                assertEquals(t.name(), btf.nameOf(id));
                assertSame(t, btf.type(id), "decoded once and kept");
            }
        }
    }

    @Test
    void taskStructAndKnownSizes() {
        Btf btf = Btf.loadKernel();
        int task = btf.find("task_struct", BtfKind.STRUCT).orElseThrow();
        BtfType.Struct s = assertInstanceOf(BtfType.Struct.class, btf.type(task));
        assertEquals("task_struct", s.name());
        assertTrue(s.size() > 0);
        assertEquals(s.size(), btf.sizeOf(task));
        BtfType.Member pid = s.member("pid").orElseThrow();
        BtfType.Int pidInt = assertInstanceOf(BtfType.Int.class, btf.resolveType(pid.type()));
        assertEquals(4, pidInt.size());
        assertTrue(pidInt.signed());
        assertEquals(4, btf.sizeOf(pid.type()));
        assertTrue(btf.findByName("task_struct").contains(task));

        assertEquals(8, btf.sizeOf(btf.find("u64", BtfKind.TYPEDEF).orElseThrow()));
        assertEquals(16, btf.sizeOf(btf.find("list_head", BtfKind.STRUCT).orElseThrow()));
        assertEquals(8, btf.sizeOf(btf.type(btf.find("list_head", BtfKind.STRUCT).orElseThrow()) instanceof BtfType.Struct l
                ? l.member("next").orElseThrow().type() : 0), "a pointer is as long as the kernel's long");
        assertTrue(btf.find("task_struct", BtfKind.UNION).isEmpty());
        assertTrue(btf.findByName("no_such_type_anywhere").isEmpty());
    }

    @Test
    void theKernelsBtfIsReadOnceAndCloseIsHarmless() {
        Btf a = Btf.loadKernel();
        a.close();
        assertSame(a, Btf.loadKernel());
        assertTrue(a.find("task_struct", BtfKind.STRUCT).isPresent(), "still usable after close()");
    }

    /** Threads racing to build the name indexes and decode the same types see what one thread alone sees. */
    @Test
    void concurrentLookupsAgree() throws Exception {
        String[][] wanted = {{"task_struct", "STRUCT"}, {"sk_buff", "STRUCT"}, {"u64", "TYPEDEF"}, {"bpf_map_type", "ENUM"},
                {"schedule", "FUNC"}, {"int", "INT"}, {"nf_inet_addr", "UNION"}, {"runqueues", "VAR"}};
        List<Integer> expected = new ArrayList<>();
        try (Btf alone = Btf.open(VMLINUX)) {
            for (String[] w : wanted) {
                expected.add(alone.find(w[0], BtfKind.valueOf(w[1])).orElseThrow());
            }
        }
        try (Btf shared = Btf.open(VMLINUX); var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<List<Object>>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int shift = t;
                runs.add(pool.submit(() -> {
                    List<Object> got = new ArrayList<>();
                    for (int k = 0; k < wanted.length; k++) {
                        String[] w = wanted[(k + shift) % wanted.length];
                        int id = shared.find(w[0], BtfKind.valueOf(w[1])).orElseThrow();
                        got.add(w[0] + "=" + id + ":" + shared.type(id).name() + ":" + shared.findByName(w[0]).contains(id));
                    }
                    return got;
                }));
            }
            for (int t = 0; t < runs.size(); t++) {
                List<Object> got = runs.get(t).get();
                for (int k = 0; k < wanted.length; k++) {
                    int w = (k + t) % wanted.length;
                    assertEquals(wanted[w][0] + "=" + expected.get(w) + ":" + wanted[w][0] + ":true", got.get(k));
                }
            }
        }
    }

    /** Every line bpftool prints for every type equals what the decoded records render to. */
    @Test
    void matchesBpftool() throws Exception {
        List<String> expected = bpftool("btf", "dump", "file", VMLINUX.toString());
        try (Btf btf = Btf.open(VMLINUX)) {
            String last = expected.stream().filter(l -> l.startsWith("[")).reduce((x, y) -> y).orElseThrow();
            assertEquals(btf.lastTypeId(), Integer.parseInt(last.substring(1, last.indexOf(']'))), "type count");
            List<String> actual = new ArrayList<>(expected.size());
            for (int id = 1; id <= btf.lastTypeId(); id++) {
                actual.addAll(List.of(BtfRawFormat.format(btf, id).split("\n", -1)));
            }
            assertEquals(expected.size(), actual.size(), "lines");
            StringBuilder whole = new StringBuilder();
            BtfRawFormat.write(btf, whole);
            assertEquals(String.join("\n", actual) + "\n", whole.toString(), "write() is format() of every type");
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i), actual.get(i), "line " + (i + 1));
            }
        }
    }

    /** bpftool's output lines; skips the calling test, saying why, when bpftool is missing or fails. */
    static List<String> bpftool(String... args) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bpftool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            Assumptions.abort("bpftool is not on PATH, so there is nothing to cross-check against (" + e.getMessage() + ")");
            throw new AssertionError(e);
        }
        List<String> lines;
        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
            lines = r.lines().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
                "bpftool " + String.join(" ", args) + " failed, so there is nothing to cross-check against");
        return lines;
    }
}
