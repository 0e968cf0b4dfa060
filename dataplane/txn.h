/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core INVITE transaction table for stateful mode (issue 3).
 *
 * The key is the 64-bit value h that the proxy computes from the upstream
 * INVITE's top Via (px_branch_hash: branch + sent-by host + port, §16.11), and
 * our branch towards the backend for try k is PX_BRANCH_PREFIX, the 16 hex
 * digits of h, '.', k. So both directions find the entry by h:
 *  - upstream requests of the transaction (INVITE retransmission, CANCEL, ACK
 *    of a non-2xx final) carry the INVITE's branch and sent-by (RFC 3261
 *    §17.2.3, §9.2), hash to the same h, and are then compared exactly
 *    against the copies kept in the entry (txn_lookup_up);
 *  - backend responses carry our branch, which gives h and k back
 *    (txn_branch_parse, txn_lookup_down).
 *
 * Layout: entries in one preallocated array, a free list kept as a stack of
 * indices, and a power-of-two bucket array of chain heads (entry index + 1,
 * 0 = empty) chained through txn.next; bucket = h & mask. Insert, lookup and
 * delete are O(1) (expected chain length <= 1 at full load, since there are
 * at least as many buckets as entries); nothing is allocated after create.
 *
 * Threads: a table and its entries belong to one worker, the only writer and
 * reader (every message of a Call-ID is handled on the worker that owns it),
 * so there are no locks and no atomics. create/free/drain are made by the
 * control plane before the worker starts or after it stopped.
 */
#ifndef SIPLB_TXN_H
#define SIPLB_TXN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "sv.h"
#include "tmr.h"

struct rte_mbuf;

/* Longest upstream branch / sent-by host kept for exact matching. 47 holds a
 * bracketed IPv6 literal ("[" + 45 + "]"). A longer one is not copied: the
 * entry is then hash-only (TXN_F_HASH_ONLY). */
#define TXN_BRANCH_MAX 64
#define TXN_HOST_MAX 47

/* Tries per transaction: k is one decimal digit in our branch. */
#define TXN_TRY_MAX 9
/* Length of our branch: PX_BRANCH_PREFIX (10) + 16 hex + '.' + one digit. */
#define TXN_BRANCH_LEN 28

#define TXN_MAX_CAPACITY (UINT32_C(1) << 24)

/* Transaction states, named after RFC 3261 §17.1.1 (INVITE client: towards the
 * backend) and §17.2.1 (INVITE server: towards upstream). */
enum txn_state {
	TXN_FREE = 0,      /* on the free list, in no chain */
	TXN_CALLING,       /* INVITE sent to the backend, nothing back yet */
	TXN_PROCEEDING,    /* a provisional came back */
	TXN_COMPLETED,     /* a final went upstream; absorbing retransmissions */
	TXN_CONFIRMED,     /* the ACK of the non-2xx final came; waiting (Timer D) */
};

/* txn.flags */
#define TXN_F_HASH_ONLY 0x01 /* branch or host too long: no copies, match on h + port */

/*
 * One INVITE transaction. 32-byte aligned and 288 bytes long, so that the
 * 28-byte head that chain walks and both lookups read (h .. key lengths)
 * never straddles a cache line whatever the entry's index.
 * "table" = written only by txn_* functions; "worker" = written by the
 * transaction logic of the owning worker. Both are the same thread.
 */
struct txn {
	/* head: read by every lookup and chain walk */
	uint64_t h;             /* table: key, px_branch_hash of the upstream top Via */
	uint32_t next;          /* table: next entry of the bucket's chain, index + 1; 0 = end */
	uint8_t state;          /* table sets TXN_CALLING on insert, TXN_FREE on delete;
	                           worker moves it in between (enum txn_state) */
	uint8_t try_k;          /* worker: current try k (0..TXN_TRY_MAX), in our branch */
	uint8_t g_exp;          /* worker: Timer G's interval is t1 << g_exp, up to T2 */
	uint8_t flags;          /* table sets TXN_F_* (0 on insert); the worker may
	                           use the bits above them */
	uint16_t port;          /* table: upstream top Via sent-by port, as parsed (0: absent) */
	uint8_t branch_len;     /* table: length of branch[] (0 when hash-only) */
	uint8_t host_len;       /* table: length of host[] (0 when hash-only) */
	uint16_t best_status;   /* worker: best final status so far, 0 = none */
	uint16_t src_port;      /* worker: upstream UDP source port, host order */
	uint32_t src_ip;        /* worker: upstream IPv4 source, network order */
	uint16_t backend;       /* worker: backend slot of the current try (0..255) */
	/* key copies, read by txn_lookup_up and txn_insert: §17.2.3 matching */
	char branch[TXN_BRANCH_MAX]; /* table: upstream top Via branch */
	char host[TXN_HOST_MAX];     /* table: upstream top Via sent-by host */
	/* Owned mbufs (worker): the table never frees them, and they must be
	 * NULL when the entry is deleted. */
	struct rte_mbuf *invite;    /* original INVITE: retransmission (Timer A), failover */
	struct rte_mbuf *last_prov; /* last provisional sent upstream: resent on INVITE
	                               retransmissions (§17.2.1) */
	struct rte_mbuf *final;     /* final sent upstream: resent on retransmissions in
	                               TXN_COMPLETED */
	/* worker arms them; txn_delete cancels them */
	struct tmr_node timer_a;    /* retransmit the INVITE to the backend (Timer A) */
	struct tmr_node timer_b;    /* fr_timer (no provisional) / fr_inv_timer (no final);
	                               after a non-2xx final, Timer G (resend it upstream) */
	struct tmr_node timer_d;    /* wait after the final (Timer D-like) */
	uint64_t tried[4];          /* worker: bitmap of backends tried (256 = MGL_MAX_BACKENDS) */
	uint32_t dst_ip;            /* worker: next hop of the current try, network order */
	uint32_t a_ms;              /* worker: Timer A's current interval */
	uint16_t dst_port;          /* worker: its port, host order */
	uint32_t t0_ms;             /* worker: when the INVITE came (ms, wraps) */
} __rte_aligned(32);

/*
 * The table. Visible so that lookups and txn_index/txn_at inline into the
 * worker; only txn_* functions write it.
 */
struct txn_table {
	struct txn *ents;   /* capacity entries */
	uint32_t *bucket;   /* mask + 1 chain heads: entry index + 1, 0 = empty */
	uint32_t *free_stk; /* indices of free entries, n_free of them on top */
	uint32_t mask;      /* number of buckets - 1 (power of two >= capacity) */
	uint32_t cap;
	uint32_t n_free;
} __rte_cache_aligned;

/*
 * Create a table of capacity entries (1 .. TXN_MAX_CAPACITY), everything
 * preallocated and zeroed (all entries free, timers idle, mbufs NULL) on NUMA
 * socket `socket` (or SOCKET_ID_ANY).
 * Returns the table or NULL with errno EINVAL (bad capacity) or ENOMEM.
 * Control plane, before the owning worker runs.
 */
struct txn_table *txn_table_create(uint32_t capacity, int socket);

/*
 * Free a table (NULL is a no-op). Does not free mbufs nor cancel timers: the
 * caller drains first with txn_table_drain. Control plane, once the owning
 * worker stopped.
 */
void txn_table_free(struct txn_table *t);

/*
 * Create the entry for an upstream INVITE whose top Via hashes to h and has
 * this branch, sent-by host and port (as px_branch_hash read them). The entry
 * comes zeroed, in state TXN_CALLING, try 0, with copies of branch and host
 * (or TXN_F_HASH_ONLY when branch is longer than TXN_BRANCH_MAX or host longer
 * than TXN_HOST_MAX).
 * Returns the entry, or NULL with errno EEXIST when txn_lookup_up would find
 * an entry for the same key (a retransmission: look up first), or ENOSPC when
 * the table is full (the caller answers 503 and counts).
 * Owning worker; O(1), no allocation.
 */
struct txn *txn_insert(struct txn_table *t, uint64_t h, struct sv branch, struct sv host,
		       uint16_t port);

/*
 * Unlink e, cancel its three timers (tmr_cancel: no wheel needed) and return
 * it to the free list; e must be live and its mbuf pointers already NULL
 * (asserted): freeing them is the caller's job. Safe from a timer callback of
 * e itself. Owning worker; O(1) expected (walks e's chain).
 */
void txn_delete(struct txn_table *t, struct txn *e);

/*
 * Call fn(e, arg) on every live entry, then delete it: fn frees e's mbufs and
 * sets the pointers to NULL. Deleting cancels the entries' timers, so the
 * wheel they are on must not be freed yet. For shutdown; O(capacity).
 * Control plane once the worker stopped, or the owning worker.
 */
void txn_table_drain(struct txn_table *t, void (*fn)(struct txn *e, void *arg), void *arg);

/* Live entries: rises on insert, falls on delete, 0 once traffic stopped
 * and every transaction ended. Owning worker (or anyone after it stopped). */
static inline uint32_t
txn_live(const struct txn_table *t)
{
	return t->cap - t->n_free;
}

static inline uint32_t
txn_capacity(const struct txn_table *t)
{
	return t->cap;
}

/* Index of e in the table (0 .. capacity - 1), e.g. to name it in a ring. */
static inline uint32_t
txn_index(const struct txn_table *t, const struct txn *e)
{
	return (uint32_t)(e - t->ents);
}

/* The entry at index i (< capacity), live or not. Timer callbacks may use
 * this or container_of on the tmr_node. */
static inline struct txn *
txn_at(struct txn_table *t, uint32_t i)
{
	return &t->ents[i];
}

/*
 * Does e belong to the upstream request whose top Via has this branch,
 * sent-by host and port? RFC 3261 §17.2.3: same branch and same sent-by
 * (the method rule is the caller's: only INVITE, ACK and CANCEL are looked
 * up, and those are the INVITE's own, its ACK and its CANCEL, §9.2). Compared
 * byte for byte, as px_branch_hash reads them. A hash-only entry had a
 * branch or host too long to copy: it matches on port and on the request's
 * being too long as well (its h already matched).
 */
static inline bool
txn_key_eq(const struct txn *e, struct sv branch, struct sv host, uint16_t port)
{
	if (e->port != port)
		return false;
	if (e->flags & TXN_F_HASH_ONLY)
		return branch.len > TXN_BRANCH_MAX || host.len > TXN_HOST_MAX;
	return branch.len == e->branch_len && host.len == e->host_len &&
	       memcmp(branch.p, e->branch, branch.len) == 0 &&
	       memcmp(host.p, e->host, host.len) == 0;
}

/*
 * Find the transaction of an upstream request (INVITE retransmission,
 * CANCEL, ACK of a non-2xx final) from h = px_branch_hash of its top Via and
 * that Via's branch, sent-by host and port.
 * Returns the live entry whose h and key copies all match (§17.2.3), or NULL:
 * a different branch, host or port, or an entry that merely shares h, is no
 * match. Owning worker; no allocation.
 */
static inline struct txn *
txn_lookup_up(struct txn_table *t, uint64_t h, struct sv branch, struct sv host,
	      uint16_t port)
{
	for (uint32_t i = t->bucket[h & t->mask]; i != 0;) {
		struct txn *e = &t->ents[i - 1];

		if (e->h == h && txn_key_eq(e, branch, host, port))
			return e;
		i = e->next;
	}
	return NULL;
}

/*
 * Find the transaction of a backend response from h and k parsed out of our
 * branch (txn_branch_parse). Returns the live entry with that h whose current
 * try is k, or NULL: a response to an earlier try (after failover) is a stray.
 * Our branch names exactly one upstream key, so h alone identifies the entry
 * (two live entries sharing h would need a 64-bit collision; then the one
 * nearer the chain head, the later inserted, answers). Owning worker; no allocation.
 */
static inline struct txn *
txn_lookup_down(struct txn_table *t, uint64_t h, unsigned k)
{
	for (uint32_t i = t->bucket[h & t->mask]; i != 0;) {
		struct txn *e = &t->ents[i - 1];

		if (e->h == h && e->try_k == k)
			return e;
		i = e->next;
	}
	return NULL;
}

/*
 * The live entry with key h whatever its current try, or NULL: for a
 * response whose try may have been abandoned, which the caller tells from
 * e->try_k (the stateful layer still ACKs such a final, and passes a 2xx
 * on). Owning worker; no allocation.
 */
static inline struct txn *
txn_lookup_h(struct txn_table *t, uint64_t h)
{
	for (uint32_t i = t->bucket[h & t->mask]; i != 0;) {
		struct txn *e = &t->ents[i - 1];

		if (e->h == h)
			return e;
		i = e->next;
	}
	return NULL;
}

/*
 * Write our branch for (h, k): PX_BRANCH_PREFIX, 16 lowercase hex digits of
 * h, '.', the digit k (k <= TXN_TRY_MAX, asserted). Writes TXN_BRANCH_LEN
 * bytes to out, no NUL, and returns that length. Any thread.
 */
unsigned txn_branch_fmt(char *out, uint64_t h, unsigned k);

/*
 * Parse a branch value written by txn_branch_fmt: exactly TXN_BRANCH_LEN
 * bytes, PX_BRANCH_PREFIX, 16 lowercase hex digits, '.', one digit.
 * Returns 0 and sets *h and *k, or -1 (not ours: left untouched) for anything
 * else, including the stateless proxy's branch (no ".k"). Any thread.
 */
int txn_branch_parse(struct sv branch, uint64_t *h, unsigned *k);

#endif
