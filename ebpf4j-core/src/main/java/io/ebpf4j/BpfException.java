package io.ebpf4j;

/** The root of every exception ebpf4j throws. Unchecked: callers catch what they can act on. */
public class BpfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BpfException(String message) {
        super(message);
    }

    public BpfException(String message, Throwable cause) {
        super(message, cause);
    }
}
