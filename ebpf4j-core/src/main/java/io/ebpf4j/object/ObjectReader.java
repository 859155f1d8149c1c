package io.ebpf4j.object;

import io.ebpf4j.kernel.CString;
import io.ebpf4j.ObjectFormatException;
import io.ebpf4j.asm.Instruction;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfExt;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.elf.ElfConstants;
import io.ebpf4j.elf.ElfFile;
import io.ebpf4j.elf.Relocation;
import io.ebpf4j.elf.Section;
import io.ebpf4j.elf.Symbol;
import io.ebpf4j.map.MapFlags;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** ELF → {@link ObjectSpec}: libbpf's rules for what sections, symbols and relocations mean. */
final class ObjectReader {
    private ObjectReader() {
    }

    static final String TEXT = ".text";
    static final String BTF_MAPS = ".maps";
    static final String STRUCT_OPS = ".struct_ops";
    static final String STRUCT_OPS_LINK = ".struct_ops.link";
    static final String LEGACY_MAPS = "maps";
    static final String LICENSE = "license";
    static final String VERSION = "version";
    static final String KCONFIG = ".kconfig";
    static final String KSYMS = ".ksyms";
    /** {@code sizeof(struct bpf_map_def)}: type, key_size, value_size, max_entries, map_flags. */
    static final int LIBBPF_MAP_DEF_SIZE = 20;
    /** {@code sizeof(struct bpf_elf_map)}: the five above plus id, pinning, inner_id, inner_idx. */
    static final int IPROUTE2_MAP_DEF_SIZE = 36;
    /** BPF_PSEUDO_CALL and BPF_PSEUDO_FUNC source registers. */
    static final int PSEUDO_CALL = 1;
    static final int PSEUDO_FUNC = 4;
    /** Byte offsets in a DATASEC record: its size, then {type, offset, size} per variable. */
    static final int DATASEC_SIZE = 8;
    static final int DATASEC_VARS = 12;
    static final int VAR_SECINFO = 12;
    static final int VAR_SECINFO_OFFSET = 4;
    /** LIBBPF_PIN_BY_NAME in a BTF map's {@code pinning}. */
    static final int LIBBPF_PIN_BY_NAME = 1;

    static ObjectSpec read(byte[] bytes, String objectName) {
        return readOwned(java.util.Objects.requireNonNull(bytes, "bytes").clone(), objectName);
    }

    /**
     * Reads from an array no one else holds (a file just read), without the defensive copy of the whole file
     * that {@link #read} makes: nothing can change it while the ELF checks and the reading rely on it.
     */
    static ObjectSpec readOwned(byte[] bytes, String objectName) {
        try (ElfFile elf = ElfFile.of(MemorySegment.ofArray(bytes))) {
            elf.requireLoadable();
            return new ObjectReader.Run(elf, objectName).read();
        }
    }

    private static final class Run {
        final ElfFile elf;
        final String objectName;
        final List<Symbol> symbols;
        Btf btf;
        BtfExt btfExt;
        final Map<String, MapDef> maps = new LinkedHashMap<>();
        final Map<String, GlobalVariable> variables = new LinkedHashMap<>();
        /** Data section index → the name of its map. */
        final Map<Integer, String> dataMaps = new HashMap<>();
        /** Map-definition section offsets → map names (legacy and BTF maps). */
        final Map<Integer, TreeMap<Long, String>> mapSymbols = new HashMap<>();

        Run(ElfFile elf, String objectName) {
            this.elf = elf;
            this.objectName = objectName;
            this.symbols = elf.symbols();
        }

        ObjectSpec read() {
            String license = elf.section(LICENSE).map(s -> CString.of(s.bytes())).orElse("");
            int version = elf.section(VERSION).filter(s -> s.size() >= 4)
                    .map(s -> s.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(elf.byteOrder()), 0)).orElse(0);
            elf.section(".BTF").ifPresent(s -> btf = Btf.parse(s.bytes()));
            if (btf != null) {
                elf.section(".BTF.ext").ifPresent(s -> btfExt = BtfExt.parse(s.bytes(), btf));
            }
            List<Externs.Extern> externs;
            byte[] loadableBtf;
            try {
                externs = Externs.collect(symbols, btf);
                loadableBtf = elf.section(".BTF").map(this::fixedUpBtf).orElse(null);
                if (loadableBtf != null) {
                    loadableBtf = Externs.fixupBtf(loadableBtf, externs);
                }
            } catch (IllegalArgumentException | IndexOutOfBoundsException | ClassCastException e) {
                // BTF whose ids point at the wrong kinds of types: the file's error, said as such.
                throw new ObjectFormatException(".BTF", -1, "inconsistent BTF for the object's externs or data "
                        + "sections: " + e.getMessage());
            }
            readBtfMaps();
            readLegacyMaps();
            readDataSections();
            readStructOps();
            addKconfigMap(externs);
            readStaticSlots();
            ObjectSpec.Subprograms subprograms = readSubprograms();
            Map<String, ProgramDef> programs = readPrograms();
            return new ObjectSpec(objectName, license, version, programs, maps, variables, subprograms, btf, btfExt,
                    loadableBtf, externs);
        }

        /**
         * The object's BTF as the kernel will accept it: clang leaves DATASEC sizes and variable offsets for the
         * loader to fill from the ELF sections and symbols (libbpf's fixups). Patched in a copy of the raw bytes,
         * so string offsets (used by line info) stay valid.
         */
        private byte[] fixedUpBtf(Section btfSection) {
            byte[] raw = btfSection.bytes();
            MemorySegment seg = MemorySegment.ofArray(raw);
            ValueLayout.OfInt u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(btf.byteOrder());
            for (int id = btf.firstTypeId(); id <= btf.lastTypeId(); id++) {
                if (btf.kind(id) == BtfKind.FUNC) {
                    markHiddenFuncStatic(seg, u32, id);
                    continue;
                }
                if (btf.kind(id) != BtfKind.DATASEC) {
                    continue;
                }
                BtfType.Datasec ds = (BtfType.Datasec) btf.type(id);
                Section sec = elf.section(ds.name()).orElse(null);
                if (sec == null) {
                    continue; // .kconfig and .ksyms: extern sections without ELF data
                }
                int record = btf.recordOffset(id);
                seg.set(u32, record + DATASEC_SIZE, (int) sec.size());
                List<BtfType.VarSecinfo> placed = new ArrayList<>();
                for (BtfType.VarSecinfo vs : ds.vars()) {
                    String var = btf.nameOf(vs.type());
                    int offset = vs.offset();
                    for (Symbol sym : symbols) {
                        if (sym.sectionIndex() == sec.index() && sym.name().equals(var)) {
                            offset = (int) sym.value();
                            break;
                        }
                    }
                    placed.add(new BtfType.VarSecinfo(vs.type(), offset, vs.size()));
                }
                // The kernel wants a DATASEC's variables in offset order (libbpf sorts them too).
                placed.sort(java.util.Comparator.comparingInt(BtfType.VarSecinfo::offset));
                for (int i = 0; i < placed.size(); i++) {
                    long at = record + DATASEC_VARS + (long) i * VAR_SECINFO;
                    seg.set(u32, at, placed.get(i).type());
                    seg.set(u32, at + VAR_SECINFO_OFFSET, placed.get(i).offset());
                    seg.set(u32, at + 2 * VAR_SECINFO_OFFSET, placed.get(i).size());
                }
            }
            return raw;
        }

        /**
         * A global function with hidden or internal visibility (libbpf's {@code __hidden}, as in usdt.bpf.h's
         * {@code bpf_usdt_arg}) cannot be called from outside the object, so its BTF linkage becomes static, as
         * libbpf does: the verifier then checks it in its caller's context instead of on its own (where a pointer
         * argument could be NULL).
         */
        private void markHiddenFuncStatic(MemorySegment seg, ValueLayout.OfInt u32, int id) {
            if (!(btf.type(id) instanceof BtfType.Func f) || f.linkage() != BtfType.Linkage.GLOBAL) {
                return;
            }
            for (Symbol sym : symbols) {
                if (sym.isFunction() && sym.name().equals(f.name()) && (sym.visibility() == ElfConstants.STV_HIDDEN
                        || sym.visibility() == ElfConstants.STV_INTERNAL)) {
                    int info = btf.recordOffset(id) + 4;
                    seg.set(u32, info, seg.get(u32, info) & ~0xffff); // vlen holds the linkage; 0 is static
                    return;
                }
            }
        }

        // ---- maps ----

        private void readBtfMaps() {
            Section sec = elf.section(BTF_MAPS).orElse(null);
            if (sec == null) {
                return;
            }
            if (btf == null) {
                throw new ObjectFormatException(BTF_MAPS, sec.offset(),
                        "the object has a .maps section but no .BTF: BTF-defined maps need BTF (compile with -g)");
            }
            int datasecId = btf.find(BTF_MAPS, BtfKind.DATASEC).orElseThrow(() -> new ObjectFormatException(BTF_MAPS,
                    sec.offset(), "the BTF has no DATASEC '.maps' describing the map definitions"));
            BtfType.Datasec ds = (BtfType.Datasec) btf.type(datasecId);
            for (BtfType.VarSecinfo vs : ds.vars()) {
                if (!(btf.type(vs.type()) instanceof BtfType.Var var)) {
                    throw new ObjectFormatException(BTF_MAPS, sec.offset(), "the .maps DATASEC lists type "
                            + vs.type() + ", which is not a VAR");
                }
                Symbol sym = symbolIn(sec, var.name());
                MapDef def = btfMap(var.name(), var.type(), sec, false);
                maps.put(def.name(), def);
                mapSymbols.computeIfAbsent(sec.index(), k -> new TreeMap<>()).put(sym.value(), def.name());
            }
        }

        /** Decodes one BTF map definition struct (libbpf's __uint/__type/__array conventions). */
        private MapDef btfMap(String name, int typeId, Section sec, boolean inner) {
            BtfType t = btf.type(btf.resolve(typeId));
            if (!(t instanceof BtfType.Struct st)) {
                throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name + "': its definition is a "
                        + t.kind() + ", not a struct");
            }
            MapType type = MapType.UNSPEC;
            int keySize = -1;
            int valueSize = -1;
            int maxEntries = 0;
            int flags = 0;
            int numa = -1;
            long extra = 0;
            int pinning = 0;
            int keyType = 0;
            int valueType = 0;
            MapDef innerDef = null;
            for (BtfType.Member m : st.members()) {
                switch (m.name()) {
                    case "type" -> type = MapType.of(uintValue(name, m)).orElseThrow(() -> new ObjectFormatException(
                            BTF_MAPS, sec.offset(), "map '" + name + "': unknown map type " + uintValue(name, m)));
                    case "max_entries" -> maxEntries = uintValue(name, m);
                    case "map_flags" -> flags = uintValue(name, m);
                    case "numa_node" -> numa = uintValue(name, m);
                    case "key_size" -> keySize = uintValue(name, m);
                    case "value_size" -> valueSize = uintValue(name, m);
                    case "map_extra" -> extra = uintValue(name, m);
                    case "pinning" -> pinning = uintValue(name, m);
                    case "key" -> {
                        keyType = pointee(name, m);
                        keySize = sizeOf(name, "key", keyType);
                    }
                    case "value" -> {
                        valueType = pointee(name, m);
                        valueSize = sizeOf(name, "value", valueType);
                    }
                    case "values" -> {
                        // __array(values, struct inner): an array of pointers to the inner map definition (or to a
                        // function prototype for prog arrays).
                        BtfType arr = btf.type(btf.resolve(m.type()));
                        if (!(arr instanceof BtfType.Array a)) {
                            throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name
                                    + "': 'values' must be an array of pointers");
                        }
                        BtfType ptr = btf.type(btf.resolve(a.elemType()));
                        if (!(ptr instanceof BtfType.Ptr p)) {
                            throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name
                                    + "': 'values' must be an array of pointers");
                        }
                        BtfType target = btf.type(btf.resolve(p.type()));
                        if (target instanceof BtfType.Struct) {
                            if (inner) {
                                // The kernel does not nest maps of maps, and a self-reference would never end.
                                throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name
                                        + "': an inner map cannot itself hold maps");
                            }
                            innerDef = btfMap(name + ".inner", p.type(), sec, true);
                        }
                        valueSize = Integer.BYTES;
                    }
                    default -> {
                        // Unknown members are ignored as libbpf ignores them in non-strict mode.
                    }
                }
            }
            if (type == MapType.UNSPEC) {
                throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name + "' has no 'type'");
            }
            if (type.isMapOfMaps() && innerDef == null) {
                throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name
                        + "' is a map of maps but has no __array(values, ...) describing the inner map");
            }
            MapSpec spec = new MapSpec(name, type, Math.max(0, keySize), Math.max(0, valueSize), maxEntries, flags,
                    numa, extra, innerDef == null ? null : innerDef.spec(), keyType, valueType, 0);
            if (numa >= 0) {
                spec = spec.withNumaNode(numa);
            }
            MapDef.Pinning pin = pinning == LIBBPF_PIN_BY_NAME ? MapDef.Pinning.BY_NAME : MapDef.Pinning.NONE;
            if (pinning > LIBBPF_PIN_BY_NAME) {
                throw new ObjectFormatException(BTF_MAPS, sec.offset(), "map '" + name + "': unknown pinning " + pinning);
            }
            return new MapDef(name, MapDef.Origin.BTF, BTF_MAPS, spec, inner ? MapDef.Pinning.NONE : pin, null, innerDef,
                    Map.of(), 0, 0, 0);
        }

        /** The size of a key or value type; types without a size (functions, void) are the file's error. */
        private int sizeOf(String map, String what, int type) {
            long size;
            try {
                size = btf.sizeOf(type);
            } catch (IllegalArgumentException e) {
                throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map + "': the " + what + " type (id " + type
                        + ") has no size: " + e.getMessage());
            }
            if (size < 0 || size > Integer.MAX_VALUE) {
                throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map + "': " + what + " size " + size + " is absurd");
            }
            return (int) size;
        }

        /** {@code __uint(name, N)} is {@code int (*name)[N]}: a pointer to an array of N elements. */
        private int uintValue(String map, BtfType.Member m) {
            BtfType p = btf.type(btf.resolve(m.type()));
            if (p instanceof BtfType.Ptr ptr && btf.type(btf.resolve(ptr.type())) instanceof BtfType.Array a) {
                if (a.nelems() < 0 && !m.name().equals("map_flags") && !m.name().equals("map_extra")) {
                    throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map + "': '" + m.name() + "' is "
                            + Integer.toUnsignedString(a.nelems()) + ", which is absurd");
                }
                return a.nelems();
            }
            throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map + "': member '" + m.name()
                    + "' must be declared with __uint() (a pointer to an array)");
        }

        /** {@code __type(name, T)} is {@code T *name}. */
        private int pointee(String map, BtfType.Member m) {
            BtfType p = btf.type(btf.resolve(m.type()));
            if (p instanceof BtfType.Ptr ptr) {
                return ptr.type();
            }
            throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map + "': member '" + m.name()
                    + "' must be declared with __type() (a pointer to the type)");
        }

        private void readLegacyMaps() {
            Section sec = elf.section(LEGACY_MAPS).orElse(null);
            if (sec == null) {
                return;
            }
            ValueLayout.OfInt u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(elf.byteOrder());
            MemorySegment data = sec.data();
            for (Symbol sym : symbols) {
                if (sym.sectionIndex() != sec.index() || sym.name().isEmpty() || sym.isSection()) {
                    continue;
                }
                long size = sym.size();
                if (size != LIBBPF_MAP_DEF_SIZE && size != IPROUTE2_MAP_DEF_SIZE) {
                    throw new ObjectFormatException(LEGACY_MAPS, sec.offset() + sym.value(), "map '" + sym.name()
                            + "' is " + size + " bytes: neither libbpf's struct bpf_map_def (" + LIBBPF_MAP_DEF_SIZE
                            + ") nor iproute2's struct bpf_elf_map (" + IPROUTE2_MAP_DEF_SIZE + ")");
                }
                if (sym.value() < 0 || sym.value() + size > data.byteSize()) {
                    throw new ObjectFormatException(LEGACY_MAPS, sec.offset(), "map '" + sym.name()
                            + "' lies outside the maps section");
                }
                int[] f = new int[(int) size / Integer.BYTES];
                for (int i = 0; i < f.length; i++) {
                    f[i] = data.get(u32, sym.value() + (long) i * Integer.BYTES);
                }
                int typeNo = f[0];
                MapType type = MapType.of(typeNo).orElseThrow(() -> new ObjectFormatException(LEGACY_MAPS,
                        sec.offset() + sym.value(), "map '" + sym.name() + "': unknown map type " + typeNo));
                for (int i = 1; i <= 2; i++) {
                    if (f[i] < 0) {
                        throw new ObjectFormatException(LEGACY_MAPS, sec.offset() + sym.value(), "map '" + sym.name()
                                + "': " + (i == 1 ? "key" : "value") + " size " + Integer.toUnsignedString(f[i])
                                + " is absurd");
                    }
                }
                MapSpec spec = MapSpec.of(type, f[1], f[2], f[3]).withFlags(f[4]).withName(sym.name());
                spec = withLegacyBtfTypes(spec, sym.name());
                MapDef def;
                if (size == IPROUTE2_MAP_DEF_SIZE) {
                    MapDef.Pinning pin = switch (f[6]) {
                        case 0 -> MapDef.Pinning.NONE;
                        case 1 -> MapDef.Pinning.OBJECT_NS;
                        case 2 -> MapDef.Pinning.GLOBAL_NS;
                        default -> throw new ObjectFormatException(LEGACY_MAPS, sec.offset() + sym.value(), "map '"
                                + sym.name() + "': unknown iproute2 pinning " + f[6]);
                    };
                    def = new MapDef(sym.name(), MapDef.Origin.IPROUTE2, LEGACY_MAPS, spec, pin, null, null, Map.of(),
                            f[5], f[7], f[8]);
                } else {
                    def = new MapDef(sym.name(), MapDef.Origin.LEGACY, LEGACY_MAPS, spec, MapDef.Pinning.NONE, null,
                            null, Map.of(), 0, 0, 0);
                }
                maps.put(def.name(), def);
                mapSymbols.computeIfAbsent(sec.index(), k -> new TreeMap<>()).put(sym.value(), def.name());
            }
            // iproute2 map-in-map: an outer map names its inner template by id (inner_id).
            for (MapDef outer : List.copyOf(maps.values())) {
                if (outer.origin() == MapDef.Origin.IPROUTE2 && outer.spec().type().isMapOfMaps()) {
                    MapDef inner = maps.values().stream().filter(m -> m.origin() == MapDef.Origin.IPROUTE2
                            && m.iproute2Id() != 0 && m.iproute2Id() == outer.iproute2InnerId()).findFirst()
                            .orElseThrow(() -> new ObjectFormatException(LEGACY_MAPS, sec.offset(), "map '"
                                    + outer.name() + "' names inner map id " + outer.iproute2InnerId()
                                    + " but no map has that id"));
                    outer.spec(outer.spec().withInnerMap(inner.spec()));
                }
            }
        }

        /**
         * A legacy map's key and value types, when the object declares them libbpf's way
         * ({@code BPF_ANNOTATE_KV_PAIR}: a {@code struct ____btf_map_<name>} with members {@code key} and
         * {@code value}) and their sizes match the definition's.
         */
        private MapSpec withLegacyBtfTypes(MapSpec spec, String name) {
            if (btf == null) {
                return spec;
            }
            int id = btf.find("____btf_map_" + name, BtfKind.STRUCT).orElse(0);
            if (id == 0) {
                return spec;
            }
            int key = 0;
            int value = 0;
            for (BtfType.Member m : ((BtfType.Struct) btf.type(id)).members()) {
                if (m.name().equals("key")) {
                    key = m.type();
                } else if (m.name().equals("value")) {
                    value = m.type();
                }
            }
            if (key == 0 || value == 0 || btf.sizeOf(key) != spec.keySize() || btf.sizeOf(value) != spec.valueSize()) {
                throw new ObjectFormatException(LEGACY_MAPS, -1, "map '" + name + "': struct ____btf_map_" + name
                        + " must have members 'key' and 'value' of the definition's key and value sizes");
            }
            return spec.withBtfTypes(key, value);
        }

        private static boolean isDataSection(Section s) {
            String n = s.name();
            boolean named = n.equals(".data") || n.equals(".rodata") || n.equals(".bss")
                    || n.startsWith(".data.") || n.startsWith(".rodata.");
            return named && s.isAllocated() && !s.isExecutable() && s.size() > 0;
        }

        /** libbpf's internal map name: the object name's prefix and the section name, in 15 characters. */
        String internalMapName(String section) {
            int max = io.ebpf4j.kernel.Attr.OBJ_NAME_LEN - 1;
            int sfx = Math.min(Math.max(7, section.length()), max);
            int pfx = section.indexOf('.', 1) >= 0 ? 0 : Math.min(max - sfx, objectName.length());
            String raw = objectName.substring(0, pfx) + section.substring(0, Math.min(sfx, section.length()));
            StringBuilder sb = new StringBuilder(raw.length());
            for (char c : raw.toCharArray()) {
                sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
            }
            return sb.toString();
        }

        private void readDataSections() {
            for (Section s : elf.sections()) {
                if (!isDataSection(s)) {
                    continue;
                }
                String mapName = internalMapName(s.name());
                byte[] data = s.isNobits() ? new byte[(int) s.size()] : s.bytes();
                boolean readOnly = s.name().equals(".rodata") || s.name().startsWith(".rodata.");
                int flags = readOnly ? MapFlags.RDONLY_PROG : 0;
                int datasec = btf == null ? 0 : btf.find(s.name(), BtfKind.DATASEC).orElse(0);
                // As libbpf: mappable when user space can see a variable (a non-static one) of the section.
                if (datasec != 0 && hasGlobalVariable(datasec)) {
                    flags |= MapFlags.MMAPABLE;
                }
                MapSpec spec = MapSpec.of(MapType.ARRAY, Integer.BYTES, data.length, 1).withName(mapName).withFlags(flags)
                        .withBtfTypes(0, datasec);
                MapDef def = new MapDef(mapName, MapDef.Origin.DATA, s.name(), spec, MapDef.Pinning.NONE, data, null,
                        Map.of(), 0, 0, 0);
                maps.put(mapName, def);
                dataMaps.put(s.index(), mapName);
                for (Symbol sym : symbols) {
                    if (sym.sectionIndex() == s.index() && sym.type() == ElfConstants.STT_OBJECT && !sym.name().isEmpty()) {
                        if (sym.value() < 0 || sym.value() + sym.size() > data.length) {
                            throw new ObjectFormatException(s.name(), s.offset(), "variable '" + sym.name()
                                    + "' lies outside its section");
                        }
                        variables.put(sym.name(), new GlobalVariable(sym.name(), mapName, sym.value(), sym.size(), readOnly));
                    }
                }
            }
        }

        private static boolean isStructOpsSection(String name) {
            return name.equals(STRUCT_OPS) || name.startsWith(STRUCT_OPS + ".");
        }

        /**
         * struct_ops variables: each becomes a struct_ops map whose initial data is the variable's bytes; the
         * relocations of its section say which program each function-pointer member points to.
         */
        private void readStructOps() {
            for (Section s : elf.sections()) {
                if (!isStructOpsSection(s.name()) || s.isExecutable()) {
                    continue;
                }
                if (btf == null) {
                    throw new ObjectFormatException(s.name(), s.offset(), "struct_ops variables need BTF (compile with -g)");
                }
                int datasecId = btf.find(s.name(), BtfKind.DATASEC).orElseThrow(() -> new ObjectFormatException(
                        s.name(), s.offset(), "no DATASEC in the BTF describes the struct_ops section"));
                byte[] bytes = s.isNobits() ? new byte[(int) s.size()] : s.bytes();
                // Relocation offset in the section → program symbol.
                Map<Long, String> targets = new HashMap<>();
                for (Section rel : elf.relocationSections()) {
                    if (elf.target(rel).index() == s.index()) {
                        for (Relocation r : elf.relocations(rel)) {
                            targets.put(r.offset(), symbols.get(r.symbolIndex()).name());
                        }
                    }
                }
                boolean link = s.name().equals(STRUCT_OPS_LINK) || s.name().startsWith(STRUCT_OPS_LINK + ".");
                for (BtfType.VarSecinfo vs : ((BtfType.Datasec) btf.type(datasecId)).vars()) {
                    if (!(btf.type(vs.type()) instanceof BtfType.Var var)) {
                        continue;
                    }
                    int structId = btf.resolve(var.type());
                    if (!(btf.type(structId) instanceof BtfType.Struct st)) {
                        throw new ObjectFormatException(s.name(), s.offset(), "struct_ops variable '"
                                + var.name() + "' is not a struct");
                    }
                    // clang leaves DATASEC offsets zero in .BTF: the variable's symbol says where it is.
                    Symbol sym = symbols.stream().filter(x -> x.sectionIndex() == s.index() && x.name().equals(var.name()))
                            .findFirst().orElseThrow(() -> new ObjectFormatException(s.name(), s.offset(),
                                    "struct_ops variable '" + var.name() + "' has no symbol"));
                    long start = sym.value();
                    int size = (int) btf.sizeOf(structId);
                    if (start < 0 || start + size > bytes.length) {
                        throw new ObjectFormatException(s.name(), s.offset(), "struct_ops variable '" + var.name()
                                + "' lies outside its section");
                    }
                    Map<String, String> programs = new LinkedHashMap<>();
                    for (BtfType.Member m : st.members()) {
                        String target = targets.get(start + m.bitOffset() / Byte.SIZE);
                        if (target != null) {
                            programs.put(m.name(), target);
                        }
                    }
                    byte[] data = java.util.Arrays.copyOfRange(bytes, (int) start, (int) start + size);
                    // The value size and kernel type are fixed at load, against the running kernel's BTF.
                    MapSpec spec = MapSpec.of(MapType.STRUCT_OPS, Integer.BYTES, size, 1).withName(var.name())
                            .withFlags(link ? MapFlags.LINK : 0);
                    MapDef def = new MapDef(var.name(), MapDef.Origin.STRUCT_OPS, s.name(), spec, MapDef.Pinning.NONE,
                            data, null, Map.of(), 0, 0, 0).structOps(new StructOpsDef(st.name(), structId, programs, link));
                    maps.put(var.name(), def);
                }
            }
        }

        /**
         * As libbpf: kconfig externs live in an internal read-only, mmap-able array map named after the object
         * and {@code .kconfig}, its value typed by the {@code .kconfig} DATASEC; its contents are made at load.
         */
        private void addKconfigMap(List<Externs.Extern> externs) {
            int size = Externs.kconfigSize(externs);
            if (size == 0) {
                return;
            }
            String mapName = internalMapName(KCONFIG);
            int datasec = btf.find(KCONFIG, BtfKind.DATASEC).orElse(0);
            MapSpec spec = MapSpec.of(MapType.ARRAY, Integer.BYTES, size, 1).withName(mapName)
                    .withFlags(MapFlags.RDONLY_PROG | MapFlags.MMAPABLE).withBtfTypes(0, datasec);
            maps.put(mapName, new MapDef(mapName, MapDef.Origin.KCONFIG, KCONFIG, spec, MapDef.Pinning.NONE,
                    new byte[size], null, Map.of(), 0, 0, 0));
        }

        private boolean hasGlobalVariable(int datasecId) {
            for (BtfType.VarSecinfo vs : ((BtfType.Datasec) btf.type(datasecId)).vars()) {
                if (btf.type(vs.type()) instanceof BtfType.Var v && v.linkage() != BtfType.Linkage.STATIC) {
                    return true;
                }
            }
            return false;
        }

        /** Static initial slots of prog arrays and maps of maps: relocations in {@code .rel.maps}. */
        private void readStaticSlots() {
            Section sec = elf.section(BTF_MAPS).orElse(null);
            if (sec == null) {
                return;
            }
            for (Section rel : elf.relocationSections()) {
                if (elf.target(rel).index() != sec.index()) {
                    continue;
                }
                for (Relocation r : elf.relocations(rel)) {
                    var owner = mapSymbols.get(sec.index()).floorEntry(r.offset());
                    if (owner == null) {
                        throw new ObjectFormatException(rel.name(), rel.offset(), "relocation at .maps offset "
                                + r.offset() + " lies before every map definition");
                    }
                    MapDef outer = maps.get(owner.getValue());
                    int valuesOffset = valuesMemberOffset(outer);
                    long slot = (r.offset() - owner.getKey() - valuesOffset) / Long.BYTES;
                    Symbol target = symbols.get(r.symbolIndex());
                    outer.addSlot((int) slot, target.name());
                }
            }
        }

        private int valuesMemberOffset(MapDef map) {
            int datasecId = btf.find(BTF_MAPS, BtfKind.DATASEC).orElseThrow();
            for (BtfType.VarSecinfo vs : ((BtfType.Datasec) btf.type(datasecId)).vars()) {
                if (btf.type(vs.type()) instanceof BtfType.Var var && var.name().equals(map.name())
                        && btf.type(btf.resolve(var.type())) instanceof BtfType.Struct st) {
                    for (BtfType.Member m : st.members()) {
                        if (m.name().equals("values")) {
                            return m.bitOffset() / Byte.SIZE;
                        }
                    }
                }
            }
            throw new ObjectFormatException(BTF_MAPS, -1, "map '" + map.name()
                    + "' has static initial values but no 'values' member");
        }

        // ---- code ----

        private ObjectSpec.Subprograms readSubprograms() {
            Map<Integer, ObjectSpec.Subprogram> byStart = new TreeMap<>();
            Section text = elf.section(TEXT).orElse(null);
            if (text == null || text.size() == 0) {
                return new ObjectSpec.Subprograms(byStart);
            }
            List<Instruction> all = decode(text);
            Map<Integer, List<Reloc>> relocs = relocationsOf(text, all);
            for (Symbol f : functionsIn(text)) {
                int start = (int) (f.value() / Instruction.SLOT_SIZE);
                int slots = (int) (f.size() / Instruction.SLOT_SIZE);
                List<Reloc> own = shift(relocs, start, slots);
                List<Instruction> code = slice(all, start, slots);
                // A call between .text functions may carry no relocation: its immediate is already relative.
                for (int i = 0; i < code.size(); i++) {
                    Instruction insn = code.get(i);
                    final int at = i;
                    if (insn != null && insn.isCall() && insn.src() == PSEUDO_CALL
                            && own.stream().noneMatch(r -> r.insn() == at)) {
                        own.add(new Reloc.Call(i, start + i + insn.immLo() + 1));
                    }
                }
                byStart.put(start, new ObjectSpec.Subprogram(f.name(), start, slots, code, own));
            }
            return new ObjectSpec.Subprograms(byStart);
        }

        private Map<String, ProgramDef> readPrograms() {
            Map<String, ProgramDef> programs = new LinkedHashMap<>();
            for (Section s : elf.sections()) {
                if (!s.isExecutable() || s.type() != ElfConstants.SHT_PROGBITS || s.name().equals(TEXT) || s.size() == 0) {
                    continue;
                }
                SectionDefs.Match match = SectionDefs.find(s.name()).orElseThrow(() -> new ObjectFormatException(
                        s.name(), s.offset(), "unknown program section '" + s.name() + "'; did you mean "
                        + String.join(", ", SectionDefs.closest(s.name(), 3)) + "?"));
                List<Instruction> all = decode(s);
                Map<Integer, List<Reloc>> relocs = relocationsOf(s, all);
                for (Symbol f : functionsIn(s)) {
                    if (f.isLocal()) {
                        throw new ObjectFormatException(s.name(), s.offset() + f.value(), "program '" + f.name()
                                + "' is static; entry programs must be global (drop 'static')");
                    }
                    int start = (int) (f.value() / Instruction.SLOT_SIZE);
                    int slots = (int) (f.size() / Instruction.SLOT_SIZE);
                    programs.put(f.name(), new ProgramDef(f.name(), s.name(), match, slice(all, start, slots),
                            shift(relocs, start, slots), start));
                }
            }
            return programs;
        }

        private List<Symbol> functionsIn(Section s) {
            List<Symbol> out = new ArrayList<>();
            for (Symbol sym : symbols) {
                if (sym.sectionIndex() == s.index() && sym.isFunction() && !sym.name().isEmpty()) {
                    if (sym.value() % Instruction.SLOT_SIZE != 0 || sym.size() % Instruction.SLOT_SIZE != 0
                            || sym.value() + sym.size() > s.size()) {
                        throw new ObjectFormatException(s.name(), s.offset() + sym.value(), "function '" + sym.name()
                                + "' does not lie on instruction boundaries inside its section");
                    }
                    out.add(sym);
                }
            }
            out.sort(java.util.Comparator.comparingLong(Symbol::value));
            return out;
        }

        /** Decodes a section's instructions, keeping them slot-indexed: an ld_imm64's second slot is null. */
        private List<Instruction> decode(Section s) {
            List<Instruction> decoded;
            try {
                decoded = Instruction.decode(s.data(), elf.byteOrder());
            } catch (IllegalArgumentException e) {
                throw new ObjectFormatException(s.name(), s.offset(), "cannot decode instructions: " + e.getMessage());
            }
            List<Instruction> bySlot = new ArrayList<>((int) (s.size() / Instruction.SLOT_SIZE));
            for (Instruction i : decoded) {
                bySlot.add(i);
                if (i.slots() == 2) {
                    bySlot.add(null);
                }
            }
            return bySlot;
        }

        private static List<Instruction> slice(List<Instruction> bySlot, int start, int slots) {
            return new ArrayList<>(bySlot.subList(start, start + slots));
        }

        private static List<Reloc> shift(Map<Integer, List<Reloc>> bySlot, int start, int slots) {
            List<Reloc> out = new ArrayList<>();
            for (int i = start; i < start + slots; i++) {
                for (Reloc r : bySlot.getOrDefault(i, List.of())) {
                    out.add(r.at(i - start));
                }
            }
            return out;
        }

        /** Classifies each relocation of an executable section by the symbol it names. */
        private Map<Integer, List<Reloc>> relocationsOf(Section code, List<Instruction> bySlot) {
            Map<Integer, List<Reloc>> out = new HashMap<>();
            int textIndex = elf.section(TEXT).map(Section::index).orElse(-1);
            for (Section rel : elf.relocationSections()) {
                if (elf.target(rel).index() != code.index()) {
                    continue;
                }
                for (Relocation r : elf.relocations(rel)) {
                    int slot = (int) (r.offset() / Instruction.SLOT_SIZE);
                    Instruction insn = slot < bySlot.size() ? bySlot.get(slot) : null;
                    if (insn == null || r.offset() % Instruction.SLOT_SIZE != 0) {
                        throw new ObjectFormatException(rel.name(), rel.offset(), "relocation " + r.index()
                                + " points into the middle of an instruction (offset " + r.offset() + ")");
                    }
                    Symbol sym = symbols.get(r.symbolIndex());
                    Reloc reloc = classify(code, rel, r, slot, insn, sym, textIndex);
                    if (reloc != null) {
                        out.computeIfAbsent(slot, k -> new ArrayList<>()).add(reloc);
                    }
                }
            }
            return out;
        }

        private Reloc classify(Section code, Section rel, Relocation r, int slot, Instruction insn, Symbol sym,
                               int textIndex) {
            if (sym.isUndefined()) {
                return new Reloc.Extern(slot, sym.name(), insn.isCall());
            }
            if (insn.isCall()) {
                if (insn.src() != PSEUDO_CALL || sym.sectionIndex() != textIndex) {
                    throw new ObjectFormatException(rel.name(), rel.offset(), where(r, code, slot) + ": a call to '" + sym.name()
                            + "' that is neither a subprogram in .text nor an extern");
                }
                int target = (int) (sym.value() / Instruction.SLOT_SIZE + insn.immLo() + 1);
                return new Reloc.Call(slot, target);
            }
            if (!insn.isLdImm64()) {
                throw new ObjectFormatException(rel.name(), rel.offset(), where(r, code, slot) + ": names '" + sym.name()
                        + "' but the instruction is neither a call nor a 64-bit load");
            }
            // A 64-bit load of a .text function's address (clang leaves the source register plain; as libbpf,
            // we mark it BPF_PSEUDO_FUNC when linking).
            boolean textFunction = sym.sectionIndex() == textIndex && (sym.isSection() || sym.isFunction());
            if (insn.src() == PSEUDO_FUNC || textFunction) {
                if (sym.sectionIndex() != textIndex) {
                    throw new ObjectFormatException(rel.name(), rel.offset(), where(r, code, slot)
                            + ": a function address outside .text");
                }
                return new Reloc.FuncAddr(slot, (int) ((sym.value() + insn.immLo()) / Instruction.SLOT_SIZE));
            }
            TreeMap<Long, String> defs = mapSymbols.get(sym.sectionIndex());
            if (defs != null) {
                String map = defs.get(sym.value());
                if (map == null) {
                    throw new ObjectFormatException(rel.name(), rel.offset(), where(r, code, slot) + ": '" + sym.name()
                            + "' is not the start of a map definition");
                }
                return new Reloc.MapRef(slot, map);
            }
            String dataMap = dataMaps.get(sym.sectionIndex());
            if (dataMap != null) {
                return new Reloc.MapValue(slot, dataMap, sym.value() + insn.immLo());
            }
            String section = sym.sectionIndex() < elf.sections().size() && sym.hasSection()
                    ? elf.section(sym.sectionIndex()).name() : "#" + sym.sectionIndex();
            throw new ObjectFormatException(rel.name(), rel.offset(), where(r, code, slot) + ": '" + sym.name()
                    + "' lives in section '" + section + "', which is neither a map nor global data");
        }

        /** How messages name a relocation: built only when one is refused. */
        private static String where(Relocation r, Section code, int slot) {
            return "relocation " + r.index() + " of " + code.name() + " (instruction " + slot + ")";
        }

        private Symbol symbolIn(Section sec, String name) {
            for (Symbol s : symbols) {
                if (s.sectionIndex() == sec.index() && s.name().equals(name)) {
                    return s;
                }
            }
            throw new ObjectFormatException(sec.name(), sec.offset(), "BTF describes map '" + name
                    + "' but the symbol table has no such symbol in " + sec.name());
        }
    }


    static ByteOrder nativeOrder() {
        return ByteOrder.nativeOrder();
    }
}
