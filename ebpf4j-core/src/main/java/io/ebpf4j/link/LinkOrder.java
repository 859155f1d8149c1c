package io.ebpf4j.link;

import io.ebpf4j.program.Program;

/**
 * Where a program goes among the others on a multi-program hook (tcx, netkit, and cgroup links on kernels with
 * ordered cgroup hooks): first, last, or before/after a given link or program; optionally only if the hook is
 * still at an expected revision ({@code BPF_F_BEFORE}, {@code BPF_F_AFTER}, {@code BPF_F_ID}, {@code BPF_F_LINK},
 * {@code expected_revision}). The relative object is referred to by id, so this value holds no descriptor.
 *
 * @param flags            the ordering flags
 * @param relativeId       the id of the link or program named by the flags, or 0
 * @param expectedRevision 0 for any revision
 */
public record LinkOrder(int flags, int relativeId, long expectedRevision) {
    static final int BPF_F_BEFORE = 1 << 3;
    static final int BPF_F_AFTER = 1 << 4;
    static final int BPF_F_ID = 1 << 5;
    static final int BPF_F_LINK = 1 << 13;

    /** At the end (the default). */
    public static LinkOrder append() {
        return new LinkOrder(0, 0, 0);
    }

    /** Before every other program. */
    public static LinkOrder first() {
        return new LinkOrder(BPF_F_BEFORE, 0, 0);
    }

    /** After every other program. */
    public static LinkOrder last() {
        return new LinkOrder(BPF_F_AFTER, 0, 0);
    }

    public static LinkOrder before(BpfLink link) {
        return new LinkOrder(BPF_F_BEFORE | BPF_F_LINK | BPF_F_ID, link.id(), 0);
    }

    public static LinkOrder after(BpfLink link) {
        return new LinkOrder(BPF_F_AFTER | BPF_F_LINK | BPF_F_ID, link.id(), 0);
    }

    public static LinkOrder before(Program program) {
        return new LinkOrder(BPF_F_BEFORE | BPF_F_ID, program.id(), 0);
    }

    public static LinkOrder after(Program program) {
        return new LinkOrder(BPF_F_AFTER | BPF_F_ID, program.id(), 0);
    }

    /** The same placement, refused by the kernel (ESTALE) unless the hook is at {@code revision}. */
    public LinkOrder expectRevision(long revision) {
        return new LinkOrder(flags, relativeId, revision);
    }
}
