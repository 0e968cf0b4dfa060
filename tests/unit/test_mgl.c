/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev tables and backend sets: sizes, weighted shares over a million
 * Call-IDs, disruption on removal and addition, determinism, input checks,
 * and the CRC32C key hash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <rte_hash_crc.h>

#include "bk.h"
#include "mgl.h"

#define N_KEYS 1000000u
#define MAX_N 65

/* Table size bk uses: fixed so that a set change does not remap every key. */
#define FIXED_SIZE 65537u

/* test_golden: table of alpha..delta weights 1..4, and one key's backend. */
#define GOLDEN_FNV 0x22365624u
#define GOLDEN_KEY 3

static uint32_t *key_hash; /* mgl_hash of N_KEYS distinct Call-IDs */
static char name_buf[MAX_N][BK_NAME_MAX];
static const char *names[MAX_N];

static int
keys_setup(void **state)
{
	char buf[64];

	(void)state;
	key_hash = test_malloc(N_KEYS * sizeof(*key_hash));
	for (uint32_t i = 0; i < N_KEYS; i++) {
		/* Call-ID-like, distinct through %u, varied prefix. */
		int len = snprintf(buf, sizeof(buf), "%08x-%u@198.18.0.2", i * 2654435761u, i);

		key_hash[i] = mgl_hash(buf, (uint32_t)len);
	}
	for (uint32_t i = 0; i < MAX_N; i++) {
		snprintf(name_buf[i], sizeof(name_buf[i]), "be%u", i + 1);
		names[i] = name_buf[i];
	}
	return 0;
}

static int
keys_teardown(void **state)
{
	(void)state;
	test_free(key_hash);
	return 0;
}

static int
is_prime(uint32_t x)
{
	if (x < 2)
		return 0;
	for (uint32_t d = 2; d * d <= x; d++)
		if (x % d == 0)
			return 0;
	return 1;
}

static void
test_size_for(void **state)
{
	(void)state;
	assert_int_equal(mgl_size_for(0), 101);
	assert_int_equal(mgl_size_for(1), 101);
	assert_int_equal(mgl_size_for(2), 211);
	assert_int_equal(mgl_size_for(3), 307);
	assert_int_equal(mgl_size_for(64), 6421);
	assert_int_equal(mgl_size_for(MGL_MAX_BACKENDS), 25601);
	for (uint32_t n = 1; n <= MGL_MAX_BACKENDS; n++) {
		uint32_t s = mgl_size_for(n);
		uint32_t lo = n * 100 < 101 ? 101 : n * 100;

		assert_true(is_prime(s));
		assert_true(s >= lo);
		for (uint32_t x = lo; x < s; x++)
			assert_false(is_prime(x));
	}
}

static void
test_build_size(void **state)
{
	uint32_t w[MAX_N];

	(void)state;
	for (uint32_t i = 0; i < MAX_N; i++)
		w[i] = 1;
	for (uint32_t n = 1; n <= 64; n++) {
		struct mgl *m = mgl_build(names, w, n, 0);

		assert_non_null(m);
		assert_int_equal(m->n, n);
		assert_int_equal(m->size, mgl_size_for(n));
		assert_true(is_prime(m->size));
		assert_true(m->size >= 100 * n);
		for (uint32_t s = 0; s < m->size; s++)
			assert_true(m->table[s] < n);
		mgl_free(m);
	}
	/* An explicit prime is used as is, even one barely >= n. */
	struct mgl *m = mgl_build(names, w, 5, 5);
	assert_non_null(m);
	assert_int_equal(m->size, 5);
	mgl_free(m);
}

/*
 * Build n backends with weights w at size, count the keys per backend and
 * return the worst relative deviation of a share from its weight's share.
 */
static double
share_check(uint32_t n, const uint32_t *w, uint32_t size, double *slot_dev)
{
	uint32_t cnt[MAX_N] = { 0 }, slots[MAX_N] = { 0 };
	double wsum = 0, worst = 0, sworst = 0;
	struct mgl *m = mgl_build(names, w, n, size);

	assert_non_null(m);
	for (uint32_t i = 0; i < n; i++)
		wsum += w[i];
	for (uint32_t s = 0; s < m->size; s++)
		slots[m->table[s]]++;
	for (uint32_t k = 0; k < N_KEYS; k++)
		cnt[mgl_lookup(m, key_hash[k])]++;
	for (uint32_t i = 0; i < n; i++) {
		double want = w[i] / wsum;
		double dev = (double)cnt[i] / N_KEYS / want - 1.0;
		double sdev = (double)slots[i] / m->size / want - 1.0;

		if (dev < 0)
			dev = -dev;
		if (sdev < 0)
			sdev = -sdev;
		if (dev > worst)
			worst = dev;
		if (sdev > sworst)
			sworst = sdev;
	}
	mgl_free(m);
	*slot_dev = sworst;
	return worst;
}

static const uint32_t share_ns[] = { 2, 3, 5, 8, 16, 32, 64 };

static void
shares(const char *label, int weighted, uint32_t size)
{
	uint32_t w[MAX_N];

	for (size_t t = 0; t < sizeof(share_ns) / sizeof(share_ns[0]); t++) {
		uint32_t n = share_ns[t];
		double sdev, dev;

		for (uint32_t i = 0; i < n; i++)
			w[i] = weighted ? (n == 2 ? (i == 0 ? 3 : 1) : i % 4 + 1) : 1;
		dev = share_check(n, w, size, &sdev);
		print_message("%s n=%2u size=%5u: worst share deviation keys %.2f%% slots %.2f%%\n",
			      label, n, size ? size : mgl_size_for(n), dev * 100, sdev * 100);
		assert_true(dev <= 0.05);
	}
}

static void
test_shares_equal(void **state)
{
	(void)state;
	shares("equal   ", 0, 0);
	shares("equal   ", 0, FIXED_SIZE);
}

static void
test_shares_weighted(void **state)
{
	(void)state;
	shares("weighted", 1, 0);
	shares("weighted", 1, FIXED_SIZE);
}

/* Extreme weights: each backend still gets its share of slots within one slot. */
static void
test_weights_extreme(void **state)
{
	uint32_t w[3] = { MGL_MAX_WEIGHT, 1, 7 };
	uint32_t slots[3] = { 0 };
	struct mgl *m;

	(void)state;
	m = mgl_build(names, w, 3, FIXED_SIZE);
	assert_non_null(m);
	for (uint32_t s = 0; s < m->size; s++)
		slots[m->table[s]]++;
	for (uint32_t i = 0; i < 3; i++) {
		double want = (double)m->size * w[i] / (MGL_MAX_WEIGHT + 1 + 7);

		assert_true(slots[i] + 1.0 >= want && slots[i] <= want + 1.0);
	}
	mgl_free(m);
}

/*
 * Move of keys from table a to table b. map_b[j] is the index in a's backends
 * of b's backend j, or -1 for a backend a lacks; gone is the index of a's
 * backend that b lacks, or -1.
 */
struct churn {
	uint32_t other;   /* moved between backends present in both */
	uint32_t on_gone; /* were on the backend b lacks: all of them moved */
	uint32_t to_new;  /* now on the backend a lacks */
};

static struct churn
churn_count(const struct mgl *a, const struct mgl *b, const int *map_b, int gone)
{
	struct churn c = { 0, 0, 0 };

	for (uint32_t k = 0; k < N_KEYS; k++) {
		uint16_t from = mgl_lookup(a, key_hash[k]);
		uint16_t to_b = mgl_lookup(b, key_hash[k]);
		int to;

		assert_true(from < a->n && to_b < b->n);
		to = map_b[to_b];
		if (from == gone)
			c.on_gone++;
		else if (to < 0)
			c.to_new++;
		else if (to != from)
			c.other++;
	}
	return c;
}

/*
 * Remove backend r of n and return the share of all keys that moved between
 * other backends (Maglev's disruption).
 */
static double
remove_one(uint32_t n, uint32_t r, const uint32_t *w, uint32_t size)
{
	const char *nm[MAX_N];
	uint32_t nw[MAX_N];
	int map[MAX_N];
	struct mgl *a, *b;
	struct churn c;
	uint32_t j = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (i == r)
			continue;
		nm[j] = names[i];
		nw[j] = w[i];
		map[j] = (int)i;
		j++;
	}
	a = mgl_build(names, w, n, size);
	b = mgl_build(nm, nw, n - 1, size);
	assert_non_null(a);
	assert_non_null(b);
	c = churn_count(a, b, map, (int)r);
	assert_true(c.on_gone > 0);
	assert_int_equal(c.to_new, 0);
	mgl_free(a);
	mgl_free(b);
	return (double)c.other / N_KEYS;
}

/* Add backend n to the first n; keys move (almost) only onto it. */
static double
add_one(uint32_t n, const uint32_t *w, uint32_t size, double *to_new)
{
	int map[MAX_N];
	struct mgl *a, *b;
	struct churn c;

	for (uint32_t i = 0; i <= n; i++)
		map[i] = i < n ? (int)i : -1;
	a = mgl_build(names, w, n, size);
	b = mgl_build(names, w, n + 1, size);
	assert_non_null(a);
	assert_non_null(b);
	c = churn_count(a, b, map, -1);
	assert_int_equal(c.on_gone, 0);
	*to_new = (double)c.to_new / N_KEYS;
	mgl_free(a);
	mgl_free(b);
	return (double)c.other / N_KEYS;
}

static const uint32_t churn_ns[] = { 3, 5, 8, 16, 32, 64 };

/*
 * Remove or add one backend at a fixed table size. Maglev is not perfectly
 * minimal: the population order shifts, so some keys move between backends
 * that stayed. Measured on these keys (worst over n and removed backend):
 * ~3.0 % of all keys for the smallest table (~100 x n), ~0.55 % at 65537,
 * the size bk uses. The bounds leave margin over those figures.
 */
static void
churn_all(const char *label, int weighted, double bound_small, double bound_fixed)
{
	uint32_t w[MAX_N];

	for (size_t t = 0; t < sizeof(churn_ns) / sizeof(churn_ns[0]); t++) {
		uint32_t n = churn_ns[t];
		uint32_t sizes[2] = { mgl_size_for(n + 1), FIXED_SIZE };
		double bounds[2] = { bound_small, bound_fixed };

		for (uint32_t i = 0; i <= n; i++)
			w[i] = weighted ? i % 4 + 1 : 1;
		for (int s = 0; s < 2; s++) {
			double worst = 0, added, to_new;

			/* First, middle and last in config order. */
			uint32_t rs[3] = { 0, n / 2, n - 1 };
			for (int k = 0; k < 3; k++) {
				double d = remove_one(n, rs[k], w, sizes[s]);

				if (d > worst)
					worst = d;
			}
			added = add_one(n, w, sizes[s], &to_new);
			print_message("%s n=%2u size=%5u: remove: others moved %.3f%% (worst of 3); "
				      "add: others moved %.3f%%, to new %.2f%%\n",
				      label, n, sizes[s], worst * 100, added * 100, to_new * 100);
			assert_true(worst < bounds[s]);
			assert_true(added < bounds[s]);
			assert_true(to_new > 0);
		}
	}
}

static void
test_churn_equal(void **state)
{
	(void)state;
	churn_all("equal   ", 0, 0.04, 0.01);
}

static void
test_churn_weighted(void **state)
{
	(void)state;
	churn_all("weighted", 1, 0.04, 0.01);
}

static void
test_deterministic(void **state)
{
	uint32_t w[MAX_N], rw[MAX_N];
	const char *rn[MAX_N];
	struct mgl *a, *b, *c;
	uint32_t n = 16;

	(void)state;
	for (uint32_t i = 0; i < n; i++)
		w[i] = i % 4 + 1;
	a = mgl_build(names, w, n, 0);
	b = mgl_build(names, w, n, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_equal(a, b, sizeof(*a) + a->size * sizeof(a->table[0]));

	/* Same set, another config order (reversed, then rotated by 5). */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t src = (n - 1 - i + 5) % n;

		rn[i] = names[src];
		rw[i] = w[src];
	}
	c = mgl_build(rn, rw, n, 0);
	assert_non_null(c);
	assert_int_equal(c->size, a->size);
	for (uint32_t s = 0; s < a->size; s++)
		assert_string_equal(names[a->table[s]], rn[c->table[s]]);
	mgl_free(a);
	mgl_free(b);
	mgl_free(c);
}

/* 32-bit FNV-1a of a table, for the golden value below. */
static uint32_t
table_fnv(const struct mgl *m)
{
	uint32_t h = 2166136261u;

	for (uint32_t s = 0; s < m->size; s++) {
		h ^= m->table[s];
		h *= 16777619u;
	}
	return h;
}

/*
 * Every instance and every release must build the same table from the same
 * config, or calls split across instances. A change here is a compatibility
 * break, not a test to update casually.
 */
static void
test_golden(void **state)
{
	const char *nm[4] = { "alpha", "bravo", "charlie", "delta" };
	uint32_t w[4] = { 1, 2, 3, 4 };
	struct mgl *m;

	(void)state;
	m = mgl_build(nm, w, 4, 0);
	assert_non_null(m);
	assert_int_equal(m->size, 401);
	print_message("golden table fnv 0x%08x key %u\n", table_fnv(m),
		      mgl_lookup(m, mgl_hash("a84b4c76e66710@198.18.0.2", 25)));
	assert_int_equal(table_fnv(m), GOLDEN_FNV);
	assert_int_equal(mgl_lookup(m, mgl_hash("a84b4c76e66710@198.18.0.2", 25)), GOLDEN_KEY);
	mgl_free(m);
}

static void
test_invalid(void **state)
{
	uint32_t w[MGL_MAX_BACKENDS + 1];
	const char *nm[MGL_MAX_BACKENDS + 1];
	const char *with_null[2] = { "a", NULL };

	(void)state;
	for (uint32_t i = 0; i <= MGL_MAX_BACKENDS; i++) {
		w[i] = 1;
		nm[i] = "x";
	}
#define EXPECT_EINVAL(call)                 \
	do {                                 \
		errno = 0;                   \
		assert_null(call);           \
		assert_int_equal(errno, EINVAL); \
	} while (0)
	EXPECT_EINVAL(mgl_build(nm, w, 0, 0));
	EXPECT_EINVAL(mgl_build(nm, w, MGL_MAX_BACKENDS + 1, 0));
	EXPECT_EINVAL(mgl_build(NULL, w, 2, 0));
	EXPECT_EINVAL(mgl_build(nm, NULL, 2, 0));
	EXPECT_EINVAL(mgl_build(with_null, w, 2, 0));
	w[1] = 0;
	EXPECT_EINVAL(mgl_build(names, w, 2, 0));
	w[1] = MGL_MAX_WEIGHT + 1;
	EXPECT_EINVAL(mgl_build(names, w, 2, 0));
	w[1] = 1;
	EXPECT_EINVAL(mgl_build(names, w, 2, 100));  /* not prime */
	EXPECT_EINVAL(mgl_build(names, w, 2, 1));    /* not prime */
	EXPECT_EINVAL(mgl_build(names, w, 5, 3));    /* prime < n */
	/* The limits themselves are accepted. */
	struct mgl *m = mgl_build(nm, w, MGL_MAX_BACKENDS, 0);
	assert_non_null(m);
	mgl_free(m);
	m = mgl_build(names, w, 2, 2);
	assert_non_null(m);
	assert_true(m->table[0] != m->table[1]);
	mgl_free(m);
	mgl_free(NULL);
}

static void
test_hash_vectors(void **state)
{
	uint8_t buf[32];

	(void)state;
	/* Standard CRC32C (init ~0, final ~), RFC 3720 §B.4 and the check value. */
	assert_int_equal(mgl_hash("123456789", 9), 0xE3069283u);
	assert_int_equal(mgl_hash("", 0), 0x00000000u);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(mgl_hash(buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(mgl_hash(buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(mgl_hash(buf, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(mgl_hash(buf, 32), 0x113FDB5Cu);
}

/* The table-driven fallback agrees with the instruction mgl_hash uses here. */
static void
test_hash_sw(void **state)
{
	char buf[80];

	(void)state;
	/* rte_hash_crc's algorithm choice is per translation unit: this only
	 * switches the copy compiled into this file. */
	rte_hash_crc_set_alg(CRC32_SW);
	for (uint32_t i = 0; i < 10000; i++) {
		int len = snprintf(buf, sizeof(buf), "%x-%u-%.*s", i * 40503u, i, (int)(i % 40),
				   "abcdefghijklmnopqrstuvwxyz0123456789ABCD");

		/* The last 9 lengths, so every tail (8/4/2/1 bytes) is covered. */
		for (int l = len > 8 ? len - 8 : 0; l <= len; l++)
			assert_int_equal(mgl_hash(buf, (uint32_t)l), ~rte_hash_crc(buf, (uint32_t)l, UINT32_MAX));
	}
	rte_hash_crc_set_alg(CRC32_SSE42_x64);
}

static struct bk
mk_bk(const char *name, uint32_t addr, uint16_t port, uint16_t weight)
{
	struct bk b;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", name);
	b.name_len = 0; /* recomputed by bk_set_create */
	b.addr = addr;
	b.port = port;
	b.weight = weight;
	return b;
}

#define IP(a, b, c, d) \
	__builtin_bswap32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void
test_bk_set(void **state)
{
	struct bk bks[3] = {
		mk_bk("be1", IP(198, 18, 0, 21), 5060, 1),
		mk_bk("be2", IP(198, 18, 0, 22), 5060, 2),
		mk_bk("be3", IP(198, 18, 0, 22), 5070, 1),
	};
	struct bk rev[3] = { bks[2], bks[1], bks[0] };
	uint32_t hits[3] = { 0 };
	struct bk_set *s, *r;

	(void)state;
	s = bk_set_create(bks, 3);
	assert_non_null(s);
	assert_int_equal(s->n, 3);
	assert_non_null(s->mgl);
	assert_int_equal(s->mgl->size, FIXED_SIZE);
	assert_int_equal(s->bk[1].name_len, 3);
	assert_string_equal(s->bk[1].name, "be2");
	assert_int_equal(s->bk[1].weight, 2);

	assert_int_equal(bk_set_by_name(s, SV_LIT("be1")), 0);
	assert_int_equal(bk_set_by_name(s, SV_LIT("be3")), 2);
	assert_int_equal(bk_set_by_name(s, SV_LIT("be")), -1);
	assert_int_equal(bk_set_by_name(s, SV_LIT("be33")), -1);
	assert_int_equal(bk_set_by_addr(s, IP(198, 18, 0, 22), 5060), 1);
	assert_int_equal(bk_set_by_addr(s, IP(198, 18, 0, 22), 5070), 2);
	assert_int_equal(bk_set_by_addr(s, IP(198, 18, 0, 22), 5080), -1);
	assert_int_equal(bk_set_by_addr(s, IP(198, 18, 0, 23), 5060), -1);

	/* pick = Maglev over the CRC32C of the Call-ID, the same for any config order. */
	r = bk_set_create(rev, 3);
	assert_non_null(r);
	for (uint32_t i = 0; i < 40000; i++) {
		char id[48];
		int len = snprintf(id, sizeof(id), "%u-%x@198.18.0.2", i, i * 7919u);
		struct sv v = { id, (uint16_t)len };
		int p = bk_set_pick(s, v);

		assert_in_range(p, 0, 2);
		assert_int_equal(p, mgl_lookup(s->mgl, mgl_hash(id, (uint32_t)len)));
		assert_string_equal(s->bk[p].name, r->bk[bk_set_pick(r, v)].name);
		hits[p]++;
	}
	/* Weights 1:2:1 over 40000 keys: 10000/20000/10000 +- 5 %. */
	assert_in_range(hits[0], 9500, 10500);
	assert_in_range(hits[1], 19000, 21000);
	assert_in_range(hits[2], 9500, 10500);
	bk_set_free(s);
	bk_set_free(r);
	bk_set_free(NULL);

	/* Empty set: no table, no pick. */
	s = bk_set_create(NULL, 0);
	assert_non_null(s);
	assert_int_equal(s->n, 0);
	assert_null(s->mgl);
	assert_int_equal(bk_set_pick(s, SV_LIT("x@y")), -1);
	assert_int_equal(bk_set_by_name(s, SV_LIT("be1")), -1);
	bk_set_free(s);
}

static void
test_bk_invalid(void **state)
{
	struct bk bks[MGL_MAX_BACKENDS + 1];
	struct bk_set *s;

	(void)state;
	for (uint32_t i = 0; i <= MGL_MAX_BACKENDS; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "b%u", i);
		bks[i] = mk_bk(nm, IP(198, 18, 1, i & 0xff), 5060, 1);
	}
	s = bk_set_create(bks, MGL_MAX_BACKENDS);
	assert_non_null(s);
	assert_int_equal(s->n, MGL_MAX_BACKENDS);
	bk_set_free(s);

	EXPECT_EINVAL(bk_set_create(bks, MGL_MAX_BACKENDS + 1));
	EXPECT_EINVAL(bk_set_create(NULL, 1));

	bks[1] = mk_bk("b0", IP(198, 18, 0, 9), 5062, 1); /* duplicate name */
	EXPECT_EINVAL(bk_set_create(bks, 3));
	bks[1] = mk_bk("", IP(198, 18, 0, 9), 5062, 1);
	EXPECT_EINVAL(bk_set_create(bks, 3));
	bks[1] = mk_bk("b1", IP(198, 18, 0, 9), 5062, 0);
	EXPECT_EINVAL(bk_set_create(bks, 3));
	bks[1].weight = MGL_MAX_WEIGHT + 1;
	EXPECT_EINVAL(bk_set_create(bks, 3));
	bks[1].weight = MGL_MAX_WEIGHT;
	/* Longest name: BK_NAME_MAX - 1 characters; one more has no NUL. */
	memset(bks[1].name, 'n', BK_NAME_MAX - 1);
	bks[1].name[BK_NAME_MAX - 1] = '\0';
	s = bk_set_create(bks, 3);
	assert_non_null(s);
	assert_int_equal(s->bk[1].name_len, BK_NAME_MAX - 1);
	bk_set_free(s);
	memset(bks[1].name, 'n', BK_NAME_MAX);
	EXPECT_EINVAL(bk_set_create(bks, 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_for),
		cmocka_unit_test(test_build_size),
		cmocka_unit_test(test_shares_equal),
		cmocka_unit_test(test_shares_weighted),
		cmocka_unit_test(test_weights_extreme),
		cmocka_unit_test(test_churn_equal),
		cmocka_unit_test(test_churn_weighted),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_hash_sw),
		cmocka_unit_test(test_bk_set),
		cmocka_unit_test(test_bk_invalid),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
