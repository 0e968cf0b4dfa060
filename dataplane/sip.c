/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message parser (RFC 3261 §7, §20, §25).
 *
 * One pass over the datagram: memchr() finds each line end, a character-class
 * table validates tokens, and header names are identified by length + first
 * letter so the common headers cost one switch and one short compare. Every
 * scan is bounded by an explicit end pointer; nothing relies on a NUL.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip.h"

enum {
	C_TOKEN = 1, /* RFC 3261 §25.1 token */
	C_WS = 2,    /* SP HTAB CR LF: folded LWS once the line is joined */
	C_DIGIT = 4,
	C_HOST = 8,  /* hostname / IPv4 literal characters */
	C_ALPHA = 16,
};

static const uint8_t sip_cc[256] = {
	[' '] = C_WS, ['\t'] = C_WS, ['\r'] = C_WS, ['\n'] = C_WS,
	['0' ... '9'] = C_TOKEN | C_DIGIT | C_HOST,
	['a' ... 'z'] = C_TOKEN | C_HOST | C_ALPHA,
	['A' ... 'Z'] = C_TOKEN | C_HOST | C_ALPHA,
	['-'] = C_TOKEN | C_HOST, ['.'] = C_TOKEN | C_HOST,
	['!'] = C_TOKEN, ['%'] = C_TOKEN, ['*'] = C_TOKEN, ['_'] = C_TOKEN,
	['+'] = C_TOKEN, ['`'] = C_TOKEN, ['\''] = C_TOKEN, ['~'] = C_TOKEN,
};

static inline uint8_t
cc(char c)
{
	return sip_cc[(uint8_t)c];
}

static inline const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (cc(*p) & C_WS))
		p++;
	return p;
}

static inline const char *
skip_token(const char *p, const char *e)
{
	while (p < e && (cc(*p) & C_TOKEN))
		p++;
	return p;
}

/* p at an opening '"'. Returns the byte after the closing quote, or NULL when
 * the quoted-string is unterminated (RFC 3261 §25.1 quoted-pair aware). */
static const char *
skip_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (e - p < 2)
				return NULL;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/*
 * Compare n bytes at p with a lowercase literal. OR-ing 0x20 folds only
 * letters onto the literal's letters; callers pass either validated token
 * characters or compare against letters only, so no other byte can alias.
 */
static inline bool
lc_eq(const char *p, const char *lit, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if ((char)(p[i] | 0x20) != lit[i])
			return false;
	return true;
}

/* Decimal port 1..65535 in [p, e) at most 5 digits. Returns end or NULL. */
static const char *
parse_port(const char *p, const char *e, uint16_t *port)
{
	const char *s = p;
	uint32_t n = 0;

	while (p < e && (cc(*p) & C_DIGIT) && p - s < 5)
		n = n * 10 + (uint32_t)(*p++ - '0');
	if (p == s || n == 0 || n > 65535 || (p < e && (cc(*p) & C_DIGIT)))
		return NULL;
	*port = (uint16_t)n;
	return p;
}

const char *
sip_err_name(enum sip_err e)
{
	static const char *const names[SIP_E__COUNT] = {
		[SIP_OK] = "ok",
		[SIP_E_START_LINE] = "start_line",
		[SIP_E_VERSION] = "version",
		[SIP_E_HDR_SYNTAX] = "hdr_syntax",
		[SIP_E_TOO_MANY_HDRS] = "too_many_hdrs",
		[SIP_E_NO_BODY_SEP] = "no_body_sep",
		[SIP_E_CLEN] = "clen",
		[SIP_E_CLEN_SHORT] = "clen_short",
	};

	return (unsigned)e < SIP_E__COUNT ? names[e] : "unknown";
}

const char *
sip_method_name(enum sip_method m)
{
	static const char *const names[SIP_M__COUNT] = {
		[SIP_M_OTHER] = "OTHER",
		[SIP_M_INVITE] = "INVITE",
		[SIP_M_ACK] = "ACK",
		[SIP_M_BYE] = "BYE",
		[SIP_M_CANCEL] = "CANCEL",
		[SIP_M_OPTIONS] = "OPTIONS",
		[SIP_M_REGISTER] = "REGISTER",
		[SIP_M_PRACK] = "PRACK",
		[SIP_M_SUBSCRIBE] = "SUBSCRIBE",
		[SIP_M_NOTIFY] = "NOTIFY",
		[SIP_M_PUBLISH] = "PUBLISH",
		[SIP_M_INFO] = "INFO",
		[SIP_M_REFER] = "REFER",
		[SIP_M_MESSAGE] = "MESSAGE",
		[SIP_M_UPDATE] = "UPDATE",
	};

	return (unsigned)m < SIP_M__COUNT ? names[m] : "OTHER";
}

#define M_IS(lit, id) \
	do { \
		if (memcmp(p, lit, sizeof(lit) - 1) == 0) \
			return id; \
	} while (0)

/* Method names are case-sensitive (RFC 3261 §7.1): plain memcmp. */
enum sip_method
sip_method_of(struct sv name)
{
	const char *p = name.p;

	switch (name.len) {
	case 3:
		M_IS("ACK", SIP_M_ACK);
		M_IS("BYE", SIP_M_BYE);
		break;
	case 4:
		M_IS("INFO", SIP_M_INFO);
		break;
	case 5:
		M_IS("PRACK", SIP_M_PRACK);
		M_IS("REFER", SIP_M_REFER);
		break;
	case 6:
		switch (p[0]) {
		case 'I': M_IS("INVITE", SIP_M_INVITE); break;
		case 'C': M_IS("CANCEL", SIP_M_CANCEL); break;
		case 'N': M_IS("NOTIFY", SIP_M_NOTIFY); break;
		case 'U': M_IS("UPDATE", SIP_M_UPDATE); break;
		}
		break;
	case 7:
		switch (p[0]) {
		case 'O': M_IS("OPTIONS", SIP_M_OPTIONS); break;
		case 'P': M_IS("PUBLISH", SIP_M_PUBLISH); break;
		case 'M': M_IS("MESSAGE", SIP_M_MESSAGE); break;
		}
		break;
	case 8:
		M_IS("REGISTER", SIP_M_REGISTER);
		break;
	case 9:
		M_IS("SUBSCRIBE", SIP_M_SUBSCRIBE);
		break;
	}
	return SIP_M_OTHER;
}

#undef M_IS

#define H_IS(lit, id) \
	do { \
		if (lc_eq(p, lit, sizeof(lit) - 1)) \
			return id; \
	} while (0)

/* Header id of a validated token name: length first, then first letter, so
 * each name costs one compare (RFC 3261 §7.3.1: names are case-insensitive;
 * compact forms §7.3.3, RFC 3265 o/u, RFC 3515 r). */
static uint8_t
hdr_classify(const char *p, uint16_t n)
{
	switch (n) {
	case 1:
		switch (p[0] | 0x20) {
		case 'v': return SIP_H_VIA;
		case 'i': return SIP_H_CALL_ID;
		case 'f': return SIP_H_FROM;
		case 't': return SIP_H_TO;
		case 'm': return SIP_H_CONTACT;
		case 'l': return SIP_H_CONTENT_LENGTH;
		case 'c': return SIP_H_CONTENT_TYPE;
		case 'k': return SIP_H_SUPPORTED;
		case 's': return SIP_H_SUBJECT;
		case 'e': return SIP_H_CONTENT_ENCODING;
		case 'o': return SIP_H_EVENT;
		case 'r': return SIP_H_REFER_TO;
		case 'u': return SIP_H_ALLOW_EVENTS;
		}
		break;
	case 2:
		H_IS("to", SIP_H_TO);
		break;
	case 3:
		H_IS("via", SIP_H_VIA);
		break;
	case 4:
		switch (p[0] | 0x20) {
		case 'c': H_IS("cseq", SIP_H_CSEQ); break;
		case 'f': H_IS("from", SIP_H_FROM); break;
		}
		break;
	case 5:
		switch (p[0] | 0x20) {
		case 'r': H_IS("route", SIP_H_ROUTE); break;
		case 'e': H_IS("event", SIP_H_EVENT); break;
		}
		break;
	case 7:
		switch (p[0] | 0x20) {
		case 'c':
			H_IS("call-id", SIP_H_CALL_ID);
			H_IS("contact", SIP_H_CONTACT);
			break;
		case 's': H_IS("subject", SIP_H_SUBJECT); break;
		}
		break;
	case 8:
		H_IS("refer-to", SIP_H_REFER_TO);
		break;
	case 9:
		H_IS("supported", SIP_H_SUPPORTED);
		break;
	case 12:
		switch (p[0] | 0x20) {
		case 'm': H_IS("max-forwards", SIP_H_MAX_FORWARDS); break;
		case 'c': H_IS("content-type", SIP_H_CONTENT_TYPE); break;
		case 'r': H_IS("record-route", SIP_H_RECORD_ROUTE); break;
		case 'a': H_IS("allow-events", SIP_H_ALLOW_EVENTS); break;
		}
		break;
	case 14:
		H_IS("content-length", SIP_H_CONTENT_LENGTH);
		break;
	case 16:
		H_IS("content-encoding", SIP_H_CONTENT_ENCODING);
		break;
	}
	return SIP_H_OTHER;
}

#undef H_IS

/* "SIP/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1 SIP-Version): a version we can
 * name in a 505 rather than a line that is not SIP at all. */
static bool
looks_like_version(const char *p, const char *e)
{
	const char *s;

	if (e - p < 7 || !lc_eq(p, "sip", 3) || p[3] != '/')
		return false;
	p += 4;
	for (s = p; p < e && (cc(*p) & C_DIGIT); p++)
		;
	if (p == s || p >= e || *p != '.')
		return false;
	for (s = ++p; p < e && (cc(*p) & C_DIGIT); p++)
		;
	return p != s && p == e;
}

/*
 * Start line [p, e) without its line end (RFC 3261 §7.1, §7.2).
 * Returns SIP_OK, SIP_E_VERSION (request fields set) or SIP_E_START_LINE.
 */
static enum sip_err
parse_start_line(const char *p, const char *e, struct sip_msg *msg)
{
	const char *t, *u;

	if (e - p >= 8 && memcmp(p, "SIP/", 4) == 0) {
		unsigned st;

		if (e - p < 11 || memcmp(p + 4, "2.0 ", 4) != 0)
			return SIP_E_START_LINE;
		t = p + 8;
		if (!(cc(t[0]) & cc(t[1]) & cc(t[2]) & C_DIGIT))
			return SIP_E_START_LINE;
		st = (unsigned)(t[0] - '0') * 100 + (unsigned)(t[1] - '0') * 10 +
		     (unsigned)(t[2] - '0');
		if (st < 100 || st > 699)
			return SIP_E_START_LINE;
		t += 3;
		if (t < e && *t != ' ')
			return SIP_E_START_LINE;
		msg->is_request = false;
		msg->status = (uint16_t)st;
		msg->reason = t < e ? sv_make(t + 1, e) : sv_make(e, e);
		return SIP_OK;
	}

	t = skip_token(p, e);
	if (t == p || t >= e || *t != ' ')
		return SIP_E_START_LINE;
	u = memchr(t + 1, ' ', (size_t)(e - t - 1));
	if (!u || u == t + 1 || u + 1 >= e || memchr(u + 1, ' ', (size_t)(e - u - 1)))
		return SIP_E_START_LINE;
	msg->is_request = true;
	msg->method_name = sv_make(p, t);
	msg->method = (uint8_t)sip_method_of(msg->method_name);
	msg->ruri = sv_make(t + 1, u);
	u++;
	if (e - u == 7 && memcmp(u, "SIP/2.0", 7) == 0)
		return SIP_OK;
	return looks_like_version(u, e) ? SIP_E_VERSION : SIP_E_START_LINE;
}

/*
 * Content-Length value (RFC 3261 §20.14): 1*DIGIT after trimming. Values above
 * 65535 saturate: they cannot fit a datagram and end as SIP_E_CLEN_SHORT.
 */
static int
parse_clen(struct sv v, uint32_t *out)
{
	uint32_t n = 0;

	if (v.len == 0)
		return -1;
	for (uint16_t i = 0; i < v.len; i++) {
		if (!(cc(v.p[i]) & C_DIGIT))
			return -1;
		if (n <= 65535)
			n = n * 10 + (uint32_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

enum sip_err
sip_parse_msg(const char *buf, uint16_t len, struct sip_msg *msg)
{
	const char *end = buf + len;
	const char *p, *nl, *le, *q;
	enum sip_err verr, err;
	uint32_t clen = 0, v;
	bool clen_bad = false;

	msg->buf = buf;
	msg->len = len;
	msg->is_request = false;
	msg->method = SIP_M_OTHER;
	msg->status = 0;
	msg->method_name = sv_make(buf, buf);
	msg->ruri = msg->method_name;
	msg->reason = msg->method_name;
	msg->start_len = 0;
	msg->hdr_end = 0;
	msg->body_off = 0;
	msg->body_len = 0;
	msg->has_clen = false;
	msg->n_hdr = 0;
	memset(msg->first, 0, sizeof(msg->first));

	nl = len ? memchr(buf, '\n', len) : NULL;
	if (!nl)
		return SIP_E_START_LINE;
	le = (nl > buf && nl[-1] == '\r') ? nl - 1 : nl;
	verr = parse_start_line(buf, le, msg);
	if (verr != SIP_OK && verr != SIP_E_VERSION)
		return verr;
	msg->start_len = (uint16_t)(nl + 1 - buf);

	for (p = nl + 1;; p = nl + 1) {
		struct sip_hdr *h;
		uint8_t id;

		if (p >= end) {
			err = SIP_E_NO_BODY_SEP;
			goto fail;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			err = SIP_E_NO_BODY_SEP;
			goto fail;
		}
		le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
		if (le == p) {
			msg->hdr_end = (uint16_t)(p - buf);
			msg->body_off = (uint16_t)(nl + 1 - buf);
			break;
		}
		/* Folded lines are consumed with their header below, so a
		 * leading SP/HTAB here has no header to continue (§7.3.1). */
		if (*p == ' ' || *p == '\t') {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		if (msg->n_hdr == SIP_MAX_HDRS) {
			err = SIP_E_TOO_MANY_HDRS;
			goto fail;
		}
		/* HCOLON = *( SP / HTAB ) ":" SWS: the colon is on the first line. */
		q = skip_token(p, le);
		if (q == p) {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		h = &msg->hdr[msg->n_hdr];
		h->name = sv_make(p, q);
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= le || *q != ':') {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		while (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
			nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
			if (!nl) {
				err = SIP_E_NO_BODY_SEP;
				goto fail;
			}
		}
		h->value = sv_trim(sv_make(q + 1, nl));
		h->off = (uint16_t)(p - buf);
		h->line_len = (uint16_t)(nl + 1 - p);
		id = hdr_classify(h->name.p, h->name.len);
		h->id = id;
		if (!msg->first[id])
			msg->first[id] = (uint8_t)(msg->n_hdr + 1);
		msg->n_hdr++;
		if (id == SIP_H_CONTENT_LENGTH) {
			/* Keep parsing on a bad value: a 400 needs Via, From,
			 * To, Call-ID and CSeq, which may come later. */
			if (parse_clen(h->value, &v) < 0 ||
			    (msg->has_clen && v != clen)) {
				clen_bad = true;
			} else {
				clen = v;
				msg->has_clen = true;
			}
		}
	}

	if (verr != SIP_OK)
		return verr;
	if (clen_bad)
		return SIP_E_CLEN;
	/* RFC 3261 §18.3: over UDP a missing Content-Length means the rest of
	 * the datagram; bytes past Content-Length are not part of the message. */
	v = (uint32_t)(len - msg->body_off);
	if (msg->has_clen) {
		if (clen > v)
			return SIP_E_CLEN_SHORT;
		v = clen;
	}
	msg->body_len = (uint16_t)v;
	return SIP_OK;

fail:
	return verr != SIP_OK ? verr : err;
}

const struct sip_hdr *
sip_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	const struct sip_hdr *last = &msg->hdr[msg->n_hdr];

	for (const struct sip_hdr *n = h + 1; n < last; n++)
		if (n->id == h->id)
			return n;
	return NULL;
}

int
sip_via_parse(struct sv value, struct sip_via *via, struct sv *rest)
{
	const char *e = sv_end(value);
	const char *p, *s, *t, *vend, *pstart = NULL;

	memset(via, 0, sizeof(*via));
	if (rest)
		*rest = sv_make(e, e);
	/* sent-protocol = "SIP" SLASH "2.0" SLASH transport, SLASH = SWS "/" SWS
	 * (RFC 3261 §20.42, §25.1); SWS may include a folded line end. */
	s = p = skip_ws(value.p, e);
	if (e - p < 3 || !lc_eq(p, "sip", 3))
		return -1;
	p = skip_ws(p + 3, e);
	if (p >= e || *p != '/')
		return -1;
	p = skip_ws(p + 1, e);
	if (e - p < 3 || memcmp(p, "2.0", 3) != 0)
		return -1;
	p = skip_ws(p + 3, e);
	if (p >= e || *p != '/')
		return -1;
	p = skip_ws(p + 1, e);
	t = skip_token(p, e);
	if (t == p)
		return -1;
	via->transport = sv_make(p, t);
	p = skip_ws(t, e);
	if (p == t || p >= e)
		return -1;

	/* sent-by = host [ COLON port ] */
	if (*p == '[') {
		t = memchr(p, ']', (size_t)(e - p));
		if (!t || t == p + 1)
			return -1;
		t++;
	} else {
		for (t = p; t < e && (cc(*t) & C_HOST); t++)
			;
		if (t == p)
			return -1;
	}
	via->host = sv_make(p, t);
	vend = t;
	p = skip_ws(t, e);
	if (p < e && *p == ':') {
		p = skip_ws(p + 1, e);
		t = parse_port(p, e, &via->port);
		if (!t)
			return -1;
		vend = t;
		p = skip_ws(t, e);
	}

	/* *( SEMI via-params ), SEMI = SWS ";" SWS */
	while (p < e && *p == ';') {
		struct sv name, val;
		bool has_val = false;

		if (!pstart)
			pstart = p;
		p = skip_ws(p + 1, e);
		t = skip_token(p, e);
		if (t == p)
			return -1;
		name = sv_make(p, t);
		val = sv_make(t, t);
		vend = t;
		p = skip_ws(t, e);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			if (p < e && *p == '"') {
				t = skip_quoted(p, e);
				if (!t)
					return -1;
			} else {
				for (t = p; t < e && !(cc(*t) & C_WS) && *t != ';' && *t != ','; t++)
					;
			}
			val = sv_make(p, t);
			has_val = true;
			vend = t;
			p = t;
		}
		switch (name.len) {
		case 5:
			if (lc_eq(name.p, "rport", 5)) {
				via->has_rport = true;
				/* RFC 3581: valueless in requests, a port in
				 * responses; anything else is malformed. */
				if (has_val && val.len &&
				    parse_port(val.p, sv_end(val), &via->rport) != sv_end(val))
					return -1;
			}
			break;
		case 6:
			if (lc_eq(name.p, "branch", 6))
				via->branch = val;
			break;
		case 8:
			if (lc_eq(name.p, "received", 8))
				via->received = val;
			break;
		}
		p = skip_ws(p, e);
	}
	if (p < e) {
		if (*p != ',')
			return -1;
		if (rest)
			*rest = sv_trim(sv_make(p + 1, e));
	}
	via->value = sv_make(s, vend);
	via->params = pstart ? sv_make(pstart, vend) : sv_make(vend, vend);
	return 0;
}

int
sip_uri_parse(struct sv uri, struct sip_uri *out)
{
	const char *p, *e, *t, *at;
	bool sipish;

	memset(out, 0, sizeof(*out));
	uri = sv_trim(uri);
	p = uri.p;
	e = sv_end(uri);
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1) */
	if (p >= e || !(cc(*p) & C_ALPHA))
		return -1;
	for (t = p + 1; t < e && ((cc(*t) & (C_ALPHA | C_DIGIT)) || *t == '+' ||
				  *t == '-' || *t == '.'); t++)
		;
	if (t >= e || *t != ':')
		return -1;
	out->scheme = sv_make(p, t);
	sipish = (t - p == 3 && lc_eq(p, "sip", 3)) || (t - p == 4 && lc_eq(p, "sips", 4));
	p = t + 1;
	out->user = sv_make(p, p);
	out->host = out->user;
	out->params = out->user;

	/* '@' cannot appear unescaped after the userinfo (§25.1 hnv-unreserved,
	 * param-unreserved), so the first one ends it; user may hold ';' '?'. */
	at = memchr(p, '@', (size_t)(e - p));
	if (at) {
		t = memchr(p, ':', (size_t)(at - p));
		out->user = sv_make(p, t ? t : at);
		p = at + 1;
	}
	if (p < e && *p == '[') {
		t = memchr(p, ']', (size_t)(e - p));
		if (!t || t == p + 1)
			return -1;
		t++;
	} else if (sipish) {
		for (t = p; t < e && (cc(*t) & C_HOST); t++)
			;
	} else {
		for (t = p; t < e && *t != ':' && *t != ';' && *t != '?' &&
			    !(cc(*t) & C_WS); t++)
			;
	}
	if (t == p)
		return -1;
	out->host = sv_make(p, t);
	p = t;
	if (p < e && *p == ':') {
		p = parse_port(p + 1, e, &out->port);
		if (!p)
			return -1;
	}
	if (p < e && *p != ';' && *p != '?')
		return -1;
	if (p < e && *p == ';') {
		struct sv dummy;

		t = memchr(p, '?', (size_t)(e - p));
		out->params = sv_make(p, t ? t : e);
		out->lr = sip_param_get(out->params, SV_LIT("lr"), &dummy) == 1;
	} else {
		out->params = sv_make(p, p);
	}
	return 0;
}

int
sip_nameaddr_uri(struct sv value, struct sv *uri, struct sv *rest)
{
	const char *e = sv_end(value);
	const char *p, *s, *t;

	s = p = skip_ws(value.p, e);
	*uri = sv_make(p, p);
	if (rest)
		*rest = sv_make(e, e);
	/* name-addr = [ display-name ] LAQUOT addr-spec RAQUOT; a display name
	 * may be quoted and hold ',', ';' or '<' (RFC 3261 §20.10, §25.1). */
	while (p < e && *p != '<' && *p != ',' && *p != ';') {
		if (*p == '"') {
			p = skip_quoted(p, e);
			if (!p)
				return -1;
		} else {
			p++;
		}
	}
	if (p < e && *p == '<') {
		t = memchr(p + 1, '>', (size_t)(e - p - 1));
		if (!t)
			return -1;
		*uri = sv_trim(sv_make(p + 1, t));
		p = t + 1;
	} else {
		*uri = sv_trim(sv_make(s, p));
	}
	/* The value ends at the first comma outside a quoted param value. */
	while (p < e) {
		if (*p == '"') {
			p = skip_quoted(p, e);
			if (!p)
				return -1;
		} else if (*p == ',') {
			if (rest)
				*rest = sv_trim(sv_make(p + 1, e));
			break;
		} else {
			p++;
		}
	}
	return 0;
}

int
sip_param_get(struct sv value, struct sv name, struct sv *val)
{
	const char *e = sv_end(value);
	const char *p = value.p, *t;

	while (p < e) {
		switch (*p) {
		case '"':
			p = skip_quoted(p, e);
			if (!p)
				return 0;
			continue;
		case '<':
			t = memchr(p, '>', (size_t)(e - p));
			if (!t)
				return 0;
			p = t + 1;
			continue;
		case ',':
			return 0; /* next value of a multi-value header */
		case ';':
			break;
		default:
			p++;
			continue;
		}

		struct sv pn, pv;

		p = skip_ws(p + 1, e);
		t = skip_token(p, e);
		pn = sv_make(p, t);
		p = skip_ws(t, e);
		pv = sv_make(t, t);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			if (p < e && *p == '"') {
				t = skip_quoted(p, e);
				if (!t)
					return 0;
			} else {
				for (t = p; t < e && !(cc(*t) & C_WS) && *t != ';' &&
					    *t != ','; t++)
					;
			}
			pv = sv_make(p, t);
			p = t;
		}
		if (pn.len && sv_ieq(pn, name)) {
			*val = pv;
			return 1;
		}
	}
	return 0;
}

int
sip_cseq_parse(struct sv value, uint32_t *num, struct sv *method)
{
	struct sv v = sv_trim(value);
	const char *p = v.p, *e = sv_end(v), *t;
	uint64_t n = 0;

	for (t = p; t < e && (cc(*t) & C_DIGIT); t++)
		n = n * 10 + (uint64_t)(*t - '0');
	/* RFC 3261 §8.1.1.5: the number must be less than 2**31. */
	if (t == p || t - p > 10 || n >= (1u << 31))
		return -1;
	if (t >= e || !(cc(*t) & C_WS))
		return -1;
	p = skip_ws(t, e);
	t = skip_token(p, e);
	if (t == p || t != e)
		return -1;
	*num = (uint32_t)n;
	*method = sv_make(p, t);
	return 0;
}

int
sip_ipv4_parse(struct sv v, uint32_t *ip_be)
{
	const char *p = v.p, *e = sv_end(v), *s;
	uint8_t b[4];

	for (int i = 0; i < 4; i++) {
		unsigned n = 0;

		if (i) {
			if (p >= e || *p != '.')
				return -1;
			p++;
		}
		for (s = p; p < e && (cc(*p) & C_DIGIT) && p - s < 3; p++)
			n = n * 10 + (unsigned)(*p - '0');
		/* dec-octet (RFC 3986 §3.2.2): no leading zeros, no octal. */
		if (p == s || n > 255 || (p - s > 1 && *s == '0'))
			return -1;
		b[i] = (uint8_t)n;
	}
	if (p != e)
		return -1;
	memcpy(ip_be, b, sizeof(b));
	return 0;
}
