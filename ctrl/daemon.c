/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's control-plane state: counters, backend slots, snapshots and
 * reload (see daemon.h). Main lcore only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "daemon.h"
#include "tel.h"

uint64_t
daemon_slot_sum(const struct daemon *d, size_t array, unsigned s)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < d->n_wrk; i++)
		if (d->wrk[i])
			v += __atomic_load_n((const uint64_t *)((const char *)&d->wrk[i]->cnt +
								array) + s, __ATOMIC_RELAXED);
	return v;
}

void
daemon_stats_sum(const struct daemon *d, struct cnt_core *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < d->n_wrk; i++)
		if (d->wrk[i])
			cnt_add(sum, &d->wrk[i]->cnt);
	/* a slot reused by another backend counts from when it got it */
	for (unsigned s = 0; s < d->n_slots; s++)
		sum->fwd_backend[s] -= d->slot[s].fwd_base;
}

void
daemon_stats_json(const struct daemon *d, FILE *f)
{
	struct cnt_core sum;

	daemon_stats_sum(d, &sum);
	cnt_dump_json(f, &sum, d->bk_names, d->n_slots);
}

uint64_t
daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
daemon_sf_conf(const struct cfg *c, struct sf_conf *sc)
{
	*sc = (struct sf_conf){
		.t1_ms = c->st_t1_ms,
		.fr_ms = c->st_fr_timer_ms,
		.fr_inv_ms = c->st_fr_inv_timer_ms,
		.wait_ms = c->st_wait_ms,
		.retry_after_s = c->st_retry_after_s,
		.n_codes = c->st_n_failover_codes,
	};
	memcpy(sc->codes, c->st_failover_codes, sizeof(sc->codes[0]) * sc->n_codes);
}

int
daemon_slot_by_name(const struct daemon *d, const char *name)
{
	for (unsigned s = 0; s < d->n_slots; s++)
		if (d->slot[s].used && strcmp(d->slot[s].bk.name, name) == 0)
			return (int)s;
	return -1;
}

/*
 * A slot for a new backend: a never-used one first, so that a slot freed a
 * moment ago (whose backend live transactions may still name) is reused
 * only when all MGL_MAX_BACKENDS have been handed out. -1 if none.
 */
static int
slot_alloc(struct daemon *d, const bool *taken)
{
	if (d->n_slots < CFG_MAX_BACKENDS)
		return (int)d->n_slots++;
	for (unsigned s = 0; s < d->n_slots; s++)
		if (!d->slot[s].used && !(taken && taken[s]))
			return (int)s;
	return -1;
}

static void
slot_fill(struct slot *sl, const struct cfg_backend *b)
{
	memset(&sl->bk, 0, sizeof(sl->bk));
	sl->bk.addr = b->addr;
	sl->bk.port = b->port;
	sl->bk.weight = b->weight;
	sl->bk.name_len = (uint16_t)strlen(b->name);
	memcpy(sl->bk.name, b->name, sl->bk.name_len);
}

int
daemon_slot_add(struct daemon *d, const struct cfg_backend *b, const bool *taken)
{
	int s = slot_alloc(d, taken);

	if (s < 0)
		return -1;
	memset(&d->slot[s], 0, sizeof(d->slot[s]));
	d->slot[s].used = true;
	d->slot[s].fwd_base = daemon_slot_sum(d, offsetof(struct cnt_core, fwd_backend),
					      (unsigned)s);
	slot_fill(&d->slot[s], b);
	return s;
}

int
daemon_slots_from_cfg(struct daemon *d, const struct cfg *c, FILE *err)
{
	bool taken[CFG_MAX_BACKENDS] = { false };

	for (unsigned i = 0; i < c->n_backends; i++) {
		int s = daemon_slot_by_name(d, c->backends[i].name);

		if (s >= 0) {
			/* same backend: drain and health state stay */
			slot_fill(&d->slot[s], &c->backends[i]);
			taken[s] = true;
		}
	}
	for (unsigned i = 0; i < c->n_backends; i++) {
		int s = daemon_slot_by_name(d, c->backends[i].name);

		if (s >= 0 && taken[s])
			continue;
		s = daemon_slot_add(d, &c->backends[i], taken);
		if (s < 0) {
			fprintf(err, "%s: backends: no free backend slot for %s (%u in use)\n",
				c->path, c->backends[i].name, CFG_MAX_BACKENDS);
			return -ENOSPC;
		}
		taken[s] = true;
	}
	for (unsigned s = 0; s < d->n_slots; s++)
		if (!taken[s])
			d->slot[s].used = false;
	return 0;
}

int
daemon_publish(struct daemon *d, FILE *err)
{
	const struct cfg *c = &d->cfg;
	struct bk bks[CFG_MAX_BACKENDS];
	struct px_conf *pc, *old = d->pc;
	struct bk_set *set;

	for (unsigned s = 0; s < d->n_slots; s++) {
		const struct slot *sl = &d->slot[s];

		bks[s] = sl->bk;
		bks[s].state = !sl->used ? BK_ABSENT : sl->down ? BK_DOWN :
			       sl->drained ? BK_DRAINED : BK_ACTIVE;
	}
	set = bk_set_create(bks, d->n_slots);
	if (set == NULL) {
		fprintf(err, "%s: backend set: %s\n", c->path, strerror(errno));
		return -errno;
	}
	pc = rte_zmalloc("px_conf", sizeof(*pc), RTE_CACHE_LINE_SIZE);
	if (pc == NULL) {
		bk_set_free(set);
		fprintf(err, "%s: out of memory for a new snapshot\n", c->path);
		return -ENOMEM;
	}
	px_conf_init(pc, c->addr, c->sip_port, c->mtu, c->record_route, set);
	pc->acct = c->acct_file[0] != '\0';
	if (c->mode == CFG_MODE_STATEFUL) {
		pc->has_st = true;
		daemon_sf_conf(c, &pc->st);
	}
	/* One store: workers load it with acquire once per burst. */
	__atomic_store_n(&d->pc, pc, __ATOMIC_RELEASE);
	for (unsigned s = 0; s < d->n_slots; s++)
		d->bk_names[s] = d->slot[s].used ? set->bk[s].name : NULL;
	d->publishes++;
	tel_update(d);
	if (old != NULL) {
		/* Every worker passes a quiescent state at the end of each
		 * loop iteration and keeps no snapshot pointer across one:
		 * once each has passed one after this token, none can still
		 * read old. Freed by daemon_reclaim, so the control plane
		 * never waits for a worker; only a full list waits. */
		if (d->n_retired == DAEMON_RETIRED_MAX) {
			rte_rcu_qsbr_check(d->qsbr, d->retired[0].token, true);
			daemon_reclaim(d);
		}
		d->retired[d->n_retired].pc = old;
		d->retired[d->n_retired++].token = rte_rcu_qsbr_start(d->qsbr);
	}
	return 0;
}

static void
snapshot_free(struct px_conf *pc)
{
	bk_set_free((struct bk_set *)(uintptr_t)pc->bks);
	rte_free(pc);
}

void
daemon_reclaim(struct daemon *d)
{
	unsigned k = 0;

	/* in publish order: tokens grow, so the first busy one ends it */
	while (k < d->n_retired && rte_rcu_qsbr_check(d->qsbr, d->retired[k].token, false) == 1)
		snapshot_free(d->retired[k++].pc);
	memmove(d->retired, d->retired + k, (d->n_retired - k) * sizeof(d->retired[0]));
	d->n_retired -= k;
}

void
daemon_free_snapshots(struct daemon *d)
{
	for (unsigned k = 0; k < d->n_retired; k++)
		snapshot_free(d->retired[k].pc);
	d->n_retired = 0;
	if (d->pc)
		snapshot_free(d->pc);
	d->pc = NULL;
}

int
daemon_reload(struct daemon *d, FILE *err)
{
	struct slot saved[CFG_MAX_BACKENDS];
	unsigned saved_n = d->n_slots;
	struct cfg nc, oc;
	int rc;

	rc = cfg_load(d->cfg.path, &nc, err);
	if (rc < 0)
		return rc;
	if (cfg_diff_init_only(&d->cfg, &nc, err) > 0) {
		cfg_free(&nc);
		return -EINVAL;
	}
	memcpy(saved, d->slot, sizeof(saved));
	oc = d->cfg;
	d->cfg = nc;
	rc = daemon_slots_from_cfg(d, &nc, err);
	if (rc == 0)
		rc = daemon_publish(d, err);
	if (rc < 0) {
		/* all or nothing: the running set and config stay */
		memcpy(d->slot, saved, sizeof(saved));
		d->n_slots = saved_n;
		d->cfg = oc;
		cfg_free(&nc);
		return rc;
	}
	cfg_free(&oc);
	d->reloads++;
	return 0;
}
