/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram for siplb-bench calls: log-linear buckets over
 * nanoseconds, 64 per power of two, so a percentile read back is the
 * midpoint of a bucket whose width is at most 1/64 of its lower bound:
 * within HIST_REL_ERR (0.8 %) of the true sample, from 0 ns up to
 * HIST_MAX_NS (about 18 minutes; larger samples count in the last bucket).
 * Values below 128 ns are exact. Adding a sample is a few instructions and
 * never allocates; one histogram belongs to one thread.
 */
#ifndef SIPLB_BENCH_HIST_H
#define SIPLB_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_MSB 39
/* rows: 0 and 1 hold 0..127 exactly, then one per msb from SUB_BITS + 1 */
#define HIST_BUCKETS ((HIST_MAX_MSB - HIST_SUB_BITS + 2) * HIST_SUB)
#define HIST_MAX_NS ((UINT64_C(2) << HIST_MAX_MSB) - 1)
#define HIST_REL_ERR (0.5 / HIST_SUB)

struct hist {
	uint64_t n;
	uint64_t c[HIST_BUCKETS];
};

/* Empty the histogram. */
void hist_reset(struct hist *h);

/* Count one sample of ns nanoseconds. */
void hist_add(struct hist *h, uint64_t ns);

/* Add every sample of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/*
 * The p-quantile (0 < p <= 1) in nanoseconds: the sample of rank
 * ceil(p * n) in sorted order, to within HIST_REL_ERR. 0 if empty.
 */
uint64_t hist_pct(const struct hist *h, double p);

/*
 * Points of the cumulative distribution, for plots: for each of the n
 * fractions (ascending, 0 < fracs[i] <= 1), the bucket holding the sample
 * of rank ceil(fracs[i] * h->n), as ns[k] (its middle, within HIST_REL_ERR
 * of every sample in it) and frac[k] (the exact fraction of samples in that
 * bucket or below). Fractions that land in one bucket give one point, so
 * both ns[] and frac[] strictly increase; a last fraction of 1 ends the
 * points at the slowest sample's bucket with frac 1. Returns the number of
 * points written (at most n), 0 if h is empty. One pass over the buckets:
 * for the end of a run, not per sample.
 */
unsigned hist_cdf(const struct hist *h, const double *fracs, unsigned n, uint64_t *ns,
		  double *frac);

#endif
