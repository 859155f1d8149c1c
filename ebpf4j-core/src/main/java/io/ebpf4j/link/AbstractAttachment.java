package io.ebpf4j.link;

/**
 * The common part of attachments made without a kernel bpf_link (PROG_ATTACH, netlink, setsockopt): a
 * description, and a close that detaches once however often it is called.
 */
abstract sealed class AbstractAttachment implements Link
        permits CgroupAttachment, SockmapAttachment, SocketFilter, TcNetlinkLink, XdpNetlinkLink {
    /** What is attached where; also the context of every error message. */
    final String description;
    private boolean closed;

    AbstractAttachment(String description) {
        this.description = description;
    }

    /** Undoes the attachment and releases what it holds; runs once, from the first {@link #close()}. */
    abstract void detach();

    /** Marks this attachment closed without detaching; false when it already was. */
    final synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public final synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public final synchronized void close() {
        if (markClosed()) {
            detach();
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
