/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-lveinfo: how fast lveinfo answers over a large history.
 *
 * Builds a SQLite statistics database in a temp dir with the schema of
 * db.c: for 1,000 LVEs, 30 days of hourly (and the daily sums of them)
 * and 2 days of minute rollups written directly (bulk SQL), then the last
 * 1.5 hours of 5-second
 * passes stored through lve_db_insert() (the real write path, which also
 * maintains the rollups; its time per pass is reported). Then it times
 * lve_db_query() over 10 minutes, 1 day, 30 days (all LVEs) and 30 days of
 * one LVE, and the lveinfo binary end to end when OPENLVE_BUILD_ROOT points
 * at the build: each documented kind of query of lveinfo(8) (default
 * period, 1 day, 30 days as JSON, --order-by, --by-usage, --by-fault, and
 * one LVE's time rows: --id over 10 minutes by minute, 1 day by hour,
 * 30 days by day and "dynamic"), best of 3, wall and CPU time, against the
 * 1 s target. Before the queries, retention
 * runs with tiers raw 24 h, minutes 2 d (what the bulk history holds),
 * history 60 d, so queries are planned over recorded horizons as in
 * production. Last, the size: the file, bytes per row of each table
 * (SQLite's dbstat), and the projected size of 30 days of 5-second samples
 * with every table kept 30 days (no tiers) against the default tiers
 * (raw 24 h, minutes 7 d).
 *
 *   bench-lveinfo [--lves N] [--days D] [--keep]
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db-internal.h"
#include "stats.h"

#include "bench-common.h"

static void fill(struct lve_sample *s, uint32_t id, int64_t ts, unsigned k)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->ts = ts;
	s->interval = 5;
	s->aCPU = (id * 37 + k * 11) % 10000;
	s->lCPU = 10000;
	s->CPUf = (id + k) % 17 == 0;
	s->aEP = (id + k) % 5;
	s->lEP = 20;
	s->aPMem = (uint64_t)((id * 13 + k) % 512) << 20;
	s->lPMem = 1ull << 30;
	s->PMemF = (id + k) % 101 == 0;
	s->aNproc = (id + k) % 30;
	s->lNproc = 100;
	s->aIO = (uint64_t)((id * 7 + k) % 2048) << 10;
	s->lIO = 1024ull << 10;
	s->aIOPS = (id + k) % 1024;
	s->lIOPS = 1024;
	s->nprocs = s->aNproc;
	s->nthreads = s->aNproc * 2;
}

/* Bulk rollup rows: every LVE, buckets [t0, t1) of `step` seconds, `per` samples each. */
static int bulk_rollup(sqlite3 *h, const char *table, int64_t t0, int64_t t1, int64_t step, unsigned per,
		       unsigned lves)
{
	char sql[4096];
	size_t len;
	sqlite3_stmt *st = NULL;
	int rc;

	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (server_id, id, t, n, secs", table);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s%s", lve_fields[i].col,
					lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES ('localhost', ?1, ?2, ?3, ?4");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?%u", 5 + i);
	snprintf(sql + len, sizeof(sql) - len, ")");
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	for (int64_t t = t0; t < t1; t += step) {
		for (uint32_t id = 1; id <= lves; id++) {
			struct lve_sample s;

			fill(&s, id, t, (unsigned)(t / step));
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, t);
			sqlite3_bind_int64(st, 3, per);
			sqlite3_bind_int64(st, 4, (int64_t)per * 5);
			for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
				int64_t v = lve_field_get(&s, i);

				sqlite3_bind_int64(st, 5 + (int)i, lve_fields[i].kind == LVE_FK_LIMIT ? v : v * per);
			}
			rc = sqlite3_step(st);
			if (rc != SQLITE_DONE) {
				fprintf(stderr, "bench-lveinfo: insert: %s\n", sqlite3_errmsg(h));
				sqlite3_finalize(st);
				return -EIO;
			}
		}
	}
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(st);
	return 0;
}

static double time_query(struct lve_db *db, int64_t from, int64_t to, uint32_t id, int reps, int *count, double *cpu)
{
	double best = 1e9;

	for (int i = 0; i < reps; i++) {
		struct lve_agg *a = NULL;
		double t0 = bench_now_s(), c0 = bench_cpu_s();
		int r = lve_db_query(db, &(struct lve_query){ .from = from, .to = to, .id = id }, &a);
		double dt = bench_now_s() - t0, dc = bench_cpu_s() - c0;

		free(a);
		if (r < 0) {
			fprintf(stderr, "bench-lveinfo: query: %s (%s)\n", strerror(-r), lve_db_errmsg(db));
			return -1;
		}
		*count = r;
		if (dt < best) {
			best = dt;
			*cpu = dc;
		}
	}
	return best;
}

/* lveinfo --config conf --db dbpath ARGS... (NULL-terminated, at most 12): wall seconds, *cpu its CPU. */
static double time_lveinfo(const char *exe, const char *conf, const char *dbpath, const char *const *args,
			   double *cpu)
{
	const char *argv[20] = { "lveinfo", "--config", conf, "--db", dbpath };
	struct rusage ru;
	double t0;
	pid_t pid;
	int st, n = 5;

	for (int i = 0; args[i] && n < 18; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	t0 = bench_now_s();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	return bench_now_s() - t0;
}

/*
 * The file's size, bytes per row of each table (dbstat; skipped when this
 * SQLite lacks it), and the size 30 days of 5 s samples of `lves` LVEs
 * would take with and without the retention tiers.
 */
static void print_sizes(const char *path, unsigned lves, unsigned days)
{
	static const char *const tables[4] = { "lve_raw", "lve_minute", "lve_hour", "lve_day" };
	const double per_day[4] = { 86400.0 / 5, 1440, 24, 1 };
	/* days kept: every table 30 days (no tiers) / raw 24 h, minutes 7 d, the rest 30 d */
	const double before_days[4] = { days, days, days, days }, after_days[4] = { 1, 7, days, days };
	double bpr[4] = { 0 }, before = 0, after = 0, file = 0;
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char sql[256];

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(h, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		file = (double)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	for (int i = 0; i < 4; i++) {
		double bytes = 0, rows = 0;

		snprintf(sql, sizeof(sql), "SELECT sum(pgsize) FROM dbstat WHERE name = '%s'", tables[i]);
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
			printf("bench-lveinfo: database %.1f MiB (no dbstat in this SQLite: no per-table sizes)\n",
			       file / 1048576);
			goto out;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			bytes = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			rows = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		bpr[i] = rows > 0 ? bytes / rows : 0;
		before += bpr[i] * per_day[i] * before_days[i] * lves;
		after += bpr[i] * per_day[i] * after_days[i] * lves;
	}
	printf("bench-lveinfo: database %.1f MiB; bytes per row: raw %.0f, minute %.0f, hour %.0f, day %.0f\n",
	       file / 1048576, bpr[0], bpr[1], bpr[2], bpr[3]);
	printf("bench-lveinfo: size of %u LVEs x %u days of 5 s samples (projected from bytes per row): "
	       "every table %u days %.1f GiB, tiers raw 24 h + minutes 7 d + hours/days %u d %.2f GiB\n",
	       lves, days, days, before / 1073741824.0, days, after / 1073741824.0);
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
}

int main(int argc, char **argv)
{
	unsigned lves = 1000, days = 30;
	bool keep = false;
	char dir[] = "/tmp/bench-lveinfo-XXXXXX", path[256], exe[512];
	struct lvestats_conf conf = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60,
				      .keep_raw_hours = 24, .keep_minute_days = 2 };
	struct lve_db *db = NULL;
	sqlite3 *h = NULL;
	int64_t now = (int64_t)time(NULL) / 3600 * 3600 + 1800; /* mid-hour: every table is used */
	struct lve_sample *pass;
	double t0, t_ins, worst = 0;
	int count = 0, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lves") && i + 1 < argc)
			lves = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--days") && i + 1 < argc)
			days = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else {
			fprintf(stderr, "usage: bench-lveinfo [--lves N] [--days D] [--keep]\n");
			return 2;
		}
	}
	if (lves < 1 || days < 3) {
		fprintf(stderr, "bench-lveinfo: --lves >= 1, --days >= 3\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/lvestats2.db", dir);
	conf.sqlite_path = path;

	/* schema through the library, then bulk history */
	r = lve_db_open(&conf, &db);
	if (r < 0) {
		fprintf(stderr, "bench-lveinfo: open: %s\n", strerror(-r));
		return 1;
	}
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return 1;
	sqlite3_busy_timeout(h, 5000);
	t0 = bench_now_s();
	int64_t hour_now = now / 3600 * 3600, min_now = now / 60 * 60;
	/* hours strictly before the current hour, minutes of the last 2 days before the current hour */
	if (bulk_rollup(h, "lve_hour", hour_now - (int64_t)days * 86400, hour_now - 3600, 3600, 720, lves) < 0 ||
	    bulk_rollup(h, "lve_minute", hour_now - 2 * 86400, hour_now - 3600, 60, 12, lves) < 0)
		return 1;
	/* day rows = the sums of those hours (the live inserts below add to the last one) */
	{
		char sql[4096];
		size_t len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO lve_day (server_id, id, t, n, secs");

		for (unsigned i = 0; i < LVE_COL_ANYF; i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s%s", lve_fields[i].col,
						lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") SELECT server_id, id, t - t %% 86400, sum(n), sum(secs)");
		for (unsigned i = 0; i < LVE_COL_ANYF; i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s(%s%s)",
						lve_fields[i].kind == LVE_FK_LIMIT ? "max" : "sum", lve_fields[i].col,
						lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
		snprintf(sql + len, sizeof(sql) - len, " FROM lve_hour GROUP BY server_id, id, t - t %% 86400");
		if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench-lveinfo: day rows: %s\n", sqlite3_errmsg(h));
			return 1;
		}
	}
	sqlite3_close(h);
	printf("bench-lveinfo: %u LVEs, %u days of hourly and daily rows, 2 days of minute rows: built in %.1f s\n",
	       lves, days, bench_now_s() - t0);

	/* the last hour as 5 s passes through lve_db_insert (raw + rollups) */
	pass = calloc(lves, sizeof(*pass));
	if (!pass)
		return 1;
	double c0 = bench_cpu_s();
	t0 = bench_now_s();
	unsigned npass = 0;
	for (int64_t ts = hour_now - 3600 + 5; ts <= now; ts += 5, npass++) {
		double p0 = bench_now_s(), dt;

		for (uint32_t id = 1; id <= lves; id++)
			fill(&pass[id - 1], id, ts, (unsigned)ts);
		r = lve_db_insert(db, pass, lves);
		if (r < 0) {
			fprintf(stderr, "bench-lveinfo: insert: %s (%s)\n", strerror(-r), lve_db_errmsg(db));
			return 1;
		}
		dt = bench_now_s() - p0;
		if (dt > worst)
			worst = dt;
	}
	t_ins = bench_now_s() - t0;
	printf("bench-lveinfo: lve_db_insert: %u passes of %u LVEs, %.2f ms per pass (CPU %.2f ms, worst wall %.2f ms), "
	       "%.0f samples/s\n",
	       npass, lves, t_ins * 1000 / npass, (bench_cpu_s() - c0) * 1000 / npass, worst * 1000, (double)npass * lves / t_ins);
	(void)min_now;
	t0 = bench_now_s();
	r = lve_db_retention(db, now);
	if (r < 0) {
		fprintf(stderr, "bench-lveinfo: retention: %s (%s)\n", strerror(-r), lve_db_errmsg(db));
		return 1;
	}
	printf("bench-lveinfo: lve_db_retention (raw 24 h, minutes 2 d, history 60 d): %d rows removed in %.1f ms\n", r,
	       (bench_now_s() - t0) * 1000);
	lve_db_close(db);

	/* queries through a reader handle, like lveinfo */
	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	if (r < 0)
		return 1;
	struct {
		const char *what;
		int64_t range;
		uint32_t id;
	} q[] = {
		{ "last 10 minutes, all LVEs", 600, 0 },
		{ "last 4 hours, all LVEs", 4 * 3600, 0 },
		{ "last 1 day, all LVEs", 86400, 0 },
		{ "last 30 days, all LVEs", (int64_t)days * 86400 - 7200, 0 },
		{ "last 30 days, one LVE (--id)", (int64_t)days * 86400 - 7200, lves / 2 + 1 },
	};
	for (size_t i = 0; i < ELEMENTSOF(q); i++) {
		double cpu = 0, dt = time_query(db, now - q[i].range + 7, now + 1, q[i].id, 5, &count, &cpu);

		if (dt < 0)
			return 1;
		printf("bench-lveinfo: query %-32s %4d rows  %8.1f ms (CPU %.1f ms)\n", q[i].what, count, dt * 1000,
		       cpu * 1000);
	}
	lve_db_close(db);

	const char *root = getenv("OPENLVE_BUILD_ROOT");
	if (root) {
		snprintf(exe, sizeof(exe), "%s/src/tools/lveinfo", root);
		if (access(exe, X_OK) == 0) {
			char period[32], idarg[16];
			char cpath[300];
			FILE *cf;

			/* an empty lve-stats configuration: defaults, --db names the file */
			snprintf(cpath, sizeof(cpath), "%s/lvestats2", dir);
			cf = fopen(cpath, "we");
			if (!cf || fclose(cf) != 0)
				return 1;
			snprintf(period, sizeof(period), "%ud", days - 1);
			snprintf(idarg, sizeof(idarg), "%u", lves / 2 + 1);
			/* [i12] the documented query kinds of lveinfo(8), end to end (process), best of 3 */
			const char *const qs[][12] = {
				{ "--json", "-l", "0", NULL },
				{ "--period", "1d", "-l", "0", NULL },
				{ "--period", period, "--json", "-l", "0", NULL },
				{ "--period", period, "-o", "mep", NULL },
				{ "--period", period, "--by-usage", "cpu_avg", "-p", "50", NULL },
				{ "--period", period, "--by-fault", "any", NULL },
				{ "--id", idarg, NULL },
				{ "--id", idarg, "--period", "1d", "--time-unit", "1h", NULL },
				{ "--id", idarg, "--period", period, "--time-unit", "1d", NULL },
				{ "--id", idarg, "--period", period, "--time-unit", "dynamic", NULL },
			};
			for (size_t k = 0; k < ELEMENTSOF(qs); k++) {
				double best = 1e9, bcpu = 0;
				char line[256] = "";
				size_t len = 0;

				for (int i = 0; i < 3; i++) {
					double c = 0, dt = time_lveinfo(exe, cpath, path, qs[k], &c);

					if (dt < 0) {
						fprintf(stderr, "bench-lveinfo: lveinfo failed\n");
						return 1;
					}
					if (dt < best) {
						best = dt;
						bcpu = c;
					}
				}
				for (int i = 0; qs[k][i] && len < sizeof(line) - 1; i++)
					len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", qs[k][i]);
				printf("bench-lveinfo: lveinfo%-52s %8.1f ms (CPU %.1f ms) %s\n", line, best * 1000,
				       bcpu * 1000, best <= 1.0 ? "<= 1 s" : "OVER 1 s");
			}
		}
	}
	print_sizes(path, lves, days);
	free(pass);
	if (keep)
		printf("bench-lveinfo: database kept at %s\n", path);
	else {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-lveinfo: could not remove %s\n", dir);
	}
	return 0;
}
