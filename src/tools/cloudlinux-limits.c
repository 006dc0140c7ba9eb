/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudlinux-limits - CloudLinux's "alternative to lvectl": get / set the
 * limits of an LVE, a user or the defaults, with its commands and options,
 * answering JSON for control panels. It shares lvectl's files (ve.cfg,
 * package script, applying, validation: src/tools/lvectl-*.c); only the
 * command line and the output are its own. See cloudlinux-limits(8).
 *
 *   get [--lve-id ID|DEFAULT | --username NAME] [--limits KEYS] [--json]
 *       [--human-readable-numbers]
 *   set (--lve-id ID|DEFAULT | --username NAME) [--speed ..] [--pmem ..]
 *       [--vmem ..] [--nproc ..] [--io ..] [--iops ..] [--maxEntryProcs ..]
 *       [--unlimited] [--default all|KEYS] [--save-all-parameters] [--json]
 *
 * Reseller limits (lvectl-resellers.c): set/get --reseller-name|--reseller-id R
 * (the reseller's own total), enable-reseller-limits / disable-reseller-limits
 * --reseller-name R, set --for-reseller R (a customer's limits and membership;
 * with --lve-id DEFAULT the reseller's defaults), get --for-reseller R (its
 * customers). CageFS, MySQL Governor and inodes do not exist in openlve:
 * their options are refused with a clear error. Exit 0 with "result":
 * "success"; 1 with the error object of the cloudlinux-* tools; 2 for a
 * bad option (error object too).
 */
#include "cl-json.h"
#include "lvectl.h"

#define TOOL "cloudlinux-limits"

enum key { K_SPEED, K_PMEM, K_VMEM, K_NPROC, K_EP, K_IO, K_IOPS, K__MAX };
static const char *const key_name[K__MAX] = { "speed", "pmem", "vmem", "nproc", "maxEntryProcs", "io", "iops" };
static const uint32_t key_field[K__MAX] = { VECFG_F_CPU, VECFG_F_PMEM, VECFG_F_MEM, VECFG_F_NPROC,
					    VECFG_F_EP,  VECFG_F_IO,   VECFG_F_IOPS };

struct clopts {
	const char *cmd;
	const char *lve_id, *username, *domain;
	const char *reseller_name, *for_reseller; /* --reseller-name/--reseller-id, --for-reseller */
	bool json, human, keys_given;
	bool show[K__MAX];
	const char *defaults; /* --default all|KEYS */
	char *lv_argv[32];    /* translated lvectl options */
	int lv_argc;
	char lv_buf[32][160];
};

void usage(FILE *f)
{
	fputs("Usage: cloudlinux-limits get|set|enable-reseller-limits|disable-reseller-limits [OPTIONS]\n"
	      "Get or set the limits of an LVE, a user or the defaults (ve.cfg, applied like lvectl).\n"
	      "\n"
	      "  --lve-id ID|DEFAULT     the LVE (DEFAULT: the default limits)\n"
	      "  --username NAME         the LVE of user NAME\n"
	      "  --limits KEYS           get: only speed,pmem,vmem,nproc,maxEntryProcs,io,iops\n"
	      "  --human-readable-numbers  get: PMEM and VMEM as 512M, 1G ... instead of bytes\n"
	      "  --speed N%|Nmhz|Nghz  --pmem SIZE  --vmem SIZE  --nproc N  --io KB/s  --iops N\n"
	      "  --maxEntryProcs N       set these limits (SIZE: 512m, 2g; a plain number is KB)\n"
	      "  --unlimited             set: every limit unlimited\n"
	      "  --default all|KEYS      set: back to the package / default value\n"
	      "  --save-all-parameters   set: store values equal to the inherited ones too\n"
	      "  --json                  JSON output\n"
	      "  -h, --help              this text\n"
	      "  --reseller-name R       set/get: reseller R's own total (also --reseller-id)\n"
	      "  --for-reseller R        set/get: R's customers (--lve-id DEFAULT: R's defaults)\n"
	      "  enable-reseller-limits --reseller-name R, disable-reseller-limits --reseller-name R\n"
	      "CageFS, MySQL Governor and inodes are not part of openlve: their options are\n"
	      "refused. See cloudlinux-limits(8).\n",
	      f);
}

/* The answer on failure: the cloudlinux-* error object (stdout), the line is already on stderr. */
static int answer_error(const struct clopts *o, int code)
{
	if (o->json) {
		fputs("{\"context\": {\"error_text\": ", stdout);
		clj_str(stdout, lvectl_first_error[0] ? lvectl_first_error : "failed");
		printf("}, \"result\": \"An error occured: \\\"%%(error_text)s\\\"\", \"timestamp\": %.6f}\n",
		       clj_now());
	}
	return code;
}

static int key_of(const char *s)
{
	for (int k = 0; k < K__MAX; k++)
		if (!strcasecmp(s, key_name[k]) || (k == K_EP && !strcasecmp(s, "ep")))
			return k;
	return -1;
}

/* "a,b" of limit keys into show[]. */
static int keys_list(const char *arg, bool show[K__MAX], const char *opt)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;
	int n = 0;

	if (!copy)
		return fail(EXIT_RUNTIME, "out of memory");
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++) {
		int k = key_of(t);

		if (k < 0)
			return fail(EXIT_USAGE,
			            "%s: unknown limit \"%s\" (speed, pmem, vmem, nproc, maxEntryProcs, io, "
			            "iops; cagefs, inodes and mysql-* do not exist in openlve)",
			            opt, t);
		show[k] = true;
	}
	if (!n)
		return fail(EXIT_USAGE, "%s needs at least one limit", opt);
	return 0;
}

static int parse(int argc, char **argv, struct clopts *o)
{
	static const char *const limit_opts[] = { "speed", "pmem", "vmem", "nproc", "io", "iops", "maxEntryProcs" };
	static const char *const unsupported[] = { "all", "cagefs",
						   "mysql-gov", "mysql-restrict", "mysql-unrestrict-all",
						   "mysql-cpu", "mysql-io", "inodes" };

	o->lv_argv[o->lv_argc++] = (char *)TOOL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		char name[40];
		size_t len;
		bool known = false;

		if (a[0] != '-') {
			if (o->cmd)
				return fail(EXIT_USAGE, "unexpected argument \"%s\" (see cloudlinux-limits --help)", a);
			o->cmd = a;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2))
			return fail(EXIT_USAGE, "unknown option %s (see cloudlinux-limits --help)", a);
		len = strcspn(a + 2, "=");
		if (len >= sizeof(name))
			return fail(EXIT_USAGE, "unknown option %s", a);
		memcpy(name, a + 2, len);
		name[len] = 0;
		if (a[2 + len] == '=')
			val = a + 3 + len;
		for (size_t k = 0; k < ELEMENTSOF(unsupported); k++)
			if (!strcmp(name, unsupported[k]))
				return fail(EXIT_USAGE,
				            "--%s: %s are not part of openlve (nothing was changed)", name,
				            k == 0   ? "resellers listed by the control panel (name them one by one with --reseller-name)"
				            : k == 1 ? "CageFS settings"
				            : k < 7 ? "MySQL Governor settings"
				                     : "inode limits");
		if (!strcmp(name, "json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(name, "human-readable-numbers")) {
			o->human = true;
			continue;
		}
		if (!strcmp(name, "unlimited") || !strcmp(name, "save-all-parameters")) {
			snprintf(o->lv_buf[o->lv_argc], sizeof(o->lv_buf[0]), "--%s", name);
			o->lv_argv[o->lv_argc] = o->lv_buf[o->lv_argc];
			o->lv_argc++;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return fail(EXIT_USAGE, "option --%s needs a value", name);
			val = argv[++i];
		}
		if (!strcmp(name, "lve-id")) {
			o->lve_id = val;
		} else if (!strcmp(name, "username")) {
			o->username = val;
		} else if (!strcmp(name, "domain")) {
			o->domain = val;
		} else if (!strcmp(name, "reseller-name") || !strcmp(name, "reseller-id")) {
			o->reseller_name = val;
		} else if (!strcmp(name, "for-reseller")) {
			o->for_reseller = val;
		} else if (!strcmp(name, "limits")) {
			int r = keys_list(val, o->show, "--limits");

			if (r)
				return r;
			o->keys_given = true;
		} else if (!strcmp(name, "default")) {
			o->defaults = val;
		} else {
			for (size_t k = 0; k < ELEMENTSOF(limit_opts); k++)
				if (!strcmp(name, limit_opts[k]))
					known = true;
			if (!known)
				return fail(EXIT_USAGE, "unknown option --%s (see cloudlinux-limits --help)",
				            name);
			if (o->lv_argc >= (int)ELEMENTSOF(o->lv_argv) - 1)
				return fail(EXIT_USAGE, "too many options");
			snprintf(o->lv_buf[o->lv_argc], sizeof(o->lv_buf[0]), "--%s=%s", name, val);
			o->lv_argv[o->lv_argc] = o->lv_buf[o->lv_argc];
			o->lv_argc++;
		}
	}
	o->lv_argv[o->lv_argc] = NULL;
	if (!o->cmd)
		return fail(EXIT_USAGE, "no command given: get or set (see cloudlinux-limits --help)");
	if (!strcmp(o->cmd, "enable-reseller-limits") || !strcmp(o->cmd, "disable-reseller-limits")) {
		if (!o->reseller_name)
			return fail(EXIT_USAGE, "%s needs --reseller-name NAME", o->cmd);
	} else if (strcmp(o->cmd, "get") && strcmp(o->cmd, "set"))
		return fail(EXIT_USAGE, "unknown command \"%s\" (get, set, enable-reseller-limits, "
		                        "disable-reseller-limits)", o->cmd);
	if (o->reseller_name && (o->lve_id || o->username || o->for_reseller))
		return fail(EXIT_USAGE, "--reseller-name is the reseller itself: it excludes --lve-id, --username "
		                        "and --for-reseller");
	if (o->lve_id && o->username)
		return fail(EXIT_USAGE, "--lve-id and --username exclude each other");
	if (!o->keys_given)
		for (int k = 0; k < K__MAX; k++)
			o->show[k] = true;
	return 0;
}

/* Target: DEFAULT (id 0), an LVE id, or a user's uid. Returns 0 or an exit code. */
static int target(const struct clopts *o, uint32_t *id, const char **user)
{
	*user = NULL;
	if (o->lve_id) {
		if (!strcasecmp(o->lve_id, "DEFAULT")) {
			*id = 0;
			return 0;
		}
		if (parse_id(o->lve_id, id) < 0)
			return fail(EXIT_USAGE, "--lve-id: \"%s\" is not an LVE id (1..%u) or DEFAULT", o->lve_id,
			            UINT32_MAX - 1);
		return 0;
	}
	if (o->username) {
		struct passwd *pw = getpwnam(o->username);

		if (!pw)
			return fail(EXIT_RUNTIME, "No such user: %s", o->username);
		if (pw->pw_uid == 0)
			return fail(EXIT_USAGE, "user %s is root (uid 0): root has no LVE", o->username);
		*id = (uint32_t)pw->pw_uid;
		*user = o->username;
		return 0;
	}
	*id = UINT32_MAX; /* every one */
	return 0;
}

/* A reseller by name or id that has reseller limits. Returns 0 or an exit code. */
static int reseller_lookup(const struct vecfg *cfg, const char *arg, uint32_t *rid)
{
	struct vecfg_limits l;
	struct passwd *pw;

	if (parse_id(arg, rid) < 0) {
		pw = getpwnam(arg);
		if (!pw)
			return fail(EXIT_RUNTIME, "No such reseller: %s", arg);
		*rid = (uint32_t)pw->pw_uid;
	}
	if (vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = *rid}, &l) < 0)
		return fail(EXIT_RUNTIME, "No such reseller: %s (reseller limits are not enabled for it: "
		                          "cloudlinux-limits enable-reseller-limits --reseller-name %s)", arg, arg);
	return 0;
}

static void put_limits(const struct clopts *o, const struct vecfg_limits *v, uint32_t mhz)
{
	struct olve_limits l;
	bool first = true;

	if (vecfg_to_olve(v, mhz, &l) < 0)
		memset(&l, 0, sizeof(l));
	putchar('{');
	for (int k = 0; k < K__MAX; k++) {
		char buf[40];

		if (!o->show[k])
			continue;
		printf("%s\"%s\": ", first ? "" : ", ", key_name[k]);
		first = false;
		switch (k) {
		case K_SPEED: /* % of one core, effective (SPEED, CPU, NCPU) */
			printf("%.2f", l.speed / 100.0);
			break;
		case K_PMEM:
		case K_VMEM: {
			uint64_t b = k == K_PMEM ? l.pmem : l.vmem;

			if (o->human) {
				if (b && b % (1ULL << 30) == 0)
					snprintf(buf, sizeof(buf), "%" PRIu64 "G", b >> 30);
				else if (b && b % (1ULL << 20) == 0)
					snprintf(buf, sizeof(buf), "%" PRIu64 "M", b >> 20);
				else
					snprintf(buf, sizeof(buf), "%" PRIu64 "K", b >> 10);
				clj_str(stdout, buf);
			} else
				printf("%" PRIu64, b);
			break;
		}
		case K_NPROC: printf("%" PRIu32, l.nproc); break;
		case K_EP: printf("%" PRIu32, l.ep); break;
		case K_IO: printf("%" PRIu32, l.io); break;
		case K_IOPS: printf("%" PRIu32, l.iops); break;
		}
	}
	putchar('}');
}

static int cmp_u32v(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int do_get(struct ctx *c, const struct clopts *o)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ uint32_t *ids = NULL;
	struct pkg_map pm = {0};
	const char *user;
	uint32_t id;
	size_t n = 0;
	int r;

	if (o->domain)
		return fail(EXIT_RUNTIME, "No such domain: %s (openlve knows no domains)", o->domain);
	r = target(o, &id, &user);
	if (r)
		return r;
	r = load_cfg(c, &cfg);
	if (!r && o->reseller_name) {
		/* the reseller's own total */
		uint32_t rid;
		struct vecfg_limits v;

		r = reseller_lookup(cfg, o->reseller_name, &rid);
		if (r)
			return r;
		reseller_effective(cfg, rid, &v);
		if (o->json) {
			printf("{\"result\": \"success\", \"timestamp\": %.6f, \"resellers\": [\n  {\"id\": %" PRIu32
			       ", \"name\": ", clj_now(), rid);
			clj_str(stdout, vecfg_reseller_user(cfg, rid) ? vecfg_reseller_user(cfg, rid) : "");
			fputs(", \"limits\": ", stdout);
			put_limits(o, &v, ctx_mhz(c));
			fputs("}\n]}\n", stdout);
		} else {
			struct olve_limits l;

			if (vecfg_to_olve(&v, ctx_mhz(c), &l) < 0)
				memset(&l, 0, sizeof(l));
			printf("%10s %-16s %8s %10s %6s %8s %8s\n", "ID", "RESELLER", "SPEED", "PMEM", "NPROC", "IO", "IOPS");
			printf("%10" PRIu32 " %-16s %7.2f%% %9" PRIu64 "K %6" PRIu32 " %8" PRIu32 " %8" PRIu32 "\n", rid,
			       vecfg_reseller_user(cfg, rid) ? vecfg_reseller_user(cfg, rid) : "-", l.speed / 100.0,
			       l.pmem >> 10, l.nproc, l.io, l.iops);
		}
		return 0;
	}
	if (!r)
		r = ctx_pkg_map(c, &pm);
	if (r)
		return r;
	if (o->for_reseller) {
		/* the reseller's customers (and its defaults as DEFAULT) */
		uint32_t rid;
		int nc;

		r = reseller_lookup(cfg, o->for_reseller, &rid);
		if (!r && id != UINT32_MAX && id != 0 && vecfg_lve_reseller(cfg, id) != rid)
			r = fail(EXIT_USAGE, "LVE %" PRIu32 " is not a customer of reseller %s", id, o->for_reseller);
		if (r) {
			pkg_map_free(&pm);
			return r;
		}
		if (id == UINT32_MAX) {
			_cleanup_free_ uint32_t *all = NULL;

			nc = vecfg_lve_ids(cfg, &all);
			ids = malloc(((size_t)(nc > 0 ? nc : 0) + 1) * sizeof(*ids));
			if (!ids || nc < 0) {
				pkg_map_free(&pm);
				return fail(EXIT_RUNTIME, "out of memory");
			}
			for (int i = 0; i < nc; i++)
				if (vecfg_lve_reseller(cfg, all[i]) == rid)
					ids[n++] = all[i];
			id = 0; /* listed: not "every LVE" below */
			goto listed;
		}
	}
	if (id != UINT32_MAX) {
		ids = malloc(sizeof(*ids));
		if (!ids) {
			pkg_map_free(&pm);
			return fail(EXIT_RUNTIME, "out of memory");
		}
		ids[n++] = id;
	} else {
		/* the defaults, every configured LVE, every panel user, every loaded LVE */
		_cleanup_free_ uint32_t *cfg_ids = NULL, *loaded = NULL;
		int nc = vecfg_lve_ids(cfg, &cfg_ids), nl = 0;

		if (!c->h && olve_open(&c->h, 0) < 0)
			c->h = NULL;
		if (c->h)
			nl = olve_list(c->h, &loaded);
		ids = malloc(((size_t)(nc > 0 ? nc : 0) + pm.n + (size_t)(nl > 0 ? nl : 0) + 1) * sizeof(*ids));
		if (!ids || nc < 0) {
			pkg_map_free(&pm);
			return fail(EXIT_RUNTIME, "out of memory");
		}
		ids[n++] = 0;
		for (int i = 0; i < nc; i++)
			ids[n++] = cfg_ids[i];
		for (size_t i = 0; i < pm.n; i++)
			ids[n++] = pm.v[i].uid;
		for (int i = 0; i < nl; i++)
			ids[n++] = loaded[i];
		qsort(ids, n, sizeof(*ids), cmp_u32v);
		{
			size_t k = 0;

			for (size_t i = 0; i < n; i++)
				if (!k || ids[i] != ids[k - 1])
					ids[k++] = ids[i];
			n = k;
		}
	}
listed:
	if (o->json)
		printf("{\"result\": \"success\", \"timestamp\": %.6f, \"users\": [", clj_now());
	else
		printf("%10s %-16s %-16s %8s %10s %10s %6s %6s %8s %8s\n", "ID", "USER", "PACKAGE", "SPEED", "PMEM",
		       "VMEM", "NPROC", "EP", "IO", "IOPS");
	for (size_t i = 0; i < n; i++) {
		const char *pkg = ids[i] ? pkg_map_lookup(&pm, ids[i]) : NULL;
		struct passwd *pw = ids[i] ? getpwuid((uid_t)ids[i]) : NULL;
		const char *name = ids[i] == 0 ? "DEFAULT" : pw ? pw->pw_name : "-";
		struct vecfg_limits v;

		vecfg_effective(cfg, ids[i], pkg, &v);
		if (ids[i] == 0 && o->for_reseller) {
			/* DEFAULT of a reseller: its customers' defaults */
			uint32_t rid = 0;
			struct vecfg_limits s;

			(void)reseller_lookup(cfg, o->for_reseller, &rid);
			if (vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER_DEFAULTS, .id = rid}, &s) == 0)
				vecfg_limits_merge(&v, &s);
		}
		if (o->json) {
			printf("%s\n  {\"id\": ", i ? "," : "");
			if (ids[i])
				printf("%" PRIu32, ids[i]);
			else
				fputs("\"DEFAULT\"", stdout);
			fputs(", \"username\": ", stdout);
			clj_str(stdout, name);
			fputs(", \"package\": ", stdout);
			clj_str(stdout, pkg ? pkg : "");
			fputs(", \"limits\": ", stdout);
			put_limits(o, &v, ctx_mhz(c));
			putchar('}');
		} else {
			struct olve_limits l;
			char idbuf[16];

			if (vecfg_to_olve(&v, ctx_mhz(c), &l) < 0)
				memset(&l, 0, sizeof(l));
			snprintf(idbuf, sizeof(idbuf), "%" PRIu32, ids[i]);
			printf("%10s %-16s %-16s %7.2f%% %9" PRIu64 "K %9" PRIu64 "K %6" PRIu32 " %6" PRIu32
			       " %8" PRIu32 " %8" PRIu32 "\n",
			       ids[i] ? idbuf : "DEFAULT", name, pkg ? pkg : "-", l.speed / 100.0, l.pmem >> 10,
			       l.vmem >> 10, l.nproc, l.ep, l.io, l.iops);
		}
	}
	if (o->json)
		printf("%s]}\n", n ? "\n" : "");
	pkg_map_free(&pm);
	return 0;
}

/* --default all|KEYS: drop the LVE's own values (it inherits its package's / the defaults). */
static int reset_defaults(struct ctx *c, const struct clopts *o, uint32_t id)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *pkg = NULL;
	bool show[K__MAX] = {0};
	uint32_t mask = 0;
	int r;

	if (!strcasecmp(o->defaults, "all"))
		mask = VECFG_F_ALL;
	else {
		r = keys_list(o->defaults, show, "--default");
		if (r)
			return r;
		for (int k = 0; k < K__MAX; k++)
			if (show[k])
				mask |= key_field[k] | (k == K_SPEED ? VECFG_F_NCPU : 0);
	}
	if (id == 0)
		return fail(EXIT_USAGE, "--default: DEFAULT has no defaults above it");
	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = vecfg_unset(cfg, &(struct vecfg_key){.kind = VECFG_LVE, .id = id}, mask);
	if (r == -ENOENT)
		return 0; /* nothing of its own */
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot change LVE %" PRIu32 " in %s: %s", id, c->conf.ve_cfg,
		            strerror(-r));
	r = ctx_pkg_of(c, id, &pkg);
	if (!r)
		r = store_cfg(c, cfg);
	if (!r)
		r = ctx_open(c);
	if (r)
		return r;
	r = vecfg_apply_one(c->h, cfg, id, pkg, ctx_mhz(c));
	if (r < 0)
		return apply_fail(id, r);
	return write_list_file(c);
}

static int do_set(struct ctx *c, const struct clopts *o)
{
	const char *user;
	uint32_t id;
	char who[32];
	int r;

	if (o->domain)
		return fail(EXIT_USAGE, "set --domain: openlve knows no domains (use --username or --lve-id)");
	if (o->reseller_name) {
		char *args[] = { (char *)o->reseller_name, NULL };

		if (o->defaults)
			return fail(EXIT_USAGE, "--default does not apply to a reseller (disable-reseller-limits "
			                        "removes its limits)");
		if (!c->o.set.mask)
			return fail(EXIT_USAGE, "set --reseller-name: no limits given");
		return cmd_set_reseller(c, 1, args);
	}
	if (!o->lve_id && !o->username)
		return fail(EXIT_USAGE, "set needs --lve-id ID|DEFAULT or --username NAME");
	r = target(o, &id, &user);
	if (r)
		return r;
	if (o->defaults) {
		if (c->o.set.mask || c->o.unlimited)
			return fail(EXIT_USAGE, "--default excludes limit options and --unlimited");
		return reset_defaults(c, o, id);
	}
	if (!c->o.set.mask && !o->for_reseller)
		return fail(EXIT_USAGE,
		            "set: no limits given (--speed, --pmem, --vmem, --nproc, --io, --iops, "
		            "--maxEntryProcs, --unlimited or --default)");
	if (id == 0 && o->for_reseller) {
		char *args[] = { (char *)o->for_reseller, NULL };

		return cmd_set_reseller_default(c, 1, args);
	}
	if (id == 0)
		return lvectl_set_default(c);
	if (o->for_reseller)
		c->o.reseller = o->for_reseller; /* the customer belongs to it (refused if it belongs elsewhere) */
	snprintf(who, sizeof(who), "%" PRIu32, id);
	return lvectl_set_lve(c, id, user ? user : who, user);
}

int main(int argc, char **argv)
{
	struct clopts o = {0};
	struct ctx c = {0};
	unsigned errline = 0;
	int first = 1, r;

	lvectl_prog = TOOL;
	/* --json anywhere: also errors found before it is reached answer JSON */
	for (int i = 1; i < argc; i++)
		o.json |= !strcmp(argv[i], "--json");
	r = parse(argc, argv, &o);
	if (r)
		return answer_error(&o, r);
	r = parse_options(o.lv_argc, o.lv_argv, &c.o, &first);
	if (r)
		return answer_error(&o, r);
	if (first != 1)
		return answer_error(&o, fail(EXIT_USAGE, "unexpected argument"));
	if (!strcmp(o.cmd, "get") && (c.o.set.mask || c.o.unlimited || o.defaults))
		return answer_error(&o, fail(EXIT_USAGE, "get takes no limit values (they belong to set)"));
	r = olve_conf_load(NULL, &c.conf, &errline);
	if (r == -EINVAL)
		return answer_error(&o, fail(EXIT_RUNTIME, "bad openlve configuration, line %u (fix it)", errline));
	if (r < 0)
		return answer_error(&o, fail(EXIT_RUNTIME, "cannot read the openlve configuration: %s",
		                             strerror(-r)));
	if (!strcmp(o.cmd, "enable-reseller-limits")) {
		char *args[] = { (char *)o.reseller_name, NULL };

		r = cmd_set_reseller(&c, 1, args);
	} else if (!strcmp(o.cmd, "disable-reseller-limits")) {
		char *args[] = { (char *)o.reseller_name, NULL };

		r = cmd_remove_reseller(&c, 1, args);
	} else
		r = !strcmp(o.cmd, "get") ? do_get(&c, &o) : do_set(&c, &o);
	if (!r && o.json && strcmp(o.cmd, "get"))
		printf("{\"result\": \"success\", \"timestamp\": %.6f}\n", clj_now());
	else if (r)
		answer_error(&o, r);
	if (c.h)
		olve_close(c.h);
	pkg_script_free(&c.script);
	olve_conf_free(&c.conf);
	if (fflush(stdout) != 0 && !r)
		r = EXIT_RUNTIME;
	return r;
}
