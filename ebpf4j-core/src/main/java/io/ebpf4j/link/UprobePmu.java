package io.ebpf4j.link;

import io.ebpf4j.UnsupportedFeatureException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel's uprobe PMU ({@code /sys/bus/event_source/devices/uprobe}): its perf type and where the retprobe
 * flag and the ref_ctr_offset sit in {@code perf_event_attr.config}, read from the PMU's format files.
 *
 * @param type the perf event type to open uprobes with
 * @param retprobeBit the bit of {@code config} that makes a return probe
 * @param refCtrShift the first bit of {@code config} that holds the semaphore's file offset, or -1 when the
 *     kernel has no ref_ctr_offset support
 */
record UprobePmu(int type, int retprobeBit, int refCtrShift) {
    static final Path DIR = Path.of("/sys/bus/event_source/devices/uprobe");

    private static volatile UprobePmu cached;

    static UprobePmu get() {
        UprobePmu pmu = cached;
        if (pmu == null) {
            pmu = read(DIR);
            cached = pmu;
        }
        return pmu;
    }

    static UprobePmu read(Path dir) {
        try {
            int type = Integer.parseInt(Files.readString(dir.resolve("type")).strip());
            int retprobe = firstBit(Files.readString(dir.resolve("format/retprobe")));
            Path refCtr = dir.resolve("format/ref_ctr_offset");
            int shift = Files.exists(refCtr) ? firstBit(Files.readString(refCtr)) : -1;
            return new UprobePmu(type, retprobe, shift);
        } catch (IOException | NumberFormatException e) {
            throw new UnsupportedFeatureException("uprobe PMU", "this kernel has no usable uprobe PMU at " + dir
                    + " (" + e.getMessage() + "): uprobes need CONFIG_UPROBE_EVENTS and Linux 4.17 or newer");
        }
    }

    /** The first bit of a perf PMU format line ({@code config:0}, {@code config:32-63}); kprobes read theirs too. */
    static int firstBit(String format) {
        String f = format.strip();
        if (!f.startsWith("config:")) {
            throw new NumberFormatException("unexpected PMU format '" + f + "'");
        }
        String bits = f.substring("config:".length());
        int dash = bits.indexOf('-');
        return Integer.parseInt(dash < 0 ? bits : bits.substring(0, dash));
    }
}
