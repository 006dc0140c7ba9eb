/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * db.c - the statistics history store: backend dispatch, the in-memory
 * queue of passes not stored yet, the query planner and SQL text shared
 * by both backends, and the small parsers lveinfo uses. See stats.h
 * ("db details + query") and db-internal.h (schema).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db-internal.h"

#define F(name, field, kind) { name, kind, offsetof(struct lve_sample, field), sizeof(((struct lve_sample *)0)->field) }
const struct lve_field lve_fields[LVE_COL_ANYF] = {
	F("acpu", aCPU, LVE_FK_USAGE),     F("lcpu", lCPU, LVE_FK_LIMIT),     F("cpuf", CPUf, LVE_FK_FAULT),
	F("aep", aEP, LVE_FK_USAGE),       F("lep", lEP, LVE_FK_LIMIT),       F("epf", EPf, LVE_FK_FAULT),
	F("avmem", aVMem, LVE_FK_USAGE),   F("lvmem", lVMem, LVE_FK_LIMIT),   F("vmemf", VMemF, LVE_FK_FAULT),
	F("apmem", aPMem, LVE_FK_USAGE),   F("lpmem", lPMem, LVE_FK_LIMIT),   F("pmemf", PMemF, LVE_FK_FAULT),
	F("anproc", aNproc, LVE_FK_USAGE), F("lnproc", lNproc, LVE_FK_LIMIT), F("nprocf", NprocF, LVE_FK_FAULT),
	F("aio", aIO, LVE_FK_USAGE),       F("lio", lIO, LVE_FK_LIMIT),       F("iof", IOf, LVE_FK_FAULT),
	F("aiops", aIOPS, LVE_FK_USAGE),   F("liops", lIOPS, LVE_FK_LIMIT),   F("iopsf", IOPSf, LVE_FK_FAULT),
};
#undef F

static const char *const col_alias[LVE_COL__MAX] = {
	"aCPU", "lCPU", "CPUf", "aEP", "lEP", "EPf", "aVMem", "lVMem", "VMemF", "aPMem", "lPMem",
	"PMemF", "aNproc", "lNproc", "NprocF", "aIO", "lIO", "IOf", "aIOPS", "lIOPS", "IOPSf", "anyF",
};

const char *lve_col_alias(int col)
{
	if (col < 0 || col >= LVE_COL__MAX)
		return NULL;
	return col_alias[col];
}

int lve_col_parse(const char *alias)
{
	if (!alias)
		return -EINVAL;
	for (int i = 0; i < LVE_COL__MAX; i++)
		if (!strcasecmp(alias, col_alias[i]))
			return i;
	return -EINVAL;
}

int64_t lve_field_get(const struct lve_sample *s, unsigned i)
{
	const char *p = (const char *)s + lve_fields[i].off;
	uint64_t v;

	if (lve_fields[i].size == 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		v = x;
	} else {
		memcpy(&v, p, 8);
	}
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t lve_db_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void lve_db_set_msg(struct lve_db *db, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(db->msg, sizeof(db->msg), fmt, ap);
	va_end(ap);
	/* one line: backends' messages end with '\n' or hold several lines */
	for (char *c = db->msg; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	n = strlen(db->msg);
	while (n && db->msg[n - 1] == ' ')
		db->msg[--n] = 0;
}

int lve_agg_from_row(struct lve_agg *a, uint32_t id, int64_t n, const int64_t *vals)
{
	double faults = 0;

	if (n <= 0)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->n = (uint64_t)n;
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		switch (lve_fields[i].kind) {
		case LVE_FK_USAGE:
			a->v[i] = (double)vals[i] / (double)n;
			break;
		case LVE_FK_LIMIT:
			a->v[i] = (double)vals[i];
			break;
		case LVE_FK_FAULT:
			a->v[i] = (double)vals[i];
			faults += (double)vals[i];
			break;
		}
	}
	a->v[LVE_COL_ANYF] = faults;
	return 0;
}

/* ---------------------------------------------------------- accumulator */

struct acc_slot {
	uint32_t id;
	bool used;
	int64_t n;
	int64_t v[LVE_COL_ANYF];
};

struct lve_acc {
	struct acc_slot *slot;
	size_t cap, used; /* cap a power of two */
};

int lve_acc_new(struct lve_acc **out)
{
	struct lve_acc *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->cap = 1024;
	a->slot = calloc(a->cap, sizeof(*a->slot));
	if (!a->slot) {
		free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void lve_acc_free(struct lve_acc *a)
{
	if (!a)
		return;
	free(a->slot);
	free(a);
}

static size_t acc_hash(uint32_t id, size_t cap)
{
	return (size_t)((id * 2654435761u) & (uint32_t)(cap - 1));
}

static struct acc_slot *acc_find(struct acc_slot *slot, size_t cap, uint32_t id)
{
	size_t i = acc_hash(id, cap);

	while (slot[i].used && slot[i].id != id)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int acc_grow(struct lve_acc *a)
{
	size_t ncap = a->cap * 2;
	struct acc_slot *ns;

	if (ncap > (size_t)UINT32_MAX * 2 || ncap > SIZE_MAX / sizeof(*ns))
		return -ENOMEM;
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < a->cap; i++)
		if (a->slot[i].used)
			*acc_find(ns, ncap, a->slot[i].id) = a->slot[i];
	free(a->slot);
	a->slot = ns;
	a->cap = ncap;
	return 0;
}

static int64_t sat_add(int64_t x, int64_t y)
{
	int64_t r;

	if (__builtin_add_overflow(x, y, &r))
		return y > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int lve_acc_add(struct lve_acc *a, uint32_t id, int64_t n, const int64_t *vals)
{
	struct acc_slot *s;

	if (n <= 0)
		return 0; /* nothing to add */
	if ((a->used + 1) * 4 > a->cap * 3) {
		int r = acc_grow(a);
		if (r < 0)
			return r;
	}
	s = acc_find(a->slot, a->cap, id);
	if (!s->used) {
		s->used = true;
		s->id = id;
		a->used++;
		s->n = n;
		memcpy(s->v, vals, sizeof(s->v));
		return 0;
	}
	s->n = sat_add(s->n, n);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		if (lve_fields[i].kind == LVE_FK_LIMIT) {
			if (vals[i] > s->v[i])
				s->v[i] = vals[i];
		} else
			s->v[i] = sat_add(s->v[i], vals[i]);
	}
	return 0;
}

static int cmp_agg_id(const void *pa, const void *pb)
{
	const struct lve_agg *x = pa, *y = pb;

	return x->id < y->id ? -1 : x->id > y->id;
}

int lve_acc_take(struct lve_acc *a, struct lve_agg **out, size_t *nout)
{
	struct lve_agg *r = NULL;
	size_t k = 0;

	if (a->used) {
		r = calloc(a->used, sizeof(*r));
		if (!r)
			return -ENOMEM;
		for (size_t i = 0; i < a->cap; i++)
			if (a->slot[i].used && lve_agg_from_row(&r[k], a->slot[i].id, a->slot[i].n, a->slot[i].v) >= 0)
				k++;
		qsort(r, k, sizeof(*r), cmp_agg_id);
	}
	*out = r;
	*nout = k;
	return 0;
}

/* ------------------------------------------------------------ SQL text */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
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
		size_t ncap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static char *sb_take(struct sbuf *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

static void rollup_table(struct sbuf *b, enum lve_sql_style st, const char *name)
{
	const char *big = st == LVE_SQL_PG ? "BIGINT" : "INTEGER";

	sb_printf(b, "CREATE TABLE IF NOT EXISTS %s (server_id %s NOT NULL, id %s NOT NULL, t %s NOT NULL, "
		     "n %s NOT NULL, secs %s NOT NULL",
		  name, st == LVE_SQL_PG ? "VARCHAR(10)" : "TEXT", big, big, big, big);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		sb_printf(b, ", %s%s %s NOT NULL", lve_fields[i].col, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "",
			  big);
	sb_printf(b, ", PRIMARY KEY (server_id, t, id))%s;\n", st == LVE_SQL_SQLITE ? " WITHOUT ROWID" : "");
}

char *lve_sql_schema(enum lve_sql_style st)
{
	struct sbuf b = { 0 };
	const char *big = st == LVE_SQL_PG ? "BIGINT" : "INTEGER";

	sb_printf(&b, "CREATE TABLE IF NOT EXISTS lve_meta (k %s PRIMARY KEY, v %s NOT NULL);\n",
		  st == LVE_SQL_PG ? "VARCHAR(64)" : "TEXT", st == LVE_SQL_PG ? "VARCHAR(256)" : "TEXT");
	sb_printf(&b, "CREATE TABLE IF NOT EXISTS lve_raw (server_id %s NOT NULL, id %s NOT NULL, ts %s NOT NULL, "
		      "n %s NOT NULL DEFAULT 1, secs %s NOT NULL",
		  st == LVE_SQL_PG ? "VARCHAR(10)" : "TEXT", big, big, big, big);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		sb_printf(&b, ", %s %s NOT NULL", lve_fields[i].col, big);
	sb_printf(&b, ", nprocs %s NOT NULL, nthreads %s NOT NULL, PRIMARY KEY (server_id, ts, id))%s;\n", big, big,
		  st == LVE_SQL_SQLITE ? " WITHOUT ROWID" : "");
	for (int l = 1; l < LVE_LEVELS; l++)
		rollup_table(&b, st, lve_level_table[l]);
	if (st == LVE_SQL_PG)
		sb_printf(&b, "INSERT INTO lve_meta (k, v) VALUES ('schema_version', '%d') ON CONFLICT (k) DO NOTHING;\n",
			  LVE_DB_SCHEMA_VERSION);
	else
		sb_printf(&b, "INSERT OR IGNORE INTO lve_meta (k, v) VALUES ('schema_version', '%d');\n",
			  LVE_DB_SCHEMA_VERSION);
	return sb_take(&b);
}

static void param(struct sbuf *b, enum lve_sql_style st, int i)
{
	sb_printf(b, st == LVE_SQL_PG ? "$%d" : "?%d", i);
}

const char *const lve_level_table[LVE_LEVELS] = { "lve_raw", "lve_minute", "lve_hour", "lve_day" };
const int64_t lve_level_secs[LVE_LEVELS] = { 1, 60, 3600, 86400 };

/* Rows of one level in [param pa, param pa+1), with their n (a raw run: its values times n). */
static void query_branch(struct sbuf *b, enum lve_sql_style st, int level, int pa, int pid)
{
	bool raw = level == 0;

	sb_printf(b, "SELECT id, n");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		const char *c = lve_fields[i].col;

		if (lve_fields[i].kind == LVE_FK_LIMIT)
			sb_printf(b, ", %s AS c%u", c, i);
		else if (raw)
			sb_printf(b, ", %s * n AS c%u", c, i);
		else
			sb_printf(b, ", %s%s AS c%u", c, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "", i);
	}
	sb_printf(b, " FROM %s WHERE server_id = ", lve_level_table[level]);
	param(b, st, 1);
	if (pa < 0) { /* [i12] one ts|t: = param -pa (a key seek with the id) */
		sb_printf(b, " AND %s = ", raw ? "ts" : "t");
		param(b, st, -pa);
	} else {
		sb_printf(b, " AND %s >= ", raw ? "ts" : "t");
		param(b, st, pa);
		sb_printf(b, " AND %s < ", raw ? "ts" : "t");
		param(b, st, pa + 1);
	}
	if (pid) {
		sb_printf(b, " AND id = ");
		param(b, st, pid);
	}
}

char *lve_sql_recover(enum lve_sql_style st, int level)
{
	struct sbuf b = { 0 };
	const char *tc = level == 1 ? "ts" : "t";
	int64_t secs;

	if (level < 1 || level >= LVE_LEVELS)
		return NULL;
	secs = lve_level_secs[level];
	sb_printf(&b, "INSERT INTO %s (server_id, id, t, n, secs", lve_level_table[level]);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		sb_printf(&b, ", %s%s", lve_fields[i].col, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
	sb_printf(&b, ") SELECT server_id, id, %s - %s %% %lld, SUM(n), SUM(secs)", tc, tc, (long long)secs);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		const char *c = lve_fields[i].col;

		if (lve_fields[i].kind == LVE_FK_LIMIT)
			sb_printf(&b, ", MAX(%s)", c);
		else if (level == 1)
			sb_printf(&b, ", SUM(%s * n)", c);
		else
			sb_printf(&b, ", SUM(%s%s)", c, lve_fields[i].kind == LVE_FK_USAGE ? "_sum" : "");
	}
	sb_printf(&b, " FROM %s WHERE server_id = ", lve_level_table[level - 1]);
	param(&b, st, 1);
	sb_printf(&b, " AND %s >= ", tc);
	param(&b, st, 2);
	sb_printf(&b, " GROUP BY server_id, id, %s - %s %% %lld", tc, tc, (long long)secs);
	return sb_take(&b);
}

char *lve_sql_branch(enum lve_sql_style st, int level, int pa, int pid)
{
	struct sbuf b = { 0 };

	if (level < 0 || level >= LVE_LEVELS)
		return NULL;
	query_branch(&b, st, level, pa, pid);
	return sb_take(&b);
}

char *lve_sql_query(enum lve_sql_style st, bool with_id)
{
	struct sbuf b = { 0 };
	int k = 0;

	sb_printf(&b, "SELECT id, SUM(n)");
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		sb_printf(&b, ", %s(c%u)", lve_fields[i].kind == LVE_FK_LIMIT ? "MAX" : "SUM", i);
	sb_printf(&b, " FROM (");
	for (int l = 0; l < LVE_LEVELS; l++)
		for (int part = 0; part < 2; part++, k++) {
			if (k)
				sb_printf(&b, " UNION ALL ");
			query_branch(&b, st, l, 2 + 2 * k, with_id ? 2 + 4 * LVE_LEVELS : 0);
		}
	sb_printf(&b, ") u GROUP BY id ORDER BY id");
	return sb_take(&b);
}

/* floor / ceil to a multiple of m (m > 0), for any sign of v. */
static int64_t floor_to(int64_t v, int64_t m)
{
	int64_t r = v % m;

	return r < 0 ? v - r - m : v - r;
}

static int64_t ceil_to(int64_t v, int64_t m)
{
	int64_t f = floor_to(v, m);

	return f == v ? v : f + m;
}

int64_t lve_bucket(int64_t ts, int level)
{
	return floor_to(ts, lve_level_secs[level]);
}

void lve_query_plan_make(int64_t from, int64_t to, struct lve_query_plan *p)
{
	int64_t lo = from, hi = to;

	memset(p, 0, sizeof(*p));
	if (from >= to)
		return;
	for (int l = 0; l < LVE_LEVELS; l++) {
		int64_t n0, n1;

		if (l + 1 == LVE_LEVELS) {
			p->r[l][0][0] = lo;
			p->r[l][0][1] = hi;
			return;
		}
		n0 = ceil_to(lo, lve_level_secs[l + 1]);
		n1 = floor_to(hi, lve_level_secs[l + 1]);
		if (n0 >= n1) {
			/* no whole bucket of the next level inside */
			p->r[l][0][0] = lo;
			p->r[l][0][1] = hi;
			return;
		}
		p->r[l][0][0] = lo;
		p->r[l][0][1] = n0;
		p->r[l][1][0] = n1;
		p->r[l][1][1] = hi;
		lo = n0;
		hi = n1;
	}
}

/* Queries are planned within +-2^62 s: every floor/ceil below stays in range. */
#define LVE_TS_LIMIT ((int64_t)1 << 62)

static int64_t clamp_ts(int64_t v)
{
	return v < -LVE_TS_LIMIT ? -LVE_TS_LIMIT : v > LVE_TS_LIMIT ? LVE_TS_LIMIT : v;
}

/* Every non-empty part starts where its level still holds all rows. */
static bool plan_fits(const struct lve_query_plan *p, const int64_t keep[LVE_LEVELS])
{
	for (int l = 0; l < LVE_LEVELS; l++)
		for (int k = 0; k < 2; k++)
			if (p->r[l][k][0] < p->r[l][k][1] && p->r[l][k][0] < keep[l])
				return false;
	return true;
}

void lve_query_plan_tiered(int64_t from, int64_t to, const int64_t horizon[LVE_LEVELS], struct lve_query_plan *p,
			   int64_t *from_used, int64_t *to_used)
{
	int64_t keep[LVE_LEVELS], lo, f = 0, t = to;
	int lf;

	from = clamp_ts(from);
	to = clamp_ts(to);
	memset(p, 0, sizeof(*p));
	/*
	 * keep[l]: level l holds every row from here on (raw: ts >= horizon; a
	 * rollup: buckets with t + secs > horizon, i.e. t >= floor(horizon)).
	 * A finer level is never trusted further back than a coarser one.
	 */
	for (int l = 0; l < LVE_LEVELS; l++)
		keep[l] = horizon[l] == LVE_NO_HORIZON ? LVE_NO_HORIZON
						       : floor_to(clamp_ts(horizon[l]), lve_level_secs[l]);
	for (int l = LVE_LEVELS - 2; l >= 0; l--)
		if (keep[l] < keep[l + 1])
			keep[l] = keep[l + 1];
	/* nothing older than the coarsest horizon is kept anywhere */
	lo = from > keep[LVE_LEVELS - 1] ? from : keep[LVE_LEVELS - 1];
	if (from >= to || lo >= to) {
		*from_used = from >= to ? from : to;
		*to_used = to;
		return;
	}
	/*
	 * from: down to the bucket of the finest level that holds it. It exists:
	 * lo >= keep[day], which is a day boundary (or no horizon at all).
	 */
	for (lf = 0; lf < LVE_LEVELS - 1; lf++) {
		f = floor_to(lo, lve_level_secs[lf]);
		if (f >= keep[lf])
			break;
	}
	if (lf == LVE_LEVELS - 1)
		f = floor_to(lo, lve_level_secs[lf]);
	/*
	 * to: up to the finest bucket whose plan fits. The one of from's level
	 * always fits: then every finer part is empty and every other part
	 * starts at or after f.
	 */
	for (int l = 0; l < LVE_LEVELS; l++) {
		t = ceil_to(to, lve_level_secs[l]);
		lve_query_plan_make(f, t, p);
		if (l >= lf || plan_fits(p, keep))
			break;
	}
	*from_used = f;
	*to_used = t;
}

void lve_horizon_key(char *buf, size_t size, int level, const char *server_id)
{
	snprintf(buf, size, "horizon.%s.%s", lve_level_table[level], server_id);
}

/* ------------------------------------------------------------- parsers */

static bool server_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int copy_part(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

int lve_db_parse_connect_string(const char *s, struct lve_pg_conninfo *out)
{
	struct lve_pg_conninfo c = { 0 };
	const char *at, *colon, *host, *slash, *hend, *port = NULL;
	size_t ulen;

	if (!s || !out)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EINVAL;
	/* the host part cannot hold '@': split at the last one */
	at = strrchr(s, '@');
	if (!at)
		return -EINVAL;
	colon = memchr(s, ':', (size_t)(at - s));
	if (!colon)
		return -EINVAL;
	ulen = (size_t)(colon - s);
	if (ulen == 0 || memchr(s, '/', ulen) || memchr(s, '@', ulen))
		return -EINVAL;
	if (copy_part(c.user, sizeof(c.user), s, ulen) < 0 ||
	    copy_part(c.password, sizeof(c.password), colon + 1, (size_t)(at - colon - 1)) < 0)
		return -EINVAL;

	host = at + 1;
	if (*host == '[') {
		hend = strchr(host, ']');
		if (!hend || hend == host + 1)
			return -EINVAL;
		for (const char *p = host + 1; p < hend; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return -EINVAL;
		if (copy_part(c.host, sizeof(c.host), host + 1, (size_t)(hend - host - 1)) < 0)
			return -EINVAL;
		hend++;
	} else {
		hend = host;
		while (*hend && *hend != ':' && *hend != '/') {
			if (!isalnum((unsigned char)*hend) && *hend != '.' && *hend != '-' && *hend != '_')
				return -EINVAL;
			hend++;
		}
		if (hend == host || copy_part(c.host, sizeof(c.host), host, (size_t)(hend - host)) < 0)
			return -EINVAL;
	}
	if (*hend == ':') {
		unsigned long v = 0;
		const char *p;

		port = hend + 1;
		for (p = port; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return -EINVAL;
		}
		if (p == port || v == 0 || (p - port) > 5)
			return -EINVAL;
		snprintf(c.port, sizeof(c.port), "%lu", v);
		hend = p;
	}
	if (*hend != '/')
		return -EINVAL;
	slash = hend + 1;
	if (!*slash)
		return -EINVAL;
	for (const char *p = slash; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return -EINVAL;
	if (copy_part(c.dbname, sizeof(c.dbname), slash, strlen(slash)) < 0)
		return -EINVAL;
	*out = c;
	return 0;
}

/* Strict unsigned decimal of exactly `len` digits (len 0: any length 1..18). */
static int parse_digits(const char **p, size_t len, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	size_t n = 0;

	while (*s >= '0' && *s <= '9' && (len == 0 || n < len)) {
		if (n >= 18)
			return -EINVAL;
		v = v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0 || (len && n != len))
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int local_midnight(int64_t t, int64_t *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	time_t r;

	if (!localtime_r(&tt, &tm))
		return -EINVAL;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	r = mktime(&tm);
	if (r == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)r;
	return 0;
}

#define LVE_TIME_MAX ((int64_t)253402300799) /* 9999-12-31T23:59:59Z */

int lve_parse_time(const char *s, int64_t now, int64_t *out)
{
	int64_t y, mo, d, h = 0, mi = 0, sec = 0;
	const char *p = s;
	struct tm tm = { 0 };
	time_t r;

	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (*p == '@') {
		int64_t v;

		p++;
		if (parse_digits(&p, 0, &v) < 0 || *p || v > LVE_TIME_MAX)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (parse_digits(&p, 4, &y) < 0 || *p++ != '-' || parse_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    parse_digits(&p, 2, &d) < 0)
		return -EINVAL;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &mi) < 0)
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec) < 0)
				return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	tm.tm_isdst = -1;
	r = mktime(&tm);
	/* mktime normalizes Feb 30 into March: reject dates that moved */
	if (r == (time_t)-1 || tm.tm_mday != (int)d || tm.tm_mon != (int)(mo - 1))
		return -EINVAL;
	*out = (int64_t)r;
	return 0;
}

int lve_parse_period(const char *s, int64_t now, int64_t *from, int64_t *to)
{
	int64_t v, unit, mid;
	const char *p = s;
	int r;

	if (!s || !from || !to || now < 0 || now > LVE_TIME_MAX)
		return -EINVAL;
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		r = local_midnight(now, &mid);
		if (r < 0)
			return r;
		if (s[0] == 't') {
			*from = mid;
			*to = now + 1;
		} else {
			int64_t prev;

			/* the midnight of the day holding the last second before today */
			r = local_midnight(mid - 1, &prev);
			if (r < 0)
				return r;
			*from = prev;
			*to = mid;
		}
		return 0;
	}
	if (parse_digits(&p, 0, &v) < 0 || v < 1)
		return -EINVAL;
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	if (p[1])
		return -EINVAL;
	if (v > LVE_TIME_MAX / unit)
		return -EINVAL;
	*from = now - v * unit;
	*to = now + 1;
	return 0;
}

/* ---------------------------------------------------------------- queue */

static void pass_free(struct lve_pass *p)
{
	if (!p)
		return;
	free(p->raw);
	for (int l = 0; l < LVE_LEVELS; l++)
		free(p->roll[l]);
	free(p);
}

static void queue_pop(struct lve_db *db)
{
	struct lve_pass *p = db->head;

	db->head = p->next;
	if (!db->head)
		db->tail = NULL;
	db->q_passes--;
	db->q_samples -= p->nraw;
	pass_free(p);
}

static void queue_trim(struct lve_db *db)
{
	int64_t newest = db->tail ? db->tail->ts : 0;

	while (db->head && db->head != db->tail &&
	       (db->q_samples > db->max_samples || db->head->ts < newest - db->max_age)) {
		db->dropped += db->head->nraw;
		queue_pop(db);
	}
	/* a single batch above the bound is still kept: it is the newest */
}

/* Queue a batch (taken over; an empty one is freed). */
static void queue_push(struct lve_db *db, struct lve_pass *p)
{
	if (!p->n) {
		pass_free(p);
		return;
	}
	p->next = NULL;
	if (db->tail)
		db->tail->next = p;
	else
		db->head = p;
	db->tail = p;
	db->q_passes++;
	db->q_samples += p->nraw;
	queue_trim(db);
}

/* ------------------------------------------------- open runs and buckets */

/*
 * Per LVE: the newest ts seen (a sample at or before it is a re-send and
 * ignored), the open run of identical quiet samples, the open bucket of
 * each rollup level (t == LVE_NO_BUCKET: none).
 */
#define LVE_NO_BUCKET INT64_MIN

struct lve_open {
	uint32_t id;
	bool used;
	bool run_open;
	int64_t last_ts;
	struct lve_rawrow run;
	struct lve_rollrow b[LVE_LEVELS];
};

static bool sample_same(const struct lve_sample *a, const struct lve_sample *b)
{
	for (unsigned i = 0; i < LVE_COL_ANYF; i++)
		if (lve_field_get(a, i) != lve_field_get(b, i))
			return false;
	return a->nprocs == b->nprocs && a->nthreads == b->nthreads;
}

static int64_t mul_sat(int64_t v, int64_t n)
{
	int64_t r;

	if (__builtin_mul_overflow(v, n, &r))
		return INT64_MAX;
	return r;
}

/*
 * The table: entries in a dense array (db->open, db->open_used of
 * db->open_cap), found through an open-addressing index of positions
 * (db->open_idx, db->open_icap slots, a power of two, UINT32_MAX = empty).
 */
static uint32_t *idx_slot(uint32_t *idx, size_t icap, const struct lve_open *v, uint32_t id)
{
	size_t i = acc_hash(id, icap);

	while (idx[i] != UINT32_MAX && v[idx[i]].id != id)
		i = (i + 1) & (icap - 1);
	return &idx[i];
}

static void open_init(struct lve_open *o, uint32_t id)
{
	memset(o, 0, sizeof(*o));
	o->used = true;
	o->id = id;
	o->last_ts = INT64_MIN;
	for (int l = 0; l < LVE_LEVELS; l++)
		o->b[l].t = LVE_NO_BUCKET;
}

static bool open_busy(const struct lve_open *o);

static int idx_build(struct lve_db *db, size_t want)
{
	size_t icap = 1024;
	uint32_t *ni;

	while (icap * 3 < want * 4 + 4) {
		if (icap > SIZE_MAX / 2 / sizeof(*ni) || icap >= UINT32_MAX / 2)
			return -ENOMEM;
		icap *= 2;
	}
	ni = malloc(icap * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	memset(ni, 0xff, icap * sizeof(*ni));
	for (size_t i = 0; i < db->open_used; i++)
		*idx_slot(ni, icap, db->open, db->open[i].id) = (uint32_t)i;
	free(db->open_idx);
	db->open_idx = ni;
	db->open_icap = icap;
	return 0;
}

/* Drop entries neither busy nor seen at keep_after or later (when a quarter of them or more are). */
static int open_compact(struct lve_db *db, int64_t keep_after)
{
	size_t j = 0, drop = 0;

	for (size_t i = 0; i < db->open_used; i++)
		drop += db->open[i].last_ts < keep_after && !open_busy(&db->open[i]);
	if (drop == 0 || drop * 4 < db->open_used)
		return 0;
	for (size_t i = 0; i < db->open_used; i++)
		if (db->open[i].last_ts >= keep_after || open_busy(&db->open[i]))
			db->open[j++] = db->open[i];
	db->open_used = j;
	return idx_build(db, j);
}

static int open_get(struct lve_db *db, uint32_t id, struct lve_open **out)
{
	uint32_t *slot;
	int r;

	if (!db->open_idx || (db->open_used + 1) * 4 > db->open_icap * 3) {
		r = idx_build(db, (db->open_used + 1) * 2);
		if (r < 0)
			return r;
	}
	slot = idx_slot(db->open_idx, db->open_icap, db->open, id);
	if (*slot == UINT32_MAX) {
		if (db->open_used == db->open_cap) {
			size_t nc = db->open_cap ? db->open_cap * 2 : 1024;
			struct lve_open *nv;

			if (nc > SIZE_MAX / sizeof(*nv) || nc >= UINT32_MAX)
				return -ENOMEM;
			nv = realloc(db->open, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			db->open = nv;
			db->open_cap = nc;
		}
		open_init(&db->open[db->open_used], id);
		*slot = (uint32_t)db->open_used++;
	}
	*out = &db->open[*slot];
	return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t nc;
	void *nv;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 256;
	while (nc < need)
		nc *= 2;
	if (nc > SIZE_MAX / size)
		return -ENOMEM;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static int batch_raw(struct lve_pass *p, const struct lve_rawrow *r)
{
	int e = grow((void **)&p->raw, &p->capraw, p->nraw + 1, sizeof(*p->raw));

	if (e < 0)
		return e;
	p->raw[p->nraw++] = *r;
	p->n++;
	if (r->s.ts > p->ts)
		p->ts = r->s.ts;
	return 0;
}

static int batch_roll(struct lve_pass *p, int l, const struct lve_rollrow *r)
{
	int e = grow((void **)&p->roll[l], &p->caproll[l], p->nroll[l] + 1, sizeof(*p->roll[l]));

	if (e < 0)
		return e;
	p->roll[l][p->nroll[l]++] = *r;
	p->n++;
	if (r->t > p->ts)
		p->ts = r->t;
	return 0;
}

static void roll_merge(struct lve_rollrow *b, const struct lve_rollrow *x)
{
	b->n = sat_add(b->n, x->n);
	b->secs = sat_add(b->secs, x->secs);
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		if (lve_fields[i].kind == LVE_FK_LIMIT) {
			if (x->v[i] > b->v[i])
				b->v[i] = x->v[i];
		} else
			b->v[i] = sat_add(b->v[i], x->v[i]);
	}
}

static int roll_add(struct lve_open *o, int l, const struct lve_rollrow *x, struct lve_pass *p);

/* Write level l's open bucket into the batch and fold it into level l + 1. */
static int roll_close(struct lve_open *o, int l, struct lve_pass *p)
{
	struct lve_rollrow r = o->b[l];
	int e;

	if (r.t == LVE_NO_BUCKET)
		return 0;
	o->b[l].t = LVE_NO_BUCKET;
	e = batch_roll(p, l, &r);
	if (e >= 0 && l + 1 < LVE_LEVELS)
		e = roll_add(o, l + 1, &r, p);
	return e;
}

/* Add x (t: any time inside the bucket) to level l's bucket, closing another one first. */
static int roll_add(struct lve_open *o, int l, const struct lve_rollrow *x, struct lve_pass *p)
{
	int64_t t = lve_bucket(x->t, l);
	struct lve_rollrow *b = &o->b[l];

	if (b->t != LVE_NO_BUCKET && b->t != t) {
		int e = roll_close(o, l, p);
		if (e < 0)
			return e;
	}
	if (b->t == LVE_NO_BUCKET) {
		*b = *x;
		b->t = t;
		return 0;
	}
	roll_merge(b, x);
	return 0;
}

/* A raw row into the batch and its minute bucket. */
static int emit_raw(struct lve_open *o, const struct lve_rawrow *r, struct lve_pass *p)
{
	struct lve_rollrow x = { .id = r->s.id, .t = r->s.ts, .n = r->n, .secs = r->secs };
	int e = batch_raw(p, r);

	if (e < 0)
		return e;
	for (unsigned i = 0; i < LVE_COL_ANYF; i++) {
		int64_t v = lve_field_get(&r->s, i);

		x.v[i] = lve_fields[i].kind == LVE_FK_LIMIT ? v : mul_sat(v, r->n);
	}
	return roll_add(o, 1, &x, p);
}

static int run_end(struct lve_open *o, struct lve_pass *p)
{
	if (!o->run_open)
		return 0;
	o->run_open = false;
	return emit_raw(o, &o->run, p);
}

static int take_sample(struct lve_db *db, const struct lve_sample *x, struct lve_pass *p)
{
	struct lve_open *o;
	int e = open_get(db, x->id, &o);

	if (e < 0)
		return e;
	if (x->ts == o->last_ts)
		return 0; /* the same sample sent again: stored already */
	o->last_ts = x->ts;
	if (x->quiet && o->run_open && lve_bucket(o->run.s.ts, 1) == lve_bucket(x->ts, 1) &&
	    sample_same(&o->run.s, x)) {
		o->run.n++;
		o->run.secs += x->interval;
		return 0;
	}
	e = run_end(o, p);
	if (e < 0)
		return e;
	if (x->quiet) {
		o->run = (struct lve_rawrow){ .s = *x, .n = 1, .secs = x->interval };
		o->run_open = true;
		return 0;
	}
	return emit_raw(o, &(struct lve_rawrow){ .s = *x, .n = 1, .secs = x->interval }, p);
}

static bool open_busy(const struct lve_open *o)
{
	if (o->run_open)
		return true;
	for (int l = 1; l < LVE_LEVELS; l++)
		if (o->b[l].t != LVE_NO_BUCKET)
			return true;
	return false;
}

/*
 * End runs of an earlier minute than now_ts's and write the buckets that
 * ended by then (all of them when all); entries left with nothing open are
 * dropped from the table (an LVE that went away).
 */
static int open_tick(struct lve_db *db, int64_t now_ts, bool all, struct lve_pass *p)
{
	int64_t m = lve_bucket(now_ts, 1);
	int e = 0;

	for (size_t i = 0; i < db->open_used && e >= 0; i++) {
		struct lve_open *o = &db->open[i];

		if (o->run_open && (all || lve_bucket(o->run.s.ts, 1) < m))
			e = run_end(o, p);
		for (int l = 1; l < LVE_LEVELS && e >= 0; l++)
			if (o->b[l].t != LVE_NO_BUCKET && (all || o->b[l].t + lve_level_secs[l] <= m))
				e = roll_close(o, l, p);
	}
	/* keep the dedupe state of LVEs seen within the last minute */
	if (e >= 0 && db->open_used > 0)
		e = open_compact(db, m - 60);
	return e;
}

/* -------------------------------------------------------------- handle */

static int take_all(struct lve_db *db);
static int flush(struct lve_db *db, int64_t deadline, bool *recreated);

/*
 * A writer whose last connection attempt timed out (a server that drops
 * packets) waits LVE_DB_RETRY_USEC before the next one instead of spending
 * the connect deadline on every pass; refused connections fail at once and
 * are retried every time.
 */
#define LVE_DB_RETRY_USEC (15 * 1000000LL)

static int open_backend(struct lve_db *db, bool *recreated)
{
	int r;

	if (db->ops->connected(db))
		return 0;
	if (db->retry_at && lve_db_now_usec() < db->retry_at && db->last_error < 0)
		return db->last_error;
	db->retry_at = 0;
	r = db->ops->connect(db);
	/* a fresh writer: rebuild the buckets a previous one left open (before anything of ours is stored) */
	if (r >= 0 && !(db->flags & LVE_DB_READONLY) && !db->recovered) {
		r = db->ops->recover(db);
		if (r < 0)
			db->ops->disconnect(db);
		else
			db->recovered = true;
	}
	if (r == -ETIMEDOUT && !(db->flags & LVE_DB_READONLY))
		db->retry_at = lve_db_now_usec() + LVE_DB_RETRY_USEC;
	if (r == -EUCLEAN && !(db->flags & LVE_DB_READONLY) && db->ops->recreate) {
		r = db->ops->recreate(db);
		if (r >= 0) {
			db->recreated++;
			db->recovered = true; /* a new, empty file */
			*recreated = true;
		}
	}
	return r;
}

int lve_db_open_flags(const struct lvestats_conf *conf, unsigned flags, struct lve_db **out)
{
	struct lve_db *db;
	bool recreated = false;
	int r;

	if (!conf || !out || (flags & ~LVE_DB_READONLY))
		return -EINVAL;
	if (!server_id_ok(conf->server_id))
		return -EINVAL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->flags = flags;
	db->tick_minute = INT64_MIN;
	snprintf(db->server_id, sizeof(db->server_id), "%s", conf->server_id);
	db->keep_days = conf->keep_history_days ? conf->keep_history_days : 60;
	db->keep_minute_days = conf->keep_minute_days ? conf->keep_minute_days : 7;
	if (db->keep_minute_days > db->keep_days)
		db->keep_minute_days = db->keep_days;
	db->keep_raw_hours = conf->keep_raw_hours ? conf->keep_raw_hours : 24;
	if ((uint64_t)db->keep_raw_hours > (uint64_t)db->keep_minute_days * 24)
		db->keep_raw_hours = db->keep_minute_days * 24;
	/* retention chunks of about 180 buckets per LVE: 15 min of 5 s samples, 3 h of minutes, ... */
	db->ret_budget_ms = LVE_DB_RETENTION_BUDGET_MS;
	db->ret_chunks = INT32_MAX;
	db->ret_span[0] = 900;
	for (int l = 1; l < LVE_LEVELS; l++)
		db->ret_span[l] = 180 * lve_level_secs[l];
	db->busy_ms = 200;
	db->connect_ms = 2000;
	db->query_ms = flags & LVE_DB_READONLY ? 30000 : 3000;
	db->max_samples = LVE_DB_QUEUE_MAX_SAMPLES;
	db->max_age = LVE_DB_QUEUE_MAX_AGE;

	if (!conf->db_type[0] || !strcmp(conf->db_type, "sqlite")) {
		const char *path = conf->sqlite_path ? conf->sqlite_path : "/var/lve/lvestats2.db";

		if (path[0] != '/') {
			free(db);
			return -EINVAL;
		}
		db->ops = &lve_db_sqlite_ops;
		db->sqlite_path = strdup(path);
		if (!db->sqlite_path) {
			free(db);
			return -ENOMEM;
		}
	} else if (!strcmp(conf->db_type, "postgresql")) {
#ifdef HAVE_LIBPQ
		struct lve_pg_conninfo ci;

		if (!conf->connect_string || lve_db_parse_connect_string(conf->connect_string, &ci) < 0) {
			free(db);
			return -EINVAL;
		}
		db->ops = &lve_db_pg_ops;
		db->pg = malloc(sizeof(*db->pg));
		if (!db->pg) {
			free(db);
			return -ENOMEM;
		}
		*db->pg = ci;
#else
		free(db);
		return -EOPNOTSUPP; /* built without libpq */
#endif
	} else if (!strcmp(conf->db_type, "mysql")) {
		/* [i10] MySQL / MariaDB: db-mysql.c, the same connect_string */
#ifdef HAVE_MYSQL
		struct lve_pg_conninfo ci;

		if (!conf->connect_string || lve_db_parse_connect_string(conf->connect_string, &ci) < 0) {
			free(db);
			return -EINVAL;
		}
		db->ops = &lve_db_mysql_ops;
		db->pg = malloc(sizeof(*db->pg));
		if (!db->pg) {
			free(db);
			return -ENOMEM;
		}
		*db->pg = ci;
#else
		free(db);
		return -EOPNOTSUPP; /* built without libmariadb */
#endif
	} else {
		free(db);
		return -EINVAL;
	}

	/* readers connect at their first query (its error carries the backend's message) */
	if (!(flags & LVE_DB_READONLY)) {
		r = open_backend(db, &recreated);
		if (r == -ENOMEM) {
			lve_db_close(db);
			return r;
		}
		/* other errors: a writer retries at every insert */
		if (r < 0)
			db->last_error = r;
	}
	*out = db;
	return recreated ? LVE_DB_RECREATED : 0;
}

int lve_db_open(const struct lvestats_conf *conf, struct lve_db **out)
{
	return lve_db_open_flags(conf, 0, out);
}

void lve_db_close(struct lve_db *db)
{
	if (!db)
		return;
	/* a writer still connected stores its open runs and buckets (no new connection attempt) */
	if (db->ops && !(db->flags & LVE_DB_READONLY) && db->ops->connected(db) && take_all(db) >= 0) {
		bool recreated = false;

		(void)flush(db, lve_db_now_usec() + (int64_t)LVE_DB_FLUSH_BUDGET_MS * 1000, &recreated);
	}
	if (db->ops)
		db->ops->disconnect(db);
	while (db->head)
		queue_pop(db);
	free(db->open);
	free(db->open_idx);
	free(db->sqlite_path);
	free(db->pg);
	free(db);
}

int lve_db_tune(struct lve_db *db, const struct lve_db_tuning *t)
{
	if (!db || !t || t->busy_ms < 0 || t->connect_ms < 0 || t->query_ms < 0 || t->queue_max_age < 0 ||
	    t->retention_budget_ms < 0 || t->retention_chunks < 0)
		return -EINVAL;
	if (t->retention_budget_ms)
		db->ret_budget_ms = t->retention_budget_ms;
	if (t->retention_chunks)
		db->ret_chunks = t->retention_chunks;
	if (t->busy_ms)
		db->busy_ms = t->busy_ms;
	if (t->connect_ms)
		db->connect_ms = t->connect_ms;
	if (t->query_ms)
		db->query_ms = t->query_ms;
	if (t->queue_max_samples)
		db->max_samples = t->queue_max_samples;
	if (t->queue_max_age)
		db->max_age = t->queue_max_age;
	/* SQLite applies the busy timeout at connect: reconnect lazily */
	if (t->busy_ms && db->ops == &lve_db_sqlite_ops && db->ops->connected(db))
		db->ops->disconnect(db);
	return 0;
}

/* Write queued passes until empty, an error, or the deadline (0: none). */
static int flush(struct lve_db *db, int64_t deadline, bool *recreated)
{
	bool retried = false;
	int r;

	while (db->head) {
		if (deadline && lve_db_now_usec() >= deadline)
			break;
		r = open_backend(db, recreated);
		if (r >= 0)
			r = db->ops->insert(db, db->head);
		if (r == -EUCLEAN && db->ops->recreate && !retried) {
			/* corrupt: move it aside, the queue goes into a new file */
			db->ops->disconnect(db);
			retried = true;
			r = db->ops->recreate(db);
			if (r >= 0) {
				db->recreated++;
				*recreated = true;
				continue;
			}
		}
		if (r < 0) {
			db->last_error = r;
			return r;
		}
		db->last_error = 0;
		db->msg[0] = 0;
		db->stored++;
		queue_pop(db);
	}
	return 0;
}

/* Fold a pass into the open runs and buckets; what that closed is queued as one batch. */
static int take_pass(struct lve_db *db, const struct lve_sample *s, size_t n)
{
	struct lve_pass *p = calloc(1, sizeof(*p));
	int64_t newest = INT64_MIN;
	int r = 0;

	if (!p)
		return -ENOMEM;
	p->ts = INT64_MIN;
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = take_sample(db, &s[i], p);
		if (s[i].ts > newest)
			newest = s[i].ts;
	}
	if (r >= 0 && n && lve_bucket(newest, 1) > db->tick_minute) {
		db->tick_minute = lve_bucket(newest, 1);
		r = open_tick(db, newest, false, p);
	}
	queue_push(db, p);
	return r;
}

/* Everything open (runs, buckets) into the queue: partial rows, later rows add to them. */
static int take_all(struct lve_db *db)
{
	struct lve_pass *p;
	int r;

	if (!db->open_used)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ts = INT64_MIN;
	r = open_tick(db, 0, true, p);
	queue_push(db, p);
	return r;
}

int lve_db_insert(struct lve_db *db, const struct lve_sample *s, size_t n)
{
	bool recreated = false;
	int r;

	if (!db || (n && !s))
		return -EINVAL;
	if (db->flags & LVE_DB_READONLY)
		return -EROFS;
	if (n) {
		r = take_pass(db, s, n);
		if (r < 0)
			return r;
	}
	r = flush(db, lve_db_now_usec() + (int64_t)LVE_DB_FLUSH_BUDGET_MS * 1000, &recreated);
	if (r < 0)
		return r;
	return recreated ? LVE_DB_RECREATED : 0;
}

int lve_db_flush(struct lve_db *db, int64_t budget_ms)
{
	bool recreated = false;
	int r;

	if (!db || budget_ms < 0)
		return -EINVAL;
	if (db->flags & LVE_DB_READONLY)
		return -EROFS;
	r = take_all(db);
	if (r < 0)
		return r;
	r = flush(db, budget_ms ? lve_db_now_usec() + budget_ms * 1000 : 0, &recreated);
	if (r < 0)
		return r;
	return (int)(db->q_passes > INT32_MAX ? INT32_MAX : db->q_passes);
}

int lve_db_retention(struct lve_db *db, int64_t now)
{
	bool recreated = false;
	uint64_t removed = 0;
	int64_t horizon[LVE_LEVELS], deadline;
	int r, chunks = 0;

	if (!db || now < 0 || now > LVE_TS_LIMIT)
		return -EINVAL;
	if (db->flags & LVE_DB_READONLY)
		return -EROFS;
	horizon[0] = now - (int64_t)db->keep_raw_hours * 3600;
	horizon[1] = now - (int64_t)db->keep_minute_days * 86400;
	horizon[2] = horizon[3] = now - (int64_t)db->keep_days * 86400;
	deadline = lve_db_now_usec() + (int64_t)db->ret_budget_ms * 1000;
	db->ret_pending = false;
	/* finest first: lve_raw is where the rows are */
	for (int l = 0; l < LVE_LEVELS; l++) {
		const int64_t secs = lve_level_secs[l];
		/* raw: ts < horizon; a rollup: its bucket ended by the horizon, t + secs <= horizon */
		const int64_t end = l ? horizon[l] - secs + 1 : horizon[l];

		for (;;) {
			int64_t oldest = INT64_MAX, before = end;
			uint64_t had = removed;

			/* at least one chunk per call, more within the budget (counted: chunks that deleted) */
			if (chunks && (chunks >= db->ret_chunks || lve_db_now_usec() >= deadline)) {
				db->ret_pending = true;
				goto done;
			}
			r = open_backend(db, &recreated);
			if (r >= 0)
				r = db->ops->oldest(db, l, &oldest);
			if (r < 0)
				return r;
			if (oldest < end - db->ret_span[l])
				before = oldest + db->ret_span[l];
			/* the horizon recorded for a chunk is where it stopped deleting */
			r = db->ops->retention(db, l, before, l ? before + secs - 1 : before, &removed);
			if (r == -ETIMEDOUT && db->ret_span[l] >= 2 * secs && lve_db_now_usec() < deadline) {
				db->ret_span[l] /= 2;
				continue;
			}
			if (r < 0)
				return r;
			chunks += removed > had;
			if (before == end)
				break;
		}
	}
done:
	return removed > INT32_MAX ? INT32_MAX : (int)removed;
}

void lve_db_status(const struct lve_db *db, struct lve_db_status *out)
{
	memset(out, 0, sizeof(*out));
	if (!db)
		return;
	out->queued_passes = db->q_passes;
	out->queued_samples = db->q_samples;
	out->dropped_samples = db->dropped;
	out->stored_passes = db->stored;
	out->recreated = db->recreated;
	out->retention_pending = db->ret_pending;
	out->last_error = db->last_error;
	snprintf(out->message, sizeof(out->message), "%s", db->msg);
	snprintf(out->moved_aside, sizeof(out->moved_aside), "%s", db->moved_aside);
}

const char *lve_db_errmsg(const struct lve_db *db)
{
	return db ? db->msg : "";
}

int lve_db_query_span(struct lve_db *db, const struct lve_query *q, struct lve_agg **out,
		      struct lve_query_span *used)
{
	struct lve_query_span span;
	struct lve_agg *a = NULL;
	const char *sid;
	bool recreated = false;
	size_t n = 0;
	int r;

	if (!db || !q || !out || q->from > q->to)
		return -EINVAL;
	sid = q->server_id ? q->server_id : db->server_id;
	if (!server_id_ok(sid))
		return -EINVAL;
	if (!(db->flags & LVE_DB_READONLY)) {
		/* the writer's open buckets first, so it sees what it was given */
		r = take_all(db);
		if (r >= 0)
			r = flush(db, lve_db_now_usec() + (int64_t)LVE_DB_FLUSH_BUDGET_MS * 1000, &recreated);
		if (r < 0)
			return r;
	}
	r = open_backend(db, &recreated);
	if (r < 0)
		return r;
	{
		/*
		 * Nothing is stored past now, and a bucket still open (in a writer's
		 * memory) must not look whole: a range reaching into the future
		 * ends now (then the current hour is read from minutes and samples).
		 */
		int64_t from = q->from, to = q->to, now = (int64_t)time(NULL) + 1;

		if (to > now)
			to = now;
		if (from > to)
			from = to;
		r = db->ops->query(db, sid, from, to, q->id, &a, &n, &span);
	}
	if (r < 0)
		return r;
	if (n > INT32_MAX) {
		free(a);
		return -E2BIG;
	}
	*out = a;
	if (used)
		*used = span;
	return (int)n;
}

int lve_db_query(struct lve_db *db, const struct lve_query *q, struct lve_agg **out)
{
	return lve_db_query_span(db, q, out, NULL);
}
