package io.ebpf4j;

import io.ebpf4j.kernel.Sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The special file systems BPF work needs: bpffs (pins) and tracefs (tracepoint ids, trace_pipe). Each helper
 * returns where the file system is mounted, mounting it at its usual place first when it is absent.
 */
public final class Mounts {
    private Mounts() {
    }

    public static final Path BPFFS = Path.of("/sys/fs/bpf");
    public static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final Path DEBUGFS_TRACING = Path.of("/sys/kernel/debug/tracing");
    private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");

    /** Where a file system of {@code type} is mounted now, if anywhere. */
    public static Optional<Path> find(String type) {
        try {
            for (String line : Files.readAllLines(PROC_MOUNTS)) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(type)) {
                    return Optional.of(Path.of(unescape(f[1])));
                }
            }
        } catch (IOException e) {
            throw new BpfException("cannot read " + PROC_MOUNTS + ": " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    /** Whether {@code dir} itself is a mount point of {@code type}. */
    public static boolean isMounted(Path dir, String type) {
        try {
            String want = dir.toAbsolutePath().normalize().toString();
            for (String line : Files.readAllLines(PROC_MOUNTS)) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(type) && unescape(f[1]).equals(want)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new BpfException("cannot read " + PROC_MOUNTS + ": " + e.getMessage(), e);
        }
    }

    /** /proc/mounts escapes spaces and tabs as octal. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\");
    }

    /** The bpffs at {@code /sys/fs/bpf}, mounted now if it was not. */
    public static Path bpffs() {
        return ensure(BPFFS, "bpf", List.of());
    }

    /** A bpffs at {@code dir}, mounted now if it was not (e.g. a private pin root for tests). */
    public static Path bpffs(Path dir) {
        return ensure(dir, "bpf", List.of());
    }

    /** The tracefs, at {@code /sys/kernel/tracing} (or an existing debugfs one), mounted now if absent. */
    public static Path tracefs() {
        if (isMounted(TRACEFS, "tracefs")) {
            return TRACEFS;
        }
        if (Files.isDirectory(DEBUGFS_TRACING.resolve("events"))) {
            return DEBUGFS_TRACING;
        }
        return ensure(TRACEFS, "tracefs", List.of());
    }

    private static Path ensure(Path dir, String type, List<String> options) {
        if (isMounted(dir, type)) {
            return dir;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BpfException("cannot create " + dir + " to mount " + type + " on: " + e.getMessage(), e);
        }
        int errno = Sys.mount(type, dir.toString(), type, 0, options.isEmpty() ? null : String.join(",", options));
        if (errno != 0) {
            throw new SyscallException("mount", errno, type + " on " + dir,
                    "mount it by hand as root: mount -t " + type + " " + type + " " + dir);
        }
        return dir;
    }
}
