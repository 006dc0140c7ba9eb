/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The statistics store's PostgreSQL backend against a real server: a
 * throwaway one on 127.0.0.1 (tests/lib/dbserver.h, started once for
 * the binary, stopped and removed at the end). Two server_ids in one
 * database, rollups == raw, queries against a brute-force answer, lveinfo
 * --server-id on it, the server stopped mid-run (inserts fail without
 * blocking, are queued, and are caught up after the restart), retention,
 * duplicates, a wrong password, a closed port, a missing database.
 *
 * Skipped when the PostgreSQL server binaries are absent, unless
 * OPENLVE_REQUIRE_VM=1 (CI installs them): then that is a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "db-internal.h"
#include "dbserver.h"
#include "stats.h"
#include "lve-sample.h"
#include "tap.h"

/* ------------------------------------------------------------- server */

static struct olt_dbserver pg;  /* tests/lib/dbserver.h */
static int pg_state = -1;       /* 0 running, 77 binaries absent, 1 failed */

static int hook_before_all(void)
{
	int r;

	setenv("TZ", "UTC", 1);
	tzset();
	r = olt_dbserver_start(&pg, OLT_DB_POSTGRESQL, "olt-pg");
	pg_state = r == 0 ? 0 : r == 77 ? 77 : 1;
	return 0;
}

static void hook_after_all(void)
{
	olt_dbserver_destroy(&pg);
}

static const struct tap_hooks hooks = { .before_all = hook_before_all, .after_all = hook_after_all };

__attribute__((constructor)) static void register_hooks(void)
{
	tap_register_hooks(&hooks);
}

#define PG_REQUIRE()                                                                     \
	do {                                                                             \
		const char *_req = getenv("OPENLVE_REQUIRE_VM");                        \
		if (pg_state == 77 && !(_req && !strcmp(_req, "1")))                     \
			SKIP("%.150s", pg.why);                                            \
		if (pg_state != 0)                                                       \
			TAP_FAIL("PostgreSQL test server: %.150s", pg.why);                \
	} while (0)

static struct lvestats_conf conf_pg(const char *cs, const char *sid, uint32_t days)
{
	struct lvestats_conf c = { .db_type = "postgresql", .keep_history_days = days, .interval = 5 };

	snprintf(c.server_id, sizeof(c.server_id), "%s", sid);
	c.connect_string = (char *)cs;
	return c;
}

static int open_pg(const char *sid, struct lve_db **db)
{
	struct lvestats_conf c = conf_pg(pg.cs, sid, 60);

	return lve_db_open(&c, db);
}

/* A libpq connection of the test itself, to inspect the tables. */
static PGconn *direct(void)
{
	struct lve_pg_conninfo ci;
	char info[1024];
	PGconn *c;

	if (lve_db_parse_connect_string(pg.cs, &ci) < 0)
		return NULL;
	snprintf(info, sizeof(info), "host=%s port=%s user=%s password=%s dbname=%s connect_timeout=10", ci.host,
		 ci.port, ci.user, ci.password, ci.dbname);
	c = PQconnectdb(info);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "# direct connection: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int64_t q1(const char *sql)
{
	PGconn *c = direct();
	PGresult *r;
	int64_t v = -1;

	if (!c)
		return -1;
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else
		fprintf(stderr, "# q1(%s): %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return v;
}

static bool rollups_consistent(const char *sid)
{
	char sql[512];

	for (int l = 1; l < LVE_LEVELS; l++) {
		snprintf(sql, sizeof(sql),
			 "SELECT CASE WHEN (SELECT coalesce(sum(n), 0) FROM lve_raw WHERE server_id = '%s') = "
			 "(SELECT coalesce(sum(n), 0) FROM %s WHERE server_id = '%s') AND "
			 "(SELECT coalesce(sum(acpu * n), 0) FROM lve_raw WHERE server_id = '%s') = "
			 "(SELECT coalesce(sum(acpu_sum), 0) FROM %s WHERE server_id = '%s') THEN 1 ELSE 0 END",
			 sid, lve_level_table[l], sid, sid, lve_level_table[l], sid);
		if (q1(sql) != 1) {
			fprintf(stderr, "# %s: %s does not match lve_raw\n", sid, lve_level_table[l]);
			return false;
		}
	}
	return true;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	return lvetest_rnd(&rng_state);
}

/* A sample with pseudo-random values of every field. */
static struct lve_sample mk(uint32_t id, int64_t ts)
{
	return lvetest_sample(&rng_state, id, ts);
}

static void alarm_handler(int sig)
{
	static const char m[] = "# timed out: a call blocked\n";

	(void)sig;
	if (write(2, m, sizeof(m) - 1) < 0) {
	}
	_exit(3);
}

#define GUARD(sec)                                                               \
	do {                                                                     \
		signal(SIGALRM, alarm_handler);                                  \
		alarm(sec);                                                      \
	} while (0)

/* ---------------------------------------------------------------- tests */

TEST(two_servers_one_database)
{
	const int64_t T = 1700006400; /* UTC midnight */
	struct lve_db *a = NULL, *b = NULL;
	struct lve_agg *agg = NULL;
	struct lve_sample s[3] = { { .id = 10, .ts = T + 5, .interval = 5, .aCPU = 100, .lCPU = 5000, .CPUf = 1 },
				   { .id = 10, .ts = T + 10, .interval = 5, .aCPU = 200, .lCPU = 6000, .CPUf = 2 },
				   { .id = 11, .ts = T + 10, .interval = 5, .aCPU = 50, .PMemF = 4 } };

	PG_REQUIRE();
	GUARD(120);
	ASSERT_EQ(open_pg("web1", &a), 0);
	ASSERT_EQ(open_pg("web2", &b), 0);
	ASSERT_EQ(lve_db_insert(a, s, 2), 0);
	ASSERT_EQ(lve_db_insert(a, s + 2, 1), 0);
	s[0].aCPU = 1000; /* web2 has its own rows for the same ids and times */
	ASSERT_EQ(lve_db_insert(b, s, 1), 0);
	/* rollups are written when their bucket closes; a flush writes the open ones */
	ASSERT_EQ(q1("SELECT count(*) FROM lve_hour WHERE server_id = 'web1'"), 0);
	ASSERT_EQ(lve_db_flush(a, 0), 0);
	ASSERT_EQ(lve_db_flush(b, 0), 0);

	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'web1'"), 3);
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'web2'"), 1);
	ASSERT_EQ(q1("SELECT acpu_sum FROM lve_minute WHERE server_id = 'web1' AND id = 10"), 300);
	ASSERT_EQ(q1("SELECT lcpu FROM lve_day WHERE server_id = 'web1' AND id = 10"), 6000);
	ASSERT_EQ(q1("SELECT cpuf FROM lve_hour WHERE server_id = 'web1' AND id = 10"), 3);
	ASSERT(rollups_consistent("web1"));
	ASSERT(rollups_consistent("web2"));

	ASSERT_EQ(lve_db_query(a, &(struct lve_query){ .from = T, .to = T + 86400 }, &agg), 2);
	ASSERT_EQ(agg[0].id, 10);
	ASSERT_EQ(agg[0].n, 2);
	ASSERT(agg[0].v[LVE_COL_ACPU] == 150);
	ASSERT(agg[0].v[LVE_COL_LCPU] == 6000);
	ASSERT(agg[0].v[LVE_COL_CPUF] == 3);
	ASSERT_EQ(agg[1].id, 11);
	ASSERT(agg[1].v[LVE_COL_PMEMF] == 4);
	ASSERT(agg[1].v[LVE_COL_ANYF] == 4);
	free(agg);
	agg = NULL;
	/* the other server's view, through either handle */
	ASSERT_EQ(lve_db_query(a, &(struct lve_query){ .from = T, .to = T + 86400, .server_id = "web2" }, &agg), 1);
	ASSERT(agg[0].v[LVE_COL_ACPU] == 1000);
	free(agg);
	agg = NULL;
	ASSERT_EQ(lve_db_query(b, &(struct lve_query){ .from = T, .to = T + 86400, .id = 11 }, &agg), 0);
	lve_db_close(a);
	lve_db_close(b);
	return 0;
}

TEST(query_equals_brute_force)
{
	const int64_t T0 = 1700006400 - 2 * 3600;
	enum { MAXS = 4000 };
	struct lve_sample *s = calloc(MAXS, sizeof(*s));
	struct lve_db *db = NULL;
	size_t n = 0;
	int bad = 0;

	ASSERT(s);
	PG_REQUIRE();
	GUARD(240);
	ASSERT_EQ(open_pg("brute", &db), 0);
	for (int64_t ts = T0; ts < T0 + 2 * 86400 && n + 4 < MAXS; ts += 40 + (int64_t)(rnd() % 200)) {
		size_t first = n, k = 1 + rnd() % 4;

		if (rnd() % 4 == 0)
			ts += (60 - ts % 60) % 60;
		for (size_t i = 0; i < k; i++)
			s[n++] = mk((uint32_t)(i + 1), ts);
		ASSERT_EQ(lve_db_insert(db, s + first, n - first), 0);
	}
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	ASSERT(rollups_consistent("brute"));
	for (int iter = 0; iter < 120 && !bad; iter++) {
		int64_t from = T0 - 50 + (int64_t)(rnd() % (2 * 86400)), to = from + (int64_t)(rnd() % (iter % 2 ? 90000 : 4000));
		uint32_t id = iter % 3 ? 0 : (uint32_t)(1 + rnd() % 4);
		struct lve_agg *a = NULL;
		int64_t cnt[5] = { 0 }, sum[5] = { 0 }, mx[5] = { 0 }, flt[5] = { 0 };
		int want = 0, r;

		if (iter % 5 == 4) {
			int64_t x = s[rnd() % n].ts, y = s[rnd() % n].ts;

			from = x < y ? x : y;
			to = x < y ? y : x;
		}
		for (size_t i = 0; i < n; i++)
			if (s[i].ts >= from && s[i].ts < to && (!id || s[i].id == id)) {
				cnt[s[i].id]++;
				sum[s[i].id] += s[i].aCPU;
				mx[s[i].id] = s[i].lPMem > (uint64_t)mx[s[i].id] ? (int64_t)s[i].lPMem : mx[s[i].id];
				flt[s[i].id] += (int64_t)s[i].CPUf;
			}
		for (int i = 1; i < 5; i++)
			want += cnt[i] > 0;
		r = lve_db_query(db, &(struct lve_query){ .from = from, .to = to, .id = id }, &a);
		if (r != want) {
			fprintf(stderr, "# [%lld, %lld) id %u: %d rows, want %d (%s)\n", (long long)from, (long long)to, id,
				r, want, lve_db_errmsg(db));
			bad = 1;
		}
		for (int i = 0; i < r && !bad; i++) {
			uint32_t x = a[i].id;

			if (x < 1 || x > 4 || (int64_t)a[i].n != cnt[x] || a[i].v[LVE_COL_ACPU] != (double)sum[x] / (double)cnt[x] ||
			    a[i].v[LVE_COL_LPMEM] != (double)mx[x] || a[i].v[LVE_COL_CPUF] != (double)flt[x]) {
				fprintf(stderr, "# [%lld, %lld) id %u: mismatch\n", (long long)from, (long long)to, x);
				bad = 1;
			}
		}
		free(a);
	}
	lve_db_close(db);
	free(s);
	ASSERT_EQ(bad, 0);
	return 0;
}

static int write_conf(const char *path, const char *sid)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "db_type=postgresql\nconnect_string=%s\nserver_id=%s\n", pg.cs, sid);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Run lveinfo with args; stdout into out. Exit code. */
static int lveinfo(char *out, size_t size, const char *const *args)
{
	char exe[1024];
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	const char *argv[32] = { "lveinfo" };
	int pfd[2], st, k = 1;
	size_t n = 0;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/src/tools/lveinfo", root ? root : ".");
	for (; args[k - 1] && k < 31; k++)
		argv[k] = args[k - 1];
	argv[k] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (ssize_t r; n + 1 < size && (r = read(pfd[0], out + n, size - 1 - n)) > 0;)
		n += (size_t)r;
	out[n] = 0;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TEST(lveinfo_server_id_on_a_fleet_database)
{
	int64_t now = (int64_t)time(NULL);
	struct lve_db *a = NULL, *b = NULL;
	struct lve_sample s;
	char conf[512], out[16384];

	PG_REQUIRE();
	GUARD(120);
	ASSERT_EQ(open_pg("fleet1", &a), 0);
	ASSERT_EQ(open_pg("fleet2", &b), 0);
	for (int k = 0; k < 6; k++) {
		s = mk(501, now - 120 + k * 5);
		s.aCPU = 2500; /* 25% */
		ASSERT_EQ(lve_db_insert(a, &s, 1), 0);
		s = mk(502, now - 120 + k * 5);
		s.aCPU = 7500;
		ASSERT_EQ(lve_db_insert(b, &s, 1), 0);
	}
	lve_db_close(a);
	lve_db_close(b);
	snprintf(conf, sizeof(conf), "%s/lvestats2", pg.dir);
	ASSERT_OK(write_conf(conf, "fleet1"));

	/* the configured server_id by default */
	ASSERT_EQ(lveinfo(out, sizeof(out), (const char *const[]){ "--config", conf, "--csv", "--show-columns", "aCPU", NULL }), 0);
	ASSERT(strstr(out, "501,25.00") != NULL);
	ASSERT(strstr(out, "502") == NULL);
	/* --server-id picks the other server */
	ASSERT_EQ(lveinfo(out, sizeof(out),
			  (const char *const[]){ "--config", conf, "--server-id", "fleet2", "--csv", "--show-columns", "aCPU", NULL }),
		  0);
	ASSERT(strstr(out, "502,75.00") != NULL);
	ASSERT(strstr(out, "501") == NULL);
	ASSERT_EQ(lveinfo(out, sizeof(out), (const char *const[]){ "--config", conf, "--server-id", "nobody", "--json", NULL }), 0);
	ASSERT(strstr(out, "\"data\": []") != NULL);
	ASSERT_EQ(lveinfo(out, sizeof(out), (const char *const[]){ "--config", conf, "--server-id", "bad id", NULL }), 2);
	return 0;
}

TEST(server_stopped_mid_run_queue_and_catch_up)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample pass[4][20];
	int r;

	PG_REQUIRE();
	GUARD(180);
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 20; i++)
			pass[k][i] = mk((uint32_t)i + 1, 1700000000 + k * 5);
	ASSERT_EQ(open_pg("stopper", &db), 0);
	ASSERT_EQ(lve_db_insert(db, pass[0], 20), 0);

	ASSERT_EQ(olt_dbserver_cmd(&pg, "stop", "immediate"), 0);
	r = lve_db_insert(db, pass[1], 20);
	ASSERT(r == -ECONNRESET || r == -ECONNREFUSED || r == -ETIMEDOUT);
	r = lve_db_insert(db, pass[2], 20);
	ASSERT(r == -ECONNREFUSED || r == -ETIMEDOUT);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 2);
	ASSERT_EQ(st.stored_passes, 1);
	ASSERT(st.message[0]);

	ASSERT_EQ(olt_dbserver_cmd(&pg, "restart", NULL), 0);
	ASSERT_EQ(lve_db_insert(db, pass[3], 20), 0);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 0);
	ASSERT_EQ(st.stored_passes, 4);
	ASSERT_EQ(st.last_error, 0);
	lve_db_close(db);
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'stopper'"), 80);
	ASSERT_EQ(q1("SELECT count(DISTINCT ts) FROM lve_raw WHERE server_id = 'stopper'"), 4);
	ASSERT(rollups_consistent("stopper"));
	return 0;
}

TEST(retention_and_duplicates)
{
	const int64_t now = 1700000000, cutoff = now - 86400;
	struct lve_db *db = NULL;
	struct lvestats_conf c = conf_pg(pg.cs, "ret", 1);
	struct lve_sample s;
	int64_t ts[] = { cutoff - 7200, cutoff - 61, cutoff - 1, cutoff, cutoff + 30, now };
	int64_t before, after;
	int r;

	PG_REQUIRE();
	GUARD(120);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (size_t i = 0; i < ELEMENTSOF(ts); i++) {
		s = mk(1, ts[i]);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0); /* duplicate: ignored */
	}
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'ret'"), (int64_t)ELEMENTSOF(ts));
	ASSERT(rollups_consistent("ret"));
	before = q1("SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		    "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	r = lve_db_retention(db, now);
	ASSERT_OK(r);
	after = q1("SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		   "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	ASSERT_EQ(r, before - after);
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'ret'"), 3);
	ASSERT_EQ(q1("SELECT min(ts) FROM lve_raw WHERE server_id = 'ret'"), cutoff);
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_minute WHERE server_id = 'ret' AND t + 60 <= %lld",
			 (long long)cutoff);
		ASSERT_EQ(q1(sql), 0);
	}
	ASSERT_EQ(lve_db_retention(db, now), 0);
	lve_db_close(db);
	/* other servers' rows were not touched */
	ASSERT(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'web1'") >= 0);
	return 0;
}

static int64_t fl(int64_t v, int64_t m)
{
	int64_t r = v % m;

	return r < 0 ? v - r - m : v - r;
}

/*
 * Tiers raw 6 h, minutes 1 d, history 2 d over 3 days of passes of two
 * LVEs: each table loses exactly its rows older than its horizon, the
 * horizons land in lve_meta, the other server's rows stay, and random
 * ranges (also across the horizons) equal the brute force over the range
 * the query reports, which is widened only as the retention rules allow.
 */
TEST(tiered_retention_and_queries_across_horizons)
{
	const int64_t T0 = 1700006400, now = T0 + 3 * 86400 + 1234;
	const int64_t h[LVE_LEVELS] = { now - 6 * 3600, now - 86400, now - 2 * 86400, now - 2 * 86400 };
	enum { MAXS = 2000 };
	struct lve_sample *s = calloc(MAXS, sizeof(*s));
	struct lvestats_conf c = conf_pg(pg.cs, "tier", 2);
	struct lve_db *db = NULL, *other = NULL;
	int64_t before, after, keep_raw = 0;
	char sql[512];
	size_t n = 0;
	int bad = 0, widened = 0, r;

	ASSERT(s);
	PG_REQUIRE();
	GUARD(240);
	c.keep_raw_hours = 6;
	c.keep_minute_days = 1;
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	ASSERT_EQ(open_pg("tier2", &other), 0);
	for (int64_t k = 0; T0 + k * 300 < now - 600 && n + 2 < MAXS; k++) {
		int64_t ts = T0 + k * 300 + k % 7;

		s[n] = mk(1, ts);
		s[n + 1] = mk(2, ts);
		ASSERT_EQ(lve_db_insert(db, s + n, 2), 0);
		if (k < 50)
			ASSERT_EQ(lve_db_insert(other, s + n, 1), 0);
		n += 2;
	}
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	ASSERT_EQ(lve_db_flush(other, 0), 0);
	ASSERT(rollups_consistent("tier"));
	before = q1("SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		    "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	r = lve_db_retention(db, now);
	ASSERT(r > 0);
	after = q1("SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		   "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	ASSERT_EQ(r, before - after);
	/* per table: nothing older than its horizon, everything newer */
	for (size_t i = 0; i < n; i++)
		keep_raw += s[i].ts >= h[0];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_raw WHERE server_id = 'tier' AND ts < %lld", (long long)h[0]);
	ASSERT_EQ(q1(sql), 0);
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'tier'"), keep_raw);
	for (int l = 1; l < LVE_LEVELS; l++) {
		int64_t want = 0, secs = lve_level_secs[l];

		/* samples come in pairs (LVE 1 and 2) at rising ts: count distinct buckets of LVE 1 */
		for (size_t i = 0; i < n; i += 2)
			want += fl(s[i].ts, secs) + secs > h[l] && (i == 0 || fl(s[i].ts, secs) != fl(s[i - 2].ts, secs));
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'tier' AND t + %lld <= %lld",
			 lve_level_table[l], (long long)secs, (long long)h[l]);
		ASSERT_EQ(q1(sql), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'tier'", lve_level_table[l]);
		if (q1(sql) != 2 * want)
			TAP_FAIL("%s: %lld rows, want %lld", lve_level_table[l], (long long)q1(sql), (long long)(2 * want));
	}
	for (int l = 0; l < LVE_LEVELS; l++) {
		snprintf(sql, sizeof(sql), "SELECT v::bigint FROM lve_meta WHERE k = 'horizon.%s.tier'", lve_level_table[l]);
		ASSERT_EQ(q1(sql), h[l]);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_meta WHERE k = 'horizon.%s.tier2'", lve_level_table[l]);
		ASSERT_EQ(q1(sql), 0);
	}
	/* the other server's rows stay */
	ASSERT_EQ(q1("SELECT count(*) FROM lve_raw WHERE server_id = 'tier2'"), 50);
	ASSERT_EQ(q1("SELECT sum(n) FROM lve_day WHERE server_id = 'tier2'"), 50);

	for (int iter = 0; iter < 80 && !bad; iter++) {
		int64_t from = T0 - 50 + (int64_t)(rnd() % (3 * 86400)), to, lo, g;
		int64_t day0 = fl(h[3], 86400), cnt[3] = { 0 }, sum[3] = { 0 }, mx[3] = { 0 }, flt[3] = { 0 };
		uint32_t id = iter % 3 ? 0 : 1;
		struct lve_query_span u = { 0, 0 };
		struct lve_agg *a = NULL;
		int want = 0;

		to = from + (int64_t)(rnd() % (iter % 2 ? 200000 : 5000));
		if (iter % 4 == 3) {
			from = h[rnd() % LVE_LEVELS] + (int64_t)(rnd() % 121) - 60;
			to = from + (int64_t)(rnd() % 20000);
		}
		r = lve_db_query_span(db, &(struct lve_query){ .from = from, .to = to, .id = id }, &a, &u);
		/* the range covered, from the retention rules */
		lo = from > day0 ? from : day0;
		g = lo >= h[0] ? 1 : fl(lo, 60) + 60 > h[1] ? 60 : fl(lo, 3600) + 3600 > h[2] ? 3600 : 86400;
		if (to <= day0 ? (u.from != to || u.to != to)
			       : (u.from != fl(lo, g) || u.to < to || u.to - to >= g)) {
			fprintf(stderr, "# [%lld, %lld): covered [%lld, %lld)\n", (long long)from, (long long)to,
				(long long)u.from, (long long)u.to);
			bad = 1;
		}
		widened += u.from != from || u.to != to;
		for (size_t i = 0; i < n; i++)
			if (s[i].ts >= u.from && s[i].ts < u.to && (!id || s[i].id == id)) {
				cnt[s[i].id]++;
				sum[s[i].id] += s[i].aCPU;
				mx[s[i].id] = s[i].lPMem > (uint64_t)mx[s[i].id] ? (int64_t)s[i].lPMem : mx[s[i].id];
				flt[s[i].id] += (int64_t)s[i].CPUf;
			}
		want = (cnt[1] > 0) + (cnt[2] > 0);
		if (r != want) {
			fprintf(stderr, "# [%lld, %lld) id %u: %d rows, want %d (%s)\n", (long long)from, (long long)to, id, r,
				want, lve_db_errmsg(db));
			bad = 1;
		}
		for (int i = 0; i < r && !bad; i++) {
			uint32_t x = a[i].id;

			if (x < 1 || x > 2 || (int64_t)a[i].n != cnt[x] || a[i].v[LVE_COL_ACPU] != (double)sum[x] / (double)cnt[x] ||
			    a[i].v[LVE_COL_LPMEM] != (double)mx[x] || a[i].v[LVE_COL_CPUF] != (double)flt[x]) {
				fprintf(stderr, "# [%lld, %lld) id %u: mismatch\n", (long long)from, (long long)to, x);
				bad = 1;
			}
		}
		free(a);
	}
	ASSERT_EQ(bad, 0);
	ASSERT(widened > 10);
	/* nothing more to remove; a reader handle sees the same horizons */
	ASSERT_EQ(lve_db_retention(db, now), 0);
	lve_db_close(db);
	lve_db_close(other);
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	{
		struct lve_query_span u = { 0, 0 };
		struct lve_agg *a = NULL;

		r = lve_db_query_span(db, &(struct lve_query){ .from = h[0] - 25, .to = h[0] + 1 }, &a, &u);
		ASSERT(r >= 0);
		ASSERT(u.from == fl(h[0] - 25, 60) && u.to == fl(h[0] + 1, 60) + 60);
		free(a);
	}
	lve_db_close(db);
	free(s);
	return 0;
}

TEST(wrong_password_closed_port_missing_database)
{
	struct lve_pg_conninfo ci;
	char cs[1024];
	struct lve_db *db = NULL;
	struct lve_sample s = mk(1, 1700000000);
	struct lve_agg *a = NULL;
	struct lvestats_conf c;
	int r;

	PG_REQUIRE();
	GUARD(120);
	ASSERT_OK(lve_db_parse_connect_string(pg.cs, &ci));

	snprintf(cs, sizeof(cs), "%s:wrong%s@%s:%s/%s", ci.user, ci.password, ci.host, ci.port, ci.dbname);
	c = conf_pg(cs, "pw", 60);
	ASSERT_EQ(lve_db_open(&c, &db), 0); /* a writer opens anyway */
	r = lve_db_insert(db, &s, 1);
	ASSERT_ERR(r, EACCES);
	ASSERT(strstr(lve_db_errmsg(db), "authentication") != NULL);
	lve_db_close(db);

	/* port 1 on loopback: nothing listens */
	snprintf(cs, sizeof(cs), "%s:%s@127.0.0.1:1/%s", ci.user, ci.password, ci.dbname);
	c = conf_pg(cs, "port", 60);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	ASSERT_ERR(lve_db_insert(db, &s, 1), ECONNREFUSED);
	lve_db_close(db);

	snprintf(cs, sizeof(cs), "%s:%s@%s:%s/no_such_db", ci.user, ci.password, ci.host, ci.port);
	c = conf_pg(cs, "nodb", 60);
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 0, .to = 10 }, &a), ENOENT);
	ASSERT(strstr(lve_db_errmsg(db), "no_such_db") != NULL);
	lve_db_close(db);
	return 0;
}

TAP_MAIN()
