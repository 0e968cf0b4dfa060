/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting records (the billing hook): what a worker puts on its ring for
 * the control plane to write as JSON lines. Fixed size, copied by value, so
 * the ring holds them and the worker never allocates or waits: a full ring
 * loses the record and counts it (cnt.acct_lost).
 */
#ifndef SIPLB_ACCT_H
#define SIPLB_ACCT_H

#include <stdint.h>

#define ACCT_CID_MAX 128
#define ACCT_TAG_MAX 64

/* acct_rec.flags */
#define ACCT_F_TRUNC 0x1 /* Call-ID or a tag was longer than its field */

struct acct_rec {
	uint64_t tsc;       /* when the worker handled it (rte_rdtsc) */
	uint32_t src_ip;    /* where the message came from, network order */
	uint16_t src_port;  /* host order */
	uint16_t status;    /* responses: the code; requests: 0 */
	int16_t backend;    /* slot of the backend it went to or came from, -1 */
	uint8_t method;     /* request method, or the response's CSeq method */
	uint8_t flags;
	uint8_t cid_len, ftag_len, ttag_len;
	char cid[ACCT_CID_MAX];
	char ftag[ACCT_TAG_MAX];
	char ttag[ACCT_TAG_MAX];
};

#endif
