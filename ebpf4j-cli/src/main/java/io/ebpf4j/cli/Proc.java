package io.ebpf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

/** What the CLI reads from {@code /proc}: facts the BPF info structs lack. */
final class Proc {
    private Proc() {
    }

    /** bpftool's time format ({@code strftime "%FT%T%z"}), in local time. */
    private static final DateTimeFormatter LOADED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ")
            .withZone(ZoneId.systemDefault());

    /**
     * The {@code key: value} lines of one of our file descriptors' fdinfo. For BPF objects the kernel lists
     * there what {@code bpf_*_info} does not carry, such as {@code memlock} and a map's {@code frozen}. Empty
     * when it cannot be read: the facts are informational.
     */
    static Map<String, String> fdInfo(int fd) {
        Map<String, String> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    m.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return m;
    }

    /** A numeric fdinfo field, or -1 when absent. */
    static long fdInfoLong(Map<String, String> fdInfo, String key) {
        String v = fdInfo.get(key);
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The wall-clock time of a kernel time stamp in nanoseconds since boot (as {@code load_time} is), or null
     * when the uptime cannot be read. {@code /proc/uptime} counts the same clock (boot time, suspend included)
     * to the hundredth of a second, which is plenty for a time printed to the second.
     */
    static Instant sinceBoot(long nanos) {
        try {
            String uptime = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
            long uptimeNanos = Math.round(Double.parseDouble(uptime) * 1e9);
            return Instant.now().minusNanos(uptimeNanos).plusNanos(nanos);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String formatLocal(Instant t) {
        return LOADED_AT.format(t);
    }
}
