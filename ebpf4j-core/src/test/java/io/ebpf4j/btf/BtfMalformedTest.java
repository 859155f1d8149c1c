package io.ebpf4j.btf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Malformed BTF raises BtfFormatException naming what and where, and nothing else. */
class BtfMalformedTest {
    private static final int H = Btf.HEADER_LEN;

    /** int (id 1), struct pair {int a; int b;} (id 2, 36 bytes at offset H + 16), ptr to pair (id 3). */
    private static byte[] small() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("int", 4, true);
        int s = w.addStruct("pair", 8, new BtfWriter.Member("a", i, 0), new BtfWriter.Member("b", i, 32));
        w.addPtr(s);
        return w.toBytes();
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    private static String rejects(byte[] data, String... parts) {
        return rejects(() -> Btf.parse(data), parts);
    }

    private static String rejects(Executable e, String... parts) {
        String m = assertThrows(BtfFormatException.class, e).getMessage();
        for (String p : parts) {
            assertTrue(m.contains(p), "\"" + m + "\" should mention \"" + p + "\"");
        }
        return m;
    }

    @Test
    void truncatedHeaders() {
        byte[] ok = small();
        for (int n : new int[] {0, 1, 2, 8, 23}) {
            rejects(Arrays.copyOf(ok, n), "truncated", n + " bytes");
        }
    }

    @Test
    void badMagicVersionAndFlags() {
        byte[] b = small();
        b[0] = 0x12;
        rejects(b, "magic", "byte offset 0");
        b = small();
        b[2] = 2;
        rejects(b, "version 2", "byte offset 2");
        b = small();
        b[3] = 1;
        rejects(b, "flags", "byte offset 3");
        b = small();
        le(b).putInt(4, 16);
        rejects(b, "hdr_len 16", "byte offset 4");
        b = small();
        le(b).putInt(4, 1 << 30);
        rejects(b, "hdr_len 1073741824", "past the end");
    }

    /** A longer header is fine when what this parser does not know is zero, refused when not. */
    @Test
    void longerHeaders() {
        byte[] ok = small();
        byte[] longer = new byte[ok.length + 8];
        System.arraycopy(ok, 0, longer, 0, H);
        System.arraycopy(ok, H, longer, H + 8, ok.length - H);
        le(longer).putInt(4, H + 8);
        Btf b = Btf.parse(longer);
        assertEquals(Btf.parse(ok).type(2), b.type(2));
        assertEquals("pair", b.nameOf(2));

        longer[H + 5] = 7;
        rejects(longer, "offset " + (H + 5), "not zero", "hdr_len 32");
    }

    @Test
    void sectionsOutsideTheData() {
        byte[] b = small();
        le(b).putInt(8, 1000);
        rejects(b, "type section", "type_off 1000", "past the end");
        b = small();
        le(b).putInt(12, -4);
        rejects(b, "type section", "type_len 4294967292");
        b = small();
        le(b).putInt(16, 1 << 20);
        rejects(b, "string section", "str_off 1048576");
        byte[] ok = small();
        for (int cut = H; cut < ok.length; cut += 7) {
            rejects(Arrays.copyOf(ok, cut), "past the end of the " + cut + " bytes");
        }
        b = small();
        le(b).putInt(16, 0); // strings start where the types do
        rejects(b, "overlap");
    }

    @Test
    void stringSectionMustBeTerminated() {
        byte[] b = small();
        b[b.length - 1] = 'x';
        rejects(b, "without a NUL", "byte offset " + (b.length - 1));
        b = small();
        b[H + le(b).getInt(16)] = 'x';
        rejects(b, "must start with a NUL");
    }

    @Test
    void vlenClaimingMoreThanRemains() {
        byte[] b = small();
        int structAt = H + 16;
        int info = le(b).getInt(structAt + 4);
        le(b).putInt(structAt + 4, (info & ~0xffff) | 1000);
        rejects(b, "type id 2", "byte offset " + structAt, "vlen 1000", "12012 bytes", "only 48 remain");
    }

    @Test
    void typeSectionEndingInsideARecord() {
        byte[] b = small();
        le(b).putInt(12, le(b).getInt(12) - 4); // the ptr's 12 bytes become 8
        rejects(b, "type id 3", "byte offset " + (H + 52), "8 bytes remain");
    }

    @Test
    void unknownKindAndReservedBits() {
        byte[] b = small();
        le(b).putInt(H + 4, 25 << 24);
        rejects(b, "type id 1", "byte offset " + H, "unknown kind 25");
        b = small();
        le(b).putInt(H + 4, 0);
        rejects(b, "type id 1", "unknown kind 0");
        b = small();
        le(b).putInt(H + 4, (1 << 24) | (1 << 20));
        rejects(b, "type id 1", "reserved bits");
    }

    @Test
    void nameOffsetPastTheStrings() {
        byte[] b = small();
        le(b).putInt(H + 16, 99999); // struct pair's name
        Btf btf = Btf.parse(b);
        rejects(() -> btf.type(2), "type id 2", "byte offset " + (H + 16), "string offset 99999", "past the string section");
        rejects(() -> btf.nameOf(2), "type id 2", "string offset 99999");
        rejects(() -> btf.findByName("pair"), "type id 2", "string offset 99999");
        assertEquals("int", btf.nameOf(1), "other types still decode");
        byte[] m = small();
        le(m).putInt(H + 28, -1); // member a's name
        rejects(() -> Btf.parse(m).type(2), "type id 2", "byte offset " + (H + 28), "string offset 4294967295");
        rejects(() -> Btf.parse(small()).string(1 << 20), "string offset 1048576");
    }

    @Test
    void badReferencesEncodingsAndLinkage() {
        byte[] b = small();
        le(b).putInt(H + 52 + 8, 99); // the ptr's target
        rejects(() -> Btf.parse(b).type(3), "type id 3", "refers to type id 99", "last id 3");
        BtfWriter t = new BtfWriter();
        t.addTypedef("t", 99);
        byte[] td = t.toBytes();
        rejects(() -> Btf.parse(td).resolve(1), "type id 1", "refers to type id 99");
        rejects(() -> Btf.parse(td).sizeOf(1), "type id 1", "refers to type id 99");
        byte[] e = small();
        le(e).putInt(H + 12, 3 << 24 | 32);
        rejects(() -> Btf.parse(e).type(1), "type id 1", "INT encoding 0x3");
        BtfWriter w = new BtfWriter();
        w.addFunc("f", w.addFuncProto(0), 1);
        byte[] f = w.toBytes();
        le(f).putInt(H + 12 + 4, 12 << 24 | 7);
        rejects(() -> Btf.parse(f).type(2), "type id 2", "FUNC linkage 7");
    }

    @Test
    void loopsAreCaught() {
        BtfWriter w = new BtfWriter();
        w.addTypedef("a", 2);
        w.addConst(1);
        w.addArray(3, 0, 2); // an array of itself
        Btf b = Btf.parse(w.toBytes());
        rejects(() -> b.resolve(1), "type id 1", "a loop?");
        rejects(() -> b.sizeOf(2), "type id 2", "a loop?");
        rejects(() -> b.sizeOf(3), "type id 3");
    }

    @Test
    void sizesThatOverflowAreRefused() {
        BtfWriter w = new BtfWriter();
        int i = w.addInt("long", 8, true);
        int a = w.addArray(i, i, 1 << 30);
        Btf b = Btf.parse(w.toBytes());
        rejects(() -> b.sizeOf(a), "type id " + a, "overflows 32 bits");
    }

    @Test
    void emptyButValid() {
        Btf b = Btf.parse(new BtfWriter().toBytes());
        assertEquals(0, b.typeCount());
        assertEquals(0, b.lastTypeId());
        assertEquals(BtfType.Void.INSTANCE, b.type(0));
        assertTrue(b.findByName("x").isEmpty());
    }

    /** Thousands of seeded mutations of a BTF of every kind: parsing and decoding all of it only ever fails as BtfFormatException. */
    @Test
    @Timeout(120)
    void fuzz() {
        BtfWriter w = new BtfWriter();
        BtfRoundTripTest.everyKind(w);
        byte[] seed = w.toBytes();
        Random rnd = new Random(0xB7F);
        int parsed = 0;
        int decoded = 0;
        for (int round = 0; round < 4000; round++) {
            byte[] b = seed.clone();
            String what = mutate(b, rnd);
            if (what.startsWith("truncate")) {
                b = Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            try {
                Btf btf = Btf.parse(b);
                parsed++;
                decoded += decodeAll(btf);
            } catch (BtfFormatException expected) {
                // the point
            } catch (Throwable t) {
                fail("round " + round + " (" + what + "): " + t, t);
            }
        }
        assertTrue(parsed > 500 && decoded > 10000, "mutations should leave much parseable: " + parsed + ", " + decoded);
    }

    /** Decodes and looks up every type, swallowing BtfFormatException per type; returns how many decoded cleanly. */
    static int decodeAll(Btf btf) {
        int ok = 0;
        for (int id = 0; id <= btf.lastTypeId(); id++) {
            try {
                BtfType t = btf.type(id);
                btf.kind(id);
                btf.resolve(id);
                if (!btf.nameOf(id).isEmpty()) {
                    btf.findByName(btf.nameOf(id));
                    btf.find(btf.nameOf(id), t.kind());
                }
                ok++;
                btf.sizeOf(id);
            } catch (BtfFormatException expected) {
                // malformed here; the next type may be fine
            } catch (IllegalArgumentException sizeless) {
                // sizeOf's contract for void, functions, prototypes, forward declarations and tags
                if (!sizeless.getMessage().contains("no size")) {
                    throw sizeless;
                }
            }
        }
        return ok;
    }

    private static final int[] INTERESTING = {0, 1, 2, 3, -1, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 12, 24, 1 << 24,
            19 << 24, (1 << 31) | (4 << 24) | 2, 0x01000000 | 0xffff};

    static String mutate(byte[] b, Random rnd) {
        int op = rnd.nextInt(10);
        if (op < 4) {
            int n = 1 + rnd.nextInt(3);
            StringBuilder sb = new StringBuilder("flip");
            for (int k = 0; k < n; k++) {
                int at = rnd.nextInt(b.length);
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                sb.append(' ').append(at);
            }
            return sb.toString();
        }
        if (op < 8) {
            int at = rnd.nextInt(b.length / 4) * 4;
            int v = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : rnd.nextInt(64);
            ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putInt(at, v);
            return "u32 " + at + " = " + v;
        }
        if (op < 9) {
            int at = rnd.nextInt(b.length);
            b[at] = (byte) rnd.nextInt(256);
            return "byte " + at;
        }
        return "truncate";
    }

    @Test
    void messagesNameTheTypeAndOffsetInSplitBtfToo() {
        Btf base = Btf.parse(small());
        BtfWriter sw = BtfWriter.split(base);
        sw.addStruct("s", 4, new BtfWriter.Member("x", 1, 0));
        byte[] raw = sw.toBytes();
        le(raw).putInt(H + 4, (4 << 24) | 50);
        rejects(() -> Btf.parse(raw, base), "type id 4", "byte offset " + H, "vlen 50");
        List<Integer> none = Btf.parse(sw.toBytes(), base).findByName("nothing");
        assertTrue(none.isEmpty());
    }
}
