package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.elf.Section;
import io.ebpf4j.elf.Symbol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.ebpf4j.elf.ElfConstants.STT_FUNC;
import static io.ebpf4j.elf.ElfConstants.STT_GNU_IFUNC;

/**
 * Where a uprobe goes: a binary found by path or by name, and functions of it turned into the file offsets the
 * kernel's uprobes take.
 *
 * <p>A name without a slash is looked up like the dynamic loader would: a library ({@code libc.so.6},
 * {@code libfoo.so}) in the memory map of the given process first ({@code /proc/PID/maps}, so the library that
 * process really uses is found), then in {@code LD_LIBRARY_PATH} and the usual library directories; any other
 * name in {@code PATH}.
 */
public final class UprobeTargets {
    private UprobeTargets() {
    }

    /** A function symbol's name and the file offset of its first instruction. */
    public record FunctionOffset(String name, long offset) {
    }

    /**
     * The binary named {@code nameOrPath}: a path (anything with a slash) as it is; a library or program name
     * resolved as described above, using {@code pid}'s memory map when {@code pid > 0}.
     *
     * @throws BpfException when nothing by that name exists
     */
    public static Path resolveBinary(String nameOrPath, int pid) {
        if (nameOrPath == null || nameOrPath.isEmpty()) {
            throw new IllegalArgumentException("a uprobe needs a binary path or name");
        }
        if (nameOrPath.indexOf('/') >= 0) {
            Path p = Path.of(nameOrPath);
            if (!Files.isRegularFile(p)) {
                throw new BpfException("uprobe target '" + nameOrPath + "' does not exist or is not a regular file");
            }
            return p.toAbsolutePath();
        }
        boolean library = nameOrPath.contains(".so");
        List<String> tried = new ArrayList<>();
        if (pid > 0) {
            Path mapped = fromProcessMaps(nameOrPath, pid);
            if (mapped != null) {
                return mapped;
            }
            tried.add("/proc/" + pid + "/maps");
        }
        List<String> dirs = new ArrayList<>();
        if (library) {
            dirs.addAll(split(System.getenv("LD_LIBRARY_PATH")));
            dirs.addAll(libraryDirectories());
        } else {
            dirs.addAll(split(System.getenv("PATH")));
        }
        for (String dir : dirs) {
            Path p = Path.of(dir, nameOrPath);
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath();
            }
        }
        tried.add(String.join(":", dirs));
        throw new BpfException("uprobe target '" + nameOrPath + "' was not found (looked in " + String.join(", ", tried)
                + "); give its path" + (pid > 0 ? "" : ", or the pid of a process that has it mapped"));
    }

    /** The usual library directories of this machine, multiarch ones included. */
    static List<String> libraryDirectories() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String triple = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64", "arm64" -> "aarch64-linux-gnu";
            case "riscv64" -> "riscv64-linux-gnu";
            case "ppc64le" -> "powerpc64le-linux-gnu";
            case "s390x" -> "s390x-linux-gnu";
            default -> null;
        };
        List<String> dirs = new ArrayList<>();
        if (triple != null) {
            dirs.add("/lib/" + triple);
            dirs.add("/usr/lib/" + triple);
        }
        dirs.addAll(List.of("/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"));
        return dirs;
    }

    /** The mapped file of {@code pid} whose base name is {@code name} (or {@code name} plus a version suffix). */
    static Path fromProcessMaps(String name, int pid) {
        Path maps = Path.of("/proc", Integer.toString(pid), "maps");
        List<String> lines;
        try {
            lines = Files.readAllLines(maps);
        } catch (IOException e) {
            throw new BpfException("cannot read " + maps + " to find '" + name + "': " + e.getMessage()
                    + " (is process " + pid + " running?)", e);
        }
        Path prefixMatch = null;
        for (String line : lines) {
            Path file = mappedFile(line);
            if (file == null) {
                continue;
            }
            String base = file.getFileName().toString();
            if (base.equals(name)) {
                return reachable(file, pid);
            }
            if (prefixMatch == null && (base.startsWith(name + ".") || base.startsWith(name + "-"))) {
                prefixMatch = file;
            }
        }
        return prefixMatch == null ? null : reachable(prefixMatch, pid);
    }

    /**
     * A path from another process's memory map, reachable from here: as it is when it exists in our mount
     * namespace, otherwise through {@code /proc/PID/root} (a process in a container sees its own root).
     */
    private static Path reachable(Path file, int pid) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        Path viaRoot = Path.of("/proc", Integer.toString(pid), "root").resolve(file.toString().substring(1));
        return Files.isRegularFile(viaRoot) ? viaRoot : file;
    }

    /** The path column of a {@code /proc/PID/maps} line, or null for anonymous and special mappings. */
    static Path mappedFile(String line) {
        // address perms offset dev inode path: the path starts after the fifth field and may hold spaces.
        int field = 0;
        int i = 0;
        int n = line.length();
        while (i < n && field < 5) {
            while (i < n && line.charAt(i) != ' ') {
                i++;
            }
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            field++;
        }
        if (i >= n || line.charAt(i) != '/') {
            return null;
        }
        String path = line.substring(i);
        return path.endsWith(" (deleted)") ? null : Path.of(path);
    }

    private static List<String> split(String pathList) {
        List<String> out = new ArrayList<>();
        if (pathList != null) {
            for (String s : pathList.split(":")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /**
     * The file offset of function {@code function} in {@code binary}, looked up in {@code .symtab} and then
     * {@code .dynsym}. A name without {@code @} also matches versioned names ({@code memcpy@@GLIBC_2.14}).
     *
     * @throws BpfException when the binary has no such function, or several at different offsets
     */
    public static long functionOffset(Path binary, String function) {
        Map<String, List<Long>> found = new LinkedHashMap<>();
        withElf(binary, elf -> collect(elf, binary, name -> matchesName(name, function), found));
        List<Long> offsets = found.values().stream().flatMap(List::stream).distinct().toList();
        if (offsets.isEmpty()) {
            throw new BpfException("function '" + function + "' was not found in the symbol tables (.symtab, "
                    + ".dynsym) of " + binary + "; check the name (nm -D), or attach by offset");
        }
        if (offsets.size() > 1) {
            throw new BpfException("function '" + function + "' of " + binary + " is ambiguous: symbols at file "
                    + "offsets " + offsets.stream().map(o -> "0x" + Long.toHexString(o)).toList()
                    + "; attach by offset instead");
        }
        return offsets.getFirst();
    }

    /**
     * Every function of {@code binary} whose name matches {@code pattern} ({@code *} any run of characters,
     * {@code ?} one character), with its file offset; in symbol-table order, each name once.
     *
     * @throws BpfException when a name matches at two different offsets
     */
    public static List<FunctionOffset> functionOffsets(Path binary, String pattern) {
        Map<String, List<Long>> found = new LinkedHashMap<>();
        withElf(binary, elf -> collect(elf, binary, name -> globMatch(pattern, stripVersion(name)), found));
        List<FunctionOffset> out = new ArrayList<>();
        for (Map.Entry<String, List<Long>> e : found.entrySet()) {
            List<Long> offsets = e.getValue().stream().distinct().toList();
            if (offsets.size() > 1) {
                throw new BpfException("function '" + e.getKey() + "' of " + binary + " is ambiguous: symbols at "
                        + "file offsets " + offsets.stream().map(o -> "0x" + Long.toHexString(o)).toList());
            }
            out.add(new FunctionOffset(e.getKey(), offsets.getFirst()));
        }
        return out;
    }

    private static void collect(ElfFile elf, Path binary, java.util.function.Predicate<String> wanted,
                                Map<String, List<Long>> found) {
        for (List<Symbol> table : List.of(elf.symbols(), elf.dynamicSymbols())) {
            for (Symbol s : table) {
                if ((s.type() != STT_FUNC && s.type() != STT_GNU_IFUNC) || !s.hasSection() || s.name().isEmpty()
                        || !wanted.test(s.name())) {
                    continue;
                }
                Section section = elf.section(s.sectionIndex());
                if (section.isNobits() || Long.compareUnsigned(s.value() - section.addr(), section.size()) >= 0) {
                    throw new BpfException("symbol '" + s.name() + "' of " + binary + " has address 0x"
                            + Long.toHexString(s.value()) + ", outside its section " + section.name());
                }
                // In executables and shared libraries a symbol's value is a virtual address; its section's
                // address-to-offset shift gives the file offset.
                long offset = s.value() - section.addr() + section.offset();
                found.computeIfAbsent(stripVersion(s.name()), k -> new ArrayList<>()).add(offset);
            }
        }
    }

    private static boolean matchesName(String symbol, String wanted) {
        return wanted.indexOf('@') >= 0 ? symbol.equals(wanted) : stripVersion(symbol).equals(wanted);
    }

    private static String stripVersion(String name) {
        int at = name.indexOf('@');
        return at > 0 ? name.substring(0, at) : name;
    }

    /** Shell-style matching with {@code *} and {@code ?}, no character classes (libbpf's glob rules). */
    public static boolean globMatch(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /** Opens {@code binary}, hands it to {@code body}, and turns I/O and format errors into messages naming it. */
    static void withElf(Path binary, java.util.function.Consumer<ElfFile> body) {
        try (ElfFile elf = ElfFile.open(binary)) {
            body.accept(elf);
        } catch (IOException e) {
            throw new BpfException("cannot read " + binary + ": " + e.getMessage(), e);
        } catch (ObjectFormatException e) {
            throw new BpfException(binary + " is not a usable ELF file: " + e.getMessage(), e);
        }
    }
}
