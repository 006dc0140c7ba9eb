/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-lvestats-conf - libFuzzer target for lvestats_conf_parse()
 * (/etc/sysconfig/lvestats2).
 *
 * Any input must parse without a crash or leak. On success every value is
 * within its documented range (interval 1..3600, server_id 1..10 safe
 * characters, absolute paths, a loopback or unix listen address); on
 * failure the output is untouched and the error line is within the text.
 * Parsing is deterministic. A violation aborts.
 *
 * Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a libFuzzer
 * target; otherwise fuzz-driver.c makes it a plain program that runs every
 * file named on the command line once (corpus replay, crash reproduction).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-driver.h"
#include "stats.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_listen(const char *l)
{
	if (!l)
		return;
	fuzz_check(!strncmp(l, "unix:/", 6) || !strncmp(l, "127.0.0.1:", 10) || !strncmp(l, "localhost:", 10) ||
		           !strncmp(l, "[::1]:", 6),
	           "listen address is loopback or a unix socket");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lvestats_conf a, b, untouched;
	unsigned line_a = 0, line_b = 0, lines;
	char *text = fuzz_text(data, size, &lines);
	int ra, rb;

	if (!text)
		return 0;

	memset(&a, 0x5a, sizeof(a));
	untouched = a;
	ra = lvestats_conf_parse(text, &a, &line_a);
	rb = lvestats_conf_parse(text, &b, &line_b);
	fuzz_check(ra == rb, "deterministic result");
	fuzz_check(ra == 0 || ra == -EINVAL || ra == -ENOMEM, "result is 0, -EINVAL or -ENOMEM");
	if (ra == 0) {
		size_t sl = strlen(a.server_id);

		fuzz_check(a.interval >= 1 && a.interval <= 3600, "interval in range");
		fuzz_check(a.info_period >= 1 && a.info_period <= 86400, "info_period in range");
		fuzz_check(a.keep_history_days >= 1 && a.keep_history_days <= 36500, "keep_history_days in range");
		fuzz_check(sl >= 1 && sl <= 10, "server_id length");
		for (size_t i = 0; i < sl; i++)
			fuzz_check(isalnum((unsigned char)a.server_id[i]) || strchr("._-", a.server_id[i]),
			           "server_id characters");
		fuzz_check(!strcmp(a.db_type, "sqlite") || !strcmp(a.db_type, "postgresql") || !strcmp(a.db_type, "mysql"),
		           "db_type known");
		fuzz_check(a.sqlite_path && a.sqlite_path[0] == '/', "sqlite_path absolute");
		fuzz_check(!a.info_file || a.info_file[0] == '/', "info_file absolute");
		fuzz_check(strcmp(a.db_type, "sqlite") == 0 || a.connect_string, "connect_string for a server database");
		check_listen(a.prometheus_listen);
		fuzz_check(same(a.sqlite_path, b.sqlite_path) && same(a.connect_string, b.connect_string) &&
			           same(a.prometheus_listen, b.prometheus_listen) && same(a.info_file, b.info_file) &&
			           a.interval == b.interval,
		           "deterministic values");
		lvestats_conf_free(&a);
		lvestats_conf_free(&b);
		fuzz_check(a.sqlite_path == NULL && a.connect_string == NULL, "free resets");
	} else {
		fuzz_check(!memcmp(&a, &untouched, sizeof(a)), "output untouched on failure");
		fuzz_check(line_a == line_b, "deterministic error line");
		fuzz_check(ra != -EINVAL || line_a <= lines, "error line within the text");
	}
	free(text);
	return 0;
}
