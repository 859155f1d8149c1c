package io.ebpf4j.trace;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of the trace buffer, in ftrace's default format
 * {@code <task>-<pid> [<cpu>] <flags> <seconds>.<micros>: <event>: <message>}, e.g. a {@code bpf_printk} line:
 * <pre>          curl-4711    [001] d..31  5210.123456: bpf_trace_printk: connect to 10.0.0.1</pre>
 * A line in another shape keeps its text in {@link #message()} with {@code pid}, {@code cpu} and
 * {@code timestampNanos} -1 and empty strings elsewhere ({@link #parsed()} is false).
 *
 * @param task the task's command name (up to 15 characters; {@code <...>} when the kernel no longer knew it)
 * @param pid the thread id
 * @param cpu the CPU the line was written on
 * @param flags the irq/preempt flags column ({@code d..31}), empty when the trace options hide it
 * @param timestampNanos the trace clock time in nanoseconds
 * @param event the event name: {@code bpf_trace_printk} for {@code bpf_printk}
 * @param message the text after the event name
 * @param line the whole line as read
 */
public record TraceLine(String task, int pid, int cpu, String flags, long timestampNanos, String event,
        String message, String line) {
    /** The event that {@code bpf_printk} and {@code bpf_trace_printk} write. */
    public static final String BPF_TRACE_PRINTK = "bpf_trace_printk";

    // The task name may hold spaces and dashes: the greedy group backs off to the last "-<pid>" before the CPU.
    // The "(tgid)" column appears with the record-tgid option; the flags column can be switched off.
    private static final Pattern FORMAT = Pattern.compile(
            "^\\s*(.*)-(\\d+)\\s+(?:\\(\\s*(?:\\d+|-+)\\)\\s+)?\\[(\\d+)\\]\\s+(?:(\\S+)\\s+)?(\\d+)\\.(\\d+):\\s+([^:\\s]+):\\s?(.*)$");

    /** Parses one line (without its newline). */
    public static TraceLine parse(String line) {
        Matcher m = FORMAT.matcher(line);
        if (!m.matches()) {
            return new TraceLine("", -1, -1, "", -1, "", line, line);
        }
        try {
            String frac = m.group(6);
            long nanos = frac.length() >= 9 ? Long.parseLong(frac.substring(0, 9))
                    : Long.parseLong(frac) * POW10[9 - frac.length()];
            long ts = Math.addExact(Math.multiplyExact(Long.parseLong(m.group(5)), 1_000_000_000L), nanos);
            return new TraceLine(m.group(1).strip(), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    m.group(4) == null ? "" : m.group(4), ts, m.group(7), m.group(8), line);
        } catch (NumberFormatException | ArithmeticException e) {
            return new TraceLine("", -1, -1, "", -1, "", line, line);
        }
    }

    private static final long[] POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L};

    /** Whether the line had ftrace's format. */
    public boolean parsed() {
        return pid >= 0;
    }

    /** Whether {@code bpf_printk} wrote it. */
    public boolean isPrintk() {
        return BPF_TRACE_PRINTK.equals(event);
    }
}
