/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy behaviour (RFC 3261 §16, §16.11; RFC 3581), driven through
 * px_process() with real messages, checking the bytes that would go out.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "bk.h"
#include "cnt.h"
#include "px.h"
#include "sip.h"
#include "txn.h"

#define IP(a, b, c, d) rte_cpu_to_be_32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define LB IP(198, 18, 0, 10)
#define CLIENT IP(198, 18, 0, 2)
#define BE1 IP(198, 18, 0, 21)
#define BE2 IP(198, 18, 0, 22)

struct fx {
	struct bk_set *bks;
	struct px_conf pc;
	struct cnt_core cnt;
	struct px_res res;
	char out[4096];
	uint16_t out_len;
};

static int
setup(void **state)
{
	struct bk b[2] = {
		{ .addr = BE1, .port = 5060, .weight = 1, .name_len = 3, .name = "be1" },
		{ .addr = BE2, .port = 5060, .weight = 1, .name_len = 3, .name = "be2" },
	};
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->bks = bk_set_create(b, 2);
	assert_non_null(f->bks);
	px_conf_init(&f->pc, LB, 5060, 1500, true, f->bks);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	bk_set_free(f->bks);
	free(f);
	return 0;
}

/* Run one message through the proxy; the result is NUL-terminated in f->out. */
static enum px_act
run(struct fx *f, const char *msg, uint32_t src, uint16_t sport)
{
	size_t len = strlen(msg);
	char *in = test_malloc(len); /* exact size: reading past it is caught */
	enum px_act a;

	memcpy(in, msg, len);
	memset(&f->res, 0, sizeof(f->res));
	a = px_process(&f->pc, &f->cnt, in, (uint16_t)len, src, sport, f->out,
		       sizeof(f->out) - 1, &f->res);
	f->out_len = a == PX_DROP ? 0 : f->res.len;
	f->out[f->out_len] = '\0';
	test_free(in);
	return a;
}

/* The value of the n-th (0-based) header line starting with name. */
static const char *
line(const struct fx *f, const char *name, int n, char *buf, size_t cap)
{
	const char *p = f->out;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncmp(p, name, nl) == 0 && n-- == 0) {
			const char *e = strstr(p, "\r\n");
			size_t l = (size_t)(e - p);

			if (l >= cap)
				l = cap - 1;
			memcpy(buf, p, l);
			buf[l] = '\0';
			return buf;
		}
	}
	return NULL;
}

#define INVITE(callid, branch, extra)                                          \
	"INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"                      \
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=" branch ";rport\r\n"          \
	"Max-Forwards: 70\r\n"                                                 \
	"From: sipp <sip:sipp@198.18.0.2:5060>;tag=1\r\n"                      \
	"To: <sip:service@198.18.0.10:5060>\r\n"                               \
	"Call-ID: " callid "\r\n"                                              \
	"CSeq: 1 INVITE\r\n"                                                   \
	"Contact: <sip:sipp@198.18.0.2:5060>\r\n"                              \
	extra                                                                  \
	"Content-Type: application/sdp\r\n"                                    \
	"Content-Length: 10\r\n"                                               \
	"\r\n"                                                                 \
	"v=0\r\no=x\r\n"

static void
invite_forwarded_to_backend(void **state)
{
	struct fx *f = *state;
	char b[256];
	struct sip_msg m;
	int bk;

	assert_int_equal(run(f, INVITE("c1@x", "z9hG4bK-1", ""), CLIENT, 5060), PX_FORWARD);
	bk = f->res.backend;
	assert_true(bk == 0 || bk == 1);
	assert_int_equal(f->res.dst_ip, f->bks->bk[bk].addr);
	assert_int_equal(f->res.dst_port, 5060);
	assert_int_equal(bk, bk_set_pick(f->bks, SV_LIT("c1@x")));
	/* our Via first, then the client's with rport filled and received */
	assert_non_null(line(f, "Via:", 0, b, sizeof(b)));
	assert_memory_equal(b, "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb", 51);
	assert_int_equal(strlen(b), 51 + 16);
	assert_non_null(line(f, "Via:", 1, b, sizeof(b)));
	assert_string_equal(b, "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1;rport=5060;"
			       "received=198.18.0.2");
	assert_string_equal(line(f, "Max-Forwards:", 0, b, sizeof(b)), "Max-Forwards: 69");
	assert_string_equal(line(f, "Record-Route:", 0, b, sizeof(b)),
			    bk ? "Record-Route: <sip:198.18.0.10:5060;lr;bk=be2>" :
				 "Record-Route: <sip:198.18.0.10:5060;lr;bk=be1>");
	/* the result is a valid SIP message with the body intact */
	assert_int_equal(sip_parse_msg(f->out, f->out_len, &m), SIP_OK);
	assert_int_equal(m.body_len, 10);
	assert_memory_equal(f->out + m.body_off, "v=0\r\no=x\r\n", 10);
	assert_int_equal(f->cnt.fwd_req, 1);
	assert_int_equal(f->cnt.fwd_backend[bk], 1);
	assert_int_equal(f->cnt.sip_req[SIP_M_INVITE], 1);
}

static void
same_callid_same_backend(void **state)
{
	struct fx *f = *state;
	unsigned hits[2] = { 0, 0 };
	char msg[1024];

	for (int i = 0; i < 400; i++) {
		int bk;

		snprintf(msg, sizeof(msg), INVITE("%d@198.18.0.2", "z9hG4bK-%d", ""), i, i);
		assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
		bk = f->res.backend;
		hits[bk]++;
		/* the BYE of the same call, sipp style (no Route), goes there too */
		snprintf(msg, sizeof(msg),
			 "BYE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-b%d\r\n"
			 "From: <sip:sipp@198.18.0.2>;tag=1\r\nTo: <sip:s@198.18.0.10>;tag=2\r\n"
			 "Call-ID: %d@198.18.0.2\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
			 "Content-Length: 0\r\n\r\n", i, i);
		assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
		assert_int_equal(f->res.backend, bk);
	}
	assert_true(hits[0] > 150 && hits[1] > 150);
}

static void
branch_is_deterministic(void **state)
{
	struct fx *f = *state;
	char b1[128], b2[128], b3[128];

	run(f, INVITE("c2@x", "z9hG4bK-abc", ""), CLIENT, 5060);
	line(f, "Via:", 0, b1, sizeof(b1));
	/* a retransmission gets the same branch */
	run(f, INVITE("c2@x", "z9hG4bK-abc", ""), CLIENT, 5060);
	line(f, "Via:", 0, b2, sizeof(b2));
	assert_string_equal(b1, b2);
	/* so does its CANCEL (same branch, same sent-by, §9.1) */
	assert_int_equal(run(f,
		"CANCEL sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-abc;rport\r\n"
		"Max-Forwards: 70\r\nFrom: sipp <sip:sipp@198.18.0.2:5060>;tag=1\r\n"
		"To: <sip:service@198.18.0.10:5060>\r\nCall-ID: c2@x\r\nCSeq: 1 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_FORWARD);
	line(f, "Via:", 0, b3, sizeof(b3));
	assert_string_equal(b1, b3);
	/* another transaction gets another branch */
	run(f, INVITE("c2@x", "z9hG4bK-abd", ""), CLIENT, 5060);
	line(f, "Via:", 0, b2, sizeof(b2));
	assert_string_not_equal(b1, b2);
}

static void
max_forwards_zero_gets_483(void **state)
{
	struct fx *f = *state;
	char b[256];
	const char *msg =
		"OPTIONS sip:service@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bK-mf\r\n"
		"Max-Forwards: 0\r\nFrom: <sip:a@198.18.0.2>;tag=9\r\n"
		"To: <sip:service@198.18.0.10>\r\nCall-ID: mf0@x\r\nCSeq: 7 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";

	assert_int_equal(run(f, msg, CLIENT, 40000), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 483 Too Many Hops\r\n", 27);
	/* §18.2.2: no rport, so to the sent-by port at the source address */
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5070);
	assert_non_null(line(f, "To:", 0, b, sizeof(b)));
	assert_non_null(strstr(b, ";tag="));
	assert_string_equal(line(f, "Call-ID:", 0, b, sizeof(b)), "Call-ID: mf0@x");
	assert_string_equal(line(f, "CSeq:", 0, b, sizeof(b)), "CSeq: 7 OPTIONS");
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bK-mf");
	assert_int_equal(f->cnt.reply[CNT_REPLY_R483], 1);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_MAX_FWD_ZERO], 1);
}

/* OPTIONS for siplb itself is answered here; for a user or a route it is
 * a request like any other and goes on. */
static void
options_for_us_answered(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f,
		"OPTIONS sip:198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-ka;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:sbc@198.18.0.2>;tag=9\r\n"
		"To: <sip:198.18.0.10>\r\nCall-ID: ka@x\r\nCSeq: 7 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 40000), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 200 OK\r\n", 16);
	assert_int_equal(f->res.dst_port, 40000);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R200], 1);
	assert_int_equal(f->cnt.fwd_req, 0);
	assert_int_equal(cnt_drops_total(&f->cnt), 0);

	assert_int_equal(run(f,
		"OPTIONS sip:service@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-ka2\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:sbc@198.18.0.2>;tag=9\r\n"
		"To: <sip:service@198.18.0.10>\r\nCall-ID: ka2@x\r\nCSeq: 8 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_FORWARD);
	assert_true(f->res.backend >= 0);

	assert_int_equal(run(f,
		"OPTIONS sip:198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-ka3\r\n"
		"Route: <sip:198.18.0.22;lr>\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:sbc@198.18.0.2>;tag=9\r\n"
		"To: <sip:198.18.0.10>\r\nCall-ID: ka3@x\r\nCSeq: 9 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_FORWARD);
	assert_int_equal(f->res.dst_ip, BE2);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R200], 1);
}

static void
missing_max_forwards_added(void **state)
{
	struct fx *f = *state;
	char b[128];

	assert_int_equal(run(f,
		"MESSAGE sip:service@198.18.0.10 SIP/2.0\r\n"
		"v: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-m\r\n"
		"f: <sip:a@198.18.0.2>;tag=9\r\nt: <sip:service@198.18.0.10>\r\n"
		"i: nomf@x\r\nCSeq: 7 MESSAGE\r\nl: 0\r\n\r\n", CLIENT, 5060), PX_FORWARD);
	assert_string_equal(line(f, "Max-Forwards:", 0, b, sizeof(b)), "Max-Forwards: 70");
	/* source equals sent-by and no rport: no received added */
	assert_string_equal(line(f, "v:", 0, b, sizeof(b)),
			    "v: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-m");
	/* MESSAGE does not create a dialog: no Record-Route */
	assert_null(line(f, "Record-Route:", 0, b, sizeof(b)));
}

static void
received_added_when_source_differs(void **state)
{
	struct fx *f = *state;
	char b[128];

	run(f, "OPTIONS sip:service@198.18.0.10 SIP/2.0\r\n"
	       "Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-nat\r\n"
	       "Max-Forwards: 5\r\nFrom: <sip:a@x>;tag=9\r\nTo: <sip:b@y>\r\n"
	       "Call-ID: nat@x\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	    CLIENT, 5060);
	assert_string_equal(line(f, "Via:", 1, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-nat;received=198.18.0.2");
	assert_string_equal(line(f, "Max-Forwards:", 0, b, sizeof(b)), "Max-Forwards: 4");
}

static void
response_via_popped(void **state)
{
	struct fx *f = *state;
	char b[128];

	assert_int_equal(run(f,
		"SIP/2.0 180 Ringing\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb0123456789abcdef\r\n"
		"Via: SIP/2.0/UDP 10.1.1.1:5062;branch=z9hG4bK-1;rport=40000;received=198.18.0.2\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_FORWARD);
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 40000);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 10.1.1.1:5062;branch=z9hG4bK-1;rport=40000;"
			    "received=198.18.0.2");
	assert_null(line(f, "Via:", 1, b, sizeof(b)));
	assert_int_equal(f->cnt.fwd_resp, 1);
	assert_int_equal(f->cnt.sip_resp[1], 1);

	/* both values in one line: only ours goes; no rport: sent-by port */
	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb0123456789abcdef , "
		"SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_FORWARD);
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5064);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-1");
}

/* Our Via as a backend may return it: with a received parameter added, or
 * with other spacing. Not the exact text we wrote, still ours. */
static void
response_our_via_altered(void **state)
{
	struct fx *f = *state;
	char b[128];

	assert_int_equal(run(f,
		"SIP/2.0 180 Ringing\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb0123456789abcdef"
		";received=198.18.0.10\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_FORWARD);
	assert_int_equal(f->res.dst_port, 5062);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-1");
	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"v: SIP / 2.0 / UDP 198.18.0.10:5060 ;branch=z9hG4bKslb0123456789abcdef,"
		"SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_FORWARD);
	assert_int_equal(f->res.dst_port, 5064);
	assert_string_equal(line(f, "v:", 0, b, sizeof(b)),
			    "v: SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-1");
	/* our exact text, but the branch is not 16 hex digits: full parse,
	 * still our address and branch prefix, so ours */
	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslbXYZ\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_FORWARD);
	assert_int_equal(f->cnt.fwd_resp, 3);
}

static void
response_foreign_via_dropped(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.99:5060;branch=z9hG4bKslb0123456789abcdef\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_RESP_FOREIGN_VIA], 1);
	/* ours by address but not by branch: not ours either */
	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-other\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_RESP_FOREIGN_VIA], 2);
	/* ours, but nothing below it */
	assert_int_equal(run(f,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb0123456789abcdef\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r@x\r\n"
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE1, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_RESP_NO_VIA], 1);
}

static void
in_dialog_route_to_named_backend(void **state)
{
	struct fx *f = *state;
	char b[128];
	/* The Call-ID alone would pick some backend; the Route names the other. */
	int other = 1 - bk_set_pick(f->bks, SV_LIT("dlg@x"));
	char msg[1024];

	snprintf(msg, sizeof(msg),
		 "BYE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-bye\r\n"
		 "Route: <sip:198.18.0.10:5060;lr;bk=%s>\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n"
		 "Call-ID: dlg@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		 f->bks->bk[other].name);
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
	assert_int_equal(f->res.backend, other);
	assert_int_equal(f->res.dst_ip, f->bks->bk[other].addr);
	assert_null(line(f, "Route:", 0, b, sizeof(b)));
}

static void
request_from_backend_follows_ruri(void **state)
{
	struct fx *f = *state;
	char b[128];

	/* The backend's BYE towards the client: our Route names be1, the
	 * sender; it must go to the Request-URI, not back to be1. */
	assert_int_equal(run(f,
		"BYE sip:alice@198.18.0.2:5062 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.21:5060;branch=z9hG4bK-be\r\n"
		"Route: <sip:198.18.0.10:5060;lr;bk=be1>, <sip:198.18.0.2:5090;lr>\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:b@y>;tag=2\r\nTo: <sip:a@x>;tag=1\r\n"
		"Call-ID: back@x\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n", BE1, 5060),
		PX_FORWARD);
	/* the next Route wins over the Request-URI (loose routing) */
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5090);
	assert_int_equal(f->res.backend, -1);
	assert_non_null(line(f, "Route:", 0, b, sizeof(b)));
	assert_null(strstr(b, "198.18.0.10"));
	assert_non_null(strstr(b, "<sip:198.18.0.2:5090;lr>"));

	assert_int_equal(run(f,
		"BYE sip:alice@198.18.0.2:5062 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.21:5060;branch=z9hG4bK-be2\r\n"
		"Route: <sip:198.18.0.10:5060;lr;bk=be1>\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:b@y>;tag=2\r\nTo: <sip:a@x>;tag=1\r\n"
		"Call-ID: back@x\r\nCSeq: 10 BYE\r\nContent-Length: 0\r\n\r\n", BE1, 5060),
		PX_FORWARD);
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5062);
	assert_null(line(f, "Route:", 0, b, sizeof(b)));
}

static void
invite_from_backend_records_its_name(void **state)
{
	struct fx *f = *state;
	char b[128];

	assert_int_equal(run(f,
		"INVITE sip:alice@198.18.0.2:5062 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.22:5060;branch=z9hG4bK-out\r\n"
		"Record-Route: <sip:198.18.0.22;lr>\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:b@y>;tag=2\r\nTo: <sip:a@x>\r\n"
		"Call-ID: out@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", BE2, 5060),
		PX_FORWARD);
	assert_int_equal(f->res.dst_ip, CLIENT);
	/* ours above the backend's, naming the backend the dialog lives on */
	assert_string_equal(line(f, "Record-Route:", 0, b, sizeof(b)),
			    "Record-Route: <sip:198.18.0.10:5060;lr;bk=be2>");
	assert_string_equal(line(f, "Record-Route:", 1, b, sizeof(b)),
			    "Record-Route: <sip:198.18.0.22;lr>");
}

static void
hostname_needs_dns_gets_478(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f,
		"OPTIONS sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-dns;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
		"Call-ID: dns@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", CLIENT, 4444),
		PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 478 ", 12);
	assert_int_equal(f->res.dst_port, 4444); /* rport: back to the source port */
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_DNS], 1);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R478], 1);
}

static void
malformed_requests(void **state)
{
	struct fx *f = *state;

	/* missing Call-ID: 400 */
	assert_int_equal(run(f,
		"OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 400 ", 12);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_CALL_ID], 1);
	/* the same ACK: counted, never answered */
	assert_int_equal(run(f,
		"ACK sip:s@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCSeq: 1 ACK\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_CALL_ID], 2);
	/* CSeq method differs from the request's */
	assert_int_equal(run(f,
		"OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_REPLY);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_CSEQ], 1);
	/* SIP/3.0: 505 */
	assert_int_equal(run(f,
		"OPTIONS sip:s@198.18.0.10 SIP/3.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 505 ", 12);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R505], 1);
	/* Content-Length beyond the datagram: 400 */
	assert_int_equal(run(f,
		"OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
		"Content-Length: 100\r\n\r\nshort", CLIENT, 5060), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 400 ", 12);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_CLEN_SHORT], 1);
	/* no Via: nowhere to answer, dropped */
	assert_int_equal(run(f,
		"OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n", CLIENT, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_VIA], 1);
	/* garbage */
	assert_int_equal(run(f, "\x01\x02garbage\r\n\r\n", CLIENT, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_START_LINE], 1);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R400], 3);
}

static void
bytes_past_content_length_cut(void **state)
{
	struct fx *f = *state;
	struct sip_msg m;

	assert_int_equal(run(f,
		"MESSAGE sip:s@198.18.0.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n"
		"Max-Forwards: 9\r\nContent-Length: 5\r\n\r\nhellojunkjunk", CLIENT, 5060),
		PX_FORWARD);
	assert_int_equal(sip_parse_msg(f->out, f->out_len, &m), SIP_OK);
	assert_int_equal(m.body_off + 5, f->out_len);
	assert_memory_equal(f->out + m.body_off, "hello", 5);
}

static void
too_big_gets_513(void **state)
{
	struct fx *f = *state;
	static char msg[2000];
	char body[1261];

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	snprintf(msg, sizeof(msg),
		 "MESSAGE sip:s@198.18.0.10 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-1\r\n"
		 "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n"
		 "Max-Forwards: 9\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	assert_true(strlen(msg) <= 1472); /* it fits the MTU as it came */
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 513 ", 12);
	assert_int_equal(f->cnt.drop[CNT_DROP_TOO_BIG], 1);
}

/* An answer copies the request's Via/From/To/Call-ID/CSeq lines, so it can
 * outgrow the MTU too (found by fuzzing): it is not sent, and the request
 * is counted under its reason. */
static void
answer_larger_than_mtu_not_sent(void **state)
{
	struct fx *f = *state;
	static char msg[1600];
	int n;

	n = snprintf(msg, sizeof(msg),
		     "OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-big\r\n"
		     "From: <sip:a@x>;tag=1\r\nCSeq: 1 OPTIONS\r\n");
	while (n < 1340)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "To: <sip:%0100d@y>\r\n", n);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "Content-Length: 0\r\n\r\n");
	assert_true(strlen(msg) <= 1472);
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_DROP);
	assert_int_equal(f->cnt.drop[CNT_DROP_SIP_CALL_ID], 1);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R400], 0);
}

static void
no_backend_gets_503(void **state)
{
	struct fx *f = *state;
	struct bk_set *empty = bk_set_create(NULL, 0);
	struct px_conf pc;

	assert_non_null(empty);
	pc = f->pc;
	px_conf_init(&f->pc, LB, 5060, 1500, true, empty);
	assert_int_equal(run(f, INVITE("nb@x", "z9hG4bK-nb", ""), CLIENT, 5060), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 503 ", 12);
	assert_int_equal(f->cnt.drop[CNT_DROP_NO_BACKEND], 1);
	f->pc = pc;
	bk_set_free(empty);
}

/* Every fixture, every truncation: no crash, no read past the buffer
 * (test_malloc guards it), a decision and consistent counters. */
static void
fixtures_never_crash(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = {
		"valid-invite-sdp.sip", "valid-200-invite-sdp.sip", "valid-multi-via-one-line.sip",
		"valid-folded-header.sip", "valid-compact-invite.sip", "bad-clen-short.sip",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512], *buf;
		FILE *fp;
		long len;

		snprintf(path, sizeof(path), "%s/sip/%s", FIXTURES_DIR, names[i]);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		rewind(fp);
		buf = malloc((size_t)len + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
		fclose(fp);
		for (long n = 0; n <= len; n++) {
			char *in = test_malloc((size_t)n + 1);
			uint64_t before = f->cnt.fwd_req + f->cnt.fwd_resp;
			enum px_act a;

			memcpy(in, buf, (size_t)n);
			a = px_process(&f->pc, &f->cnt, in, (uint16_t)n, CLIENT, 5060,
				       f->out, sizeof(f->out), &f->res);
			if (a == PX_FORWARD)
				assert_int_equal(f->cnt.fwd_req + f->cnt.fwd_resp, before + 1);
			test_free(in);
		}
		free(buf);
	}
}

/*
 * Stateful-mode building blocks: px_msg with a px_opt, px_txn_key, px_reply,
 * px_hop_request, and the ACK of a final of ours.
 */

#define OUR_VIA "Via: SIP/2.0/UDP 198.18.0.10:5060;branch="

/* A parsed copy of msg in an exact-size test_malloc buffer (reads past it
 * are caught); the caller test_frees the returned buffer. */
static char *
parse(const char *msg, struct sip_msg *m)
{
	size_t len = strlen(msg);
	char *in = test_malloc(len);

	memcpy(in, msg, len);
	assert_int_equal(sip_parse_msg(in, (uint16_t)len, m), SIP_OK);
	return in;
}

/* px_msg on a parsed message; the result is NUL-terminated in f->out. The
 * result fields are preset to wrong values so that unset ones show. */
static enum px_act
run_msg(struct fx *f, const struct sip_msg *m, uint32_t src, uint16_t sport,
	const struct px_opt *opt)
{
	enum px_act a;

	memset(&f->res, 0, sizeof(f->res));
	f->res.backend = 99;
	f->res.picked = !f->res.picked;
	a = px_msg(&f->pc, &f->cnt, m, src, sport, opt, f->out, sizeof(f->out) - 1, &f->res);
	f->out_len = a == PX_DROP || a == PX_ABSORB ? 0 : f->res.len;
	f->out[f->out_len] = '\0';
	return a;
}

/* The branch of the top Via of f->out, NUL-terminated in buf. */
static const char *
out_top_branch(const struct fx *f, char *buf, size_t cap)
{
	struct sip_msg m;
	struct sip_via via;
	const struct sip_hdr *vh;

	assert_int_equal(sip_parse_msg(f->out, f->out_len, &m), SIP_OK);
	vh = sip_hdr_first(&m, SIP_H_VIA);
	assert_non_null(vh);
	assert_int_equal(sip_via_parse(vh->value, &via, NULL), 0);
	assert_true(via.branch.len < cap);
	memcpy(buf, via.branch.p, via.branch.len);
	buf[via.branch.len] = '\0';
	return buf;
}

/* px_conf on two backends with distinct ports, so a destination says which. */
static struct bk_set *
two_ports(struct fx *f)
{
	struct bk b[2] = {
		{ .addr = BE1, .port = 5060, .weight = 1, .name_len = 3, .name = "be1" },
		{ .addr = BE2, .port = 5080, .weight = 1, .name_len = 3, .name = "be2" },
	};
	struct bk_set *s = bk_set_create(b, 2);

	assert_non_null(s);
	px_conf_init(&f->pc, LB, 5060, 1500, true, s);
	return s;
}

static void
stateful_branch_and_failover(void **state)
{
	struct fx *f = *state;
	struct bk_set *s = two_ports(f);
	struct px_opt opt = { .h = UINT64_C(0x0123456789abcdef), .backend = -1, .try_k = 0 };
	char b[256], want[TXN_BRANCH_LEN + 1];
	struct sip_msg m;
	uint64_t h = 0;
	unsigned k = 9;
	char *in = parse(INVITE("sf@x", "z9hG4bK-sf", ""), &m);
	int pick = bk_set_pick(s, SV_LIT("sf@x")), other = 1 - pick;

	assert_true(pick == 0 || pick == 1);
	assert_int_equal(txn_branch_fmt(want, opt.h, 0), TXN_BRANCH_LEN);
	want[TXN_BRANCH_LEN] = '\0';
	assert_string_equal(want, "z9hG4bKslb0123456789abcdef.0");

	/* try 0: the Maglev pick, with the transaction's branch */
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)), OUR_VIA "z9hG4bKslb0123456789abcdef.0");
	assert_string_equal(out_top_branch(f, b, sizeof(b)), want);
	assert_true(txn_branch_parse((struct sv){ b, (uint16_t)strlen(b) }, &h, &k) == 0);
	assert_true(h == opt.h);
	assert_int_equal(k, 0);
	assert_true(f->res.picked);
	assert_int_equal(f->res.backend, pick);
	assert_int_equal(f->res.dst_ip, s->bk[pick].addr);
	assert_int_equal(f->res.dst_port, s->bk[pick].port);
	assert_string_equal(line(f, "Via:", 1, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-sf;rport=5060;"
			    "received=198.18.0.2");
	assert_null(line(f, "Via:", 2, b, sizeof(b)));

	/* try 2 on the other backend */
	opt.backend = (int16_t)other;
	opt.try_k = 2;
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_true(f->res.picked);
	assert_int_equal(f->res.backend, other);
	assert_int_equal(f->res.dst_ip, s->bk[other].addr);
	assert_int_equal(f->res.dst_port, s->bk[other].port);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)), OUR_VIA "z9hG4bKslb0123456789abcdef.2");
	snprintf(want, sizeof(want), "bk=%s>", s->bk[other].name);
	assert_non_null(line(f, "Record-Route:", 0, b, sizeof(b)));
	assert_string_equal(b + strlen(b) - strlen(want), want);
	assert_null(line(f, "Record-Route:", 1, b, sizeof(b)));
	assert_int_equal(f->cnt.fwd_backend[pick], 1);
	assert_int_equal(f->cnt.fwd_backend[other], 1);

	/* try_k < 0: the stateless branch, the failover backend still applies */
	opt.try_k = -1;
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_int_equal(f->res.backend, other);
	assert_non_null(line(f, "Via:", 0, b, sizeof(b)));
	assert_int_equal(strlen(b), strlen(OUR_VIA "z9hG4bKslb") + 16);
	assert_null(strchr(b + strlen(OUR_VIA), '.'));

	/* a backend index out of range is no failover: the pick again */
	opt.backend = 2;
	opt.try_k = 1;
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_int_equal(f->res.backend, pick);
	assert_true(f->res.picked);

	test_free(in);
	bk_set_free(s);
}

/* Requests the decision did not place keep their destination whatever
 * opt.backend says. */
static void
stateful_unpicked_not_redirected(void **state)
{
	struct fx *f = *state;
	struct bk_set *s = two_ports(f);
	struct px_opt opt = { .h = 42, .backend = 0, .try_k = 1 };
	struct sip_msg m;
	char *in;

	/* a Route onward (to be2) */
	in = parse("INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-r1\r\n"
		   "Route: <sip:198.18.0.22:5080;lr>\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
		   "Call-ID: r1@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_false(f->res.picked);
	assert_int_equal(f->res.backend, 1);
	assert_int_equal(f->res.dst_ip, BE2);
	assert_int_equal(f->res.dst_port, 5080);
	test_free(in);

	/* our Route, then one onward to the client */
	in = parse("INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-r2\r\n"
		   "Route: <sip:198.18.0.10;lr>, <sip:198.18.0.2:5090;lr>\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
		   "Call-ID: r2@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_false(f->res.picked);
	assert_int_equal(f->res.backend, -1);
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5090);
	test_free(in);

	/* in dialog: our Route names be2, opt.backend says be1 */
	in = parse("BYE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-r3\r\n"
		   "Route: <sip:198.18.0.10:5060;lr;bk=be2>\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n"
		   "Call-ID: r3@x\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_FORWARD);
	assert_false(f->res.picked);
	assert_int_equal(f->res.backend, 1);
	assert_int_equal(f->res.dst_ip, BE2);
	assert_int_equal(f->res.dst_port, 5080);
	test_free(in);

	/* a Request-URI that is not us: there */
	in = parse("OPTIONS sip:bob@198.18.0.2:5062 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.22:5080;branch=z9hG4bK-r4\r\n"
		   "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
		   "Call-ID: r4@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(run_msg(f, &m, BE2, 5080, &opt), PX_FORWARD);
	assert_false(f->res.picked);
	assert_int_equal(f->res.backend, -1);
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 5062);
	test_free(in);

	assert_int_equal(f->cnt.fwd_backend[0], 0);
	bk_set_free(s);
}

#define TK_FROM "From: sipp <sip:sipp@198.18.0.2:5060>;tag=1\r\n"
#define TK_TO "To: <sip:service@198.18.0.10:5060>"

static uint64_t
key_of(const char *msg, struct sip_via *via)
{
	struct sip_msg m;
	uint64_t h = 0;
	char *in = parse(msg, &m);

	assert_int_equal(px_txn_key(&m, via, &h), 0);
	test_free(in);
	return h;
}

static void
txn_key_shared_by_transaction(void **state)
{
	struct fx *f = *state;
	struct sip_via via;
	uint64_t h, h2;
	char b[128], want[128], hex[17];

	h = key_of(INVITE("tk@x", "z9hG4bK-tk", ""), &via);
	/* *via is the top Via; its views died with the buffer, check fields */
	assert_int_equal(via.port, 5060);
	assert_true(via.has_rport);

	/* the stateless branch is PX_BRANCH_PREFIX + the 16 hex digits of h */
	assert_int_equal(run(f, INVITE("tk@x", "z9hG4bK-tk", ""), CLIENT, 5060), PX_FORWARD);
	snprintf(hex, sizeof(hex), "%016" PRIx64, h);
	snprintf(want, sizeof(want), OUR_VIA PX_BRANCH_PREFIX "%s", hex);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)), want);

	/* its CANCEL: same top Via (§9.1) */
	h2 = key_of("CANCEL sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-tk;rport\r\n"
		    "Max-Forwards: 70\r\n" TK_FROM TK_TO "\r\n"
		    "Call-ID: tk@x\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n", &via);
	assert_true(h2 == h);
	/* the ACK of a non-2xx: same top Via, To tag added (§17.1.1.3) */
	h2 = key_of("ACK sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-tk;rport\r\n"
		    "Max-Forwards: 70\r\n" TK_FROM TK_TO ";tag=be-487\r\n"
		    "Call-ID: tk@x\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", &via);
	assert_true(h2 == h);
	/* a retransmission arriving with a received/rport filled by a NAT-ed
	 * peer: sent-by and branch are what count (§17.2.3) */
	h2 = key_of("CANCEL sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-tk\r\n"
		    "Max-Forwards: 70\r\n" TK_FROM TK_TO "\r\n"
		    "Call-ID: tk@x\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n", &via);
	assert_true(h2 == h);

	/* another branch, another sent-by port: another transaction */
	h2 = key_of(INVITE("tk@x", "z9hG4bK-tl", ""), &via);
	assert_true(h2 != h);
	h2 = key_of("INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5061;branch=z9hG4bK-tk;rport\r\n"
		    "Max-Forwards: 70\r\n" TK_FROM TK_TO "\r\n"
		    "Call-ID: tk@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &via);
	assert_true(h2 != h);
	assert_int_equal(via.port, 5061);
	h2 = key_of("INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bK-tk;rport\r\n"
		    "Max-Forwards: 70\r\n" TK_FROM TK_TO "\r\n"
		    "Call-ID: tk@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &via);
	assert_true(h2 != h);
}

/* RFC 2543 peers (no magic cookie): the §16.11 fields name the transaction. */
static void
txn_key_rfc2543(void **state)
{
	struct sip_via via;
	uint64_t h, h2;

	(void)state;
#define OLD(method, to_tag, cseq)                                              \
	method " sip:service@198.18.0.10:5060 SIP/2.0\r\n"                     \
	"Via: SIP/2.0/UDP 198.18.0.2:5060\r\n"                                 \
	"Max-Forwards: 70\r\n" TK_FROM TK_TO to_tag "\r\n"                     \
	"Call-ID: old@x\r\nCSeq: " cseq " " method "\r\nContent-Length: 0\r\n\r\n"
	h = key_of(OLD("INVITE", "", "5"), &via);
	assert_int_equal(via.branch.len, 0);
	assert_true(key_of(OLD("INVITE", "", "5"), &via) == h);
	assert_true(key_of(OLD("CANCEL", "", "5"), &via) == h);
	h2 = key_of(OLD("INVITE", "", "6"), &via);
	assert_true(h2 != h);
	/* the ACK of the non-2xx final carries the response's To tag */
	assert_true(key_of(OLD("ACK", ";tag=be-487", "5"), &via) == h);
#undef OLD
}

static void
txn_key_bad_via(void **state)
{
	struct sip_msg m;
	struct sip_via via;
	uint64_t h = 7;
	char *in;

	(void)state;
	in = parse("INVITE sip:s@198.18.0.10 SIP/2.0\r\n"
		   "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: nv@x\r\n"
		   "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(px_txn_key(&m, &via, &h), -1);
	test_free(in);
	in = parse("INVITE sip:s@198.18.0.10 SIP/2.0\r\n"
		   "Via: garbage here\r\n"
		   "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: gv@x\r\n"
		   "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(px_txn_key(&m, &via, &h), -1);
	test_free(in);
	in = parse("INVITE sip:s@198.18.0.10 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP\r\n"
		   "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: gv@x\r\n"
		   "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(px_txn_key(&m, &via, &h), -1);
	test_free(in);
	assert_true(h == 7);
}

/* The To tag value of the response in f->out (8 hex digits), in tag[9]. */
static void
out_to_tag(const struct fx *f, char *tag)
{
	char b[256];
	const char *p;

	assert_non_null(line(f, "To:", 0, b, sizeof(b)));
	p = strstr(b, ";tag=");
	assert_non_null(p);
	p += 5;
	assert_int_equal(strlen(p), 8);
	assert_int_equal(strspn(p, "0123456789abcdef"), 8);
	memcpy(tag, p, 9);
}

static enum px_act
reply(struct fx *f, const struct sip_msg *m, uint16_t sport, uint16_t code,
      const char *reason, uint32_t retry_after, uint16_t cap)
{
	enum px_act a;

	memset(&f->res, 0, sizeof(f->res));
	f->res.picked = true;
	a = px_reply(&f->cnt, m, NULL, CLIENT, sport, code, reason, retry_after, f->out, cap,
		     &f->res);
	f->out_len = a == PX_REPLY ? f->res.len : 0;
	f->out[f->out_len] = '\0';
	return a;
}

/* RFC 3261 §18.2.1 / RFC 3581 §4 in our own answers: received when the
 * source is not the sent-by address, the rport value when asked, the other
 * Via values of the line and the other Via lines untouched. */
static void
reply_via_received_rport(void **state)
{
	struct fx *f = *state;
	struct sip_msg m;
	char b[256];
	char *in = parse("INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP pc.example:5070;branch=z9hG4bK-a ,"
			 " SIP/2.0/UDP 198.18.0.7;branch=z9hG4bK-b\r\n"
			 "Via: SIP/2.0/UDP 198.18.0.8;branch=z9hG4bK-c;rport\r\n"
			 "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: rv@x\r\n"
			 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", &m);

	/* no rport: received only, answered to the sent-by port */
	assert_int_equal(reply(f, &m, 40000, 503, "Service Unavailable", 0,
			       sizeof(f->out) - 1), PX_REPLY);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP pc.example:5070;branch=z9hG4bK-a;received=198.18.0.2 ,"
			    " SIP/2.0/UDP 198.18.0.7;branch=z9hG4bK-b");
	assert_string_equal(line(f, "Via:", 1, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.8;branch=z9hG4bK-c;rport");
	assert_int_equal(f->res.dst_port, 5070);
	test_free(in);

	/* sent-by is the source and no rport: copied as it was */
	in = parse("OPTIONS sip:198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-o\r\n"
		   "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: ro@x\r\n"
		   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(reply(f, &m, 5060, 200, "OK", 0, sizeof(f->out) - 1), PX_REPLY);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-o");
	test_free(in);
}

static void
reply_trying_and_busy(void **state)
{
	struct fx *f = *state;
	struct sip_msg m, o;
	char b[256], tag1[9], tag2[9];
	char *in = parse(INVITE("rp@x", "z9hG4bK-rp", ""), &m), *in2;

	/* 100: no tag (§8.2.6.2), no Retry-After; rport: to the source port */
	assert_int_equal(reply(f, &m, 40000, 100, "Trying", 0, sizeof(f->out) - 1), PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 100 Trying\r\n", 20);
	assert_string_equal(line(f, "To:", 0, b, sizeof(b)), TK_TO);
	assert_null(strstr(f->out, "Retry-After"));
	assert_int_equal(f->res.dst_ip, CLIENT);
	assert_int_equal(f->res.dst_port, 40000);
	assert_int_equal(f->res.backend, -1);
	assert_false(f->res.picked);
	assert_int_equal(sip_parse_msg(f->out, f->out_len, &o), SIP_OK);
	assert_false(o.is_request);
	assert_int_equal(o.status, 100);
	/* RFC 3581 §4: the port it came from, and received with it */
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)),
			    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-rp;rport=40000;"
			    "received=198.18.0.2");
	assert_string_equal(line(f, "Call-ID:", 0, b, sizeof(b)), "Call-ID: rp@x");
	assert_string_equal(line(f, "CSeq:", 0, b, sizeof(b)), "CSeq: 1 INVITE");
	assert_string_equal(line(f, "From:", 0, b, sizeof(b)), "From: sipp <sip:sipp@198.18.0.2:5060>;tag=1");
	assert_int_equal(f->cnt.reply[CNT_REPLY_R100], 1);

	/* 503 with Retry-After, To tag added */
	assert_int_equal(reply(f, &m, 40000, 503, "Service Unavailable", 5, sizeof(f->out) - 1),
			 PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 503 Service Unavailable\r\n", 33);
	assert_string_equal(line(f, "Retry-After:", 0, b, sizeof(b)), "Retry-After: 5");
	assert_int_equal(sip_parse_msg(f->out, f->out_len, &o), SIP_OK);
	assert_int_equal(o.status, 503);
	out_to_tag(f, tag1);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R503], 1);

	/* another request of the same Call-ID: the same tag */
	in2 = parse("OPTIONS sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5064;branch=z9hG4bK-rp2\r\n"
		    "From: <sip:x@y>;tag=77\r\nTo: <sip:z@w>\r\nCall-ID: rp@x\r\n"
		    "CSeq: 9 OPTIONS\r\nContent-Length: 0\r\n\r\n", &o);
	assert_int_equal(reply(f, &o, 40000, 503, "Service Unavailable", 0, sizeof(f->out) - 1),
			 PX_REPLY);
	assert_null(strstr(f->out, "Retry-After"));
	/* no rport: the sent-by port */
	assert_int_equal(f->res.dst_port, 5064);
	out_to_tag(f, tag2);
	assert_string_equal(tag1, tag2);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R503], 2);
	test_free(in2);

	/* another Call-ID: another tag */
	in2 = parse(INVITE("rq@x", "z9hG4bK-rq", ""), &o);
	assert_int_equal(reply(f, &o, 40000, 503, "Service Unavailable", 0, sizeof(f->out) - 1),
			 PX_REPLY);
	out_to_tag(f, tag2);
	assert_string_not_equal(tag1, tag2);
	test_free(in2);

	/* an answer that does not fit: dropped, not counted */
	assert_int_equal(reply(f, &m, 40000, 503, "Service Unavailable", 5, 100), PX_DROP);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R503], 3);
	test_free(in);

	/* a request that already has a To tag keeps it, no second one */
	in = parse("BYE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-rb\r\n"
		   "From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: rb@x\r\n"
		   "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(reply(f, &m, 5060, 503, "Service Unavailable", 0, sizeof(f->out) - 1),
			 PX_REPLY);
	assert_string_equal(line(f, "To:", 0, b, sizeof(b)), "To: <sip:b@y>;tag=2");
	test_free(in);

	/* an ACK is never answered (§17.2.3) */
	in = parse("ACK sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-rp;rport\r\n"
		   TK_FROM TK_TO ";tag=abc\r\nCall-ID: rp@x\r\n"
		   "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(reply(f, &m, 40000, 503, "Service Unavailable", 5, sizeof(f->out) - 1),
			 PX_DROP);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R503], 4);
	test_free(in);

	/* no usable Via: nowhere to answer */
	in = parse("OPTIONS sip:s@198.18.0.10 SIP/2.0\r\n"
		   "Via: garbage\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: g@x\r\n"
		   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", &m);
	assert_int_equal(reply(f, &m, 40000, 503, "Service Unavailable", 0, sizeof(f->out) - 1),
			 PX_DROP);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R503], 4);
	assert_int_equal(f->cnt.reply[CNT_REPLY_R100], 1);
	test_free(in);
}

#define HOP_INVITE(route)                                                      \
	"INVITE sip:service@198.18.0.10:5060;x=1 SIP/2.0\r\n"                  \
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-hop;rport\r\n"         \
	"Max-Forwards: 12\r\n"                                                 \
	route                                                                  \
	"f: sipp <sip:sipp@198.18.0.2:5060>;tag=1\r\n"                         \
	"To: \"Svc\" <sip:service@198.18.0.10:5060>\r\n"                       \
	"Call-ID: hop@x\r\n"                                                   \
	"CSeq: 314 INVITE\r\n"                                                 \
	"Contact: <sip:sipp@198.18.0.2:5060>\r\n"                              \
	"Content-Type: application/sdp\r\n"                                    \
	"Content-Length: 10\r\n"                                               \
	"\r\n"                                                                 \
	"v=0\r\no=x\r\n"

/* px_hop_request into f->out (NUL-terminated), checking it parses. */
static uint16_t
hop(struct fx *f, const struct sip_msg *inv, const struct sip_msg *resp, uint64_t h,
    unsigned k, struct sip_msg *o)
{
	uint16_t n = px_hop_request(&f->pc, inv, resp, h, k, f->out, sizeof(f->out) - 1);

	assert_true(n > 0);
	f->out_len = n;
	f->out[n] = '\0';
	assert_int_equal(sip_parse_msg(f->out, n, o), SIP_OK);
	return n;
}

/* The common part of a CANCEL or ACK of ours about HOP_INVITE. */
static void
check_hop(const struct fx *f, const struct sip_msg *o, const char *method, const char *branch)
{
	const struct sip_hdr *vh = sip_hdr_first(o, SIP_H_VIA);
	char b[256], want[128];
	struct sip_via via;
	struct sv rest;

	snprintf(want, sizeof(want), "%s sip:service@198.18.0.10:5060;x=1 SIP/2.0\r\n", method);
	assert_memory_equal(f->out, want, strlen(want));
	assert_true(o->is_request);
	assert_int_equal(o->method, strcmp(method, "ACK") ? SIP_M_CANCEL : SIP_M_ACK);
	/* exactly one Via, ours, with the try's branch */
	assert_non_null(vh);
	assert_null(sip_hdr_next(o, vh));
	assert_int_equal(sip_via_parse(vh->value, &via, &rest), 0);
	assert_int_equal(rest.len, 0);
	snprintf(want, sizeof(want), OUR_VIA "%s", branch);
	assert_string_equal(line(f, "Via:", 0, b, sizeof(b)), want);
	assert_string_equal(line(f, "Max-Forwards:", 0, b, sizeof(b)), "Max-Forwards: 70");
	assert_null(line(f, "Max-Forwards:", 1, b, sizeof(b)));
	assert_string_equal(line(f, "f:", 0, b, sizeof(b)),
			    "f: sipp <sip:sipp@198.18.0.2:5060>;tag=1");
	assert_string_equal(line(f, "Call-ID:", 0, b, sizeof(b)), "Call-ID: hop@x");
	snprintf(want, sizeof(want), "CSeq: 314 %s", method);
	assert_string_equal(line(f, "CSeq:", 0, b, sizeof(b)), want);
	assert_null(line(f, "CSeq:", 1, b, sizeof(b)));
	assert_string_equal(line(f, "Content-Length:", 0, b, sizeof(b)), "Content-Length: 0");
	assert_int_equal(o->body_len, 0);
	assert_int_equal(o->body_off, f->out_len);
	/* nothing of the INVITE that is not hop-by-hop */
	assert_null(line(f, "Contact:", 0, b, sizeof(b)));
	assert_null(line(f, "Content-Type:", 0, b, sizeof(b)));
}

static void
hop_cancel_and_ack(void **state)
{
	struct fx *f = *state;
	struct sip_msg inv, resp, o;
	uint64_t h = UINT64_C(0xfedcba9876543210);
	char b[256], br[TXN_BRANCH_LEN + 1];
	char *in = parse(HOP_INVITE("Route: <sip:198.18.0.10;lr;bk=be1>\r\n"
				    "Route: <sip:198.18.0.21;lr>\r\n"
				    "Route: <sip:198.18.0.2:5090;lr>\r\n"), &inv);
	char *rin;

	txn_branch_fmt(br, h, 3);
	br[TXN_BRANCH_LEN] = '\0';

	hop(f, &inv, NULL, h, 3, &o);
	check_hop(f, &o, "CANCEL", br);
	assert_string_equal(line(f, "To:", 0, b, sizeof(b)),
			    "To: \"Svc\" <sip:service@198.18.0.10:5060>");
	/* our Route (port 5060 implied) left out, the others kept in order */
	assert_string_equal(line(f, "Route:", 0, b, sizeof(b)), "Route: <sip:198.18.0.21;lr>");
	assert_string_equal(line(f, "Route:", 1, b, sizeof(b)), "Route: <sip:198.18.0.2:5090;lr>");
	assert_null(line(f, "Route:", 2, b, sizeof(b)));

	/* ACK of a 487: the response's To, with its tag */
	rin = parse("SIP/2.0 487 Request Terminated\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslbfedcba9876543210.0\r\n"
		    "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-hop;rport=5060\r\n"
		    "f: sipp <sip:sipp@198.18.0.2:5060>;tag=1\r\n"
		    "t: \"Svc\" <sip:service@198.18.0.10:5060>;tag=be-tag-1\r\n"
		    "Call-ID: hop@x\r\nCSeq: 314 INVITE\r\nContent-Length: 0\r\n\r\n", &resp);
	txn_branch_fmt(br, h, 0);
	hop(f, &inv, &resp, h, 0, &o);
	check_hop(f, &o, "ACK", br);
	assert_string_equal(line(f, "t:", 0, b, sizeof(b)),
			    "t: \"Svc\" <sip:service@198.18.0.10:5060>;tag=be-tag-1");
	assert_null(line(f, "To:", 0, b, sizeof(b)));
	assert_string_equal(line(f, "Route:", 0, b, sizeof(b)), "Route: <sip:198.18.0.21;lr>");
	assert_string_equal(line(f, "Route:", 1, b, sizeof(b)), "Route: <sip:198.18.0.2:5090;lr>");
	assert_null(line(f, "Route:", 2, b, sizeof(b)));
	test_free(rin);
	test_free(in);

	/* a top Route that is not us is kept, and so is a later one that is */
	in = parse(HOP_INVITE("Route: <sip:198.18.0.21;lr>\r\n"
			      "Route: <sip:198.18.0.10:5060;lr>\r\n"), &inv);
	txn_branch_fmt(br, h, 1);
	hop(f, &inv, NULL, h, 1, &o);
	check_hop(f, &o, "CANCEL", br);
	assert_string_equal(line(f, "Route:", 0, b, sizeof(b)), "Route: <sip:198.18.0.21;lr>");
	assert_string_equal(line(f, "Route:", 1, b, sizeof(b)),
			    "Route: <sip:198.18.0.10:5060;lr>");
	test_free(in);

	/* no Route at all */
	in = parse(HOP_INVITE(""), &inv);
	hop(f, &inv, NULL, h, 1, &o);
	check_hop(f, &o, "CANCEL", br);
	assert_null(line(f, "Route:", 0, b, sizeof(b)));
	test_free(in);
}

/* Every capacity short of the result gives 0 and writes nothing past it. */
static void
hop_too_small(void **state)
{
	struct fx *f = *state;
	struct sip_msg inv, o;
	char *in = parse(HOP_INVITE("Route: <sip:198.18.0.21;lr>\r\n"), &inv);
	uint16_t n = hop(f, &inv, NULL, 1, 0, &o);
	char *buf = test_malloc(n);

	for (uint16_t cap = 0; cap < n; cap++) {
		memset(buf, '#', n);
		assert_int_equal(px_hop_request(&f->pc, &inv, NULL, 1, 0, buf, cap), 0);
		for (uint16_t i = cap; i < n; i++)
			assert_int_equal(buf[i], '#');
	}
	assert_int_equal(px_hop_request(&f->pc, &inv, NULL, 1, 0, buf, n), n);
	assert_memory_equal(buf, f->out, n);
	test_free(buf);
	test_free(in);
}

/* The CANCEL must carry the Route set the forwarded INVITE carried
 * (§9.1): compare the Route values of both, for each Route shape. */
static void
hop_route_set_as_forwarded(void **state)
{
	struct fx *f = *state;
	static const char *const shapes[] = {
		HOP_INVITE("Route: <sip:198.18.0.10;lr;bk=be1>\r\n"
			   "Route: <sip:198.18.0.21;lr>\r\n"),
		HOP_INVITE("Route: <sip:198.18.0.21;lr>, <sip:198.18.0.2:5090;lr>\r\n"),
		/* our Route shares its line with the next */
		HOP_INVITE("Route: <sip:198.18.0.10;lr>, <sip:198.18.0.21;lr>\r\n"),
	};

	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct sip_msg inv, o;
		char fwd[8][128], b[128];
		unsigned n = 0;
		char *in = parse(shapes[i], &inv);

		assert_int_equal(run_msg(f, &inv, CLIENT, 5060, NULL), PX_FORWARD);
		while (n < 8 && line(f, "Route:", (int)n, fwd[n], sizeof(fwd[n])))
			n++;
		assert_true(n > 0);
		hop(f, &inv, NULL, 5, 0, &o);
		for (unsigned j = 0; j < n; j++) {
			assert_non_null(line(f, "Route:", (int)j, b, sizeof(b)));
			assert_string_equal(b, fwd[j]);
		}
		assert_null(line(f, "Route:", (int)n, b, sizeof(b)));
		test_free(in);
	}
}

static void
ack_of_our_final_absorbed(void **state)
{
	struct fx *f = *state;
	char tag[9], msg[1024];
	struct sip_msg m;
	char *in;

	/* 483 from Max-Forwards 0 */
	assert_int_equal(run(f,
		"INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-ab;rport\r\n"
		"Max-Forwards: 0\r\n" TK_FROM TK_TO "\r\n"
		"Call-ID: ab@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", CLIENT, 5060),
		PX_REPLY);
	assert_memory_equal(f->out, "SIP/2.0 483 ", 12);
	out_to_tag(f, tag);
#define ACK_WITH(callid, tag)                                                  \
	snprintf(msg, sizeof(msg),                                             \
		 "ACK sip:service@198.18.0.10:5060 SIP/2.0\r\n"                \
		 "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-ab;rport\r\n" \
		 "Max-Forwards: 70\r\n" TK_FROM TK_TO ";tag=%s\r\n"            \
		 "Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", tag, callid)
	ACK_WITH("ab@x", tag);
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_ABSORB);
	assert_int_equal(f->cnt.ack_absorbed, 1);
	assert_int_equal(f->cnt.fwd_req, 0);
	assert_int_equal(f->cnt.sip_req[SIP_M_ACK], 1);
	/* through px_msg with a px_opt too */
	{
		struct px_opt opt = { .h = 1, .backend = 0, .try_k = 0 };

		in = parse(msg, &m);
		assert_int_equal(run_msg(f, &m, CLIENT, 5060, &opt), PX_ABSORB);
		assert_int_equal(f->cnt.ack_absorbed, 2);
		test_free(in);
	}
	/* another To tag: the ACK of someone else's final, forwarded */
	ACK_WITH("ab@x", tag[0] == '0' ? "1" "0000000" : "0" "0000000");
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
	assert_int_equal(f->res.backend, bk_set_pick(f->bks, SV_LIT("ab@x")));
	ACK_WITH("ab@x", "be-tag-1");
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
	/* our tag, but on another Call-ID: not ours */
	ACK_WITH("ac@x", tag);
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_FORWARD);
	assert_int_equal(f->cnt.ack_absorbed, 2);
	assert_int_equal(f->cnt.fwd_req, 3);

	/* a 503 of px_reply, then its ACK */
	in = parse(INVITE("ad@x", "z9hG4bK-ad", ""), &m);
	assert_int_equal(px_reply(&f->cnt, &m, NULL, CLIENT, 5060, 503, "Service Unavailable", 5,
				  f->out, sizeof(f->out) - 1, &f->res), PX_REPLY);
	f->out_len = f->res.len;
	f->out[f->out_len] = '\0';
	out_to_tag(f, tag);
	test_free(in);
	ACK_WITH("ad@x", tag);
	assert_int_equal(run(f, msg, CLIENT, 5060), PX_ABSORB);
	assert_int_equal(f->cnt.ack_absorbed, 3);
	assert_int_equal(f->cnt.fwd_req, 3);
#undef ACK_WITH
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(invite_forwarded_to_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(same_callid_same_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(branch_is_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(max_forwards_zero_gets_483, setup, teardown),
		cmocka_unit_test_setup_teardown(options_for_us_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_max_forwards_added, setup, teardown),
		cmocka_unit_test_setup_teardown(received_added_when_source_differs, setup, teardown),
		cmocka_unit_test_setup_teardown(response_via_popped, setup, teardown),
		cmocka_unit_test_setup_teardown(response_our_via_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(response_foreign_via_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(in_dialog_route_to_named_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(request_from_backend_follows_ruri, setup, teardown),
		cmocka_unit_test_setup_teardown(invite_from_backend_records_its_name, setup, teardown),
		cmocka_unit_test_setup_teardown(hostname_needs_dns_gets_478, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(bytes_past_content_length_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(too_big_gets_513, setup, teardown),
		cmocka_unit_test_setup_teardown(answer_larger_than_mtu_not_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(no_backend_gets_503, setup, teardown),
		cmocka_unit_test_setup_teardown(fixtures_never_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(stateful_branch_and_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(stateful_unpicked_not_redirected, setup, teardown),
		cmocka_unit_test_setup_teardown(txn_key_shared_by_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(txn_key_rfc2543, setup, teardown),
		cmocka_unit_test_setup_teardown(txn_key_bad_via, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_trying_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_via_received_rport, setup, teardown),
		cmocka_unit_test_setup_teardown(hop_cancel_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(hop_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(hop_route_set_as_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(ack_of_our_final_absorbed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
