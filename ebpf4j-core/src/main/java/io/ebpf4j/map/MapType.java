package io.ebpf4j.map;

import java.util.ArrayList;
import java.util.List;

/** Map types ({@code enum bpf_map_type}, Linux 6.18), with what the kernel requires of each. */
public enum MapType {
    UNSPEC(0, Kind.OTHER),
    HASH(1, Kind.HASH),
    ARRAY(2, Kind.ARRAY),
    PROG_ARRAY(3, Kind.FD_ARRAY),
    PERF_EVENT_ARRAY(4, Kind.FD_ARRAY),
    PERCPU_HASH(5, Kind.HASH),
    PERCPU_ARRAY(6, Kind.ARRAY),
    STACK_TRACE(7, Kind.OTHER),
    CGROUP_ARRAY(8, Kind.FD_ARRAY),
    LRU_HASH(9, Kind.HASH),
    LRU_PERCPU_HASH(10, Kind.HASH),
    LPM_TRIE(11, Kind.OTHER),
    ARRAY_OF_MAPS(12, Kind.FD_ARRAY),
    HASH_OF_MAPS(13, Kind.HASH),
    DEVMAP(14, Kind.FD_ARRAY),
    SOCKMAP(15, Kind.FD_ARRAY),
    CPUMAP(16, Kind.FD_ARRAY),
    XSKMAP(17, Kind.FD_ARRAY),
    SOCKHASH(18, Kind.HASH),
    CGROUP_STORAGE(19, Kind.OTHER),
    REUSEPORT_SOCKARRAY(20, Kind.FD_ARRAY),
    PERCPU_CGROUP_STORAGE(21, Kind.OTHER),
    QUEUE(22, Kind.KEYLESS),
    STACK(23, Kind.KEYLESS),
    SK_STORAGE(24, Kind.LOCAL_STORAGE),
    DEVMAP_HASH(25, Kind.HASH),
    STRUCT_OPS(26, Kind.OTHER),
    RINGBUF(27, Kind.KEYLESS),
    INODE_STORAGE(28, Kind.LOCAL_STORAGE),
    TASK_STORAGE(29, Kind.LOCAL_STORAGE),
    BLOOM_FILTER(30, Kind.KEYLESS),
    USER_RINGBUF(31, Kind.KEYLESS),
    CGRP_STORAGE(32, Kind.LOCAL_STORAGE),
    ARENA(33, Kind.KEYLESS);

    /** Families that share the kernel's rules for sizes and flags. */
    enum Kind { HASH, ARRAY, FD_ARRAY, KEYLESS, LOCAL_STORAGE, OTHER }

    private static final MapType[] BY_VALUE = values();

    private final int value;
    private final Kind kind;

    MapType(int value, Kind kind) {
        this.value = value;
        this.kind = kind;
    }

    /** The kernel's number for this type. */
    public int value() {
        return value;
    }

    /** The type with this number; empty for a number newer than ebpf4j. */
    public static java.util.Optional<MapType> of(int value) {
        return value >= 0 && value < BY_VALUE.length ? java.util.Optional.of(BY_VALUE[value]) : java.util.Optional.empty();
    }

    /** The name bpftool and libbpf print, e.g. {@code percpu_hash}. */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Values hold one slot per possible CPU, each rounded up to 8 bytes. */
    public boolean isPerCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH || this == PERCPU_CGROUP_STORAGE;
    }

    /** Values are file descriptors on update and ids on lookup (prog arrays, map-in-map, sockmaps...). */
    public boolean holdsFds() {
        return kind == Kind.FD_ARRAY || this == HASH_OF_MAPS || this == SOCKHASH || this == DEVMAP_HASH;
    }

    /** Maps whose values are other maps; they need an inner map at creation. */
    public boolean isMapOfMaps() {
        return this == ARRAY_OF_MAPS || this == HASH_OF_MAPS;
    }

    /** Array-like: every key in {@code [0, max_entries)} exists and keys cannot be deleted. */
    public boolean isArray() {
        return kind == Kind.ARRAY || kind == Kind.FD_ARRAY;
    }

    /**
     * Why user space cannot read the values of a map of this type whose values are {@code valueSize} bytes with
     * a lookup; empty when it can. Perf event, cgroup and AF_XDP socket arrays hold kernel objects that lookups
     * refuse; socket maps answer with the socket's cookie, which needs 8-byte values.
     */
    public java.util.Optional<String> unreadableValues(int valueSize) {
        return switch (this) {
            case PERF_EVENT_ARRAY, CGROUP_ARRAY, XSKMAP -> java.util.Optional.of("a " + displayName() + " map holds "
                    + "kernel objects that user space cannot read back (it can only set and delete them)");
            case SOCKMAP, SOCKHASH, REUSEPORT_SOCKARRAY -> valueSize == Long.BYTES ? java.util.Optional.empty()
                    : java.util.Optional.of("user space reads a socket's cookie from a " + displayName() + " map, "
                    + "which needs 8-byte values (this one's are " + valueSize + " bytes)");
            default -> java.util.Optional.empty();
        };
    }

    /** Local storage maps (socket, inode, task, cgroup): keyed by a descriptor of the owner, not walkable. */
    public boolean isLocalStorage() {
        return kind == Kind.LOCAL_STORAGE;
    }

    /** Maps with no key (queue, stack, bloom filter, ring buffers, arena). */
    public boolean isKeyless() {
        return kind == Kind.KEYLESS;
    }

    /**
     * What looks wrong in a spec for this type, one sentence each; empty when nothing does. Used to say which
     * attribute is suspicious when the kernel answers EINVAL.
     */
    public List<String> problems(MapSpec s) {
        List<String> p = new ArrayList<>();
        switch (kind) {
            case ARRAY, FD_ARRAY -> {
                if (s.keySize() != Integer.BYTES) {
                    p.add("key_size must be 4 for " + displayName() + " (it is " + s.keySize() + ")");
                }
            }
            case KEYLESS -> {
                if (s.keySize() != 0) {
                    p.add("key_size must be 0 for " + displayName() + " (it is " + s.keySize() + ")");
                }
            }
            case LOCAL_STORAGE -> {
                if (s.maxEntries() != 0) {
                    p.add("max_entries must be 0 for " + displayName());
                }
                if ((s.flags() & MapFlags.NO_PREALLOC) == 0) {
                    p.add(displayName() + " needs the BPF_F_NO_PREALLOC flag");
                }
                if (s.btfKeyTypeId() == 0 || s.btfValueTypeId() == 0) {
                    p.add(displayName() + " needs BTF key and value type ids");
                }
            }
            default -> {
            }
        }
        switch (this) {
            case PERF_EVENT_ARRAY, CGROUP_ARRAY, PROG_ARRAY, SOCKMAP, XSKMAP, ARRAY_OF_MAPS, HASH_OF_MAPS -> {
                if (s.valueSize() != Integer.BYTES) {
                    p.add("value_size must be 4 for " + displayName() + " (it is " + s.valueSize() + ")");
                }
            }
            case RINGBUF, USER_RINGBUF -> {
                if (s.valueSize() != 0) {
                    p.add("value_size must be 0 for " + displayName());
                }
                long pages = s.maxEntries() / io.ebpf4j.kernel.Sys.pageSize();
                if (s.maxEntries() <= 0 || Integer.bitCount(s.maxEntries()) != 1 || pages < 1) {
                    p.add("max_entries of " + displayName() + " is its size in bytes and must be a power of two "
                            + "and a multiple of the page size (it is " + Integer.toUnsignedString(s.maxEntries()) + ")");
                }
            }
            case LPM_TRIE -> {
                if ((s.flags() & MapFlags.NO_PREALLOC) == 0) {
                    p.add("lpm_trie needs the BPF_F_NO_PREALLOC flag");
                }
                if (s.keySize() < 5) {
                    p.add("lpm_trie keys are a 4-byte prefix length followed by the data (key_size >= 5)");
                }
            }
            case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE -> {
                if (s.maxEntries() != 0) {
                    p.add("max_entries must be 0 for " + displayName());
                }
            }
            case STRUCT_OPS -> {
                if (s.btfVmlinuxValueTypeId() == 0) {
                    p.add("struct_ops maps need btf_vmlinux_value_type_id (the kernel struct they implement)");
                }
                p.add("struct_ops maps need key_size 4, max_entries 1, value_size equal to the kernel struct's size, "
                        + "and a BTF fd (CreateOptions.withBtfFd)");
            }
            case ARENA -> {
                if ((s.flags() & MapFlags.MMAPABLE) == 0) {
                    p.add("arena maps need the BPF_F_MMAPABLE flag");
                }
            }
            case BLOOM_FILTER -> {
                if (s.mapExtra() > 15) {
                    p.add("map_extra of a bloom filter is its number of hash functions (at most 15)");
                }
            }
            default -> {
            }
        }
        if (isMapOfMaps() && s.innerMap() == null) {
            p.add(displayName() + " needs an inner map");
        }
        if ((s.flags() & MapFlags.MMAPABLE) != 0 && this != ARRAY && this != ARENA) {
            p.add("BPF_F_MMAPABLE is only valid for array and arena maps");
        }
        if (s.maxEntries() == 0 && kind != Kind.LOCAL_STORAGE && this != CGROUP_STORAGE
                && this != PERCPU_CGROUP_STORAGE && this != STRUCT_OPS) {
            p.add("max_entries must not be 0");
        }
        return p;
    }
}
