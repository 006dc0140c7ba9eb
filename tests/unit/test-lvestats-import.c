/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lvestats-import - the lvestats-import binary on lve-stats 2 SQLite
 * databases the test creates (table lve_stats2_history), read back through
 * openlve's own history queries (lve_db_query), and every bad input refused
 * with nothing imported: not a database, a damaged file, the wrong schema,
 * bad values, duplicate rows, an import repeated over the same range.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "macro.h"
#include "runtool.h"
#include "stats.h"
#include "tap.h"

static char dir[256];

static const char schema[] =
	"CREATE TABLE lve_stats2_history (id INTEGER, cpu INTEGER, cpu_limit INTEGER, cpu_fault INTEGER, "
	"mep INTEGER, mep_limit INTEGER, io INTEGER, io_limit INTEGER, mem INTEGER, mem_limit INTEGER, "
	"mem_fault INTEGER, mep_fault INTEGER, created INTEGER, server_id CHAR(10), memphy_limit INTEGER, "
	"memphy INTEGER, memphy_fault INTEGER, nproc_limit INTEGER, nproc INTEGER, nproc_fault INTEGER, "
	"iops_limit INTEGER, iops INTEGER, iops_fault INTEGER);";

static int64_t t0;

/* Source with `minutes` rows for LVE 1001 (25% CPU) and 1002 (50%), one PMEM fault each at minute 3. */
static int make_source(const char *path, const char *create, int minutes, const char *extra_sql)
{
	sqlite3 *db = NULL;
	char sql[1024];
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, create, NULL, NULL, NULL);
	for (int k = 0; rc == SQLITE_OK && k < minutes; k++)
		for (int id = 1001; rc == SQLITE_OK && id <= 1002; id++) {
			snprintf(sql, sizeof(sql),
				 "INSERT INTO lve_stats2_history (id, cpu, cpu_limit, cpu_fault, mep, mep_limit, io, "
				 "io_limit, mem, mem_limit, mem_fault, mep_fault, created, server_id, memphy_limit, "
				 "memphy, memphy_fault, nproc_limit, nproc, nproc_fault, iops_limit, iops, iops_fault) "
				 "VALUES (%d, %d, 10000, 0, 1, 20, 1000, 1048576, 0, 0, 0, 0, %" PRId64
				 ", 'localhost', 262144, 2560, %d, 100, 4, 0, 1024, 9, 0)",
				 id, id == 1001 ? 2500 : 5000, t0 + 60 * k, k == 3);
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		}
	if (rc == SQLITE_OK && extra_sql)
		rc = sqlite3_exec(db, extra_sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}

static char *p(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int setup(void)
{
	FILE *f;

	if (tap_mktemp(dir, sizeof(dir)) < 0)
		return -1;
	t0 = (int64_t)time(NULL) / 3600 * 3600 - 2 * 3600; /* two hours ago, on the hour */
	f = fopen(p("conf"), "w");
	if (!f)
		return -1;
	fprintf(f, "db_type = sqlite\nsqlite_path = %s\nserver_id = localhost\n", p("dest.db"));
	return fclose(f);
}

/* Aggregates of the destination over the source's range. */
static int dest_aggs(struct lve_agg **out)
{
	struct lvestats_conf conf = { 0 };
	struct lve_db *db = NULL;
	unsigned line = 0;
	int r;

	r = lvestats_conf_load(p("conf"), &conf, &line);
	if (r < 0)
		return r;
	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	if (r >= 0)
		r = lve_db_query(db, &(struct lve_query){ .from = t0, .to = t0 + 3600 }, out);
	lve_db_close(db);
	lvestats_conf_free(&conf);
	return r;
}

#define IMPORT(r, ...) tool_run((r), "lvestats-import", (const char *const[]){ "--config", p("conf"), __VA_ARGS__, NULL })

TEST(imports_history_with_units_and_refuses_twice)
{
	struct tool_run r;
	_cleanup_free_ struct lve_agg *ag = NULL;

	ASSERT_OK(setup());
	ASSERT_OK(make_source(p("src.db"), schema, 30, NULL));
	ASSERT_OK(IMPORT(&r, "--dry-run", p("src.db")));
	ASSERT_EQ(r.code, 0);
	ASSERT(strstr(r.out, "60 rows in 30 passes"));
	ASSERT(access(p("dest.db"), F_OK) < 0); /* dry run wrote nothing */
	ASSERT_OK(IMPORT(&r, p("src.db")));
	ASSERT_EQ(r.code, 0);
	ASSERT(strstr(r.out, "imported 60 rows"));
	ASSERT_EQ(dest_aggs(&ag), 2);
	ASSERT_EQ(ag[0].id, 1001);
	ASSERT_EQ(ag[0].n, 30);
	ASSERT(ag[0].v[LVE_COL_ACPU] > 2499 && ag[0].v[LVE_COL_ACPU] < 2501);
	ASSERT(ag[1].v[LVE_COL_ACPU] > 4999 && ag[1].v[LVE_COL_ACPU] < 5001);
	/* pages -> bytes, bytes/s kept, faults summed */
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_LPMEM], 262144ULL * 4096);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_APMEM], 2560ULL * 4096);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_LIO], 1048576);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_PMEMF], 1);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_LNPROC], 100);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_AIOPS], 9);
	free(TAKE_PTR(ag));

	/* again: refused (the faults would count twice), nothing changed */
	ASSERT_OK(IMPORT(&r, p("src.db")));
	ASSERT_EQ(r.code, 1);
	ASSERT(strstr(r.err, "already holds history"));
	ASSERT_EQ(dest_aggs(&ag), 2);
	ASSERT_EQ((uint64_t)ag[0].v[LVE_COL_PMEMF], 1);
	ASSERT_EQ(ag[0].n, 30);
	free(TAKE_PTR(ag));
	/* --after: only the newer rows (none here) */
	ASSERT_OK(IMPORT(&r, "--after", "9999999999", p("src.db")));
	ASSERT_EQ(r.code, 0);
	ASSERT(strstr(r.out, "imported 0 rows"));
	return 0;
}

/* Every bad source: exit 1, one line naming the problem, the destination untouched. */
TEST(bad_sources_import_nothing)
{
	static const struct {
		const char *name, *create, *extra, *want;
	} cases[] = {
		{ "other.db", "CREATE TABLE history (id INTEGER, created INTEGER);", NULL, "no table lve_stats2_history" },
		{ "nocpu.db", "CREATE TABLE lve_stats2_history (id INTEGER, created INTEGER, mep INTEGER);", NULL,
		  "no column cpu" },
		{ "negative.db", schema, "UPDATE lve_stats2_history SET memphy = -5 WHERE created = (SELECT max(created) FROM lve_stats2_history);",
		  "row 19 of lve_stats2_history: bad value in column memphy" },
		{ "text.db", schema, "UPDATE lve_stats2_history SET cpu = 'x' WHERE rowid = 7;", "column cpu (not a number)" },
		{ "nullts.db", schema, "INSERT INTO lve_stats2_history (id, cpu, mep, io, memphy, nproc) VALUES (5, 1, 1, 1, 1, 1);",
		  "column created" },
		{ "dup.db", schema, "INSERT INTO lve_stats2_history SELECT * FROM lve_stats2_history WHERE rowid = 1;",
		  "has two rows" },
	};
	struct tool_run r;

	ASSERT_OK(setup());
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		ASSERT_OK(make_source(p(cases[i].name), cases[i].create, cases[i].create == schema ? 10 : 0,
				      cases[i].extra));
		ASSERT_OK(IMPORT(&r, p(cases[i].name)));
		if (r.code != 1 || !strstr(r.err, cases[i].want) || !strstr(r.err, "nothing was imported"))
			TAP_FAIL("%s: exit %d, stderr %s", cases[i].name, r.code, r.err);
		ASSERT(strchr(r.err, '\n') == r.err + strlen(r.err) - 1); /* one line */
		ASSERT(access(p("dest.db"), F_OK) < 0);
	}
	/* not SQLite at all */
	{
		FILE *f = fopen(p("junk.db"), "w");

		ASSERT(f);
		fputs("this is not a database, just text long enough to have a header...................\n", f);
		fclose(f);
		ASSERT_OK(IMPORT(&r, p("junk.db")));
		ASSERT_EQ(r.code, 1);
		ASSERT(strstr(r.err, "not a usable SQLite database"));
	}
	/* damaged: a valid source with a page overwritten */
	{
		FILE *f;
		char junk[4096];

		ASSERT_OK(make_source(p("damaged.db"), schema, 200, NULL));
		f = fopen(p("damaged.db"), "r+");
		ASSERT(f);
		memset(junk, 0xa5, sizeof(junk));
		ASSERT_EQ(fseek(f, 4096, SEEK_SET), 0);
		ASSERT_EQ(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
		fclose(f);
		ASSERT_OK(IMPORT(&r, p("damaged.db")));
		ASSERT_EQ(r.code, 1);
		ASSERT(strstr(r.err, "damaged") || strstr(r.err, "malformed") || strstr(r.err, "not a usable"));
		ASSERT(access(p("dest.db"), F_OK) < 0);
	}
	/* missing file; usage errors */
	ASSERT_OK(IMPORT(&r, p("none.db")));
	ASSERT_EQ(r.code, 1);
	ASSERT(strstr(r.err, "cannot read"));
	ASSERT_OK(IMPORT(&r, "--after", "x", p("src.db")));
	ASSERT_EQ(r.code, 2);
	ASSERT_OK(tool_run(&r, "lvestats-import", (const char *const[]){ NULL }));
	ASSERT_EQ(r.code, 2);
	ASSERT(access(p("dest.db"), F_OK) < 0);
	return 0;
}

TAP_MAIN()
