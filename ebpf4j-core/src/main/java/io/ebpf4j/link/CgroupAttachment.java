package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.nio.file.Path;

/**
 * A cgroup program attached with {@code BPF_PROG_ATTACH}, the way before cgroup links: it stays until detached,
 * which closing this object does ({@code BPF_PROG_DETACH} of the same program). It keeps the cgroup directory
 * and the program open for that.
 */
public final class CgroupAttachment extends AbstractAttachment {
    /** How the attachment shares the hook with programs of this cgroup and its descendants. */
    public enum Mode {
        /** The only program; descendants may not attach their own ({@code 0}). */
        EXCLUSIVE(0),
        /** The only program here; a descendant's program replaces it below ({@code BPF_F_ALLOW_OVERRIDE}). */
        OVERRIDE(1),
        /** One of several; descendants' programs run too ({@code BPF_F_ALLOW_MULTI}). */
        MULTI(1 << 1);

        private final int flag;

        Mode(int flag) {
            this.flag = flag;
        }

        public int flag() {
            return flag;
        }
    }

    private final Fd cgroup;
    private final Fd program;
    private final AttachType type;

    private CgroupAttachment(Fd cgroup, Fd program, AttachType type, String description) {
        super(description);
        this.cgroup = cgroup;
        this.program = program;
        this.type = type;
    }

    /**
     * Attaches {@code program} to {@code cgroup}'s {@code type} hook with PROG_ATTACH; {@code mode} says how it
     * shares the hook with the programs of descendant cgroups.
     */
    public static CgroupAttachment attach(Program program, Path cgroup, AttachType type, Mode mode) {
        String what = "cgroup " + type.displayName() + " '" + program.name() + "' on " + cgroup + " (prog_attach, "
                + mode.name().toLowerCase(java.util.Locale.ROOT) + ")";
        Hooks.requireProgramType(program, type, what);
        Fd dir = Cgroups.openDir(cgroup);
        Fd own = null;
        try {
            own = Owned.program(program);
            Bpf.progAttach(BpfCmd.PROG_ATTACH, dir.get(), own.get(), type.value(), mode.flag(), 0, what);
            return new CgroupAttachment(dir, own, type, what);
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, own, dir);
        }
    }

    /**
     * Leaves the program attached and releases this object's descriptors: the attachment outlives the process
     * until someone removes it (as {@code ip} and {@code bpftool} attachments do). Closing afterwards does nothing.
     */
    public synchronized void disown() {
        if (!markClosed()) {
            return;
        }
        Closing.closeAll(program, cgroup);
    }

    /**
     * Detaches {@code program} from {@code cgroup}'s {@code type} hook, however it was attached: a program held
     * by a link is detached through the link (LINK_DETACH), one attached with PROG_ATTACH by PROG_DETACH.
     */
    public static void detach(Path cgroup, AttachType type, Program program) {
        HookQuery q = CgroupLink.query(cgroup, type);
        int at = q.programIds().indexOf(program.id());
        if (at < 0) {
            throw new io.ebpf4j.BpfException("program " + program.id() + " is not attached to " + cgroup + " as "
                    + type.displayName() + " (see 'ebpf4j cgroup list " + cgroup + "')");
        }
        int linkId = q.linkIds().get(at);
        if (linkId != 0) {
            try (BpfLink link = BpfLink.fromId(linkId)) {
                link.detach();
            }
            return;
        }
        try (Fd dir = Cgroups.openDir(cgroup)) {
            Bpf.progAttach(BpfCmd.PROG_DETACH, dir.get(), program.fd(), type.value(), 0, 0,
                    "cgroup " + type.displayName() + " program " + program.id() + " on " + cgroup);
        }
    }

    @Override
    void detach() {
        try {
            Bpf.progAttach(BpfCmd.PROG_DETACH, cgroup.get(), program.get(), type.value(), 0, 0, description);
        } finally {
            Closing.closeAll(program, cgroup);
        }
    }
}
