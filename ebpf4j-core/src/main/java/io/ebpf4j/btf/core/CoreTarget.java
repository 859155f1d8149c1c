package io.ebpf4j.btf.core;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfFormatException;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.kernel.Closing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The BTF that CO-RE relocations are resolved against: the running kernel's (vmlinux, then its modules) or BTF
 * the caller names, such as a file for another kernel. Candidates for a local type are the target types of a
 * compatible kind whose essential name (the name without a {@code ___flavor} suffix) is the local one's; a
 * module is searched only when vmlinux has none, as libbpf does.
 *
 * <p>Closing a target closes the BTF it opened itself (module BTF, a file); the shared kernel BTF stays.
 */
public final class CoreTarget implements AutoCloseable {
    private static final Path SYSFS = Path.of("/sys/kernel/btf");
    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};
    /** Per BTF: essential name → ids of types whose name carries a flavor. Built once per BTF, on demand. */
    private static final Map<Btf, Map<String, int[]>> FLAVORED = Collections.synchronizedMap(new WeakHashMap<>());

    private final String description;
    private final Btf main;
    private final boolean ownsMain;
    private final Supplier<List<Btf>> moduleLoader;
    private final boolean ownsModules;
    private List<Btf> modules;

    private CoreTarget(String description, Btf main, boolean ownsMain, Supplier<List<Btf>> moduleLoader,
                       boolean ownsModules) {
        this.description = description;
        this.main = main;
        this.ownsMain = ownsMain;
        this.moduleLoader = moduleLoader;
        this.ownsModules = ownsModules;
    }

    /** The running kernel: {@code /sys/kernel/btf/vmlinux}, then the loaded modules' BTF when vmlinux has no candidate. */
    public static CoreTarget kernel() {
        return new CoreTarget("kernel BTF (/sys/kernel/btf/vmlinux)", Btf.loadKernel(), false, CoreTarget::loadModules,
                true);
    }

    /** Caller-owned BTF (not closed with the target); no modules are searched. */
    public static CoreTarget of(Btf btf) {
        return new CoreTarget("target BTF", Objects.requireNonNull(btf), false, List::of, false);
    }

    /**
     * Caller-owned BTF and module BTF split on it (none closed with the target): the modules are searched, in
     * order, only for local types {@code main} has no candidate for.
     */
    public static CoreTarget of(Btf main, List<Btf> modules) {
        List<Btf> m = List.copyOf(modules);
        return new CoreTarget("target BTF", Objects.requireNonNull(main), false, () -> m, false);
    }

    /**
     * A BTF file as the whole target, libbpf's {@code btf_custom_path}: raw BTF (a copy of a kernel's
     * {@code /sys/kernel/btf/vmlinux}, or what {@link io.ebpf4j.btf.BtfWriter} wrote), or an ELF file with a
     * {@code .BTF} section (such as a kernel's {@code vmlinux} image).
     */
    public static CoreTarget file(Path btfFile) {
        if (!Files.isRegularFile(btfFile) || !Files.isReadable(btfFile)) {
            throw new BpfException("target BTF " + btfFile + " is not a readable file: name a raw BTF file "
                    + "(e.g. a copy of another kernel's /sys/kernel/btf/vmlinux) or an ELF file with a .BTF section");
        }
        String what = "target BTF " + btfFile;
        try {
            return new CoreTarget(what, isElf(btfFile) ? fromElf(btfFile) : Btf.open(btfFile), true, List::of, false);
        } catch (BtfFormatException e) {
            throw new BpfException(what + " is not valid BTF: " + e.getMessage(), e);
        }
    }

    private static boolean isElf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(ELF_MAGIC.length), ELF_MAGIC);
        } catch (IOException e) {
            throw new BpfException("cannot read target BTF " + file + ": " + e, e);
        }
    }

    private static Btf fromElf(Path file) {
        try (ElfFile elf = ElfFile.open(file)) {
            byte[] btf = elf.section(".BTF").orElseThrow(() -> new BpfException("target BTF " + file
                    + " is an ELF file without a .BTF section (was it built with BTF?)")).bytes();
            return Btf.parse(btf);
        } catch (IOException e) {
            throw new BpfException("cannot read target BTF " + file + ": " + e, e);
        }
    }

    /** What this target is, for messages. */
    public String description() {
        return description;
    }

    /** The main BTF: vmlinux or the named one. */
    public Btf btf() {
        return main;
    }

    /** A candidate type: which BTF it is in and its id there. */
    public record Candidate(Btf btf, int id) {
    }

    /**
     * Types that may stand for a local type of {@code kind} and name {@code name}: same kind (enum and enum64
     * count as one), same essential name; from the main BTF, or else from modules.
     */
    public List<Candidate> candidates(BtfKind kind, String name) {
        String essential = CoreNames.essential(name);
        List<Candidate> out = new ArrayList<>();
        collect(main, kind, essential, out);
        if (out.isEmpty()) {
            for (Btf m : modules()) {
                collect(m, kind, essential, out);
            }
        }
        return out;
    }

    private static void collect(Btf btf, BtfKind kind, String essential, List<Candidate> out) {
        List<Integer> ids = new ArrayList<>(btf.findByName(essential));
        for (int id : flavored(btf).getOrDefault(essential, new int[0])) {
            ids.add(id);
        }
        Collections.sort(ids);
        for (int id : ids) {
            // A split BTF's lookup also answers from its base, which was searched first.
            if (id < btf.firstTypeId() || !CoreNames.kindsCompatible(kind, btf.kind(id))) {
                continue;
            }
            if (CoreNames.essential(btf.nameOf(id)).equals(essential)) {
                out.add(new Candidate(btf, id));
            }
        }
    }

    private static Map<String, int[]> flavored(Btf btf) {
        Map<String, int[]> m = FLAVORED.get(btf);
        if (m == null) {
            Map<String, List<Integer>> build = new HashMap<>();
            // Only strings with a separator can be flavored names: scan the strings, then look those names up.
            for (String n : btf.stringsContaining("___")) {
                String e = CoreNames.essential(n);
                if (e.length() != n.length()) {
                    build.computeIfAbsent(e, k -> new ArrayList<>()).addAll(btf.findByName(n));
                }
            }
            Map<String, int[]> done = new HashMap<>();
            build.forEach((k, v) -> done.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
            m = Map.copyOf(done);
            FLAVORED.put(btf, m);
        }
        return m;
    }

    private synchronized List<Btf> modules() {
        if (modules == null) {
            modules = moduleLoader.get();
        }
        return modules;
    }

    private static List<Btf> loadModules() {
        List<Btf> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(SYSFS)) {
            for (Path p : files.sorted().toList()) {
                String module = p.getFileName().toString();
                if (!module.equals("vmlinux")) {
                    try {
                        out.add(Btf.loadModule(module));
                    } catch (BpfException e) {
                        // A module unloaded since the listing has no candidates to give.
                    }
                }
            }
        } catch (IOException e) {
            throw Closing.closeAllAfter(new BpfException("cannot list kernel module BTF in " + SYSFS + ": " + e, e), out);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        List<AutoCloseable> all = new ArrayList<>();
        if (modules != null && ownsModules) {
            all.addAll(modules);
            modules = List.of();
        }
        if (ownsMain) {
            all.add(main);
        }
        Closing.closeAll(all);
    }

    @Override
    public String toString() {
        return description;
    }
}
