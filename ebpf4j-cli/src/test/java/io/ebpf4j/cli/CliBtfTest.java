package io.ebpf4j.cli;

import io.ebpf4j.SyscallException;
import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.btf.LoadedBtf;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.ebpf4j.cli.CliTest.ok;
import static io.ebpf4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ebpf4j btf}, run in-process against the running kernel's BTF. */
class CliBtfTest {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    @BeforeAll
    static void kernelBtf() {
        Assumptions.assumeTrue(Files.isReadable(VMLINUX), "this kernel exposes no BTF at " + VMLINUX);
        String why;
        try {
            why = LoadedBtf.ids().isEmpty() ? "the kernel lists no BTF objects" : "";
        } catch (SyscallException e) {
            why = "BPF is not available to this process (" + e.getMessage() + ")";
        }
        Assumptions.assumeTrue(why.isEmpty(), why);
    }

    /** The id of the kernel's own BTF object, from {@code btf list -j}. */
    static long vmlinuxId() throws IOException {
        List<Object> all = Json.array(ok("btf", "list", "-j").json());
        return all.stream().map(Json::object).filter(o -> "vmlinux".equals(o.get("name")))
                .map(o -> (Long) o.get("id")).findFirst().orElseThrow();
    }

    @Test
    void listShowsVmlinux() throws IOException {
        String text = ok("btf", "list").out();
        assertTrue(text.lines().anyMatch(l -> l.matches("[0-9]+: name \\[vmlinux\\]  size [0-9]+B.*")), text);

        List<Object> all = Json.array(ok("btf", "list", "-j").json());
        Map<String, Object> vmlinux = all.stream().map(Json::object).filter(o -> "vmlinux".equals(o.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError(all));
        assertEquals(true, vmlinux.get("kernel"));
        assertTrue((Long) vmlinux.get("size") > 0);
        assertTrue(vmlinux.get("prog_ids") instanceof List<?>);
    }

    @Test
    void dumpFileMatchesBpftool() throws Exception {
        String out = ok("btf", "dump", "file", VMLINUX.toString()).out();
        List<String> lines = out.lines().toList();
        assertEquals("[1] ", lines.getFirst().substring(0, 4), lines.getFirst());
        assertTrue(out.endsWith("\n"));
        assertEquals(out, ok("btf", "dump", "file", VMLINUX.toString(), "format", "raw").out(), "raw is the default");

        List<String> expected = bpftoolHead(50, "btf", "dump", "file", VMLINUX.toString());
        assertEquals(expected, lines.subList(0, expected.size()));
    }

    @Test
    void dumpIdIsTheSameAsTheFile() throws IOException {
        String id = String.valueOf(vmlinuxId());
        String byId = ok("btf", "dump", "id", id).out();
        assertEquals(ok("btf", "dump", "file", VMLINUX.toString()).out(), byId);

        List<Object> types = Json.array(ok("btf", "dump", "id", id, "-j").json());
        assertEquals(byId.lines().filter(l -> l.startsWith("[")).count(), types.size());
        Map<String, Object> first = Json.object(types.getFirst());
        assertEquals(1L, first.get("id"));
        assertTrue(first.get("kind") instanceof String && first.get("name") instanceof String, first.toString());
    }

    @Test
    void formatCOfASmallBtfFileIsTheExpectedHeader() throws IOException {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int u8 = w.addInt("unsigned char", 1, false);
        int node = w.addStruct("node", 16, new BtfWriter.Member("next", w.addPtr(4), 0),
                new BtfWriter.Member("val", i, 64), new BtfWriter.Member("flags", u8, 96, 3));
        w.addTypedef("node_t", node);
        Path file = Files.createTempFile("ebpf4j-cli-btf-" + ProcessHandle.current().pid(), ".btf");
        try {
            Files.write(file, w.toBytes());
            CliTest.Result r = ok("btf", "dump", "file", file.toString(), "format", "c");
            assertEquals("""
                    #ifndef __VMLINUX_H__
                    #define __VMLINUX_H__

                    #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                    #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
                    #endif

                    struct node {
                    \tstruct node *next;
                    \tint val;
                    \tunsigned char flags: 3;
                    };

                    typedef struct node node_t;

                    #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
                    #pragma clang attribute pop
                    #endif

                    #endif /* __VMLINUX_H__ */
                    """, r.out().replace("\r\n", "\n"));
            assertEquals(2, run("btf", "dump", "file", file.toString(), "format", "c", "-j").exit(),
                    "C has no JSON form");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** {@code format c} of the kernel's BTF is a vmlinux.h that clang-19 compiles for BPF. */
    @Test
    void formatCOfVmlinuxCompiles() throws IOException, InterruptedException {
        String header = ok("btf", "dump", "file", VMLINUX.toString(), "format", "c").out();
        assertTrue(header.startsWith("#ifndef __VMLINUX_H__\n"), header.substring(0, 100));
        assertTrue(header.contains("\nstruct task_struct {\n"));
        assertEquals(header, ok("btf", "dump", "id", String.valueOf(vmlinuxId()), "format", "c").out(),
                "by id, the same BTF gives the same header");
        Path clang = Fixtures.onPath("clang-19");
        Assumptions.assumeTrue(clang != null, "clang-19 is not installed: cannot compile vmlinux.h");
        Path dir = Files.createTempDirectory("ebpf4j-cli-vmlinux-" + ProcessHandle.current().pid());
        try {
            Files.writeString(dir.resolve("vmlinux.h"), header);
            Files.writeString(dir.resolve("use.c"), """
                    #include "vmlinux.h"
                    _Static_assert(sizeof(struct task_struct) > 1000, "task_struct");
                    int pid_of(struct task_struct *t) { return t->pid; }
                    """);
            Process p = new ProcessBuilder(clang.toString(), "-target", "bpf", "-O2", "-c",
                    dir.resolve("use.c").toString(), "-o", dir.resolve("use.o").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void missingFileIsOneLineAndExitOne() {
        CliTest.Result r = run("btf", "dump", "file", "no/such/btf-file");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("ebpf4j: "), r.err());
        assertTrue(r.err().contains("no/such/btf-file"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());

        assertEquals(2, run("btf", "dump", "colour", "x").exit());
        assertEquals(2, run("btf", "dump", "id", "abc").exit());
        assertEquals(2, run("btf", "dump", "file", VMLINUX.toString(), "format", "json").exit());
    }

    /** The first {@code n} lines bpftool prints; skips the test, saying why, when bpftool is missing or fails. */
    static List<String> bpftoolHead(int n, String... args) throws InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("bpftool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            Assumptions.abort("bpftool is not on PATH, so there is nothing to compare with (" + e.getMessage() + ")");
            throw new AssertionError(e);
        }
        List<String> lines;
        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
            // Read everything, so that bpftool does not die of a broken pipe and exit non-zero.
            lines = r.lines().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
                "bpftool " + String.join(" ", args) + " failed, so there is nothing to compare with");
        assertTrue(lines.size() >= n, "bpftool printed " + lines.size() + " lines");
        return lines.subList(0, n);
    }
}
