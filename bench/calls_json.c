/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The result line of siplb-bench calls --role uac (calls_json.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "calls_json.h"

static const char *const calls_lat_names[CALLS_LAT_N] = {
	"invite_180", "invite_200", "bye_200", "cancel_487", "invite_err",
};

/*
 * The CDF's fractions: the body coarsely, the tail (what a comparison of
 * load balancers is about) down to 1 call in 100000, then the slowest.
 */
static const double calls_cdf_fracs[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
	0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65,
	0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
	0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 0.9999, 0.99995, 0.99999,
	1.0,
};
_Static_assert(sizeof(calls_cdf_fracs) / sizeof(calls_cdf_fracs[0]) == CALLS_CDF_POINTS,
	       "CALLS_CDF_POINTS is the ladder's length");

/* An output cursor: appends fail once, then every later one is a no-op. */
struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void
out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

/* "lat_ms": three percentiles of every kind, 0 for an empty one. */
static void
out_lat_ms(struct out *o, const struct calls_result *r)
{
	static const struct hist empty;

	out_add(o, ",\"lat_ms\":{");
	for (unsigned i = 0; i < CALLS_LAT_N; i++) {
		const struct hist *h = r->lat[i] ? r->lat[i] : &empty;

		out_add(o, "%s\"%s\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f}", i ? "," : "",
			calls_lat_names[i], (double)hist_pct(h, 0.5) / 1e6,
			(double)hist_pct(h, 0.99) / 1e6, (double)hist_pct(h, 0.999) / 1e6);
	}
	out_add(o, "}");
}

/*
 * "lat_cdf": the curve of each kind with samples. %.6g ms is a few ns at
 * most, below the buckets' error; %.9g keeps a fraction short of 1 from
 * printing as 1 up to a billion samples.
 */
static void
out_lat_cdf(struct out *o, const struct calls_result *r)
{
	uint64_t ns[CALLS_CDF_POINTS];
	double frac[CALLS_CDF_POINTS];
	bool first = true;

	out_add(o, ",\"lat_cdf\":{");
	for (unsigned i = 0; i < CALLS_LAT_N; i++) {
		unsigned n;

		if (!r->lat[i] || r->lat[i]->n == 0)
			continue;
		n = hist_cdf(r->lat[i], calls_cdf_fracs, CALLS_CDF_POINTS, ns, frac);
		out_add(o, "%s\"%s\":[", first ? "" : ",", calls_lat_names[i]);
		for (unsigned k = 0; k < n; k++)
			out_add(o, "%s[%.6g,%.9g]", k ? "," : "", (double)ns[k] / 1e6, frac[k]);
		out_add(o, "]");
		first = false;
	}
	out_add(o, "}");
}

int
calls_json(char *buf, size_t cap, const struct calls_result *r)
{
	struct out o = { .buf = buf, .cap = cap };

	if (cap == 0)
		return -1;
	out_add(&o,
		"{\"bench\":\"calls\",\"role\":\"uac\",\"target\":\"%s\",\"flow\":\"%s\","
		"\"port\":\"%s\",\"seconds\":%.3f,"
		"\"calls_started\":%" PRIu64 ",\"calls_ok\":%" PRIu64 ",\"calls_failed\":%" PRIu64
		",\"calls_per_sec\":%.1f,\"msgs_per_sec\":%.1f,\"retransmissions\":%" PRIu64,
		r->target, r->flow ? r->flow : "call", r->port ? r->port : "udp", r->seconds,
		r->started, r->ok, r->failed, r->calls_per_sec, r->msgs_per_sec, r->retrans);
	out_lat_ms(&o, r);
	out_lat_cdf(&o, r);
	if (r->search)
		out_add(&o, ",\"search\":{\"best_rate\":%" PRIu64 "}}\n", r->best_rate);
	else
		out_add(&o, ",\"search\":null}\n");
	if (o.full) {
		/* no half line for a caller that prints buf regardless */
		buf[0] = '\0';
		return -1;
	}
	return (int)o.len;
}
