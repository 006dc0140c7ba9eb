/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: package commands: package-set, package-delete, package-list,
 * paneluserslimits (packages and users come from the panel's script).
 */
#include "lvectl.h"

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

int cmd_package_set(struct ctx *c, int argc, char **argv)
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

int cmd_package_delete(struct ctx *c, int argc, char **argv)
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

int cmd_package_list(struct ctx *c, int argc, char **argv)
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

int cmd_paneluserslimits(struct ctx *c, int argc, char **argv)
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
