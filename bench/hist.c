/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <string.h>

#include "hist.h"

/*
 * Bucket of v: below 2^(SUB_BITS+1) the value itself; above, the octave
 * (msb) picks a row of HIST_SUB buckets and the SUB_BITS bits under the msb
 * pick the column. Rows follow each other, so the index grows with v.
 */
static unsigned
hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v > HIST_MAX_NS)
		v = HIST_MAX_NS;
	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

/* The middle of bucket i: its lower bound plus half its width. */
static uint64_t
hist_value(unsigned i)
{
	unsigned row = i / HIST_SUB, col = i % HIST_SUB, shift;

	if (i < 2 * HIST_SUB)
		return i;
	shift = row - 1;
	return ((uint64_t)(HIST_SUB + col) << shift) + ((UINT64_C(1) << shift) >> 1);
}

void
hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
hist_add(struct hist *h, uint64_t ns)
{
	h->c[hist_index(ns)]++;
	h->n++;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->c[i] += src->c[i];
	dst->n += src->n;
}

/* The rank (1..n) of the p-quantile among n samples. */
static uint64_t
hist_rank(uint64_t n, double p)
{
	uint64_t rank = (uint64_t)ceil(p * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

uint64_t
hist_pct(const struct hist *h, double p)
{
	uint64_t rank, sum = 0;

	if (h->n == 0)
		return 0;
	rank = hist_rank(h->n, p);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		sum += h->c[i];
		if (sum >= rank)
			return hist_value(i);
	}
	return hist_value(HIST_BUCKETS - 1);
}

unsigned
hist_cdf(const struct hist *h, const double *fracs, unsigned n, uint64_t *ns, double *frac)
{
	uint64_t sum = 0;
	unsigned i = 0, k = 0, out = 0;

	if (h->n == 0)
		return 0;
	/* Buckets and fractions both ascend: walk them together. */
	while (k < n && i < HIST_BUCKETS) {
		uint64_t rank = hist_rank(h->n, fracs[k]);

		if (sum + h->c[i] < rank) {
			sum += h->c[i++];
			continue;
		}
		sum += h->c[i];
		ns[out] = hist_value(i);
		frac[out++] = (double)sum / (double)h->n;
		/* every further fraction whose sample is in this bucket */
		while (k < n && hist_rank(h->n, fracs[k]) <= sum)
			k++;
		i++;
	}
	return out;
}
