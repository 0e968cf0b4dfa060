/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health checks (main lcore): a SIP OPTIONS to every backend each
 * health.interval_ms, sent by worker 0 on the control plane's behalf; the
 * answer, whichever worker receives it, comes back on that worker's
 * probe_out ring. No answer within timeout_ms, or an answer whose code is
 * not in alive_codes, is a miss; in stateful mode each try of a backend that
 * timed out or got 503 is a miss too. down_after misses in a row take a
 * backend out of the Maglev table (only its calls move); up_after good
 * answers in a row bring it back. A change publishes a new snapshot.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring_elem.h>

#include "daemon.h"
#include "health.h"

struct hc {
	char name[BK_NAME_MAX];  /* the backend this state belongs to */
	uint32_t seq;            /* of the last probe sent */
	bool outstanding;
	uint64_t sent_ms, next_ms;
	uint32_t misses, oks;    /* in a row */
	uint64_t fails_seen;     /* stateful fail_backend already counted */
};

static struct hc hc[CFG_MAX_BACKENDS];

static uint64_t
fails(const struct daemon *d, unsigned s)
{
	return daemon_slot_sum(d, offsetof(struct cnt_core, fail_backend), s);
}

/* Build and queue the OPTIONS for slot s. */
static void
probe_send(struct daemon *d, unsigned s, uint64_t now)
{
	const struct px_conf *pc = d->pc;
	const struct slot *sl = &d->slot[s];
	struct wrk_probe p;
	char dst[32];
	int n;

	snprintf(dst, sizeof(dst), "%u.%u.%u.%u:%u", ((const uint8_t *)&sl->bk.addr)[0],
		 ((const uint8_t *)&sl->bk.addr)[1], ((const uint8_t *)&sl->bk.addr)[2],
		 ((const uint8_t *)&sl->bk.addr)[3], sl->bk.port);
	hc[s].seq++;
	/* our Via text ends with PX_BRANCH_PREFIX: "hc" makes it PX_PROBE_PREFIX */
	n = snprintf(p.msg, sizeof(p.msg),
		     "OPTIONS sip:%s SIP/2.0\r\n"
		     "%.*shc%ux%08x\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:siplb@%s>;tag=hc%u\r\n"
		     "To: <sip:%s>\r\n"
		     "Call-ID: hc-%u-%08x@%s\r\n"
		     "CSeq: %u OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n",
		     dst, pc->via_len, pc->via, s, hc[s].seq, pc->ip, s, dst, s, hc[s].seq,
		     pc->ip, hc[s].seq);
	if (n <= 0 || (size_t)n >= sizeof(p.msg))
		return;
	p.len = (uint16_t)n;
	p.ip = sl->bk.addr;
	p.port = sl->bk.port;
	hc[s].sent_ms = now;
	hc[s].next_ms = now + d->cfg.hc_interval_ms;
	/* a full ring (worker 0 stuck): the probe times out, a miss */
	hc[s].outstanding = true;
	rte_ring_sp_enqueue_elem(d->wrk[0]->probe_in, &p, sizeof(p));
}

static bool
alive_code(const struct daemon *d, uint16_t code)
{
	for (unsigned i = 0; i < d->cfg.hc_n_alive; i++)
		if (d->cfg.hc_alive[i] == code)
			return true;
	return false;
}

static void
miss(unsigned s, uint32_t n)
{
	hc[s].misses += n;
	hc[s].oks = 0;
}

/* An answer: "z9hG4bKslbhc<slot>x<seq hex>". */
static void
answer(struct daemon *d, const struct wrk_probe_ack *a)
{
	const size_t pre = sizeof(PX_PROBE_PREFIX) - 1;
	char b[WRK_PROBE_BRANCH_MAX + 1], *x, *end;
	unsigned long s, seq;

	if (a->len <= pre)
		return;
	memcpy(b, a->branch, a->len);
	b[a->len] = '\0';
	s = strtoul(b + pre, &x, 10);
	if (*x != 'x' || s >= d->n_slots)
		return;
	seq = strtoul(x + 1, &end, 16);
	if (*end != '\0' || !hc[s].outstanding || seq != hc[s].seq)
		return; /* late: its probe was already counted as missed */
	hc[s].outstanding = false;
	if (alive_code(d, a->status)) {
		hc[s].oks++;
		hc[s].misses = 0;
	} else {
		miss((unsigned)s, 1);
	}
}

void
health_tick(struct daemon *d)
{
	const struct cfg *c = &d->cfg;
	uint64_t now = daemon_now_ms();
	bool changed = false, stalled;
	struct wrk_probe_ack a;

	for (unsigned i = 0; i < d->n_wrk; i++)
		while (d->wrk[i]->probe_out &&
		       rte_ring_sc_dequeue_elem(d->wrk[i]->probe_out, &a, sizeof(a)) == 0)
			answer(d, &a);
	stalled = rte_ring_count(d->wrk[0]->probe_in) > 0;
	for (unsigned s = 0; s < d->n_slots; s++) {
		struct slot *sl = &d->slot[s];
		uint64_t f;

		if (!sl->used)
			continue;
		if (strcmp(hc[s].name, sl->bk.name) != 0) {
			/* a backend new to this slot starts healthy */
			memset(&hc[s], 0, sizeof(hc[s]));
			snprintf(hc[s].name, sizeof(hc[s].name), "%s", sl->bk.name);
			hc[s].fails_seen = fails(d, s);
			hc[s].next_ms = now;
		}
		if (!c->hc_enabled) {
			if (sl->down) {
				sl->down = false; /* checks off: nothing says it is down */
				changed = true;
			}
			continue;
		}
		f = fails(d, s);
		if (f > hc[s].fails_seen) {
			miss(s, (uint32_t)(f - hc[s].fails_seen));
			hc[s].fails_seen = f;
		}
		if (hc[s].outstanding &&
		    now - hc[s].sent_ms >= RTE_MIN(c->hc_timeout_ms, c->hc_interval_ms)) {
			hc[s].outstanding = false;
			/* Still on worker 0's ring: it was never sent (a worker
			 * starved of CPU), which says nothing of the backend. */
			if (stalled)
				d->probes_unsent++;
			else
				miss(s, 1);
		}
		if (!sl->down && hc[s].misses >= c->hc_down_after) {
			sl->down = true;
			changed = true;
			fprintf(stderr, "siplb: backend %s down: %u checks missed\n", sl->bk.name,
				hc[s].misses);
		} else if (sl->down && hc[s].oks >= c->hc_up_after) {
			sl->down = false;
			changed = true;
			fprintf(stderr, "siplb: backend %s up: %u checks answered\n", sl->bk.name,
				hc[s].oks);
		}
		if (!hc[s].outstanding && now >= hc[s].next_ms)
			probe_send(d, s, now);
	}
	if (changed)
		daemon_publish(d, stderr);
}
