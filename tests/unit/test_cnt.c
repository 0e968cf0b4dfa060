/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: drop names, summing every field, the one-line JSON other tools
 * parse (checked with a small strict JSON validator), and the text dump.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cnt.h"
#include "sip.h"

#define N_WORDS (sizeof(struct cnt_core) / sizeof(uint64_t))
/* Counters end with lat_final_bk; what follows is cache-line padding. */
#define N_COUNTERS \
	((offsetof(struct cnt_core, lat_final_bk) + sizeof(((struct cnt_core *)0)->lat_final_bk)) / \
	 sizeof(uint64_t))

/* Static: struct cnt_core is cache-line aligned, which malloc does not give. */
static struct cnt_core c_a, c_b;

/* Run a dump into a malloc'd string (free with free()). */
static char *
dump(void (*fn)(FILE *, const struct cnt_core *, const char *const *, unsigned),
     const struct cnt_core *c, const char *const *names, unsigned n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, c, names, n);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static void
test_drop_names(void **state)
{
	(void)state;
	assert_string_equal(cnt_drop_name(CNT_DROP_ETH_SHORT), "eth_short");
	assert_string_equal(cnt_drop_name(CNT_DROP_UDP_BAD_CKSUM), "udp_bad_cksum");
	assert_string_equal(cnt_drop_name(CNT_DROP_TX_FULL), "tx_full");
	assert_string_equal(cnt_drop_name(CNT_DROP__COUNT), "unknown");
	for (int i = 0; i < CNT_DROP__COUNT; i++) {
		const char *n = cnt_drop_name((enum cnt_drop)i);

		assert_non_null(n);
		assert_true(n[0] != '\0');
		for (const char *p = n; *p; p++)
			assert_true(islower((unsigned char)*p) || *p == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, cnt_drop_name((enum cnt_drop)j));
	}
}

/* Every counter word is summed, whatever field it belongs to. */
static void
test_add(void **state)
{
	struct cnt_core *dst, *src;
	uint64_t w[N_WORDS];

	(void)state;
	dst = &c_a;
	src = &c_b;
	for (size_t i = 0; i < N_WORDS; i++)
		w[i] = (uint64_t)(i + 1);
	memcpy(src, w, sizeof(w));
	for (size_t i = 0; i < N_WORDS; i++)
		w[i] = (uint64_t)(i + 1) << 32;
	memcpy(dst, w, sizeof(w));
	cnt_add(dst, src);
	cnt_add(dst, src);
	memcpy(w, dst, sizeof(w));
	for (size_t i = 0; i < N_COUNTERS; i++)
		assert_int_equal(w[i], ((uint64_t)(i + 1) << 32) + 2 * (i + 1));
	assert_int_equal(dst->lat_final_bk[CNT_MAX_BACKENDS - 1][CNT_LAT_BUCKETS - 1],
			 ((uint64_t)N_COUNTERS << 32) + 2 * N_COUNTERS);
}

/*
 * Minimal strict JSON checker for what cnt_dump_json may emit: objects whose
 * values are unsigned integers or objects, string keys with \" \\ \uXXXX
 * escapes. Returns the position after the value or NULL. Top-level keys are
 * appended to keys (comma-separated) when keys is not NULL.
 */
static const char *json_obj(const char *p, char *keys, size_t ksz);

static const char *
json_str(const char *p, char *out, size_t osz)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		char ch = *p;

		if ((unsigned char)ch < 0x20)
			return NULL;
		if (ch == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				ch = '?';
				p += 4;
			} else if (*p == '"' || *p == '\\') {
				ch = *p;
			} else {
				return NULL;
			}
		}
		if (n + 1 < osz)
			out[n++] = ch;
		p++;
	}
	out[n] = '\0';
	return p + 1;
}

static const char *
json_obj(const char *p, char *keys, size_t ksz)
{
	char key[64];

	if (*p++ != '{')
		return NULL;
	if (*p == '}')
		return p + 1;
	for (;;) {
		p = json_str(p, key, sizeof(key));
		if (p == NULL || *p++ != ':')
			return NULL;
		if (keys != NULL) {
			strncat(keys, key, ksz - strlen(keys) - 1);
			strncat(keys, ",", ksz - strlen(keys) - 1);
		}
		if (*p == '{') {
			p = json_obj(p, NULL, 0);
			if (p == NULL)
				return NULL;
		} else {
			/* JSON numbers: no leading zeros */
			if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
				return NULL;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static void
test_json(void **state)
{
	static const char *const bk[3] = { "be1", "be\"2", "be\\3" };
	struct cnt_core *c;
	char keys[1024] = "", want[64], *s;
	const char *end;

	(void)state;
	c = &c_a;
	memset(c, 0, sizeof(*c));
	c->rx_pkts = 5;
	c->tx_pkts = 4;
	c->rx_bytes = 1234567890123ull;
	c->icmp_echo = 2;
	c->sip_req[SIP_M_INVITE] = 11;
	c->sip_req[SIP_M_OTHER] = 3;
	c->sip_req[SIP_M_UPDATE] = 9;
	c->sip_resp[2] = 21;
	c->sip_resp[6] = 6;
	c->reply[CNT_REPLY_R478] = 478;
	c->drop[CNT_DROP_ETH_SHORT] = 1;
	c->drop[CNT_DROP_TX_FULL] = 10;
	c->drop[CNT_DROP_SIP_VIA] = 100;
	c->fwd_backend[0] = 7;
	c->fwd_backend[2] = 8;
	c->fwd_backend[3] = 99; /* beyond n_backends: not printed */

	s = dump(cnt_dump_json, c, bk, 3);
	/* One line, terminated. */
	assert_non_null(strchr(s, '\n'));
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	end = json_obj(s, keys, sizeof(keys));
	assert_non_null(end);
	assert_string_equal(end, "\n");
	assert_string_equal(keys, "rx_pkts,tx_pkts,rx_bytes,tx_bytes,fwd_req,fwd_resp,busy_polls,"
				  "idle_polls,busy_cycles,idle_cycles,arp_rx,arp_req_tx,arp_reply_tx,icmp_echo,"
				  "ack_absorbed,txn_live,txn_created,txn_completed,txn_retrans_absorbed,"
				  "txn_resp_absorbed,txn_timer_a,txn_timer_g,txn_failover_timeout,txn_failover_503,"
				  "txn_failover_code,txn_timeouts,txn_table_full,txn_cancels,handoff_out,"
				  "handoff_in,acct_records,acct_lost,probes_sent,probe_replies,"
				  "lat_first_sum_ms,lat_final_sum_ms,sip_req,sip_resp,reply,drop,"
				  "drops_total,fwd_backend,fail_backend,lat_first_ms,lat_final_ms,"
				  "lat_first_ms_backend,lat_final_ms_backend,");

	assert_non_null(strstr(s, "{\"rx_pkts\":5,\"tx_pkts\":4,\"rx_bytes\":1234567890123,"));
	assert_non_null(strstr(s, "\"icmp_echo\":2,"));
	assert_non_null(strstr(s, "\"lat_final_sum_ms\":0,\"sip_req\":{\"INVITE\":11,\"ACK\":0,"));
	assert_non_null(strstr(s, "\"UPDATE\":9,\"OTHER\":3},"));
	for (int m = 0; m < SIP_M__COUNT; m++) {
		snprintf(want, sizeof(want), "\"%s\":", sip_method_name((enum sip_method)m));
		assert_non_null(strstr(s, want));
	}
	assert_non_null(strstr(s, "\"sip_resp\":{\"1xx\":0,\"2xx\":21,\"3xx\":0,\"4xx\":0,"
				  "\"5xx\":0,\"6xx\":6}"));
	/* Every code of CNT_REPLY_LIST, in order, as one object. */
	{
		char exp[256] = "\"reply\":{";
		size_t l = strlen(exp);
#define X_REPLY(e, code)                                                             \
	l += code ? (size_t)snprintf(exp + l, sizeof(exp) - l, "%s\"%u\":%" PRIu64,  \
				     CNT_REPLY_##e ? "," : "", code,                   \
				     c->reply[CNT_REPLY_##e]) :                        \
		    (size_t)snprintf(exp + l, sizeof(exp) - l, ",\"other\":%" PRIu64,    \
				     c->reply[CNT_REPLY_##e]);
		CNT_REPLY_LIST(X_REPLY)
#undef X_REPLY
		snprintf(exp + l, sizeof(exp) - l, "}");
		assert_non_null(strstr(s, exp));
		assert_non_null(strstr(s, "\"478\":478"));
	}
	assert_non_null(strstr(s, "\"drop\":{\"eth_short\":1,\"eth_type\":0,"));
	for (int d = 0; d < CNT_DROP__COUNT; d++) {
		snprintf(want, sizeof(want), "\"%s\":%" PRIu64, cnt_drop_name((enum cnt_drop)d),
			 c->drop[d]);
		assert_non_null(strstr(s, want));
	}
	assert_non_null(strstr(s, "\"drops_total\":111,"));
	assert_non_null(strstr(s, "\"fwd_backend\":{\"be1\":7,\"be\\\"2\":0,\"be\\\\3\":8},"
				  "\"fail_backend\":{\"be1\":0,\"be\\\"2\":0,\"be\\\\3\":0},"));
	free(s);

	/* No backends: an empty object, still valid. */
	s = dump(cnt_dump_json, c, NULL, 0);
	assert_non_null(json_obj(s, NULL, 0));
	assert_non_null(strstr(s, "\"fwd_backend\":{},\"fail_backend\":{},"));
	free(s);

	/* Histograms: bucket upper bounds inclusive, the last unbounded. */
	{
		memset(c->lat_first, 0, sizeof(c->lat_first));
		c->lat_first_sum_ms = 0;
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 0);
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 1);
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 2);
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 3);
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 30000);
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, 30001);
		assert_int_equal(c->lat_first_sum_ms, 60007);
		s = dump(cnt_dump_json, c, NULL, 0);
		assert_non_null(json_obj(s, NULL, 0));
		assert_non_null(strstr(s, "\"lat_first_ms\":{\"1\":2,\"2\":1,\"5\":1,\"10\":0,"));
		assert_non_null(strstr(s, "\"30000\":1,\"inf\":1},\"lat_final_ms\":{"));
		free(s);
	}

	/* A free slot (NULL name) is left out, the others keep their index. */
	{
		const char *const holes[3] = { "a", NULL, "c" };

		s = dump(cnt_dump_json, c, holes, 3);
		assert_non_null(json_obj(s, NULL, 0));
		assert_non_null(strstr(s, "\"fwd_backend\":{\"a\":7,\"c\":8},"));
		assert_non_null(strstr(s, "\"lat_first_ms_backend\":{\"a\":{\"1\":0,"));
		assert_null(strstr(s, "\"lat_first_ms_backend\":{\"a\":{\"1\":0,\"2\":0,\"5\":0,"
				      "\"10\":0,\"20\":0,\"50\":0,\"100\":0,\"200\":0,\"500\":0,"
				      "\"1000\":0,\"2000\":0,\"5000\":0,\"10000\":0,\"30000\":0,"
				      "\"inf\":0},\"\"")); /* no entry for the free slot */
		free(s);
	}
}

static void
test_text(void **state)
{
	static const char *const bk[2] = { "be1", "be2" };
	struct cnt_core *c;
	char *s;

	(void)state;
	c = &c_a;
	memset(c, 0, sizeof(*c));
	s = dump(cnt_dump_text, c, bk, 2);
	assert_string_equal(s, "");
	free(s);

	c->rx_pkts = 5;
	c->icmp_echo = 1;
	c->sip_req[SIP_M_BYE] = 2;
	c->sip_req[SIP_M_OTHER] = 1;
	c->sip_resp[4] = 3;
	c->reply[CNT_REPLY_R513] = 4;
	c->drop[CNT_DROP_NO_ROUTE] = 6;
	c->fwd_backend[1] = 8;
	s = dump(cnt_dump_text, c, bk, 2);
	assert_string_equal(s, "rx_pkts 5\n"
			       "icmp_echo 1\n"
			       "sip_req.BYE 2\n"
			       "sip_req.OTHER 1\n"
			       "sip_resp.4xx 3\n"
			       "reply.513 4\n"
			       "drop.no_route 6\n"
			       "drops_total 6\n"
			       "fwd_backend.be2 8\n");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
