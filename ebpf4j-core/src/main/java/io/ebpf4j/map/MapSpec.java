package io.ebpf4j.map;

import java.util.Objects;

/**
 * What a map is to be: type, sizes, flags and the rest of {@code BPF_MAP_CREATE}'s inputs. Pure data; nothing is
 * created until {@link BpfMap#create(MapSpec)}. Change it with the {@code with*} methods.
 *
 * @param numaNode the NUMA node to allocate on, or -1 for any
 * @param innerMap for map-in-map types, the template the inner maps follow
 */
public record MapSpec(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags, int numaNode,
                      long mapExtra, MapSpec innerMap, int btfKeyTypeId, int btfValueTypeId,
                      int btfVmlinuxValueTypeId) {

    public MapSpec {
        Objects.requireNonNull(type, "type");
        name = name == null ? "" : name;
        if (keySize < 0 || valueSize < 0) {
            throw new IllegalArgumentException("key and value sizes must not be negative");
        }
    }

    /** A spec with no name, flags or BTF. */
    public static MapSpec of(MapType type, int keySize, int valueSize, int maxEntries) {
        return new MapSpec("", type, keySize, valueSize, maxEntries, 0, -1, 0, null, 0, 0, 0);
    }

    public MapSpec withName(String name) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    public MapSpec withMaxEntries(int maxEntries) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    public MapSpec withFlags(int flags) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    /** Allocates on one NUMA node (sets {@link MapFlags#NUMA_NODE}). */
    public MapSpec withNumaNode(int node) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags | MapFlags.NUMA_NODE, node, mapExtra,
                innerMap, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    public MapSpec withMapExtra(long mapExtra) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    public MapSpec withInnerMap(MapSpec inner) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, inner,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    /** BTF type ids of key and value (in the BTF passed at creation). */
    public MapSpec withBtfTypes(int keyTypeId, int valueTypeId) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                keyTypeId, valueTypeId, btfVmlinuxValueTypeId);
    }

    /** For struct_ops maps: the kernel BTF id of the {@code bpf_struct_ops_<name>} value type. */
    public MapSpec withBtfVmlinuxValueType(int typeId) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, innerMap,
                btfKeyTypeId, btfValueTypeId, typeId);
    }
}
