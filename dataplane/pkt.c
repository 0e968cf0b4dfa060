/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet / IPv4 / UDP / ICMP validation and construction. See pkt.h.
 *
 * Every check reads only bytes already proved to lie inside the first (and
 * only) segment: the frame length is checked before each header is touched.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "pkt.h"

#define PKT_TTL 64
#define PKT_ICMP_HDR_LEN 8

static inline enum pkt_kind
pkt_drop(struct pkt_view *v, enum cnt_drop why)
{
	v->drop = why;
	return PKT_DROP;
}

/*
 * One's-complement sum (RFC 1071) of the UDP datagram plus the pseudo header
 * must be all ones. rte_ipv4_udptcp_cksum_verify() would do, but it is
 * experimental in DPDK 22.11; this is the same arithmetic from stable calls.
 * The pseudo header takes its length from the IPv4 total length, which the
 * caller has already matched to the UDP length.
 */
static inline int
pkt_udp_cksum_ok(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp,
		 uint16_t l4_len)
{
	uint32_t sum = rte_raw_cksum(udp, l4_len);

	sum += rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static enum pkt_kind
pkt_classify_icmp(struct rte_ipv4_hdr *ip, uint16_t l4_len, struct pkt_view *v)
{
	const struct rte_icmp_hdr *icmp;

	if (unlikely(l4_len < PKT_ICMP_HDR_LEN))
		return pkt_drop(v, CNT_DROP_ICMP_BAD);
	icmp = (const struct rte_icmp_hdr *)((char *)ip + rte_ipv4_hdr_len(ip));
	/* Only echo requests are answered (RFC 1122 §3.2.2.6); errors and
	 * everything else are of no use to a proxy that keeps no sockets. */
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return pkt_drop(v, CNT_DROP_ICMP_OTHER);
	if (unlikely(rte_raw_cksum(icmp, l4_len) != 0xffff))
		return pkt_drop(v, CNT_DROP_ICMP_BAD);
	return PKT_ICMP_ECHO;
}

static enum pkt_kind
pkt_classify_udp(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t l4_len,
		 struct pkt_view *v)
{
	struct rte_udp_hdr *udp;
	uint16_t ulen;
	uint64_t l4f;

	if (unlikely(l4_len < sizeof(*udp)))
		return pkt_drop(v, CNT_DROP_UDP_BAD_LEN);
	udp = (struct rte_udp_hdr *)((char *)ip + rte_ipv4_hdr_len(ip));
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	/* RFC 768: the UDP length covers header and data. Anything but an
	 * exact match with the IPv4 payload is either truncation or trailing
	 * bytes we cannot attribute; both are refused. */
	if (unlikely(ulen != l4_len))
		return pkt_drop(v, CNT_DROP_UDP_BAD_LEN);

	l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (unlikely(l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD))
		return pkt_drop(v, CNT_DROP_UDP_BAD_CKSUM);
	/* GOOD and NONE both mean the NIC vouched for the data. A zero
	 * checksum means the sender computed none (RFC 768). */
	if (l4f == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN && udp->dgram_cksum != 0 &&
	    unlikely(!pkt_udp_cksum_ok(ip, udp, l4_len)))
		return pkt_drop(v, CNT_DROP_UDP_BAD_CKSUM);

	v->udp = udp;
	v->payload = (char *)(udp + 1);
	v->payload_len = ulen - sizeof(*udp);
	v->sport = rte_be_to_cpu_16(udp->src_port);
	v->dport = rte_be_to_cpu_16(udp->dst_port);
	return PKT_UDP;
}

enum pkt_kind
pkt_classify(struct rte_mbuf *m, uint32_t our_ip, struct pkt_view *v)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint16_t dlen = rte_pktmbuf_data_len(m);
	uint16_t hlen, tlen, frag;
	uint64_t ipf;

	v->eth = NULL;
	v->ip = NULL;
	v->udp = NULL;
	v->payload = NULL;
	v->payload_len = 0;

	if (unlikely(m->nb_segs != 1))
		return pkt_drop(v, CNT_DROP_ETH_MULTISEG);
	if (unlikely(dlen < sizeof(*eth)))
		return pkt_drop(v, CNT_DROP_ETH_SHORT);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	v->eth = eth;

	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return PKT_ARP;
	if (unlikely(eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return pkt_drop(v, CNT_DROP_ETH_TYPE);

	if (unlikely(dlen < sizeof(*eth) + sizeof(*ip)))
		return pkt_drop(v, CNT_DROP_ETH_SHORT);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	if (unlikely((ip->version_ihl >> 4) != 4 ||
		     (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) < RTE_IPV4_MIN_IHL))
		return pkt_drop(v, CNT_DROP_IP_BAD_HDR);
	hlen = rte_ipv4_hdr_len(ip);
	tlen = rte_be_to_cpu_16(ip->total_length);
	/* Short frames arrive padded to 60 bytes, so the IPv4 total length,
	 * not the frame length, says where the datagram ends (RFC 791); it
	 * must still cover the header and fit in what we received. This also
	 * keeps an IHL that runs past the frame from being read. */
	if (unlikely(tlen < hlen || tlen > dlen - sizeof(*eth)))
		return pkt_drop(v, CNT_DROP_IP_BAD_HDR);

	ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (unlikely(ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD))
		return pkt_drop(v, CNT_DROP_IP_BAD_CKSUM);
	if (ipf != RTE_MBUF_F_RX_IP_CKSUM_GOOD && unlikely(rte_raw_cksum(ip, hlen) != 0xffff))
		return pkt_drop(v, CNT_DROP_IP_BAD_CKSUM);

	/* A host may accept TTL 1 (RFC 1122 §3.2.1.7) but nobody may send
	 * TTL 0: such a datagram is malformed. */
	if (unlikely(ip->time_to_live == 0))
		return pkt_drop(v, CNT_DROP_IP_BAD_HDR);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (unlikely(frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return pkt_drop(v, CNT_DROP_IP_FRAGMENT);
	if (unlikely(ip->dst_addr != our_ip))
		return pkt_drop(v, CNT_DROP_IP_NOT_US);

	v->ip = ip;
	v->src_ip = ip->src_addr;
	if (likely(ip->next_proto_id == IPPROTO_UDP))
		return pkt_classify_udp(m, ip, tlen - hlen, v);
	if (ip->next_proto_id == IPPROTO_ICMP)
		return pkt_classify_icmp(ip, tlen - hlen, v);
	return pkt_drop(v, CNT_DROP_IP_PROTO);
}

void
pkt_icmp_echo_reply(struct rte_mbuf *m, const struct pkt_view *v)
{
	struct rte_ether_hdr *eth = v->eth;
	struct rte_ipv4_hdr *ip = v->ip;
	struct rte_icmp_hdr *icmp;
	struct rte_ether_addr mac;
	uint32_t addr, sum;
	uint16_t tlen = rte_be_to_cpu_16(ip->total_length);

	icmp = (struct rte_icmp_hdr *)((char *)ip + rte_ipv4_hdr_len(ip));

	rte_ether_addr_copy(&eth->src_addr, &mac);
	rte_ether_addr_copy(&eth->dst_addr, &eth->src_addr);
	rte_ether_addr_copy(&mac, &eth->dst_addr);

	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = PKT_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	/* Only the type/code word changes (0x0800 -> 0x0000): update the
	 * checksum incrementally, HC' = ~(~HC + ~m + m') (RFC 1624 eqn. 3),
	 * instead of summing the whole echo payload again. */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	sum = (uint16_t)~rte_be_to_cpu_16(icmp->icmp_cksum);
	sum += (uint16_t)~(RTE_IP_ICMP_ECHO_REQUEST << 8);
	sum += RTE_IP_ICMP_ECHO_REPLY << 8;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);

	/* Drop the Ethernet padding the request may have carried. */
	m->data_len = (uint16_t)(sizeof(*eth) + tlen);
	m->pkt_len = m->data_len;
}

void
pkt_udp_build(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
	      const struct rte_ether_addr *dst_mac, uint32_t src_ip,
	      uint32_t dst_ip, uint16_t sport, uint16_t dport,
	      uint16_t payload_len)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t ulen = (uint16_t)(sizeof(*udp) + payload_len);

	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + ulen));
	/* DF set, so ID 0 is allowed (RFC 6864 §4.1): the datagram is atomic. */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = PKT_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src_ip;
	ip->dst_addr = dst_ip;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(ulen);
	udp->dgram_cksum = 0;
	/* Returns 0xffff for a computed zero (RFC 768), never "no checksum". */
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);

	m->data_len = (uint16_t)(PKT_HDR_LEN + payload_len);
	m->pkt_len = m->data_len;
	m->l2_len = sizeof(*eth);
	m->l3_len = sizeof(*ip);
}
