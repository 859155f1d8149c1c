package io.ebpf4j.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Offsets and sizes from the Linux 6.18 UAPI header (offsetof on union bpf_attr and the info structs). */
class AttrLayoutTest {
    @Test
    void mapCreate() {
        var l = Attr.MAP_CREATE;
        assertEquals(28, l.offset("map_name"));
        assertEquals(44, l.offset("map_ifindex"));
        assertEquals(60, l.offset("btf_vmlinux_value_type_id"));
        assertEquals(64, l.offset("map_extra"));
        assertEquals(72, l.offset("value_type_btf_obj_fd"));
        assertEquals(76, l.offset("map_token_fd"));
        assertEquals(80, l.offset("excl_prog_hash"));
        assertEquals(88, l.offset("excl_prog_hash_size"));
        assertEquals(92, l.size());
    }

    @Test
    void elementsAndBatches() {
        assertEquals(8, Attr.MAP_ELEM.offset("key"));
        assertEquals(16, Attr.MAP_ELEM.offset("value"));
        assertEquals(24, Attr.MAP_ELEM.offset("flags"));
        assertEquals(32, Attr.MAP_ELEM.size());
        assertEquals(32, Attr.MAP_BATCH.offset("count"));
        assertEquals(36, Attr.MAP_BATCH.offset("map_fd"));
        assertEquals(40, Attr.MAP_BATCH.offset("elem_flags"));
        assertEquals(48, Attr.MAP_BATCH.offset("flags"));
        assertEquals(56, Attr.MAP_BATCH.size());
    }

    @Test
    void progLoad() {
        var l = Attr.PROG_LOAD;
        assertEquals(32, l.offset("log_buf"));
        assertEquals(48, l.offset("prog_name"));
        assertEquals(68, l.offset("expected_attach_type"));
        assertEquals(80, l.offset("func_info"));
        assertEquals(96, l.offset("line_info"));
        assertEquals(108, l.offset("attach_btf_id"));
        assertEquals(112, l.offset("attach_prog_fd"));
        assertEquals(120, l.offset("fd_array"));
        assertEquals(128, l.offset("core_relos"));
        assertEquals(140, l.offset("log_true_size"));
        assertEquals(144, l.offset("prog_token_fd"));
        assertEquals(148, l.offset("fd_array_cnt"));
        assertEquals(152, l.offset("signature"));
        assertEquals(160, l.offset("signature_size"));
        assertEquals(164, l.offset("keyring_id"));
        assertEquals(168, l.size());
    }

    @Test
    void theRest() {
        assertEquals(8, Attr.OBJ.offset("bpf_fd"));
        assertEquals(16, Attr.OBJ.offset("path_fd"));
        assertEquals(16, Attr.PROG_ATTACH.offset("replace_bpf_fd"));
        assertEquals(24, Attr.PROG_ATTACH.offset("expected_revision"));
        assertEquals(16, Attr.TEST_RUN.offset("data_in"));
        assertEquals(32, Attr.TEST_RUN.offset("repeat"));
        assertEquals(48, Attr.TEST_RUN.offset("ctx_in"));
        assertEquals(56, Attr.TEST_RUN.offset("ctx_out"));
        assertEquals(64, Attr.TEST_RUN.offset("flags"));
        assertEquals(68, Attr.TEST_RUN.offset("cpu"));
        assertEquals(72, Attr.TEST_RUN.offset("batch_size"));
        assertEquals(4, Attr.GET_ID.offset("next_id"));
        assertEquals(12, Attr.GET_ID.offset("fd_by_id_token_fd"));
        assertEquals(8, Attr.INFO.offset("info"));
        assertEquals(16, Attr.PROG_QUERY.offset("prog_ids"));
        assertEquals(24, Attr.PROG_QUERY.offset("prog_cnt"));
        assertEquals(32, Attr.PROG_QUERY.offset("prog_attach_flags"));
        assertEquals(56, Attr.PROG_QUERY.offset("revision"));
        assertEquals(8, Attr.RAW_TRACEPOINT_OPEN.offset("prog_fd"));
        assertEquals(16, Attr.RAW_TRACEPOINT_OPEN.offset("cookie"));
        assertEquals(16, Attr.BTF_LOAD.offset("btf_size"));
        assertEquals(28, Attr.BTF_LOAD.offset("btf_log_true_size"));
        assertEquals(32, Attr.BTF_LOAD.offset("btf_flags"));
        assertEquals(36, Attr.BTF_LOAD.offset("btf_token_fd"));
        assertEquals(8, Attr.LINK_CREATE.offset("attach_type"));
        assertEquals(12, Attr.LINK_CREATE.offset("flags"));
        assertEquals(64, Attr.LINK_CREATE.size());
        assertEquals(12, Attr.LINK_UPDATE.offset("old_prog_fd"));
        assertEquals(8, Attr.PROG_BIND_MAP.offset("flags"));
        assertEquals(4, Attr.TOKEN_CREATE.offset("bpffs_fd"));
    }

    @Test
    void infoStructs() {
        var p = Attr.PROG_INFO;
        assertEquals(8, p.offset("tag"));
        assertEquals(56, p.offset("map_ids"));
        assertEquals(64, p.offset("name"));
        assertEquals(88, p.offset("netns_dev"));
        assertEquals(128, p.offset("btf_id"));
        assertEquals(136, p.offset("func_info"));
        assertEquals(152, p.offset("line_info"));
        assertEquals(192, p.offset("run_time_ns"));
        assertEquals(216, p.offset("verified_insns"));
        assertEquals(224, p.offset("attach_btf_id"));
        assertEquals(232, p.layout().byteSize());
        var m = Attr.MAP_INFO;
        assertEquals(24, m.offset("name"));
        assertEquals(48, m.offset("netns_dev"));
        assertEquals(64, m.offset("btf_id"));
        assertEquals(80, m.offset("map_extra"));
        assertEquals(96, m.offset("hash_size"));
        assertEquals(104, m.layout().byteSize());
        assertEquals(16, Attr.BTF_INFO.offset("name"));
        assertEquals(28, Attr.BTF_INFO.offset("kernel_btf"));
        assertEquals(32, Attr.BTF_INFO.layout().byteSize());
        assertEquals(64, Attr.LINK_INFO.layout().byteSize());
    }

    @Test
    void lastNonZeroFieldNamesTheHighestSetField() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var a = arena.allocate(Attr.PROG_LOAD.layout());
            a.set(java.lang.foreign.ValueLayout.JAVA_INT, Attr.PROG_LOAD.offset("prog_type"), 1);
            assertEquals("prog_type", Attr.PROG_LOAD.lastNonZeroField(a, Attr.PROG_LOAD.size()));
            a.set(java.lang.foreign.ValueLayout.JAVA_INT, Attr.PROG_LOAD.offset("fd_array_cnt"), 3);
            assertEquals("fd_array_cnt", Attr.PROG_LOAD.lastNonZeroField(a, Attr.PROG_LOAD.size()));
            assertEquals("prog_type", Attr.PROG_LOAD.lastNonZeroField(a, 100));
        }
    }
}
