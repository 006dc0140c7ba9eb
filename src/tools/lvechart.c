/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvechart - one LVE's usage against its limits over a time range, as a
 * PNG or SVG picture (lvechart(8)). Reads lved's history like lveinfo
 * (lvestats2 config, --db for a SQLite file), draws with src/stats/chart.c.
 *
 *   lvechart --id ID | --user NAME [--from T] [--to T] [--period P]
 *            --output FILE|- [--format png|svg] [--server_id S]
 *            [--config FILE] [--db FILE] [--title TEXT]
 *
 * The picture is written beside FILE and renamed over it: a reader never
 * sees half a picture, and nothing is written on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "chart.h"
#include "config.h"
#include "fileio.h"
#include "macro.h"
#include "series.h"
#include "stats.h"

#define DEFAULT_RANGE (24 * 3600)

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("lvechart: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void usage(FILE *f)
{
	fputs("Usage: lvechart --id ID | --user NAME --output FILE [options]\n"
	      "Draw an LVE's CPU, memory, EP, processes, IO and IOPS against its limits, with faults.\n"
	      "  -i, --id ID            the LVE (a customer's uid)\n"
	      "  -u, --user NAME        the LVE of user NAME\n"
	      "  -f, --from TIME        start (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)\n"
	      "  -t, --to TIME          end, inclusive (default: now)\n"
	      "      --period P         instead of --from/--to: Ns, Nm, Nh, Nd, today, yesterday\n"
	      "                         (default: the last 24 hours)\n"
	      "  -o, --output FILE      where to write the picture; - for standard output\n"
	      "      --format png|svg   picture format (default: from FILE's suffix, else png)\n"
	      "      --title TEXT       title (default: \"LVE ID (user)\")\n"
	      "      --style admin|user user: CPU as % of its limit (default admin: % of one core)\n"
	      "      --show-all         accepted: every panel is always drawn\n"
	      "      --server_id S      the server whose history to draw (central database; also --server)\n"
	      "      --config FILE      lve-stats 2 configuration (default " LVESTATS_CONF_DEFAULT ")\n"
	      "      --db FILE          read this SQLite history file instead\n"
	      "  -h, --help             this text\n"
	      "Exit status: 0 written, 1 failure, 2 usage error. See lvechart(8).\n",
	      f);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcasecmp(s + n - m, suf);
}

/* Write FILE atomically (temp file beside it, fsync, rename): never half a picture. */
static int write_file(const char *path, const char *data, size_t len)
{
	_cleanup_free_ char *dir = strdup(path), *base = strdup(path);
	_cleanup_close_ int dfd = -1;

	if (!dir || !base)
		return -ENOMEM;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return ol_write_atomic_at(dfd, basename(base), data, len, 0644);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' },     { "user", required_argument, NULL, 'u' },
		{ "from", required_argument, NULL, 'f' },   { "to", required_argument, NULL, 't' },
		{ "period", required_argument, NULL, 'P' }, { "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' }, { "title", required_argument, NULL, 'T' },
		{ "server_id", required_argument, NULL, 'S' }, { "server-id", required_argument, NULL, 'S' },
		{ "server", required_argument, NULL, 'S' },	{ "show-all", no_argument, NULL, 'A' },
		{ "style", required_argument, NULL, 'Y' },
		{ "config", required_argument, NULL, 'C' }, { "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *from_s = NULL, *to_s = NULL, *period_s = NULL, *output = NULL, *format = NULL;
	const char *title = NULL, *server_id = NULL, *config = NULL, *dbfile = NULL, *user = NULL;
	struct lvestats_conf conf = { 0 };
	_cleanup_free_ struct lve_series *s = NULL;
	_cleanup_free_ char *pic = NULL;
	char deftitle[300];
	enum lve_chart_format fmt = LVE_CHART_PNG;
	bool user_style = false;
	int64_t now = (int64_t)time(NULL), from, to;
	struct lve_db *db = NULL;
	uint32_t id = 0;
	unsigned errline = 0;
	size_t len = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "i:u:f:t:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 || v >= UINT32_MAX)
				return fail(2, "--id: '%s' is not an LVE id (1..%u)", optarg, UINT32_MAX - 1);
			id = (uint32_t)v;
			break;
		}
		case 'u': user = optarg; break;
		case 'f': from_s = optarg; break;
		case 't': to_s = optarg; break;
		case 'P': period_s = optarg; break;
		case 'o': output = optarg; break;
		case 'F': format = optarg; break;
		case 'T': title = optarg; break;
		case 'S': server_id = optarg; break;
		case 'C': config = optarg; break;
		case 'D': dbfile = optarg; break;
		case 'A': break; /* every panel is always drawn */
		case 'Y':
			if (!strcmp(optarg, "user"))
				user_style = true;
			else if (strcmp(optarg, "admin"))
				return fail(2, "--style: '%s' is not admin or user", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return fail(2, "unexpected argument '%s' (see lvechart --help)", argv[optind]);
	if (!id == !user)
		return fail(2, "give exactly one of --id and --user (see lvechart --help)");
	if (!output)
		return fail(2, "--output FILE is required (- for standard output)");
	if (format) {
		if (!strcasecmp(format, "svg"))
			fmt = LVE_CHART_SVG;
		else if (strcasecmp(format, "png"))
			return fail(2, "--format: '%s' is not png or svg", format);
	} else if (ends_with(output, ".svg"))
		fmt = LVE_CHART_SVG;
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw)
			return fail(1, "no user '%s' on this server (check the name, or use --id)", user);
		if (pw->pw_uid == 0)
			return fail(1, "user '%s' is root: root has no LVE", user);
		id = pw->pw_uid;
	}
	if (period_s) {
		if (from_s || to_s)
			return fail(2, "--period cannot be combined with --from/--to");
		if (lve_parse_period(period_s, now, &from, &to) < 0)
			return fail(2, "--period: '%s' is not Ns, Nm, Nh, Nd, today or yesterday", period_s);
	} else {
		to = now + 1;
		if (to_s) {
			if (lve_parse_time(to_s, now, &to) < 0)
				return fail(2, "--to: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)", to_s);
			to += 1;
		}
		from = to - 1 - DEFAULT_RANGE;
		if (from_s && lve_parse_time(from_s, now, &from) < 0)
			return fail(2, "--from: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)", from_s);
		if (from >= to)
			return fail(2, "--from is after --to");
	}
	if ((to - from) / 60 > (int64_t)LVE_SERIES_MAX * 1440)
		return fail(2, "the range is too long to draw (at most %d days)", LVE_SERIES_MAX);

	r = lvestats_conf_load(config, &conf, &errline);
	if (r < 0) {
		const char *path = config ? config : LVESTATS_CONF_DEFAULT;

		if (errline)
			return fail(1, "%s:%u: invalid configuration line", path, errline);
		return fail(1, "%s: %s", path, r == -EINVAL ? "invalid configuration" : strerror(-r));
	}
	if (dbfile) {
		char *p = strdup(dbfile);

		if (!p) {
			lvestats_conf_free(&conf);
			return fail(1, "out of memory");
		}
		free(conf.sqlite_path);
		conf.sqlite_path = p;
		snprintf(conf.db_type, sizeof(conf.db_type), "sqlite");
	}
	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	lvestats_conf_free(&conf);
	if (r < 0)
		return fail(1, "cannot open the statistics database: %s", strerror(-r));
	r = lve_series_query(db, server_id, id, from, to, 0, &s);
	if (r < 0) {
		int rc = fail(1, "cannot read the history of LVE %" PRIu32 ": %s%s%s", id, strerror(-r),
			      *lve_db_errmsg(db) ? ": " : "", lve_db_errmsg(db));

		lve_db_close(db);
		return rc;
	}
	lve_db_close(db);
	if (!title) {
		struct passwd *pw = getpwuid(id);

		if (pw)
			snprintf(deftitle, sizeof(deftitle), "LVE %" PRIu32 " (%s)", id, pw->pw_name);
		else
			snprintf(deftitle, sizeof(deftitle), "LVE %" PRIu32, id);
		title = deftitle;
	}
	r = lve_chart_render(s, title, fmt, user_style ? LVE_CHART_USER : 0, &pic, &len);
	/* the picture is plain bytes now: drop cairo's and fontconfig's caches, so
	 * leak checkers see a clean exit on every path below */
	cairo_debug_reset_static_data();
	FcFini();
	if (r < 0)
		return fail(1, "cannot draw the chart: %s", strerror(-r));
	if (!strcmp(output, "-"))
		r = fwrite(pic, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
	else
		r = write_file(output, pic, len);
	if (r < 0)
		return fail(1, "cannot write %s: %s", output, strerror(-r));
	return 0;
}
