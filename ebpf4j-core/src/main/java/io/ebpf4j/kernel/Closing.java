package io.ebpf4j.kernel;

import java.util.Arrays;

/**
 * Closing several owners together, as failure paths and composite {@code close()} methods must: every owner is
 * closed even when an earlier one's close throws, and no failure is lost. Null owners (not made yet) are skipped.
 */
public final class Closing {
    private Closing() {
    }

    /**
     * Closes every owner in order. Throws the first close's failure with the later ones suppressed; a checked
     * exception from a close is carried in an {@link IllegalStateException}.
     */
    public static void closeAll(AutoCloseable... owners) {
        closeAll(Arrays.asList(owners));
    }

    /** {@link #closeAll(AutoCloseable...)} for owners held in a collection. */
    public static void closeAll(Iterable<? extends AutoCloseable> owners) {
        RuntimeException first = null;
        for (AutoCloseable owner : owners) {
            Exception e = close(owner);
            if (e == null) {
                continue;
            }
            RuntimeException failure = e instanceof RuntimeException r ? r
                    : new IllegalStateException("closing " + owner + " failed: " + e.getMessage(), e);
            if (first == null) {
                first = failure;
            } else {
                first.addSuppressed(failure);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Closes every owner in order after {@code failure} happened, adding each close's own failure to it as
     * suppressed. Returns {@code failure}, so that a catch block can end in {@code throw closeAllAfter(e, ...)}.
     */
    public static <T extends Throwable> T closeAllAfter(T failure, AutoCloseable... owners) {
        return closeAllAfter(failure, Arrays.asList(owners));
    }

    /** {@link #closeAllAfter(Throwable, AutoCloseable...)} for owners held in a collection. */
    public static <T extends Throwable> T closeAllAfter(T failure, Iterable<? extends AutoCloseable> owners) {
        for (AutoCloseable owner : owners) {
            Exception e = close(owner);
            if (e != null) {
                failure.addSuppressed(e);
            }
        }
        return failure;
    }

    /** Closes {@code owner} if there is one; what its close threw, or null. */
    private static Exception close(AutoCloseable owner) {
        if (owner == null) {
            return null;
        }
        try {
            owner.close();
            return null;
        } catch (Exception e) {
            return e;
        }
    }
}
