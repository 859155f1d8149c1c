package io.ebpf4j.testing;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfCDump;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the BPF C fixtures in {@code src/test/bpf} with clang-19 (once per change, into target/bpf). Tests that
 * need a fixture are skipped, saying so, when clang-19 is not installed; CI installs it.
 */
public final class BpfC {
    private BpfC() {
    }

    private static final Path SOURCES = Path.of("src/test/bpf");
    private static final Path OUT = Path.of("target/bpf");
    private static final String CLANG = "clang-19";

    /** The object built from {@code src/test/bpf/<name>.bpf.c}. */
    public static Path object(String name) {
        return object(name, null);
    }

    /** A variant of the object built with {@code -D<define>} (kept apart in target/bpf). */
    public static synchronized Path object(String name, String define) {
        Path clang = onPath(CLANG);
        Assumptions.assumeTrue(clang != null, CLANG + " is not installed: the BPF C fixtures cannot be built "
                + "(apt-get install clang-19 libbpf-dev)");
        Path src = SOURCES.resolve(name + ".bpf.c");
        Path obj = OUT.resolve(name + (define == null ? "" : "-" + define) + ".bpf.o");
        try {
            if (Files.exists(obj) && Files.getLastModifiedTime(obj).compareTo(Files.getLastModifiedTime(src)) >= 0) {
                return obj;
            }
            Files.createDirectories(OUT);
            List<String> cmd = new ArrayList<>(List.of(clang.toString(), "-g", "-O2", "-target", "bpf",
                    "-D__TARGET_ARCH_x86"));
            Path multiarch = Path.of("/usr/include/" + System.getProperty("os.arch").replace("amd64", "x86_64") + "-linux-gnu");
            if (Files.isDirectory(multiarch)) {
                cmd.add("-I" + multiarch);
            }
            if (Files.readString(src).contains("\"vmlinux.h\"")) {
                cmd.add("-I" + vmlinuxHeader().getParent());
            }
            if (define != null) {
                cmd.add("-D" + define);
            }
            cmd.addAll(List.of("-c", src.toString(), "-o", obj.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("building " + src + " failed:\n" + out);
            }
            return obj;
        } catch (IOException e) {
            throw new IllegalStateException("building " + src + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code target/bpf/include/vmlinux.h} for fixtures that include it, made once per build from the running
     * kernel's BTF by our own C dumper ({@link BtfCDump}).
     */
    public static synchronized Path vmlinuxHeader() {
        Path header = OUT.resolve("include/vmlinux.h");
        if (Files.exists(header)) {
            return header;
        }
        Assumptions.assumeTrue(Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")),
                "the kernel has no BTF at /sys/kernel/btf/vmlinux: vmlinux.h cannot be generated");
        try {
            Files.createDirectories(header.getParent());
            Path tmp = header.resolveSibling("vmlinux.h." + ProcessHandle.current().pid() + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                BtfCDump.writeHeader(Btf.loadKernel(), w);
            }
            Files.move(tmp, header, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return header;
        } catch (IOException e) {
            throw new IllegalStateException("making vmlinux.h: " + e.getMessage(), e);
        }
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
