package io.ebpf4j.examples;

import io.ebpf4j.btf.BtfRecordMapper;
import io.ebpf4j.link.Links;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.ringbuf.RingBufferReader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Prints every exec on the machine, as {@code ebpf4j run} does with its bundled example: open the object, load
 * it, attach its programs, and read its ring buffer's records as Java records. The README shows this code.
 */
public final class ExecSnoop {
    private ExecSnoop() {
    }

    /** The BPF program's {@code struct event}: components are matched to its members by name, through BTF. */
    public record Event(int pid, int ppid, int uid, String comm, String filename) {
    }

    /** The object built from {@code ebpf4j-cli/src/main/bpf/execsnoop.bpf.c}, as the repository ships it. */
    public static final Path BUNDLED = Path.of("ebpf4j-cli/src/main/resources/io/ebpf4j/cli/examples/execsnoop.bpf.o");

    public static void main(String[] args) {
        watch(args.length > 0 ? Path.of(args[0]) : BUNDLED, () -> true, System.out::println);
    }

    /** Hands each exec to {@code onEvent} while {@code running} says so. */
    @SuppressWarnings("try") // the links are only held open: closing them at the end detaches the programs
    public static void watch(Path object, BooleanSupplier running, Consumer<Event> onEvent) {
        ObjectSpec spec = ObjectSpec.read(object);
        BtfRecordMapper<Event> events = BtfRecordMapper.of(Event.class, spec.btf(), "event");
        try (BpfObject obj = BpfObject.load(spec);
             Links.Attached links = Links.attachAll(obj);
             RingBufferReader ring = RingBufferReader.of(obj.map("events"))) {
            while (running.getAsBoolean()) {
                ring.poll(Duration.ofMillis(100), record -> onEvent.accept(events.read(record)));
            }
        }
    }
}
