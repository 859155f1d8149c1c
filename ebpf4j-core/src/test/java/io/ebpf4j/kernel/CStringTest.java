package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CStringTest {
    @Test
    void textEndsAtTheFirstNul() {
        assertEquals("abc", CString.of(new byte[] {'a', 'b', 'c', 0, 'x', 0}));
        assertEquals("", CString.of(new byte[] {0, 'a'}));
        assertEquals("", CString.of(new byte[0]));
    }

    /** A full 16-byte name buffer (BPF_OBJ_NAME_LEN, IF_NAMESIZE) has no NUL: all of it is the name. */
    @Test
    void aFullBufferIsAllText() {
        byte[] full = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        assertEquals("0123456789abcdef", CString.of(full));
        assertEquals("0123456789abcdef", CString.of(MemorySegment.ofArray(full)));
        assertEquals("é", CString.of(MemorySegment.ofArray(new byte[] {(byte) 0xc3, (byte) 0xa9, 0, 0})));
    }
}
