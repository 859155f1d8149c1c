package io.ebpf4j.object;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a struct_ops variable ({@code SEC(".struct_ops.link") struct tcp_congestion_ops x = {...}}) says: the
 * kernel struct it implements, which program fills each function-pointer member, and whether it is registered
 * through a link ({@code .struct_ops.link}: the map is created with {@code BPF_F_LINK}).
 *
 * @param typeName  the kernel struct's name, e.g. {@code tcp_congestion_ops}
 * @param localTypeId the struct's type id in the object's BTF
 * @param programs  member name → program name, in member order
 */
public record StructOpsDef(String typeName, int localTypeId, Map<String, String> programs, boolean link) {
    public StructOpsDef {
        programs = Collections.unmodifiableMap(new LinkedHashMap<>(programs));
    }
}
