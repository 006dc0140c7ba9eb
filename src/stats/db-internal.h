/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db-internal.h - what db.c (queue, dispatch, parsers, SQL text) shares with
 * its backends db-sqlite.c and db-pg.c. Not installed, not public.
 *
 * Schema (both backends; lower-case names so PostgreSQL needs no quoting):
 *
 *   lve_raw     one row per sample, or per run of identical idle samples:
 *               server_id, id, ts (of the run's first sample), n (samples,
 *               1 unless a run; schema 2), secs (sum of their intervals),
 *               every usage/limit/fault field of struct lve_sample under its
 *               lower-cased name (acpu, lcpu, cpuf, ...) as in each sample,
 *               nprocs, nthreads. A run never crosses a minute boundary.
 *               PRIMARY KEY (server_id, ts, id).
 *   lve_minute  one row per (server_id, id, t = ts - ts % 60):
 *   lve_hour    ... t = ts - ts % 3600:
 *   lve_day     ... t = ts - ts % 86400 (UTC days):
 *               n (samples), secs (sum of interval), <usage>_sum (sum of the
 *               usage values: the average is <usage>_sum / n), <limit> (max),
 *               <fault> (sum). PRIMARY KEY (server_id, t, id).
 *   lve_meta    key/value: schema_version; "horizon.<table>.<server_id>" =
 *               the largest retention horizon applied to that table for that
 *               server (decimal unix seconds): lve_raw holds every sample
 *               with ts >= it, a rollup every bucket with t + secs > it.
 *
 * The writer (db.c) keeps per LVE, in memory, the open run of idle samples
 * (struct lve_sample.quiet with the same values as the last one, inside one
 * minute) and the open minute, hour and day buckets. A non-idle sample is a
 * raw row of the pass at once; a run becomes one when it ends. A bucket is
 * written when it closes (the first row of a later bucket, or the minute
 * tick for LVEs that went silent), as an upsert that adds to the stored row,
 * in the same transaction as the raw rows that closed it: a closed bucket
 * always equals the aggregate of the raw rows it covers (until retention
 * removes raw rows). lve_db_flush(), lve_db_close() and a query through the
 * writer also write the open buckets as partial rows (later rows add to
 * them). After a crash the open buckets are rebuilt when a writer connects:
 * for each level, its rows from the bucket holding the newest raw ts on are
 * replaced by the aggregate of the finer level (backend op recover).
 * A row that arrives after retention passed its ts (a queue caught up late)
 * lands in tables whose horizon it is older than; queries never read those
 * parts, so they stay exact.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "stats.h"

#define LVE_DB_SCHEMA_VERSION 2 /* 2: lve_raw.n */

/* Columns of struct lve_sample stored per sample (besides id, ts, interval). */
enum lve_field_kind { LVE_FK_USAGE, LVE_FK_LIMIT, LVE_FK_FAULT };
struct lve_field {
	const char *col;  /* column name (lower case) */
	enum lve_field_kind kind;
	size_t off;       /* offset in struct lve_sample */
	unsigned size;    /* 4 or 8 (unsigned) */
};
/* The 21 fields in enum lve_col order (aCPU lCPU CPUf aEP ... IOPSf). */
extern const struct lve_field lve_fields[LVE_COL_ANYF] _hidden_;
/* Field value as stored: unsigned clamped to INT64_MAX. */
int64_t lve_field_get(const struct lve_sample *s, unsigned i) _hidden_;

#define LVE_LEVELS 4 /* lve_raw and the rollups, finest first (see below) */

/* One raw row: a sample, or a run of n identical idle samples starting at s.ts. */
struct lve_rawrow {
	struct lve_sample s;
	int64_t n, secs;
};

/* One rollup row (or the part of it to add): v = usage sums, limit maxima, fault sums. */
struct lve_rollrow {
	uint32_t id;
	int64_t t, n, secs;
	int64_t v[LVE_COL_ANYF];
};

/* What one transaction writes: raw rows and rollup rows (roll[0] unused). */
struct lve_pass {
	struct lve_pass *next;
	int64_t ts;  /* newest ts / t of the batch */
	size_t n;    /* rows in all */
	struct lve_rawrow *raw;
	size_t nraw, capraw;
	struct lve_rollrow *roll[LVE_LEVELS];
	size_t nroll[LVE_LEVELS], caproll[LVE_LEVELS];
};

/*
 * Levels of storage: lve_raw and the rollups, finest first. A query range
 * [from, to) is split so each part is read from the coarsest level whose
 * buckets it covers whole: r[level][0] and r[level][1] are half-open
 * ranges of ts (raw) or t (rollups), empty when a >= b.
 */
extern const char *const lve_level_table[LVE_LEVELS] _hidden_; /* "lve_raw", "lve_minute", ... */
extern const int64_t lve_level_secs[LVE_LEVELS] _hidden_;      /* 1, 60, 3600, 86400 */
struct lve_query_plan {
	int64_t r[LVE_LEVELS][2][2];
};
void lve_query_plan_make(int64_t from, int64_t to, struct lve_query_plan *out) _hidden_;
/*
 * The plan over what retention left: horizon[l] as recorded in lve_meta
 * (LVE_NO_HORIZON: the table was never trimmed). Every part of the plan is
 * read from a table that holds it whole; [*from_used, *to_used) is the
 * range covered (see lve_db_query in stats.h).
 */
#define LVE_NO_HORIZON INT64_MIN
void lve_query_plan_tiered(int64_t from, int64_t to, const int64_t horizon[LVE_LEVELS], struct lve_query_plan *out,
			   int64_t *from_used, int64_t *to_used) _hidden_;
/* lve_meta key of a table's horizon: "horizon.<table>.<server_id>" (size >= 64). */
void lve_horizon_key(char *buf, size_t size, int level, const char *server_id) _hidden_;
/* Bucket start of ts at a level (floor to its seconds). */
int64_t lve_bucket(int64_t ts, int level) _hidden_;

enum lve_sql_style { LVE_SQL_SQLITE, LVE_SQL_PG };
/* malloc'd SQL text; NULL on ENOMEM. */
char *lve_sql_schema(enum lve_sql_style st) _hidden_;
/*
 * The aggregate query (PostgreSQL): parameters 1 server_id, then for each
 * level and part the bounds a, b (2 .. 1 + 4 * LVE_LEVELS), then id when
 * with_id. Result columns: id, n, the 21 lve_fields aggregates (usage: sum,
 * limit: max, fault: sum). Ordered by id.
 */
char *lve_sql_query(enum lve_sql_style st, bool with_id) _hidden_;
/*
 * Rebuild of `level`'s rows (1..3) from the finer level, from bucket start
 * param 2 on (server_id param 1): INSERT INTO <level> SELECT ... GROUP BY.
 */
char *lve_sql_recover(enum lve_sql_style st, int level) _hidden_;
/* One level's rows of one range (SQLite aggregates in C): id, n, the 21 columns (raw: not times n).
 * pa < 0: of the one ts|t given as parameter -pa instead of a range [i12]. */
char *lve_sql_branch(enum lve_sql_style st, int level, int pa, int pid) _hidden_;

struct lve_db_ops;
struct lve_open;

struct lve_db {
	const struct lve_db_ops *ops;
	void *be;                /* backend state */
	unsigned flags;          /* LVE_DB_READONLY */
	char server_id[11];
	uint32_t keep_days;       /* hour, day */
	uint32_t keep_minute_days;/* <= keep_days */
	uint32_t keep_raw_hours;  /* <= 24 * keep_minute_days */
	int64_t ret_span[LVE_LEVELS]; /* retention chunk, seconds of ts/t (halved on a server timeout) */
	bool ret_pending;
	int ret_budget_ms, ret_chunks;
	char *sqlite_path;
	struct lve_pg_conninfo *pg;

	/* timeouts (ms); no new connection attempt before retry_at (monotonic usec) */
	int busy_ms, connect_ms, query_ms;
	int64_t retry_at;

	/* the writer's open runs and buckets (db.c), by LVE id */
	struct lve_open *open;   /* dense, open_used of open_cap */
	size_t open_cap, open_used;
	uint32_t *open_idx;      /* positions in open by id hash, UINT32_MAX empty */
	size_t open_icap;
	int64_t tick_minute;     /* minute of the last tick */
	bool recovered;          /* recover() done on this handle */

	/* batches not stored yet, oldest first */
	struct lve_pass *head, *tail;
	size_t q_passes, q_samples;
	size_t max_samples;
	int64_t max_age;
	uint64_t dropped, stored;

	int last_error;
	char msg[256];
	char moved_aside[PATH_MAX];
	uint64_t recreated;
};

struct lve_db_ops {
	/* Connect / open the file; creates the schema unless READONLY. */
	int (*connect)(struct lve_db *db);
	void (*disconnect)(struct lve_db *db);
	bool (*connected)(struct lve_db *db);
	/*
	 * One batch in one transaction: raw rows inserted (a row already there
	 * is ignored), rollup rows added to the stored ones (n, secs, usage and
	 * fault sums added, limits max). -EUCLEAN: the database is corrupt.
	 */
	int (*insert)(struct lve_db *db, const struct lve_pass *p);
	/*
	 * After a crash: in one transaction, for level 1..3, delete server_id's
	 * rows with t >= the bucket of the newest raw ts and insert the
	 * aggregate of the finer level from there (lve_sql_recover).
	 */
	int (*recover)(struct lve_db *db);
	/*
	 * Oldest ts (raw) / t (rollups) of db->server_id's rows in a level's
	 * table into *out, INT64_MAX when it has none.
	 */
	int (*oldest)(struct lve_db *db, int level, int64_t *out);
	/*
	 * In one transaction: delete db->server_id's rows of a level's table
	 * with ts / t < before, and raise its recorded horizon to horizon.
	 * Adds the rows removed to *removed.
	 */
	int (*retention)(struct lve_db *db, int level, int64_t before, int64_t horizon, uint64_t *removed);
	/*
	 * In one snapshot: read server_id's horizons, plan [from, to) with
	 * lve_query_plan_tiered(), aggregate. *used = the range covered.
	 */
	int (*query)(struct lve_db *db, const char *server_id, int64_t from, int64_t to, uint32_t id,
		     struct lve_agg **out, size_t *n, struct lve_query_span *used);
	/* Move a corrupt database aside and start a new one (SQLite only; NULL elsewhere). */
	int (*recreate)(struct lve_db *db);
};

extern const struct lve_db_ops lve_db_sqlite_ops _hidden_;
extern const struct lve_db_ops lve_db_pg_ops _hidden_;
extern const struct lve_db_ops lve_db_mysql_ops _hidden_; /* db-mysql.c [i10] */

/*
 * [i12] Decimal text of v at p (at most 20 bytes, no NUL); returns the end.
 * The backends format 10,000s of values per pass: printf costs ~10x more.
 */
static inline char *lve_fmt_i64(char *p, int64_t v)
{
	char tmp[20];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = 0;

	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* printf into db->msg (the backend's last error text). */
void lve_db_set_msg(struct lve_db *db, const char *fmt, ...) _hidden_ __attribute__((format(printf, 2, 3)));

/* Monotonic clock, microseconds. */
int64_t lve_db_now_usec(void) _hidden_;

/* One result row (n samples; vals: usage sums, limit maxima, fault sums) -> struct lve_agg. */
int lve_agg_from_row(struct lve_agg *a, uint32_t id, int64_t n, const int64_t *vals) _hidden_;

/*
 * Accumulator of rows per LVE id (hash table), for backends that aggregate
 * in C: add raw rows (n = 1, vals = the sample) or rollup rows; sums
 * saturate at INT64_MAX. take: struct lve_agg array sorted by id.
 */
struct lve_acc;
int lve_acc_new(struct lve_acc **out) _hidden_;
void lve_acc_free(struct lve_acc *a) _hidden_;
int lve_acc_add(struct lve_acc *a, uint32_t id, int64_t n, const int64_t *vals) _hidden_;
int lve_acc_take(struct lve_acc *a, struct lve_agg **out, size_t *n) _hidden_;
