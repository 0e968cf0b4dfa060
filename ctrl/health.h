/* SPDX-License-Identifier: BSD-3-Clause */
/* Health checks of the backends (health.c). Main lcore only. */
#ifndef SIPLB_HEALTH_H
#define SIPLB_HEALTH_H

struct daemon;

/*
 * Take the answers the workers passed back, count misses (timeouts, bad
 * codes, stateful failures), mark backends down or up (publishing a new
 * snapshot on a change) and queue the probes that are due. Call often
 * (every main-loop iteration); does nothing costly when nothing is due.
 */
void health_tick(struct daemon *d);

#endif
