package io.ebpf4j;

/** A key, value or buffer has the wrong size for the object it is used with. Thrown before any system call. */
public class SizeMismatchException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final long expected;
    private final long actual;

    public SizeMismatchException(String what, long expected, long actual) {
        super(what + " is " + actual + " bytes but must be " + expected + " bytes");
        this.expected = expected;
        this.actual = actual;
    }

    public long expected() {
        return expected;
    }

    public long actual() {
        return actual;
    }
}
