/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful mode (see sf.h). States follow RFC 3261 §17.1.1 towards the
 * backend and §17.2.1 towards upstream:
 *
 *   CALLING --1xx--> PROCEEDING --final--> COMPLETED --ACK--> CONFIRMED
 *      |  fr_timer / failover code: next try, back to CALLING
 *      '--> COMPLETED (last try failed: best final upstream)
 *
 * and the entry is freed wait_ms after COMPLETED (Timer D's role).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bk.h"
#include "cnt.h"
#include "mgl.h"
#include "pkt.h"
#include "px.h"
#include "sf.h"
#include "sip.h"
#include "wrk.h"

/* txn.flags, worker's bits (TXN_F_HASH_ONLY is the table's) */
#define SF_F_PICKED      0x02 /* placed by the balancing decision: may fail over */
#define SF_F_CANCELLED   0x04 /* upstream CANCELled it */
#define SF_F_CANCEL_SENT 0x08 /* our CANCEL went to the current try's backend */
#define SF_F_2XX         0x10 /* completed by a 2xx */
#define SF_F_ANSWERED    0x20 /* some backend responded (latency counted) */
#define SF_NO_BACKEND    0xffff /* txn.backend: the next hop is not a backend */

/* Timer A doubles up to this while it retransmits our CANCEL (RFC 3261 T2). */
#define SF_T2_MS 4000

struct sf *
sf_create(const struct sf_conf *conf, uint32_t capacity, unsigned self, unsigned n_wrk,
	  int socket)
{
	struct sf *sf;
	uint64_t hz = rte_get_tsc_hz();

	if (n_wrk == 0 || n_wrk > SF_MAX_WORKERS || self >= n_wrk) {
		errno = EINVAL;
		return NULL;
	}
	sf = rte_zmalloc_socket("sf", sizeof(*sf), RTE_CACHE_LINE_SIZE, socket);
	if (sf == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	sf->conf = *conf;
	sf->cyc_per_ms = hz / 1000 ? hz / 1000 : 1;
	sf->now_ms = rte_rdtsc() / sf->cyc_per_ms;
	sf->self = self;
	sf->n_wrk = n_wrk;
	sf->t = txn_table_create(capacity, socket);
	sf->wheel = tmr_wheel_create(SF_WHEEL_SLOTS, sf->now_ms, socket);
	if (sf->t == NULL || sf->wheel == NULL) {
		txn_table_free(sf->t);
		tmr_wheel_free(sf->wheel);
		rte_free(sf);
		errno = ENOMEM;
		return NULL;
	}
	return sf;
}

int
sf_link(struct sf **all, unsigned n, unsigned ring_size)
{
	static unsigned gen;
	char name[RTE_RING_NAMESIZE];

	gen++;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			struct rte_ring *r;

			if (i == j)
				continue;
			snprintf(name, sizeof(name), "sf%u_%u_%u", gen, i, j);
			r = rte_ring_create(name, ring_size, SOCKET_ID_ANY,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL)
				return -rte_errno;
			all[i]->to[j] = r;
			all[j]->from[i] = r;
		}
	return 0;
}

static void
sf_free_mbufs(struct txn *e, void *arg)
{
	(void)arg;
	rte_pktmbuf_free(e->invite);
	rte_pktmbuf_free(e->last_prov);
	rte_pktmbuf_free(e->final);
	e->invite = e->last_prov = e->final = NULL;
}

void
sf_free(struct sf *sf)
{
	if (sf == NULL)
		return;
	if (sf->t)
		txn_table_drain(sf->t, sf_free_mbufs, NULL);
	for (unsigned j = 0; j < sf->n_wrk; j++) {
		struct rte_mbuf *m;

		if (sf->to[j] == NULL)
			continue;
		while (rte_ring_dequeue(sf->to[j], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(sf->to[j]);
	}
	tmr_wheel_free(sf->wheel);
	txn_table_free(sf->t);
	rte_free(sf);
}

/* --- output ------------------------------------------------------------ */

/* An mbuf for a SIP message of ours: *out at PKT_HDR_LEN, room in *cap. */
static struct rte_mbuf *
sf_alloc(struct sf *sf, char **out, uint16_t *cap)
{
	struct rte_mbuf *o = rte_pktmbuf_alloc(sf->w->mp);

	if (unlikely(o == NULL)) {
		cnt_drop(&sf->w->cnt, CNT_DROP_MBUF_ALLOC);
		return NULL;
	}
	*out = rte_pktmbuf_mtod_offset(o, char *, PKT_HDR_LEN);
	*cap = (uint16_t)(rte_pktmbuf_tailroom(o) - PKT_HDR_LEN);
	return o;
}

/* Keep a reference to frame o in *keep (for resending), replacing the one
 * it held: o is still sent, and TX then drops only its own reference. */
static void
sf_keep(struct rte_mbuf **keep, struct rte_mbuf *o)
{
	rte_pktmbuf_free(*keep);
	rte_mbuf_refcnt_update(o, 1);
	*keep = o;
}

/*
 * px_msg with opt into a new mbuf; sends the result. When keep is not NULL
 * and something was sent, *keep receives a reference to the frame (for
 * resending), replacing (and releasing) the one it held.
 */
static enum px_act
sf_px(struct sf *sf, const struct sip_msg *m, uint32_t src_ip, uint16_t src_port,
      const struct px_opt *opt, struct rte_mbuf **keep, struct px_res *res)
{
	struct rte_mbuf *o;
	enum px_act act;
	uint16_t cap;
	char *out;

	if ((o = sf_alloc(sf, &out, &cap)) == NULL)
		return PX_DROP;
	act = px_msg(sf->pc, &sf->w->cnt, m, src_ip, src_port, opt, out, cap, res);
	if (act != PX_FORWARD && act != PX_REPLY) {
		if (act == PX_PROBE)
			wrk_probe_ack(sf->w, res);
		rte_pktmbuf_free(o);
		return act;
	}
	/* a Timer A or failover resend is not a new INVITE to bill */
	if (unlikely(res->acct.method != 0) && act == PX_FORWARD && !(opt && opt->again))
		wrk_acct(sf->w, res, src_ip, src_port, sf->now_tsc);
	if (keep)
		sf_keep(keep, o);
	wrk_send(sf->w, o, res->len, res->dst_ip, res->dst_port, sf->now_tsc);
	return act;
}

/*
 * A response of ours to request m, whose top Via is via (NULL: px parses
 * it); kept in *keep when keep is not NULL.
 */
static void
sf_reply(struct sf *sf, const struct sip_msg *m, const struct sip_via *via, uint32_t src_ip,
	 uint16_t src_port, uint16_t code, const char *reason, uint32_t retry_after,
	 struct rte_mbuf **keep)
{
	struct rte_mbuf *o;
	struct px_res res;
	uint16_t cap;
	char *out;

	if ((o = sf_alloc(sf, &out, &cap)) == NULL)
		return;
	if (px_reply(&sf->w->cnt, m, via, src_ip, src_port, code, reason, retry_after, out, cap,
		     &res) != PX_REPLY) {
		rte_pktmbuf_free(o);
		return;
	}
	if (keep)
		sf_keep(keep, o);
	wrk_send(sf->w, o, res.len, res.dst_ip, res.dst_port, sf->now_tsc);
}

static const char *
reason_of(uint16_t code)
{
	switch (code) {
	case 408: return "Request Timeout";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	default: return code >= 600 ? "Global Failure" : code >= 500 ? "Server Error" :
			code >= 400 ? "Request Failure" : "Redirection";
	}
}

/* --- transactions ------------------------------------------------------ */

/* Parse the kept INVITE (its mbuf holds exactly the SIP message). */
static int
sf_invite_parse(const struct txn *e, struct sip_msg *m)
{
	return sip_parse_msg(rte_pktmbuf_mtod(e->invite, const char *),
			     rte_pktmbuf_data_len(e->invite), m) == SIP_OK ? 0 : -1;
}

static void
sf_live(struct sf *sf)
{
	sf->w->cnt.txn_live = txn_live(sf->t);
}

static bool
sf_tried(const struct txn *e, unsigned b)
{
	return (e->tried[b / 64] >> (b % 64)) & 1;
}

static void
sf_set_tried(struct txn *e, unsigned b)
{
	e->tried[b / 64] |= UINT64_C(1) << (b % 64);
}

/*
 * The next backend for the Call-ID: its Maglev ranking, i.e. the backends of
 * the slots after its own in table order, skipping those tried. -1 if all
 * were tried.
 */
static int
sf_next_backend(const struct bk_set *bks, const struct txn *e, struct sv call_id)
{
	const struct mgl *mg = bks->mgl;
	unsigned n_tried = 0;
	uint32_t s;

	if (mg == NULL)
		return -1;
	/* every active backend tried: no need to walk the whole table */
	for (unsigned b = 0; b < bks->n; b++)
		n_tried += sf_tried(e, b) && bks->bk[b].state == BK_ACTIVE;
	if (n_tried >= bks->n_active)
		return -1;
	s = mgl_hash(call_id.p, call_id.len) % mg->size;
	for (uint32_t i = 0; i < mg->size; i++) {
		uint16_t b = mg->table[s];

		if (!sf_tried(e, b))
			return b;
		if (++s == mg->size)
			s = 0;
	}
	return -1;
}

/* RFC 3261 §16.7 step 6: any 6xx, else the lowest class. 0 = none yet. */
static uint16_t
sf_better(uint16_t a, uint16_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	if ((a >= 600) != (b >= 600))
		return a >= 600 ? a : b;
	return a / 100 <= b / 100 ? a : b;
}

static bool
sf_failover_code(const struct sf *sf, uint16_t code)
{
	for (unsigned i = 0; i < sf->conf.n_codes; i++)
		if (sf->conf.codes[i] == code)
			return true;
	return false;
}

/* Send the INVITE of try e->try_k (again, for Timer A) from the kept copy. */
static int
sf_send_try(struct sf *sf, struct txn *e, const struct sip_msg *inv)
{
	struct px_opt opt = {
		.h = e->h,
		.backend = e->backend == SF_NO_BACKEND ? -1 : e->backend,
		.try_k = (int8_t)e->try_k,
		.again = true,
	};
	struct px_res res;

	if (sf_px(sf, inv, e->src_ip, e->src_port, &opt, NULL, &res) != PX_FORWARD)
		return -1;
	e->dst_ip = res.dst_ip;
	e->dst_port = res.dst_port;
	return 0;
}

/*
 * Our CANCEL (§9.1) or ACK (resp != NULL, §17.1.1.3) of try k, to where that
 * try's INVITE went: the current try's next hop, or for an abandoned try
 * the address its response came from (to_ip != 0), which is where we sent it.
 */
static void
sf_hop(struct sf *sf, struct txn *e, const struct sip_msg *inv, const struct sip_msg *resp,
       unsigned k, uint32_t to_ip, uint16_t to_port)
{
	int b = e->backend != SF_NO_BACKEND ? e->backend : -1;
	struct rte_mbuf *o;
	uint16_t cap, len;
	char *out;

	if (to_ip != 0)
		b = bk_set_by_addr(sf->pc->bks, to_ip, to_port);
	else {
		to_ip = e->dst_ip;
		to_port = e->dst_port;
	}

	if ((o = sf_alloc(sf, &out, &cap)) == NULL)
		return;
	len = px_hop_request(sf->pc, inv, resp, e->h, k, out, cap);
	if (len == 0) {
		cnt_drop(&sf->w->cnt, CNT_DROP_TOO_BIG);
		rte_pktmbuf_free(o);
		return;
	}
	sf->w->cnt.fwd_req++;
	if (b >= 0)
		sf->w->cnt.fwd_backend[b]++;
	wrk_send(sf->w, o, len, to_ip, to_port, sf->now_tsc);
}

static void
sf_send_cancel(struct sf *sf, struct txn *e)
{
	struct sip_msg inv;

	if (sf_invite_parse(e, &inv) < 0)
		return;
	sf_hop(sf, e, &inv, NULL, e->try_k, 0, 0);
	e->flags |= SF_F_CANCEL_SENT;
	/* retransmitted on Timer A until the backend's final (§17.1.2.2) */
	e->a_ms = sf->conf.t1_ms;
	tmr_add(sf->wheel, &e->timer_a, sf->now_ms + e->a_ms);
}

/*
 * The final went upstream: absorb retransmissions for wait_ms, then free.
 * A CANCEL of ours still pending keeps Timer A (its resends) and the INVITE
 * (to build it and to ACK the 487).
 */
static void
sf_complete(struct sf *sf, struct txn *e)
{
	e->state = TXN_COMPLETED;
	if (!(e->flags & SF_F_CANCEL_SENT))
		tmr_cancel(&e->timer_a);
	tmr_cancel(&e->timer_b);
	rte_pktmbuf_free(e->last_prov);
	e->last_prov = NULL;
	/* Timer G (§17.2.1): a non-2xx final goes again until its ACK. Over
	 * UDP a client that had a provisional sends no more INVITEs, so a
	 * lost final would otherwise leave it waiting for its Timer B. */
	if (e->final && !(e->flags & SF_F_2XX)) {
		e->g_exp = 0;
		tmr_add(sf->wheel, &e->timer_b, sf->now_ms + sf->conf.t1_ms);
	}
	if ((e->flags & SF_F_2XX) && !(e->flags & SF_F_CANCELLED)) {
		rte_pktmbuf_free(e->invite);
		e->invite = NULL;
	}
	tmr_add(sf->wheel, &e->timer_d, sf->now_ms + sf->conf.wait_ms);
	sf->w->cnt.txn_completed++;
	cnt_lat(sf->w->cnt.lat_final, &sf->w->cnt.lat_final_sum_ms,
		(uint32_t)sf->now_ms - e->t0_ms);
	/* by the backend of the try that ended it, when it was one */
	if (e->backend != SF_NO_BACKEND)
		cnt_lat(sf->w->cnt.lat_final_bk[e->backend],
			&sf->w->cnt.lat_final_bk_sum_ms[e->backend],
			(uint32_t)sf->now_ms - e->t0_ms);
}

/* Answer upstream ourselves with code (the try's outcome) and complete. */
static void
sf_final_local(struct sf *sf, struct txn *e, uint16_t code)
{
	struct sip_msg inv;

	if (e->flags & SF_F_CANCELLED)
		code = 487;
	/* §16.7 step 6: a 503 from downstream would tell the client that
	 * siplb itself is unavailable; it gets a 500 (SER's tm does the same) */
	if (code == 503)
		code = 500;
	if (sf_invite_parse(e, &inv) == 0)
		sf_reply(sf, &inv, NULL, e->src_ip, e->src_port, code, reason_of(code), 0,
			 &e->final);
	sf_complete(sf, e);
}

/*
 * Try the next backend. Returns false when there is none (or the INVITE
 * cannot be rebuilt): the caller then sends the final upstream.
 */
static bool
sf_failover(struct sf *sf, struct txn *e, uint64_t *counter)
{
	const struct sip_hdr *cid;
	struct sip_msg inv;
	int b;

	if (!(e->flags & SF_F_PICKED) || (e->flags & SF_F_CANCELLED) ||
	    e->try_k >= TXN_TRY_MAX || sf_invite_parse(e, &inv) < 0 ||
	    (cid = sip_hdr_first(&inv, SIP_H_CALL_ID)) == NULL)
		return false;
	b = sf_next_backend(sf->pc->bks, e, cid->value);
	if (b < 0)
		return false;
	e->try_k++;
	e->backend = (uint16_t)b;
	e->state = TXN_CALLING;
	e->flags &= (uint8_t)~SF_F_CANCEL_SENT;
	sf_set_tried(e, (unsigned)b);
	rte_pktmbuf_free(e->last_prov); /* our 100 stands for it again */
	e->last_prov = NULL;
	if (sf_send_try(sf, e, &inv) < 0)
		return false;
	(*counter)++;
	e->a_ms = sf->conf.t1_ms;
	tmr_add(sf->wheel, &e->timer_a, sf->now_ms + e->a_ms);
	tmr_add(sf->wheel, &e->timer_b, sf->now_ms + sf->conf.fr_ms);
	return true;
}

static void
sf_delete(struct sf *sf, struct txn *e)
{
	sf_free_mbufs(e, NULL);
	txn_delete(sf->t, e);
	sf_live(sf);
}

static void
sf_fire(struct tmr_node *n, void *arg)
{
	struct sf *sf = arg;
	struct txn *e = txn_at(sf->t, (uint32_t)(((char *)n - (char *)txn_at(sf->t, 0)) /
						 (ptrdiff_t)sizeof(struct txn)));
	struct cnt_core *c = &sf->w->cnt;

	if (n == &e->timer_d) {
		sf_delete(sf, e);
	} else if (n == &e->timer_a) {
		if (e->state == TXN_CALLING) {
			/* Timer A (§17.1.1.2): no response yet, send again */
			struct sip_msg inv;

			if (sf_invite_parse(e, &inv) == 0 && sf_send_try(sf, e, &inv) == 0)
				c->txn_timer_a++;
			e->a_ms *= 2;
			tmr_add(sf->wheel, &e->timer_a, sf->now_ms + e->a_ms);
		} else if (e->flags & SF_F_CANCEL_SENT) {
			/* our CANCEL, until the backend answers it or its
			 * INVITE (§17.1.2.2), or the wait ends */
			struct sip_msg inv;

			if (e->invite && sf_invite_parse(e, &inv) == 0)
				sf_hop(sf, e, &inv, NULL, e->try_k, 0, 0);
			e->a_ms = e->a_ms * 2 < SF_T2_MS ? e->a_ms * 2 : SF_T2_MS;
			tmr_add(sf->wheel, &e->timer_a, sf->now_ms + e->a_ms);
		}
	} else if (n == &e->timer_b && e->state >= TXN_COMPLETED) {
		/* Timer G: T1, doubling up to T2, until the ACK or the end of
		 * the wait (wait_ms stands for Timer H) */
		if (e->state == TXN_COMPLETED && e->final) {
			uint32_t ms = sf->conf.t1_ms << (e->g_exp < 8 ? ++e->g_exp : 8);

			wrk_resend(sf->w, e->final, sf->now_tsc);
			c->txn_timer_g++;
			tmr_add(sf->wheel, &e->timer_b, sf->now_ms + (ms < SF_T2_MS ? ms : SF_T2_MS));
		}
	} else if (n == &e->timer_b) {
		c->txn_timeouts++;
		if (e->state == TXN_CALLING) {
			/* fr_timer: the backend never answered */
			if (e->backend != SF_NO_BACKEND)
				c->fail_backend[e->backend]++;
			e->best_status = sf_better(e->best_status, 408);
			if (!sf_failover(sf, e, &c->txn_failover_timeout))
				sf_final_local(sf, e, e->best_status);
		} else if (e->state == TXN_PROCEEDING) {
			/* fr_inv_timer: ringing too long; stop it (SER does too) */
			if (!(e->flags & SF_F_CANCEL_SENT))
				sf_send_cancel(sf, e);
			sf_final_local(sf, e, 408);
		}
	}
	sf_live(sf);
}

/* Upstream INVITE: a retransmission, or a new transaction. */
static void
sf_invite(struct sf *sf, struct rte_mbuf *m, const struct sip_msg *msg, uint32_t src_ip,
	  uint16_t src_port)
{
	struct cnt_core *c = &sf->w->cnt;
	struct sip_via via;
	struct px_opt opt = { .backend = -1, .try_k = 0, .via = &via };
	struct px_res res;
	struct txn *e;

	if (px_txn_key(msg, &via, &opt.h) < 0)
		goto stateless;
	e = txn_lookup_up(sf->t, opt.h, via.branch, via.host, via.port);
	if (e) {
		/* §17.2.1: resend the last response; the backend sees one INVITE */
		c->sip_req[SIP_M_INVITE]++;
		c->txn_retrans_absorbed++;
		if (e->final)
			wrk_resend(sf->w, e->final, sf->now_tsc);
		else if (e->last_prov)
			wrk_resend(sf->w, e->last_prov, sf->now_tsc);
		else if (e->state < TXN_COMPLETED)
			sf_reply(sf, msg, &via, src_ip, src_port, 100, "Trying", 0, NULL);
		rte_pktmbuf_free(m);
		return;
	}
	if (sf->t->n_free == 0) {
		c->sip_req[SIP_M_INVITE]++;
		c->txn_table_full++;
		sf_reply(sf, msg, &via, src_ip, src_port, 503, "Service Unavailable",
			 sf->conf.retry_after_s, NULL);
		rte_pktmbuf_free(m);
		return;
	}
	if (sf_px(sf, msg, src_ip, src_port, &opt, NULL, &res) != PX_FORWARD) {
		/* refused (answered) or dropped, counted by px */
		rte_pktmbuf_free(m);
		return;
	}
	e = txn_insert(sf->t, opt.h, via.branch, via.host, via.port);
	if (e == NULL) { /* cannot happen: looked up, room checked */
		rte_pktmbuf_free(m);
		return;
	}
	c->txn_created++;
	e->t0_ms = (uint32_t)sf->now_ms;
	e->src_ip = src_ip;
	e->src_port = src_port;
	e->dst_ip = res.dst_ip;
	e->dst_port = res.dst_port;
	e->backend = res.backend >= 0 ? (uint16_t)res.backend : SF_NO_BACKEND;
	if (res.picked)
		e->flags |= SF_F_PICKED;
	if (res.backend >= 0)
		sf_set_tried(e, (unsigned)res.backend);
	e->invite = m;
	/* §16.2 / §17.2.1: tell upstream at once that we have it */
	sf_reply(sf, msg, &via, src_ip, src_port, 100, "Trying", 0, NULL);
	e->a_ms = sf->conf.t1_ms;
	tmr_add(sf->wheel, &e->timer_a, sf->now_ms + e->a_ms);
	tmr_add(sf->wheel, &e->timer_b, sf->now_ms + sf->conf.fr_ms);
	sf_live(sf);
	return;
stateless:
	sf_px(sf, msg, src_ip, src_port, NULL, NULL, &res);
	rte_pktmbuf_free(m);
}

/* Upstream CANCEL or ACK: matched to an INVITE transaction, or stateless. */
static void
sf_cancel_ack(struct sf *sf, struct rte_mbuf *m, const struct sip_msg *msg, uint32_t src_ip,
	      uint16_t src_port)
{
	struct cnt_core *c = &sf->w->cnt;
	struct sip_via via;
	struct px_opt opt = { .backend = -1, .try_k = -1 };
	struct px_res res;
	struct txn *e = NULL;

	if (px_txn_key(msg, &via, &opt.h) == 0) {
		opt.via = &via;
		e = txn_lookup_up(sf->t, opt.h, via.branch, via.host, via.port);
	}
	if (e && msg->method == SIP_M_CANCEL) {
		/* §9.2 / §16.10: answered here; the backend gets our own */
		c->sip_req[SIP_M_CANCEL]++;
		sf_reply(sf, msg, &via, src_ip, src_port, 200, "OK", 0, NULL);
		if (e->state < TXN_COMPLETED && !(e->flags & SF_F_CANCELLED)) {
			c->txn_cancels++;
			e->flags |= SF_F_CANCELLED;
			/* §9.1: not before the backend sent a provisional */
			if (e->state == TXN_PROCEEDING)
				sf_send_cancel(sf, e);
		}
		rte_pktmbuf_free(m);
		return;
	}
	if (e && msg->method == SIP_M_ACK && e->state >= TXN_COMPLETED &&
	    !(e->flags & SF_F_2XX)) {
		/* ACK of a non-2xx final: hop by hop, ours went to the backend */
		c->sip_req[SIP_M_ACK]++;
		c->ack_absorbed++;
		e->state = TXN_CONFIRMED;
		tmr_cancel(&e->timer_b); /* Timer G: acknowledged */
		rte_pktmbuf_free(m);
		return;
	}
	/* no transaction: stateless, with the Via parsed and hashed already */
	sf_px(sf, msg, src_ip, src_port, opt.via ? &opt : NULL, NULL, &res);
	rte_pktmbuf_free(m);
}

/* A response carrying our transaction branch (h, k). */
static void
sf_response(struct sf *sf, struct rte_mbuf *m, const struct sip_msg *msg, uint32_t src_ip,
	    uint16_t src_port, uint64_t h, unsigned k, bool is_cancel)
{
	struct cnt_core *c = &sf->w->cnt;
	uint16_t st = msg->status;
	struct px_res res;
	bool passed = false; /* given to px, which counts it */
	/* any try of h: responses of abandoned tries are handled too */
	struct txn *e = txn_lookup_h(sf->t, h);

	if (e == NULL) /* its transaction ended: as a stateless proxy would */
		goto stateless;
	if (is_cancel) {
		/* the backend has our CANCEL: stop resending it */
		if (k == e->try_k && (e->flags & SF_F_CANCEL_SENT))
			tmr_cancel(&e->timer_a);
		c->txn_resp_absorbed++;
		goto absorbed;
	}
	if (!(e->flags & SF_F_ANSWERED)) {
		int b = bk_set_by_addr(sf->pc->bks, src_ip, src_port);

		e->flags |= SF_F_ANSWERED;
		cnt_lat(c->lat_first, &c->lat_first_sum_ms, (uint32_t)sf->now_ms - e->t0_ms);
		if (b >= 0) /* by the backend that answered */
			cnt_lat(c->lat_first_bk[b], &c->lat_first_bk_sum_ms[b],
				(uint32_t)sf->now_ms - e->t0_ms);
	}
	if (k != e->try_k && st >= 200 && st < 300) {
		/* A try we gave up answered 2xx after all: a call was set up
		 * there, and only the caller can end it. 2xx always go
		 * upstream (§16.7 step 4), as from a fork. */
		sf_px(sf, msg, src_ip, src_port, NULL, NULL, &res);
		passed = true;
		if (e->state < TXN_COMPLETED) {
			/* the call is up there: end the current try (§16.7
			 * step 10, §16.10); once its backend sent a
			 * provisional (§9.1), else when it does */
			e->flags |= SF_F_2XX | SF_F_CANCELLED;
			if (e->state == TXN_PROCEEDING)
				sf_send_cancel(sf, e);
			sf_complete(sf, e);
		}
		goto absorbed;
	}
	if (k != e->try_k) {
		/* a try we gave up: ACK its final, pass nothing on */
		if (st >= 300 && e->invite) {
			struct sip_msg inv;

			if (sf_invite_parse(e, &inv) == 0)
				sf_hop(sf, e, &inv, msg, k, src_ip, src_port);
		}
		c->txn_resp_absorbed++;
		goto absorbed;
	}
	if (st < 200) {
		if (e->state == TXN_CALLING) {
			/* Timer A stops; now fr_inv_timer bounds the ringing */
			e->state = TXN_PROCEEDING;
			tmr_cancel(&e->timer_a);
			tmr_add(sf->wheel, &e->timer_b, sf->now_ms + sf->conf.fr_inv_ms);
			if (e->flags & SF_F_CANCELLED)
				sf_send_cancel(sf, e);
		}
		if (e->state >= TXN_COMPLETED && (e->flags & SF_F_CANCELLED) &&
		    !(e->flags & SF_F_CANCEL_SENT) && e->invite)
			sf_send_cancel(sf, e); /* the CANCEL that waited for it */
		if (st == 100 || e->state >= TXN_COMPLETED) {
			/* §16.7 step 5: a 100 is hop by hop; step 10: no
			 * provisional after a final */
			c->txn_resp_absorbed++;
			goto absorbed;
		}
		sf_px(sf, msg, src_ip, src_port, NULL, &e->last_prov, &res);
		passed = true;
		goto absorbed;
	}
	if (st < 300) {
		/* 2xx: upstream, always (§16.7 step 4), retransmissions too */
		sf_px(sf, msg, src_ip, src_port, NULL, NULL, &res);
		passed = true;
		if (e->state < TXN_COMPLETED) {
			e->flags |= SF_F_2XX;
			sf_complete(sf, e);
		}
		goto absorbed;
	}
	/* non-2xx final: ACKed here, hop by hop (§17.1.1.3) */
	if (e->invite) {
		struct sip_msg inv;

		if (sf_invite_parse(e, &inv) == 0)
			sf_hop(sf, e, &inv, msg, k, 0, 0);
	}
	if (e->state >= TXN_COMPLETED) {
		/* a retransmission, or the end of a try we CANCELled */
		if (e->flags & SF_F_CANCEL_SENT)
			tmr_cancel(&e->timer_a);
		c->txn_resp_absorbed++;
		goto absorbed;
	}
	e->best_status = sf_better(e->best_status, st);
	if (st == 503 && e->backend != SF_NO_BACKEND)
		c->fail_backend[e->backend]++; /* counts against its health */
	if (sf_failover_code(sf, st)) {
		tmr_cancel(&e->timer_a);
		tmr_cancel(&e->timer_b);
		if (sf_failover(sf, e, st == 503 ? &c->txn_failover_503 : &c->txn_failover_code))
			goto absorbed;
	}
	if (e->best_status == st && st != 503) {
		sf_px(sf, msg, src_ip, src_port, NULL, &e->final, &res);
		passed = true;
		sf_complete(sf, e);
	} else {
		sf_final_local(sf, e, e->best_status);
	}
absorbed:
	if (!passed)
		c->sip_resp[st / 100]++;
	rte_pktmbuf_free(m);
	sf_live(sf);
	return;
stateless:
	sf_px(sf, msg, src_ip, src_port, NULL, NULL, &res);
	rte_pktmbuf_free(m);
}

/*
 * Which messages the transaction layer wants: INVITE, CANCEL, ACK, and
 * responses to INVITE and CANCEL. *cancel: a response to a CANCEL.
 */
static bool
sf_wanted(const struct sip_msg *msg, bool *cancel)
{
	const struct sip_hdr *cs;
	struct sv v;

	*cancel = false;
	if (msg->is_request)
		return msg->method == SIP_M_INVITE || msg->method == SIP_M_CANCEL ||
		       msg->method == SIP_M_ACK;
	/* CSeq's method is its last token (the value is trimmed); a
	 * malformed CSeq is px's to refuse, wherever it is handled. */
	cs = sip_hdr_first(msg, SIP_H_CSEQ);
	if (cs == NULL || cs->value.len < 8)
		return false;
	v = (struct sv){ sv_end(cs->value) - 7, 7 };
	if (!sv_is_ws(v.p[0]))
		return false;
	v.p++;
	v.len = 6;
	*cancel = sv_eq(v, SV_LIT("CANCEL"));
	return *cancel || sv_eq(v, SV_LIT("INVITE"));
}

/*
 * The branch of a response's top Via value. Our Via comes back as we wrote
 * it (§8.2.6.2): "SIP/2.0/UDP ip:port;branch=z9hG4bKslb..." with the branch
 * right after our text, so it is read at a fixed place; anything else takes
 * the full parse.
 */
static int
sf_our_branch(const struct sf *sf, struct sv value, struct sv *branch)
{
	const struct px_conf *pc = sf->pc;
	const uint16_t pre = (uint16_t)(pc->via_len - 5 - (sizeof(PX_BRANCH_PREFIX) - 1));
	struct sip_via via;

	if (value.len >= pre + TXN_BRANCH_LEN && memcmp(value.p, pc->via + 5, pre) == 0) {
		const char *e = value.p + pre + TXN_BRANCH_LEN;

		if (e == sv_end(value) || *e == ';' || *e == ',' || sv_is_ws(*e)) {
			*branch = (struct sv){ value.p + pre, TXN_BRANCH_LEN };
			return 0;
		}
	}
	if (sip_via_parse(value, &via, NULL) < 0)
		return -1;
	*branch = via.branch;
	return 0;
}

/* A parsed message on its owner: m holds exactly the SIP message. */
static void
sf_handle(struct sf *sf, struct rte_mbuf *m, const struct sip_msg *msg, uint32_t src_ip,
	  uint16_t src_port)
{
	struct px_res res;
	bool cancel;

	if (!sf_wanted(msg, &cancel))
		goto stateless;
	if (msg->is_request) {
		if (msg->method == SIP_M_INVITE)
			sf_invite(sf, m, msg, src_ip, src_port);
		else
			sf_cancel_ack(sf, m, msg, src_ip, src_port);
		return;
	} else {
		const struct sip_hdr *vh = sip_hdr_first(msg, SIP_H_VIA);
		struct sv branch;
		uint64_t h;
		unsigned k;

		if (vh && sf_our_branch(sf, vh->value, &branch) == 0 &&
		    txn_branch_parse(branch, &h, &k) == 0) {
			sf_response(sf, m, msg, src_ip, src_port, h, k, cancel);
			return;
		}
	}
stateless:
	sf_px(sf, msg, src_ip, src_port, NULL, NULL, &res);
	rte_pktmbuf_free(m);
}

/* Owner of a Call-ID among the workers (not the Maglev slot's bits). */
static unsigned
sf_owner(const struct sf *sf, struct sv call_id)
{
	return (mgl_hash(call_id.p, call_id.len) >> 16) % sf->n_wrk;
}

void
sf_input(struct sf *sf, struct rte_mbuf *m, const struct pkt_view *v)
{
	struct sip_msg msg;
	const struct sip_hdr *cid;
	uint16_t off;
	bool cancel;

	if (sip_parse_msg(v->payload, v->payload_len, &msg) != SIP_OK) {
		/* errors: answered 400 or dropped, counted */
		wrk_sip(sf->w, sf->pc, m, v, sf->now_tsc);
		return;
	}
	cid = sip_hdr_first(&msg, SIP_H_CALL_ID);
	if (cid == NULL || cid->value.len == 0 || !sf_wanted(&msg, &cancel)) {
		/* no transaction to find: stateless, on this core */
		struct px_res res;

		sf_px(sf, &msg, v->src_ip, v->sport, NULL, NULL, &res);
		rte_pktmbuf_free(m);
		return;
	}
	/* Keep only the SIP message: what is stored and handed over. */
	off = (uint16_t)(v->payload - rte_pktmbuf_mtod(m, const char *));
	rte_pktmbuf_adj(m, off);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - v->payload_len));
	if (sf->n_wrk > 1) {
		unsigned owner = sf_owner(sf, cid->value);

		if (owner != sf->self) {
			m->hash.fdir.hi = v->src_ip;
			m->hash.fdir.lo = v->sport;
			if (rte_ring_sp_enqueue(sf->to[owner], m) < 0) {
				cnt_drop(&sf->w->cnt, CNT_DROP_HANDOFF_FULL);
				rte_pktmbuf_free(m);
				return;
			}
			sf->w->cnt.handoff_out++;
			return;
		}
	}
	sf_handle(sf, m, &msg, v->src_ip, v->sport);
}

unsigned
sf_poll(struct sf *sf)
{
	struct rte_mbuf *ms[SF_HANDOFF_BURST];
	unsigned done = 0;

	for (unsigned j = 0; j < sf->n_wrk; j++) {
		unsigned n;

		if (sf->from[j] == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(sf->from[j], (void **)ms, SF_HANDOFF_BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = ms[i];
			struct sip_msg msg;

			sf->w->cnt.handoff_in++;
			/* parsed on the other core already: cannot fail */
			if (sip_parse_msg(rte_pktmbuf_mtod(m, const char *), rte_pktmbuf_data_len(m),
					  &msg) != SIP_OK) {
				rte_pktmbuf_free(m);
				continue;
			}
			sf_handle(sf, m, &msg, m->hash.fdir.hi, (uint16_t)m->hash.fdir.lo);
		}
		done += n;
	}
	if (sf->now_ms > sf->wheel->now)
		done += tmr_advance(sf->wheel, sf->now_ms, sf_fire, sf, SF_FIRE_BUDGET);
	return done;
}
