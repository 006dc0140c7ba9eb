/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The statistics store (src/stats/db*.c) with SQLite in a temp dir:
 * rollups against hand-computed sums, every query range against a
 * brute-force answer from the samples themselves, the query plan's exact
 * cover, retention to the row, duplicates, a corrupt file (at open and
 * mid-run), a database locked by another connection (error returned while
 * the lock is still held, then catch-up), queue bounds, write errors from
 * a file size limit, kill -9 of a writer mid-insert (integrity_check and
 * rollups == raw afterwards), the parsers lveinfo uses, and bad input.
 * The database is inspected with sqlite3 directly, not through db.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "db-internal.h"
#include "stats.h"
#include "tap.h"

/* ------------------------------------------------------------- helpers */

static char *shared_dir; /* the parent removes each test's temp dir */
static char dir[256];

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static int hook_before_all(void)
{
	shared_dir = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_dir == MAP_FAILED) {
		shared_dir = NULL;
		return 1;
	}
	shared_dir[0] = 0;
	/* local time = UTC for the time parsers */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void hook_after_each(void)
{
	if (shared_dir && shared_dir[0]) {
		nftw(shared_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		shared_dir[0] = 0;
	}
}

static const struct tap_hooks hooks = { .before_all = hook_before_all, .after_each = hook_after_each };

__attribute__((constructor)) static void register_hooks(void)
{
	tap_register_hooks(&hooks);
}

static int mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/olt-db-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	if (shared_dir)
		snprintf(shared_dir, 4096, "%s", dir);
	return 0;
}

#define TMPDIR()                                                         \
	do {                                                             \
		int _r = mkdir_tmp();                                    \
		if (_r < 0)                                              \
			TAP_FAIL("mkdtemp: %s", strerror(-_r));          \
	} while (0)

static char *dbpath(const char *name)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static struct lvestats_conf conf_for(const char *path, const char *sid, uint32_t days)
{
	struct lvestats_conf c = { .db_type = "sqlite", .keep_history_days = days, .interval = 5 };

	snprintf(c.server_id, sizeof(c.server_id), "%s", sid);
	c.sqlite_path = (char *)path;
	return c;
}

static int open_db(const char *path, struct lve_db **db)
{
	struct lvestats_conf c = conf_for(path, "localhost", 60);

	return lve_db_open(&c, db);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A sample with pseudo-random values of every field. */
static struct lve_sample mk(uint32_t id, int64_t ts)
{
	struct lve_sample s = { .id = id, .ts = ts, .interval = 5 };

	s.aCPU = (uint32_t)(rnd() % 40000);
	s.lCPU = (uint32_t)(rnd() % 3) * 10000;
	s.CPUf = rnd() % 4;
	s.aEP = (uint32_t)(rnd() % 30);
	s.lEP = 20;
	s.EPf = rnd() % 3;
	s.aVMem = rnd() % (1ull << 40);
	s.lVMem = rnd() % 2 ? 0 : (1ull << 32);
	s.VMemF = rnd() % 2;
	s.aPMem = rnd() % (1ull << 33);
	s.lPMem = (rnd() % 4) << 30;
	s.PMemF = rnd() % 5;
	s.aNproc = (uint32_t)(rnd() % 200);
	s.lNproc = 100;
	s.NprocF = rnd() % 2;
	s.aIO = rnd() % (1ull << 30);
	s.lIO = 1ull << 20;
	s.IOf = rnd() % 2;
	s.aIOPS = (uint32_t)(rnd() % 5000);
	s.lIOPS = 1024;
	s.IOPSf = rnd() % 2;
	s.nprocs = (uint32_t)(rnd() % 50);
	s.nthreads = s.nprocs * 2;
	return s;
}

/* A scalar from the database, read with sqlite3 directly (-1 on error). */
static int64_t q1(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "# q1(%s): %s\n", sql, h ? sqlite3_errmsg(h) : "open failed");
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static bool integrity_ok(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		ok = t && !strcmp(t, "ok");
		if (!ok)
			fprintf(stderr, "# integrity_check: %.60s...\n", t ? t : "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return ok;
}

/* Every rollup level holds exactly the raw rows: counts and sums. */
static bool rollups_consistent(const char *path)
{
	static const char *const sql[] = {
		"SELECT (SELECT count(*) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_minute)",
		"SELECT (SELECT count(*) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_hour)",
		"SELECT (SELECT count(*) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_day)",
		"SELECT (SELECT coalesce(sum(acpu), 0) FROM lve_raw) = (SELECT coalesce(sum(acpu_sum), 0) FROM lve_minute)",
		"SELECT (SELECT coalesce(sum(pmemf), 0) FROM lve_raw) = (SELECT coalesce(sum(pmemf), 0) FROM lve_day)",
		"SELECT (SELECT coalesce(max(lpmem), 0) FROM lve_raw) = (SELECT coalesce(max(lpmem), 0) FROM lve_hour)",
	};

	for (size_t i = 0; i < ELEMENTSOF(sql); i++)
		if (q1(path, sql[i]) != 1) {
			fprintf(stderr, "# not consistent: %s\n", sql[i]);
			return false;
		}
	return true;
}

/* Brute-force aggregates of samples with ts in [from, to) for `id` (0 = all). */
struct oracle {
	uint32_t id;
	int64_t n;
	int64_t v[LVE_COL_ANYF];
};

static size_t oracle(const struct lve_sample *s, size_t n, int64_t from, int64_t to, uint32_t id, struct oracle *o,
		     size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (s[i].ts < from || s[i].ts >= to || (id && s[i].id != id))
			continue;
		for (j = 0; j < k; j++)
			if (o[j].id == s[i].id)
				break;
		if (j == k) {
			if (k == max)
				return SIZE_MAX;
			memset(&o[k], 0, sizeof(o[k]));
			o[k].id = s[i].id;
			k++;
		}
		o[j].n++;
		for (unsigned c = 0; c < LVE_COL_ANYF; c++) {
			int64_t v = lve_field_get(&s[i], c);

			if (lve_fields[c].kind == LVE_FK_LIMIT)
				o[j].v[c] = v > o[j].v[c] ? v : o[j].v[c];
			else
				o[j].v[c] += v;
		}
	}
	return k;
}

/* Compare lve_db_query over [from, to) with the oracle; 0 or 1 (printed). */
static int check_range(struct lve_db *db, const struct lve_sample *s, size_t n, int64_t from, int64_t to, uint32_t id)
{
	struct oracle o[64];
	struct lve_agg *a = NULL;
	size_t k = oracle(s, n, from, to, id, o, ELEMENTSOF(o));
	int r = lve_db_query(db, &(struct lve_query){ .from = from, .to = to, .id = id }, &a);
	int bad = 0;

	if (r < 0 || (size_t)r != k) {
		fprintf(stderr, "# [%lld, %lld) id %u: %d rows, expected %zu\n", (long long)from, (long long)to, id, r, k);
		free(a);
		return 1;
	}
	for (size_t i = 0; i < k && !bad; i++) {
		const struct oracle *x = NULL;
		double faults = 0;

		for (size_t j = 0; j < k; j++)
			if (o[j].id == a[i].id)
				x = &o[j];
		if (!x || (int64_t)a[i].n != x->n || (i && a[i].id <= a[i - 1].id)) {
			bad = 1;
			break;
		}
		for (unsigned c = 0; c < LVE_COL_ANYF; c++) {
			double want = lve_fields[c].kind == LVE_FK_USAGE ? (double)x->v[c] / (double)x->n : (double)x->v[c];

			if (lve_fields[c].kind == LVE_FK_FAULT)
				faults += (double)x->v[c];
			if (a[i].v[c] != want) {
				fprintf(stderr, "# [%lld, %lld) id %u col %s: %.17g != %.17g\n", (long long)from,
					(long long)to, a[i].id, lve_col_alias((int)c), a[i].v[c], want);
				bad = 1;
			}
		}
		if (a[i].v[LVE_COL_ANYF] != faults)
			bad = 1;
	}
	free(a);
	return bad;
}

/* ------------------------------------------------------------- parsers */

TEST(col_aliases_round_trip)
{
	for (int c = 0; c < LVE_COL__MAX; c++) {
		ASSERT(lve_col_alias(c) != NULL);
		ASSERT_EQ(lve_col_parse(lve_col_alias(c)), c);
	}
	ASSERT_EQ(lve_col_parse("acpu"), LVE_COL_ACPU);
	ASSERT_EQ(lve_col_parse("PMEMF"), LVE_COL_PMEMF);
	ASSERT_STREQ(lve_col_alias(LVE_COL_ANYF), "anyF");
	ASSERT(lve_col_alias(-1) == NULL);
	ASSERT(lve_col_alias(LVE_COL__MAX) == NULL);
	ASSERT_ERR(lve_col_parse("aCPUx"), EINVAL);
	ASSERT_ERR(lve_col_parse(""), EINVAL);
	ASSERT_ERR(lve_col_parse(NULL), EINVAL);
	return 0;
}

TEST(parse_period)
{
	const int64_t now = 1700000000; /* 2023-11-14 22:13:20 UTC */
	int64_t f = 0, t = 0;
	static const char *const bad[] = { "", "0m", "5", "m", "5x", "-5m", "5m ", " 5m", "5M", "5mm",
					   "99999999999999999999d", "999999999999d", "today2", "Today", "1.5h" };

	ASSERT_OK(lve_parse_period("5m", now, &f, &t));
	ASSERT_EQ(f, now - 300);
	ASSERT_EQ(t, now + 1);
	ASSERT_OK(lve_parse_period("4h", now, &f, &t));
	ASSERT_EQ(f, now - 4 * 3600);
	ASSERT_OK(lve_parse_period("2d", now, &f, &t));
	ASSERT_EQ(f, now - 2 * 86400);
	ASSERT_OK(lve_parse_period("30s", now, &f, &t));
	ASSERT_EQ(f, now - 30);
	ASSERT_OK(lve_parse_period("today", now, &f, &t));
	ASSERT_EQ(f, 1699920000);
	ASSERT_EQ(t, now + 1);
	ASSERT_OK(lve_parse_period("yesterday", now, &f, &t));
	ASSERT_EQ(f, 1699833600);
	ASSERT_EQ(t, 1699920000);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		f = t = 42;
		if (lve_parse_period(bad[i], now, &f, &t) != -EINVAL)
			TAP_FAIL("period '%s' accepted", bad[i]);
		ASSERT(f == 42 && t == 42); /* outputs untouched on failure */
	}
	ASSERT_ERR(lve_parse_period(NULL, now, &f, &t), EINVAL);
	ASSERT_ERR(lve_parse_period("5m", -1, &f, &t), EINVAL);
	return 0;
}

TEST(parse_time)
{
	const int64_t now = 1700000000;
	int64_t v = 0;
	static const char *const bad[] = { "2023-02-29", "2023-13-01", "2023-00-10", "2023-1-01", "2023-11-14 24:00",
					   "2023-11-14 22:13:60", "1969-12-31", "@", "@-1", "@x", "2023-11-14x",
					   "", "@99999999999999999999", "2023-11-14 22", "2023-11-14 22:1",
					   "2023-11-14  22:13", "2023-04-31", "yesterday", "@253402300800" };

	ASSERT_OK(lve_parse_time("2023-11-14 22:13:20", now, &v));
	ASSERT_EQ(v, 1700000000);
	ASSERT_OK(lve_parse_time("2023-11-14T22:13:20", now, &v));
	ASSERT_EQ(v, 1700000000);
	ASSERT_OK(lve_parse_time("2023-11-14 22:13", now, &v));
	ASSERT_EQ(v, 1699999980);
	ASSERT_OK(lve_parse_time("2023-11-14", now, &v));
	ASSERT_EQ(v, 1699920000);
	ASSERT_OK(lve_parse_time("2024-02-29", now, &v));
	ASSERT_EQ(v, 1709164800);
	ASSERT_OK(lve_parse_time("@1700000001", now, &v));
	ASSERT_EQ(v, 1700000001);
	ASSERT_OK(lve_parse_time("now", now, &v));
	ASSERT_EQ(v, now);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		v = 42;
		if (lve_parse_time(bad[i], now, &v) != -EINVAL)
			TAP_FAIL("time '%s' accepted", bad[i]);
		ASSERT_EQ(v, 42);
	}
	ASSERT_ERR(lve_parse_time(NULL, now, &v), EINVAL);
	return 0;
}

TEST(parse_connect_string)
{
	struct lve_pg_conninfo c;
	static const char *const bad[] = {
		"", "user@host/db", ":pw@h/db", "u:p@/db", "u:p@h", "u:p@h/", "u:p@h:0/db", "u:p@h:65536/db",
		"u:p@h:12x/db", "u:p@h/d b", "u:p@h/db/x", "u@x:p@h/db", "u:p@[::1/db", "u:p@[]/db", "u p:x@h/db", "u:p@h:/db",
		"u:p\n@h/db", "u/x:p@h/db", "u:p@h!/db", "u:p@h/db;drop", "u:p@[::1]x/db", "u:p@h:123456/db",
		"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu:p@h/db",
	};

	ASSERT_OK(lve_db_parse_connect_string("lvestats:secret@db.example.com/lve", &c));
	ASSERT_STREQ(c.user, "lvestats");
	ASSERT_STREQ(c.password, "secret");
	ASSERT_STREQ(c.host, "db.example.com");
	ASSERT_STREQ(c.port, "");
	ASSERT_STREQ(c.dbname, "lve");
	ASSERT_OK(lve_db_parse_connect_string("u:p:with:colons@h:5432/db_1", &c));
	ASSERT_STREQ(c.password, "p:with:colons");
	ASSERT_STREQ(c.port, "5432");
	ASSERT_STREQ(c.dbname, "db_1");
	ASSERT_OK(lve_db_parse_connect_string("u:p@w@rd@127.0.0.1:1/d", &c));
	ASSERT_STREQ(c.password, "p@w@rd");
	ASSERT_STREQ(c.host, "127.0.0.1");
	ASSERT_STREQ(c.port, "1");
	ASSERT_OK(lve_db_parse_connect_string("u:@[::1]:65535/db", &c));
	ASSERT_STREQ(c.password, "");
	ASSERT_STREQ(c.host, "::1");
	ASSERT_STREQ(c.port, "65535");
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		memset(&c, 0x5a, sizeof(c));
		if (lve_db_parse_connect_string(bad[i], &c) != -EINVAL)
			TAP_FAIL("connect_string '%s' accepted", bad[i]);
		ASSERT_EQ(c.user[0], 0x5a);
	}
	ASSERT_ERR(lve_db_parse_connect_string(NULL, &c), EINVAL);
	return 0;
}

/* The plan's parts cover [from, to) exactly, disjoint, on their level's buckets. */
TEST(query_plan_exact_cover)
{
	for (int iter = 0; iter < 20000; iter++) {
		int64_t from = 1700000000 + (int64_t)(rnd() % (10 * 86400)), to;
		struct lve_query_plan p;
		int64_t total = 0;

		switch (iter % 4) {
		case 0: to = from + (int64_t)(rnd() % 120); break;
		case 1: to = from + (int64_t)(rnd() % 7200); break;
		case 2: to = from + (int64_t)(rnd() % (3 * 86400)); break;
		default:
			from -= from % 3600;
			to = from + (int64_t)(rnd() % 40) * 3600;
		}
		lve_query_plan_make(from, to, &p);
		for (int l = 0; l < LVE_LEVELS; l++)
			for (int k = 0; k < 2; k++) {
				int64_t a = p.r[l][k][0], b = p.r[l][k][1];

				if (a >= b)
					continue;
				ASSERT(a >= from && b <= to);
				ASSERT_EQ(a % lve_level_secs[l], 0);
				ASSERT_EQ(b % lve_level_secs[l], 0);
				total += b - a;
				/* disjoint from every other part */
				for (int l2 = 0; l2 < LVE_LEVELS; l2++)
					for (int k2 = 0; k2 < 2; k2++) {
						int64_t c = p.r[l2][k2][0], d = p.r[l2][k2][1];

						if ((l2 != l || k2 != k) && c < d)
							ASSERT(b <= c || d <= a);
					}
			}
		ASSERT_EQ(total, to > from ? to - from : 0);
	}
	return 0;
}

/* --------------------------------------------------------------- store */

TEST(rollups_equal_hand_computed_sums)
{
	const int64_t T = 1700006400; /* a UTC midnight */
	struct lve_sample s[3] = { { .id = 7, .ts = T + 5, .interval = 5, .aCPU = 100, .lCPU = 5000, .CPUf = 1,
				     .aPMem = 1000, .lPMem = 4096, .PMemF = 1, .aIO = 10 },
				   { .id = 7, .ts = T + 10, .interval = 5, .aCPU = 200, .lCPU = 6000, .CPUf = 2,
				     .aPMem = 3000, .lPMem = 4096, .aIO = 20 },
				   { .id = 7, .ts = T + 65, .interval = 5, .aCPU = 400, .lCPU = 1000, .CPUf = 4,
				     .aPMem = 8000, .lPMem = 8192, .EPf = 5, .aIO = 30 } };
	struct lve_db *db = NULL;
	struct lve_agg *a = NULL;
	char sql[256];
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	ASSERT_EQ(lve_db_insert(db, s, 2), 0);
	ASSERT_EQ(lve_db_insert(db, s + 2, 1), 0);

	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 3);
	snprintf(sql, sizeof(sql), "SELECT n * 1000000 + acpu_sum FROM lve_minute WHERE id = 7 AND t = %lld", (long long)T);
	ASSERT_EQ(q1(p, sql), 2 * 1000000 + 300);
	snprintf(sql, sizeof(sql), "SELECT lcpu * 100 + cpuf FROM lve_minute WHERE id = 7 AND t = %lld", (long long)T);
	ASSERT_EQ(q1(p, sql), 6000 * 100 + 3);
	snprintf(sql, sizeof(sql), "SELECT n * 1000000 + acpu_sum FROM lve_minute WHERE t = %lld", (long long)T + 60);
	ASSERT_EQ(q1(p, sql), 1 * 1000000 + 400);
	for (int l = 2; l < LVE_LEVELS; l++) {
		snprintf(sql, sizeof(sql), "SELECT n * 1000000 + acpu_sum FROM %s WHERE t = %lld", lve_level_table[l],
			 (long long)T);
		ASSERT_EQ(q1(p, sql), 3 * 1000000 + 700);
		snprintf(sql, sizeof(sql), "SELECT lcpu * 100 + cpuf FROM %s WHERE t = %lld", lve_level_table[l],
			 (long long)T);
		ASSERT_EQ(q1(p, sql), 6000 * 100 + 7);
		snprintf(sql, sizeof(sql), "SELECT apmem_sum * 100000 + lpmem * 10 + pmemf FROM %s", lve_level_table[l]);
		ASSERT_EQ(q1(p, sql), 12000LL * 100000 + 8192 * 10 + 1);
		snprintf(sql, sizeof(sql), "SELECT secs FROM %s", lve_level_table[l]);
		ASSERT_EQ(q1(p, sql), 15);
	}

	/* the whole day: averages over the 3 samples */
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T, .to = T + 86400 }, &a), 1);
	ASSERT_EQ(a[0].id, 7);
	ASSERT_EQ(a[0].n, 3);
	ASSERT(a[0].v[LVE_COL_ACPU] == 700.0 / 3);
	ASSERT(a[0].v[LVE_COL_LCPU] == 6000);
	ASSERT(a[0].v[LVE_COL_CPUF] == 7);
	ASSERT(a[0].v[LVE_COL_APMEM] == 4000);
	ASSERT(a[0].v[LVE_COL_LPMEM] == 8192);
	ASSERT(a[0].v[LVE_COL_AIO] == 20);
	ASSERT(a[0].v[LVE_COL_ANYF] == 7 + 1 + 5);
	free(a);
	a = NULL;
	/* [T+6, T+66): the second and third sample (raw edges) */
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T + 6, .to = T + 66 }, &a), 1);
	ASSERT_EQ(a[0].n, 2);
	ASSERT(a[0].v[LVE_COL_ACPU] == 300);
	ASSERT(a[0].v[LVE_COL_LCPU] == 6000);
	ASSERT(a[0].v[LVE_COL_CPUF] == 6);
	free(a);
	a = NULL;
	/* an empty range and an other LVE */
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T + 11, .to = T + 65 }, &a), 0);
	ASSERT(a == NULL);
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T, .to = T + 86400, .id = 8 }, &a), 0);
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T, .to = T, .id = 0 }, &a), 0);
	lve_db_close(db);
	ASSERT(integrity_ok(p));
	ASSERT(rollups_consistent(p));
	return 0;
}

/* Random history; every random range (all LVEs and one) equals the brute-force answer. */
TEST(query_equals_brute_force)
{
	const int64_t T0 = 1700000000 - 1700000000 % 86400 - 3 * 3600;
	size_t n = 0, cap = 20000;
	struct lve_sample *s = calloc(cap, sizeof(*s));
	struct lve_db *db = NULL;
	const char *p;
	int bad = 0;

	ASSERT(s);
	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	/* 4 days, passes at irregular gaps, 1..6 LVEs per pass */
	for (int64_t ts = T0; ts < T0 + 4 * 86400 && n + 6 < cap; ts += 20 + (int64_t)(rnd() % 200)) {
		size_t k = 1 + rnd() % 6, first = n;

		/* every fourth pass on a minute boundary (sometimes an hour's, a day's) */
		if (rnd() % 4 == 0)
			ts += (60 - ts % 60) % 60;

		for (size_t i = 0; i < k; i++)
			s[n++] = mk((uint32_t)(1 + i * 3 + rnd() % 3), ts);
		/* no duplicate id within a pass */
		for (size_t i = first; i < n; i++)
			for (size_t j = first; j < i; j++)
				if (s[i].id == s[j].id)
					s[i].id += 100;
		ASSERT_EQ(lve_db_insert(db, s + first, n - first), 0);
	}
	ASSERT(n > 3000);
	ASSERT(rollups_consistent(p));
	for (int iter = 0; iter < 600 && !bad; iter++) {
		int64_t from = T0 - 100 + (int64_t)(rnd() % (4 * 86400 + 200)), to;
		uint32_t id = iter % 3 == 0 ? s[rnd() % n].id : 0;

		switch (iter % 6) {
		case 5: {
			/* exactly on sample timestamps */
			int64_t x = s[rnd() % n].ts, y = s[rnd() % n].ts;

			from = x < y ? x : y;
			to = x < y ? y : x;
			break;
		}
		case 0: to = from + (int64_t)(rnd() % 300); break;
		case 1: to = from + (int64_t)(rnd() % 10000); break;
		case 2: to = from + (int64_t)(rnd() % (3 * 86400)); break;
		case 3:
			from -= from % 60;
			to = from + 60 * (int64_t)(rnd() % 3000);
			break;
		default:
			from -= from % 86400;
			to = from + 86400 * (int64_t)(1 + rnd() % 3) + (int64_t)(rnd() % 2) * 3600;
		}
		bad = check_range(db, s, n, from, to, id);
	}
	/* a reader handle answers the same */
	lve_db_close(db);
	{
		struct lvestats_conf c = conf_for(p, "localhost", 60);

		ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
		if (!bad)
			bad = check_range(db, s, n, T0, T0 + 4 * 86400, 0);
		ASSERT_ERR(lve_db_insert(db, s, 1), EROFS);
		ASSERT_ERR(lve_db_retention(db, T0), EROFS);
		lve_db_close(db);
	}
	free(s);
	ASSERT_EQ(bad, 0);
	return 0;
}

TEST(duplicate_sample_is_ignored)
{
	struct lve_sample s = mk(3, 1700000000);
	struct lve_db *db = NULL;
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	s.aCPU += 1;
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0); /* same (server_id, id, ts): the first one stays */
	lve_db_close(db);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 1);
	ASSERT_EQ(q1(p, "SELECT n FROM lve_minute"), 1);
	ASSERT_EQ(q1(p, "SELECT acpu FROM lve_raw"), s.aCPU - 1);
	ASSERT(rollups_consistent(p));
	return 0;
}

TEST(retention_deletes_exactly_the_old_rows)
{
	const int64_t now = 1700000000, cutoff = now - 2 * 86400;
	struct lve_db *db = NULL, *other = NULL;
	struct lvestats_conf c;
	struct lve_sample s;
	const char *p;
	char sql[256];
	int64_t before, after, ts_list[] = { cutoff - 86400 * 3, cutoff - 3601, cutoff - 3600, cutoff - 61, cutoff - 60,
					     cutoff - 1, cutoff, cutoff + 1, cutoff + 59, now };
	int r;

	TMPDIR();
	p = dbpath("stats.db");
	c = conf_for(p, "localhost", 2);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	c = conf_for(p, "srv2", 2);
	ASSERT_EQ(lve_db_open(&c, &other), 0);
	for (size_t i = 0; i < ELEMENTSOF(ts_list); i++) {
		s = mk(1, ts_list[i]);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		s = mk(2, ts_list[i]);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		ASSERT_EQ(lve_db_insert(other, &s, 1), 0);
	}
	before = q1(p, "SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		       "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	r = lve_db_retention(db, now);
	ASSERT_OK(r);
	after = q1(p, "SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		      "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
	ASSERT_EQ(r, before - after);
	/* raw: ts < cutoff gone (6 timestamps x 2 LVEs), the rest stays */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_raw WHERE server_id = 'localhost' AND ts < %lld",
		 (long long)cutoff);
	ASSERT_EQ(q1(p, sql), 0);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw WHERE server_id = 'localhost'"), 2 * 4);
	/* rollups: buckets that end by the cutoff are gone, the others stay */
	for (int l = 1; l < LVE_LEVELS; l++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'localhost' AND t + %lld <= %lld",
			 lve_level_table[l], (long long)lve_level_secs[l], (long long)cutoff);
		ASSERT_EQ(q1(p, sql), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'localhost' AND t + %lld > %lld",
			 lve_level_table[l], (long long)lve_level_secs[l], (long long)cutoff);
		ASSERT(q1(p, sql) > 0);
	}
	/* cutoff - 1 is in the minute [cutoff - 60, cutoff): that minute ended at the cutoff -> removed */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_minute WHERE server_id = 'localhost' AND t = %lld",
		 (long long)(cutoff - 60));
	ASSERT_EQ(q1(p, sql), 0);
	/* the other server's rows are untouched */
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw WHERE server_id = 'srv2'"), (int64_t)ELEMENTSOF(ts_list));
	/* again: nothing more */
	ASSERT_EQ(lve_db_retention(db, now), 0);
	ASSERT_ERR(lve_db_retention(db, -1), EINVAL);
	lve_db_close(db);
	lve_db_close(other);
	ASSERT(integrity_ok(p));
	return 0;
}

/* --------------------------------------------------------------- faults */

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, buf, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	return (int)n;
}

TEST(corrupt_file_is_moved_aside_at_open)
{
	char garbage[8192], back[8192];
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample s = mk(5, 1700000000);
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = "this is not a database\n"[i % 23];
	ASSERT_OK(write_file(p, garbage, sizeof(garbage)));
	ASSERT_EQ(open_db(p, &db), LVE_DB_RECREATED);
	lve_db_status(db, &st);
	ASSERT_EQ(st.recreated, 1);
	ASSERT(!strncmp(st.moved_aside, p, strlen(p)));
	ASSERT(!strncmp(st.moved_aside + strlen(p), ".corrupt-", 9));
	ASSERT(read_file(st.moved_aside, back, sizeof(back)) > 100);
	ASSERT(!memcmp(back, garbage, 100));
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	lve_db_close(db);
	ASSERT(integrity_ok(p));
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 1);

	/* a second corrupt file the same second gets its own name */
	ASSERT_OK(write_file(p, garbage, sizeof(garbage)));
	ASSERT_EQ(open_db(p, &db), LVE_DB_RECREATED);
	{
		struct lve_db_status st2;

		lve_db_status(db, &st2);
		ASSERT(strcmp(st.moved_aside, st2.moved_aside) != 0);
		ASSERT_EQ(access(st.moved_aside, F_OK), 0);
		ASSERT_EQ(access(st2.moved_aside, F_OK), 0);
	}
	lve_db_close(db);
	return 0;
}

/* Pages of the tables destroyed while lved is not running: the first insert finds it. */
TEST(corrupt_pages_found_by_insert)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample pass[200];
	struct stat sb;
	const char *p;
	int r, fd, recreated = 0;
	char junk[4096];

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	for (int k = 0; k < 20; k++) {
		for (int i = 0; i < 200; i++)
			pass[i] = mk((uint32_t)i + 1, 1700000000 + k * 5);
		ASSERT_EQ(lve_db_insert(db, pass, 200), 0);
	}
	lve_db_close(db); /* last connection: checkpoints the WAL into the file */
	ASSERT_EQ(stat(p, &sb), 0);
	ASSERT(sb.st_size > 20 * 4096);
	/* keep page 1 (header + schema), trash everything after page 4 */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(p, O_WRONLY | O_CLOEXEC);
	ASSERT(fd >= 0);
	for (off_t off = 4 * 4096; off < sb.st_size; off += 4096)
		ASSERT_EQ(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	ASSERT(!integrity_ok(p));

	r = open_db(p, &db);
	ASSERT_OK(r);
	recreated += r == LVE_DB_RECREATED;
	for (int i = 0; i < 200; i++)
		pass[i] = mk((uint32_t)i + 1, 1700001000);
	r = lve_db_insert(db, pass, 200);
	ASSERT_OK(r);
	recreated += r == LVE_DB_RECREATED;
	ASSERT_EQ(recreated, 1);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 0);
	ASSERT(st.moved_aside[0]);
	lve_db_close(db);
	ASSERT(integrity_ok(p));
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 200);
	ASSERT(rollups_consistent(p));
	return 0;
}

static void alarm_handler(int sig)
{
	(void)sig;
	static const char m[] = "# timed out: an insert blocked\n";
	if (write(2, m, sizeof(m) - 1) < 0) {
	}
	_exit(3);
}

TEST(locked_database_returns_busy_then_catches_up)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample pass[3][50];
	sqlite3 *h = NULL;
	const char *p;
	int r;

	signal(SIGALRM, alarm_handler);
	alarm(60); /* a blocking insert would hang: make it a failure */
	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 50; i++)
			pass[k][i] = mk((uint32_t)i + 1, 1700000000 + k * 5);

	/* another connection takes the write lock and keeps it */
	ASSERT_EQ(sqlite3_open(p, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

	r = lve_db_insert(db, pass[0], 50);
	ASSERT_ERR(r, EBUSY); /* returned while the lock is still held */
	r = lve_db_insert(db, pass[1], 50);
	ASSERT_ERR(r, EBUSY);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 2);
	ASSERT_EQ(st.queued_samples, 100);
	ASSERT_EQ(st.last_error, -EBUSY);
	ASSERT(st.message[0]);
	ASSERT_EQ(st.stored_passes, 0);

	ASSERT_EQ(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	ASSERT_EQ(lve_db_insert(db, pass[2], 50), 0);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 0);
	ASSERT_EQ(st.stored_passes, 3);
	ASSERT_EQ(st.last_error, 0);
	lve_db_close(db);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 150);
	ASSERT_EQ(q1(p, "SELECT count(DISTINCT ts) FROM lve_raw"), 3);
	ASSERT(rollups_consistent(p));
	alarm(0);
	return 0;
}

TEST(queue_is_bounded_oldest_dropped)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample pass[10];
	sqlite3 *h = NULL;
	const char *p;

	signal(SIGALRM, alarm_handler);
	alarm(60);
	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	ASSERT_OK(lve_db_tune(db, &(struct lve_db_tuning){ .queue_max_samples = 25, .busy_ms = 20 }));
	ASSERT_EQ(sqlite3_open(p, &h), SQLITE_OK);
	ASSERT_EQ(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	for (int k = 0; k < 5; k++) {
		for (int i = 0; i < 10; i++)
			pass[i] = mk((uint32_t)i + 1, 1700000000 + k * 5);
		ASSERT_ERR(lve_db_insert(db, pass, 10), EBUSY);
		lve_db_status(db, &st);
		ASSERT(st.queued_samples <= 25);
	}
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 2);
	ASSERT_EQ(st.dropped_samples, 30);
	ASSERT_EQ(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	/* the newest two passes were kept */
	ASSERT_EQ(q1(p, "SELECT min(ts) FROM lve_raw"), 1700000000 + 15);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 20);

	/* by age: passes older than newest - max_age go */
	ASSERT_OK(lve_db_tune(db, &(struct lve_db_tuning){ .queue_max_samples = 1000, .queue_max_age = 60 }));
	ASSERT_EQ(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	for (int k = 0; k < 3; k++) {
		int64_t ts = 1700001000 + (int64_t[]){ 0, 30, 100 }[k];

		for (int i = 0; i < 10; i++)
			pass[i] = mk((uint32_t)i + 1, ts);
		ASSERT_ERR(lve_db_insert(db, pass, 10), EBUSY);
	}
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 1);
	ASSERT_EQ(st.dropped_samples, 30 + 20);
	ASSERT_EQ(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	lve_db_close(db);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw WHERE ts >= 1700001000"), 10);
	ASSERT(rollups_consistent(p));
	alarm(0);
	return 0;
}

/* A file size limit makes writes fail (EFBIG / short writes): an error, queued, then caught up. */
TEST(write_error_then_catch_up)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample *pass = calloc(3000, sizeof(*pass));
	struct rlimit old, lim;
	const char *p;
	int r;

	ASSERT(pass);
	signal(SIGXFSZ, SIG_IGN);
	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	for (int i = 0; i < 3000; i++)
		pass[i] = mk((uint32_t)i + 1, 1700000000);
	ASSERT_EQ(lve_db_insert(db, pass, 10), 0);
	ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64 * 1024; /* the WAL cannot grow to hold 3000 rows */
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 3000; i++)
		pass[i].ts = 1700000005;
	r = lve_db_insert(db, pass, 3000);
	ASSERT(r < 0);
	ASSERT(r == -ENOSPC || r == -EIO);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 1);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
	r = lve_db_flush(db, 0);
	ASSERT_EQ(r, 0);
	lve_db_close(db);
	free(pass);
	ASSERT(integrity_ok(p));
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 3010);
	ASSERT(rollups_consistent(p));
	return 0;
}

static int writer_loop(const char *p)
{
	struct lve_db *db = NULL;
	struct lve_sample pass[300];

	if (open_db(p, &db) < 0)
		return 1;
	for (int64_t ts = 1700000000 + (int64_t)(rnd() % 100000) * 5;; ts += 5) {
		for (int i = 0; i < 300; i++)
			pass[i] = mk((uint32_t)i + 1, ts);
		lve_db_insert(db, pass, 300);
	}
	return 0;
}

TEST(kill_9_mid_insert_never_corrupts)
{
	const char *p;
	int64_t rows = 0;

	TMPDIR();
	p = dbpath("stats.db");
	for (int round = 0; round < 8; round++) {
		pid_t pid;
		int status;
		struct timespec d = { 0, (long)(20 + rnd() % 250) * 1000000L };

		rng_state += (uint64_t)round * 7919;
		pid = fork();
		ASSERT(pid >= 0);
		if (pid == 0)
			_exit(writer_loop(p));
		nanosleep(&d, NULL);
		ASSERT_EQ(kill(pid, SIGKILL), 0);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if (access(p, F_OK) != 0)
			continue; /* killed before the file existed */
		ASSERT(integrity_ok(p));
		ASSERT(rollups_consistent(p));
		/* whole passes only */
		ASSERT_EQ(q1(p, "SELECT count(*) FROM (SELECT ts FROM lve_raw GROUP BY ts HAVING count(*) != 300)"), 0);
		rows = q1(p, "SELECT count(*) FROM lve_raw");
		ASSERT(rows >= 0);
	}
	ASSERT(rows > 0);
	/* a writer opens it normally afterwards */
	{
		struct lve_db *db = NULL;

		ASSERT_EQ(open_db(p, &db), 0);
		lve_db_close(db);
	}
	return 0;
}

/* ------------------------------------------------------------ bad input */

TEST(bad_configuration)
{
	struct lve_db *db = (struct lve_db *)0x1;
	struct lvestats_conf c;
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	c = conf_for(p, "", 60);
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	c = conf_for(p, "bad id!", 60);
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	c = conf_for("relative.db", "localhost", 60);
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	ASSERT(access("relative.db", F_OK) != 0);
	c = conf_for(p, "localhost", 60);
	snprintf(c.db_type, sizeof(c.db_type), "mysql");
	ASSERT_ERR(lve_db_open(&c, &db), EOPNOTSUPP);
	snprintf(c.db_type, sizeof(c.db_type), "oracle");
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	snprintf(c.db_type, sizeof(c.db_type), "postgresql");
	c.connect_string = NULL;
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	c.connect_string = (char *)"no-at-sign";
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL);
	c = conf_for(p, "localhost", 60);
	ASSERT_ERR(lve_db_open_flags(&c, 0x80, &db), EINVAL);
	ASSERT_ERR(lve_db_open(NULL, &db), EINVAL);
	ASSERT(db == (struct lve_db *)0x1); /* untouched */
	ASSERT(access(p, F_OK) != 0);       /* nothing created */
	return 0;
}

TEST(bad_calls)
{
	struct lve_db *db = NULL;
	struct lve_agg *a = (struct lve_agg *)0x1;
	struct lve_sample s = mk(1, 1700000000);
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	ASSERT_ERR(lve_db_insert(db, NULL, 3), EINVAL);
	ASSERT_ERR(lve_db_insert(NULL, &s, 1), EINVAL);
	ASSERT_EQ(lve_db_insert(db, NULL, 0), 0);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 10, .to = 5 }, &a), EINVAL);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 0, .to = 5, .server_id = "x y" }, &a), EINVAL);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 0, .to = 5, .server_id = "elevenchars" }, &a), EINVAL);
	ASSERT_ERR(lve_db_query(db, NULL, &a), EINVAL);
	ASSERT(a == (struct lve_agg *)0x1);
	ASSERT_ERR(lve_db_flush(db, -1), EINVAL);
	ASSERT_ERR(lve_db_tune(db, &(struct lve_db_tuning){ .busy_ms = -1 }), EINVAL);
	ASSERT_ERR(lve_db_tune(NULL, &(struct lve_db_tuning){ 0 }), EINVAL);
	/* an other server_id's view of this file is empty */
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = 0, .to = INT64_MAX, .server_id = "srv2" }, &a), 0);
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = 0, .to = INT64_MAX }, &a), 1);
	free(a);
	lve_db_close(db);
	lve_db_close(NULL);
	return 0;
}

TEST(reader_of_a_missing_file_creates_nothing)
{
	struct lve_db *db = NULL;
	struct lve_agg *a = NULL;
	struct lvestats_conf c;
	const char *p;

	TMPDIR();
	p = dbpath("missing.db");
	c = conf_for(p, "localhost", 60);
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 0, .to = 100 }, &a), ENOENT);
	ASSERT(strstr(lve_db_errmsg(db), p) != NULL);
	lve_db_close(db);
	ASSERT(access(p, F_OK) != 0);

	/* a file that is SQLite but not ours */
	{
		sqlite3 *h = NULL;

		ASSERT_EQ(sqlite3_open(p, &h), SQLITE_OK);
		ASSERT_EQ(sqlite3_exec(h, "CREATE TABLE foo (x)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	ASSERT_ERR(lve_db_query(db, &(struct lve_query){ .from = 0, .to = 100 }, &a), EPROTONOSUPPORT);
	ASSERT(strstr(lve_db_errmsg(db), "not an openlve") != NULL);
	lve_db_close(db);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM sqlite_master"), 1); /* untouched */
	return 0;
}

/* A writer whose directory cannot exist: open succeeds, every insert fails and queues. */
TEST(unusable_path_fails_inserts_not_open)
{
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample s = mk(1, 1700000000);
	const char *f, *p;

	TMPDIR();
	f = dbpath("file");
	ASSERT_OK(write_file(f, "x", 1));
	p = dbpath("file/sub/stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	lve_db_status(db, &st);
	ASSERT(st.last_error < 0);
	ASSERT(lve_db_insert(db, &s, 1) < 0);
	ASSERT(lve_db_insert(db, &s, 1) < 0);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 2);
	ASSERT(st.message[0]);
	lve_db_close(db);
	return 0;
}

/*
 * A PostgreSQL "server" that accepts TCP connections and never answers:
 * the connect deadline turns it into -ETIMEDOUT, and the next calls do not
 * try again for a while (counted: no new connection reaches the socket).
 */
TEST(pg_connect_timeout_then_backoff)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct lvestats_conf c;
	struct lve_db_status st;
	struct lve_db *db = NULL;
	struct lve_sample s = mk(1, 1700000000);
	char cs[128];
	int fd, conns = 0, r;

	signal(SIGALRM, alarm_handler);
	alarm(60);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT(fd >= 0);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(listen(fd, 16), 0);
	ASSERT_EQ(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(cs, sizeof(cs), "u:p@127.0.0.1:%u/db", ntohs(sa.sin_port));
	c = conf_for("/nonexistent", "localhost", 60);
	snprintf(c.db_type, sizeof(c.db_type), "postgresql");
	c.connect_string = cs;
	r = lve_db_open(&c, &db);
	if (r == -EOPNOTSUPP)
		SKIP("built without libpq");
	ASSERT_EQ(r, 0);
	lve_db_status(db, &st);
	ASSERT_EQ(st.last_error, -ETIMEDOUT);
	for (int a; (a = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0; conns++)
		close(a);
	ASSERT_EQ(conns, 1);
	/* within the backoff: fails without connecting */
	ASSERT_ERR(lve_db_insert(db, &s, 1), ETIMEDOUT);
	ASSERT_ERR(lve_db_insert(db, &s, 1), ETIMEDOUT);
	for (int a; (a = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0; conns++)
		close(a);
	ASSERT_EQ(conns, 1);
	lve_db_status(db, &st);
	ASSERT_EQ(st.queued_passes, 2);
	ASSERT(strstr(st.message, "timed out") != NULL);
	lve_db_close(db);
	close(fd);
	alarm(0);
	return 0;
}

TAP_MAIN()
