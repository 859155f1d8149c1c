// CO-RE against a target BTF the tests write: every relocation kind, computed into out[] as constants so the
// programs load on any kernel. The local types below are what the program was "compiled against"; the test's
// target BTF moves, resizes, renames and drops fields, types and enumerators.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define CORE __attribute__((preserve_access_index))
#define FIELD(type, field, info) __builtin_preserve_field_info(((type *)0)->field, info)

struct core_sample {
	int a;
	int b;
	short c;
	int gone;
	unsigned int bf_u : 3;
	int bf_s : 5;
	int arr[4];
	struct {
		int inner;
	};
} CORE;

struct core_renamed___v2 {
	int x;
	int y;
} CORE;

struct core_flav {
	int z;
} CORE;

enum core_color { CORE_RED, CORE_GREEN, CORE_BLUE };
enum core_wide { CORE_WIDE = 0x10000000000ULL };

struct core_gone_type {
	int q;
} CORE;

struct core_amb {
	int v;
} CORE;

struct core_match_yes {
	int m;
	unsigned long n;
};

struct core_match_no {
	int m;
};

enum out_index {
	OFF_A, OFF_B, SIZE_C, EXISTS_GONE, EXISTS_A, SIGNED_BF_U, SIGNED_BF_S, LSHIFT_BF_U, RSHIFT_BF_U,
	LSHIFT_BF_S, RSHIFT_BF_S, OFF_ARR2, OFF_INNER, OFF_RENAMED_Y, OFF_FLAV_Z, RED_EXISTS, GREEN_VALUE,
	BLUE_VALUE, WIDE_VALUE, WIDE_EXISTS, GONE_TYPE_EXISTS, SAMPLE_EXISTS, SAMPLE_SIZE, SAMPLE_ID_LOCAL,
	SAMPLE_ID_TARGET, MATCH_YES, MATCH_NO, MATCH_NO_EXISTS, GUARDED, SIZE_ARR, OUT_LEN
};

__u64 out[OUT_LEN];

SEC("raw_tp/sys_enter")
int values(void *ctx)
{
	out[OFF_A] = bpf_core_field_offset(struct core_sample, a);
	out[OFF_B] = bpf_core_field_offset(struct core_sample, b);
	out[SIZE_C] = bpf_core_field_size(struct core_sample, c);
	out[EXISTS_GONE] = bpf_core_field_exists(struct core_sample, gone);
	out[EXISTS_A] = bpf_core_field_exists(struct core_sample, a);
	out[SIGNED_BF_U] = FIELD(struct core_sample, bf_u, BPF_FIELD_SIGNED);
	out[SIGNED_BF_S] = FIELD(struct core_sample, bf_s, BPF_FIELD_SIGNED);
	out[LSHIFT_BF_U] = FIELD(struct core_sample, bf_u, BPF_FIELD_LSHIFT_U64);
	out[RSHIFT_BF_U] = FIELD(struct core_sample, bf_u, BPF_FIELD_RSHIFT_U64);
	out[LSHIFT_BF_S] = FIELD(struct core_sample, bf_s, BPF_FIELD_LSHIFT_U64);
	out[RSHIFT_BF_S] = FIELD(struct core_sample, bf_s, BPF_FIELD_RSHIFT_U64);
	out[OFF_ARR2] = FIELD(struct core_sample, arr[2], BPF_FIELD_BYTE_OFFSET);
	out[SIZE_ARR] = bpf_core_field_size(struct core_sample, arr);
	out[OFF_INNER] = bpf_core_field_offset(struct core_sample, inner);
	out[OFF_RENAMED_Y] = bpf_core_field_offset(struct core_renamed___v2, y);
	out[OFF_FLAV_Z] = bpf_core_field_offset(struct core_flav, z);
	out[RED_EXISTS] = bpf_core_enum_value_exists(enum core_color, CORE_RED);
	out[GREEN_VALUE] = bpf_core_enum_value(enum core_color, CORE_GREEN);
	out[BLUE_VALUE] = bpf_core_enum_value(enum core_color, CORE_BLUE);
	out[WIDE_VALUE] = bpf_core_enum_value(enum core_wide, CORE_WIDE);
	out[WIDE_EXISTS] = bpf_core_enum_value_exists(enum core_wide, CORE_WIDE);
	out[GONE_TYPE_EXISTS] = bpf_core_type_exists(struct core_gone_type);
	out[SAMPLE_EXISTS] = bpf_core_type_exists(struct core_sample);
	out[SAMPLE_SIZE] = bpf_core_type_size(struct core_sample);
	out[SAMPLE_ID_LOCAL] = bpf_core_type_id_local(struct core_sample);
	out[SAMPLE_ID_TARGET] = bpf_core_type_id_kernel(struct core_sample);
	out[MATCH_YES] = bpf_core_type_matches(struct core_match_yes);
	out[MATCH_NO] = bpf_core_type_matches(struct core_match_no);
	out[MATCH_NO_EXISTS] = bpf_core_type_exists(struct core_match_no);
	if (bpf_core_type_exists(struct core_gone_type))
		out[GUARDED] = bpf_core_field_offset(struct core_gone_type, q);
	else
		out[GUARDED] = 12345;
	return 0;
}

SEC("?raw_tp/sys_enter")
int ambiguous(void *ctx)
{
	out[0] = bpf_core_field_offset(struct core_amb, v);
	return 0;
}

SEC("?raw_tp/sys_enter")
int unguarded(void *ctx)
{
	out[GUARDED] = bpf_core_field_offset(struct core_gone_type, q);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
