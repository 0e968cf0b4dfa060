/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core INVITE transaction table (see txn.h).
 *
 * Invariants: an entry is in exactly one of the free stack (state TXN_FREE)
 * or the chain of bucket h & mask (any other state); n_free counts the
 * stack; every entry on the stack has idle timers and NULL mbufs, so insert
 * only has to clear it.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_malloc.h>

#include "mgl.h"
#include "px.h"
#include "txn.h"

#define TXN_PREFIX_LEN (sizeof(PX_BRANCH_PREFIX) - 1)

_Static_assert(TXN_PREFIX_LEN + 16 + 2 == TXN_BRANCH_LEN, "TXN_BRANCH_LEN");
_Static_assert(offsetof(struct txn, backend) + sizeof(uint16_t) <= 32,
	       "the lookup head must fit in the 32-byte alignment unit");
_Static_assert(sizeof(((struct txn *)0)->tried) * 8 >= MGL_MAX_BACKENDS, "tried bitmap");
_Static_assert(TXN_BRANCH_MAX <= UINT8_MAX && TXN_HOST_MAX <= UINT8_MAX, "key lengths");

static uint32_t
pow2_ceil(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

struct txn_table *
txn_table_create(uint32_t capacity, int socket)
{
	struct txn_table *t;
	uint32_t n_bucket;
	size_t off_ents, off_bucket, off_free, size;
	char *base;

	if (capacity == 0 || capacity > TXN_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	n_bucket = pow2_ceil(capacity);
	/* One block: the header, then the entries on a cache line of their
	 * own, then the buckets and the free stack. */
	off_ents = RTE_ALIGN_CEIL(sizeof(*t), RTE_CACHE_LINE_SIZE);
	off_bucket = off_ents + (size_t)capacity * sizeof(struct txn);
	off_free = off_bucket + (size_t)n_bucket * sizeof(uint32_t);
	size = off_free + (size_t)capacity * sizeof(uint32_t);
	base = rte_zmalloc_socket("txn_table", size, RTE_CACHE_LINE_SIZE, socket);
	if (base == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t = (struct txn_table *)base;
	t->ents = (struct txn *)(base + off_ents);
	t->bucket = (uint32_t *)(base + off_bucket);
	t->free_stk = (uint32_t *)(base + off_free);
	t->mask = n_bucket - 1;
	t->cap = capacity;
	/* Lowest index on top: a lightly loaded table stays in few pages. */
	for (uint32_t i = 0; i < capacity; i++)
		t->free_stk[i] = capacity - 1 - i;
	t->n_free = capacity;
	return t;
}

void
txn_table_free(struct txn_table *t)
{
	rte_free(t);
}

struct txn *
txn_insert(struct txn_table *t, uint64_t h, struct sv branch, struct sv host, uint16_t port)
{
	uint32_t *head = &t->bucket[h & t->mask];
	struct txn *e;
	uint32_t i;

	/* A second INVITE with the same §17.2.3 key is a retransmission of
	 * the first, never a new transaction. */
	if (txn_lookup_up(t, h, branch, host, port) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	if (t->n_free == 0) {
		errno = ENOSPC;
		return NULL;
	}
	i = t->free_stk[--t->n_free];
	e = &t->ents[i];
	/* Free entries have idle timers and NULL mbufs already; clearing the
	 * rest gives the worker a known start (try 0, no status, no tries). */
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->state = TXN_CALLING;
	e->port = port;
	if (branch.len > TXN_BRANCH_MAX || host.len > TXN_HOST_MAX) {
		e->flags = TXN_F_HASH_ONLY;
	} else {
		memcpy(e->branch, branch.p, branch.len);
		memcpy(e->host, host.p, host.len);
		e->branch_len = (uint8_t)branch.len;
		e->host_len = (uint8_t)host.len;
	}
	e->next = *head;
	*head = i + 1;
	return e;
}

void
txn_delete(struct txn_table *t, struct txn *e)
{
	uint32_t i = txn_index(t, e);
	uint32_t *link = &t->bucket[e->h & t->mask];

	assert(i < t->cap && e->state != TXN_FREE);
	assert(e->invite == NULL && e->last_prov == NULL && e->final == NULL);
	tmr_cancel(&e->timer_a);
	tmr_cancel(&e->timer_b);
	tmr_cancel(&e->timer_d);
	/* Singly linked: find the link that names e. Chains are ~1 long. */
	while (*link != i + 1) {
		assert(*link != 0);
		link = &t->ents[*link - 1].next;
	}
	*link = e->next;
	e->next = 0;
	e->state = TXN_FREE;
	t->free_stk[t->n_free++] = i;
}

void
txn_table_drain(struct txn_table *t, void (*fn)(struct txn *e, void *arg), void *arg)
{
	for (uint32_t i = 0; i < t->cap; i++) {
		struct txn *e = &t->ents[i];

		if (e->state == TXN_FREE)
			continue;
		fn(e, arg);
		txn_delete(t, e);
	}
}

unsigned
txn_branch_fmt(char *out, uint64_t h, unsigned k)
{
	char *p = out + TXN_PREFIX_LEN;

	assert(k <= TXN_TRY_MAX);
	memcpy(out, PX_BRANCH_PREFIX, TXN_PREFIX_LEN);
	sv_hex_put(p, h, 16);
	p[16] = '.';
	p[17] = (char)('0' + k);
	return TXN_BRANCH_LEN;
}

int
txn_branch_parse(struct sv branch, uint64_t *h, unsigned *k)
{
	const char *p = branch.p + TXN_PREFIX_LEN;
	uint64_t v = 0;

	/* Exactly what txn_branch_fmt writes, nothing more lenient: anything
	 * else is a response to a stateless request or not ours at all. */
	if (branch.len != TXN_BRANCH_LEN ||
	    memcmp(branch.p, PX_BRANCH_PREFIX, TXN_PREFIX_LEN) != 0 || sv_hex_get(p, 16, &v) < 0)
		return -1;
	if (p[16] != '.' || p[17] < '0' || p[17] > '0' + TXN_TRY_MAX)
		return -1;
	*h = v;
	*k = (unsigned)(p[17] - '0');
	return 0;
}
