package io.ebpf4j.elf;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Compiles {@code sample.bpf.c} (a test resource) with clang-19 when it is installed. */
final class SampleObject {
    static final String CLANG = "clang-19";
    static final String READELF = "llvm-readelf-19";

    private SampleObject() {
    }

    /** The directory on the PATH that holds {@code tool}, or null. */
    static Path onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Compiles the sample into {@code dir}; returns the object's path. The caller checks clang is present. */
    static Path compile(Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("sample.bpf.c");
        try (InputStream in = SampleObject.class.getResourceAsStream("sample.bpf.c")) {
            Files.copy(in, src);
        }
        Path obj = dir.resolve("sample.bpf.o");
        List<String> cmd = new ArrayList<>(List.of(CLANG, "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86"));
        // Debian-style multiarch keeps asm/types.h under the triplet directory that -target bpf does not search.
        Path multiarch = Path.of("/usr/include/" + System.getProperty("os.arch").replace("amd64", "x86_64")
                + "-linux-gnu");
        if (Files.isDirectory(multiarch)) {
            cmd.add("-I" + multiarch);
        }
        cmd.addAll(List.of("-c", src.toString(), "-o", obj.toString()));
        String out = run(cmd);
        if (!Files.exists(obj)) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return obj;
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd.getFirst() + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text);
        }
        return text;
    }
}
