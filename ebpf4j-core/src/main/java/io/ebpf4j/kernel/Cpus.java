package io.ebpf4j.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU numbering as the kernel sees it: per-CPU map values hold one slot per possible CPU. */
public final class Cpus {
    private Cpus() {
    }

    private static final Path POSSIBLE = Path.of("/sys/devices/system/cpu/possible");
    private static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");
    private static volatile int possible = -1;

    /** How many CPUs the kernel could ever bring up (highest possible CPU + 1). */
    public static int possibleCount() {
        int n = possible;
        if (n < 0) {
            n = highest(read(POSSIBLE)) + 1;
            possible = n;
        }
        return n;
    }

    /** The CPUs online now, as listed by the kernel ({@code 0-3,5}). */
    public static int[] online() {
        return parseList(read(ONLINE));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new io.ebpf4j.BpfException("cannot read " + p + " to count CPUs: " + e.getMessage(), e);
        }
    }

    static int highest(String list) {
        int[] cpus = parseList(list);
        int max = 0;
        for (int c : cpus) {
            max = Math.max(max, c);
        }
        return max;
    }

    /** Parses the kernel's CPU list format ({@code "0-3,5,7-8"}). */
    public static int[] parseList(String list) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (String part : list.trim().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
