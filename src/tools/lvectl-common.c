/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: shared context of every command: errors and hints, ve.cfg
 * load/lock/store, the package script, applying ve.cfg to LVEs, ids from stdin.
 */
#include "limits-store.h"
#include "lvectl.h"

/* ------------------------------------------------------------- output */

char lvectl_first_error[512];
const char *lvectl_prog = "lvectl";

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lvectl_prog);
	va_start(ap, fmt);
	if (!lvectl_first_error[0]) {
		va_list aq;

		va_copy(aq, ap);
		vsnprintf(lvectl_first_error, sizeof(lvectl_first_error), fmt, aq);
		va_end(aq);
	}
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", lvectl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A hint for common errno values. */
const char *hint(int r)
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

/* Open the LVE handle; `note` (may be "") is appended to the error line. */
int ctx_open_note(struct ctx *c, const char *note)
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

int ctx_open(struct ctx *c)
{
	return ctx_open_note(c, "");
}

uint32_t ctx_mhz(struct ctx *c)
{
	if (!c->mhz_loaded) {
		if (vecfg_cpu_max_mhz(&c->mhz) < 0)
			c->mhz = 0;
		c->mhz_loaded = true;
	}
	return c->mhz;
}

/* The package script settings (may have no path). Returns 0 or an exit code. */
int ctx_script(struct ctx *c)
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

int script_fail(const struct ctx *c, int r, const struct pkg_error *e)
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
int check_uids(const struct ctx *c, const uint32_t *uids, size_t n, const char *what)
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
int ctx_pkg_map(struct ctx *c, struct pkg_map *pm)
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

/*
 * The one login lookup of lvectl's commands (set-user, delete-user, the
 * reseller commands and --reseller=NAME). getpwnam(3) answers "not found"
 * with NULL and errno 0 or one of ENOENT, ESRCH, EBADF, EPERM; any other
 * errno is a failing user database (NSS), not a bad argument.
 */
int user_arg(const char *name, const char *role, uint32_t *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && errno && errno != ENOENT && errno != ESRCH && errno != EBADF && errno != EPERM)
		return fail(EXIT_RUNTIME, "cannot look up user \"%s\": %s (check the user database with getent passwd)",
		            name, strerror(errno));
	if (!pw)
		return fail(EXIT_USAGE, "no user \"%s\" on this system (check the name with getent passwd)", name);
	if (pw->pw_uid == 0)
		return fail(EXIT_USAGE, "user \"%s\" is root (uid 0): root cannot have %s", name, role);
	*uid = (uint32_t)pw->pw_uid;
	return 0;
}

/* Package of one user (NULL without script or package). Returns 0 or an exit code. */
int ctx_pkg_of(struct ctx *c, uint32_t uid, char **pkg)
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
int load_cfg(struct ctx *c, struct vecfg **cfg)
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
int lock_and_load(struct ctx *c, int *lockfd, struct vecfg **cfg)
{
	int fd = vecfg_lock(c->conf.ve_cfg, true, true);

	if (fd < 0)
		return fail(EXIT_RUNTIME, "cannot lock %s: %s%s", c->conf.ve_cfg, strerror(-fd),
		            hint(fd));
	*lockfd = fd;
	return load_cfg(c, cfg);
}

/*
 * Compile ve.cfg into the limits store (limits-store.h) that liblve reads
 * when it creates an LVE: the effective defaults, every <lve id> and every
 * panel user whose package has a <package> section. Caller holds the
 * ve.cfg lock (shared at least). Returns 0 or an exit code.
 */
int compile_store(struct ctx *c, const struct vecfg *cfg)
{
	_cleanup_free_ struct olve_store_entry *v = NULL, *rv = NULL;
	_cleanup_free_ uint32_t *ids = NULL, *rids = NULL;
	struct pkg_map pm = {0};
	struct vecfg_limits eff;
	struct olve_limits d;
	size_t n = 0, nr = 0;
	int nids, nres, r;

	vecfg_effective(cfg, 0, NULL, &eff);
	r = vecfg_to_olve(&eff, ctx_mhz(c), &d);
	if (r < 0)
		olve_limits_default(&d); /* a frequency on a CPU of unknown speed: checked per LVE below */
	nids = vecfg_lve_ids(cfg, &ids);
	if (nids < 0)
		return fail(EXIT_RUNTIME, "cannot list the LVEs of %s: %s", c->conf.ve_cfg,
		            strerror(-nids));
	r = ctx_pkg_map(c, &pm); /* a failing script is reported there; the store stays as it was */
	if (r)
		return r;
	v = calloc((size_t)nids + pm.n + 1, sizeof(*v));
	if (!v) {
		pkg_map_free(&pm);
		return fail(EXIT_RUNTIME, "out of memory");
	}
	nres = vecfg_reseller_ids(cfg, &rids);
	if (nres < 0) {
		pkg_map_free(&pm);
		return fail(EXIT_RUNTIME, "cannot list the resellers of %s: %s", c->conf.ve_cfg,
		            strerror(-nres));
	}
	rv = calloc((size_t)nres + 1, sizeof(*rv));
	if (!rv) {
		pkg_map_free(&pm);
		return fail(EXIT_RUNTIME, "out of memory");
	}
	/* [issue 10] each reseller's cap (its cgroup lvp<R>) */
	for (int i = 0; i < nres; i++) {
		reseller_effective(cfg, rids[i], &eff);
		if (vecfg_to_olve(&eff, ctx_mhz(c), &rv[nr].limits) < 0) {
			warn("reseller %" PRIu32 ": its SPEED is a frequency but this CPU's maximum "
			     "frequency is unknown; its group is created without limits", rids[i]);
			continue;
		}
		rv[nr++].id = rids[i];
	}
	/*
	 * lvp groups of removed resellers that still hold running customers:
	 * "retired" records (no limits) so liblve still finds those customers
	 */
	{
		struct olve *h = c->h;
		_cleanup_free_ uint32_t *groups = NULL;
		int ng = 0;

		if (h || olve_open(&h, OLVE_OPEN_NOCREATE) == 0)
			ng = olve_reseller_groups(h, &groups);
		for (int i = 0; i < ng; i++) {
			bool known = false;
			struct olve_store_entry *nv;

			for (size_t k = 0; k < nr && !known; k++)
				known = rv[k].id == groups[i];
			if (known)
				continue;
			nv = realloc(rv, (nr + 1) * sizeof(*rv));
			if (!nv)
				break;
			rv = nv;
			rv[nr++] = (struct olve_store_entry){ .id = groups[i] };
		}
		if (h && h != c->h)
			olve_close(h);
	}
	/* <lve id> sections (with their package, if any), then package users without a section */
	for (size_t i = 0; i < (size_t)nids + pm.n; i++) {
		uint32_t id = i < (size_t)nids ? ids[i] : pm.v[i - (size_t)nids].uid;
		const char *pkg = pkg_map_lookup(&pm, id);
		struct vecfg_limits s;

		if (id == 0)
			continue;
		if (i >= (size_t)nids) {
			if (nids > 0 && bsearch(&id, ids, (size_t)nids, sizeof(*ids), cmp_uid))
				continue; /* has its own section: done above */
			if (vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = pkg}, &s) < 0)
				continue; /* the package sets nothing: the defaults apply */
		}
		vecfg_effective(cfg, id, pkg, &eff);
		r = vecfg_to_olve(&eff, ctx_mhz(c), &v[n].limits);
		if (r < 0) {
			warn("LVE %" PRIu32 ": its SPEED is a frequency but this CPU's maximum frequency "
			     "is unknown; LVEs created before lvectl apply get the default limits", id);
			continue;
		}
		v[n].reseller = vecfg_lve_reseller(cfg, id);
		v[n++].id = id;
	}
	pkg_map_free(&pm);
	r = olve_store_write_resellers(c->conf.limits_file, &d, v, n, rv, nr);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot write the limits store %s: %s%s (LVEs created from now "
		            "on may get old limits; fix the cause and run lvectl apply all)",
		            c->conf.limits_file, strerror(-r), hint(r));
	return 0;
}

int store_cfg(struct ctx *c, const struct vecfg *cfg)
{
	int r = vecfg_store(c->conf.ve_cfg, cfg);

	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot write %s: %s%s (nothing was changed)",
		            c->conf.ve_cfg, strerror(-r), hint(r));
	return compile_store(c, cfg);
}

/* ---------------------------------------------------------- validation */

/* Warn when NPROC < EP + 15 (both limited): entries would fail on fork first. */
/* The row of the effective limits in ve.cfg of LVE id with package pkg (0, NULL: the defaults). */
void effective_row(struct ctx *c, const struct vecfg *cfg, uint32_t id, const char *pkg,
                   struct row *row)
{
	struct vecfg_limits v;

	vecfg_effective(cfg, id, pkg, &v);
	row_from_vecfg(row, &v, ctx_mhz(c), ncpus_online(c));
}

void check_nproc_ep(const struct vecfg_limits *eff, const char *who)
{
	if ((eff->mask & VECFG_F_NPROC) && (eff->mask & VECFG_F_EP) && eff->nproc && eff->ep &&
	    (uint64_t)eff->nproc < (uint64_t)eff->ep + 15)
		warn("%s: NPROC %" PRIu32 " is less than EP %" PRIu32 " + 15; set --nproc=%" PRIu64
		     " or more so that entries do not fail for lack of processes",
		     who, eff->nproc, eff->ep, (uint64_t)eff->ep + 15);
	if ((eff->mask & VECFG_F_PMEM) && eff->pmem_pages && eff->pmem_pages < PMEM_WARN_PAGES)
		warn("%s: PMEM %" PRIu64 "K is very small; processes of this LVE may be killed for lack of "
		     "memory (16M is the least that runs a PHP worker)",
		     who, eff->pmem_pages * 4);
}

/* ---------------------------------------------------------- applying */

int apply_fail_note(uint32_t id, int r, const char *note)
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

int apply_fail(uint32_t id, int r)
{
	return apply_fail_note(id, r, "");
}

/* Store the effective defaults as the limits of LVEs created on entry. */
int push_defaults(struct ctx *c, const struct vecfg *cfg)
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
int apply_each(struct ctx *c, const struct vecfg *cfg, const uint32_t *ids, size_t n,
               const struct pkg_map *pm, const char *pkg, size_t *failed)
{
	int rc = 0;

	*failed = 0;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (ids[i] == 0)
			continue;
		r = vecfg_apply_one(c->h, cfg, ids[i],
		                    pkg  ? pkg
		                    : pm ? pkg_map_lookup(pm, ids[i])
		                         : NULL,
		                    ctx_mhz(c));
		olve_lve_forget(c->h, ids[i]);
		if (r < 0) {
			rc = apply_fail(ids[i], r);
			(*failed)++;
		}
	}
	return rc;
}

int apply_ids(struct ctx *c, const struct vecfg *cfg, const struct pkg_map *pm, const uint32_t *ids,
              size_t n)
{
	size_t failed;
	int rc = apply_each(c, cfg, ids, n, pm, NULL, &failed);

	if (failed && n > 1)
		fail(EXIT_RUNTIME, "%zu of %zu LVEs failed (see above)", failed, n);
	return rc;
}

/* Read LVE ids from stdin (blank-separated). */
int read_ids(uint32_t **ids, size_t *n)
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
