package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.Program;

/**
 * A raw tracepoint program ({@code raw_tp}, or {@code raw_tp.w} for the few writable tracepoints) attached with
 * {@code BPF_RAW_TRACEPOINT_OPEN}: the program sees the tracepoint's raw arguments, with no perf event in between,
 * so attaching and detaching are cheap.
 */
public final class RawTracepointLink extends BpfLink {
    private RawTracepointLink(Fd fd, String description) {
        super(fd, description);
    }

    /** Attaches {@code program} to the raw tracepoint {@code name} (e.g. {@code sys_enter}, {@code sched_switch}). */
    public static RawTracepointLink attach(Program program, String name) {
        return attach(program, name, 0);
    }

    /** The same with a BPF cookie ({@code bpf_get_attach_cookie}; Linux 6.10+). */
    public static RawTracepointLink attach(Program program, String name, long cookie) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a raw tracepoint needs a name (e.g. sys_enter)");
        }
        String d = "raw_tracepoint '" + program.name() + "' on " + name;
        return new RawTracepointLink(Bpf.rawTracepointOpen(name, program.fd(), cookie, d), d);
    }
}
