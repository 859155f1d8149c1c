package io.ebpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code BPF_PROG_QUERY} with everything the kernel reports for multi-program hooks (tcx, netkit, cgroup): the
 * programs in run order, the links holding them and the hook's revision, which attach calls can demand.
 */
public final class ProgQuery {
    private ProgQuery() {
    }

    /** {@code BPF_F_QUERY_EFFECTIVE}: for cgroups, what runs (inherited from ancestors too). */
    public static final int BPF_F_QUERY_EFFECTIVE = 1;

    /** The answer: ids in run order (link id 0 where a program was attached without a link). */
    public record Result(int attachFlags, int[] progIds, int[] linkIds, long revision) {
    }

    /** Queries {@code target} (an fd, or an ifindex for tcx and netkit) for {@code attachType}. */
    public static Result query(int target, int attachType, int queryFlags, int max, String object) {
        AttrLayout l = Attr.PROG_QUERY;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment progs = arena.allocate(JAVA_INT, max);
            MemorySegment links = arena.allocate(JAVA_INT, max);
            MemorySegment a = Scratch.get().attr(l.size());
            a.set(JAVA_INT, l.offset("target_fd"), target);
            a.set(JAVA_INT, l.offset("attach_type"), attachType);
            a.set(JAVA_INT, l.offset("query_flags"), queryFlags);
            a.set(JAVA_LONG, l.offset("prog_ids"), progs.address());
            a.set(JAVA_INT, l.offset("prog_cnt"), max);
            a.set(JAVA_LONG, l.offset("link_ids"), links.address());
            Bpf.callOrThrow(BpfCmd.PROG_QUERY, l, a, l.size(), object, null);
            int n = Math.min(max, a.get(JAVA_INT, l.offset("prog_cnt")));
            return new Result(a.get(JAVA_INT, l.offset("attach_flags")), progs.asSlice(0, 4L * n).toArray(JAVA_INT),
                    links.asSlice(0, 4L * n).toArray(JAVA_INT), a.get(JAVA_LONG, l.offset("revision")));
        }
    }
}
