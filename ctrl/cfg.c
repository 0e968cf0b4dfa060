/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loader. Every key is a row of keys[] below; the loader walks
 * the parsed libconfig tree, looks each setting up in the table, checks its
 * type and range and stores it into a scratch struct cfg, so an unknown key
 * is always an error and never silently ignored. Checks that involve several
 * keys (gateway on-link, timer order, duplicate backends) run afterwards.
 * The caller's struct is written only when the whole file is clean.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "cfg.h"

enum cfg_key_type {
	KT_INT,  /* integer in [min, max]; 32- or 64-bit (L) literal */
	KT_BOOL,
	KT_ADDR, /* dotted-quad IPv4 host address, stored network order */
	KT_MODE, /* "stateless" | "stateful" */
	KT_PATH, /* absolute path shorter than the field (sun_path) */
	KT_NAME, /* 1..CFG_NAME_MAX-1 of [A-Za-z0-9_.-] */
	KT_STRS, /* list or array of strings (the EAL argv) */
	KT_INTS, /* list or array of integers, each in [min, max] */
};

#define KF_REQUIRED 0x1u
#define KF_RELOAD 0x2u /* a reload may change it; otherwise init-only */
#define KF_UNIQUE 0x4u /* KT_INTS: no value twice */

struct cfg_key {
	const char *group;
	const char *name;
	enum cfg_key_type type;
	unsigned flags;
	int64_t min, max;      /* value, or element value for KT_INTS */
	unsigned min_n, max_n; /* element count for KT_STRS / KT_INTS */
	int64_t def;           /* KT_INT, KT_BOOL, KT_MODE */
	const char *def_str;   /* KT_PATH */
	const int64_t *def_list; /* KT_INTS */
	unsigned def_n;
	size_t off;  /* field in struct cfg, or in struct cfg_backend */
	size_t size; /* field size, element size for lists */
	size_t n_off; /* lists: count field (int for KT_STRS, unsigned for KT_INTS) */
};

#define F(f) .off = offsetof(struct cfg, f), .size = sizeof(((struct cfg *)0)->f)
#define FB(f) .off = offsetof(struct cfg_backend, f), \
	.size = sizeof(((struct cfg_backend *)0)->f)
#define FL(f, n) .off = offsetof(struct cfg, f), \
	.size = sizeof(((struct cfg *)0)->f[0]), .n_off = offsetof(struct cfg, n)

static const int64_t def_failover_codes[] = { 500, 503 };
static const int64_t def_alive_codes[] = { 200 };

static const struct cfg_key keys[] = {
	{ "dpdk", "eal", KT_STRS, KF_REQUIRED, .min_n = 1,
	  .max_n = CFG_MAX_EAL_ARGS, .off = offsetof(struct cfg, eal_argv),
	  .n_off = offsetof(struct cfg, eal_argc) },

	{ "interface", "port", KT_INT, 0, 0, 1023, .def = 0, F(port_id) },
	{ "interface", "address", KT_ADDR, KF_REQUIRED, F(addr) },
	{ "interface", "prefix", KT_INT, KF_REQUIRED, 1, 32, F(prefix) },
	{ "interface", "gateway", KT_ADDR, 0, F(gateway) },
	{ "interface", "mtu", KT_INT, 0, 576, 9000, .def = 1500, F(mtu) },

	{ "sip", "port", KT_INT, 0, 1, 65535, .def = 5060, F(sip_port) },
	{ "sip", "mode", KT_MODE, 0, .def = CFG_MODE_STATELESS, F(mode) },
	{ "sip", "record_route", KT_BOOL, KF_RELOAD, .def = 1, F(record_route) },

	{ "workers", "lcores", KT_INTS, KF_REQUIRED | KF_UNIQUE, 1, 1023,
	  .min_n = 1, .max_n = CFG_MAX_LCORES, FL(lcores, n_lcores) },

	/* One row per key of each element of the backends list. */
	{ "backends", "name", KT_NAME, KF_REQUIRED | KF_RELOAD, FB(name) },
	{ "backends", "address", KT_ADDR, KF_REQUIRED | KF_RELOAD, FB(addr) },
	{ "backends", "port", KT_INT, KF_RELOAD, 1, 65535, .def = 5060, FB(port) },
	{ "backends", "weight", KT_INT, KF_RELOAD, 1, 1000, .def = 1, FB(weight) },

	{ "control", "socket", KT_PATH, 0, .def_str = "/run/siplb/siplb.sock",
	  F(control_socket) },

	{ "stateful", "capacity", KT_INT, 0, 1, 16777216, .def = 131072,
	  F(st_capacity) },
	{ "stateful", "fr_timer_ms", KT_INT, KF_RELOAD, 100, 600000,
	  .def = 2000, F(st_fr_timer_ms) },
	{ "stateful", "fr_inv_timer_ms", KT_INT, KF_RELOAD, 1000, 3600000,
	  .def = 120000, F(st_fr_inv_timer_ms) },
	{ "stateful", "failover_codes", KT_INTS, KF_UNIQUE | KF_RELOAD, 300, 699,
	  .min_n = 1, .max_n = CFG_MAX_FAILOVER_CODES,
	  .def_list = def_failover_codes, .def_n = 2,
	  FL(st_failover_codes, st_n_failover_codes) },
	{ "stateful", "t1_ms", KT_INT, KF_RELOAD, 10, 10000, .def = 500, F(st_t1_ms) },
	{ "stateful", "wait_ms", KT_INT, KF_RELOAD, 0, 64000, .def = 5000, F(st_wait_ms) },
	{ "stateful", "retry_after_s", KT_INT, KF_RELOAD, 1, 3600, .def = 5,
	  F(st_retry_after_s) },

	{ "health", "enabled", KT_BOOL, KF_RELOAD, .def = 0, F(hc_enabled) },
	{ "health", "interval_ms", KT_INT, KF_RELOAD, 100, 3600000, .def = 1000,
	  F(hc_interval_ms) },
	{ "health", "timeout_ms", KT_INT, KF_RELOAD, 10, 3600000, .def = 500, F(hc_timeout_ms) },
	{ "health", "down_after", KT_INT, KF_RELOAD, 1, 100, .def = 3, F(hc_down_after) },
	{ "health", "up_after", KT_INT, KF_RELOAD, 1, 100, .def = 2, F(hc_up_after) },
	{ "health", "alive_codes", KT_INTS, KF_RELOAD | KF_UNIQUE, 100, 699,
	  .min_n = 1, .max_n = CFG_MAX_ALIVE_CODES,
	  .def_list = def_alive_codes, .def_n = 1, FL(hc_alive, hc_n_alive) },

	{ "telemetry", "prometheus_port", KT_INT, 0, 0, 65535, .def = 0, F(prom_port) },

	{ "accounting", "file", KT_PATH, 0, F(acct_file) },
	{ "accounting", "ring", KT_INT, 0, 256, 1048576, .def = 16384, F(acct_ring) },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct cfg_group {
	const char *name;
	bool required;
	bool is_list; /* a list of groups (backends), else one group */
	unsigned min_n, max_n;
};

static const struct cfg_group groups[] = {
	{ "dpdk", true, false, 0, 0 },
	{ "interface", true, false, 0, 0 },
	{ "sip", false, false, 0, 0 },
	{ "workers", true, false, 0, 0 },
	{ "backends", true, true, 1, CFG_MAX_BACKENDS },
	{ "control", false, false, 0, 0 },
	{ "stateful", false, false, 0, 0 },
	{ "health", false, false, 0, 0 },
	{ "telemetry", false, false, 0, 0 },
	{ "accounting", false, false, 0, 0 },
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/*
 * libconfig 1.5 stores an integer literal without the L suffix in an int and
 * silently truncates it: "capacity = 4294967396;" reads back as 100. To keep
 * that from passing a range check, each source file is lexed once for such
 * literals and a 32-bit setting whose line holds one is judged by the literal.
 */
struct cfg_wide_lit {
	unsigned file;   /* index in cfg_ctx.files */
	unsigned line;
	int32_t as_int;  /* what libconfig made of it */
	char text[32];
};

#define MAX_SCANNED_FILES 16

struct cfg_msg {
	const char *file;
	unsigned forder; /* files in order of first error */
	unsigned line;
	unsigned seq;    /* keeps the order of errors on one line */
	char *text;
};

struct cfg_ctx {
	const char *path;
	FILE *err;
	unsigned n_err;
	const char *files[MAX_SCANNED_FILES];
	unsigned n_files;
	struct cfg_wide_lit *lits;
	unsigned n_lits, cap_lits;
	struct cfg_msg *msgs;
	unsigned n_msgs, cap_msgs;
	const char *msg_files[MAX_SCANNED_FILES];
	unsigned n_msg_files;
};

/* Settings seen in one group and whether each was valid, by key row. */
struct cfg_seen {
	const config_setting_t *where[N_KEYS];
	bool ok[N_KEYS];
};

static void __attribute__((format(printf, 3, 4)))
cfg_report(struct cfg_ctx *cx, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = NULL;
	unsigned line = 0, f;
	struct cfg_msg *m;
	char *text = NULL;
	va_list ap;
	int n;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	if (file == NULL)
		file = cx->path;
	/* The root setting has no line; file-wide errors point at line 1. */
	if (line == 0)
		line = 1;
	cx->n_err++;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		text = NULL;
	for (f = 0; f < cx->n_msg_files; f++)
		if (strcmp(cx->msg_files[f], file) == 0)
			break;
	if (f == cx->n_msg_files && f < MAX_SCANNED_FILES)
		cx->msg_files[cx->n_msg_files++] = file;
	if (text != NULL && cx->n_msgs == cx->cap_msgs) {
		unsigned cap = cx->cap_msgs ? cx->cap_msgs * 2 : 16;
		void *nm = realloc(cx->msgs, cap * sizeof(*cx->msgs));

		if (nm != NULL) {
			cx->msgs = nm;
			cx->cap_msgs = cap;
		}
	}
	if (text == NULL || cx->n_msgs == cx->cap_msgs) {
		/* No memory to sort it in: print it now, out of order. */
		fprintf(cx->err, "%s:%u: %s\n", file, line,
			text != NULL ? text : fmt);
		free(text);
		return;
	}
	m = &cx->msgs[cx->n_msgs];
	m->file = file;
	m->forder = f;
	m->line = line;
	m->seq = cx->n_msgs++;
	m->text = text;
}

static int
cfg_msg_cmp(const void *a, const void *b)
{
	const struct cfg_msg *x = a, *y = b;

	if (x->forder != y->forder)
		return x->forder < y->forder ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Errors are found group by group; print them in file order. */
static void
cfg_flush_msgs(struct cfg_ctx *cx)
{
	unsigned i;

	qsort(cx->msgs, cx->n_msgs, sizeof(*cx->msgs), cfg_msg_cmp);
	for (i = 0; i < cx->n_msgs; i++) {
		fprintf(cx->err, "%s:%u: %s\n", cx->msgs[i].file,
			cx->msgs[i].line, cx->msgs[i].text);
		free(cx->msgs[i].text);
	}
	free(cx->msgs);
	cx->msgs = NULL;
	cx->n_msgs = cx->cap_msgs = 0;
}

static const char *
cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	case CONFIG_TYPE_GROUP:
		return "a group";
	default:
		return "nothing";
	}
}

/* Quote a user string for a one-line message: control bytes become '?'. */
static const char *
cfg_quote(char *buf, size_t n, const char *s)
{
	size_t i = 0, j = 0;

	buf[j++] = '"';
	while (s[i] != '\0' && j + 5 < n) {
		unsigned char c = (unsigned char)s[i++];

		buf[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i] != '\0') {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j++] = '"';
	buf[j] = '\0';
	return buf;
}

static unsigned
cfg_file_index(struct cfg_ctx *cx, const char *file, bool *fresh)
{
	unsigned i;

	*fresh = false;
	for (i = 0; i < cx->n_files; i++)
		if (strcmp(cx->files[i], file) == 0)
			return i;
	if (cx->n_files == MAX_SCANNED_FILES)
		return UINT32_MAX;
	cx->files[cx->n_files] = file;
	*fresh = true;
	return cx->n_files++;
}

static void
cfg_add_lit(struct cfg_ctx *cx, unsigned file, unsigned line, const char *p,
	    size_t len, int32_t as_int)
{
	struct cfg_wide_lit *l;

	if (cx->n_lits == cx->cap_lits) {
		unsigned cap = cx->cap_lits ? cx->cap_lits * 2 : 8;
		void *n = realloc(cx->lits, cap * sizeof(*cx->lits));

		if (n == NULL)
			return; /* lose the finer message, never the range check */
		cx->lits = n;
		cx->cap_lits = cap;
	}
	l = &cx->lits[cx->n_lits++];
	l->file = file;
	l->line = line;
	l->as_int = as_int;
	if (len >= sizeof(l->text))
		len = sizeof(l->text) - 1;
	memcpy(l->text, p, len);
	l->text[len] = '\0';
}

/*
 * Lex a file the way libconfig 1.5 does, only far enough to find integer
 * literals without L suffix that do not fit in 32 bits. Strings and the
 * three comment styles are skipped so digits inside them are not taken.
 */
static void
cfg_scan_file(struct cfg_ctx *cx, unsigned fidx, const char *file)
{
	char *buf;
	size_t len, i = 0;
	unsigned line = 1;
	FILE *f = fopen(file, "r");
	struct stat st;

	if (f == NULL)
		return;
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    st.st_size > (64 << 20)) {
		fclose(f);
		return;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		fclose(f);
		return;
	}
	len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[len] = '\0';

	while (i < len) {
		char c = buf[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#' || (c == '/' && buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && buf[i + 1] == '*') {
			for (i += 2; i < len && !(buf[i] == '*' && buf[i + 1] == '/'); i++)
				if (buf[i] == '\n')
					line++;
			i += 2;
		} else if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\' && i + 1 < len)
					i++;
				if (buf[i] == '\n')
					line++;
			}
			i++;
		} else if (isalpha((unsigned char)c) || c == '_' || c == '*') {
			while (i < len && (isalnum((unsigned char)buf[i]) ||
					   strchr("_*-", buf[i]) != NULL))
				i++;
		} else if (isdigit((unsigned char)c) ||
			   ((c == '-' || c == '+') && isdigit((unsigned char)buf[i + 1]))) {
			size_t start = i++;
			bool hex = false, flt = false, lsuf = false;
			char tmp[80];
			size_t n;

			while (i < len) {
				char d = buf[i];

				if (isalnum((unsigned char)d) || d == '.')
					i++;
				else if ((d == '-' || d == '+') && !hex &&
					 (buf[i - 1] == 'e' || buf[i - 1] == 'E'))
					i++;
				else
					break;
			}
			n = i - start;
			if (n >= sizeof(tmp))
				n = sizeof(tmp) - 1;
			memcpy(tmp, buf + start, n);
			tmp[n] = '\0';
			hex = tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X');
			if (!hex)
				flt = strpbrk(tmp, ".eE") != NULL;
			while (n > 0 && (tmp[n - 1] == 'L' || tmp[n - 1] == 'l')) {
				tmp[--n] = '\0';
				lsuf = true;
			}
			if (flt || lsuf)
				continue;
			errno = 0;
			if (hex) {
				unsigned long long v = strtoull(tmp, NULL, 16);

				if (errno == ERANGE || v > INT32_MAX)
					cfg_add_lit(cx, fidx, line, tmp, n,
						    (int32_t)(uint32_t)v);
			} else {
				long long v = strtoll(tmp, NULL, 10);

				if (errno == ERANGE || v > INT32_MAX || v < INT32_MIN)
					cfg_add_lit(cx, fidx, line, tmp, n,
						    (int32_t)(uint32_t)(uint64_t)v);
			}
		} else {
			i++;
		}
	}
	free(buf);
}

/* The literal libconfig truncated into this setting, or NULL. */
static const char *
cfg_wide_literal(struct cfg_ctx *cx, const config_setting_t *s, int32_t v)
{
	const char *file = config_setting_source_file(s);
	unsigned line = config_setting_source_line(s);
	unsigned fidx, i;
	bool fresh;

	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return NULL;
	if (file == NULL)
		file = cx->path;
	fidx = cfg_file_index(cx, file, &fresh);
	if (fidx == UINT32_MAX)
		return NULL;
	if (fresh)
		cfg_scan_file(cx, fidx, file);
	for (i = 0; i < cx->n_lits; i++)
		if (cx->lits[i].file == fidx && cx->lits[i].line == line &&
		    cx->lits[i].as_int == v)
			return cx->lits[i].text;
	return NULL;
}

static void
cfg_store(void *base, size_t off, size_t size, uint64_t v)
{
	char *p = (char *)base + off;

	switch (size) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	default: {
		memcpy(p, &v, 8);
		break;
	}
	}
}

/* Integer setting in [min, max]; name is the key path for messages. */
static bool
cfg_get_int(struct cfg_ctx *cx, const config_setting_t *s, const char *name,
	    int64_t min, int64_t max, int64_t *out)
{
	int type = config_setting_type(s);
	const char *wide;
	int64_t v;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		cfg_report(cx, s, "%s: expected an integer, got %s", name,
			   cfg_type_name(type));
		return false;
	}
	v = config_setting_get_int64(s);
	wide = cfg_wide_literal(cx, s, (int32_t)v);
	if (wide != NULL) {
		cfg_report(cx, s, "%s: %s is out of range %" PRId64 "..%" PRId64,
			   name, wide, min, max);
		return false;
	}
	if (v < min || v > max) {
		cfg_report(cx, s, "%s: %" PRId64 " is out of range %" PRId64
			   "..%" PRId64, name, v, min, max);
		return false;
	}
	*out = v;
	return true;
}

static const char *
cfg_get_string(struct cfg_ctx *cx, const config_setting_t *s, const char *name)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_STRING) {
		cfg_report(cx, s, "%s: expected a string, got %s", name,
			   cfg_type_name(type));
		return NULL;
	}
	return config_setting_get_string(s);
}

static void
cfg_fmt_addr(char *buf, uint32_t addr_be)
{
	struct in_addr a = { .s_addr = addr_be };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Addresses that can never be a unicast host on the segment. */
static const char *
cfg_addr_unusable(uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	if ((a >> 24) == 0)
		return "unspecified (0.0.0.0/8)";
	if ((a >> 24) == 127)
		return "loopback";
	if (a == UINT32_MAX)
		return "the broadcast address";
	if ((a >> 28) == 0xe)
		return "multicast";
	return NULL;
}

static bool
cfg_get_addr(struct cfg_ctx *cx, const config_setting_t *s, const char *name,
	     uint32_t *out)
{
	const char *str = cfg_get_string(cx, s, name);
	char q[80];
	const char *why;
	struct in_addr a;

	if (str == NULL)
		return false;
	/* inet_pton takes exactly four decimal octets, unlike inet_aton. */
	if (inet_pton(AF_INET, str, &a) != 1) {
		cfg_report(cx, s, "%s: %s is not an IPv4 address", name,
			   cfg_quote(q, sizeof(q), str));
		return false;
	}
	why = cfg_addr_unusable(a.s_addr);
	if (why != NULL) {
		cfg_report(cx, s, "%s: %s is not a host address: %s", name, str,
			   why);
		return false;
	}
	*out = a.s_addr;
	return true;
}

static bool
cfg_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

static bool
cfg_list_count(struct cfg_ctx *cx, const config_setting_t *s, const char *name,
	       unsigned min_n, unsigned max_n)
{
	unsigned n = (unsigned)config_setting_length(s);

	if (n < min_n || n > max_n) {
		cfg_report(cx, s, "%s: %u entries, expected %u..%u", name, n,
			   min_n, max_n);
		return false;
	}
	return true;
}

static bool
cfg_get_strs(struct cfg_ctx *cx, const struct cfg_key *k,
	     const config_setting_t *s, const char *name, void *base)
{
	char **argv = (char **)((char *)base + k->off);
	int *argc = (int *)((char *)base + k->n_off);
	int type = config_setting_type(s);
	unsigned n, i;
	bool ok;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		cfg_report(cx, s, "%s: expected a list of strings, got %s", name,
			   cfg_type_name(type));
		return false;
	}
	ok = cfg_list_count(cx, s, name, k->min_n, k->max_n);
	n = (unsigned)config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		int et = config_setting_type(e);

		if (et != CONFIG_TYPE_STRING) {
			cfg_report(cx, e, "%s[%u]: expected a string, got %s",
				   name, i, cfg_type_name(et));
			ok = false;
		} else if (ok && argv[i] == NULL) {
			argv[i] = strdup(config_setting_get_string(e));
			if (argv[i] == NULL) {
				cfg_report(cx, e, "%s[%u]: out of memory", name, i);
				ok = false;
			}
		}
	}
	if (ok)
		*argc = (int)n;
	return ok;
}

static bool
cfg_get_ints(struct cfg_ctx *cx, const struct cfg_key *k,
	     const config_setting_t *s, const char *name, void *base)
{
	int64_t vals[CFG_MAX_LCORES > CFG_MAX_FAILOVER_CODES ?
		     CFG_MAX_LCORES : CFG_MAX_FAILOVER_CODES];
	int type = config_setting_type(s);
	unsigned n, i, j;
	bool ok;
	char ename[128];

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		cfg_report(cx, s, "%s: expected a list of integers, got %s",
			   name, cfg_type_name(type));
		return false;
	}
	ok = cfg_list_count(cx, s, name, k->min_n, k->max_n);
	n = (unsigned)config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		int64_t v;

		snprintf(ename, sizeof(ename), "%s[%u]", name, i);
		if (!cfg_get_int(cx, e, ename, k->min, k->max, &v)) {
			ok = false;
			continue;
		}
		if (i >= k->max_n)
			continue; /* count already reported */
		vals[i] = v;
		if (k->flags & KF_UNIQUE) {
			for (j = 0; j < i; j++) {
				if (vals[j] == v) {
					cfg_report(cx, e, "%s: %" PRId64
						   " is already listed at [%u]",
						   ename, v, j);
					ok = false;
					break;
				}
			}
		}
	}
	if (!ok)
		return false;
	for (i = 0; i < n; i++)
		cfg_store(base, k->off + i * k->size, k->size, (uint64_t)vals[i]);
	cfg_store(base, k->n_off, sizeof(unsigned), n);
	return true;
}

/* Check one setting against its row and store it into base. */
static bool
cfg_get_value(struct cfg_ctx *cx, const struct cfg_key *k,
	      const config_setting_t *s, const char *name, void *base)
{
	const char *str;
	char q[80];
	int64_t v;
	uint32_t a;

	switch (k->type) {
	case KT_INT:
		if (!cfg_get_int(cx, s, name, k->min, k->max, &v))
			return false;
		cfg_store(base, k->off, k->size, (uint64_t)v);
		return true;
	case KT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			cfg_report(cx, s, "%s: expected a boolean, got %s", name,
				   cfg_type_name(config_setting_type(s)));
			return false;
		}
		cfg_store(base, k->off, k->size, config_setting_get_bool(s) != 0);
		return true;
	case KT_ADDR:
		if (!cfg_get_addr(cx, s, name, &a))
			return false;
		cfg_store(base, k->off, k->size, a);
		return true;
	case KT_MODE:
		str = cfg_get_string(cx, s, name);
		if (str == NULL)
			return false;
		if (strcmp(str, "stateless") == 0)
			v = CFG_MODE_STATELESS;
		else if (strcmp(str, "stateful") == 0)
			v = CFG_MODE_STATEFUL;
		else {
			cfg_report(cx, s, "%s: %s is not \"stateless\" or \"stateful\"",
				   name, cfg_quote(q, sizeof(q), str));
			return false;
		}
		cfg_store(base, k->off, k->size, (uint64_t)v);
		return true;
	case KT_PATH:
		str = cfg_get_string(cx, s, name);
		if (str == NULL)
			return false;
		if (str[0] != '/') {
			cfg_report(cx, s, "%s: %s is not an absolute path", name,
				   cfg_quote(q, sizeof(q), str));
			return false;
		}
		if (strlen(str) >= k->size) {
			cfg_report(cx, s, "%s: path is %zu bytes, at most %zu allowed",
				   name, strlen(str), k->size - 1);
			return false;
		}
		memcpy((char *)base + k->off, str, strlen(str) + 1);
		return true;
	case KT_NAME:
		str = cfg_get_string(cx, s, name);
		if (str == NULL)
			return false;
		if (!cfg_name_valid(str)) {
			cfg_report(cx, s, "%s: %s must be 1..%d characters of "
				   "A-Z a-z 0-9 _ . -", name,
				   cfg_quote(q, sizeof(q), str), CFG_NAME_MAX - 1);
			return false;
		}
		memcpy((char *)base + k->off, str, strlen(str) + 1);
		return true;
	case KT_STRS:
		return cfg_get_strs(cx, k, s, name, base);
	case KT_INTS:
		return cfg_get_ints(cx, k, s, name, base);
	}
	return false;
}

static void
cfg_set_defaults(const char *group, void *base)
{
	unsigned i, j;

	for (i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];

		if (strcmp(k->group, group) != 0)
			continue;
		switch (k->type) {
		case KT_INT:
		case KT_BOOL:
		case KT_MODE:
			cfg_store(base, k->off, k->size, (uint64_t)k->def);
			break;
		case KT_PATH:
			if (k->def_str != NULL)
				memcpy((char *)base + k->off, k->def_str,
				       strlen(k->def_str) + 1);
			break;
		case KT_INTS:
			for (j = 0; j < k->def_n; j++)
				cfg_store(base, k->off + j * k->size, k->size,
					  (uint64_t)k->def_list[j]);
			cfg_store(base, k->n_off, sizeof(unsigned), k->def_n);
			break;
		default:
			break;
		}
	}
}

static int
cfg_key_find(const char *group, const char *name)
{
	unsigned i;

	for (i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].group, group) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Check every setting of one group setting gs (a group, or one element of
 * the backends list) against the rows of group, storing into base. path is
 * the key path prefix for messages: "sip", "backends[2]".
 */
static void
cfg_check_group(struct cfg_ctx *cx, const char *group,
		const config_setting_t *gs, const char *path, void *base,
		struct cfg_seen *seen)
{
	unsigned n = (unsigned)config_setting_length(gs), i;
	char name[96];

	memset(seen, 0, sizeof(*seen));
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(gs, i);
		int k = cfg_key_find(group, config_setting_name(s));

		snprintf(name, sizeof(name), "%s.%s", path,
			 config_setting_name(s));
		if (k < 0) {
			cfg_report(cx, s, "%s: unknown key", name);
			continue;
		}
		seen->where[k] = s;
		seen->ok[k] = cfg_get_value(cx, &keys[k], s, name, base);
	}
	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].group, group) != 0 ||
		    !(keys[i].flags & KF_REQUIRED) || seen->where[i] != NULL)
			continue;
		cfg_report(cx, gs, "%s.%s: required key is missing", path,
			   keys[i].name);
	}
}

static int
cfg_row(const char *group, const char *name)
{
	int k = cfg_key_find(group, name);

	/* Only ever called with names from keys[]. */
	if (k < 0)
		abort();
	return k;
}

static void
cfg_check_backends(struct cfg_ctx *cx, const struct cfg_group *grp,
		   const config_setting_t *ls, struct cfg *c,
		   const struct cfg_seen *iface)
{
	const int k_name = cfg_row("backends", "name");
	const int k_addr = cfg_row("backends", "address");
	const int k_port = cfg_row("backends", "port");
	const int k_if = cfg_row("interface", "address");
	bool name_ok[CFG_MAX_BACKENDS], addr_ok[CFG_MAX_BACKENDS];
	unsigned n, i, j;
	struct cfg_seen seen;
	char path[32], a[INET_ADDRSTRLEN];

	if (config_setting_type(ls) != CONFIG_TYPE_LIST) {
		cfg_report(cx, ls, "backends: expected a list of groups, got %s",
			   cfg_type_name(config_setting_type(ls)));
		return;
	}
	cfg_list_count(cx, ls, grp->name, grp->min_n, grp->max_n);
	n = (unsigned)config_setting_length(ls);
	if (n > grp->max_n)
		n = grp->max_n; /* the count error is reported; check the rest */
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(ls, i);
		struct cfg_backend *b = &c->backends[i];

		snprintf(path, sizeof(path), "backends[%u]", i);
		name_ok[i] = addr_ok[i] = false;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_report(cx, e, "%s: expected a group, got %s", path,
				   cfg_type_name(config_setting_type(e)));
			continue;
		}
		cfg_set_defaults("backends", b);
		cfg_check_group(cx, "backends", e, path, b, &seen);
		name_ok[i] = seen.ok[k_name];
		/* The port takes part in the address:port identity. */
		addr_ok[i] = seen.ok[k_addr] &&
			     (seen.where[k_port] == NULL || seen.ok[k_port]);
		for (j = 0; name_ok[i] && j < i; j++) {
			if (name_ok[j] && strcmp(c->backends[j].name, b->name) == 0) {
				cfg_report(cx, seen.where[k_name],
					   "%s.name: \"%s\" is already used by "
					   "backends[%u]", path, b->name, j);
				break;
			}
		}
		if (seen.ok[k_addr] && iface->ok[k_if] && b->addr == c->addr) {
			cfg_fmt_addr(a, b->addr);
			cfg_report(cx, seen.where[k_addr],
				   "%s.address: %s is the interface's own address",
				   path, a);
		}
		for (j = 0; addr_ok[i] && j < i; j++) {
			if (addr_ok[j] && c->backends[j].addr == b->addr &&
			    c->backends[j].port == b->port) {
				cfg_fmt_addr(a, b->addr);
				cfg_report(cx, seen.where[k_addr],
					   "%s: %s:%u is already used by "
					   "backends[%u]", path, a, b->port, j);
				break;
			}
		}
	}
	c->n_backends = n;
}

/* Checks across keys of the interface and stateful groups. */
static void
cfg_check_cross(struct cfg_ctx *cx, struct cfg *c, const struct cfg_seen *ifs,
		const struct cfg_seen *sts)
{
	const int k_addr = cfg_row("interface", "address");
	const int k_pfx = cfg_row("interface", "prefix");
	const int k_gw = cfg_row("interface", "gateway");
	const int k_fr = cfg_row("stateful", "fr_timer_ms");
	const int k_inv = cfg_row("stateful", "fr_inv_timer_ms");
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	if (ifs->ok[k_addr] && ifs->ok[k_pfx]) {
		uint32_t mask = c->prefix == 32 ? UINT32_MAX :
				~(UINT32_MAX >> c->prefix);
		uint32_t addr = ntohl(c->addr);

		cfg_fmt_addr(a, c->addr);
		/* /31 and /32 have no network or broadcast address (RFC 3021). */
		if (c->prefix <= 30 && (addr & ~mask) == 0)
			cfg_report(cx, ifs->where[k_addr], "interface.address: %s "
				   "is the network address of its /%u", a,
				   c->prefix);
		else if (c->prefix <= 30 && (addr & ~mask) == ~mask)
			cfg_report(cx, ifs->where[k_addr], "interface.address: %s "
				   "is the broadcast address of its /%u", a,
				   c->prefix);
		if (ifs->ok[k_gw]) {
			uint32_t gw = ntohl(c->gateway);

			cfg_fmt_addr(g, c->gateway);
			if (gw == addr)
				cfg_report(cx, ifs->where[k_gw], "interface.gateway: "
					   "%s is the interface address", g);
			else if ((gw & mask) != (addr & mask))
				cfg_report(cx, ifs->where[k_gw], "interface.gateway: "
					   "%s is not inside %s/%u", g, a,
					   c->prefix);
			else if (c->prefix <= 30 && ((gw & ~mask) == 0 ||
						     (gw & ~mask) == ~mask))
				cfg_report(cx, ifs->where[k_gw], "interface.gateway: "
					   "%s is the network or broadcast "
					   "address of %s/%u", g, a, c->prefix);
		}
	}
	c->has_gateway = ifs->where[k_gw] != NULL;

	/* Point at fr_inv_timer_ms when the file sets it, else at fr_timer_ms. */
	if ((sts->where[k_fr] == NULL || sts->ok[k_fr]) &&
	    (sts->where[k_inv] == NULL || sts->ok[k_inv]) &&
	    c->st_fr_inv_timer_ms < c->st_fr_timer_ms) {
		const config_setting_t *at = sts->where[k_inv] != NULL ?
					     sts->where[k_inv] : sts->where[k_fr];

		cfg_report(cx, at, "stateful.fr_inv_timer_ms: %u is less than "
			   "stateful.fr_timer_ms (%u)", c->st_fr_inv_timer_ms,
			   c->st_fr_timer_ms);
	}
}

static void
cfg_check_root(struct cfg_ctx *cx, const config_setting_t *root, struct cfg *c)
{
	const config_setting_t *found[N_GROUPS] = { NULL };
	const config_setting_t *backends = NULL;
	const struct cfg_group *bgrp = NULL;
	struct cfg_seen ifs, sts, other;
	unsigned n = (unsigned)config_setting_length(root), i, g;

	memset(&ifs, 0, sizeof(ifs));
	memset(&sts, 0, sizeof(sts));
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(root, i);
		const char *name = config_setting_name(s);

		for (g = 0; g < N_GROUPS; g++)
			if (strcmp(groups[g].name, name) == 0)
				break;
		if (g == N_GROUPS) {
			cfg_report(cx, s, "%s: unknown group", name);
			continue;
		}
		found[g] = s;
		if (groups[g].is_list) {
			/* Checked last: backends are compared with interface. */
			backends = s;
			bgrp = &groups[g];
			continue;
		}
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			cfg_report(cx, s, "%s: expected a group, got %s", name,
				   cfg_type_name(config_setting_type(s)));
			continue;
		}
		cfg_check_group(cx, name, s, name, c,
				strcmp(name, "interface") == 0 ? &ifs :
				strcmp(name, "stateful") == 0 ? &sts : &other);
	}
	if (backends != NULL)
		cfg_check_backends(cx, bgrp, backends, c, &ifs);
	for (g = 0; g < N_GROUPS; g++)
		if (groups[g].required && found[g] == NULL)
			cfg_report(cx, root, "%s: required group is missing",
				   groups[g].name);
	cfg_check_cross(cx, c, &ifs, &sts);
}

/* Open the file ourselves first: libconfig 1.5 reports only "file I/O error". */
static int
cfg_open_check(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	int e = 0;

	if (f == NULL)
		e = errno;
	else if (fstat(fileno(f), &st) != 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	if (f != NULL)
		fclose(f);
	if (e == 0 && strlen(path) >= PATH_MAX)
		e = ENAMETOOLONG;
	if (e != 0)
		fprintf(err, "%s: cannot open: %s\n", path, strerror(e));
	return -e;
}

int
cfg_load(const char *path, struct cfg *out, FILE *err)
{
	struct cfg_ctx cx = { .path = path, .err = err };
	struct cfg *c;
	config_t lc;
	unsigned i;
	int rc;

	rc = cfg_open_check(path, err);
	if (rc != 0)
		return rc;

	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
			rc = errno != 0 ? -errno : -EIO;
			fprintf(err, "%s: cannot open: %s\n", path, strerror(-rc));
		} else {
			fprintf(err, "%s:%d: syntax error: %s\n",
				config_error_file(&lc) != NULL ?
				config_error_file(&lc) : path,
				config_error_line(&lc), config_error_text(&lc));
			rc = -EINVAL;
		}
		config_destroy(&lc);
		return rc;
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		config_destroy(&lc);
		fprintf(err, "%s: out of memory\n", path);
		return -ENOMEM;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	/* Defaults for every group; backends get theirs per element. */
	for (i = 0; i < N_GROUPS; i++)
		if (!groups[i].is_list)
			cfg_set_defaults(groups[i].name, c);
	cfg_check_root(&cx, config_root_setting(&lc), c);
	/* Message file names belong to lc: print before destroying it. */
	cfg_flush_msgs(&cx);
	config_destroy(&lc);
	free(cx.lits);

	if (cx.n_err > 0) {
		cfg_free(c);
		free(c);
		return -EINVAL;
	}
	*out = *c;
	free(c);
	return 0;
}

void
cfg_free(struct cfg *c)
{
	int i;

	for (i = 0; i < CFG_MAX_EAL_ARGS; i++) {
		free(c->eal_argv[i]);
		c->eal_argv[i] = NULL;
	}
	c->eal_argc = 0;
}

int
cfg_diff_init_only(const struct cfg *old, const struct cfg *new, FILE *err)
{
	int n = 0;

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &keys[i];
		const char *a = (const char *)old + k->off, *b = (const char *)new + k->off;
		bool same = true;

		if ((k->flags & KF_RELOAD) || strcmp(k->group, "backends") == 0)
			continue;
		switch (k->type) {
		case KT_STRS: {
			const int na = old->eal_argc, nb = new->eal_argc;

			same = na == nb;
			for (int j = 0; same && j < na; j++)
				same = strcmp(old->eal_argv[j], new->eal_argv[j]) == 0;
			break;
		}
		case KT_INTS: {
			unsigned na = *(const unsigned *)((const char *)old + k->n_off);
			unsigned nb = *(const unsigned *)((const char *)new + k->n_off);

			same = na == nb && memcmp(a, b, (size_t)na * k->size) == 0;
			break;
		}
		case KT_PATH:
			same = strncmp(a, b, k->size) == 0;
			break;
		default:
			same = memcmp(a, b, k->size) == 0;
			break;
		}
		if (k->off == offsetof(struct cfg, gateway))
			same = same && old->has_gateway == new->has_gateway;
		if (!same) {
			fprintf(err, "%s: %s.%s is init-only: it cannot change by reload "
				"(restart siplb to change it)\n", new->path, k->group, k->name);
			n++;
		}
	}
	return n;
}
