package io.ebpf4j.kernel;

import io.ebpf4j.Errno;

/** What a user can do about an errno, by command. Short sentences; the exception message carries them. */
final class Hints {
    private Hints() {
    }

    static final String PRIVILEGES = "ebpf4j needs root, or CAP_BPF (plus CAP_PERFMON for tracing and CAP_NET_ADMIN "
            + "for networking programs); run as root or grant the capabilities";

    static String forBpf(BpfCmd cmd, int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return null;
        }
        return switch (e) {
            // Some kernels withhold a map type even from root (arenas on some 6.18 builds): say so too.
            case EPERM -> cmd == BpfCmd.MAP_CREATE ? PRIVILEGES + "; if the process has them already, a security "
                    + "module or the kernel's configuration forbids this type" : PRIVILEGES;
            case EBADF -> "the file descriptor is closed or is not a BPF object of the kind " + cmd.name() + " needs";
            case EFAULT -> "the kernel could not read a buffer ebpf4j passed: this is a bug in ebpf4j, please report it";
            case ENOMEM -> "the kernel could not allocate memory: make the object smaller or raise the memory cgroup limit";
            case EOPNOTSUPP, ENOTSUPP -> "this kernel does not support " + cmd.name() + " for this kind of object";
            case EBUSY -> "the object is busy (already attached, frozen or in use)";
            case ENOENT -> switch (cmd) {
                case OBJ_GET -> "nothing is pinned at that path";
                case PROG_GET_FD_BY_ID, MAP_GET_FD_BY_ID, BTF_GET_FD_BY_ID, LINK_GET_FD_BY_ID ->
                        "no object has that id (it may have been freed)";
                default -> null;
            };
            case EEXIST -> switch (cmd) {
                case OBJ_PIN -> "a file already exists at the pin path: remove it or choose another path";
                case MAP_UPDATE_ELEM -> "the key already exists and NOEXIST was asked for";
                default -> null;
            };
            case EINVAL -> switch (cmd) {
                case MAP_CREATE -> "the kernel refused an attribute: check the map type, key and value sizes, "
                        + "max_entries and flags for this map type";
                case OBJ_PIN, OBJ_GET -> "the path must be inside a mounted bpffs (e.g. /sys/fs/bpf)";
                case MAP_FREEZE -> "only maps created without BPF_F_RDONLY_PROG can be frozen";
                default -> null;
            };
            case E2BIG -> switch (cmd) {
                case MAP_UPDATE_ELEM, MAP_UPDATE_BATCH -> "the map is full (max_entries reached)";
                case PROG_LOAD -> "the program has more instructions than the kernel accepts";
                default -> "a size is larger than the kernel accepts";
            };
            case ENOSPC -> "no room left (a full map, or a log buffer too small)";
            default -> null;
        };
    }

    static String forPath(int errno, String path) {
        return switch (Errno.of(errno)) {
            case ENOENT -> "'" + path + "' does not exist";
            case EACCES, EPERM -> "no permission to open '" + path + "'";
            case null, default -> null;
        };
    }

    static String forMmap(int errno) {
        return switch (Errno.of(errno)) {
            case EINVAL -> "only maps created with BPF_F_MMAPABLE (arrays), ring buffers and arenas can be mapped";
            case EPERM, EACCES -> "the map is frozen or read-only: map it read-only";
            case null, default -> null;
        };
    }

    static String forNetlink(int errno) {
        return switch (Errno.of(errno)) {
            case EPERM -> "changing interfaces needs root or CAP_NET_ADMIN";
            case ENODEV -> "no interface has that index in this network namespace";
            case EBUSY -> "another program is attached there already (detach it, or replace it explicitly)";
            case EEXIST -> "there is one already";
            case EOPNOTSUPP -> "the interface or its driver does not support this (try another mode)";
            case null, default -> null;
        };
    }
}
