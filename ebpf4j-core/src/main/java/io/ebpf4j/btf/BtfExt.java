package io.ebpf4j.btf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed {@code .BTF.ext} section: per ELF section, the function info, line info and CO-RE relocation records
 * the compiler emitted. Names and strings point into the {@code .BTF} string table, so parsing needs that
 * {@link Btf}. Everything is decoded and copied at parse time; the input is not retained.
 *
 * <p>Instruction offsets ({@code insnOff}) are in bytes from the start of the section, as in the file.
 */
public final class BtfExt {
    /** The header up to and including the line info fields; core_relo_off/len follow when hdr_len is at least 32. */
    public static final int MIN_HEADER_LEN = 24;
    public static final int HEADER_LEN = 32;
    private static final int MAGIC = 0xeB9F;
    private static final long U32_MAX = 0xffffffffL;
    private static final int FUNC_INFO_MIN = 8;
    private static final int LINE_INFO_MIN = 16;
    private static final int CORE_RELO_MIN = 16;

    /** A function's start: its instruction byte offset and its FUNC type id. */
    public record FuncInfo(int insnOff, int typeId) {
    }

    /**
     * A source line for the instruction at {@code insnOff}: the offsets of the file name and line text in the
     * {@code .BTF} strings (what the kernel is given), those strings, and the line and column numbers (the
     * line_col word holds the line in its upper 22 bits and the column in its lower 10).
     */
    public record LineInfo(int insnOff, int fileNameOff, String fileName, int lineOff, String line, int lineNumber,
                           int column) {
        public LineInfo {
            Objects.requireNonNull(fileName);
            Objects.requireNonNull(line);
        }

        /** The line_col word as stored. */
        public int lineCol() {
            return lineNumber << 10 | column;
        }
    }

    /** What a CO-RE relocation asks of the target type ({@code enum bpf_core_relo_kind}). */
    public enum CoreReloKind {
        FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT_U64, FIELD_RSHIFT_U64,
        TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, ENUMVAL_EXISTS, ENUMVAL_VALUE, TYPE_MATCHES;

        private static final CoreReloKind[] BY_CODE = values();

        public int code() {
            return ordinal();
        }

        /** The kind with this code, or null when unknown. */
        public static CoreReloKind of(int code) {
            return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        }
    }

    /**
     * A CO-RE relocation of the instruction at {@code insnOff}: the local type id, the access string (like
     * {@code "0:1"}: member indexes from the type) with its string offset, and the kind.
     */
    public record CoreRelo(int insnOff, int typeId, int accessStrOff, String accessString, CoreReloKind kind) {
        public CoreRelo {
            Objects.requireNonNull(accessString);
            Objects.requireNonNull(kind);
        }
    }

    private final ByteOrder order;
    private final Map<String, List<FuncInfo>> funcInfos;
    private final Map<String, List<LineInfo>> lineInfos;
    private final Map<String, List<CoreRelo>> coreRelos;
    private final int funcInfoRecSize;
    private final int lineInfoRecSize;
    private final int coreReloRecSize;

    private BtfExt(Reader r, Btf btf) {
        this.order = r.order;
        long hdrLen = r.u32(4);
        long avail = r.size - hdrLen;
        Section fi = r.section(hdrLen, 8, "func_info", avail);
        Section li = r.section(hdrLen, 16, "line_info", avail);
        Section cr = hdrLen >= HEADER_LEN ? r.section(hdrLen, 24, "core_relo", avail) : null;

        Map<String, List<FuncInfo>> f = new LinkedHashMap<>();
        this.funcInfoRecSize = r.blocks(fi, FUNC_INFO_MIN, btf, (sec, at) ->
                f.computeIfAbsent(sec, k -> new ArrayList<>()).add(new FuncInfo(r.s32(at), r.typeId(at + 4, btf))));
        Map<String, List<LineInfo>> l = new LinkedHashMap<>();
        this.lineInfoRecSize = r.blocks(li, LINE_INFO_MIN, btf, (sec, at) -> {
            int fileOff = r.s32(at + 4);
            int lineOff = r.s32(at + 8);
            int lineCol = r.s32(at + 12);
            l.computeIfAbsent(sec, k -> new ArrayList<>()).add(new LineInfo(r.s32(at), fileOff,
                    r.string(btf, fileOff, at + 4, "file_name_off"), lineOff, r.string(btf, lineOff, at + 8, "line_off"),
                    lineCol >>> 10, lineCol & 0x3ff));
        });
        Map<String, List<CoreRelo>> c = new LinkedHashMap<>();
        this.coreReloRecSize = cr == null ? 0 : r.blocks(cr, CORE_RELO_MIN, btf, (sec, at) -> {
            int accessOff = r.s32(at + 8);
            int kind = r.s32(at + 12);
            CoreReloKind k = CoreReloKind.of(kind);
            if (k == null) {
                throw Reader.fail("CO-RE relocation kind %d at byte offset %d is unknown", kind & U32_MAX, at + 12);
            }
            c.computeIfAbsent(sec, x -> new ArrayList<>()).add(new CoreRelo(r.s32(at), r.typeId(at + 4, btf), accessOff,
                    r.string(btf, accessOff, at + 8, "access_str_off"), k));
        });
        this.funcInfos = freeze(f);
        this.lineInfos = freeze(l);
        this.coreRelos = freeze(c);
    }

    private static <T> Map<String, List<T>> freeze(Map<String, List<T>> m) {
        m.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(m);
    }

    /** Parses {@code .BTF.ext} bytes whose strings and types are in {@code btf}. */
    public static BtfExt parse(byte[] data, Btf btf) {
        return parse(MemorySegment.ofArray(data), btf);
    }

    /** Parses {@code .BTF.ext} in a segment (copied out, not retained) against its {@code .BTF}. */
    public static BtfExt parse(MemorySegment data, Btf btf) {
        Objects.requireNonNull(btf);
        return new BtfExt(new Reader(data), btf);
    }

    public ByteOrder byteOrder() {
        return order;
    }

    /** Function info per ELF section name, in file order. */
    public Map<String, List<FuncInfo>> funcInfos() {
        return funcInfos;
    }

    /** Line info per ELF section name, in file order. */
    public Map<String, List<LineInfo>> lineInfos() {
        return lineInfos;
    }

    /** CO-RE relocations per ELF section name, in file order; empty when the header has no core_relo fields. */
    public Map<String, List<CoreRelo>> coreRelos() {
        return coreRelos;
    }

    public List<FuncInfo> funcInfos(String section) {
        return funcInfos.getOrDefault(section, List.of());
    }

    public List<LineInfo> lineInfos(String section) {
        return lineInfos.getOrDefault(section, List.of());
    }

    public List<CoreRelo> coreRelos(String section) {
        return coreRelos.getOrDefault(section, List.of());
    }

    /** The record sizes in the file (0 when a section is empty); a loader passes these to the kernel. */
    public int funcInfoRecordSize() {
        return funcInfoRecSize;
    }

    public int lineInfoRecordSize() {
        return lineInfoRecSize;
    }

    public int coreReloRecordSize() {
        return coreReloRecSize;
    }

    /** An info section's absolute byte range and the header offset its off/len fields were read at. */
    private record Section(String name, long start, long len, long fieldAt) {
    }

    private interface RecordSink {
        void record(String section, long at);
    }

    /** Bounds-checked reads in the data's byte order. */
    private static final class Reader {
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
        final MemorySegment data;
        final long size;
        final ByteOrder order;
        final boolean swap;

        Reader(MemorySegment data) {
            this.data = data;
            this.size = data.byteSize();
            if (size < 2) {
                throw fail(".BTF.ext header truncated: %d bytes of data, the header needs at least %d", size, MIN_HEADER_LEN);
            }
            int b0 = data.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
            int b1 = data.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
            if (b0 == (MAGIC & 0xff) && b1 == MAGIC >>> 8) {
                order = ByteOrder.LITTLE_ENDIAN;
            } else if (b0 == MAGIC >>> 8 && b1 == (MAGIC & 0xff)) {
                order = ByteOrder.BIG_ENDIAN;
            } else {
                throw fail("bad .BTF.ext magic 0x%02x%02x at byte offset 0 (want 0xeb9f in either byte order)", b0, b1);
            }
            swap = order != ByteOrder.nativeOrder();
            if (size < MIN_HEADER_LEN) {
                throw fail(".BTF.ext header truncated: %d bytes of data, the header needs at least %d", size, MIN_HEADER_LEN);
            }
            int version = data.get(ValueLayout.JAVA_BYTE, 2) & 0xff;
            if (version != 1) {
                throw fail("unsupported .BTF.ext version %d at byte offset 2 (this parser reads version 1)", version);
            }
            int flags = data.get(ValueLayout.JAVA_BYTE, 3) & 0xff;
            if (flags != 0) {
                throw fail("unsupported .BTF.ext header flags 0x%02x at byte offset 3", flags);
            }
            long hdrLen = u32(4);
            if (hdrLen < MIN_HEADER_LEN || hdrLen > size) {
                throw fail(".BTF.ext hdr_len %d at byte offset 4 is not between %d and the data's %d bytes",
                        hdrLen, MIN_HEADER_LEN, size);
            }
            // Like BTF's header: unknown trailing fields are safe to skip only when zero (unused).
            for (long at = hdrLen >= HEADER_LEN ? HEADER_LEN : MIN_HEADER_LEN; at < hdrLen; at++) {
                if (data.get(ValueLayout.JAVA_BYTE, at) != 0) {
                    throw fail(".BTF.ext header byte at offset %d is not zero: hdr_len %d has fields past the %d bytes this parser knows",
                            at, hdrLen, HEADER_LEN);
                }
            }
        }

        long u32(long at) {
            return s32(at) & U32_MAX;
        }

        int s32(long at) {
            if (at < 0 || at + 4 > size) {
                throw fail(".BTF.ext read of 4 bytes at byte offset %d is past the end of the %d bytes of data", at, size);
            }
            int v = data.get(U32, at);
            return swap ? Integer.reverseBytes(v) : v;
        }

        Section section(long hdrLen, long fieldAt, String name, long avail) {
            long off = u32(fieldAt);
            long len = u32(fieldAt + 4);
            if (off + len > avail) {
                throw fail("%s section (offset %d, length %d at byte offsets %d and %d) ends at byte offset %d, past the end of the %d bytes of data",
                        name, off, len, fieldAt, fieldAt + 4, hdrLen + off + len, size);
            }
            return new Section(name, hdrLen + off, len, fieldAt);
        }

        /** Walks an info section's blocks, giving each record's byte offset to the sink; returns rec_size. */
        int blocks(Section s, int minRecSize, Btf btf, RecordSink sink) {
            if (s.len() == 0) {
                return 0;
            }
            long end = s.start() + s.len();
            if (s.len() < 4) {
                throw fail("%s section at byte offset %d: %d bytes, too short for its rec_size", s.name(), s.start(), s.len());
            }
            long recSize = u32(s.start());
            if (recSize < minRecSize || recSize % 4 != 0 || recSize > s.len()) {
                throw fail("%s rec_size %d at byte offset %d: want a multiple of 4 from %d, within the section's %d bytes",
                        s.name(), recSize, s.start(), minRecSize, s.len());
            }
            long at = s.start() + 4;
            while (at < end) {
                if (end - at < 8) {
                    throw fail("%s block at byte offset %d: %d bytes remain, a block header needs 8", s.name(), at, end - at);
                }
                int secOff = s32(at);
                long n = u32(at + 4);
                String sec = string(btf, secOff, at, "sec_name_off");
                if (n > (end - at - 8) / recSize) {
                    throw fail("%s block for section \"%s\" at byte offset %d: num_info %d records of %d bytes need %d, only %d remain",
                            s.name(), sec, at, n, recSize, n * recSize, end - at - 8);
                }
                at += 8;
                for (long k = 0; k < n; k++, at += recSize) {
                    sink.record(sec, at);
                }
            }
            return (int) recSize;
        }

        String string(Btf btf, int off, long at, String field) {
            if (!btf.hasString(off)) {
                throw fail(".BTF.ext %s %d at byte offset %d is past the .BTF strings (%d bytes)",
                        field, off & U32_MAX, at, btf.stringsEnd());
            }
            return btf.string(off);
        }

        int typeId(long at, Btf btf) {
            int id = s32(at);
            if (id < 0 || id > btf.lastTypeId()) {
                throw fail(".BTF.ext type id %d at byte offset %d is past the last .BTF type id %d",
                        id & U32_MAX, at, btf.lastTypeId());
            }
            return id;
        }

        static BtfFormatException fail(String format, Object... args) {
            return new BtfFormatException(String.format(format, args));
        }
    }
}
