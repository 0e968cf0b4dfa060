/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP cache and responder. See arp.h.
 *
 * The cache is an open-addressing table keyed on the IPv4 address with
 * linear probing. Deletion shifts the following run back (Knuth vol. 3,
 * 6.4 Algorithm R) instead of leaving tombstones, so a lookup always stops
 * at the first free slot and the table never degrades with churn.
 *
 * Timers live in each entry as TSC deadlines:
 *   INCOMPLETE: next_req = when to retry; tries = requests sent so far.
 *   REACHABLE:  expire = learned + ARP_TTL_S; next_req starts at
 *               learned + ARP_REFRESH_S, then moves a second ahead with each
 *               refresh request sent on use.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "arp.h"

#define ARP_MASK (ARP_CACHE_SIZE - 1)
#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
/* Pad what we send to the Ethernet minimum (without FCS): not every PMD
 * pads short frames itself. */
#define ARP_TX_LEN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)

/* murmur3's 32-bit finaliser: every input bit reaches the low bits we keep,
 * so a /24 of neighbours spreads evenly whatever the byte order. */
static inline uint32_t
arp_hash(uint32_t ip)
{
	ip ^= ip >> 16;
	ip *= 0x85ebca6bu;
	ip ^= ip >> 13;
	ip *= 0xc2b2ae35u;
	ip ^= ip >> 16;
	return ip & ARP_MASK;
}

/* Slot holding ip, or -1. Probes at most the whole table (it may be full). */
static int
arp_find(const struct arp_cache *c, uint32_t ip)
{
	uint32_t i = arp_hash(ip);
	unsigned n;

	for (n = 0; n < ARP_CACHE_SIZE; n++, i = (i + 1) & ARP_MASK) {
		if (c->e[i].state == ARP_FREE)
			return -1;
		if (c->e[i].ip == ip)
			return (int)i;
	}
	return -1;
}

/* Claim a free slot for ip (known absent). NULL when the table is full. */
static struct arp_entry *
arp_insert(struct arp_cache *c, uint32_t ip)
{
	uint32_t i = arp_hash(ip);
	struct arp_entry *e;
	unsigned n;

	if (c->n_used >= ARP_CACHE_SIZE)
		return NULL;
	for (n = 0; n < ARP_CACHE_SIZE; n++, i = (i + 1) & ARP_MASK) {
		e = &c->e[i];
		if (e->state == ARP_FREE) {
			memset(e, 0, sizeof(*e));
			e->ip = ip;
			c->n_used++;
			return e;
		}
	}
	return NULL;
}

/* Empty slot i, then move back every later entry of the probe run that
 * would no longer be reachable from its home slot across the hole. */
static void
arp_remove(struct arp_cache *c, uint32_t i)
{
	uint32_t j = i, home;
	unsigned n;

	c->e[i].state = ARP_FREE;
	c->n_used--;
	for (n = 0; n < ARP_CACHE_SIZE; n++) {
		j = (j + 1) & ARP_MASK;
		if (c->e[j].state == ARP_FREE)
			return;
		home = arp_hash(c->e[j].ip);
		/* The entry at j stays if its home lies cyclically in (i, j]. */
		if (((j - home) & ARP_MASK) < ((j - i) & ARP_MASK))
			continue;
		c->e[i] = c->e[j];
		c->e[j].state = ARP_FREE;
		i = j;
	}
}

static inline void
arp_set_dst(struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(mac, &eth->dst_addr);
}

/*
 * Send an ARP request from us for tip; dst NULL = broadcast. An
 * announcement is the request whose target is our own address.
 */
static void
arp_send_request(struct arp_cache *c, uint32_t tip, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(c->mp);
	if (unlikely(m == NULL)) {
		cnt_drop(c->cnt, CNT_DROP_MBUF_ALLOC);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eth, 0, ARP_TX_LEN);
	if (dst != NULL)
		rte_ether_addr_copy(dst, &eth->dst_addr);
	else
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&c->our_mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);

	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&c->our_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = c->our_ip;
	/* arp_tha stays zero: unknown, which is what we ask. */
	arp->arp_data.arp_tip = tip;

	m->data_len = ARP_TX_LEN;
	m->pkt_len = ARP_TX_LEN;
	c->cnt->arp_req_tx++;
	c->tx(c->tx_arg, m);
}

/* Broadcast one resolution request for an INCOMPLETE entry. A failed mbuf
 * allocation still uses up a try so the entry gives up in bounded time. */
static void
arp_solicit(struct arp_cache *c, struct arp_entry *e, uint64_t now)
{
	e->tries++;
	e->next_req = now + c->hz;
	arp_send_request(c, e->ip, NULL);
}

/* Queue m on an INCOMPLETE entry, or drop it when the queue is full. */
static void
arp_enqueue(struct arp_cache *c, struct arp_entry *e, struct rte_mbuf *m)
{
	if (unlikely(e->nq >= ARP_QLEN)) {
		rte_pktmbuf_free(m);
		cnt_drop(c->cnt, CNT_DROP_ARP_QUEUE_FULL);
		return;
	}
	e->q[e->nq++] = m;
}

/* Mark e REACHABLE at mac and send what waited for it, oldest first. */
static void
arp_resolve(struct arp_cache *c, struct arp_entry *e,
	    const struct rte_ether_addr *mac, uint64_t now)
{
	uint8_t i, nq = e->nq;

	rte_ether_addr_copy(mac, &e->mac);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->expire = now + (uint64_t)ARP_TTL_S * c->hz;
	e->next_req = now + (uint64_t)ARP_REFRESH_S * c->hz;
	/* Entry complete and queue emptied before tx runs, so a tx callback
	 * that sends through arp_output again sees a consistent entry. */
	e->nq = 0;
	for (i = 0; i < nq; i++) {
		arp_set_dst(e->q[i], mac);
		c->tx(c->tx_arg, e->q[i]);
	}
}

/* Drop everything queued on e: the next hop never answered. */
static void
arp_drop_queue(struct arp_cache *c, struct arp_entry *e)
{
	uint8_t i;

	for (i = 0; i < e->nq; i++) {
		rte_pktmbuf_free(e->q[i]);
		cnt_drop(c->cnt, CNT_DROP_ARP_UNRESOLVED);
	}
	e->nq = 0;
}

void
arp_cache_init(struct arp_cache *c, uint32_t our_ip,
	       const struct rte_ether_addr *our_mac, struct rte_mempool *mp,
	       arp_tx_fn tx, void *tx_arg, struct cnt_core *cnt, uint64_t hz)
{
	RTE_BUILD_BUG_ON(!RTE_IS_POWER_OF_2(ARP_CACHE_SIZE));
	RTE_BUILD_BUG_ON(ARP_QLEN > UINT8_MAX);

	memset(c, 0, sizeof(*c));
	c->our_ip = our_ip;
	rte_ether_addr_copy(our_mac, &c->our_mac);
	c->mp = mp;
	c->tx = tx;
	c->tx_arg = tx_arg;
	c->cnt = cnt;
	c->hz = hz;
}

void
arp_cache_flush(struct arp_cache *c)
{
	struct arp_entry *e;
	unsigned i, k;

	for (i = 0; i < ARP_CACHE_SIZE; i++) {
		e = &c->e[i];
		if (e->state == ARP_FREE)
			continue;
		for (k = 0; k < e->nq; k++)
			rte_pktmbuf_free(e->q[k]);
		e->nq = 0;
	}
}

void
arp_output(struct arp_cache *c, uint32_t ip, struct rte_mbuf *m, uint64_t now)
{
	struct arp_entry *e;
	int i = arp_find(c, ip);

	if (unlikely(i < 0)) {
		e = arp_insert(c, ip);
		if (unlikely(e == NULL)) {
			rte_pktmbuf_free(m);
			cnt_drop(c->cnt, CNT_DROP_ARP_QUEUE_FULL);
			return;
		}
		e->state = ARP_INCOMPLETE;
		e->q[e->nq++] = m;
		arp_solicit(c, e, now);
		return;
	}

	e = &c->e[i];
	if (likely(e->state == ARP_REACHABLE)) {
		if (likely(e->is_static || now < e->expire)) {
			arp_set_dst(m, &e->mac);
			c->tx(c->tx_arg, m);
			/* Stale but in use: ask the neighbour directly if it is
			 * still there (RFC 1122 §2.3.2.1 unicast poll), at most
			 * once a second, and keep sending meanwhile. */
			if (unlikely(!e->is_static && now >= e->next_req)) {
				e->next_req = now + c->hz;
				arp_send_request(c, ip, &e->mac);
			}
			return;
		}
		/* Expired without an answer: resolve again from scratch. */
		e->state = ARP_INCOMPLETE;
		e->tries = 0;
		e->next_req = now;
	}

	arp_enqueue(c, e, m);
	if (now >= e->next_req && e->tries < ARP_MAX_TRIES)
		arp_solicit(c, e, now);
}

/* The sender may be learned: a unicast host address other than ours. */
static inline int
arp_sender_ok(const struct arp_cache *c, const struct rte_arp_ipv4 *d)
{
	return d->arp_sip != 0 && d->arp_sip != c->our_ip &&
	       rte_is_unicast_ether_addr(&d->arp_sha) &&
	       !rte_is_zero_ether_addr(&d->arp_sha);
}

void
arp_input(struct arp_cache *c, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	struct rte_arp_ipv4 *d = &arp->arp_data;
	struct rte_ether_addr sha;
	struct arp_entry *e = NULL;
	uint32_t sip;
	uint16_t op;
	int i;

	c->cnt->arp_rx++;
	if (unlikely(m->nb_segs != 1 || rte_pktmbuf_data_len(m) < ARP_FRAME_LEN))
		goto bad;
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (unlikely(arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
		     arp->arp_plen != sizeof(uint32_t) ||
		     (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)))
		goto bad;

	sip = d->arp_sip;
	rte_ether_addr_copy(&d->arp_sha, &sha);
	/* RFC 826 "merge": update the sender's entry if we have one, whoever
	 * the packet is for. Static entries are configuration: kept. */
	if (arp_sender_ok(c, d)) {
		i = arp_find(c, sip);
		if (i >= 0) {
			e = &c->e[i];
			if (!e->is_static) {
				arp_resolve(c, e, &sha, now);
				if (c->learned)
					c->learned(c->tx_arg, sip, &sha);
			}
		}
	}

	if (d->arp_tip != c->our_ip) {
		rte_pktmbuf_free(m);
		cnt_drop(c->cnt, CNT_DROP_ARP_NOT_US);
		return;
	}

	/* For us: learn the sender too, since it is about to talk to us. A
	 * full table only means we do not learn; the reply still goes. */
	if (e == NULL && arp_sender_ok(c, d)) {
		e = arp_insert(c, sip);
		if (e != NULL) {
			arp_resolve(c, e, &sha, now);
			if (c->learned)
				c->learned(c->tx_arg, sip, &sha);
		}
	}

	if (op != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m);
		return;
	}

	/* Answer in place: the target becomes the requester. */
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&c->our_mac, &eth->src_addr);
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&sha, &d->arp_tha);
	d->arp_tip = sip;
	rte_ether_addr_copy(&c->our_mac, &d->arp_sha);
	d->arp_sip = c->our_ip;
	c->cnt->arp_reply_tx++;
	c->tx(c->tx_arg, m);
	return;

bad:
	rte_pktmbuf_free(m);
	cnt_drop(c->cnt, CNT_DROP_ARP_BAD);
}

void
arp_learn(struct arp_cache *c, uint32_t ip, const struct rte_ether_addr *mac, uint64_t now)
{
	struct arp_entry *e;
	int i = arp_find(c, ip);

	e = i >= 0 ? &c->e[i] : arp_insert(c, ip);
	if (e != NULL && !e->is_static)
		arp_resolve(c, e, mac, now);
}

void
arp_tick(struct arp_cache *c, uint64_t now)
{
	struct arp_entry *e;
	unsigned i = 0, steps;

	/*
	 * A removal may shift a later entry into slot i, so i is examined
	 * again after one; an entry shifted across the wrap may be seen twice,
	 * which is harmless since every action below is gated on a deadline
	 * it moves. Each removal adds one step: bounded by twice the size.
	 */
	for (steps = 0; i < ARP_CACHE_SIZE && steps < 2 * ARP_CACHE_SIZE; steps++) {
		e = &c->e[i];
		if (e->state == ARP_INCOMPLETE && now >= e->next_req) {
			if (e->tries < ARP_MAX_TRIES) {
				arp_solicit(c, e, now);
			} else {
				arp_drop_queue(c, e);
				arp_remove(c, i);
				continue;
			}
		} else if (e->state == ARP_REACHABLE && !e->is_static &&
			   now >= e->expire) {
			arp_remove(c, i);
			continue;
		}
		i++;
	}
}

void
arp_announce(struct arp_cache *c)
{
	/* Gratuitous ARP (RFC 5227 §3): a request whose sender and target
	 * are both our address, so neighbours refresh any stale entry. */
	arp_send_request(c, c->our_ip, NULL);
}

int
arp_static_add(struct arp_cache *c, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct arp_entry *e;
	int i = arp_find(c, ip);

	if (i >= 0) {
		e = &c->e[i];
	} else {
		e = arp_insert(c, ip);
		if (e == NULL)
			return -ENOSPC;
	}
	arp_resolve(c, e, mac, 0);
	e->is_static = 1;
	return 0;
}

const struct arp_entry *
arp_lookup(const struct arp_cache *c, uint32_t ip)
{
	int i = arp_find(c, ip);

	return i < 0 ? NULL : &c->e[i];
}
