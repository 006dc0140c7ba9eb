/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: commands that show limits: list, list-user, limits, proc-list.
 */
#include "lvectl.h"

/* `limits` without an id: the kernel's limits of every loaded LVE, after the defaults for new ones. */
static int limits_all(struct ctx *c)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct table t = {.json = c->o.json};
	struct olve_limits l;
	struct row row;
	int n, r;

	r = ctx_open(c);
	if (r)
		return r;
	n = olve_list(c->h, &ids);
	if (n < 0)
		return fail(EXIT_RUNTIME, "cannot list LVEs: %s%s", strerror(-n), hint(n));
	table_begin(&t);
	if (olve_defaults_get(c->h, &l) == 0) {
		row_from_olve(&row, &l, c->h->ncpus);
		snprintf(row.id, sizeof(row.id), "default");
		table_row(&t, &row, NULL);
	}
	for (int i = 0; i < n; i++) {
		r = olve_get_limits(c->h, ids[i], &l);
		olve_lve_forget(c->h, ids[i]);
		if (r == -ENOENT)
			continue; /* destroyed meanwhile */
		if (r < 0) {
			table_end(&t);
			return fail(EXIT_RUNTIME, "cannot read the limits of LVE %" PRIu32 ": %s%s",
			            ids[i], strerror(-r), hint(r));
		}
		row_from_olve(&row, &l, c->h->ncpus);
		snprintf(row.id, sizeof(row.id), "%" PRIu32, ids[i]);
		table_row(&t, &row, NULL);
	}
	table_end(&t);
	return 0;
}

int cmd_limits(struct ctx *c, int argc, char **argv)
{
	struct table t = {.json = c->o.json};
	struct olve_limits l;
	struct row row;
	uint32_t id;
	int r;

	if (argc == 0)
		return limits_all(c);
	if (argc != 1)
		return fail(EXIT_USAGE, "limits takes at most one argument: an LVE id or \"default\"");
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
	/* every loaded LVE too, also those running with package or default limits */
	if (!c->h && olve_open(&c->h, 0) < 0)
		c->h = NULL; /* no LVE root (nothing loaded) or not root: the configured ones */
	if (c->h) {
		_cleanup_free_ uint32_t *loaded = NULL;
		int nl = olve_list(c->h, &loaded);

		if (nl > 0) {
			uint32_t *all = malloc(((size_t)n + (size_t)nl) * sizeof(*all));
			size_t k = 0;
			int i = 0, j = 0;

			if (!all) {
				pkg_map_free(&pm);
				return fail(EXIT_RUNTIME, "out of memory");
			}
			/* both ascending: merge without duplicates */
			while (i < n || j < nl) {
				uint32_t v = j >= nl || (i < n && ids[i] <= loaded[j]) ? ids[i] : loaded[j];

				if (i < n && ids[i] == v)
					i++;
				if (j < nl && loaded[j] == v)
					j++;
				all[k++] = v;
			}
			free(ids);
			ids = all;
			n = (int)k;
		}
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

int cmd_list_cmd(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "list takes no arguments");
	return cmd_list(c, false);
}

int cmd_list_user(struct ctx *c, int argc, char **argv)
{
	if (argc != 0)
		return fail(EXIT_USAGE, "list-user takes no arguments");
	return cmd_list(c, true);
}

int cmd_proc_list(struct ctx *c, int argc, char **argv)
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
