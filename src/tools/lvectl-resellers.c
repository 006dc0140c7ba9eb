/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl-resellers.c - reseller limits: set-reseller, set-reseller-default,
 * remove-reseller, list-reseller, and the --reseller option of set/set-user.
 *
 * Model (ve.cfg(5), lvectl(8)): <reseller id="R" user="NAME"> holds the
 * reseller's total, <resellerdefaults id="R"> its customers' defaults, and
 * <lve id="C" reseller="R"> makes C a customer of R. liblve creates a
 * customer's groups inside the reseller's group "lvp<R>" (lve.c), which
 * carries R's caps: the kernel enforces the customers' sum (cgroup
 * hierarchy, v1 and v2). Customers keep their LVE ids.
 *
 * Membership changes reach the kernel when the customer's LVE is created:
 * changing the reseller of a running LVE is refused (its processes would
 * have to be moved between groups); so is moving a customer straight from
 * one reseller to another, and putting a reseller's own account into
 * another reseller (one level of nesting).
 */
#include "lvectl.h"

/* An id, or NAME (a user: its uid, user_arg). */
static int reseller_arg(const char *s, uint32_t *rid, const char **user)
{
	int r;

	*user = NULL;
	if (parse_id(s, rid) == 0)
		return 0;
	r = user_arg(s, "reseller limits", rid);
	if (r == 0)
		*user = s;
	return r;
}

static bool reseller_exists(const struct vecfg *cfg, uint32_t rid)
{
	struct vecfg_limits l;

	return vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = rid}, &l) == 0;
}

static int unknown_reseller(const char *arg)
{
	return fail(EXIT_USAGE, "unknown reseller \"%s\": it has no reseller limits (create them with "
	                        "lvectl set-reseller %s)",
	            arg, arg);
}

void reseller_effective(const struct vecfg *cfg, uint32_t rid, struct vecfg_limits *out)
{
	struct vecfg_limits l, s;

	vecfg_effective(cfg, 0, NULL, &l);
	if (vecfg_get(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = rid}, &s) == 0)
		vecfg_limits_merge(&l, &s);
	*out = l;
}

/* Ids of the <lve> sections naming reseller rid. */
static int customers_of(const struct vecfg *cfg, uint32_t rid, uint32_t **out)
{
	_cleanup_free_ uint32_t *ids = NULL;
	int n = vecfg_lve_ids(cfg, &ids), k = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (vecfg_lve_reseller(cfg, ids[i]) == rid)
			ids[k++] = ids[i];
	*out = TAKE_PTR(ids);
	return k;
}

int reseller_assign(struct ctx *c, struct vecfg *cfg, uint32_t id, const char *who)
{
	const char *arg = c->o.reseller, *user;
	char where[OLVE_RELPATH_MAX];
	uint32_t cur = vecfg_lve_reseller(cfg, id), want = 0, at;
	int r, running;

	if (strcmp(arg, "none") && strcmp(arg, "")) {
		r = reseller_arg(arg, &want, &user);
		if (r)
			return r;
		if (!reseller_exists(cfg, want))
			return unknown_reseller(arg);
	}
	if (want && want != id && reseller_exists(cfg, id))
		return fail(EXIT_USAGE,
		            "set %s --reseller=%s: %" PRIu32 " is itself a reseller; its own account can "
		            "only belong to its own group (--reseller=%" PRIu32 "); resellers do not nest "
		            "(nothing was changed)",
		            who, arg, id, id);
	if (cur && want && cur != want)
		return fail(EXIT_USAGE,
		            "set %s --reseller=%s: LVE %" PRIu32 " is a customer of reseller %" PRIu32
		            "; a customer does not move between resellers directly: run lvectl set %s "
		            "--reseller=none first (nothing was changed)",
		            who, arg, id, cur, who);
	if (cur == want)
		return 0;
	r = ctx_open(c);
	if (r)
		return r;
	running = olve_lve_relpath(c->h, id, where, &at);
	if (running < 0)
		return fail(EXIT_RUNTIME, "cannot look up LVE %" PRIu32 ": %s", id, strerror(-running));
	if (running && (!!strchr(where, '/')) != (want != 0))
		return fail(EXIT_RUNTIME,
		            "set %s --reseller=%s: LVE %" PRIu32 " is running %s; its reseller changes when "
		            "it is created again: run lvectl destroy %" PRIu32 " first (this ends its "
		            "processes), then set it again (nothing was changed)",
		            who, arg, id, strchr(where, '/') ? "inside its reseller's group" : "outside any reseller",
		            id);
	r = vecfg_set_lve_reseller(cfg, id, want);
	if (r < 0)
		return fail(EXIT_RUNTIME, "set %s: cannot record the reseller: %s", who, strerror(-r));
	return 0;
}

/* set-reseller and set-reseller-default: save the section, apply it. */
static int set_reseller_section(struct ctx *c, int argc, char **argv, enum vecfg_kind kind)
{
	const char *cmd = kind == VECFG_RESELLER ? "set-reseller" : "set-reseller-default";
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ uint32_t *cust = NULL;
	struct vecfg_limits eff;
	struct olve_limits lim;
	const char *user;
	uint32_t rid;
	int r, n;

	if (argc != 1)
		return fail(EXIT_USAGE, "%s needs one argument: the reseller (user name or id)", cmd);
	if (kind == VECFG_RESELLER_DEFAULTS && !c->o.set.mask)
		return need_limits(c, cmd);
	r = reseller_arg(argv[0], &rid, &user);
	if (r)
		return r;
	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	if (kind == VECFG_RESELLER_DEFAULTS && !reseller_exists(cfg, rid))
		return unknown_reseller(argv[0]);
	if (kind == VECFG_RESELLER && vecfg_lve_reseller(cfg, rid) &&
	    vecfg_lve_reseller(cfg, rid) != rid)
		return fail(EXIT_USAGE,
		            "%s %s: LVE %" PRIu32 " is a customer of reseller %" PRIu32
		            "; resellers do not nest: run lvectl set %" PRIu32
		            " --reseller=none first (nothing was changed)",
		            cmd, argv[0], rid, vecfg_lve_reseller(cfg, rid), rid);
	r = vecfg_set(cfg, &(struct vecfg_key){.kind = kind, .id = rid}, &c->o.set);
	if (r < 0)
		return fail(EXIT_USAGE, "%s %s: %s (nothing was changed)", cmd, argv[0], strerror(-r));
	if (kind == VECFG_RESELLER) {
		struct passwd *pw = user ? NULL : getpwuid((uid_t)rid);
		const char *name = user ? user : pw ? pw->pw_name : NULL;

		if (name && vecfg_set_reseller_user(cfg, rid, name) < 0)
			return fail(EXIT_RUNTIME, "%s %s: cannot record the user name", cmd, argv[0]);
	}
	reseller_effective(cfg, rid, &eff);
	check_nproc_ep(&eff, argv[0]);
	r = store_cfg(c, cfg);
	if (r)
		return r;
	r = ctx_open(c);
	if (r)
		return r;
	if (kind == VECFG_RESELLER) {
		r = vecfg_to_olve(&eff, ctx_mhz(c), &lim);
		if (r < 0)
			return fail(EXIT_RUNTIME, "%s %s: %s (saved to %s)", cmd, argv[0], strerror(-r),
			            c->conf.ve_cfg);
		r = olve_reseller_apply(c->h, rid, &lim);
		if (r < 0)
			return fail(EXIT_RUNTIME,
			            "%s %s: the kernel refused the reseller's limits: %s%s (saved to %s; "
			            "run lvectl apply all after fixing the cause)",
			            cmd, argv[0], strerror(-r), hint(r), c->conf.ve_cfg);
		/*
		 * running customers get their own limits again: on cgroup v1 a
		 * customer's CPU quota is held at most at its reseller's (the kernel
		 * refuses more), so a raised cap gives them back what they were set to
		 */
		n = customers_of(cfg, rid, &cust);
		if (n > 0) {
			int k = 0;

			for (int i = 0; i < n; i++) {
				char where[OLVE_RELPATH_MAX];
				uint32_t at;

				if (olve_lve_relpath(c->h, cust[i], where, &at) == 1)
					cust[k++] = cust[i];
			}
			n = k;
		}
		return n > 0 ? apply_ids(c, cfg, NULL, cust, (size_t)n) : 0;
	}
	/* the customers' defaults changed: apply to the running customers */
	n = customers_of(cfg, rid, &cust);
	if (n < 0)
		return fail(EXIT_RUNTIME, "cannot list the customers of %s: %s", argv[0], strerror(-n));
	return n ? apply_ids(c, cfg, NULL, cust, (size_t)n) : 0;
}

int reseller_apply_all(struct ctx *c, const struct vecfg *cfg)
{
	_cleanup_free_ uint32_t *rids = NULL;
	int n = vecfg_reseller_ids(cfg, &rids);

	if (n < 0)
		return fail(EXIT_RUNTIME, "cannot list the resellers of %s: %s", c->conf.ve_cfg, strerror(-n));
	for (int i = 0; i < n; i++) {
		struct vecfg_limits eff;
		struct olve_limits lim;
		int r;

		reseller_effective(cfg, rids[i], &eff);
		r = vecfg_to_olve(&eff, ctx_mhz(c), &lim);
		if (r >= 0)
			r = olve_reseller_apply(c->h, rids[i], &lim);
		if (r < 0)
			return fail(EXIT_RUNTIME, "cannot apply the limits of reseller %" PRIu32 ": %s%s", rids[i],
			            strerror(-r), hint(r));
	}
	return 0;
}

int cmd_set_reseller(struct ctx *c, int argc, char **argv)
{
	return set_reseller_section(c, argc, argv, VECFG_RESELLER);
}

int cmd_set_reseller_default(struct ctx *c, int argc, char **argv)
{
	return set_reseller_section(c, argc, argv, VECFG_RESELLER_DEFAULTS);
}

int cmd_remove_reseller(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_close_ int lockfd = -1;
	_cleanup_free_ uint32_t *cust = NULL;
	struct olve_limits unl;
	const char *user;
	uint32_t rid;
	int r, n;

	if (argc != 1)
		return fail(EXIT_USAGE, "remove-reseller needs one argument: the reseller (user name or id)");
	r = reseller_arg(argv[0], &rid, &user);
	if (r)
		return r;
	r = lock_and_load(c, &lockfd, &cfg);
	if (r)
		return r;
	if (!reseller_exists(cfg, rid))
		return unknown_reseller(argv[0]);
	n = customers_of(cfg, rid, &cust);
	if (n < 0)
		return fail(EXIT_RUNTIME, "cannot list the customers of %s: %s", argv[0], strerror(-n));
	for (int i = 0; i < n; i++) {
		r = vecfg_set_lve_reseller(cfg, cust[i], 0);
		if (r < 0)
			return fail(EXIT_RUNTIME, "remove-reseller %s: %s (nothing was changed)", argv[0],
			            strerror(-r));
	}
	(void)vecfg_delete(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER_DEFAULTS, .id = rid});
	r = vecfg_delete(cfg, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = rid});
	if (r < 0)
		return fail(EXIT_RUNTIME, "remove-reseller %s: %s (nothing was changed)", argv[0], strerror(-r));
	r = store_cfg(c, cfg);
	if (r)
		return r;
	r = ctx_open(c);
	if (r)
		return r;
	r = olve_reseller_remove(c->h, rid);
	if (r == 0 || r == -ENOENT)
		goto reapply;
	if (r != -ENOTEMPTY)
		return fail(EXIT_RUNTIME, "remove-reseller %s: cannot remove its group: %s%s", argv[0],
		            strerror(-r), hint(r));
	/* customers still run inside: lift the caps; they leave the group when created again */
	unl = (struct olve_limits){ .mask = OLVE_L_SPEED | OLVE_L_PMEM | OLVE_L_IO | OLVE_L_IOPS | OLVE_L_NPROC };
	r = olve_reseller_apply(c->h, rid, &unl);
	if (r < 0)
		return fail(EXIT_RUNTIME, "remove-reseller %s: cannot lift the group's limits: %s%s", argv[0],
		            strerror(-r), hint(r));
	fprintf(stderr,
	        "%s: remove-reseller %s: its running customers keep running in its group (now without "
	        "limits of its own) until they are destroyed and created again\n",
	        lvectl_prog, argv[0]);
reapply:
	/* the customers' defaults are the hoster's again */
	return n ? apply_ids(c, cfg, NULL, cust, (size_t)n) : 0;
}

int cmd_list_reseller(struct ctx *c, int argc, char **argv)
{
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ uint32_t *rids = NULL;
	struct table t = {.json = c->o.json, .extra_name = "USER"};
	int r, n;

	(void)argv;
	if (argc > 0)
		return fail(EXIT_USAGE, "list-reseller takes no argument");
	r = load_cfg(c, &cfg);
	if (r)
		return r;
	n = vecfg_reseller_ids(cfg, &rids);
	if (n < 0)
		return fail(EXIT_RUNTIME, "cannot list the resellers: %s", strerror(-n));
	table_begin(&t);
	for (int i = 0; i < n; i++) {
		struct vecfg_limits eff;
		struct row row;

		reseller_effective(cfg, rids[i], &eff);
		row_from_vecfg(&row, &eff, ctx_mhz(c), ncpus_online(c));
		snprintf(row.id, sizeof(row.id), "%" PRIu32, rids[i]);
		if (c->o.bytes) {
			snprintf(row.pmem, sizeof(row.pmem), "%" PRIu64, eff.pmem_pages * 4096);
			snprintf(row.vmem, sizeof(row.vmem), "%" PRIu64, eff.mem_pages * 4096);
		}
		table_row(&t, &row, vecfg_reseller_user(cfg, rids[i]));
	}
	table_end(&t);
	return 0;
}
