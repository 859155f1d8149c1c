package io.ebpf4j.btf;

import io.ebpf4j.kernel.CString;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a C struct into a Java record, matching record components to struct members by name through the
 * struct's BTF: no offsets or sizes written by hand, and a program's struct can grow or move members without the
 * Java side changing. Components may be {@code byte}, {@code short}, {@code int}, {@code long}, {@code char},
 * {@code boolean} (from integers or enums of any size; unsigned members are zero-extended, and must fit),
 * {@code float}/{@code double}, {@code String} (a {@code char} array, up to its first NUL) or {@code byte[]} (any
 * member's raw bytes).
 *
 * <pre>{@code
 * public record Event(int pid, int ppid, String comm) {}
 * BtfRecordMapper<Event> events = BtfRecordMapper.of(Event.class, spec.btf(), "event");
 * ring.poll(timeout, rec -> System.out.println(events.read(rec)));
 * }</pre>
 */
public final class BtfRecordMapper<R extends Record> {
    private final Class<R> type;
    private final String struct;
    private final long size;
    private final Field[] fields;
    private final MethodHandle constructor;
    private final Class<?>[] componentTypes;

    /** How one component is read: from {@code offset}, {@code size} bytes, as {@code kind}. */
    private record Field(String name, long offset, int size, Kind kind, boolean signed) {
    }

    private enum Kind { INTEGER, FLOAT, STRING, BYTES }

    private BtfRecordMapper(Class<R> type, Btf btf, String structName) {
        this.type = type;
        this.struct = structName;
        int id = btf.find(structName, BtfKind.STRUCT).orElseThrow(() -> new IllegalArgumentException(
                "the BTF has no struct '" + structName + "' (a struct used only by local variables is left out "
                        + "of BTF by clang: use it in a function's parameters or a global)"));
        BtfType.Struct st = (BtfType.Struct) btf.type(id);
        this.size = Integer.toUnsignedLong(st.size());
        RecordComponent[] rc = type.getRecordComponents();
        fields = new Field[rc.length];
        Class<?>[] ctorTypes = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            fields[i] = field(btf, st, rc[i]);
            ctorTypes[i] = rc[i].getType();
        }
        componentTypes = ctorTypes;
        try {
            // Spread once here: invokeWithArguments per record would be a slow generic call on a hot path.
            constructor = MethodHandles.publicLookup().findConstructor(type, MethodType.methodType(void.class, ctorTypes))
                    .asType(MethodType.genericMethodType(rc.length)).asSpreader(Object[].class, rc.length);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("record " + type.getName() + " must be public and in a package "
                    + "ebpf4j can read (exported or open)", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("record " + type.getName() + ": " + e, e);
        }
    }

    /** A mapper from struct {@code structName} of {@code btf} to records of {@code type}. */
    public static <R extends Record> BtfRecordMapper<R> of(Class<R> type, Btf btf, String structName) {
        return new BtfRecordMapper<>(type, btf, structName);
    }

    /** The struct's size in bytes: the least a record passed to {@link #read} must have. */
    public long structSize() {
        return size;
    }

    /** Reads one struct at the start of {@code data} (a ring buffer record, a map value...). */
    public R read(MemorySegment data) {
        if (data.byteSize() < size) {
            throw new IllegalArgumentException(data.byteSize() + " bytes are fewer than struct '" + struct + "' needs ("
                    + size + ")");
        }
        Object[] args = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            args[i] = value(fields[i], componentTypes[i], data);
        }
        try {
            return type.cast((Object) constructor.invokeExact(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("constructing " + type.getName() + ": " + t, t);
        }
    }

    private Field field(Btf btf, BtfType.Struct st, RecordComponent c) {
        String name = c.getName();
        BtfType.Member m = st.members().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("struct '" + struct + "' has no member '" + name
                        + "' for component " + type.getSimpleName() + "." + name + " (its members: "
                        + String.join(", ", st.members().stream().map(BtfType.Member::name).toList()) + ")"));
        if (m.bitfieldSize() != 0 || m.bitOffset() % Byte.SIZE != 0) {
            throw new IllegalArgumentException("member '" + name + "' of struct '" + struct + "' is a bitfield: "
                    + "read it as part of a byte[] component instead");
        }
        long offset = m.bitOffset() / Byte.SIZE;
        int memberSize = (int) btf.sizeOf(m.type());
        BtfType t = btf.resolveType(m.type());
        Class<?> j = c.getType();
        String where = "component " + type.getSimpleName() + "." + name + " (" + j.getSimpleName() + ") and member '"
                + name + "' of struct '" + struct + "' (" + t.kind() + ", " + memberSize + " bytes)";
        if (j == byte[].class) {
            return new Field(name, offset, memberSize, Kind.BYTES, false);
        }
        if (j == String.class) {
            if (t instanceof BtfType.Array a && btf.sizeOf(a.elemType()) == 1) {
                return new Field(name, offset, memberSize, Kind.STRING, false);
            }
            throw new IllegalArgumentException(where + ": a String needs a char array");
        }
        if (j == float.class || j == double.class) {
            if (t instanceof BtfType.Float && memberSize <= (j == float.class ? Float.BYTES : Double.BYTES)) {
                return new Field(name, offset, memberSize, Kind.FLOAT, true);
            }
            throw new IllegalArgumentException(where + ": do not match");
        }
        boolean signed = switch (t) {
            case BtfType.Int i -> i.signed();
            case BtfType.Enum e -> e.signed();
            case BtfType.Enum64 e -> e.signed();
            case BtfType.Ptr p -> false;
            default -> throw new IllegalArgumentException(where + ": an integer component needs an integer, enum or "
                    + "pointer member");
        };
        int javaSize = j == long.class ? Long.BYTES : j == int.class ? Integer.BYTES
                : j == short.class || j == char.class ? Short.BYTES : j == byte.class || j == boolean.class ? 1 : 0;
        if (javaSize == 0) {
            throw new IllegalArgumentException(where + ": " + j.getName() + " is not a supported component type");
        }
        // An unsigned member needs a strictly wider Java type unless the widths match (then the bits are kept).
        if (memberSize > javaSize) {
            throw new IllegalArgumentException(where + ": the member does not fit");
        }
        return new Field(name, offset, memberSize, Kind.INTEGER, signed);
    }

    private static Object value(Field f, Class<?> j, MemorySegment data) {
        return switch (f.kind()) {
            case BYTES -> data.asSlice(f.offset(), f.size()).toArray(ValueLayout.JAVA_BYTE);
            case STRING -> CString.of(data.asSlice(f.offset(), f.size()));
            case FLOAT -> {
                double d = f.size() == Float.BYTES ? data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, f.offset())
                        : data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, f.offset());
                yield j == float.class ? (Object) (float) d : (Object) d;
            }
            case INTEGER -> {
                long v = integer(data, f.offset(), f.size(), f.signed());
                if (j == long.class) {
                    yield v;
                } else if (j == int.class) {
                    yield (int) v;
                } else if (j == short.class) {
                    yield (short) v;
                } else if (j == char.class) {
                    yield (char) v;
                } else if (j == boolean.class) {
                    yield v != 0;
                }
                yield (byte) v;
            }
        };
    }

    private static long integer(MemorySegment d, long off, int size, boolean signed) {
        return switch (size) {
            case 1 -> signed ? d.get(ValueLayout.JAVA_BYTE, off) : Byte.toUnsignedLong(d.get(ValueLayout.JAVA_BYTE, off));
            case 2 -> signed ? d.get(ValueLayout.JAVA_SHORT_UNALIGNED, off)
                    : Short.toUnsignedLong(d.get(ValueLayout.JAVA_SHORT_UNALIGNED, off));
            case 4 -> signed ? d.get(ValueLayout.JAVA_INT_UNALIGNED, off)
                    : Integer.toUnsignedLong(d.get(ValueLayout.JAVA_INT_UNALIGNED, off));
            case 8 -> d.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            default -> throw new IllegalStateException("integer of " + size + " bytes");
        };
    }

    /** The names of the struct members this mapper reads, in component order. */
    public List<String> members() {
        List<String> names = new ArrayList<>();
        for (Field f : fields) {
            names.add(f.name());
        }
        return names;
    }
}
