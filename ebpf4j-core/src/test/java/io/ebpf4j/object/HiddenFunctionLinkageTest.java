package io.ebpf4j.object;

import io.ebpf4j.btf.Btf;
import io.ebpf4j.btf.BtfKind;
import io.ebpf4j.btf.BtfType;
import io.ebpf4j.testing.BpfC;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Hidden global functions ({@code __hidden}, like usdt.bpf.h's {@code bpf_usdt_arg}) are given static BTF linkage
 * in the BTF handed to the kernel, as libbpf does; entry programs keep their global linkage.
 */
class HiddenFunctionLinkageTest {
    @Test
    void hiddenGlobalFunctionsBecomeStatic() {
        ObjectSpec spec = ObjectSpec.read(BpfC.object("usdt"));
        Btf original = spec.btf();
        Btf loadable = Btf.parse(spec.loadableBtf());
        assertEquals(BtfType.Linkage.GLOBAL, linkage(original, "bpf_usdt_arg"), "clang's BTF says global");
        assertEquals(BtfType.Linkage.STATIC, linkage(loadable, "bpf_usdt_arg"));
        assertEquals(BtfType.Linkage.STATIC, linkage(loadable, "bpf_usdt_cookie"));
        assertEquals(BtfType.Linkage.GLOBAL, linkage(loadable, "on_args"), "an entry program stays global");
    }

    private static BtfType.Linkage linkage(Btf btf, String func) {
        int id = btf.find(func, BtfKind.FUNC).orElseThrow();
        return ((BtfType.Func) btf.type(id)).linkage();
    }
}
