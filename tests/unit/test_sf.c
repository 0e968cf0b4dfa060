/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sf: the stateful transaction layer (RFC 3261 §16, §17; SER t_relay with a
 * failure route), driven through a real worker without an lcore. Frames go in
 * through wrk_handle_burst, time is a fake TSC the test moves one millisecond
 * at a time (sf_clock + sf_poll, as wrk_main does every iteration), and what
 * the worker sent is read back from the TX ring of an in-memory port
 * (net_ring) and parsed: destination, start line, branch, CSeq, To tag, and
 * the per-core counters. Every test is also a leak test: the pool must be
 * full again once the worker and its transactions are freed.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bk.h"
#include "cnt.h"
#include "pkt.h"
#include "px.h"
#include "sf.h"
#include "sip.h"
#include "test_dpdk.h"
#include "txn.h"
#include "wrk.h"

#define NB_MBUF 1023
#define RING_SIZE 1024
#define MAX_OUT 32          /* frames captured between two clear() */
#define CAP_TEXT 1600
#define MAX_STEP_MS 20000   /* bound of one step_to() */

#define IP(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define LB IP(198, 18, 0, 10)
#define CLIENT IP(198, 18, 0, 2)
#define N_BE 3

static const uint32_t be_ip[N_BE] = { IP(198, 18, 0, 21), IP(198, 18, 0, 22), IP(198, 18, 0, 23) };
static const char *const be_name[N_BE] = { "be1", "be2", "be3" };

static struct rte_ether_addr mac_lb = {{ 0x02, 0, 0, 0, 0, 0x10 }};
static struct rte_ether_addr mac_peer = {{ 0x02, 0, 0, 0, 0, 0x02 }};

static struct rte_mempool *mp;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port_id;
static volatile bool quit;

static const struct sf_conf sf_test_conf = {
	.t1_ms = 500, .fr_ms = 2000, .fr_inv_ms = 10000, .wait_ms = 1000,
	.retry_after_s = 7, .n_codes = 2, .codes = { 500, 503 },
};

/* One frame the worker sent, parsed. */
struct cap {
	uint32_t dst_ip;    /* network order */
	uint16_t dst_port;  /* host order */
	uint16_t len;
	uint64_t ms;        /* test clock when it was sent */
	struct sip_msg msg; /* views into text */
	char text[CAP_TEXT];
};

struct fx {
	struct bk_set *bks;
	struct px_conf pc;
	struct px_conf *pcp;
	struct sf *sf;
	struct wrk *w;
	uint64_t base;      /* TSC of test time 0, on a millisecond boundary */
	uint64_t ms;        /* test time */
	unsigned n_out;
	struct cap out[MAX_OUT];
};

TEST_DPDK_GROUP("test_sf", NB_MBUF)

/* The group: the EAL and pool of test_dpdk.h, plus one ring port for all. */
static int
sf_group_setup(void **state)
{
	struct rte_eth_conf econf;
	int port;

	if (group_setup(state) < 0)
		return -1;
	rx_ring = rte_ring_create("sf_rx", RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("sf_tx", RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rx_ring == NULL || tx_ring == NULL)
		return -1;
	port = rte_eth_from_rings("sf_test", &rx_ring, 1, &tx_ring, 1, rte_socket_id());
	if (port < 0)
		return -1;
	port_id = (uint16_t)port;
	memset(&econf, 0, sizeof(econf));
	if (rte_eth_dev_configure(port_id, 1, 1, &econf) < 0 ||
	    rte_eth_rx_queue_setup(port_id, 0, RING_SIZE, rte_socket_id(), NULL, mp) < 0 ||
	    rte_eth_tx_queue_setup(port_id, 0, RING_SIZE, rte_socket_id(), NULL) < 0 ||
	    rte_eth_dev_start(port_id) < 0)
		return -1;
	return 0;
}

static int
sf_group_teardown(void **state)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_ring_free(rx_ring);
	rte_ring_free(tx_ring);
	return group_teardown(state);
}

static int
fx_setup(void **state, uint32_t capacity)
{
	struct bk b[N_BE];
	struct fx *f = test_calloc(1, sizeof(*f));
	uint64_t cyc;

	assert_non_null(f);
	memset(b, 0, sizeof(b));
	for (unsigned i = 0; i < N_BE; i++) {
		b[i].addr = be_ip[i];
		b[i].port = 5060;
		b[i].weight = 1;
		b[i].name_len = 3;
		memcpy(b[i].name, be_name[i], 4);
	}
	f->bks = bk_set_create(b, N_BE);
	assert_non_null(f->bks);
	px_conf_init(&f->pc, LB, 5060, 1500, true, f->bks);
	f->pcp = &f->pc;
	f->sf = sf_create(&sf_test_conf, capacity, 0, 1, SOCKET_ID_ANY);
	assert_non_null(f->sf);
	f->w = rte_zmalloc("wrk", sizeof(*f->w), RTE_CACHE_LINE_SIZE);
	assert_non_null(f->w);

	struct wrk_params p = {
		.port_id = port_id, .queue_id = 0, .sip_port = 5060, .prefix = 24,
		.addr = LB, .mac = mac_lb, .mp = mp, .conf = &f->pcp, .quit = &quit,
		.sf = f->sf,
	};

	wrk_init(f->w, &p);
	assert_int_equal(arp_static_add(&f->w->arp, CLIENT, &mac_peer), 0);
	for (unsigned i = 0; i < N_BE; i++)
		assert_int_equal(arp_static_add(&f->w->arp, be_ip[i], &mac_peer), 0);
	/* Time 0 on a millisecond boundary after the wheel's creation, so that
	 * test millisecond t is exactly the worker's tick base + t. */
	cyc = f->sf->cyc_per_ms;
	f->base = (rte_rdtsc() / cyc + 1) * cyc;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return fx_setup(state, 64);
}

static int
setup_cap2(void **state)
{
	return fx_setup(state, 2);
}

static void collect(struct fx *f);

static int
teardown(void **state)
{
	struct fx *f = *state;
	uint64_t drops;

	collect(f);
	drops = cnt_drops_total(&f->w->cnt);
	if (drops)
		cnt_dump_text(stderr, &f->w->cnt, NULL, 0);
	sf_free(f->sf);
	rte_free(f->w);
	bk_set_free(f->bks);
	test_free(f);
	/* every mbuf back: transactions, resends and captures freed theirs */
	assert_int_equal(rte_mempool_avail_count(mp), NB_MBUF);
	assert_int_equal(drops, 0);
	return 0;
}

/* --- the worker's clock and I/O ---------------------------------------- */

static uint64_t
tsc_of(const struct fx *f)
{
	return f->base + f->ms * f->sf->cyc_per_ms;
}

/* Take what the worker sent from the port's TX ring. */
static void
collect(struct fx *f)
{
	struct rte_mbuf *ms[32];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(tx_ring, (void **)ms, RTE_DIM(ms), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = ms[i];
			struct pkt_view v;
			struct cap *c;
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				m, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			uint32_t dst = ip->dst_addr;
			enum pkt_kind kind = pkt_classify(m, dst, &v);
			bool full = f->n_out == MAX_OUT;

			if (kind != PKT_UDP || full) {
				rte_pktmbuf_free(m);
				fail_msg("frame %u: kind %d (want UDP, checksums good), %s",
					 f->n_out, kind, full ? "capture full" : "");
			}
			assert_int_equal(v.sport, 5060);
			c = &f->out[f->n_out++];
			c->dst_ip = dst;
			c->dst_port = v.dport;
			c->ms = f->ms;
			c->len = v.payload_len;
			if (c->len >= CAP_TEXT) {
				rte_pktmbuf_free(m);
				fail_msg("payload of %u bytes", c->len);
			}
			memcpy(c->text, v.payload, c->len);
			c->text[c->len] = '\0';
			rte_pktmbuf_free(m);
			if (sip_parse_msg(c->text, c->len, &c->msg) != SIP_OK)
				fail_msg("siplb sent an unparsable message:\n%s", c->text);
		}
	}
}

static void
clear(struct fx *f)
{
	collect(f);
	f->n_out = 0;
}

static void
dump_out(const struct fx *f)
{
	for (unsigned i = 0; i < f->n_out; i++)
		print_message("--- out[%u] at %" PRIu64 " ms to %08x:%u\n%s", i, f->out[i].ms,
			      rte_be_to_cpu_32(f->out[i].dst_ip), f->out[i].dst_port,
			      f->out[i].text);
}

#define assert_n_out(f, n)                  \
	do {                                \
		collect(f);                 \
		if ((f)->n_out != (n))      \
			dump_out(f);        \
		assert_int_equal((f)->n_out, (n)); \
	} while (0)

/* A datagram from src_ip:5060 to siplb, at the current test time. */
static void
rx(struct fx *f, uint32_t src_ip, const char *sip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	size_t len = strlen(sip);

	assert_non_null(m);
	assert_true(PKT_HDR_LEN + len <= rte_pktmbuf_tailroom(m));
	memcpy(rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN), sip, len);
	pkt_udp_build(m, &mac_peer, &mac_lb, src_ip, LB, 5060, 5060, (uint16_t)len);
	wrk_handle_burst(f->w, &m, 1, tsc_of(f));
	collect(f);
}

/* Run the worker's loop tail (clock, hand-offs and timers, flush) for every
 * millisecond up to test time ms. */
static void
step_to(struct fx *f, uint64_t ms)
{
	assert_true(ms >= f->ms && ms - f->ms <= MAX_STEP_MS);
	while (f->ms < ms) {
		f->ms++;
		sf_clock(f->sf, f->pcp, tsc_of(f));
		sf_poll(f->sf);
		wrk_flush(f->w);
		collect(f);
	}
}

/* --- messages ---------------------------------------------------------- */

static char *
ipstr(uint32_t ip_be, char *buf)
{
	uint32_t h = rte_be_to_cpu_32(ip_be);

	snprintf(buf, 16, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	return buf;
}

static void
client_invite(char *out, size_t cap, const char *call)
{
	int n = snprintf(out, cap,
		"INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-%s-1;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@198.18.0.2>;tag=f-%s\r\n"
		"To: <sip:service@198.18.0.10>\r\n"
		"Call-ID: %s@198.18.0.2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:alice@198.18.0.2:5060>\r\n"
		"Content-Length: 0\r\n"
		"\r\n", call, call, call);

	assert_true(n > 0 && (size_t)n < cap);
}

/* The INVITE's CANCEL or the ACK of its non-2xx final (to_tag) (§9.1, §17.1.1.3). */
static void
client_hop(char *out, size_t cap, const char *method, const char *call, const char *to_tag)
{
	int n = snprintf(out, cap,
		"%s sip:service@198.18.0.10:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-%s-1;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:alice@198.18.0.2>;tag=f-%s\r\n"
		"To: <sip:service@198.18.0.10>%s%s\r\n"
		"Call-ID: %s@198.18.0.2\r\n"
		"CSeq: 1 %s\r\n"
		"Content-Length: 0\r\n"
		"\r\n", method, call, call, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
		call, method);

	assert_true(n > 0 && (size_t)n < cap);
}

/* An in-dialog request after a 2xx from backend b: new branch, our Route. */
static void
client_in_dialog(char *out, size_t cap, const char *method, unsigned cseq, const char *call,
		 unsigned b, const char *to_tag)
{
	char ip[16];
	int n = snprintf(out, cap,
		"%s sip:service@%s:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK-%s-%u;rport\r\n"
		"Max-Forwards: 70\r\n"
		"Route: <sip:198.18.0.10:5060;lr;bk=%s>\r\n"
		"From: \"Alice\" <sip:alice@198.18.0.2>;tag=f-%s\r\n"
		"To: <sip:service@198.18.0.10>;tag=%s\r\n"
		"Call-ID: %s@198.18.0.2\r\n"
		"CSeq: %u %s\r\n"
		"Content-Length: 0\r\n"
		"\r\n", method, ipstr(be_ip[b], ip), call, cseq + 1, be_name[b], call, to_tag,
		call, cseq, method);

	assert_true(n > 0 && (size_t)n < cap);
}

static bool
put(char *out, size_t *o, size_t cap, const char *p, size_t n)
{
	if (*o + n >= cap)
		return false;
	memcpy(out + *o, p, n);
	*o += n;
	out[*o] = '\0';
	return true;
}

static size_t
line_len(const char *p, size_t n)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	return n;
}

/*
 * What a UAS (the backend) answers to the request siplb sent it (§8.2.6):
 * its Via lines, Record-Route (1xx/2xx), From, To (tag added unless 100),
 * Call-ID, CSeq, a Contact for 1xx/2xx.
 */
static void
uas_resp(const struct cap *req, unsigned code, const char *reason, const char *tag,
	 char *out, size_t cap)
{
	const struct sip_msg *m = &req->msg;
	size_t o = 0;
	char line[128], ip[16];
	int n = snprintf(line, sizeof(line), "SIP/2.0 %u %s\r\n", code, reason);

	assert_true(n > 0 && put(out, &o, cap, line, (size_t)n));
	for (unsigned i = 0; i < m->n_hdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		size_t len = line_len(m->buf + h->off, h->line_len);
		struct sv t;

		switch (h->id) {
		case SIP_H_RECORD_ROUTE:
			if (code >= 300)
				continue;
			break;
		case SIP_H_VIA: case SIP_H_FROM: case SIP_H_TO: case SIP_H_CALL_ID:
		case SIP_H_CSEQ:
			break;
		default:
			continue;
		}
		assert_true(put(out, &o, cap, m->buf + h->off, len));
		if (h->id == SIP_H_TO && code > 100 && tag &&
		    sip_param_get(h->value, SV_LIT("tag"), &t) == 0) {
			assert_true(put(out, &o, cap, ";tag=", 5));
			assert_true(put(out, &o, cap, tag, strlen(tag)));
		}
		assert_true(put(out, &o, cap, "\r\n", 2));
	}
	if (code > 100 && code < 300) {
		n = snprintf(line, sizeof(line), "Contact: <sip:service@%s:5060>\r\n",
			     ipstr(req->dst_ip, ip));
		assert_true(n > 0 && put(out, &o, cap, line, (size_t)n));
	}
	assert_true(put(out, &o, cap, "Content-Length: 0\r\n\r\n", 21));
}

/* --- looking at what was sent ------------------------------------------ */

static bool
is_req(const struct cap *c, const char *method)
{
	return c->msg.is_request && c->msg.method_name.len == strlen(method) &&
	       memcmp(c->msg.method_name.p, method, c->msg.method_name.len) == 0;
}

/* The n-th (0-based) request `method` to dst among the captured frames. */
static const struct cap *
find_req_n(const struct fx *f, uint32_t dst, const char *method, unsigned nth)
{
	for (unsigned i = 0; i < f->n_out; i++)
		if (f->out[i].dst_ip == dst && is_req(&f->out[i], method) && nth-- == 0)
			return &f->out[i];
	return NULL;
}

static const struct cap *
find_req(const struct fx *f, uint32_t dst, const char *method)
{
	const struct cap *c = find_req_n(f, dst, method, 0);

	if (c == NULL) {
		dump_out(f);
		fail_msg("no %s sent to %08x", method, rte_be_to_cpu_32(dst));
		abort();
	}
	return c;
}

static const struct cap *
find_resp(const struct fx *f, uint32_t dst, unsigned code)
{
	for (unsigned i = 0; i < f->n_out; i++)
		if (f->out[i].dst_ip == dst && !f->out[i].msg.is_request &&
		    f->out[i].msg.status == code)
			return &f->out[i];
	dump_out(f);
	fail_msg("no %u sent to %08x", code, rte_be_to_cpu_32(dst));
	abort(); /* fail_msg does not return; tell the compiler */
}

static unsigned
count_to(const struct fx *f, uint32_t dst)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->n_out; i++)
		n += f->out[i].dst_ip == dst;
	return n;
}

static int
be_of(uint32_t ip)
{
	for (int i = 0; i < N_BE; i++)
		if (be_ip[i] == ip)
			return i;
	return -1;
}

static struct sv
hval(const struct cap *c, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_hdr_first(&c->msg, id);

	if (h == NULL) {
		fail_msg("header %d missing in\n%s", id, c->text);
		abort();
	}
	return h->value;
}

static void
assert_sv(struct sv v, const char *want)
{
	char buf[CAP_TEXT];

	assert_true(v.len < sizeof(buf));
	memcpy(buf, v.p, v.len);
	buf[v.len] = '\0';
	assert_string_equal(buf, want);
}

static struct sv
top_branch(const struct cap *c)
{
	struct sip_via via;

	assert_int_equal(sip_via_parse(hval(c, SIP_H_VIA), &via, NULL), 0);
	return via.branch;
}

static void
assert_top_via_ours(const struct cap *c, uint64_t h, unsigned k)
{
	char b[TXN_BRANCH_LEN + 1];
	struct sip_via via;

	b[txn_branch_fmt(b, h, k)] = '\0';
	assert_int_equal(sip_via_parse(hval(c, SIP_H_VIA), &via, NULL), 0);
	assert_sv(via.host, "198.18.0.10");
	assert_int_equal(via.port, 5060);
	assert_sv(via.branch, b);
}

/* The To tag of c ("" when none). */
static struct sv
to_tag(const struct cap *c)
{
	struct sv t = { "", 0 };

	sip_param_get(hval(c, SIP_H_TO), SV_LIT("tag"), &t);
	return t;
}

/* h of the client's INVITE for call (px_txn_key, as siplb computes it). */
static uint64_t
h_of(const char *call)
{
	char buf[1024];
	struct sip_msg m;
	struct sip_via via;
	uint64_t h;

	client_invite(buf, sizeof(buf), call);
	assert_int_equal(sip_parse_msg(buf, (uint16_t)strlen(buf), &m), SIP_OK);
	assert_int_equal(px_txn_key(&m, &via, &h), 0);
	return h;
}

/* Send the client's INVITE; returns the forwarded copy's backend (checked
 * to be the Call-ID's Maglev pick) and copies that INVITE to *inv. */
static unsigned
start_call(struct fx *f, const char *call, struct cap *inv)
{
	char buf[1024], cid[64];
	const struct cap *c;
	int b;

	client_invite(buf, sizeof(buf), call);
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 2);
	snprintf(cid, sizeof(cid), "%s@198.18.0.2", call);
	b = bk_set_pick(f->bks, (struct sv){ cid, (uint16_t)strlen(cid) });
	assert_true(b >= 0 && b < N_BE);
	c = find_req(f, be_ip[b], "INVITE");
	assert_int_equal(c->dst_port, 5060);
	assert_top_via_ours(c, h_of(call), 0);
	*inv = *c;
	/* the views must point into our copy */
	assert_int_equal(sip_parse_msg(inv->text, inv->len, &inv->msg), SIP_OK);
	return (unsigned)b;
}

/* Backend b answers req with code; everything it provokes is captured. */
static void
be_answer(struct fx *f, unsigned b, const struct cap *req, unsigned code, const char *reason,
	  const char *tag)
{
	char buf[CAP_TEXT];

	uas_resp(req, code, reason, tag, buf, sizeof(buf));
	rx(f, be_ip[b], buf);
}

/* A hop-by-hop request of ours (ACK or CANCEL) for try k of h to backend b. */
static void
assert_hop(const struct fx *f, const struct cap *inv, unsigned b, const char *method,
	   uint64_t h, unsigned k, const char *tag)
{
	const struct cap *c = find_req(f, be_ip[b], method);
	char cseq[32];
	struct sv t;

	assert_int_equal(c->dst_port, 5060);
	assert_top_via_ours(c, h, k);
	/* one Via: ours (§9.1, §17.1.1.3) */
	assert_null(sip_hdr_next(&c->msg, sip_hdr_first(&c->msg, SIP_H_VIA)));
	assert_true(sv_eq(c->msg.ruri, inv->msg.ruri));
	snprintf(cseq, sizeof(cseq), "1 %s", method);
	assert_sv(hval(c, SIP_H_CSEQ), cseq);
	assert_true(sv_eq(hval(c, SIP_H_CALL_ID), hval(inv, SIP_H_CALL_ID)));
	assert_true(sv_eq(hval(c, SIP_H_FROM), hval(inv, SIP_H_FROM)));
	t = to_tag(c);
	assert_sv(t, tag ? tag : "");
}

/* --- tests ------------------------------------------------------------- */

/* 1. A new INVITE: forwarded once to its Maglev backend with try 0's branch,
 * and answered 100 at once (§16.2, §17.2.1). */
static void
test_new_invite(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	const struct cap *t;
	unsigned b = start_call(f, "c1", &inv);
	struct sip_via via;

	t = find_resp(f, CLIENT, 100);
	assert_int_equal(t->dst_port, 5060);
	assert_sv(t->msg.reason, "Trying");
	assert_int_equal(strncmp(t->text, "SIP/2.0 100 Trying\r\n", 20), 0);
	assert_int_equal(to_tag(t).len, 0);
	assert_sv(hval(t, SIP_H_CSEQ), "1 INVITE");
	assert_int_equal(sip_via_parse(hval(t, SIP_H_VIA), &via, NULL), 0);
	assert_sv(via.branch, "z9hG4bK-c1-1");
	/* the client's Via stays under ours, with rport filled (RFC 3581) */
	assert_non_null(strstr(inv.text, "branch=z9hG4bK-c1-1;rport=5060"));
	assert_non_null(strstr(inv.text, "Max-Forwards: 69\r\n"));
	assert_int_equal(f->w->cnt.txn_created, 1);
	assert_int_equal(f->w->cnt.txn_live, 1);
	assert_int_equal(txn_live(f->sf->t), 1);
	assert_int_equal(f->w->cnt.reply[CNT_REPLY_R100], 1);
	assert_int_equal(f->w->cnt.fwd_backend[b], 1);
	assert_int_equal(f->w->cnt.sip_req[SIP_M_INVITE], 1);
}

/* 2. INVITE retransmissions (§17.2.1): the backend sees one INVITE; the
 * client gets our 100, then the last provisional again. */
static void
test_invite_retransmission(void **state)
{
	struct fx *f = *state;
	struct cap inv, ringing;
	char buf[1024];
	unsigned b = start_call(f, "c2", &inv);
	const struct cap *c;

	client_invite(buf, sizeof(buf), "c2");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 100);
	assert_int_equal(to_tag(c).len, 0);
	assert_int_equal(f->w->cnt.txn_retrans_absorbed, 1);
	assert_int_equal(f->w->cnt.txn_created, 1);
	assert_int_equal(f->w->cnt.fwd_backend[b], 1);

	clear(f);
	be_answer(f, b, &inv, 180, "Ringing", "be-tag");
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 180);
	assert_sv(to_tag(c), "be-tag");
	assert_sv(top_branch(c), "z9hG4bK-c2-1"); /* ours popped */
	ringing = *c;

	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 180);
	assert_int_equal(c->len, ringing.len);
	assert_memory_equal(c->text, ringing.text, c->len);
	assert_int_equal(f->w->cnt.txn_retrans_absorbed, 2);
	assert_int_equal(f->w->cnt.fwd_backend[b], 1);
	assert_int_equal(f->w->cnt.txn_live, 1);
}

/* 3. Timer A (§17.1.1.2): the INVITE again to the same backend, same branch,
 * at T1, then 2*T1 later. */
static void
test_timer_a(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b = start_call(f, "c3", &inv);
	const struct cap *c;

	clear(f);
	step_to(f, 499);
	assert_n_out(f, 0);
	step_to(f, 500);
	assert_n_out(f, 1);
	c = find_req(f, be_ip[b], "INVITE");
	assert_int_equal(c->len, inv.len);
	assert_memory_equal(c->text, inv.text, inv.len);
	assert_int_equal(f->w->cnt.txn_timer_a, 1);

	clear(f);
	step_to(f, 1499);
	assert_n_out(f, 0);
	step_to(f, 1500);
	assert_n_out(f, 1);
	c = find_req(f, be_ip[b], "INVITE");
	assert_memory_equal(c->text, inv.text, inv.len);
	assert_top_via_ours(c, h_of("c3"), 0);
	assert_int_equal(f->w->cnt.txn_timer_a, 2);

	/* next would be at 3500: nothing more before fr_timer */
	clear(f);
	step_to(f, 1999);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.fwd_backend[b], 3);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 0);
}

/* 4. fr_timer: each silent backend is replaced by the next one of the
 * Call-ID's ranking; after the last, 408 upstream; the entry goes wait_ms
 * later. */
static void
test_fr_timer_failover(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	uint64_t h = h_of("c4");
	unsigned b0 = start_call(f, "c4", &inv), b1, b2;
	bool seen[N_BE] = { false };
	const struct cap *c, *t;
	char rr[64], buf[1024];

	seen[b0] = true;
	step_to(f, 1999);
	clear(f);
	step_to(f, 2000);
	assert_n_out(f, 1);
	c = &f->out[0];
	assert_true(is_req(c, "INVITE"));
	assert_true(be_of(c->dst_ip) >= 0);
	b1 = (unsigned)be_of(c->dst_ip);
	assert_false(seen[b1]);
	seen[b1] = true;
	assert_top_via_ours(c, h, 1);
	assert_true(top_branch(c).p[top_branch(c).len - 2] == '.' &&
		    top_branch(c).p[top_branch(c).len - 1] == '1');
	snprintf(rr, sizeof(rr), "<sip:198.18.0.10:5060;lr;bk=%s>", be_name[b1]);
	assert_sv(hval(c, SIP_H_RECORD_ROUTE), rr);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 1);
	assert_int_equal(count_to(f, CLIENT), 0);

	/* Timer A restarts for the new try */
	clear(f);
	step_to(f, 2500);
	assert_n_out(f, 1);
	assert_top_via_ours(find_req(f, be_ip[b1], "INVITE"), h, 1);

	clear(f);
	step_to(f, 3999);
	assert_n_out(f, 1); /* Timer A at 3500 */
	assert_int_equal(f->out[0].ms, 3500);
	clear(f);
	step_to(f, 4000);
	assert_n_out(f, 1);
	c = &f->out[0];
	assert_true(is_req(c, "INVITE"));
	assert_true(be_of(c->dst_ip) >= 0);
	b2 = (unsigned)be_of(c->dst_ip);
	assert_false(seen[b2]);
	assert_top_via_ours(c, h, 2);
	snprintf(rr, sizeof(rr), "<sip:198.18.0.10:5060;lr;bk=%s>", be_name[b2]);
	assert_sv(hval(c, SIP_H_RECORD_ROUTE), rr);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 2);

	/* third fr_timer: no backend left */
	step_to(f, 5999);
	clear(f);
	step_to(f, 6000);
	assert_n_out(f, 1);
	t = find_resp(f, CLIENT, 408);
	assert_int_equal(t->dst_port, 5060);
	assert_int_equal(to_tag(t).len, 8);
	assert_sv(hval(t, SIP_H_CSEQ), "1 INVITE");
	assert_sv(top_branch(t), "z9hG4bK-c4-1");
	assert_int_equal(f->w->cnt.txn_completed, 1);
	assert_int_equal(f->w->cnt.txn_timeouts, 3);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 2);
	assert_int_equal(f->w->cnt.reply[CNT_REPLY_R408], 1);
	assert_int_equal(f->w->cnt.txn_live, 1);

	/* a retransmission now gets the 408 again; the ACK of it ends here */
	char tag[9];

	memcpy(tag, to_tag(t).p, 8);
	tag[8] = '\0';
	client_invite(buf, sizeof(buf), "c4");
	clear(f);
	step_to(f, 6100);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	assert_int_equal(find_resp(f, CLIENT, 408)->len, t->len);
	client_hop(buf, sizeof(buf), "ACK", "c4", tag);
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.ack_absorbed, 1);

	/* wait_ms after the final */
	step_to(f, 6999);
	assert_int_equal(f->w->cnt.txn_live, 1);
	step_to(f, 7000);
	assert_int_equal(f->w->cnt.txn_live, 0);
	assert_int_equal(txn_live(f->sf->t), 0);
	assert_n_out(f, 0); /* no Timer A ever after the final */
	for (unsigned i = 0; i < N_BE; i++)
		assert_int_equal(f->w->cnt.fwd_backend[i] > 0, 1);
}

/* 5. A 503 fails over (ACKed hop by hop, §17.1.1.3); a 486 does not and goes
 * upstream; its retransmissions are ACKed, not passed on; the client's ACK
 * of it ends here. */
static void
test_503_failover_486_final(void **state)
{
	struct fx *f = *state;
	struct cap inv, inv1;
	uint64_t h = h_of("c5");
	unsigned b0 = start_call(f, "c5", &inv), b1;
	const struct cap *c;
	char buf[1024];

	clear(f);
	step_to(f, 100);
	be_answer(f, b0, &inv, 503, "Service Unavailable", "t503");
	assert_n_out(f, 2);
	assert_hop(f, &inv, b0, "ACK", h, 0, "t503");
	for (b1 = 0; b1 < N_BE; b1++)
		if (b1 != b0 && find_req_n(f, be_ip[b1], "INVITE", 0))
			break;
	assert_true(b1 < N_BE);
	c = find_req(f, be_ip[b1], "INVITE");
	assert_top_via_ours(c, h, 1);
	inv1 = *c;
	assert_int_equal(sip_parse_msg(inv1.text, inv1.len, &inv1.msg), SIP_OK);
	assert_int_equal(count_to(f, CLIENT), 0);
	assert_int_equal(f->w->cnt.txn_failover_503, 1);
	assert_int_equal(f->w->cnt.txn_completed, 0);

	clear(f);
	step_to(f, 200);
	be_answer(f, b1, &inv1, 486, "Busy Here", "t486");
	assert_n_out(f, 2);
	assert_hop(f, &inv, b1, "ACK", h, 1, "t486");
	c = find_resp(f, CLIENT, 486);
	assert_sv(to_tag(c), "t486");
	assert_sv(top_branch(c), "z9hG4bK-c5-1");
	assert_int_equal(f->w->cnt.txn_failover_503, 1);
	assert_int_equal(f->w->cnt.txn_failover_code, 0);
	assert_int_equal(f->w->cnt.txn_completed, 1);

	uint64_t absorbed = f->w->cnt.txn_resp_absorbed;

	clear(f);
	be_answer(f, b1, &inv1, 486, "Busy Here", "t486");
	assert_n_out(f, 1);
	assert_hop(f, &inv, b1, "ACK", h, 1, "t486");
	assert_int_equal(f->w->cnt.txn_resp_absorbed, absorbed + 1);

	client_hop(buf, sizeof(buf), "ACK", "c5", "t486");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.ack_absorbed, 1);

	/* no timer of either try fires after the final */
	step_to(f, 1199);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.txn_live, 1);
	step_to(f, 1200);
	assert_int_equal(f->w->cnt.txn_live, 0);
	assert_int_equal(f->w->cnt.txn_timer_a, 0);
}

/* 5b. A retransmitted 503 from the try we gave up is ACKed to the backend
 * that sent it (§17.1.1.3: the ACK goes where the INVITE went), not
 * passed on, and does not move the current try. */
static void
test_stale_final_acked_to_its_backend(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	uint64_t h = h_of("c5b");
	unsigned b0 = start_call(f, "c5b", &inv), b1;

	clear(f);
	be_answer(f, b0, &inv, 503, "Service Unavailable", "t503");
	assert_n_out(f, 2);
	for (b1 = 0; b1 < N_BE; b1++)
		if (b1 != b0 && find_req_n(f, be_ip[b1], "INVITE", 0))
			break;
	assert_true(b1 < N_BE);

	uint64_t absorbed = f->w->cnt.txn_resp_absorbed;

	clear(f);
	be_answer(f, b0, &inv, 503, "Service Unavailable", "t503");
	assert_n_out(f, 1);
	assert_int_equal(count_to(f, CLIENT), 0);
	assert_int_equal(f->w->cnt.txn_resp_absorbed, absorbed + 1);
	assert_int_equal(f->w->cnt.txn_failover_503, 1);
	assert_hop(f, &inv, b0, "ACK", h, 0, "t503");
}

/* 5c. Failover codes on every try: the best final (§16.7 step 6) goes up
 * once no backend is left, a 503 as a 500 of siplb's own (step 6: the
 * client must not take siplb for unavailable); every final is ACKed to its
 * own backend. */
static void
test_all_tries_fail(void **state)
{
	struct fx *f = *state;
	struct cap inv[N_BE];
	uint64_t h = h_of("c5c");
	unsigned b[N_BE];
	static const unsigned code[N_BE] = { 503, 500, 503 };
	const struct cap *c;

	b[0] = start_call(f, "c5c", &inv[0]);
	for (unsigned k = 0; k < N_BE; k++) {
		clear(f);
		step_to(f, 100 * (k + 1));
		be_answer(f, b[k], &inv[k], code[k], code[k] == 500 ? "Server Internal Error" :
			  "Service Unavailable", k == 1 ? "tb" : "ta");
		assert_n_out(f, 2);
		assert_hop(f, &inv[k], b[k], "ACK", h, k, k == 1 ? "tb" : "ta");
		if (k + 1 == N_BE)
			break;
		c = f->out[0].dst_ip == be_ip[b[k]] ? &f->out[1] : &f->out[0];
		assert_true(is_req(c, "INVITE"));
		assert_true(be_of(c->dst_ip) >= 0);
		b[k + 1] = (unsigned)be_of(c->dst_ip);
		for (unsigned j = 0; j <= k; j++)
			assert_int_not_equal(b[k + 1], b[j]);
		assert_top_via_ours(c, h, k + 1);
		inv[k + 1] = *c;
		assert_int_equal(sip_parse_msg(inv[k + 1].text, inv[k + 1].len, &inv[k + 1].msg),
				 SIP_OK);
	}
	c = find_resp(f, CLIENT, 500);
	assert_true(to_tag(c).len > 0);
	for (unsigned i = 0; i < f->n_out; i++)
		assert_false(f->out[i].dst_ip == CLIENT && !f->out[i].msg.is_request &&
			     f->out[i].msg.status == 503);
	assert_int_equal(f->w->cnt.txn_failover_503, 1);
	assert_int_equal(f->w->cnt.txn_failover_code, 1);
	assert_int_equal(f->w->cnt.reply[CNT_REPLY_R500], 1);
	assert_int_equal(f->w->cnt.txn_completed, 1);
	assert_int_equal(count_to(f, CLIENT), 1);
}

/* 5d. fr_inv_timer (§16.8 Timer C's role): ringing too long; the backend is
 * CANCELled (and the CANCEL retransmitted until answered, §17.1.2.2) and
 * the client gets 408; the backend's 487 is ACKed, not passed on. */
static void
test_fr_inv_timer(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	uint64_t h = h_of("c5d");
	unsigned b = start_call(f, "c5d", &inv);

	clear(f);
	step_to(f, 100);
	be_answer(f, b, &inv, 180, "Ringing", "td");
	assert_n_out(f, 1);
	clear(f);
	step_to(f, 10099);
	assert_n_out(f, 0);
	step_to(f, 10100);
	assert_n_out(f, 2);
	assert_hop(f, &inv, b, "CANCEL", h, 0, NULL);
	find_resp(f, CLIENT, 408);
	assert_int_equal(f->w->cnt.txn_completed, 1);
	assert_int_equal(f->w->cnt.txn_timeouts, 1);

	be_answer(f, b, &inv, 487, "Request Terminated", "td");
	assert_n_out(f, 3);
	assert_hop(f, &inv, b, "ACK", h, 0, "td");
	assert_int_equal(count_to(f, CLIENT), 1);
}

/* 5e. Same as 5d, but the backend answers neither the CANCEL nor the
 * INVITE: our CANCEL is a non-INVITE request over UDP and must be
 * retransmitted (Timer E, T1 = 500 ms, §17.1.2.2) while the entry lives. */
static void
test_fr_inv_cancel_retransmitted(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b = start_call(f, "c5e", &inv);

	clear(f);
	step_to(f, 100);
	be_answer(f, b, &inv, 180, "Ringing", "te");
	clear(f);
	step_to(f, 10100);
	assert_n_out(f, 2);
	clear(f);
	step_to(f, 10600);
	/* the CANCEL again, and Timer G's 408 again: no ACK came for it */
	assert_n_out(f, 2);
	find_req(f, be_ip[b], "CANCEL");
	find_resp(f, CLIENT, 408);
	assert_int_equal(f->w->cnt.txn_timer_g, 1);
}

/* 5f. Timer G (§17.2.1): a non-2xx final goes upstream again at T1, then
 * 2T1, 4T1 and every T2, until the client's ACK, which stops it. A client
 * that had a provisional sends no INVITE again, so without Timer G a lost
 * final would leave it waiting for its Timer B. */
static void
test_timer_g(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b = start_call(f, "c5f", &inv);
	static const uint64_t at[] = { 600, 1600, 3600, 7600, 11600 };
	char buf[1024];
	uint16_t len;

	f->sf->conf.wait_ms = 20000; /* room for several resends */
	clear(f);
	step_to(f, 100);
	be_answer(f, b, &inv, 486, "Busy Here", "tg");
	assert_n_out(f, 2); /* the ACK to the backend, the 486 upstream */
	len = find_resp(f, CLIENT, 486)->len;
	for (unsigned k = 0; k < RTE_DIM(at); k++) {
		clear(f);
		step_to(f, at[k] - 1);
		assert_n_out(f, 0);
		step_to(f, at[k]);
		assert_n_out(f, 1);
		assert_int_equal(find_resp(f, CLIENT, 486)->len, len);
		assert_int_equal(f->w->cnt.txn_timer_g, k + 1);
	}
	client_hop(buf, sizeof(buf), "ACK", "c5f", "tg");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.ack_absorbed, 1);
	step_to(f, 16000);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.txn_timer_g, RTE_DIM(at));
}

/* 6. The backend's 100 is hop by hop and stops Timer A; 180 and 200 go
 * upstream once each; the 2xx ends the transaction; ACK and BYE of the
 * dialog go to the backend statelessly. */
static void
test_100_180_200_dialog(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b = start_call(f, "c6", &inv);
	const struct cap *c;
	char buf[1024], rr[64];
	struct sip_via via;

	clear(f);
	step_to(f, 50);
	be_answer(f, b, &inv, 100, "Trying", NULL);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.txn_resp_absorbed, 1);
	step_to(f, 1000);
	assert_n_out(f, 0); /* no Timer A at 500 */
	assert_int_equal(f->w->cnt.txn_timer_a, 0);

	be_answer(f, b, &inv, 180, "Ringing", "t6");
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 180);
	assert_sv(top_branch(c), "z9hG4bK-c6-1");
	assert_null(sip_hdr_next(&c->msg, sip_hdr_first(&c->msg, SIP_H_VIA)));

	/* fr_timer no longer applies once ringing: nothing at 2000 */
	clear(f);
	step_to(f, 2500);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 0);

	be_answer(f, b, &inv, 200, "OK", "t6");
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 200);
	assert_sv(to_tag(c), "t6");
	assert_sv(hval(c, SIP_H_CSEQ), "1 INVITE");
	snprintf(rr, sizeof(rr), "<sip:198.18.0.10:5060;lr;bk=%s>", be_name[b]);
	assert_sv(hval(c, SIP_H_RECORD_ROUTE), rr);
	assert_int_equal(f->w->cnt.txn_completed, 1);
	assert_int_equal(f->w->cnt.txn_live, 1);

	/* a 2xx retransmission still goes upstream (§16.7 step 4) */
	clear(f);
	be_answer(f, b, &inv, 200, "OK", "t6");
	assert_n_out(f, 1);
	find_resp(f, CLIENT, 200);
	assert_int_equal(f->w->cnt.txn_completed, 1);

	/* the ACK of the 2xx: a new transaction, stateless, to the backend */
	client_in_dialog(buf, sizeof(buf), "ACK", 1, "c6", b, "t6");
	clear(f);
	step_to(f, 2600);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_req(f, be_ip[b], "ACK");
	assert_int_equal(sip_via_parse(hval(c, SIP_H_VIA), &via, NULL), 0);
	assert_true(via.branch.len == sizeof(PX_BRANCH_PREFIX) - 1 + 16); /* stateless */
	assert_null(sip_hdr_first(&c->msg, SIP_H_ROUTE)); /* ours consumed */
	assert_int_equal(f->w->cnt.ack_absorbed, 0);

	step_to(f, 3499);
	assert_int_equal(f->w->cnt.txn_live, 1);
	step_to(f, 3500);
	assert_int_equal(f->w->cnt.txn_live, 0);

	client_in_dialog(buf, sizeof(buf), "BYE", 2, "c6", b, "t6");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_req(f, be_ip[b], "BYE");
	assert_int_equal(sip_via_parse(hval(c, SIP_H_VIA), &via, NULL), 0);
	assert_true(via.branch.len == sizeof(PX_BRANCH_PREFIX) - 1 + 16);
	assert_int_equal(f->w->cnt.txn_created, 1);
	assert_int_equal(f->w->cnt.sip_req[SIP_M_BYE], 1);
	assert_int_equal(f->w->cnt.sip_req[SIP_M_ACK], 1);
}

/* 7. CANCEL (§9.1, §9.2, §16.10): answered 200 here; sent to the backend
 * only once it sent a provisional; its 200 ends here; the 487 goes up and
 * is ACKed to the backend. */
static void
test_cancel(void **state)
{
	struct fx *f = *state;
	struct cap inv, cancel;
	uint64_t h = h_of("c7");
	unsigned b = start_call(f, "c7", &inv);
	const struct cap *c;
	char buf[1024];

	client_hop(buf, sizeof(buf), "CANCEL", "c7", NULL);
	clear(f);
	step_to(f, 100);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 200);
	assert_sv(hval(c, SIP_H_CSEQ), "1 CANCEL");
	assert_sv(top_branch(c), "z9hG4bK-c7-1");
	assert_int_equal(f->w->cnt.txn_cancels, 1);
	assert_int_equal(f->w->cnt.reply[CNT_REPLY_R200], 1);

	clear(f);
	step_to(f, 300);
	be_answer(f, b, &inv, 180, "Ringing", "t7");
	/* our CANCEL to the backend; the 180 itself still goes up */
	assert_n_out(f, 2);
	assert_hop(f, &inv, b, "CANCEL", h, 0, NULL);
	find_resp(f, CLIENT, 180);
	cancel = *find_req(f, be_ip[b], "CANCEL");
	assert_int_equal(sip_parse_msg(cancel.text, cancel.len, &cancel.msg), SIP_OK);

	uint64_t absorbed = f->w->cnt.txn_resp_absorbed;

	clear(f);
	be_answer(f, b, &cancel, 200, "OK", "t7");
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.txn_resp_absorbed, absorbed + 1);
	/* answered: our CANCEL is not resent */
	step_to(f, 1500);
	assert_n_out(f, 0);

	be_answer(f, b, &inv, 487, "Request Terminated", "t7");
	assert_n_out(f, 2);
	assert_hop(f, &inv, b, "ACK", h, 0, "t7");
	c = find_resp(f, CLIENT, 487);
	assert_sv(to_tag(c), "t7");
	assert_sv(hval(c, SIP_H_CSEQ), "1 INVITE");
	assert_int_equal(f->w->cnt.txn_completed, 1);
	assert_int_equal(f->w->cnt.txn_cancels, 1);

	client_hop(buf, sizeof(buf), "ACK", "c7", "t7");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.ack_absorbed, 1);
	assert_int_equal(f->w->cnt.txn_failover_timeout + f->w->cnt.txn_failover_503, 0);
}

/* 7c. CANCELled, then the backend refuses the INVITE with 503: no failover
 * (the caller gave up), the 503 is ACKed to the backend, and the caller's
 * INVITE ends with a 487 of ours, neither the 503 nor §16.7's 500. */
static void
test_cancel_then_503(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	uint64_t h = h_of("c7c");
	unsigned b = start_call(f, "c7c", &inv);
	char buf[1024];

	client_hop(buf, sizeof(buf), "CANCEL", "c7c", NULL);
	clear(f);
	step_to(f, 100);
	rx(f, CLIENT, buf);
	find_resp(f, CLIENT, 200);

	clear(f);
	step_to(f, 200);
	be_answer(f, b, &inv, 503, "Service Unavailable", "t7c");
	assert_n_out(f, 2);
	assert_hop(f, &inv, b, "ACK", h, 0, "t7c");
	find_resp(f, CLIENT, 487);
	assert_int_equal(f->w->cnt.txn_failover_503, 0);
	assert_int_equal(f->w->cnt.reply[CNT_REPLY_R487], 1);
	assert_int_equal(f->w->cnt.txn_completed, 1);
}

/* 7b. A CANCEL with no provisional yet, and the backend stays silent:
 * no failover (the caller gave up), no CANCEL to the backend (§9.1), and
 * the client's INVITE ends with 487 at fr_timer. */
static void
test_cancel_silent_backend(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b = start_call(f, "c7b", &inv);
	char buf[1024];

	client_hop(buf, sizeof(buf), "CANCEL", "c7b", NULL);
	clear(f);
	step_to(f, 100);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	find_resp(f, CLIENT, 200);
	clear(f);
	step_to(f, 2000);
	find_resp(f, CLIENT, 487);
	assert_int_equal(count_to(f, CLIENT), 1);
	assert_null(find_req_n(f, be_ip[b], "CANCEL", 0));
	for (unsigned i = 0; i < N_BE; i++)
		if (i != b)
			assert_int_equal(count_to(f, be_ip[i]), 0);
	assert_int_equal(f->w->cnt.txn_failover_timeout, 0);
	assert_int_equal(f->w->cnt.txn_completed, 1);
	step_to(f, 3000);
	assert_int_equal(f->w->cnt.txn_live, 0);
}

/* 8. Table full: 503 with Retry-After, no backend; its ACK ends here. */
static void
test_table_full(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	const struct cap *c;
	char buf[1024], tag[9];

	start_call(f, "c8a", &inv);
	start_call(f, "c8b", &inv);
	assert_int_equal(f->w->cnt.txn_live, 2);

	client_invite(buf, sizeof(buf), "c8c");
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 1);
	c = find_resp(f, CLIENT, 503);
	assert_non_null(strstr(c->text, "\r\nRetry-After: 7\r\n"));
	assert_sv(hval(c, SIP_H_CSEQ), "1 INVITE");
	assert_int_equal(to_tag(c).len, 8);
	memcpy(tag, to_tag(c).p, 8);
	tag[8] = '\0';
	assert_int_equal(f->w->cnt.txn_table_full, 1);
	assert_int_equal(f->w->cnt.txn_created, 2);
	assert_int_equal(f->w->cnt.txn_live, 2);

	client_hop(buf, sizeof(buf), "ACK", "c8c", tag);
	clear(f);
	rx(f, CLIENT, buf);
	assert_n_out(f, 0);
	assert_int_equal(f->w->cnt.ack_absorbed, 1);
	assert_int_equal(f->w->cnt.fwd_req, 2);
}

/* 9. A 2xx from a try we gave up still reaches the caller (§16.7 step 4):
 * a call was set up there. */
static void
test_2xx_from_abandoned_try(void **state)
{
	struct fx *f = *state;
	struct cap inv;
	unsigned b0 = start_call(f, "c9", &inv);
	const struct cap *c;

	step_to(f, 1999);
	clear(f);
	step_to(f, 2000);
	assert_n_out(f, 1);
	assert_true(f->out[0].dst_ip != be_ip[b0] && is_req(&f->out[0], "INVITE"));

	clear(f);
	step_to(f, 2100);
	be_answer(f, b0, &inv, 200, "OK", "t9");
	assert_int_equal(count_to(f, CLIENT), 1);
	c = find_resp(f, CLIENT, 200);
	assert_sv(to_tag(c), "t9");
	assert_sv(top_branch(c), "z9hG4bK-c9-1");
}

/*
 * 9b. After that 2xx went upstream the INVITE is answered (§16.7 step 10:
 * pending client transactions are cancelled; §16.7 step 9: no other final
 * but a 2xx may follow). The client must never get a 408 for a call it
 * has already got a 200 for, nor the cluster a third INVITE for it.
 */
static void
test_no_final_after_forwarded_2xx(void **state)
{
	struct fx *f = *state;
	struct cap inv, inv1;
	uint64_t h = h_of("c9b");
	unsigned b0 = start_call(f, "c9b", &inv), b1;

	step_to(f, 1999);
	clear(f);
	step_to(f, 2000);
	assert_n_out(f, 1);
	assert_true(be_of(f->out[0].dst_ip) >= 0);
	b1 = (unsigned)be_of(f->out[0].dst_ip);
	inv1 = f->out[0];
	assert_int_equal(sip_parse_msg(inv1.text, inv1.len, &inv1.msg), SIP_OK);
	clear(f);
	step_to(f, 2100);
	be_answer(f, b0, &inv, 200, "OK", "t9");
	assert_n_out(f, 1);
	find_resp(f, CLIENT, 200);
	/* the current try had no provisional: no CANCEL yet (§9.1), and no
	 * more INVITEs to it nor to anyone */
	clear(f);
	step_to(f, 2200);
	assert_n_out(f, 0);
	/* its provisional: now the CANCEL, and the 180 stays here */
	be_answer(f, b1, &inv1, 180, "Ringing", "t9b");
	assert_n_out(f, 1);
	assert_hop(f, &inv1, b1, "CANCEL", h, 1, NULL);
	clear(f);
	be_answer(f, b1, &inv1, 487, "Request Terminated", "t9b");
	assert_n_out(f, 1);
	assert_hop(f, &inv1, b1, "ACK", h, 1, "t9b");
	clear(f);
	step_to(f, 8000);
	for (unsigned i = 0; i < f->n_out; i++)
		if (f->out[i].dst_ip == CLIENT && !f->out[i].msg.is_request &&
		    f->out[i].msg.status >= 300) {
			dump_out(f);
			fail_msg("a %u after the 200 went upstream", f->out[i].msg.status);
		}
	assert_int_equal(f->w->cnt.txn_failover_timeout, 1);
	assert_int_equal(f->w->cnt.txn_live, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_invite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invite_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fr_timer_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_503_failover_486_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_final_acked_to_its_backend, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_tries_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fr_inv_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fr_inv_cancel_retransmitted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timer_g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_100_180_200_dialog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_silent_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_then_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup_cap2, teardown),
		cmocka_unit_test_setup_teardown(test_2xx_from_abandoned_try, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_final_after_forwarded_2xx, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, sf_group_setup, sf_group_teardown);
}
