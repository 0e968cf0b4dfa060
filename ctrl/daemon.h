/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's state on the main lcore (control plane): configuration, the
 * backend slots as the operator and the health checks left them, and the
 * snapshot the workers read. Everything here runs on the main lcore only;
 * workers see it only through the published px_conf.
 *
 * Publishing (daemon_publish): a new px_conf with a new bk_set is built off
 * the hot path and stored into the pointer the workers read (release); the
 * old one is freed by daemon_reclaim once rte_rcu_qsbr says every worker
 * went through a quiescent state since (the end of a loop iteration,
 * microseconds). No packet is held up and none is lost, and the control
 * plane does not wait for the workers.
 */
#ifndef SIPLB_DAEMON_H
#define SIPLB_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "bk.h"
#include "cfg.h"
#include "cnt.h"
#include "px.h"
#include "sf.h"
#include "wrk.h"

/* One backend slot as the control plane sees it. */
struct slot {
	bool used;          /* holds a backend (else free) */
	bool drained;       /* operator: no new calls */
	bool down;          /* health: failed its checks */
	struct bk bk;       /* name, address, port, weight (state unused here) */
	uint64_t fwd_base;  /* fwd_backend of the slot when this backend got it */
};

#define DAEMON_RETIRED_MAX 16

struct daemon {
	struct cfg cfg;
	struct rte_mempool *mp;
	struct px_conf *pc;          /* published to the workers */
	struct rte_rcu_qsbr *qsbr;
	unsigned n_wrk;
	struct wrk *wrk[CFG_MAX_LCORES];
	struct sf *sf[CFG_MAX_LCORES];   /* stateful mode only */
	struct slot slot[CFG_MAX_BACKENDS];
	unsigned n_slots;            /* slots in use or freed: [0, n_slots) */
	const char *bk_names[CFG_MAX_BACKENDS]; /* for counter dumps: "" if free */
	time_t started;
	unsigned reloads;            /* successful reloads */
	unsigned publishes;          /* snapshots published since start */
	uint64_t probes_unsent;      /* health probes worker 0 never took */
	int ctl_fd;                  /* >= 0 once the control socket is open */
	/* published snapshots the workers may still read, oldest first */
	unsigned n_retired;
	struct {
		struct px_conf *pc;
		uint64_t token;      /* rte_rcu_qsbr_start when it was replaced */
	} retired[DAEMON_RETIRED_MAX];
};

/* Sum every worker's counters into *sum. */
void daemon_stats_sum(const struct daemon *d, struct cnt_core *sum);

/* The counters as one JSON line (SIGUSR1, siplbctl stats --json). */
void daemon_stats_json(const struct daemon *d, FILE *f);

/*
 * Fill the slots from d->cfg's backends: each keeps the slot of the
 * backend of the same name, new ones take free slots, the others are freed.
 * Returns 0, or -ENOSPC with a message on err when the slots run out.
 */
int daemon_slots_from_cfg(struct daemon *d, const struct cfg *c, FILE *err);

/*
 * Build a snapshot from d->cfg and the slots and publish it (the first time:
 * just store it). Returns 0 or -errno (the running snapshot is left as it
 * was), with a message on err.
 */
int daemon_publish(struct daemon *d, FILE *err);

/* Free the replaced snapshots no worker can read any more (main loop). */
void daemon_reclaim(struct daemon *d);

/* Free every snapshot, the current one too: the workers have stopped. */
void daemon_free_snapshots(struct daemon *d);

/*
 * Re-read d->cfg.path, all or nothing: syntax and value errors (FILE:LINE)
 * or a changed init-only key leave everything as it was. Counters and the
 * drain/health state of backends that stay are kept. Returns 0 or -errno;
 * messages on err.
 */
int daemon_reload(struct daemon *d, FILE *err);

/* CLOCK_MONOTONIC in ms: the control plane's timeouts. */
uint64_t daemon_now_ms(void);

/* Stateful mode's timers and codes as configured in c. */
void daemon_sf_conf(const struct cfg *c, struct sf_conf *sc);

/*
 * A per-backend counter array of struct cnt_core (its offsetof, e.g.
 * fwd_backend) at slot s, summed over the workers as they count it.
 */
uint64_t daemon_slot_sum(const struct daemon *d, size_t array, unsigned s);

/*
 * Put backend b in a slot: a never-used one first, so that a slot freed a
 * moment ago (whose backend live transactions may still name) is reused only
 * once all are handed out, and never one marked in taken (may be NULL).
 * Its requests count from now. Returns the slot, or -1 when none is free.
 * The caller publishes.
 */
int daemon_slot_add(struct daemon *d, const struct cfg_backend *b, const bool *taken);

/* Slot of the backend named name, or -1. */
int daemon_slot_by_name(const struct daemon *d, const char *name);

#endif
