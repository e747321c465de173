/*
 * tail_check.c — socket filter: match UDP packets whose payload ends with "xyzzy".
 * The classic Magic Firewall socket-filter example, used as a firewall `bpf("tail_check")`
 * match (nftables xt_bpf semantics: the packet starts at its IP header).
 *
 * Verdicts (socket-filter convention):
 *   match (returns skb->len)  IPv4 or IPv6 UDP whose last 5 payload bytes, as delimited by the
 *                             UDP length field, are 'x' 'y' 'z' 'z' 'y'
 *   no match (returns 0)      anything else: other protocols, IPv4 fragments, payloads shorter
 *                             than 5 bytes, truncated packets, any other tail
 */
#include <linux_compat.h>

#define TAIL_LEN 5

static __always_inline int tail_matches(const u8 *tail)
{
    return tail[0] == 'x' && tail[1] == 'y' && tail[2] == 'z' && tail[3] == 'z' && tail[4] == 'y';
}

SEC("socket")
int tail_check(struct __sk_buff *skb)
{
    u8 first;
    if (bpf_skb_load_bytes(skb, 0, &first, 1) < 0)
        return 0;

    u32 udp_off;
    u8 version = first >> 4;
    if (version == 4) {
        struct iphdr ip4;
        if (bpf_skb_load_bytes(skb, 0, &ip4, sizeof(ip4)) < 0)
            return 0;
        if (ip4.protocol != IPPROTO_UDP)
            return 0;
        if (ntohs(ip4.frag_off) & (FS_IP_MF | FS_IP_OFFMASK))
            return 0;
        udp_off = (u32)ip4.ihl * 4;
        if (udp_off < sizeof(ip4))
            return 0;
    } else if (version == 6) {
        struct ipv6hdr ip6;
        if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
            return 0;
        if (ip6.nexthdr != IPPROTO_UDP) /* extension headers: not walked in this example */
            return 0;
        udp_off = sizeof(ip6);
    } else {
        return 0;
    }

    struct udphdr udp;
    if (bpf_skb_load_bytes(skb, udp_off, &udp, sizeof(udp)) < 0)
        return 0;
    u32 udp_len = ntohs(udp.len);
    if (udp_len < sizeof(udp) + TAIL_LEN)
        return 0;

    u8 tail[TAIL_LEN];
    /* bpf_skb_load_bytes fails when the range runs past the packet: a UDP length claiming more
     * than arrived is "no match". */
    if (bpf_skb_load_bytes(skb, udp_off + udp_len - TAIL_LEN, tail, TAIL_LEN) < 0)
        return 0;
    return tail_matches(tail) ? (int)skb->len : 0;
}
