package io.ebpf4j;

import java.util.Objects;

/**
 * A system call failed. Carries the call (e.g. {@code BPF_MAP_CREATE}), the errno, the object it concerned and a
 * hint saying what to do about it.
 */
public class SyscallException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String object;
    private final String hint;

    public SyscallException(String call, int errno, String object, String hint) {
        super(message(call, errno, object, hint));
        this.call = Objects.requireNonNull(call, "call");
        this.errno = errno;
        this.object = object;
        this.hint = hint;
    }

    protected SyscallException(String call, int errno, String object, String hint, String message) {
        super(message);
        this.call = Objects.requireNonNull(call, "call");
        this.errno = errno;
        this.object = object;
        this.hint = hint;
    }

    private static String message(String call, int errno, String object, String hint) {
        StringBuilder sb = new StringBuilder(call);
        if (object != null && !object.isEmpty()) {
            sb.append(" (").append(object).append(')');
        }
        sb.append(" failed: ").append(Errno.nameOf(errno));
        Errno e = Errno.of(errno);
        if (e != null) {
            sb.append(" (").append(e.description()).append(')');
        }
        if (hint != null && !hint.isEmpty()) {
            sb.append(". ").append(hint);
        }
        return sb.toString();
    }

    /** The system call or {@code bpf(2)} command that failed, e.g. {@code BPF_PROG_LOAD} or {@code mmap}. */
    public String call() {
        return call;
    }

    /** The raw error number. */
    public int errnoNumber() {
        return errno;
    }

    /** The error, {@code null} for a number Linux does not define. */
    public Errno errno() {
        return Errno.of(errno);
    }

    /** What the call concerned (a map or program name, a path), or {@code null}. */
    public String object() {
        return object;
    }

    /** What the user can do about it, or {@code null}. */
    public String hint() {
        return hint;
    }
}
