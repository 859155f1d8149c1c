package io.ebpf4j.cli;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfValueFormatter;
import io.ebpf4j.map.BpfMap;
import io.ebpf4j.map.MapInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A map's key and value types, from the BTF object the kernel holds for it (or, for struct_ops maps, the
 * kernel's own BTF): what {@code map dump} formats elements with.
 */
final class MapBtf implements AutoCloseable {
    private final Btf btf;
    private final boolean owned;
    private final BtfValueFormatter formatter;
    private final int keyType;
    private final int valueType;

    private MapBtf(Btf btf, boolean owned, int keyType, int valueType) {
        this.btf = btf;
        this.owned = owned;
        this.formatter = new BtfValueFormatter(btf);
        this.keyType = keyType;
        this.valueType = valueType;
    }

    /** The map's BTF, or null when it has none (its elements are then dumped in hex). */
    static MapBtf of(MapInfo info) {
        if (info.btfVmlinuxValueTypeId() != 0) {
            return new MapBtf(Btf.loadKernel(), false, 0, info.btfVmlinuxValueTypeId());
        }
        if (info.btfId() == 0 || info.btfValueTypeId() == 0) {
            return null;
        }
        return new MapBtf(BtfCommand.fromId(info.btfId()), true, info.btfKeyTypeId(), info.btfValueTypeId());
    }

    /** One element as bpftool's {@code do_dump_btf} shows it: key (when typed), then value or per-CPU values. */
    Map<String, Object> element(BpfMap m, byte[] key, byte[] value, BtfValueFormatter.Style style) {
        Map<String, Object> e = new LinkedHashMap<>();
        try {
            if (keyType != 0) {
                e.put("key", formatter.tree(keyType, key, 0, style));
            }
            if (!m.type().isPerCpu()) {
                e.put("value", formatter.tree(valueType, value, 0, style));
            } else {
                int slots = m.cpuSlots();
                int stride = m.valueBufferSize() / slots;
                List<Object> values = new ArrayList<>(slots);
                for (int cpu = 0; cpu < slots; cpu++) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("cpu", (long) cpu);
                    one.put("value", formatter.tree(valueType, value, cpu * stride, style));
                    values.add(one);
                }
                e.put("values", values);
            }
        } catch (IllegalArgumentException ex) {
            throw new BpfException("map '" + m.name() + "': its BTF does not describe its elements: " + ex.getMessage());
        }
        return e;
    }

    @Override
    public void close() {
        if (owned) {
            btf.close();
        }
    }
}
