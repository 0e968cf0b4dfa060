/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txn: per-core INVITE transaction table. Every RFC 3261 §17.2.3 matching
 * rule is checked in both directions, collisions are forged (same h, other
 * text; h equal modulo the bucket count), and a randomized run compares the
 * table with a plain array model. Entries own real mbufs in the drain test so
 * that the pool count proves the drain callback saw every live entry.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "test_dpdk.h"
#include "tmr.h"
#include "txn.h"

#define NB_MBUF 63

static struct rte_mempool *mp;

static struct sv
S(const char *s)
{
	return (struct sv){ s, (uint16_t)strlen(s) };
}

static struct txn_table *
mk_table(uint32_t cap)
{
	struct txn_table *t = txn_table_create(cap, SOCKET_ID_ANY);

	assert_non_null(t);
	assert_int_equal(txn_capacity(t), cap);
	assert_int_equal(txn_live(t), 0);
	return t;
}

static struct txn *
ins(struct txn_table *t, uint64_t h, const char *branch, const char *host, uint16_t port)
{
	return txn_insert(t, h, S(branch), S(host), port);
}

static struct txn *
up(struct txn_table *t, uint64_t h, const char *branch, const char *host, uint16_t port)
{
	return txn_lookup_up(t, h, S(branch), S(host), port);
}

static void
test_layout(void **state)
{
	struct txn_table *t;
	double per;

	(void)state;
	assert_int_equal(sizeof(struct txn), 288);
	assert_int_equal(_Alignof(struct txn), 32);
	assert_true(offsetof(struct txn, src_ip) + 4 <= 32);
	/* Default capacity: a power of two, so one bucket per entry. */
	t = txn_table_create(131072, SOCKET_ID_ANY);
	assert_non_null(t);
	assert_int_equal(t->mask + 1, 131072);
	per = (double)sizeof(struct txn) + (double)(t->mask + 1) * 4 / t->cap + 4;
	print_message("sizeof(struct txn) = %zu, bytes per transaction = %.0f "
		      "(entry + bucket share + free-stack slot), %u entries = %.1f MiB\n",
		      sizeof(struct txn), per, t->cap, per * t->cap / 1048576);
	assert_true(per == 296.0);
	txn_table_free(t);
}

static void
test_create_args(void **state)
{
	struct txn_table *t;

	(void)state;
	errno = 0;
	assert_null(txn_table_create(0, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(txn_table_create(TXN_MAX_CAPACITY + 1, SOCKET_ID_ANY));
	assert_int_equal(errno, EINVAL);
	t = mk_table(3);
	assert_int_equal(t->mask, 3); /* buckets: power of two >= capacity */
	txn_table_free(t);
	t = mk_table(1);
	assert_int_equal(t->mask, 0);
	txn_table_free(t);
	txn_table_free(NULL);
}

static void
test_basic(void **state)
{
	struct txn_table *t = mk_table(16);
	struct txn *e;
	uint64_t h = 0x0123456789abcdefULL;

	(void)state;
	e = ins(t, h, "z9hG4bK776asdhds", "198.18.0.1", 5060);
	assert_non_null(e);
	assert_int_equal(txn_live(t), 1);
	/* Comes clean: the worker starts from a known state. */
	assert_int_equal(e->state, TXN_CALLING);
	assert_int_equal(e->try_k, 0);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->best_status, 0);
	assert_null(e->invite);
	assert_null(e->last_prov);
	assert_null(e->final);
	assert_false(tmr_pending(&e->timer_a));
	assert_false(tmr_pending(&e->timer_b));
	assert_false(tmr_pending(&e->timer_d));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(e->tried[i], 0);
	assert_int_equal(e->h, h);
	assert_int_equal(e->port, 5060);
	assert_int_equal(e->branch_len, 16);
	assert_memory_equal(e->branch, "z9hG4bK776asdhds", 16);
	assert_int_equal(e->host_len, 10);
	assert_memory_equal(e->host, "198.18.0.1", 10);

	assert_ptr_equal(up(t, h, "z9hG4bK776asdhds", "198.18.0.1", 5060), e);
	assert_ptr_equal(txn_lookup_down(t, h, 0), e);
	assert_ptr_equal(txn_at(t, txn_index(t, e)), e);
	assert_true(txn_index(t, e) < 16);
	assert_ptr_equal(container_of(&e->timer_b, struct txn, timer_b), e);

	txn_delete(t, e);
	assert_int_equal(e->state, TXN_FREE);
	assert_int_equal(txn_live(t), 0);
	assert_null(up(t, h, "z9hG4bK776asdhds", "198.18.0.1", 5060));
	assert_null(txn_lookup_down(t, h, 0));
	/* The slot is reusable, and a reused entry is clean again. */
	e = ins(t, h, "z9hG4bK776asdhds", "198.18.0.1", 5060);
	assert_non_null(e);
	e->try_k = 3;
	e->best_status = 503;
	e->tried[1] = 5;
	e->state = TXN_COMPLETED;
	txn_delete(t, e);
	e = ins(t, h, "z9hG4bKother", "198.18.0.1", 5060);
	assert_non_null(e);
	assert_int_equal(e->try_k, 0);
	assert_int_equal(e->best_status, 0);
	assert_int_equal(e->tried[1], 0);
	assert_int_equal(e->state, TXN_CALLING);
	txn_delete(t, e);
	assert_int_equal(txn_live(t), 0);
	txn_table_free(t);
}

static void
test_capacity(void **state)
{
	struct txn_table *t = mk_table(8);
	struct txn *e[8], *x;
	char br[8][32];

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		snprintf(br[i], sizeof(br[i]), "z9hG4bKcap%u", i);
		e[i] = ins(t, 1000 + i, br[i], "h", 5060);
		assert_non_null(e[i]);
		assert_int_equal(txn_live(t), i + 1);
	}
	errno = 0;
	assert_null(ins(t, 2000, "z9hG4bKnew", "h", 5060));
	assert_int_equal(errno, ENOSPC);
	/* A duplicate is reported as such even when full: it is a
	 * retransmission, not a reason for 503. */
	errno = 0;
	assert_null(ins(t, 1003, br[3], "h", 5060));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(txn_live(t), 8);

	txn_delete(t, e[5]);
	assert_int_equal(txn_live(t), 7);
	x = ins(t, 2000, "z9hG4bKnew", "h", 5060);
	assert_ptr_equal(x, e[5]); /* the freed slot */
	assert_int_equal(txn_live(t), 8);
	errno = 0;
	assert_null(ins(t, 2001, "z9hG4bKnew2", "h", 5060));
	assert_int_equal(errno, ENOSPC);
	for (unsigned i = 0; i < 8; i++) {
		if (i == 5)
			continue;
		assert_ptr_equal(up(t, 1000 + i, br[i], "h", 5060), e[i]);
		txn_delete(t, e[i]);
	}
	assert_ptr_equal(up(t, 2000, "z9hG4bKnew", "h", 5060), x);
	txn_delete(t, x);
	assert_int_equal(txn_live(t), 0);
	txn_table_free(t);
}

static void
test_match_up(void **state)
{
	struct txn_table *t = mk_table(16);
	const uint64_t h = 0xfeedface00000001ULL;
	struct txn *e, *c, *p;

	(void)state;
	e = ins(t, h, "z9hG4bKabc123", "client.example.com", 5060);
	assert_non_null(e);
	/* §17.2.3: same branch, same sent-by host and port: ours. */
	assert_ptr_equal(up(t, h, "z9hG4bKabc123", "client.example.com", 5060), e);
	/* Any difference is another transaction. */
	assert_null(up(t, h, "z9hG4bKabc124", "client.example.com", 5060));
	assert_null(up(t, h, "z9hG4bKabc12", "client.example.com", 5060));
	assert_null(up(t, h, "z9hG4bKabc1234", "client.example.com", 5060));
	assert_null(up(t, h, "z9hG4bKABC123", "client.example.com", 5060));
	assert_null(up(t, h, "z9hG4bKabc123", "client.example.org", 5060));
	assert_null(up(t, h, "z9hG4bKabc123", "client.example.co", 5060));
	assert_null(up(t, h, "z9hG4bKabc123", "CLIENT.example.com", 5060));
	assert_null(up(t, h, "z9hG4bKabc123", "client.example.com", 5061));
	assert_null(up(t, h, "z9hG4bKabc123", "client.example.com", 0));
	assert_null(up(t, h, "", "client.example.com", 5060));
	/* Same text, another h: not the same key (never found by chance). */
	assert_null(up(t, h ^ 1, "z9hG4bKabc123", "client.example.com", 5060));
	assert_null(up(t, h + t->mask + 1, "z9hG4bKabc123", "client.example.com", 5060));

	/* Forged collision: same h, other text. Both live, each found only by
	 * its own text, and neither is EEXIST for the other. */
	c = ins(t, h, "z9hG4bKzzz", "client.example.com", 5060);
	assert_non_null(c);
	assert_ptr_not_equal(c, e);
	p = ins(t, h, "z9hG4bKabc123", "client.example.com", 5080);
	assert_non_null(p);
	assert_ptr_equal(up(t, h, "z9hG4bKabc123", "client.example.com", 5060), e);
	assert_ptr_equal(up(t, h, "z9hG4bKzzz", "client.example.com", 5060), c);
	assert_ptr_equal(up(t, h, "z9hG4bKabc123", "client.example.com", 5080), p);
	assert_null(up(t, h, "z9hG4bKzzz", "client.example.com", 5080));

	/* Exact duplicate: EEXIST, nothing inserted. */
	errno = 0;
	assert_null(ins(t, h, "z9hG4bKabc123", "client.example.com", 5060));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(txn_live(t), 3);

	/* Deleting one collider leaves the others intact. */
	txn_delete(t, c);
	assert_null(up(t, h, "z9hG4bKzzz", "client.example.com", 5060));
	assert_ptr_equal(up(t, h, "z9hG4bKabc123", "client.example.com", 5060), e);
	assert_ptr_equal(up(t, h, "z9hG4bKabc123", "client.example.com", 5080), p);
	txn_delete(t, e);
	txn_delete(t, p);

	/* Pre-3261 client (no branch): an empty branch is a key like any. */
	e = ins(t, 77, "", "[2001:db8::1]", 0);
	assert_non_null(e);
	assert_int_equal(e->branch_len, 0);
	assert_int_equal(e->flags, 0);
	assert_ptr_equal(up(t, 77, "", "[2001:db8::1]", 0), e);
	assert_null(up(t, 77, "x", "[2001:db8::1]", 0));
	assert_null(up(t, 77, "", "[2001:db8::1]", 5060));
	txn_delete(t, e);
	assert_int_equal(txn_live(t), 0);
	txn_table_free(t);
}

static void
test_key_limits(void **state)
{
	struct txn_table *t = mk_table(16);
	char b64[TXN_BRANCH_MAX + 1], b65[TXN_BRANCH_MAX + 2], b65x[TXN_BRANCH_MAX + 2];
	char h47[TXN_HOST_MAX + 1], h48[TXN_HOST_MAX + 2];
	struct txn *e;

	(void)state;
	memset(b64, 'a', TXN_BRANCH_MAX);
	b64[TXN_BRANCH_MAX] = 0;
	memcpy(b64, "z9hG4bK", 7);
	memset(b65, 'b', TXN_BRANCH_MAX + 1);
	b65[TXN_BRANCH_MAX + 1] = 0;
	memcpy(b65x, b65, sizeof(b65));
	b65x[40] = 'c';
	memset(h47, 'h', TXN_HOST_MAX);
	h47[TXN_HOST_MAX] = 0;
	memset(h48, 'h', TXN_HOST_MAX + 1);
	h48[TXN_HOST_MAX + 1] = 0;

	/* At the limits: copied, exact. */
	e = ins(t, 1, b64, h47, 5060);
	assert_non_null(e);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->branch_len, TXN_BRANCH_MAX);
	assert_int_equal(e->host_len, TXN_HOST_MAX);
	assert_ptr_equal(up(t, 1, b64, h47, 5060), e);
	b64[TXN_BRANCH_MAX - 1] = 'z';
	assert_null(up(t, 1, b64, h47, 5060));
	b64[TXN_BRANCH_MAX - 1] = 'a';
	h47[TXN_HOST_MAX - 1] = 'z';
	assert_null(up(t, 1, b64, h47, 5060));
	h47[TXN_HOST_MAX - 1] = 'h';
	txn_delete(t, e);

	/* Branch one over: hash-only, matched by h + port among long keys. */
	e = ins(t, 2, b65, "198.18.0.1", 5060);
	assert_non_null(e);
	assert_int_equal(e->flags, TXN_F_HASH_ONLY);
	assert_int_equal(e->branch_len, 0);
	assert_int_equal(e->host_len, 0);
	assert_ptr_equal(up(t, 2, b65, "198.18.0.1", 5060), e);
	assert_ptr_equal(up(t, 2, b65x, "198.18.0.1", 5060), e); /* h decides */
	assert_null(up(t, 2, b65, "198.18.0.1", 5061));
	assert_null(up(t, 3, b65, "198.18.0.1", 5060));
	assert_null(up(t, 2, "z9hG4bKshort", "198.18.0.1", 5060));
	errno = 0;
	assert_null(ins(t, 2, b65, "198.18.0.1", 5060));
	assert_int_equal(errno, EEXIST);
	assert_ptr_equal(txn_lookup_down(t, 2, 0), e);
	txn_delete(t, e);
	assert_null(up(t, 2, b65, "198.18.0.1", 5060));

	/* Host one over: hash-only too. */
	e = ins(t, 4, "z9hG4bKx", h48, 5060);
	assert_non_null(e);
	assert_int_equal(e->flags, TXN_F_HASH_ONLY);
	assert_ptr_equal(up(t, 4, "z9hG4bKx", h48, 5060), e);
	assert_null(up(t, 4, "z9hG4bKx", h47, 5060));
	txn_delete(t, e);
	assert_int_equal(txn_live(t), 0);
	txn_table_free(t);
}

static void
test_match_down(void **state)
{
	struct txn_table *t = mk_table(16);
	struct txn *e, *o;

	(void)state;
	e = ins(t, 0xabcdef, "z9hG4bKd", "h", 5060);
	o = ins(t, 0xabcdef + 16, "z9hG4bKo", "h", 5060); /* same bucket */
	assert_non_null(e);
	assert_non_null(o);
	assert_ptr_equal(txn_lookup_down(t, 0xabcdef, 0), e);
	assert_ptr_equal(txn_lookup_down(t, 0xabcdef + 16, 0), o);
	assert_null(txn_lookup_down(t, 0xabcdef, 1));
	assert_null(txn_lookup_down(t, 0xabcdee, 0));
	/* Failover to try 2: responses to tries 0 and 1 are strays. */
	e->try_k = 2;
	assert_null(txn_lookup_down(t, 0xabcdef, 0));
	assert_null(txn_lookup_down(t, 0xabcdef, 1));
	assert_ptr_equal(txn_lookup_down(t, 0xabcdef, 2), e);
	assert_ptr_equal(txn_lookup_down(t, 0xabcdef + 16, 0), o);
	/* The upstream side does not care about tries. */
	assert_ptr_equal(up(t, 0xabcdef, "z9hG4bKd", "h", 5060), e);
	txn_delete(t, e);
	assert_null(txn_lookup_down(t, 0xabcdef, 2));
	assert_ptr_equal(txn_lookup_down(t, 0xabcdef + 16, 0), o);
	txn_delete(t, o);
	assert_null(txn_lookup_down(t, 0xabcdef + 16, 0));
	assert_int_equal(txn_live(t), 0);
	txn_table_free(t);
}

/* Fill one bucket with n entries (h equal modulo the bucket count), delete
 * them in the order given, checking every survivor after each delete. */
static void
chain_run(const unsigned *order, unsigned n)
{
	struct txn_table *t = mk_table(64);
	struct txn *e[64];
	char br[64][24];
	bool live[64];

	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++) {
		snprintf(br[i], sizeof(br[i]), "z9hG4bKch%u", i);
		e[i] = ins(t, 7 + (uint64_t)i * 64, br[i], "h", 5060);
		assert_non_null(e[i]);
		live[i] = true;
	}
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(e[i]->h & t->mask, 7);
	for (unsigned s = 0; s < n; s++) {
		unsigned d = order[s];

		txn_delete(t, e[d]);
		live[d] = false;
		for (unsigned i = 0; i < n; i++) {
			struct txn *r = up(t, 7 + (uint64_t)i * 64, br[i], "h", 5060);

			assert_ptr_equal(r, live[i] ? e[i] : NULL);
			assert_ptr_equal(txn_lookup_down(t, 7 + (uint64_t)i * 64, 0),
					 live[i] ? e[i] : NULL);
		}
		assert_int_equal(txn_live(t), n - s - 1);
		/* Every other step, put one back: inserts between deletes. */
		if (s % 2 == 1) {
			e[d] = ins(t, 7 + (uint64_t)d * 64, br[d], "h", 5060);
			assert_non_null(e[d]);
			assert_ptr_equal(up(t, 7 + (uint64_t)d * 64, br[d], "h", 5060), e[d]);
			txn_delete(t, e[d]);
		}
	}
	assert_int_equal(t->bucket[7], 0);
	txn_table_free(t);
}

static void
test_chains(void **state)
{
	unsigned order[40];

	(void)state;
	for (unsigned i = 0; i < 40; i++) /* oldest first: the chain's tail */
		order[i] = i;
	chain_run(order, 40);
	for (unsigned i = 0; i < 40; i++) /* newest first: the chain's head */
		order[i] = 39 - i;
	chain_run(order, 40);
	for (unsigned i = 0; i < 40; i++) /* middle out: 20 19 21 18 ... 39 0 */
		order[i] = (i % 2 == 0) ? 20 + i / 2 : 20 - (i + 1) / 2;
	chain_run(order, 40);
	srandom(3261);
	for (unsigned i = 0; i < 40; i++) /* shuffled */
		order[i] = i;
	for (unsigned i = 39; i > 0; i--) {
		unsigned j = (unsigned)random() % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	chain_run(order, 40);
	order[0] = 0;
	chain_run(order, 1);
}

/* Randomized run against a model: keys with unique text whose h fall in two
 * buckets (long chains, many equal h), a table small enough to fill. */
#define R_KEYS 400
#define R_CAP 128
#define R_OPS 10000

struct model {
	uint64_t h;
	char branch[24];
	char host[24];
	uint16_t port;
	struct txn *e; /* NULL: not live */
};

static void
test_random(void **state)
{
	static struct model m[R_KEYS];
	struct txn_table *t = mk_table(R_CAP);
	unsigned live = 0, n_full = 0, n_exist = 0, n_found = 0;

	(void)state;
	srandom(17);
	for (unsigned i = 0; i < R_KEYS; i++) {
		m[i].h = ((uint64_t)(i % 50) << 7) | (i % 2);
		snprintf(m[i].branch, sizeof(m[i].branch), "z9hG4bKr%u", i / 3);
		snprintf(m[i].host, sizeof(m[i].host), "198.18.%u.%u", i % 3, i / 7);
		m[i].port = (uint16_t)(5060 + i % 2);
		m[i].e = NULL;
	}
	for (unsigned op = 0; op < R_OPS; op++) {
		unsigned i = (unsigned)random() % R_KEYS, j = (unsigned)random() % R_KEYS;
		struct model *k = &m[i];
		struct txn *r;

		switch (random() % 6) {
		case 0:
		case 1: /* insert */
			errno = 0;
			r = txn_insert(t, k->h, S(k->branch), S(k->host), k->port);
			if (k->e != NULL) {
				assert_null(r);
				assert_int_equal(errno, EEXIST);
				n_exist++;
			} else if (live == R_CAP) {
				assert_null(r);
				assert_int_equal(errno, ENOSPC);
				n_full++;
			} else {
				assert_non_null(r);
				for (unsigned x = 0; x < R_KEYS; x++)
					assert_true(m[x].e != r);
				k->e = r;
				live++;
			}
			break;
		case 2: /* delete */
			if (k->e != NULL) {
				txn_delete(t, k->e);
				k->e = NULL;
				live--;
			}
			break;
		case 3: /* upstream lookup, own h or another key's h */
			r = up(t, k->h, k->branch, k->host, k->port);
			assert_ptr_equal(r, k->e);
			n_found += r != NULL;
			r = up(t, m[j].h, k->branch, k->host, k->port);
			assert_ptr_equal(r, m[j].h == k->h ? k->e : NULL);
			break;
		case 4: { /* downstream lookup: any live entry with h and try k */
			unsigned try = (unsigned)random() % 3;
			bool want = false;

			for (unsigned x = 0; x < R_KEYS; x++)
				if (m[x].e && m[x].h == k->h && m[x].e->try_k == try)
					want = true;
			r = txn_lookup_down(t, k->h, try);
			if (!want) {
				assert_null(r);
			} else {
				assert_non_null(r);
				assert_true(r->h == k->h && r->try_k == try);
				assert_int_not_equal(r->state, TXN_FREE);
			}
			break;
		}
		case 5: /* failover */
			if (k->e != NULL)
				k->e->try_k = (uint8_t)(random() % 3);
			break;
		}
		assert_int_equal(txn_live(t), live);
	}
	/* Every op kind happened. */
	assert_true(n_full > 0 && n_exist > 0 && n_found > 0);
	for (unsigned i = 0; i < R_KEYS; i++) {
		if (m[i].e != NULL) {
			assert_ptr_equal(up(t, m[i].h, m[i].branch, m[i].host, m[i].port), m[i].e);
			txn_delete(t, m[i].e);
		}
	}
	assert_int_equal(txn_live(t), 0);
	for (uint32_t b = 0; b <= t->mask; b++)
		assert_int_equal(t->bucket[b], 0);
	txn_table_free(t);
}

/* Drain callback: frees what the entry owns, as the worker's would. */
static void
drain_fn(struct txn *e, void *arg)
{
	unsigned *calls = arg;

	assert_int_not_equal(e->state, TXN_FREE);
	rte_pktmbuf_free(e->invite);
	rte_pktmbuf_free(e->last_prov);
	e->invite = NULL;
	e->last_prov = NULL;
	(*calls)++;
}

static void
test_drain(void **state)
{
	struct txn_table *t = mk_table(32);
	struct tmr_wheel *w = tmr_wheel_create(16, 0, SOCKET_ID_ANY);
	unsigned before = rte_mempool_avail_count(mp), calls = 0;
	struct txn *e[20];
	char br[20][24];

	(void)state;
	assert_non_null(w);
	for (unsigned i = 0; i < 20; i++) {
		snprintf(br[i], sizeof(br[i]), "z9hG4bKdr%u", i);
		e[i] = ins(t, i * 3, br[i], "h", 5060);
		assert_non_null(e[i]);
		e[i]->invite = rte_pktmbuf_alloc(mp);
		assert_non_null(e[i]->invite);
		if (i % 2)
			e[i]->last_prov = rte_pktmbuf_alloc(mp);
		tmr_add(w, &e[i]->timer_b, 100 + i);
	}
	/* Some already gone before shutdown: drain must skip them. */
	for (unsigned i = 0; i < 20; i += 5) {
		rte_pktmbuf_free(e[i]->invite);
		rte_pktmbuf_free(e[i]->last_prov);
		e[i]->invite = e[i]->last_prov = NULL;
		txn_delete(t, e[i]);
	}
	assert_int_equal(txn_live(t), 16);
	txn_table_drain(t, drain_fn, &calls);
	assert_int_equal(calls, 16);
	assert_int_equal(txn_live(t), 0);
	assert_int_equal(rte_mempool_avail_count(mp), before);
	assert_int_equal(tmr_wheel_count(w), 0);
	for (unsigned i = 0; i < 20; i++)
		assert_null(up(t, i * 3, br[i], "h", 5060));
	/* Draining an empty table calls nothing. */
	txn_table_drain(t, drain_fn, &calls);
	assert_int_equal(calls, 16);
	tmr_wheel_free(w);
	txn_table_free(t);
}

/* Timer callback: records which entry's timer fired; the entry named in
 * arg->del is deleted from inside its own timer_a. */
struct fired {
	struct txn_table *t;
	unsigned n;
	struct txn *who[16];
	struct txn *del;
};

static void
fire_fn(struct tmr_node *n, void *arg)
{
	struct fired *f = arg;
	struct txn *e;

	if (n->expire % 10 == 1)
		e = container_of(n, struct txn, timer_a);
	else if (n->expire % 10 == 2)
		e = container_of(n, struct txn, timer_b);
	else
		e = container_of(n, struct txn, timer_d);
	assert_int_not_equal(e->state, TXN_FREE);
	assert_true(f->n < 16);
	f->who[f->n++] = e;
	if (e == f->del)
		txn_delete(f->t, e);
}

static void
test_timers_cancelled(void **state)
{
	struct txn_table *t = mk_table(8);
	struct tmr_wheel *w = tmr_wheel_create(8, 0, SOCKET_ID_ANY);
	struct fired f = { .t = t };
	struct txn *e[4];
	char br[4][24];

	(void)state;
	assert_non_null(w);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(br[i], sizeof(br[i]), "z9hG4bKtm%u", i);
		e[i] = ins(t, i, br[i], "h", 5060);
		assert_non_null(e[i]);
		/* expire % 10 tells fire_fn which node it got; some wrap the
		 * 8-slot wheel. */
		tmr_add(w, &e[i]->timer_a, 11 + 10 * i);
		tmr_add(w, &e[i]->timer_b, 52 + 10 * i);
		tmr_add(w, &e[i]->timer_d, 103 + 10 * i);
	}
	assert_int_equal(tmr_wheel_count(w), 12);
	txn_delete(t, e[0]);
	txn_delete(t, e[2]);
	assert_false(tmr_pending(&e[0]->timer_a) || tmr_pending(&e[0]->timer_b) ||
		     tmr_pending(&e[0]->timer_d));
	assert_int_equal(tmr_wheel_count(w), 6);
	/* e[3] deletes itself from its Timer A: its B and D must not fire. */
	f.del = e[3];
	/* One tick at a time: a long jump would fire in slot order. */
	for (uint64_t now = 1; now <= 200; now++)
		tmr_advance(w, now, fire_fn, &f, 100);
	assert_int_equal(f.n, 4);
	assert_ptr_equal(f.who[0], e[1]); /* tick 21 */
	assert_ptr_equal(f.who[1], e[3]); /* tick 41, then deleted */
	assert_ptr_equal(f.who[2], e[1]); /* tick 62 */
	assert_ptr_equal(f.who[3], e[1]); /* tick 113 */
	assert_int_equal(tmr_wheel_count(w), 0);
	assert_int_equal(txn_live(t), 1);
	txn_delete(t, e[1]);
	assert_int_equal(txn_live(t), 0);
	tmr_wheel_free(w);
	txn_table_free(t);
}

static void
test_branch(void **state)
{
	static const uint64_t hs[] = { 0, 1, 0x0123456789abcdefULL, 0xfedcba9876543210ULL,
				       UINT64_MAX, 0x8000000000000000ULL };
	char out[TXN_BRANCH_LEN + 1];
	uint64_t h;
	unsigned k;

	(void)state;
	memset(out, '#', sizeof(out));
	assert_int_equal(txn_branch_fmt(out, 0x0123456789abcdefULL, 7), TXN_BRANCH_LEN);
	assert_memory_equal(out, "z9hG4bKslb0123456789abcdef.7", TXN_BRANCH_LEN);
	assert_int_equal(out[TXN_BRANCH_LEN], '#'); /* no NUL, nothing past */

	srandom(42);
	for (unsigned i = 0; i < RTE_DIM(hs) + 100; i++) {
		uint64_t v = i < RTE_DIM(hs) ? hs[i] :
			     ((uint64_t)random() << 33) ^ ((uint64_t)random() << 2) ^ (uint64_t)random();

		for (unsigned kk = 0; kk <= TXN_TRY_MAX; kk++) {
			unsigned n = txn_branch_fmt(out, v, kk);

			h = ~v;
			k = 99;
			assert_int_equal(txn_branch_parse((struct sv){ out, (uint16_t)n }, &h, &k), 0);
			assert_true(h == v);
			assert_int_equal(k, kk);
		}
	}

	static const char *const bad[] = {
		"",
		"z9hG4bK",
		"z9hG4bKslb",
		"z9hG4bK0123456789abcdef.7",         /* no "slb" */
		"z9hG4bKxyz0123456789abcdef.7",      /* other text where "slb" goes */
		"Z9hG4bKslb0123456789abcdef.7",      /* cookie case */
		"z9hG4bKSLB0123456789abcdef.7",
		"z9hG4bKslb0123456789abcdef",        /* the stateless branch: no ".k" */
		"z9hG4bKslb0123456789abcde.7",       /* 15 digits */
		"z9hG4bKslb0123456789abcdef0.7",     /* 17 digits */
		"z9hG4bKslb0123456789abcdef.10",     /* k > 9 */
		"z9hG4bKslb0123456789abcdef.",       /* no k */
		"z9hG4bKslb0123456789abcdef.:",      /* '9' + 1 */
		"z9hG4bKslb0123456789abcdef./",      /* '0' - 1 */
		"z9hG4bKslb0123456789abcdef.a",
		"z9hG4bKslb0123456789abcdef-7",      /* no '.' */
		"z9hG4bKslb0123456789abcdef77",
		"z9hG4bKslb0123456789ABCDEF.7",      /* we write lowercase only */
		"z9hG4bKslb0123456789abcdeg.7",      /* non-hex */
		"z9hG4bKslb012345678 abcdef.7",
		"z9hG4bKslb0123456789abcd:f.7",
		"z9hG4bKslb0123456789abcd`f.7",
		"z9hG4bKslb0123456789abcd/f.7",
		"z9hG4bKslb0123456789abcdef.7x",
		" z9hG4bKslb0123456789abcdef.7",
	};
	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		h = 0x5a5a;
		k = 5;
		if (txn_branch_parse(S(bad[i]), &h, &k) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(h == 0x5a5a);
		assert_int_equal(k, 5);
	}
	/* A view stops where it says, whatever follows in the buffer. */
	assert_int_equal(txn_branch_parse((struct sv){ "z9hG4bKslb0123456789abcdef.7;rport",
						       TXN_BRANCH_LEN }, &h, &k), 0);
	assert_int_equal(txn_branch_parse((struct sv){ "z9hG4bKslb0123456789abcdef.7",
						       TXN_BRANCH_LEN - 1 }, &h, &k), -1);
}

TEST_DPDK_GROUP("test_txn", NB_MBUF)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_match_up),
		cmocka_unit_test(test_key_limits),
		cmocka_unit_test(test_match_down),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_timers_cancelled),
		cmocka_unit_test(test_branch),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
