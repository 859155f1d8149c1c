package io.ebpf4j.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Ctrl-C as a request to stop: while the returned handle is open, SIGINT and SIGTERM run {@code action} instead of
 * ending the JVM, so that a command can detach its programs, print its summary and exit 0. Closing the handle puts
 * the previous handlers back.
 * <p>Java has no public API for catching a signal without exiting; {@code sun.misc.Signal} (module
 * jdk.unsupported) does it. It is reached reflectively because javac warns about every direct use of it and that
 * warning cannot be suppressed, and the build is kept warning-free.
 */
final class Signals implements AutoCloseable {
    private static final String[] NAMES = {"INT", "TERM"};
    private static final Class<?> SIGNAL;
    private static final Class<?> HANDLER;
    private static final Method HANDLE;

    static {
        try {
            SIGNAL = Class.forName("sun.misc.Signal");
            HANDLER = Class.forName("sun.misc.SignalHandler");
            HANDLE = SIGNAL.getMethod("handle", SIGNAL, HANDLER);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object[] previous = new Object[NAMES.length];

    private Signals(Runnable action) {
        Object handler = Proxy.newProxyInstance(HANDLER.getClassLoader(), new Class<?>[] {HANDLER},
                (proxy, method, args) -> switch (method.getName()) {
                    case "handle" -> {
                        action.run();
                        yield null;
                    }
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "signal handler";
                });
        for (int i = 0; i < NAMES.length; i++) {
            previous[i] = handle(NAMES[i], handler);
        }
    }

    static Signals onInterrupt(Runnable action) {
        return new Signals(action);
    }

    /** Installs {@code handler} for signal {@code name}; returns the handler it replaces. */
    private static Object handle(String name, Object handler) {
        try {
            return HANDLE.invoke(null, SIGNAL.getConstructor(String.class).newInstance(name), handler);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot handle SIG" + name + ": " + e, e);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < NAMES.length; i++) {
            handle(NAMES[i], previous[i]);
        }
    }
}
