package io.ebpf4j.link;

import io.ebpf4j.kernel.Closing;

import java.util.List;

/**
 * Several links made by one call (a perf event on each CPU, for example), closed together. Closing closes every
 * member even when one fails; the first failure is thrown with the others suppressed.
 */
public final class LinkGroup implements Link {
    private final String description;
    private final List<Link> links;

    /** A group of {@code links}, closed in their order; {@code description} is what {@link #describe()} says. */
    public LinkGroup(String description, List<? extends Link> links) {
        this.description = description;
        this.links = List.copyOf(links);
    }

    /** The members, in the order they were made. */
    public List<Link> links() {
        return links;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public boolean isClosed() {
        return links.stream().allMatch(Link::isClosed);
    }

    @Override
    public void close() {
        Closing.closeAll(links);
    }

    @Override
    public String toString() {
        return description;
    }
}
