/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db-sqlite.c - SQLite backend of the statistics store (the default,
 * /var/lve/lvestats2.db). WAL journal with synchronous=NORMAL: a killed
 * writer (kill -9 at any point) leaves the last committed pass, never a
 * corrupt file. Writers use BEGIN IMMEDIATE and a bounded busy timeout,
 * so a lock held elsewhere turns into -EBUSY quickly. A file SQLite finds
 * corrupt (SQLITE_CORRUPT / SQLITE_NOTADB) is renamed to
 * "<path>.corrupt-YYYYmmddTHHMMSSZ" (its -wal beside it) and a new one is
 * created.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db-internal.h"
#include "pathsafe.h"

/*
 * ST_ROLL + level - 1: rollup upserts; ST_Q + 2 * level: range reads (all
 * LVEs); ST_NEXT / ST_POINT + level: one LVE's rows (skip scan, see sq_query).
 */
enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RAW,
	ST_HORIZON,
	ST_ROLL,
	ST_Q = ST_ROLL + LVE_LEVELS - 1,
	ST_NEXT = ST_Q + 2 * LVE_LEVELS,
	ST_POINT = ST_NEXT + LVE_LEVELS,
	ST__MAX = ST_POINT + LVE_LEVELS
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[ST__MAX];
};

static int sq_err(struct lve_db *db, sqlite3 *h, int rc, const char *what)
{
	int sys = h ? sqlite3_system_errno(h) : 0;

	lve_db_set_msg(db, "%s: %s: %s", db->sqlite_path, what, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		if (sys == ENOSPC || sys == EDQUOT)
			return -ENOSPC;
		if (sys == EACCES || sys == EPERM || sys == ENOENT || sys == EROFS || sys == ENOTDIR)
			return -sys;
		return -EIO;
	default:
		return -EIO;
	}
}

static void sq_disconnect(struct lve_db *db)
{
	struct sq *q = db->be;

	if (!q)
		return;
	for (int i = 0; i < ST__MAX; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close_v2(q->db);
	free(q);
	db->be = NULL;
}

static bool sq_connected(struct lve_db *db)
{
	return db->be != NULL;
}

static int prep(struct lve_db *db, struct sq *q, int idx, const char *sql)
{
	int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->st[idx], NULL);

	return rc == SQLITE_OK ? 0 : sq_err(db, q->db, rc, "prepare");
}

static char *upsert_sql(const char *table)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "INSERT INTO %s (server_id, id, t, n, secs", table);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		fprintf(f, ", %s%s", lve_fields[i].col, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
	fprintf(f, ") VALUES (?1, ?2, ?3, ?%u, ?4", 5 + LVE_COL_ANYF);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		fprintf(f, ", ?%u", 5 + i);
	fprintf(f, ") ON CONFLICT (server_id, t, id) DO UPDATE SET n = n + excluded.n, secs = secs + excluded.secs");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		const char *c = lve_fields[i].col;

		if (lve_fields[i].kind == LVE_FK_USAGE)
			fprintf(f, ", %s_sum = %s_sum + excluded.%s_sum", c, c, c);
		else if (lve_fields[i].kind == LVE_FK_LIMIT)
			fprintf(f, ", %s = max(%s, excluded.%s)", c, c, c);
		else
			fprintf(f, ", %s = %s + excluded.%s", c, c, c);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static char *raw_sql(void)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "INSERT OR IGNORE INTO lve_raw (server_id, id, ts, secs");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		fprintf(f, ", %s", lve_fields[i].col);
	fprintf(f, ", n, nprocs, nthreads) VALUES (?1, ?2, ?3, ?4");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		fprintf(f, ", ?%u", 5 + i);
	fprintf(f, ", ?%u, ?%u, ?%u)", 5 + LVE_COL_ANYF, 6 + LVE_COL_ANYF, 7 + LVE_COL_ANYF);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int writer_setup(struct lve_db *db, struct sq *q)
{
	_cleanup_free_ char *schema = NULL, *raw = NULL;
	sqlite3_stmt *st = NULL;
	char *err = NULL;
	int rc, r;

	/* journal_mode=WAL reads the header: a foreign or corrupt file fails here */
	rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "journal_mode=WAL");
	rc = sqlite3_exec(q->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "synchronous");
	schema = lve_sql_schema(LVE_SQL_SQLITE);
	if (!schema)
		return -ENOMEM;
	rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "begin");
	rc = sqlite3_exec(q->db, schema, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		r = sq_err(db, q->db, rc, "create schema");
		sqlite3_free(err);
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	rc = sqlite3_prepare_v2(q->db, "SELECT v FROM lve_meta WHERE k = 'schema_version'", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		int v = sqlite3_column_int(st, 0);

		if (v == 1) {
			/* schema 1 -> 2: runs of idle samples (lve_raw.n) */
			sqlite3_finalize(st);
			st = NULL;
			rc = sqlite3_exec(q->db,
					  "ALTER TABLE lve_raw ADD COLUMN n INTEGER NOT NULL DEFAULT 1; "
					  "UPDATE lve_meta SET v = '2' WHERE k = 'schema_version'",
					  NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				r = sq_err(db, q->db, rc, "upgrade schema 1 to 2");
				sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
				return r;
			}
			v = LVE_DB_SCHEMA_VERSION;
		}
		if (v != LVE_DB_SCHEMA_VERSION) {
			lve_db_set_msg(db, "%s: schema version %d, this openlve knows %d", db->sqlite_path, v,
				       LVE_DB_SCHEMA_VERSION);
			sqlite3_finalize(st);
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			return -EPROTONOSUPPORT;
		}
	}
	sqlite3_finalize(st);
	rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = sq_err(db, q->db, rc, "commit schema");
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}

	raw = raw_sql();
	if (!raw)
		return -ENOMEM;
	if ((r = prep(db, q, ST_BEGIN, "BEGIN IMMEDIATE")) < 0 || (r = prep(db, q, ST_COMMIT, "COMMIT")) < 0 ||
	    (r = prep(db, q, ST_ROLLBACK, "ROLLBACK")) < 0 || (r = prep(db, q, ST_RAW, raw)) < 0)
		return r;
	for (int l = 1; l < LVE_LEVELS; l++) {
		_cleanup_free_ char *up = upsert_sql(lve_level_table[l]);

		if (!up)
			return -ENOMEM;
		r = prep(db, q, ST_ROLL + l - 1, up);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Writers create the file (0600) and its directory (0755) when missing. */
static int precreate(struct lve_db *db)
{
	_cleanup_free_ char *dir = strdup(db->sqlite_path);
	char *slash;
	int fd;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			lve_db_set_msg(db, "%s: cannot create directory: %s", dir, strerror(e));
			return -e;
		}
	}
	fd = open(db->sqlite_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST) {
		int e = errno;
		lve_db_set_msg(db, "%s: cannot create: %s", db->sqlite_path, strerror(e));
		return -e;
	}
	return 0;
}

static int sq_connect(struct lve_db *db)
{
	bool ro = db->flags & LVE_DB_READONLY;
	struct sq *q;
	struct stat st;
	int rc, r;

	if (ro) {
		if (stat(db->sqlite_path, &st) < 0) {
			int e = errno;
			lve_db_set_msg(db, "%s: %s", db->sqlite_path,
				       e == ENOENT ? "no statistics database (is lved running?)" : strerror(e));
			return -e;
		}
	} else {
		char why[512];

		/* root writes here: refuse a path another user controls (pathsafe.h) */
		if (geteuid() == 0 && db->sqlite_path[0] == '/' &&
		    (r = ol_path_trusted(db->sqlite_path, why, sizeof(why))) < 0 && r != -ENOENT) {
			lve_db_set_msg(db, "%s: refusing an unsafe database path: %s", db->sqlite_path,
				       r == -EPERM || r == -ELOOP ? why : strerror(-r));
			return -EPERM;
		}
		r = precreate(db);
		if (r < 0)
			return r;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	rc = sqlite3_open_v2(db->sqlite_path, &q->db,
			     (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
				     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK) {
		r = sq_err(db, q->db, rc, "open");
		sqlite3_close_v2(q->db);
		free(q);
		return r;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, db->busy_ms);
	db->be = q;
	if (ro) {
		/* fail now, with a clear message, on a file that is not ours */
		rc = sqlite3_exec(q->db, "SELECT 1 FROM lve_hour LIMIT 0", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			r = sq_err(db, q->db, rc, "read");
			if ((rc & 0xff) == SQLITE_ERROR) {
				lve_db_set_msg(db, "%s: not an openlve statistics database (%s)", db->sqlite_path,
					       sqlite3_errmsg(q->db));
				r = -EPROTONOSUPPORT;
			}
			sq_disconnect(db);
			return r;
		}
		return 0;
	}
	r = writer_setup(db, q);
	if (r < 0) {
		sq_disconnect(db);
		return r;
	}
	return 0;
}

static int bind_raw(sqlite3_stmt *st, const char *sid, const struct lve_rawrow *r)
{
	const struct lve_sample *s = &r->s;
	int rc;

	sqlite3_reset(st);
	rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	rc = rc ?: sqlite3_bind_int64(st, 2, s->id);
	rc = rc ?: sqlite3_bind_int64(st, 3, s->ts);
	rc = rc ?: sqlite3_bind_int64(st, 4, r->secs);
	for (unsigned i = 0; i < LVE_COL_ANYF && !rc; i++)
		rc = sqlite3_bind_int64(st, 5 + (int)i, lve_field_get(s, i));
	rc = rc ?: sqlite3_bind_int64(st, 5 + LVE_COL_ANYF, r->n);
	rc = rc ?: sqlite3_bind_int64(st, 6 + LVE_COL_ANYF, s->nprocs);
	rc = rc ?: sqlite3_bind_int64(st, 7 + LVE_COL_ANYF, s->nthreads);
	return rc;
}

static int bind_roll(sqlite3_stmt *st, const char *sid, const struct lve_rollrow *r)
{
	int rc;

	sqlite3_reset(st);
	rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	rc = rc ?: sqlite3_bind_int64(st, 2, r->id);
	rc = rc ?: sqlite3_bind_int64(st, 3, r->t);
	rc = rc ?: sqlite3_bind_int64(st, 4, r->secs);
	for (unsigned i = 0; i < LVE_COL_ANYF && !rc; i++)
		rc = sqlite3_bind_int64(st, 5 + (int)i, r->v[i]);
	rc = rc ?: sqlite3_bind_int64(st, 5 + LVE_COL_ANYF, r->n);
	return rc;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int sq_insert(struct lve_db *db, const struct lve_pass *p)
{
	struct sq *q = db->be;
	int rc, r;

	rc = step_done(q->st[ST_BEGIN]);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "begin");
	for (size_t i = 0; i < p->nraw; i++) {
		rc = bind_raw(q->st[ST_RAW], db->server_id, &p->raw[i]);
		rc = rc ?: step_done(q->st[ST_RAW]);
		if (rc != SQLITE_OK)
			goto fail;
	}
	for (int l = 1; l < LVE_LEVELS; l++)
		for (size_t i = 0; i < p->nroll[l]; i++) {
			rc = bind_roll(q->st[ST_ROLL + l - 1], db->server_id, &p->roll[l][i]);
			rc = rc ?: step_done(q->st[ST_ROLL + l - 1]);
			if (rc != SQLITE_OK)
				goto fail;
		}
	rc = step_done(q->st[ST_COMMIT]);
	if (rc != SQLITE_OK)
		goto fail;
	return 0;
fail:
	r = sq_err(db, q->db, rc, "insert");
	if (!sqlite3_get_autocommit(q->db))
		step_done(q->st[ST_ROLLBACK]);
	return r;
}

/* One statement with ?1 text and ?2, ?3 integers (ignored when absent). */
static int exec_bound(struct lve_db *db, struct sq *q, const char *sql, const char *a1, int64_t a2, int64_t a3,
		      uint64_t *changes)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	int np = rc == SQLITE_OK ? sqlite3_bind_parameter_count(st) : 0;

	rc = rc ?: sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
	if (np >= 2)
		rc = rc ?: sqlite3_bind_int64(st, 2, a2);
	if (np >= 3)
		rc = rc ?: sqlite3_bind_int64(st, 3, a3);
	rc = rc ?: step_done(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "retention");
	if (changes)
		*changes += (uint64_t)sqlite3_changes64(q->db);
	return 0;
}

static int sq_oldest(struct lve_db *db, int level, int64_t *out)
{
	struct sq *q = db->be;
	sqlite3_stmt *st = NULL;
	char sql[128];
	int rc;

	/* the primary key (server_id, ts|t, id) answers this with one seek */
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE server_id = ?1 ORDER BY 1 LIMIT 1", level ? "t" : "ts",
		 lve_level_table[level]);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	rc = rc ?: sqlite3_bind_text(st, 1, db->server_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = INT64_MAX;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sq_err(db, q->db, rc, "retention");
}

static int sq_retention(struct lve_db *db, int level, int64_t before, int64_t horizon, uint64_t *removed)
{
	struct sq *q = db->be;
	char sql[160], key[64];
	uint64_t n = 0;
	int rc, r;

	rc = step_done(q->st[ST_BEGIN]);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "begin");
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE server_id = ?1 AND %s < ?2", lve_level_table[level],
		 level ? "t" : "ts");
	r = exec_bound(db, q, sql, db->server_id, before, 0, &n);
	lve_horizon_key(key, sizeof(key), level, db->server_id);
	/* the horizon only moves forward: rows older than the largest one are gone */
	if (r >= 0)
		r = exec_bound(db, q,
			       "INSERT INTO lve_meta (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET "
			       "v = max(CAST(v AS INTEGER), CAST(excluded.v AS INTEGER))",
			       key, horizon, 0, NULL);
	if (r >= 0) {
		rc = step_done(q->st[ST_COMMIT]);
		if (rc != SQLITE_OK)
			r = sq_err(db, q->db, rc, "commit");
	}
	if (r < 0) {
		if (!sqlite3_get_autocommit(q->db))
			step_done(q->st[ST_ROLLBACK]);
		return r;
	}
	*removed += n;
	return 0;
}

static int sq_recover(struct lve_db *db)
{
	struct sq *q = db->be;
	sqlite3_stmt *st = NULL;
	int64_t newest = INT64_MIN;
	int rc, r = 0;

	rc = step_done(q->st[ST_BEGIN]);
	if (rc != SQLITE_OK)
		return sq_err(db, q->db, rc, "begin");
	rc = sqlite3_prepare_v2(q->db, "SELECT max(ts) FROM lve_raw WHERE server_id = ?1", -1, &st, NULL);
	rc = rc ?: sqlite3_bind_text(st, 1, db->server_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			newest = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		r = sq_err(db, q->db, rc, "recover");
	for (int l = 1; l < LVE_LEVELS && r >= 0 && newest != INT64_MIN; l++) {
		_cleanup_free_ char *ins = lve_sql_recover(LVE_SQL_SQLITE, l);
		char del[128];

		if (!ins) {
			r = -ENOMEM;
			break;
		}
		snprintf(del, sizeof(del), "DELETE FROM %s WHERE server_id = ?1 AND t >= ?2", lve_level_table[l]);
		r = exec_bound(db, q, del, db->server_id, lve_bucket(newest, l), 0, NULL);
		if (r >= 0)
			r = exec_bound(db, q, ins, db->server_id, lve_bucket(newest, l), 0, NULL);
	}
	if (r >= 0) {
		rc = step_done(q->st[ST_COMMIT]);
		if (rc != SQLITE_OK)
			r = sq_err(db, q->db, rc, "commit");
	}
	if (r < 0 && !sqlite3_get_autocommit(q->db))
		step_done(q->st[ST_ROLLBACK]);
	return r;
}

/* server_id's recorded horizons (LVE_NO_HORIZON when absent), inside the caller's transaction. */
static int read_horizons(struct lve_db *db, struct sq *q, const char *sid, int64_t h[LVE_LEVELS])
{
	sqlite3_stmt *st;
	int rc, r;

	if (!q->st[ST_HORIZON]) {
		r = prep(db, q, ST_HORIZON, "SELECT CAST(v AS INTEGER) FROM lve_meta WHERE k = ?1");
		if (r < 0)
			return r;
	}
	st = q->st[ST_HORIZON];
	for (int l = 0; l < LVE_LEVELS; l++) {
		char key[64];

		lve_horizon_key(key, sizeof(key), l, sid);
		sqlite3_reset(st);
		rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK)
			return sq_err(db, q->db, rc, "bind");
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			h[l] = sqlite3_column_int64(st, 0);
		else if (rc == SQLITE_DONE)
			h[l] = LVE_NO_HORIZON;
		else {
			r = sq_err(db, q->db, rc, "query");
			sqlite3_reset(st);
			return r;
		}
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * [i12] One LVE's rows of a level in [a, b): the tables' keys are
 * (server_id, ts|t, id), so a range read with "id = ?" walks every LVE's
 * rows of the range (10,000 LVEs: 10,000 rows per bucket). Rows of one pass
 * (raw) or bucket (rollups) share their ts/t, so there are few distinct
 * values: find the next one (one seek, ST_NEXT), read that LVE's row
 * there (one seek, ST_POINT), go on after it. 2 seeks per distinct ts/t,
 * whatever the number of LVEs; no extra index to maintain on writes.
 */
static int query_one(struct lve_db *db, struct sq *q, int l, const char *sid, int64_t a, int64_t b, uint32_t id,
		     struct lve_acc *acc)
{
	const char *tc = l == 0 ? "ts" : "t";
	int rc, r = 0;

	if (!q->st[ST_NEXT + l]) {
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT %s FROM %s WHERE server_id = ?1 AND %s >= ?2 AND %s < ?3 ORDER BY %s LIMIT 1", tc,
			 lve_level_table[l], tc, tc, tc);
		r = prep(db, q, ST_NEXT + l, sql);
		if (r < 0)
			return r;
	}
	if (!q->st[ST_POINT + l]) {
		/* the range read's columns at ts|t = ?2, id = ?3: a key seek */
		_cleanup_free_ char *sql = lve_sql_branch(LVE_SQL_SQLITE, l, -2, 3);

		if (!sql)
			return -ENOMEM;
		r = prep(db, q, ST_POINT + l, sql);
		if (r < 0)
			return r;
	}
	while (a < b && r >= 0) {
		sqlite3_stmt *nx = q->st[ST_NEXT + l], *pt = q->st[ST_POINT + l];
		int64_t t;

		sqlite3_reset(nx);
		rc = sqlite3_bind_text(nx, 1, sid, -1, SQLITE_TRANSIENT);
		rc = rc ?: sqlite3_bind_int64(nx, 2, a);
		rc = rc ?: sqlite3_bind_int64(nx, 3, b);
		if (rc)
			return sq_err(db, q->db, rc, "bind");
		rc = sqlite3_step(nx);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			return sq_err(db, q->db, rc, "query");
		t = sqlite3_column_int64(nx, 0);
		sqlite3_reset(nx);
		if (t < a || t >= b)
			break; /* cannot happen: the WHERE clause */
		sqlite3_reset(pt);
		rc = sqlite3_bind_text(pt, 1, sid, -1, SQLITE_TRANSIENT);
		rc = rc ?: sqlite3_bind_int64(pt, 2, t);
		rc = rc ?: sqlite3_bind_int64(pt, 3, id);
		if (rc)
			return sq_err(db, q->db, rc, "bind");
		while ((rc = sqlite3_step(pt)) == SQLITE_ROW) {
			int64_t vals[LVE_COL_ANYF];

			for (unsigned i = 0; i < LVE_COL_ANYF; i++)
				vals[i] = sqlite3_column_int64(pt, 2 + (int)i);
			r = lve_acc_add(acc, id, sqlite3_column_int64(pt, 1), vals);
			if (r < 0)
				break;
		}
		if (r >= 0 && rc != SQLITE_DONE)
			r = sq_err(db, q->db, rc, "query");
		sqlite3_reset(pt);
		a = t + 1;
	}
	return r;
}

/*
 * Aggregation in C over the plan's ranges: SQLite's GROUP BY sorts (a temp
 * b-tree) and calls an aggregate function per column and row, ~3x the cost
 * of this loop (measured over 30 days x 1,000 LVEs of hourly rows).
 */
static int sq_query(struct lve_db *db, const char *sid, int64_t from, int64_t to, uint32_t id,
		    struct lve_agg **out, size_t *nout, struct lve_query_span *used)
{
	struct sq *q = db->be;
	struct lve_acc *acc = NULL;
	struct lve_query_plan plan, *p = &plan;
	int64_t h[LVE_LEVELS];
	int rc, r;

	r = lve_acc_new(&acc);
	if (r < 0)
		return r;
	/* one read transaction: the horizons and every range see one snapshot */
	rc = sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = sq_err(db, q->db, rc, "begin");
		goto out;
	}
	r = read_horizons(db, q, sid, h);
	if (r >= 0)
		lve_query_plan_tiered(from, to, h, p, &used->from, &used->to);
	for (int b = 0; b < 2 * LVE_LEVELS && r >= 0; b++) {
		int l = b / 2, idx = ST_Q + 2 * l;
		const int64_t *rg = p->r[l][b % 2];
		sqlite3_stmt *st;

		if (rg[0] >= rg[1])
			continue;
		if (id) {
			r = query_one(db, q, l, sid, rg[0], rg[1], id, acc);
			continue;
		}
		if (!q->st[idx]) {
			_cleanup_free_ char *sql = lve_sql_branch(LVE_SQL_SQLITE, l, 2, 0);

			if (!sql) {
				r = -ENOMEM;
				break;
			}
			r = prep(db, q, idx, sql);
			if (r < 0)
				break;
		}
		st = q->st[idx];
		sqlite3_reset(st);
		rc = sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
		rc = rc ?: sqlite3_bind_int64(st, 2, rg[0]);
		rc = rc ?: sqlite3_bind_int64(st, 3, rg[1]);
		if (rc) {
			r = sq_err(db, q->db, rc, "bind");
			break;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t vals[LVE_COL_ANYF], rid = sqlite3_column_int64(st, 0);

			if (rid < 0 || rid > UINT32_MAX)
				continue;
			for (unsigned i = 0; i < LVE_COL_ANYF; i++)
				vals[i] = sqlite3_column_int64(st, 2 + (int)i);
			r = lve_acc_add(acc, (uint32_t)rid, sqlite3_column_int64(st, 1), vals);
			if (r < 0)
				break;
		}
		if (r >= 0 && rc != SQLITE_DONE)
			r = sq_err(db, q->db, rc, "query");
		sqlite3_reset(st);
	}
	sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	if (r >= 0)
		r = lve_acc_take(acc, out, nout);
out:
	lve_acc_free(acc);
	return r;
}

/* "<path>.corrupt-<UTC stamp>[-N]": never replaces an existing file. */
static int sq_recreate(struct lve_db *db)
{
	char stamp[32], dst[PATH_MAX], src2[PATH_MAX + 16], dst2[PATH_MAX + 16];
	time_t now = time(NULL);
	struct tm tm;
	int r = -EEXIST;

	sq_disconnect(db);
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	for (int i = 0; i < 100 && r == -EEXIST; i++) {
		int k = i ? snprintf(dst, sizeof(dst), "%s.corrupt-%s-%d", db->sqlite_path, stamp, i)
			  : snprintf(dst, sizeof(dst), "%s.corrupt-%s", db->sqlite_path, stamp);

		if (k < 0 || (size_t)k >= sizeof(dst) - 8)
			return -ENAMETOOLONG;
		if (renameat2(AT_FDCWD, db->sqlite_path, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
			r = 0;
		else if (errno == EINVAL) {
			/* filesystem without RENAME_NOREPLACE */
			if (access(dst, F_OK) == 0)
				continue;
			r = rename(db->sqlite_path, dst) == 0 ? 0 : -errno;
		} else
			r = -errno;
	}
	if (r < 0) {
		lve_db_set_msg(db, "%s: corrupt, and moving it aside failed: %s", db->sqlite_path, strerror(-r));
		return r;
	}
	snprintf(db->moved_aside, sizeof(db->moved_aside), "%s", dst);
	/* the WAL belongs to the old file; the shared-memory index is rebuilt */
	snprintf(src2, sizeof(src2), "%s-wal", db->sqlite_path);
	snprintf(dst2, sizeof(dst2), "%s-wal", dst);
	if (rename(src2, dst2) < 0 && errno != ENOENT)
		unlink(src2);
	snprintf(src2, sizeof(src2), "%s-shm", db->sqlite_path);
	unlink(src2);
	snprintf(src2, sizeof(src2), "%s-journal", db->sqlite_path);
	unlink(src2);
	r = sq_connect(db);
	if (r < 0)
		return r;
	lve_db_set_msg(db, "%s: corrupt database moved aside to %s, new one created", db->sqlite_path, dst);
	return 0;
}

const struct lve_db_ops lve_db_sqlite_ops = {
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.connected = sq_connected,
	.insert = sq_insert,
	.recover = sq_recover,
	.oldest = sq_oldest,
	.retention = sq_retention,
	.query = sq_query,
	.recreate = sq_recreate,
};
