/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl - CloudLinux-compatible LVE control: limits in /etc/container/ve.cfg,
 * applied to the kernel through liblve. See man/lvectl.8.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 usage error. Every failure is
 * one line on stderr: what failed and what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "pathsafe.h"
#include "lve-internal.h"
#include "lve/lve-ctl.h"
#include "lve/ubstat.h"
#include "packages.h"
#include "vecfg.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2
#define NPROC_MAX    4194304u /* the kernel's PID_MAX_LIMIT: pids.max accepts up to this */
#define LIST_VERSION 6

/* ------------------------------------------------------------- output */

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("lvectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("lvectl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A hint for common errno values. */
static const char *hint(int r)
{
	switch (-r) {
	case EPERM:
	case EACCES:
		return " (run as root)";
	case ENODEV:
		return " (no usable cgroup hierarchy: check with openlve-cgroups)";
	case EROFS:
		return " (the file system is read-only)";
	case ENOSPC:
		return " (no space left: free some and retry)";
	case ENOLCK: {
		/* [issue 14] a state file stayed locked past OLVE_LOCK_TIMEOUT_MS */
		static char buf[160];
		pid_t holder = olve_state_lock_holder();

		if (holder > 0)
			snprintf(buf, sizeof(buf), " (an LVE state file is locked by pid %d: check that process)",
			         (int)holder);
		else
			snprintf(buf, sizeof(buf), " (an LVE state file stayed locked: see syslog)");
		return buf;
	}
	default:
		return "";
	}
}

static void usage(FILE *f)
{
	fputs("Usage: lvectl COMMAND [ARGUMENTS] [OPTIONS]\n"
	      "Manage LVE limits (stored in ve.cfg, applied to the kernel's cgroups).\n"
	      "\n"
	      "Commands:\n"
	      "  apply ID|all            apply the limits of ve.cfg to LVE ID / every LVE\n"
	      "  apply-many              apply to the LVE ids read from standard input\n"
	      "  set ID|default OPTIONS  save limits to ve.cfg and apply them\n"
	      "  set-user NAME OPTIONS   the same for the LVE of user NAME\n"
	      "  list                    limits of the defaults and every configured LVE\n"
	      "  list-user               the same, with user names\n"
	      "  limits ID|default       limits in force for LVE ID (read from the kernel)\n"
	      "  delete ID               remove LVE ID's own limits (it falls back to defaults)\n"
	      "  delete-user NAME        the same for user NAME\n"
	      "  destroy ID|all          remove LVE ID / every LVE from the kernel (kills its "
	      "tasks)\n"
	      "  destroy-many            destroy the LVE ids read from standard input\n"
	      "  package-set PKG OPTIONS save limits of package PKG and apply them to its users\n"
	      "  package-list            limits of every package\n"
	      "  package-delete PKG      remove package PKG's limits\n"
	      "  paneluserslimits        limits of every control panel user\n"
	      "  limit PID ID            move process PID into LVE ID (PID 1, kernel threads and\n"
	      "                          root's processes only with --force)\n"
	      "  release PID             move process PID out of its LVE\n"
	      "  proc-list               the /proc/lve/list table (version 6)\n"
	      "  ubc                     OpenVZ /proc/user_beancounters view (Version: 2.5)\n"
	      "  detect                  LVE available?, LVE version, list file, inside CageFS?\n"
	      "  version                 lvectl version\n"
	      "  lve-version             version of the LVE interface (/proc/lve/list format)\n"
	      "\n"
	      "Options:\n"
	      "  --speed=N%|Nmhz|Nghz    CPU speed: % of ONE core, or a frequency\n"
	      "  --cpu=N                 old CPU limit: % of ALL cores (0-100)\n"
	      "  --ncpu=N                old limit: number of cores\n"
	      "  --pmem=N[KMGT]          physical memory (plain number: KB)\n"
	      "  --vmem=N[KMGT], --mem   virtual memory (plain number: KB)\n"
	      "  --io=N                  IO, KB/s (read + write)\n"
	      "  --iops=N                IO operations/s\n"
	      "  --nproc=N               processes and threads\n"
	      "  --maxEntryProcs=N       concurrent entry processes (EP)\n"
	      "  --unlimited             every limit unlimited (0)\n"
	      "  --save-all-parameters   store values even when equal to the inherited ones\n"
	      "  --timeout=SECONDS       package script timeout (default: "
	      "CUSTOM_GETPACKAGE_TIMEOUT or 10)\n"
	      "  --json                  JSON output\n"
	      "  --force                 limit: also PID 1, kernel threads, root's processes\n"
	      "  --help                  this text\n"
	      "0 means unlimited. Exit status: 0 ok, 1 failure, 2 usage error. See lvectl(8).\n",
	      f);
}

/* ------------------------------------------------------------- values */

/* Strict decimal u64 (no sign, no blanks). */
static int parse_u64_strict(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Memory "N[K|M|G|T][B]" (plain = KB) -> 4 KiB pages, rounded up. */
static int parse_mem_pages(const char *s, uint64_t *pages)
{
	char num[32];
	const char *suf;
	uint64_t v, mult = 1024;
	size_t n;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(num, s, n);
	num[n] = 0;
	suf = s + n;
	if (*suf) {
		switch (*suf) {
		case 'k':
		case 'K':
			mult = 1024ULL;
			break;
		case 'm':
		case 'M':
			mult = 1024ULL << 10;
			break;
		case 'g':
		case 'G':
			mult = 1024ULL << 20;
			break;
		case 't':
		case 'T':
			mult = 1024ULL << 30;
			break;
		default:
			return -EINVAL;
		}
		suf++;
		if (*suf == 'b' || *suf == 'B')
			suf++;
		if (*suf)
			return -EINVAL;
	}
	if (parse_u64_strict(num, &v) < 0)
		return -ERANGE;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	v *= mult;
	v = v / 4096 + (v % 4096 != 0);
	if (v > (uint64_t)INT64_MAX / 4096)
		return -ERANGE;
	*pages = v;
	return 0;
}

static int parse_u32_opt(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r = parse_u64_strict(s, &v);

	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* LVE id: 1..UINT32_MAX-1 (decimal). */
static int parse_id(const char *s, uint32_t *id)
{
	uint32_t v;

	if (parse_u32_opt(s, UINT32_MAX - 1, &v) < 0 || v == 0)
		return -EINVAL;
	*id = v;
	return 0;
}

/* ------------------------------------------------------------ context */

struct opts {
	struct vecfg_limits set; /* limits given on the command line */
	bool unlimited;
	bool save_all;
	bool json;
	bool force;    /* limit: no protected-process check */
	int timeout_s; /* 0: from sysconfig */
};

struct ctx {
	struct opts o;
	struct olve_conf conf;
	struct olve *h;
	struct pkg_script script;
	bool script_loaded;
	uint32_t mhz;
	bool mhz_loaded;
};

/* Open the LVE handle; `note` (may be "") is appended to the error line. */
static int ctx_open_note(struct ctx *c, const char *note)
{
	int r;

	if (c->h)
		return 0;
	r = olve_open(&c->h, 0);
	if (r < 0) {
		char why[512] = "";

		c->h = NULL;
		/* [issue 14] root refuses a state dir another user controls: say which path */
		if (r == -EPERM && geteuid() == 0 && c->conf.state_dir &&
		    ol_path_trusted(c->conf.state_dir, why, sizeof(why)) < 0 && why[0])
			return fail(EXIT_RUNTIME, "refusing the state directory: %s (it must be root's and not "
			            "writable by group or others)", why);
		return fail(EXIT_RUNTIME, "cannot open the LVE cgroups and state (%s): %s%s%s",
		            c->conf.state_dir ? c->conf.state_dir : "?", strerror(-r), hint(r),
		            note);
	}
	return 0;
}

static int ctx_open(struct ctx *c)
{
	return ctx_open_note(c, "");
}

static uint32_t ctx_mhz(struct ctx *c)
{
	if (!c->mhz_loaded) {
		if (vecfg_cpu_max_mhz(&c->mhz) < 0)
			c->mhz = 0;
		c->mhz_loaded = true;
	}
	return c->mhz;
}

/* The package script settings (may have no path). Returns 0 or an exit code. */
static int ctx_script(struct ctx *c)
{
	struct pkg_error e = {0};
	int r;

	if (c->script_loaded)
		return 0;
	r = pkg_script_load(c->conf.sysconfig, &c->script, &e);
	if (r < 0)
		return fail(EXIT_RUNTIME, "%s (fix %s)", e.msg[0] ? e.msg : strerror(-r),
		            c->conf.sysconfig);
	if (c->o.timeout_s > 0)
		c->script.timeout_ms = c->o.timeout_s * 1000;
	c->script_loaded = true;
	return 0;
}

static int script_fail(const struct ctx *c, int r, const struct pkg_error *e)
{
	return fail(EXIT_RUNTIME,
	            "%s; nothing was changed (fix the script or CUSTOM_GETPACKAGE_SCRIPT in %s)",
	            e->msg[0] ? e->msg : strerror(-r), c->conf.sysconfig);
}

static int cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Users the script names must exist here. Many uids: enumerate the user
 * database once (getpwuid per uid would re-read /etc/passwd every time),
 * falling back to getpwuid for the ones not enumerated (NSS without
 * enumeration).
 */
static int check_uids(const struct ctx *c, const uint32_t *uids, size_t n, const char *what)
{
	_cleanup_free_ uint32_t *known = NULL;
	size_t nk = 0, cap = 0;

	if (n > 16) {
		struct passwd *pw;

		setpwent();
		while ((pw = getpwent())) {
			if (nk == cap) {
				size_t nc = cap ? cap * 2 : 256;
				uint32_t *nv = realloc(known, nc * sizeof(*nv));

				if (!nv)
					break;
				known = nv;
				cap = nc;
			}
			known[nk++] = (uint32_t)pw->pw_uid;
		}
		endpwent();
		if (nk)
			qsort(known, nk, sizeof(*known), cmp_uid);
	}
	for (size_t i = 0; i < n; i++) {
		if (nk && bsearch(&uids[i], known, nk, sizeof(*known), cmp_uid))
			continue;
		errno = 0;
		if (!getpwuid((uid_t)uids[i]))
			return fail(EXIT_RUNTIME,
			            "package script %s %s: uid %" PRIu32
			            " is not a user on this system; nothing was changed (fix the "
			            "script)",
			            c->script.path, what, uids[i]);
	}
	return 0;
}

/* uid -> package of every panel user (empty map without a script). Returns 0 or an exit code. */
static int ctx_pkg_map(struct ctx *c, struct pkg_map *pm)
{
	struct pkg_error e = {0};
	int r;

	*pm = (struct pkg_map){0};
	r = ctx_script(c);
	if (r)
		return r;
	if (!c->script.path)
		return 0;
	r = pkg_list_all(&c->script, pm, &e);
	if (r < 0)
		return script_fail(c, r, &e);
	if (pm->n) {
		_cleanup_free_ uint32_t *uids = malloc(pm->n * sizeof(*uids));

		if (!uids) {
			pkg_map_free(pm);
			return fail(EXIT_RUNTIME, "out of memory");
		}
		for (size_t i = 0; i < pm->n; i++)
			uids[i] = pm->v[i].uid;
		r = check_uids(c, uids, pm->n, "--list-all");
		if (r) {
			pkg_map_free(pm);
			return r;
		}
	}
	return 0;
}

/* Package of one user (NULL without script or package). Returns 0 or an exit code. */
static int ctx_pkg_of(struct ctx *c, uint32_t uid, char **pkg)
{
	struct pkg_error e = {0};
	int r;

	*pkg = NULL;
	r = ctx_script(c);
	if (r)
		return r;
	if (!c->script.path)
		return 0;
	r = pkg_of_user(&c->script, uid, pkg, &e);
	if (r < 0)
		return script_fail(c, r, &e);
	return 0;
}

/* Load ve.cfg; returns 0 or an exit code. */
static int load_cfg(struct ctx *c, struct vecfg **cfg)
{
	struct vecfg_error e = {0};
	int r = vecfg_load(c->conf.ve_cfg, cfg, &e);

	if (r == -EINVAL && e.msg[0])
		return fail(EXIT_RUNTIME, "%s line %d: %s (fix the file; nothing was changed)",
		            c->conf.ve_cfg, e.line, e.msg);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read %s: %s%s", c->conf.ve_cfg,
		            e.msg[0] ? e.msg : strerror(-r), hint(r));
	return 0;
}

/* Exclusive lock + load, for read-modify-write. *lockfd closes to unlock. */
static int lock_and_load(struct ctx *c, int *lockfd, struct vecfg **cfg)
{
	int fd = vecfg_lock(c->conf.ve_cfg, true, true);

	if (fd < 0)
		return fail(EXIT_RUNTIME, "cannot lock %s: %s%s", c->conf.ve_cfg, strerror(-fd),
		            hint(fd));
	*lockfd = fd;
	return load_cfg(c, cfg);
}

static int store_cfg(struct ctx *c, const struct vecfg *cfg)
{
	int r = vecfg_store(c->conf.ve_cfg, cfg);

	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot write %s: %s%s (nothing was changed)",
		            c->conf.ve_cfg, strerror(-r), hint(r));
	return 0;
}

/* -------------------------------------------------------- /proc/lve/list */

static uint64_t pages(uint64_t bytes)
{
	return bytes / 4096;
}

/* lCPU of version 6: the CPU limit in % of all cores (100 = unlimited). */
static uint64_t lcpu_pct(uint32_t speed, int ncpus)
{
	uint64_t d = 100u * (uint64_t)(ncpus > 0 ? ncpus : 1);

	if (!speed)
		return 100;
	return (speed + d - 1) / d > 100 ? 100 : (speed + d - 1) / d;
}

static int list_row(FILE *f, uint32_t id, const struct olve_limits *l, const struct olve_usage *u,
                    int ncpus)
{
	/* LVE EP lCPU lIO CPU MEM IO lMEM lEP nCPU fMEM fEP lMEMPHY lCPUW lNPROC MEMPHY fMEMPHY
	 * NPROC fNPROC */
	return fprintf(f,
	               "%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64
	               "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64
	               "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu32
	               "\t%" PRIu64 "\n",
	               id, u->ep, lcpu_pct(l->speed, ncpus), l->io, u->cpu_usec * 1000,
	               pages(u->vmem), (u->io_rbytes + u->io_wbytes) / 1024, pages(l->vmem), l->ep,
	               l->ncpu ? l->ncpu : (uint32_t)(ncpus > 0 ? ncpus : 1), u->fault_vmem,
	               u->fault_ep, pages(l->pmem), l->cpu_weight ? l->cpu_weight : 100, l->nproc,
	               pages(u->pmem), u->fault_pmem, u->nproc, u->fault_nproc);
}

/* The version 6 table of every LVE; *out malloc'd. */
static int build_proc_list(struct ctx *c, char **out, size_t *len)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct olve_limits d;
	struct olve_usage zero = {0};
	char *buf = NULL;
	size_t sz = 0;
	FILE *f;
	int n, r;

	n = olve_list(c->h, &ids);
	if (n < 0)
		return n;
	f = open_memstream(&buf, &sz);
	if (!f)
		return -ENOMEM;
	fprintf(f,
	        "%d:"
	        "LVE\tEP\tlCPU\tlIO\tCPU\tMEM\tIO\tlMEM\tlEP\tnCPU\tfMEM\tfEP\tlMEMPHY\tlCPUW\tlNPR"
	        "OC\tMEMPHY\tfMEMPHY\t"
	        "NPROC\tfNPROC\n",
	        LIST_VERSION);
	/* LVE 0: the limits new LVEs get */
	if (olve_defaults_get(c->h, &d) == 0)
		list_row(f, 0, &d, &zero, c->h->ncpus);
	for (int i = 0; i < n; i++) {
		struct olve_limits l;
		struct olve_usage u;

		r = olve_get_limits(c->h, ids[i], &l);
		if (r == -ENOENT)
			continue; /* destroyed meanwhile */
		if (r >= 0)
			r = olve_usage(c->h, ids[i], &u);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			fclose(f);
			free(buf);
			return r;
		}
		list_row(f, ids[i], &l, &u, c->h->ncpus);
		olve_lve_forget(c->h, ids[i]); /* keep no fds of thousands of LVEs */
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = sz;
	return 0;
}

/* Replace conf.list_file atomically. Returns 0 or an exit code. */
static int write_list_file(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *path = c->conf.list_file, *slash;
	size_t len;
	int r;

	if (!path)
		return 0;
	r = build_proc_list(c, &text, &len);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read the LVE table for %s: %s%s", path,
		            strerror(-r), hint(r));
	/* [issue 14] root writes it: refuse a path another user controls */
	if (geteuid() == 0 && path[0] == '/') {
		char why[512] = "";

		r = ol_path_trusted(path, why, sizeof(why));
		if (r < 0 && r != -ENOENT)
			return fail(EXIT_RUNTIME, "limits are in force, but %s is not safe to write: %s (fix its "
			            "ownership/modes)", path, why[0] ? why : strerror(-r));
	}
	slash = strrchr(path, '/');
	dir = slash && slash != path ? strndup(path, (size_t)(slash - path)) : strdup("/");
	if (!dir)
		return fail(EXIT_RUNTIME, "out of memory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		r = -errno;
	else
		r = ol_write_atomic_at(dfd, slash ? slash + 1 : path, text, len, 0644);
	if (r < 0)
		return fail(EXIT_RUNTIME, "limits are in force, but writing %s failed: %s%s", path,
		            strerror(-r), hint(r));
	return 0;
}

/* -------------------------------------------------------------- rows */

struct row {
	char id[300];
	char speed[40], cpu[40], ncpu[16], pmem[32], vmem[32], ep[16], nproc[16], io[16], iops[16];
};

static void fmt_mem(char *buf, size_t size, uint64_t bytes)
{
	if (bytes && bytes % (1ULL << 20) == 0)
		snprintf(buf, size, "%" PRIu64 "M", bytes >> 20);
	else
		snprintf(buf, size, "%" PRIu64 "K", bytes >> 10);
}

static void fmt_pct(char *buf, size_t size, uint64_t hundredths)
{
	if (hundredths % 100 == 0)
		snprintf(buf, size, "%" PRIu64, hundredths / 100);
	else
		snprintf(buf, size, "%" PRIu64 ".%02" PRIu64, hundredths / 100, hundredths % 100);
}

/* Row of limits in olve units. SPEED and CPU are both shown, each derived from the other. */
static void row_from_olve(struct row *r, const struct olve_limits *o, int ncpus)
{
	uint64_t speed = o->speed;

	if (ncpus < 1)
		ncpus = 1;
	if (o->cpu_pct) {
		uint64_t s = (uint64_t)o->cpu_pct * (uint64_t)ncpus * 100;

		if (!speed || s < speed)
			speed = s;
	}
	if (o->ncpu && (!speed || (uint64_t)o->ncpu * 10000 < speed))
		speed = (uint64_t)o->ncpu * 10000;
	fmt_pct(r->speed, sizeof(r->speed), speed);
	if (o->cpu_pct)
		snprintf(r->cpu, sizeof(r->cpu), "%" PRIu32, o->cpu_pct);
	else
		snprintf(r->cpu, sizeof(r->cpu), "%" PRIu64,
		         lcpu_pct((uint32_t)(speed > UINT32_MAX ? 0 : speed), ncpus));
	snprintf(r->ncpu, sizeof(r->ncpu), "%" PRIu32, o->ncpu);
	fmt_mem(r->pmem, sizeof(r->pmem), o->pmem);
	fmt_mem(r->vmem, sizeof(r->vmem), o->vmem);
	snprintf(r->ep, sizeof(r->ep), "%" PRIu32, o->ep);
	snprintf(r->nproc, sizeof(r->nproc), "%" PRIu32, o->nproc);
	snprintf(r->io, sizeof(r->io), "%" PRIu32, o->io);
	snprintf(r->iops, sizeof(r->iops), "%" PRIu32, o->iops);
}

static void row_from_vecfg(struct row *r, const struct vecfg_limits *v, uint32_t mhz, int ncpus)
{
	struct olve_limits o;
	char cpu[32];

	if (vecfg_to_olve(v, mhz, &o) == 0) {
		row_from_olve(r, &o, ncpus);
		return;
	}
	/* a frequency on a machine whose frequency is unknown: show it as stored */
	struct vecfg_limits w = *v;
	w.mask &= ~(uint32_t)VECFG_F_CPU;
	if (vecfg_to_olve(&w, mhz, &o) < 0)
		memset(&o, 0, sizeof(o));
	row_from_olve(r, &o, ncpus);
	vecfg_format_cpu(v, cpu, sizeof(cpu));
	snprintf(r->speed, sizeof(r->speed), "%s", cpu);
	snprintf(r->cpu, sizeof(r->cpu), "-");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

struct table {
	bool json;
	size_t n;
	const char *extra_name; /* extra column (PACKAGE / USER), NULL = none */
};

static void table_begin(struct table *t)
{
	if (t->json) {
		fputs("{\"data\":[", stdout);
		return;
	}
	printf("%10s %8s %4s %5s %10s %10s %6s %6s %8s %8s%s%s\n", "ID", "SPEED", "CPU", "NCPU",
	       "PMEM", "VMEM", "EP", "NPROC", "IO", "IOPS", t->extra_name ? " " : "",
	       t->extra_name ? t->extra_name : "");
}

static void table_row(struct table *t, const struct row *r, const char *extra)
{
	if (t->json) {
		static const char *const keys[] = {"ID",   "SPEED", "CPU",   "NCPU", "PMEM",
		                                   "VMEM", "EP",    "NPROC", "IO",   "IOPS"};
		const char *vals[] = {r->id,   r->speed, r->cpu,   r->ncpu, r->pmem,
		                      r->vmem, r->ep,    r->nproc, r->io,   r->iops};

		fputs(t->n ? ",{" : "{", stdout);
		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			if (i)
				fputc(',', stdout);
			json_str(stdout, keys[i]);
			fputc(':', stdout);
			json_str(stdout, vals[i]);
		}
		if (t->extra_name) {
			fputc(',', stdout);
			json_str(stdout, t->extra_name);
			fputc(':', stdout);
			json_str(stdout, extra ? extra : "");
		}
		fputc('}', stdout);
	} else {
		printf("%10s %8s %4s %5s %10s %10s %6s %6s %8s %8s%s%s\n", r->id, r->speed, r->cpu,
		       r->ncpu, r->pmem, r->vmem, r->ep, r->nproc, r->io, r->iops,
		       t->extra_name ? " " : "", t->extra_name ? (extra ? extra : "-") : "");
	}
	t->n++;
}

static void table_end(struct table *t)
{
	if (t->json)
		fputs("]}\n", stdout);
}

static int ncpus_online(const struct ctx *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)c;
	return n > 0 ? (int)n : 1;
}

/* ---------------------------------------------------------- validation */

/* Warn when NPROC < EP + 15 (both limited): entries would fail on fork first. */
/* The row of the effective limits in ve.cfg of LVE id with package pkg (0, NULL: the defaults). */
static void effective_row(struct ctx *c, const struct vecfg *cfg, uint32_t id, const char *pkg,
                          struct row *row)
{
	struct vecfg_limits v;

	vecfg_effective(cfg, id, pkg, &v);
	row_from_vecfg(row, &v, ctx_mhz(c), ncpus_online(c));
}

static void check_nproc_ep(const struct vecfg_limits *eff, const char *who)
{
	if ((eff->mask & VECFG_F_NPROC) && (eff->mask & VECFG_F_EP) && eff->nproc && eff->ep &&
	    (uint64_t)eff->nproc < (uint64_t)eff->ep + 15)
		warn("%s: NPROC %" PRIu32 " is less than EP %" PRIu32 " + 15; set --nproc=%" PRIu64
		     " or more so that entries do not fail for lack of processes",
		     who, eff->nproc, eff->ep, (uint64_t)eff->ep + 15);
}

/* ---------------------------------------------------------- applying */

static int apply_fail_note(uint32_t id, int r, const char *note)
{
	if (r == -EOPNOTSUPP)
		return fail(EXIT_RUNTIME,
		            "cannot apply limits to LVE %" PRIu32
		            ": the SPEED is a frequency but this CPU's maximum frequency is "
		            "unknown (use --speed=N%%)%s",
		            id, note);
	return fail(EXIT_RUNTIME, "cannot apply limits to LVE %" PRIu32 ": %s%s%s", id,
	            strerror(-r), hint(r), note);
}

static int apply_fail(uint32_t id, int r)
{
	return apply_fail_note(id, r, "");
}

/* Store the effective defaults as the limits of LVEs created on entry. */
static int push_defaults(struct ctx *c, const struct vecfg *cfg)
{
	struct vecfg_limits v;
	struct olve_limits o;
	int r;

	vecfg_effective(cfg, 0, NULL, &v);
	r = vecfg_to_olve(&v, ctx_mhz(c), &o);
	if (r >= 0)
		r = olve_defaults_set(c->h, &o);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot store the default limits for new LVEs: %s%s",
		            strerror(-r), hint(r));
	return 0;
}

/*
 * Apply ve.cfg to each LVE of ids (uid 0, root, has none: skipped), with package pkg, else its
 * package in pm (if any), each failure reported; the handle keeps no fds of them. Returns 0 or
 * an exit code; *failed: how many failed.
 */
static int apply_each(struct ctx *c, const struct vecfg *cfg, const uint32_t *ids, size_t n,
                      const struct pkg_map *pm, const char *pkg, size_t *failed)
{
	int rc = 0;

	*failed = 0;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (ids[i] == 0)
			continue;
		r = vecfg_apply_one(c->h, cfg, ids[i],
		                    pkg ? pkg : pm ? pkg_map_lookup(pm, ids[i]) : NULL, ctx_mhz(c));
		olve_lve_forget(c->h, ids[i]);
		if (r < 0) {
			rc = apply_fail(ids[i], r);
			(*failed)++;
		}
	}
	return rc;
}

static int apply_ids(struct ctx *c, const struct vecfg *cfg, const struct pkg_map *pm,
                     const uint32_t *ids, size_t n)
{
	size_t failed;
	int rc = apply_each(c, cfg, ids, n, pm, NULL, &failed);

	if (failed && n > 1)
		fail(EXIT_RUNTIME, "%zu of %zu LVEs failed (see above)", failed, n);
	return rc;
}

/* Read LVE ids from stdin (blank-separated). */
static int read_ids(uint32_t **ids, size_t *n)
{
	_cleanup_free_ uint32_t *v = NULL;
	size_t cnt = 0, cap = 0;
	char tok[32];
	int ch, len = 0;

	for (;;) {
		ch = getchar();
		if (ch == EOF || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ',') {
			if (len > 0) {
				uint32_t id;

				tok[len] = 0;
				if (parse_id(tok, &id) < 0)
					return fail(
					        EXIT_USAGE,
					        "\"%s\" on standard input is not an LVE id (1..%u)",
					        tok, UINT32_MAX - 1);
				if (cnt == cap) {
					size_t nc = cap ? cap * 2 : 64;
					uint32_t *nv = realloc(v, nc * sizeof(*nv));

					if (!nv)
						return fail(EXIT_RUNTIME, "out of memory");
					v = nv;
					cap = nc;
				}
				v[cnt++] = id;
				len = 0;
			}
			if (ch == EOF)
				break;
			continue;
		}
		if (len >= (int)sizeof(tok) - 1) {
			tok[len] = 0;
			return fail(EXIT_USAGE, "\"%s...\" on standard input is not an LVE id",
			            tok);
		}
		tok[len++] = (char)ch;
	}
	if (ferror(stdin))
		return fail(EXIT_RUNTIME, "cannot read standard input");
	*ids = TAKE_PTR(v);
	*n = cnt;
	return 0;
}

/* ----------------------------------------------------------- commands */

static int cmd_apply(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	struct pkg_map pm = {0};
	uint32_t id = 0;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE,
		            "apply needs one argument: an LVE id or \"all\" (see lvectl --help)");
	if (strcmp(argv[0], "all") != 0 && parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "apply: \"%s\" is not an LVE id (1..%u) or \"all\"",
		            argv[0], UINT32_MAX - 1);
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	if (!strcmp(argv[0], "all")) {
		struct vecfg_apply_result res;

		r = ctx_pkg_map(c, &pm);
		if (r)
			return r;
		r = ctx_open(c);
		if (!r)
			r = push_defaults(c, cfg);
		if (r) {
			pkg_map_free(&pm);
			return r;
		}
		r = vecfg_apply_all(c->h, cfg, &pm, ctx_mhz(c), &res);
		pkg_map_free(&pm);
		if (r < 0) {
			apply_fail(res.failed_id, res.failed_err);
			if (res.n_failed > 1 || res.n_ok)
				fail(EXIT_RUNTIME,
				     "%zu of %zu LVEs failed (fix the cause and run lvectl apply "
				     "all again)",
				     res.n_failed, res.n_failed + res.n_ok);
			write_list_file(c);
			return EXIT_RUNTIME;
		}
		return write_list_file(c);
	} else {
		_cleanup_free_ char *pkg = NULL;

		r = ctx_pkg_of(c, id, &pkg);
		if (r)
			return r;
		r = ctx_open(c);
		if (r)
			return r;
		r = vecfg_apply_one(c->h, cfg, id, pkg, ctx_mhz(c));
		if (r < 0)
			return apply_fail(id, r);
		return write_list_file(c);
	}
}

static int cmd_apply_many(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ uint32_t *ids = NULL;
	struct pkg_map pm = {0};
	size_t n = 0;
	int r, r2;

	if (argc != 0)
		return fail(EXIT_USAGE,
		            "apply-many takes no arguments: it reads LVE ids from standard input");
	r = read_ids(&ids, &n);
	if (r)
		return r;
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	r = ctx_pkg_map(c, &pm);
	if (r)
		return r;
	r = ctx_open(c);
	if (!r)
		r = apply_ids(c, cfg, &pm, ids, n);
	pkg_map_free(&pm);
	if (!c->h)
		return r;
	r2 = write_list_file(c);
	return r ? r : r2;
}

/* The limits given on the command line, checked. Returns 0 or an exit code. */
static int need_limits(const struct ctx *c, const char *cmd)
{
	if (!c->o.set.mask)
		return fail(EXIT_USAGE,
		            "%s: no limits given (use --speed, --pmem, --io, --iops, --nproc, "
		            "--maxEntryProcs, ... or "
		            "--unlimited; see lvectl --help)",
		            cmd);
	return 0;
}

/* Set the fields of lim in section key, eliding (unsetting) those equal to `inherited` when asked.
 */
static int set_section(struct vecfg *cfg, const struct vecfg_key *key,
                       const struct vecfg_limits *lim, const struct vecfg_limits *inherited)
{
	struct vecfg_limits keep = *lim;
	uint32_t drop = 0;
	int r;

	if (inherited) {
		struct vecfg_limits cmp = *inherited;

		/* a field equal to what the LVE inherits is not stored (CloudLinux behaviour) */
		if ((lim->mask & VECFG_F_CPU) && cmp.cpu_unit == lim->cpu_unit &&
		    cmp.cpu == lim->cpu)
			drop |= VECFG_F_CPU;
#define SAME(F, m)                                                                                 \
	if ((lim->mask & (F)) && cmp.m == lim->m)                                                  \
		drop |= (F);
		SAME(VECFG_F_NCPU, ncpu)
		SAME(VECFG_F_IO, io)
		SAME(VECFG_F_IOPS, iops)
		SAME(VECFG_F_MEM, mem_pages)
		SAME(VECFG_F_PMEM, pmem_pages)
		SAME(VECFG_F_NPROC, nproc)
		SAME(VECFG_F_EP, ep)
#undef SAME
		keep.mask &= ~drop;
	}
	if (keep.mask) {
		r = vecfg_set(cfg, key, &keep);
		if (r < 0)
			return r;
	}
	if (drop) {
		r = vecfg_unset(cfg, key, drop);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

static int set_lve(struct ctx *c, uint32_t id, const char *who)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *pkg = NULL;
	struct vecfg_limits inherited, eff;
	const struct vecfg_limits *pv;
	int r;

	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = ctx_pkg_of(c, id, &pkg);
	if (r)
		return r;
	/* what the LVE gets without its own section: built-in <- defaults <- package */
	vecfg_limits_builtin(&inherited);
	{
		struct vecfg_limits s;

		if (vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_DEFAULTS}, &s) == 0)
			vecfg_limits_merge(&inherited, &s);
		if (pkg && vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = pkg},
		                     &s) == 0)
			vecfg_limits_merge(&inherited, &s);
	}
	pv = c->o.save_all ? NULL : &inherited;
	r = set_section(cfg, &(struct vecfg_key){.kind = VECFG_LVE, .id = id}, &c->o.set, pv);
	if (r < 0)
		return fail(EXIT_USAGE, "set %s: %s (nothing was changed)", who, strerror(-r));
	vecfg_effective(cfg, id, pkg, &eff);
	check_nproc_ep(&eff, who);
	r = store_cfg(c, cfg);
	if (r)
		return r;
	{
		char note[PATH_MAX + 100];

		snprintf(note, sizeof(note),
		         "; the limits were saved to %s: run lvectl apply %" PRIu32
		         " after fixing the cause",
		         c->conf.ve_cfg, id);
		r = ctx_open_note(c, note);
		if (r)
			return r;
		r = vecfg_apply_one(c->h, cfg, id, pkg, ctx_mhz(c));
		if (r < 0)
			return apply_fail_note(id, r, note);
	}
	return write_list_file(c);
}

static int set_default(struct ctx *c)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ uint32_t *ids = NULL;
	struct vecfg_limits eff;
	struct pkg_map pm = {0};
	int n, r;

	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = vecfg_set(cfg, &(struct vecfg_key){.kind = VECFG_DEFAULTS}, &c->o.set);
	if (r < 0)
		return fail(EXIT_USAGE, "set default: %s (nothing was changed)", strerror(-r));
	vecfg_effective(cfg, 0, NULL, &eff);
	check_nproc_ep(&eff, "default");
	r = ctx_pkg_map(c, &pm);
	if (r)
		return r;
	r = store_cfg(c, cfg);
	if (r) {
		pkg_map_free(&pm);
		return r;
	}
	/* every existing LVE and every new one gets the new defaults (unless it overrides them) */
	r = ctx_open(c);
	if (!r)
		r = push_defaults(c, cfg);
	if (!r) {
		n = olve_list(c->h, &ids);
		if (n < 0)
			r = fail(EXIT_RUNTIME, "cannot list LVEs: %s%s", strerror(-n), hint(n));
		else
			r = apply_ids(c, cfg, &pm, ids, (size_t)n);
	}
	pkg_map_free(&pm);
	if (r) {
		fail(EXIT_RUNTIME,
		     "the defaults were saved to %s; run lvectl apply all after fixing the cause",
		     c->conf.ve_cfg);
		return EXIT_RUNTIME;
	}
	return write_list_file(c);
}

static int user_uid(const char *name, uint32_t *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return fail(EXIT_RUNTIME,
		            "no user \"%s\" on this system (check the name with getent passwd)",
		            name);
	if (pw->pw_uid == 0)
		return fail(EXIT_USAGE, "user \"%s\" is root (uid 0): root has no LVE", name);
	*uid = (uint32_t)pw->pw_uid;
	return 0;
}

static int cmd_set(struct ctx *c, int argc, char **argv)
{
	uint32_t id;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE,
		            "set needs one argument: an LVE id or \"default\" (see lvectl --help)");
	r = need_limits(c, "set");
	if (r)
		return r;
	if (!strcmp(argv[0], "default"))
		return set_default(c);
	if (parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "set: \"%s\" is not an LVE id (1..%u) or \"default\"",
		            argv[0], UINT32_MAX - 1);
	return set_lve(c, id, argv[0]);
}

static int cmd_set_user(struct ctx *c, int argc, char **argv)
{
	uint32_t uid;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "set-user needs one argument: a user name");
	r = need_limits(c, "set-user");
	if (r)
		return r;
	r = user_uid(argv[0], &uid);
	if (r)
		return r;
	return set_lve(c, uid, argv[0]);
}

static int delete_lve(struct ctx *c, uint32_t id)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ char *pkg = NULL;
	struct olve_limits cur;
	int r;

	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = vecfg_delete(cfg, &(struct vecfg_key){.kind = VECFG_LVE, .id = id});
	if (r == -ENOENT)
		return 0; /* nothing of its own: nothing to do */
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot delete LVE %" PRIu32 " from %s: %s", id,
		            c->conf.ve_cfg, strerror(-r));
	r = ctx_pkg_of(c, id, &pkg);
	if (r)
		return r;
	r = store_cfg(c, cfg);
	if (r)
		return r;
	/* a running LVE falls back to its package / the defaults */
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_get_limits(c->h, id, &cur);
	if (r == -ENOENT)
		return 0;
	r = vecfg_apply_one(c->h, cfg, id, pkg, ctx_mhz(c));
	if (r < 0)
		return apply_fail(id, r);
	return write_list_file(c);
}

static int cmd_delete(struct ctx *c, int argc, char **argv)
{
	uint32_t id;

	if (argc != 1)
		return fail(EXIT_USAGE, "delete needs one argument: an LVE id");
	if (parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "delete: \"%s\" is not an LVE id (1..%u)", argv[0],
		            UINT32_MAX - 1);
	return delete_lve(c, id);
}

static int cmd_delete_user(struct ctx *c, int argc, char **argv)
{
	uint32_t uid;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "delete-user needs one argument: a user name");
	r = user_uid(argv[0], &uid);
	if (r)
		return r;
	return delete_lve(c, uid);
}

static int destroy_ids(struct ctx *c, const uint32_t *ids, size_t n, bool missing_ok)
{
	int rc = 0, r;

	for (size_t i = 0; i < n; i++) {
		r = olve_destroy(c->h, ids[i]);
		if (r == -ENOENT && missing_ok)
			continue;
		if (r == -ENOENT)
			rc = fail(EXIT_RUNTIME,
			          "LVE %" PRIu32 " does not exist (see lvectl proc-list)", ids[i]);
		else if (r < 0)
			rc = fail(EXIT_RUNTIME, "cannot destroy LVE %" PRIu32 ": %s%s", ids[i],
			          strerror(-r), hint(r));
	}
	return rc;
}

static int cmd_destroy(struct ctx *c, int argc, char **argv)
{
	_cleanup_free_ uint32_t *ids = NULL;
	uint32_t id;
	int n, r, r2;

	if (argc != 1)
		return fail(EXIT_USAGE, "destroy needs one argument: an LVE id or \"all\"");
	if (strcmp(argv[0], "all") != 0 && parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "destroy: \"%s\" is not an LVE id (1..%u) or \"all\"",
		            argv[0], UINT32_MAX - 1);
	r = ctx_open(c);
	if (r)
		return r;
	if (!strcmp(argv[0], "all")) {
		n = olve_list(c->h, &ids);
		if (n < 0)
			return fail(EXIT_RUNTIME, "cannot list LVEs: %s%s", strerror(-n), hint(n));
		r = destroy_ids(c, ids, (size_t)n, true);
	} else {
		r = destroy_ids(c, &id, 1, false);
	}
	r2 = write_list_file(c);
	return r ? r : r2;
}

static int cmd_destroy_many(struct ctx *c, int argc, char **argv)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t n = 0;
	int r, r2;

	if (argc != 0)
		return fail(
		        EXIT_USAGE,
		        "destroy-many takes no arguments: it reads LVE ids from standard input");
	r = read_ids(&ids, &n);
	if (r)
		return r;
	r = ctx_open(c);
	if (r)
		return r;
	r = destroy_ids(c, ids, n, false);
	r2 = write_list_file(c);
	return r ? r : r2;
}

static int cmd_limits(struct ctx *c, int argc, char **argv)
{
	struct table t = {.json = c->o.json};
	struct olve_limits l;
	struct row row;
	uint32_t id;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "limits needs one argument: an LVE id or \"default\"");
	if (!strcmp(argv[0], "default")) {
		_cleanup_vecfg_ struct vecfg *cfg = NULL;

		r = load_cfg(c, &cfg);
		if (r)
			return r;
		effective_row(c, cfg, 0, NULL, &row);
		snprintf(row.id, sizeof(row.id), "default");
	} else {
		if (parse_id(argv[0], &id) < 0)
			return fail(EXIT_USAGE,
			            "limits: \"%s\" is not an LVE id (1..%u) or \"default\"",
			            argv[0], UINT32_MAX - 1);
		r = ctx_open(c);
		if (r)
			return r;
		r = olve_get_limits(c->h, id, &l);
		if (r == -ENOENT)
			return fail(EXIT_RUNTIME,
			            "LVE %" PRIu32
			            " does not exist (create it with lvectl apply %" PRIu32 ")",
			            id, id);
		if (r < 0)
			return fail(EXIT_RUNTIME, "cannot read the limits of LVE %" PRIu32 ": %s%s",
			            id, strerror(-r), hint(r));
		row_from_olve(&row, &l, c->h->ncpus);
		snprintf(row.id, sizeof(row.id), "%" PRIu32, id);
	}
	table_begin(&t);
	table_row(&t, &row, NULL);
	table_end(&t);
	return 0;
}

static int cmd_list(struct ctx *c, bool by_user)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ uint32_t *ids = NULL;
	struct table t = {.json = c->o.json, .extra_name = "PACKAGE"};
	struct pkg_map pm = {0};
	struct row row;
	int n, r;

	r = load_cfg(c, &cfg);
	if (r)
		return r;
	r = ctx_pkg_map(c, &pm);
	if (r)
		return r;
	n = vecfg_lve_ids(cfg, &ids);
	if (n < 0) {
		pkg_map_free(&pm);
		return fail(EXIT_RUNTIME, "out of memory");
	}
	table_begin(&t);
	effective_row(c, cfg, 0, NULL, &row);
	snprintf(row.id, sizeof(row.id), "default");
	table_row(&t, &row, NULL);
	for (int i = 0; i < n; i++) {
		const char *pkg = pkg_map_lookup(&pm, ids[i]);
		struct passwd *pw;

		effective_row(c, cfg, ids[i], pkg, &row);
		if (by_user && (pw = getpwuid((uid_t)ids[i])))
			snprintf(row.id, sizeof(row.id), "%s", pw->pw_name);
		else
			snprintf(row.id, sizeof(row.id), "%" PRIu32, ids[i]);
		table_row(&t, &row, pkg);
	}
	table_end(&t);
	pkg_map_free(&pm);
	return 0;
}

static int cmd_list_cmd(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "list takes no arguments");
	return cmd_list(c, false);
}

static int cmd_list_user(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "list-user takes no arguments");
	return cmd_list(c, true);
}

static int check_pkg_name(const char *cmd, const char *name)
{
	if (!pkg_name_valid(name))
		return fail(EXIT_USAGE,
		            "%s: \"%s\" is not a valid package name (1..%d bytes, no control "
		            "characters, no leading or "
		            "trailing blank)",
		            cmd, name, PKG_NAME_MAX);
	return 0;
}

/* Users of a package from the script (none without one), checked. Returns 0 or an exit code. */
static int package_users(struct ctx *c, const char *name, uint32_t **uids, size_t *n)
{
	struct pkg_error e = {0};
	int cnt, r;

	*uids = NULL;
	*n = 0;
	r = ctx_script(c);
	if (r)
		return r;
	if (!c->script.path)
		return 0;
	cnt = pkg_users_of(&c->script, name, uids, &e);
	if (cnt < 0)
		return script_fail(c, cnt, &e);
	r = check_uids(c, *uids, (size_t)cnt, "--package");
	if (r) {
		free(*uids);
		*uids = NULL;
		return r;
	}
	*n = (size_t)cnt;
	return 0;
}

/*
 * After a change of package `name` in cfg (locked): its users from the panel (asked first: a
 * failing script changes nothing), cfg stored, the package's limits applied to them.
 */
static int store_and_apply_package(struct ctx *c, const struct vecfg *cfg, const char *name)
{
	_cleanup_free_ uint32_t *uids = NULL;
	size_t n = 0, failed;
	int r;

	r = package_users(c, name, &uids, &n);
	if (r)
		return r;
	r = store_cfg(c, cfg);
	if (r || n == 0)
		return r;
	r = ctx_open(c);
	if (r)
		return r;
	r = apply_each(c, cfg, uids, n, NULL, name, &failed);
	if (r)
		return r;
	return write_list_file(c);
}

static int cmd_package_set(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	struct vecfg_limits eff;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "package-set needs one argument: a package name");
	r = check_pkg_name("package-set", argv[0]);
	if (r)
		return r;
	r = need_limits(c, "package-set");
	if (r)
		return r;
	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = vecfg_set(cfg, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = argv[0]}, &c->o.set);
	if (r < 0)
		return fail(EXIT_USAGE, "package-set %s: %s (nothing was changed)", argv[0],
		            strerror(-r));
	vecfg_effective(cfg, UINT32_MAX, argv[0], &eff);
	check_nproc_ep(&eff, argv[0]);
	return store_and_apply_package(c, cfg, argv[0]);
}

static int cmd_package_delete(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "package-delete needs one argument: a package name");
	r = check_pkg_name("package-delete", argv[0]);
	if (r)
		return r;
	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	r = vecfg_delete(cfg, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = argv[0]});
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot delete package %s: %s", argv[0], strerror(-r));
	return store_and_apply_package(c, cfg, argv[0]);
}

static int cmd_package_list(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	struct table t = {.json = c->o.json};
	struct pkg_names names = {0};
	struct pkg_error e = {0};
	struct row row;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "package-list takes no arguments");
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	r = ctx_script(c);
	if (r)
		return r;
	if (c->script.path) {
		r = pkg_list_packages(&c->script, &names, &e);
		if (r < 0)
			return script_fail(c, r, &e);
	}
	table_begin(&t);
	effective_row(c, cfg, 0, NULL, &row);
	snprintf(row.id, sizeof(row.id), "VE_DEFAULT");
	table_row(&t, &row, NULL);
	/* the panel's packages (in its order), then packages only ve.cfg knows */
	for (size_t i = 0; i < names.n; i++) {
		effective_row(c, cfg, UINT32_MAX, names.v[i], &row);
		snprintf(row.id, sizeof(row.id), "%s", names.v[i]);
		table_row(&t, &row, NULL);
	}
	for (size_t i = 0; i < vecfg_n_packages(cfg); i++) {
		const char *p = vecfg_package_name(cfg, i);
		bool seen = false;

		for (size_t j = 0; j < names.n && !seen; j++)
			seen = !strcmp(names.v[j], p);
		if (seen)
			continue;
		effective_row(c, cfg, UINT32_MAX, p, &row);
		snprintf(row.id, sizeof(row.id), "%s", p);
		table_row(&t, &row, NULL);
	}
	table_end(&t);
	pkg_names_free(&names);
	return 0;
}

static int cmd_paneluserslimits(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	struct table t = {.json = c->o.json, .extra_name = "PACKAGE"};
	struct pkg_map pm = {0};
	struct row row;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "paneluserslimits takes no arguments");
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	r = ctx_script(c);
	if (r)
		return r;
	if (!c->script.path)
		return fail(EXIT_RUNTIME,
		            "no control panel users: set CUSTOM_GETPACKAGE_SCRIPT in %s",
		            c->conf.sysconfig);
	r = ctx_pkg_map(c, &pm);
	if (r)
		return r;
	table_begin(&t);
	for (size_t i = 0; i < pm.n; i++) {
		struct passwd *pw = getpwuid((uid_t)pm.v[i].uid);

		effective_row(c, cfg, pm.v[i].uid, pm.v[i].package, &row);
		if (pw)
			snprintf(row.id, sizeof(row.id), "%" PRIu32 ":%s", pm.v[i].uid,
			         pw->pw_name);
		else
			snprintf(row.id, sizeof(row.id), "%" PRIu32, pm.v[i].uid);
		table_row(&t, &row, pm.v[i].package);
	}
	table_end(&t);
	pkg_map_free(&pm);
	return 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	uint32_t v;

	if (parse_u32_opt(s, INT_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

static int cmd_limit(struct ctx *c, int argc, char **argv)
{
	uint32_t id;
	pid_t pid;
	int r;

	if (argc != 2)
		return fail(EXIT_USAGE, "limit needs two arguments: PID and LVE id");
	if (parse_pid(argv[0], &pid) < 0)
		return fail(EXIT_USAGE, "limit: \"%s\" is not a process id", argv[0]);
	if (parse_id(argv[1], &id) < 0)
		return fail(EXIT_USAGE, "limit: \"%s\" is not an LVE id (1..%u)", argv[1],
		            UINT32_MAX - 1);
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_enter_pid_flags(c->h, id, pid, c->o.force ? OLVE_ENTER_PID_FORCE : 0);
	if (r == -ESRCH)
		return fail(EXIT_RUNTIME, "no process %d (check the PID)", (int)pid);
	if (r == -EPERM && !c->o.force && geteuid() == 0)
		return fail(EXIT_RUNTIME,
		            "refusing to move process %d into LVE %" PRIu32
		            ": it is PID 1, a kernel thread or root's, or the LVE is disabled "
		            "(--force moves system processes)",
		            (int)pid, id);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot move process %d into LVE %" PRIu32 ": %s%s",
		            (int)pid, id, strerror(-r), hint(r));
	return 0;
}

static int cmd_release(struct ctx *c, int argc, char **argv)
{
	pid_t pid;
	int r;

	if (argc != 1)
		return fail(EXIT_USAGE, "release needs one argument: a PID");
	if (parse_pid(argv[0], &pid) < 0)
		return fail(EXIT_USAGE, "release: \"%s\" is not a process id", argv[0]);
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_leave_pid(c->h, pid);
	if (r == -ESRCH)
		return fail(EXIT_RUNTIME, "process %d does not exist or is in no LVE", (int)pid);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot move process %d out of its LVE: %s%s", (int)pid,
		            strerror(-r), hint(r));
	return 0;
}

static int cmd_proc_list(struct ctx *c, int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "proc-list takes no arguments");
	r = ctx_open(c);
	if (r)
		return r;
	r = build_proc_list(c, &text, &len);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read the LVE table: %s%s", strerror(-r), hint(r));
	fwrite(text, 1, len, stdout);
	return 0;
}

/* The integration guide's detection checks, in one place for panels and admins. */
static int cmd_detect(struct ctx *c, int argc, char **argv)
{
	int avail, cagefs;
	const char *list = c->conf.list_file ? c->conf.list_file : "";

	if (argc != 0)
		return fail(EXIT_USAGE, "detect takes no arguments");
	avail = lve_is_available();
	cagefs = olve_cagefs_inside(NULL);
	if (cagefs < 0)
		return fail(EXIT_RUNTIME, "cannot examine / for the CageFS token: %s", strerror(-cagefs));
	if (c->o.json) {
		printf("{\"lve_available\":%s,\"lve_version\":%d,\"list_file\":\"", avail ? "true" : "false",
		       LIST_VERSION);
		for (const char *p = list; *p; p++)
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				printf("\\u%04x", (unsigned char)*p);
			else
				putchar(*p);
		printf("\",\"inside_cagefs\":%s}\n", cagefs ? "true" : "false");
	} else {
		printf("lve: %s\n", avail ? "available" : "not available (needs root and mounted cgroup controllers)");
		printf("lve-version: %d\n", LIST_VERSION);
		printf("list-file: %s\n", list);
		printf("cagefs: %s\n", cagefs ? "inside (/var/.cagefs/.cagefs.token present)" : "outside");
	}
	return 0;
}

/* OpenVZ's /proc/user_beancounters (version 2.5) over the LVEs: see ubstat(3). */
static int cmd_ubc(struct ctx *c, int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (argc != 0)
		return fail(EXIT_USAGE, "ubc takes no arguments");
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_beancounters_render(c->h, &text);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read the LVE beancounters: %s%s", strerror(-r), hint(r));
	fwrite(text, 1, (size_t)r, stdout);
	return 0;
}

static int cmd_version(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "version takes no arguments");
	if (c->o.json)
		printf("{\"version\":\"%s\"}\n", OPENLVE_VERSION);
	else
		printf("lvectl (openlve) %s\n", OPENLVE_VERSION);
	return 0;
}

static int cmd_lve_version(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "lve-version takes no arguments");
	if (c->o.json)
		printf("{\"lve_version\":%d}\n", LIST_VERSION);
	else
		printf("%d\n", LIST_VERSION);
	return 0;
}

/* ------------------------------------------------------------- options */

enum {
	OPT_SPEED = 1000,
	OPT_CPU,
	OPT_NCPU,
	OPT_IO,
	OPT_IOPS,
	OPT_NPROC,
	OPT_PMEM,
	OPT_VMEM,
	OPT_EP,
	OPT_UNLIMITED,
	OPT_SAVE_ALL,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_FORCE,
};

static int parse_speed(const char *s, struct vecfg_limits *l)
{
	enum vecfg_cpu_unit u;
	uint64_t v;
	char buf[40];
	int r;

	/* a plain number is a percentage here (--cpu is the old % of all cores) */
	if (strlen(s) < sizeof(buf) - 1 && s[0] && strspn(s, "0123456789.") == strlen(s)) {
		snprintf(buf, sizeof(buf), "%s%%", s);
		s = buf;
	}
	r = vecfg_parse_cpu(s, &u, &v);
	if (r < 0 || u == VECFG_CPU_PCT_ALL)
		return r < 0 ? r : -EINVAL;
	l->cpu_unit = u;
	l->cpu = v;
	l->mask |= VECFG_F_CPU;
	return 0;
}

static int parse_options(int argc, char **argv, struct opts *o, int *first_arg)
{
	static const struct option longopts[] = {
	        {"speed", required_argument, NULL, OPT_SPEED},
	        {"cpu", required_argument, NULL, OPT_CPU},
	        {"ncpu", required_argument, NULL, OPT_NCPU},
	        {"io", required_argument, NULL, OPT_IO},
	        {"iops", required_argument, NULL, OPT_IOPS},
	        {"nproc", required_argument, NULL, OPT_NPROC},
	        {"pmem", required_argument, NULL, OPT_PMEM},
	        {"vmem", required_argument, NULL, OPT_VMEM},
	        {"mem", required_argument, NULL, OPT_VMEM},
	        {"maxEntryProcs", required_argument, NULL, OPT_EP},
	        {"maxentryprocs", required_argument, NULL, OPT_EP},
	        {"unlimited", no_argument, NULL, OPT_UNLIMITED},
	        {"save-all-parameters", no_argument, NULL, OPT_SAVE_ALL},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"help", no_argument, NULL, OPT_HELP},
	        {"force", no_argument, NULL, OPT_FORCE},
	        {NULL, 0, NULL, 0},
	};
	struct vecfg_limits given = {0};
	int ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1 || optind < argc) {
		const char *name = NULL;

		if (ch == -1) {
			/* a non-option: keep it for the command and go on (options may follow) */
			argv[(*first_arg)++] = argv[optind++];
			continue;
		}
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == ch)
				name = lo->name;
		switch (ch) {
		case OPT_SPEED:
			if (parse_speed(optarg, &given) < 0)
				return fail(EXIT_USAGE,
				            "--speed=%s: expected N%% (of one core, up to 2 "
				            "decimals), Nmhz or Nghz",
				            optarg);
			break;
		case OPT_CPU: {
			uint32_t v;
			char buf[16];
			const char *s = optarg;
			size_t n = strlen(s);

			if (n > 1 && n < sizeof(buf) && s[n - 1] == '%') {
				memcpy(buf, s, n - 1);
				buf[n - 1] = 0;
				s = buf;
			}
			if (parse_u32_opt(s, 100, &v) < 0)
				return fail(EXIT_USAGE,
				            "--cpu=%s: expected 0..100 (%% of all cores; 0 = "
				            "unlimited)",
				            optarg);
			given.mask |= VECFG_F_CPU;
			given.cpu_unit = VECFG_CPU_PCT_ALL;
			given.cpu = v;
			break;
		}
		case OPT_NCPU:
		case OPT_IO:
		case OPT_IOPS:
		case OPT_NPROC:
		case OPT_EP: {
			uint32_t max = ch == OPT_NPROC  ? NPROC_MAX
			               : ch == OPT_NCPU ? 1000000u
			                                : UINT32_MAX;
			uint32_t v;

			r = parse_u32_opt(optarg, max, &v);
			if (r < 0)
				return fail(EXIT_USAGE,
				            "--%s=%s: expected a whole number 0..%" PRIu32
				            " (0 = unlimited)",
				            name, optarg, max);
			if (ch == OPT_NCPU) {
				given.mask |= VECFG_F_NCPU;
				given.ncpu = v;
			} else if (ch == OPT_IO) {
				given.mask |= VECFG_F_IO;
				given.io = v;
			} else if (ch == OPT_IOPS) {
				given.mask |= VECFG_F_IOPS;
				given.iops = v;
			} else if (ch == OPT_NPROC) {
				given.mask |= VECFG_F_NPROC;
				given.nproc = v;
			} else {
				given.mask |= VECFG_F_EP;
				given.ep = v;
			}
			break;
		}
		case OPT_PMEM:
		case OPT_VMEM: {
			uint64_t p;

			r = parse_mem_pages(optarg, &p);
			if (r < 0)
				return fail(EXIT_USAGE,
				            "--%s=%s: expected a size like 1048576 (KB), 512m, 2g "
				            "or 1t (0 = unlimited)%s",
				            name, optarg,
				            r == -ERANGE ? "; the value is too large" : "");
			if (ch == OPT_PMEM) {
				given.mask |= VECFG_F_PMEM;
				given.pmem_pages = p;
			} else {
				given.mask |= VECFG_F_MEM;
				given.mem_pages = p;
			}
			break;
		}
		case OPT_UNLIMITED:
			o->unlimited = true;
			break;
		case OPT_SAVE_ALL:
			o->save_all = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TIMEOUT: {
			uint32_t v;

			if (parse_u32_opt(optarg, 3600, &v) < 0 || v == 0)
				return fail(EXIT_USAGE, "--timeout=%s: expected seconds 1..3600",
				            optarg);
			o->timeout_s = (int)v;
			break;
		}
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return fail(EXIT_USAGE, "option %s needs a value (for example --pmem=512m)",
			            argv[optind - 1]);
		default:
			return fail(EXIT_USAGE, "unknown option %s (see lvectl --help)",
			            argv[optind - 1]);
		}
	}
	if (o->unlimited) {
		o->set = (struct vecfg_limits){.mask = VECFG_F_ALL, .cpu_unit = VECFG_CPU_SPEED};
		vecfg_limits_merge(&o->set, &given);
	} else {
		o->set = given;
	}
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	bool takes_limits;
};

static const struct command commands[] = {
        {"apply", cmd_apply, false},
        {"apply-many", cmd_apply_many, false},
        {"set", cmd_set, true},
        {"set-user", cmd_set_user, true},
        {"list", cmd_list_cmd, false},
        {"list-user", cmd_list_user, false},
        {"limits", cmd_limits, false},
        {"delete", cmd_delete, false},
        {"delete-user", cmd_delete_user, false},
        {"destroy", cmd_destroy, false},
        {"destroy-many", cmd_destroy_many, false},
        {"package-set", cmd_package_set, true},
        {"package-list", cmd_package_list, false},
        {"package-delete", cmd_package_delete, false},
        {"paneluserslimits", cmd_paneluserslimits, false},
        {"limit", cmd_limit, false},
        {"release", cmd_release, false},
        {"proc-list", cmd_proc_list, false},
        {"ubc", cmd_ubc, false},
        {"detect", cmd_detect, false},
        {"version", cmd_version, false},
        {"lve-version", cmd_lve_version, false},
};

int main(int argc, char **argv)
{
	struct ctx c = {0};
	const struct command *cmd = NULL;
	unsigned errline = 0;
	int nargs = 1, r;

	r = parse_options(argc, argv, &c.o, &nargs);
	if (r)
		return r;
	/* argv[1 .. nargs-1] now holds the non-option words in order */
	if (nargs < 2) {
		usage(stderr);
		return fail(EXIT_USAGE, "no command given (see lvectl --help)");
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (!strcmp(commands[i].name, argv[1]))
			cmd = &commands[i];
	if (!cmd)
		return fail(EXIT_USAGE, "unknown command \"%s\" (see lvectl --help)", argv[1]);
	if (!cmd->takes_limits && (c.o.set.mask || c.o.unlimited))
		return fail(EXIT_USAGE,
		            "%s does not take limit options (they belong to set, set-user and "
		            "package-set)",
		            cmd->name);
	if (cmd->fn != cmd_version && cmd->fn != cmd_lve_version) {
		r = olve_conf_load(NULL, &c.conf, &errline);
		if (r < 0) {
			const char *env = secure_getenv("OPENLVE_CONF");

			if (r == -EINVAL)
				return fail(EXIT_RUNTIME,
				            "bad openlve configuration %s line %u (fix it)",
				            env ? env : SYSCONFDIR "/openlve/openlve.conf",
				            errline);
			return fail(EXIT_RUNTIME, "cannot read the openlve configuration %s: %s",
			            env ? env : SYSCONFDIR "/openlve/openlve.conf", strerror(-r));
		}
	}
	/* [issue 14] temp files of a killed lvectl next to ve.cfg and the list file */
	if (geteuid() == 0) {
		if (c.conf.ve_cfg)
			(void)ol_clean_stale_temps(c.conf.ve_cfg);
		if (c.conf.list_file)
			(void)ol_clean_stale_temps(c.conf.list_file);
	}
	r = cmd->fn(&c, nargs - 2, argv + 2);
	if (c.h)
		olve_close(c.h);
	pkg_script_free(&c.script);
	olve_conf_free(&c.conf);
	if (fflush(stdout) != 0 && !r)
		r = fail(EXIT_RUNTIME, "cannot write the output: %s", strerror(errno));
	return r;
}
