package io.ebpf4j.link;

import java.util.Arrays;
import java.util.List;

/**
 * What runs on a multi-program hook, in order: program ids, the ids of the links holding them (0 for a program
 * attached without a link) and the hook's revision (it grows with every change; see
 * {@link LinkOrder#expectRevision}).
 */
public record HookQuery(List<Integer> programIds, List<Integer> linkIds, long revision) {
    public HookQuery {
        programIds = List.copyOf(programIds);
        linkIds = List.copyOf(linkIds);
    }

    static HookQuery of(io.ebpf4j.kernel.ProgQuery.Result r) {
        return new HookQuery(Arrays.stream(r.progIds()).boxed().toList(), Arrays.stream(r.linkIds()).boxed().toList(),
                r.revision());
    }
}
