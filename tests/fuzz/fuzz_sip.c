/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the SIP parser: the datagram parser, then the value
 * parsers a proxy runs on the headers it reads (Via, Route, Record-Route, To,
 * From, Contact, CSeq). Built with -DSIPLB_LIBFUZZER and -fsanitize=fuzzer
 * it is a fuzzer; without, main() replays the files named on the command line
 * (the fixtures) so the same code runs in the ordinary test suite.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
