package io.ebpf4j.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * C strings in fixed-size buffers (object names in info structs, ELF section contents, char arrays in BPF data):
 * the text ends at the first NUL, or at the buffer's end when a full buffer has none. {@link
 * MemorySegment#getString} would throw in that second case.
 */
public final class CString {
    private CString() {
    }

    /** The UTF-8 text of {@code b} up to its first NUL byte. */
    public static String of(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** The UTF-8 text of {@code s} up to its first NUL byte. */
    public static String of(MemorySegment s) {
        return of(s.toArray(ValueLayout.JAVA_BYTE));
    }
}
