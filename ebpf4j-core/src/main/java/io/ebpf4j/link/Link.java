package io.ebpf4j.link;

/**
 * A program attached to a hook. Closing the link detaches the program, unless the link was pinned (then the pin
 * keeps the attachment until it is removed). Every attach mechanism is one implementation of this interface.
 */
public interface Link extends AutoCloseable {
    /** What is attached where, for messages and listings: {@code "xdp 'pass' on lo (bpf_link)"}. */
    String describe();

    /** Whether {@link #close()} has run. */
    boolean isClosed();

    /** Detaches (for unpinned links) and releases the descriptors this link owns. Idempotent. */
    @Override
    void close();
}
