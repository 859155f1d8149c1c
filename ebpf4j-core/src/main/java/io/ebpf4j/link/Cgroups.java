package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.Mounts;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.FsType;
import io.ebpf4j.kernel.Sys;

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

    /**
     * Opens the cgroup directory {@code cgroup}, refusing first what is not a cgroup v2 directory: the kernel would
     * answer EBADF, which reads like a closed descriptor.
     */
    static Fd openDir(Path cgroup) {
        // Null when statfs cannot tell (a path that does not exist): the open then says so.
        String fs = FsType.CGROUP2.holds(cgroup.toString()) ? null : FsType.describe(cgroup.toString());
        if (fs != null) {
            String v2 = Mounts.find("cgroup2").map(p -> "cgroup v2 is mounted at " + p).orElse("no cgroup v2 is mounted");
            throw new BpfException("'" + cgroup + "' is not a cgroup v2 directory (it is on " + fs + "; " + v2 + ")");
        }
        return Sys.open(cgroup.toString(), true);
    }
}
