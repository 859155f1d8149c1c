package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfExt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a BPF object file says: its programs, maps, global variables, license and BTF. Read without touching the
 * kernel; editable before load (program types and autoload, map specs and pinning, global variable values).
 */
public final class ObjectSpec {
    private final String name;
    private final String license;
    private final int kernelVersion;
    private final Map<String, ProgramDef> programs;
    private final Map<String, MapDef> maps;
    private final Map<String, GlobalVariable> variables;
    private final Subprograms subprograms;
    private final Btf btf;
    private final BtfExt btfExt;
    private final byte[] loadableBtf;
    private final List<Externs.Extern> externs;

    ObjectSpec(String name, String license, int kernelVersion, Map<String, ProgramDef> programs,
               Map<String, MapDef> maps, Map<String, GlobalVariable> variables, Subprograms subprograms, Btf btf,
               BtfExt btfExt, byte[] loadableBtf, List<Externs.Extern> externs) {
        this.name = name;
        this.license = license;
        this.kernelVersion = kernelVersion;
        this.programs = programs;
        this.maps = maps;
        this.variables = variables;
        this.subprograms = subprograms;
        this.btf = btf;
        this.btfExt = btfExt;
        this.loadableBtf = loadableBtf;
        this.externs = List.copyOf(externs);
    }

    /** The externs ({@code __kconfig}, {@code __ksym} variables and kfuncs) the programs refer to. */
    public List<Externs.Extern> externs() {
        return externs;
    }

    /** The object's BTF with the loader's fixups applied, ready for BPF_BTF_LOAD; null without BTF. */
    byte[] loadableBtf() {
        return loadableBtf == null ? null : loadableBtf.clone();
    }

    /**
     * The same bytes without a copy, for the loader, which only reads them (the sanitizer edits a copy of its
     * own, and the BTF load copies them into native memory); callers must not change the array.
     */
    byte[] loadableBtfShared() {
        return loadableBtf;
    }

    /** Reads an object file; its name (for map names) is the file name up to its first dot, as libbpf has it. */
    public static ObjectSpec read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BpfException("cannot read BPF object " + path + ": no such file", e);
        } catch (IOException e) {
            throw new BpfException("cannot read BPF object " + path + ": " + e, e);
        }
        return ObjectReader.readOwned(bytes, objectName(path.getFileName().toString()));
    }

    /** Reads an object from memory; {@code name} prefixes its global-data map names. */
    public static ObjectSpec read(byte[] elf, String name) {
        return ObjectReader.read(elf, name);
    }

    static String objectName(String fileName) {
        int dot = fileName.indexOf('.');
        return dot < 0 ? fileName : fileName.substring(0, dot);
    }

    public String name() {
        return name;
    }

    /** The license string from SEC("license") (empty when absent). */
    public String license() {
        return license;
    }

    /** The kernel version from SEC("version"), 0 when absent. */
    public int kernelVersion() {
        return kernelVersion;
    }

    /** Entry programs by name, in file order. */
    public Map<String, ProgramDef> programs() {
        return Collections.unmodifiableMap(programs);
    }

    public Optional<ProgramDef> program(String programName) {
        return Optional.ofNullable(programs.get(programName));
    }

    /** Maps by name, in file order (BTF and legacy maps first, then global data). */
    public Map<String, MapDef> maps() {
        return Collections.unmodifiableMap(maps);
    }

    public Optional<MapDef> map(String mapName) {
        return Optional.ofNullable(maps.get(mapName));
    }

    /** Global variables by name. */
    public Map<String, GlobalVariable> variables() {
        return Collections.unmodifiableMap(variables);
    }

    /** The {@code .text} functions (for the CO-RE step, which maps .text relocations to appended copies). */
    Subprograms subprograms() {
        return subprograms;
    }

    public Collection<String> subprogramNames() {
        return subprograms.names();
    }

    /** The object's BTF, or null when it has none. */
    public Btf btf() {
        return btf;
    }

    /** The object's {@code .BTF.ext} (func and line info, CO-RE relocations), or null. */
    public BtfExt btfExt() {
        return btfExt;
    }

    /** The program with the subprograms it calls appended, once each, as libbpf links them. */
    public Linker.Linked link(String programName) {
        ProgramDef p = programs.get(programName);
        if (p == null) {
            throw new BpfException("object '" + name + "' has no program '" + programName + "'; it has "
                    + programs.keySet());
        }
        return Linker.link(p, subprograms, btfExt);
    }

    // ---- global variables ----

    private MapDef dataMapOf(String variable) {
        GlobalVariable v = variables.get(variable);
        if (v == null) {
            throw new BpfException("object '" + name + "' has no global variable '" + variable + "'; it has "
                    + variables.keySet());
        }
        return maps.get(v.map());
    }

    /** The bytes of a global variable as they will be loaded. */
    public byte[] variableBytes(String variable) {
        GlobalVariable v = variables.get(variable);
        byte[] data = dataMapOf(variable).data();
        byte[] out = new byte[(int) v.size()];
        System.arraycopy(data, (int) v.offset(), out, 0, out.length);
        return out;
    }

    /** Sets a global variable before load ({@code const volatile} configuration in .rodata included). */
    public ObjectSpec setVariable(String variable, byte[] value) {
        GlobalVariable v = variables.get(variable);
        byte[] data = dataMapOf(variable).data();
        if (value.length != v.size()) {
            throw new io.ebpf4j.SizeMismatchException("value of global variable '" + variable + "'", v.size(), value.length);
        }
        System.arraycopy(value, 0, data, (int) v.offset(), value.length);
        return this;
    }

    public ObjectSpec setVariable(String variable, int value) {
        return setVariable(variable, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    public ObjectSpec setVariable(String variable, long value) {
        return setVariable(variable, ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(value).array());
    }

    @Override
    public String toString() {
        return "ObjectSpec[" + name + ": programs " + programs.keySet() + ", maps " + maps.keySet() + "]";
    }

    /** The {@code .text} functions, by their first slot. */
    record Subprograms(Map<Integer, Subprogram> byStart) {
        Collection<String> names() {
            return byStart.values().stream().map(Subprogram::name).toList();
        }

        /** The subprogram whose range holds slot {@code target}. */
        Subprogram containing(int target) {
            for (Subprogram s : byStart.values()) {
                if (target >= s.start() && target < s.start() + s.slots()) {
                    return s;
                }
            }
            return null;
        }
    }

    /** A {@code .text} function: where it starts, how long it is, its code and what it refers to. */
    record Subprogram(String name, int start, int slots, List<io.ebpf4j.asm.Instruction> instructions,
                      List<Reloc> relocations) {
    }

    static <K, V> Map<K, V> ordered() {
        return new LinkedHashMap<>();
    }
}
