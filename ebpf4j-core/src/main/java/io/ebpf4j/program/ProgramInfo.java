package io.ebpf4j.program;

import java.util.List;
import java.util.Optional;

/**
 * What the kernel reports about a loaded program ({@code struct bpf_prog_info}), including the translated
 * ("xlated") and JIT-compiled instructions when asked for; their lengths are always there.
 *
 * @param tag the program's tag as 16 hex digits
 * @param loadTimeNs boot time of the load, in nanoseconds since boot
 */
public record ProgramInfo(int id, int rawType, String name, String tag, long loadTimeNs, int createdByUid,
                          List<Integer> mapIds, byte[] xlated, byte[] jited, int btfId, boolean gplCompatible,
                          long runTimeNs, long runCount, long recursionMisses, int verifiedInstructions,
                          int ifindex, int attachBtfObjId, int attachBtfId, int xlatedLength,
                          int jitedLength) {

    public Optional<ProgramType> type() {
        return ProgramType.of(rawType);
    }

    public String typeName() {
        return type().map(ProgramType::displayName).orElse("type " + rawType);
    }
}
