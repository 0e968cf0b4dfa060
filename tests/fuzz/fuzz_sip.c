/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the SIP parser and the stateless proxy: the whole of
 * px_process on the datagram (from a client and from a backend, so both
 * routing paths and every edit run), then the datagram parser and the value
 * parsers a proxy runs on the headers it reads (Via, Route, Record-Route, To,
 * From, Contact, CSeq).
 *
 * The fuzzer build, from the repository root (rte_eal only for the CPU-flag
 * probe of rte_hash_crc):
 *   clang $(pkg-config --cflags libdpdk | sed 's/-march=corei7//') -march=native \
 *     -Idataplane -O1 -g -D_GNU_SOURCE -DSIPLB_LIBFUZZER \
 *     -fsanitize=fuzzer,address,undefined -o fuzz_sip tests/fuzz/fuzz_sip.c \
 *     dataplane/sip.c dataplane/px.c dataplane/bk.c dataplane/mgl.c -lrte_eal
 *   ./fuzz_sip -max_len=2000 -max_total_time=240 CORPUS  # seed: tests/fixtures/sip
 * Built without -DSIPLB_LIBFUZZER, main() replays the files named on the
 * command line (the fixtures), so the same code runs in the unit suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "bk.h"
#include "px.h"
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounded: a header value is at most 64 KiB and each step consumes input. */
static void
fuzz_nameaddrs(struct sv v)
{
	struct sv uri, val;
	struct sip_uri u;

	while (!sv_empty(v) && sip_nameaddr_uri(v, &uri, &v) == 0) {
		if (sip_uri_parse(uri, &u) == 0 && !sv_empty(u.params))
			(void)sip_param_get(u.params, SV_LIT("transport"), &val);
	}
}

#define FZ_IP(d) rte_cpu_to_be_32(0xc6120000u | (d)) /* 198.18.0.d */

/* The proxy on data, as siplb 198.18.0.10 with backends .21 and .22: the
 * output must fit its buffer and a forward must have a destination. */
static void
fuzz_proxy(const uint8_t *data, size_t size)
{
	static struct px_conf pc;
	static struct bk_set *bks;
	static struct cnt_core cnt;
	static char out[2048];
	struct px_res res;
	enum px_act a;

	if (bks == NULL) {
		struct bk b[2] = {
			{ .addr = FZ_IP(21), .port = 5060, .weight = 1, .name = "be1" },
			{ .addr = FZ_IP(22), .port = 5060, .weight = 2, .name = "be2" },
		};

		bks = bk_set_create(b, 2);
		if (bks == NULL)
			abort();
		px_conf_init(&pc, FZ_IP(10), 5060, 1500, true, bks);
	}
	/* from the client, then as if from be1 */
	for (int i = 0; i < 2; i++) {
		memset(&res, 0, sizeof(res));
		a = px_process(&pc, &cnt, (const char *)data, (uint16_t)size,
			       i ? FZ_IP(21) : FZ_IP(2), 5060, out, sizeof(out), &res);
		if (a != PX_DROP && (res.len == 0 || res.len > sizeof(out) ||
				     res.len > pc.max_len || res.dst_port == 0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg msg;
	const struct sip_hdr *h;
	struct sip_via via;
	struct sv v, val, meth;
	uint32_t ip, num;

	if (size > UINT16_MAX)
		return 0;
	fuzz_proxy(data, size);
	if (sip_parse_msg((const char *)data, (uint16_t)size, &msg) != SIP_OK)
		return 0;
	(void)sip_method_name((enum sip_method)msg.method);
	for (h = sip_hdr_first(&msg, SIP_H_VIA); h; h = sip_hdr_next(&msg, h)) {
		v = h->value;
		while (!sv_empty(v) && sip_via_parse(v, &via, &v) == 0) {
			if (!sv_empty(via.received))
				(void)sip_ipv4_parse(via.received, &ip);
			(void)sip_ipv4_parse(via.host, &ip);
		}
	}
	for (h = sip_hdr_first(&msg, SIP_H_ROUTE); h; h = sip_hdr_next(&msg, h))
		fuzz_nameaddrs(h->value);
	for (h = sip_hdr_first(&msg, SIP_H_RECORD_ROUTE); h; h = sip_hdr_next(&msg, h))
		fuzz_nameaddrs(h->value);
	for (h = sip_hdr_first(&msg, SIP_H_CONTACT); h; h = sip_hdr_next(&msg, h))
		fuzz_nameaddrs(h->value);
	if ((h = sip_hdr_first(&msg, SIP_H_TO)) != NULL) {
		fuzz_nameaddrs(h->value);
		(void)sip_param_get(h->value, SV_LIT("tag"), &val);
	}
	if ((h = sip_hdr_first(&msg, SIP_H_FROM)) != NULL)
		(void)sip_param_get(h->value, SV_LIT("tag"), &val);
	if ((h = sip_hdr_first(&msg, SIP_H_CSEQ)) != NULL &&
	    sip_cseq_parse(h->value, &num, &meth) == 0)
		(void)sip_method_of(meth);
	if (msg.is_request) {
		struct sip_uri u;

		(void)sip_uri_parse(msg.ruri, &u);
	}
	return 0;
}

#ifndef SIPLB_LIBFUZZER
/*
 * Replay: each file is copied into a buffer of exactly its size (so ASan or
 * valgrind see any read past the end) and run through the fuzz function.
 * Returns 0, or 1 if a file cannot be read.
 */
int
main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long n;

		if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			if (f)
				fclose(f);
			rc = 1;
			continue;
		}
		rewind(f);
		buf = malloc(n ? (size_t)n : 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			rc = 1;
		} else {
			LLVMFuzzerTestOneInput(buf, (size_t)n);
		}
		free(buf);
		fclose(f);
	}
	printf("replayed %d file(s)\n", argc - 1);
	return rc;
}
#endif
