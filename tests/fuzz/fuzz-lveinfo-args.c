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
 * target; otherwise fuzz-driver.c makes it a plain program that runs every
 * file named on the command line once (corpus replay, crash reproduction).
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

#include "fuzz-driver.h"
#include "stats.h"

static void fuzz_time(const char *s)
{
	const int64_t now = 1700000000;
	int64_t a = 42, b = 43;
	int ra = lve_parse_time(s, now, &a), rb = lve_parse_time(s, now, &b);

	fuzz_check(ra == rb, "time: deterministic");
	fuzz_check(ra == 0 || ra == -EINVAL, "time: 0 or -EINVAL");
	if (ra == 0) {
		fuzz_check(a == b, "time: same value");
		fuzz_check(a >= -14 * 3600 && a <= 253402300799 + 14 * 3600, "time: within 1970..9999");
	} else
		fuzz_check(a == 42 && b == 43, "time: untouched on failure");
}

static void fuzz_period(const char *s)
{
	const int64_t now = 1700000000;
	int64_t f = 1, t = 2;
	int r = lve_parse_period(s, now, &f, &t);

	fuzz_check(r == 0 || r == -EINVAL, "period: 0 or -EINVAL");
	if (r == 0) {
		fuzz_check(f < t, "period: non-empty");
		fuzz_check(t <= now + 1, "period: ends by now + 1");
	} else
		fuzz_check(f == 1 && t == 2, "period: untouched on failure");
}

static void fuzz_connect(const char *s)
{
	struct lve_pg_conninfo a, b, untouched;
	char again[1024];
	int r;

	memset(&a, 0x5a, sizeof(a));
	untouched = a;
	r = lve_db_parse_connect_string(s, &a);
	fuzz_check(r == 0 || r == -EINVAL, "connect: 0 or -EINVAL");
	if (r != 0) {
		fuzz_check(!memcmp(&a, &untouched, sizeof(a)), "connect: untouched on failure");
		return;
	}
	fuzz_check(a.user[0] && a.host[0] && a.dbname[0], "connect: user, host, database present");
	fuzz_check(!strpbrk(a.user, ":@/"), "connect: user has no : @ /");
	for (const char *p = s; *p; p++)
		fuzz_check((unsigned char)*p > ' ' && *p != 0x7f, "connect: no blanks or control characters");
	if (a.port[0]) {
		long v = strtol(a.port, NULL, 10);

		fuzz_check(v >= 1 && v <= 65535, "connect: port 1..65535");
	}
	snprintf(again, sizeof(again), strchr(a.host, ':') ? "%s:%s@[%s]%s%s/%s" : "%s:%s@%s%s%s/%s", a.user,
		 a.password, a.host, a.port[0] ? ":" : "", a.port, a.dbname);
	fuzz_check(lve_db_parse_connect_string(again, &b) == 0, "connect: re-serialized string parses");
	fuzz_check(!strcmp(a.user, b.user) && !strcmp(a.password, b.password) && !strcmp(a.host, b.host) &&
		           !strcmp(a.port, b.port) && !strcmp(a.dbname, b.dbname),
	           "connect: round trip");
}

static void fuzz_alias(const char *s)
{
	int c = lve_col_parse(s);

	fuzz_check(c == -EINVAL || (c >= 0 && c < LVE_COL__MAX), "alias: -EINVAL or a column");
	if (c >= 0)
		fuzz_check(!strcasecmp(lve_col_alias(c), s), "alias: maps back to itself");
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
	s = fuzz_text(data, size, NULL);
	if (!s)
		return 0;
	fuzz_time(s);
	fuzz_period(s);
	fuzz_connect(s);
	fuzz_alias(s);
	free(s);
	return 0;
}
