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
#include <ctype.h>
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
#include "cl-json.h"
#include "stats.h"

#define DEFAULT_RANGE 600 /* last 10 minutes */
#define LIST_VERSION 6     /* the /proc/lve/list format lvectl serves (lve-version) */

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

/*
 * lveinfo's columns: per resource r (0 CPU, 1 EP, 2 VMem, 3 PMem, 4 Nproc,
 * 5 IO, 6 IOPS, the order of enum lve_col) a = average, m = max, u = average
 * in % of the limit, l = limit, f = faults; anyF; From/To (time rows).
 * The history keeps averages only: m columns are "unsupported" and print the
 * --blank-value (lve-stats 2 marks them deprecated); ordering by one orders
 * by the average.
 */
enum kind { K_AVG, K_MAX, K_PCT, K_LIM, K_FLT, K_ANYF, K_FROM, K_TO };
struct col {
	enum kind k;
	int r;
};
static const char *const res_name[LVE_RES__MAX] = { "CPU", "EP", "VMem", "PMem", "Nproc", "IO", "IOPS" };
#define MAX_COLS 64

struct opts {
	const char *from_s, *to_s, *period_s, *time_unit;
	const char *config, *db_path, *server_id, *csv_path, *blank;
	uint32_t id;
	bool have_id;              /* --id or --user: time rows */
	int order;                 /* enum lve_col, -1 default */
	bool by_fault, by_usage;
	bool fault_cols[LVE_COL__MAX];
	bool usage_cols[LVE_COL__MAX];
	int first_filter_col;      /* first alias given to --by-fault/--by-usage */
	uint64_t threshold;
	double percent;
	long limit;
	enum fmt fmt;
	bool display_username, show_all, servers_info;
	char compat[4];            /* "v1" / "v2", "" = from lvestats2 (mode) */
	struct col cols[MAX_COLS]; /* columns given by --show-columns */
	int ncols;                 /* 0: the default set of the mode */
};

static void usage(FILE *f)
{
	fputs("Usage: lveinfo [OPTIONS]\n"
	      "Per-LVE averages, limits and faults over a time range, from lved's database\n"
	      "(lve-stats 2 options and column names).\n"
	      "\n"
	      "  -f, --from TIME          start ([YY]YY-MM-DD[ HH:MM[:SS]], @EPOCH, now)\n"
	      "  -t, --to TIME            end, inclusive (default: now)\n"
	      "      --period PERIOD      Ns|Nm|Nh|Nd, today, yesterday (default: 10m)\n"
	      "      --id ID              only LVE ID, one row per --time-unit\n"
	      "  -u, --user NAME          the same for the LVE of user NAME (id = uid)\n"
	      "  -d, --display-username   show user names instead of LVE ids\n"
	      "  -o, --order-by ALIAS     sort by ALIAS, largest first (default aCPU)\n"
	      "  -b, --by-usage ALIAS...  only LVEs whose average reached -p percent of the limit\n"
	      "  -p, --percentage N       for --by-usage, 0..100 (default 90)\n"
	      "      --by-fault ALIAS...  only LVEs with these faults (mcpu cpu CPUf, mem vmem VMemF,\n"
	      "                           mep ep EPf, pmem PMemF, nproc NprocF, io IOf, iops IOPSf,\n"
	      "                           any any_faults anyF)\n"
	      "  -r, --threshold N        faults needed by --by-fault (default 1)\n"
	      "  -l, --limit N            at most N rows (default 10, 0 = all)\n"
	      "      --show-all           every column\n"
	      "      --show-columns C...  these columns (space or comma separated; all)\n"
	      "      --time-unit UNIT     row length with --id/--user: 1m (default), 1h30m, 1d, dynamic\n"
	      "  -m, --compat v1|v2       column set: v1 a/m/l (default, or lvestats2 mode), v2 a/u/l/f\n"
	      "      --blank-value [TEXT] shown for unsupported values (default -)\n"
	      "  -j, --json               JSON output\n"
	      "  -c, --csv [PATH]         CSV output, to PATH (default -: standard output)\n"
	      "      --server_id ID       rows of this server (central database); also --server-id\n"
	      "      --servers-info       the server id and its LVE version, and exit\n"
	      "      --style user|admin   accepted, no effect (deprecated in lve-stats 2)\n"
	      "      --config FILE        lve-stats configuration (default " LVESTATS_CONF_DEFAULT ")\n"
	      "      --db FILE            read this SQLite file instead of the configured database\n"
	      "  -h, --help               this text\n"
	      "  -v, --version            version\n"
	      "\n"
	      "Columns: ID From To, and for CPU EP VMem PMem Nproc IO IOPS: a (average), m (max;\n"
	      "not kept: blank), u (average in % of the limit), l (limit, 0 = unlimited), faults\n"
	      "CPUf EPf VMemF PMemF NprocF IOf IOPSf, anyF. Aliases (not case sensitive) also\n"
	      "cpu_avg cpu_max total_cpu_faults ... any_faults. CPU in % of one core, memory in\n"
	      "bytes, IO in KB/s, IOPS in operations/s. See lveinfo(8).\n",
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

static int res_of(const char *s)
{
	for (int i = 0; i < LVE_RES__MAX; i++)
		if (!strcasecmp(s, res_name[i]))
			return i;
	return -1;
}

/* Long aliases of lve-stats 2: cpu, vmem, mep (EP), pmem, nproc, io, iops. */
static int res_of_long(const char *s)
{
	static const char *const n[LVE_RES__MAX] = { "cpu", "mep", "vmem", "pmem", "nproc", "io", "iops" };

	for (int i = 0; i < LVE_RES__MAX; i++)
		if (!strcasecmp(s, n[i]))
			return i;
	return -1;
}

/* Column name (case-insensitive) or lve-stats alias -> struct col. */
static int col_parse(const char *s, struct col *c)
{
	char base[16];
	size_t n = strlen(s);
	int r;

	if (!strcasecmp(s, "anyF") || !strcasecmp(s, "any_faults")) {
		*c = (struct col){ K_ANYF, 0 };
		return 0;
	}
	if (!strcasecmp(s, "From") || !strcasecmp(s, "To")) {
		*c = (struct col){ tolower((unsigned char)s[0]) == 'f' ? K_FROM : K_TO, 0 };
		return 0;
	}
	/* aCPU mCPU uCPU lCPU */
	if (n > 1 && strchr("amulAMUL", s[0]) && (r = res_of(s + 1)) >= 0) {
		switch (tolower((unsigned char)s[0])) {
		case 'a': *c = (struct col){ K_AVG, r }; break;
		case 'm': *c = (struct col){ K_MAX, r }; break;
		case 'u': *c = (struct col){ K_PCT, r }; break;
		default: *c = (struct col){ K_LIM, r }; break;
		}
		return 0;
	}
	/* CPUf EPf VMemF ... */
	for (r = 0; r < LVE_RES__MAX; r++)
		if (!strcasecmp(s, lve_col_alias(3 * r + 2))) {
			*c = (struct col){ K_FLT, r };
			return 0;
		}
	/* cpu_avg cpu_max total_cpu_faults */
	if (n > 4 && n < sizeof(base) + 4 && (!strcasecmp(s + n - 4, "_avg") || !strcasecmp(s + n - 4, "_max"))) {
		memcpy(base, s, n - 4);
		base[n - 4] = 0;
		r = res_of_long(base);
		if (r >= 0) {
			*c = (struct col){ tolower((unsigned char)s[n - 3]) == 'a' ? K_AVG : K_MAX, r };
			return 0;
		}
	}
	if (n > 13 && n < sizeof(base) + 13 && !strncasecmp(s, "total_", 6) && !strcasecmp(s + n - 7, "_faults")) {
		memcpy(base, s + 6, n - 13);
		base[n - 13] = 0;
		r = !strcasecmp(base, "ep") ? 1 : res_of_long(base);
		if (r >= 0) {
			*c = (struct col){ K_FLT, r };
			return 0;
		}
	}
	return -EINVAL;
}

/* The lve_col a column sorts and filters by (m: the average). */
static int col_stat(const struct col *c)
{
	switch (c->k) {
	case K_AVG:
	case K_MAX:
	case K_PCT: return 3 * c->r;
	case K_LIM: return 3 * c->r + 1;
	case K_FLT: return 3 * c->r + 2;
	case K_ANYF: return LVE_COL_ANYF;
	default: return -1;
	}
}

/* One alias of --by-fault (want 2: fault) or --by-usage (want 0: usage). */
static int filter_alias(const char *s, int want, struct opts *o)
{
	bool *set = want == 2 ? o->fault_cols : o->usage_cols;
	struct col col;
	int c = -1, r;

	if (want == 2) {
		/* lve-stats 2: mcpu/cpu, mem/vmem (VMEM), mep/ep, pmem, nproc, io, iops, any */
		static const char *const names[][2] = { { "mcpu", "cpu" }, { "ep", "mep" }, { "mem", "vmem" },
							{ "pmem", NULL },  { "nproc", NULL }, { "io", NULL },
							{ "iops", NULL } };

		for (r = 0; r < LVE_RES__MAX; r++)
			if (!strcasecmp(s, names[r][0]) || (names[r][1] && !strcasecmp(s, names[r][1])))
				c = 3 * r + 2;
		if (!strcasecmp(s, "any"))
			c = LVE_COL_ANYF;
	} else {
		r = res_of_long(s);
		if (r < 0 && !strcasecmp(s, "ep"))
			r = 1;
		if (r >= 0)
			c = 3 * r;
	}
	if (c < 0 && col_parse(s, &col) == 0) {
		c = col_stat(&col);
		if (want == 2 && col.k != K_FLT && col.k != K_ANYF)
			c = -1;
		if (want == 0 && col.k != K_AVG && col.k != K_MAX)
			c = -1;
	}
	if (c < 0)
		return bad("--%s: '%s' is not a %s alias", want == 2 ? "by-fault" : "by-usage", s,
			   want == 2 ? "fault" : "usage");
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
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		struct col c;

		if (!strcasecmp(t, "ID"))
			continue; /* always the first column */
		if (!strcasecmp(t, "all")) {
			o->show_all = true;
			continue;
		}
		if (col_parse(t, &c) < 0)
			return bad("--show-columns: unknown column '%s'", t);
		for (int i = 0; i < o->ncols; i++)
			if (o->cols[i].k == c.k && o->cols[i].r == c.r)
				return bad("--show-columns: '%s' given twice", t);
		if (o->ncols >= MAX_COLS)
			return bad("--show-columns: too many columns");
		o->cols[o->ncols++] = c;
	}
	return 0;
}

enum opt_id {
	O_FROM, O_TO, O_PERIOD, O_ID, O_USER, O_ORDER, O_BYFAULT, O_THRESH, O_BYUSAGE, O_PCT, O_LIMIT, O_SHOW,
	O_JSON, O_CSV, O_SERVER, O_SERVER2, O_CONFIG, O_DB, O_HELP, O_VERSION, O_DISPLAY, O_SHOWALL,
	O_TIMEUNIT, O_BLANK, O_SERVERS, O_COMPAT, O_STYLE, O_DBGOV,
};
enum arg_kind { A_NONE, A_REQ, A_OPT };
static const struct {
	const char *lng;
	char shrt;
	enum arg_kind arg;
	enum opt_id id;
} optv[] = {
	{ "from", 'f', A_REQ, O_FROM },          { "to", 't', A_REQ, O_TO },
	{ "period", 0, A_REQ, O_PERIOD },        { "id", 0, A_REQ, O_ID },
	{ "user", 'u', A_REQ, O_USER },          { "order-by", 'o', A_REQ, O_ORDER },
	{ "by-fault", 0, A_REQ, O_BYFAULT },     { "threshold", 'r', A_REQ, O_THRESH },
	{ "by-usage", 'b', A_REQ, O_BYUSAGE },   { "percentage", 'p', A_REQ, O_PCT },
	{ "limit", 'l', A_REQ, O_LIMIT },        { "show-columns", 0, A_REQ, O_SHOW },
	{ "json", 'j', A_NONE, O_JSON },         { "csv", 'c', A_OPT, O_CSV },
	{ "server_id", 0, A_REQ, O_SERVER },     { "server-id", 0, A_REQ, O_SERVER2 },
	{ "config", 0, A_REQ, O_CONFIG },        { "db", 0, A_REQ, O_DB },
	{ "help", 'h', A_NONE, O_HELP },         { "version", 'v', A_NONE, O_VERSION },
	{ "display-username", 'd', A_NONE, O_DISPLAY }, { "show-all", 0, A_NONE, O_SHOWALL },
	{ "time-unit", 0, A_REQ, O_TIMEUNIT },   { "blank-value", 0, A_OPT, O_BLANK },
	{ "servers-info", 0, A_NONE, O_SERVERS }, { "compat", 'm', A_REQ, O_COMPAT },
	{ "style", 0, A_REQ, O_STYLE },          { "dbgov", 0, A_REQ, O_DBGOV },
};

/* 0 ok, 1 help/version printed, -EINVAL bad option (errbuf), -ENOMEM. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v;
	bool seen[ELEMENTSOF(optv)] = { 0 };
	int r;

	*o = (struct opts){ .order = -1, .first_filter_col = -1, .threshold = 1, .percent = 90, .limit = 10,
			    .blank = "-" };
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
			if (eq && optv[k].arg == A_NONE)
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
				if (optv[k].arg == A_NONE)
					return bad("option '-%c' takes no value", a[1]);
				val = a + 2;
			}
		}
		if (optv[k].arg == A_REQ && !val) {
			if (i + 1 >= argc)
				return bad("option '%s' needs a value", a);
			val = argv[++i];
		}
		/* an optional value: the next word unless it looks like an option */
		if (optv[k].arg == A_OPT && !val && i + 1 < argc && (argv[i + 1][0] != '-' || !strcmp(argv[i + 1], "-")))
			val = argv[++i];
		if (seen[k] && optv[k].id != O_BYFAULT && optv[k].id != O_BYUSAGE && optv[k].id != O_SHOW)
			return bad("option '--%s' given twice", optv[k].lng);
		seen[k] = true;

		switch (optv[k].id) {
		case O_FROM: o->from_s = val; break;
		case O_TO: o->to_s = val; break;
		case O_PERIOD: o->period_s = val; break;
		case O_ID:
			if (o->have_id)
				return bad("--id and --user exclude each other");
			if (parse_ulong(val, UINT32_MAX, &v) < 0 || v == 0)
				return bad("--id: '%s' is not an LVE id (1..4294967295)", val);
			o->id = (uint32_t)v;
			o->have_id = true;
			break;
		case O_USER: {
			struct passwd *pw = getpwnam(val);

			if (o->have_id)
				return bad("--id and --user exclude each other");
			o->have_id = true;
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
		case O_ORDER: {
			struct col c;

			if (col_parse(val, &c) < 0 || col_stat(&c) < 0)
				return bad("--order-by: unknown column '%s'", val);
			o->order = col_stat(&c);
			break;
		}
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
			while (r >= 0 && i + 1 < argc && argv[i + 1][0] != '-')
				r = show_list(argv[++i], o);
			if (r < 0)
				return r;
			if (o->ncols == 0 && !o->show_all)
				return bad("--show-columns needs at least one column");
			break;
		case O_JSON:
		case O_CSV:
			if (o->fmt != FMT_TABLE)
				return bad("--json and --csv exclude each other");
			o->fmt = optv[k].id == O_JSON ? FMT_JSON : FMT_CSV;
			if (optv[k].id == O_CSV && val && strcmp(val, "-")) {
				if (!*val)
					return bad("--csv: empty path");
				o->csv_path = val;
			}
			break;
		case O_SERVER:
		case O_SERVER2: {
			size_t n = strlen(val);
			bool ok = n >= 1 && n <= 10;

			if (o->server_id)
				return bad("--server_id given twice");
			for (size_t j = 0; j < n && ok; j++)
				ok = (val[j] >= 'a' && val[j] <= 'z') || (val[j] >= 'A' && val[j] <= 'Z') ||
				     (val[j] >= '0' && val[j] <= '9') || val[j] == '.' || val[j] == '_' || val[j] == '-';
			if (!ok)
				return bad("--server_id: '%s' is not 1..10 of [A-Za-z0-9._-]", val);
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
		case O_DISPLAY: o->display_username = true; break;
		case O_SHOWALL: o->show_all = true; break;
		case O_TIMEUNIT: {
			int64_t t;

			if (clj_parse_time_unit(val, &t) < 0)
				return bad("--time-unit: '%s' is not like 1m, 1h30m, 1d12h, 90 (minutes) or dynamic", val);
			o->time_unit = val;
			break;
		}
		case O_BLANK: o->blank = val ? val : ""; break;
		case O_SERVERS: o->servers_info = true; break;
		case O_COMPAT:
			if (strcasecmp(val, "v1") && strcasecmp(val, "v2"))
				return bad("--compat: '%s' is not v1 or v2", val);
			snprintf(o->compat, sizeof(o->compat), "v%c", val[1]);
			break;
		case O_STYLE:
			if (strcmp(val, "user") && strcmp(val, "admin"))
				return bad("--style: '%s' is not user or admin", val);
			break; /* deprecated in lve-stats 2: no effect */
		case O_DBGOV:
			return bad("--dbgov: MySQL Governor statistics are not collected by openlve");
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

/* The columns shown: --show-columns, else the mode's set (brief or --show-all). */
static int default_cols(const struct opts *o, const char *mode, struct col *out)
{
	/* v1: lve-stats' classic order (aCPU mCPU lCPU aIO mIO lIO aEP mEP lEP aVMem ... EPf VMemF PMemF NprocF) */
	static const int v1_res[] = { 0, 5, 1, 2, 3, 4 };
	/* v2: a u l f per resource */
	static const int v2_res[] = { 0, 5, 6, 1, 3, 4 };
	int n = 0;

	if (o->have_id) {
		out[n++] = (struct col){ K_FROM, 0 };
		out[n++] = (struct col){ K_TO, 0 };
	}
	if (strcmp(mode, "v2")) {
		for (size_t i = 0; i < ELEMENTSOF(v1_res); i++) {
			out[n++] = (struct col){ K_AVG, v1_res[i] };
			out[n++] = (struct col){ K_MAX, v1_res[i] };
			out[n++] = (struct col){ K_LIM, v1_res[i] };
		}
		out[n++] = (struct col){ K_FLT, 1 };
		out[n++] = (struct col){ K_FLT, 2 };
		out[n++] = (struct col){ K_FLT, 3 };
		out[n++] = (struct col){ K_FLT, 4 };
		if (o->show_all) {
			out[n++] = (struct col){ K_FLT, 0 };
			out[n++] = (struct col){ K_FLT, 5 };
			out[n++] = (struct col){ K_AVG, 6 };
			out[n++] = (struct col){ K_MAX, 6 };
			out[n++] = (struct col){ K_LIM, 6 };
			out[n++] = (struct col){ K_FLT, 6 };
			out[n++] = (struct col){ K_ANYF, 0 };
		}
		return n;
	}
	for (size_t i = 0; i < ELEMENTSOF(v2_res); i++) {
		out[n++] = (struct col){ K_AVG, v2_res[i] };
		out[n++] = (struct col){ K_PCT, v2_res[i] };
		out[n++] = (struct col){ K_LIM, v2_res[i] };
		out[n++] = (struct col){ K_FLT, v2_res[i] };
	}
	if (o->show_all) {
		out[n++] = (struct col){ K_AVG, 2 };
		out[n++] = (struct col){ K_PCT, 2 };
		out[n++] = (struct col){ K_LIM, 2 };
		out[n++] = (struct col){ K_FLT, 2 };
		out[n++] = (struct col){ K_ANYF, 0 };
	}
	return n;
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

static void col_name(const struct col *c, char *buf, size_t size)
{
	switch (c->k) {
	case K_AVG: snprintf(buf, size, "%s", lve_col_alias(3 * c->r)); return;
	case K_LIM: snprintf(buf, size, "%s", lve_col_alias(3 * c->r + 1)); return;
	case K_FLT: snprintf(buf, size, "%s", lve_col_alias(3 * c->r + 2)); return;
	case K_MAX: snprintf(buf, size, "m%s", res_name[c->r]); return;
	case K_PCT: snprintf(buf, size, "u%s", res_name[c->r]); return;
	case K_ANYF: snprintf(buf, size, "anyF"); return;
	case K_FROM: snprintf(buf, size, "From"); return;
	case K_TO: snprintf(buf, size, "To"); return;
	}
}

/* A row: one LVE over the range, or one time bucket of one LVE. */
struct row {
	const struct lve_agg *a;
	int64_t from, to; /* inclusive seconds */
};

/* The cell; *blank set when it is the blank value (unsupported), *str when a JSON string. */
static void cell(const struct opts *o, const struct col *c, const struct row *w, char *buf, size_t size, bool human,
		 bool *blank)
{
	*blank = false;
	switch (c->k) {
	case K_FROM:
	case K_TO: {
		time_t t = (time_t)(c->k == K_FROM ? w->from : w->to);
		struct tm tm;

		if (o->fmt == FMT_JSON) {
			snprintf(buf, size, "%lld", (long long)t);
			return;
		}
		localtime_r(&t, &tm);
		strftime(buf, size, o->fmt == FMT_CSV ? "%Y-%m-%d %H:%M" : "%m-%d %H:%M", &tm);
		return;
	}
	case K_MAX:
		*blank = true;
		snprintf(buf, size, "%s", o->blank);
		return;
	case K_PCT: {
		double lim = w->a->v[3 * c->r + 1];

		if (lim <= 0) {
			*blank = true;
			snprintf(buf, size, "%s", o->blank);
		} else
			snprintf(buf, size, "%.1f", w->a->v[3 * c->r] * 100.0 / lim);
		return;
	}
	default: {
		int st = col_stat(c);

		if (st < 0 || st >= LVE_COL__MAX) {
			*blank = true;
			snprintf(buf, size, "%s", o->blank);
		} else
			fmt_value(buf, size, st, w->a->v[st], human);
	}
	}
}

static void print_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* ID text: the LVE id, or with -d the user's name when there is one. */
static bool id_text(const struct opts *o, uint32_t id, char *buf, size_t size)
{
	struct passwd *pw = o->display_username ? getpwuid((uid_t)id) : NULL;

	if (pw) {
		snprintf(buf, size, "%s", pw->pw_name);
		return true;
	}
	snprintf(buf, size, "%" PRIu32, id);
	return false;
}

static void print_rows(FILE *f, const struct opts *o, const struct col *cols, int nc, const struct row *w, size_t n,
		       int64_t from, int64_t to, const char *sid)
{
	char buf[128], name[32];
	bool blank;

	if (o->fmt == FMT_JSON) {
		fprintf(f, "{\"from\": %" PRId64 ", \"to\": %" PRId64 ", \"server_id\": ", from, to - 1);
		print_json_str(f, sid);
		fprintf(f, ", \"data\": [");
		for (size_t i = 0; i < n; i++) {
			bool named = id_text(o, w[i].a->id, buf, sizeof(buf));

			fprintf(f, "%s\n  {\"ID\": ", i ? "," : "");
			if (named)
				print_json_str(f, buf);
			else
				fputs(buf, f);
			for (int j = 0; j < nc; j++) {
				col_name(&cols[j], name, sizeof(name));
				cell(o, &cols[j], &w[i], buf, sizeof(buf), false, &blank);
				fprintf(f, ", \"%s\": ", name);
				if (blank)
					print_json_str(f, buf);
				else
					fputs(buf, f);
			}
			fputc('}', f);
		}
		fprintf(f, "%s]}\n", n ? "\n" : "");
		return;
	}
	if (o->fmt == FMT_CSV) {
		fprintf(f, "ID");
		for (int j = 0; j < nc; j++) {
			col_name(&cols[j], name, sizeof(name));
			fprintf(f, ",%s", name);
		}
		fputc('\n', f);
		for (size_t i = 0; i < n; i++) {
			id_text(o, w[i].a->id, buf, sizeof(buf));
			fputs(buf, f);
			for (int j = 0; j < nc; j++) {
				cell(o, &cols[j], &w[i], buf, sizeof(buf), false, &blank);
				fprintf(f, ",%s", buf);
			}
			fputc('\n', f);
		}
		return;
	}
	/* table: widths from the header and every cell */
	int wd[MAX_COLS + 1];
	wd[0] = 2;
	for (size_t i = 0; i < n; i++) {
		int k = (int)strlen((id_text(o, w[i].a->id, buf, sizeof(buf)), buf));
		if (k > wd[0])
			wd[0] = k;
	}
	for (int j = 0; j < nc; j++) {
		col_name(&cols[j], name, sizeof(name));
		wd[j + 1] = (int)strlen(name);
		for (size_t i = 0; i < n; i++) {
			cell(o, &cols[j], &w[i], buf, sizeof(buf), true, &blank);
			if ((int)strlen(buf) > wd[j + 1])
				wd[j + 1] = (int)strlen(buf);
		}
	}
	fprintf(f, "%*s", wd[0], "ID");
	for (int j = 0; j < nc; j++) {
		col_name(&cols[j], name, sizeof(name));
		fprintf(f, " %*s", wd[j + 1], name);
	}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		id_text(o, w[i].a->id, buf, sizeof(buf));
		fprintf(f, "%*s", wd[0], buf);
		for (int j = 0; j < nc; j++) {
			cell(o, &cols[j], &w[i], buf, sizeof(buf), true, &blank);
			fprintf(f, " %*s", wd[j + 1], buf);
		}
		fputc('\n', f);
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

/* Time rows of one LVE: buckets of --time-unit over [from, to); empty buckets are left out. */
static int time_rows(struct lve_db *db, const struct opts *o, const char *sid, int64_t from, int64_t to,
		     struct lve_agg **aggs, struct row **rows, size_t *n)
{
	int64_t unit = 60, nb;
	_cleanup_free_ struct lve_agg *av = NULL;
	_cleanup_free_ struct row *rv = NULL;
	size_t k = 0;

	if (o->time_unit)
		clj_parse_time_unit(o->time_unit, &unit); /* checked by parse_args */
	if (unit == 0) /* dynamic: about 100 rows of whole minutes */
		unit = ((to - from) / 100 + 59) / 60 * 60 ?: 60;
	nb = (to - from + unit - 1) / unit;
	if (nb > 1000000)
		return bad("--time-unit: %lld rows are too many for this range; use a larger unit", (long long)nb);
	av = calloc((size_t)(nb ?: 1), sizeof(*av));
	rv = calloc((size_t)(nb ?: 1), sizeof(*rv));
	if (!av || !rv)
		return -ENOMEM;
	for (int64_t b = from; b < to; b += unit) {
		_cleanup_free_ struct lve_agg *a = NULL;
		int64_t e = b + unit < to ? b + unit : to;
		int r = lve_db_query(db, &(struct lve_query){ .server_id = sid, .from = b, .to = e, .id = o->id }, &a);

		if (r < 0)
			return r;
		if (r == 0)
			continue;
		av[k] = a[0];
		rv[k] = (struct row){ .from = b, .to = e - 1 };
		k++;
	}
	for (size_t i = 0; i < k; i++)
		rv[i].a = &av[i];
	*aggs = TAKE_PTR(av);
	*rows = TAKE_PTR(rv);
	*n = k;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lvestats_conf conf = { 0 };
	struct lve_db *db = NULL;
	struct lve_query_span used;
	_cleanup_free_ struct lve_agg *a = NULL;
	_cleanup_free_ struct row *rows = NULL;
	struct col dcols[MAX_COLS];
	const struct col *cols;
	int64_t now = (int64_t)time(NULL), from = 0, to = 0;
	unsigned errline = 0;
	size_t n = 0, kept = 0;
	int r, rc = 0, nc;
	FILE *out = stdout;
	const char *sid;

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
	if (conf.ignored)
		fprintf(stderr, "lveinfo: warning: %s: keys without effect in openlve: %s\n",
			o.config ? o.config : LVESTATS_CONF_DEFAULT, conf.ignored);
	sid = o.server_id ? o.server_id : conf.server_id;
	if (o.servers_info) {
		/* the server this database is read for, and the LVE version it serves */
		printf("%-10s %s\n%-10s %d\n", "server_id", "lve_version", sid, LIST_VERSION);
		lvestats_conf_free(&conf);
		return 0;
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
	if (o.ncols > 0) {
		cols = o.cols;
		nc = o.ncols;
	} else {
		nc = default_cols(&o, o.compat[0] ? o.compat : conf.mode, dcols);
		cols = dcols;
	}

	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	if (r < 0) {
		if (r == -EOPNOTSUPP)
			rc = fail("db_type %s is not supported by this build of openlve (use sqlite, postgresql or mysql)",
				  conf.db_type);
		else if (r == -EINVAL)
			rc = fail("invalid database settings (db_type, connect_string, sqlite_path or server_id)");
		else
			rc = fail("cannot open the statistics database: %s", strerror(-r));
		lvestats_conf_free(&conf);
		return rc;
	}
	if (o.have_id) {
		/* one LVE: a row per --time-unit (lve-stats 2's From To rows) */
		r = time_rows(db, &o, o.server_id, from, to, &a, &rows, &n);
		used = (struct lve_query_span){ from, to };
		if (r == -EINVAL) {
			fprintf(stderr, "lveinfo: %s (see lveinfo --help)\n", errbuf);
			rc = 2;
			goto out;
		}
	} else {
		/* old ranges come back widened to the rollups' buckets: print the range used */
		r = lve_db_query_span(db, &(struct lve_query){ .server_id = o.server_id, .from = from, .to = to },
				      &a, &used);
	}
	if (r < 0) {
		if (lve_db_errmsg(db)[0])
			rc = fail("%s", lve_db_errmsg(db));
		else
			rc = fail("reading the statistics database: %s", strerror(-r));
		goto out;
	}
	if (!o.have_id) {
		uint32_t uid_max = conf.hide_lve_more_than_maxuid ? clj_uid_max() : UINT32_MAX;

		n = (size_t)r;
		for (size_t i = 0; i < n; i++) {
			bool keep = a[i].id <= uid_max;

			if (keep && o.by_fault)
				keep = fault_match(&o, &a[i]);
			else if (keep && o.by_usage)
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
		rows = calloc(n ?: 1, sizeof(*rows));
		if (!rows) {
			rc = fail("out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			rows[i] = (struct row){ .a = &a[i], .from = used.from, .to = used.to - 1 };
	}
	if (o.csv_path) {
		out = fopen(o.csv_path, "we");
		if (!out) {
			rc = fail("cannot write %s: %s", o.csv_path, strerror(errno));
			goto out;
		}
	}
	print_rows(out, &o, cols, nc, rows, n, used.from, used.to, sid);
	if (fflush(out) != 0 || ferror(out))
		rc = fail("writing %s: %s", o.csv_path ? o.csv_path : "output", strerror(errno));
	if (out != stdout && fclose(out) != 0 && !rc)
		rc = fail("writing %s: %s", o.csv_path, strerror(errno));
out:
	lve_db_close(db);
	lvestats_conf_free(&conf);
	return rc;
}
