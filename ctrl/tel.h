/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry (tel.c): DPDK telemetry commands /siplb/stats, /siplb/drops,
 * /siplb/backends, /siplb/latency, and the Prometheus text the control
 * plane's HTTP listener serves.
 */
#ifndef SIPLB_TEL_H
#define SIPLB_TEL_H

#include <stdio.h>

struct daemon;

/* Register the telemetry commands (after rte_eal_init). Returns 0. */
int tel_init(const struct daemon *d);

/* Copy the backend table for the telemetry thread: after every publish. */
void tel_update(const struct daemon *d);

/* Write every counter and the backends' state as Prometheus text. */
void tel_prometheus(const struct daemon *d, FILE *f);

#endif
