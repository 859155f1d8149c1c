package io.ebpf4j.object;

import io.ebpf4j.map.MapSpec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A map the object file defines, with what creating it needs beyond {@link MapSpec}: where the definition came
 * from, pinning, initial contents (global data), and static initial slots (prog arrays, map-in-map).
 * Editable before load: {@link #spec(MapSpec)}, {@link #pinning(Pinning)}, {@link #pinPath(String)}.
 */
public final class MapDef {
    /** Where a map was defined. */
    public enum Origin {
        /** A BTF-defined map in SEC(".maps"). */
        BTF,
        /** libbpf's legacy {@code struct bpf_map_def} in SEC("maps"). */
        LEGACY,
        /** iproute2's {@code struct bpf_elf_map} in SEC("maps"). */
        IPROUTE2,
        /** A global-data section ({@code .data}, {@code .rodata}, {@code .bss}, {@code .data.*}...). */
        DATA,
        /** A struct_ops variable in SEC(".struct_ops") or SEC(".struct_ops.link"). */
        STRUCT_OPS,
        /** The values of the object's {@code __kconfig} externs, filled at load (read-only, frozen). */
        KCONFIG
    }

    /** Pinning as the object asks for it. */
    public enum Pinning {
        NONE,
        /** libbpf's LIBBPF_PIN_BY_NAME: {@code <pin root>/<map name>}, reused when compatible. */
        BY_NAME,
        /** iproute2's PIN_OBJECT_NS: {@code <pin root>/tc/<object>/<map name>}. */
        OBJECT_NS,
        /** iproute2's PIN_GLOBAL_NS: {@code <pin root>/tc/globals/<map name>}. */
        GLOBAL_NS
    }

    private final String name;
    private final Origin origin;
    private final String section;
    private MapSpec spec;
    private Pinning pinning;
    private String pinPath;
    private boolean autocreate = true;
    private final byte[] initialData;
    private final MapDef inner;
    private final Map<Integer, String> initialSlots;
    private final int iproute2Id;
    private final int iproute2InnerId;
    private final int iproute2InnerIdx;
    private StructOpsDef structOps;

    MapDef(String name, Origin origin, String section, MapSpec spec, Pinning pinning, byte[] initialData, MapDef inner,
           Map<Integer, String> initialSlots, int iproute2Id, int iproute2InnerId, int iproute2InnerIdx) {
        this.name = Objects.requireNonNull(name);
        this.origin = origin;
        this.section = section;
        this.spec = spec;
        this.pinning = pinning;
        this.initialData = initialData;
        this.inner = inner;
        this.initialSlots = new LinkedHashMap<>(initialSlots);
        this.iproute2Id = iproute2Id;
        this.iproute2InnerId = iproute2InnerId;
        this.iproute2InnerIdx = iproute2InnerIdx;
    }

    /** The name in the object (for global data: the name the kernel will show, e.g. {@code minimal.bss}). */
    public String name() {
        return name;
    }

    public Origin origin() {
        return origin;
    }

    /** The ELF section the definition (or the data) lives in. */
    public String section() {
        return section;
    }

    public MapSpec spec() {
        return spec;
    }

    /** Changes what will be created (type, sizes, max_entries, flags...). */
    public MapDef spec(MapSpec newSpec) {
        this.spec = Objects.requireNonNull(newSpec);
        return this;
    }

    public Pinning pinning() {
        return pinning;
    }

    public MapDef pinning(Pinning p) {
        this.pinning = Objects.requireNonNull(p);
        return this;
    }

    /** An explicit pin path, overriding the one pinning would choose; null when none is set. */
    public String pinPath() {
        return pinPath;
    }

    public MapDef pinPath(String path) {
        this.pinPath = path;
        return this;
    }

    /** Whether loading creates this map (libbpf's autocreate); programs may still refer to it in dead code. */
    public boolean autocreate() {
        return autocreate;
    }

    public MapDef autocreate(boolean create) {
        this.autocreate = create;
        return this;
    }

    /** The initial value of a global-data map (a copy; all zero for {@code .bss}), or null. */
    public byte[] initialData() {
        return initialData == null ? null : initialData.clone();
    }

    /** Package access for variables written before load. */
    byte[] data() {
        return initialData;
    }

    /** The template of the inner maps of a map-in-map, or null. */
    public MapDef inner() {
        return inner;
    }

    /** Slots filled at load: index → program name (prog arrays) or map name (map-in-map). */
    public Map<Integer, String> initialSlots() {
        return Map.copyOf(initialSlots);
    }

    void addSlot(int index, String target) {
        initialSlots.put(index, target);
    }

    /** For struct_ops maps: the kernel struct and the programs of its members; null otherwise. */
    public StructOpsDef structOps() {
        return structOps;
    }

    MapDef structOps(StructOpsDef def) {
        this.structOps = def;
        return this;
    }

    public int iproute2Id() {
        return iproute2Id;
    }

    public int iproute2InnerId() {
        return iproute2InnerId;
    }

    public int iproute2InnerIdx() {
        return iproute2InnerIdx;
    }

    /** Global data sections that become read-only to user space after load (frozen). */
    public boolean isReadOnlyData() {
        return origin == Origin.KCONFIG
                || origin == Origin.DATA && (section.equals(".rodata") || section.startsWith(".rodata."));
    }

    @Override
    public String toString() {
        return "MapDef[" + name + ", " + origin + ", " + spec + (initialData == null ? "" : ", data "
                + initialData.length + " bytes") + (initialSlots.isEmpty() ? "" : ", slots " + initialSlots) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MapDef m && name.equals(m.name) && origin == m.origin && spec.equals(m.spec)
                && Arrays.equals(initialData, m.initialData);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
