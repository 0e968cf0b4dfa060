/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting writer, control side (acct.c): the workers' records as JSON
 * lines in accounting.file. Main lcore only.
 */
#ifndef SIPLB_ACCT_WR_H
#define SIPLB_ACCT_WR_H

#include <stdio.h>

struct daemon;

/* Open path for appending. Returns 0 or -errno (message on err). */
int acct_open(const char *path, FILE *err);

/* Reopen the same path (log rotation); on failure keep the old file. */
int acct_reopen(FILE *err);

/* Write every record waiting on the workers' rings; returns how many. */
unsigned acct_drain(const struct daemon *d);

/* Drain, then close. */
void acct_close(const struct daemon *d);

#endif
