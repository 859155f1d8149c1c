package io.ebpf4j;

import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Sys;

import java.nio.file.Path;

/**
 * A BPF token: delegated BPF rights, taken from a bpffs instance that was mounted with {@code delegate_*}
 * options for a user namespace. Pass {@link #fd()} in load and create options
 * ({@code LoadOptions.withTokenFd}, {@code BpfMap.CreateOptions.withTokenFd}) to act with those rights.
 */
public final class BpfToken implements AutoCloseable {
    private final Fd fd;

    private BpfToken(Fd fd) {
        this.fd = fd;
    }

    /** Creates a token from the bpffs mounted at {@code bpffs}. */
    public static BpfToken create(Path bpffs) {
        try (Fd dir = Sys.open(bpffs.toString(), true)) {
            return new BpfToken(Bpf.tokenCreate(dir.get(), 0, "bpffs at " + bpffs));
        }
    }

    public int fd() {
        return fd.get();
    }

    @Override
    public void close() {
        fd.close();
    }
}
