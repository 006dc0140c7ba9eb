/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvestats-import - bring a CloudLinux lve-stats 2 SQLite history
 * (/var/lve/lvestats2.db, table lve_stats2_history) into openlve's store, so
 * an admin who migrates keeps the customers' history. See
 * man/lvestats-import.8.
 *
 * CloudLinux's public documentation names the lve-stats 2 tables
 * (lve_stats2_history, lve_stats2_history_gov, _x60, _incident, _servers,
 * _snapshot, _user) but not their columns. The history rows are read by
 * column name, with the names lve-stats uses for its fields: id, created,
 * server_id, and per resource the usage, "<res>_limit" (or the short
 * "l<res>" of the documented /var/lve/info and history fields) and
 * "<res>_fault" for cpu, mep (EP), mem (VMEM), memphy (PMEM), nproc, io,
 * iops. Units as lve-stats 2 keeps them: CPU in hundredths of a percent of
 * one core (10000 = one core, openlve's unit), memory in 4 KiB pages, IO in
 * bytes/s; created in unix seconds (or an SQLite date text).
 *
 * All or nothing for bad input: the source is opened read-only, checked
 * (PRAGMA quick_check, the table, its required columns) and every row
 * validated in a first pass; only then is anything written. Rows go into
 * openlve's store one pass (one `created` value) per transaction; a sample
 * already stored (same server_id, id, ts) is ignored, so an import cut
 * short by a write failure is completed by running it again.
 *
 * Exit codes: 0 imported, 1 runtime failure (source refused, store write
 * failed), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "stats.h"

#define TOOL "lvestats-import"
#define PAGE 4096ULL

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs(TOOL ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* The fields read from each row, in select order. */
enum {
	F_CPU, F_LCPU, F_CPUF,
	F_EP, F_LEP, F_EPF,
	F_VMEM, F_LVMEM, F_VMEMF,
	F_PMEM, F_LPMEM, F_PMEMF,
	F_NPROC, F_LNPROC, F_NPROCF,
	F_IO, F_LIO, F_IOF,
	F_IOPS, F_LIOPS, F_IOPSF,
	F__MAX
};

/* Column names accepted for each field (first present wins); required ones must exist. */
static const struct {
	const char *names[3];
	bool required;
} field_cols[F__MAX] = {
	[F_CPU] = { { "cpu" }, true },
	[F_LCPU] = { { "cpu_limit", "lcpu" } },
	[F_CPUF] = { { "cpu_fault" } },
	[F_EP] = { { "mep", "ep" }, true },
	[F_LEP] = { { "mep_limit", "lep", "ep_limit" } },
	[F_EPF] = { { "mep_fault", "ep_fault" } },
	[F_VMEM] = { { "mem" } },
	[F_LVMEM] = { { "mem_limit", "lmem" } },
	[F_VMEMF] = { { "mem_fault" } },
	[F_PMEM] = { { "memphy" }, true },
	[F_LPMEM] = { { "memphy_limit", "lmemphy" } },
	[F_PMEMF] = { { "memphy_fault" } },
	[F_NPROC] = { { "nproc" }, true },
	[F_LNPROC] = { { "nproc_limit", "lnproc" } },
	[F_NPROCF] = { { "nproc_fault" } },
	[F_IO] = { { "io" }, true },
	[F_LIO] = { { "io_limit", "lio" } },
	[F_IOF] = { { "io_fault" } },
	[F_IOPS] = { { "iops" } },
	[F_LIOPS] = { { "iops_limit", "liops" } },
	[F_IOPSF] = { { "iops_fault" } },
};

struct opts {
	const char *config, *db_path, *server_id, *source;
	int64_t after; /* --after: only rows with created > after */
	bool dry_run;
};

static void usage(FILE *f)
{
	fputs("Usage: " TOOL " [--config FILE] [--db PATH] [--server-id ID] [--dry-run] SOURCE.db\n"
	      "Import the history of a CloudLinux lve-stats 2 SQLite database (lve_stats2_history)\n"
	      "into openlve's statistics store (the one /etc/sysconfig/lvestats2 names).\n"
	      "  --config FILE    lve-stats configuration of the destination (default " LVESTATS_CONF_DEFAULT ")\n"
	      "  --db PATH        destination SQLite file instead of the configured store\n"
	      "  --server-id ID   import only the source rows of this server_id\n"
	      "  --dry-run        check the source and count its rows, write nothing\n"
	      "  --after SECONDS  only rows created after this unix time (finish a cut-short import)\n"
	      "  -h, --help       this text\n"
	      "Exit status: 0 imported, 1 failure (nothing imported when the source is refused), 2 usage.\n",
	      f);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "server-id", required_argument, NULL, 's' }, { "dry-run", no_argument, NULL, 'n' },
		{ "after", required_argument, NULL, 'a' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'd': o->db_path = optarg; break;
		case 's': o->server_id = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'a': {
			char *end;

			errno = 0;
			o->after = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || o->after < 0)
				return fail(2, "--after=%s: expected unix seconds", optarg);
			break;
		}
		case 'h': usage(stdout); exit(0);
		case ':': return fail(2, "option %s needs a value (see " TOOL " --help)", argv[optind - 1]);
		default: return fail(2, "unknown option %s (see " TOOL " --help)", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fail(2, "give exactly one source database (see " TOOL " --help)");
	o->source = argv[optind];
	if (o->db_path && o->db_path[0] != '/')
		return fail(2, "--db %s: give an absolute path", o->db_path);
	return 0;
}

static void close_db(sqlite3 **db)
{
	if (*db)
		sqlite3_close(*db);
}

static void finalize(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}

/* The SELECT over lve_stats2_history with our field order, or an exit code. */
static int build_select(sqlite3 *src, const char *path, bool by_server, bool after, char *sql, size_t size)
{
	_cleanup_(finalize) sqlite3_stmt *st = NULL;
	char cols[64][64];
	int ncols = 0, rc;
	size_t len;
	bool has_id = false, has_created = false;

	rc = sqlite3_prepare_v2(src, "SELECT name FROM pragma_table_info('lve_stats2_history')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(1, "%s: cannot read its tables: %s (nothing was imported)", path, sqlite3_errmsg(src));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ncols < 64) {
		const char *n = (const char *)sqlite3_column_text(st, 0);

		snprintf(cols[ncols++], sizeof(cols[0]), "%s", n ? n : "");
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(1, "%s: cannot read its tables: %s (nothing was imported)", path, sqlite3_errmsg(src));
	if (ncols == 0)
		return fail(1, "%s is not an lve-stats 2 database: it has no table lve_stats2_history "
			       "(nothing was imported)", path);
	for (int i = 0; i < ncols; i++) {
		has_id = has_id || !strcasecmp(cols[i], "id");
		has_created = has_created || !strcasecmp(cols[i], "created");
	}
	if (!has_id || !has_created)
		return fail(1, "%s: table lve_stats2_history has no column %s: not lve-stats 2's schema "
			       "(nothing was imported)", path, has_id ? "created" : "id");
	if (by_server) {
		bool has = false;

		for (int i = 0; i < ncols; i++)
			has = has || !strcasecmp(cols[i], "server_id");
		if (!has)
			return fail(1, "%s: table lve_stats2_history has no server_id column for --server-id "
				       "(nothing was imported)", path);
	}
	len = (size_t)snprintf(sql, size,
			       "SELECT id, CASE WHEN typeof(created) IN ('integer', 'real') THEN CAST(created AS "
			       "INTEGER) ELSE CAST(strftime('%%s', created) AS INTEGER) END AS t");
	for (int f = 0; f < F__MAX; f++) {
		const char *found = NULL;

		for (int k = 0; k < 3 && field_cols[f].names[k] && !found; k++)
			for (int i = 0; i < ncols; i++)
				if (!strcasecmp(cols[i], field_cols[f].names[k]))
					found = field_cols[f].names[k];
		if (!found && field_cols[f].required)
			return fail(1, "%s: table lve_stats2_history has no column %s: not lve-stats 2's "
				       "schema (nothing was imported)", path, field_cols[f].names[0]);
		len += (size_t)snprintf(sql + len, size - len, ", %s%s%s", found ? "\"" : "", found ? found : "0",
					found ? "\"" : "");
	}
	len += (size_t)snprintf(sql + len, size - len, " FROM lve_stats2_history WHERE 1%s%s ORDER BY t, id",
				by_server ? " AND server_id = ?1" : "", after ? " AND t > ?2" : "");
	if (len >= size)
		return fail(1, "internal: query too long");
	return 0;
}

/* A non-negative integer column (NULL = 0 for the optional fields). */
static int col_u64(sqlite3_stmt *st, int i, uint64_t *out)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		*out = 0;
		return 0;
	case SQLITE_INTEGER: {
		sqlite3_int64 v = sqlite3_column_int64(st, i);

		if (v < 0)
			return -ERANGE;
		*out = (uint64_t)v;
		return 0;
	}
	case SQLITE_FLOAT: {
		double v = sqlite3_column_double(st, i);

		if (!(v >= 0) || v > 9.2e18)
			return -ERANGE;
		*out = (uint64_t)(v + 0.5);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static const char *field_name(int f)
{
	return field_cols[f].names[0];
}

/* One row into a sample; -errno with *bad = the column index that failed. */
static int row_sample(sqlite3_stmt *st, struct lve_sample *s, int *bad)
{
	uint64_t v[F__MAX], id, t;
	int r;

	*bad = 0;
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || col_u64(st, 0, &id) < 0 || id == 0 || id > UINT32_MAX)
		return -EINVAL;
	*bad = 1;
	if (sqlite3_column_type(st, 1) == SQLITE_NULL || col_u64(st, 1, &t) < 0 || t == 0 || t > INT32_MAX * 4ULL)
		return -EINVAL;
	for (int f = 0; f < F__MAX; f++) {
		*bad = 2 + f;
		r = col_u64(st, 2 + f, &v[f]);
		if (r < 0)
			return r;
	}
	/* counts and CPU are 32-bit in openlve's samples; memory pages -> bytes must fit */
	for (int f = 0; f < F__MAX; f++) {
		bool mem = f >= F_VMEM && f <= F_LPMEM && f != F_VMEMF;
		bool u32 = f == F_CPU || f == F_LCPU || f == F_EP || f == F_LEP || f == F_NPROC || f == F_LNPROC ||
			   f == F_IOPS || f == F_LIOPS;

		*bad = 2 + f;
		if ((mem && v[f] > UINT64_MAX / PAGE) || (u32 && v[f] > UINT32_MAX))
			return -ERANGE;
	}
	*s = (struct lve_sample){
		.id = (uint32_t)id, .ts = (int64_t)t, .interval = 60,
		.aCPU = (uint32_t)v[F_CPU], .lCPU = (uint32_t)v[F_LCPU], .CPUf = v[F_CPUF],
		.aEP = (uint32_t)v[F_EP], .lEP = (uint32_t)v[F_LEP], .EPf = v[F_EPF],
		.aVMem = v[F_VMEM] * PAGE, .lVMem = v[F_LVMEM] * PAGE, .VMemF = v[F_VMEMF],
		.aPMem = v[F_PMEM] * PAGE, .lPMem = v[F_LPMEM] * PAGE, .PMemF = v[F_PMEMF],
		.aNproc = (uint32_t)v[F_NPROC], .lNproc = (uint32_t)v[F_LNPROC], .NprocF = v[F_NPROCF],
		.aIO = v[F_IO], .lIO = v[F_LIO], .IOf = v[F_IOF],
		.aIOPS = (uint32_t)v[F_IOPS], .lIOPS = (uint32_t)v[F_LIOPS], .IOPSf = v[F_IOPSF],
		.nprocs = (uint32_t)v[F_NPROC], .nthreads = (uint32_t)v[F_NPROC],
	};
	return 0;
}

static const char *col_label(int bad)
{
	return bad == 0 ? "id" : bad == 1 ? "created" : field_name(bad - 2);
}

struct counts {
	uint64_t rows, passes, lves;
	int64_t first, last;
};

/* First pass: every row valid? Fills the counts. Exit code or 0. */
static int validate(sqlite3_stmt *st, const char *path, struct counts *c)
{
	int64_t prev_t = INT64_MIN;
	uint32_t prev_id = 0;
	int rc;

	*c = (struct counts){ 0 };
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lve_sample s;
		int bad, r = row_sample(st, &s, &bad);

		c->rows++;
		if (r < 0)
			return fail(1, "%s: row %" PRIu64 " of lve_stats2_history: bad value in column %s (%s) "
				       "(nothing was imported)", path, c->rows, col_label(bad),
				    r == -ERANGE ? "negative or too large" : "not a number");
		if (s.ts == prev_t && s.id == prev_id)
			return fail(1, "%s: LVE %" PRIu32 " has two rows at %" PRId64 " (nothing was imported)", path,
				    s.id, s.ts);
		if (s.ts != prev_t) {
			c->passes++;
			if (!c->first)
				c->first = s.ts;
			c->last = s.ts;
		}
		prev_t = s.ts;
		prev_id = s.id;
	}
	if (rc != SQLITE_DONE)
		return fail(1, "%s: cannot read lve_stats2_history: %s (nothing was imported)", path,
			    sqlite3_errmsg(sqlite3_db_handle(st)));
	return 0;
}

static int open_source(const char *path, sqlite3 **out)
{
	_cleanup_(close_db) sqlite3 *db = NULL;
	_cleanup_(finalize) sqlite3_stmt *st = NULL;
	const char *res;
	int rc;

	if (access(path, R_OK) < 0)
		return fail(1, "cannot read %s: %s", path, strerror(errno));
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK)
		return fail(1, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(1, "%s is not a usable SQLite database: %s (nothing was imported)", path,
			    sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (!res || strcmp(res, "ok"))
		return fail(1, "%s is damaged (SQLite integrity check: %s); nothing was imported (repair it with "
			       "sqlite3 .recover first)", path, res ? res : sqlite3_errmsg(db));
	*out = TAKE_PTR(db);
	return 0;
}

/* Second pass: one lve_db_insert per `created` value. Exit code or 0. */
static int import_rows(sqlite3_stmt *st, struct lve_db *db, const char *path, const char *dest, struct counts *c)
{
	_cleanup_free_ struct lve_sample *pass = NULL;
	size_t n = 0, cap = 0;
	int64_t cur = INT64_MIN, prev = INT64_MIN;
	uint64_t stored = 0;
	int rc, r;

	for (;;) {
		struct lve_sample s;
		int bad;

		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && row_sample(st, &s, &bad) < 0)
			return fail(1, "%s changed while it was imported (row %" PRIu64 "); run the import again",
				    path, stored + n + 1);
		if ((rc != SQLITE_ROW || s.ts != cur) && n) {
			uint32_t iv = prev == INT64_MIN ? 60 : (uint32_t)(cur - prev > 3600 ? 3600 : cur - prev);

			for (size_t i = 0; i < n; i++)
				pass[i].interval = iv ? iv : 1;
			r = lve_db_insert(db, pass, n);
			if (r >= 0)
				r = lve_db_flush(db, 0);
			if (r < 0)
				return fail(1, "cannot write to %s: %s %s (%" PRIu64 " of %" PRIu64 " rows stored; when "
					       "fixed, finish with --after=%" PRId64 ")",
					    dest, strerror(-r), lve_db_errmsg(db), stored, c->rows,
					    prev == INT64_MIN ? (int64_t)0 : prev);
			stored += n;
			prev = cur;
			n = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct lve_sample *np = realloc(pass, nc * sizeof(*np));

			if (!np)
				return fail(1, "out of memory");
			pass = np;
			cap = nc;
		}
		cur = s.ts;
		pass[n++] = s;
	}
	if (rc != SQLITE_DONE)
		return fail(1, "%s: cannot read lve_stats2_history: %s", path, sqlite3_errmsg(sqlite3_db_handle(st)));
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(close_db) sqlite3 *src = NULL;
	_cleanup_(finalize) sqlite3_stmt *st = NULL;
	struct lvestats_conf conf = { 0 };
	struct lve_db *db = NULL;
	struct opts o = { 0 };
	struct counts c;
	char sql[2048], first[32] = "-", last[32] = "-";
	unsigned errline = 0;
	int r;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	r = open_source(o.source, &src);
	if (r)
		return r;
	r = build_select(src, o.source, o.server_id != NULL, o.after > 0, sql, sizeof(sql));
	if (r)
		return r;
	if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(1, "%s: cannot read lve_stats2_history: %s (nothing was imported)", o.source,
			    sqlite3_errmsg(src));
	if (o.server_id)
		sqlite3_bind_text(st, 1, o.server_id, -1, SQLITE_STATIC);
	if (o.after)
		sqlite3_bind_int64(st, 2, o.after);
	r = validate(st, o.source, &c);
	if (r)
		return r;
	if (c.rows) {
		time_t a = (time_t)c.first, b = (time_t)c.last;
		struct tm tm;

		strftime(first, sizeof(first), "%Y-%m-%d %H:%M", localtime_r(&a, &tm));
		strftime(last, sizeof(last), "%Y-%m-%d %H:%M", localtime_r(&b, &tm));
	}
	if (o.dry_run) {
		printf("%s: %" PRIu64 " rows in %" PRIu64 " passes, %s .. %s: valid (nothing written)\n", o.source,
		       c.rows, c.passes, first, last);
		return 0;
	}

	r = lvestats_conf_load(o.config, &conf, &errline);
	if (r < 0) {
		const char *path = o.config ? o.config : LVESTATS_CONF_DEFAULT;

		if (errline)
			return fail(1, "%s:%u: invalid configuration line (fix it; nothing was imported)", path, errline);
		return fail(1, "%s: %s (nothing was imported)", path,
			    r == -EINVAL ? "invalid configuration" : strerror(-r));
	}
	if (o.db_path) {
		char *p = strdup(o.db_path);

		if (!p) {
			lvestats_conf_free(&conf);
			return fail(1, "out of memory");
		}
		free(conf.sqlite_path);
		conf.sqlite_path = p;
		snprintf(conf.db_type, sizeof(conf.db_type), "sqlite");
	}
	r = lve_db_open(&conf, &db);
	if (r < 0) {
		lvestats_conf_free(&conf);
		return fail(1, "cannot open the statistics store: %s (nothing was imported)", strerror(-r));
	}
	/* history already there (an earlier import, or lved) would be counted twice in the rollups */
	if (c.rows) {
		_cleanup_free_ struct lve_agg *ag = NULL;
		int na = lve_db_query(db, &(struct lve_query){ .from = c.first, .to = c.last + 1 }, &ag);

		if (na < 0 && na != -ENOENT) {
			r = fail(1, "cannot read the statistics store: %s %s (nothing was imported)", strerror(-na),
				 lve_db_errmsg(db));
			goto out;
		}
		for (int i = 0; i < na; i++)
			if (ag[i].n) {
				r = fail(1, "the store already holds history between %s and %s (LVE %" PRIu32
					    "): importing it again would count it twice; nothing was imported "
					    "(use --after to import only newer rows)",
					 first, last, ag[i].id);
				goto out;
			}
	}
	sqlite3_reset(st);
	r = import_rows(st, db, o.source, conf.db_type[0] && strcmp(conf.db_type, "sqlite") ? conf.db_type
											       : conf.sqlite_path,
			&c);
out:
	lve_db_close(db);
	if (!r)
		printf("%s: imported %" PRIu64 " rows (%" PRIu64 " passes, %s .. %s) into %s\n", o.source, c.rows,
		       c.passes, first, last,
		       strcmp(conf.db_type, "sqlite") ? conf.db_type : conf.sqlite_path);
	lvestats_conf_free(&conf);
	return r;
}
