/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench calls' own logic: the token bucket (rate over time, no
 * bursts above the bucket), the latency histogram (percentiles and CDF
 * points against a sorted reference) and the result JSON line (parses, has
 * the contract's keys with the values given, fits CALLS_JSON_MAX).
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calls_json.h"
#include "hist.h"
#include "rate.h"

/* xorshift64*: reproducible data without libc's rand state */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* ---- rate ---- */

/* Calls started over T ms at per_s with the loop coming back every 1 ms,
 * or every 1..max_gap ms at random. */
static uint64_t
run_bucket(uint64_t per_s, uint64_t t_ms, unsigned max_gap, uint64_t *biggest)
{
	struct rate r;
	uint64_t now = 1000, total = 0;

	rate_init(&r, per_s, 0, now);
	*biggest = 0;
	while (now < 1000 + t_ms) {
		uint64_t n;

		now += max_gap > 1 ? 1 + rnd() % max_gap : 1;
		if (now > 1000 + t_ms)
			now = 1000 + t_ms;
		n = rate_take(&r, now, UINT64_MAX);
		total += n;
		if (n > *biggest)
			*biggest = n;
	}
	return total;
}

static void
test_rate_exact_over_time(void **state)
{
	static const uint64_t rates[] = { 1, 7, 100, 333, 1000, 2500, 49999, 200000 };

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		for (unsigned gap = 1; gap <= 4; gap += 3) {
			uint64_t t_ms = 10000, big;
			uint64_t got = run_bucket(rates[i], t_ms, gap, &big);
			double want = (double)rates[i] * (double)t_ms / 1000.0;

			/* ±1 % (and the one call a bucket may still hold) */
			assert_true(fabs((double)got - want) <= want * 0.01 + 1.0);
			assert_true(big <= rate_bucket_default(rates[i]));
		}
	}
}

static void
test_rate_no_burst_after_stall(void **state)
{
	struct rate r;
	uint64_t n;

	(void)state;
	rate_init(&r, 10000, 0, 0);
	assert_int_equal(rate_bucket_default(10000), 41);
	/* a 2 s stall owes 20000 calls: only the bucket's 41 come out */
	n = rate_take(&r, 2000, UINT64_MAX);
	assert_int_equal(n, 41);
	assert_int_equal(rate_take(&r, 2000, UINT64_MAX), 0);
	/* then the rate again: 10 calls per ms */
	assert_int_equal(rate_take(&r, 2001, UINT64_MAX), 10);
	/* max holds the rest in the bucket */
	assert_int_equal(rate_take(&r, 2002, 4), 4);
	assert_int_equal(rate_take(&r, 2002, UINT64_MAX), 6);
	/* an explicit bucket of 1: never two at once */
	rate_init(&r, 100000, 1, 0);
	for (uint64_t t = 1; t < 100; t += 7)
		assert_true(rate_take(&r, t, UINT64_MAX) <= 1);
}

static void
test_rate_set_changes_rate(void **state)
{
	struct rate r;
	uint64_t total = 0;

	(void)state;
	rate_init(&r, 1000, 0, 0);
	for (uint64_t t = 1; t <= 1000; t++)
		total += rate_take(&r, t, UINT64_MAX);
	assert_int_equal(total, 1000);
	rate_set(&r, 3000, 1000);
	total = 0;
	for (uint64_t t = 1001; t <= 2000; t++)
		total += rate_take(&r, t, UINT64_MAX);
	assert_int_equal(total, 3000);
	/* a low fractional per-ms rate: 1 call every 4 ms, evenly */
	rate_init(&r, 250, 0, 0);
	for (uint64_t t = 1; t <= 400; t++) {
		uint64_t n = rate_take(&r, t, UINT64_MAX);

		assert_int_equal(n, t % 4 == 0 ? 1 : 0);
	}
}

/* ---- histogram ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
check_pct(const struct hist *h, const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);
	uint64_t ref, got;
	double err;

	if (rank < 1)
		rank = 1;
	ref = sorted[rank - 1];
	got = hist_pct(h, p);
	err = fabs((double)got - (double)ref) / (double)ref;
	if (err > HIST_REL_ERR + 1e-9)
		fail_msg("p%.4f: hist %" PRIu64 " ns, sorted %" PRIu64 " ns, error %.4f %%", p, got,
			 ref, err * 100);
}

static void
test_hist_percentiles_vs_sorted(void **state)
{
	static const double ps[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0 };
	const size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));
	struct hist *h = malloc(sizeof(*h));

	(void)state;
	assert_non_null(v);
	assert_non_null(h);
	for (int round = 0; round < 3; round++) {
		hist_reset(h);
		for (size_t i = 0; i < n; i++) {
			/* log-uniform 1 µs .. 60 s; round 2 clusters in
			 * 200-300 µs, where most real samples fall */
			double lg = log(1e3) + (double)(rnd() % 1000000) / 1e6 * (log(6e10) - log(1e3));

			v[i] = round == 2 ? 200000 + rnd() % 100000 : (uint64_t)exp(lg);
			hist_add(h, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		assert_int_equal(h->n, n);
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
			check_pct(h, v, n, ps[k]);
	}
	free(v);
	free(h);
}

static void
test_hist_small_exact_empty_merge(void **state)
{
	struct hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	hist_reset(a);
	hist_reset(b);
	assert_int_equal(hist_pct(a, 0.5), 0);
	for (uint64_t i = 1; i <= 100; i++)
		hist_add(a, i);
	assert_int_equal(hist_pct(a, 0.5), 50);
	assert_int_equal(hist_pct(a, 0.99), 99);
	assert_int_equal(hist_pct(a, 1.0), 100);
	/* beyond the range: counted in the last bucket, not lost */
	hist_add(b, UINT64_MAX);
	hist_add(b, 3);
	hist_merge(a, b);
	assert_int_equal(a->n, 102);
	assert_true(hist_pct(a, 1.0) > HIST_MAX_NS / 2);
	assert_int_equal(hist_pct(a, 0.01), 2);
	free(a);
	free(b);
}

static void
test_hist_cdf_points(void **state)
{
	static const double fr[] = { 0.001, 0.01, 0.5, 0.505, 0.51, 0.99, 1.0 };
	struct hist *h = malloc(sizeof(*h));
	uint64_t ns[8];
	double f[8];
	unsigned n;

	(void)state;
	assert_non_null(h);
	hist_reset(h);
	assert_int_equal(hist_cdf(h, fr, 7, ns, f), 0);
	/* 1..100 ns, exact buckets: 0.001 and 0.01 are both sample 1 */
	for (uint64_t i = 1; i <= 100; i++)
		hist_add(h, i);
	n = hist_cdf(h, fr, 7, ns, f);
	assert_int_equal(n, 5);
	assert_int_equal(ns[0], 1);
	assert_true(fabs(f[0] - 0.01) < 1e-12);
	assert_int_equal(ns[1], 50);
	assert_true(fabs(f[1] - 0.50) < 1e-12);
	assert_int_equal(ns[2], 51); /* 0.505 and 0.51: rank 51 both */
	assert_true(fabs(f[2] - 0.51) < 1e-12);
	assert_int_equal(ns[3], 99);
	assert_int_equal(ns[4], 100);
	assert_true(f[4] == 1.0);
	/* one value many times: one point, all of the samples */
	hist_reset(h);
	for (int i = 0; i < 1000; i++)
		hist_add(h, 250000);
	n = hist_cdf(h, fr, 7, ns, f);
	assert_int_equal(n, 1);
	assert_true(fabs((double)ns[0] - 250000) <= 250000 * HIST_REL_ERR);
	assert_true(f[0] == 1.0);
	/* fewer fractions than buckets: stops at the last fraction asked */
	n = hist_cdf(h, fr, 2, ns, f);
	assert_int_equal(n, 1);
	free(h);
}

/* ---- JSON: a small strict parser that records each leaf's key path ---- */

struct leaf {
	char path[96];
	char type; /* 'n' number, 's' string, 'z' null */
	double num;
	char str[64];
};

struct jp {
	const char *p;
	struct leaf leaves[512];
	unsigned n;
};

static void
ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int parse_value(struct jp *j, const char *path);

static int
parse_string(struct jp *j, char *out, size_t cap)
{
	size_t n = 0;

	if (*j->p != '"')
		return -1;
	for (j->p++; *j->p != '"'; j->p++) {
		if (*j->p == '\0' || *j->p == '\\' || (unsigned char)*j->p < 0x20 || n + 1 >= cap)
			return -1;
		out[n++] = *j->p;
	}
	j->p++;
	out[n] = '\0';
	return 0;
}

static struct leaf *
add_leaf(struct jp *j, const char *path, char type)
{
	struct leaf *l;

	if (j->n == sizeof(j->leaves) / sizeof(j->leaves[0]))
		return NULL;
	l = &j->leaves[j->n++];
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->type = type;
	return l;
}

static int
parse_value(struct jp *j, const char *path)
{
	struct leaf *l;

	ws(j);
	if (*j->p == '{') {
		j->p++;
		ws(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		for (;;) {
			char key[32], sub[96];

			ws(j);
			if (parse_string(j, key, sizeof(key)) < 0)
				return -1;
			ws(j);
			if (*j->p++ != ':')
				return -1;
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			if (parse_value(j, sub) < 0)
				return -1;
			ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != '}')
				return -1;
			return 0;
		}
	}
	if (*j->p == '[') {
		/* elements are keyed by index: "lat_cdf.invite_200.3.0" */
		j->p++;
		ws(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		for (unsigned i = 0;; i++) {
			char sub[96];

			snprintf(sub, sizeof(sub), "%s.%u", path, i);
			if (parse_value(j, sub) < 0)
				return -1;
			ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != ']')
				return -1;
			return 0;
		}
	}
	if (*j->p == '"') {
		l = add_leaf(j, path, 's');
		return l ? parse_string(j, l->str, sizeof(l->str)) : -1;
	}
	if (strncmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return add_leaf(j, path, 'z') ? 0 : -1;
	}
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		char *end;

		l = add_leaf(j, path, 'n');
		if (!l)
			return -1;
		l->num = strtod(j->p, &end);
		if (end == j->p)
			return -1;
		j->p = end;
		return 0;
	}
	return -1;
}

static const struct leaf *
find(const struct jp *j, const char *path)
{
	for (unsigned i = 0; i < j->n; i++)
		if (strcmp(j->leaves[i].path, path) == 0)
			return &j->leaves[i];
	return NULL;
}

static void
parse_line(const char *line, struct jp *j)
{
	size_t len = strlen(line);

	/* one line: a single '\n', at the end */
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	memset(j, 0, sizeof(*j));
	j->p = line;
	assert_int_equal(parse_value(j, ""), 0);
	ws(j);
	assert_int_equal(*j->p, '\0');
}

static double
num(const struct jp *j, const char *path)
{
	const struct leaf *l = find(j, path);

	if (!l || l->type != 'n')
		fail_msg("key %s: missing or not a number", path);
	return l->num;
}

/*
 * A "lat_cdf" curve against the sorted samples it was made from: both
 * coordinates strictly increase, it ends at fraction 1 on the slowest
 * sample, and each point [ms, f] is a whole number of samples f * n whose
 * largest (rank f * n) is within HIST_REL_ERR of ms (plus %.6g's rounding).
 */
static void
check_cdf(const struct jp *j, const char *kind, const uint64_t *sorted, size_t n)
{
	double last_ms = -1, last_f = 0, ms = 0, f = 0;
	unsigned k;

	for (k = 0;; k++) {
		char pms[96], pf[96];
		const struct leaf *a, *b;
		double rank, err;
		uint64_t ref;

		snprintf(pms, sizeof(pms), "lat_cdf.%s.%u.0", kind, k);
		snprintf(pf, sizeof(pf), "lat_cdf.%s.%u.1", kind, k);
		a = find(j, pms);
		b = find(j, pf);
		if (!a && !b)
			break;
		if (!a || !b || a->type != 'n' || b->type != 'n')
			fail_msg("%s point %u: not [ms, fraction]", kind, k);
		ms = a->num;
		f = b->num;
		if (!(ms > last_ms) || !(f > last_f) || f > 1.0)
			fail_msg("%s point %u [%g, %g] after [%g, %g]: not increasing", kind, k, ms,
				 f, last_ms, last_f);
		rank = f * (double)n;
		if (fabs(rank - round(rank)) > 1e-6 * (double)n)
			fail_msg("%s point %u: fraction %.9g is no whole count of %zu", kind, k, f, n);
		ref = sorted[(size_t)round(rank) - 1];
		err = fabs(ms * 1e6 - (double)ref) / (double)ref;
		if (err > HIST_REL_ERR + 1e-5)
			fail_msg("%s point %u: %g ms, sorted %" PRIu64 " ns, error %.4f %%", kind, k,
				 ms, ref, err * 100);
		last_ms = ms;
		last_f = f;
	}
	assert_true(k > 2 && k <= CALLS_CDF_POINTS);
	assert_true(f == 1.0);
}

static void
test_json_contract(void **state)
{
	static const char *const keys[] = {
		"bench", "role", "target", "flow", "port", "seconds", "calls_started",
		"calls_ok", "calls_failed", "calls_per_sec", "msgs_per_sec", "retransmissions",
		"lat_ms.invite_180.p50", "lat_ms.invite_180.p99", "lat_ms.invite_180.p999",
		"lat_ms.invite_200.p50", "lat_ms.invite_200.p99", "lat_ms.invite_200.p999",
		"lat_ms.bye_200.p50", "lat_ms.bye_200.p99", "lat_ms.bye_200.p999",
		"lat_ms.cancel_487.p50", "lat_ms.cancel_487.p99", "lat_ms.cancel_487.p999",
		"lat_ms.invite_err.p50", "lat_ms.invite_err.p99", "lat_ms.invite_err.p999",
	};
	const size_t nr = 5000;
	struct hist *h = malloc(3 * sizeof(*h));
	uint64_t *v = malloc(nr * sizeof(*v));
	struct calls_result r = {
		.target = "198.18.0.10:5060",
		.seconds = 5.0,
		.started = 10000,
		.ok = 9990,
		.failed = 10,
		.retrans = 7,
		.calls_per_sec = 1998.0,
		.msgs_per_sec = 13986.0,
	};
	char line[CALLS_JSON_MAX];
	struct jp *j = malloc(sizeof(*j));
	const struct leaf *l;
	unsigned cdf_leaves = 0;
	int len;

	(void)state;
	assert_non_null(h);
	assert_non_null(v);
	assert_non_null(j);
	for (int i = 0; i < 2; i++) {
		hist_reset(&h[i]);
		for (uint64_t k = 1; k <= 1000; k++)
			hist_add(&h[i], k * 1000 * (uint64_t)(i + 1)); /* 1 µs .. 1 ms, x(i+1) */
	}
	/* cancel_487: log-uniform 50 µs .. 5 s, checked against its sorted copy */
	hist_reset(&h[2]);
	for (size_t i = 0; i < nr; i++) {
		double lg = log(5e4) + (double)(rnd() % 1000000) / 1e6 * (log(5e9) - log(5e4));

		v[i] = (uint64_t)exp(lg);
		hist_add(&h[2], v[i]);
	}
	qsort(v, nr, sizeof(*v), cmp_u64);
	r.lat[CALLS_LAT_INVITE_180] = &h[0];
	r.lat[CALLS_LAT_INVITE_200] = &h[1];
	r.lat[CALLS_LAT_BYE_200] = NULL;
	r.lat[CALLS_LAT_CANCEL_487] = &h[2];

	len = calls_json(line, sizeof(line), &r);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(line));
	parse_line(line, j);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!find(j, keys[k]))
			fail_msg("key %s missing in %s", keys[k], line);
	for (unsigned k = 0; k < j->n; k++)
		cdf_leaves += strncmp(j->leaves[k].path, "lat_cdf.", 8) == 0;
	assert_int_equal(j->n - cdf_leaves, sizeof(keys) / sizeof(keys[0]) + 1); /* + search */
	l = find(j, "bench");
	assert_true(l->type == 's' && strcmp(l->str, "calls") == 0);
	l = find(j, "role");
	assert_true(l->type == 's' && strcmp(l->str, "uac") == 0);
	l = find(j, "target");
	assert_true(l->type == 's' && strcmp(l->str, "198.18.0.10:5060") == 0);
	l = find(j, "flow");
	assert_true(l->type == 's' && strcmp(l->str, "call") == 0);
	l = find(j, "port");
	assert_true(l->type == 's' && strcmp(l->str, "udp") == 0);
	l = find(j, "search");
	assert_true(l && l->type == 'z');
	assert_true(num(j, "calls_started") == 10000);
	assert_true(num(j, "calls_ok") == 9990);
	assert_true(num(j, "calls_failed") == 10);
	assert_true(num(j, "retransmissions") == 7);
	assert_true(num(j, "seconds") == 5.0);
	assert_true(fabs(num(j, "calls_per_sec") - 1998.0) < 0.05);
	/* milliseconds: the median of 1..1000 µs is 0.5 ms, of 2..2000 µs 1 ms */
	assert_true(fabs(num(j, "lat_ms.invite_180.p50") - 0.5) < 0.5 * HIST_REL_ERR + 0.001);
	assert_true(fabs(num(j, "lat_ms.invite_200.p50") - 1.0) < 1.0 * HIST_REL_ERR + 0.001);
	assert_true(fabs(num(j, "lat_ms.invite_200.p999") - 1.998) < 2.0 * HIST_REL_ERR + 0.001);
	assert_true(num(j, "lat_ms.bye_200.p99") == 0);
	assert_true(num(j, "lat_ms.invite_err.p50") == 0);

	/* lat_cdf: the kinds with samples, and only those */
	check_cdf(j, "cancel_487", v, nr);
	for (size_t i = 0; i < 1000; i++)
		v[i] = (i + 1) * 2000;
	check_cdf(j, "invite_200", v, 1000);
	assert_non_null(find(j, "lat_cdf.invite_180.0.0"));
	assert_null(find(j, "lat_cdf.bye_200.0.0"));
	assert_null(find(j, "lat_cdf.invite_err.0.0"));

	/* given flow and port; --search: {"best_rate":N}; no samples: {} */
	r.flow = "cancel";
	r.port = "af_xdp";
	r.search = true;
	r.best_rate = 12345;
	for (int i = 0; i < CALLS_LAT_N; i++)
		r.lat[i] = NULL;
	assert_true(calls_json(line, sizeof(line), &r) > 0);
	assert_non_null(strstr(line, ",\"lat_cdf\":{},"));
	parse_line(line, j);
	assert_null(find(j, "search"));
	assert_true(num(j, "search.best_rate") == 12345);
	l = find(j, "flow");
	assert_true(l->type == 's' && strcmp(l->str, "cancel") == 0);
	l = find(j, "port");
	assert_true(l->type == 's' && strcmp(l->str, "af_xdp") == 0);

	/* too small a buffer is refused, not truncated */
	assert_int_equal(calls_json(line, 40, &r), -1);
	r.lat[CALLS_LAT_CANCEL_487] = &h[2];
	len = calls_json(line, sizeof(line), &r);
	assert_true(len > 0);
	assert_int_equal(calls_json(line, (size_t)len, &r), -1);
	assert_int_equal(calls_json(line, (size_t)len + 1, &r), len);
	free(h);
	free(v);
	free(j);
}

/*
 * The longest line there can be fits CALLS_JSON_MAX: every kind with a
 * full curve of distinct points, 11-digit milliseconds and fractions that
 * need all 9 digits, the largest counters, a long target.
 */
static void
test_json_worst_case_fits(void **state)
{
	struct hist *h = malloc(sizeof(*h));
	struct calls_result r = {
		.target = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
		.flow = "cancel",
		.port = "af_packet",
		.seconds = 1e12,
		.started = UINT64_MAX,
		.ok = UINT64_MAX,
		.failed = UINT64_MAX,
		.retrans = UINT64_MAX,
		.calls_per_sec = 1e15,
		.msgs_per_sec = 1e16,
		.search = true,
		.best_rate = UINT64_MAX,
	};
	char *line = malloc(CALLS_JSON_MAX);
	struct jp *j = malloc(sizeof(*j));
	int len;

	(void)state;
	assert_non_null(h);
	assert_non_null(line);
	assert_non_null(j);
	/*
	 * 999983 samples (prime: fractions need all their digits), the ones
	 * up to each ladder fraction's rank 10 % slower than the ones before,
	 * so every fraction has a point of its own; the last beyond the
	 * histogram's range. The ladder is calls_json.c's.
	 */
	static const double ladder[CALLS_CDF_POINTS] = {
		0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
		0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65,
		0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
		0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 0.9999, 0.99995, 0.99999,
		1.0,
	};
	const uint64_t n = 999983;
	uint64_t rank = 0;
	double v = 123456789.0;

	hist_reset(h);
	for (unsigned k = 0; k < CALLS_CDF_POINTS; k++, v *= 1.1) {
		uint64_t upto = (uint64_t)ceil(ladder[k] * (double)n);

		for (; rank < upto; rank++)
			hist_add(h, k == CALLS_CDF_POINTS - 1 ? UINT64_MAX : (uint64_t)v);
	}
	assert_int_equal(h->n, n);
	for (int i = 0; i < CALLS_LAT_N; i++)
		r.lat[i] = h;
	len = calls_json(line, CALLS_JSON_MAX, &r);
	if (len < 0)
		fail_msg("the worst case does not fit %d bytes", CALLS_JSON_MAX);
	parse_line(line, j);
	assert_non_null(find(j, "lat_cdf.invite_err.35.1"));
	assert_true(find(j, "lat_cdf.invite_err.35.1")->num == 1.0);
	print_message("worst case: %d of %d bytes\n", len, CALLS_JSON_MAX);
	free(h);
	free(line);
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_exact_over_time),
		cmocka_unit_test(test_rate_no_burst_after_stall),
		cmocka_unit_test(test_rate_set_changes_rate),
		cmocka_unit_test(test_hist_percentiles_vs_sorted),
		cmocka_unit_test(test_hist_small_exact_empty_merge),
		cmocka_unit_test(test_hist_cdf_points),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_json_worst_case_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
