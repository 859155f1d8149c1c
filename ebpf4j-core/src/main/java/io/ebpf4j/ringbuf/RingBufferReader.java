package io.ebpf4j.ringbuf;

import io.ebpf4j.kernel.CloseGate;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Epoll;
import io.ebpf4j.map.BpfMap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Consumes one or many {@code BPF_MAP_TYPE_RINGBUF} maps through one epoll, like libbpf's {@code ring_buffer}.
 * <pre>{@code
 * try (RingBufferReader reader = RingBufferReader.of(obj.map("events"))) {
 *     while (reader.poll(Duration.ofSeconds(1), rec -> System.out.println(rec.get(JAVA_INT, 0))) >= 0) { }
 * }
 * }</pre>
 * Records are handed out as read-only views of the mapped ring, valid during the callback only; discarded records
 * are skipped and a record the producer still holds ends the batch. The consumer position is published once per
 * batch, holding the last small record back until the reader waits or closes, so that the kernel raises no wake-up
 * while the reader is busy (see the events guide). One thread consumes at a time (concurrent calls wait for each other); {@link #close()} may come from any
 * thread and wakes a thread blocked in {@link #poll}, which then returns -1. The maps stay owned by the caller and
 * must outlive the reader.
 */
public final class RingBufferReader implements AutoCloseable {
    private final Ring[] rings;
    private final Epoll epoll;
    private final CloseGate gate;

    private RingBufferReader(Ring[] rings, Epoll epoll) {
        this.rings = rings;
        this.epoll = epoll;
        this.gate = new CloseGate(epoll::wake, this::release);
    }

    /** A reader of {@code maps}, with the handler given to each {@link #poll(Duration, RecordHandler)}. */
    public static RingBufferReader of(BpfMap... maps) {
        Builder b = builder();
        for (BpfMap m : maps) {
            b.add(m);
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects ring buffers, each with its own handler or none. */
    public static final class Builder {
        private final List<BpfMap> maps = new ArrayList<>();
        private final List<RecordHandler> handlers = new ArrayList<>();

        private Builder() {
        }

        /** Adds a ring buffer whose records go to the handler passed to poll/consume. */
        public Builder add(BpfMap map) {
            return add(map, null);
        }

        /** Adds a ring buffer whose records go to {@code handler} in {@link #poll(Duration)} and {@link #consume()}. */
        public Builder add(BpfMap map, RecordHandler handler) {
            maps.add(Objects.requireNonNull(map, "map"));
            handlers.add(handler);
            return this;
        }

        /** Maps every ring and registers it with a new epoll; on failure nothing stays mapped or open. */
        public RingBufferReader build() {
            if (maps.isEmpty()) {
                throw new IllegalArgumentException("a ring buffer reader needs at least one RINGBUF map");
            }
            List<Ring> rings = new ArrayList<>();
            Epoll epoll = null;
            try {
                for (int i = 0; i < maps.size(); i++) {
                    rings.add(Ring.map(maps.get(i), handlers.get(i)));
                }
                epoll = Epoll.create(rings.size(), "ring buffer reader");
                for (int i = 0; i < rings.size(); i++) {
                    epoll.add(maps.get(i).fd(), Epoll.EPOLLIN, i);
                }
                return new RingBufferReader(rings.toArray(Ring[]::new), epoll);
            } catch (RuntimeException | Error e) {
                Closing.closeAllAfter(e, closers(epoll, rings));
                throw e;
            }
        }
    }

    /** How many ring buffers this reader consumes. */
    public int size() {
        return rings.length;
    }

    /**
     * Waits up to {@code timeout} for records in any ring, then hands every available record of the ready rings to
     * {@code handler}. When some ring already holds records, they are handed out at once, without a system call. Returns the number of records handed out (0 when the timeout passed), or -1 once the
     * reader is closed (also when it is closed while this call waits).
     */
    public int poll(Duration timeout, RecordHandler handler) {
        return poll(Epoll.timeoutMillis(timeout), Objects.requireNonNull(handler, "handler"));
    }

    /** As {@link #poll(Duration, RecordHandler)}, each ring's records going to the handler it was added with. */
    public int poll(Duration timeout) {
        return poll(Epoll.timeoutMillis(timeout), null);
    }

    /** Hands every available record of every ring to {@code handler} without waiting; -1 once closed. */
    public int consume(RecordHandler handler) {
        return consumeAll(Objects.requireNonNull(handler, "handler"));
    }

    /** As {@link #consume(RecordHandler)}, each ring's records going to the handler it was added with. */
    public int consume() {
        return consumeAll(null);
    }

    private int consumeAll(RecordHandler handler) {
        gate.enter();
        try {
            if (gate.isClosed()) {
                return -1;
            }
            int n = 0;
            for (Ring r : rings) {
                n += r.consume(handlerFor(r, handler));
            }
            return n;
        } finally {
            gate.exit();
        }
    }

    private int poll(int timeoutMs, RecordHandler handler) {
        gate.enter();
        try {
            if (gate.isClosed()) {
                return -1;
            }
            // Records already there: a wait would return at once, so hand them out without the system call
            // (level-triggered epoll keeps no state that skipping it could leave stale).
            int n = consumePending(handler);
            if (n > 0 || timeoutMs == 0) {
                // Every ring was just looked at: epoll could add nothing but a record committed this instant.
                return n;
            }
            for (Ring r : rings) {
                r.settle(); // about to wait: let the next record's commit wake us
            }
            int ready = epoll.await(timeoutMs);
            if (gate.isClosed()) {
                return -1;
            }
            for (int i = 0; i < ready; i++) {
                long token = epoll.token(i);
                if (token == Epoll.WAKE_TOKEN) {
                    continue;
                }
                Ring r = rings[(int) token];
                n += r.consume(handlerFor(r, handler));
            }
            return n;
        } finally {
            gate.exit();
        }
    }

    /** Consumes the rings whose producer is ahead of us, without waiting. */
    private int consumePending(RecordHandler handler) {
        int n = 0;
        for (Ring r : rings) {
            if (r.pending() > 0) {
                n += r.consume(handlerFor(r, handler));
            }
        }
        return n;
    }

    private static RecordHandler handlerFor(Ring r, RecordHandler given) {
        if (given != null) {
            return given;
        }
        if (r.handler == null) {
            throw new IllegalStateException("ring buffer '" + r.name + "' was added without a handler: pass one to "
                    + "poll/consume or add it with Builder.add(map, handler)");
        }
        return r.handler;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return gate.isClosed();
    }

    /**
     * Closes the reader: a thread waiting in {@link #poll} is woken and returns -1; the rings are unmapped once no
     * thread uses them (when called from a handler: after that handler's batch). From another thread it returns once that is done, so
     * after the batch being handed out, if any: do not close while holding a lock that a handler takes.
     */
    @Override
    public void close() {
        gate.close();
    }

    private void release() {
        Closing.closeAll(closers(epoll, List.of(rings)));
    }

    /** The epoll and then every ring's mapping, as owners for {@link Closing}. */
    private static List<AutoCloseable> closers(Epoll epoll, List<Ring> rings) {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(epoll);
        for (Ring r : rings) {
            all.add(r::unmap);
        }
        return all;
    }
}
