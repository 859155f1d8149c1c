package io.ebpf4j;

/**
 * An object file is malformed: a header, table, offset, size or index in it does not hold together. Carries
 * where the problem is, so the message can point a reader at the bytes: the section (its name, or
 * {@code "#index"} when the name is unknown or itself broken) and the file offset.
 */
public class ObjectFormatException extends BpfException {
    private static final long serialVersionUID = 1L;
    private final String section;
    private final long offset;

    /**
     * @param section the section's name, {@code "#index"}, or null when the problem is not in one section
     * @param offset the file offset of the bad bytes, or -1 when there is none
     * @param message the whole message; it should name the section and the offset
     */
    public ObjectFormatException(String section, long offset, String message) {
        super(message);
        this.section = section;
        this.offset = offset < 0 ? -1 : offset;
    }

    /** A problem with the file as a whole (wrong magic, unsupported class), not tied to a section. */
    public ObjectFormatException(String message) {
        this(null, -1, message);
    }

    /** The section the problem is in: its name, {@code "#index"}, or null. */
    public String section() {
        return section;
    }

    /** The file offset of the bad bytes, or -1. */
    public long offset() {
        return offset;
    }
}
