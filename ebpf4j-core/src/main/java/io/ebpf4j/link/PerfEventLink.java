package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.Mounts;
import io.ebpf4j.SyscallException;
import io.ebpf4j.UnsupportedFeatureException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Cpus;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.PerfEvent;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A program attached to a perf event: a classic tracepoint, a kprobe or uprobe event, or a sampling event
 * (perf_event programs). It owns the perf event's descriptor and, in {@link Mode#BPF_LINK} mode, the perf
 * bpf_link ({@code LINK_CREATE} with attach type {@code BPF_PERF_EVENT}, Linux 5.15+) that can be pinned; in
 * {@link Mode#IOCTL} mode the program is attached with {@code PERF_EVENT_IOC_SET_BPF}, as older kernels need.
 * Closing it disables and closes the event (for tracepoints that takes tens of milliseconds: an RCU grace period).
 */
public final class PerfEventLink implements Link {
    /** How the program is tied to the event. */
    public enum Mode {
        /** A perf bpf_link when the kernel has them, otherwise the ioctl. */
        AUTO,
        /** A perf bpf_link ({@code BPF_PERF_EVENT}); fails on kernels before 5.15. */
        BPF_LINK,
        /** {@code PERF_EVENT_IOC_SET_BPF}: no pin, no update, no cookie. */
        IOCTL
    }

    private final Fd perf;
    private final BpfLink link;
    private final String description;
    private final Runnable afterClose;

    private PerfEventLink(Fd perf, BpfLink link, String description, Runnable afterClose) {
        this.perf = perf;
        this.link = link;
        this.description = description;
        this.afterClose = afterClose;
    }

    /** The same link, with cleanup to run once the event is closed (removing a tracefs probe definition). */
    PerfEventLink afterClose(Runnable cleanup) {
        return new PerfEventLink(perf, link, description, cleanup);
    }

    // ---- tracepoints ----

    /** Attaches {@code program} to the tracepoint {@code category:name} (e.g. {@code syscalls:sys_enter_getpid}). */
    public static PerfEventLink tracepoint(Program program, String category, String name) {
        return tracepoint(program, category, name, 0, Mode.AUTO);
    }

    /**
     * Attaches {@code program} (type tracepoint) to {@code category:name}, with a BPF cookie the program reads
     * with {@code bpf_get_attach_cookie} (cookies need {@link Mode#BPF_LINK} or AUTO on a 5.15+ kernel).
     */
    public static PerfEventLink tracepoint(Program program, String category, String name, long cookie, Mode mode) {
        int id = tracepointId(category, name);
        String what = "tracepoint " + category + ":" + name;
        Fd perf = PerfEvent.open(a -> {
            a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), PerfEvent.TYPE_TRACEPOINT);
            a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), id);
        }, -1, 0, -1, what);
        return attach(program, perf, cookie, mode, "tracepoint '" + program.name() + "' on " + category + ":" + name);
    }

    /**
     * The tracefs id of tracepoint {@code category:name} ({@code events/<category>/<name>/id}); tracefs is
     * mounted first when it is not.
     */
    public static int tracepointId(String category, String name) {
        if (!validComponent(category) || !validComponent(name)) {
            throw new IllegalArgumentException("not a tracepoint: \"" + category + ":" + name
                    + "\" (category and name are single path components, e.g. syscalls:sys_enter_getpid)");
        }
        Path events = Mounts.tracefs().resolve("events");
        Path file = events.resolve(category).resolve(name).resolve("id");
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (NoSuchFileException e) {
            throw new BpfException("no tracepoint " + category + ":" + name + " in this kernel (" + file
                    + " does not exist); the available ones are the directories under " + events, e);
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("cannot read the id of tracepoint " + category + ":" + name + " from " + file
                    + ": " + e.getMessage(), e);
        }
    }

    private static boolean validComponent(String s) {
        return s != null && !s.isEmpty() && !s.contains("/") && !s.equals(".") && !s.equals("..");
    }

    // ---- sampling events (perf_event programs) ----

    /** What to sample: a perf event type and config, and a period (or frequency). */
    public record EventSpec(int type, long config, long periodOrFrequency, boolean frequency) {
        /** A software event sampled every {@code period} (nanoseconds for the clocks, counts otherwise). */
        public static EventSpec software(SoftwareEvent event, long period) {
            return new EventSpec(PerfEvent.TYPE_SOFTWARE, event.config(), period, false);
        }

        /** A hardware event sampled every {@code period} occurrences (absent in most VMs). */
        public static EventSpec hardware(HardwareEvent event, long period) {
            return new EventSpec(PerfEvent.TYPE_HARDWARE, event.config(), period, false);
        }

        /** The same event sampled {@code hz} times per second instead. */
        public EventSpec withFrequency(long hz) {
            return new EventSpec(type, config, hz, true);
        }

        void fill(MemorySegment a) {
            a.set(JAVA_INT, PerfEvent.ATTR.offset("type"), type);
            a.set(JAVA_LONG, PerfEvent.ATTR.offset("config"), config);
            a.set(JAVA_LONG, PerfEvent.ATTR.offset("sample_period"), periodOrFrequency);
            a.set(JAVA_LONG, PerfEvent.ATTR.offset("flags"), PerfEvent.FLAG_DISABLED | (frequency ? PerfEvent.FLAG_FREQ : 0));
        }
    }

    /** The kernel's {@code perf_sw_ids}. */
    public enum SoftwareEvent {
        CPU_CLOCK, TASK_CLOCK, PAGE_FAULTS, CONTEXT_SWITCHES, CPU_MIGRATIONS, PAGE_FAULTS_MIN, PAGE_FAULTS_MAJ,
        ALIGNMENT_FAULTS, EMULATION_FAULTS, DUMMY, BPF_OUTPUT, CGROUP_SWITCHES;

        public long config() {
            return ordinal();
        }
    }

    /** The kernel's {@code perf_hw_id}. */
    public enum HardwareEvent {
        CPU_CYCLES, INSTRUCTIONS, CACHE_REFERENCES, CACHE_MISSES, BRANCH_INSTRUCTIONS, BRANCH_MISSES, BUS_CYCLES,
        STALLED_CYCLES_FRONTEND, STALLED_CYCLES_BACKEND, REF_CPU_CYCLES;

        public long config() {
            return ordinal();
        }
    }

    /** Attaches {@code program} (type perf_event) to {@code event} on every online CPU, all tasks. */
    public static LinkGroup perfEvent(Program program, EventSpec event) {
        List<Link> links = new ArrayList<>();
        try {
            for (int cpu : Cpus.online()) {
                links.add(perfEvent(program, event, -1, cpu, Mode.AUTO));
            }
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, links);
        }
        return new LinkGroup("perf_event '" + program.name() + "' on " + links.size() + " CPUs", links);
    }

    /** Attaches {@code program} to {@code event} for task {@code pid} (-1: all) on {@code cpu} (-1: any). */
    public static PerfEventLink perfEvent(Program program, EventSpec event, int pid, int cpu, Mode mode) {
        Objects.requireNonNull(event, "event");
        String what = "perf event type " + event.type() + " config " + event.config() + " on cpu " + cpu;
        Fd perf = PerfEvent.open(event::fill, pid, cpu, -1, what);
        return attach(program, perf, 0, mode, "perf_event '" + program.name() + "' (" + what + ")");
    }

    // ---- the attachment ----

    /**
     * Ties {@code program} to the perf event {@code perf} (taking ownership of it, closing it on failure) and
     * enables the event.
     */
    static PerfEventLink attach(Program program, Fd perf, long cookie, Mode mode, String description) {
        BpfLink link = null;
        try {
            Mode used = mode;
            if (mode != Mode.IOCTL) {
                try {
                    link = new BpfLink(perfLink(program, perf, cookie, description), description);
                } catch (SyscallException e) {
                    // Kernels before 5.15 know no perf links and answer EINVAL.
                    if (mode == Mode.BPF_LINK || e.errno() != Errno.EINVAL) {
                        throw e;
                    }
                    used = Mode.IOCTL;
                }
            }
            if (used == Mode.IOCTL) {
                if (cookie != 0) {
                    throw new UnsupportedFeatureException("BPF cookies on perf events",
                            "cookies need a perf bpf_link (Linux 5.15+); attach without a cookie or with Mode.BPF_LINK");
                }
                PerfEvent.setBpf(perf.get(), program.fd(), description);
            }
            PerfEvent.enable(perf.get(), description);
            return new PerfEventLink(perf, link, description + (link == null ? " (ioctl)" : " (bpf_link)"), null);
        } catch (RuntimeException e) {
            if (link != null) {
                link.close();
            }
            perf.close();
            throw e;
        }
    }

    /** A perf bpf_link (LINK_CREATE) tying {@code program} to the perf event {@code perf}, with a BPF cookie. */
    static Fd perfLink(Program program, Fd perf, long cookie, String what) {
        return Bpf.linkCreate(program.fd(), perf.get(), AttachType.PERF_EVENT.value(), 0,
                a -> a.set(JAVA_LONG, Attr.LinkCreate.PERF_EVENT_BPF_COOKIE, cookie),
                Attr.LinkCreate.PERF_EVENT_BPF_COOKIE + Long.BYTES, what);
    }

    /** How the program is attached: {@link Mode#BPF_LINK} or {@link Mode#IOCTL}. */
    public Mode mode() {
        return link == null ? Mode.IOCTL : Mode.BPF_LINK;
    }

    /** The perf event's descriptor. */
    public int perfFd() {
        return perf.get();
    }

    @Override
    public Optional<BpfLink> bpfLink() {
        return Optional.ofNullable(link);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public boolean isClosed() {
        return perf.isClosed();
    }

    /**
     * Releases the link (the attachment stays if it was pinned: the pinned link holds the event) and the event
     * descriptor.
     */
    @Override
    public synchronized void close() { // two closers would both run afterClose (a legacy kprobe's removal)
        if (perf.isClosed()) {
            return;
        }
        if (link != null) {
            link.close();
        }
        perf.close();
        if (afterClose != null) {
            afterClose.run();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
