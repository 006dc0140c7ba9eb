/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db-mysql.c - MySQL / MariaDB backend of the statistics store (lve-stats
 * 2's db_type = mysql: the database every hosting server already runs, as a
 * central store for a fleet under server_id). libmariadb (the MySQL C API).
 *
 * The schema is db-internal.h's, in MySQL types (InnoDB, so a pass is one
 * transaction). Raw rows go into lve_raw with INSERT IGNORE, the closed
 * rollup buckets db.c hands over are added to the stored minute, hour and
 * day rows with INSERT ... ON DUPLICATE KEY UPDATE; both as multi-row
 * statements (up to MY_ROWS_PER_STMT rows, one round trip each [i12]). Queries read the
 * horizons and every part of the plan in one consistent snapshot and
 * aggregate in C (lve_acc). All values are integers and server_id is
 * [A-Za-z0-9._-] (checked by db.c), so statements carry them inline.
 * Timeouts: connect db->connect_ms, read/write db->query_ms (whole seconds,
 * at least 1: the client library's granularity).
 */
#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

struct my {
	MYSQL *c;
};

/* A growing SQL text. */
struct qbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void qb_printf(struct qbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void qb_printf(struct qbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t nc = b->cap ? b->cap * 2 : 1024;
			char *np;

			while (nc - b->len <= (size_t)n)
				nc *= 2;
			np = realloc(b->p, nc);
			if (!np) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = nc;
		}
	}
}

static void my_disconnect(struct lve_db *db)
{
	struct my *m = db->be;

	if (!m)
		return;
	if (m->c)
		mysql_close(m->c);
	free(m);
	db->be = NULL;
}

static bool my_connected(struct lve_db *db)
{
	struct my *m = db->be;

	return m && m->c;
}

/* -errno of the connection's last error; the text goes to db->msg. */
static int my_err(struct lve_db *db, MYSQL *c, const char *what)
{
	unsigned e = mysql_errno(c);

	lve_db_set_msg(db, "MySQL server %s: %s: %s", db->pg->host, what, mysql_error(c));
	switch (e) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_TABLEACCESS_DENIED_ERROR:
		return -EACCES;
	case ER_BAD_DB_ERROR:
	case ER_NO_SUCH_TABLE:
		return -ENOENT;
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_DEADLOCK:
		return -EBUSY;
	case ER_RECORD_FILE_FULL:
	case ER_DISK_FULL:
		return -ENOSPC;
	case ER_OPTION_PREVENTS_STATEMENT:
		return -EROFS;
	case CR_CONN_HOST_ERROR:
	case CR_CONNECTION_ERROR:
	case CR_UNKNOWN_HOST:
		return -ECONNREFUSED;
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
		return strstr(mysql_error(c), "timeout") ? -ETIMEDOUT : -ECONNRESET;
	default:
		return -EIO;
	}
}

/* Run one statement; a lost connection is dropped (the next call reconnects). */
static int my_exec(struct lve_db *db, const char *sql, const char *what)
{
	struct my *m = db->be;
	int r;

	if (!mysql_query(m->c, sql))
		return 0;
	r = my_err(db, m->c, what);
	if (r == -ECONNRESET || r == -ETIMEDOUT || r == -ECONNREFUSED)
		my_disconnect(db);
	return r;
}

static const char *const big = "BIGINT NOT NULL";

static char *schema_sql(void)
{
	struct qbuf b = { 0 };

	qb_printf(&b, "CREATE TABLE IF NOT EXISTS lve_meta (k VARCHAR(64) NOT NULL PRIMARY KEY, "
		      "v VARCHAR(256) NOT NULL) ENGINE=InnoDB;\n");
	qb_printf(&b, "CREATE TABLE IF NOT EXISTS lve_raw (server_id VARCHAR(10) NOT NULL, id %s, ts %s, "
		      "n BIGINT NOT NULL DEFAULT 1, secs %s", big, big, big);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		qb_printf(&b, ", %s %s", lve_fields[i].col, big);
	qb_printf(&b, ", nprocs %s, nthreads %s, PRIMARY KEY (server_id, ts, id)) ENGINE=InnoDB;\n", big, big);
	for (int l = 1; l < LVE_LEVELS; l++) {
		qb_printf(&b, "CREATE TABLE IF NOT EXISTS %s (server_id VARCHAR(10) NOT NULL, id %s, t %s, n %s, secs %s",
			  lve_level_table[l], big, big, big, big);
		for (unsigned i = 0; i < LVE_COL_ANYF; i++)
			qb_printf(&b, ", %s%s %s", lve_fields[i].col,
				  lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "", big);
		qb_printf(&b, ", PRIMARY KEY (server_id, t, id)) ENGINE=InnoDB;\n");
	}
	qb_printf(&b, "INSERT IGNORE INTO lve_meta (k, v) VALUES ('schema_version', '%d')", LVE_DB_SCHEMA_VERSION);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int my_connect(struct lve_db *db)
{
	unsigned ct = (unsigned)(db->connect_ms + 999) / 1000, qt = (unsigned)(db->query_ms + 999) / 1000;
	unsigned port = db->pg->port[0] ? (unsigned)strtoul(db->pg->port, NULL, 10) : 3306;
	struct my *m;
	MYSQL *c;
	int r;

	my_disconnect(db);
	c = mysql_init(NULL);
	if (!c)
		return -ENOMEM;
	if (ct < 1)
		ct = 1;
	if (qt < 1)
		qt = 1;
	mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &qt);
	mysql_options(c, MYSQL_OPT_WRITE_TIMEOUT, &qt);
	mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(c, db->pg->host, db->pg->user, db->pg->password, db->pg->dbname, port, NULL,
				CLIENT_MULTI_STATEMENTS)) {
		r = my_err(db, c, "connect");
		if (r == -EIO)
			r = -ECONNREFUSED;
		mysql_close(c);
		return r;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		mysql_close(c);
		return -ENOMEM;
	}
	m->c = c;
	db->be = m;
	/* consistent reads for queries, nothing implicit for writes */
	r = my_exec(db, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "session");
	if (r >= 0)
		r = my_exec(db, "SET autocommit=1", "session");
	if (r >= 0 && !(db->flags & LVE_DB_READONLY)) {
		_cleanup_free_ char *sql = schema_sql();

		if (!sql)
			r = -ENOMEM;
		else if ((r = my_exec(db, sql, "create the schema")) >= 0) {
			/* a multi-statement text: drain every result */
			int st;

			do {
				MYSQL_RES *res = mysql_store_result(c);

				if (res)
					mysql_free_result(res);
				st = mysql_next_result(c);
			} while (st == 0);
			if (st > 0)
				r = my_err(db, c, "create the schema");
		}
	}
	if (r < 0)
		my_disconnect(db);
	return r;
}

/* The rollup upsert of one rollup row at a level: sums added, limits kept at their maximum. */
/* [i12] Append the decimal text of v (no printf: 10,000s of values per pass). */
static void qb_i64(struct qbuf *b, int64_t v)
{
	if (b->oom)
		return;
	if (b->cap - b->len < 24) {
		size_t nc = b->cap ? b->cap * 2 : 1024;
		char *np = realloc(b->p, nc);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	b->p[b->len++] = ',';
	b->len = (size_t)(lve_fmt_i64(b->p + b->len, v) - b->p);
	b->p[b->len] = 0;
}

/* Rows per multi-row INSERT: ~0.3 MiB of text, far below max_allowed_packet (MariaDB's default 16 MiB). */
#define MY_ROWS_PER_STMT 1000

/* The head of a multi-row rollup upsert into level l (rows follow as VALUES tuples). */
static void rollup_head(struct qbuf *b, int l)
{
	qb_printf(b, "INSERT INTO %s (server_id, id, t, n, secs", lve_level_table[l]);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		qb_printf(b, ", %s%s", lve_fields[i].col, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
	qb_printf(b, ") VALUES ");
}

static void rollup_tail(struct qbuf *b)
{
	qb_printf(b, " ON DUPLICATE KEY UPDATE n = n + VALUES(n), secs = secs + VALUES(secs)");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		const char *c = lve_fields[i].col;

		if (lve_fields[i].kind == LVE_FK_USAGE)
			qb_printf(b, ", %s_sum = %s_sum + VALUES(%s_sum)", c, c, c);
		else if (lve_fields[i].kind == LVE_FK_LIMIT)
			qb_printf(b, ", %s = GREATEST(%s, VALUES(%s))", c, c, c);
		else
			qb_printf(b, ", %s = %s + VALUES(%s)", c, c, c);
	}
}

/*
 * One pass (raw rows, a run of identical quiet samples as one row with n,
 * and rollup rows) in one transaction, as multi-row statements of up to
 * MY_ROWS_PER_STMT rows each (one round trip per statement, not per row).
 */
static int my_insert(struct lve_db *db, const struct lve_pass *p)
{
	struct my *m = db->be;
	int r;

	r = my_exec(db, "START TRANSACTION", "begin");
	for (size_t i0 = 0; i0 < p->nraw && r >= 0; i0 += MY_ROWS_PER_STMT) {
		struct qbuf b = { 0 };

		qb_printf(&b, "INSERT IGNORE INTO lve_raw (server_id, id, ts, n, secs");
		for (unsigned k = 0; k < LVE_COL_ANYF; k++)
			qb_printf(&b, ", %s", lve_fields[k].col);
		qb_printf(&b, ", nprocs, nthreads) VALUES ");
		for (size_t i = i0; i < p->nraw && i < i0 + MY_ROWS_PER_STMT; i++) {
			const struct lve_rawrow *w = &p->raw[i];

			qb_printf(&b, "%s('%s'", i > i0 ? "," : "", db->server_id);
			qb_i64(&b, w->s.id);
			qb_i64(&b, w->s.ts);
			qb_i64(&b, w->n);
			qb_i64(&b, w->secs);
			for (unsigned k = 0; k < LVE_COL_ANYF; k++)
				qb_i64(&b, lve_field_get(&w->s, k));
			qb_i64(&b, w->s.nprocs);
			qb_i64(&b, w->s.nthreads);
			qb_printf(&b, ")");
		}
		r = b.oom ? -ENOMEM : my_exec(db, b.p, "insert");
		free(b.p);
	}
	for (int l = 1; l < LVE_LEVELS && r >= 0; l++)
		for (size_t i0 = 0; i0 < p->nroll[l] && r >= 0; i0 += MY_ROWS_PER_STMT) {
			struct qbuf u = { 0 };

			rollup_head(&u, l);
			for (size_t i = i0; i < p->nroll[l] && i < i0 + MY_ROWS_PER_STMT; i++) {
				const struct lve_rollrow *w = &p->roll[l][i];

				qb_printf(&u, "%s('%s'", i > i0 ? "," : "", db->server_id);
				qb_i64(&u, w->id);
				qb_i64(&u, w->t);
				qb_i64(&u, w->n);
				qb_i64(&u, w->secs);
				for (unsigned k = 0; k < LVE_COL_ANYF; k++)
					qb_i64(&u, w->v[k]);
				qb_printf(&u, ")");
			}
			rollup_tail(&u);
			r = u.oom ? -ENOMEM : my_exec(db, u.p, "rollup");
			free(u.p);
		}
	if (!db->be)
		return r < 0 ? r : -ECONNRESET;
	if (r >= 0)
		return my_exec(db, "COMMIT", "commit");
	mysql_query(m->c, "ROLLBACK");
	return r;
}

/*
 * After a crash: rebuild server_id's rollups from the newest raw row's
 * bucket on, level by level from the finer one (db.c's recover SQL with
 * its two parameters written in).
 */
static int my_recover(struct lve_db *db)
{
	struct my *m = db->be;
	MYSQL_RES *res;
	MYSQL_ROW row;
	struct qbuf q = { 0 };
	int64_t newest = -1;
	int r;

	r = my_exec(db, "START TRANSACTION", "begin");
	if (r < 0)
		return r;
	qb_printf(&q, "SELECT max(ts) FROM lve_raw WHERE server_id = '%s'", db->server_id);
	r = q.oom ? -ENOMEM : my_exec(db, q.p, "recover");
	free(q.p);
	if (r >= 0) {
		res = mysql_store_result(m->c);
		if (!res)
			r = my_err(db, m->c, "recover");
		else {
			row = mysql_fetch_row(res);
			if (row && row[0])
				newest = strtoll(row[0], NULL, 10);
			mysql_free_result(res);
		}
	}
	for (int l = 1; l < LVE_LEVELS && r >= 0 && newest >= 0; l++) {
		_cleanup_free_ char *ins = lve_sql_recover(LVE_SQL_SQLITE, l);
		struct qbuf d = { 0 }, x = { 0 };
		int64_t from = lve_bucket(newest, l);

		if (!ins) {
			r = -ENOMEM;
			break;
		}
		qb_printf(&d, "DELETE FROM %s WHERE server_id = '%s' AND t >= %" PRId64, lve_level_table[l],
			  db->server_id, from);
		r = d.oom ? -ENOMEM : my_exec(db, d.p, "recover");
		free(d.p);
		/* ?1 = server_id, ?2 = the bucket the finer level is read from */
		for (const char *c = ins; *c && r >= 0; c++) {
			if (c[0] == '?' && c[1] == '1') {
				qb_printf(&x, "'%s'", db->server_id);
				c++;
			} else if (c[0] == '?' && c[1] == '2') {
				qb_printf(&x, "%" PRId64, from);
				c++;
			} else
				qb_printf(&x, "%c", *c);
		}
		if (r >= 0)
			r = x.oom ? -ENOMEM : my_exec(db, x.p, "recover");
		free(x.p);
	}
	if (!db->be)
		return r < 0 ? r : -ECONNRESET;
	if (r >= 0)
		return my_exec(db, "COMMIT", "commit");
	mysql_query(m->c, "ROLLBACK");
	return r;
}

/* One integer of a single-row result; *out = dflt when NULL or no row. */
static int my_scalar(struct lve_db *db, const char *sql, int64_t dflt, int64_t *out)
{
	struct my *m = db->be;
	MYSQL_RES *res;
	MYSQL_ROW row;
	int r = my_exec(db, sql, "query");

	if (r < 0)
		return r;
	res = mysql_store_result(m->c);
	if (!res)
		return my_err(db, m->c, "query");
	row = mysql_fetch_row(res);
	*out = row && row[0] ? strtoll(row[0], NULL, 10) : dflt;
	mysql_free_result(res);
	return 0;
}

static int my_oldest(struct lve_db *db, int level, int64_t *out)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT MIN(%s) FROM %s WHERE server_id = '%s'", level ? "t" : "ts",
		 lve_level_table[level], db->server_id);
	return my_scalar(db, sql, INT64_MAX, out);
}

static int my_retention(struct lve_db *db, int level, int64_t before, int64_t horizon, uint64_t *removed)
{
	struct my *m = db->be;
	char sql[512], key[96];
	int r;

	lve_horizon_key(key, sizeof(key), level, db->server_id);
	r = my_exec(db, "START TRANSACTION", "begin");
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE server_id = '%s' AND %s < %" PRId64,
			 lve_level_table[level], db->server_id, level ? "t" : "ts", before);
		r = my_exec(db, sql, "retention");
	}
	if (r >= 0) {
		*removed += mysql_affected_rows(m->c);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO lve_meta (k, v) VALUES ('%s', '%" PRId64 "') ON DUPLICATE KEY UPDATE "
			 "v = CAST(GREATEST(CAST(v AS SIGNED), CAST(VALUES(v) AS SIGNED)) AS CHAR)",
			 key, horizon);
		r = my_exec(db, sql, "retention");
	}
	if (!db->be)
		return r;
	if (r >= 0)
		return my_exec(db, "COMMIT", "commit");
	mysql_query(m->c, "ROLLBACK");
	return r;
}

static int read_horizons(struct lve_db *db, const char *sid, int64_t h[LVE_LEVELS])
{
	for (int l = 0; l < LVE_LEVELS; l++) {
		char key[96], sql[256];
		int r;

		lve_horizon_key(key, sizeof(key), l, sid);
		snprintf(sql, sizeof(sql), "SELECT CAST(v AS SIGNED) FROM lve_meta WHERE k = '%s'", key);
		r = my_scalar(db, sql, LVE_NO_HORIZON, &h[l]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int my_query(struct lve_db *db, const char *sid, int64_t from, int64_t to, uint32_t id,
		    struct lve_agg **out, size_t *nout, struct lve_query_span *used)
{
	struct my *m = db->be;
	struct lve_acc *acc = NULL;
	struct lve_query_plan plan;
	int64_t h[LVE_LEVELS];
	int r;

	r = lve_acc_new(&acc);
	if (r < 0)
		return r;
	/* one snapshot: the horizons and every part of the plan */
	r = my_exec(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "begin");
	if (r >= 0)
		r = read_horizons(db, sid, h);
	if (r >= 0)
		lve_query_plan_tiered(from, to, h, &plan, &used->from, &used->to);
	for (int b = 0; b < 2 * LVE_LEVELS && r >= 0; b++) {
		int l = b / 2;
		const int64_t *rg = plan.r[l][b % 2];
		struct qbuf q = { 0 };
		MYSQL_RES *res;
		MYSQL_ROW row;

		if (rg[0] >= rg[1])
			continue;
		/* a raw row stands for n identical samples: its usage and faults count n times */
		qb_printf(&q, "SELECT id, n");
		for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
			const char *c = lve_fields[i].col;

			if (lve_fields[i].kind == LVE_FK_LIMIT)
				qb_printf(&q, ", %s", c);
			else if (!l)
				qb_printf(&q, ", %s * n", c);
			else
				qb_printf(&q, ", %s%s", c, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
		}
		qb_printf(&q, " FROM %s WHERE server_id = '%s' AND %s >= %" PRId64 " AND %s < %" PRId64,
			  lve_level_table[l], sid, l ? "t" : "ts", rg[0], l ? "t" : "ts", rg[1]);
		if (id)
			qb_printf(&q, " AND id = %" PRIu32, id);
		r = q.oom ? -ENOMEM : my_exec(db, q.p, "query");
		free(q.p);
		if (r < 0)
			break;
		res = mysql_use_result(m->c);
		if (!res) {
			r = my_err(db, m->c, "query");
			break;
		}
		while ((row = mysql_fetch_row(res))) {
			int64_t vals[LVE_COL_ANYF], rid = row[0] ? strtoll(row[0], NULL, 10) : -1;

			if (rid < 0 || rid > UINT32_MAX)
				continue;
			for (unsigned i = 0; i < LVE_COL_ANYF; i++)
				vals[i] = row[2 + i] ? strtoll(row[2 + i], NULL, 10) : 0;
			r = lve_acc_add(acc, (uint32_t)rid, row[1] ? strtoll(row[1], NULL, 10) : 0, vals);
			if (r < 0)
				break;
		}
		if (r >= 0 && mysql_errno(m->c))
			r = my_err(db, m->c, "query");
		mysql_free_result(res);
	}
	if (db->be)
		mysql_query(m->c, "COMMIT");
	if (r >= 0)
		r = lve_acc_take(acc, out, nout);
	lve_acc_free(acc);
	return r;
}

const struct lve_db_ops lve_db_mysql_ops = {
	.connect = my_connect,
	.disconnect = my_disconnect,
	.connected = my_connected,
	.insert = my_insert,
	.recover = my_recover,
	.oldest = my_oldest,
	.retention = my_retention,
	.query = my_query,
	.recreate = NULL,
};
