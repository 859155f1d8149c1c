package io.ebpf4j.link;

/**
 * A program attached to a hook. Closing the link detaches the program, unless the link was pinned (then the pin
 * keeps the attachment until it is removed). Every attach mechanism is one implementation of this interface.
 */
public interface Link extends AutoCloseable {
    /** What is attached where, for messages and listings: {@code "xdp 'pass' on lo (bpf_link)"}. */
    String describe();

    /**
     * The kernel bpf_link behind this attachment, when there is one: it can be pinned, reopened, updated and
     * detached. Attachments made without a bpf_link (perf event ioctls, netlink) have none.
     */
    default java.util.Optional<BpfLink> bpfLink() {
        return java.util.Optional.empty();
    }

    /** Whether {@link #close()} has run. */
    boolean isClosed();

    /** Detaches (for unpinned links) and releases the descriptors this link owns. Idempotent. */
    @Override
    void close();
}
