package io.ebpf4j.link;

import io.ebpf4j.kernel.CString;
import io.ebpf4j.kernel.Attr;
import io.ebpf4j.kernel.Bpf;
import io.ebpf4j.kernel.BpfCmd;
import io.ebpf4j.kernel.Fd;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A kernel bpf_link: the attachment lives as long as a descriptor or a pin refers to it. Besides closing, it can
 * be pinned, reopened from its pin or id, pointed at another program ({@code LINK_UPDATE}) and detached while
 * others still hold it ({@code LINK_DETACH}). Attach methods for the individual hooks return subclasses of this
 * class; links reopened from a pin or id are plain {@code BpfLink}s.
 * <p>Its calls are safe from several threads, but {@link #close()} must not race them (as for {@code BpfMap}: the
 * descriptor's number may go to a new object at once).
 */
public class BpfLink implements Link {
    private final Fd fd;
    private final String description;

    BpfLink(Fd fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** Reopens the link pinned at {@code path}. */
    public static BpfLink openPinned(Path path) {
        Fd fd = Bpf.objGet(path.toString(), 0).requireKind(Fd.Kind.LINK, "'" + path + "'");
        return reopened(fd, "pinned link '" + path + "'");
    }

    /** Opens the link with kernel id {@code id}. */
    public static BpfLink fromId(int id) {
        return reopened(Bpf.fdById(BpfCmd.LINK_GET_FD_BY_ID, id, 0, "link"), "link id " + id);
    }

    private static BpfLink reopened(Fd fd, String what) {
        try {
            LinkInfo info = info(fd.get(), what);
            return new BpfLink(fd, info.typeName() + " link " + info.id() + " (program id " + info.programId() + ")");
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Every link id the kernel has now, in order. */
    public static List<Integer> ids() {
        return Bpf.allIds(BpfCmd.LINK_GET_NEXT_ID);
    }

    /** The descriptor, for code in this package and for callers handing it to other kernel calls. */
    public int fd() {
        return fd.get();
    }

    public int id() {
        return info().id();
    }

    /** The kernel's view of this link. */
    public LinkInfo info() {
        return info(fd.get(), description);
    }

    /** Pins the link at {@code path} (inside a bpffs; missing parent directories are made). */
    public void pin(Path path) {
        Bpf.pinCreatingParents(fd.get(), path, description);
    }

    /** Makes the link run {@code program} instead of its current program. */
    public void update(Program program) {
        updateTo(program.fd(), 0);
    }

    /**
     * Makes the link run {@code program}, but only if it still runs {@code expected}; otherwise the kernel refuses
     * with EPERM and nothing changes.
     */
    public void update(Program program, Program expected) {
        updateTo(program.fd(), expected.fd());
    }

    /** Link types whose kernel side has no program swap: LINK_UPDATE answers EINVAL or EOPNOTSUPP for them. */
    private static final java.util.Set<LinkType> NOT_UPDATABLE = java.util.EnumSet.of(LinkType.RAW_TRACEPOINT,
            LinkType.PERF_EVENT, LinkType.TRACING, LinkType.KPROBE_MULTI, LinkType.UPROBE_MULTI);

    /** LINK_UPDATE, with a hint when the link's type cannot change program at all. */
    void updateTo(int newFd, int expectedFd) {
        try {
            Bpf.linkUpdate(fd.get(), newFd, expectedFd, description);
        } catch (io.ebpf4j.SyscallException e) {
            boolean refused = e.errno() == io.ebpf4j.Errno.EINVAL || e.errno() == io.ebpf4j.Errno.EOPNOTSUPP;
            LinkInfo info = refused ? info() : null;
            if (info != null && info.type().map(NOT_UPDATABLE::contains).orElse(false)) {
                io.ebpf4j.SyscallException hinted = new io.ebpf4j.SyscallException(e.call(), e.errnoNumber(),
                        e.object(), info.typeName() + " links cannot change program: close this link (and remove "
                        + "its pins) and attach the new program instead");
                hinted.initCause(e);
                throw hinted;
            }
            throw e;
        }
    }

    /**
     * Detaches the program now, even if the link is pinned or held elsewhere; the link object stays (defunct)
     * until its last reference goes.
     */
    public void detach() {
        try {
            Bpf.linkDetach(fd.get(), description);
        } catch (io.ebpf4j.SyscallException e) {
            if (e.errno() == io.ebpf4j.Errno.EOPNOTSUPP) {
                throw new io.ebpf4j.UnsupportedFeatureException("LINK_DETACH for " + info().typeName() + " links",
                        "the kernel cannot detach this link type while it is held (" + description
                                + "); remove its pins and close every descriptor to detach it");
            }
            throw e;
        }
    }

    @Override
    public java.util.Optional<BpfLink> bpfLink() {
        return java.util.Optional.of(this);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return description;
    }

    // ---- bpf_link_info ----

    private static final int UNION = 16;
    private static final int NAME_BUFFER = 4096;
    private static final int PERF_UPROBE = 1;
    private static final int PERF_URETPROBE = 2;
    private static final int PERF_KPROBE = 3;
    private static final int PERF_KRETPROBE = 4;
    private static final int PERF_TRACEPOINT = 5;
    private static final int PERF_EVENT = 6;

    /**
     * Reads {@code bpf_link_info}. Types with a name (tracepoint, iterator target, uprobe path, kprobe function)
     * need a second call with a buffer for it.
     */
    static LinkInfo info(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Attr.LINK_INFO.layout());
            Bpf.objInfo(fd, s, what);
            int type = s.get(JAVA_INT, 0);
            long nameAt = namePointerOffset(type, s);
            MemorySegment name = null;
            if (nameAt >= 0) {
                name = arena.allocate(NAME_BUFFER);
                s.fill((byte) 0);
                s.set(JAVA_LONG, nameAt, name.address());
                s.set(JAVA_INT, nameAt + 8, NAME_BUFFER);
                if (type == LinkType.UPROBE_MULTI.value()) {
                    s.set(JAVA_INT, UNION + 32, NAME_BUFFER); // path_size sits after the three arrays
                    s.set(JAVA_INT, nameAt + 8, 0);
                }
                Bpf.objInfo(fd, s, what);
            }
            return decode(s, name);
        }
    }

    /** Where the name pointer of this type's union member is, or -1 when it has none. */
    private static long namePointerOffset(int type, MemorySegment s) {
        LinkType t = LinkType.of(type).orElse(LinkType.UNSPEC);
        return switch (t) {
            case RAW_TRACEPOINT, ITER, UPROBE_MULTI -> UNION;
            case PERF_EVENT -> switch (s.get(JAVA_INT, UNION)) {
                case PERF_UPROBE, PERF_URETPROBE, PERF_KPROBE, PERF_KRETPROBE, PERF_TRACEPOINT -> UNION + 8;
                default -> -1;
            };
            default -> -1;
        };
    }

    private static String string(MemorySegment name) {
        return name == null ? "" : CString.of(name);
    }

    private static Object attachType(int value) {
        return AttachType.of(value).<Object>map(a -> a).orElse(value);
    }

    private static LinkInfo decode(MemorySegment s, MemorySegment name) {
        int type = s.get(JAVA_INT, 0);
        Map<String, Object> d = new LinkedHashMap<>();
        int u = UNION;
        switch (LinkType.of(type).orElse(LinkType.UNSPEC)) {
            case RAW_TRACEPOINT -> {
                d.put("tp_name", string(name));
                d.put("cookie", s.get(JAVA_LONG, u + 16));
            }
            case TRACING -> {
                d.put("attach_type", attachType(s.get(JAVA_INT, u)));
                d.put("target_obj_id", s.get(JAVA_INT, u + 4));
                d.put("target_btf_id", s.get(JAVA_INT, u + 8));
                d.put("cookie", s.get(JAVA_LONG, u + 16));
            }
            case CGROUP -> {
                d.put("cgroup_id", s.get(JAVA_LONG, u));
                d.put("attach_type", attachType(s.get(JAVA_INT, u + 8)));
            }
            case ITER -> {
                d.put("target_name", string(name));
                int mapId = s.get(JAVA_INT, u + 12);
                if (mapId != 0) {
                    d.put("map_id", mapId);
                }
            }
            case NETNS -> {
                d.put("netns_ino", Integer.toUnsignedLong(s.get(JAVA_INT, u)));
                d.put("attach_type", attachType(s.get(JAVA_INT, u + 4)));
            }
            case XDP -> d.put("ifindex", s.get(JAVA_INT, u));
            case STRUCT_OPS -> d.put("map_id", s.get(JAVA_INT, u));
            case NETFILTER -> {
                d.put("pf", s.get(JAVA_INT, u));
                d.put("hooknum", s.get(JAVA_INT, u + 4));
                d.put("prio", s.get(JAVA_INT, u + 8));
                d.put("flags", s.get(JAVA_INT, u + 12));
            }
            case KPROBE_MULTI -> {
                d.put("func_cnt", s.get(JAVA_INT, u + 8));
                d.put("flags", s.get(JAVA_INT, u + 12));
                d.put("missed", s.get(JAVA_LONG, u + 16));
            }
            case UPROBE_MULTI -> {
                d.put("path", string(name));
                d.put("count", s.get(JAVA_INT, u + 36));
                d.put("flags", s.get(JAVA_INT, u + 40));
                d.put("pid", s.get(JAVA_INT, u + 44));
            }
            case PERF_EVENT -> {
                int kind = s.get(JAVA_INT, u);
                int p = u + 8;
                switch (kind) {
                    case PERF_UPROBE, PERF_URETPROBE -> {
                        d.put("event_type", kind == PERF_UPROBE ? "uprobe" : "uretprobe");
                        d.put("file", string(name));
                        d.put("offset", Integer.toUnsignedLong(s.get(JAVA_INT, p + 12)));
                        d.put("cookie", s.get(JAVA_LONG, p + 16));
                        d.put("ref_ctr_offset", s.get(JAVA_LONG, p + 24));
                    }
                    case PERF_KPROBE, PERF_KRETPROBE -> {
                        d.put("event_type", kind == PERF_KPROBE ? "kprobe" : "kretprobe");
                        d.put("func", string(name));
                        d.put("offset", Integer.toUnsignedLong(s.get(JAVA_INT, p + 12)));
                        d.put("addr", s.get(JAVA_LONG, p + 16));
                        d.put("missed", s.get(JAVA_LONG, p + 24));
                        d.put("cookie", s.get(JAVA_LONG, p + 32));
                    }
                    case PERF_TRACEPOINT -> {
                        d.put("event_type", "tracepoint");
                        d.put("tracepoint", string(name));
                        d.put("cookie", s.get(JAVA_LONG, p + 16));
                    }
                    case PERF_EVENT -> {
                        d.put("event_type", "event");
                        d.put("event_config", s.get(JAVA_LONG, p));
                        d.put("event_type_id", s.get(JAVA_INT, p + 8));
                        d.put("cookie", s.get(JAVA_LONG, p + 16));
                    }
                    default -> d.put("event_type", "unspec");
                }
            }
            case TCX, NETKIT -> {
                d.put("ifindex", s.get(JAVA_INT, u));
                d.put("attach_type", attachType(s.get(JAVA_INT, u + 4)));
            }
            case SOCKMAP -> {
                d.put("map_id", s.get(JAVA_INT, u));
                d.put("attach_type", attachType(s.get(JAVA_INT, u + 4)));
            }
            case UNSPEC -> {
            }
        }
        return new LinkInfo(type, s.get(JAVA_INT, 4), s.get(JAVA_INT, 8), d);
    }
}
