/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudlinux-top - current usage and limits of every LVE as JSON, with
 * CloudLinux's options, keys and units (lve-stats 2's tool of that name).
 * Two passes of the olstats collector one second apart (the same reader
 * lved uses): usage is the average over that second, limits the ones in
 * force. Needs root (it reads the LVE cgroups). See cloudlinux-top(8).
 *
 * Output is always JSON. Exit: 0 with "result": "success"; 1 with the
 * documented error object; 2 for a bad option.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cl-json.h"
#include "cl-resellers.h"
#include "config.h"
#include "lve/openlve.h"
#include "macro.h"
#include "stats.h"

#define TOOL "cloudlinux-top"

/* lve_section keys in the documented order */
enum sec { S_CPU, S_EP, S_IO, S_IOPS, S_MEM, S_PNO, S__MAX };
static const char *const sec_name[S__MAX] = { "cpu", "ep", "io", "iops", "mem", "pno" };

enum order { O_CPU, O_IO, O_IOPS, O_EP, O_NPROC, O_PMEM };

struct opts {
	const char *username, *domain, *reseller;
	long max;
	enum order order;
	bool show[S__MAX];
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
	fputs("Usage: cloudlinux-top [-h] [-v] [-j] [--hide-mysql] [-u USERNAME | -r FOR_RESELLER]\n"
	      "                      [-d DOMAIN] [-m MAX] [-o ORDER_BY] [--show FIELD[,FIELD]]\n"
	      "Current usage and limits of every LVE as JSON (lve-stats 2 format).\n"
	      "  -u, --username NAME   users whose name contains NAME\n"
	      "  -d, --domain DOMAIN   users whose domain contains DOMAIN\n"
	      "  -r, --for-reseller R  a reseller and its users\n"
	      "  -m, --max N           at most N users (default 25)\n"
	      "  -o, --order-by KEY    cpu io iops ep nproc pmem (mysql_cpu mysql_io accepted)\n"
	      "      --show FIELDS     cpu ep io iops mem pno (default: all)\n"
	      "      --hide-mysql      accepted: no MySQL Governor values are shown here\n"
	      "Units: cpu % of one core, io bytes/s, mem bytes. See cloudlinux-top(8).\n",
	      stdout);
}

static int show_item(const char *s, void *ud)
{
	struct opts *o = ud;

	if (!strcasecmp(s, "all")) {
		for (int i = 0; i < S__MAX; i++)
			o->show[i] = true;
		return 0;
	}
	for (int i = 0; i < S__MAX; i++)
		if (!strcasecmp(s, sec_name[i])) {
			o->show[i] = true;
			return 0;
		}
	if (!strcasecmp(s, "mysql"))
		return 0;
	return bad("--show: unknown field '%s' (cpu ep io iops mem pno)", s);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const shorts[][2] = { { "h", "help" },     { "v", "version" }, { "j", "json" },
						 { "u", "username" }, { "r", "for-reseller" },
						 { "d", "domain" },   { "m", "max" },     { "o", "order-by" } };
	static const char *const with_value[] = { "username", "for-reseller", "domain", "max", "order-by", "show" };

	*o = (struct opts){ .max = 25, .order = O_CPU };
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
		} else if (a[0] == '-' && a[1]) {
			size_t k;

			for (k = 0; k < ELEMENTSOF(shorts); k++)
				if (a[1] == shorts[k][0][0])
					break;
			if (k == ELEMENTSOF(shorts))
				return bad("unknown option '%s'", a);
			snprintf(name, sizeof(name), "%s", shorts[k][1]);
			if (a[2])
				val = a + 2; /* -m100 */
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
			return bad("option '%s' takes no value", a);
		if (!strcmp(name, "help")) {
			usage();
			return 1;
		} else if (!strcmp(name, "version")) {
			printf("cloudlinux-top (openlve) %s\n", OPENLVE_VERSION);
			return 1;
		} else if (!strcmp(name, "json") || !strcmp(name, "hide-mysql")) {
		} else if (!strcmp(name, "username")) {
			o->username = val;
		} else if (!strcmp(name, "for-reseller")) {
			o->reseller = val;
		} else if (!strcmp(name, "domain")) {
			o->domain = val;
		} else if (!strcmp(name, "max")) {
			char *end;
			long v;

			errno = 0;
			v = strtol(val, &end, 10);
			if (errno || end == val || *end || v < 1)
				return bad("--max: '%s' is not a positive number", val);
			o->max = v;
		} else if (!strcmp(name, "order-by")) {
			static const char *const keys[] = { "cpu", "io", "iops", "ep", "nproc", "pmem" };
			size_t k;

			if (!strcasecmp(val, "mysql_cpu") || !strcasecmp(val, "mysql_io"))
				continue; /* no governor: default order */
			for (k = 0; k < ELEMENTSOF(keys); k++)
				if (!strcasecmp(val, keys[k]))
					break;
			if (k == ELEMENTSOF(keys))
				return bad("--order-by: unknown key '%s' (cpu mysql_cpu io mysql_io iops ep nproc pmem)",
					   val);
			o->order = (enum order)k;
		} else if (!strcmp(name, "show")) {
			int r = clj_each_item(val, show_item, o);

			if (r < 0)
				return r;
		} else
			return bad("unknown option '--%s'", name);
	}
	if (o->username && o->reseller)
		return bad("--username and --for-reseller exclude each other");
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

static enum order cmp_order;

static double order_value(const struct lve_sample *s)
{
	switch (cmp_order) {
	case O_CPU: return s->aCPU;
	case O_IO: return (double)s->aIO;
	case O_IOPS: return s->aIOPS;
	case O_EP: return s->aEP;
	case O_NPROC: return s->aNproc;
	case O_PMEM: return (double)s->aPMem;
	}
	return 0;
}

static int cmp_sample(const void *pa, const void *pb)
{
	const struct lve_sample *a = pa, *b = pb;
	double x = order_value(a), y = order_value(b);

	if (x != y)
		return x > y ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* limit: kind 1. Units: cpu % of one core, io bytes/s, mem bytes. */
static void put_section(const struct opts *o, const struct lve_sample *s, bool limit)
{
	bool first = true;

	putchar('{');
	for (int k = 0; k < S__MAX; k++) {
		if (!o->show[k])
			continue;
		printf("%s\"%s\": ", first ? "" : ", ", sec_name[k]);
		first = false;
		switch (k) {
		case S_CPU: printf("{\"all\": %.1f}", (limit ? s->lCPU : s->aCPU) / 100.0); break;
		case S_EP: printf("%.1f", (double)(limit ? s->lEP : s->aEP)); break;
		case S_IO: printf("{\"all\": %.1f}", (double)(limit ? s->lIO : s->aIO)); break;
		case S_IOPS: printf("%.1f", (double)(limit ? s->lIOPS : s->aIOPS)); break;
		case S_MEM: printf("%" PRIu64, limit ? s->lPMem : s->aPMem); break;
		case S_PNO: printf("%.1f", (double)(limit ? s->lNproc : s->aNproc)); break;
		}
	}
	putchar('}');
}

static int64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct olve *h = NULL;
	struct lve_collector *col = NULL;
	_cleanup_free_ struct lve_sample *s0 = NULL;
	_cleanup_free_ struct lve_sample *s = NULL;
	struct lve_sample rs = { 0 };
	struct olve_limits rlim = { 0 };
	uint32_t rid = 0;
	size_t n, kept = 0, shown = 0;
	int r, rc = 0;

	r = parse_args(argc, argv, &o);
	if (r == 1)
		return 0;
	if (r < 0) {
		clj_error(TOOL, "%s (see cloudlinux-top --help)", r == -ENOMEM ? "out of memory" : errtext);
		return 2;
	}
	/* [issue 10] --for-reseller: the reseller (its caps, its customers' sum) and its customers */
	if (o.reseller && clr_reseller_arg(o.reseller, &rid, &rlim) < 0)
		return clj_error(TOOL, "No such reseller: %s (no reseller limits are configured for it)", o.reseller);
	r = olve_open(&h, 0);
	if (r < 0)
		return clj_error(TOOL, "cannot open the LVEs: %s%s", strerror(-r),
				 r == -EPERM || r == -EACCES ? " (run as root)" : "");
	r = lve_collector_new(h, &col);
	if (r >= 0)
		r = lve_collector_pass(col, realtime_usec(), &s0); /* baseline */
	if (r >= 0) {
		struct timespec one = { .tv_sec = 1 };

		while (nanosleep(&one, &one) < 0 && errno == EINTR) {
		}
		r = lve_collector_pass(col, realtime_usec(), &s);
	}
	if (r < 0) {
		rc = clj_error(TOOL, "cannot read the LVEs' usage: %s", strerror(-r));
		goto out;
	}
	n = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		char name[256];

		clj_username(s[i].id, name, sizeof(name));
		if (o.username && !strstr(name, o.username))
			continue;
		if (o.domain && o.domain[0])
			continue; /* no domain is known for any user (no panel integration) */
		if (o.reseller && clr_reseller_of(s[i].id) != rid)
			continue;
		s[kept++] = s[i];
	}
	n = kept;
	if (o.reseller) {
		/* the reseller's usage: its customers' sum (what the kernel counts on its group) */
		for (size_t i = 0; i < n; i++) {
			rs.aCPU += s[i].aCPU;
			rs.aEP += s[i].aEP;
			rs.aIO += s[i].aIO;
			rs.aIOPS += s[i].aIOPS;
			rs.aPMem += s[i].aPMem;
			rs.aNproc += s[i].aNproc;
		}
		rs.lCPU = rlim.speed;
		rs.lPMem = rlim.pmem;
		rs.lIO = (uint64_t)rlim.io * 1024;
		rs.lIOPS = rlim.iops;
		rs.lNproc = rlim.nproc;
	}
	cmp_order = o.order;
	if (n > 1)
		qsort(s, n, sizeof(*s), cmp_sample);
	shown = o.max > 0 && (size_t)o.max < n ? (size_t)o.max : n;
	fputs("{\"mySqlGov\": \"error\", \"mySqlGovMode\": \"none\", \"resellers\": [", stdout);
	if (o.reseller) {
		char rname[256];

		clr_name(rid, rname, sizeof(rname));
		printf("\n  {\"id\": %" PRIu32 ", \"limit\": ", rid);
		put_section(&o, &rs, true);
		fputs(", \"name\": ", stdout);
		clj_str(stdout, rname);
		fputs(", \"usage\": ", stdout);
		put_section(&o, &rs, false);
		fputs("}\n", stdout);
	}
	printf("], \"result\": \"success\", \"timestamp\": %.6f, \"users\": [", clj_now());
	for (size_t i = 0; i < shown; i++) {
		char name[256];

		clj_username(s[i].id, name, sizeof(name));
		printf("%s\n  {\"domain\": \"\", \"id\": %" PRIu32 ", \"limit\": ", i ? "," : "", s[i].id);
		put_section(&o, &s[i], true);
		{
			uint32_t ur = clr_reseller_of(s[i].id);
			char rname[256] = "";

			if (ur)
				clr_name(ur, rname, sizeof(rname));
			fputs(", \"reseller\": ", stdout);
			clj_str(stdout, rname);
		}
		fputs(", \"usage\": ", stdout);
		put_section(&o, &s[i], false);
		fputs(", \"username\": ", stdout);
		clj_str(stdout, name);
		putchar('}');
	}
	printf("%s]}\n", shown ? "\n" : "");
	if (fflush(stdout) != 0)
		rc = 1;
out:
	lve_collector_free(col);
	olve_close(h);
	return rc;
}
