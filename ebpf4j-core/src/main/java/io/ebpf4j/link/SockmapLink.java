package io.ebpf4j.link;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

/**
 * An {@code SK_MSG} or {@code SK_SKB} program on a sockmap or sockhash, held by a bpf_link (Linux 6.10+):
 * attach types {@code SK_MSG_VERDICT}, {@code SK_SKB_STREAM_VERDICT}, {@code SK_SKB_STREAM_PARSER},
 * {@code SK_SKB_VERDICT}. It then runs for every socket in the map. Kernels without sockmap links use
 * {@link SockmapAttachment}.
 */
public final class SockmapLink extends BpfLink {
    private SockmapLink(Fd fd, String description) {
        super(fd, description);
    }

    public static SockmapLink attach(Program program, BpfMap sockmap, AttachType type) {
        String what = type.displayName() + " '" + program.name() + "' on map '" + sockmap.name() + "'";
        return new SockmapLink(Bpf.linkCreate(program.fd(), sockmap.fd(), type.value(), 0, null, 16, what), what);
    }
}
