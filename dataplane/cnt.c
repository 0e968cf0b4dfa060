/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter names, summing and printing (control plane only).
 *
 * The JSON line is parsed by siplbctl and the integration tests: its keys are
 * an interface, add new ones but do not rename or drop any.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "cnt.h"

static const char *const cnt_drop_names[CNT_DROP__COUNT] = {
#define CNT_X_NAME(e, s, d) [CNT_DROP_##e] = s,
	CNT_DROP_LIST(CNT_X_NAME)
#undef CNT_X_NAME
};

static const unsigned cnt_reply_codes[CNT_REPLY__COUNT] = {
#define CNT_X_CODE(e, c) [CNT_REPLY_##e] = c,
	CNT_REPLY_LIST(CNT_X_CODE)
#undef CNT_X_CODE
};

/* Name of reply counter k: its code, or "other" (code 0: any other code). */
static const char *
cnt_reply_name(unsigned k, char name[16])
{
	if (cnt_reply_codes[k] == 0)
		return "other";
	snprintf(name, 16, "%u", cnt_reply_codes[k]);
	return name;
}

/* Scalar counters, in output order. */
#define CNT_SCALAR_LIST(X) \
	X(rx_pkts) X(tx_pkts) X(rx_bytes) X(tx_bytes) X(fwd_req) X(fwd_resp) \
	X(busy_polls) X(idle_polls) X(busy_cycles) X(idle_cycles) X(arp_rx) X(arp_req_tx) X(arp_reply_tx) \
	X(icmp_echo) X(ack_absorbed) X(txn_live) X(txn_created) X(txn_completed) \
	X(txn_retrans_absorbed) X(txn_resp_absorbed) X(txn_timer_a) X(txn_timer_g) X(txn_failover_timeout) \
	X(txn_failover_503) X(txn_failover_code) X(txn_timeouts) X(txn_table_full) \
	X(txn_cancels) X(handoff_out) X(handoff_in) X(acct_records) X(acct_lost) \
	X(probes_sent) X(probe_replies) X(lat_first_sum_ms) X(lat_final_sum_ms)

#define CNT_X_ONE(f) +1
#define CNT_N_SCALARS (0 CNT_SCALAR_LIST(CNT_X_ONE))

#define CNT_ARRAY_LEN(f) (sizeof(((struct cnt_core *)0)->f) / sizeof(uint64_t))

/*
 * cnt_add() names every field; this fails to compile when a field is added
 * to struct cnt_core without being added to CNT_SCALAR_LIST or cnt_add().
 */
_Static_assert(offsetof(struct cnt_core, lat_final_bk) + sizeof(((struct cnt_core *)0)->lat_final_bk) ==
		       sizeof(uint64_t) * (CNT_N_SCALARS + SIP_M__COUNT + 7 + CNT_REPLY__COUNT +
					   CNT_DROP__COUNT + 2 * CNT_LAT_BUCKETS +
					   4 * CNT_MAX_BACKENDS + 2 * CNT_MAX_BACKENDS * CNT_LAT_BUCKETS),
	       "struct cnt_core has a counter cnt.c does not know");

uint32_t
cnt_lat_bound(unsigned i)
{
	static const uint32_t bounds[CNT_LAT_BUCKETS - 1] = { CNT_LAT_BOUNDS_MS };

	return i < CNT_LAT_BUCKETS - 1 ? bounds[i] : 0;
}

/* A latency histogram as an object of "le":count, "inf" for the last bucket. */
static void
cnt_json_lat_obj(FILE *f, const uint64_t *h)
{
	fputc('{', f);
	for (unsigned i = 0; i < CNT_LAT_BUCKETS; i++) {
		if (cnt_lat_bound(i))
			fprintf(f, "%s\"%u\":%" PRIu64, i ? "," : "", cnt_lat_bound(i), h[i]);
		else
			fprintf(f, ",\"inf\":%" PRIu64, h[i]);
	}
	fputc('}', f);
}

static void
cnt_json_lat(FILE *f, const char *key, const uint64_t *h)
{
	fprintf(f, ",\"%s\":", key);
	cnt_json_lat_obj(f, h);
}

const char *
cnt_drop_name(enum cnt_drop why)
{
	if ((unsigned)why >= CNT_DROP__COUNT)
		return "unknown";
	return cnt_drop_names[why];
}

void
cnt_add(struct cnt_core *dst, const struct cnt_core *src)
{
#define CNT_X_ADD(f) dst->f += src->f;
	CNT_SCALAR_LIST(CNT_X_ADD)
#undef CNT_X_ADD
#define CNT_ADD_ARRAY(f)                                 \
	for (size_t i = 0; i < CNT_ARRAY_LEN(f); i++) \
		dst->f[i] += src->f[i]
	CNT_ADD_ARRAY(sip_req);
	CNT_ADD_ARRAY(sip_resp);
	CNT_ADD_ARRAY(reply);
	CNT_ADD_ARRAY(drop);
	CNT_ADD_ARRAY(lat_first);
	CNT_ADD_ARRAY(lat_final);
	CNT_ADD_ARRAY(fwd_backend);
	CNT_ADD_ARRAY(fail_backend);
	CNT_ADD_ARRAY(lat_first_bk_sum_ms);
	CNT_ADD_ARRAY(lat_final_bk_sum_ms);
	for (size_t b = 0; b < CNT_MAX_BACKENDS; b++)
		for (size_t i = 0; i < CNT_LAT_BUCKETS; i++) {
			dst->lat_first_bk[b][i] += src->lat_first_bk[b][i];
			dst->lat_final_bk[b][i] += src->lat_final_bk[b][i];
		}
#undef CNT_ADD_ARRAY
}

unsigned
cnt_scalars(const struct cnt_core *c, const char **names, uint64_t *vals, unsigned max)
{
	unsigned n = 0;

#define CNT_X_PAIR(f)              \
	if (n < max) {             \
		names[n] = #f;     \
		vals[n] = c->f;    \
	}                          \
	n++;
	CNT_SCALAR_LIST(CNT_X_PAIR)
#undef CNT_X_PAIR
	return n;
}

uint64_t
cnt_drops_total(const struct cnt_core *c)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < CNT_DROP__COUNT; i++)
		t += c->drop[i];
	return t;
}

/*
 * Methods in output order: the named ones by enum value, then OTHER, which
 * is enum value 0.
 */
static enum sip_method
cnt_method_at(unsigned k)
{
	return (enum sip_method)((k + 1) % SIP_M__COUNT);
}

/* Backend names come from the config file: escape them as JSON strings. */
static void
cnt_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static unsigned
cnt_clamp_backends(const char *const *bk_names, unsigned n_backends)
{
	if (bk_names == NULL)
		return 0;
	return n_backends > CNT_MAX_BACKENDS ? CNT_MAX_BACKENDS : n_backends;
}

/* "name":value pairs of a per-backend array; free slots (NULL) left out. */
static void
cnt_json_backends(FILE *f, const uint64_t *v, const char *const *bk_names, unsigned n)
{
	const char *sep = "";

	for (unsigned i = 0; i < n; i++) {
		if (bk_names[i] == NULL)
			continue;
		fputs(sep, f);
		cnt_json_str(f, bk_names[i]);
		fprintf(f, ":%" PRIu64, v[i]);
		sep = ",";
	}
}

void
cnt_dump_json(FILE *f, const struct cnt_core *c, const char *const *bk_names,
	      unsigned n_backends)
{
	char name[16];

	fputc('{', f);
#define CNT_X_JSON(n) fprintf(f, "\"" #n "\":%" PRIu64 ",", c->n);
	CNT_SCALAR_LIST(CNT_X_JSON)
#undef CNT_X_JSON

	fputs("\"sip_req\":{", f);
	for (unsigned k = 0; k < SIP_M__COUNT; k++) {
		enum sip_method m = cnt_method_at(k);

		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", sip_method_name(m), c->sip_req[m]);
	}
	fputs("},\"sip_resp\":{", f);
	for (unsigned k = 1; k <= 6; k++)
		fprintf(f, "%s\"%uxx\":%" PRIu64, k > 1 ? "," : "", k, c->sip_resp[k]);
	fputs("},\"reply\":{", f);
	for (unsigned k = 0; k < CNT_REPLY__COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", cnt_reply_name(k, name),
			c->reply[k]);
	fputs("},\"drop\":{", f);
	for (unsigned k = 0; k < CNT_DROP__COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", cnt_drop_names[k], c->drop[k]);
	fprintf(f, "},\"drops_total\":%" PRIu64 ",\"fwd_backend\":{", cnt_drops_total(c));
	n_backends = cnt_clamp_backends(bk_names, n_backends);
	cnt_json_backends(f, c->fwd_backend, bk_names, n_backends);
	fputs("},\"fail_backend\":{", f);
	cnt_json_backends(f, c->fail_backend, bk_names, n_backends);
	fputc('}', f);
	cnt_json_lat(f, "lat_first_ms", c->lat_first);
	cnt_json_lat(f, "lat_final_ms", c->lat_final);
	for (unsigned j = 0; j < 2; j++) {
		const char *sep = "";

		fprintf(f, ",\"%s\":{", j ? "lat_final_ms_backend" : "lat_first_ms_backend");
		for (unsigned i = 0; i < n_backends; i++) {
			if (bk_names[i] == NULL)
				continue;
			fputs(sep, f);
			cnt_json_str(f, bk_names[i]);
			fputc(':', f);
			cnt_json_lat_obj(f, j ? c->lat_final_bk[i] : c->lat_first_bk[i]);
			sep = ",";
		}
		fputc('}', f);
	}
	fputs("}\n", f);
}

/* A Prometheus label value: \ " and newline escaped. */
static void
cnt_prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
cnt_prom_hist(FILE *f, const char *name, const char *help, const uint64_t *h, uint64_t sum_ms)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP siplb_%s %s\n# TYPE siplb_%s histogram\n", name, help, name);
	for (unsigned i = 0; i < CNT_LAT_BUCKETS; i++) {
		cum += h[i];
		if (cnt_lat_bound(i))
			fprintf(f, "siplb_%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
				cnt_lat_bound(i) / 1000.0, cum);
		else
			fprintf(f, "siplb_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	}
	fprintf(f, "siplb_%s_sum %.3f\nsiplb_%s_count %" PRIu64 "\n", name, sum_ms / 1000.0,
		name, cum);
}

void
cnt_dump_prom(FILE *f, const struct cnt_core *c, const char *const *bk_names,
	      unsigned n_backends)
{
	char name[16];

	/* txn_live is the one gauge; everything else only grows */
#define CNT_X_PROM(n)                                                                    \
	if (strcmp(#n, "txn_live") == 0)                                                 \
		fprintf(f, "# TYPE siplb_%s gauge\nsiplb_%s %" PRIu64 "\n", #n, #n, c->n);  \
	else                                                                             \
		fprintf(f, "# TYPE siplb_%s_total counter\nsiplb_%s_total %" PRIu64 "\n",  \
			#n, #n, c->n);
	CNT_SCALAR_LIST(CNT_X_PROM)
#undef CNT_X_PROM
	fputs("# TYPE siplb_sip_requests_total counter\n", f);
	for (unsigned k = 0; k < SIP_M__COUNT; k++) {
		enum sip_method m = cnt_method_at(k);

		fprintf(f, "siplb_sip_requests_total{method=\"%s\"} %" PRIu64 "\n", sip_method_name(m),
			c->sip_req[m]);
	}
	fputs("# TYPE siplb_sip_responses_total counter\n", f);
	for (unsigned k = 1; k <= 6; k++)
		fprintf(f, "siplb_sip_responses_total{class=\"%uxx\"} %" PRIu64 "\n", k, c->sip_resp[k]);
	fputs("# TYPE siplb_replies_total counter\n", f);
	for (unsigned k = 0; k < CNT_REPLY__COUNT; k++)
		fprintf(f, "siplb_replies_total{code=\"%s\"} %" PRIu64 "\n", cnt_reply_name(k, name),
			c->reply[k]);
	fputs("# TYPE siplb_drops_total counter\n", f);
	for (unsigned k = 0; k < CNT_DROP__COUNT; k++)
		fprintf(f, "siplb_drops_total{reason=\"%s\"} %" PRIu64 "\n", cnt_drop_names[k],
			c->drop[k]);
	n_backends = cnt_clamp_backends(bk_names, n_backends);
	fputs("# TYPE siplb_backend_requests_total counter\n", f);
	for (unsigned i = 0; i < n_backends; i++) {
		if (bk_names[i] == NULL)
			continue;
		fputs("siplb_backend_requests_total{backend=\"", f);
		cnt_prom_label(f, bk_names[i]);
		fprintf(f, "\"} %" PRIu64 "\n", c->fwd_backend[i]);
	}
	fputs("# TYPE siplb_backend_failures_total counter\n", f);
	for (unsigned i = 0; i < n_backends; i++) {
		if (bk_names[i] == NULL)
			continue;
		fputs("siplb_backend_failures_total{backend=\"", f);
		cnt_prom_label(f, bk_names[i]);
		fprintf(f, "\"} %" PRIu64 "\n", c->fail_backend[i]);
	}
	cnt_prom_hist(f, "invite_first_response_seconds",
		      "INVITE to the first response of a backend (stateful mode)",
		      c->lat_first, c->lat_first_sum_ms);
	cnt_prom_hist(f, "invite_final_response_seconds",
		      "INVITE to the final response sent upstream (stateful mode)",
		      c->lat_final, c->lat_final_sum_ms);
	for (unsigned j = 0; j < 2; j++) {
		const char *name = j ? "backend_invite_final_response_seconds" :
				   "backend_invite_first_response_seconds";

		fprintf(f, "# TYPE siplb_%s histogram\n", name);
		for (unsigned b = 0; b < n_backends; b++) {
			const uint64_t *h = j ? c->lat_final_bk[b] : c->lat_first_bk[b];
			uint64_t cum = 0;

			if (bk_names[b] == NULL)
				continue;
			for (unsigned i = 0; i < CNT_LAT_BUCKETS; i++) {
				cum += h[i];
				fprintf(f, "siplb_%s_bucket{backend=\"", name);
				cnt_prom_label(f, bk_names[b]);
				if (cnt_lat_bound(i))
					fprintf(f, "\",le=\"%g\"} %" PRIu64 "\n",
						cnt_lat_bound(i) / 1000.0, cum);
				else
					fprintf(f, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
			}
			fprintf(f, "siplb_%s_sum{backend=\"", name);
			cnt_prom_label(f, bk_names[b]);
			fprintf(f, "\"} %.3f\n", (j ? c->lat_final_bk_sum_ms[b] :
						  c->lat_first_bk_sum_ms[b]) / 1000.0);
			fprintf(f, "siplb_%s_count{backend=\"", name);
			cnt_prom_label(f, bk_names[b]);
			fprintf(f, "\"} %" PRIu64 "\n", cum);
		}
	}
}

static void
cnt_text_line(FILE *f, const char *group, const char *name, uint64_t v)
{
	if (v == 0)
		return;
	if (group != NULL)
		fprintf(f, "%s.%s %" PRIu64 "\n", group, name, v);
	else
		fprintf(f, "%s %" PRIu64 "\n", name, v);
}

void
cnt_dump_text(FILE *f, const struct cnt_core *c, const char *const *bk_names,
	      unsigned n_backends)
{
	char name[16];

#define CNT_X_TEXT(n) cnt_text_line(f, NULL, #n, c->n);
	CNT_SCALAR_LIST(CNT_X_TEXT)
#undef CNT_X_TEXT
	for (unsigned k = 0; k < SIP_M__COUNT; k++) {
		enum sip_method m = cnt_method_at(k);

		cnt_text_line(f, "sip_req", sip_method_name(m), c->sip_req[m]);
	}
	for (unsigned k = 1; k <= 6; k++) {
		snprintf(name, sizeof(name), "%uxx", k);
		cnt_text_line(f, "sip_resp", name, c->sip_resp[k]);
	}
	for (unsigned k = 0; k < CNT_REPLY__COUNT; k++) {
		cnt_text_line(f, "reply", cnt_reply_name(k, name), c->reply[k]);
	}
	for (unsigned k = 0; k < CNT_DROP__COUNT; k++)
		cnt_text_line(f, "drop", cnt_drop_names[k], c->drop[k]);
	cnt_text_line(f, NULL, "drops_total", cnt_drops_total(c));
	for (unsigned k = 0; k < CNT_LAT_BUCKETS; k++) {
		if (cnt_lat_bound(k))
			snprintf(name, sizeof(name), "le_%u", cnt_lat_bound(k));
		else
			snprintf(name, sizeof(name), "inf");
		cnt_text_line(f, "lat_first_ms", name, c->lat_first[k]);
		cnt_text_line(f, "lat_final_ms", name, c->lat_final[k]);
	}
	n_backends = cnt_clamp_backends(bk_names, n_backends);
	for (unsigned i = 0; i < n_backends; i++)
		if (bk_names[i] != NULL) {
			cnt_text_line(f, "fwd_backend", bk_names[i], c->fwd_backend[i]);
			cnt_text_line(f, "fail_backend", bk_names[i], c->fail_backend[i]);
		}
}
