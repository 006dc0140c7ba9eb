/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-read-snapshot - what ran in an LVE when it hit its limits
 * (lve-read-snapshot(8)): the snapshots lved wrote (snapshot.h), with
 * lve-stats 2's options:
 *
 *   lve-read-snapshot -i ID | -u USER [-f FROM] [-t TO] [-p PERIOD | --timestamp TS]
 *                     [-l] [-j] [--stats [--unit 1d|3h|1w|auto]] [-o FILE]
 *                     [--config FILE] [--dir DIR]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "macro.h"
#include "snapshot.h"
#include "stats.h"

#define DEFAULT_PERIOD "10m"

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("lve-read-snapshot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void usage(FILE *f)
{
	fputs("Usage: lve-read-snapshot -i ID | -u USER [options]\n"
	      "Reads the snapshots lved took of an LVE's processes when it hit its limits.\n"
	      "  -i, --id ID            the LVE\n"
	      "  -u, --user USER        the LVE of this user\n"
	      "  -f, --from TIME        from (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)\n"
	      "  -t, --to TIME          up to (default: now)\n"
	      "  -p, --period P         instead: Ns, Nm, Nh, Nd, today, yesterday (default 10m)\n"
	      "      --timestamp TS     only the snapshot taken at unix time TS\n"
	      "  -l, --list             the snapshots' times only\n"
	      "  -j, --json             JSON output\n"
	      "      --stats            incidents, snapshots and faults per --unit instead\n"
	      "      --unit U           1d (default), 3h, 24h, 1w, ... or auto (one row per incident)\n"
	      "  -o, --output FILE      write to FILE instead of standard output\n"
	      "      --config FILE      lve-stats 2 configuration (default " LVESTATS_CONF_DEFAULT ")\n"
	      "      --dir DIR          read snapshots from DIR instead\n"
	      "  -h, --help, --version\n"
	      "Exit status: 0 ok, 1 failure, 2 usage error. See lve-read-snapshot(8).\n",
	      f);
}


static void when(int64_t ts, char *buf, size_t size)
{
	time_t t = (time_t)ts;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_text(FILE *o, const struct lve_snap *s, const char *user)
{
	char a[32], b[32];

	when(s->ts, a, sizeof(a));
	when(s->incident, b, sizeof(b));
	fprintf(o, "Snapshot %s (%" PRId64 "), LVE %" PRIu32 " (%s), incident since %s\n", a, s->ts, s->id, user, b);
	fprintf(o, "Faults: CPU %" PRIu64 ", EP %" PRIu64 ", PMEM %" PRIu64 ", VMEM %" PRIu64 ", NPROC %" PRIu64
		   ", IO %" PRIu64 ", IOPS %" PRIu64 "\n",
		s->faults[0], s->faults[1], s->faults[2], s->faults[3], s->faults[4], s->faults[5], s->faults[6]);
	fprintf(o, "Usage: CPU %.1f%%, PMEM %.1f MiB, EP %" PRIu64 ", NPROC %" PRIu64 ", IO %.1f KB/s, IOPS %" PRIu64
		   "\n",
		(double)s->usage[0] / 100.0, (double)s->usage[1] / 1048576.0, s->usage[2], s->usage[3],
		(double)s->usage[4] / 1024.0, s->usage[5]);
	fprintf(o, "Processes: %" PRIu32 "%s\n", s->nprocs, s->truncated ? " (list cut)" : "");
	fprintf(o, "%8s %8s %6s %s %4s %10s %9s %10s %10s  %s\n", "PID", "PPID", "UID", "S", "THR", "CPU(s)",
		"RSS(MiB)", "READ(KiB)", "WRITE(KiB)", "COMMAND");
	for (size_t i = 0; i < s->nproc; i++) {
		const struct lve_snap_proc *p = &s->procs[i];

		fprintf(o, "%8d %8d %6" PRIu32 " %c %4" PRIu32 " %10.2f %9.1f %10" PRIu64 " %10" PRIu64 "  %s\n", (int)p->pid,
			(int)p->ppid, p->uid, p->state, p->threads, (double)p->cpu_ms / 1000.0,
			(double)p->rss / 1048576.0, p->read_bytes / 1024, p->write_bytes / 1024, p->cmd);
	}
	if (s->nreq) {
		/* labelled entries (olve_annotate: the web requests being served) */
		fprintf(o, "Requests: %zu\n%8s %8s %-19s  %s\n", s->nreq, "PID", "TID", "SINCE", "REQUEST");
		for (size_t i = 0; i < s->nreq; i++) {
			const struct lve_snap_req *q = &s->reqs[i];

			when(q->when, a, sizeof(a));
			fprintf(o, "%8d %8d %-19s  ", (int)q->pid, (int)q->tid, a);
			/* the client's text: control bytes escaped */
			for (const unsigned char *c = (const unsigned char *)q->text; *c; c++)
				if (*c < 0x20 || *c == 0x7f || *c == '\\')
					fprintf(o, "\\x%02x", *c);
				else
					fputc(*c, o);
			fputc('\n', o);
		}
	}
	fputc('\n', o);
}

/* --unit: "auto" (0), or N with h, d or w. */
static int parse_unit(const char *u, int64_t *out)
{
	char *end;
	long v;

	if (!strcmp(u, "auto")) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtol(u, &end, 10);
	if (errno || end == u || v <= 0 || v > 10000 || end[1])
		return -EINVAL;
	switch (*end) {
	case 'h': *out = v * 3600; return 0;
	case 'd': *out = v * 86400; return 0;
	case 'w': *out = v * 7 * 86400; return 0;
	default: return -EINVAL;
	}
}

static void print_stats(FILE *o, const struct lve_snaps *sn, int64_t from, int64_t to, int64_t unit, bool json,
			uint32_t id)
{
	bool first = true;

	if (json)
		fprintf(o, "{\"id\": %" PRIu32 ", \"unit\": %lld, \"stats\": [", id, (long long)unit);
	else
		fprintf(o, "%-19s  %-19s %9s %9s %6s %6s %6s %6s %6s %6s %6s\n", "FROM", "TO", "INCIDENTS", "SNAPSHOTS",
			"CPUf", "EPf", "PMemF", "VMemF", "NprocF", "IOf", "IOPSf");
	for (size_t i = 0; i < sn->n;) {
		int64_t b0, b1;
		uint64_t f[7] = { 0 }, snaps = 0, incidents = 0;
		int64_t last_inc = INT64_MIN;
		char a[32], b[32];

		if (unit) {
			b0 = from + (sn->v[i].ts - from) / unit * unit;
			b1 = b0 + unit < to ? b0 + unit : to;
		} else {
			b0 = sn->v[i].incident;
			b1 = sn->v[i].ts + 1;
		}
		for (; i < sn->n && (unit ? sn->v[i].ts < b1 : sn->v[i].incident == b0); i++) {
			snaps++;
			if (sn->v[i].incident != last_inc) {
				incidents++;
				last_inc = sn->v[i].incident;
			}
			for (int k = 0; k < 7; k++)
				f[k] += sn->v[i].faults[k];
			if (!unit)
				b1 = sn->v[i].ts + 1;
		}
		if (json) {
			fprintf(o, "%s\n  {\"from\": %lld, \"to\": %lld, \"incidents\": %" PRIu64 ", \"snapshots\": %" PRIu64
				   ", \"faults\": {",
				first ? "" : ",", (long long)b0, (long long)b1, incidents, snaps);
			for (int k = 0; k < 7; k++)
				fprintf(o, "%s\"%s\": %" PRIu64, k ? ", " : "", lve_snap_fault_names[k], f[k]);
			fputs("}}", o);
		} else {
			when(b0, a, sizeof(a));
			when(b1 - 1, b, sizeof(b));
			fprintf(o, "%-19s  %-19s %9" PRIu64 " %9" PRIu64, a, b, incidents, snaps);
			for (int k = 0; k < 7; k++)
				fprintf(o, " %6" PRIu64, f[k]);
			fputc('\n', o);
		}
		first = false;
	}
	if (json)
		fprintf(o, "%s], \"result\": \"success\"}\n", first ? "" : "\n");
}

static int cmp_snap(const void *a, const void *b)
{
	const struct lve_snap *x = a, *y = b;

	return (x->ts > y->ts) - (x->ts < y->ts);
}

int main(int argc, char **argv)
{
	enum { O_TS = 1000, O_STATS, O_UNIT, O_CONFIG, O_DIR, O_VERSION };
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' },	   { "user", required_argument, NULL, 'u' },
		{ "from", required_argument, NULL, 'f' },	   { "to", required_argument, NULL, 't' },
		{ "period", required_argument, NULL, 'p' },   { "timestamp", required_argument, NULL, O_TS },
		{ "list", no_argument, NULL, 'l' },	   { "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, O_STATS },	   { "unit", required_argument, NULL, O_UNIT },
		{ "output", required_argument, NULL, 'o' },   { "config", required_argument, NULL, O_CONFIG },
		{ "dir", required_argument, NULL, O_DIR },	   { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION }, { NULL, 0, NULL, 0 },
	};
	const char *from_s = NULL, *to_s = NULL, *period_s = NULL, *ts_s = NULL, *user = NULL, *output = NULL;
	const char *config = NULL, *dir = NULL, *unit_s = "1d";
	bool list = false, json = false, stats = false;
	struct lvestats_conf conf = { 0 };
	struct lve_snaps sn = { 0 };
	char uname[256] = "N/A";
	int64_t now = (int64_t)time(NULL), from, to, unit = 86400, ts = -1;
	uint32_t id = 0;
	unsigned errline = 0;
	int c, r, bad = 0;
	FILE *o = stdout;

	while ((c = getopt_long(argc, argv, "i:u:f:t:p:ljo:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (ol_parse_u32(optarg, &id) < 0 || id == 0 || id == UINT32_MAX)
				return fail(2, "--id: '%s' is not an LVE id (1..%u)", optarg, UINT32_MAX - 1);
			break;
		case 'u': user = optarg; break;
		case 'f': from_s = optarg; break;
		case 't': to_s = optarg; break;
		case 'p': period_s = optarg; break;
		case O_TS: ts_s = optarg; break;
		case 'l': list = true; break;
		case 'j': json = true; break;
		case O_STATS: stats = true; break;
		case O_UNIT: unit_s = optarg; break;
		case 'o': output = optarg; break;
		case O_CONFIG: config = optarg; break;
		case O_DIR: dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: printf("lve-read-snapshot (openlve) %s\n", OPENLVE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return fail(2, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!id == !user)
		return fail(2, "give one of -i/--id and -u/--user (see --help)");
	if (list && stats)
		return fail(2, "--list and --stats exclude each other");
	if (parse_unit(unit_s, &unit) < 0)
		return fail(2, "--unit: '%s' is not like 1d, 3h, 1w or auto", unit_s);
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw)
			return fail(1, "no user '%s' on this server", user);
		id = pw->pw_uid;
		if (id == 0)
			return fail(1, "'%s' is root, which has no LVE", user);
	}
	if (ts_s) {
		if (period_s || from_s || to_s)
			return fail(2, "--timestamp excludes --from, --to and --period");
		if (ol_parse_i64(ts_s, &ts) < 0 || ts <= 0)
			return fail(2, "--timestamp: '%s' is not unix seconds", ts_s);
		from = ts;
		to = ts + 1;
	} else if (period_s || (!from_s && !to_s)) {
		if (from_s || to_s)
			return fail(2, "--period excludes --from and --to");
		if (lve_parse_period(period_s ? period_s : DEFAULT_PERIOD, now, &from, &to) < 0)
			return fail(2, "--period: '%s' is not Ns, Nm, Nh, Nd, today or yesterday", period_s);
	} else {
		to = now + 1;
		if (to_s && lve_parse_time(to_s, now, &to) < 0)
			return fail(2, "--to: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)", to_s);
		if (to_s)
			to += 1;
		from = to - 1 - 600;
		if (from_s && lve_parse_time(from_s, now, &from) < 0)
			return fail(2, "--from: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)", from_s);
		if (from >= to)
			return fail(2, "--from is after --to");
	}
	if ((to - from) / 86400 > 3660)
		return fail(2, "the range is too long (at most 10 years)");
	if (!dir) {
		r = lvestats_conf_load(config, &conf, &errline);
		if (r < 0) {
			if (errline)
				return fail(1, "%s:%u: invalid configuration line", config ? config : LVESTATS_CONF_DEFAULT,
					    errline);
			return fail(1, "%s: %s", config ? config : LVESTATS_CONF_DEFAULT, strerror(-r));
		}
		dir = conf.snapshot_dir ? conf.snapshot_dir : LVE_SNAP_DIR_DEFAULT;
	}
	r = lve_snaps_load(dir, id, from, to, &sn, &bad);
	if (r < 0) {
		lve_snaps_free(&sn);
		return fail(1, "cannot read the snapshots of LVE %" PRIu32 " in %s: %s%s", id, dir, strerror(-r),
			    r == -EACCES ? " (run as root)" : "");
	}
	if (bad)
		fprintf(stderr, "lve-read-snapshot: warning: %d damaged snapshot records skipped\n", bad);
	if (sn.n > 1)
		qsort(sn.v, sn.n, sizeof(*sn.v), cmp_snap);
	{
		struct passwd *pw = getpwuid(id);

		if (pw)
			snprintf(uname, sizeof(uname), "%s", pw->pw_name);
	}
	if (output) {
		int fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

		o = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!o) {
			if (fd >= 0)
				close(fd);
			lve_snaps_free(&sn);
			return fail(1, "cannot write %s: %s", output, strerror(errno));
		}
	}
	if (stats)
		print_stats(o, &sn, from, to, unit, json, id);
	else if (list) {
		if (json)
			fprintf(o, "{\"id\": %" PRIu32 ", \"timestamps\": [", id);
		for (size_t i = 0; i < sn.n; i++) {
			char a[32];

			when(sn.v[i].ts, a, sizeof(a));
			if (json)
				fprintf(o, "%s%" PRId64, i ? ", " : "", sn.v[i].ts);
			else
				fprintf(o, "%" PRId64 "  %s\n", sn.v[i].ts, a);
		}
		if (json)
			fputs("], \"result\": \"success\"}\n", o);
	} else if (json) {
		fprintf(o, "{\"id\": %" PRIu32 ", \"username\": ", id);
		lve_snap_json_str(o, uname);
		fputs(", \"snapshots\": [", o);
		for (size_t i = 0; i < sn.n; i++) {
			fputs(i ? ",\n  " : "\n  ", o);
			lve_snap_json(o, &sn.v[i]);
		}
		fprintf(o, "%s], \"result\": \"success\"}\n", sn.n ? "\n" : "");
	} else {
		if (!sn.n)
			fprintf(o, "No snapshots of LVE %" PRIu32 " (%s) in this period.\n", id, uname);
		for (size_t i = 0; i < sn.n; i++)
			print_text(o, &sn.v[i], uname);
	}
	lve_snaps_free(&sn);
	lvestats_conf_free(&conf);
	if (fflush(o) != 0 || ferror(o) || (o != stdout && fclose(o) != 0))
		return fail(1, "cannot write %s", output ? output : "the output");
	return 0;
}
