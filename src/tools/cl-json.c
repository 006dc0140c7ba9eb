/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cl-json.c - helpers of the CloudLinux-compatible JSON tools; see cl-json.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cl-json.h"
#include "fileio.h"
#include "logindefs.h"
#include "macro.h"

void clj_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

double clj_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

int clj_error(const char *tool, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fputs("{\"context\": {\"error_text\": ", stdout);
	clj_str(stdout, text);
	printf("}, \"result\": \"An error occured: \\\"%%(error_text)s\\\"\", \"timestamp\": %.6f}\n",
	       clj_now());
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", tool, text);
	return 1;
}

void clj_username(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	snprintf(buf, size, "%s", pw ? pw->pw_name : "N/A");
}

uint32_t clj_uid_max(void)
{
	uint32_t lo, hi;

	return login_defs_uid_range(LOGIN_DEFS_PATH, &lo, &hi) >= 0 ? hi : LOGIN_DEFS_UID_MAX;
}

int clj_each_item(const char *arg, int (*fn)(const char *item, void *ud), void *ud)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		r = fn(t, ud);
		if (r < 0)
			return r;
	}
	return 0;
}

int clj_parse_time_unit(const char *s, int64_t *secs)
{
	int64_t total = 0;

	if (!strcasecmp(s, "dynamic")) {
		*secs = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		int64_t n = 0;
		const char *p = s;

		while (*p >= '0' && *p <= '9') {
			if (n > INT32_MAX / 10)
				return -EINVAL;
			n = n * 10 + (*p - '0');
			p++;
		}
		if (p == s)
			return -EINVAL;
		switch (*p) {
		case 0:
		case 'm':
			total += n * 60;
			break;
		case 'h':
			total += n * 3600;
			break;
		case 'd':
			total += n * 86400;
			break;
		default:
			return -EINVAL;
		}
		s = *p ? p + 1 : p;
		if (total > (int64_t)INT32_MAX)
			return -EINVAL;
	}
	if (total <= 0)
		return -EINVAL;
	*secs = total;
	return 0;
}
