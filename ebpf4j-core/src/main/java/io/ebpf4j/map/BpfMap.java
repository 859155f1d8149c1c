package io.ebpf4j.map;

import io.ebpf4j.kernel.CString;
import io.ebpf4j.BpfException;
import io.ebpf4j.Errno;
import io.ebpf4j.SizeMismatchException;
import io.ebpf4j.SyscallException;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Closing;
import io.ebpf4j.kernel.Cpus;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.kernel.Scratch;
import io.ebpf4j.kernel.Libc;
import io.ebpf4j.kernel.Sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A live BPF map: owns its file descriptor, closes it on {@link #close()}. Element operations take keys and
 * values as {@link MemorySegment}s (no allocation when they are native) or as byte arrays. Sizes are checked
 * before the system call. Per-CPU maps take and return one slot per possible CPU, each 8-byte aligned.
 * <p>Element operations are safe from many threads; {@link #close()} must not race them: the kernel may give the
 * closed descriptor's number to a new object at once, and a call that read the number before the close would then
 * act on that object.
 * <p>{@link #lookup(MemorySegment, MemorySegment)} and {@link #update(MemorySegment, MemorySegment, UpdateFlag)}
 * with native segments of the map's sizes, from the thread that made the map's last lookup or update, go to the
 * kernel without saving {@code errno}, and repeat a failed call once, saving it, to learn why: such a failure
 * is two system calls. Updates do so only on hash and array maps and their per-CPU forms, whose failed update
 * changes nothing. After a lookup misses this way, the map's next 1,024 lookups save {@code errno} at once.
 */
public final class BpfMap implements AutoCloseable {
    private final Fd fd;
    /**
     * The descriptor's number and a closed flag of the map's own, for lookup and update: their hot path then
     * reads one object less than {@link Fd#get} would make it (set before the descriptor is closed).
     */
    private final int fdNumber;
    private volatile boolean closed;
    private final String name;
    private final int rawType;
    private final MapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private final int valueBufferSize;
    private final int perCpuStride;
    private volatile boolean frozen;
    /**
     * The kernel scratch of the thread that made this map's last lookup or update: while one thread keeps using
     * the map, this saves a {@code ThreadLocal} lookup per call. A plain field: a stale or racing read only means
     * the check below fails and the thread looks its own up.
     */
    private Scratch scratch;
    /**
     * Lookups on the quiet path use the kernel wrapper that does not capture errno ({@link Bpf#mapLookupQuiet})
     * and repeat a failed one with capture to learn why. After such a miss, the map's next this many lookups
     * capture at once, so that a map looked up mostly in vain pays for one repeated call per this many lookups
     * instead of one per miss. A plain field, read once per lookup: racing threads at worst make a few lookups
     * more or fewer loud.
     */
    static final int LOUD_LOOKUPS_AFTER_MISS = 1024;
    private int loudLookups;
    /** Updates skip errno capture only on maps whose failed update changes nothing (see {@link #update}). */
    private final boolean quietUpdates;
    /**
     * Whether updates and deletes may sleep in the kernel: true but for the map types whose writes only take
     * spinlocks and allocate without waiting. Those go through a critical downcall; the others (a map of maps'
     * write waits for an RCU grace period, a sock map's takes the socket's lock, a CPU map's starts a kernel
     * thread) through one that lets the JVM reach a safepoint meanwhile.
     */
    private final boolean writesMayBlock;
    private Arena mmapArena;
    private MemorySegment mapping;

    private BpfMap(Fd fd, String name, int rawType, int keySize, int valueSize, int maxEntries, int flags,
                   boolean frozen) {
        this.fd = fd;
        this.fdNumber = fd.number();
        this.name = name;
        this.rawType = rawType;
        this.type = MapType.of(rawType).orElse(MapType.UNSPEC);
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.frozen = frozen;
        this.perCpuStride = roundUp8(valueSize);
        this.valueBufferSize = type.isPerCpu() ? perCpuStride * Cpus.possibleCount() : valueSize;
        // Not LRU maps: their update may evict an element before it fails, and a repeat would evict another.
        this.quietUpdates = type == MapType.HASH || type == MapType.ARRAY || type == MapType.PERCPU_HASH
                || type == MapType.PERCPU_ARRAY;
        this.writesMayBlock = !WRITES_NEVER_SLEEP.contains(type);
    }

    private static final Set<MapType> WRITES_NEVER_SLEEP = EnumSet.of(MapType.HASH,
            MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH,
            MapType.LPM_TRIE, MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER);

    private static int roundUp8(int n) {
        return (n + 7) & ~7;
    }

    /** Creates a map. */
    public static BpfMap create(MapSpec spec) {
        return create(spec, CreateOptions.DEFAULT);
    }

    /**
     * Extra inputs for creation that are live kernel objects: the BTF the spec's type ids refer to, an inner
     * map to use instead of one made from the spec's template, a network device to offload to, a BPF token.
     */
    public record CreateOptions(int btfFd, BpfMap innerMap, int ifindex, int tokenFd) {
        public static final CreateOptions DEFAULT = new CreateOptions(0, null, 0, 0);

        public CreateOptions withBtfFd(int btfFd) {
            return new CreateOptions(btfFd, innerMap, ifindex, tokenFd);
        }

        public CreateOptions withInnerMap(BpfMap inner) {
            return new CreateOptions(btfFd, inner, ifindex, tokenFd);
        }

        public CreateOptions withTokenFd(int tokenFd) {
            return new CreateOptions(btfFd, innerMap, ifindex, tokenFd);
        }
    }

    public static BpfMap create(MapSpec spec, CreateOptions options) {
        String kernelName = kernelName(spec.name());
        String what = describe(spec.name(), spec.type());
        BpfMap innerTemplate = null;
        try {
            int innerFd = 0;
            if (options.innerMap() != null) {
                innerFd = options.innerMap().fd.get();
            } else if (spec.innerMap() != null) {
                innerTemplate = create(spec.innerMap().withName(spec.name().isEmpty() ? "inner" : kernelName + ".inner"));
                innerFd = innerTemplate.fd.get();
            }
            List<String> problems = spec.type().problems(spec);
            String hint = problems.isEmpty() ? null : "suspicious: " + String.join("; ", problems);
            int numa = (spec.flags() & MapFlags.NUMA_NODE) != 0 ? spec.numaNode() : 0;
            int flags = spec.flags() | (options.tokenFd() != 0 ? MapFlags.TOKEN_FD : 0);
            Fd fd = Bpf.mapCreate(new Bpf.MapCreate(spec.type().value(), spec.keySize(), spec.valueSize(),
                    spec.maxEntries(), flags, innerFd, numa, kernelName, options.ifindex(), options.btfFd(),
                    spec.btfKeyTypeId(), spec.btfValueTypeId(), spec.btfVmlinuxValueTypeId(), spec.mapExtra(), 0,
                    options.tokenFd()), what, hint);
            try {
                return new BpfMap(fd, spec.name(), spec.type().value(), spec.keySize(), spec.valueSize(),
                        spec.maxEntries(), spec.flags(), false);
            } catch (RuntimeException | Error e) { // a per-CPU map reads the possible CPUs here, which can fail
                Closing.closeAllAfter(e, fd);
                throw e;
            }
        } finally {
            if (innerTemplate != null) {
                innerTemplate.close();
            }
        }
    }

    /** The name the kernel keeps: at most 15 characters from {@code [A-Za-z0-9_.]}. */
    public static String kernelName(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length() && sb.length() < Attr.OBJ_NAME_LEN - 1; i++) {
            char c = name.charAt(i);
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
        }
        return sb.toString();
    }

    private static String describe(String name, MapType type) {
        return "map '" + (name.isEmpty() ? "(unnamed)" : name) + "' (" + type.displayName() + ")";
    }

    /** Opens a map pinned in bpffs. */
    public static BpfMap openPinned(Path path) {
        return openPinned(path, false);
    }

    /** Opens a pinned map, read-only when asked (then updates fail with EPERM). */
    public static BpfMap openPinned(Path path, boolean readOnly) {
        Fd fd = Bpf.objGet(path.toString(), readOnly ? Bpf.BPF_F_RDONLY : 0).requireKind(Fd.Kind.MAP, "'" + path + "'");
        return fromFd(fd, "pinned map '" + path + "'");
    }

    /** Opens an existing map by its kernel id. */
    public static BpfMap fromId(int id) {
        return fromFd(Bpf.fdById(BpfCmd.MAP_GET_FD_BY_ID, id, 0, "map"), "map id " + id);
    }

    /** Every map id the kernel has now, in order. */
    public static List<Integer> ids() {
        return Bpf.allIds(BpfCmd.MAP_GET_NEXT_ID);
    }

    private static BpfMap fromFd(Fd fd, String what) {
        try {
            MapInfo info = info(fd.get(), what);
            return new BpfMap(fd, info.name(), info.rawType(), info.keySize(), info.valueSize(), info.maxEntries(),
                    info.flags(), info.frozen());
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    // ---- what it is ----

    public String name() {
        return name;
    }

    /** The type; {@link MapType#UNSPEC} for a type newer than ebpf4j (see {@link #info()}). */
    public MapType type() {
        return type;
    }

    public int keySize() {
        return keySize;
    }

    public int valueSize() {
        return valueSize;
    }

    /** The bytes a value buffer must have: {@code valueSize}, or one 8-byte-aligned slot per CPU. */
    public int valueBufferSize() {
        return valueBufferSize;
    }

    public int maxEntries() {
        return maxEntries;
    }

    public int flags() {
        return flags;
    }

    /** The file descriptor, for code that passes it to the kernel (e.g. a loader patching instructions). */
    public int fd() {
        return fd.get();
    }

    public int id() {
        return info().id();
    }

    public MapInfo info() {
        return info(fd.get(), describe(name, type));
    }

    private static MapInfo info(int fd, String what) {
        var l = Attr.MAP_INFO;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(l.layout());
            Bpf.objInfo(fd, s, what);
            return new MapInfo(s.get(ValueLayout.JAVA_INT, l.offset("id")), s.get(ValueLayout.JAVA_INT, l.offset("type")),
                    CString.of(s.asSlice(l.offset("name"), Attr.OBJ_NAME_LEN)),
                    s.get(ValueLayout.JAVA_INT, l.offset("key_size")), s.get(ValueLayout.JAVA_INT, l.offset("value_size")),
                    s.get(ValueLayout.JAVA_INT, l.offset("max_entries")), s.get(ValueLayout.JAVA_INT, l.offset("map_flags")),
                    s.get(ValueLayout.JAVA_INT, l.offset("ifindex")), s.get(ValueLayout.JAVA_INT, l.offset("btf_id")),
                    s.get(ValueLayout.JAVA_INT, l.offset("btf_key_type_id")),
                    s.get(ValueLayout.JAVA_INT, l.offset("btf_value_type_id")),
                    s.get(ValueLayout.JAVA_INT, l.offset("btf_vmlinux_value_type_id")),
                    s.get(ValueLayout.JAVA_LONG, l.offset("map_extra")), fdInfoFrozen(fd));
        }
    }

    /** {@code frozen} is not in the info struct; the kernel shows it in the fd's fdinfo. */
    private static boolean fdInfoFrozen(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("frozen:")) {
                    return line.substring("frozen:".length()).trim().equals("1");
                }
            }
        } catch (IOException e) {
            // fdinfo is informational only.
        }
        return false;
    }


    // ---- element operations on segments ----

    /** The descriptor for lookup and update; throws, naming the map, once it is closed. */
    private int liveFd() {
        return closed ? fd.get() : fdNumber;
    }

    /** The calling thread's kernel scratch, from the one-entry cache when this thread made the last call. */
    private Scratch scratch() {
        Scratch s = scratch;
        if (s == null || !s.isCurrentThread()) {
            s = Scratch.get();
            scratch = s;
        }
        return s;
    }

    private MemorySegment checkKey(MemorySegment key) {
        if (key.byteSize() != keySize) {
            throw new SizeMismatchException("key for " + describe(name, type), keySize, key.byteSize());
        }
        return key.isNative() ? key : Bpf.scratchKey(keySize).copyFrom(key);
    }

    private void checkValue(MemorySegment value) {
        if (value.byteSize() != valueBufferSize) {
            throw new SizeMismatchException((type.isPerCpu() ? "per-CPU value buffer for " : "value for ")
                    + describe(name, type), valueBufferSize, value.byteSize());
        }
    }

    /**
     * A segment the kernel would write into must be writable: the kernel does not see {@code asReadOnly()}, and
     * a value popped or deleted into nothing would be lost.
     */
    private void checkWritable(MemorySegment s, String role, BpfCmd cmd) {
        // The command, not its name: building the name on every call would allocate on the hot path.
        if (s.isReadOnly()) {
            throw new IllegalArgumentException("the " + role + " segment passed to " + cmd.uapiName() + " on "
                    + describe(name, type)
                    + " is read-only, but the kernel writes into it: pass a writable segment");
        }
    }

    /**
     * The linker refuses a key or value segment that is closed or confined to another thread (they are passed to
     * the system call so that it keeps them alive while the kernel uses them); this names which one, and why.
     */
    private RuntimeException refused(RuntimeException e, String op, String keyRole, MemorySegment key,
            String valueRole, MemorySegment value) {
        for (int i = 0; i < 2; i++) {
            MemorySegment s = i == 0 ? key : value;
            if (s == null) {
                continue;
            }
            String what = "the " + (i == 0 ? keyRole : valueRole) + " segment passed to " + op + " on "
                    + describe(name, type);
            if (!s.scope().isAlive()) {
                return new IllegalStateException(what + " belongs to an arena that is already closed: allocate it "
                        + "from one that is still open", e);
            }
            if (!s.isAccessibleBy(Thread.currentThread())) {
                return new WrongThreadException(what + " is confined to another thread: use it from that thread, or "
                        + "allocate it from a shared arena", e);
            }
        }
        return e;
    }

    private BpfException failure(BpfCmd cmd, int errno) {
        String hint = null;
        if (errno == Errno.E2BIG.number() && cmd == BpfCmd.MAP_UPDATE_ELEM) {
            hint = "the map is full (max_entries " + maxEntries + "): delete elements or create it larger";
        } else if (errno == Errno.EPERM.number() && (cmd == BpfCmd.MAP_UPDATE_ELEM || cmd == BpfCmd.MAP_DELETE_ELEM)
                && frozen) {
            hint = "the map is frozen: user space can no longer change it";
        } else if (errno == Errno.EINVAL.number() && cmd == BpfCmd.MAP_DELETE_ELEM && type.isArray()) {
            hint = "elements of array maps cannot be deleted";
        } else if (cmd == BpfCmd.MAP_LOOKUP_ELEM || cmd == BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM) {
            hint = type.unreadableValues(valueSize).orElse(null);
        }
        RuntimeException e = Bpf.failure(cmd, null, null, 0, errno, describe(name, type), hint);
        return e instanceof BpfException b ? b : new BpfException(e.getMessage(), e);
    }

    /**
     * Reads the value of {@code key} into {@code value}; false when there is no such key. A native
     * {@code value} is written in place; a heap one is filled from a per-thread buffer.
     */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        Scratch s = scratch;
        int loud = loudLookups; // read once: racing threads must not be able to push it below zero
        if (loud <= 0 && fitsQuietPath(s, key, value) && !value.isReadOnly()) {
            boolean found;
            try {
                found = Bpf.mapLookupQuiet(s, fdNumber, key, value);
            } catch (IllegalStateException | WrongThreadException e) {
                throw refused(e, BpfCmd.MAP_LOOKUP_ELEM.uapiName(), "key", key, "value", value);
            }
            if (found) {
                return true;
            }
            loudLookups = LOUD_LOOKUPS_AFTER_MISS; // counted from the next lookup: this one repeats below
        } else if (loud > 0) {
            loudLookups = loud - 1;
        }
        return read(BpfCmd.MAP_LOOKUP_ELEM, checkKey(key), value);
    }

    /**
     * Whether a lookup or update can go straight to the kernel: this thread made the map's last call, the map is
     * open, and the segments are native and of the map's sizes. Anything else takes the long way, which checks,
     * copies and explains. Kept small: the quiet path is meant to be inlined into the caller.
     */
    private boolean fitsQuietPath(Scratch s, MemorySegment key, MemorySegment value) {
        return s != null && s.isCurrentThread() && !closed && key.byteSize() == keySize
                && value.byteSize() == valueBufferSize && key.isNative() && value.isNative();
    }

    /** How many of the next lookups capture errno at once (for tests). */
    int loudLookups() {
        return loudLookups;
    }

    /** Whether updates may take the quiet path (for tests). */
    boolean takesQuietUpdates() {
        return quietUpdates;
    }

    /** Whether updates and deletes go through the downcall that lets the JVM reach a safepoint (for tests). */
    boolean writesMayBlock() {
        return writesMayBlock;
    }

    /**
     * A command that reads a value ({@code key} already checked, or NULL for keyless maps): into {@code value}
     * in place when it is native, else through the per-thread buffer. False when the kernel says ENOENT.
     */
    private boolean read(BpfCmd cmd, MemorySegment key, MemorySegment value) {
        checkValue(value);
        checkWritable(value, "value", cmd);
        MemorySegment v = value.isNative() ? value : Bpf.scratchValue(valueBufferSize);
        int errno;
        try {
            errno = cmd == BpfCmd.MAP_LOOKUP_ELEM ? Bpf.mapLookup(scratch(), liveFd(), key, v, 0)
                    : Bpf.mapLookupAndDelete(fd.get(), key, v, 0);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, cmd.uapiName(), "key", key, "value", v);
        }
        if (errno == 0) {
            if (v != value) {
                value.copyFrom(v);
            }
            return true;
        }
        if (errno == Errno.ENOENT.number()) {
            return false;
        }
        throw failure(cmd, errno);
    }

    /** Writes {@code value} under {@code key}, creating or replacing it. */
    public void update(MemorySegment key, MemorySegment value) {
        update(key, value, UpdateFlag.ANY);
    }

    /**
     * Writes {@code value} under {@code key}. With {@link UpdateFlag#NOEXIST} an existing key throws a
     * {@link io.ebpf4j.SyscallException} with EEXIST; with {@link UpdateFlag#EXIST} a missing one, ENOENT.
     */
    public void update(MemorySegment key, MemorySegment value, UpdateFlag flag) {
        Scratch s = scratch;
        // A failed update is an exception, rare enough to pay for a second call that learns the errno.
        if (quietUpdates && fitsQuietPath(s, key, value)) {
            boolean done;
            try {
                done = Bpf.mapUpdateQuiet(s, fdNumber, key, value, flag.value());
            } catch (IllegalStateException | WrongThreadException e) {
                throw refused(e, BpfCmd.MAP_UPDATE_ELEM.uapiName(), "key", key, "value", value);
            }
            if (done) {
                return;
            }
        }
        updateChecked(key, value, flag);
    }

    /** The long way of {@link #update}: checks and copies, and the errno of a failure. */
    private void updateChecked(MemorySegment key, MemorySegment value, UpdateFlag flag) {
        MemorySegment k = checkKey(key);
        checkValue(value);
        MemorySegment v = value.isNative() ? value : Bpf.scratchValue(valueBufferSize).copyFrom(value);
        int errno;
        try {
            errno = Bpf.mapUpdate(scratch(), liveFd(), k, v, flag.value(), writesMayBlock);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, BpfCmd.MAP_UPDATE_ELEM.uapiName(), "key", k, "value", v);
        }
        if (errno != 0) {
            throw failure(BpfCmd.MAP_UPDATE_ELEM, errno);
        }
    }

    /** Deletes {@code key}; false when it was not there. */
    public boolean delete(MemorySegment key) {
        MemorySegment k = checkKey(key);
        int errno;
        try {
            errno = Bpf.mapDelete(fd.get(), k, 0, writesMayBlock);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, BpfCmd.MAP_DELETE_ELEM.uapiName(), "key", k, "value", null);
        }
        if (errno == 0) {
            return true;
        }
        if (errno == Errno.ENOENT.number()) {
            return false;
        }
        throw failure(BpfCmd.MAP_DELETE_ELEM, errno);
    }

    /** Reads and deletes {@code key} in one step; false when it was not there. */
    public boolean lookupAndDelete(MemorySegment key, MemorySegment value) {
        return read(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, keySize == 0 ? MemorySegment.NULL : checkKey(key), value);
    }

    /**
     * Writes the key after {@code key} into {@code next} ({@code key} null for the first); false at the end.
     */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        if (next.byteSize() != keySize) {
            throw new SizeMismatchException("next-key buffer for " + describe(name, type), keySize, next.byteSize());
        }
        MemorySegment k = key == null ? MemorySegment.NULL : checkKey(key);
        checkWritable(next, "next-key", BpfCmd.MAP_GET_NEXT_KEY);
        MemorySegment n = next.isNative() ? next : Bpf.scratchValue(keySize);
        int errno;
        try {
            errno = Bpf.mapGetNextKey(fd.get(), k, n);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, BpfCmd.MAP_GET_NEXT_KEY.uapiName(), "key", k, "next-key", n);
        }
        if (errno == 0) {
            if (n != next) {
                next.copyFrom(n);
            }
            return true;
        }
        if (errno == Errno.ENOENT.number()) {
            return false;
        }
        throw failure(BpfCmd.MAP_GET_NEXT_KEY, errno);
    }

    // ---- queues, stacks, bloom filters ----

    /** Pushes onto a queue or stack, or adds to a bloom filter. */
    public void push(MemorySegment value) {
        checkValue(value);
        MemorySegment v = value.isNative() ? value : Bpf.scratchValue(valueBufferSize).copyFrom(value);
        int errno;
        try {
            errno = Bpf.mapUpdate(Scratch.get(), fd.get(), MemorySegment.NULL, v, 0, writesMayBlock);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, BpfCmd.MAP_UPDATE_ELEM.uapiName(), "key", null, "value", v);
        }
        if (errno != 0) {
            throw failure(BpfCmd.MAP_UPDATE_ELEM, errno);
        }
    }

    /** Pops from a queue or stack; false when it is empty. */
    public boolean pop(MemorySegment value) {
        return lookupAndDelete(MemorySegment.NULL, value);
    }

    /** Reads the head of a queue or stack without removing it, or asks a bloom filter (true: maybe present). */
    public boolean peek(MemorySegment value) {
        return read(BpfCmd.MAP_LOOKUP_ELEM, MemorySegment.NULL, value);
    }

    // ---- byte arrays ----

    /** The value of {@code key}, if present. Per-CPU maps return all slots back to back. */
    public Optional<byte[]> lookup(byte[] key) {
        MemorySegment v = Bpf.scratchValue(valueBufferSize);
        MemorySegment k = Bpf.scratchKey(keySize);
        if (key.length != keySize) {
            throw new SizeMismatchException("key for " + describe(name, type), keySize, key.length);
        }
        MemorySegment.copy(key, 0, k, ValueLayout.JAVA_BYTE, 0, keySize);
        int errno = Bpf.mapLookup(fd.get(), k, v, 0);
        if (errno == 0) {
            return Optional.of(v.toArray(ValueLayout.JAVA_BYTE));
        }
        if (errno == Errno.ENOENT.number()) {
            return Optional.empty();
        }
        throw failure(BpfCmd.MAP_LOOKUP_ELEM, errno);
    }

    public void update(byte[] key, byte[] value) {
        update(key, value, UpdateFlag.ANY);
    }

    public void update(byte[] key, byte[] value, UpdateFlag flag) {
        update(MemorySegment.ofArray(key), MemorySegment.ofArray(value), flag);
    }

    public boolean delete(byte[] key) {
        return delete(MemorySegment.ofArray(key));
    }

    /** Every key, in the kernel's order; a concurrent change may skip or repeat keys, as with bpftool. */
    public Iterable<byte[]> keys() {
        return () -> new Iterator<>() {
            private final MemorySegment cur = Arena.ofAuto().allocate(Math.max(1, keySize), 8).asSlice(0, keySize);
            private boolean first = true;
            private Boolean hasNext;

            @Override
            public boolean hasNext() {
                if (hasNext == null) {
                    hasNext = nextKey(first ? null : cur, cur);
                    first = false;
                }
                return hasNext;
            }

            @Override
            public byte[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                hasNext = null;
                return cur.toArray(ValueLayout.JAVA_BYTE);
            }
        };
    }

    /**
     * Calls {@code action} with each key and value (views valid only during the call). Hash, array and LPM trie
     * maps (and their per-CPU and map-in-map forms) are read in batches of {@value #FOR_EACH_CHUNK} elements
     * ({@code BPF_MAP_LOOKUP_BATCH}; more when one hash bucket holds more), other maps key by key; a value may
     * thus be up to one batch older than the call that sees it.
     */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        if (!forEachByBatch(action)) {
            forEachByKeys(action);
        }
    }

    /** {@link #forEach} key by key: {@code BPF_MAP_GET_NEXT_KEY}, then a lookup (a key deleted meanwhile is skipped). */
    private void forEachByKeys(BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(Math.max(1, keySize), 8).asSlice(0, keySize);
            MemorySegment value = arena.allocate(Math.max(1, valueBufferSize), 8).asSlice(0, valueBufferSize);
            boolean more = nextKey(null, key);
            while (more) {
                if (lookup(key, value)) {
                    action.accept(key, value);
                }
                more = nextKey(key, key);
            }
        }
    }

    /** Elements per batch call of {@link #forEach} and {@link #entries}: few system calls, buffers of tens of KB. */
    static final int FOR_EACH_CHUNK = 1024;

    /** {@link #forEach} by batches; false, having called nothing, when the map is not read by batches. */
    private boolean forEachByBatch(BiConsumer<MemorySegment, MemorySegment> action) {
        try (Arena arena = Arena.ofConfined()) {
            Chunks chunks = new Chunks(arena);
            while (!chunks.done()) {
                int n = chunks.read();
                if (n < 0) {
                    return false;
                }
                for (int i = 0; i < n; i++) {
                    action.accept(chunks.key(i), chunks.value(i));
                }
            }
            return true;
        }
    }

    /**
     * Every element as a copy of its key and value, in the kernel's order, read lazily as {@link #forEach} reads
     * them: in batches where it can, so that a hash map of a million elements takes a thousand system calls, not
     * two million. As with {@link #forEach}, a value may be up to one batch older than when it is handed out. An
     * iterator left unfinished holds only memory the garbage collector frees.
     */
    public Iterable<Map.Entry<byte[], byte[]>> entries() {
        return Entries::new;
    }

    /** The batch loop behind {@link #forEach} and {@link #entries}: a cursor and buffers that grow on ENOSPC. */
    private final class Chunks {
        private final Arena arena;
        private final BatchCursor cursor;
        private int chunk = FOR_EACH_CHUNK;
        private MemorySegment keys;
        private MemorySegment values;
        private boolean started;

        Chunks(Arena arena) {
            this(arena, new BatchCursor(keySize, arena));
        }

        /** Goes on from where {@code cursor} stands. */
        Chunks(Arena arena, BatchCursor cursor) {
            this.arena = arena;
            this.cursor = cursor;
            this.started = cursor.started;
            allocate();
        }

        private void allocate() {
            keys = arena.allocate((long) chunk * Math.max(1, keySize), 8);
            values = arena.allocate((long) chunk * Math.max(1, valueBufferSize), 8);
        }

        boolean done() {
            return cursor.isDone();
        }

        /**
         * Reads the next batch; its size (0 at the end), or -1, before the first batch, when the map is not read
         * by batches (see {@link #BATCH_READABLE}) or the kernel has no batch operations for it.
         */
        int read() {
            if (!started && !BATCH_READABLE.contains(type)) {
                return -1;
            }
            while (true) {
                try {
                    int n = lookupBatch(cursor, keys, values, chunk);
                    started = true;
                    return n;
                } catch (SyscallException e) {
                    if (!started && batchUnsupported(e.errnoNumber())) {
                        return -1;
                    }
                    if (e.errnoNumber() != Errno.ENOSPC.number()) {
                        throw e;
                    }
                    // One hash bucket holds more than a chunk: read it again with room for twice as many.
                    chunk *= 2;
                    allocate();
                }
            }
        }

        MemorySegment key(int i) {
            return keys.asSlice((long) i * keySize, keySize);
        }

        MemorySegment value(int i) {
            return values.asSlice((long) i * valueBufferSize, valueBufferSize);
        }
    }

    private final class Entries implements Iterator<Map.Entry<byte[], byte[]>> {
        private final Chunks chunks = new Chunks(Arena.ofAuto());
        private int n;
        private int pos;
        /** Set when the map has no batch operations. */
        private Iterator<byte[]> byKeys;
        private Map.Entry<byte[], byte[]> pending;

        @Override
        public boolean hasNext() {
            while (byKeys == null && pos == n && !chunks.done()) {
                n = chunks.read();
                pos = 0;
                if (n < 0) {
                    n = 0;
                    byKeys = keys().iterator();
                }
            }
            if (byKeys == null) {
                return pos < n;
            }
            while (pending == null && byKeys.hasNext()) {
                byte[] key = byKeys.next();
                lookup(key).ifPresent(v -> pending = Map.entry(key, v)); // absent: deleted since its key was read
            }
            return pending != null;
        }

        @Override
        public Map.Entry<byte[], byte[]> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (byKeys != null) {
                Map.Entry<byte[], byte[]> e = pending;
                pending = null;
                return e;
            }
            Map.Entry<byte[], byte[]> e = Map.entry(chunks.key(pos).toArray(ValueLayout.JAVA_BYTE),
                    chunks.value(pos).toArray(ValueLayout.JAVA_BYTE));
            pos++;
            return e;
        }
    }

    // ---- per-CPU values ----

    /** Number of slots in a per-CPU value (possible CPUs); 1 for other maps. */
    public int cpuSlots() {
        return type.isPerCpu() ? valueBufferSize / perCpuStride : 1;
    }

    /** The value of {@code key} on each possible CPU, or empty when the key is absent. */
    public Optional<List<byte[]>> lookupPerCpu(byte[] key) {
        return lookup(key).map(all -> {
            List<byte[]> out = new ArrayList<>(cpuSlots());
            for (int c = 0; c < cpuSlots(); c++) {
                byte[] slot = new byte[valueSize];
                System.arraycopy(all, c * perCpuStride, slot, 0, valueSize);
                out.add(slot);
            }
            return out;
        });
    }

    /** Writes one value per possible CPU. */
    public void updatePerCpu(byte[] key, List<byte[]> values, UpdateFlag flag) {
        if (values.size() != cpuSlots()) {
            throw new SizeMismatchException("per-CPU value list for " + describe(name, type) + " (one per possible CPU)",
                    cpuSlots(), values.size());
        }
        byte[] all = new byte[valueBufferSize];
        for (int c = 0; c < values.size(); c++) {
            byte[] v = values.get(c);
            if (v.length != valueSize) {
                throw new SizeMismatchException("value for CPU " + c + " of " + describe(name, type), valueSize, v.length);
            }
            System.arraycopy(v, 0, all, c * perCpuStride, valueSize);
        }
        update(key, all, flag);
    }

    // ---- batches ----

    private int batch(BpfCmd cmd, BatchCursor cursor, MemorySegment keys, MemorySegment values, int count, long elemFlags) {
        if (count < 0 || keys.byteSize() < (long) count * keySize) {
            throw new SizeMismatchException("keys buffer for " + count + " keys of " + describe(name, type),
                    (long) count * keySize, keys.byteSize());
        }
        if (values != null && values.byteSize() < (long) count * valueBufferSize) {
            throw new SizeMismatchException("values buffer for " + count + " values of " + describe(name, type),
                    (long) count * valueBufferSize, values.byteSize());
        }
        if (!keys.isNative() || values != null && !values.isNative()) {
            throw new IllegalArgumentException("batch buffers must be native memory (allocate them from an Arena)");
        }
        if (cmd == BpfCmd.MAP_LOOKUP_BATCH || cmd == BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH) {
            checkWritable(keys, "keys", cmd);
            if (values != null) {
                checkWritable(values, "values", cmd);
            }
        }
        if (cursor != null && !cursor.out.scope().isAlive()) {
            throw new IllegalStateException("the batch cursor passed to " + cmd.uapiName() + " on "
                    + describe(name, type) + " is closed: start a new one");
        }
        MemorySegment in = cursor == null || !cursor.started ? MemorySegment.NULL : cursor.in;
        MemorySegment out = cursor == null ? MemorySegment.NULL : cursor.out;
        Bpf.BatchResult r;
        try {
            r = Bpf.mapBatch(cmd, fd.get(), in, out, keys, values == null ? MemorySegment.NULL : values, count,
                    elemFlags);
        } catch (IllegalStateException | WrongThreadException e) {
            throw refused(e, cmd.uapiName(), "keys", keys, "values", values);
        }
        if (r.errno() == Errno.ENOENT.number() && cursor != null) {
            cursor.done = true;
            return r.count();
        }
        if (r.errno() != 0) {
            String hint = r.errno() == Errno.ENOSPC.number()
                    ? "a hash bucket holds more elements than the batch: call again with a larger count" : null;
            if (r.errno() == Errno.EINVAL.number() || r.errno() == Errno.ENOTSUPP.number()
                    || r.errno() == Errno.EOPNOTSUPP.number()) {
                hint = "batch operations are not supported for " + type.displayName() + " maps on this kernel";
            }
            RuntimeException e = Bpf.failure(cmd, null, null, 0, r.errno(), describe(name, type), hint);
            throw e;
        }
        if (cursor != null) {
            cursor.advance();
        }
        return r.count();
    }

    /**
     * Reads up to {@code count} elements from where {@code cursor} stands into {@code keys} and {@code values}
     * (native, {@code count × keySize} and {@code count × valueBufferSize} bytes); returns how many it read.
     */
    public int lookupBatch(BatchCursor cursor, MemorySegment keys, MemorySegment values, int count) {
        return batch(BpfCmd.MAP_LOOKUP_BATCH, cursor, keys, values, count, 0);
    }

    /** As {@link #lookupBatch}, deleting what it read. */
    public int lookupAndDeleteBatch(BatchCursor cursor, MemorySegment keys, MemorySegment values, int count) {
        return batch(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, cursor, keys, values, count, 0);
    }

    /** Writes {@code count} elements; returns how many were written. */
    public int updateBatch(MemorySegment keys, MemorySegment values, int count, UpdateFlag flag) {
        return batch(BpfCmd.MAP_UPDATE_BATCH, null, keys, values, count, flag.value());
    }

    /** Deletes {@code count} keys; returns how many were deleted. */
    public int deleteBatch(MemorySegment keys, int count) {
        return batch(BpfCmd.MAP_DELETE_BATCH, null, keys, null, count, 0);
    }

    // ---- the whole map ----

    /** How {@link #lookupAll} read the map: in the kernel, by batches, or key by key. */
    enum WalkMethod { KERNEL_WALK, BATCH, KEYS }

    /**
     * Map types read by batches when read whole: their batch walk meets only elements that are there. (An array
     * of maps has batches too, but an empty slot stops them with EINTR; such maps are read key by key.)
     */
    private static final Set<MapType> BATCH_READABLE = EnumSet.of(MapType.HASH, MapType.PERCPU_HASH,
            MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.HASH_OF_MAPS, MapType.ARRAY, MapType.PERCPU_ARRAY,
            MapType.LPM_TRIE);

    /** The kernel walk of {@link #lookupAll}, made on its first call; guarded by {@code this}. */
    private MapWalk walk;
    /** Why {@link #lookupAll} does not walk this map in the kernel, once a load was refused; else null. */
    private String walkRefused;
    /** How the last {@link #lookupAll} read the map (for tests). */
    volatile WalkMethod lastWalkMethod;

    /** Why the kernel refused the walk program for this map, or null (for tests and diagnostics). */
    synchronized String walkRefused() {
        return walkRefused;
    }

    /**
     * Reads every element of the map: keys into {@code keys} and values into {@code values}, packed as
     * {@link #lookupBatch} packs them ({@code keySize} and {@link #valueBufferSize()} bytes apart), and returns
     * how many there are. The buffers need room for every element the map holds ({@link #maxEntries()} of them
     * at most); heap and native segments both work.
     * <p>Hash, LRU hash and array maps whose values hold no special field ({@code bpf_spin_lock}, timers, kptrs,
     * ...) are read with one system call: the first call loads a small syscall program that walks the map inside
     * the kernel ({@code bpf_for_each_map_elem}) into two memory-mapped arrays with room for every element, kept
     * until the map is closed (about {@code maxEntries × (keySize + valueSize)} bytes of kernel memory, for maps
     * of up to 4,194,304 entries and 64 MiB). Other maps, and any map where the kernel refuses that program
     * (it needs CAP_BPF and Linux 5.14), are read with {@code BPF_MAP_LOOKUP_BATCH} (hash, array and LPM trie
     * maps and their per-CPU forms) or key by key. As with batches, elements changed during the walk may be seen
     * old or new.
     *
     * @return the number of elements read
     * @throws SizeMismatchException if the buffers have no room for all of the map's elements (it says how many
     *         there are); the map is unchanged
     * @throws BpfException for maps without keys (queues, stacks, ring buffers, bloom filters, arenas), and for
     *         maps user space may not read
     */
    public synchronized int lookupAll(MemorySegment keys, MemorySegment values) {
        fd.get(); // a closed map fails here, before anything is made for it
        if (type.isKeyless() || keySize == 0 || valueBufferSize == 0) {
            throw new BpfException(describe(name, type) + " has no keys and values to read: "
                    + (type.isKeyless() ? "read it with pop() or peek()" : "there is nothing to read"));
        }
        checkWritable(keys, "keys", BpfCmd.MAP_LOOKUP_BATCH);
        checkWritable(values, "values", BpfCmd.MAP_LOOKUP_BATCH);
        long room = Math.min(keys.byteSize() / keySize, values.byteSize() / valueBufferSize);
        MapWalk w = kernelWalk();
        if (w != null) {
            long total = w.walk(keys, values, room, keySize, valueSize, describe(name, type));
            if (total > room) {
                throw tooMany(keys, values, total);
            }
            lastWalkMethod = WalkMethod.KERNEL_WALK;
            return (int) total;
        }
        try (Arena arena = Arena.ofConfined()) {
            // The kernel writes batches into native memory only: stage heap buffers (no larger than the map).
            long stage = Math.min(room, maxEntries);
            MemorySegment k = keys.isNative() ? keys : arena.allocate(stage * keySize, 8);
            MemorySegment v = values.isNative() ? values : arena.allocate(stage * valueBufferSize, 8);
            long limit = keys.isNative() && values.isNative() ? room : stage;
            long n = BATCH_READABLE.contains(type) ? lookupAllByBatch(k, v, limit) : -1;
            lastWalkMethod = WalkMethod.BATCH;
            if (n < 0) {
                n = lookupAllByKeys(k, v, limit);
                lastWalkMethod = WalkMethod.KEYS;
            }
            if (n > room) {
                throw tooMany(keys, values, n);
            }
            if (k != keys) {
                MemorySegment.copy(k, 0, keys, 0, n * keySize);
            }
            if (v != values) {
                MemorySegment.copy(v, 0, values, 0, n * valueBufferSize);
            }
            return (int) n;
        }
    }

    /**
     * The kernel walk, with room for every element the map can hold, or null where there is none. A refusal is
     * kept (the next call would meet it again), except for want of memory, which may pass.
     */
    private MapWalk kernelWalk() {
        if (walk != null || walkRefused != null || !MapWalk.suits(type, keySize, valueSize, maxEntries, flags)) {
            return walk;
        }
        try {
            walk = MapWalk.load(this, maxEntries);
        } catch (SyscallException e) {
            if (e.errnoNumber() != Errno.ENOMEM.number()) {
                walkRefused = e.getMessage();
            }
        } catch (BpfException e) {
            walkRefused = e.getMessage();
        }
        return walk;
    }

    private SizeMismatchException tooMany(MemorySegment keys, MemorySegment values, long total) {
        String what = " buffer passed to lookupAll on " + describe(name, type) + ", which holds " + total
                + " elements,";
        return keys.byteSize() < total * keySize
                ? new SizeMismatchException("the keys" + what, total * keySize, keys.byteSize())
                : new SizeMismatchException("the values" + what, total * valueBufferSize, values.byteSize());
    }

    /**
     * Reads by batches into native {@code keys} and {@code values} with room for {@code room} elements; returns
     * how many the map holds (more than {@code room} when they did not fit, the rest only counted), or -1 when
     * the map has no batch operations.
     */
    private long lookupAllByBatch(MemorySegment keys, MemorySegment values, long room) {
        try (Arena arena = Arena.ofConfined(); BatchCursor cursor = new BatchCursor(keySize)) {
            long n = 0;
            try {
                while (!cursor.isDone() && n < room) {
                    n += lookupBatch(cursor, keys.asSlice(n * keySize), values.asSlice(n * valueBufferSize),
                            (int) Math.min(room - n, Integer.MAX_VALUE));
                }
            } catch (SyscallException e) {
                if (n == 0 && !cursor.started && batchUnsupported(e.errnoNumber())) {
                    return -1;
                }
                if (e.errnoNumber() != Errno.ENOSPC.number()) {
                    throw e;
                }
                // A hash bucket holds more elements than there is room left for: count from it on.
            }
            // Out of room before the end: count the rest, so that the caller hears how many there are.
            Chunks rest = new Chunks(arena, cursor);
            while (!rest.done()) {
                int more = rest.read();
                if (more < 0) {
                    return -1; // no room at all, and no batches on this kernel: nothing was read
                }
                n += more;
            }
            return n;
        }
    }

    private static boolean batchUnsupported(int errno) {
        return errno == Errno.EINVAL.number() || errno == Errno.ENOTSUPP.number()
                || errno == Errno.EOPNOTSUPP.number();
    }

    /**
     * Reads key by key into {@code keys} and {@code values} with room for {@code room} elements; returns how
     * many the map holds (the ones past {@code room} only counted).
     */
    private long lookupAllByKeys(MemorySegment keys, MemorySegment values, long room) {
        long[] n = {0};
        forEachByKeys((key, value) -> {
            if (n[0] < room) {
                MemorySegment.copy(key, 0, keys, n[0] * keySize, keySize);
                MemorySegment.copy(value, 0, values, n[0] * valueBufferSize, valueBufferSize);
            }
            n[0]++;
        });
        return n[0];
    }

    // ---- freeze, mmap, pin ----

    /** Makes the map read-only for user space (programs can still write unless created RDONLY_PROG). */
    public void freeze() {
        Bpf.mapFreeze(fd.get(), describe(name, type));
        frozen = true;
    }

    public boolean isFrozen() {
        return frozen;
    }

    /**
     * The map's memory, mapped into this process (arrays created with {@link MapFlags#MMAPABLE}). Read-only
     * once the map is frozen. The mapping lives until the map is closed.
     */
    public synchronized MemorySegment mmap() {
        if (mapping != null) {
            return mapping;
        }
        if ((flags & MapFlags.MMAPABLE) == 0) {
            throw new BpfException(describe(name, type) + " cannot be memory-mapped: it was not created with "
                    + "BPF_F_MMAPABLE (MapFlags.MMAPABLE)");
        }
        long page = Sys.pageSize();
        long length = type == MapType.ARENA ? (long) maxEntries * page
                : ((long) perCpuStride * maxEntries + page - 1) / page * page;
        int prot = frozen || (flags & MapFlags.RDONLY) != 0 ? Libc.PROT_READ : Libc.PROT_READ | Libc.PROT_WRITE;
        Arena arena = Arena.ofShared();
        try {
            mapping = Sys.mmap(fd.get(), length, prot, 0, arena, describe(name, type));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        mmapArena = arena;
        return mapping;
    }

    /** Pins the map at {@code path} (in a bpffs; missing parent directories are made). */
    public void pin(Path path) {
        Bpf.pinCreatingParents(fd.get(), path, describe(name, type));
    }

    /** Returns a view of this map through codecs for keys and values. */
    public <K, V> TypedMap<K, V> typed(Codec<K> keys, Codec<V> values) {
        return new TypedMap<>(this, keys, values);
    }

    @Override
    public synchronized void close() {
        closed = true;
        // The descriptor is closed even when the mapping is still in use by a native call (its close throws then,
        // and a later close tries again).
        MapWalk w = walk; // closes all its parts even when one fails: nothing to try again
        Arena m = mmapArena;
        walk = null;
        try {
            Closing.closeAll(w, m);
        } finally {
            if (m == null || !m.scope().isAlive()) { // else kept, for a later close to try again
                mmapArena = null;
                mapping = null;
            }
            fd.close();
        }
    }

    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public String toString() {
        return describe(name, type) + " key " + keySize + " value " + valueSize + " max " + maxEntries;
    }
}
