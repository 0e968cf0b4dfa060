/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The result line of siplb-bench calls --role uac (calls_json.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "calls_json.h"

static void
fmt_lat(char *buf, size_t cap, const char *name, const struct hist *h, bool last)
{
	static const struct hist empty;

	if (!h)
		h = &empty;
	snprintf(buf, cap, "\"%s\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f}%s", name,
		 (double)hist_pct(h, 0.5) / 1e6, (double)hist_pct(h, 0.99) / 1e6,
		 (double)hist_pct(h, 0.999) / 1e6, last ? "" : ",");
}

int
calls_json(char *buf, size_t cap, const struct calls_result *r)
{
	static const char *const names[CALLS_LAT_N] = {
		"invite_180", "invite_200", "bye_200", "cancel_487", "invite_err",
	};
	char lat[CALLS_LAT_N][160], search[64];
	int n;

	for (unsigned i = 0; i < CALLS_LAT_N; i++)
		fmt_lat(lat[i], sizeof(lat[i]), names[i], r->lat[i], i == CALLS_LAT_N - 1);
	if (r->search)
		snprintf(search, sizeof(search), "{\"best_rate\":%" PRIu64 "}", r->best_rate);
	else
		snprintf(search, sizeof(search), "null");
	n = snprintf(buf, cap,
		     "{\"bench\":\"calls\",\"role\":\"uac\",\"target\":\"%s\",\"flow\":\"%s\","
		     "\"port\":\"%s\",\"seconds\":%.3f,"
		     "\"calls_started\":%" PRIu64 ",\"calls_ok\":%" PRIu64
		     ",\"calls_failed\":%" PRIu64 ",\"calls_per_sec\":%.1f,\"msgs_per_sec\":%.1f,"
		     "\"retransmissions\":%" PRIu64 ",\"lat_ms\":{%s%s%s%s%s},\"search\":%s}\n",
		     r->target, r->flow ? r->flow : "call", r->port ? r->port : "udp", r->seconds, r->started, r->ok, r->failed, r->calls_per_sec,
		     r->msgs_per_sec, r->retrans, lat[0], lat[1], lat[2], lat[3], lat[4], search);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
