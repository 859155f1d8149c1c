package io.ebpf4j.btf;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records read from C structs by member name, through BTF built by hand. */
class BtfRecordMapperTest {
    /** struct ev { u32 pid; s16 delta; u8 flag; char comm[8]; u64 big; float ratio; typedef'd u32 uid; } */
    private static Btf btf() {
        BtfWriter w = new BtfWriter();
        int u32 = w.addInt("unsigned int", 4, false);
        int s16 = w.addInt("short", 2, true);
        int u8 = w.addInt("unsigned char", 1, false);
        int chr = w.addInt("char", 1, true);
        int comm = w.addArray(chr, u32, 8);
        int u64 = w.addInt("unsigned long long", 8, false);
        int flt = w.addFloat("float", 4);
        int uid = w.addTypedef("uid_t", u32);
        w.addStruct("ev", 40,
                new BtfWriter.Member("pid", u32, 0),
                new BtfWriter.Member("delta", s16, 32),
                new BtfWriter.Member("flag", u8, 48),
                new BtfWriter.Member("comm", comm, 56),
                new BtfWriter.Member("big", u64, 128),
                new BtfWriter.Member("ratio", flt, 192),
                new BtfWriter.Member("uid", uid, 224));
        return Btf.parse(w.toBytes());
    }

    public record Ev(long pid, int delta, boolean flag, String comm, long big, float ratio, int uid) {
    }

    public record Raw(byte[] comm, short delta) {
    }

    public record Missing(int pid, int nope) {
    }

    public record TooNarrow(short pid) {
    }

    private static MemorySegment data(Arena arena) {
        MemorySegment s = arena.allocate(40);
        s.set(ValueLayout.JAVA_INT, 0, 0xFFFF_FFFE);
        s.set(ValueLayout.JAVA_SHORT, 4, (short) -3);
        s.set(ValueLayout.JAVA_BYTE, 6, (byte) 1);
        s.asSlice(7, 4).copyFrom(MemorySegment.ofArray("bash".getBytes(StandardCharsets.UTF_8)));
        s.set(ValueLayout.JAVA_LONG, 16, -1L);
        s.set(ValueLayout.JAVA_FLOAT, 24, 0.5f);
        s.set(ValueLayout.JAVA_INT, 28, 1000);
        return s;
    }

    @Test
    void componentsAreReadByMemberName() {
        try (Arena arena = Arena.ofConfined()) {
            Ev ev = BtfRecordMapper.of(Ev.class, btf(), "ev").read(data(arena));
            assertEquals(new Ev(0xFFFF_FFFEL, -3, true, "bash", -1L, 0.5f, 1000), ev);
        }
    }

    @Test
    void byteArraysTakeRawBytesInAnyOrder() {
        try (Arena arena = Arena.ofConfined()) {
            Raw raw = BtfRecordMapper.of(Raw.class, btf(), "ev").read(data(arena));
            assertArrayEquals(new byte[] {'b', 'a', 's', 'h', 0, 0, 0, 0}, raw.comm());
            assertEquals(-3, raw.delta());
        }
    }

    @Test
    void mismatchesAreNamed() {
        Btf btf = btf();
        var missing = assertThrows(IllegalArgumentException.class, () -> BtfRecordMapper.of(Missing.class, btf, "ev"));
        assertTrue(missing.getMessage().contains("no member 'nope'") && missing.getMessage().contains("pid, delta"),
                missing.getMessage());
        var narrow = assertThrows(IllegalArgumentException.class, () -> BtfRecordMapper.of(TooNarrow.class, btf, "ev"));
        assertTrue(narrow.getMessage().contains("does not fit"), narrow.getMessage());
        var noStruct = assertThrows(IllegalArgumentException.class, () -> BtfRecordMapper.of(Ev.class, btf, "event"));
        assertTrue(noStruct.getMessage().contains("no struct 'event'"), noStruct.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            var shortData = assertThrows(IllegalArgumentException.class,
                    () -> BtfRecordMapper.of(Ev.class, btf, "ev").read(arena.allocate(8)));
            assertTrue(shortData.getMessage().contains("fewer than struct 'ev' needs (40)"), shortData.getMessage());
        }
    }
}
