/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket, daemon side (ctl.c; the protocol is ctl.h). Main
 * lcore only; nothing here blocks longer than ctl_poll's timeout.
 */
#ifndef SIPLB_CTL_SRV_H
#define SIPLB_CTL_SRV_H

#include <stdint.h>
#include <stdio.h>

struct daemon;

/*
 * Listen on the UNIX socket path (mode 0600, its directory created if
 * missing; a stale socket file is replaced, a live one is an error).
 * Returns 0 or -errno with a message on err.
 */
int ctl_open(const char *path, FILE *err);

/*
 * Listen for Prometheus scrapes (GET /metrics) on 127.0.0.1:port.
 * Returns 0 or -errno with a message on err.
 */
int ctl_open_http(uint16_t port, FILE *err);

/* Serve the sockets for up to timeout_ms: accept, read, answer. */
void ctl_poll(struct daemon *d, int timeout_ms);

/* Close every connection and the socket, and remove its file. */
void ctl_close(void);

#endif
