package io.ebpf4j.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the native (user-space) C fixtures in {@code src/test/native} with gcc, into target/native, once per
 * change: the programs and shared libraries that uprobe and USDT tests probe. Tests are skipped, saying so, when
 * gcc is missing.
 */
public final class NativeC {
    private NativeC() {
    }

    private static final Path SOURCES = Path.of("src/test/native");
    private static final Path OUT = Path.of("target/native");

    /** {@code target/native/lib<name>.so}, built from {@code src/test/native/<source>.c}. */
    public static synchronized Path sharedLibrary(String source, String name) {
        Path out = OUT.resolve("lib" + name + ".so").toAbsolutePath();
        build(List.of(SOURCES.resolve(source + ".c")), out, List.of("-shared", "-fPIC"));
        return out;
    }

    /**
     * {@code target/native/<source>}, an executable built from {@code src/test/native/<source>.c}, linked
     * against the given libraries of target/native (found at run time through an rpath).
     */
    public static synchronized Path executable(String source, Path... libraries) {
        Path out = OUT.resolve(source).toAbsolutePath();
        List<String> flags = new ArrayList<>();
        List<Path> inputs = new ArrayList<>(List.of(SOURCES.resolve(source + ".c")));
        for (Path lib : libraries) {
            inputs.add(lib);
            String file = lib.getFileName().toString();
            flags.add("-L" + lib.getParent());
            flags.add("-l" + file.substring(3, file.length() - 3));
            flags.add("-Wl,-rpath," + lib.getParent());
        }
        build(inputs, out, flags);
        return out;
    }

    /** Whether {@code header} (e.g. {@code sys/sdt.h}) is found by gcc. */
    public static boolean hasHeader(String header) {
        Path gcc = gcc();
        try {
            Process p = new ProcessBuilder(gcc.toString(), "-E", "-x", "c", "-")
                    .redirectErrorStream(true).start();
            p.getOutputStream().write(("#include <" + header + ">\n").getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path gcc() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, "gcc");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Assumptions.abort("gcc is not installed: the native test programs cannot be built (apt-get install gcc)");
        return null;
    }

    private static void build(List<Path> inputs, Path out, List<String> flags) {
        Path gcc = gcc();
        Path src = inputs.getFirst();
        try {
            if (Files.exists(out)) {
                boolean fresh = true;
                for (Path in : inputs) {
                    fresh &= Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(in)) >= 0;
                }
                if (fresh) {
                    return;
                }
            }
            Files.createDirectories(OUT);
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp" + ProcessHandle.current().pid());
            List<String> cmd = new ArrayList<>(List.of(gcc.toString(), "-O2", "-g", "-Wall", "-o", tmp.toString(),
                    src.toString()));
            cmd.addAll(flags);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                Files.deleteIfExists(tmp);
                throw new IllegalStateException("building " + src + " failed:\n" + output);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("building " + src + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
