package io.ebpf4j.kernel;

import java.lang.foreign.MemoryLayout;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The members of {@code union bpf_attr} and the {@code bpf_*_info} structures of Linux 6.18, as layouts.
 * Offsets are derived from these layouts (the JDK checks every member's alignment), and
 * {@code AttrLayoutTest} pins them to the kernel header's numbers.
 */
public final class Attr {
    private Attr() {
    }

    private static MemoryLayout u32(String name) {
        return JAVA_INT.withName(name);
    }

    private static MemoryLayout u64(String name) {
        return JAVA_LONG.withName(name);
    }

    private static MemoryLayout chars(String name, int n) {
        return sequenceLayout(n, JAVA_BYTE).withName(name);
    }

    private static MemoryLayout pad(int bytes) {
        return paddingLayout(bytes);
    }

    public static final int OBJ_NAME_LEN = 16;

    public static final AttrLayout MAP_CREATE = AttrLayout.of("BPF_MAP_CREATE",
            u32("map_type"), u32("key_size"), u32("value_size"), u32("max_entries"), u32("map_flags"),
            u32("inner_map_fd"), u32("numa_node"), chars("map_name", OBJ_NAME_LEN), u32("map_ifindex"),
            u32("btf_fd"), u32("btf_key_type_id"), u32("btf_value_type_id"), u32("btf_vmlinux_value_type_id"),
            u64("map_extra"), u32("value_type_btf_obj_fd"), u32("map_token_fd"), u64("excl_prog_hash"),
            u32("excl_prog_hash_size"), pad(4));

    /** LOOKUP/UPDATE/DELETE/GET_NEXT_KEY/LOOKUP_AND_DELETE_ELEM. {@code value} doubles as {@code next_key}. */
    public static final AttrLayout MAP_ELEM = AttrLayout.of("BPF_MAP_*_ELEM",
            u32("map_fd"), pad(4), u64("key"), u64("value"), u64("flags"));

    public static final AttrLayout MAP_BATCH = AttrLayout.of("BPF_MAP_*_BATCH",
            u64("in_batch"), u64("out_batch"), u64("keys"), u64("values"), u32("count"), u32("map_fd"),
            u64("elem_flags"), u64("flags"));

    public static final AttrLayout PROG_LOAD = AttrLayout.of("BPF_PROG_LOAD",
            u32("prog_type"), u32("insn_cnt"), u64("insns"), u64("license"), u32("log_level"), u32("log_size"),
            u64("log_buf"), u32("kern_version"), u32("prog_flags"), chars("prog_name", OBJ_NAME_LEN),
            u32("prog_ifindex"), u32("expected_attach_type"), u32("prog_btf_fd"), u32("func_info_rec_size"),
            u64("func_info"), u32("func_info_cnt"), u32("line_info_rec_size"), u64("line_info"),
            u32("line_info_cnt"), u32("attach_btf_id"), u32("attach_prog_fd"), u32("core_relo_cnt"),
            u64("fd_array"), u64("core_relos"), u32("core_relo_rec_size"), u32("log_true_size"),
            u32("prog_token_fd"), u32("fd_array_cnt"), u64("signature"), u32("signature_size"), u32("keyring_id"));

    /** OBJ_PIN and OBJ_GET. */
    public static final AttrLayout OBJ = AttrLayout.of("BPF_OBJ_*",
            u64("pathname"), u32("bpf_fd"), u32("file_flags"), u32("path_fd"), pad(4));

    /** PROG_ATTACH and PROG_DETACH. */
    public static final AttrLayout PROG_ATTACH = AttrLayout.of("BPF_PROG_ATTACH",
            u32("target_fd"), u32("attach_bpf_fd"), u32("attach_type"), u32("attach_flags"),
            u32("replace_bpf_fd"), u32("relative_fd"), u64("expected_revision"));

    public static final AttrLayout TEST_RUN = AttrLayout.of("BPF_PROG_TEST_RUN",
            u32("prog_fd"), u32("retval"), u32("data_size_in"), u32("data_size_out"), u64("data_in"),
            u64("data_out"), u32("repeat"), u32("duration"), u32("ctx_size_in"), u32("ctx_size_out"),
            u64("ctx_in"), u64("ctx_out"), u32("flags"), u32("cpu"), u32("batch_size"), pad(4));

    /** *_GET_NEXT_ID and *_GET_FD_BY_ID: {@code id} is start_id, prog_id, map_id, btf_id or link_id. */
    public static final AttrLayout GET_ID = AttrLayout.of("BPF_*_ID",
            u32("id"), u32("next_id"), u32("open_flags"), u32("fd_by_id_token_fd"));

    public static final AttrLayout INFO = AttrLayout.of("BPF_OBJ_GET_INFO_BY_FD",
            u32("bpf_fd"), u32("info_len"), u64("info"));

    public static final AttrLayout PROG_QUERY = AttrLayout.of("BPF_PROG_QUERY",
            u32("target_fd"), u32("attach_type"), u32("query_flags"), u32("attach_flags"), u64("prog_ids"),
            u32("prog_cnt"), pad(4), u64("prog_attach_flags"), u64("link_ids"), u64("link_attach_flags"),
            u64("revision"));

    public static final AttrLayout RAW_TRACEPOINT_OPEN = AttrLayout.of("BPF_RAW_TRACEPOINT_OPEN",
            u64("name"), u32("prog_fd"), pad(4), u64("cookie"));

    public static final AttrLayout BTF_LOAD = AttrLayout.of("BPF_BTF_LOAD",
            u64("btf"), u64("btf_log_buf"), u32("btf_size"), u32("btf_log_size"), u32("btf_log_level"),
            u32("btf_log_true_size"), u32("btf_flags"), u32("btf_token_fd"));

    /**
     * LINK_CREATE. The kernel's tail is a union over link kinds; we lay it out as eight 8-byte words and name
     * the offsets each kind uses in {@link LinkCreate}.
     */
    public static final AttrLayout LINK_CREATE = AttrLayout.of("BPF_LINK_CREATE",
            u32("prog_fd"), u32("target_fd"), u32("attach_type"), u32("flags"),
            u64("u0"), u64("u1"), u64("u2"), u64("u3"), u64("u4"), u64("u5"));

    /** Offsets inside LINK_CREATE's union, by link kind. */
    public static final class LinkCreate {
        private LinkCreate() {
        }

        public static final long TARGET_BTF_ID = 16;
        public static final long ITER_INFO = 16;
        public static final long ITER_INFO_LEN = 24;
        public static final long PERF_EVENT_BPF_COOKIE = 16;
        public static final long KPROBE_MULTI_FLAGS = 16;
        public static final long KPROBE_MULTI_CNT = 20;
        public static final long KPROBE_MULTI_SYMS = 24;
        public static final long KPROBE_MULTI_ADDRS = 32;
        public static final long KPROBE_MULTI_COOKIES = 40;
        public static final long TRACING_TARGET_BTF_ID = 16;
        public static final long TRACING_COOKIE = 24;
        public static final long NETFILTER_PF = 16;
        public static final long NETFILTER_HOOKNUM = 20;
        public static final long NETFILTER_PRIORITY = 24;
        public static final long NETFILTER_FLAGS = 28;
        /** tcx, netkit and cgroup links share this shape. */
        public static final long RELATIVE_FD = 16;
        public static final long EXPECTED_REVISION = 24;
        public static final long UPROBE_MULTI_PATH = 16;
        public static final long UPROBE_MULTI_OFFSETS = 24;
        public static final long UPROBE_MULTI_REF_CTR_OFFSETS = 32;
        public static final long UPROBE_MULTI_COOKIES = 40;
        public static final long UPROBE_MULTI_CNT = 48;
        public static final long UPROBE_MULTI_FLAGS = 52;
        public static final long UPROBE_MULTI_PID = 56;
    }

    public static final AttrLayout LINK_UPDATE = AttrLayout.of("BPF_LINK_UPDATE",
            u32("link_fd"), u32("new_prog_fd"), u32("flags"), u32("old_prog_fd"));

    public static final AttrLayout LINK_DETACH = AttrLayout.of("BPF_LINK_DETACH", u32("link_fd"));

    public static final AttrLayout ENABLE_STATS = AttrLayout.of("BPF_ENABLE_STATS", u32("type"));

    public static final AttrLayout ITER_CREATE = AttrLayout.of("BPF_ITER_CREATE", u32("link_fd"), u32("flags"));

    public static final AttrLayout PROG_BIND_MAP = AttrLayout.of("BPF_PROG_BIND_MAP",
            u32("prog_fd"), u32("map_fd"), u32("flags"));

    public static final AttrLayout TOKEN_CREATE = AttrLayout.of("BPF_TOKEN_CREATE", u32("flags"), u32("bpffs_fd"));

    public static final AttrLayout PROG_INFO = AttrLayout.of("bpf_prog_info",
            u32("type"), u32("id"), chars("tag", 8), u32("jited_prog_len"), u32("xlated_prog_len"),
            u64("jited_prog_insns"), u64("xlated_prog_insns"), u64("load_time"), u32("created_by_uid"),
            u32("nr_map_ids"), u64("map_ids"), chars("name", OBJ_NAME_LEN), u32("ifindex"),
            u32("gpl_compatible"), u64("netns_dev"), u64("netns_ino"), u32("nr_jited_ksyms"),
            u32("nr_jited_func_lens"), u64("jited_ksyms"), u64("jited_func_lens"), u32("btf_id"),
            u32("func_info_rec_size"), u64("func_info"), u32("nr_func_info"), u32("nr_line_info"),
            u64("line_info"), u64("jited_line_info"), u32("nr_jited_line_info"), u32("line_info_rec_size"),
            u32("jited_line_info_rec_size"), u32("nr_prog_tags"), u64("prog_tags"), u64("run_time_ns"),
            u64("run_cnt"), u64("recursion_misses"), u32("verified_insns"), u32("attach_btf_obj_id"),
            u32("attach_btf_id"), pad(4));

    public static final AttrLayout MAP_INFO = AttrLayout.of("bpf_map_info",
            u32("type"), u32("id"), u32("key_size"), u32("value_size"), u32("max_entries"), u32("map_flags"),
            chars("name", OBJ_NAME_LEN), u32("ifindex"), u32("btf_vmlinux_value_type_id"), u64("netns_dev"),
            u64("netns_ino"), u32("btf_id"), u32("btf_key_type_id"), u32("btf_value_type_id"),
            u32("btf_vmlinux_id"), u64("map_extra"), u64("hash"), u32("hash_size"), pad(4));

    public static final AttrLayout BTF_INFO = AttrLayout.of("bpf_btf_info",
            u64("btf"), u32("btf_size"), u32("id"), u64("name"), u32("name_len"), u32("kernel_btf"));

    /** The common head of {@code bpf_link_info}; the per-kind union follows at 16 (48 bytes in 6.18). */
    public static final AttrLayout LINK_INFO = AttrLayout.of("bpf_link_info",
            u32("type"), u32("id"), u32("prog_id"), pad(4),
            u64("u0"), u64("u1"), u64("u2"), u64("u3"), u64("u4"), u64("u5"));

    /** The size of {@code struct bpf_insn}. */
    public static final int INSN_SIZE = 8;
}
