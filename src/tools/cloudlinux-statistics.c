/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudlinux-statistics - usage history as JSON for control panels, with
 * CloudLinux's options, keys and units (lve-stats 2's tool of that name):
 * summary statistics per user over a range, or detailed statistics of one
 * LVE (--id) in time buckets. Reads lved's history database (olstats,
 * db.c) like lveinfo. See cloudlinux-statistics(8).
 *
 * Output is always JSON (-j/--json accepted). Exit: 0 with "result":
 * "success"; 1 with the documented error object (also one stderr line);
 * 2 for a bad option (error object too).
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

#include "cl-json.h"
#include "cl-resellers.h"
#include "config.h"
#include "macro.h"
#include "stats.h"

#define TOOL "cloudlinux-statistics"
#define DEFAULT_RANGE 600

/* Sections of lve_section in the documented key order; r = lve_col resource index. */
enum sec { S_EP, S_VMEM, S_IOPS, S_IO, S_NPROC, S_CPU, S_PMEM, S__MAX };
static const struct {
	const char *name;
	int res; /* 0 CPU, 1 EP, 2 VMem, 3 PMem, 4 Nproc, 5 IO, 6 IOPS */
} secs[S__MAX] = {
	[S_EP] = { "ep", 1 },     [S_VMEM] = { "vmem", 2 }, [S_IOPS] = { "iops", 6 },
	[S_IO] = { "io", 5 },     [S_NPROC] = { "nproc", 4 }, [S_CPU] = { "cpu", 0 },
	[S_PMEM] = { "pmem", 3 },
};

struct opts {
	const char *from_s, *to_s, *period_s, *server_id, *config, *db_path, *reseller, *time_unit;
	uint32_t id;
	bool show[S__MAX];
	bool by_usage[S__MAX], by_fault[S__MAX], by_fault_any, usage_set, fault_set;
	double percent;
	uint64_t threshold;
	long limit;
	int order_col; /* enum lve_col, -1: cpu */
};

static char errtext[512];

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errtext, sizeof(errtext), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void usage(void)
{
	fputs("Usage: cloudlinux-statistics [-h] [-j] [-v] [--by-usage FIELD[,FIELD]] [--percentage 0..100]\n"
	      "         [--by-fault FIELD[,FIELD]] [--threshold N] [--server_id ID] [-f FROM] [-t TO]\n"
	      "         [--period PERIOD] [--limit N] [--show FIELD [FIELD ...]] [-o ORDER_BY]\n"
	      "         [--id ID] [--time-unit UNIT] [-r FOR_RESELLER]\n"
	      "Usage history as JSON (lve-stats 2 format), from lved's database.\n"
	      "FIELD: cpu io iops ep nproc pmem vmem (mysql, mysql_cpu, mysql_io accepted: no\n"
	      "MySQL Governor here, they are left out). ORDER_BY: any_faults cpu io iops ep\n"
	      "nproc pmem vmem cpu_faults io_faults iops_faults ep_faults nproc_faults\n"
	      "pmem_faults vmem_faults (mysql_cpu mysql_io accepted). Units: cpu % of one core,\n"
	      "io bytes/s, pmem and vmem bytes. openlve: --config FILE, --db SQLITE_FILE.\n"
	      "See cloudlinux-statistics(8).\n",
	      stdout);
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

static int sec_of(const char *s)
{
	for (int i = 0; i < S__MAX; i++)
		if (!strcasecmp(s, secs[i].name))
			return i;
	return -1;
}

static bool is_mysql(const char *s)
{
	return !strcasecmp(s, "mysql") || !strcasecmp(s, "mysql_cpu") || !strcasecmp(s, "mysql_io");
}

static int show_item(const char *s, void *ud)
{
	struct opts *o = ud;
	int k;

	if (!strcasecmp(s, "all")) {
		for (int i = 0; i < S__MAX; i++)
			o->show[i] = true;
		return 0;
	}
	if (is_mysql(s))
		return 0;
	k = sec_of(s);
	if (k < 0)
		return bad("--show: unknown field '%s' (all cpu io iops ep nproc pmem vmem mysql)", s);
	o->show[k] = true;
	return 0;
}

static int usage_item(const char *s, void *ud)
{
	struct opts *o = ud;
	int k;

	if (is_mysql(s)) {
		o->usage_set = true;
		return 0;
	}
	k = sec_of(s);
	if (k < 0)
		return bad("--by-usage: unknown field '%s' (cpu io iops ep nproc pmem vmem)", s);
	o->by_usage[k] = o->usage_set = true;
	return 0;
}

static int fault_item(const char *s, void *ud)
{
	struct opts *o = ud;
	int k;

	if (!strcasecmp(s, "any")) {
		o->by_fault_any = o->fault_set = true;
		return 0;
	}
	k = sec_of(s);
	if (k < 0)
		return bad("--by-fault: unknown field '%s' (any cpu io iops ep nproc pmem vmem)", s);
	o->by_fault[k] = o->fault_set = true;
	return 0;
}

static int order_of(const char *s, int *col)
{
	char base[32];
	size_t n = strlen(s);
	int k;

	if (!strcasecmp(s, "any_faults")) {
		*col = LVE_COL_ANYF;
		return 0;
	}
	if (!strcasecmp(s, "mysql_cpu") || !strcasecmp(s, "mysql_io")) {
		*col = -1; /* nothing to order by: default */
		return 0;
	}
	if (n > 7 && n < sizeof(base) && !strcasecmp(s + n - 7, "_faults")) {
		memcpy(base, s, n - 7);
		base[n - 7] = 0;
	} else if (n > 6 && n < sizeof(base) && !strcasecmp(s + n - 6, "_fault")) {
		memcpy(base, s, n - 6); /* "iops_fault" as the documentation spells it */
		base[n - 6] = 0;
	} else {
		k = sec_of(s);
		if (k < 0)
			return bad("--order-by: unknown key '%s' (see --help)", s);
		*col = 3 * secs[k].res;
		return 0;
	}
	k = sec_of(base);
	if (k < 0)
		return bad("--order-by: unknown key '%s' (see --help)", s);
	*col = 3 * secs[k].res + 2;
	return 0;
}

/* Options with a value: name, needs value. */
static const char *const with_value[] = {
	"by-usage", "percentage", "by-fault", "threshold", "server_id", "server-id", "from", "to", "period",
	"limit", "show", "order-by", "id", "time-unit", "for-reseller", "config", "db",
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned long long v;
	int r;

	*o = (struct opts){ .percent = 90, .threshold = 1, .order_col = -1 };
	for (int i = 1; i < argc; i++) {
		char name[32];
		const char *a = argv[i], *val = NULL;
		bool needs = false;

		if (!strncmp(a, "--", 2)) {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (len == 0 || len >= sizeof(name))
				return bad("unknown option '%s'", a);
			memcpy(name, a + 2, len);
			name[len] = 0;
			if (eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			static const char *const shorts[][2] = { { "h", "help" }, { "j", "json" }, { "v", "version" },
								 { "f", "from" }, { "t", "to" }, { "o", "order-by" },
								 { "r", "for-reseller" } };
			size_t k;

			for (k = 0; k < ELEMENTSOF(shorts); k++)
				if (a[1] == shorts[k][0][0])
					break;
			if (k == ELEMENTSOF(shorts))
				return bad("unknown option '%s'", a);
			snprintf(name, sizeof(name), "%s", shorts[k][1]);
		} else
			return bad("unexpected argument '%s'", a);
		for (size_t k = 0; k < ELEMENTSOF(with_value); k++)
			needs |= !strcmp(name, with_value[k]);
		if (needs && !val) {
			if (i + 1 >= argc)
				return bad("option '%s' needs a value", a);
			val = argv[++i];
		}
		if (!needs && val)
			return bad("option '--%s' takes no value", name);

		if (!strcmp(name, "help")) {
			usage();
			return 1;
		} else if (!strcmp(name, "version")) {
			printf("cloudlinux-statistics (openlve) %s\n", OPENLVE_VERSION);
			return 1;
		} else if (!strcmp(name, "json")) {
			/* JSON is the only format */
		} else if (!strcmp(name, "by-usage") || !strcmp(name, "by-fault") || !strcmp(name, "show")) {
			int (*fn)(const char *, void *) = name[3] == 'u' ? usage_item : name[3] == 'f' ? fault_item
													: show_item;

			r = clj_each_item(val, fn, o);
			/* more words may follow (argparse nargs) */
			while (r >= 0 && i + 1 < argc && argv[i + 1][0] != '-')
				r = clj_each_item(argv[++i], fn, o);
			if (r < 0)
				return r;
		} else if (!strcmp(name, "percentage")) {
			if (parse_ulong(val, 100, &v) < 0)
				return bad("--percentage: '%s' is not 0..100", val);
			o->percent = (double)v;
		} else if (!strcmp(name, "threshold")) {
			if (parse_ulong(val, UINT64_MAX, &v) < 0)
				return bad("--threshold: '%s' is not a number", val);
			o->threshold = v;
		} else if (!strcmp(name, "server_id") || !strcmp(name, "server-id")) {
			size_t n = strlen(val);

			if (n < 1 || n > 10 || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
				return bad("--server_id: '%s' is not 1..10 of [A-Za-z0-9._-]", val);
			o->server_id = val;
		} else if (!strcmp(name, "from")) {
			o->from_s = val;
		} else if (!strcmp(name, "to")) {
			o->to_s = val;
		} else if (!strcmp(name, "period")) {
			o->period_s = val;
		} else if (!strcmp(name, "limit")) {
			if (parse_ulong(val, LONG_MAX, &v) < 0)
				return bad("--limit: '%s' is not a number (0 = all)", val);
			o->limit = (long)v;
		} else if (!strcmp(name, "order-by")) {
			r = order_of(val, &o->order_col);
			if (r < 0)
				return r;
		} else if (!strcmp(name, "id")) {
			if (parse_ulong(val, UINT32_MAX - 1, &v) < 0 || v == 0)
				return bad("--id: '%s' is not an LVE id", val);
			o->id = (uint32_t)v;
		} else if (!strcmp(name, "time-unit")) {
			o->time_unit = val;
		} else if (!strcmp(name, "for-reseller")) {
			o->reseller = val;
		} else if (!strcmp(name, "config")) {
			o->config = val;
		} else if (!strcmp(name, "db")) {
			if (val[0] != '/')
				return bad("--db: '%s' is not an absolute path", val);
			o->db_path = val;
		} else
			return bad("unknown option '--%s'", name);
	}
	if (o->usage_set && o->fault_set)
		return bad("--by-usage and --by-fault exclude each other");
	if (o->time_unit && !o->id)
		return bad("--time-unit needs --id");
	{
		bool any = false;

		for (int i = 0; i < S__MAX; i++)
			any |= o->show[i];
		if (!any)
			for (int i = 0; i < S__MAX; i++)
				o->show[i] = true;
	}
	return 0;
}

/* ---------------------------------------------------------------- output */

/* The value of section k, kind 0 usage / 1 limit / 2 faults, in the documented units. */
static void put_value(const struct lve_agg *a, int k, int kind)
{
	double v = a->v[3 * secs[k].res + kind];

	if (kind == 2) {
		printf("%.0f", v);
		return;
	}
	switch (k) {
	case S_CPU: /* % of one core */
		printf("%.1f", v / 100.0);
		return;
	case S_IO: /* bytes/s */
		printf("%.1f", v);
		return;
	case S_VMEM:
	case S_PMEM: /* bytes */
		printf("%.0f", round(v));
		return;
	default:
		if (kind == 0 && v != floor(v))
			printf("%.2f", v);
		else
			printf("%.0f", v);
	}
}

static void put_section(const struct opts *o, const struct lve_agg *a, int kind)
{
	bool first = true;

	putchar('{');
	for (int k = 0; k < S__MAX; k++) {
		if (!o->show[k])
			continue;
		printf("%s\"%s\": {\"lve\": ", first ? "" : ", ", secs[k].name);
		put_value(a, k, kind);
		putchar('}');
		first = false;
	}
	putchar('}');
}

static void put_sections(const struct opts *o, const struct lve_agg *a)
{
	fputs("\"usage\": ", stdout);
	put_section(o, a, 0);
	fputs(", \"faults\": ", stdout);
	put_section(o, a, 2);
	fputs(", \"limits\": ", stdout);
	put_section(o, a, 1);
}

/* ----------------------------------------------------------------- main */

static int cmp_col;

static int cmp_agg(const void *pa, const void *pb)
{
	const struct lve_agg *a = pa, *b = pb;

	if (a->v[cmp_col] != b->v[cmp_col])
		return a->v[cmp_col] > b->v[cmp_col] ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static bool keep(const struct opts *o, const struct lve_agg *a, uint32_t uid_max, bool hide)
{
	if (hide && a->id > uid_max)
		return false;
	if (o->fault_set) {
		if (o->by_fault_any && a->v[LVE_COL_ANYF] >= (double)o->threshold && a->v[LVE_COL_ANYF] > 0)
			return true;
		for (int k = 0; k < S__MAX; k++) {
			double f = a->v[3 * secs[k].res + 2];

			if (o->by_fault[k] && f >= (double)o->threshold && f > 0)
				return true;
		}
		return false;
	}
	if (o->usage_set) {
		for (int k = 0; k < S__MAX; k++) {
			double u = a->v[3 * secs[k].res], l = a->v[3 * secs[k].res + 1];

			if (o->by_usage[k] && l > 0 && u * 100.0 >= o->percent * l)
				return true;
		}
		return false;
	}
	return true;
}

static int make_range(const struct opts *o, int64_t now, int64_t *from, int64_t *to)
{
	int64_t f, t;

	if (o->period_s) {
		/* --from/--to are ignored when --period is set (documented) */
		if (lve_parse_period(o->period_s, now, &f, &t) < 0)
			return bad("--period: '%s' is not Nm, Nh, Nd, today or yesterday", o->period_s);
	} else {
		t = now + 1;
		if (o->to_s) {
			if (lve_parse_time(o->to_s, now, &t) < 0)
				return bad("--to: cannot parse '%s' ([YY]YY-MM-DD[ HH:MM])", o->to_s);
			t += 1;
		}
		f = t - 1 - DEFAULT_RANGE;
		if (o->from_s && lve_parse_time(o->from_s, now, &f) < 0)
			return bad("--from: cannot parse '%s' ([YY]YY-MM-DD[ HH:MM])", o->from_s);
		if (f >= t)
			return bad("--from is after --to");
	}
	*from = f;
	*to = t;
	return 0;
}

/* [issue 10] --for-reseller */
static uint32_t res_id;
static struct olve_limits res_lim;

static int summary(const struct opts *o, struct lve_db *db, const char *sid, int64_t from, int64_t to, bool hide)
{
	_cleanup_free_ struct lve_agg *a = NULL;
	uint32_t uid_max = clj_uid_max();
	struct lve_agg ra = { 0 };
	size_t n, kept = 0;
	int r;

	r = lve_db_query(db, &(struct lve_query){ .server_id = sid, .from = from, .to = to }, &a);
	if (r < 0)
		return clj_error(TOOL, "reading the statistics database: %s",
				 lve_db_errmsg(db)[0] ? lve_db_errmsg(db) : strerror(-r));
	n = (size_t)r;
	for (size_t i = 0; i < n; i++)
		if (keep(o, &a[i], uid_max, hide) && (!o->reseller || clr_reseller_of(a[i].id) == res_id))
			a[kept++] = a[i];
	n = kept;
	if (o->reseller) {
		/* the reseller: its customers' usage and faults summed, its own caps */
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < LVE_RES__MAX; k++) {
				ra.v[3 * k] += a[i].v[3 * k];
				ra.v[3 * k + 2] += a[i].v[3 * k + 2];
			}
		ra.id = res_id;
		ra.v[LVE_COL_LCPU] = res_lim.speed;
		ra.v[LVE_COL_LPMEM] = (double)res_lim.pmem;
		ra.v[LVE_COL_LIO] = (double)res_lim.io * 1024;
		ra.v[LVE_COL_LIOPS] = res_lim.iops;
		ra.v[LVE_COL_LNPROC] = res_lim.nproc;
	}
	cmp_col = o->order_col >= 0 ? o->order_col : LVE_COL_ACPU;
	if (n > 1)
		qsort(a, n, sizeof(*a), cmp_agg);
	if (o->limit > 0 && (size_t)o->limit < n)
		n = (size_t)o->limit;
	fputs("{\"resellers\": [", stdout);
	if (o->reseller) {
		char rname[256];

		clr_name(res_id, rname, sizeof(rname));
		fputs("\n  {", stdout);
		put_sections(o, &ra);
		fputs(", \"name\": ", stdout);
		clj_str(stdout, rname);
		printf(", \"id\": %" PRIu32 "}\n", res_id);
	}
	printf("], \"timestamp\": %lld, \"mySqlGov\": \"error\", \"result\": \"success\", \"users\": [",
	       (long long)time(NULL));
	for (size_t i = 0; i < n; i++) {
		char name[256];

		clj_username(a[i].id, name, sizeof(name));
		printf("%s\n  {\"username\": ", i ? "," : "");
		clj_str(stdout, name);
		{
			uint32_t ur = clr_reseller_of(a[i].id);
			char rname[256] = "";

			if (ur)
				clr_name(ur, rname, sizeof(rname));
			fputs(", \"domain\": \"\", \"reseller\": ", stdout);
			clj_str(stdout, rname);
			fputs(", ", stdout);
		}
		put_sections(o, &a[i]);
		printf(", \"id\": %" PRIu32 "}", a[i].id);
	}
	printf("%s]}\n", n ? "\n" : "");
	return 0;
}

static int detailed(const struct opts *o, struct lve_db *db, const char *sid, int64_t from, int64_t to)
{
	int64_t unit = 60, nb;

	if (o->time_unit && clj_parse_time_unit(o->time_unit, &unit) < 0)
		return clj_error(TOOL, "--time-unit: '%s' is not like 1h, 1h30m, 90 (minutes) or dynamic",
				 o->time_unit);
	if (unit == 0) {
		/* dynamic: at most ~100 buckets of whole minutes */
		unit = ((to - from) / 100 + 59) / 60 * 60;
		if (unit < 60)
			unit = 60;
	}
	nb = (to - from + unit - 1) / unit;
	if (nb > 100000)
		return clj_error(TOOL, "--time-unit: %lld buckets are too many for this range; use a larger unit",
				 (long long)nb);
	struct bucket {
		int64_t from, to;
		struct lve_agg a;
	};
	_cleanup_free_ struct bucket *bk = calloc((size_t)(nb > 0 ? nb : 1), sizeof(*bk));
	size_t nbk = 0;

	if (!bk)
		return clj_error(TOOL, "out of memory");
	/* every bucket is read before anything is printed: an error prints only the error object */
	for (int64_t b = from; b < to; b += unit) {
		_cleanup_free_ struct lve_agg *a = NULL;
		int64_t e = b + unit < to ? b + unit : to;
		int r = lve_db_query(db, &(struct lve_query){ .server_id = sid, .from = b, .to = e, .id = o->id }, &a);

		if (r < 0)
			return clj_error(TOOL, "reading the statistics database: %s",
					 lve_db_errmsg(db)[0] ? lve_db_errmsg(db) : strerror(-r));
		if (r == 0)
			continue; /* no samples in this bucket */
		bk[nbk++] = (struct bucket){ .from = b, .to = e - 1, .a = a[0] };
	}
	printf("{\"timestamp\": %lld, \"mySqlGov\": \"error\", \"result\": \"success\", \"user\": [",
	       (long long)time(NULL));
	for (size_t i = 0; i < nbk; i++) {
		printf("%s\n  {", i ? "," : "");
		put_sections(o, &bk[i].a);
		printf(", \"from\": %lld, \"to\": %lld}", (long long)bk[i].from, (long long)bk[i].to);
	}
	printf("%s]}\n", nbk ? "\n" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct lvestats_conf conf = { 0 };
	struct lve_db *db = NULL;
	int64_t now = (int64_t)time(NULL), from = 0, to = 0;
	unsigned errline = 0;
	int r, rc;

	r = parse_args(argc, argv, &o);
	if (r == 1)
		return 0;
	if (r == -ENOMEM)
		return clj_error(TOOL, "out of memory");
	if (r < 0 || make_range(&o, now, &from, &to) < 0) {
		clj_error(TOOL, "%s (see cloudlinux-statistics --help)", errtext);
		return 2;
	}
	r = lvestats_conf_load(o.config, &conf, &errline);
	if (r < 0)
		return clj_error(TOOL, "%s%s%u: %s (fix the file)", o.config ? o.config : LVESTATS_CONF_DEFAULT,
				 errline ? ":" : "", errline, r == -EINVAL ? "invalid configuration" : strerror(-r));
	if (conf.ignored)
		fprintf(stderr, "%s: warning: %s: keys without effect in openlve: %s\n", TOOL,
			o.config ? o.config : LVESTATS_CONF_DEFAULT, conf.ignored);
	if (o.reseller && clr_reseller_arg(o.reseller, &res_id, &res_lim) < 0) {
		rc = clj_error(TOOL, "No such reseller: %s (no reseller limits are configured for it)", o.reseller);
		goto out_conf;
	}
	if (o.db_path) {
		char *p = strdup(o.db_path);

		if (!p) {
			rc = clj_error(TOOL, "out of memory");
			goto out_conf;
		}
		free(conf.sqlite_path);
		conf.sqlite_path = p;
		snprintf(conf.db_type, sizeof(conf.db_type), "sqlite");
	}
	r = lve_db_open_flags(&conf, LVE_DB_READONLY, &db);
	if (r < 0) {
		rc = clj_error(TOOL, "cannot open the statistics database (db_type %s): %s", conf.db_type,
			       r == -EOPNOTSUPP ? "not supported by this build" : strerror(-r));
		goto out_conf;
	}
	if (o.id)
		rc = detailed(&o, db, o.server_id, from, to);
	else
		rc = summary(&o, db, o.server_id, from, to, conf.hide_lve_more_than_maxuid);
	if (fflush(stdout) != 0 && !rc)
		rc = 1;
	lve_db_close(db);
out_conf:
	lvestats_conf_free(&conf);
	return rc;
}
