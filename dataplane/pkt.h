/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet / IPv4 / UDP / ICMP: validate what arrives, build what leaves.
 *
 * pkt_classify() looks at a received frame and says what it is (ARP, ICMP echo
 * for us, UDP for us) or why it must be dropped. The build helpers write
 * Ethernet + IPv4 + UDP headers in front of a payload with both checksums
 * computed in software (the test network's veths and af_packet give no
 * checksum offload). All functions are called by the worker that owns the
 * mbuf; none blocks or allocates.
 */
#ifndef SIPLB_PKT_H
#define SIPLB_PKT_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "cnt.h"

#define PKT_HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		     sizeof(struct rte_udp_hdr))

enum pkt_kind {
	PKT_DROP = 0, /* see pkt_view.drop */
	PKT_ARP,      /* an ARP packet (request or reply, any target) */
	PKT_ICMP_ECHO,/* ICMP echo request to our address */
	PKT_UDP,      /* UDP to our address, checksums good */
};

struct pkt_view {
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;  /* PKT_ICMP_ECHO, PKT_UDP */
	struct rte_udp_hdr *udp;  /* PKT_UDP */
	char *payload;            /* PKT_UDP: UDP payload */
	uint16_t payload_len;     /* PKT_UDP: from the UDP length field */
	uint32_t src_ip;          /* network order */
	uint16_t sport;           /* host order */
	uint16_t dport;           /* host order */
	enum cnt_drop drop;       /* PKT_DROP: why */
};

/*
 * Classify the frame in m (single segment) for our address our_ip (network
 * order). Checks: Ethernet type, IPv4 version/IHL/total length/header checksum/
 * TTL/fragmentation (fragments are dropped: reassembly is not implemented),
 * destination address, UDP length and checksum (0 = none, accepted).
 * Returns the kind; on PKT_DROP sets v->drop.
 */
enum pkt_kind pkt_classify(struct rte_mbuf *m, uint32_t our_ip, struct pkt_view *v);

/*
 * Turn the ICMP echo request in m (classified PKT_ICMP_ECHO) into the echo
 * reply in place: swap MAC and IP addresses, set type 0, fix checksums.
 */
void pkt_icmp_echo_reply(struct rte_mbuf *m, const struct pkt_view *v);

/*
 * Write Ethernet, IPv4 and UDP headers at the start of m's data, in front of
 * the payload_len bytes of payload already at offset PKT_HDR_LEN, set the
 * mbuf lengths, and compute IPv4 and UDP checksums. Addresses in network
 * order, ports in host order.
 */
void pkt_udp_build(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
		   const struct rte_ether_addr *dst_mac, uint32_t src_ip,
		   uint32_t dst_ip, uint16_t sport, uint16_t dport,
		   uint16_t payload_len);

/* True when ip (network order) is in our_ip/prefix. */
static inline int
pkt_on_link(uint32_t ip, uint32_t our_ip, uint8_t prefix)
{
	uint32_t mask = prefix ? rte_cpu_to_be_32(~0u << (32 - prefix)) : 0;

	return ((ip ^ our_ip) & mask) == 0;
}

#endif
