package io.ebpf4j.cli;

import io.ebpf4j.btf.BtfType;
import io.ebpf4j.btf.BtfWriter;
import io.ebpf4j.btf.BtfWriter.Member;
import io.ebpf4j.btf.LoadedBtf;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.ebpf4j.cli.CliTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code map dump} of maps created with BTF key and value types (here by hand: a BTF blob loaded into the
 * kernel, its type ids given at map creation), compared with expected text and, when bpftool is installed,
 * with what bpftool prints for the same maps.
 */
class CliMapBtfTest {
    private static final Path BPFTOOL = Fixtures.onPath("bpftool");
    private final List<AutoCloseable> made = new ArrayList<>();
    private final String tag = "b" + ProcessHandle.current().pid() % 1_000_000;

    private int keyId;
    private int valueId;
    private int u64Id;
    private int sectionId;
    private LoadedBtf btf;

    @BeforeAll
    static void kernel() {
        CliTest.kernel();
    }

    @BeforeEach
    void types() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int u = w.addInt("unsigned int", 4, false);
        int ch = w.addInt("char", 1, true);
        u64Id = w.addInt("long long unsigned int", 8, false);
        int state = w.addEnum("state", 4, false, new BtfType.EnumValue("IDLE", 0), new BtfType.EnumValue("BUSY", 1));
        int comm = w.addArray(ch, i, 8);
        int pair = w.addArray(i, i, 2);
        keyId = w.addTypedef("pid_t", i);
        valueId = w.addStruct("proc", 32, new Member("comm", comm, 0), new Member("state", state, 64),
                new Member("prio", u, 96, 4), new Member("nice", u, 100, 4), new Member("ptr", w.addPtr(i), 128),
                new Member("pair", pair, 192));
        int hits = w.addVar("hits", u64Id, 1);
        int label = w.addVar("label", comm, 1);
        sectionId = w.addDatasec(".bss", 16, List.of(new BtfType.VarSecinfo(hits, 0, 8),
                new BtfType.VarSecinfo(label, 8, 8)));
        btf = LoadedBtf.load(w.toBytes());
        made.add(btf);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : made.reversed()) {
            c.close();
        }
    }

    private BpfMap create(MapSpec spec) {
        BpfMap m = BpfMap.create(spec, BpfMap.CreateOptions.DEFAULT.withBtfFd(btf.fd()));
        made.add(m);
        return m;
    }

    private static byte[] proc(String comm, int state, int prio, int nice, long ptr, int a, int b) {
        ByteBuffer v = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        v.put(0, comm.getBytes(StandardCharsets.US_ASCII));
        v.putInt(8, state);
        v.put(12, (byte) (prio | nice << 4));
        v.putLong(16, ptr);
        v.putInt(24, a);
        v.putInt(28, b);
        return v.array();
    }

    @Test
    void hashOfStructsIsFormattedAsTextAndJson() throws Exception {
        BpfMap m = create(MapSpec.of(MapType.HASH, 4, 32, 4).withName(tag + "_proc").withBtfTypes(keyId, valueId));
        m.update(CliTest.le32(7), proc("init", 1, 3, 9, 0, 1, -2));
        String id = String.valueOf(m.id());
        String text = ok("map", "dump", "id", id).out();
        assertEquals("""
                [{
                        "key": 7,
                        "value": {
                            "comm": "init",
                            "state": "BUSY",
                            "prio": 0x3,
                            "nice": 0x9,
                            "ptr": (nil),
                            "pair": [1,-2
                            ]
                        }
                    }
                ]
                """, text);
        Map<String, Object> e = Json.object(Json.array(ok("map", "dump", "id", id, "-j").json()).getFirst());
        assertEquals(List.of("0x07", "0x00", "0x00", "0x00"), e.get("key"));
        Map<String, Object> formatted = Json.object(e.get("formatted"));
        assertEquals(7, ((Number) formatted.get("key")).intValue());
        Map<String, Object> value = Json.object(formatted.get("value"));
        assertEquals("init", value.get("comm"));
        assertEquals("BUSY", value.get("state"));
        assertEquals("0x3", value.get("prio"), "bitfields are hex strings, as bpftool writes them");
        assertEquals("0x9", value.get("nice"));
        assertEquals(List.of(1, -2), Json.array(value.get("pair")).stream().map(n -> ((Number) n).intValue()).toList());
        sameAsBpftool(id);
    }

    @Test
    void perCpuValuesAreOnePerCpu() throws Exception {
        BpfMap m = create(MapSpec.of(MapType.PERCPU_ARRAY, 4, 8, 1).withName(tag + "_pc").withBtfTypes(keyId, u64Id));
        int cpus = m.cpuSlots();
        List<byte[]> values = new ArrayList<>();
        for (int cpu = 0; cpu < cpus; cpu++) {
            values.add(CliTest.le64(100 + cpu));
        }
        m.updatePerCpu(CliTest.le32(0), values, io.ebpf4j.map.UpdateFlag.ANY);
        String id = String.valueOf(m.id());
        String text = ok("map", "dump", "id", id).out();
        assertTrue(text.startsWith("[{\n        \"key\": 0,\n        \"values\": [{\n                \"cpu\": 0,\n"
                + "                \"value\": 100\n            },{\n"), text);
        Map<String, Object> formatted = Json.object(Json.object(Json.array(ok("map", "dump", "id", id, "-j").json())
                .getFirst()).get("formatted"));
        List<Object> perCpu = Json.array(formatted.get("values"));
        assertEquals(cpus, perCpu.size());
        for (int cpu = 0; cpu < cpus; cpu++) {
            Map<String, Object> one = Json.object(perCpu.get(cpu));
            assertEquals(cpu, ((Number) one.get("cpu")).intValue());
            assertEquals(100 + cpu, ((Number) one.get("value")).intValue());
        }
        sameAsBpftool(id);
    }

    /** A global-data map: key-less BTF (key type 0), a DATASEC value; variables by name. */
    @Test
    void globalDataShowsVariablesByName() throws Exception {
        BpfMap m = create(MapSpec.of(MapType.ARRAY, 4, 16, 1).withName(tag + ".bss").withBtfTypes(0, sectionId));
        byte[] v = new byte[16];
        ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).putLong(0, 42).put(8, "hello".getBytes(StandardCharsets.US_ASCII));
        m.update(CliTest.le32(0), v);
        String id = String.valueOf(m.id());
        assertEquals("""
                [{
                        "value": {
                            ".bss": [{
                                    "hits": 42
                                },{
                                    "label": "hello"
                                }
                            ]
                        }
                    }
                ]
                """, ok("map", "dump", "id", id).out());
        sameAsBpftool(id);
    }

    /** bpftool's own dump of the same map, text and JSON, is what we print. */
    private static void sameAsBpftool(String id) throws IOException, InterruptedException {
        if (BPFTOOL == null) {
            return; // compared with the expected text above; bpftool is only a second witness
        }
        assertEquals(bpftool("map", "dump", "id", id), ok("map", "dump", "id", id).out(), "text as bpftool's");
        Object theirs = Json.parse(bpftool("-j", "map", "dump", "id", id));
        Object ours = Json.parse(ok("map", "dump", "id", id, "-j").out());
        assertEquals(theirs, ours, "JSON as bpftool's");
    }

    private static String bpftool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BPFTOOL.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "bpftool failed: " + cmd);
        return out;
    }
}
