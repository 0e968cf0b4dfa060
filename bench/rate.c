/* SPDX-License-Identifier: BSD-3-Clause */
#include "rate.h"

uint64_t
rate_bucket_default(uint64_t per_s)
{
	/* +1: a fraction left from before plus 4 ms of credit still fits */
	return (per_s * 4 + 999) / 1000 + 1;
}

void
rate_init(struct rate *r, uint64_t per_s, uint64_t bucket, uint64_t now_ms)
{
	r->per_s = per_s;
	r->credit = 0;
	r->cap = (bucket ? bucket : rate_bucket_default(per_s)) * 1000;
	r->last_ms = now_ms;
}

void
rate_set(struct rate *r, uint64_t per_s, uint64_t now_ms)
{
	(void)rate_take(r, now_ms, 0);
	r->per_s = per_s;
	r->cap = rate_bucket_default(per_s) * 1000;
	if (r->credit > r->cap)
		r->credit = r->cap;
}

uint64_t
rate_take(struct rate *r, uint64_t now_ms, uint64_t max)
{
	uint64_t n;

	if (now_ms > r->last_ms) {
		uint64_t dt = now_ms - r->last_ms;

		/* a long stall: only the bucket's worth counts anyway */
		if (dt > r->cap)
			dt = r->cap;
		r->credit += dt * r->per_s;
		if (r->credit > r->cap)
			r->credit = r->cap;
		r->last_ms = now_ms;
	}
	n = r->credit / 1000;
	if (n > max)
		n = max;
	r->credit -= n * 1000;
	return n;
}
