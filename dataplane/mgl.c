/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev lookup table population (Eisenbud et al., NSDI 2016, §3.4, Pseudocode 1)
 * extended with weights.
 *
 * Every backend walks its own permutation of the slots, offset + j x skip mod M,
 * where offset and skip come from two seeded 64-bit hashes of its name. M is
 * prime and 1 <= skip < M, so each permutation visits every slot exactly once.
 * Backends take turns; a turn claims the backend's next unclaimed preferred
 * slot. Unweighted Maglev gives every backend one turn per round; here a round
 * gives backend i weight[i] turns, interleaved by smooth weighted round robin
 * so that a table that fills up in the middle of a round still splits the
 * last, partial round in proportion to the weights (within one slot each).
 *
 * The hashes are plain integer arithmetic on the name bytes: no seed taken
 * from the process, no CPU-dependent instruction, so every instance on every
 * platform builds the same table from the same names and weights.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "mgl.h"

/* Slot not yet claimed. Backend indices are < MGL_MAX_BACKENDS, far below. */
#define MGL_EMPTY UINT16_MAX

/* Two arbitrary, fixed seeds: the offset and skip hashes must be independent. */
#define MGL_SEED_OFFSET UINT64_C(0x6d61676c65762d6f) /* "maglev-o" */
#define MGL_SEED_SKIP UINT64_C(0x6d61676c65762d73)   /* "maglev-s" */

_Static_assert(MGL_MAX_BACKENDS < MGL_EMPTY, "backend index must fit below MGL_EMPTY");

/* Per-backend population state, in name order. */
struct mgl_pop {
	const char *name;
	uint32_t orig;    /* index in the caller's arrays: what the table stores */
	uint32_t weight;
	uint32_t pos;     /* next preferred slot to try */
	uint32_t skip;
	int64_t credit;   /* smooth weighted round robin */
};

/* murmur3's 64-bit finaliser: spreads FNV's weak high-to-low diffusion. */
static uint64_t
mgl_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* Seeded FNV-1a 64 over the NUL-terminated name, then finalised. */
static uint64_t
mgl_name_hash(const char *s, uint64_t seed)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return mgl_fmix64(h);
}

static bool
mgl_is_prime(uint32_t x)
{
	if (x < 2)
		return false;
	if (x % 2 == 0)
		return x == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= x; d += 2)
		if (x % d == 0)
			return false;
	return true;
}

uint32_t
mgl_size_for(uint32_t n)
{
	uint64_t x = (uint64_t)n * 100;

	if (x < 101)
		x = 101;
	/* Prime gaps below 2^32 are < 400: this ends quickly or overflows. */
	for (; x <= UINT32_MAX; x++)
		if (mgl_is_prime((uint32_t)x))
			return (uint32_t)x;
	return 0;
}

/*
 * Standard CRC32C (Castagnoli, as in iSCSI/RFC 3720): rte_hash_crc() with init
 * 0xFFFFFFFF, then a final inversion, so "123456789" hashes to 0xE3069283.
 * rte_hash_crc() uses the SSE4.2/ARMv8 instruction when present and a table
 * otherwise; both compute the same function.
 */
uint32_t
mgl_hash(const void *key, uint32_t len)
{
	return ~rte_hash_crc(key, len, UINT32_MAX);
}

/* Name order, so the same set builds the same table whatever the config order. */
static int
mgl_pop_cmp(const void *a, const void *b)
{
	const struct mgl_pop *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	/* Equal names (allowed, though bk refuses them): keep a total order. */
	return (x->orig > y->orig) - (x->orig < y->orig);
}

/* Claim pop's next unclaimed preferred slot. The table must not be full. */
static void
mgl_claim(struct mgl *m, struct mgl_pop *p)
{
	/*
	 * Slots only ever get claimed, so the slots p skipped are still claimed;
	 * an unclaimed one lies ahead on p's cycle of all M slots. The bound
	 * only documents that.
	 */
	for (uint32_t j = 0; j < m->size && m->table[p->pos] != MGL_EMPTY; j++) {
		p->pos += p->skip;
		if (p->pos >= m->size)
			p->pos -= m->size;
	}
	m->table[p->pos] = (uint16_t)p->orig;
	p->pos += p->skip;
	if (p->pos >= m->size)
		p->pos -= m->size;
}

/*
 * Fill the table: M turns, each to the backend with the most credit (smooth
 * weighted round robin: every step all credits grow by their weight and the
 * winner pays the total). Over any W = sum(weights) consecutive turns backend
 * i gets exactly weight[i] of them; with equal weights it is plain round robin
 * in name order, i.e. unweighted Maglev. O(M x n) time, no extra memory.
 */
static void
mgl_populate(struct mgl *m, struct mgl_pop *pop, uint32_t n)
{
	int64_t total = 0;

	for (uint32_t i = 0; i < n; i++)
		total += pop[i].weight;
	memset(m->table, 0xff, (size_t)m->size * sizeof(m->table[0]));
	for (uint32_t filled = 0; filled < m->size; filled++) {
		uint32_t best = 0;

		for (uint32_t i = 0; i < n; i++) {
			pop[i].credit += pop[i].weight;
			if (pop[i].credit > pop[best].credit)
				best = i;
		}
		pop[best].credit -= total;
		mgl_claim(m, &pop[best]);
	}
}

struct mgl *
mgl_build(const char *const *names, const uint32_t *weights, uint32_t n, uint32_t size)
{
	struct mgl_pop *pop;
	struct mgl *m;

	if (names == NULL || weights == NULL || n < 1 || n > MGL_MAX_BACKENDS)
		goto inval;
	for (uint32_t i = 0; i < n; i++)
		if (names[i] == NULL || weights[i] < 1 || weights[i] > MGL_MAX_WEIGHT)
			goto inval;
	if (size == 0)
		size = mgl_size_for(n);
	else if (size < n || !mgl_is_prime(size))
		goto inval;

	pop = malloc((size_t)n * sizeof(*pop));
	m = malloc(sizeof(*m) + (size_t)size * sizeof(m->table[0]));
	if (pop == NULL || m == NULL) {
		free(pop);
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->size = size;
	m->n = n;
	for (uint32_t i = 0; i < n; i++) {
		pop[i].name = names[i];
		pop[i].orig = i;
		pop[i].weight = weights[i];
		pop[i].credit = 0;
	}
	qsort(pop, n, sizeof(*pop), mgl_pop_cmp);
	for (uint32_t i = 0; i < n; i++) {
		/* size 2 leaves skip 1: still a full cycle. */
		pop[i].pos = (uint32_t)(mgl_name_hash(pop[i].name, MGL_SEED_OFFSET) % size);
		pop[i].skip = (uint32_t)(mgl_name_hash(pop[i].name, MGL_SEED_SKIP) % (size - 1)) + 1;
	}
	mgl_populate(m, pop, n);
	free(pop);
	return m;

inval:
	errno = EINVAL;
	return NULL;
}

void
mgl_free(struct mgl *m)
{
	free(m);
}
