/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy behaviour (RFC 3261 §16, §16.11; RFC 3581), driven through
 * px_process() with real messages, checking the bytes that would go out.
 */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
