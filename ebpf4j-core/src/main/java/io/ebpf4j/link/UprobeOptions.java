package io.ebpf4j.link;

/**
 * How a uprobe is attached.
 *
 * @param retprobe fire when the function returns (a uretprobe) instead of on entry
 * @param pid only this process fires the probe; -1 for every process that runs the code
 * @param cookie the value {@code bpf_get_attach_cookie()} returns in the program
 * @param refCtrOffset the file offset of a USDT-style semaphore (a {@code unsigned short}) the kernel raises
 *     while the probe is attached; 0 for none
 */
public record UprobeOptions(boolean retprobe, int pid, long cookie, long refCtrOffset) {
    public UprobeOptions {
        if (pid < -1 || pid == 0) {
            throw new IllegalArgumentException("pid must be a process id or -1 for every process, not " + pid);
        }
        if (refCtrOffset < 0) {
            throw new IllegalArgumentException("refCtrOffset must not be negative: " + refCtrOffset);
        }
    }

    /** An entry probe for every process, no cookie, no semaphore. */
    public static UprobeOptions uprobe() {
        return new UprobeOptions(false, -1, 0, 0);
    }

    /** A return probe for every process, no cookie, no semaphore. */
    public static UprobeOptions uretprobe() {
        return new UprobeOptions(true, -1, 0, 0);
    }

    public UprobeOptions withPid(int pid) {
        return new UprobeOptions(retprobe, pid, cookie, refCtrOffset);
    }

    public UprobeOptions withCookie(long cookie) {
        return new UprobeOptions(retprobe, pid, cookie, refCtrOffset);
    }

    public UprobeOptions withRefCtrOffset(long refCtrOffset) {
        return new UprobeOptions(retprobe, pid, cookie, refCtrOffset);
    }
}
