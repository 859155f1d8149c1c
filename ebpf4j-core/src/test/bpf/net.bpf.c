// Networking and cgroup hooks for the attach tests. Every program counts into one slot of `counts`; the
// packet programs look only at UDP datagrams to TEST_PORT, the traffic the tests make.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TEST_PORT 4789

enum slot {
	XDP_COUNT, XDP_DROPPED, TC_FIRST, TC_SECOND, TC_DROPPED, CG_EGRESS, SOCK_DENIED, NF_LOCAL_OUT,
	MSG_BYTES, MSG_DROPPED, SK_LOOKUPS, SOCKET_SEEN, SKB_BYTES, SLOTS
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} sockets SEC(".maps");

static __always_inline void bump(__u32 slot, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, by);
}

// Whether the Ethernet frame in [data, end) is a UDP datagram to TEST_PORT.
static __always_inline int is_test_frame(void *data, void *end)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return 0;
	return udp->dest == bpf_htons(TEST_PORT);
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	if (is_test_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		bump(XDP_COUNT, 1);
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	if (is_test_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end)) {
		bump(XDP_DROPPED, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

// tc programs return TC_ACT_UNSPEC (tcx: TCX_NEXT) so that the next program on the hook runs too.
SEC("tc")
int tc_first(struct __sk_buff *skb)
{
	if (is_test_frame((void *)(long)skb->data, (void *)(long)skb->data_end))
		bump(TC_FIRST, 1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_second(struct __sk_buff *skb)
{
	if (is_test_frame((void *)(long)skb->data, (void *)(long)skb->data_end))
		bump(TC_SECOND, 1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_drop(struct __sk_buff *skb)
{
	if (is_test_frame((void *)(long)skb->data, (void *)(long)skb->data_end)) {
		bump(TC_DROPPED, 1);
		return TC_ACT_SHOT;
	}
	return TC_ACT_UNSPEC;
}

// cgroup_skb sees IP packets (no Ethernet header): count UDP to TEST_PORT leaving the cgroup.
SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;
	if (skb->protocol == bpf_htons(ETH_P_IP) && bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) == 0
	    && ip.protocol == IPPROTO_UDP && ip.ihl == 5
	    && bpf_skb_load_bytes(skb, sizeof(ip), &udp, sizeof(udp)) == 0 && udp.dest == bpf_htons(TEST_PORT))
		bump(CG_EGRESS, 1);
	return 1;
}

// Refuses every IPv4/IPv6 socket made in the cgroup.
SEC("cgroup/sock_create")
int sock_deny(struct bpf_sock *sk)
{
	bump(SOCK_DENIED, 1);
	return 0;
}

SEC("cgroup/sock_create")
int sock_allow(struct bpf_sock *sk)
{
	return 1;
}

SEC("netfilter")
int nf_count(void *ctx)
{
	bump(NF_LOCAL_OUT, 1);
	return 1; // NF_ACCEPT
}

SEC("sk_msg")
int msg_count(struct sk_msg_md *msg)
{
	bump(MSG_BYTES, msg->size);
	return SK_PASS;
}

SEC("sk_msg")
int msg_drop(struct sk_msg_md *msg)
{
	bump(MSG_DROPPED, 1);
	return SK_DROP;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
	bump(SKB_BYTES, skb->len);
	return SK_PASS;
}

SEC("sk_lookup")
int lookup_count(struct bpf_sk_lookup *ctx)
{
	if (ctx->protocol == IPPROTO_UDP && ctx->local_port == TEST_PORT)
		bump(SK_LOOKUPS, 1);
	return SK_PASS;
}

// Keeps the first 4 bytes of every datagram.
SEC("socket")
int sock_trunc(struct __sk_buff *skb)
{
	bump(SOCKET_SEEN, 1);
	return 4;
}

SEC("socket")
int sock_drop(struct __sk_buff *skb)
{
	bump(SOCKET_SEEN, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
