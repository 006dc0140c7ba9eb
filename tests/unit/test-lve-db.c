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
#include "lve-sample.h"
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
	return lvetest_rnd(&rng_state);
}

/* A sample with pseudo-random values of every field. */
static struct lve_sample mk(uint32_t id, int64_t ts)
{
	return lvetest_sample(&rng_state, id, ts);
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
		"SELECT (SELECT coalesce(sum(n), 0) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_minute)",
		"SELECT (SELECT coalesce(sum(n), 0) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_hour)",
		"SELECT (SELECT coalesce(sum(n), 0) FROM lve_raw) = (SELECT coalesce(sum(n), 0) FROM lve_day)",
		"SELECT (SELECT coalesce(sum(acpu * n), 0) FROM lve_raw) = (SELECT coalesce(sum(acpu_sum), 0) FROM lve_minute)",
		"SELECT (SELECT coalesce(sum(pmemf * n), 0) FROM lve_raw) = (SELECT coalesce(sum(pmemf), 0) FROM lve_day)",
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

/*
 * lve_db_query_span over [from, to) against the oracle over the range the
 * query reports it covered (*used, written when not NULL); 0 or 1 (printed).
 * With used NULL the range must not have been changed.
 */
static int check_range_span(struct lve_db *db, const struct lve_sample *s, size_t n, int64_t from, int64_t to,
			    uint32_t id, struct lve_query_span *used)
{
	struct oracle o[64];
	struct lve_agg *a = NULL;
	struct lve_query_span u = { INT64_MIN, INT64_MIN };
	int r = lve_db_query_span(db, &(struct lve_query){ .from = from, .to = to, .id = id }, &a, &u);
	size_t k;
	int bad = 0;

	if (r >= 0 && !used && (u.from != from || u.to != to)) {
		fprintf(stderr, "# [%lld, %lld): covered [%lld, %lld) with nothing trimmed\n", (long long)from,
			(long long)to, (long long)u.from, (long long)u.to);
		free(a);
		return 1;
	}
	if (used)
		*used = u;
	k = oracle(s, n, u.from, u.to, id, o, ELEMENTSOF(o));
	if (r < 0 || (size_t)r != k) {
		fprintf(stderr, "# [%lld, %lld) as [%lld, %lld) id %u: %d rows, expected %zu\n", (long long)from,
			(long long)to, (long long)u.from, (long long)u.to, id, r, k);
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
			fprintf(stderr, "# [%lld, %lld) as [%lld, %lld): LVE %u count\n", (long long)from, (long long)to,
				(long long)u.from, (long long)u.to, a[i].id);
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

/* Compare lve_db_query over [from, to) with the oracle (nothing trimmed: the range is kept); 0 or 1. */
static int check_range(struct lve_db *db, const struct lve_sample *s, size_t n, int64_t from, int64_t to, uint32_t id)
{
	return check_range_span(db, s, n, from, to, id, NULL);
}

static int64_t fl(int64_t v, int64_t m)
{
	int64_t r = v % m;

	return r < 0 ? v - r - m : v - r;
}

static int64_t cl(int64_t v, int64_t m)
{
	return fl(v, m) == v ? v : fl(v, m) + m;
}

/*
 * Is `u` the range lve_db_query may cover for [from, to) when retention
 * removed, per table, what lies before h[] (INT64_MIN: nothing): raw ts <
 * h0, rollup buckets with t + secs <= h? From the retention rules alone:
 * from goes to the oldest kept day when older; else down to the bucket of
 * the finest table that still holds it; to up by less than that bucket.
 * 0 or 1 (printed).
 */
static int check_span(int64_t from, int64_t to, const int64_t h[LVE_LEVELS], struct lve_query_span u)
{
	int64_t day0 = h[3] == INT64_MIN ? INT64_MIN : fl(h[3], 86400), lo, g;

	if (to <= day0 || from == to) {
		if (u.from == to && u.to == to)
			return 0;
		fprintf(stderr, "# [%lld, %lld) before the history: covered [%lld, %lld)\n", (long long)from, (long long)to,
			(long long)u.from, (long long)u.to);
		return 1;
	}
	lo = from > day0 ? from : day0;
	if (h[0] == INT64_MIN || lo >= h[0])
		g = 1;
	else if (h[1] == INT64_MIN || fl(lo, 60) + 60 > h[1])
		g = 60;
	else if (h[2] == INT64_MIN || fl(lo, 3600) + 3600 > h[2])
		g = 3600;
	else
		g = 86400;
	if (u.from != fl(lo, g) || u.to < to || u.to > cl(to, g) || (u.to != to && u.to % 60)) {
		fprintf(stderr, "# [%lld, %lld) (bucket %lld): covered [%lld, %lld)\n", (long long)from, (long long)to,
			(long long)g, (long long)u.from, (long long)u.to);
		return 1;
	}
	return 0;
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

/*
 * The tiered plan: every part on its level's buckets, disjoint, covering
 * exactly the range it reports, and read only where its table still holds
 * every row (raw: ts >= h0; a rollup: buckets with t + secs > h). Horizons
 * in retention's order (finer ones newer) and, every fourth time, in any
 * order (the plan must still only read what is kept).
 */
TEST(query_plan_tiered_reads_only_kept_rows)
{
	for (int iter = 0; iter < 40000; iter++) {
		const int64_t base = 1700000000;
		int64_t h[LVE_LEVELS], from = base + (int64_t)(rnd() % (20 * 86400)), to, f = 0, t = 0, total = 0;
		struct lve_query_plan p;

		h[2] = h[3] = base + (int64_t)(rnd() % (6 * 86400));
		h[1] = h[2] + (int64_t)(rnd() % (5 * 86400));
		h[0] = h[1] + (int64_t)(rnd() % (2 * 86400));
		if (iter % 4 == 3)
			for (int l = 0; l < LVE_LEVELS; l++)
				h[l] = rnd() % 5 == 0 ? LVE_NO_HORIZON : base + (int64_t)(rnd() % (12 * 86400));
		else if (iter % 7 == 0) {
			/* a finer table trimmed as far as the coarse ones */
			h[1] = h[2];
			if (rnd() % 2)
				h[0] = h[1];
		}
		switch (iter % 5) {
		case 0: to = from + (int64_t)(rnd() % 120); break;
		case 1: to = from + (int64_t)(rnd() % 7200); break;
		case 2: to = from + (int64_t)(rnd() % (3 * 86400)); break;
		case 3: {
			/* around a horizon */
			int64_t x = h[rnd() % LVE_LEVELS];

			if (x != LVE_NO_HORIZON)
				from = x + (int64_t)(rnd() % 7) - 3;
			to = from + (int64_t)(rnd() % 100000);
			break;
		}
		default: to = from + (int64_t)(rnd() % (10 * 86400));
		}
		lve_query_plan_tiered(from, to, h, &p, &f, &t);
		ASSERT(f <= t);
		if (iter % 4 != 3 && check_span(from, to, h, (struct lve_query_span){ f, t }))
			TAP_FAIL("iteration %d", iter);
		for (int l = 0; l < LVE_LEVELS; l++)
			for (int k = 0; k < 2; k++) {
				int64_t a = p.r[l][k][0], b = p.r[l][k][1];

				if (a >= b)
					continue;
				ASSERT(a >= f && b <= t);
				ASSERT_EQ(fl(a, lve_level_secs[l]), a);
				ASSERT_EQ(fl(b, lve_level_secs[l]), b);
				/* the table holds all of it */
				if (h[l] != LVE_NO_HORIZON) {
					if (l == 0 && a < h[0])
						TAP_FAIL("raw part [%lld, %lld) before horizon %lld", (long long)a, (long long)b,
							 (long long)h[0]);
					if (l > 0 && a + lve_level_secs[l] <= h[l])
						TAP_FAIL("%s part from %lld: bucket removed (horizon %lld)", lve_level_table[l],
							 (long long)a, (long long)h[l]);
				}
				total += b - a;
				for (int l2 = 0; l2 < LVE_LEVELS; l2++)
					for (int k2 = 0; k2 < 2; k2++) {
						int64_t c = p.r[l2][k2][0], d = p.r[l2][k2][1];

						if ((l2 != l || k2 != k) && c < d)
							ASSERT(b <= c || d <= a);
					}
			}
		ASSERT_EQ(total, t - f);
		/* to is never moved when from is still in raw's reach */
		if (iter % 4 != 3 && from >= h[0] && from >= fl(h[3], 86400))
			if (f != from || t != to)
				TAP_FAIL("[%lld, %lld) covered as [%lld, %lld); horizons %lld %lld %lld %lld", (long long)from,
					 (long long)to, (long long)f, (long long)t, (long long)h[0], (long long)h[1],
					 (long long)h[2], (long long)h[3]);
	}
	/* nothing trimmed: the plain plan, the range unchanged */
	{
		const int64_t none[LVE_LEVELS] = { LVE_NO_HORIZON, LVE_NO_HORIZON, LVE_NO_HORIZON, LVE_NO_HORIZON };
		struct lve_query_plan p, q;
		int64_t f = 0, t = 0;

		lve_query_plan_tiered(1700000007, 1700300011, none, &p, &f, &t);
		lve_query_plan_make(1700000007, 1700300011, &q);
		ASSERT(!memcmp(&p, &q, sizeof(p)));
		ASSERT(f == 1700000007 && t == 1700300011);
		/* absurd bounds are clamped, not overflowed */
		lve_query_plan_tiered(INT64_MIN, INT64_MAX, none, &p, &f, &t);
		ASSERT(f == -((int64_t)1 << 62) && t == ((int64_t)1 << 62));
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
	/* the minute of T is closed by the third sample; the open buckets are written by a flush */
	snprintf(sql, sizeof(sql), "SELECT n * 1000000 + acpu_sum FROM lve_minute WHERE id = 7 AND t = %lld", (long long)T);
	ASSERT_EQ(q1(p, sql), 2 * 1000000 + 300);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_hour"), 0);
	ASSERT_EQ(lve_db_flush(db, 0), 0);

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

/*
 * Idle LVEs: identical quiet samples become one raw row per minute with
 * their count; any change, a busy sample or the next minute ends the run.
 * Rollups and queries count every sample.
 */
TEST(quiet_samples_fold_into_runs)
{
	const int64_t T = 1700006400; /* a UTC midnight */
	struct lve_db *db = NULL;
	struct lve_agg *a = NULL;
	const char *p;
	int64_t n = 0, cpu = 0, pmem = 0;

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(open_db(p, &db), 0);
	/* 30 passes of 5 s from T + 5: quiet with aPMem 4096, except a busy one at T + 50 and a change at T + 100 */
	for (int k = 1; k <= 30; k++) {
		struct lve_sample s = { .id = 3, .ts = T + 5 * k, .interval = 5, .lPMem = 1 << 20, .aPMem = 4096,
					.quiet = true };

		if (k == 10) {
			s.quiet = false;
			s.aCPU = 900;
		}
		if (k >= 20)
			s.aPMem = 8192;
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		n++;
		cpu += s.aCPU;
		pmem += (int64_t)s.aPMem;
	}
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	/*
	 * runs: T+5..T+45 (9), T+50 busy, T+55 (1, next minute T+60 ends it),
	 * T+60..T+95 (8), T+100..T+115 (4; changed), T+120..T+150 (7)
	 */
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 6);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_raw"), 30);
	ASSERT_EQ(q1(p, "SELECT n FROM lve_raw WHERE ts = 1700006405"), 9);
	ASSERT_EQ(q1(p, "SELECT secs FROM lve_raw WHERE ts = 1700006405"), 45);
	ASSERT_EQ(q1(p, "SELECT n FROM lve_raw WHERE ts = 1700006460"), 8);
	ASSERT_EQ(q1(p, "SELECT n FROM lve_raw WHERE ts = 1700006520"), 7);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_minute"), 30);
	ASSERT_EQ(q1(p, "SELECT apmem_sum FROM lve_hour"), pmem);
	ASSERT(rollups_consistent(p));
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T, .to = T + 86400 }, &a), 1);
	ASSERT_EQ(a[0].n, (uint64_t)n);
	ASSERT(a[0].v[LVE_COL_ACPU] == (double)cpu / (double)n);
	ASSERT(a[0].v[LVE_COL_APMEM] == (double)pmem / (double)n);
	free(a);
	a = NULL;
	/* a range of whole minutes of raw runs: [T + 60, T + 120) holds 12 samples */
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T + 60, .to = T + 120 }, &a), 1);
	ASSERT_EQ(a[0].n, 12);
	ASSERT(a[0].v[LVE_COL_APMEM] == (8.0 * 4096 + 4 * 8192) / 12);
	free(a);
	lve_db_close(db);
	return 0;
}

/* A writer that was killed leaves open buckets; the next writer rebuilds them from lve_raw. */
TEST(killed_writer_buckets_rebuilt_from_raw)
{
	const int64_t T = 1700006400;
	const char *p;
	pid_t pid;
	int status;

	TMPDIR();
	p = dbpath("stats.db");
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		struct lve_db *db = NULL;

		if (open_db(p, &db) < 0)
			_exit(1);
		/* 3 minutes of passes: the last minute, hour and day stay open in memory */
		for (int k = 0; k < 36; k++) {
			struct lve_sample s[2] = { mk(1, T + 5 * k), mk(2, T + 5 * k) };

			if (lve_db_insert(db, s, 2) != 0)
				_exit(2);
		}
		raise(SIGKILL);
		_exit(3);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), 72);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_minute"), 48); /* two closed minutes of 2 LVEs */
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_hour"), 0);
	{
		struct lve_db *db = NULL;
		struct lve_agg *a = NULL;

		ASSERT_EQ(open_db(p, &db), 0);
		ASSERT(rollups_consistent(p));
		ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_day"), 72);
		/* a later sample adds to the rebuilt rows, it does not replace them */
		{
			struct lve_sample s = mk(1, T + 200);

			ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		}
		ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = T, .to = T + 86400, .id = 1 }, &a), 1);
		ASSERT_EQ(a[0].n, 37);
		free(a);
		lve_db_close(db);
		ASSERT(rollups_consistent(p));
		ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_hour"), 73);
	}
	return 0;
}

/* A schema 1 file (no lve_raw.n) is upgraded by the first writer; its rows count once each. */
TEST(schema_1_upgraded)
{
	const char *p;
	sqlite3 *h = NULL;
	struct lve_db *db = NULL;
	struct lve_agg *a = NULL;
	char *sql = NULL;

	TMPDIR();
	p = dbpath("stats.db");
	ASSERT_EQ(sqlite3_open(p, &h), SQLITE_OK);
	ASSERT(asprintf(&sql,
			"CREATE TABLE lve_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
			"INSERT INTO lve_meta VALUES ('schema_version', '1');"
			"CREATE TABLE lve_raw (server_id TEXT NOT NULL, id INTEGER NOT NULL, ts INTEGER NOT NULL, secs INTEGER NOT NULL,"
			" acpu, lcpu, cpuf, aep, lep, epf, avmem, lvmem, vmemf, apmem, lpmem, pmemf, anproc, lnproc, nprocf,"
			" aio, lio, iof, aiops, liops, iopsf, nprocs, nthreads, PRIMARY KEY (server_id, ts, id)) WITHOUT ROWID;"
			"INSERT INTO lve_raw VALUES ('localhost', 5, 1700000005, 5, 300,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0);"
			"INSERT INTO lve_raw VALUES ('localhost', 5, 1700000010, 5, 100,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0);") > 0);
	ASSERT_EQ(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(h);
	ASSERT_EQ(open_db(p, &db), 0);
	ASSERT_EQ(q1(p, "SELECT v FROM lve_meta WHERE k = 'schema_version'"), 2);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_raw"), 2);
	/* the minute the old rows are in was rebuilt from them */
	ASSERT_EQ(q1(p, "SELECT acpu_sum FROM lve_minute"), 400);
	ASSERT_EQ(lve_db_query(db, &(struct lve_query){ .from = 1700000000, .to = 1700000020 }, &a), 1);
	ASSERT_EQ(a[0].n, 2);
	ASSERT(a[0].v[LVE_COL_ACPU] == 200);
	free(a);
	lve_db_close(db);
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
	ASSERT_EQ(lve_db_flush(db, 0), 0);
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

static struct lvestats_conf conf_tiers(const char *path, const char *sid, uint32_t raw_hours, uint32_t minute_days,
				       uint32_t days)
{
	struct lvestats_conf c = conf_for(path, sid, days);

	c.keep_raw_hours = raw_hours;
	c.keep_minute_days = minute_days;
	return c;
}

/* The horizon recorded for a table of `sid`, INT64_MIN when there is none (read with sqlite3 directly). */
static int64_t horizon_of(const char *path, int level, const char *sid)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_meta WHERE k = 'horizon.%s.%s'", lve_level_table[level], sid);
	if (q1(path, sql) != 1)
		return INT64_MIN;
	snprintf(sql, sizeof(sql), "SELECT CAST(v AS INTEGER) FROM lve_meta WHERE k = 'horizon.%s.%s'",
		 lve_level_table[level], sid);
	return q1(path, sql);
}

/* Distinct buckets of `secs` among ts[] that end after h (t + secs > h). */
static int64_t buckets_after(const int64_t *ts, size_t n, int64_t secs, int64_t h)
{
	int64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= fl(ts[j], secs) == fl(ts[i], secs);
		if (!seen && fl(ts[i], secs) + secs > h)
			k++;
	}
	return k;
}

static int64_t all_rows(const char *p)
{
	return q1(p, "SELECT (SELECT count(*) FROM lve_raw) + (SELECT count(*) FROM lve_minute) + "
		     "(SELECT count(*) FROM lve_hour) + (SELECT count(*) FROM lve_day)");
}

/*
 * keep_raw_hours 3, keep_minute_days 1, keep_history_days 2: each table
 * loses exactly its rows older than its own horizon (raw ts < now - 3 h,
 * minutes ended by now - 1 d, hours and days ended by now - 2 d), the
 * horizons are recorded, only this server's rows go, and a run with an
 * earlier clock moves nothing back.
 */
TEST(retention_tiers_delete_exactly_the_old_rows)
{
	const int64_t now = 1700001234;
	const int64_t h[LVE_LEVELS] = { now - 3 * 3600, now - 86400, now - 2 * 86400, now - 2 * 86400 };
	static const int64_t off[] = { -3601, -3600, -61, -60, -1, 0, 1, 59, 3599 };
	struct lve_db *db = NULL, *other = NULL;
	struct lvestats_conf c;
	struct lve_sample s;
	const char *p;
	char sql[256];
	int64_t ts[64], before, after;
	size_t n = 0;
	int r;

	TMPDIR();
	p = dbpath("stats.db");
	/* around every horizon, plus something ancient and now */
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < ELEMENTSOF(off); i++)
			ts[n++] = h[l] + off[i];
	ts[n++] = h[3] - 5 * 86400;
	ts[n++] = now;
	c = conf_tiers(p, "localhost", 3, 1, 2);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	c = conf_tiers(p, "srv2", 3, 1, 2);
	ASSERT_EQ(lve_db_open(&c, &other), 0);
	for (size_t i = 0; i < n; i++) {
		s = mk(1, ts[i]);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		s = mk(2, ts[i]);
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
		ASSERT_EQ(lve_db_insert(other, &s, 1), 0);
	}
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	ASSERT_EQ(lve_db_flush(other, 0), 0);
	ASSERT(rollups_consistent(p));
	before = all_rows(p);
	r = lve_db_retention(db, now);
	ASSERT_OK(r);
	after = all_rows(p);
	ASSERT_EQ(r, before - after);

	/* raw: ts < h0 gone, every other sample of both LVEs stays */
	{
		int64_t keep = 0;

		for (size_t i = 0; i < n; i++)
			keep += ts[i] >= h[0];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_raw WHERE server_id = 'localhost' AND ts < %lld",
			 (long long)h[0]);
		ASSERT_EQ(q1(p, sql), 0);
		ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw WHERE server_id = 'localhost'"), 2 * keep);
		ASSERT(keep > 0 && keep < (int64_t)n);
	}
	/* rollups: the buckets that ended by their table's horizon are gone, the others all stay */
	for (int l = 1; l < LVE_LEVELS; l++) {
		int64_t want = buckets_after(ts, n, lve_level_secs[l], h[l]);

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'localhost' AND t + %lld <= %lld",
			 lve_level_table[l], (long long)lve_level_secs[l], (long long)h[l]);
		ASSERT_EQ(q1(p, sql), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE server_id = 'localhost'", lve_level_table[l]);
		if (q1(p, sql) != 2 * want)
			TAP_FAIL("%s: %lld rows, want %lld", lve_level_table[l], (long long)q1(p, sql), (long long)(2 * want));
		/* and they still hold every sample of their buckets */
		snprintf(sql, sizeof(sql), "SELECT min(n) FROM %s WHERE server_id = 'localhost'", lve_level_table[l]);
		ASSERT(q1(p, sql) >= 1);
	}
	/* the minute table lost minutes the hour table kept: the tiers differ */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_minute WHERE server_id = 'localhost' AND t < %lld",
		 (long long)(h[1] - 3600));
	ASSERT_EQ(q1(p, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_hour WHERE server_id = 'localhost' AND t < %lld",
		 (long long)(h[1] - 3600));
	ASSERT(q1(p, sql) > 0);
	/* horizons recorded per table and server */
	for (int l = 0; l < LVE_LEVELS; l++) {
		ASSERT_EQ(horizon_of(p, l, "localhost"), h[l]);
		ASSERT_EQ(horizon_of(p, l, "srv2"), INT64_MIN);
	}
	/* the other server's rows are untouched */
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw WHERE server_id = 'srv2'"), (int64_t)n);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_day WHERE server_id = 'srv2'"), (int64_t)n);
	/* again: nothing more; an earlier clock neither deletes nor moves a horizon back */
	ASSERT_EQ(lve_db_retention(db, now), 0);
	ASSERT_EQ(lve_db_retention(db, now - 7200), 0);
	for (int l = 0; l < LVE_LEVELS; l++)
		ASSERT_EQ(horizon_of(p, l, "localhost"), h[l]);
	ASSERT_EQ(all_rows(p), after);
	/* an hour later: one more hour of raw rows goes */
	r = lve_db_retention(db, now + 3600);
	ASSERT(r > 0);
	ASSERT_EQ(horizon_of(p, 0, "localhost"), h[0] + 3600);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_raw WHERE server_id = 'localhost' AND ts < %lld",
		 (long long)(h[0] + 3600));
	ASSERT_EQ(q1(p, sql), 0);
	ASSERT_ERR(lve_db_retention(db, -1), EINVAL);
	ASSERT_ERR(lve_db_retention(NULL, now), EINVAL);
	lve_db_close(db);
	lve_db_close(other);
	ASSERT(integrity_ok(p));
	return 0;
}

/* The default tiers and the clamping of the handle's horizons. */
TEST(retention_default_and_clamped_tiers)
{
	const int64_t now = 1700001234;
	struct lve_db *db = NULL;
	struct lvestats_conf c;
	struct lve_sample s = mk(1, now);
	const char *p;

	TMPDIR();
	p = dbpath("stats.db");
	/* 0 = defaults: 24 h, 7 d, 60 d */
	c = conf_tiers(p, "localhost", 0, 0, 0);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	ASSERT_OK(lve_db_retention(db, now));
	lve_db_close(db);
	ASSERT_EQ(horizon_of(p, 0, "localhost"), now - 24 * 3600);
	ASSERT_EQ(horizon_of(p, 1, "localhost"), now - 7 * 86400);
	ASSERT_EQ(horizon_of(p, 2, "localhost"), now - 60 * 86400);
	ASSERT_EQ(horizon_of(p, 3, "localhost"), now - 60 * 86400);
	/* finer tiers longer than coarser ones are clamped: raw 100 h -> 2 d -> 2 d */
	c = conf_tiers(p, "b", 100, 30, 2);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	ASSERT_OK(lve_db_retention(db, now));
	lve_db_close(db);
	for (int l = 0; l < LVE_LEVELS; l++)
		ASSERT_EQ(horizon_of(p, l, "b"), now - 2 * 86400);
	return 0;
}

/*
 * Hand-computed answers across the horizons (keep_raw_hours 1,
 * keep_minute_days 1, keep_history_days 2), LVE 1's aCPU only:
 *   D = a UTC midnight, now = D + 2 d + 5 h + 1830 s:
 *   h0 = now - 1 h = D + 2 d + 4 h + 1830 (raw), h1 = now - 1 d (minute),
 *   h2 = h3 = now - 2 d = D + 5 h + 1830 (hour, day).
 */
TEST(query_across_horizons_hand_computed)
{
	const int64_t D = 1700006400, now = D + 2 * 86400 + 5 * 3600 + 1830;
	const int64_t h0 = now - 3600, h1 = now - 86400;
	const struct {
		int64_t ts;
		uint32_t cpu;
	} smp[] = {
		{ h0 - 30, 100 }, { h0 - 10, 200 }, { h0 + 10, 400 }, { h0 + 40, 800 },                /* raw edge */
		{ h1 - 1000, 1000 }, { h1 + 1170, 3000 }, { D + 86400 + 6 * 3600 + 5, 5 },             /* minute edge */
		{ D + 100, 7 }, { D + 20000, 20000 },                                                   /* day edge */
	};
	const struct {
		int64_t from, to;     /* asked */
		int64_t ufrom, uto;   /* covered */
		uint64_t n;
		double acpu;
	} q[] = {
		/* older than raw: whole minutes [h0 - 30, h0 + 30), from lve_minute (raw rows gone) */
		{ h0 - 25, h0 + 20, h0 - 30, h0 + 30, 3, 700.0 / 3 },
		/* inside raw's reach: exact */
		{ h0 + 5, h0 + 45, h0 + 5, h0 + 45, 2, 600 },
		{ h0, h0 + 11, h0, h0 + 11, 1, 400 },
		/* older than the minute horizon: whole hours */
		{ h1 - 1000, h1 - 900, D + 86400 + 5 * 3600, D + 86400 + 6 * 3600, 2, 2000 },
		/* older than the hour horizon: the day; before all history: from the first day kept */
		{ D - 86400, D + 3600, D, D + 86400, 2, 10003.5 },
		{ D + 50, D + 150, D, D + 86400, 2, 10003.5 },
		/* a range wholly before the history: nothing, covered [to, to) */
		{ D - 3 * 86400, D - 86400, D - 86400, D - 86400, 0, 0 },
	};
	struct lve_db *db = NULL;
	struct lvestats_conf c;
	const char *p;
	char sql[256];

	TMPDIR();
	p = dbpath("stats.db");
	c = conf_tiers(p, "localhost", 1, 1, 2);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (size_t i = 0; i < ELEMENTSOF(smp); i++) {
		struct lve_sample s = { .id = 1, .ts = smp[i].ts, .interval = 5, .aCPU = smp[i].cpu };

		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	}
	/* before retention every range is exact, nothing widened */
	{
		struct lve_agg *a = NULL;
		struct lve_query_span u;

		ASSERT_EQ(lve_db_query_span(db, &(struct lve_query){ .from = h0 - 25, .to = h0 + 20 }, &a, &u), 1);
		ASSERT(u.from == h0 - 25 && u.to == h0 + 20);
		ASSERT_EQ(a[0].n, 2);
		free(a);
	}
	ASSERT(lve_db_retention(db, now) > 0);
	/* the old raw rows really are gone: answers come from the rollups */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_raw WHERE ts < %lld", (long long)h0);
	ASSERT_EQ(q1(p, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_minute WHERE t < %lld", (long long)(h1 - 60));
	ASSERT_EQ(q1(p, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM lve_hour WHERE t = %lld", (long long)D);
	ASSERT_EQ(q1(p, sql), 0);
	for (size_t i = 0; i < ELEMENTSOF(q); i++) {
		struct lve_agg *a = NULL;
		struct lve_query_span u = { 0, 0 };
		int r = lve_db_query_span(db, &(struct lve_query){ .from = q[i].from, .to = q[i].to, .id = 0 }, &a, &u);

		if (u.from != q[i].ufrom || u.to != q[i].uto)
			TAP_FAIL("query %zu: covered [%lld, %lld), want [%lld, %lld)", i, (long long)(u.from - D),
				 (long long)(u.to - D), (long long)(q[i].ufrom - D), (long long)(q[i].uto - D));
		if (q[i].n == 0) {
			ASSERT_EQ(r, 0);
			continue;
		}
		ASSERT_EQ(r, 1);
		if (a[0].n != q[i].n || a[0].v[LVE_COL_ACPU] != q[i].acpu)
			TAP_FAIL("query %zu: n %llu aCPU %.17g, want %llu %.17g", i, (unsigned long long)a[0].n,
				 a[0].v[LVE_COL_ACPU], (unsigned long long)q[i].n, q[i].acpu);
		free(a);
	}
	/* a reader handle (lveinfo) answers the same */
	lve_db_close(db);
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	{
		struct lve_agg *a = NULL;
		struct lve_query_span u;

		ASSERT_EQ(lve_db_query_span(db, &(struct lve_query){ .from = h1 - 1000, .to = h1 - 900, .id = 1 }, &a, &u), 1);
		ASSERT(u.from == D + 86400 + 5 * 3600 && u.to == D + 86400 + 6 * 3600);
		ASSERT(a[0].v[LVE_COL_ACPU] == 2000);
		free(a);
	}
	lve_db_close(db);
	return 0;
}

/* Random history of 5 days with ~3,600 passes; s[] holds it. */
static size_t random_history(struct lve_db *db, int64_t T0, int days, struct lve_sample *s, size_t cap)
{
	size_t n = 0;

	for (int64_t ts = T0; ts < T0 + days * 86400 && n + 6 < cap; ts += 20 + (int64_t)(rnd() % 200)) {
		size_t k = 1 + rnd() % 6, first = n;

		if (rnd() % 4 == 0)
			ts += (60 - ts % 60) % 60;
		for (size_t i = 0; i < k; i++)
			s[n++] = mk((uint32_t)(1 + i * 3 + rnd() % 3), ts);
		for (size_t i = first; i < n; i++)
			for (size_t j = first; j < i; j++)
				if (s[i].id == s[j].id)
					s[i].id += 100;
		if (lve_db_insert(db, s + first, n - first) != 0)
			return 0;
	}
	return n;
}

/* A random range around [lo, hi), of the kinds of query_equals_brute_force. */
static void random_range(int iter, int64_t lo, int64_t hi, const struct lve_sample *s, size_t n, int64_t *from,
			 int64_t *to)
{
	int64_t f = lo - 100 + (int64_t)(rnd() % (uint64_t)(hi - lo + 200)), t;

	switch (iter % 6) {
	case 5: {
		int64_t x = s[rnd() % n].ts, y = s[rnd() % n].ts;

		f = x < y ? x : y;
		t = x < y ? y : x;
		break;
	}
	case 0: t = f + (int64_t)(rnd() % 300); break;
	case 1: t = f + (int64_t)(rnd() % 10000); break;
	case 2: t = f + (int64_t)(rnd() % (3 * 86400)); break;
	case 3:
		f -= fl(f, 60) == f ? 0 : f - fl(f, 60);
		t = f + 60 * (int64_t)(rnd() % 3000);
		break;
	default:
		f = fl(f, 86400);
		t = f + 86400 * (int64_t)(1 + rnd() % 3) + (int64_t)(rnd() % 2) * 3600;
	}
	*from = f;
	*to = t;
}

/*
 * Tiers raw 30 h, minutes 2 d, history 4 d over 5 days of random history:
 * every random range's answer equals the brute force over the range the
 * query reports, and that range is the one the retention rules allow.
 */
TEST(query_across_horizons_equals_brute_force)
{
	const int64_t T0 = 1700000000 - 1700000000 % 86400 - 3 * 3600, now = T0 + 5 * 86400 + 1241;
	const int64_t h[LVE_LEVELS] = { now - 30 * 3600, now - 2 * 86400, now - 4 * 86400, now - 4 * 86400 };
	size_t n, cap = 20000;
	struct lve_sample *s = calloc(cap, sizeof(*s));
	struct lve_db *db = NULL;
	struct lvestats_conf c;
	int bad = 0, widened = 0;
	const char *p;

	ASSERT(s);
	TMPDIR();
	p = dbpath("stats.db");
	c = conf_tiers(p, "localhost", 30, 2, 4);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	n = random_history(db, T0, 5, s, cap);
	ASSERT(n > 3000);
	ASSERT(lve_db_retention(db, now) > 0);
	for (int l = 0; l < LVE_LEVELS; l++)
		ASSERT_EQ(horizon_of(p, l, "localhost"), h[l]);
	for (int iter = 0; iter < 600 && !bad; iter++) {
		struct lve_query_span u;
		int64_t from, to;
		uint32_t id = iter % 3 == 0 ? s[rnd() % n].id : 0;

		random_range(iter, T0, now, s, n, &from, &to);
		if (iter % 10 == 9) {
			/* right at a horizon */
			from = h[rnd() % LVE_LEVELS] + (int64_t)(rnd() % 121) - 60;
			to = from + (int64_t)(rnd() % 200000);
		}
		bad = check_range_span(db, s, n, from, to, id, &u);
		bad = bad ?: check_span(from, to, h, u);
		widened += u.from != from || u.to != to;
	}
	lve_db_close(db);
	free(s);
	ASSERT_EQ(bad, 0);
	ASSERT(widened > 100); /* the test went past the horizons */
	return 0;
}

/*
 * A backlog (8 hours of raw rows, 1 hour kept) removed one chunk per call
 * (retention_chunks 1): pending until done, each call's horizons recorded,
 * and every query between the calls exact.
 */
TEST(retention_in_chunks_keeps_queries_exact)
{
	const int64_t T0 = 1700006400, now = T0 + 8 * 3600 + 617;
	size_t n = 0, cap = 6000;
	struct lve_sample *s = calloc(cap, sizeof(*s));
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lvestats_conf c;
	int64_t last[LVE_LEVELS] = { INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN }, keep = 0;
	int calls = 0, bad = 0, r;
	const char *p;

	ASSERT(s);
	TMPDIR();
	p = dbpath("stats.db");
	c = conf_tiers(p, "localhost", 1, 1, 1);
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (int64_t ts = T0; ts < T0 + 8 * 3600; ts += 10) {
		s[n] = mk(1, ts);
		s[n + 1] = mk(2, ts);
		ASSERT_EQ(lve_db_insert(db, s + n, 2), 0);
		n += 2;
	}
	ASSERT_OK(lve_db_tune(db, &(struct lve_db_tuning){ .retention_chunks = 1 }));
	ASSERT_ERR(lve_db_tune(db, &(struct lve_db_tuning){ .retention_chunks = -1 }), EINVAL);
	ASSERT_ERR(lve_db_tune(db, &(struct lve_db_tuning){ .retention_budget_ms = -1 }), EINVAL);
	do {
		int64_t h[LVE_LEVELS];

		r = lve_db_retention(db, now);
		ASSERT_OK(r);
		lve_db_status(db, &st);
		calls++;
		for (int l = 0; l < LVE_LEVELS; l++) {
			h[l] = horizon_of(p, l, "localhost");
			ASSERT(h[l] >= last[l]); /* only forward */
			last[l] = h[l];
		}
		for (int k = 0; k < 6 && !bad; k++) {
			struct lve_query_span u;
			int64_t from, to;

			random_range(k, T0, now, s, n, &from, &to);
			bad = check_range_span(db, s, n, from, to, k % 2 ? 1 : 0, &u);
			bad = bad ?: check_span(from, to, h, u);
		}
		ASSERT_EQ(bad, 0);
	} while (st.retention_pending && calls < 1000);
	ASSERT(calls > 20);
	ASSERT(!st.retention_pending);
	ASSERT_EQ(last[0], now - 3600);
	for (size_t i = 0; i < n; i++)
		keep += s[i].ts >= now - 3600;
	ASSERT_EQ(q1(p, "SELECT count(*) FROM lve_raw"), keep);
	/* a call with the default budget finds nothing left */
	ASSERT_OK(lve_db_tune(db, &(struct lve_db_tuning){ .retention_chunks = 1000000 }));
	ASSERT_EQ(lve_db_retention(db, now), 0);
	lve_db_status(db, &st);
	ASSERT(!st.retention_pending);
	lve_db_close(db);
	free(s);
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
	/*
	 * the raw rows of dropped passes are lost, not their part of the rollups
	 * (accumulated in memory when the pass was taken): every sample taken
	 */
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_raw"), 30);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_day"), 80);
	ASSERT_EQ(q1(p, "SELECT sum(n) FROM lve_minute"), 80);
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

/* Writers of later rounds write later times, as a restarted lved does. */
static int writer_loop(const char *p, int round)
{
	struct lve_db *db = NULL;
	struct lve_sample pass[300];

	if (open_db(p, &db) < 0)
		return 1;
	for (int64_t ts = 1700000000 + (int64_t)round * 1000000 + (int64_t)(rnd() % 100000) * 5;; ts += 5) {
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
			_exit(writer_loop(p, round));
		nanosleep(&d, NULL);
		ASSERT_EQ(kill(pid, SIGKILL), 0);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if (access(p, F_OK) != 0)
			continue; /* killed before the file existed */
		ASSERT(integrity_ok(p));
		/* the buckets the killed writer had open are rebuilt from lve_raw by the next writer */
		{
			struct lve_db *db = NULL;

			ASSERT_EQ(open_db(p, &db), 0);
			lve_db_close(db);
		}
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
#ifdef HAVE_MYSQL
	ASSERT_ERR(lve_db_open(&c, &db), EINVAL); /* [i10] mysql is served: it needs connect_string */
#else
	ASSERT_ERR(lve_db_open(&c, &db), EOPNOTSUPP); /* built without libmariadb */
#endif
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
	s.ts += 5;
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
	s.ts += 5;
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
