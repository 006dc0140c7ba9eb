/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: commands that change limits or LVEs: apply, apply-many, set,
 * set-user, delete, delete-user, destroy, destroy-many, limit (--enter-count), release.
 */
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "lvectl.h"

/* ----------------------------------------------------------- commands */

int cmd_apply(struct ctx *c, int argc, char **argv)
{
	_cleanup_close_ int lockfd = -1;
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
	lockfd = vecfg_lock(c->conf.ve_cfg, false, false);
	if (lockfd < 0 && lockfd != -ENOENT)
		return fail(EXIT_RUNTIME, "cannot lock %s: %s%s", c->conf.ve_cfg, strerror(-lockfd),
		            hint(lockfd));
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	if (!strcmp(argv[0], "all")) {
		struct vecfg_apply_result res;

		/* after a reboot or a copied ve.cfg: LVEs created lazily get these limits too */
		r = compile_store(c, cfg);
		if (r)
			return r;

		r = ctx_pkg_map(c, &pm);
		if (r)
			return r;
		r = ctx_open(c);
		if (!r)
			r = push_defaults(c, cfg);
		if (!r)
			r = reseller_apply_all(c, cfg); /* [issue 10] the resellers' caps first */
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

int cmd_apply_many(struct ctx *c, int argc, char **argv)
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
int need_limits(const struct ctx *c, const char *cmd)
{
	if (!c->o.set.mask && !c->o.reseller)
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

/* user: the name to record with --save-username (NULL: the uid's name, if any). */
int lvectl_set_lve(struct ctx *c, uint32_t id, const char *who, const char *user)
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
	if (c->o.reseller) {
		r = reseller_assign(c, cfg, id, who);
		if (r)
			return r;
	}
	if (c->o.save_username) {
		struct passwd *pw = user ? NULL : getpwuid((uid_t)id);
		const char *name = user ? user : pw ? pw->pw_name : NULL;

		if (!name)
			return fail(EXIT_USAGE,
			            "set %s --save-username: no user has uid %" PRIu32
			            " (nothing was changed)",
			            who, id);
		r = vecfg_set_user(cfg, id, name);
		if (r < 0)
			return fail(EXIT_RUNTIME, "set %s: cannot record the user name: %s", who,
			            strerror(-r));
	}
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

int lvectl_set_default(struct ctx *c)
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

int cmd_set(struct ctx *c, int argc, char **argv)
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
		return lvectl_set_default(c);
	if (parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "set: \"%s\" is not an LVE id (1..%u) or \"default\"",
		            argv[0], UINT32_MAX - 1);
	return lvectl_set_lve(c, id, argv[0], NULL);
}

int cmd_set_user(struct ctx *c, int argc, char **argv)
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
	return lvectl_set_lve(c, uid, argv[0], argv[0]);
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

int cmd_delete(struct ctx *c, int argc, char **argv)
{
	uint32_t id;

	if (argc != 1)
		return fail(EXIT_USAGE, "delete needs one argument: an LVE id");
	if (parse_id(argv[0], &id) < 0)
		return fail(EXIT_USAGE, "delete: \"%s\" is not an LVE id (1..%u)", argv[0],
		            UINT32_MAX - 1);
	return delete_lve(c, id);
}

int cmd_delete_user(struct ctx *c, int argc, char **argv)
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

int cmd_destroy(struct ctx *c, int argc, char **argv)
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

int cmd_destroy_many(struct ctx *c, int argc, char **argv)
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

static int parse_pid(const char *s, pid_t *pid)
{
	uint32_t v;

	if (parse_u32_opt(s, INT_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/*
 * limit --enter-count [issue 10]: the moved process counts as one entry
 * process (EP) of the LVE for as long as it runs inside it, like a request
 * a web-server module entered. The slot (spawn.c's protocol: an OFD lock
 * on one byte of the LVE's state file) is taken before the move and held by
 * a small detached child of lvectl ("lvectl-ep"), which waits on a pidfd of
 * the process and drops the slot (by exiting) when the process ends, or
 * within EP_HOLD_CHECK_MS after it left the LVE (release, another LVE).
 */
#define EP_HOLD_CHECK_MS 2000

static bool still_inside(struct ctx *c, pid_t pid, uint32_t id)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	uint32_t cur = 0;
	bool partial = false;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ol_read_full_fd(fd, 1 << 20, &text, &len) < 0)
		return false;
	if (olve_current_parse_all(c->h, text, &cur, &partial) < 0)
		return false;
	return cur == id;
}

static _Noreturn void ep_holder(struct ctx *c, int pidfd, pid_t pid, uint32_t id)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* no terminal, no caller's pipes: $(lvectl limit ...) returns at once */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	(void)setsid();
	(void)prctl(PR_SET_NAME, "lvectl-ep", 0, 0, 0);
	for (;;) {
		struct pollfd p = {pidfd, POLLIN, 0};
		int r = poll(&p, 1, EP_HOLD_CHECK_MS);

		if (r > 0 || (r < 0 && errno != EINTR))
			_exit(0); /* the process ended */
		if (r == 0 && !still_inside(c, pid, id))
			_exit(0);
	}
}

int cmd_limit(struct ctx *c, int argc, char **argv)
{
	_cleanup_close_ int pidfd = -1, slotfd = -1;
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
	if (c->o.enter_count) {
		/* the process itself, not whatever reuses its pid later */
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0 && errno == ESRCH)
			return fail(EXIT_RUNTIME, "no process %d (check the PID)", (int)pid);
		if (pidfd < 0)
			return fail(EXIT_RUNTIME, "--enter-count: cannot watch process %d: %s (needs "
			            "Linux 5.3 or later)", (int)pid, strerror(errno));
		r = olve_ep_slot_hold(c->h, id, &slotfd);
		if (r == -E2BIG)
			return fail(EXIT_RUNTIME,
			            "LVE %" PRIu32 " has reached its entry process (EP) limit; process %d "
			            "was not moved (raise --maxEntryProcs or retry later)",
			            id, (int)pid);
		if (r < 0)
			return fail(EXIT_RUNTIME, "cannot take an entry process slot of LVE %" PRIu32
			            ": %s%s", id, strerror(-r), hint(r));
	}
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
	if (slotfd >= 0) {
		pid_t holder;

		fflush(stdout);
		fflush(stderr);
		holder = fork();
		if (holder == 0)
			ep_holder(c, pidfd, pid, id);
		if (holder < 0) {
			int e = errno;

			(void)olve_leave_pid(c->h, pid);
			return fail(EXIT_RUNTIME, "--enter-count: cannot start the slot holder: %s "
			            "(process %d was moved back)", strerror(e), (int)pid);
		}
	}
	return 0;
}

int cmd_release(struct ctx *c, int argc, char **argv)
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
