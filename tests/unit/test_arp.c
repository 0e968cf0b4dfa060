/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arp: responder, resolution queue, retries, refresh, expiry, table limits.
 * Time is a fake TSC at HZ ticks per second, driven by hand; the tx callback
 * records frames so each test can read them byte by byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "arp.h"
#include "test_dpdk.h"

#define NB_MBUF 1023
#define HZ 1000ull
#define MAX_TX 64

static struct rte_mempool *mp;
static struct arp_cache cache;
static struct cnt_core cnt;
static struct rte_mbuf *txq[MAX_TX];
static unsigned ntx;
static unsigned baseline; /* pool count at test start: see teardown */

static const uint8_t mac_us[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_peer[6] = { 0x02, 0, 0, 0, 0, 0x15 };
static const uint8_t mac_peer2[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6];
static const uint8_t ip_us_b[4] = { 198, 18, 0, 10 };
static const uint8_t ip_peer_b[4] = { 198, 18, 0, 21 };
#define IP_US RTE_BE32(0xc612000a)
#define IP_PEER RTE_BE32(0xc6120015)
#define IP_OTHER RTE_BE32(0xc6120063)

static void
record_tx(void *arg, struct rte_mbuf *m)
{
	assert_ptr_equal(arg, &ntx);
	assert_true(ntx < MAX_TX);
	txq[ntx++] = m;
}

static void
tx_free_all(void)
{
	unsigned i;

	for (i = 0; i < ntx; i++)
		rte_pktmbuf_free(txq[i]);
	ntx = 0;
}

TEST_DPDK_GROUP("test_arp", NB_MBUF)

static void
reset_cache(void)
{
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, mac_us, 6);
	memset(&cnt, 0, sizeof(cnt));
	ntx = 0;
	arp_cache_init(&cache, IP_US, &mac, mp, record_tx, &ntx, &cnt, HZ);
}

static int
setup(void **state)
{
	(void)state;
	baseline = rte_mempool_avail_count(mp);
	reset_cache();
	return 0;
}

/* Every test must give back every mbuf: flush the cache, free what was
 * sent, then count. The baseline is the full pool unless an earlier test
 * failed half-way, whose leak is not blamed on the tests after it. */
static int
teardown(void **state)
{
	(void)state;
	arp_cache_flush(&cache);
	tx_free_all();
	assert_int_equal(rte_mempool_avail_count(mp), baseline);
	return 0;
}

/* ARP frame of 60 bytes (padded) as a neighbour would send it. */
static struct rte_mbuf *
arp_frame(uint16_t op, const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip,
	  const uint8_t *eth_dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eth, 0, 60);
	memcpy(&eth->dst_addr, eth_dst, 6);
	memcpy(&eth->src_addr, sha, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(1);
	arp->arp_protocol = RTE_BE16(0x0800);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&arp->arp_data.arp_sha, sha, 6);
	arp->arp_data.arp_sip = sip;
	memcpy(&arp->arp_data.arp_tha, tha, 6);
	arp->arp_data.arp_tip = tip;
	return m;
}

static struct rte_mbuf *
peer_reply(const uint8_t *mac, uint32_t ip)
{
	return arp_frame(RTE_ARP_OP_REPLY, mac, ip, mac_us, IP_US, mac_us);
}

/* An outgoing IPv4 frame, dst MAC unknown (zero), tagged by one byte. */
static struct rte_mbuf *
out_frame(uint8_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 64));
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 64);
	memcpy(p + 6, mac_us, 6);
	p[12] = 0x08;
	p[14] = 0x45;
	p[40] = tag;
	return m;
}

/* Check txq[i] is the 60-byte ARP request we send for tip. */
static void
check_request(unsigned i, const uint8_t *dst, const uint8_t *tip)
{
	const uint8_t *b;

	assert_true(i < ntx);
	b = rte_pktmbuf_mtod(txq[i], const uint8_t *);
	assert_int_equal(txq[i]->data_len, 60);
	assert_int_equal(txq[i]->pkt_len, 60);
	assert_memory_equal(b, dst, 6);
	assert_memory_equal(b + 6, mac_us, 6);
	assert_memory_equal(b + 12, ((const uint8_t[]){ 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4,
					  0x00, 0x01 }), 10);
	assert_memory_equal(b + 22, mac_us, 6);
	assert_memory_equal(b + 28, ip_us_b, 4);
	assert_memory_equal(b + 32, mac_zero, 6);
	assert_memory_equal(b + 38, tip, 4);
}

static uint8_t
tag_of(struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod_offset(m, uint8_t *, 40);
}

/* Resolve IP_PEER at time now: output one packet, answer the request. */
static void
resolve_peer(uint64_t now)
{
	arp_output(&cache, IP_PEER, out_frame(0), now);
	arp_input(&cache, peer_reply(mac_peer, IP_PEER), now);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->state, ARP_REACHABLE);
	tx_free_all();
}

/* ---- responder ---- */

static void
test_request_for_us(void **state)
{
	static const uint8_t want[42] = {
		0x02, 0, 0, 0, 0, 0x15,   0x02, 0, 0, 0, 0, 0x0a,   0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
		0x02, 0, 0, 0, 0, 0x0a,   198, 18, 0, 10,
		0x02, 0, 0, 0, 0, 0x15,   198, 18, 0, 21,
	};
	const struct arp_entry *e;
	(void)state;

	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US,
				    mac_bcast), 5);
	assert_int_equal(ntx, 1);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), want, sizeof(want));
	assert_int_equal(cnt.arp_rx, 1);
	assert_int_equal(cnt.arp_reply_tx, 1);
	assert_int_equal(cnt.arp_req_tx, 0);

	/* It will talk to us: the sender is learned (RFC 826). */
	e = arp_lookup(&cache, IP_PEER);
	assert_non_null(e);
	assert_int_equal(e->state, ARP_REACHABLE);
	assert_memory_equal(&e->mac, mac_peer, 6);
	assert_int_equal(e->expire, 5 + ARP_TTL_S * HZ);
}

static void
test_not_for_us(void **state)
{
	(void)state;

	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_OTHER,
				    mac_bcast), 0);
	assert_int_equal(ntx, 0);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_NOT_US], 1);
	assert_null(arp_lookup(&cache, IP_PEER)); /* not learned */

	arp_input(&cache, arp_frame(RTE_ARP_OP_REPLY, mac_peer, IP_PEER, mac_peer2, IP_OTHER,
				    mac_peer2), 0);
	assert_int_equal(ntx, 0);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_NOT_US], 2);
	assert_int_equal(cnt.arp_rx, 2);
	assert_int_equal(cnt.arp_reply_tx, 0);
	assert_null(arp_lookup(&cache, IP_PEER));
}

static void
test_bad_arp(void **state)
{
	struct rte_mbuf *m;
	(void)state;

	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, 14)->arp_hardware = RTE_BE16(6);
	arp_input(&cache, m, 0);
	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, 14)->arp_protocol = RTE_BE16(0x86dd);
	arp_input(&cache, m, 0);
	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, 14)->arp_hlen = 8;
	arp_input(&cache, m, 0);
	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, 14)->arp_plen = 16;
	arp_input(&cache, m, 0);
	m = arp_frame(3, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast); /* RARP */
	arp_input(&cache, m, 0);
	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	m->data_len = m->pkt_len = 41; /* one byte short of the target IP */
	arp_input(&cache, m, 0);

	assert_int_equal(cnt.drop[CNT_DROP_ARP_BAD], 6);
	assert_int_equal(cnt.arp_rx, 6);
	assert_int_equal(ntx, 0);
	assert_null(arp_lookup(&cache, IP_PEER));

	/* Exactly 42 bytes, unpadded, is enough. */
	m = arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US, mac_bcast);
	m->data_len = m->pkt_len = 42;
	arp_input(&cache, m, 0);
	assert_int_equal(ntx, 1);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_BAD], 6);
}

/* ---- resolution ---- */

static void
test_output_unknown_queues_and_requests(void **state)
{
	const struct arp_entry *e;
	(void)state;

	arp_output(&cache, IP_PEER, out_frame(1), 100);
	assert_int_equal(ntx, 1);
	check_request(0, mac_bcast, ip_peer_b);
	assert_int_equal(cnt.arp_req_tx, 1);
	e = arp_lookup(&cache, IP_PEER);
	assert_non_null(e);
	assert_int_equal(e->state, ARP_INCOMPLETE);
	assert_int_equal(e->nq, 1);

	/* A second packet within the second waits without a new request. */
	arp_output(&cache, IP_PEER, out_frame(2), 100 + HZ - 1);
	assert_int_equal(ntx, 1);
	assert_int_equal(e->nq, 2);
	assert_int_equal(cnt.arp_req_tx, 1);

	/* Past the retry deadline, output itself asks again. */
	arp_output(&cache, IP_PEER, out_frame(3), 100 + HZ);
	assert_int_equal(ntx, 2);
	check_request(1, mac_bcast, ip_peer_b);
	assert_int_equal(e->tries, 2);
}

static void
test_reply_resolves_and_flushes(void **state)
{
	struct rte_ether_hdr *eth;
	const struct arp_entry *e;
	unsigned i;
	(void)state;

	for (i = 0; i < 5; i++)
		arp_output(&cache, IP_PEER, out_frame((uint8_t)(10 + i)), 0);
	assert_int_equal(ntx, 1);
	tx_free_all();

	arp_input(&cache, peer_reply(mac_peer, IP_PEER), 50);
	assert_int_equal(ntx, 5);
	for (i = 0; i < 5; i++) {
		eth = rte_pktmbuf_mtod(txq[i], struct rte_ether_hdr *);
		assert_int_equal(tag_of(txq[i]), 10 + i);
		assert_memory_equal(&eth->dst_addr, mac_peer, 6);
		assert_memory_equal(&eth->src_addr, mac_us, 6);
		assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	}
	e = arp_lookup(&cache, IP_PEER);
	assert_int_equal(e->state, ARP_REACHABLE);
	assert_int_equal(e->nq, 0);
	assert_int_equal(e->expire, 50 + ARP_TTL_S * HZ);
	assert_int_equal(cnt.arp_reply_tx, 0); /* a reply is not answered */
	tx_free_all();

	/* Resolved: sent at once with the learned MAC, no request. */
	arp_output(&cache, IP_PEER, out_frame(99), 60);
	assert_int_equal(ntx, 1);
	assert_int_equal(tag_of(txq[0]), 99);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), mac_peer, 6);
	assert_int_equal(cnt.arp_req_tx, 1);
}

/* RFC 826 merge: a known sender is updated even by a frame not for us. */
static void
test_merge_from_frame_not_for_us(void **state)
{
	const struct arp_entry *e;
	(void)state;

	arp_output(&cache, IP_PEER, out_frame(1), 0);
	tx_free_all();
	/* The peer asks for someone else; we learn its MAC all the same. */
	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_OTHER,
				    mac_bcast), 10);
	assert_int_equal(ntx, 1);
	assert_int_equal(tag_of(txq[0]), 1);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), mac_peer, 6);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_NOT_US], 1);
	tx_free_all();

	/* A gratuitous ARP moves the address to a new MAC. */
	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer2, IP_PEER, mac_zero, IP_PEER,
				    mac_bcast), 20);
	e = arp_lookup(&cache, IP_PEER);
	assert_memory_equal(&e->mac, mac_peer2, 6);
	arp_output(&cache, IP_PEER, out_frame(2), 30);
	assert_int_equal(ntx, 1);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), mac_peer2, 6);
}

static void
test_queue_overflow(void **state)
{
	unsigned i;
	(void)state;

	for (i = 0; i < ARP_QLEN + 3; i++)
		arp_output(&cache, IP_PEER, out_frame((uint8_t)i), 0);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->nq, ARP_QLEN);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_QUEUE_FULL], 3);
	assert_int_equal(ntx, 1);
	tx_free_all();

	/* The first ARP_QLEN are kept, in order. */
	arp_input(&cache, peer_reply(mac_peer, IP_PEER), 1);
	assert_int_equal(ntx, ARP_QLEN);
	for (i = 0; i < ARP_QLEN; i++)
		assert_int_equal(tag_of(txq[i]), i);
}

static void
test_retries_then_unresolved(void **state)
{
	unsigned i;
	(void)state;

	for (i = 0; i < 4; i++)
		arp_output(&cache, IP_PEER, out_frame((uint8_t)i), 0);
	assert_int_equal(ntx, 1);

	arp_tick(&cache, HZ / 2);
	assert_int_equal(ntx, 1);
	for (i = 1; i < ARP_MAX_TRIES; i++) {
		arp_tick(&cache, i * HZ - 1);
		assert_int_equal(ntx, i);
		arp_tick(&cache, i * HZ);
		assert_int_equal(ntx, i + 1);
		check_request(i, mac_bcast, ip_peer_b);
		arp_tick(&cache, i * HZ + 1); /* no double send within the second */
		assert_int_equal(ntx, i + 1);
	}
	assert_int_equal(cnt.arp_req_tx, ARP_MAX_TRIES);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_UNRESOLVED], 0);
	assert_non_null(arp_lookup(&cache, IP_PEER));

	/* The tries are spent: output queues but sends no more requests. */
	arp_output(&cache, IP_PEER, out_frame(4), ARP_MAX_TRIES * HZ);
	assert_int_equal(ntx, ARP_MAX_TRIES);

	arp_tick(&cache, ARP_MAX_TRIES * HZ);
	assert_int_equal(ntx, ARP_MAX_TRIES);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_UNRESOLVED], 5);
	assert_null(arp_lookup(&cache, IP_PEER));
	assert_int_equal(cache.n_used, 0);

	/* A later packet starts a fresh resolution. */
	arp_output(&cache, IP_PEER, out_frame(5), 10 * HZ);
	assert_int_equal(ntx, ARP_MAX_TRIES + 1);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->tries, 1);
}

static void
test_refresh_while_in_use(void **state)
{
	uint64_t t = ARP_REFRESH_S * HZ;
	(void)state;

	resolve_peer(0);
	assert_int_equal(cnt.arp_req_tx, 1);

	arp_output(&cache, IP_PEER, out_frame(1), t - 1);
	assert_int_equal(ntx, 1);
	assert_int_equal(cnt.arp_req_tx, 1);
	tx_free_all();

	/* Stale: the packet still goes, and a unicast poll goes with it. */
	arp_output(&cache, IP_PEER, out_frame(2), t);
	assert_int_equal(ntx, 2);
	assert_int_equal(tag_of(txq[0]), 2);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), mac_peer, 6);
	check_request(1, mac_peer, ip_peer_b);
	assert_int_equal(cnt.arp_req_tx, 2);
	tx_free_all();

	/* At most one poll a second. */
	arp_output(&cache, IP_PEER, out_frame(3), t + HZ - 1);
	assert_int_equal(ntx, 1);
	arp_output(&cache, IP_PEER, out_frame(4), t + HZ);
	assert_int_equal(ntx, 3);
	check_request(2, mac_peer, ip_peer_b);
	tx_free_all();

	/* Unused entries are not polled by the tick. */
	arp_tick(&cache, t + 2 * HZ);
	assert_int_equal(ntx, 0);

	/* The answer renews the entry for a full TTL. */
	arp_input(&cache, peer_reply(mac_peer, IP_PEER), t + 2 * HZ);
	arp_output(&cache, IP_PEER, out_frame(5), ARP_TTL_S * HZ + 10);
	assert_int_equal(ntx, 1);
	assert_int_equal(tag_of(txq[0]), 5);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->state, ARP_REACHABLE);
	assert_int_equal(cnt.arp_req_tx, 3);
}

static void
test_expiry(void **state)
{
	const struct arp_entry *e;
	(void)state;

	/* In use but never answering the polls: after the TTL it must be
	 * resolved again, with a broadcast, and packets wait. */
	resolve_peer(0);
	arp_output(&cache, IP_PEER, out_frame(1), ARP_TTL_S * HZ);
	assert_int_equal(ntx, 1);
	check_request(0, mac_bcast, ip_peer_b);
	e = arp_lookup(&cache, IP_PEER);
	assert_int_equal(e->state, ARP_INCOMPLETE);
	assert_int_equal(e->nq, 1);
	assert_int_equal(e->tries, 1);
	tx_free_all();

	/* Unused: the tick frees it after the TTL, not before. */
	arp_cache_flush(&cache);
	reset_cache();
	resolve_peer(0);
	arp_tick(&cache, ARP_TTL_S * HZ - 1);
	assert_non_null(arp_lookup(&cache, IP_PEER));
	arp_tick(&cache, ARP_TTL_S * HZ);
	assert_null(arp_lookup(&cache, IP_PEER));
	assert_int_equal(cache.n_used, 0);
	assert_int_equal(ntx, 0);
}

static uint32_t
nth_ip(unsigned i)
{
	return rte_cpu_to_be_32(0xc6130000 + i); /* 198.19.x.y */
}

static void
test_table_full(void **state)
{
	struct rte_ether_addr mac;
	unsigned i;
	(void)state;

	memcpy(mac.addr_bytes, mac_peer, 6);
	for (i = 0; i < ARP_CACHE_SIZE; i++)
		assert_int_equal(arp_static_add(&cache, nth_ip(i), &mac), 0);
	assert_int_equal(arp_static_add(&cache, nth_ip(i), &mac), -ENOSPC);
	/* Re-adding a present address is an update, not a new slot. */
	assert_int_equal(arp_static_add(&cache, nth_ip(7), &mac), 0);
	for (i = 0; i < ARP_CACHE_SIZE; i++)
		assert_non_null(arp_lookup(&cache, nth_ip(i)));
	assert_null(arp_lookup(&cache, nth_ip(ARP_CACHE_SIZE)));

	arp_output(&cache, IP_PEER, out_frame(1), 0);
	assert_int_equal(ntx, 0);
	assert_int_equal(cnt.drop[CNT_DROP_ARP_QUEUE_FULL], 1);

	/* A request for us is still answered; the sender just isn't learned. */
	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer, IP_PEER, mac_zero, IP_US,
				    mac_bcast), 0);
	assert_int_equal(ntx, 1);
	assert_null(arp_lookup(&cache, IP_PEER));

	/* Static entries are sent to at any time, never expire. */
	tx_free_all();
	arp_output(&cache, nth_ip(3), out_frame(2), 10 * ARP_TTL_S * HZ);
	arp_tick(&cache, 10 * ARP_TTL_S * HZ);
	assert_int_equal(ntx, 1);
	assert_int_equal(cnt.arp_req_tx, 0);
	assert_int_equal(cache.n_used, ARP_CACHE_SIZE);
}

/* Many entries, half expired: removal must keep every survivor reachable
 * through its probe run (no tombstones, backward shift). */
static void
test_churn(void **state)
{
	unsigned i, n = 3 * ARP_CACHE_SIZE / 4;
	const struct arp_entry *e;
	(void)state;

	for (i = 0; i < n; i++)
		arp_input(&cache, peer_reply(mac_peer, nth_ip(i)), (i & 1) ? HZ : 0);
	assert_int_equal(cache.n_used, n);
	assert_int_equal(ntx, 0);

	arp_tick(&cache, ARP_TTL_S * HZ);
	assert_int_equal(cache.n_used, n / 2);
	for (i = 0; i < n; i++) {
		e = arp_lookup(&cache, nth_ip(i));
		if (i & 1) {
			assert_non_null(e);
			assert_int_equal(e->ip, nth_ip(i));
			assert_int_equal(e->state, ARP_REACHABLE);
		} else {
			assert_null(e);
		}
	}

	arp_tick(&cache, ARP_TTL_S * HZ + HZ);
	assert_int_equal(cache.n_used, 0);
	for (i = 0; i < ARP_CACHE_SIZE; i++)
		assert_int_equal(cache.e[i].state, ARP_FREE);
}

static void
test_static_not_overridden(void **state)
{
	struct rte_ether_addr mac;
	const struct arp_entry *e;
	(void)state;

	/* Packets queued before a static entry appears go out with it. */
	arp_output(&cache, IP_PEER, out_frame(1), 0);
	tx_free_all();
	memcpy(mac.addr_bytes, mac_peer, 6);
	assert_int_equal(arp_static_add(&cache, IP_PEER, &mac), 0);
	assert_int_equal(ntx, 1);
	assert_int_equal(tag_of(txq[0]), 1);
	assert_memory_equal(rte_pktmbuf_mtod(txq[0], uint8_t *), mac_peer, 6);

	arp_input(&cache, peer_reply(mac_peer2, IP_PEER), 5);
	e = arp_lookup(&cache, IP_PEER);
	assert_true(e->is_static);
	assert_memory_equal(&e->mac, mac_peer, 6);
}

static void
test_announce(void **state)
{
	(void)state;

	arp_announce(&cache);
	assert_int_equal(ntx, 1);
	check_request(0, mac_bcast, ip_us_b);
	assert_int_equal(cnt.arp_req_tx, 1);
	assert_int_equal(cache.n_used, 0);
}

static void
test_flush_frees_queues(void **state)
{
	(void)state;

	arp_output(&cache, IP_PEER, out_frame(1), 0);
	arp_output(&cache, IP_OTHER, out_frame(2), 0);
	arp_output(&cache, IP_OTHER, out_frame(3), 0);
	arp_cache_flush(&cache);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->nq, 0);
	assert_int_equal(arp_lookup(&cache, IP_OTHER)->nq, 0);
	tx_free_all();
	assert_int_equal(rte_mempool_avail_count(mp), baseline);
}

static unsigned n_learned;
static uint32_t learned_ip;
static struct rte_ether_addr learned_mac;

static void
record_learned(void *arg, uint32_t ip, const struct rte_ether_addr *mac)
{
	assert_ptr_equal(arg, &ntx);
	n_learned++;
	learned_ip = ip;
	learned_mac = *mac;
}

/* What one worker learns from a frame is handed on (learned hook); what a
 * worker is handed (arp_learn) resolves its queue and is not handed on. */
static void
test_learned_shared(void **state)
{
	struct rte_ether_addr mac;
	(void)state;

	n_learned = 0;
	cache.learned = record_learned;
	arp_input(&cache, peer_reply(mac_peer, IP_PEER), 10);
	assert_int_equal(n_learned, 1);
	assert_int_equal(learned_ip, IP_PEER);
	assert_memory_equal(&learned_mac, mac_peer, 6);
	/* a frame for another address from an unknown sender teaches nothing */
	arp_input(&cache, arp_frame(RTE_ARP_OP_REQUEST, mac_peer2, IP_OTHER, mac_zero,
				    RTE_BE32(0xc6120064), mac_bcast), 11);
	assert_int_equal(n_learned, 1);
	tx_free_all();

	/* a second worker's cache: packets wait, then the shared binding
	 * sends them without a reply of its own */
	reset_cache();
	cache.learned = record_learned;
	arp_output(&cache, IP_PEER, out_frame(1), 20);
	arp_output(&cache, IP_PEER, out_frame(2), 20);
	assert_int_equal(ntx, 1); /* the request */
	tx_free_all();
	memcpy(mac.addr_bytes, mac_peer, 6);
	arp_learn(&cache, IP_PEER, &mac, 30);
	assert_int_equal(ntx, 2);
	assert_int_equal(tag_of(txq[0]), 1);
	assert_int_equal(tag_of(txq[1]), 2);
	assert_memory_equal(rte_pktmbuf_mtod(txq[1], uint8_t *), mac_peer, 6);
	assert_int_equal(n_learned, 1);
	assert_int_equal(arp_lookup(&cache, IP_PEER)->state, ARP_REACHABLE);
	/* and a binding nobody asked for is kept for later use */
	memcpy(mac.addr_bytes, mac_peer2, 6);
	arp_learn(&cache, IP_OTHER, &mac, 31);
	assert_non_null(arp_lookup(&cache, IP_OTHER));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_request_for_us),
		T(test_not_for_us),
		T(test_bad_arp),
		T(test_output_unknown_queues_and_requests),
		T(test_reply_resolves_and_flushes),
		T(test_merge_from_frame_not_for_us),
		T(test_queue_overflow),
		T(test_retries_then_unresolved),
		T(test_refresh_while_in_use),
		T(test_expiry),
		T(test_table_full),
		T(test_churn),
		T(test_static_not_overridden),
		T(test_announce),
		T(test_flush_frees_queues),
		T(test_learned_shared),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
