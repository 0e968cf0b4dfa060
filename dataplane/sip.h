/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message parser: zero-copy, bounded, allocation-free.
 *
 * sip_parse_msg() splits a datagram into its start line and header lines and
 * identifies each header name (full and compact forms, any case, whitespace
 * around the colon, folded continuation lines). Header values are kept as raw
 * views and parsed only when a caller asks (sip_via_parse, sip_cseq_parse,
 * sip_uri_parse, sip_param_get, ...): the proxy pays for what it reads.
 *
 * No function here reads outside [buf, end) or relies on a NUL terminator.
 * All functions are pure and may be called from any thread; views point into
 * the caller's buffer and die with it.
 */
#ifndef SIPLB_SIP_H
#define SIPLB_SIP_H

#include <stdbool.h>
#include <stdint.h>

#include "sv.h"

/* Headers the proxy reads. Compact forms (RFC 3261 §7.3.3, RFC 3265, RFC 3515)
 * in brackets. Everything else is SIP_H_OTHER. */
enum sip_hdr_id {
	SIP_H_OTHER = 0,
	SIP_H_VIA,              /* v */
	SIP_H_CALL_ID,          /* i */
	SIP_H_CSEQ,
	SIP_H_FROM,             /* f */
	SIP_H_TO,               /* t */
	SIP_H_MAX_FORWARDS,
	SIP_H_CONTENT_LENGTH,   /* l */
	SIP_H_CONTENT_TYPE,     /* c */
	SIP_H_ROUTE,
	SIP_H_RECORD_ROUTE,
	SIP_H_CONTACT,          /* m */
	SIP_H_SUPPORTED,        /* k */
	SIP_H_SUBJECT,          /* s */
	SIP_H_CONTENT_ENCODING, /* e */
	SIP_H_EVENT,            /* o */
	SIP_H_REFER_TO,         /* r */
	SIP_H_ALLOW_EVENTS,     /* u */
	SIP_H__COUNT
};

enum sip_method {
	SIP_M_OTHER = 0,
	SIP_M_INVITE,
	SIP_M_ACK,
	SIP_M_BYE,
	SIP_M_CANCEL,
	SIP_M_OPTIONS,
	SIP_M_REGISTER,
	SIP_M_PRACK,
	SIP_M_SUBSCRIBE,
	SIP_M_NOTIFY,
	SIP_M_PUBLISH,
	SIP_M_INFO,
	SIP_M_REFER,
	SIP_M_MESSAGE,
	SIP_M_UPDATE,
	SIP_M__COUNT
};

/* Return values of sip_parse_msg(). */
enum sip_err {
	SIP_OK = 0,
	SIP_E_START_LINE,   /* start line missing, malformed or not CRLF/LF-terminated */
	SIP_E_VERSION,      /* well-formed request line, version is not SIP/2.0 (answer 505) */
	SIP_E_HDR_SYNTAX,   /* header line without a colon, empty name, bad name char,
	                       or a continuation line before any header */
	SIP_E_TOO_MANY_HDRS,/* more than SIP_MAX_HDRS header lines */
	SIP_E_NO_BODY_SEP,  /* no empty line ending the header section */
	SIP_E_CLEN,         /* Content-Length not a number, or two that differ */
	SIP_E_CLEN_SHORT,   /* datagram shorter than header section + Content-Length */
	SIP_E__COUNT
};

#define SIP_MAX_HDRS 64

struct sip_hdr {
	struct sv name;    /* as written, no whitespace */
	struct sv value;   /* trimmed; may contain CRLF + WS where the line was folded */
	uint16_t off;      /* offset of the header line from the start of the datagram */
	uint16_t line_len; /* whole line(s) including the final CRLF or LF */
	uint8_t id;        /* enum sip_hdr_id */
};

struct sip_msg {
	const char *buf;       /* start of the datagram */
	uint16_t len;          /* datagram length */
	bool is_request;
	uint8_t method;        /* enum sip_method; requests only */
	uint16_t status;       /* responses only: 100..699 */
	struct sv method_name; /* requests: as written */
	struct sv ruri;        /* requests: Request-URI */
	struct sv reason;      /* responses: reason phrase */
	uint16_t start_len;    /* start line including CRLF/LF */
	uint16_t hdr_end;      /* offset of the empty line ending the headers */
	uint16_t body_off;     /* offset of the body (after the empty line) */
	uint16_t body_len;     /* Content-Length if present, else rest of datagram */
	bool has_clen;         /* a Content-Length header was present */
	uint8_t n_hdr;
	/* index + 1 into hdr[] of the first header of each id; 0 = absent */
	uint8_t first[SIP_H__COUNT];
	struct sip_hdr hdr[SIP_MAX_HDRS];
};

/*
 * Parse a datagram of len bytes at buf.
 * Returns SIP_OK or one enum sip_err. On SIP_OK every field of *msg is set; on
 * SIP_E_VERSION the start line fields are set (so a 505 can be built) and the
 * headers are parsed as far as they go; on other errors *msg is partially set
 * and must only be used to build a 400 if msg->n_hdr > 0.
 * A datagram longer than header section + Content-Length is accepted: the
 * extra bytes are not part of the message (RFC 3261 §18.3).
 */
enum sip_err sip_parse_msg(const char *buf, uint16_t len, struct sip_msg *msg);

/* Name of an error, for counters ("start_line", "version", ...). */
const char *sip_err_name(enum sip_err e);

/* Method name for counters ("INVITE", ..., "OTHER"). */
const char *sip_method_name(enum sip_method m);

/* First header of an id, or NULL. */
static inline const struct sip_hdr *
sip_hdr_first(const struct sip_msg *msg, enum sip_hdr_id id)
{
	return msg->first[id] ? &msg->hdr[msg->first[id] - 1] : (const struct sip_hdr *)0;
}

/* Next header of the same id after h, or NULL. */
const struct sip_hdr *sip_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h);

/* One via-parm (RFC 3261 §20.42, §25.1). */
struct sip_via {
	struct sv value;     /* the whole via-parm, trimmed */
	struct sv transport; /* "UDP", "TCP", ... */
	struct sv host;      /* IPv4 literal, [IPv6] or name, as written */
	uint16_t port;       /* 0 when absent */
	struct sv branch;    /* value of ;branch=, empty if absent */
	struct sv received;  /* value of ;received=, empty if absent */
	bool has_rport;      /* ;rport present (with or without value) */
	uint16_t rport;      /* ;rport=N value, 0 when absent or empty */
	struct sv params;    /* from the first ';' to the end of the via-parm */
};

/*
 * Parse the first via-parm of a Via header value (which may hold several,
 * comma-separated, and folded whitespace).
 * Returns 0 and fills *via; *rest (if not NULL) receives the view after the
 * comma, empty when this was the last via-parm of the value. Returns -1 when
 * the value is not "SIP/2.0/<transport> host[:port] *(;param)".
 */
int sip_via_parse(struct sv value, struct sip_via *via, struct sv *rest);

/* A SIP or SIPS URI (RFC 3261 §19.1.1), parts as views. */
struct sip_uri {
	struct sv scheme;  /* "sip" / "sips" / other */
	struct sv user;    /* may be empty */
	struct sv host;    /* as written; IPv6 references keep their brackets */
	uint16_t port;     /* 0 when absent */
	struct sv params;  /* from the first ';' up to '?' or the end */
	bool lr;           /* ;lr present */
};

/* Parse a bare URI. Returns 0, or -1 if it has no scheme/host or a bad port. */
int sip_uri_parse(struct sv uri, struct sip_uri *out);

/*
 * From a name-addr or addr-spec header value (To, From, Contact, Route,
 * Record-Route; RFC 3261 §20.10), return the URI part: the text inside <>
 * when present, else the addr-spec up to the first ';' or ','.
 * *rest (if not NULL) receives what follows the first value's comma, empty
 * when it was the last. Returns 0 or -1 on an unterminated '<' or quote.
 */
int sip_nameaddr_uri(struct sv value, struct sv *uri, struct sv *rest);

/*
 * Value of the header parameter name (e.g. "tag") in a From/To value, looking
 * only outside <> and quotes; for a bare URI params string (";a=b;lr") too.
 * Returns 1 and sets *val (empty for a valueless parameter), or 0 if absent.
 */
int sip_param_get(struct sv value, struct sv name, struct sv *val);

/* CSeq: "number method". Returns 0, or -1 when malformed (RFC 3261 §20.16). */
int sip_cseq_parse(struct sv value, uint32_t *num, struct sv *method);

/* Method id of a method token (case-sensitive, RFC 3261 §7.1). */
enum sip_method sip_method_of(struct sv name);

/*
 * Parse a dotted-quad IPv4 literal that fills the whole view.
 * Returns 0 and sets *ip (network byte order), or -1.
 */
int sip_ipv4_parse(struct sv v, uint32_t *ip_be);

#endif
