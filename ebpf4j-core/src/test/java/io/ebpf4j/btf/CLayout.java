package io.ebpf4j.btf;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks a C dump with the compiler: writes the header, a C file of {@code _Static_assert}s on every named
 * struct and union (its size, and the offset of each named non-bitfield member, through anonymous members
 * too) computed from BTF, and has clang-19 compile them for {@code -target bpf}.
 */
final class CLayout {
    private CLayout() {
    }

    /** clang-19 from the PATH, or null when it is not installed. */
    static final String CLANG = onPath("clang-19");

    static boolean haveClang() {
        return CLANG != null;
    }

    /** The executable {@code tool} on the PATH, or null. */
    static String onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool).toString();
            }
        }
        return null;
    }

    /** Dumps {@code btf}, compiles the layout asserts, fails with clang's errors if any does not hold. */
    static void check(Btf btf, String testName) {
        if (!haveClang()) {
            return; // the text comparisons still ran; the compiler check needs clang-19
        }
        StringBuilder header = new StringBuilder();
        BtfCDump d = new BtfCDump(btf, header);
        d.dumpAll();
        String asserts = asserts(btf, d, Integer.MAX_VALUE);
        compile(header.toString(), asserts, testName);
    }

    /** Assertions for the named records, at most {@code limit} of them (evenly spread over the ids). */
    static String asserts(Btf btf, BtfCDump d, int limit) {
        List<Integer> records = new ArrayList<>();
        for (int id = 1; id <= btf.lastTypeId(); id++) {
            if (btf.type(id) instanceof BtfType.Composite c && !c.name().isEmpty()) {
                records.add(id);
            }
        }
        StringBuilder sb = new StringBuilder("#include \"dump.h\"\n");
        double step = Math.max(1.0, records.size() / (double) Math.min(limit, Math.max(1, records.size())));
        for (double k = 0; k < records.size(); k += step) {
            int id = records.get((int) k);
            BtfType.Composite c = (BtfType.Composite) btf.type(id);
            String name = d.cName(id);
            sb.append("_Static_assert(sizeof(").append(name).append(") == ").append(Integer.toUnsignedLong(c.size()))
                    .append(", \"size of ").append(name).append("\");\n");
            members(btf, c, name, 0, sb, 0);
        }
        return sb.toString();
    }

    private static void members(Btf btf, BtfType.Composite c, String record, long base, StringBuilder sb, int depth) {
        for (BtfType.Member m : c.members()) {
            long off = base + Integer.toUnsignedLong(m.bitOffset());
            if (m.name().isEmpty()) {
                if (depth < 8 && btf.resolveType(m.type()) instanceof BtfType.Composite inner) {
                    members(btf, inner, record, off, sb, depth + 1);
                }
                continue;
            }
            if (m.bitfieldSize() != 0) {
                continue; // offsetof cannot name a bitfield
            }
            sb.append("_Static_assert(__builtin_offsetof(").append(record).append(", ").append(m.name())
                    .append(") == ").append(off / 8).append(", \"offset of ").append(record).append('.')
                    .append(m.name()).append("\");\n");
        }
    }

    static void compile(String header, String source, String testName) {
        Assumptions.assumeTrue(haveClang(), "clang-19 is not installed: the C dump cannot be compiled");
        try {
            Path dir = Files.createTempDirectory("ebpf4j-" + testName + "-" + ProcessHandle.current().pid());
            try {
                Files.writeString(dir.resolve("dump.h"), header);
                Files.writeString(dir.resolve("check.c"), source);
                List<String> cmd = List.of(CLANG, "-target", "bpf", "-fsyntax-only", "-Wall", "-Werror",
                        "-Wno-unused", "-Wno-pragma-clang-attribute", "-ferror-limit=20", dir.resolve("check.c").toString());
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("clang did not finish in 300 s");
                }
                assertEquals(0, p.exitValue(), () -> "clang rejected the dump or a layout assert failed:\n" + out
                        + (header.length() < 20_000 ? "\n--- dump.h:\n" + header : ""));
            } finally {
                try (var s = Files.list(dir)) {
                    for (Path f : s.toList()) {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
