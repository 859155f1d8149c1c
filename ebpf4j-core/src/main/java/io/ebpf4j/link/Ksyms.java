package io.ebpf4j.link;

import io.ebpf4j.BpfException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Kernel function symbols from {@code /proc/kallsyms}: syscall entry names and glob patterns for kprobe.multi. */
final class Ksyms {
    private Ksyms() {
    }

    private static final Path KALLSYMS = Path.of("/proc/kallsyms");

    /** The architecture's prefix for syscall entry points (pt_regs wrappers). */
    static String syscallPrefix() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "__x64_";
            case "aarch64", "arm64" -> "__arm64_";
            case "s390x" -> "__s390x_";
            case "riscv64" -> "__riscv_";
            default -> "";
        };
    }

    /** {@code __x64_sys_<name>} when the kernel has it (wrappers since 4.17), else {@code sys_<name>}. */
    static String syscallSymbol(String syscall) {
        if (syscall == null || syscall.isEmpty() || !syscall.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("not a system call name: \"" + syscall + "\"");
        }
        String wrapped = syscallPrefix() + "sys_" + syscall;
        return !syscallPrefix().isEmpty() && !functions(Pattern.compile(Pattern.quote(wrapped))).isEmpty()
                ? wrapped : "sys_" + syscall;
    }

    /** A shell glob ({@code *}, {@code ?}) as a regular expression over symbol names. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** Text (function) symbols of the kernel and modules whose name matches, in kallsyms order, without duplicates. */
    static List<String> functions(Pattern name) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (BufferedReader r = Files.newBufferedReader(KALLSYMS)) {
            for (String line; (line = r.readLine()) != null; ) {
                // "ffffffff81000000 T _stext" or "... t name\t[module]"
                int a = line.indexOf(' ');
                int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
                if (b < 0 || (line.charAt(a + 1) != 't' && line.charAt(a + 1) != 'T')) {
                    continue;
                }
                int end = line.indexOf('\t', b + 1);
                String sym = end < 0 ? line.substring(b + 1) : line.substring(b + 1, end);
                if (name.matcher(sym).matches() && seen.add(sym)) {
                    out.add(sym);
                }
            }
        } catch (IOException e) {
            throw new BpfException("cannot read " + KALLSYMS + ": " + e.getMessage(), e);
        }
        return out;
    }
}
