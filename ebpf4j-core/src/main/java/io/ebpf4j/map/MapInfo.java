package io.ebpf4j.map;

/**
 * What the kernel reports about a map ({@code struct bpf_map_info}). {@code type} is empty when the kernel's
 * type is newer than ebpf4j; {@code rawType} always holds the number.
 */
public record MapInfo(int id, int rawType, String name, int keySize, int valueSize, int maxEntries, int flags,
                      int ifindex, int btfId, int btfKeyTypeId, int btfValueTypeId, int btfVmlinuxValueTypeId,
                      long mapExtra, boolean frozen) {

    public java.util.Optional<MapType> type() {
        return MapType.of(rawType);
    }

    /** The type's name as bpftool prints it, or {@code type <n>} for an unknown one. */
    public String typeName() {
        return type().map(MapType::displayName).orElse("type " + rawType);
    }
}
