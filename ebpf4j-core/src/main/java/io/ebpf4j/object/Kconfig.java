package io.ebpf4j.object;

import io.ebpf4j.BpfException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The running kernel's configuration and the {@code .kconfig} map image built from it, with libbpf's rules:
 * {@code y/n/m} fill bools, tristates and chars; quoted strings fill char arrays (truncated to fit, always
 * NUL-terminated); numbers (decimal, {@code 0x} hex, {@code 0} octal) fill integers that can hold them.
 */
public final class Kconfig {
    private Kconfig() {
    }

    static final Path PROC_CONFIG = Path.of("/proc/config.gz");
    static final Path OSRELEASE = Path.of("/proc/sys/kernel/osrelease");

    /** {@code enum libbpf_tristate}. */
    static final int TRI_NO = 0;
    static final int TRI_YES = 1;
    static final int TRI_MODULE = 2;

    /**
     * The running kernel's {@code CONFIG_*} lines as name → raw value: from {@code /proc/config.gz}, else from
     * {@code /boot/config-<release>}.
     */
    public static Map<String, String> running() {
        try {
            if (Files.isReadable(PROC_CONFIG)) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(PROC_CONFIG))) {
                    return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            Path boot = Path.of("/boot/config-" + release());
            if (Files.isReadable(boot)) {
                return parse(Files.readString(boot));
            }
        } catch (IOException e) {
            throw new BpfException("cannot read the kernel configuration: " + e, e);
        }
        throw new BpfException("the kernel configuration is not available: neither " + PROC_CONFIG
                + " (CONFIG_IKCONFIG_PROC) nor /boot/config-" + release() + " exists; __kconfig externs named "
                + "CONFIG_* need one (or declare them __weak to read zero)");
    }

    /** {@code CONFIG_X=value} lines into a map; comments ({@code # CONFIG_X is not set}) and blanks skipped. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("CONFIG_")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0 || eq == line.length() - 1) {
                throw new BpfException("kernel configuration line '" + line + "' has no value");
            }
            out.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }

    /** The running kernel's release, as {@code uname -r} prints it. */
    static String release() {
        try {
            return Files.readString(OSRELEASE).strip();
        } catch (IOException e) {
            throw new BpfException("cannot read " + OSRELEASE + ": " + e, e);
        }
    }

    /** {@code KERNEL_VERSION(a, b, c)} of a release like {@code 6.18.44-foo}; the patch level saturates at 255. */
    static int kernelVersion(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(release);
        if (!m.find()) {
            throw new BpfException("cannot read a kernel version from release '" + release + "'");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = m.group(3) == null ? 0 : Math.min(255, Integer.parseInt(m.group(3)));
        return major << 16 | minor << 8 | patch;
    }

    /**
     * Writes one value into the image at the extern's offset.
     *
     * @throws BpfException when the value does not suit the extern's type or does not fit
     */
    static void set(byte[] image, Externs.Extern ext, String value) {
        switch (value.charAt(0)) {
            case 'y', 'n', 'm' -> setTristate(image, ext, value.charAt(0));
            case '"' -> setString(image, ext, value);
            default -> {
                long num = parseNumber(ext, value);
                if (ext.kconfigType() != Externs.KconfigType.INT && ext.kconfigType() != Externs.KconfigType.CHAR) {
                    throw bad(ext, "value " + value + " is an integer, but the extern is a " + typeName(ext));
                }
                setNumber(image, ext, num);
            }
        }
    }

    private static void setTristate(byte[] image, Externs.Extern ext, char v) {
        switch (ext.kconfigType()) {
            case BOOL -> {
                if (v == 'm') {
                    throw bad(ext, "value 'm' (module) needs a tristate or char extern, not a bool");
                }
                image[ext.offset()] = (byte) (v == 'y' ? 1 : 0);
            }
            case TRISTATE -> put(image, ext.offset(), Integer.BYTES, v == 'y' ? TRI_YES : v == 'm' ? TRI_MODULE : TRI_NO);
            case CHAR -> image[ext.offset()] = (byte) v;
            default -> throw bad(ext, "value '" + v + "' needs a bool, tristate or char extern, not a "
                    + typeName(ext));
        }
    }

    private static void setString(byte[] image, Externs.Extern ext, String value) {
        if (ext.kconfigType() != Externs.KconfigType.CHAR_ARRAY) {
            throw bad(ext, "value " + value + " is a string: the extern must be a char array, not a " + typeName(ext));
        }
        if (value.length() < 2 || !value.endsWith("\"")) {
            throw bad(ext, "string value " + value + " is not properly quoted");
        }
        byte[] s = value.substring(1, value.length() - 1).getBytes(StandardCharsets.UTF_8);
        // As libbpf: too long a string is cut to fit, keeping the terminating NUL.
        int n = Math.min(s.length, ext.size() - 1);
        System.arraycopy(s, 0, image, ext.offset(), n);
        image[ext.offset() + n] = 0;
    }

    /** Sets an integer (or bool/char) extern, checking the value fits its size and signedness. */
    static void setNumber(byte[] image, Externs.Extern ext, long v) {
        Externs.KconfigType t = ext.kconfigType();
        if (t != Externs.KconfigType.INT && t != Externs.KconfigType.CHAR && t != Externs.KconfigType.BOOL) {
            throw bad(ext, "value " + Long.toUnsignedString(v) + " needs an integer, char or bool extern, not a "
                    + typeName(ext));
        }
        if (t == Externs.KconfigType.BOOL && Long.compareUnsigned(v, 1) > 0) {
            throw bad(ext, "value " + Long.toUnsignedString(v) + " is not a boolean (0 or 1)");
        }
        if (!fits(v, ext.size(), ext.signed())) {
            throw bad(ext, "value " + Long.toUnsignedString(v) + " does not fit in " + ext.size() + " byte"
                    + (ext.size() == 1 ? "" : "s") + (ext.signed() ? " (signed)" : ""));
        }
        put(image, ext.offset(), ext.size(), v);
    }

    /** libbpf's range check on the 64-bit value as parsed (negative numbers arrive two's-complement). */
    static boolean fits(long v, int size, boolean signed) {
        if (size == Long.BYTES) {
            return true;
        }
        int bits = size * Byte.SIZE;
        if (signed) {
            return Long.compareUnsigned(v + (1L << (bits - 1)), 1L << bits) < 0;
        }
        return v >>> bits == 0;
    }

    private static long parseNumber(Externs.Extern ext, String value) {
        // strtoull with base 0: 0x hex, leading 0 octal, else decimal; a leading '-' negates (two's complement).
        String s = value;
        boolean negative = s.startsWith("-");
        if (negative || s.startsWith("+")) {
            s = s.substring(1);
        }
        try {
            long v;
            if (s.startsWith("0x") || s.startsWith("0X")) {
                v = Long.parseUnsignedLong(s.substring(2), 16);
            } else if (s.length() > 1 && s.startsWith("0")) {
                v = Long.parseUnsignedLong(s.substring(1), 8);
            } else {
                v = Long.parseUnsignedLong(s);
            }
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            throw bad(ext, "value '" + value + "' is not an integer");
        }
    }

    private static void put(byte[] image, int offset, int size, long v) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.nativeOrder());
        switch (size) {
            case 1 -> b.put(offset, (byte) v);
            case 2 -> b.putShort(offset, (short) v);
            case 4 -> b.putInt(offset, (int) v);
            case 8 -> b.putLong(offset, v);
            default -> throw new IllegalStateException("kconfig integer of " + size + " bytes");
        }
    }

    private static String typeName(Externs.Extern ext) {
        return ext.kconfigType().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    private static BpfException bad(Externs.Extern ext, String why) {
        return new BpfException("kconfig extern '" + ext.name() + "': " + why);
    }

    /** The names of kconfig externs that must come from the configuration file. */
    static boolean needsConfig(List<Externs.Extern> externs) {
        return externs.stream().anyMatch(e -> e.kind() == Externs.Kind.KCONFIG && e.name().startsWith("CONFIG_"));
    }
}
