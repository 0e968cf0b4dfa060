/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg: a minimal file and a full file load with the right values and
 * defaults; each class of error gives the exact "FILE:LINE: message"; all
 * errors of one file are reported in line order; *out is untouched on error;
 * no allocation leaks; every .conf file in conf/ loads.
 *
 * Each error case edits a few lines of one valid base file, so the expected
 * line numbers can be read straight off base[] below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

#ifndef CONF_DIR
#error "CONF_DIR must be defined"
#endif

static char tmpdir[] = "/tmp/test_cfg.XXXXXX";

/* Line i + 1 of the base file is base[i]. */
static const char *const base[] = {
	/* 1 */ "dpdk: { eal = [ \"-l\", \"0-1\", \"--no-pci\" ]; };",
	/* 2 */ "interface: {",
	/* 3 */ "  address = \"198.18.0.10\";",
	/* 4 */ "  prefix = 24;",
	/* 5 */ "};",
	/* 6 */ "workers: { lcores = [ 1 ]; };",
	/* 7 */ "backends: (",
	/* 8 */ "  { name = \"be1\"; address = \"198.18.0.21\"; },",
	/* 9 */ "  { name = \"be2\"; address = \"198.18.0.22\"; }",
	/* 10 */ ");",
	/* 11 */ "# free line for optional groups",
};

#define BASE_LINES (sizeof(base) / sizeof(base[0]))

struct edit {
	unsigned line; /* 1-based line of base to replace; 0 ends the list */
	const char *text;
};

/* Write text to a new file in tmpdir; its name goes to path. */
static void
write_file(const char *text, char *path, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, n, "%s/cfgXXXXXX", tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Base file with edits applied, as one string (caller frees). */
static char *
build(const struct edit *ed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	unsigned i, j;

	assert_non_null(m);
	for (i = 0; i < BASE_LINES; i++) {
		const char *line = base[i];

		for (j = 0; ed != NULL && ed[j].line != 0; j++)
			if (ed[j].line == i + 1)
				line = ed[j].text;
		fprintf(m, "%s\n", line);
	}
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* Load text from a temp file; errors (caller frees) into *errs. */
static int
load_text(const char *text, struct cfg *out, char **errs, char *path, size_t n)
{
	size_t len = 0;
	FILE *m;
	int rc;

	*errs = NULL;
	m = open_memstream(errs, &len);
	assert_non_null(m);
	write_file(text, path, n);
	rc = cfg_load(path, out, m);
	assert_int_equal(fclose(m), 0);
	unlink(path);
	return rc;
}

/*
 * Apply edits to base, load, and check the output is exactly expect with
 * every line prefixed by the file name: expect holds "LINE: message\n"...
 */
static void
check_errors(const struct edit *ed, const char *expect)
{
	char path[256], *text = build(ed), *errs, *want = NULL;
	size_t wlen = 0;
	struct cfg out, before;
	const char *p;
	FILE *w;
	int rc;

	memset(&out, 0x5a, sizeof(out));
	before = out;
	rc = load_text(text, &out, &errs, path, sizeof(path));
	assert_int_equal(rc, -EINVAL);
	/* *out must be left exactly as it was. */
	assert_memory_equal(&out, &before, sizeof(out));

	w = open_memstream(&want, &wlen);
	assert_non_null(w);
	for (p = expect; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		fprintf(w, "%s:%.*s\n", path, (int)(nl - p), p);
		p = nl + 1;
	}
	assert_int_equal(fclose(w), 0);
	assert_string_equal(errs, want);
	free(want);
	free(errs);
	free(text);
}

static void
test_minimal_defaults(void **state)
{
	char path[256], *text = build(NULL), *errs;
	struct cfg c;
	int rc;

	(void)state;
	memset(&c, 0, sizeof(c));
	rc = load_text(text, &c, &errs, path, sizeof(path));
	assert_string_equal(errs, "");
	assert_int_equal(rc, 0);
	assert_string_equal(c.path, path);

	assert_int_equal(c.eal_argc, 3);
	assert_string_equal(c.eal_argv[0], "-l");
	assert_string_equal(c.eal_argv[1], "0-1");
	assert_string_equal(c.eal_argv[2], "--no-pci");
	assert_null(c.eal_argv[3]);

	assert_int_equal(c.port_id, 0);
	assert_int_equal(c.addr, inet_addr("198.18.0.10"));
	assert_int_equal(c.prefix, 24);
	assert_false(c.has_gateway);
	assert_int_equal(c.mtu, 1500);

	assert_int_equal(c.sip_port, 5060);
	assert_int_equal(c.mode, CFG_MODE_STATELESS);
	assert_true(c.record_route);

	assert_int_equal(c.n_lcores, 1);
	assert_int_equal(c.lcores[0], 1);

	assert_int_equal(c.n_backends, 2);
	assert_string_equal(c.backends[0].name, "be1");
	assert_int_equal(c.backends[0].addr, inet_addr("198.18.0.21"));
	assert_int_equal(c.backends[0].port, 5060);
	assert_int_equal(c.backends[0].weight, 1);
	assert_string_equal(c.backends[1].name, "be2");
	assert_int_equal(c.backends[1].addr, inet_addr("198.18.0.22"));

	assert_string_equal(c.control_socket, "/run/siplb/siplb.sock");
	assert_int_equal(c.st_capacity, 131072);
	assert_int_equal(c.st_fr_timer_ms, 2000);
	assert_int_equal(c.st_fr_inv_timer_ms, 120000);
	assert_int_equal(c.st_n_failover_codes, 2);
	assert_int_equal(c.st_failover_codes[0], 500);
	assert_int_equal(c.st_failover_codes[1], 503);

	cfg_free(&c);
	assert_null(c.eal_argv[0]);
	assert_int_equal(c.eal_argc, 0);
	cfg_free(&c); /* twice is harmless */
	free(errs);
	free(text);
}

static void
test_every_key_set(void **state)
{
	static const char text[] =
		"# every key, none at its default\n"
		"dpdk = { eal = ( \"-l\", \"0-3\" ); };\n"
		"interface = { port = 3; address = \"198.19.1.2\"; prefix = 16;\n"
		"  gateway = \"198.19.0.1\"; mtu = 9000; };\n"
		"sip = { port = 5080; mode = \"stateful\"; record_route = false; };\n"
		"workers = { lcores = ( 2, 3L, 1023 ); };\n"
		"backends = (\n"
		"  { name = \"a.b-c_d\"; address = \"198.19.2.1\"; port = 5070;"
		" weight = 1000; },\n"
		"  /* same address, another port: a different backend */\n"
		"  { name = \"abcdefghijklmnopqrstuvwxyz01234\";"
		" address = \"198.19.2.1\"; port = 0x13c4; }\n"
		");\n"
		"control = { socket = \"/tmp/x.sock\"; };\n"
		"stateful = { capacity = 16777216; fr_timer_ms = 100;"
		" fr_inv_timer_ms = 100000L; failover_codes = [ 486, 600, 699 ]; };\n";
	char path[256], *errs;
	struct cfg c;
	int rc;

	(void)state;
	rc = load_text(text, &c, &errs, path, sizeof(path));
	assert_string_equal(errs, "");
	assert_int_equal(rc, 0);
	assert_int_equal(c.eal_argc, 2);
	assert_string_equal(c.eal_argv[1], "0-3");
	assert_null(c.eal_argv[2]);
	assert_int_equal(c.port_id, 3);
	assert_int_equal(c.addr, inet_addr("198.19.1.2"));
	assert_int_equal(c.prefix, 16);
	assert_true(c.has_gateway);
	assert_int_equal(c.gateway, inet_addr("198.19.0.1"));
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.sip_port, 5080);
	assert_int_equal(c.mode, CFG_MODE_STATEFUL);
	assert_false(c.record_route);
	assert_int_equal(c.n_lcores, 3);
	assert_int_equal(c.lcores[0], 2);
	assert_int_equal(c.lcores[1], 3);
	assert_int_equal(c.lcores[2], 1023);
	assert_int_equal(c.n_backends, 2);
	assert_string_equal(c.backends[0].name, "a.b-c_d");
	assert_int_equal(c.backends[0].port, 5070);
	assert_int_equal(c.backends[0].weight, 1000);
	assert_string_equal(c.backends[1].name,
			    "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(c.backends[1].addr, inet_addr("198.19.2.1"));
	assert_int_equal(c.backends[1].port, 5060);
	assert_int_equal(c.backends[1].weight, 1);
	assert_string_equal(c.control_socket, "/tmp/x.sock");
	assert_int_equal(c.st_capacity, 16777216);
	assert_int_equal(c.st_fr_timer_ms, 100);
	assert_int_equal(c.st_fr_inv_timer_ms, 100000);
	assert_int_equal(c.st_n_failover_codes, 3);
	assert_int_equal(c.st_failover_codes[0], 486);
	assert_int_equal(c.st_failover_codes[2], 699);
	cfg_free(&c);
	free(errs);
}

/* One case per class of error: edits of base and the exact output. */
struct err_case {
	struct edit ed[5];
	const char *expect;
};

static const struct err_case err_cases[] = {
	/* syntax */
	{ { { 4, "  prefix = ;" } }, "4: syntax error: syntax error\n" },
	/* unknown group, unknown key */
	{ { { 11, "foo: { };" } }, "11: foo: unknown group\n" },
	{ { { 4, "  prefix = 24; netmask = \"255.255.255.0\";" } },
	  "4: interface.netmask: unknown key\n" },
	{ { { 8, "  { name = \"be1\"; address = \"198.18.0.21\"; wait = 1; }," } },
	  "8: backends[0].wait: unknown key\n" },
	/* wrong types */
	{ { { 11, "sip: { port = \"5060\"; };" } },
	  "11: sip.port: expected an integer, got a string\n" },
	{ { { 9, "  { name = \"be2\"; address = \"198.18.0.22\"; weight = 1.5; }" } },
	  "9: backends[1].weight: expected an integer, got a float\n" },
	{ { { 11, "sip: { record_route = 1; };" } },
	  "11: sip.record_route: expected a boolean, got an integer\n" },
	{ { { 11, "sip = 5;" } }, "11: sip: expected a group, got an integer\n" },
	{ { { 1, "dpdk: { eal = ( \"-l\", 1 ); };" } },
	  "1: dpdk.eal[1]: expected a string, got an integer\n" },
	{ { { 9, "  5" } }, "9: backends[1]: expected a group, got an integer\n" },
	{ { { 7, "backends: { name = \"be1\"; address = \"198.18.0.21\"; };" },
	    { 8, "" }, { 9, "" }, { 10, "" } },
	  "7: backends: expected a list of groups, got a group\n" },
	/* ranges, counts, enums */
	{ { { 9, "  { name = \"be2\"; address = \"198.18.0.22\"; weight = 0; }" } },
	  "9: backends[1].weight: 0 is out of range 1..1000\n" },
	{ { { 4, "  prefix = 33;" } }, "4: interface.prefix: 33 is out of range 1..32\n" },
	{ { { 11, "stateful: { capacity = 16777217L; };" } },
	  "11: stateful.capacity: 16777217 is out of range 1..16777216\n" },
	/* libconfig 1.5 would read this back as 100 */
	{ { { 11, "stateful: { capacity = 4294967396; };" } },
	  "11: stateful.capacity: 4294967396 is out of range 1..16777216\n" },
	{ { { 11, "stateful: { failover_codes = [ 500, 299 ]; };" } },
	  "11: stateful.failover_codes[1]: 299 is out of range 300..699\n" },
	{ { { 6, "workers: { lcores = [ ]; };" } },
	  "6: workers.lcores: 0 entries, expected 1..64\n" },
	{ { { 7, "backends: ( );" }, { 8, "" }, { 9, "" }, { 10, "" } },
	  "7: backends: 0 entries, expected 1..256\n" },
	{ { { 11, "sip: { mode = \"fast\"; };" } },
	  "11: sip.mode: \"fast\" is not \"stateless\" or \"stateful\"\n" },
	{ { { 11, "control: { socket = \"run/x.sock\"; };" } },
	  "11: control.socket: \"run/x.sock\" is not an absolute path\n" },
	{ { { 8, "  { name = \"be 1\"; address = \"198.18.0.21\"; }," } },
	  "8: backends[0].name: \"be 1\" must be 1..31 characters of "
	  "A-Z a-z 0-9 _ . -\n" },
	/* duplicates */
	{ { { 6, "workers: { lcores = [ 1, 2, 1 ]; };" } },
	  "6: workers.lcores[2]: 1 is already listed at [0]\n" },
	{ { { 9, "  { name = \"be1\"; address = \"198.18.0.22\"; }" } },
	  "9: backends[1].name: \"be1\" is already used by backends[0]\n" },
	{ { { 9, "  { name = \"be2\"; address = \"198.18.0.21\"; port = 5060; }" } },
	  "9: backends[1]: 198.18.0.21:5060 is already used by backends[0]\n" },
	/* addresses */
	{ { { 3, "  address = \"198.18.0\";" } },
	  "3: interface.address: \"198.18.0\" is not an IPv4 address\n" },
	{ { { 3, "  address = \"0.0.0.0\";" } },
	  "3: interface.address: 0.0.0.0 is not a host address: "
	  "unspecified (0.0.0.0/8)\n" },
	{ { { 3, "  address = \"239.1.1.1\";" } },
	  "3: interface.address: 239.1.1.1 is not a host address: multicast\n" },
	{ { { 3, "  address = \"255.255.255.255\";" } },
	  "3: interface.address: 255.255.255.255 is not a host address: "
	  "the broadcast address\n" },
	{ { { 3, "  address = \"198.18.0.255\";" } },
	  "3: interface.address: 198.18.0.255 is the broadcast address of its /24\n" },
	{ { { 4, "  prefix = 24; gateway = \"198.18.1.1\";" } },
	  "4: interface.gateway: 198.18.1.1 is not inside 198.18.0.10/24\n" },
	{ { { 4, "  prefix = 24; gateway = \"198.18.0.10\";" } },
	  "4: interface.gateway: 198.18.0.10 is the interface address\n" },
	{ { { 9, "  { name = \"be2\"; address = \"198.18.0.10\"; }" } },
	  "9: backends[1].address: 198.18.0.10 is the interface's own address\n" },
	/* missing: a key points at its group, a group at line 1 */
	{ { { 3, "  port = 0;" } }, "2: interface.address: required key is missing\n" },
	{ { { 9, "  { address = \"198.18.0.22\"; }" } },
	  "9: backends[1].name: required key is missing\n" },
	{ { { 6, "" } }, "1: workers: required group is missing\n" },
	/* cross-key: blamed on fr_inv_timer_ms, or fr_timer_ms if only it is set */
	{ { { 11, "stateful: { fr_timer_ms = 5000; fr_inv_timer_ms = 4000; };" } },
	  "11: stateful.fr_inv_timer_ms: 4000 is less than "
	  "stateful.fr_timer_ms (5000)\n" },
};

static void
test_error_classes(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		print_message("case %u: %s", i, err_cases[i].expect);
		check_errors(err_cases[i].ed, err_cases[i].expect);
	}
}

static void
test_timer_order_default_blames_fr_timer(void **state)
{
	static const struct edit ed[] = {
		{ 10, ");" },
		{ 11, "stateful: {\n  fr_timer_ms = 200000;\n};" },
		{ 0, NULL },
	};
	/* Lines 11..13 after the edit; fr_timer_ms sits on line 12. */
	(void)state;
	check_errors(ed, "12: stateful.fr_inv_timer_ms: 120000 is less than "
		     "stateful.fr_timer_ms (200000)\n");
}

static void
test_socket_path_too_long(void **state)
{
	char line[200], path[108];
	struct edit ed[2] = { { 11, line }, { 0, NULL } };

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0'; /* 107 bytes: the longest allowed */
	snprintf(line, sizeof(line), "control: { socket = \"%sb\"; };", path);
	check_errors(ed, "11: control.socket: path is 108 bytes, "
		     "at most 107 allowed\n");

	{
		char *text, *errs, p[256];
		struct cfg c;

		snprintf(line, sizeof(line), "control: { socket = \"%s\"; };", path);
		text = build(ed);
		assert_int_equal(load_text(text, &c, &errs, p, sizeof(p)), 0);
		assert_string_equal(c.control_socket, path);
		cfg_free(&c);
		free(errs);
		free(text);
	}
}

/* One backend too many: a count error, and nothing written past the array. */
static void
test_too_many_backends(void **state)
{
	char *list = NULL, *text;
	size_t len = 0;
	FILE *m = open_memstream(&list, &len);
	struct edit ed[5] = { { 7, NULL }, { 8, "" }, { 9, "" }, { 10, "" } };
	unsigned i;

	(void)state;
	assert_non_null(m);
	fprintf(m, "backends: (");
	for (i = 0; i <= CFG_MAX_BACKENDS; i++)
		fprintf(m, "%s{ name = \"b%u\"; address = \"198.18.%u.%u\"; }",
			i ? ", " : " ", i, 1 + i / 200, 1 + i % 200);
	fprintf(m, " );");
	assert_int_equal(fclose(m), 0);
	ed[0].text = list;
	check_errors(ed, "7: backends: 257 entries, expected 1..256\n");

	/* Exactly the maximum loads. */
	text = strstr(list, ", { name = \"b256\"");
	assert_non_null(text);
	strcpy(text, " );");
	{
		char *t = build(ed), *errs, p[256];
		struct cfg *c = malloc(sizeof(*c));

		assert_non_null(c);
		assert_int_equal(load_text(t, c, &errs, p, sizeof(p)), 0);
		assert_int_equal(c->n_backends, CFG_MAX_BACKENDS);
		assert_string_equal(c->backends[255].name, "b255");
		cfg_free(c);
		free(c);
		free(errs);
		free(t);
	}
	free(list);
}

/* Several errors in several groups: all reported, in line order. */
static void
test_many_errors(void **state)
{
	static const struct edit ed[] = {
		{ 1, "dpdk: { eal = [ \"-l\" ]; hugepages = 0; };" },
		{ 3, "  address = \"198.18.0.300\";" },
		{ 6, "workers: { lcores = [ 0, 1024 ]; };" },
		{ 9, "  { name = \"be1\"; address = \"198.18.0.22\"; weight = 0; }" },
		{ 11, "stateful: { capacity = 0; fr_timer_ms = \"2s\"; }; extra: { };" },
		{ 0, NULL },
	};

	(void)state;
	check_errors(ed,
		     "1: dpdk.hugepages: unknown key\n"
		     "3: interface.address: \"198.18.0.300\" is not an IPv4 address\n"
		     "6: workers.lcores[0]: 0 is out of range 1..1023\n"
		     "6: workers.lcores[1]: 1024 is out of range 1..1023\n"
		     "9: backends[1].weight: 0 is out of range 1..1000\n"
		     "9: backends[1].name: \"be1\" is already used by backends[0]\n"
		     "11: stateful.capacity: 0 is out of range 1..16777216\n"
		     "11: stateful.fr_timer_ms: expected an integer, got a string\n"
		     "11: extra: unknown group\n");
}

static void
test_empty_file(void **state)
{
	(void)state;
	/* The base with every line blanked is an empty file of 11 lines. */
	static const struct edit ed[] = {
		{ 1, "" }, { 2, "" }, { 3, "" }, { 4, "" }, { 5, "" }, { 6, "" },
		{ 7, "" }, { 8, "" }, { 9, "" }, { 10, "" }, { 11, "" }, { 0, NULL },
	};
	check_errors(ed,
		     "1: dpdk: required group is missing\n"
		     "1: interface: required group is missing\n"
		     "1: workers: required group is missing\n"
		     "1: backends: required group is missing\n");
}

static void
test_cannot_open(void **state)
{
	char path[256], *errs = NULL, want[512];
	size_t len = 0;
	struct cfg c, before;
	FILE *m = open_memstream(&errs, &len);

	(void)state;
	assert_non_null(m);
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	memset(&c, 0x33, sizeof(c));
	before = c;
	assert_int_equal(cfg_load(path, &c, m), -ENOENT);
	assert_int_equal(cfg_load(tmpdir, &c, m), -EISDIR);
	assert_int_equal(fclose(m), 0);
	assert_memory_equal(&c, &before, sizeof(c));
	snprintf(want, sizeof(want), "%s: cannot open: %s\n%s: cannot open: %s\n",
		 path, strerror(ENOENT), tmpdir, strerror(EISDIR));
	assert_string_equal(errs, want);
	free(errs);
}

/*
 * cfg allocates with libc (the EAL strings, libconfig's tree, messages), not
 * through the caller, so the test replaces the allocator (glibc supports
 * that; these forward to its own entry points) and counts live blocks.
 */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long live_blocks;

/*
 * GCC assumes its builtin malloc touches no user global, so read the count
 * with an atomic load it cannot fold.
 */
static long
live(void)
{
	return __atomic_load_n(&live_blocks, __ATOMIC_SEQ_CST);
}

void *
malloc(size_t n)
{
	void *p = __libc_malloc(n);

	if (p != NULL)
		__atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	return p;
}

void *
calloc(size_t n, size_t m)
{
	void *p = __libc_calloc(n, m);

	if (p != NULL)
		__atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	return p;
}

void *
realloc(void *p, size_t n)
{
	void *q = __libc_realloc(p, n);

	if (p == NULL && q != NULL)
		__atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	else if (p != NULL && n == 0 && q == NULL)
		__atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	return q;
}

void
free(void *p)
{
	if (p != NULL)
		__atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
	__libc_free(p);
}

static void
test_no_leaks(void **state)
{
	static const struct edit bad[] = {
		{ 3, "  address = \"x\";" }, { 11, "foo: { };" }, { 0, NULL },
	};
	char *good_text, *bad_text;
	char good[256], badp[256];
	FILE *null;
	void *volatile probe;
	long before;
	struct cfg c;
	int i;

	(void)state;
	/*
	 * Allocate inside libc, as cfg does: under valgrind or ASan their
	 * allocator wins there, and they do the leak checking instead.
	 */
	before = live();
	probe = strdup("x");
	i = live() == before + 1;
	free(probe);
	if (!i)
		skip();

	null = fopen("/dev/null", "w");
	assert_non_null(null);
	good_text = build(NULL);
	bad_text = build(bad);
	write_file(good_text, good, sizeof(good));
	write_file(bad_text, badp, sizeof(badp));
	/* The first write allocates the stream's buffer: do it before counting. */
	assert_int_equal(cfg_load(badp, &c, null), -EINVAL);

	before = live();
	for (i = 0; i < 3; i++) {
		assert_int_equal(cfg_load(good, &c, null), 0);
		/* What survives a good load is the three EAL strings. */
		assert_int_equal(live() - before, 3);
		cfg_free(&c);
		assert_int_equal(live(), before);
		assert_int_equal(cfg_load(badp, &c, null), -EINVAL);
		assert_int_equal(live(), before);
	}

	fclose(null);
	unlink(good);
	unlink(badp);
	free(good_text);
	free(bad_text);
}

static void
test_conf_dir_files_load(void **state)
{
	glob_t g;
	size_t i;

	(void)state;
	assert_int_equal(glob(CONF_DIR "/*.conf", 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 0);
	for (i = 0; i < g.gl_pathc; i++) {
		char *errs = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&errs, &len);
		struct cfg c;
		int rc;

		assert_non_null(m);
		rc = cfg_load(g.gl_pathv[i], &c, m);
		assert_int_equal(fclose(m), 0);
		print_message("%s: rc %d\n", g.gl_pathv[i], rc);
		assert_string_equal(errs, "");
		assert_int_equal(rc, 0);
		assert_true(c.eal_argc > 0);
		assert_true(c.n_backends > 0);
		cfg_free(&c);
		free(errs);
	}
	globfree(&g);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char pat[sizeof(tmpdir) + 4];
	glob_t g;
	size_t i;

	(void)state;
	/* A failed assertion skips a test's own unlink: sweep what is left. */
	snprintf(pat, sizeof(pat), "%s/*", tmpdir);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_every_key_set),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_timer_order_default_blames_fr_timer),
		cmocka_unit_test(test_socket_path_too_long),
		cmocka_unit_test(test_too_many_backends),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_no_leaks),
		cmocka_unit_test(test_conf_dir_files_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
