package io.ebpf4j.map;

import io.ebpf4j.SizeMismatchException;
import io.ebpf4j.kernel.Bpf;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A map seen through codecs: {@code get}, {@code put} and {@code remove} with Java values. Encodes into per-thread
 * native buffers, so each call allocates only the decoded result.
 */
public final class TypedMap<K, V> {
    private final BpfMap map;
    private final Codec<K> keys;
    private final Codec<V> values;

    TypedMap(BpfMap map, Codec<K> keys, Codec<V> values) {
        if (keys.size() != map.keySize()) {
            throw new SizeMismatchException("key codec for map '" + map.name() + "'", map.keySize(), keys.size());
        }
        if (values.size() != map.valueBufferSize()) {
            throw new SizeMismatchException("value codec for map '" + map.name() + "'", map.valueBufferSize(), values.size());
        }
        this.map = map;
        this.keys = keys;
        this.values = values;
    }

    public Optional<V> get(K key) {
        MemorySegment k = Bpf.scratchKey(keys.size());
        keys.encode(key, k);
        MemorySegment v = Bpf.scratchValue(values.size());
        return map.lookup(k, v) ? Optional.of(values.decode(v)) : Optional.empty();
    }

    public void put(K key, V value) {
        put(key, value, UpdateFlag.ANY);
    }

    public void put(K key, V value, UpdateFlag flag) {
        MemorySegment k = Bpf.scratchKey(keys.size());
        keys.encode(key, k);
        MemorySegment v = Bpf.scratchValue(values.size());
        values.encode(value, v);
        map.update(k, v, flag);
    }

    public boolean remove(K key) {
        MemorySegment k = Bpf.scratchKey(keys.size());
        keys.encode(key, k);
        return map.delete(k);
    }

    /** A snapshot of every element, in the kernel's order. */
    public Map<K, V> entries() {
        Map<K, V> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(keys.decode(k), values.decode(v)));
        return out;
    }

    public BpfMap map() {
        return map;
    }
}
