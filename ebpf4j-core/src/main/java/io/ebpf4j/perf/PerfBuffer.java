package io.ebpf4j.perf;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.CloseGate;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Cpus;
import io.ebpf4j.kernel.Epoll;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.kernel.Sys;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A perf buffer over a {@code BPF_MAP_TYPE_PERF_EVENT_ARRAY} map, like libbpf's {@code perf_buffer}: for each
 * online CPU a {@code PERF_COUNT_SW_BPF_OUTPUT} event with a ring of 1 + 2^n pages, stored in the map at the CPU's
 * index, all read through one epoll.
 * <pre>{@code
 * try (PerfBuffer pb = PerfBuffer.open(obj.map("events"), PerfBuffer.Options.defaults())) {
 *     while (pb.poll(Duration.ofSeconds(1), (cpu, sample) -> handle(sample)) >= 0) { }
 * }
 * }</pre>
 * Samples are views of the ring, valid during the callback; a sample that wraps around the ring's end is copied
 * into a scratch buffer first. Lost-sample records are counted ({@link #lostSamples()}) and reported to the
 * options' {@link LostHandler}. Each ring's tail is published once per batch. With a wake-up per sample (the
 * default), the rings join the epoll set only when a {@link #poll} first has to wait, so a reader that only
 * consumes, or polls without waiting, spares every sample's producer the call into epoll. One thread consumes at a
 * time; {@link #close()} may come from any thread and wakes a waiting {@link #poll}, which returns -1. The map stays
 * owned by the caller; closing the buffer removes its events from the map.
 */
public final class PerfBuffer implements AutoCloseable {
    /** {@code struct perf_event_mmap_page}: where the kernel's head and our tail live in the first page. */
    private static final long DATA_HEAD = 1024;
    private static final long DATA_TAIL = 1032;
    private static final int RECORD_LOST = 2;
    private static final int RECORD_SAMPLE = 9;
    /** {@code struct perf_event_header}: u32 type, u16 misc, u16 size. */
    private static final long HEADER_TYPE = 0;
    private static final int HEADER_BYTES = 8;
    /** A record's size is a u16: the largest a scratch copy must hold. */
    private static final int MAX_RECORD = 0xFFFF;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    /** Headers are read at absolute addresses inside a ring: a constant segment that C2 checks once, not per load. */
    private static final MemorySegment ALL = Sys.ALL_MEMORY;

    /**
     * How the buffer is set up. {@code pagesPerCpu} (a power of two) is each ring's data size in pages;
     * the kernel wakes the reader after {@code wakeupEvents} samples, or, when {@code watermarkBytes} > 0, once that
     * many bytes are waiting; {@code lostHandler} may be null.
     */
    public record Options(int pagesPerCpu, int wakeupEvents, int watermarkBytes, LostHandler lostHandler) {
        public Options {
            if (pagesPerCpu <= 0 || Integer.bitCount(pagesPerCpu) != 1) {
                throw new IllegalArgumentException("pagesPerCpu must be a power of two, not " + pagesPerCpu);
            }
            if (wakeupEvents < 0 || watermarkBytes < 0) {
                throw new IllegalArgumentException("wakeupEvents and watermarkBytes must not be negative");
            }
        }

        /** 8 pages per CPU, woken for every sample (libbpf's defaults), lost samples only counted. */
        public static Options defaults() {
            return new Options(8, 1, 0, null);
        }

        public Options withPagesPerCpu(int pages) {
            return new Options(pages, wakeupEvents, watermarkBytes, lostHandler);
        }

        /** Wake the reader after every {@code n} samples. */
        public Options withWakeupEvents(int n) {
            return new Options(pagesPerCpu, n, 0, lostHandler);
        }

        /** Wake the reader once {@code bytes} bytes are waiting in a ring. */
        public Options withWatermarkBytes(int bytes) {
            return new Options(pagesPerCpu, 0, bytes, lostHandler);
        }

        public Options withLostHandler(LostHandler handler) {
            return new Options(pagesPerCpu, wakeupEvents, watermarkBytes, handler);
        }
    }

    /** One CPU's event and ring. */
    private static final class CpuRing {
        final int cpu;
        final Fd event;
        final MemorySegment meta;
        final MemorySegment data;
        final long base;
        final long mask;

        CpuRing(int cpu, Fd event, MemorySegment meta, MemorySegment data) {
            this.cpu = cpu;
            this.event = event;
            this.meta = meta;
            this.data = data;
            this.base = data.address();
            this.mask = data.byteSize() - 1;
        }
    }

    private final BpfMap map;
    private final CpuRing[] rings;
    private final Epoll epoll;
    private final Arena arena;
    private final MemorySegment scratch;
    private final LostHandler lostHandler;
    /**
     * How many rings are in the epoll set, in ring order. With a wake-up per sample they join it only when a poll
     * first has to wait: a ring in the set makes the kernel call into epoll on every sample's wake-up, which costs
     * the producer (the traced code) several percent of a sample (about 140 of 5,000 ns here), and a reader that
     * never waits does not need it. With batched wake-ups they join at open.
     */
    private int watched;
    /** For tests: runs when a first wait has read the rings and is about to add them to the epoll set. */
    Runnable beforeWatch;
    private final AtomicLong lost = new AtomicLong();
    private final CloseGate gate;
    /** Records reassembled because they wrapped around a ring's end (for tests). */
    private long wrapped;

    private PerfBuffer(BpfMap map, CpuRing[] rings, Epoll epoll, Arena arena, LostHandler lostHandler, int watched) {
        this.map = map;
        this.rings = rings;
        this.epoll = epoll;
        this.gate = new CloseGate(epoll::wake, this::release);
        this.arena = arena;
        this.scratch = arena.allocate(MAX_RECORD, 8);
        this.lostHandler = lostHandler;
        this.watched = watched;
    }

    /** Opens a perf buffer over {@code map} with libbpf's defaults. */
    public static PerfBuffer open(BpfMap map) {
        return open(map, Options.defaults());
    }

    /**
     * Opens one event and ring per online CPU (CPUs at or beyond the map's max_entries are skipped) and stores
     * the events in {@code map}. On failure every event opened so far is closed and removed from the map.
     */
    public static PerfBuffer open(BpfMap map, Options options) {
        Objects.requireNonNull(options, "options");
        if (map.type() != MapType.PERF_EVENT_ARRAY) {
            throw new BpfException("map '" + map.name() + "' is a " + map.type() + " map, not a PERF_EVENT_ARRAY: a "
                    + "perf buffer needs a BPF_MAP_TYPE_PERF_EVENT_ARRAY map");
        }
        List<Integer> cpus = new ArrayList<>();
        for (int cpu : Cpus.online()) {
            if (cpu < map.maxEntries()) {
                cpus.add(cpu);
            }
        }
        if (cpus.isEmpty()) {
            throw new BpfException("perf event array '" + map.name() + "' has " + map.maxEntries()
                    + " entries: no online CPU fits (create it with max_entries = the number of possible CPUs)");
        }
        long page = Sys.pageSize();
        long dataSize = page * options.pagesPerCpu();
        // Only when every sample wakes the reader does a ring holding samples mean what epoll would report.
        boolean watchLater = options.watermarkBytes() == 0 && options.wakeupEvents() <= 1;
        Arena arena = Arena.ofShared();
        List<CpuRing> rings = new ArrayList<>();
        Epoll epoll = null;
        try {
            epoll = Epoll.create(cpus.size(), "perf buffer '" + map.name() + "'");
            for (int cpu : cpus) {
                String what = "bpf-output event of perf buffer '" + map.name() + "' on CPU " + cpu;
                Fd event = PerfEvent.open(a -> fill(a, options), -1, cpu, -1, what);
                try {
                    MemorySegment all = Sys.mmap(event.get(), page + dataSize, Libc.PROT_READ | Libc.PROT_WRITE, 0,
                            arena, what);
                    CpuRing r = new CpuRing(cpu, event, all.asSlice(0, page), all.asSlice(page, dataSize));
                    rings.add(r);
                } catch (RuntimeException e) {
                    event.close();
                    throw e;
                }
                if (!watchLater) {
                    epoll.add(event.get(), Epoll.EPOLLIN, rings.size() - 1);
                }
                PerfEvent.enable(event.get(), what);
                map.update(key(cpu), key(event.get()));
            }
            return new PerfBuffer(map, rings.toArray(CpuRing[]::new), epoll, arena, options.lostHandler(),
                    watchLater ? 0 : rings.size());
        } catch (RuntimeException | Error e) {
            for (CpuRing r : rings) {
                // A failing delete must not keep the other events open or hide the first failure.
                try {
                    map.delete(key(r.cpu));
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                r.event.close();
            }
            if (epoll != null) {
                epoll.close();
            }
            arena.close();
            throw e;
        }
    }

    private static void fill(MemorySegment a, Options o) {
        a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), PerfEvent.TYPE_SOFTWARE);
        a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), PerfEvent.COUNT_SW_BPF_OUTPUT);
        // No sample period, as libbpf: bpf_perf_event_output writes samples itself, whatever the period.
        a.set(JAVA_LONG, PerfEvent.ATTR.offset("sample_type"), PerfEvent.SAMPLE_RAW);
        // wakeup_events and wakeup_watermark share one field; the watermark flag says which it is.
        if (o.watermarkBytes() > 0) {
            a.set(JAVA_LONG, PerfEvent.ATTR.offset("flags"), PerfEvent.FLAG_WATERMARK);
            a.set(JAVA_INT, PerfEvent.ATTR.offset("wakeup_events"), o.watermarkBytes());
        } else {
            a.set(JAVA_INT, PerfEvent.ATTR.offset("wakeup_events"), Math.max(1, o.wakeupEvents()));
        }
    }

    private static byte[] key(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /** The CPUs this buffer reads, in ring order. */
    public int[] cpus() {
        int[] c = new int[rings.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = rings[i].cpu;
        }
        return c;
    }

    /** How many rings are in the epoll set (for tests). */
    int watchedRings() {
        return watched;
    }

    long wrappedRecords() {
        return wrapped;
    }

    /** Samples the kernel reported lost (rings full) since the buffer was opened. */
    public long lostSamples() {
        return lost.get();
    }

    /**
     * Waits up to {@code timeout} for samples on any CPU, then hands every waiting sample of the ready rings to
     * {@code handler}. Returns the number of samples handed out (0 once the timeout has passed), or -1 once closed.
     * The first poll that has to wait adds the rings to the epoll set (see the class comment); if the kernel
     * refuses (a {@link io.ebpf4j.SyscallException} from {@code epoll_ctl}, such as ENOSPC when
     * {@code fs.epoll.max_user_watches} is reached), the buffer stays usable and the next poll tries again.
     */
    public int poll(Duration timeout, SampleHandler handler) {
        Objects.requireNonNull(handler, "handler");
        int ms = Epoll.timeoutMillis(timeout);
        gate.enter();
        try {
            if (gate.isClosed()) {
                return -1;
            }
            if (watched < rings.length) {
                // No poll has waited yet: read the rings directly; any sample in one would have made it ready.
                int n = readAll(handler);
                if (n > 0 || ms == 0) {
                    return n;
                }
                if (beforeWatch != null) {
                    beforeWatch.run();
                }
                watch();
                // Adding a ring takes its pending wake-up, and epoll asks the ring again before it reports it: a
                // sample that arrived between the read above and the add would wake nobody. Read once more; samples
                // after the add wake the wait as usual.
                n = readAll(handler);
                if (n > 0) {
                    return n;
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            int wait = ms;
            while (true) {
                int ready = epoll.await(wait);
                if (gate.isClosed()) {
                    return -1;
                }
                int n = 0;
                boolean failed = false;
                for (int i = 0; i < ready; i++) {
                    long token = epoll.token(i);
                    if (token != Epoll.WAKE_TOKEN) {
                        n += read(rings[(int) token], handler);
                        failed |= (epoll.mask(i) & (Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0;
                    }
                }
                // A ring can be reported with nothing new in it: the kernel keeps a wake-up pending until epoll
                // next asks, though consume() may have read its samples since. Wait on for the rest of the timeout
                // (after a signal too, which ends a wait with nothing ready), unless a ring reports an error or a
                // hang-up, which it would report again at once.
                long left = deadline - System.nanoTime();
                if (n > 0 || failed || left <= 0) {
                    return n;
                }
                wait = Epoll.timeoutMillis(Duration.ofNanos(left));
            }
        } finally {
            gate.exit();
        }
    }

    /**
     * Adds the rings not yet in the epoll set. Adding a ring takes its pending wake-up, so the caller reads the
     * rings again afterwards; after a failure the next call goes on from the ring that failed.
     */
    private void watch() {
        while (watched < rings.length) {
            epoll.add(rings[watched].event.get(), Epoll.EPOLLIN, watched);
            watched++;
        }
    }

    /** Hands every waiting sample of every CPU to {@code handler} without waiting; -1 once closed. */
    public int consume(SampleHandler handler) {
        Objects.requireNonNull(handler, "handler");
        gate.enter();
        try {
            if (gate.isClosed()) {
                return -1;
            }
            return readAll(handler);
        } finally {
            gate.exit();
        }
    }

    private int readAll(SampleHandler handler) {
        int n = 0;
        for (CpuRing r : rings) {
            n += read(r, handler);
        }
        return n;
    }

    /**
     * Reads one ring from our tail to the kernel's head, then publishes the tail (release). Headers are read
     * through {@link #ALL} at {@code base + (tail & mask)}, and a sample's view is made from its address: every
     * offset is masked into the data area and a view is made only when the record ends inside it, so the
     * per-access checks of a slice of {@code data} would only repeat these. The gate keeps the rings mapped while
     * we read. The view shares the rings' arena, so a handler that keeps it past {@link #close()} gets an
     * exception, not a crash.
     */
    @SuppressWarnings("restricted") // addresses and lengths lie inside the data area, as checked below
    private int read(CpuRing r, SampleHandler handler) {
        // Locals: the JIT reloads fields after every acquire load, locals it keeps in registers.
        final MemorySegment meta = r.meta;
        final long base = r.base;
        final long mask = r.mask;
        final int cpu = r.cpu;
        final Arena scope = arena;
        long head = (long) LONG.getAcquire(meta, DATA_HEAD);
        long tail = meta.get(JAVA_LONG, DATA_TAIL);
        if (tail == head) {
            // Nothing to read: leave the page the producer reads untouched.
            return 0;
        }
        int n = 0;
        try {
            while (tail < head) {
                long offset = tail & mask;
                // The 8-byte header never wraps: records are 8-byte multiples (checked: other() refuses the rest)
                // and the ring a power of two. One load: u32 type, u16 misc, u16 size.
                long header = ALL.get(JAVA_LONG, base + offset);
                int type = (int) header;
                int size = (int) (header >>> 48);
                tail += size;
                if (type == RECORD_SAMPLE && size >= HEADER_BYTES + 4 && (size & 7) == 0 && offset + size <= mask + 1) {
                    // The common case, kept small so that the view and the handler call compile to little.
                    int raw = ALL.get(JAVA_INT, base + offset + HEADER_BYTES);
                    n++;
                    handler.accept(cpu, MemorySegment.ofAddress(base + offset + HEADER_BYTES + 4)
                            .reinterpret(Math.min(Integer.toUnsignedLong(raw), size - HEADER_BYTES - 4), scope, null));
                } else {
                    n += other(r, handler, offset, size, type, tail - size);
                }
            }
        } finally {
            LONG.setRelease(meta, DATA_TAIL, tail);
        }
        return n;
    }

    /** A record that wraps around the ring's end, a lost-sample report, or a type we skip; returns samples handed. */
    private int other(CpuRing r, SampleHandler handler, long offset, int size, int type, long position) {
        // The kernel pads every record to 8 bytes; a ragged size would leave the next header astride the ring end.
        if (size < HEADER_BYTES || (size & 7) != 0) {
            throw malformed(r, size, position);
        }
        MemorySegment rec;
        long toEnd = r.data.byteSize() - offset;
        if (size <= toEnd) {
            rec = r.data.asSlice(offset, size);
        } else {
            // Reassemble it in the scratch buffer.
            wrapped++;
            MemorySegment.copy(r.data, offset, scratch, 0, toEnd);
            MemorySegment.copy(r.data, 0, scratch, toEnd, size - toEnd);
            rec = scratch.asSlice(0, size);
        }
        if (type == RECORD_SAMPLE) {
            int raw = rec.get(JAVA_INT, HEADER_BYTES);
            handler.accept(r.cpu, rec.asSlice(HEADER_BYTES + 4, Math.min(raw, size - HEADER_BYTES - 4)));
            return 1;
        }
        if (type == RECORD_LOST) {
            long count = rec.get(JAVA_LONG, HEADER_BYTES + 8);
            lost.addAndGet(count);
            if (lostHandler != null) {
                lostHandler.lost(r.cpu, count);
            }
        }
        return 0;
    }

    private BpfException malformed(CpuRing r, int size, long position) {
        return new BpfException("perf buffer '" + map.name() + "' on CPU " + r.cpu + " holds a malformed record of "
                + size + " bytes at position " + position);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return gate.isClosed();
    }

    /**
     * Wakes a waiting {@link #poll} (it returns -1), removes the events from the map (when the map is still open),
     * closes them and unmaps the rings (from a handler: once its batch is over). From another thread it returns once that is done, so
     * after the batch being handed out, if any: do not close while holding a lock that a handler takes.
     */
    @Override
    public void close() {
        gate.close();
    }

    /** Closes every part even when one fails (a delete refused, say): none stays open behind a failure. */
    private void release() {
        List<AutoCloseable> parts = new ArrayList<>();
        for (CpuRing r : rings) {
            parts.add(() -> {
                if (!map.isClosed()) {
                    map.delete(key(r.cpu));
                }
            });
            parts.add(r.event);
        }
        parts.add(epoll);
        parts.add(arena);
        Closing.closeAll(parts);
    }
}
