package io.ebpf4j.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C as a request to stop: while the returned handle is open, SIGINT and SIGTERM run {@code action} instead of
 * ending the JVM, so that a command can detach its programs, print its summary and exit 0. Closing the handle puts
 * the previous handlers back.
 */
final class Signals implements AutoCloseable {
    private static final String[] NAMES = {"INT", "TERM"};
    private final SignalHandler[] previous = new SignalHandler[NAMES.length];

    private Signals(Runnable action) {
        for (int i = 0; i < NAMES.length; i++) {
            previous[i] = Signal.handle(new Signal(NAMES[i]), s -> action.run());
        }
    }

    static Signals onInterrupt(Runnable action) {
        return new Signals(action);
    }

    @Override
    public void close() {
        for (int i = 0; i < NAMES.length; i++) {
            Signal.handle(new Signal(NAMES[i]), previous[i]);
        }
    }
}
