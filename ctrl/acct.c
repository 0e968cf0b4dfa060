/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting writer (main lcore): drains the workers' record rings and
 * appends one JSON line per record to accounting.file. Reopened on SIGHUP
 * and `siplbctl accounting reopen`, so logrotate can move the file away.
 *
 * Record times: workers stamp records with the TSC; the writer turns that
 * into wall-clock time with one (CLOCK_REALTIME, TSC) pair taken at open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ring_elem.h>

#include "acct.h"
#include "acct_wr.h"
#include "daemon.h"
#include "sip.h"

#define ACCT_BURST 64

static FILE *acct_f;
static char acct_path[256];
static uint64_t base_ns, base_tsc, hz;

int
acct_open(const char *path, FILE *err)
{
	struct timespec ts;

	snprintf(acct_path, sizeof(acct_path), "%s", path);
	acct_f = fopen(path, "ae");
	if (acct_f == NULL) {
		fprintf(err, "siplb: accounting.file %s: %s\n", path, strerror(errno));
		return -errno;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	base_tsc = rte_rdtsc();
	base_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	hz = rte_get_tsc_hz();
	return 0;
}

int
acct_reopen(FILE *err)
{
	FILE *f;

	if (acct_f == NULL)
		return 0;
	f = fopen(acct_path, "ae");
	if (f == NULL) {
		/* keep writing where we were rather than lose records */
		fprintf(err, "siplb: accounting.file %s: cannot reopen: %s; still writing "
			"the old file\n", acct_path, strerror(errno));
		return -errno;
	}
	fclose(acct_f);
	acct_f = f;
	return 0;
}

/* A JSON string of n bytes that came off the wire: escaped as needed. */
static void
json_str(FILE *f, const char *s, unsigned n)
{
	fputc('"', f);
	for (unsigned i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
acct_write(const struct daemon *d, const struct acct_rec *r)
{
	uint64_t ns = base_ns + (uint64_t)((double)(r->tsc - base_tsc) * 1e9 / (double)hz);
	time_t sec = (time_t)(ns / 1000000000u);
	char ip[INET_ADDRSTRLEN], when[32];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	inet_ntop(AF_INET, &r->src_ip, ip, sizeof(ip));
	fprintf(acct_f, "{\"time\":\"%s.%06" PRIu64 "Z\",\"epoch\":%" PRIu64 ".%06" PRIu64
		",\"method\":\"%s\",\"status\":%u,\"call_id\":", when,
		(ns % 1000000000u) / 1000, ns / 1000000000u, (ns % 1000000000u) / 1000,
		sip_method_name((enum sip_method)r->method), r->status);
	json_str(acct_f, r->cid, r->cid_len);
	fputs(",\"from_tag\":", acct_f);
	json_str(acct_f, r->ftag, r->ftag_len);
	fputs(",\"to_tag\":", acct_f);
	json_str(acct_f, r->ttag, r->ttag_len);
	fputs(",\"backend\":", acct_f);
	if (r->backend >= 0 && (unsigned)r->backend < d->n_slots && d->slot[r->backend].used)
		json_str(acct_f, d->slot[r->backend].bk.name, d->slot[r->backend].bk.name_len);
	else
		fputs("null", acct_f);
	fprintf(acct_f, ",\"source\":\"%s:%u\"%s}\n", ip, r->src_port,
		(r->flags & ACCT_F_TRUNC) ? ",\"truncated\":true" : "");
}

unsigned
acct_drain(const struct daemon *d)
{
	struct acct_rec recs[ACCT_BURST];
	unsigned total = 0;

	for (unsigned i = 0; i < d->n_wrk; i++) {
		struct rte_ring *r = d->wrk[i] ? d->wrk[i]->acct : NULL;
		unsigned n;

		if (r == NULL)
			continue;
		do {
			n = rte_ring_sc_dequeue_burst_elem(r, recs, sizeof(recs[0]), ACCT_BURST,
							   NULL);
			for (unsigned k = 0; k < n && acct_f; k++)
				acct_write(d, &recs[k]);
			total += n;
		} while (n == ACCT_BURST);
	}
	if (total && acct_f)
		fflush(acct_f);
	return total;
}

void
acct_close(const struct daemon *d)
{
	if (acct_f == NULL)
		return;
	acct_drain(d);
	fclose(acct_f);
	acct_f = NULL;
}
