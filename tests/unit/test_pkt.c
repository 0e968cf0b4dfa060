/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt: classification of received frames and construction of UDP frames.
 * Checksums are verified with an independent one's-complement sum written
 * here, not with the DPDK helpers the module itself uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "pkt.h"
#include "test_dpdk.h"

#define NB_MBUF 255

static struct rte_mempool *mp;

static const struct rte_ether_addr mac_a = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a }};
static const struct rte_ether_addr mac_b = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x15 }};
/* 198.18.0.10 (us) and 198.18.0.21 (peer), network order. */
#define IP_US RTE_BE32(0xc612000a)
#define IP_PEER RTE_BE32(0xc6120015)
static const uint8_t ip_us_b[4] = { 198, 18, 0, 10 };
static const uint8_t ip_peer_b[4] = { 198, 18, 0, 21 };

static const char sip_msg[] = "OPTIONS sip:lb@198.18.0.10 SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 198.18.0.21:5060;branch=z9hG4bK1\r\n"
			      "Content-Length: 0\r\n\r\n";

/* ---- reference arithmetic (RFC 1071), byte by byte, no DPDK ---- */

static uint32_t
ref_sum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of IPv4 pseudo header + UDP datagram, folded: 0xffff when valid. */
static uint16_t
ref_udp_sum(const uint8_t *ip, const uint8_t *udp, uint16_t ulen)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	return ref_fold(ref_sum(udp, ulen, ref_sum(ph, sizeof(ph), 0)));
}

/* Recompute the IPv4 header checksum after a test edits the header. */
static void
ref_fix_ip(struct rte_ipv4_hdr *ip)
{
	uint16_t c;

	ip->hdr_checksum = 0;
	c = (uint16_t)~ref_fold(ref_sum(ip, (ip->version_ihl & 0xf) * 4u, 0));
	ip->hdr_checksum = rte_cpu_to_be_16(c);
}

/* ---- fixtures ---- */

TEST_DPDK_GROUP("test_pkt", NB_MBUF)

/* Every test must give back every mbuf it took. The baseline is the full
 * pool unless an earlier test failed half-way, whose leak is not blamed on
 * the tests after it. */
static unsigned baseline;

static int
note_avail(void **state)
{
	(void)state;
	baseline = rte_mempool_avail_count(mp);
	return 0;
}

static int
check_leak(void **state)
{
	(void)state;
	assert_int_equal(rte_mempool_avail_count(mp), baseline);
	return 0;
}

static struct rte_mbuf *
udp_frame(const void *payload, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)(PKT_HDR_LEN + len)));
	memcpy(rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN), payload, len);
	pkt_udp_build(m, &mac_b, &mac_a, IP_PEER, IP_US, 5070, 5060, len);
	return m;
}

static struct rte_ipv4_hdr *
ip_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

static struct rte_udp_hdr *
udp_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
				       sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
}

/* Classify m, expect a drop for why, free m. */
static void
expect_drop(struct rte_mbuf *m, enum cnt_drop why)
{
	struct pkt_view v;

	memset(&v, 0xa5, sizeof(v));
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_DROP);
	assert_int_equal(v.drop, why);
	rte_pktmbuf_free(m);
}

/* ---- pkt_udp_build ---- */

static void
test_udp_build_headers(void **state)
{
	uint16_t len = sizeof(sip_msg) - 1;
	struct rte_mbuf *m;
	const uint8_t *b;
	(void)state;

	m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	/* Start from stale lengths: the builder must set them. */
	assert_non_null(rte_pktmbuf_append(m, 1000));
	memcpy(rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN), sip_msg, len);
	pkt_udp_build(m, &mac_a, &mac_b, IP_US, IP_PEER, 5060, 5070, len);

	assert_int_equal(m->data_len, PKT_HDR_LEN + len);
	assert_int_equal(m->pkt_len, PKT_HDR_LEN + len);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);

	b = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_memory_equal(b, mac_b.addr_bytes, 6);
	assert_memory_equal(b + 6, mac_a.addr_bytes, 6);
	assert_int_equal(b[12], 0x08);
	assert_int_equal(b[13], 0x00);
	b += 14;
	assert_int_equal(b[0], 0x45);
	assert_int_equal(b[1], 0);
	assert_int_equal(b[2] << 8 | b[3], 20 + 8 + len);
	assert_int_equal(b[4] << 8 | b[5], 0);
	assert_int_equal(b[6] << 8 | b[7], 0x4000); /* DF, offset 0 */
	assert_int_equal(b[8], 64);
	assert_int_equal(b[9], 17);
	assert_memory_equal(b + 12, ip_us_b, 4);
	assert_memory_equal(b + 16, ip_peer_b, 4);
	assert_int_equal(ref_fold(ref_sum(b, 20, 0)), 0xffff);
	assert_int_not_equal(b[10] << 8 | b[11], 0);

	assert_int_equal(b[20] << 8 | b[21], 5060);
	assert_int_equal(b[22] << 8 | b[23], 5070);
	assert_int_equal(b[24] << 8 | b[25], 8 + len);
	assert_int_not_equal(b[26] << 8 | b[27], 0);
	assert_int_equal(ref_udp_sum(b, b + 20, (uint16_t)(8 + len)), 0xffff);
	assert_memory_equal(b + 28, sip_msg, len);
	rte_pktmbuf_free(m);
}

static void
test_udp_round_trip(void **state)
{
	uint16_t len = sizeof(sip_msg) - 1;
	struct pkt_view v;
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame(sip_msg, len);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_ptr_equal(v.eth, rte_pktmbuf_mtod(m, void *));
	assert_ptr_equal(v.ip, ip_of(m));
	assert_ptr_equal(v.udp, udp_of(m));
	assert_ptr_equal(v.payload, rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN));
	assert_int_equal(v.payload_len, len);
	assert_memory_equal(v.payload, sip_msg, len);
	assert_int_equal(v.src_ip, IP_PEER);
	assert_int_equal(v.sport, 5070);
	assert_int_equal(v.dport, 5060);
	rte_pktmbuf_free(m);

	/* Empty payload and odd lengths round-trip too. */
	m = udp_frame("", 0);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_int_equal(v.payload_len, 0);
	rte_pktmbuf_free(m);
	m = udp_frame("abc", 3);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_int_equal(v.payload_len, 3);
	assert_int_equal(ref_udp_sum((uint8_t *)ip_of(m), (uint8_t *)udp_of(m), 11), 0xffff);
	rte_pktmbuf_free(m);
}

/* A checksum that computes to 0 must go out as 0xffff (RFC 768). */
static void
test_udp_cksum_zero_sent_as_ffff(void **state)
{
	uint8_t pl[2] = { 0, 0 };
	struct pkt_view v;
	struct rte_mbuf *m;
	uint16_t c0;
	(void)state;

	/* With payload word 0 the checksum is c0 = ~S; payload word c0
	 * makes the sum S + ~S = 0xffff, whose complement is 0. */
	m = udp_frame(pl, 2);
	c0 = udp_of(m)->dgram_cksum;
	rte_pktmbuf_free(m);
	memcpy(pl, &c0, 2);
	m = udp_frame(pl, 2);
	assert_int_equal(udp_of(m)->dgram_cksum, 0xffff);
	assert_int_equal(ref_udp_sum((uint8_t *)ip_of(m), (uint8_t *)udp_of(m), 10), 0xffff);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	rte_pktmbuf_free(m);
}

/* Frames shorter than 60 bytes arrive padded: the IPv4 length rules. */
static void
test_udp_padded_frame(void **state)
{
	struct pkt_view v;
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame("ab", 2);
	assert_non_null(rte_pktmbuf_append(m, 60 - (PKT_HDR_LEN + 2)));
	memset(rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN + 2), 0x55,
	       60 - (PKT_HDR_LEN + 2));
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_int_equal(v.payload_len, 2);
	rte_pktmbuf_free(m);
}

/* ---- drops ---- */

static void
test_drop_ip_cksum(void **state)
{
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame(sip_msg, 20);
	ip_of(m)->hdr_checksum ^= RTE_BE16(0x0100);
	expect_drop(m, CNT_DROP_IP_BAD_CKSUM);

	/* A header byte changed under a stale checksum. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->type_of_service = 0x10;
	expect_drop(m, CNT_DROP_IP_BAD_CKSUM);

	/* The NIC said bad: believed even if the sum is right. */
	m = udp_frame(sip_msg, 20);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	expect_drop(m, CNT_DROP_IP_BAD_CKSUM);
}

static void
test_drop_udp_cksum(void **state)
{
	struct rte_mbuf *m;
	struct pkt_view v;
	(void)state;

	m = udp_frame(sip_msg, 20);
	*rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN + 5) ^= 0x20;
	expect_drop(m, CNT_DROP_UDP_BAD_CKSUM);

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_cksum ^= RTE_BE16(1);
	expect_drop(m, CNT_DROP_UDP_BAD_CKSUM);

	/* Pseudo header covered: a different source address breaks it. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->src_addr = RTE_BE32(0xc6120016);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_UDP_BAD_CKSUM);

	/* NIC verdicts: BAD drops a good datagram, GOOD skips the check. */
	m = udp_frame(sip_msg, 20);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	expect_drop(m, CNT_DROP_UDP_BAD_CKSUM);

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_cksum ^= RTE_BE16(1);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	rte_pktmbuf_free(m);
}

static void
test_udp_zero_cksum_accepted(void **state)
{
	struct rte_mbuf *m;
	struct pkt_view v;
	(void)state;

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_cksum = 0;
	*rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN + 5) ^= 0x20;
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_int_equal(v.payload_len, 20);
	rte_pktmbuf_free(m);
}

static void
test_drop_fragment(void **state)
{
	struct rte_mbuf *m;
	struct pkt_view v;
	(void)state;

	/* First fragment: MF set, offset 0. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_FRAGMENT);

	/* Last fragment: MF clear, offset non-zero. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->fragment_offset = RTE_BE16(185);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_FRAGMENT);

	/* DF alone or no flags at all is a whole datagram. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->fragment_offset = 0;
	ref_fix_ip(ip_of(m));
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	rte_pktmbuf_free(m);
}

static void
test_drop_not_us(void **state)
{
	struct rte_mbuf *m;
	struct pkt_view v;
	(void)state;

	m = udp_frame(sip_msg, 20);
	assert_int_equal(pkt_classify(m, IP_PEER, &v), PKT_DROP);
	assert_int_equal(v.drop, CNT_DROP_IP_NOT_US);
	rte_pktmbuf_free(m);

	m = udp_frame(sip_msg, 20);
	ip_of(m)->dst_addr = RTE_BE32(0xffffffff);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_NOT_US);

	m = udp_frame(sip_msg, 20);
	ip_of(m)->dst_addr = RTE_BE32(0xc61200ff); /* subnet broadcast */
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_NOT_US);
}

static void
test_drop_bad_ip_header(void **state)
{
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame(sip_msg, 20);
	ip_of(m)->version_ihl = 0x65;
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	m = udp_frame(sip_msg, 20);
	ip_of(m)->version_ihl = 0x44;
	ip_of(m)->hdr_checksum = 0;
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	/* IHL 15 (60 bytes) is more than the whole 48-byte datagram. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->version_ihl = 0x4f;
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	/* Total length smaller than the header. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->total_length = RTE_BE16(19);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	/* Total length past the end of the frame (truncated datagram). */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->total_length = RTE_BE16(20 + 8 + 21);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	m = udp_frame(sip_msg, 20);
	ip_of(m)->time_to_live = 0;
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_BAD_HDR);
}

/* Options (IHL > 5) are legal: the UDP header follows them. */
static void
test_ip_options_accepted(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct pkt_view v;
	char *p;
	(void)state;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, 14 + 24 + 8 + 4);
	assert_non_null(p);
	memset(p, 0, 14 + 24 + 8 + 4);
	p[12] = 0x08;
	ip = (struct rte_ipv4_hdr *)(p + 14);
	ip->version_ihl = 0x46;
	ip->total_length = RTE_BE16(24 + 8 + 4);
	ip->time_to_live = 1;
	ip->next_proto_id = 17;
	ip->src_addr = IP_PEER;
	ip->dst_addr = IP_US;
	p[14 + 20] = 1; /* NOP options */
	p[14 + 21] = 1;
	p[14 + 22] = 1;
	p[14 + 23] = 0; /* EOL */
	ref_fix_ip(ip);
	udp = (struct rte_udp_hdr *)(p + 14 + 24);
	udp->src_port = RTE_BE16(1234);
	udp->dst_port = RTE_BE16(5060);
	udp->dgram_len = RTE_BE16(12);
	memcpy(udp + 1, "ping", 4);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_UDP);
	assert_ptr_equal(v.udp, udp);
	assert_ptr_equal(v.payload, (char *)(udp + 1));
	assert_int_equal(v.payload_len, 4);
	assert_int_equal(v.sport, 1234);
	rte_pktmbuf_free(m);
}

static void
test_drop_truncated(void **state)
{
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame(sip_msg, 20);
	m->data_len = m->pkt_len = 13;
	expect_drop(m, CNT_DROP_ETH_SHORT);

	m = udp_frame(sip_msg, 20);
	m->data_len = m->pkt_len = 14 + 19;
	expect_drop(m, CNT_DROP_ETH_SHORT);

	/* Cut inside the UDP payload: IPv4 length no longer fits. */
	m = udp_frame(sip_msg, 20);
	m->data_len = m->pkt_len = PKT_HDR_LEN + 19;
	expect_drop(m, CNT_DROP_IP_BAD_HDR);

	/* IPv4 header alone, no room for UDP: IP payload too short. */
	m = udp_frame(sip_msg, 20);
	ip_of(m)->total_length = RTE_BE16(20 + 4);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_UDP_BAD_LEN);
}

static void
test_drop_udp_len(void **state)
{
	struct rte_mbuf *m;
	(void)state;

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_len = RTE_BE16(8 + 21);
	expect_drop(m, CNT_DROP_UDP_BAD_LEN);

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_len = RTE_BE16(8 + 19);
	expect_drop(m, CNT_DROP_UDP_BAD_LEN);

	m = udp_frame(sip_msg, 20);
	udp_of(m)->dgram_len = RTE_BE16(7);
	expect_drop(m, CNT_DROP_UDP_BAD_LEN);
}

static void
test_drop_eth_type_and_proto(void **state)
{
	struct rte_mbuf *m;
	struct pkt_view v;
	(void)state;

	m = udp_frame(sip_msg, 20);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	expect_drop(m, CNT_DROP_ETH_TYPE);

	m = udp_frame(sip_msg, 20);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	expect_drop(m, CNT_DROP_ETH_TYPE);

	m = udp_frame(sip_msg, 20);
	ip_of(m)->next_proto_id = 6;
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_IP_PROTO);

	/* ARP is handed over whatever it contains (arp_input validates). */
	m = udp_frame(sip_msg, 20);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_ARP);
	assert_ptr_equal(v.eth, rte_pktmbuf_mtod(m, void *));
	rte_pktmbuf_free(m);
}

static void
test_drop_multiseg(void **state)
{
	struct rte_mbuf *m, *tail;
	(void)state;

	m = udp_frame(sip_msg, 20);
	tail = rte_pktmbuf_alloc(mp);
	assert_non_null(tail);
	assert_non_null(rte_pktmbuf_append(tail, 10));
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	expect_drop(m, CNT_DROP_ETH_MULTISEG); /* frees the chain */
}

/* ---- ICMP ---- */

/* Echo request from the peer to us: 8-byte header + plen payload bytes. */
static struct rte_mbuf *
icmp_frame(uint8_t type, uint8_t code, uint16_t seq, uint16_t plen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t ilen = (uint16_t)(8 + plen), i;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + ilen));
	assert_non_null(eth);
	eth->dst_addr = mac_a;
	eth->src_addr = mac_b;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + ilen));
	ip->packet_id = RTE_BE16(0x1234);
	ip->time_to_live = 7;
	ip->next_proto_id = 1;
	ip->src_addr = IP_PEER;
	ip->dst_addr = IP_US;
	ref_fix_ip(ip);
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	icmp[4] = 0xbe;
	icmp[5] = 0xef;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	for (i = 0; i < plen; i++)
		icmp[8 + i] = (uint8_t)(i * 7 + seq);
	i = (uint16_t)~ref_fold(ref_sum(icmp, ilen, 0));
	icmp[2] = (uint8_t)(i >> 8);
	icmp[3] = (uint8_t)i;
	return m;
}

static void
test_icmp_echo_reply(void **state)
{
	struct pkt_view v;
	struct rte_mbuf *m;
	const uint8_t *b;
	uint16_t seq;
	(void)state;

	/* Many sequence numbers and lengths exercise the carries of the
	 * incremental checksum update. */
	for (seq = 0; seq < 300; seq++) {
		uint16_t plen = (uint16_t)(seq % 61);

		m = icmp_frame(8, 0, (uint16_t)(seq * 257), plen);
		assert_int_equal(pkt_classify(m, IP_US, &v), PKT_ICMP_ECHO);
		assert_ptr_equal(v.ip, ip_of(m));
		assert_int_equal(v.src_ip, IP_PEER);
		pkt_icmp_echo_reply(m, &v);

		b = rte_pktmbuf_mtod(m, const uint8_t *);
		assert_memory_equal(b, mac_b.addr_bytes, 6);
		assert_memory_equal(b + 6, mac_a.addr_bytes, 6);
		b += 14;
		assert_memory_equal(b + 12, ip_us_b, 4);
		assert_memory_equal(b + 16, ip_peer_b, 4);
		assert_int_equal(b[8], 64);
		assert_int_equal(ref_fold(ref_sum(b, 20, 0)), 0xffff);
		b += 20;
		assert_int_equal(b[0], 0);
		assert_int_equal(b[1], 0);
		assert_int_equal(b[4] << 8 | b[5], 0xbeef);
		assert_int_equal(b[6] << 8 | b[7], (uint16_t)(seq * 257));
		assert_int_equal(ref_fold(ref_sum(b, 8u + plen, 0)), 0xffff);
		assert_int_equal(m->data_len, 14 + 20 + 8 + plen);
		rte_pktmbuf_free(m);
	}

	/* A padded request: the reply carries no padding. */
	m = icmp_frame(8, 0, 1, 0);
	assert_non_null(rte_pktmbuf_append(m, 60 - 42));
	assert_int_equal(pkt_classify(m, IP_US, &v), PKT_ICMP_ECHO);
	pkt_icmp_echo_reply(m, &v);
	assert_int_equal(m->data_len, 42);
	assert_int_equal(m->pkt_len, 42);
	rte_pktmbuf_free(m);
}

static void
test_icmp_drops(void **state)
{
	struct rte_mbuf *m;
	uint8_t *icmp;
	(void)state;

	m = icmp_frame(0, 0, 1, 16); /* echo reply */
	expect_drop(m, CNT_DROP_ICMP_OTHER);
	m = icmp_frame(3, 3, 1, 28); /* port unreachable */
	expect_drop(m, CNT_DROP_ICMP_OTHER);
	m = icmp_frame(8, 1, 1, 16); /* echo with a non-zero code */
	expect_drop(m, CNT_DROP_ICMP_OTHER);

	m = icmp_frame(8, 0, 1, 16);
	icmp = (uint8_t *)(ip_of(m) + 1);
	icmp[12] ^= 0x40;
	expect_drop(m, CNT_DROP_ICMP_BAD);

	/* Shorter than an ICMP header. */
	m = icmp_frame(8, 0, 1, 0);
	ip_of(m)->total_length = RTE_BE16(20 + 4);
	ref_fix_ip(ip_of(m));
	expect_drop(m, CNT_DROP_ICMP_BAD);
}

static void
test_on_link(void **state)
{
	(void)state;
	assert_true(pkt_on_link(IP_PEER, IP_US, 24));
	assert_false(pkt_on_link(RTE_BE32(0xc6120115), IP_US, 24));
	assert_true(pkt_on_link(RTE_BE32(0xc6120115), IP_US, 23));
	assert_false(pkt_on_link(IP_PEER, IP_US, 32));
	assert_true(pkt_on_link(RTE_BE32(0x01020304), IP_US, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_build_headers, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_udp_round_trip, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_udp_cksum_zero_sent_as_ffff, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_udp_padded_frame, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_ip_cksum, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_udp_cksum, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_udp_zero_cksum_accepted, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_fragment, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_not_us, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_bad_ip_header, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_ip_options_accepted, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_truncated, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_udp_len, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_eth_type_and_proto, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_drop_multiseg, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_icmp_echo_reply, note_avail, check_leak),
		cmocka_unit_test_setup_teardown(test_icmp_drops, note_avail, check_leak),
		cmocka_unit_test(test_on_link),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
