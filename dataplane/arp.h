/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) for one worker: answers requests for our address, resolves
 * next hops with a small cache, and holds a bounded queue of packets waiting
 * on a resolution.
 *
 * Each worker owns one struct arp_cache and is its only reader and writer.
 * Entries are REACHABLE for ARP_TTL_S seconds after the last reply; from
 * ARP_REFRESH_S on, a refresh request is sent while the entry stays in use, so
 * a live next hop never goes unresolved. A request is retried every second,
 * ARP_MAX_TRIES times; then the queued packets are dropped (counted) and the
 * entry freed. None of these calls blocks; packets go out through the tx
 * callback, which must take ownership of the mbuf.
 */
#ifndef SIPLB_ARP_H
#define SIPLB_ARP_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "cnt.h"

#define ARP_CACHE_SIZE 256 /* power of two */
#define ARP_QLEN 8         /* packets held per unresolved next hop */
#define ARP_TTL_S 300
#define ARP_REFRESH_S 240
#define ARP_MAX_TRIES 3

enum arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	uint32_t ip;             /* network order */
	uint8_t state;           /* enum arp_state */
	uint8_t tries;           /* requests sent for the current resolution */
	uint8_t nq;              /* packets in q */
	uint8_t is_static;       /* never expires (benchmarks) */
	struct rte_ether_addr mac;
	uint64_t expire;         /* TSC: REACHABLE until then */
	uint64_t next_req;       /* TSC: next request (retry or refresh) */
	struct rte_mbuf *q[ARP_QLEN];
};

typedef void (*arp_tx_fn)(void *arg, struct rte_mbuf *m);
/* Told of every binding learned from a received ARP frame. */
typedef void (*arp_learned_fn)(void *arg, uint32_t ip, const struct rte_ether_addr *mac);

struct arp_cache {
	uint32_t our_ip;
	struct rte_ether_addr our_mac;
	struct rte_mempool *mp;  /* for requests and announcements */
	arp_tx_fn tx;
	void *tx_arg;
	arp_learned_fn learned;  /* may be NULL; called with tx_arg */
	struct cnt_core *cnt;
	uint64_t hz;             /* TSC ticks per second */
	uint32_t n_used;
	struct arp_entry e[ARP_CACHE_SIZE];
};

/* Set up c (caller's memory, e.g. inside the worker struct). Any thread,
 * before the worker starts. */
void arp_cache_init(struct arp_cache *c, uint32_t our_ip,
		    const struct rte_ether_addr *our_mac, struct rte_mempool *mp,
		    arp_tx_fn tx, void *tx_arg, struct cnt_core *cnt, uint64_t hz);

/* Free all queued packets. */
void arp_cache_flush(struct arp_cache *c);

/*
 * Send m, whose Ethernet header is complete but for the destination MAC, to
 * next hop ip (network order). Sends at once when resolved, else queues it
 * and sends a request; a full queue or table drops it (counted). Takes m.
 */
void arp_output(struct arp_cache *c, uint32_t ip, struct rte_mbuf *m, uint64_t now);

/*
 * Handle a received ARP frame (classified PKT_ARP): learn the sender when we
 * have an entry for it or when it asks for us (RFC 826 merge), answer requests
 * for our address in place, flush the queue of a resolved entry. Takes m.
 */
void arp_input(struct arp_cache *c, struct rte_mbuf *m, uint64_t now);

/*
 * Learn ip -> mac from elsewhere (another worker received the ARP frame):
 * update the entry or insert one, flush its queue. Never calls learned.
 */
void arp_learn(struct arp_cache *c, uint32_t ip, const struct rte_ether_addr *mac,
	       uint64_t now);

/* Retry requests, refresh and expire entries. Call a few times a second. */
void arp_tick(struct arp_cache *c, uint64_t now);

/* Send a gratuitous ARP request announcing our address (at start). */
void arp_announce(struct arp_cache *c);

/* Add a permanent entry (benchmarks, tests). Returns 0 or -ENOSPC. */
int arp_static_add(struct arp_cache *c, uint32_t ip, const struct rte_ether_addr *mac);

/* The entry for ip, or NULL. */
const struct arp_entry *arp_lookup(const struct arp_cache *c, uint32_t ip);

#endif
