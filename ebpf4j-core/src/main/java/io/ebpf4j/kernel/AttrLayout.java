package io.ebpf4j.kernel;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The layout of one kernel structure (a member of {@code union bpf_attr}, or an info structure), with the size
 * passed to the kernel: the end of its last field, as the UAPI header has it for the running release (6.18).
 */
public record AttrLayout(String name, StructLayout layout, long size) {

    public static AttrLayout of(String name, MemoryLayout... members) {
        StructLayout layout = MemoryLayout.structLayout(members);
        long end = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m.name().isPresent()) {
                end = layout.byteOffset(groupElement(m.name().get())) + m.byteSize();
            }
        }
        return new AttrLayout(name, layout, end);
    }

    /** The byte offset of a field; dotted paths reach into nested structs and unions. */
    public long offset(String path) {
        String[] parts = path.split("\\.");
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[parts.length];
        for (int i = 0; i < parts.length; i++) {
            elements[i] = groupElement(parts[i]);
        }
        return layout.byteOffset(elements);
    }

    /** The named top-level fields in order, flattening unions to their first member. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>();
        for (MemoryLayout m : layout.memberLayouts()) {
            m.name().ifPresent(names::add);
        }
        return names;
    }

    /**
     * The name of the last top-level field that is not all zero within the first {@code size} bytes of
     * {@code attr}. When a kernel says E2BIG, that field (or one before it) is one it does not know.
     */
    public String lastNonZeroField(MemorySegment attr, long size) {
        String found = null;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m.name().isEmpty()) {
                continue;
            }
            long off = layout.byteOffset(groupElement(m.name().get()));
            long len = Math.min(m.byteSize(), size - off);
            if (len <= 0) {
                break;
            }
            MemorySegment slice = attr.asSlice(off, len);
            for (long i = 0; i < len; i++) {
                if (slice.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != 0) {
                    found = m instanceof GroupLayout g && g.name().isPresent() ? g.name().get() : m.name().get();
                    break;
                }
            }
        }
        return found;
    }
}
