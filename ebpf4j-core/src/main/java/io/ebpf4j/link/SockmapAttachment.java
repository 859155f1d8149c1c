package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

/**
 * An {@code SK_MSG}/{@code SK_SKB} program attached to a sockmap or sockhash with {@code BPF_PROG_ATTACH}, for
 * kernels without sockmap links. Closing detaches it; it keeps the map and the program open for that.
 */
public final class SockmapAttachment extends AbstractAttachment {
    private final Fd map;
    private final Fd program;
    private final AttachType type;

    private SockmapAttachment(Fd map, Fd program, AttachType type, String description) {
        super(description);
        this.map = map;
        this.program = program;
        this.type = type;
    }

    /**
     * Attaches {@code program} to {@code sockmap} (a SOCKMAP or SOCKHASH) as its {@code type} program, with
     * PROG_ATTACH.
     */
    public static SockmapAttachment attach(Program program, BpfMap sockmap, AttachType type) {
        String what = type.displayName() + " '" + program.name() + "' on map '" + sockmap.name() + "' (prog_attach)";
        Fd m = null;
        Fd p = null;
        try {
            m = Owned.map(sockmap);
            p = Owned.program(program);
            Bpf.progAttach(BpfCmd.PROG_ATTACH, m.get(), p.get(), type.value(), 0, 0, what);
            return new SockmapAttachment(m, p, type, what);
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, p, m);
        }
    }

    @Override
    void detach() {
        try {
            Bpf.progAttach(BpfCmd.PROG_DETACH, map.get(), program.get(), type.value(), 0, 0, description);
        } finally {
            Closing.closeAll(program, map);
        }
    }
}
