package io.ebpf4j.map;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * Turns Java values into a map's key or value bytes and back. Multi-byte numbers are in the machine's byte
 * order, as BPF programs see them.
 */
public interface Codec<T> {
    /** The encoded size in bytes. */
    int size();

    void encode(T value, MemorySegment into);

    T decode(MemorySegment from);

    ValueLayout.OfInt NATIVE_INT = ValueLayout.JAVA_INT_UNALIGNED;
    ValueLayout.OfLong NATIVE_LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    Codec<Integer> INT = new Codec<>() {
        public int size() {
            return Integer.BYTES;
        }

        public void encode(Integer v, MemorySegment into) {
            into.set(NATIVE_INT, 0, v);
        }

        public Integer decode(MemorySegment from) {
            return from.get(NATIVE_INT, 0);
        }
    };

    Codec<Long> LONG = new Codec<>() {
        public int size() {
            return Long.BYTES;
        }

        public void encode(Long v, MemorySegment into) {
            into.set(NATIVE_LONG, 0, v);
        }

        public Long decode(MemorySegment from) {
            return from.get(NATIVE_LONG, 0);
        }
    };

    /** Raw bytes of a fixed size. */
    static Codec<byte[]> bytes(int size) {
        return new Codec<>() {
            public int size() {
                return size;
            }

            public void encode(byte[] v, MemorySegment into) {
                if (v.length != size) {
                    throw new io.ebpf4j.SizeMismatchException("byte array", size, v.length);
                }
                MemorySegment.copy(v, 0, into, ValueLayout.JAVA_BYTE, 0, size);
            }

            public byte[] decode(MemorySegment from) {
                return from.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE);
            }
        };
    }

    /**
     * A record whose components are primitives (byte, short, char, int, long, float, double, boolean) laid out
     * like the C struct with the same members in the same order: each aligned to its size, the whole padded to
     * its largest member.
     */
    static <R extends Record> Codec<R> ofRecord(Class<R> type) {
        return RecordCodec.of(type);
    }
}

/** The record codec: offsets computed once, values read and written through accessor handles. */
final class RecordCodec<R extends Record> implements Codec<R> {
    private final Class<R> type;
    private final ValueLayout[] layouts;
    private final long[] offsets;
    private final MethodHandle[] accessors;
    private final MethodHandle constructor;
    private final int size;

    private RecordCodec(Class<R> type) throws ReflectiveOperationException {
        this.type = type;
        RecordComponent[] rc = type.getRecordComponents();
        layouts = new ValueLayout[rc.length];
        offsets = new long[rc.length];
        accessors = new MethodHandle[rc.length];
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        long off = 0;
        long maxAlign = 1;
        Class<?>[] ctorTypes = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            Class<?> t = rc[i].getType();
            ValueLayout l = layoutOf(t, type, rc[i].getName());
            long align = l.byteSize();
            off = (off + align - 1) / align * align;
            layouts[i] = l.withByteAlignment(1);
            offsets[i] = off;
            off += l.byteSize();
            maxAlign = Math.max(maxAlign, align);
            accessors[i] = lookup.unreflect(rc[i].getAccessor());
            ctorTypes[i] = t;
        }
        size = (int) ((off + maxAlign - 1) / maxAlign * maxAlign);
        constructor = lookup.findConstructor(type, MethodType.methodType(void.class, ctorTypes));
    }

    static <R extends Record> RecordCodec<R> of(Class<R> type) {
        try {
            return new RecordCodec<>(type);
        } catch (IllegalAccessException e) {
            throw new IllegalArgumentException("record " + type.getName() + " must be public and in a package "
                    + "ebpf4j can read (exported or open)", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot use record " + type.getName() + " as a codec: " + e, e);
        }
    }

    private static ValueLayout layoutOf(Class<?> t, Class<?> owner, String name) {
        if (t == byte.class || t == boolean.class) {
            return ValueLayout.JAVA_BYTE;
        } else if (t == short.class) {
            return ValueLayout.JAVA_SHORT;
        } else if (t == char.class) {
            return ValueLayout.JAVA_CHAR;
        } else if (t == int.class) {
            return ValueLayout.JAVA_INT;
        } else if (t == long.class) {
            return ValueLayout.JAVA_LONG;
        } else if (t == float.class) {
            return ValueLayout.JAVA_FLOAT;
        } else if (t == double.class) {
            return ValueLayout.JAVA_DOUBLE;
        }
        throw new IllegalArgumentException("record " + owner.getName() + " component '" + name + "' is a "
                + t.getName() + "; only primitive components can be laid out as a C struct");
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void encode(R value, MemorySegment into) {
        try {
            for (int i = 0; i < layouts.length; i++) {
                Object v = accessors[i].invoke(value);
                switch (layouts[i]) {
                    case ValueLayout.OfByte b -> into.set(b, offsets[i], v instanceof Boolean z ? (byte) (z ? 1 : 0) : (Byte) v);
                    case ValueLayout.OfShort s -> into.set(s, offsets[i], (Short) v);
                    case ValueLayout.OfChar c -> into.set(c, offsets[i], (Character) v);
                    case ValueLayout.OfInt n -> into.set(n, offsets[i], (Integer) v);
                    case ValueLayout.OfLong n -> into.set(n, offsets[i], (Long) v);
                    case ValueLayout.OfFloat f -> into.set(f, offsets[i], (Float) v);
                    case ValueLayout.OfDouble d -> into.set(d, offsets[i], (Double) v);
                    default -> throw new IllegalStateException(layouts[i].toString());
                }
            }
            long end = size;
            long last = layouts.length == 0 ? 0 : offsets[layouts.length - 1] + layouts[layouts.length - 1].byteSize();
            if (end > last) {
                into.asSlice(last, end - last).fill((byte) 0);
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    @Override
    public R decode(MemorySegment from) {
        Object[] args = new Object[layouts.length];
        RecordComponent[] rc = type.getRecordComponents();
        for (int i = 0; i < layouts.length; i++) {
            args[i] = switch (layouts[i]) {
                case ValueLayout.OfByte b -> rc[i].getType() == boolean.class ? from.get(b, offsets[i]) != 0 : from.get(b, offsets[i]);
                case ValueLayout.OfShort s -> from.get(s, offsets[i]);
                case ValueLayout.OfChar c -> from.get(c, offsets[i]);
                case ValueLayout.OfInt n -> from.get(n, offsets[i]);
                case ValueLayout.OfLong n -> from.get(n, offsets[i]);
                case ValueLayout.OfFloat f -> from.get(f, offsets[i]);
                case ValueLayout.OfDouble d -> from.get(d, offsets[i]);
                default -> throw new IllegalStateException(layouts[i].toString());
            };
        }
        try {
            return type.cast(constructor.invokeWithArguments(Arrays.asList(args)));
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }
}
