package io.ebpf4j.kernel;

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
public record AttrLayout(String name, StructLayout layout, long size, Fields fields) {

    /**
     * The named top-level fields with their offsets and sizes, computed once: system-call wrappers look offsets
     * up on every call, and layout paths are slow to resolve.
     */
    record Fields(String[] names, long[] offsets, long[] sizes, java.util.Map<String, Long> byName) {
    }

    public static AttrLayout of(String name, MemoryLayout... members) {
        StructLayout layout = MemoryLayout.structLayout(members);
        List<String> names = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        java.util.Map<String, Long> byName = new java.util.HashMap<>();
        long end = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (m.name().isPresent()) {
                long off = layout.byteOffset(groupElement(m.name().get()));
                names.add(m.name().get());
                offsets.add(off);
                sizes.add(m.byteSize());
                byName.put(m.name().get(), off);
                end = off + m.byteSize();
            }
        }
        Fields f = new Fields(names.toArray(String[]::new), offsets.stream().mapToLong(Long::longValue).toArray(),
                sizes.stream().mapToLong(Long::longValue).toArray(), java.util.Map.copyOf(byName));
        return new AttrLayout(name, layout, end, f);
    }

    /** The byte offset of a field; dotted paths reach into nested structs and unions. */
    public long offset(String path) {
        Long top = fields.byName().get(path);
        if (top != null) {
            return top;
        }
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
        for (int i = 0; i < fields.names().length; i++) {
            long off = fields.offsets()[i];
            long len = Math.min(fields.sizes()[i], size - off);
            if (len <= 0) {
                break;
            }
            for (long b = 0; b < len; b++) {
                if (attr.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + b) != 0) {
                    found = fields.names()[i];
                    break;
                }
            }
        }
        return found;
    }

    /** The end of a top-level field (offset plus size). */
    public long endOf(String field) {
        for (int i = 0; i < fields.names().length; i++) {
            if (fields.names()[i].equals(field)) {
                return fields.offsets()[i] + fields.sizes()[i];
            }
        }
        throw new IllegalArgumentException(name + " has no field '" + field + "'");
    }
}
