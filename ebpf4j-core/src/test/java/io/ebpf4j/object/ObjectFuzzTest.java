package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutated objects (seeded, reproducible) are read and every program linked: the only failure allowed is a
 * {@link BpfException} (ObjectFormatException, BtfFormatException...), never a Java runtime error or a hang.
 */
class ObjectFuzzTest {
    private static final int MUTATIONS = 2000;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void mutatedObjectsFailOnlyWithTypedErrors() throws Exception {
        for (String fixture : List.of("objects", "advanced", "legacy_maps", "externs", "btf_load")) {
            byte[] original = Files.readAllBytes(BpfC.object(fixture));
            Random random = new Random(fixture.hashCode());
            List<long[]> targets = interesting(original);
            int read = 0;
            for (int i = 0; i < MUTATIONS; i++) {
                byte[] bytes = original.clone();
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    int at;
                    if (random.nextInt(10) < 8) {
                        long[] range = targets.get(random.nextInt(targets.size()));
                        at = (int) (range[0] + random.nextInt((int) Math.max(1, range[1])));
                    } else {
                        at = random.nextInt(bytes.length);
                    }
                    bytes[Math.min(at, bytes.length - 1)] = (byte) random.nextInt(256);
                }
                try {
                    ObjectSpec spec = ObjectSpec.read(bytes, "fuzz");
                    for (String p : spec.programs().keySet()) {
                        spec.link(p);
                    }
                    read++;
                } catch (BpfException expected) {
                    // a typed error: what malformed input must give
                } catch (RuntimeException | StackOverflowError e) {
                    fail(fixture + " mutation " + i + " (seeded): " + e, e);
                }
            }
            assertTrue(read > 0, fixture + ": some mutations still read cleanly");
        }
    }

    /** File ranges of the sections the object layer interprets (not debug info). */
    private static List<long[]> interesting(byte[] elf) {
        List<long[]> out = new java.util.ArrayList<>();
        try (io.ebpf4j.elf.ElfFile f = io.ebpf4j.elf.ElfFile.of(elf)) {
            for (io.ebpf4j.elf.Section s : f.sections()) {
                String n = s.name();
                boolean wanted = n.equals(".BTF") || n.equals(".BTF.ext") || n.equals(".maps") || n.equals("maps")
                        || n.startsWith(".rel") || n.equals(".symtab") || n.equals(".strtab") || s.isExecutable();
                if (wanted && !n.startsWith(".rel.debug") && !n.startsWith(".rel.BTF") && !s.isNobits() && s.size() > 0) {
                    out.add(new long[] {s.offset(), s.size()});
                }
            }
        }
        return out;
    }
}
