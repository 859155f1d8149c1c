package io.ebpf4j.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** BPF C fixtures of the CLI tests (test resources next to the tests), built with clang-19 into a directory. */
final class Fixtures {
    static final String CLANG = "clang-19";

    private Fixtures() {
    }

    /** The executable {@code tool} on the PATH, or null. */
    static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    /** Skips the calling test, saying why, when clang-19 is not on the PATH. */
    static void assumeClang() {
        Assumptions.assumeTrue(onPath(CLANG) != null, CLANG + " is not on the PATH: no BPF object to test with");
    }

    /** Removes {@code dir} (a pin directory in bpffs, say) and everything below it, if it exists. */
    static void removeTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Builds resource {@code name}.bpf.c into {@code dir}, with {@code includes} on the include path. */
    static Path compile(String name, Path dir, Path... includes) throws IOException, InterruptedException {
        assumeClang();
        Path src = dir.resolve(name + ".bpf.c");
        try (InputStream in = Fixtures.class.getResourceAsStream(name + ".bpf.c")) {
            Files.copy(in, src);
        }
        Path object = dir.resolve(name + ".bpf.o");
        List<String> cmd = new ArrayList<>(List.of(CLANG, "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86"));
        Path multiarch = Path.of("/usr/include/" + System.getProperty("os.arch").replace("amd64", "x86_64") + "-linux-gnu");
        if (Files.isDirectory(multiarch)) {
            cmd.add("-I" + multiarch);
        }
        for (Path i : includes) {
            cmd.add("-I" + i);
        }
        cmd.addAll(List.of("-c", src.toString(), "-o", object.toString()));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return object;
    }
}
