package io.ebpf4j.object;

import io.ebpf4j.BpfException;
import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.map.MapSpec;
import io.ebpf4j.map.MapType;
import io.ebpf4j.program.AttachType;
import io.ebpf4j.program.Program;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Loading struct_ops: the kernel's view of a struct_ops variable. The map's value is the kernel's
 * {@code bpf_struct_ops_<name>} wrapper, whose {@code data} member holds the struct itself; its members are
 * copied from the object's struct by name, and each function pointer carries the descriptor of its program. Each
 * program is loaded against the kernel struct ({@code attach_btf_id}) and its member's index (sent as the
 * expected attach type, which the kernel reads as that index for struct_ops programs).
 */
final class StructOps {
    private StructOps() {
    }

    private static final String VALUE_PREFIX = "bpf_struct_ops_";
    private static final String DATA_MEMBER = "data";

    /** The kernel struct a struct_ops variable implements. */
    static int kernelStruct(StructOpsDef def) {
        return Btf.loadKernel().find(def.typeName(), BtfKind.STRUCT).orElseThrow(() -> new BpfException(
                "the kernel has no struct " + def.typeName() + " to implement with struct_ops"));
    }

    /** The map this variable becomes in the running kernel: value type and size from the kernel's BTF. */
    static MapSpec kernelSpec(MapDef def) {
        StructOpsDef so = def.structOps();
        if (!so.link()) {
            throw new BpfException("struct_ops variable '" + def.name() + "' is in section " + def.section()
                    + ": only SEC(\".struct_ops.link\") variables (registered through a link) are supported; move it there");
        }
        Btf k = Btf.loadKernel();
        int valueType = k.find(VALUE_PREFIX + so.typeName(), BtfKind.STRUCT).orElseThrow(() -> new BpfException(
                "the kernel cannot take struct " + so.typeName() + " through struct_ops (no " + VALUE_PREFIX
                        + so.typeName() + " in its BTF)"));
        return MapSpec.of(MapType.STRUCT_OPS, Integer.BYTES, (int) k.sizeOf(valueType), 1).withName(def.name())
                .withFlags(def.spec().flags()).withBtfVmlinuxValueType(valueType);
    }

    /** The struct_ops variable and member a program implements, or null when none refers to it. */
    record Use(MapDef map, String member) {
    }

    static Use useOf(ObjectSpec spec, String program) {
        for (MapDef m : spec.maps().values()) {
            if (m.structOps() != null) {
                for (Map.Entry<String, String> e : m.structOps().programs().entrySet()) {
                    if (e.getValue().equals(program)) {
                        return new Use(m, e.getKey());
                    }
                }
            }
        }
        return null;
    }

    /** The member's index in the kernel struct: what the kernel expects as the program's expected attach type. */
    static AttachType memberIndex(Use use) {
        BtfType.Struct st = (BtfType.Struct) Btf.loadKernel().type(kernelStruct(use.map().structOps()));
        List<BtfType.Member> members = st.members();
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).name().equals(use.member())) {
                final int index = i;
                return AttachType.of(i).orElseThrow(() -> new BpfException("struct " + st.name() + " member "
                        + use.member() + " has index " + index + ", beyond what this release can send"));
            }
        }
        throw new BpfException("the kernel's struct " + st.name() + " has no member '" + use.member()
                + "' (struct_ops variable '" + use.map().name() + "')");
    }

    /** The kernel value: the object's members copied by name into {@code data}, program fds in function slots. */
    static byte[] value(ObjectSpec spec, MapDef def, Map<String, Program> programs) {
        StructOpsDef so = def.structOps();
        Btf local = spec.btf();
        Btf k = Btf.loadKernel();
        int valueType = k.find(VALUE_PREFIX + so.typeName(), BtfKind.STRUCT).orElseThrow();
        BtfType.Struct wrapper = (BtfType.Struct) k.type(valueType);
        BtfType.Member data = wrapper.members().stream().filter(m -> m.name().equals(DATA_MEMBER)).findFirst()
                .orElseThrow(() -> new BpfException(VALUE_PREFIX + so.typeName() + " has no 'data' member"));
        int dataOffset = data.bitOffset() / Byte.SIZE;
        BtfType.Struct kernel = (BtfType.Struct) k.type(kernelStruct(so));
        BtfType.Struct mine = (BtfType.Struct) local.type(so.localTypeId());
        byte[] out = new byte[(int) k.sizeOf(valueType)];
        ByteBuffer buf = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
        byte[] in = def.data();
        for (BtfType.Member lm : mine.members()) {
            String where = "struct_ops variable '" + def.name() + "' member '" + lm.name() + "'";
            if (lm.bitfieldSize() != 0) {
                throw new BpfException(where + " is a bit-field, which struct_ops values cannot carry");
            }
            int lOff = lm.bitOffset() / Byte.SIZE;
            String program = so.programs().get(lm.name());
            BtfType.Member km = kernel.members().stream().filter(m -> m.name().equals(lm.name())).findFirst().orElse(null);
            int lSize = (int) local.sizeOf(lm.type());
            if (km == null) {
                if (program != null || !allZero(in, lOff, lSize)) {
                    throw new BpfException(where + " does not exist in the kernel's struct " + so.typeName());
                }
                continue;
            }
            int kOff = dataOffset + km.bitOffset() / Byte.SIZE;
            if (program != null) {
                Program p = programs.get(program);
                if (p == null) {
                    throw new BpfException(where + " points to program '" + program + "', which was not loaded");
                }
                buf.putLong(kOff, p.fd());
                continue;
            }
            if (isFunctionPointer(local, lm.type())) {
                continue; // an unset callback stays NULL
            }
            int kSize = (int) k.sizeOf(km.type());
            if (kSize != lSize) {
                throw new BpfException(where + " is " + lSize + " bytes here but " + kSize + " in the kernel");
            }
            System.arraycopy(in, lOff, out, kOff, lSize);
        }
        return out;
    }

    private static boolean isFunctionPointer(Btf btf, int type) {
        return btf.type(btf.resolve(type)) instanceof BtfType.Ptr p
                && btf.type(btf.resolve(p.type())) instanceof BtfType.FuncProto;
    }

    private static boolean allZero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
