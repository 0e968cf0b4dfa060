/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP parser: every fixture in tests/fixtures/sip gives its expected fields or
 * its specific error, every prefix of every fixture is parsed from an exactly
 * sized heap buffer (run under valgrind to catch any read past the end), and
 * the Via / URI / name-addr / param / CSeq / IPv4 value parsers on edge cases.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sip.h"

#define FX_DIR FIXTURES_DIR "/sip"

struct fx {
	const char *file;
	enum sip_err err;
	int is_request;     /* -1: not checked (start line not parsed) */
	uint8_t method;
	uint16_t status;
	const char *call_id; /* NULL: no Call-ID expected */
	int n_via;           /* via-parms over all Via headers; -1: not checked */
	int n_hdr;
	int body_len;        /* -1: not checked */
};

static const struct fx fixtures[] = {
	{ "valid-invite-sdp.sip", SIP_OK, 1, SIP_M_INVITE, 0, "a84b4c76e66710@198.18.0.2", 1, 12, 226 },
	{ "valid-ack.sip", SIP_OK, 1, SIP_M_ACK, 0, "a84b4c76e66710@198.18.0.2", 1, 8, 0 },
	{ "valid-bye.sip", SIP_OK, 1, SIP_M_BYE, 0, "a84b4c76e66710@198.18.0.2", 1, 9, 0 },
	{ "valid-cancel.sip", SIP_OK, 1, SIP_M_CANCEL, 0, "a84b4c76e66710@198.18.0.2", 1, 7, 0 },
	{ "valid-options.sip", SIP_OK, 1, SIP_M_OPTIONS, 0, "opt-77231@198.18.0.3", 1, 9, 0 },
	{ "valid-register.sip", SIP_OK, 1, SIP_M_REGISTER, 0, "843817637684230@998sdasdh09", 1, 10, 0 },
	{ "valid-100-trying.sip", SIP_OK, 0, SIP_M_OTHER, 100, "a84b4c76e66710@198.18.0.2", 2, 7, 0 },
	{ "valid-180-ringing.sip", SIP_OK, 0, SIP_M_OTHER, 180, "a84b4c76e66710@198.18.0.2", 2, 8, 0 },
	{ "valid-200-invite-sdp.sip", SIP_OK, 0, SIP_M_OTHER, 200, "a84b4c76e66710@198.18.0.2", 2, 12, 225 },
	{ "valid-compact-invite.sip", SIP_OK, 1, SIP_M_INVITE, 0, "987asjd97y7atg", 1, 10, 226 },
	{ "valid-multi-via-one-line.sip", SIP_OK, 0, SIP_M_OTHER, 200, "multi-via-1", 4, 7, 0 },
	{ "valid-multi-via-lines.sip", SIP_OK, 1, SIP_M_INVITE, 0, "multi-via-2", 3, 9, 0 },
	{ "valid-folded-header.sip", SIP_OK, 1, SIP_M_INVITE, 0, "folded-1", 2, 8, 0 },
	{ "valid-ws-around-colon.sip", SIP_OK, 1, SIP_M_OPTIONS, 0, "ws-colon-1", 1, 7, 0 },
	{ "valid-mixed-case.sip", SIP_OK, 1, SIP_M_BYE, 0, "mixed-case-1", 1, 7, 0 },
	{ "valid-lf-only.sip", SIP_OK, 1, SIP_M_INVITE, 0, "lf-only-1", 1, 8, 215 },
	{ "valid-no-clen.sip", SIP_OK, 1, SIP_M_MESSAGE, 0, "no-clen-1", 1, 7, 10 },
	{ "valid-extra-bytes.sip", SIP_OK, 1, SIP_M_NOTIFY, 0, "extra-bytes-1", 1, 9, 4 },

	{ "bad-start-line.sip", SIP_E_START_LINE, -1, 0, 0, NULL, -1, 0, -1 },
	{ "bad-version.sip", SIP_E_VERSION, 1, SIP_M_INVITE, 0, "bad-version-1", 1, 6, -1 },
	{ "bad-hdr-no-colon.sip", SIP_E_HDR_SYNTAX, 1, SIP_M_OPTIONS, 0, "bad-colon-1", 1, 2, -1 },
	{ "bad-hdr-name-char.sip", SIP_E_HDR_SYNTAX, 1, SIP_M_OPTIONS, 0, NULL, 1, 1, -1 },
	{ "bad-continuation-first.sip", SIP_E_HDR_SYNTAX, 1, SIP_M_OPTIONS, 0, NULL, 0, 0, -1 },
	{ "bad-no-empty-line.sip", SIP_E_NO_BODY_SEP, 1, SIP_M_OPTIONS, 0, "bad-noempty-1", 1, 4, -1 },
	{ "bad-clen-value.sip", SIP_E_CLEN, 1, SIP_M_OPTIONS, 0, "bad-clen-1", 1, 4, -1 },
	{ "bad-clen-short.sip", SIP_E_CLEN_SHORT, 1, SIP_M_MESSAGE, 0, "bad-clen-short-1", 1, 5, -1 },
	{ "bad-clen-dup.sip", SIP_E_CLEN, 1, SIP_M_MESSAGE, 0, "bad-clen-dup-1", 1, 6, -1 },
	{ "bad-too-many-hdrs.sip", SIP_E_TOO_MANY_HDRS, 1, SIP_M_OPTIONS, 0, "bad-many-1", 1, SIP_MAX_HDRS, -1 },
	{ "bad-binary.sip", SIP_E_START_LINE, -1, 0, 0, NULL, -1, 0, -1 },
	{ "bad-empty.sip", SIP_E_START_LINE, -1, 0, 0, NULL, -1, 0, -1 },
	{ "bad-truncated.sip", SIP_E_NO_BODY_SEP, 1, SIP_M_INVITE, 0, NULL, 1, 3, -1 },
	{ "bad-status-code.sip", SIP_E_START_LINE, -1, 0, 0, NULL, -1, 0, -1 },
	{ "bad-status-099.sip", SIP_E_START_LINE, -1, 0, 0, NULL, -1, 0, -1 },
};

#define N_FX (sizeof(fixtures) / sizeof(fixtures[0]))

static struct sv
S(const char *s)
{
	return (struct sv){ s, (uint16_t)strlen(s) };
}

static void
assert_sv(struct sv v, const char *s)
{
	if (v.len != strlen(s) || memcmp(v.p, s, v.len) != 0)
		fail_msg("view \"%.*s\" != \"%s\"", SV_FMT(v), s);
}

/* Read a fixture into an exactly sized test_malloc'd buffer (NULL if empty). */
static char *
fx_load(const char *file, uint16_t *len)
{
	char path[512];
	char *buf = NULL;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FX_DIR, file);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0 && n <= 65535);
	rewind(f);
	if (n > 0) {
		buf = test_malloc((size_t)n);
		assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	}
	fclose(f);
	*len = (uint16_t)n;
	return buf;
}

/* Structural invariants every parse result must keep, whatever the input. */
static void
check_invariants(const struct sip_msg *m, uint16_t len, enum sip_err e)
{
	assert_true(m->n_hdr <= SIP_MAX_HDRS);
	for (unsigned i = 0; i < m->n_hdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];

		assert_true(h->id < SIP_H__COUNT);
		assert_true((uint32_t)h->off + h->line_len <= len);
		assert_true(h->name.p >= m->buf && sv_end(h->name) <= m->buf + len);
		assert_true(h->value.p >= m->buf && sv_end(h->value) <= m->buf + len);
		assert_true(h->name.len > 0);
		assert_int_equal(m->buf[h->off + h->line_len - 1], '\n');
		/* Header lines tile the header section with no gap. */
		assert_int_equal(h->off, i ? m->hdr[i - 1].off + m->hdr[i - 1].line_len
					   : m->start_len);
	}
	for (unsigned id = 0; id < SIP_H__COUNT; id++)
		if (m->first[id])
			assert_int_equal(m->hdr[m->first[id] - 1].id, id);
	if (e == SIP_OK) {
		assert_true((uint32_t)m->body_off + m->body_len <= len);
		assert_int_equal(m->hdr_end, m->n_hdr ? m->hdr[m->n_hdr - 1].off +
			m->hdr[m->n_hdr - 1].line_len : m->start_len);
		assert_true(m->body_off == m->hdr_end + 1 || m->body_off == m->hdr_end + 2);
		if (m->is_request)
			assert_true(sv_end(m->ruri) <= m->buf + len);
		else
			assert_true(m->status >= 100 && m->status <= 699);
	}
}

static int
count_vias(const struct sip_msg *m)
{
	int n = 0;

	for (const struct sip_hdr *h = sip_hdr_first(m, SIP_H_VIA); h; h = sip_hdr_next(m, h)) {
		struct sv v = h->value;
		struct sip_via via;

		while (!sv_empty(v)) {
			assert_int_equal(sip_via_parse(v, &via, &v), 0);
			assert_true(via.branch.len > 7);
			assert_true(sv_istarts(via.branch, S("z9hG4bK")));
			n++;
		}
	}
	return n;
}

static void
test_fixtures(void **state)
{
	(void)state;
	for (unsigned i = 0; i < N_FX; i++) {
		const struct fx *x = &fixtures[i];
		struct sip_msg *m = test_malloc(sizeof(*m));
		const struct sip_hdr *h;
		uint16_t len;
		char *buf = fx_load(x->file, &len);
		enum sip_err e;

		print_message("%s\n", x->file);
		e = sip_parse_msg(buf, len, m);
		if (e != x->err)
			fail_msg("%s: got %s, want %s", x->file, sip_err_name(e),
				 sip_err_name(x->err));
		check_invariants(m, len, e);
		assert_int_equal(m->n_hdr, x->n_hdr);
		if (x->is_request >= 0) {
			assert_int_equal(m->is_request, x->is_request);
			assert_int_equal(m->method, x->method);
			assert_int_equal(m->status, x->status);
		}
		h = sip_hdr_first(m, SIP_H_CALL_ID);
		if (x->call_id) {
			assert_non_null(h);
			assert_sv(h->value, x->call_id);
		} else {
			assert_null(h);
		}
		if (x->n_via >= 0)
			assert_int_equal(count_vias(m), x->n_via);
		if (x->body_len >= 0)
			assert_int_equal(m->body_len, x->body_len);
		if (e == SIP_OK) {
			uint32_t n;
			struct sv meth;

			h = sip_hdr_first(m, SIP_H_CSEQ);
			assert_non_null(h);
			assert_int_equal(sip_cseq_parse(h->value, &n, &meth), 0);
			if (m->is_request)
				assert_true(sv_eq(meth, m->method_name));
		}
		test_free(buf);
		test_free(m);
	}
}

/* Every file in the fixture directory has an entry above, and vice versa. */
static void
test_fixture_list_complete(void **state)
{
	DIR *d = opendir(FX_DIR);
	struct dirent *de;
	unsigned seen = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		bool found = false;

		if (n < 4 || strcmp(de->d_name + n - 4, ".sip") != 0)
			continue;
		for (unsigned i = 0; i < N_FX; i++)
			found |= strcmp(fixtures[i].file, de->d_name) == 0;
		if (!found)
			fail_msg("fixture %s has no expectation", de->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, N_FX);
}

/*
 * Every prefix of every fixture, copied into a buffer of exactly that size.
 * Plain malloc rather than test_malloc on purpose: cmocka pads its blocks with
 * guard bytes, which would hide a small overread from valgrind.
 */
static void
test_truncations(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));

	(void)state;
	for (unsigned i = 0; i < N_FX; i++) {
		uint16_t len, body_off = 0, body_end = 0;
		char *full = fx_load(fixtures[i].file, &len);
		bool whole_ok = sip_parse_msg(full, len, m) == SIP_OK;
		bool clen = whole_ok && m->has_clen;

		if (whole_ok) {
			body_off = m->body_off;
			body_end = (uint16_t)(m->body_off + m->body_len);
		}
		for (uint32_t l = 0; l <= len; l++) {
			char *b = malloc(l ? l : 1);
			enum sip_err e;

			assert_non_null(b);
			if (l)
				memcpy(b, full, l);
			e = sip_parse_msg(b, (uint16_t)l, m);
			assert_true(e < SIP_E__COUNT);
			check_invariants(m, (uint16_t)l, e);
			/* Cut inside the header section: never a message; cut
			 * inside a Content-Length body: too short. */
			if (whole_ok && l < body_off)
				assert_int_not_equal(e, SIP_OK);
			if (clen && l >= body_off && l < body_end)
				assert_int_equal(e, SIP_E_CLEN_SHORT);
			if (whole_ok && l >= body_end)
				assert_int_equal(e, SIP_OK);
			if (l == len)
				assert_int_equal(e, fixtures[i].err);
			free(b);
		}
		test_free(full);
	}
	test_free(m);
}

/* Deterministic byte mutations of each fixture: only the invariants hold. */
static void
test_mutations(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));
	uint32_t seed = 3261;
	static const char interesting[] = "\r\n :;,<>\"\t\\[]=0/";

	(void)state;
	for (unsigned i = 0; i < N_FX; i++) {
		uint16_t len;
		char *full = fx_load(fixtures[i].file, &len);

		for (int k = 0; len && k < 300; k++) {
			char *b = malloc(len);
			struct sip_via via;
			struct sv v, r;

			assert_non_null(b);
			memcpy(b, full, len);
			for (int j = 0; j < 4; j++) {
				seed = seed * 1103515245u + 12345u;
				b[(seed >> 8) % len] = (seed & 1) ?
					interesting[(seed >> 4) % (sizeof(interesting) - 1)] :
					(char)(seed >> 16);
			}
			if (sip_parse_msg(b, len, m) == SIP_OK) {
				check_invariants(m, len, SIP_OK);
				for (const struct sip_hdr *h = sip_hdr_first(m, SIP_H_VIA); h;
				     h = sip_hdr_next(m, h))
					for (v = h->value; !sv_empty(v) &&
					     sip_via_parse(v, &via, &r) == 0; v = r)
						;
			}
			free(b);
		}
		test_free(full);
	}
	test_free(m);
}

static enum sip_err
parse_str(const char *s, struct sip_msg *m)
{
	return sip_parse_msg(s, (uint16_t)strlen(s), m);
}

static void
test_start_line(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));

	(void)state;
	assert_int_equal(parse_str("SIP/2.0 200\r\n\r\n", m), SIP_OK);
	assert_int_equal(m->status, 200);
	assert_int_equal(m->reason.len, 0);
	assert_int_equal(parse_str("SIP/2.0 486 Busy Here\r\n\r\n", m), SIP_OK);
	assert_sv(m->reason, "Busy Here");
	assert_int_equal(m->start_len, 23);
	assert_int_equal(m->hdr_end, 23);
	assert_int_equal(m->body_off, 25);
	assert_int_equal(parse_str("SIP/2.0 699 x\n\n", m), SIP_OK);
	assert_int_equal(parse_str("SIP/2.0 20 OK\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("SIP/2.0 2x0 OK\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("SIP/2.0 2000 OK\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("SIP/2.0  200 OK\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("SIP/3.0 200 OK\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("SIP/2.0 200 OK", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("\r\n\r\n", m), SIP_E_START_LINE);

	assert_int_equal(parse_str("FOO sip:a@b SIP/2.0\r\n\r\n", m), SIP_OK);
	assert_true(m->is_request);
	assert_int_equal(m->method, SIP_M_OTHER);
	assert_sv(m->method_name, "FOO");
	assert_sv(m->ruri, "sip:a@b");
	assert_int_equal(m->body_len, 0);
	assert_false(m->has_clen);
	assert_int_equal(parse_str("INVITE sip:a@b SIP/2.0\r\n\r\n", m), SIP_OK);
	assert_int_equal(m->method, SIP_M_INVITE);
	/* Method names are case-sensitive (§7.1). */
	assert_int_equal(parse_str("invite sip:a@b SIP/2.0\r\n\r\n", m), SIP_OK);
	assert_int_equal(m->method, SIP_M_OTHER);

	assert_int_equal(parse_str("INVITE sip:a@b SIP/2.1\r\nCall-ID: x\r\n\r\n", m),
			 SIP_E_VERSION);
	assert_int_equal(m->method, SIP_M_INVITE);
	assert_sv(m->ruri, "sip:a@b");
	assert_int_equal(m->n_hdr, 1);
	/* Still SIP_E_VERSION when the headers do not parse: 505 wins. */
	assert_int_equal(parse_str("INVITE sip:a@b SIP/3.0\r\nCall-ID: x\r\n", m),
			 SIP_E_VERSION);
	assert_int_equal(parse_str("GET / HTTP/1.1\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("INVITE sip:a@b SIP/2.0 \r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("INVITE sip:a@b\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("INVITE  sip:a@b SIP/2.0\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("INVITE sip:a@b  SIP/2.0\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str(" INVITE sip:a@b SIP/2.0\r\n\r\n", m), SIP_E_START_LINE);
	assert_int_equal(parse_str("INV<TE sip:a@b SIP/2.0\r\n\r\n", m), SIP_E_START_LINE);
	test_free(m);
}

static void
test_headers(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));
	const struct sip_hdr *h;
	static const char folded[] =
		"OPTIONS sip:x SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
		"X-A: 1\r\n"
		"Subject: one\r\n two\r\n\tthree\r\n"
		"v: SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
		"\r\n";

	(void)state;
	assert_int_equal(parse_str(folded, m), SIP_OK);
	assert_int_equal(m->n_hdr, 4);
	h = sip_hdr_first(m, SIP_H_SUBJECT);
	assert_non_null(h);
	assert_sv(h->value, "one\r\n two\r\n\tthree");
	assert_sv(h->name, "Subject");
	assert_int_equal(h->off, strstr(folded, "Subject") - folded);
	assert_int_equal(h->line_len, strlen("Subject: one\r\n two\r\n\tthree\r\n"));
	h = sip_hdr_first(m, SIP_H_VIA);
	assert_int_equal(h - m->hdr, 0);
	h = sip_hdr_next(m, h);
	assert_non_null(h);
	assert_int_equal(h - m->hdr, 3);
	assert_sv(h->name, "v");
	assert_null(sip_hdr_next(m, h));
	assert_int_equal(m->first[SIP_H_OTHER], 2);
	assert_int_equal(m->first[SIP_H_CSEQ], 0);
	assert_null(sip_hdr_first(m, SIP_H_CSEQ));

	/* Every full and compact name, any case. */
	static const struct { const char *n; enum sip_hdr_id id; } names[] = {
		{ "Via", SIP_H_VIA }, { "V", SIP_H_VIA }, { "call-ID", SIP_H_CALL_ID },
		{ "i", SIP_H_CALL_ID }, { "CSEQ", SIP_H_CSEQ }, { "From", SIP_H_FROM },
		{ "f", SIP_H_FROM }, { "TO", SIP_H_TO }, { "t", SIP_H_TO },
		{ "Max-Forwards", SIP_H_MAX_FORWARDS }, { "Content-Length", SIP_H_CONTENT_LENGTH },
		{ "L", SIP_H_CONTENT_LENGTH }, { "content-type", SIP_H_CONTENT_TYPE },
		{ "c", SIP_H_CONTENT_TYPE }, { "Route", SIP_H_ROUTE },
		{ "Record-Route", SIP_H_RECORD_ROUTE }, { "Contact", SIP_H_CONTACT },
		{ "m", SIP_H_CONTACT }, { "Supported", SIP_H_SUPPORTED }, { "k", SIP_H_SUPPORTED },
		{ "Subject", SIP_H_SUBJECT }, { "s", SIP_H_SUBJECT },
		{ "Content-Encoding", SIP_H_CONTENT_ENCODING }, { "e", SIP_H_CONTENT_ENCODING },
		{ "Event", SIP_H_EVENT }, { "o", SIP_H_EVENT }, { "Refer-To", SIP_H_REFER_TO },
		{ "r", SIP_H_REFER_TO }, { "Allow-Events", SIP_H_ALLOW_EVENTS },
		{ "u", SIP_H_ALLOW_EVENTS }, { "Allow", SIP_H_OTHER }, { "x", SIP_H_OTHER },
		{ "Vias", SIP_H_OTHER }, { "Contacts", SIP_H_OTHER }, { "Call_ID", SIP_H_OTHER },
		{ "Record-Routf", SIP_H_OTHER }, { "Content-Lengtx", SIP_H_OTHER },
	};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char b[128];

		snprintf(b, sizeof(b), "OPTIONS sip:x SIP/2.0\r\n%s: 0\r\n\r\n", names[i].n);
		assert_int_equal(parse_str(b, m), SIP_OK);
		assert_int_equal(m->n_hdr, 1);
		if (m->hdr[0].id != names[i].id)
			fail_msg("%s: id %u want %u", names[i].n, m->hdr[0].id, names[i].id);
	}

	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\n: x\r\n\r\n", m), SIP_E_HDR_SYNTAX);
	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\nA\r\n\r\n", m), SIP_E_HDR_SYNTAX);
	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\nA:\r\n\r\n", m), SIP_OK);
	assert_int_equal(m->hdr[0].value.len, 0);
	/* The colon must be on the header's first line. */
	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\nA\r\n : b\r\n\r\n", m),
			 SIP_E_HDR_SYNTAX);
	/* A fold with no line end before the datagram ends. */
	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\nA: b\r\n c", m),
			 SIP_E_NO_BODY_SEP);
	assert_int_equal(parse_str("OPTIONS sip:x SIP/2.0\r\n", m), SIP_E_NO_BODY_SEP);
	test_free(m);
}

static void
test_max_headers(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));
	char *b = test_malloc(4096);
	int n;

	(void)state;
	for (int want = SIP_MAX_HDRS; want <= SIP_MAX_HDRS + 1; want++) {
		n = sprintf(b, "OPTIONS sip:x SIP/2.0\r\n");
		for (int i = 0; i < want; i++)
			n += sprintf(b + n, "X-%d: %d\r\n", i, i);
		n += sprintf(b + n, "\r\n");
		assert_int_equal(sip_parse_msg(b, (uint16_t)n, m),
				 want == SIP_MAX_HDRS ? SIP_OK : SIP_E_TOO_MANY_HDRS);
		assert_int_equal(m->n_hdr, SIP_MAX_HDRS);
	}
	test_free(b);
	test_free(m);
}

static void
test_content_length(void **state)
{
	struct sip_msg *m = test_malloc(sizeof(*m));

	(void)state;
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nContent-Length:  \t3 \r\n\r\nabc", m),
			 SIP_OK);
	assert_true(m->has_clen);
	assert_int_equal(m->body_len, 3);
	assert_int_equal(m->body_off, strlen("MESSAGE sip:x SIP/2.0\r\nContent-Length:  \t3 \r\n\r\n"));
	/* Two equal values are fine; differing ones are not (§20.14). */
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 3\r\nContent-Length: 3\r\n\r\nabc", m),
			 SIP_OK);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 3\r\nContent-Length: 2\r\n\r\nabc", m),
			 SIP_E_CLEN);
	/* Content-Length errors still parse the whole header section (for a 400). */
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: x\r\nCall-ID: c\r\n\r\n", m),
			 SIP_E_CLEN);
	assert_int_equal(m->n_hdr, 2);
	assert_non_null(sip_hdr_first(m, SIP_H_CALL_ID));
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl:\r\n\r\n", m), SIP_E_CLEN);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: -1\r\n\r\n", m), SIP_E_CLEN);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 1 2\r\n\r\n", m), SIP_E_CLEN);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 4\r\n\r\nabc", m), SIP_E_CLEN_SHORT);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 99999999999999999999\r\n\r\nabc", m),
			 SIP_E_CLEN_SHORT);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 65536\r\n\r\nabc", m),
			 SIP_E_CLEN_SHORT);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\nl: 1\r\n\r\nabc", m), SIP_OK);
	assert_int_equal(m->body_len, 1);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\nl: 0003\n\nabc", m), SIP_OK);
	assert_int_equal(m->body_len, 3);
	assert_int_equal(parse_str("MESSAGE sip:x SIP/2.0\r\n\r\nabcde", m), SIP_OK);
	assert_false(m->has_clen);
	assert_int_equal(m->body_len, 5);
	test_free(m);
}

static void
test_via(void **state)
{
	struct sip_via v;
	struct sv rest;

	(void)state;
	assert_int_equal(sip_via_parse(S("SIP/2.0/UDP 198.18.0.2:5060;rport;branch=z9hG4bK776"),
				       &v, &rest), 0);
	assert_sv(v.transport, "UDP");
	assert_sv(v.host, "198.18.0.2");
	assert_int_equal(v.port, 5060);
	assert_true(v.has_rport);
	assert_int_equal(v.rport, 0);
	assert_sv(v.branch, "z9hG4bK776");
	assert_int_equal(v.received.len, 0);
	assert_sv(v.params, ";rport;branch=z9hG4bK776");
	assert_sv(v.value, "SIP/2.0/UDP 198.18.0.2:5060;rport;branch=z9hG4bK776");
	assert_true(sv_empty(rest));

	/* LWS around slashes, colon, semicolons and '=' (§25.1 SLASH, SEMI, EQUAL). */
	assert_int_equal(sip_via_parse(S("  SIP / 2.0 / TCP\r\n host.example.test : 5070 ;"
					 " received = 198.18.0.9 ; RPORT = 4321 ;Branch=z9hG4bKx "),
				       &v, &rest), 0);
	assert_sv(v.transport, "TCP");
	assert_sv(v.host, "host.example.test");
	assert_int_equal(v.port, 5070);
	assert_sv(v.received, "198.18.0.9");
	assert_true(v.has_rport);
	assert_int_equal(v.rport, 4321);
	assert_sv(v.branch, "z9hG4bKx");
	assert_true(sv_empty(rest));
	assert_int_equal(v.value.p[v.value.len - 1], 'x');

	/* Several via-parms in one value. */
	struct sv val = S("SIP/2.0/UDP a.test;branch=z9hG4bK1 , SIP/2.0/TLS [2001:db8::1]:5061;"
			  "branch=z9hG4bK2;received=2001:db8::2,SIP/2.0/SCTP b");
	assert_int_equal(sip_via_parse(val, &v, &rest), 0);
	assert_sv(v.host, "a.test");
	assert_int_equal(v.port, 0);
	assert_false(v.has_rport);
	assert_sv(v.value, "SIP/2.0/UDP a.test;branch=z9hG4bK1");
	assert_sv(rest, "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK2;received=2001:db8::2,"
			"SIP/2.0/SCTP b");
	assert_int_equal(sip_via_parse(rest, &v, &rest), 0);
	assert_sv(v.transport, "TLS");
	assert_sv(v.host, "[2001:db8::1]");
	assert_int_equal(v.port, 5061);
	assert_sv(v.received, "2001:db8::2");
	assert_sv(rest, "SIP/2.0/SCTP b");
	assert_int_equal(sip_via_parse(rest, &v, &rest), 0);
	assert_sv(v.host, "b");
	assert_int_equal(v.branch.len, 0);
	assert_int_equal(v.params.len, 0);
	assert_true(sv_empty(rest));

	/* Empty rport value, quoted param, unknown params kept in params. */
	assert_int_equal(sip_via_parse(S("SIP/2.0/UDP h;rport=;x=\"a;b,c\";branch=z9hG4bK3"),
				       &v, NULL), 0);
	assert_true(v.has_rport);
	assert_int_equal(v.rport, 0);
	assert_sv(v.branch, "z9hG4bK3");

	static const char *const bad[] = {
		"", "   ", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0 UDP h", "SIP/2.1/UDP h",
		"SIP/2.0/ h", "SIP/2.0/UDPh", "HTTP/2.0/UDP h", "SIP/2.0/UDP h:", "SIP/2.0/UDP h:0",
		"SIP/2.0/UDP h:65536", "SIP/2.0/UDP h:123456", "SIP/2.0/UDP h:5x",
		"SIP/2.0/UDP [2001:db8::1", "SIP/2.0/UDP []", "SIP/2.0/UDP h;", "SIP/2.0/UDP h;=x",
		"SIP/2.0/UDP h;rport=x", "SIP/2.0/UDP h;rport=70000", "SIP/2.0/UDP h;b=\"x",
		"SIP/2.0/UDP h junk", "SIP/2.0/UDP <h>", "SIP/2.0/UDP h;branch=x junk",
		", SIP/2.0/UDP h",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_via_parse(S(bad[i]), &v, &rest) != -1)
			fail_msg("via \"%s\" accepted", bad[i]);

	/* The view bounds the parse: a port cut by the view's end. */
	assert_int_equal(sip_via_parse((struct sv){ "SIP/2.0/UDP h:50601", 17 }, &v, NULL), 0);
	assert_int_equal(v.port, 506);
}

static void
test_uri(void **state)
{
	struct sip_uri u;

	(void)state;
	assert_int_equal(sip_uri_parse(S("sip:alice@198.18.0.2:5062;transport=udp;LR?subject=x"),
				       &u), 0);
	assert_sv(u.scheme, "sip");
	assert_sv(u.user, "alice");
	assert_sv(u.host, "198.18.0.2");
	assert_int_equal(u.port, 5062);
	assert_sv(u.params, ";transport=udp;LR");
	assert_true(u.lr);

	assert_int_equal(sip_uri_parse(S("sips:proxy.example.test"), &u), 0);
	assert_sv(u.scheme, "sips");
	assert_int_equal(u.user.len, 0);
	assert_sv(u.host, "proxy.example.test");
	assert_int_equal(u.port, 0);
	assert_int_equal(u.params.len, 0);
	assert_false(u.lr);

	assert_int_equal(sip_uri_parse(S(" sip:[2001:db8::1]:5060;lr=on "), &u), 0);
	assert_sv(u.host, "[2001:db8::1]");
	assert_int_equal(u.port, 5060);
	assert_true(u.lr);

	assert_int_equal(sip_uri_parse(S("sip:bob:secret@h;maddr=x"), &u), 0);
	assert_sv(u.user, "bob");
	assert_sv(u.host, "h");
	assert_false(u.lr);

	/* user may hold ';' and '?' (§25.1 user-unreserved). */
	assert_int_equal(sip_uri_parse(S("sip:+1555;phone-context=x@gw.test;user=phone"), &u), 0);
	assert_sv(u.user, "+1555;phone-context=x");
	assert_sv(u.host, "gw.test");
	assert_sv(u.params, ";user=phone");

	/* A param whose name only starts with lr is not lr. */
	assert_int_equal(sip_uri_parse(S("sip:h;lrx;transport=tcp"), &u), 0);
	assert_false(u.lr);

	assert_int_equal(sip_uri_parse(S("tel:+1-201-555-0123"), &u), 0);
	assert_sv(u.scheme, "tel");
	assert_sv(u.host, "+1-201-555-0123");

	static const char *const bad[] = {
		"", "sip:", "alice@h", "sip:alice@", "sip:h:", "sip:h:0", "sip:h:65536",
		"sip:h:5x", "sip:h x", "sip:[::1", "sip:<h>", ":h", "1sip:h", "sip:h:5060:1",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_uri_parse(S(bad[i]), &u) != -1)
			fail_msg("uri \"%s\" accepted", bad[i]);
}

static void
test_nameaddr(void **state)
{
	struct sv uri, rest;

	(void)state;
	assert_int_equal(sip_nameaddr_uri(S("\"Alice\" <sip:alice@h>;tag=1"), &uri, &rest), 0);
	assert_sv(uri, "sip:alice@h");
	assert_true(sv_empty(rest));
	assert_int_equal(sip_nameaddr_uri(S("<sip:h;lr>"), &uri, NULL), 0);
	assert_sv(uri, "sip:h;lr");
	assert_int_equal(sip_nameaddr_uri(S("Bob Smith <sip:bob@h>"), &uri, NULL), 0);
	assert_sv(uri, "sip:bob@h");
	assert_int_equal(sip_nameaddr_uri(S(" sip:bob@h ;tag=x, <sip:c>"), &uri, &rest), 0);
	assert_sv(uri, "sip:bob@h");
	assert_sv(rest, "<sip:c>");
	assert_int_equal(sip_nameaddr_uri(S("sip:bob@h"), &uri, &rest), 0);
	assert_sv(uri, "sip:bob@h");
	assert_true(sv_empty(rest));
	/* Quoted display names may hold ',', ';', '<' and escaped quotes. */
	assert_int_equal(sip_nameaddr_uri(S("\"Doe, J. <\\\"x\\\">;\" <sip:j@h>;tag=\"a,b\", "
					    "<sip:r2;lr>"), &uri, &rest), 0);
	assert_sv(uri, "sip:j@h");
	assert_sv(rest, "<sip:r2;lr>");
	assert_int_equal(sip_nameaddr_uri(rest, &uri, &rest), 0);
	assert_sv(uri, "sip:r2;lr");
	assert_true(sv_empty(rest));
	/* Commas inside <> belong to the URI. */
	assert_int_equal(sip_nameaddr_uri(S("<sip:a,b@h>, <sip:c>"), &uri, &rest), 0);
	assert_sv(uri, "sip:a,b@h");
	assert_sv(rest, "<sip:c>");
	assert_int_equal(sip_nameaddr_uri(S("*"), &uri, NULL), 0);
	assert_sv(uri, "*");

	assert_int_equal(sip_nameaddr_uri(S("<sip:h"), &uri, &rest), -1);
	assert_int_equal(sip_nameaddr_uri(S("\"Alice <sip:h>"), &uri, &rest), -1);
	assert_int_equal(sip_nameaddr_uri(S("<sip:h>;p=\"x"), &uri, &rest), -1);
	assert_int_equal(sip_nameaddr_uri(S("\"a\\"), &uri, &rest), -1);
}

static void
test_param(void **state)
{
	struct sv v;

	(void)state;
	assert_int_equal(sip_param_get(S("\"A\" <sip:a@h;tag=inner>;tag=1928301774;x"),
				       S("tag"), &v), 1);
	assert_sv(v, "1928301774");
	assert_int_equal(sip_param_get(S("\"A;tag=q\" <sip:a@h;tag=inner>"), S("tag"), &v), 0);
	assert_int_equal(sip_param_get(S("<sip:a@h>;TAG = abc ;lr"), S("Tag"), &v), 1);
	assert_sv(v, "abc");
	assert_int_equal(sip_param_get(S("<sip:a@h>;tag=abc;lr"), S("LR"), &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_get(S(";a=b;lr"), S("lr"), &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_get(S(";a=b;lr"), S("a"), &v), 1);
	assert_sv(v, "b");
	assert_int_equal(sip_param_get(S(";a=b;lr"), S("l"), &v), 0);
	assert_int_equal(sip_param_get(S(";a=b;lr"), S("lrx"), &v), 0);
	assert_int_equal(sip_param_get(S("sip:a@h;tag=x"), S("tag"), &v), 1);
	assert_sv(v, "x");
	assert_int_equal(sip_param_get(S("<sip:a@h>;q=\"x;y\";z=1"), S("q"), &v), 1);
	assert_sv(v, "\"x;y\"");
	assert_int_equal(sip_param_get(S("<sip:a@h>;q=\"x;y=2\";z=1"), S("y"), &v), 0);
	assert_int_equal(sip_param_get(S("<sip:a@h>;q=\"x;y\";z=1"), S("z"), &v), 1);
	assert_sv(v, "1");
	/* Parameters of the next comma-separated value are not ours. */
	assert_int_equal(sip_param_get(S("<sip:a@h>;a=1, <sip:b@h>;tag=2"), S("tag"), &v), 0);
	assert_int_equal(sip_param_get(S("<sip:a@h;tag=x"), S("tag"), &v), 0);
	assert_int_equal(sip_param_get(S(""), S("tag"), &v), 0);
	assert_int_equal(sip_param_get(S(";"), S(""), &v), 0);
}

static void
test_cseq(void **state)
{
	uint32_t n = 0;
	struct sv m;

	(void)state;
	assert_int_equal(sip_cseq_parse(S("314159 INVITE"), &n, &m), 0);
	assert_int_equal(n, 314159);
	assert_sv(m, "INVITE");
	assert_int_equal(sip_cseq_parse(S("  2147483647\r\n\tACK  "), &n, &m), 0);
	assert_int_equal(n, 2147483647u);
	assert_sv(m, "ACK");
	assert_int_equal(sip_cseq_parse(S("0 X-CUSTOM"), &n, &m), 0);
	assert_int_equal(n, 0);

	static const char *const bad[] = {
		"", "1", "1 ", "INVITE", " INVITE", "2147483648 INVITE", "99999999999 INVITE",
		"1INVITE", "1 INVITE x", "-1 INVITE", "1 INV<TE", "1.0 INVITE",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_cseq_parse(S(bad[i]), &n, &m) != -1)
			fail_msg("cseq \"%s\" accepted", bad[i]);
}

static void
test_ipv4(void **state)
{
	uint32_t ip = 0;
	const uint8_t *b = (const uint8_t *)&ip;

	(void)state;
	assert_int_equal(sip_ipv4_parse(S("198.18.0.1"), &ip), 0);
	assert_int_equal(b[0], 198);
	assert_int_equal(b[1], 18);
	assert_int_equal(b[2], 0);
	assert_int_equal(b[3], 1);
	assert_int_equal(sip_ipv4_parse(S("255.255.255.255"), &ip), 0);
	assert_int_equal(ip, 0xffffffffu);
	assert_int_equal(sip_ipv4_parse(S("0.0.0.0"), &ip), 0);
	assert_int_equal(ip, 0);
	/* Only the view counts, not what follows it. */
	assert_int_equal(sip_ipv4_parse((struct sv){ "10.1.2.34", 8 }, &ip), 0);
	assert_int_equal(b[3], 3);

	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ",
		"01.2.3.4", "1.2.3.00", "1..2.3", "1.2.3.4x", "x1.2.3.4", "1.2.3.", ".1.2.3",
		"1.2.3.1000", "1.2.3.-1", "+1.2.3.4", "0x1.2.3.4",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sip_ipv4_parse(S(bad[i]), &ip) != -1)
			fail_msg("ipv4 \"%s\" accepted", bad[i]);
}

static void
test_names(void **state)
{
	static const char *const mnames[] = {
		"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
		"NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(mnames) / sizeof(mnames[0]); i++) {
		enum sip_method m = sip_method_of(S(mnames[i]));

		assert_int_equal(m, i + 1);
		assert_string_equal(sip_method_name(m), mnames[i]);
	}
	assert_int_equal(sip_method_of(S("Invite")), SIP_M_OTHER);
	assert_int_equal(sip_method_of(S("INVITED")), SIP_M_OTHER);
	assert_int_equal(sip_method_of(S("BYF")), SIP_M_OTHER);
	assert_int_equal(sip_method_of(S("")), SIP_M_OTHER);
	assert_int_equal(sip_method_of((struct sv){ "INVITE", 5 }), SIP_M_OTHER);
	assert_string_equal(sip_method_name(SIP_M_OTHER), "OTHER");
	assert_string_equal(sip_method_name(SIP_M__COUNT), "OTHER");
	assert_string_equal(sip_err_name(SIP_OK), "ok");
	assert_string_equal(sip_err_name(SIP_E_VERSION), "version");
	assert_string_equal(sip_err_name(SIP_E_CLEN_SHORT), "clen_short");
	assert_string_equal(sip_err_name(SIP_E__COUNT), "unknown");
	for (int e = 0; e < SIP_E__COUNT; e++)
		assert_non_null(sip_err_name((enum sip_err)e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixture_list_complete),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_start_line),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_max_headers),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_nameaddr),
		cmocka_unit_test(test_param),
		cmocka_unit_test(test_cseq),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
