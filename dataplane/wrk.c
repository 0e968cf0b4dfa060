/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring_elem.h>

#include "acct.h"
#include "pkt.h"
#include "sf.h"
#include "wrk.h"

static void
wrk_tx(void *arg, struct rte_mbuf *m)
{
	struct wrk *w = arg;

	if (w->n_tx == WRK_TX_BURST)
		wrk_flush(w);
	w->tx[w->n_tx++] = m;
}

void
wrk_flush(struct wrk *w)
{
	uint16_t sent;

	if (w->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(w->port_id, w->queue_id, w->tx, w->n_tx);
	w->cnt.tx_pkts += sent;
	for (uint16_t i = 0; i < sent; i++)
		w->cnt.tx_bytes += rte_pktmbuf_pkt_len(w->tx[i]);
	if (sent < w->n_tx) {
		/* Never wait for the queue: what does not fit is dropped, counted. */
		w->cnt.drop[CNT_DROP_TX_FULL] += (uint64_t)(w->n_tx - sent);
		rte_pktmbuf_free_bulk(w->tx + sent, (unsigned)(w->n_tx - sent));
	}
	w->n_tx = 0;
}

/* arp learned hook: pass the binding on to every other worker. A full inbox
 * loses only a hint: that worker resolves the next hop itself. */
static void
wrk_arp_learned(void *arg, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct wrk *w = arg;
	struct wrk_arp_msg msg = { .ip = ip, .mac = *mac };

	for (unsigned i = 0; i < w->n_peers; i++)
		rte_ring_enqueue_elem(w->peers[i]->arp_inbox, &msg, sizeof(msg));
}

static void
wrk_arp_inbox(struct wrk *w, uint64_t now)
{
	struct wrk_arp_msg msg[8];
	unsigned n;

	n = rte_ring_dequeue_burst_elem(w->arp_inbox, msg, sizeof(msg[0]), 8, NULL);
	for (unsigned i = 0; i < n; i++)
		arp_learn(&w->arp, msg[i].ip, &msg[i].mac, now);
}

void
wrk_set_peers(struct wrk **all, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct wrk *w = all[i];

		w->n_peers = 0;
		for (unsigned j = 0; j < n && w->n_peers < WRK_MAX; j++)
			if (j != i && all[j]->arp_inbox)
				w->peers[w->n_peers++] = all[j];
		if (w->n_peers)
			w->arp.learned = wrk_arp_learned;
	}
}

void
wrk_init(struct wrk *w, const struct wrk_params *p)
{
	w->port_id = p->port_id;
	w->queue_id = p->queue_id;
	w->sip_port = p->sip_port;
	w->prefix = p->prefix;
	w->has_gateway = p->has_gateway;
	w->addr = p->addr;
	w->gateway = p->gateway;
	w->mac = p->mac;
	w->mp = p->mp;
	w->hz = rte_get_tsc_hz();
	w->conf = p->conf;
	w->quit = p->quit;
	w->qsbr = p->qsbr;
	w->qsbr_id = p->qsbr_id;
	w->announce = p->announce;
	w->n_tx = 0;
	w->arp_inbox = p->arp_inbox;
	w->sf = p->sf;
	w->acct = p->acct;
	w->probe_in = p->probe_in;
	w->probe_out = p->probe_out;
	if (w->sf)
		w->sf->w = w;
	arp_cache_init(&w->arp, p->addr, &p->mac, p->mp, wrk_tx, w, &w->cnt, w->hz);
}

/* Next hop for dst: itself when on-link, else the gateway; 0 if none. */
static uint32_t
wrk_next_hop(const struct wrk *w, uint32_t dst)
{
	if (pkt_on_link(dst, w->addr, w->prefix))
		return dst;
	return w->has_gateway ? w->gateway : 0;
}

void
wrk_send(struct wrk *w, struct rte_mbuf *o, uint16_t len, uint32_t dst_ip,
	 uint16_t dst_port, uint64_t now)
{
	uint32_t nh = wrk_next_hop(w, dst_ip);

	if (unlikely(nh == 0)) {
		cnt_drop(&w->cnt, CNT_DROP_NO_ROUTE);
		rte_pktmbuf_free(o);
		return;
	}
	pkt_udp_build(o, &w->mac, &w->mac, w->addr, dst_ip, w->sip_port, dst_port, len);
	arp_output(&w->arp, nh, o, now);
}

void
wrk_resend(struct wrk *w, struct rte_mbuf *o, uint64_t now)
{
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(o, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint32_t nh = wrk_next_hop(w, ip->dst_addr);

	if (unlikely(nh == 0)) {
		cnt_drop(&w->cnt, CNT_DROP_NO_ROUTE);
		return;
	}
	rte_mbuf_refcnt_update(o, 1);
	arp_output(&w->arp, nh, o, now);
}

static uint8_t
acct_copy(char *dst, struct sv v, unsigned cap, uint8_t *flags)
{
	unsigned n = v.len;

	if (n > cap) {
		n = cap;
		*flags |= ACCT_F_TRUNC;
	}
	memcpy(dst, v.p, n);
	return (uint8_t)n;
}

void
wrk_acct(struct wrk *w, const struct px_res *res, uint32_t src_ip, uint16_t src_port,
	 uint64_t now)
{
	struct acct_rec r;

	if (w->acct == NULL || res->acct.method == 0)
		return;
	r.tsc = now;
	r.src_ip = src_ip;
	r.src_port = src_port;
	r.status = res->acct.status;
	r.method = res->acct.method;
	r.flags = 0;
	if (res->backend >= 0) {
		r.backend = res->backend;
	} else {
		/* a response: the backend it came from */
		const struct px_conf *pc = __atomic_load_n(w->conf, __ATOMIC_ACQUIRE);

		r.backend = (int16_t)bk_set_by_addr(pc->bks, src_ip, src_port);
	}
	r.cid_len = acct_copy(r.cid, res->acct.call_id, ACCT_CID_MAX, &r.flags);
	r.ftag_len = acct_copy(r.ftag, res->acct.from_tag, ACCT_TAG_MAX, &r.flags);
	r.ttag_len = acct_copy(r.ttag, res->acct.to_tag, ACCT_TAG_MAX, &r.flags);
	if (rte_ring_sp_enqueue_elem(w->acct, &r, sizeof(r)) == 0)
		w->cnt.acct_records++;
	else
		w->cnt.acct_lost++;
}

void
wrk_probe_ack(struct wrk *w, const struct px_res *res)
{
	struct wrk_probe_ack a;

	if (w->probe_out == NULL || res->acct.call_id.len > WRK_PROBE_BRANCH_MAX)
		return;
	a.status = res->acct.status;
	a.len = (uint8_t)res->acct.call_id.len;
	memcpy(a.branch, res->acct.call_id.p, a.len);
	/* full: the control plane counts the probe as missed */
	rte_ring_sp_enqueue_elem(w->probe_out, &a, sizeof(a));
}

/* Send the control plane's health-check OPTIONS (worker 0). */
static void
wrk_probes(struct wrk *w, uint64_t now)
{
	struct wrk_probe p;

	while (rte_ring_sc_dequeue_elem(w->probe_in, &p, sizeof(p)) == 0) {
		struct rte_mbuf *o = rte_pktmbuf_alloc(w->mp);

		if (o == NULL) {
			cnt_drop(&w->cnt, CNT_DROP_MBUF_ALLOC);
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(o, char *, PKT_HDR_LEN), p.msg, p.len);
		w->cnt.probes_sent++;
		wrk_send(w, o, p.len, p.ip, p.port, now);
	}
}

void
wrk_sip(struct wrk *w, const struct px_conf *pc, struct rte_mbuf *m,
	const struct pkt_view *v, uint64_t now)
{
	struct rte_mbuf *o;
	struct px_res res;
	enum px_act act;
	char *out;

	o = rte_pktmbuf_alloc(w->mp);
	if (unlikely(o == NULL)) {
		cnt_drop(&w->cnt, CNT_DROP_MBUF_ALLOC);
		rte_pktmbuf_free(m);
		return;
	}
	out = rte_pktmbuf_mtod_offset(o, char *, PKT_HDR_LEN);
	act = px_process(pc, &w->cnt, v->payload, v->payload_len, v->src_ip, v->sport,
			 out, (uint16_t)(rte_pktmbuf_tailroom(o) - PKT_HDR_LEN), &res);
	if (unlikely(res.acct.method != 0) && act == PX_FORWARD)
		wrk_acct(w, &res, v->src_ip, v->sport, now);
	if (unlikely(act == PX_PROBE))
		wrk_probe_ack(w, &res);
	rte_pktmbuf_free(m);
	if (act != PX_FORWARD && act != PX_REPLY) {
		rte_pktmbuf_free(o);
		return;
	}
	wrk_send(w, o, res.len, res.dst_ip, res.dst_port, now);
}

#define WRK_PREFETCH 2

static inline void
wrk_prefetch_frame(const struct rte_mbuf *m)
{
	const char *p = rte_pktmbuf_mtod(m, const char *);
	uint16_t len = rte_pktmbuf_data_len(m);

	for (uint16_t o = 0; o < len; o += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(p + o);
}

void
wrk_handle_burst(struct wrk *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	/* Acquire pairs with the control plane's release store of a new
	 * snapshot: everything it wrote into the snapshot is visible here. */
	const struct px_conf *pc = __atomic_load_n(w->conf, __ATOMIC_ACQUIRE);
	struct pkt_view v;

	if (w->sf)
		sf_clock(w->sf, pc, now);

	/* A frame is read whole (checksum, then parse): bring the next ones
	 * into cache while this one is processed. */
	for (uint16_t i = 0; i < n && i < WRK_PREFETCH; i++)
		wrk_prefetch_frame(pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + WRK_PREFETCH < n)
			wrk_prefetch_frame(pkts[i + WRK_PREFETCH]);
		w->cnt.rx_pkts++;
		w->cnt.rx_bytes += rte_pktmbuf_pkt_len(m);
		switch (pkt_classify(m, w->addr, &v)) {
		case PKT_UDP:
			if (likely(v.dport == w->sip_port)) {
				if (w->sf)
					sf_input(w->sf, m, &v);
				else
					wrk_sip(w, pc, m, &v, now);
				break;
			}
			cnt_drop(&w->cnt, CNT_DROP_UDP_PORT);
			rte_pktmbuf_free(m);
			break;
		case PKT_ARP:
			arp_input(&w->arp, m, now);
			break;
		case PKT_ICMP_ECHO:
			w->cnt.icmp_echo++;
			pkt_icmp_echo_reply(m, &v);
			wrk_tx(w, m);
			break;
		case PKT_DROP:
		default:
			cnt_drop(&w->cnt, v.drop);
			rte_pktmbuf_free(m);
			break;
		}
	}
	wrk_flush(w);
}

int
wrk_main(void *arg)
{
	struct wrk *w = arg;
	struct rte_mbuf *pkts[WRK_RX_BURST];
	uint64_t tick = w->hz / 10;

	if (w->qsbr) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	if (w->announce) {
		arp_announce(&w->arp);
		wrk_flush(w);
	}
	/* Every cycle of the loop is either busy (the iteration found work)
	 * or idle: a poll-mode core always looks 100 % busy to the OS, these
	 * two say how loaded it really is. */
	uint64_t prev = rte_rdtsc();

	w->next_tick = prev + tick;
	while (!*w->quit) {
		uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, WRK_RX_BURST);
		uint64_t now = rte_rdtsc();

		if (n) {
			w->cnt.busy_polls++;
			wrk_handle_burst(w, pkts, n, now);
			now = rte_rdtsc();
			w->cnt.busy_cycles += now - prev;
		} else {
			w->cnt.idle_polls++;
			w->cnt.idle_cycles += now - prev;
		}
		if (w->sf) {
			/* hand-offs and timers are work too */
			sf_clock(w->sf, __atomic_load_n(w->conf, __ATOMIC_ACQUIRE), now);
			if (sf_poll(w->sf)) {
				wrk_flush(w);
				uint64_t t = rte_rdtsc();

				w->cnt.busy_cycles += t - now;
				now = t;
			}
		}
		prev = now;
		if (unlikely(w->probe_in && !rte_ring_empty(w->probe_in))) {
			wrk_probes(w, now);
			wrk_flush(w);
		}
		if (unlikely(w->arp_inbox && !rte_ring_empty(w->arp_inbox)))
			wrk_arp_inbox(w, now);
		if (unlikely(now >= w->next_tick)) {
			w->next_tick = now + tick;
			arp_tick(&w->arp, now);
			wrk_flush(w);
		}
		if (w->qsbr)
			rte_rcu_qsbr_quiescent(w->qsbr, w->qsbr_id);
	}
	wrk_flush(w);
	arp_cache_flush(&w->arp);
	if (w->qsbr) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->qsbr_id);
	}
	return 0;
}
