package io.ebpf4j.kernel;

import io.ebpf4j.Errno;
import io.ebpf4j.SyscallException;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code perf_event_open(2)} and the perf ioctls: the base of tracepoint, kprobe, uprobe and perf_event attachment
 * and of perf buffers. The attribute is {@code struct perf_event_attr} as of Linux 6.18 (136 bytes); older kernels
 * accept it as long as the fields they do not know stay zero.
 */
public final class PerfEvent {
    private PerfEvent() {
    }

    /** {@code struct perf_event_attr}; the bit-field word is one u64 named {@code flags}. */
    public static final AttrLayout ATTR = AttrLayout.of("perf_event_attr",
            JAVA_INT.withName("type"), JAVA_INT.withName("size"), JAVA_LONG.withName("config"),
            JAVA_LONG.withName("sample_period"), JAVA_LONG.withName("sample_type"),
            JAVA_LONG.withName("read_format"), JAVA_LONG.withName("flags"), JAVA_INT.withName("wakeup_events"),
            JAVA_INT.withName("bp_type"), JAVA_LONG.withName("config1"), JAVA_LONG.withName("config2"),
            JAVA_LONG.withName("branch_sample_type"), JAVA_LONG.withName("sample_regs_user"),
            JAVA_INT.withName("sample_stack_user"), JAVA_INT.withName("clockid"),
            JAVA_LONG.withName("sample_regs_intr"), JAVA_INT.withName("aux_watermark"),
            JAVA_SHORT.withName("sample_max_stack"), paddingLayout(2), JAVA_INT.withName("aux_sample_size"),
            JAVA_INT.withName("aux_action"), JAVA_LONG.withName("sig_data"), JAVA_LONG.withName("config3"));

    // perf_type_id
    public static final int TYPE_HARDWARE = 0;
    public static final int TYPE_SOFTWARE = 1;
    public static final int TYPE_TRACEPOINT = 2;
    public static final int TYPE_HW_CACHE = 3;
    public static final int TYPE_RAW = 4;
    public static final int TYPE_BREAKPOINT = 5;

    // perf_sw_ids we use
    public static final int COUNT_SW_CPU_CLOCK = 0;
    public static final int COUNT_SW_TASK_CLOCK = 1;
    public static final int COUNT_SW_BPF_OUTPUT = 10;

    /** {@code PERF_SAMPLE_RAW}: what bpf_perf_event_output records carry. */
    public static final long SAMPLE_RAW = 1L << 10;

    // bits of the flags word
    public static final long FLAG_DISABLED = 1L;
    public static final long FLAG_INHERIT = 1L << 1;
    public static final long FLAG_FREQ = 1L << 10;
    public static final long FLAG_WATERMARK = 1L << 14;

    /** {@code PERF_FLAG_FD_CLOEXEC} for perf_event_open's flags argument. */
    public static final long OPEN_FD_CLOEXEC = 8;

    // ioctls ('$' group)
    public static final long IOC_ENABLE = 0x2400;
    public static final long IOC_DISABLE = 0x2401;
    public static final long IOC_SET_BPF = 0x40042408;
    public static final long IOC_ID = 0x80082407;

    /**
     * Opens a perf event: {@code fill} writes the attribute's fields (type, config, flags...; size is set here).
     * {@code pid} -1 with a CPU means every task on that CPU. The descriptor is close-on-exec.
     */
    public static Fd open(Consumer<MemorySegment> fill, int pid, int cpu, int groupFd, String what) {
        Scratch s = Scratch.get();
        MemorySegment a = s.attr(ATTR.size());
        a.set(JAVA_INT, ATTR.offset("size"), (int) ATTR.size());
        fill.accept(a);
        long r;
        try {
            r = (long) Libc.SYSCALL5.invokeExact(s.capture, Libc.SYS_PERF_EVENT_OPEN, a, (long) pid, (long) cpu,
                    (long) groupFd, OPEN_FD_CLOEXEC);
        } catch (Throwable t) {
            throw Scratch.rethrow(t);
        }
        if (r < 0) {
            int errno = Libc.errno(s.capture);
            throw new SyscallException("perf_event_open", errno, what, hint(errno));
        }
        return Fd.own((int) r, "perf event " + what);
    }

    private static String hint(int errno) {
        return switch (Errno.of(errno)) {
            case ENOENT, ENODEV, EOPNOTSUPP -> "this kernel has no such event or PMU (is the tracepoint, function or "
                    + "event type present, and was the kernel built with it?)";
            case EACCES, EPERM -> "perf events need root or CAP_PERFMON (see /proc/sys/kernel/perf_event_paranoid)";
            case EMFILE -> "too many open files: raise the limit (ulimit -n)";
            case EINVAL -> "the kernel refused an attribute of the event (type, config or sample settings)";
            case null, default -> null;
        };
    }

    /** PERF_EVENT_IOC_SET_BPF: runs the program when the event fires (tracepoint, kprobe, uprobe events). */
    public static void setBpf(int perfFd, int progFd, String what) {
        Sys.ioctl(perfFd, IOC_SET_BPF, progFd, what);
    }

    public static void enable(int perfFd, String what) {
        Sys.ioctl(perfFd, IOC_ENABLE, 0, what);
    }

    public static void disable(int perfFd, String what) {
        Sys.ioctl(perfFd, IOC_DISABLE, 0, what);
    }
}
