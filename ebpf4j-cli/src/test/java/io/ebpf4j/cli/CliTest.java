package io.ebpf4j.cli;

import io.ebpf4j.SyscallException;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.map.UpdateFlag;
import io.ebpf4j.program.Program;
import io.ebpf4j.program.ProgramSpec;
import io.ebpf4j.program.ProgramType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the command in-process, against the real kernel, as a user would. */
class CliTest {
    @BeforeAll
    static void kernel() {
        String why;
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1))) {
            why = m.isClosed() ? "could not keep a map open" : "";
        } catch (SyscallException e) {
            why = "BPF is not available to this process (" + e.getMessage() + ")";
        }
        Assumptions.assumeTrue(why.isEmpty(), why);
    }

    record Result(int exit, String out, String err) {
        Object json() throws IOException {
            return Json.parse(out);
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    static Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.exit(), () -> String.join(" ", args) + " failed: " + r.err());
        assertEquals("", r.err());
        return r;
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** {@code r0 = 0; exit}, with a map referenced first so that the program lists it in its map ids. */
    static byte[] programUsing(BpfMap m) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0x18L | (1L | 1L << 4) << 8 | (long) m.fd() << 32).putLong(0); // r1 = map (BPF_PSEUDO_MAP_FD)
        b.putLong(0xb7L).putLong(0x95L); // r0 = 0; exit
        return b.array();
    }

    @Test
    void featureProbeSaysWhatTheKernelHas() throws IOException {
        Result r = ok("feature", "probe");
        assertTrue(r.out().startsWith("Scanning eBPF program types...\n"), r.out());
        assertTrue(r.out().contains("\neBPF program_type xdp is available\n"), r.out());
        assertTrue(r.out().contains("\neBPF map_type hash is available\n"), r.out());
        assertTrue(r.out().contains("\neBPF helpers supported for program type xdp:\n\t- bpf_map_lookup_elem\n"),
                r.out());
        assertTrue(r.out().contains("\nScanning miscellaneous eBPF features...\n"), r.out());

        // Same answers as JSON (the probes are cached, so this is quick), in bpftool's keys.
        Map<String, Object> doc = Json.object(ok("feature", "probe", "kernel", "-j").json());
        assertEquals(true, Json.object(doc.get("program_types")).get("have_xdp_prog_type"));
        assertEquals(true, Json.object(doc.get("map_types")).get("have_hash_map_type"));
        List<Object> xdp = Json.array(Json.object(doc.get("helpers")).get("xdp_available_helpers"));
        assertTrue(xdp.contains("bpf_redirect"), xdp.toString());
        assertTrue(Json.object(doc.get("misc")).containsKey("have_bpf_link"));
        // Every "false" says why.
        Map<String, Object> reasons = Json.object(doc.get("reasons"));
        for (String section : List.of("program_types", "map_types", "misc")) {
            Json.object(doc.get(section)).forEach((k, v) -> {
                if (Boolean.FALSE.equals(v)) {
                    assertTrue(reasons.get(k) instanceof String s && !s.isEmpty(), k);
                }
            });
        }
    }

    @Test
    void mapShowAndDump() throws IOException {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("clitest"))) {
            m.update(le32(42), le64(0x0102030405060708L));
            String id = String.valueOf(m.id());

            String show = ok("map", "show", "id", id).out();
            assertTrue(show.startsWith(id + ": hash  name clitest  flags 0x0\n\tkey 4B  value 8B  max_entries 4"),
                    show);
            assertTrue(ok("map", "list").out().contains(id + ": hash  name clitest"));

            Map<String, Object> info = Json.object(ok("map", "show", "id", id, "-j").json());
            assertEquals(Long.valueOf(id), info.get("id"));
            assertEquals("hash", info.get("type"));
            assertEquals("clitest", info.get("name"));
            assertEquals(4L, info.get("bytes_key"));
            assertEquals(8L, info.get("bytes_value"));
            assertEquals(4L, info.get("max_entries"));
            assertEquals(0L, info.get("frozen"));

            assertEquals("key: 2a 00 00 00  value: 08 07 06 05 04 03 02 01\nFound 1 element\n",
                    ok("map", "dump", "id", id).out());
            // Options may come before the subcommand as well as after it.
            List<Object> entries = Json.array(ok("-j", "map", "dump", "id", id).json());
            assertEquals(1, entries.size());
            Map<String, Object> e = Json.object(entries.get(0));
            assertEquals(List.of("0x2a", "0x00", "0x00", "0x00"), e.get("key"));
            assertEquals(List.of("0x08", "0x07", "0x06", "0x05", "0x04", "0x03", "0x02", "0x01"), e.get("value"));
            assertEquals(ok("map", "dump", "id", id, "-j").json(), ok("map", "dump", "name", "clitest", "-p").json());
        }
    }

    @Test
    void perCpuDumpHasOneValuePerCpu() throws IOException {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.PERCPU_ARRAY, 4, 4, 1).withName("clitest_pcpu"))) {
            List<byte[]> values = new ArrayList<>();
            for (int cpu = 0; cpu < m.cpuSlots(); cpu++) {
                values.add(le32(cpu + 1));
            }
            m.updatePerCpu(le32(0), values, UpdateFlag.ANY);
            String id = String.valueOf(m.id());
            String text = ok("map", "dump", "id", id).out();
            assertTrue(text.startsWith("key:\n00 00 00 00\nvalue (CPU 00): 01 00 00 00\n"), text);
            Map<String, Object> e = Json.object(Json.array(ok("map", "dump", "id", id, "-j").json()).get(0));
            List<Object> perCpu = Json.array(e.get("values"));
            assertEquals(m.cpuSlots(), perCpu.size());
            for (int cpu = 0; cpu < perCpu.size(); cpu++) {
                Map<String, Object> slot = Json.object(perCpu.get(cpu));
                assertEquals((long) cpu, slot.get("cpu"));
                assertEquals(List.of(String.format("0x%02x", cpu + 1), "0x00", "0x00", "0x00"), slot.get("value"));
            }
        }
    }

    @Test
    void progShowListsItsMaps() throws IOException {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.ARRAY, 4, 4, 1).withName("clitest_pm"));
             Program p = Program.load(ProgramSpec.of("clitest_prog", ProgramType.SOCKET_FILTER, programUsing(m))
                     .withLicense("GPL"))) {
            String id = String.valueOf(p.id());
            String text = ok("prog", "show", "id", id).out();
            assertTrue(text.startsWith(id + ": socket_filter  name clitest_prog  tag " + p.info().tag() + "  gpl\n"),
                    text);
            assertTrue(text.contains("\txlated 32B  jited "), text);
            assertTrue(text.contains("  map_ids " + m.id() + "\n"), text);
            Map<String, Object> info = Json.object(ok("prog", "show", "id", id, "-j").json());
            assertEquals("clitest_prog", info.get("name"));
            assertEquals(List.of((long) m.id()), info.get("map_ids"));
            assertEquals(32L, info.get("bytes_xlated"));
            List<Object> named = Json.array(ok("prog", "show", "name", "clitest_prog", "-j").json());
            assertTrue(named.stream().anyMatch(o -> Long.valueOf(id).equals(Json.object(o).get("id"))));
        }
    }

    @Test
    void missingObjectIsOneLineAndExitOne() {
        Result r = run("prog", "show", "id", "999999999");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("ebpf4j: BPF_PROG_GET_FD_BY_ID (program id 999999999) failed: ENOENT"),
                r.err());
        assertEquals(1, r.err().lines().count(), r.err());

        Result json = run("map", "dump", "id", "999999999", "-j");
        assertEquals(1, json.exit());
        assertEquals("", json.out(), "nothing is written before the map is open");

        Result debug = run("--debug", "prog", "show", "id", "999999999");
        assertTrue(debug.err().contains("\tat "), "--debug prints the stack trace");
    }

    @Test
    void keylessMapCannotBeDumped() {
        try (BpfMap q = BpfMap.create(MapSpec.of(MapType.QUEUE, 0, 4, 2).withName("clitest_q"))) {
            Result r = run("map", "dump", "id", String.valueOf(q.id()));
            assertEquals(1, r.exit());
            assertTrue(r.err().startsWith("ebpf4j: map 'clitest_q' (queue) has no keys"), r.err());
        }
    }

    @Test
    void mapsWhoseValuesUserSpaceCannotReadAreRefusedBeforeAnyOutput() {
        try (BpfMap pb = BpfMap.create(MapSpec.of(MapType.PERF_EVENT_ARRAY, 4, 4, 2).withName("clitest_pb"));
             BpfMap sm = BpfMap.create(MapSpec.of(MapType.SOCKMAP, 4, 4, 2).withName("clitest_sm"));
             BpfMap sm8 = BpfMap.create(MapSpec.of(MapType.SOCKMAP, 4, 8, 2).withName("clitest_sm8"))) {
            Result perf = run("map", "dump", "id", String.valueOf(pb.id()), "-j");
            assertEquals(1, perf.exit());
            assertEquals("", perf.out(), "half a JSON document");
            assertTrue(perf.err().startsWith("ebpf4j: map 'clitest_pb' (perf_event_array) cannot be dumped: "),
                    perf.err());
            assertEquals(1, perf.err().lines().count(), perf.err());
            Result sock = run("map", "dump", "id", String.valueOf(sm.id()));
            assertEquals(1, sock.exit());
            assertTrue(sock.err().contains("needs 8-byte values"), sock.err());
            // With 8-byte values user space reads cookies: an empty sockmap dumps as one.
            assertEquals("Found 0 elements", ok("map", "dump", "id", String.valueOf(sm8.id())).out().strip());
        }
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("prog", "show", "id", "abc").exit());
        assertEquals(2, run("prog", "show", "colour", "1").exit());
        assertEquals(2, run("map", "dump").exit());
        assertEquals(2, run("nosuch").exit());
    }

    @Test
    void version() {
        assertEquals("ebpf4j 0.1.0-SNAPSHOT\n", ok("--version").out());
    }

    @Test
    void listingClosesWhatItOpens() throws IOException {
        try (BpfMap m = BpfMap.create(MapSpec.of(MapType.HASH, 4, 8, 4).withName("clitest_fd"))) {
            m.update(le32(1), le64(1));
            String id = String.valueOf(m.id());
            ok("map", "list"); // warm up: classes and caches that may keep descriptors
            long before = openFds();
            ok("map", "list");
            ok("map", "list", "-j");
            ok("prog", "list");
            ok("prog", "list", "-j");
            ok("map", "show", "id", id);
            ok("map", "dump", "id", id, "-j");
            ok("map", "dump", "name", "clitest_fd");
            run("map", "show", "id", "999999999");
            assertEquals(before, openFds());
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
