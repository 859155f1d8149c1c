package io.ebpf4j.testing;

import io.ebpf4j.map.BpfMap;
import io.ebpf4j.object.BpfObject;
import io.ebpf4j.object.ObjectSpec;
import io.ebpf4j.program.Program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code events.bpf.c} fixture loaded: its tc programs produce one numbered, patterned record per test-run
 * repetition into a ring buffer ({@code rb}, {@code rb2}) or the perf buffer ({@code pb}).
 */
public final class EventsFixture implements AutoCloseable {
    public static final int RB = 0;
    public static final int RB2 = 1;
    public static final int PERF = 2;

    private final BpfObject obj;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment packet = arena.allocate(64);

    private EventsFixture(BpfObject obj) {
        this.obj = obj;
    }

    /** Loads the fixture with both ring buffers of {@code ringBytes} bytes (a power of two, at least a page). */
    public static EventsFixture load(int ringBytes) {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("events"));
        for (String name : new String[] {"rb", "rb2", "urb"}) {
            var def = spec.map(name).orElseThrow();
            def.spec(def.spec().withMaxEntries(ringBytes));
        }
        return new EventsFixture(BpfObject.load(spec));
    }

    public BpfMap map(String name) {
        return obj.map(name);
    }

    public Program program(String name) {
        return obj.program(name);
    }

    public BpfObject object() {
        return obj;
    }

    /** Record sizes {@code min .. min + span - 1}, cycling with the sequence number (16..256 bytes). */
    public EventsFixture sizes(int min, int span) {
        obj.variable("min_size").set(JAVA_INT, 0, min);
        obj.variable("size_span").set(JAVA_INT, 0, span);
        return this;
    }

    /** Where records go: {@link #RB}, {@link #RB2} or {@link #PERF}. */
    public EventsFixture target(int target) {
        obj.variable("target").set(JAVA_INT, 0, target);
        return this;
    }

    /** Reserve 64-byte records and discard every {@code n}-th (by sequence number; 0: output without reserve). */
    public EventsFixture discardEvery(int n) {
        obj.variable("discard_every").set(JAVA_INT, 0, n);
        return this;
    }

    /** Produces {@code n} records (one test run with n repetitions). */
    public synchronized void produce(int n) {
        obj.program("produce").run(packet, n);
    }

    /** Runs one of the fixture's tc programs once on a dummy packet. */
    public synchronized void run(String program) {
        obj.program(program).run(packet, 1);
    }

    public long nextSeq() {
        return obj.variable("next_seq").get(JAVA_LONG, 0);
    }

    /** Records the program could not write (ring full). */
    public long failures() {
        return obj.variable("failures").get(JAVA_LONG, 0);
    }

    /**
     * Asserts that {@code rec} is the record with sequence number {@code seq}: its size field, every pattern byte;
     * {@code exact} also wants the view exactly as long as the record (perf samples are padded).
     */
    public static void check(MemorySegment rec, long seq, boolean exact) {
        assertTrue(rec.byteSize() >= 16, "record of " + rec.byteSize() + " bytes");
        assertEquals(seq, rec.get(JAVA_LONG_UNALIGNED, 0), "sequence number");
        int size = rec.get(JAVA_INT_UNALIGNED, 8);
        if (exact) {
            assertEquals(size, rec.byteSize(), "record " + seq + " size");
        } else {
            assertTrue(rec.byteSize() >= size && rec.byteSize() < size + 8, "sample " + seq + " of " + size
                    + " bytes seen as " + rec.byteSize());
        }
        for (int i = 16; i < size; i++) {
            byte want = (byte) ((seq * 7 + i) & 0xff);
            byte got = rec.get(JAVA_BYTE, i);
            if (got != want) {
                throw new AssertionError("record " + seq + " byte " + i + ": " + got + " != " + want);
            }
        }
    }

    /** Writes the record layout for {@code seq} of {@code size} bytes into {@code dst}. */
    public static void fill(MemorySegment dst, long seq, int size) {
        dst.set(JAVA_LONG, 0, seq);
        dst.set(JAVA_INT, 8, size);
        dst.set(JAVA_INT, 12, 0);
        for (int i = 16; i < size; i++) {
            dst.set(JAVA_BYTE, i, (byte) ((seq * 7 + i) & 0xff));
        }
    }

    @Override
    public void close() {
        try {
            obj.close();
        } finally {
            arena.close();
        }
    }
}
