/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db-pg.c - PostgreSQL backend of the statistics store (lve-stats 2's
 * "central database": every server of a fleet writes its rows under its
 * server_id). libpq in non-blocking mode: connecting and every statement
 * run against a deadline (db->connect_ms, db->query_ms) so an unreachable
 * or hung server turns into an error quickly instead of stalling the
 * sampler; the server also gets statement_timeout. A pass is ONE statement
 * (rows passed as arrays and unnest()ed; data-modifying CTEs add the new
 * rows to the minute and hour rollups), so it is atomic by itself; it is
 * prepared once per connection and its arrays are formatted by hand
 * (lve_fmt_i64), which keeps lved's own CPU at 10,000 LVEs low [i12].
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

#define PG_LOCK_KEY 0x6f6c7665 /* "olve": serializes schema creation across a fleet */

struct pg {
	PGconn *c;
	bool insert_prepared; /* "olve_ins" prepared on this connection [i12] */
	char *insert_sql;
	char *query_sql[2];
};

static void pg_disconnect(struct lve_db *db)
{
	struct pg *p = db->be;

	if (!p)
		return;
	if (p->c)
		PQfinish(p->c);
	free(p->insert_sql);
	free(p->query_sql[0]);
	free(p->query_sql[1]);
	free(p);
	db->be = NULL;
}

static bool pg_connected(struct lve_db *db)
{
	struct pg *p = db->be;

	return p && p->c && PQstatus(p->c) == CONNECTION_OK;
}

static const char *server_name(const struct lve_db *db)
{
	return db->pg->host;
}

/* -errno for a failed connection attempt, from libpq's message. */
static int conn_errno(const char *m)
{
	if (strstr(m, "timeout"))
		return -ETIMEDOUT;
	if (strstr(m, "authentication") || strstr(m, "password") || strstr(m, "permission denied") ||
	    strstr(m, "no pg_hba.conf entry"))
		return -EACCES;
	if (strstr(m, "does not exist"))
		return -ENOENT;
	if (strstr(m, "translate host name") || strstr(m, "No route to host") || strstr(m, "unreachable"))
		return -EHOSTUNREACH;
	return -ECONNREFUSED;
}

static int sqlstate_errno(const char *st)
{
	if (!st)
		return -EIO;
	if (!strcmp(st, "53100"))
		return -ENOSPC; /* disk_full */
	if (!strncmp(st, "53", 2))
		return -ENOMEM; /* insufficient resources */
	if (!strcmp(st, "55P03") || !strcmp(st, "40001") || !strcmp(st, "40P01"))
		return -EBUSY;
	if (!strcmp(st, "57014"))
		return -ETIMEDOUT; /* query_canceled: statement_timeout */
	if (!strncmp(st, "28", 2) || !strcmp(st, "42501"))
		return -EACCES;
	if (!strcmp(st, "3D000") || !strcmp(st, "42P01"))
		return -ENOENT;
	if (!strcmp(st, "25006"))
		return -EROFS;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return -ECONNRESET;
	if (!strcmp(st, "XX001") || !strcmp(st, "XX002"))
		return -EUCLEAN;
	return -EIO;
}

/* Wait for `events` on the connection's socket until deadline. 0, -ETIMEDOUT or -errno. */
static int wait_sock(PGconn *c, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = PQsocket(c), .events = events };
	int64_t left = deadline - lve_db_now_usec();
	int r;

	if (pfd.fd < 0)
		return -ECONNRESET;
	if (left <= 0)
		return -ETIMEDOUT;
	do
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* libpq prints server notices to stderr by default; a library never prints. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_connect(struct lve_db *db)
{
	char opts[64], ctimeout[16];
	const char *kw[] = { "host", "port", "user", "password", "dbname", "application_name", "connect_timeout",
			     "options", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
			     NULL };
	const char *val[ELEMENTSOF(kw)];
	int64_t deadline = lve_db_now_usec() + (int64_t)db->connect_ms * 1000;
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	struct pg *p;
	PGconn *c;
	int r;

	snprintf(opts, sizeof(opts), "-c statement_timeout=%d", db->query_ms);
	snprintf(ctimeout, sizeof(ctimeout), "%d", db->connect_ms / 1000 < 2 ? 2 : db->connect_ms / 1000);
	val[0] = db->pg->host;
	val[1] = db->pg->port;
	val[2] = db->pg->user;
	val[3] = db->pg->password;
	val[4] = db->pg->dbname;
	val[5] = "openlve";
	val[6] = ctimeout;
	val[7] = opts;
	val[8] = "1";
	val[9] = "10";
	val[10] = "5";
	val[11] = "3";
	val[12] = NULL;

	pg_disconnect(db);
	c = PQconnectStartParams(kw, val, 0);
	if (!c)
		return -ENOMEM;
	if (PQstatus(c) == CONNECTION_BAD)
		goto bad;
	for (;;) {
		if (ps == PGRES_POLLING_OK)
			break;
		if (ps == PGRES_POLLING_FAILED)
			goto bad;
		r = wait_sock(c, ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
		if (r < 0) {
			lve_db_set_msg(db, "PostgreSQL server %s: connect: %s", server_name(db),
				       r == -ETIMEDOUT ? "timed out" : strerror(-r));
			PQfinish(c);
			return r;
		}
		ps = PQconnectPoll(c);
	}
	if (PQsetnonblocking(c, 1) != 0)
		goto bad;
	PQsetNoticeProcessor(c, ignore_notice, NULL);
	p = calloc(1, sizeof(*p));
	if (!p) {
		PQfinish(c);
		return -ENOMEM;
	}
	p->c = c;
	db->be = p;
	return 0;
bad:
	lve_db_set_msg(db, "PostgreSQL server %s: %s", server_name(db), PQerrorMessage(c));
	r = conn_errno(PQerrorMessage(c));
	PQfinish(c);
	return r;
}

/*
 * Run one command (nparams 0: simple protocol, may hold several
 * statements) against the deadline. On success *res is the last result
 * (caller PQclear()s), when res is non-NULL. On a lost or timed-out
 * connection the handle is dropped (the next call reconnects).
 */
/*
 * [i12] How pg_call sends: a statement (with parameters when nparams), the
 * preparation of statement `name` from sql, or the execution of the
 * prepared `name` (lved's pass: parsed and planned once per connection).
 */
enum pg_send { PG_QUERY, PG_PREPARE, PG_EXEC_PREPARED };

static int pg_call(struct lve_db *db, enum pg_send how, const char *name, const char *sql, int nparams,
		   const char *const *vals, PGresult **res)
{
	struct pg *p = db->be;
	int64_t deadline = lve_db_now_usec() + (int64_t)db->query_ms * 1000;
	PGresult *last = NULL, *err = NULL;
	int sent, r = 0, f;

	if (how == PG_PREPARE)
		sent = PQsendPrepare(p->c, name, sql, nparams, NULL);
	else if (how == PG_EXEC_PREPARED)
		sent = PQsendQueryPrepared(p->c, name, nparams, vals, NULL, NULL, 0);
	else
		sent = nparams ? PQsendQueryParams(p->c, sql, nparams, NULL, vals, NULL, NULL, 0) : PQsendQuery(p->c, sql);
	if (!sent) {
		r = -ECONNRESET;
		goto lost;
	}
	while ((f = PQflush(p->c)) == 1) {
		r = wait_sock(p->c, POLLIN | POLLOUT, deadline);
		if (r < 0)
			goto lost;
		if (!PQconsumeInput(p->c)) {
			r = -ECONNRESET;
			goto lost;
		}
	}
	if (f < 0) {
		r = -ECONNRESET;
		goto lost;
	}
	for (;;) {
		PGresult *x;

		while (PQisBusy(p->c)) {
			r = wait_sock(p->c, POLLIN, deadline);
			if (r < 0)
				goto lost;
			if (!PQconsumeInput(p->c)) {
				r = -ECONNRESET;
				goto lost;
			}
		}
		x = PQgetResult(p->c);
		if (!x)
			break;
		switch (PQresultStatus(x)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			PQclear(last);
			last = x;
			break;
		default:
			if (!err)
				err = x;
			else
				PQclear(x);
		}
	}
	if (err) {
		const char *msg = PQresultErrorMessage(err);

		r = sqlstate_errno(PQresultErrorField(err, PG_DIAG_SQLSTATE));
		lve_db_set_msg(db, "PostgreSQL server %s: %s", server_name(db), msg);
		PQclear(err);
		PQclear(last);
		if (PQstatus(p->c) != CONNECTION_OK)
			pg_disconnect(db);
		return r;
	}
	if (PQstatus(p->c) != CONNECTION_OK) {
		PQclear(last);
		r = -ECONNRESET;
		goto lost;
	}
	if (res)
		*res = last;
	else
		PQclear(last);
	return 0;
lost:
	PQclear(last);
	PQclear(err);
	if (r == -ETIMEDOUT)
		lve_db_set_msg(db, "PostgreSQL server %s: no answer within %d ms", server_name(db), db->query_ms);
	else
		lve_db_set_msg(db, "PostgreSQL server %s: connection lost: %s", server_name(db),
			       PQerrorMessage(p->c));
	pg_disconnect(db);
	return r;
}

static int pg_run(struct lve_db *db, const char *sql, int nparams, const char *const *vals, PGresult **res)
{
	return pg_call(db, PG_QUERY, NULL, sql, nparams, vals, res);
}

/*
 * The batch statement: raw rows ($2..$27: id, ts, secs, the 21 fields, n,
 * nprocs, nthreads) inserted (present ones ignored), then for each rollup
 * level 25 arrays (id, t, n, secs, the 21 sums/maxima) added to the stored
 * rows; data-modifying CTEs, so one atomic statement.
 */
#define PG_RAW_COLS (3 + LVE_COL_ANYF + 3)
#define PG_ROLL_COLS (4 + LVE_COL_ANYF)
#define PG_NPARAMS (1 + PG_RAW_COLS + (LVE_LEVELS - 1) * PG_ROLL_COLS)

static char *insert_sql(void)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	unsigned k = 2;

	if (!f)
		return NULL;
	fprintf(f, "WITH ins AS (INSERT INTO lve_raw (server_id, id, ts, secs");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		fprintf(f, ", %s", lve_fields[i].col);
	fprintf(f, ", n, nprocs, nthreads) SELECT $1::text, * FROM unnest(");
	for (unsigned i = 0; i < PG_RAW_COLS; i++, k++)
		fprintf(f, "%s$%u::bigint[]", i ? ", " : "", k);
	fprintf(f, ") ON CONFLICT DO NOTHING RETURNING 1)");
	for (int l = 1; l < LVE_LEVELS; l++) {
		const char *t = lve_level_table[l];

		/* the last rollup is the main statement, the others CTEs */
		fprintf(f, l + 1 < LVE_LEVELS ? ", r%d AS (" : " ", l);
		fprintf(f, "INSERT INTO %s (server_id, id, t, n, secs", t);
		for (unsigned i = 0; i < LVE_COL_ANYF; i++)
			fprintf(f, ", %s%s", lve_fields[i].col, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
		fprintf(f, ") SELECT $1::text, * FROM unnest(");
		for (unsigned i = 0; i < PG_ROLL_COLS; i++, k++)
			fprintf(f, "%s$%u::bigint[]", i ? ", " : "", k);
		fprintf(f, ") ON CONFLICT (server_id, t, id) DO UPDATE SET n = %s.n + EXCLUDED.n, secs = %s.secs + "
			   "EXCLUDED.secs",
			t, t);
		for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
			const char *c = lve_fields[i].col;

			if (lve_fields[i].kind == LVE_FK_USAGE)
				fprintf(f, ", %s_sum = %s.%s_sum + EXCLUDED.%s_sum", c, t, c, c);
			else if (lve_fields[i].kind == LVE_FK_LIMIT)
				fprintf(f, ", %s = GREATEST(%s.%s, EXCLUDED.%s)", c, t, c, c);
			else
				fprintf(f, ", %s = %s.%s + EXCLUDED.%s", c, t, c, c);
		}
		if (l + 1 < LVE_LEVELS)
			fprintf(f, " RETURNING 1)");
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int writer_setup(struct lve_db *db)
{
	_cleanup_free_ char *schema = lve_sql_schema(LVE_SQL_PG);
	_cleanup_free_ char *sql = NULL;
	PGresult *res = NULL;
	int r;

	if (!schema)
		return -ENOMEM;
	if (asprintf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(%d); %s COMMIT;", PG_LOCK_KEY, schema) < 0) {
		sql = NULL;
		return -ENOMEM;
	}
	r = pg_run(db, sql, 0, NULL, NULL);
	if (r < 0)
		return r;
	r = pg_run(db, "SELECT v FROM lve_meta WHERE k = 'schema_version'", 0, NULL, &res);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1 && atoi(PQgetvalue(res, 0, 0)) == 1) {
		/* schema 1 -> 2: runs of idle samples (lve_raw.n) */
		char up[256];

		PQclear(res);
		snprintf(up, sizeof(up),
			 "BEGIN; SELECT pg_advisory_xact_lock(%d); "
			 "ALTER TABLE lve_raw ADD COLUMN IF NOT EXISTS n BIGINT NOT NULL DEFAULT 1; "
			 "UPDATE lve_meta SET v = '%d' WHERE k = 'schema_version'; COMMIT;",
			 PG_LOCK_KEY, LVE_DB_SCHEMA_VERSION);
		r = pg_run(db, up, 0, NULL, NULL);
		if (r < 0)
			return r;
		return 0;
	}
	if (PQntuples(res) == 1 && atoi(PQgetvalue(res, 0, 0)) != LVE_DB_SCHEMA_VERSION) {
		lve_db_set_msg(db, "PostgreSQL server %s: schema version %s, this openlve knows %d", server_name(db),
			       PQgetvalue(res, 0, 0), LVE_DB_SCHEMA_VERSION);
		PQclear(res);
		return -EPROTONOSUPPORT;
	}
	PQclear(res);
	return 0;
}

static int pg_connect_full(struct lve_db *db)
{
	int r = pg_connect(db);

	if (r < 0 || (db->flags & LVE_DB_READONLY))
		return r;
	r = writer_setup(db);
	if (r < 0)
		pg_disconnect(db);
	return r;
}

/* Column c of raw row r, in insert_sql's order. */
static int64_t raw_col(const struct lve_rawrow *r, unsigned c)
{
	if (c == 0)
		return r->s.id;
	if (c == 1)
		return r->s.ts;
	if (c == 2)
		return r->secs;
	if (c < 3 + LVE_COL_ANYF)
		return lve_field_get(&r->s, c - 3);
	if (c == 3 + LVE_COL_ANYF)
		return r->n;
	return c == 4 + LVE_COL_ANYF ? r->s.nprocs : r->s.nthreads;
}

static int64_t roll_col(const struct lve_rollrow *r, unsigned c)
{
	switch (c) {
	case 0: return r->id;
	case 1: return r->t;
	case 2: return r->n;
	case 3: return r->secs;
	default: return r->v[c - 4];
	}
}

/* Text array "{1,2,3}" of column c of n raw rows (roll NULL) or rollup rows. */
static char *column_array(const struct lve_rawrow *raw, const struct lve_rollrow *roll, size_t n, unsigned c)
{
	/* at most 20 digits and a comma per value, the braces and the NUL */
	char *buf = malloc(n * 21 + 3), *p = buf;

	if (!buf)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = lve_fmt_i64(p, roll ? roll_col(&roll[i], c) : raw_col(&raw[i], c));
	}
	*p++ = '}';
	*p = 0;
	return buf;
}

static int pg_insert(struct lve_db *db, const struct lve_pass *ps)
{
	struct pg *p = db->be;
	char *arr[PG_NPARAMS] = { 0 };
	const char *vals[PG_NPARAMS];
	int r = 0, k = 1;

	if (ps->n == 0)
		return 0;
	if (!p->insert_sql) {
		p->insert_sql = insert_sql();
		if (!p->insert_sql)
			return -ENOMEM;
	}
	vals[0] = db->server_id;
	for (unsigned c = 0; c < PG_RAW_COLS; c++, k++)
		vals[k] = arr[k] = column_array(ps->raw, NULL, ps->nraw, c);
	for (int l = 1; l < LVE_LEVELS; l++)
		for (unsigned c = 0; c < PG_ROLL_COLS; c++, k++)
			vals[k] = arr[k] = column_array(NULL, ps->roll[l] ? ps->roll[l] : (const struct lve_rollrow *)"",
							ps->nroll[l], c);
	for (int i = 1; i < PG_NPARAMS; i++)
		if (!arr[i])
			r = -ENOMEM;
	if (r == 0 && !p->insert_prepared) {
		r = pg_call(db, PG_PREPARE, "olve_ins", p->insert_sql, PG_NPARAMS, NULL, NULL);
		if (r == 0)
			p->insert_prepared = true;
	}
	if (r == 0)
		r = pg_call(db, PG_EXEC_PREPARED, "olve_ins", NULL, PG_NPARAMS, vals, NULL);
	for (int i = 0; i < PG_NPARAMS; i++)
		free(arr[i]);
	return r;
}

static int64_t val64(PGresult *res, int row, int col);

static int pg_recover(struct lve_db *db)
{
	const char *vals[2] = { db->server_id, NULL };
	PGresult *res = NULL;
	int64_t newest;
	int r;

	r = pg_run(db, "BEGIN", 0, NULL, NULL);
	if (r < 0)
		return r;
	r = pg_run(db, "SELECT max(ts) FROM lve_raw WHERE server_id = $1", 1, vals, &res);
	if (r < 0)
		goto fail;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return pg_run(db, "COMMIT", 0, NULL, NULL);
	}
	newest = val64(res, 0, 0);
	PQclear(res);
	for (int l = 1; l < LVE_LEVELS; l++) {
		_cleanup_free_ char *ins = lve_sql_recover(LVE_SQL_PG, l);
		char del[128], b[24];

		if (!ins) {
			r = -ENOMEM;
			goto fail;
		}
		snprintf(b, sizeof(b), "%" PRId64, lve_bucket(newest, l));
		vals[1] = b;
		snprintf(del, sizeof(del), "DELETE FROM %s WHERE server_id = $1 AND t >= $2::bigint", lve_level_table[l]);
		r = pg_run(db, del, 2, vals, NULL);
		if (r >= 0)
			r = pg_run(db, ins, 2, vals, NULL);
		if (r < 0)
			goto fail;
	}
	return pg_run(db, "COMMIT", 0, NULL, NULL);
fail:
	if (db->be)
		(void)pg_run(db, "ROLLBACK", 0, NULL, NULL);
	return r;
}

static int pg_oldest(struct lve_db *db, int level, int64_t *out)
{
	const char *vals[1] = { db->server_id };
	PGresult *res = NULL;
	char sql[128];
	int r;

	/* the primary key (server_id, ts|t, id) answers this with one index seek */
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE server_id = $1 ORDER BY 1 LIMIT 1", level ? "t" : "ts",
		 lve_level_table[level]);
	r = pg_run(db, sql, 1, vals, &res);
	if (r < 0)
		return r;
	*out = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : INT64_MAX;
	PQclear(res);
	return 0;
}

static int pg_retention(struct lve_db *db, int level, int64_t before, int64_t horizon, uint64_t *removed)
{
	char sql[512], b[24], h[24], key[64];
	const char *vals[4] = { db->server_id, b, key, h };
	PGresult *res = NULL;
	int r;

	/*
	 * One statement, so atomic: the delete and the horizon, which only
	 * moves forward (rows older than the largest one are gone).
	 */
	snprintf(b, sizeof(b), "%" PRId64, before);
	snprintf(h, sizeof(h), "%" PRId64, horizon);
	lve_horizon_key(key, sizeof(key), level, db->server_id);
	snprintf(sql, sizeof(sql),
		 "WITH d AS (DELETE FROM %s WHERE server_id = $1 AND %s < $2::bigint RETURNING 1), "
		 "m AS (INSERT INTO lve_meta (k, v) VALUES ($3::text, $4::text) ON CONFLICT (k) DO UPDATE SET "
		 "v = GREATEST(lve_meta.v::bigint, EXCLUDED.v::bigint)::text RETURNING 1) "
		 "SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM m)",
		 lve_level_table[level], level ? "t" : "ts");
	r = pg_run(db, sql, 4, vals, &res);
	if (r < 0)
		return r;
	*removed += PQntuples(res) == 1 ? strtoull(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

static int64_t val64(PGresult *res, int row, int col)
{
	const char *s = PQgetvalue(res, row, col);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return v < 0 ? INT64_MIN : INT64_MAX;
	return (int64_t)v;
}

/* server_id's recorded horizons (LVE_NO_HORIZON when absent), in the caller's transaction. */
static int pg_horizons(struct lve_db *db, const char *sid, int64_t h[LVE_LEVELS])
{
	char keys[LVE_LEVELS][64];
	const char *vals[LVE_LEVELS];
	PGresult *res = NULL;
	int r;

	for (int l = 0; l < LVE_LEVELS; l++) {
		lve_horizon_key(keys[l], sizeof(keys[l]), l, sid);
		vals[l] = keys[l];
		h[l] = LVE_NO_HORIZON;
	}
	r = pg_run(db, "SELECT k, v::bigint FROM lve_meta WHERE k IN ($1, $2, $3, $4)", LVE_LEVELS, vals, &res);
	if (r < 0)
		return r;
	for (int i = 0; i < PQntuples(res); i++)
		for (int l = 0; l < LVE_LEVELS; l++)
			if (!strcmp(PQgetvalue(res, i, 0), keys[l]))
				h[l] = val64(res, i, 1);
	PQclear(res);
	return 0;
}

static int pg_query_plan(struct lve_db *db, const char *sid, const struct lve_query_plan *pl, uint32_t id,
			 struct lve_agg **out, size_t *nout)
{
	struct pg *p = db->be;
	enum { NB = 4 * LVE_LEVELS };
	char bs[NB + 1][24];
	const char *vals[NB + 2];
	_cleanup_free_ struct lve_agg *a = NULL;
	PGresult *res = NULL;
	size_t n = 0;
	int rows, r;

	if (!p->query_sql[id != 0]) {
		p->query_sql[id != 0] = lve_sql_query(LVE_SQL_PG, id != 0);
		if (!p->query_sql[id != 0])
			return -ENOMEM;
	}
	vals[0] = sid;
	for (int i = 0; i < NB; i++) {
		snprintf(bs[i], sizeof(bs[i]), "%" PRId64, pl->r[i / 4][(i / 2) % 2][i % 2]);
		vals[1 + i] = bs[i];
	}
	snprintf(bs[NB], sizeof(bs[NB]), "%" PRIu32, id);
	vals[NB + 1] = bs[NB];
	r = pg_run(db, p->query_sql[id != 0], id ? NB + 2 : NB + 1, vals, &res);
	if (r < 0)
		return r;
	rows = PQntuples(res);
	if (rows > 0) {
		a = calloc((size_t)rows, sizeof(*a));
		if (!a) {
			PQclear(res);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < rows; i++) {
		int64_t vv[LVE_COL_ANYF], rid = val64(res, i, 0);

		for (unsigned j = 0; j < LVE_COL_ANYF; j++)
			vv[j] = val64(res, i, 2 + (int)j);
		if (rid < 0 || rid > UINT32_MAX || lve_agg_from_row(&a[n], (uint32_t)rid, val64(res, i, 1), vv) < 0)
			continue;
		n++;
	}
	PQclear(res);
	*out = n ? TAKE_PTR(a) : NULL;
	*nout = n;
	return 0;
}

/*
 * The horizons and the aggregate in one REPEATABLE READ snapshot: a
 * retention committed in between cannot remove rows the plan relies on.
 */
static int pg_query(struct lve_db *db, const char *sid, int64_t from, int64_t to, uint32_t id,
		    struct lve_agg **out, size_t *nout, struct lve_query_span *used)
{
	struct lve_query_plan plan;
	_cleanup_free_ struct lve_agg *a = NULL;
	char msg[sizeof(db->msg)];
	int64_t h[LVE_LEVELS];
	size_t n = 0;
	int r;

	r = pg_run(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL);
	if (r < 0)
		return r;
	r = pg_horizons(db, sid, h);
	if (r >= 0) {
		lve_query_plan_tiered(from, to, h, &plan, &used->from, &used->to);
		r = pg_query_plan(db, sid, &plan, id, &a, &n);
	}
	if (r >= 0)
		r = pg_run(db, "COMMIT", 0, NULL, NULL);
	if (r < 0) {
		/* end the failed transaction (a lost connection took it along); keep the first error's text */
		if (db->be) {
			memcpy(msg, db->msg, sizeof(msg));
			(void)pg_run(db, "ROLLBACK", 0, NULL, NULL);
			memcpy(db->msg, msg, sizeof(msg));
		}
		return r;
	}
	*out = TAKE_PTR(a);
	*nout = n;
	return 0;
}

const struct lve_db_ops lve_db_pg_ops = {
	.connect = pg_connect_full,
	.disconnect = pg_disconnect,
	.connected = pg_connected,
	.insert = pg_insert,
	.recover = pg_recover,
	.oldest = pg_oldest,
	.retention = pg_retention,
	.query = pg_query,
	.recreate = NULL,
};
