package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Mounts;

import java.nio.file.Path;

/** Where cgroup v2 lives on this machine. */
public final class Cgroups {
    private Cgroups() {
    }

    /**
     * The cgroup v2 mount point, from {@code /proc/self/mounts}: {@code /sys/fs/cgroup} on unified systems,
     * {@code /sys/fs/cgroup/unified} on hybrid ones.
     */
    public static Path root() {
        return Mounts.find("cgroup2").orElseThrow(() -> new BpfException(
                "no cgroup v2 file system is mounted; mount one (mount -t cgroup2 none /sys/fs/cgroup) to attach cgroup programs"));
    }
}
