package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClosingTest {
    private final List<String> closed = new ArrayList<>();

    private AutoCloseable owner(String name) {
        return () -> closed.add(name);
    }

    private AutoCloseable failing(String name, Exception e) {
        return () -> {
            closed.add(name);
            throw e;
        };
    }

    @Test
    void closesEveryOwnerInOrderAndSkipsNulls() {
        Closing.closeAll(owner("a"), null, owner("b"));
        assertEquals(List.of("a", "b"), closed);
    }

    @Test
    void aFailingCloseDoesNotStopTheOthersAndTheFirstFailureIsThrown() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalArgumentException second = new IllegalArgumentException("second");
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> Closing.closeAll(
                failing("a", first), owner("b"), failing("c", second), owner("d")));
        assertSame(first, thrown);
        assertArrayEquals(new Throwable[]{second}, thrown.getSuppressed());
        assertEquals(List.of("a", "b", "c", "d"), closed);
    }

    @Test
    void aCheckedFailureIsCarriedInAnIllegalStateException() {
        IOException io = new IOException("disk gone");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> Closing.closeAll(failing("a", io), owner("b")));
        assertSame(io, thrown.getCause());
        assertEquals(List.of("a", "b"), closed);
    }

    @Test
    void closeAllAfterKeepsTheOriginalFailureAndAddsEveryCloseFailure() {
        RuntimeException original = new RuntimeException("load failed");
        IllegalStateException one = new IllegalStateException("one");
        IOException two = new IOException("two");
        RuntimeException returned = Closing.closeAllAfter(original, failing("a", one), null, owner("b"),
                failing("c", two));
        assertSame(original, returned);
        assertArrayEquals(new Throwable[]{one, two}, original.getSuppressed());
        assertEquals(List.of("a", "b", "c"), closed);
    }
}
