/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The result line of siplb-bench calls --role uac, exposed for the unit
 * tests (tests/unit/test_bench.c). The keys are a contract with
 * bench/compare and bench/report.py: change them only with those.
 */
#ifndef SIPLB_BENCH_CALLS_JSON_H
#define SIPLB_BENCH_CALLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

/* Enough for any result line (the worst case is in test_bench.c). */
#define CALLS_JSON_MAX 8192
/* Most points a kind's "lat_cdf" curve has. */
#define CALLS_CDF_POINTS 36

/* JSON keys: invite_180, invite_200, bye_200, cancel_487, invite_err */
enum calls_lat {
	CALLS_LAT_INVITE_180,  /* INVITE first sent -> first 180 */
	CALLS_LAT_INVITE_200,  /* INVITE first sent -> 2xx */
	CALLS_LAT_BYE_200,     /* BYE first sent -> its 2xx */
	CALLS_LAT_CANCEL_487,  /* --flow cancel: CANCEL first sent -> the INVITE's 487 */
	CALLS_LAT_INVITE_ERR,  /* --flow 503: INVITE first sent -> the expected error final */
	CALLS_LAT_N,
};

struct calls_result {
	const char *target;       /* "IP:PORT" as given */
	const char *flow;         /* "call", "cancel" or "503"; NULL reads "call" */
	const char *port;         /* "udp", "af_packet", "af_xdp" or "memory"; NULL "udp" */
	double seconds;
	uint64_t started, ok, failed, retrans;
	double calls_per_sec, msgs_per_sec;
	const struct hist *lat[CALLS_LAT_N]; /* NULL reads as empty */
	bool search;              /* "search" is {"best_rate":..}, else null */
	uint64_t best_rate;
};

/*
 * Format r as one JSON line (with '\n') into buf of cap bytes: any result
 * fits in CALLS_JSON_MAX. Returns the length written, or -1 if cap is too
 * small (never a truncated line). Any thread; no allocation.
 *
 * "lat_ms": every kind, {"p50":,"p99":,"p999":} in milliseconds (3
 * decimals) read from its histogram; an empty or NULL one reads 0.
 * "lat_cdf": {"KIND":[[ms,fraction],...],...} for each kind with samples
 * only (no samples: no key; none at all: {}): up to CALLS_CDF_POINTS points
 * of its cumulative distribution (hist_cdf() at a fixed ladder of fractions
 * from 0.001 to 0.99999 and 1), fraction being the exact share of that
 * kind's samples at or below ms (within HIST_REL_ERR). Both coordinates
 * strictly increase; the last point is the slowest sample, fraction 1.
 */
int calls_json(char *buf, size_t cap, const struct calls_result *r);

#endif
