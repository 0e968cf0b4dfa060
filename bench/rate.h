/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token bucket for siplb-bench calls: per_s calls per second, credited
 * every millisecond, at most `bucket` calls at once. Credit is kept in
 * thousandths of a call, so any integer rate is exact over time: per_s
 * thousandths accrue per millisecond. A loop that comes back late gets the
 * missed milliseconds' calls, up to the bucket; a stall longer than the
 * bucket loses calls rather than bursting. One bucket belongs to one thread.
 */
#ifndef SIPLB_BENCH_RATE_H
#define SIPLB_BENCH_RATE_H

#include <stdint.h>

struct rate {
	uint64_t per_s;   /* calls per second */
	uint64_t credit;  /* thousandths of a call */
	uint64_t cap;     /* bucket, thousandths of a call */
	uint64_t last_ms; /* last millisecond credited */
};

/* The default bucket for a rate: 4 ms of calls (rounded up) plus one. */
uint64_t rate_bucket_default(uint64_t per_s);

/* Start a bucket at now_ms, empty, for per_s calls/s, holding at most
 * bucket calls (0: rate_bucket_default). */
void rate_init(struct rate *r, uint64_t per_s, uint64_t bucket, uint64_t now_ms);

/* Change the rate (and its default bucket) from now on; credit beyond the
 * new bucket is dropped. */
void rate_set(struct rate *r, uint64_t per_s, uint64_t now_ms);

/* Calls that may start at now_ms, at most max; they are taken from the
 * bucket. Never more than the bucket. */
uint64_t rate_take(struct rate *r, uint64_t now_ms, uint64_t max);

#endif
