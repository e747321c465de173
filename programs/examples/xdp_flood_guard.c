/*
 * xdp_flood_guard.c — XDP program: per-source packet budget in an LRU hash map.
 * Program type: xdp (struct xdp_md; the packet starts at its Ethernet header).
 *
 * Each IPv4 source may send WINDOW_BUDGET UDP packets per one-second window (measured with
 * bpf_ktime_get_ns); the LRU map forgets the least recently seen sources when it is full.
 * Verdicts:
 *   XDP_PASS  non-IPv4 or non-UDP traffic (not this program's business), and UDP sources
 *             within their budget
 *   XDP_DROP  UDP from a source over its budget in the current window, and truncated
 *             Ethernet/IPv4/UDP headers
 */
#include <linux_compat.h>

#define WINDOW_NS 1000000000ULL
#define WINDOW_BUDGET 50

struct window {
    __u64 start_ns;
    __u64 packets;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);            /* IPv4 source address, network order */
    __type(value, struct window);
} sources SEC(".maps");

SEC("xdp")
int xdp_flood_guard(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;

    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return XDP_DROP;
    if (ip->protocol != IPPROTO_UDP)
        return XDP_PASS;
    if (ip->ihl < 5)
        return XDP_DROP;
    struct udphdr *udp = (void *)ip + ip->ihl * 4;
    if ((void *)(udp + 1) > data_end)
        return XDP_DROP;

    __u32 src = ip->saddr;
    __u64 now = bpf_ktime_get_ns();
    struct window *w = bpf_map_lookup_elem(&sources, &src);
    if (w == NULL) {
        struct window fresh = {.start_ns = now, .packets = 1};
        bpf_map_update_elem(&sources, &src, &fresh, BPF_ANY);
        return XDP_PASS;
    }
    if (now - w->start_ns >= WINDOW_NS) {
        w->start_ns = now;
        w->packets = 1;
        return XDP_PASS;
    }
    w->packets += 1;
    return w->packets > WINDOW_BUDGET ? XDP_DROP : XDP_PASS;
}

FS_LICENSE("Dual MIT/GPL");
