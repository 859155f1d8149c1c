package io.ebpf4j.cli;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfValueFormatter;
import io.ebpf4j.link.Link;
import io.ebpf4j.link.Links;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapType;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.perf.PerfBuffer;
import io.ebpf4j.ringbuf.RingBufferReader;
import io.ebpf4j.trace.TracePipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ebpf4j run}: open, load and auto-attach an object, then print what its programs send (ring and perf
 * buffer records decoded through BTF, {@code bpf_printk} lines) until Ctrl-C or the duration ends; on the way out,
 * the object's maps formatted through BTF.
 */
@Command(name = "run", description = {
        "Load FILE, attach its programs and print their events until Ctrl-C (or --duration).",
        "Without FILE, runs the bundled example: one line per exec on this machine."})
final class RunCommand implements Callable<Integer> {
    /** The bundled example and the name its object goes by. */
    static final String EXAMPLE = "examples/execsnoop.bpf.o";
    static final String EXAMPLE_NAME = "execsnoop";
    private static final Duration POLL = Duration.ofMillis(100);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** bpf_trace_printk and bpf_trace_vprintk: programs calling them write to trace_pipe. */
    private static final int HELPER_TRACE_PRINTK = 6;
    private static final int HELPER_TRACE_VPRINTK = 177;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "A BPF object file built by clang.")
    Path file;

    @Option(names = "--record", paramLabel = "MAP=STRUCT",
            description = "Decode the records of ring or perf buffer MAP as STRUCT (a struct in the object's BTF).")
    Map<String, String> records = new LinkedHashMap<>();

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this many seconds.")
    Double duration;

    private final AtomicBoolean stop = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec);
        PrintWriter err = spec.commandLine().getErr();
        ObjectSpec objectSpec = file == null ? bundled() : ObjectSpec.read(file);
        Btf btf = objectSpec.btf();
        for (String named : records.keySet()) {
            if (!objectSpec.maps().containsKey(named)) {
                throw new BpfException("--record " + named + "=...: the object has no map '" + named + "' (it has "
                        + String.join(", ", objectSpec.maps().keySet()) + ")");
            }
            MapType type = objectSpec.maps().get(named).spec().type();
            if (type != MapType.RINGBUF && type != MapType.PERF_EVENT_ARRAY) {
                throw new BpfException("--record " + named + "=...: map '" + named + "' is a " + type.displayName()
                        + " map; records come from ring buffers and perf event arrays");
            }
            decoder(btf, named); // its struct too, before anything is loaded or attached
        }
        EventPrinter printer = new EventPrinter(out);
        List<AutoCloseable> sources = new ArrayList<>();
        try (BpfObject object = BpfObject.load(objectSpec); Links.Attached attached = Links.attachAll(object)) {
            for (Map.Entry<String, Link> l : attached.links().entrySet()) {
                err.println("ebpf4j: attached " + l.getKey() + ": " + l.getValue().describe());
            }
            for (Map.Entry<String, String> s : attached.skipped().entrySet()) {
                err.println("ebpf4j: not attached " + s.getKey() + ": " + s.getValue());
            }
            RingBufferReader rings = null;
            List<Map.Entry<String, PerfBuffer>> perfs = new ArrayList<>();
            RingBufferReader.Builder ringBuilder = RingBufferReader.builder();
            int ringCount = 0;
            for (Map.Entry<String, BpfMap> m : object.maps().entrySet()) {
                MapType type = m.getValue().type();
                if (type == MapType.RINGBUF) {
                    RecordDecoder d = decoder(btf, m.getKey());
                    String mapName = m.getKey();
                    ringBuilder.add(m.getValue(), rec -> printer.record(mapName, d.decode(rec)));
                    ringCount++;
                } else if (type == MapType.PERF_EVENT_ARRAY) {
                    perfs.add(Map.entry(m.getKey(), PerfBuffer.open(m.getValue())));
                    sources.add(perfs.getLast().getValue());
                }
            }
            if (ringCount > 0) {
                rings = ringBuilder.build();
                sources.add(rings);
            }
            List<RecordDecoder> perfDecoders = new ArrayList<>();
            for (Map.Entry<String, PerfBuffer> p : perfs) {
                perfDecoders.add(decoder(btf, p.getKey()));
            }
            Thread printk = usesPrintk(objectSpec, object) ? startPrintkReader(printer, err) : null;
            err.println("ebpf4j: running; Ctrl-C stops" + (duration == null ? "" : " (or after " + duration + " s)"));
            err.flush();
            loop(rings, perfs, perfDecoders, printer);
            if (printk != null) {
                printk.join(1000);
            }
            new MapSummary(out).print(object);
        } finally {
            for (AutoCloseable c : sources.reversed()) {
                c.close();
            }
        }
        return 0;
    }

    private void loop(RingBufferReader rings, List<Map.Entry<String, PerfBuffer>> perfs,
                      List<RecordDecoder> perfDecoders, EventPrinter printer) {
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + (long) (duration * 1e9);
        Duration each = rings != null && !perfs.isEmpty() ? POLL.dividedBy(2) : POLL;
        Signals signals = Signals.onInterrupt(() -> stop.set(true));
        try {
            while (!stop.get() && System.nanoTime() < deadline) {
                if (rings != null) {
                    rings.poll(each);
                }
                for (int i = 0; i < perfs.size(); i++) {
                    String name = perfs.get(i).getKey();
                    RecordDecoder d = perfDecoders.get(i);
                    perfs.get(i).getValue().poll(each, (cpu, sample) -> printer.record(name, d.decode(sample)));
                }
                if (rings == null && perfs.isEmpty()) {
                    sleep(each);
                }
            }
        } finally {
            signals.close();
        }
        stop.set(true);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Thread startPrintkReader(EventPrinter printer, PrintWriter err) {
        TracePipe pipe;
        try {
            pipe = TracePipe.open();
        } catch (BpfException e) {
            err.println("ebpf4j: bpf_printk output will not be shown: " + e.getMessage());
            return null;
        }
        Thread t = Thread.ofPlatform().daemon().name("ebpf4j-trace-pipe").start(() -> {
            try (pipe) {
                while (!stop.get()) {
                    pipe.poll(POLL, line -> {
                        if (line.isPrintk()) {
                            printer.printk(line);
                        }
                    });
                }
            }
        });
        return t;
    }

    /** Whether a loaded program (or code it calls) calls bpf_trace_printk or bpf_trace_vprintk. */
    private static boolean usesPrintk(ObjectSpec spec, BpfObject object) {
        return spec.programs().values().stream()
                .filter(def -> object.findProgram(def.name()).isPresent())
                .flatMap(def -> def.instructions().stream())
                .anyMatch(i -> i.isHelperCall() && (i.imm() == HELPER_TRACE_PRINTK || i.imm() == HELPER_TRACE_VPRINTK));
    }

    /** How records of {@code map} are decoded: --record, else a struct named event or MAP_event, else hex. */
    private RecordDecoder decoder(Btf btf, String map) {
        String named = records.get(map);
        if (named != null) {
            OptionalInt id = btf == null ? OptionalInt.empty() : btf.find(named.replaceFirst("^struct ", ""), BtfKind.STRUCT);
            if (id.isEmpty()) {
                throw new BpfException("--record " + map + "=" + named + ": the object's BTF has no struct '" + named + "'");
            }
            return RecordDecoder.struct(btf, id.getAsInt());
        }
        if (btf != null) {
            for (String candidate : List.of("event", map + "_event")) {
                OptionalInt id = btf.find(candidate, BtfKind.STRUCT);
                if (id.isPresent()) {
                    return RecordDecoder.structWhenItFits(btf, id.getAsInt());
                }
            }
        }
        return RecordDecoder.HEX;
    }

    private static ObjectSpec bundled() throws IOException {
        try (InputStream in = RunCommand.class.getResourceAsStream(EXAMPLE)) {
            if (in == null) {
                throw new BpfException("the bundled example " + EXAMPLE + " is missing from this build of ebpf4j");
            }
            return ObjectSpec.read(in.readAllBytes(), EXAMPLE_NAME);
        }
    }

    /** Prints records and printk lines, one per line, from any thread. */
    static final class EventPrinter {
        private final Output out;

        EventPrinter(Output out) {
            this.out = out;
        }

        synchronized void record(String map, Map<String, Object> fields) {
            if (out.json()) {
                out.json(g -> {
                    g.writeStartObject();
                    g.writeStringField("map", map);
                    g.writeFieldName("record");
                    Output.tree(g, fields);
                    g.writeEndObject();
                });
            } else {
                PrintWriter w = out.text();
                w.println(LocalTime.now().format(TIME) + " " + map + " " + Values.inline(fields));
                w.flush();
            }
        }

        synchronized void printk(io.ebpf4j.trace.TraceLine line) {
            if (out.json()) {
                out.json(g -> {
                    g.writeStartObject();
                    g.writeStringField("printk", line.message());
                    g.writeStringField("task", line.task());
                    g.writeNumberField("pid", line.pid());
                    g.writeEndObject();
                });
            } else {
                PrintWriter w = out.text();
                w.println(LocalTime.now().format(TIME) + " printk " + line.task() + "-" + line.pid() + ": " + line.message());
                w.flush();
            }
        }
    }

    /** Turns one record into named values. */
    interface RecordDecoder {
        Map<String, Object> decode(MemorySegment record);

        RecordDecoder HEX = rec -> {
            byte[] b = rec.toArray(ValueLayout.JAVA_BYTE);
            return Map.of("bytes", Output.hex(b, 0, b.length));
        };

        /** The record read as struct {@code typeId}; a record shorter than the struct is an error. */
        static RecordDecoder struct(Btf btf, int typeId) {
            BtfValueFormatter f = new BtfValueFormatter(btf);
            long size = btf.sizeOf(typeId);
            return rec -> {
                if (rec.byteSize() < size) {
                    throw new BpfException("a record of " + rec.byteSize() + " bytes is shorter than struct '"
                            + btf.nameOf(typeId) + "' (" + size + " bytes): name the right struct with --record");
                }
                return fields(f.tree(typeId, rec.toArray(ValueLayout.JAVA_BYTE)));
            };
        }

        /** The struct when the record is at least as long as it, else hex (records of another shape). */
        static RecordDecoder structWhenItFits(Btf btf, int typeId) {
            BtfValueFormatter f = new BtfValueFormatter(btf);
            long size = btf.sizeOf(typeId);
            return rec -> rec.byteSize() >= size ? fields(f.tree(typeId, rec.toArray(ValueLayout.JAVA_BYTE)))
                    : HEX.decode(rec);
        }

        @SuppressWarnings("unchecked") // the formatter makes a struct's tree a Map<String, Object>
        private static Map<String, Object> fields(Object tree) {
            return (Map<String, Object>) tree;
        }
    }
}
