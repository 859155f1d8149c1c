package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** libbpf's kconfig value rules, as pure functions. */
class KconfigTest {
    private static Externs.Extern ext(Externs.KconfigType t, int size, boolean signed) {
        return new Externs.Extern("CONFIG_X", Externs.Kind.KCONFIG, false, 1, 0, t, signed, size, Math.min(size, 8), 0);
    }

    private static long read(byte[] image, int size) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.nativeOrder());
        return switch (size) {
            case 1 -> b.get(0);
            case 2 -> b.getShort(0);
            case 4 -> b.getInt(0);
            default -> b.getLong(0);
        };
    }

    private static long set(Externs.KconfigType t, int size, boolean signed, String value) {
        byte[] image = new byte[size];
        Kconfig.set(image, ext(t, size, signed), value);
        return read(image, size);
    }

    @Test
    void parsesConfigLinesAndSkipsComments() {
        Map<String, String> c = Kconfig.parse("# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_HZ=250\n"
                + "CONFIG_S=\"x y\"\n\n");
        assertEquals(Map.of("CONFIG_A", "y", "CONFIG_HZ", "250", "CONFIG_S", "\"x y\""), c);
        assertThrows(BpfException.class, () -> Kconfig.parse("CONFIG_A=\n"));
    }

    @Test
    void tristatesBoolsAndChars() {
        assertEquals(Kconfig.TRI_YES, set(Externs.KconfigType.TRISTATE, 4, false, "y"));
        assertEquals(Kconfig.TRI_MODULE, set(Externs.KconfigType.TRISTATE, 4, false, "m"));
        assertEquals(Kconfig.TRI_NO, set(Externs.KconfigType.TRISTATE, 4, false, "n"));
        assertEquals(1, set(Externs.KconfigType.BOOL, 1, false, "y"));
        assertEquals(0, set(Externs.KconfigType.BOOL, 1, false, "n"));
        assertEquals('m', set(Externs.KconfigType.CHAR, 1, false, "m"));
        BpfException e = assertThrows(BpfException.class, () -> set(Externs.KconfigType.BOOL, 1, false, "m"));
        assertTrue(e.getMessage().contains("CONFIG_X"), e.getMessage());
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.INT, 4, false, "y"));
    }

    @Test
    void integersInAnyBaseWithRangeChecks() {
        assertEquals(250, set(Externs.KconfigType.INT, 4, true, "250"));
        assertEquals(0x1f, set(Externs.KconfigType.INT, 2, false, "0x1f"));
        assertEquals(8, set(Externs.KconfigType.INT, 8, false, "010"));
        assertEquals(-1, set(Externs.KconfigType.INT, 4, true, "-1"));
        assertEquals(255, set(Externs.KconfigType.INT, 1, false, "255") & 0xff);
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.INT, 1, false, "256"));
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.INT, 1, true, "128"));
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.INT, 4, false, "12abc"));
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.CHAR_ARRAY, 4, false, "12"));
        assertTrue(Kconfig.fits(-128, 1, true));
        assertFalse(Kconfig.fits(-129, 1, true));
        assertTrue(Kconfig.fits(-1, 8, false), "8 bytes hold anything");
    }

    @Test
    void stringsAreTruncatedAndTerminated() {
        byte[] image = new byte[4];
        java.util.Arrays.fill(image, (byte) 'z');
        Kconfig.set(image, ext(Externs.KconfigType.CHAR_ARRAY, 4, false), "\"hello\"");
        assertEquals("hel\0", new String(image, java.nio.charset.StandardCharsets.US_ASCII));
        assertThrows(BpfException.class, () -> set(Externs.KconfigType.INT, 4, false, "\"s\""));
        assertThrows(BpfException.class, () -> Kconfig.set(new byte[4], ext(Externs.KconfigType.CHAR_ARRAY, 4, false),
                "\"open"));
    }

    @Test
    void kernelVersionFromRelease() {
        assertEquals(6 << 16 | 18 << 8 | 44, Kconfig.kernelVersion("6.18.44-fc-v445"));
        assertEquals(5 << 16 | 15 << 8 | 255, Kconfig.kernelVersion("5.15.300"), "patch saturates at 255");
        assertEquals(6 << 16 | 1 << 8, Kconfig.kernelVersion("6.1-rc1"));
        assertThrows(BpfException.class, () -> Kconfig.kernelVersion("weird"));
    }
}
