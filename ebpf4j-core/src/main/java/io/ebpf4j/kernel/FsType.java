package io.ebpf4j.kernel;

import java.util.Optional;

/**
 * File system types by the magic number {@code statfs} reports ({@code f_type}, from the kernel's
 * {@code linux/magic.h}): which ones ebpf4j checks for (bpffs, cgroup v2), and common others, named in messages.
 */
public enum FsType {
    BPF("bpf", 0xcafe4a11L),
    CGROUP2("cgroup2", 0x63677270L),
    CGROUP("cgroup", 0x27e0ebL),
    EXT4("ext4", 0xef53L),
    XFS("xfs", 0x58465342L),
    BTRFS("btrfs", 0x9123683eL),
    OVERLAY("overlay", 0x794c7630L),
    TMPFS("tmpfs", 0x01021994L),
    RAMFS("ramfs", 0x858458f6L),
    SYSFS("sysfs", 0x62656572L),
    PROC("proc", 0x9fa0L),
    DEBUGFS("debugfs", 0x64626720L),
    TRACEFS("tracefs", 0x74726163L),
    NFS("nfs", 0x6969L);

    private final String fsName;
    private final long magic;

    FsType(String fsName, long magic) {
        this.fsName = fsName;
        this.magic = magic;
    }

    /** The type whose magic number this is, if it is one of these. */
    public static Optional<FsType> of(long magic) {
        for (FsType t : values()) {
            if (t.magic == magic) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Whether the file system {@code path} is on is of this type; false when statfs cannot tell. */
    public boolean holds(String path) {
        return Sys.fsMagic(path).orElse(-1) == magic;
    }

    /** What file system {@code path} is on, for a message: "an ext4 file system"; null when statfs cannot tell. */
    public static String describe(String path) {
        java.util.OptionalLong m = Sys.fsMagic(path);
        if (m.isEmpty()) {
            return null;
        }
        return of(m.getAsLong()).map(t -> (t.fsName.matches("[aeiou].*") ? "an " : "a ") + t.fsName + " file system")
                .orElse("a file system of magic 0x" + Long.toHexString(m.getAsLong()));
    }
}
