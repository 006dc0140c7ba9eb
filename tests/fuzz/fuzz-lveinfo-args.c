/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-lveinfo-args - libFuzzer target for the parsers behind lveinfo's
 * options and the database settings: lve_parse_time() (--from/--to),
 * lve_parse_period() (--period), lve_db_parse_connect_string()
 * (connect_string) and lve_col_parse() (column aliases). Every input goes
 * through all four.
 *
 * Invariants: results are 0 / -EINVAL only, deterministic, outputs
 * untouched on failure; a parsed time is within 1970..9999; a period is a
 * non-empty range ending at most at now + 1; a parsed connect string
 * re-serializes to a string that parses to the same fields; an alias maps
 * back to itself (case-insensitively). A violation aborts.
 *
 * Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a libFuzzer
 * target. Without, it is a plain program: `fuzz-lveinfo-args FILE...` runs
 * every file once (corpus replay, crash reproduction) and exits 0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-lveinfo-args: invariant violated: %s\n", what);
		abort();
	}
}

static void fuzz_time(const char *s)
{
	const int64_t now = 1700000000;
	int64_t a = 42, b = 43;
	int ra = lve_parse_time(s, now, &a), rb = lve_parse_time(s, now, &b);

	check(ra == rb, "time: deterministic");
	check(ra == 0 || ra == -EINVAL, "time: 0 or -EINVAL");
	if (ra == 0) {
		check(a == b, "time: same value");
		check(a >= -14 * 3600 && a <= 253402300799 + 14 * 3600, "time: within 1970..9999");
	} else
		check(a == 42 && b == 43, "time: untouched on failure");
}

static void fuzz_period(const char *s)
{
	const int64_t now = 1700000000;
	int64_t f = 1, t = 2;
	int r = lve_parse_period(s, now, &f, &t);

	check(r == 0 || r == -EINVAL, "period: 0 or -EINVAL");
	if (r == 0) {
		check(f < t, "period: non-empty");
		check(t <= now + 1, "period: ends by now + 1");
	} else
		check(f == 1 && t == 2, "period: untouched on failure");
}

static void fuzz_connect(const char *s)
{
	struct lve_pg_conninfo a, b, untouched;
	char again[1024];
	int r;

	memset(&a, 0x5a, sizeof(a));
	untouched = a;
	r = lve_db_parse_connect_string(s, &a);
	check(r == 0 || r == -EINVAL, "connect: 0 or -EINVAL");
	if (r != 0) {
		check(!memcmp(&a, &untouched, sizeof(a)), "connect: untouched on failure");
		return;
	}
	check(a.user[0] && a.host[0] && a.dbname[0], "connect: user, host, database present");
	check(!strpbrk(a.user, ":@/"), "connect: user has no : @ /");
	for (const char *p = s; *p; p++)
		check((unsigned char)*p > ' ' && *p != 0x7f, "connect: no blanks or control characters");
	if (a.port[0]) {
		long v = strtol(a.port, NULL, 10);

		check(v >= 1 && v <= 65535, "connect: port 1..65535");
	}
	snprintf(again, sizeof(again), strchr(a.host, ':') ? "%s:%s@[%s]%s%s/%s" : "%s:%s@%s%s%s/%s", a.user,
		 a.password, a.host, a.port[0] ? ":" : "", a.port, a.dbname);
	check(lve_db_parse_connect_string(again, &b) == 0, "connect: re-serialized string parses");
	check(!strcmp(a.user, b.user) && !strcmp(a.password, b.password) && !strcmp(a.host, b.host) &&
		      !strcmp(a.port, b.port) && !strcmp(a.dbname, b.dbname),
	      "connect: round trip");
}

static void fuzz_alias(const char *s)
{
	int c = lve_col_parse(s);

	check(c == -EINVAL || (c >= 0 && c < LVE_COL__MAX), "alias: -EINVAL or a column");
	if (c >= 0)
		check(!strcasecmp(lve_col_alias(c), s), "alias: maps back to itself");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool tz;
	char *s;

	if (!tz) {
		setenv("TZ", "UTC", 1);
		tzset();
		tz = true;
	}
	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	fuzz_time(s);
	fuzz_period(s);
	fuzz_connect(s);
	fuzz_alias(s);
	free(s);
	return 0;
}

#ifndef OPENLVE_LIBFUZZER
int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");
		uint8_t buf[4097];
		size_t len;

		if (!f) {
			fprintf(stderr, "fuzz-lveinfo-args: cannot open %s\n", argv[i]);
			rc = 1;
			continue;
		}
		len = fread(buf, 1, sizeof(buf), f);
		if (ferror(f)) {
			fprintf(stderr, "fuzz-lveinfo-args: cannot read %s\n", argv[i]);
			rc = 1;
		} else {
			LLVMFuzzerTestOneInput(buf, len);
			printf("%s: ok\n", argv[i]);
		}
		fclose(f);
	}
	return rc;
}
#endif
