package io.ebpf4j.link;

import io.ebpf4j.BpfException;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.program.Program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A program attached to every site of one USDT probe, following libbpf's BPF-side conventions of
 * {@code <bpf/usdt.bpf.h>}: each distinct argument layout becomes a {@code struct __bpf_usdt_spec} in the
 * program's {@code __bpf_usdt_specs} array map, and each site gets a uprobe whose bpf cookie is that spec's index,
 * so {@code bpf_usdt_arg()}, {@code bpf_usdt_arg_cnt()} and {@code bpf_usdt_cookie()} work in the program.
 * Probes with a semaphore have it raised through the uprobe's ref_ctr_offset while attached.
 *
 * <p>Needs bpf cookies (Linux 5.15+): the {@code __bpf_usdt_ip_to_spec_id} fallback for older kernels is not
 * filled. Closing the link removes the uprobes and clears and frees its spec slots.
 */
public final class UsdtLink implements Link {
    /** The name of libbpf's spec map, as the kernel keeps it (15 characters). */
    static final String SPECS_MAP = BpfMap.kernelName("__bpf_usdt_specs");
    /** {@code BPF_USDT_MAX_ARG_CNT}. */
    public static final int MAX_ARGS = 12;
    /** {@code sizeof(struct __bpf_usdt_spec)}: 12 argument specs, the u64 cookie, the short count, padding. */
    static final int SPEC_SIZE = 208;
    private static final long COOKIE_AT = (long) MAX_ARGS * UsdtArgument.SPEC_SIZE;
    private static final long ARG_CNT_AT = COOKIE_AT + 8;

    // Spec slots in use, per spec map id: several links of one object share its map.
    private static final Map<Integer, BitSet> USED = new HashMap<>();

    private final List<UprobeLink> uprobes;
    private final BpfMap specs;
    private final boolean ownsSpecs;
    private final int specsId;
    private final List<Integer> slots;
    private final List<UsdtProbe> sites;
    private final String description;
    private boolean closed;

    private UsdtLink(List<UprobeLink> uprobes, BpfMap specs, boolean ownsSpecs, int specsId, List<Integer> slots,
                     List<UsdtProbe> sites, String description) {
        this.uprobes = uprobes;
        this.specs = specs;
        this.ownsSpecs = ownsSpecs;
        this.specsId = specsId;
        this.slots = slots;
        this.sites = sites;
        this.description = description;
    }

    /**
     * Attaches {@code program} to USDT probe {@code provider:name} of {@code binary} (a path or a name, see
     * {@link UprobeTargets#resolveBinary}). The spec map is found among the maps the program uses.
     *
     * @param pid only this process, or -1 for every process
     * @param usdtCookie what {@code bpf_usdt_cookie()} returns in the program
     */
    public static UsdtLink attach(Program program, String binary, String provider, String name, int pid,
                                  long usdtCookie) {
        BpfMap specs = specsMapOf(program);
        try {
            return attach(program, specs, true, binary, provider, name, pid, usdtCookie);
        } catch (RuntimeException e) {
            specs.close();
            throw e;
        }
    }

    /** Like {@link #attach(Program, String, String, String, int, long)} with the spec map given (not closed). */
    public static UsdtLink attach(Program program, BpfMap specs, String binary, String provider, String name, int pid,
                                  long usdtCookie) {
        return attach(program, specs, false, binary, provider, name, pid, usdtCookie);
    }

    private static UsdtLink attach(Program program, BpfMap specs, boolean ownsSpecs, String binary, String provider,
                                   String name, int pid, long usdtCookie) {
        if (specs.valueSize() != SPEC_SIZE || specs.keySize() != Integer.BYTES) {
            throw new BpfException("map '" + specs.name() + "' has " + specs.keySize() + "-byte keys and "
                    + specs.valueSize() + "-byte values, not libbpf's usdt.bpf.h layout (4 and " + SPEC_SIZE + ")");
        }
        Path path = UprobeTargets.resolveBinary(binary, pid);
        List<UsdtProbe> all = UsdtProbe.read(path);
        List<UsdtProbe> sites = all.stream().filter(p -> p.provider().equals(provider) && p.name().equals(name))
                .toList();
        String what = "usdt '" + program.name() + "' on " + path + ":" + provider + ":" + name
                + (pid > 0 ? " (pid " + pid + ")" : "");
        if (sites.isEmpty()) {
            throw new BpfException(what + ": the binary has no such probe; it has "
                    + (all.isEmpty() ? "no USDT probes (.note.stapsdt)"
                    : all.stream().map(p -> p.provider() + ":" + p.name()).distinct().toList()));
        }
        int specsId = specs.id();
        List<UprobeLink> uprobes = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        try {
            // Sites with the same argument layout share one spec, as libbpf does.
            Map<String, Integer> slotByArgs = new LinkedHashMap<>();
            for (UsdtProbe site : sites) {
                Integer slot = slotByArgs.get(site.argumentText());
                if (slot == null) {
                    List<UsdtArgument> args = site.arguments();
                    if (args.size() > MAX_ARGS) {
                        throw new BpfException(what + ": the probe has " + args.size() + " arguments; usdt.bpf.h "
                                + "reads at most " + MAX_ARGS);
                    }
                    slot = allocate(specsId, specs.maxEntries(), what);
                    slots.add(slot);
                    writeSpec(specs, slot, args, usdtCookie);
                    slotByArgs.put(site.argumentText(), slot);
                }
                UprobeOptions o = UprobeOptions.uprobe().withPid(pid).withCookie(slot)
                        .withRefCtrOffset(site.semaphoreOffset());
                uprobes.add(UprobeLink.attach(program, path, site.fileOffset(), o));
            }
            return new UsdtLink(List.copyOf(uprobes), specs, ownsSpecs, specsId, List.copyOf(slots), sites, what);
        } catch (RuntimeException e) {
            throw Closing.closeAllAfter(e, closers(uprobes, () -> release(specs, specsId, slots)));
        }
    }

    /** The {@code __bpf_usdt_specs} map among the maps {@code program} uses, opened by id. */
    static BpfMap specsMapOf(Program program) {
        for (int id : program.info().mapIds()) {
            BpfMap m = BpfMap.fromId(id);
            if (m.name().equals(SPECS_MAP)) {
                return m;
            }
            m.close();
        }
        throw new BpfException("program '" + program.name() + "' uses no map named __bpf_usdt_specs: USDT programs "
                + "include <bpf/usdt.bpf.h> and read their arguments with bpf_usdt_arg()");
    }

    private static void writeSpec(BpfMap specs, int slot, List<UsdtArgument> args, long usdtCookie) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            key.set(JAVA_INT, 0, slot);
            MemorySegment value = arena.allocate(Math.max(SPEC_SIZE, specs.valueBufferSize()), 8);
            for (int i = 0; i < args.size(); i++) {
                args.get(i).encode(value, (long) i * UsdtArgument.SPEC_SIZE);
            }
            value.set(JAVA_LONG, COOKIE_AT, usdtCookie);
            value.set(JAVA_SHORT, ARG_CNT_AT, (short) args.size());
            specs.update(key, value);
        }
    }

    private static int allocate(int specsId, int capacity, String what) {
        synchronized (USED) {
            BitSet used = USED.computeIfAbsent(specsId, k -> new BitSet());
            int slot = used.nextClearBit(0);
            if (slot >= capacity) {
                throw new BpfException(what + ": all " + capacity + " slots of the USDT spec map are in use; define "
                        + "BPF_USDT_MAX_SPEC_CNT larger in the BPF program");
            }
            used.set(slot);
            return slot;
        }
    }

    /** The uprobes, then {@code releaseSlots}, in the order they are undone. */
    private static List<AutoCloseable> closers(List<UprobeLink> uprobes, AutoCloseable releaseSlots) {
        List<AutoCloseable> all = new ArrayList<>(uprobes);
        all.add(releaseSlots);
        return all;
    }

    private static void release(BpfMap specs, int specsId, List<Integer> slots) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment zero = arena.allocate(Math.max(SPEC_SIZE, specs.valueBufferSize()), 8);
            for (int slot : slots) {
                key.set(JAVA_INT, 0, slot);
                try {
                    specs.update(key, zero); // array slots cannot be deleted; an all-zero spec has no arguments
                } catch (RuntimeException e) {
                    // the map may be gone with its object; the slot is freed either way
                }
            }
        }
        synchronized (USED) {
            BitSet used = USED.get(specsId);
            if (used != null) {
                slots.forEach(used::clear);
                if (used.isEmpty()) {
                    USED.remove(specsId);
                }
            }
        }
    }

    /** The probe sites attached, one uprobe each. */
    public List<UsdtProbe> sites() {
        return sites;
    }

    /** The uprobes, in site order. */
    public List<UprobeLink> uprobes() {
        return uprobes;
    }

    @Override
    public String describe() {
        return description + " (" + uprobes.size() + " site" + (uprobes.size() == 1 ? "" : "s") + ")";
    }

    @Override
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> all = closers(uprobes, () -> release(specs, specsId, slots));
        if (ownsSpecs) {
            all.add(specs);
        }
        Closing.closeAll(all);
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---- auto-attach ----

    private static final Pattern SECTION = Pattern.compile("usdt(\\.s)?/([^:]+):([^:]+):([^:]+)");

    /** Whether the section has libbpf's form {@code usdt/PATH:PROVIDER:NAME} (or {@code usdt.s/...}). */
    public static boolean hasAutoAttachTarget(String section) {
        return SECTION.matcher(section).matches();
    }

    /**
     * Attaches {@code program} where its section says: libbpf's {@code usdt/PATH:PROVIDER:NAME} (also
     * {@code usdt.s/...}), for every process, with usdt cookie 0.
     *
     * @throws IllegalArgumentException when the section names no target
     */
    public static Link autoAttach(Program program, String sectionTarget) {
        Matcher m = SECTION.matcher(sectionTarget);
        if (!m.matches()) {
            throw new IllegalArgumentException("section '" + sectionTarget + "' of program '" + program.name()
                    + "' names no USDT target; libbpf's form is usdt/PATH:PROVIDER:NAME: attach it with "
                    + "UsdtLink.attach instead");
        }
        return attach(program, m.group(2), m.group(3), m.group(4), -1, 0);
    }
}
