/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lveinfo - per-LVE usage history from the statistics database that lved
 * writes (lve-stats 2 compatible options and column aliases). See
 * lveinfo(8).
 *
 * Exit: 0 success, 1 error (one line on stderr), 2 bad options.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "macro.h"
#include "stats.h"

#define DEFAULT_RANGE 600 /* last 10 minutes */

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

struct opts {
	const char *from_s, *to_s, *period_s;
	const char *config, *db_path, *server_id;
	uint32_t id;
	int order;                 /* enum lve_col, -1 default */
	bool by_fault, by_usage;
	bool fault_cols[LVE_COL__MAX];
	bool usage_cols[LVE_COL__MAX];
	int first_filter_col;      /* first alias given to --by-fault/--by-usage */
	uint64_t threshold;
	double percent;
	long limit;
	enum fmt fmt;
	int cols[LVE_COL__MAX];    /* columns shown, in order */
	int ncols;
};

static void usage(FILE *f)
{
	fputs("Usage: lveinfo [OPTIONS]\n"
	      "Per-LVE averages, limits and faults over a time range, from lved's database.\n"
	      "\n"
	      "  -f, --from TIME          start (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)\n"
	      "  -t, --to TIME            end, inclusive (default: now)\n"
	      "      --period PERIOD      Ns|Nm|Nh|Nd, today, yesterday (default: 10m)\n"
	      "      --id ID              only LVE ID\n"
	      "  -u, --user NAME          only the LVE of user NAME (id = uid)\n"
	      "  -o, --order-by ALIAS     sort by ALIAS, largest first (default aCPU)\n"
	      "      --by-fault ALIAS...  only LVEs with these faults (CPUf EPf VMemF PMemF NprocF\n"
	      "                           IOf IOPSf anyF, or cpu ep vmem pmem mem nproc io iops any)\n"
	      "      --threshold N        faults needed by --by-fault (default 1)\n"
	      "      --by-usage ALIAS...  only LVEs whose average reached -p percent of the limit\n"
	      "                           (aCPU aEP aVMem aPMem aNproc aIO aIOPS, or resource names)\n"
	      "  -p, --percentage N       for --by-usage, 0..100 (default 90)\n"
	      "  -l, --limit N            at most N rows (default 10, 0 = all)\n"
	      "      --show-columns A,B   columns to print (default all but anyF)\n"
	      "      --json | --csv       machine-readable output\n"
	      "      --server-id ID       rows of this server (fleet database; default: configured)\n"
	      "  -c, --config FILE        lve-stats configuration (default " LVESTATS_CONF_DEFAULT ")\n"
	      "      --db FILE            read this SQLite file instead of the configured database\n"
	      "  -h, --help               this text\n"
	      "      --version            version\n"
	      "\n"
	      "Columns: aCPU lCPU CPUf aEP lEP EPf aVMem lVMem VMemF aPMem lPMem PMemF\n"
	      "aNproc lNproc NprocF aIO lIO IOf aIOPS lIOPS IOPSf anyF (a = average,\n"
	      "l = limit, 0 = unlimited, f = faults). CPU in % of one core, memory in\n"
	      "bytes, IO in KB/s, IOPS in operations/s.\n",
	      f);
}

/* -------------------------------------------------------------- options */

static char errbuf[512];

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (unsigned long long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	*out = v;
	return 0;
}

/* Resource name -> resource index 0..6, or -1. */
static int resource(const char *s)
{
	static const char *const names[][2] = { { "cpu", NULL }, { "ep", "mep" }, { "vmem", NULL },
						{ "pmem", "mem" }, { "nproc", NULL }, { "io", NULL },
						{ "iops", NULL } };

	for (int i = 0; i < LVE_RES__MAX; i++)
		if (!strcasecmp(s, names[i][0]) || (names[i][1] && !strcasecmp(s, names[i][1])))
			return i;
	return -1;
}

/* One alias of --by-fault (want 2: fault) or --by-usage (want 0: usage). */
static int filter_alias(const char *s, int want, struct opts *o)
{
	bool *set = want == 2 ? o->fault_cols : o->usage_cols;
	int r = resource(s), c;

	if (r >= 0)
		c = 3 * r + want;
	else if (want == 2 && (!strcasecmp(s, "any") || !strcasecmp(s, "anyF")))
		c = LVE_COL_ANYF;
	else {
		c = lve_col_parse(s);
		if (c < 0 || (c == LVE_COL_ANYF && want != 2) || (c != LVE_COL_ANYF && c % 3 != want))
			return bad("--%s: '%s' is not a %s alias", want == 2 ? "by-fault" : "by-usage", s,
				   want == 2 ? "fault" : "usage");
	}
	if (o->first_filter_col < 0)
		o->first_filter_col = c;
	set[c] = true;
	return 0;
}

/* A list argument: comma separated aliases. */
static int filter_list(const char *arg, int want, struct opts *o)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;
	int n = 0, r;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		r = filter_alias(t, want, o);
		if (r < 0)
			return r;
		n++;
	}
	if (n == 0)
		return bad("--%s needs at least one alias", want == 2 ? "by-fault" : "by-usage");
	return 0;
}

static int show_list(const char *arg, struct opts *o)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	o->ncols = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int c;

		if (!strcasecmp(t, "ID"))
			continue; /* always the first column */
		c = lve_col_parse(t);
		if (c < 0)
			return bad("--show-columns: unknown column '%s'", t);
		for (int i = 0; i < o->ncols; i++)
			if (o->cols[i] == c)
				return bad("--show-columns: '%s' given twice", t);
		o->cols[o->ncols++] = c;
	}
	if (o->ncols == 0)
		return bad("--show-columns needs at least one column");
	return 0;
}

enum opt_id {
	O_FROM, O_TO, O_PERIOD, O_ID, O_USER, O_ORDER, O_BYFAULT, O_THRESH, O_BYUSAGE, O_PCT, O_LIMIT, O_SHOW,
	O_JSON, O_CSV, O_SERVER, O_CONFIG, O_DB, O_HELP, O_VERSION,
};
static const struct {
	const char *lng;
	char shrt;
	bool arg;
	enum opt_id id;
} optv[] = {
	{ "from", 'f', true, O_FROM },          { "to", 't', true, O_TO },
	{ "period", 0, true, O_PERIOD },        { "id", 0, true, O_ID },
	{ "user", 'u', true, O_USER },          { "order-by", 'o', true, O_ORDER },
	{ "by-fault", 0, true, O_BYFAULT },     { "threshold", 0, true, O_THRESH },
	{ "by-usage", 0, true, O_BYUSAGE },     { "percentage", 'p', true, O_PCT },
	{ "limit", 'l', true, O_LIMIT },        { "show-columns", 0, true, O_SHOW },
	{ "json", 'j', false, O_JSON },         { "csv", 0, false, O_CSV },
	{ "server-id", 0, true, O_SERVER },     { "config", 'c', true, O_CONFIG },
	{ "db", 0, true, O_DB },                { "help", 'h', false, O_HELP },
	{ "version", 0, false, O_VERSION },
};

/* 0 ok, 1 help/version printed, -EINVAL bad option (errbuf), -ENOMEM. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v;
	bool seen[ELEMENTSOF(optv)] = { 0 };
	int r;

	*o = (struct opts){ .order = -1, .first_filter_col = -1, .threshold = 1, .percent = 90, .limit = 10 };
	for (int c = 0; c < LVE_COL_ANYF; c++)
		o->cols[o->ncols++] = c;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k;

		if (!strcmp(a, "--")) {
			if (i + 1 < argc)
				return bad("unexpected argument '%s'", argv[i + 1]);
			break;
		}
		if (a[0] != '-' || !a[1])
			return bad("unexpected argument '%s'", a);
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			for (k = 0; k < ELEMENTSOF(optv); k++)
				if (strlen(optv[k].lng) == len && !strncmp(optv[k].lng, a + 2, len))
					break;
			if (k == ELEMENTSOF(optv))
				return bad("unknown option '%.*s'", (int)(len + 2), a);
			if (eq && !optv[k].arg)
				return bad("option '--%s' takes no value", optv[k].lng);
			if (eq)
				val = eq + 1;
		} else {
			for (k = 0; k < ELEMENTSOF(optv); k++)
				if (optv[k].shrt == a[1])
					break;
			if (k == ELEMENTSOF(optv))
				return bad("unknown option '-%c'", a[1]);
			if (a[2]) {
				if (!optv[k].arg)
					return bad("option '-%c' takes no value", a[1]);
				val = a + 2;
			}
		}
		if (optv[k].arg && !val) {
			if (i + 1 >= argc)
				return bad("option '%s' needs a value", a);
			val = argv[++i];
		}
		if (seen[k] && optv[k].id != O_BYFAULT && optv[k].id != O_BYUSAGE)
			return bad("option '--%s' given twice", optv[k].lng);
		seen[k] = true;

		switch (optv[k].id) {
		case O_FROM: o->from_s = val; break;
		case O_TO: o->to_s = val; break;
		case O_PERIOD: o->period_s = val; break;
		case O_ID:
			if (parse_ulong(val, UINT32_MAX, &v) < 0 || v == 0)
				return bad("--id: '%s' is not an LVE id (1..4294967295)", val);
			o->id = (uint32_t)v;
			break;
		case O_USER: {
			struct passwd *pw = getpwnam(val);

			if (!pw) {
				if (parse_ulong(val, UINT32_MAX, &v) == 0 && v > 0) {
					o->id = (uint32_t)v;
					break;
				}
				return bad("--user: no user '%s'", val);
			}
			if (pw->pw_uid == 0)
				return bad("--user: '%s' is root, which has no LVE", val);
			o->id = pw->pw_uid;
			break;
		}
		case O_ORDER:
			r = lve_col_parse(val);
			if (r < 0)
				return bad("--order-by: unknown column '%s'", val);
			o->order = r;
			break;
		case O_BYFAULT:
		case O_BYUSAGE: {
			int want = optv[k].id == O_BYFAULT ? 2 : 0;

			r = filter_list(val, want, o);
			if (r < 0)
				return r;
			/* lve-stats style: more aliases may follow as separate words */
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				r = filter_list(argv[++i], want, o);
				if (r < 0)
					return r;
			}
			if (want == 2)
				o->by_fault = true;
			else
				o->by_usage = true;
			break;
		}
		case O_THRESH:
			if (parse_ulong(val, UINT64_MAX, &v) < 0 || v == 0)
				return bad("--threshold: '%s' is not a positive number", val);
			o->threshold = v;
			break;
		case O_PCT:
			if (parse_ulong(val, 100, &v) < 0)
				return bad("--percentage: '%s' is not a number 0..100", val);
			o->percent = (double)v;
			break;
		case O_LIMIT:
			if (parse_ulong(val, LONG_MAX, &v) < 0)
				return bad("--limit: '%s' is not a number", val);
			o->limit = (long)v;
			break;
		case O_SHOW:
			r = show_list(val, o);
			if (r < 0)
				return r;
			break;
		case O_JSON:
		case O_CSV:
			if (o->fmt != FMT_TABLE)
				return bad("--json and --csv exclude each other");
			o->fmt = optv[k].id == O_JSON ? FMT_JSON : FMT_CSV;
			break;
		case O_SERVER: {
			size_t n = strlen(val);
			bool ok = n >= 1 && n <= 10;

			for (size_t j = 0; j < n && ok; j++)
				ok = (val[j] >= 'a' && val[j] <= 'z') || (val[j] >= 'A' && val[j] <= 'Z') ||
				     (val[j] >= '0' && val[j] <= '9') || val[j] == '.' || val[j] == '_' || val[j] == '-';
			if (!ok)
				return bad("--server-id: '%s' is not 1..10 of [A-Za-z0-9._-]", val);
			o->server_id = val;
			break;
		}
		case O_CONFIG: o->config = val; break;
		case O_DB:
			if (val[0] != '/')
				return bad("--db: '%s' is not an absolute path", val);
			o->db_path = val;
			break;
		case O_HELP: usage(stdout); return 1;
		case O_VERSION: printf("lveinfo (openlve) %s\n", OPENLVE_VERSION); return 1;
		}
	}
	if (o->by_fault && o->by_usage)
		return bad("--by-fault and --by-usage exclude each other");
	if (o->period_s && (o->from_s || o->to_s))
		return bad("--period excludes --from and --to");
	if (seen[O_PCT] && !o->by_usage)
		return bad("--percentage needs --by-usage");
	if (seen[O_THRESH] && !o->by_fault)
		return bad("--threshold needs --by-fault");
	return 0;
}

/* ----------------------------------------------------------------- range */

static int make_range(const struct opts *o, int64_t now, int64_t *from, int64_t *to)
{
	int64_t f, t;

	if (o->period_s) {
		if (lve_parse_period(o->period_s, now, &f, &t) < 0)
			return bad("--period: '%s' is not Ns, Nm, Nh, Nd, today or yesterday", o->period_s);
	} else {
		if (o->to_s) {
			if (lve_parse_time(o->to_s, now, &t) < 0)
				return bad("--to: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)", o->to_s);
			t += 1; /* inclusive */
		} else
			t = now + 1;
		if (o->from_s) {
			if (lve_parse_time(o->from_s, now, &f) < 0)
				return bad("--from: cannot parse '%s' (YYYY-MM-DD[ HH:MM[:SS]], @EPOCH, now)",
					   o->from_s);
		} else
			f = t - 1 - DEFAULT_RANGE;
		if (f >= t)
			return bad("--from is after --to");
	}
	*from = f;
	*to = t;
	return 0;
}

/* ------------------------------------------------------------ filtering */

static bool fault_match(const struct opts *o, const struct lve_agg *a)
{
	for (int c = 0; c < LVE_COL__MAX; c++)
		if (o->fault_cols[c] && a->v[c] >= (double)o->threshold)
			return true;
	return false;
}

static bool usage_match(const struct opts *o, const struct lve_agg *a)
{
	for (int c = 0; c < LVE_COL_ANYF; c++) {
		double lim = a->v[c + 1];

		if (o->usage_cols[c] && lim > 0 && a->v[c] * 100.0 >= o->percent * lim)
			return true;
	}
	return false;
}

static int cmp_col;

static int cmp_agg(const void *pa, const void *pb)
{
	const struct lve_agg *a = pa, *b = pb;

	if (a->v[cmp_col] != b->v[cmp_col])
		return a->v[cmp_col] > b->v[cmp_col] ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* -------------------------------------------------------------- output */

enum unit { U_CPU, U_COUNT, U_BYTES, U_KBS, U_OPS };

static enum unit col_unit(int c)
{
	if (c == LVE_COL_ANYF || c % 3 == 2)
		return U_COUNT;
	switch (c / 3) {
	case 0: return U_CPU;
	case 2:
	case 3: return U_BYTES;
	case 5: return U_KBS;
	case 6: return U_OPS;
	default: return U_COUNT;
	}
}

/* Machine value (json/csv): CPU %, bytes, KB/s, counts. */
static void fmt_value(char *buf, size_t size, int c, double v, bool human)
{
	bool avg = c != LVE_COL_ANYF && c % 3 == 0;

	switch (col_unit(c)) {
	case U_CPU:
		snprintf(buf, size, "%.2f", v / 100.0);
		return;
	case U_KBS:
		snprintf(buf, size, "%.2f", v / 1024.0);
		return;
	case U_BYTES:
		if (human) {
			static const char sfx[] = "KMGTPE";
			double x = v;
			int i = -1;

			while (x >= 1024.0 && i < 5) {
				x /= 1024.0;
				i++;
			}
			if (i < 0)
				snprintf(buf, size, "%.0f", x);
			else
				snprintf(buf, size, "%.1f%c", x, sfx[i]);
		} else
			snprintf(buf, size, "%.0f", round(v));
		return;
	case U_COUNT:
	case U_OPS:
		if (avg)
			snprintf(buf, size, "%.2f", v);
		else
			snprintf(buf, size, "%.0f", v);
		return;
	}
}

static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_rows(const struct opts *o, const struct lve_agg *a, size_t n, int64_t from, int64_t to,
		       const char *sid)
{
	char buf[64];
	const int *cols = o->cols, nc = o->ncols;

	if (o->fmt == FMT_JSON) {
		printf("{\"from\": %" PRId64 ", \"to\": %" PRId64 ", \"server_id\": ", from, to - 1);
		print_json_str(sid);
		printf(", \"data\": [");
		for (size_t i = 0; i < n; i++) {
			printf("%s\n  {\"ID\": %" PRIu32, i ? "," : "", a[i].id);
			for (int j = 0; j < nc; j++) {
				fmt_value(buf, sizeof(buf), cols[j], a[i].v[cols[j]], false);
				printf(", \"%s\": %s", lve_col_alias(cols[j]), buf);
			}
			putchar('}');
		}
		printf("%s]}\n", n ? "\n" : "");
		return;
	}
	if (o->fmt == FMT_CSV) {
		printf("ID");
		for (int j = 0; j < nc; j++)
			printf(",%s", lve_col_alias(cols[j]));
		putchar('\n');
		for (size_t i = 0; i < n; i++) {
			printf("%" PRIu32, a[i].id);
			for (int j = 0; j < nc; j++) {
				fmt_value(buf, sizeof(buf), cols[j], a[i].v[cols[j]], false);
				printf(",%s", buf);
			}
			putchar('\n');
		}
		return;
	}
	/* table: widths from the header and every cell */
	int w[LVE_COL__MAX + 1];
	w[0] = 2;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf, sizeof(buf), "%" PRIu32, a[i].id);
		if (k > w[0])
			w[0] = k;
	}
	for (int j = 0; j < nc; j++) {
		w[j + 1] = (int)strlen(lve_col_alias(cols[j]));
		for (size_t i = 0; i < n; i++) {
			fmt_value(buf, sizeof(buf), cols[j], a[i].v[cols[j]], true);
			if ((int)strlen(buf) > w[j + 1])
				w[j + 1] = (int)strlen(buf);
		}
	}
	printf("%*s", w[0], "ID");
	for (int j = 0; j < nc; j++)
		printf(" %*s", w[j + 1], lve_col_alias(cols[j]));
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		printf("%*" PRIu32, w[0], a[i].id);
		for (int j = 0; j < nc; j++) {
			fmt_value(buf, sizeof(buf), cols[j], a[i].v[cols[j]], true);
			printf(" %*s", w[j + 1], buf);
		}
		putchar('\n');
	}
}

/* ----------------------------------------------------------------- main */

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("lveinfo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lvestats_conf conf = { 0 };
	struct lve_db *db = NULL;
	struct lve_query_span used;
	_cleanup_free_ struct lve_agg *a = NULL;
	int64_t now = (int64_t)time(NULL), from = 0, to = 0;
	unsigned errline = 0;
	size_t n, kept = 0;
	int r, rc = 0;

	r = parse_args(argc, argv, &o);
	if (r == 1)
		return 0;
	if (r == -ENOMEM)
		return fail("out of memory");
	if (r < 0) {
		fprintf(stderr, "lveinfo: %s (see lveinfo --help)\n", errbuf);
		return 2;
	}
	if (make_range(&o, now, &from, &to) < 0) {
		fprintf(stderr, "lveinfo: %s (see lveinfo --help)\n", errbuf);
		return 2;
	}

	r = lvestats_conf_load(o.config, &conf, &errline);
	if (r < 0) {
		const char *path = o.config ? o.config : LVESTATS_CONF_DEFAULT;
		const char *key = r == -EINVAL ? lvestats_conf_error_key() : NULL;

		if (key && !strcmp(key, "connect_string"))
			return fail("%s:%u: invalid connect_string: expected USER:PASSWORD@HOST[:PORT]/DATABASE "
				    "(libpq key=value strings are not accepted)", path, errline);
		if (errline)
			return fail("%s:%u: invalid configuration line%s%s", path, errline, key ? ": " : "",
				    key ? key : "");
		return fail("%s: %s", path, r == -EINVAL ? "invalid configuration" : strerror(-r));
	}
	if (o.db_path) {
		char *p = strdup(o.db_path);

		if (!p) {
			lvestats_conf_free(&conf);
			return fail("out of memory");
		}
		free(conf.sqlite_path);
		conf.sqlite_path = p;
		snprintf(conf.db_type, sizeof(conf.db_type), "sqlite");
	}

	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	if (r < 0) {
		if (r == -EOPNOTSUPP)
			rc = fail("db_type %s is not supported by openlve (use sqlite or postgresql)", conf.db_type);
		else if (r == -EINVAL)
			rc = fail("invalid database settings (db_type, connect_string, sqlite_path or server_id)");
		else
			rc = fail("cannot open the statistics database: %s", strerror(-r));
		lvestats_conf_free(&conf);
		return rc;
	}
	/* old ranges come back widened to the rollups' buckets: print the range used */
	r = lve_db_query_span(db, &(struct lve_query){ .server_id = o.server_id, .from = from, .to = to, .id = o.id },
			      &a, &used);
	if (r < 0) {
		if (lve_db_errmsg(db)[0])
			rc = fail("%s", lve_db_errmsg(db));
		else
			rc = fail("reading the statistics database: %s", strerror(-r));
		goto out;
	}
	n = (size_t)r;

	for (size_t i = 0; i < n; i++) {
		bool keep = true;

		if (o.by_fault)
			keep = fault_match(&o, &a[i]);
		else if (o.by_usage)
			keep = usage_match(&o, &a[i]);
		if (keep)
			a[kept++] = a[i];
	}
	n = kept;
	if (o.order >= 0)
		cmp_col = o.order;
	else if (o.by_fault || o.by_usage)
		cmp_col = o.first_filter_col;
	else
		cmp_col = LVE_COL_ACPU;
	if (n > 1)
		qsort(a, n, sizeof(*a), cmp_agg);
	if (o.limit > 0 && (size_t)o.limit < n)
		n = (size_t)o.limit;
	print_rows(&o, a, n, used.from, used.to, o.server_id ? o.server_id : conf.server_id);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = fail("writing output: %s", strerror(errno));
out:
	lve_db_close(db);
	lvestats_conf_free(&conf);
	return rc;
}
