/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.c - cgconfig.conf: parser, cgroup_config_load_config /
 * cgroup_config_unload_config / cgroup_unload_cgroups, the default
 * permissions, and templates (cache and cgroup_config_create_template_group).
 *
 * Syntax (cgconfig.conf(5) of libcgroup), '#' comments, tokens separated
 * by blanks, values optionally in double quotes:
 *   mount     { <controller> = <path>; ... }       (must already be mounted)
 *   namespace { <controller> = <path>; ... }       (cgroup_set_namespace)
 *   default   { perm { task {...} admin {...} } }
 *   group <name> { [perm { task { uid = ..; gid = ..; fperm = ..; }
 *                          admin { uid = ..; gid = ..; dperm = ..; fperm = ..; } }]
 *                  <controller> { [<setting> = <value>; ...] } ... }
 *   template <name> { same body as group; the name may hold %u %U %g %G %p %P }
 *   systemd   { slice = ..; scope = ..; setdefault = yes|no; pid = ..; }
 * A controller is a kernel controller or "name=X" (quoted, or written
 * without blanks around the '=').
 *
 * openlve never mounts or unmounts: a mount section is accepted when each
 * controller is already mounted (ECGMOUNTFAIL otherwise), and unloading
 * leaves mounts alone. cg_conf_parse() is pure apart from user/group name
 * lookups and is fuzzed (tests/fuzz/fuzz-cgconfig.c).
 *
 * Owns: the default permissions and the template cache (mutex).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

#define CONFIG_FILE "/etc/cgconfig.conf"
#define CONFIG_MAX_BYTES (4u << 20)
#define CONF_MAX_DEPTH 8

/* ---------------------------------------------------------------- lexer */

enum tok { T_EOF, T_WORD, T_LBRACE, T_RBRACE, T_EQ, T_SEMI, T_ERR };

struct lexer {
	const char *p, *end;
	unsigned line;
	char *word; /* T_WORD text, malloc'd */
	bool quoted;
};

static bool word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("{}=;#\"", c);
}

static enum tok lex(struct lexer *lx)
{
	free(lx->word);
	lx->word = NULL;
	lx->quoted = false;
	for (;;) {
		while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		break;
	}
	if (lx->p >= lx->end)
		return T_EOF;
	switch (*lx->p) {
	case '{':
		lx->p++;
		return T_LBRACE;
	case '}':
		lx->p++;
		return T_RBRACE;
	case '=':
		lx->p++;
		return T_EQ;
	case ';':
		lx->p++;
		return T_SEMI;
	case '"': {
		const char *s = ++lx->p;

		while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n' && *lx->p)
			lx->p++;
		if (lx->p >= lx->end || *lx->p != '"')
			return T_ERR;
		lx->word = strndup(s, (size_t)(lx->p - s));
		lx->p++;
		lx->quoted = true;
		return lx->word ? T_WORD : T_ERR;
	}
	default:
		break;
	}
	if (!*lx->p)
		return T_ERR;
	{
		const char *s = lx->p;

		while (lx->p < lx->end && word_char(*lx->p))
			lx->p++;
		/* "name=X" written without blanks is one word */
		if ((size_t)(lx->p - s) == 4 && !strncmp(s, "name", 4) && lx->p + 1 < lx->end &&
		    *lx->p == '=' && word_char(lx->p[1])) {
			lx->p++;
			while (lx->p < lx->end && word_char(*lx->p))
				lx->p++;
		}
		if (lx->p == s)
			return T_ERR;
		lx->word = strndup(s, (size_t)(lx->p - s));
		return lx->word ? T_WORD : T_ERR;
	}
}

/* ---------------------------------------------------------------- model */

void cg_conf_free(struct cg_conf *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		cgroup_free(&c->groups[i].cg);
	}
	free(c->groups);
	for (int i = 0; i < c->n_kv; i++) {
		free(c->kv[i].section);
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	free(c->kv);
	*c = (struct cg_conf){};
}

static int kv_add(struct cg_conf *c, const char *section, const char *key, const char *value)
{
	struct cg_conf_kv *n = realloc(c->kv, sizeof(*n) * (size_t)(c->n_kv + 1));

	if (!n)
		return -ENOMEM;
	c->kv = n;
	n[c->n_kv] = (struct cg_conf_kv){ .section = strdup(section), .key = strdup(key),
					  .value = strdup(value) };
	c->n_kv++;
	if (!n[c->n_kv - 1].section || !n[c->n_kv - 1].key || !n[c->n_kv - 1].value)
		return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------------- parser */

struct parser {
	struct lexer lx;
	enum tok t;
	struct cg_conf *c;
};

static void next(struct parser *ps)
{
	ps->t = lex(&ps->lx);
}

static int fail(struct parser *ps, const char *what)
{
	cg_log(CGROUP_LOG_ERROR, "cgconfig: line %u: %s\n", ps->lx.line, what);
	return -EINVAL;
}

static int expect(struct parser *ps, enum tok t, const char *what)
{
	if (ps->t != t)
		return fail(ps, what);
	next(ps);
	return 0;
}

/* key = value; ... } -> callback per pair. Consumes the closing brace. */
static int parse_pairs(struct parser *ps, int (*fn)(struct parser *, const char *, const char *, void *),
		       void *ud)
{
	while (ps->t == T_WORD) {
		_cleanup_free_ char *key = TAKE_PTR(ps->lx.word);
		_cleanup_free_ char *val = NULL;
		int r;

		next(ps);
		if (ps->t != T_EQ)
			return fail(ps, "expected '='");
		next(ps);
		if (ps->t != T_WORD)
			return fail(ps, "expected a value");
		val = TAKE_PTR(ps->lx.word);
		next(ps);
		if (ps->t != T_SEMI)
			return fail(ps, "expected ';'");
		next(ps);
		r = fn(ps, key, val, ud);
		if (r < 0)
			return r;
	}
	return expect(ps, T_RBRACE, "expected '}'");
}

static int parse_id(const char *s, bool group, unsigned *out)
{
	uint32_t v;
	char buf[16384];

	if (ol_parse_u32(s, &v) == 0) {
		*out = v;
		return 0;
	}
	if (group) {
		struct group gr, *res = NULL;

		if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) == 0 && res) {
			*out = res->gr_gid;
			return 0;
		}
	} else {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) == 0 && res) {
			*out = res->pw_uid;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_mode(const char *s, unsigned *out)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 8);
	if (errno || *e || e == s || v > 07777)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

struct perm_ctx {
	struct cg_perms *pm;
	bool task;
};

static int perm_pair(struct parser *ps, const char *k, const char *v, void *ud)
{
	struct perm_ctx *pc = ud;
	struct cg_perms *pm = pc->pm;
	unsigned x;

	if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
		if (parse_id(v, k[0] == 'g', &x) < 0)
			return fail(ps, "unknown user or group");
		if (pc->task)
			*(k[0] == 'g' ? &pm->tasks_gid : &pm->tasks_uid) = x;
		else
			*(k[0] == 'g' ? &pm->control_gid : &pm->control_uid) = x;
		return 0;
	}
	if (!strcmp(k, "fperm") || (!pc->task && !strcmp(k, "dperm"))) {
		if (parse_mode(v, &x) < 0)
			return fail(ps, "bad permission (octal)");
		if (pc->task)
			pm->task_fperm = x;
		else if (k[0] == 'f')
			pm->control_fperm = x;
		else
			pm->control_dperm = x;
		return 0;
	}
	return fail(ps, "unknown permission setting");
}

/* perm { task {...} admin {...} } after "perm" */
static int parse_perm(struct parser *ps, struct cg_perms *pm)
{
	int r = expect(ps, T_LBRACE, "expected '{' after perm");

	if (r < 0)
		return r;
	while (ps->t == T_WORD) {
		struct perm_ctx pc = { .pm = pm };

		if (!strcmp(ps->lx.word, "task"))
			pc.task = true;
		else if (strcmp(ps->lx.word, "admin"))
			return fail(ps, "expected task or admin");
		next(ps);
		r = expect(ps, T_LBRACE, "expected '{'");
		if (r < 0)
			return r;
		r = parse_pairs(ps, perm_pair, &pc);
		if (r < 0)
			return r;
	}
	return expect(ps, T_RBRACE, "expected '}'");
}

static void perms_init(struct cg_perms *pm)
{
	*pm = (struct cg_perms){ NO_UID_GID, NO_UID_GID, NO_UID_GID, NO_UID_GID,
				 NO_PERMS, NO_PERMS, NO_PERMS, false };
}

static int value_pair(struct parser *ps, const char *k, const char *v, void *ud)
{
	struct cgroup_controller *ctl = ud;
	int r;

	if (!ol_component_valid(k))
		return fail(ps, "bad setting name");
	r = cgroup_add_value_string(ctl, k, v);
	if (r == ECGVALUEEXISTS)
		return fail(ps, "setting given twice");
	if (r)
		return fail(ps, "bad setting");
	return 0;
}

/* group/template <name> { ... } after the keyword */
static int parse_group(struct parser *ps, bool tmpl)
{
	struct cg_conf *c = ps->c;
	struct cg_conf_group *g, *n;
	int r;

	if (ps->t != T_WORD)
		return fail(ps, "expected a group name");
	if (c->n_groups >= CONF_GROUPS_MAX)
		return fail(ps, "too many groups");
	n = realloc(c->groups, sizeof(*n) * (size_t)(c->n_groups + 1));
	if (!n)
		return -ENOMEM;
	c->groups = n;
	g = &c->groups[c->n_groups++];
	*g = (struct cg_conf_group){ .name = TAKE_PTR(ps->lx.word), .is_template = tmpl };
	perms_init(&g->perms);
	/* a template name keeps its %u...; checked after expansion */
	if (ol_name_check(g->name) < 0)
		return fail(ps, "bad group name");
	g->cg = cgroup_new_cgroup(g->name);
	if (!g->cg)
		return fail(ps, "bad group name");
	next(ps);
	r = expect(ps, T_LBRACE, "expected '{' after the group name");
	if (r < 0)
		return r;
	while (ps->t == T_WORD) {
		_cleanup_free_ char *name = TAKE_PTR(ps->lx.word);
		struct cgroup_controller *ctl;

		next(ps);
		if (!strcmp(name, "perm")) {
			if (g->perms.set)
				return fail(ps, "perm given twice");
			r = parse_perm(ps, &g->perms);
			if (r < 0)
				return r;
			g->perms.set = true;
			continue;
		}
		if (cgroup_get_controller(g->cg, name))
			return fail(ps, "controller given twice");
		ctl = cgroup_add_controller(g->cg, name);
		if (!ctl)
			return fail(ps, "bad controller name");
		r = expect(ps, T_LBRACE, "expected '{' after the controller");
		if (r < 0)
			return r;
		r = parse_pairs(ps, value_pair, ctl);
		if (r < 0)
			return r;
	}
	return expect(ps, T_RBRACE, "expected '}'");
}

static int section_pair(struct parser *ps, const char *k, const char *v, void *ud)
{
	return kv_add(ps->c, ud, k, v);
}

int cg_conf_parse(const char *text, size_t len, struct cg_conf *out, unsigned *err_line)
{
	struct parser ps = { .lx = { .p = text, .end = text + len, .line = 1 } };
	struct cg_conf c = {};
	int r = 0;

	perms_init(&c.defaults);
	ps.c = &c;
	if (memchr(text, 0, len))
		r = -EINVAL;
	if (r == 0)
		next(&ps);
	while (r == 0 && ps.t != T_EOF) {
		_cleanup_free_ char *kw = NULL;

		if (ps.t != T_WORD) {
			r = fail(&ps, "expected a section");
			break;
		}
		kw = TAKE_PTR(ps.lx.word);
		next(&ps);
		if (!strcmp(kw, "group") || !strcmp(kw, "template")) {
			r = parse_group(&ps, kw[0] == 't');
		} else if (!strcmp(kw, "default")) {
			r = expect(&ps, T_LBRACE, "expected '{'");
			if (r == 0 && (ps.t != T_WORD || strcmp(ps.lx.word, "perm")))
				r = fail(&ps, "expected perm");
			if (r == 0) {
				next(&ps);
				r = parse_perm(&ps, &c.defaults);
				c.defaults.set = true;
			}
			if (r == 0)
				r = expect(&ps, T_RBRACE, "expected '}'");
		} else if (!strcmp(kw, "mount") || !strcmp(kw, "namespace") || !strcmp(kw, "systemd")) {
			r = expect(&ps, T_LBRACE, "expected '{'");
			if (r == 0)
				r = parse_pairs(&ps, section_pair, kw);
		} else {
			r = fail(&ps, "unknown section");
		}
	}
	if (r == 0 && ps.t == T_ERR)
		r = -EINVAL;
	free(ps.lx.word);
	if (r < 0) {
		if (err_line)
			*err_line = ps.lx.line;
		cg_conf_free(&c);
		return r;
	}
	*out = c;
	return 0;
}

/* ---------------------------------------------------------- applying */

/*
 * A configuration file the administrator names (absolute or relative to
 * dirfd, symlinks followed like any config file), at most max bytes.
 */
int cg_read_conf_file(int dirfd, const char *path, size_t max, char **text, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return ol_read_full_fd(fd, max, text, len);
}

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cg_perms default_perms = { NO_UID_GID, NO_UID_GID, NO_UID_GID, NO_UID_GID,
					 NO_PERMS,   NO_PERMS,   NO_PERMS,   false };
static struct cg_conf tmpl_cache;
static bool tmpl_cached;

static void perms_apply(struct cgroup *cg, const struct cg_perms *pm)
{
	cgroup_set_uid_gid(cg, pm->tasks_uid, pm->tasks_gid, pm->control_uid, pm->control_gid);
	cgroup_set_permissions(cg, pm->control_dperm, pm->control_fperm, pm->task_fperm);
}

/* Read and parse a configuration file. Returns 0 or an ECG* code. */
static int conf_read(const char *pathname, struct cg_conf *out)
{
	_cleanup_free_ char *text = NULL;
	unsigned line = 0;
	size_t len;
	int r;

	if (!pathname) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = cg_read_conf_file(AT_FDCWD, pathname, CONFIG_MAX_BYTES, &text, &len);
	if (r < 0)
		return cg_fail_errno(r);
	r = cg_conf_parse(text, len, out, &line);
	if (r == -ENOMEM)
		return cg_ecg_from_errno(r);
	if (r < 0) {
		cg_log(CGROUP_LOG_ERROR, "cgconfig: %s: parse error on line %u\n", pathname, line);
		cg_fail_errno(r);
		return ECGCONFIGPARSEFAIL;
	}
	return 0;
}

/*
 * mount section: every controller must be mounted already; namespace:
 * checked as a whole first (one path per controller, known controllers),
 * then set.
 */
static int conf_sections(const struct cg_conf *c)
{
	for (int i = 0; i < c->n_kv; i++) {
		const struct cg_conf_kv *kv = &c->kv[i];

		if (!strcmp(kv->section, "mount")) {
			if (cg_hier_lookup(kv->key, NULL) < 0) {
				cg_log(CGROUP_LOG_ERROR, "cgconfig: %s is not mounted (openlve does not mount)\n",
				       kv->key);
				cg_fail_errno(-ENOENT);
				return ECGMOUNTFAIL;
			}
		} else if (!strcmp(kv->section, "namespace")) {
			for (int k = 0; k < i; k++)
				if (!strcmp(c->kv[k].section, "namespace") && !strcmp(c->kv[k].key, kv->key))
					return ECGNAMESPACEPATHS;
			if (cg_ctrl_lookup(kv->key) < 0)
				return ECGNAMESPACECONTROLLER;
		}
	}
	for (int i = 0; i < c->n_kv; i++) {
		const struct cg_conf_kv *kv = &c->kv[i];
		int r;

		if (strcmp(kv->section, "namespace"))
			continue;
		r = cgroup_set_namespace(kv->key, kv->value);
		if (r == ECGROUPSUBSYSNOTMOUNTED)
			return ECGNAMESPACECONTROLLER;
		if (r)
			return r;
	}
	return 0;
}

/* systemd section: create the scope (and make it the default when asked). */
static int conf_systemd(const struct cg_conf *c)
{
	bool any = false;
	int r;

	for (int i = 0; i < c->n_kv; i++) {
		const struct cg_conf_kv *kv = &c->kv[i];

		if (strcmp(kv->section, "systemd"))
			continue;
		r = any ? cgroup_add_systemd_opts(kv->key, kv->value)
			: cgroup_alloc_systemd_opts(kv->key, kv->value);
		if (r != 1) {
			cgroup_cleanup_systemd_opts();
			return ECGCONFIGPARSEFAIL;
		}
		any = true;
	}
	if (!any)
		return 0;
	r = cg_systemd_apply_opts();
	cgroup_cleanup_systemd_opts();
	return r;
}

_public_ int cgroup_config_load_config(const char *pathname)
{
	struct cg_conf c;
	struct cg_perms dflt;
	int r, done = 0;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	r = conf_read(pathname, &c);
	if (r)
		return r;
	r = conf_sections(&c);
	if (r == 0)
		r = conf_systemd(&c);
	pthread_mutex_lock(&conf_lock);
	dflt = default_perms;
	pthread_mutex_unlock(&conf_lock);
	if (c.defaults.set)
		dflt = c.defaults;
	for (int i = 0; r == 0 && i < c.n_groups; i++, done = i) {
		struct cg_conf_group *g = &c.groups[i];

		if (g->is_template)
			continue;
		perms_apply(g->cg, g->perms.set ? &g->perms : &dflt);
		r = cgroup_create_cgroup(g->cg, 0);
		if (r)
			cg_log(CGROUP_LOG_ERROR, "cgconfig: group %s: %s\n", g->name, cgroup_strerror(r));
	}
	if (r) {
		/* undo: remove the groups this call created, last first */
		int saved = cgroup_get_last_errno();

		for (int i = done - 1; i >= 0; i--)
			if (!c.groups[i].is_template)
				(void)cgroup_delete_cgroup_ext(c.groups[i].cg, CGFLAG_DELETE_IGNORE_MIGRATION);
		cg_fail_errno(saved);
	}
	cg_conf_free(&c);
	return r;
}

static int cmp_group_desc(const void *a, const void *b)
{
	const struct cg_conf_group *x = a, *y = b;

	return strcmp(y->name, x->name); /* "a/b" before "a": children first */
}

_public_ int cgroup_config_unload_config(const char *pathname, int flags)
{
	struct cg_conf c;
	int r, ret = 0;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	r = conf_read(pathname, &c);
	if (r)
		return r;
	r = conf_sections(&c);
	if (r) {
		cg_conf_free(&c);
		return r;
	}
	if (c.n_groups > 1)
		qsort(c.groups, (size_t)c.n_groups, sizeof(*c.groups), cmp_group_desc);
	for (int i = 0; i < c.n_groups; i++) {
		if (c.groups[i].is_template)
			continue;
		r = cgroup_delete_cgroup_ext(c.groups[i].cg, flags);
		if (r == ECGOTHER && cgroup_get_last_errno() == ENOENT)
			continue; /* already gone */
		if (r && !ret)
			ret = r;
	}
	cg_conf_free(&c);
	return ret;
}

_public_ int cgroup_unload_cgroups(void)
{
	const struct cg_sys *sys = cg_sys_get();
	int ret = 0;

	if (!sys)
		return ECGROUPNOTINITIALIZED;
	/*
	 * Every group below the (namespace) root of every hierarchy that has
	 * controllers. Named v1 hierarchies (name=systemd: systemd's own
	 * bookkeeping) are left alone, and nothing is unmounted.
	 */
	for (int m = 0; m < sys->n_mounts; m++) {
		struct cgroup *cg;
		int ctrl = -1, r;

		if (!sys->mounts[m].ctrls)
			continue;
		for (int c = 0; c < CG_CTRL_COUNT && ctrl < 0; c++)
			if (sys->ctrl_mount[c] == m)
				ctrl = c;
		if (ctrl < 0)
			continue;
		cg = cgroup_new_cgroup("/");
		if (!cg || !cgroup_add_controller(cg, cg_ctrl_name(ctrl))) {
			cgroup_free(&cg);
			return cg_ecg_from_errno(-ENOMEM);
		}
		r = cgroup_delete_cgroup_ext(cg, CGFLAG_DELETE_RECURSIVE | CGFLAG_DELETE_IGNORE_MIGRATION);
		cgroup_free(&cg);
		if (r && !(r == ECGOTHER && cgroup_get_last_errno() == ENOENT) && !ret)
			ret = r;
	}
	return ret;
}

_public_ int cgroup_config_set_default(struct cgroup *new_default)
{
	if (!new_default)
		return ECGINVAL;
	pthread_mutex_lock(&conf_lock);
	default_perms = (struct cg_perms){
		.tasks_uid = new_default->tasks_uid,
		.tasks_gid = new_default->tasks_gid,
		.control_uid = new_default->control_uid,
		.control_gid = new_default->control_gid,
		.control_dperm = new_default->control_dperm,
		.control_fperm = new_default->control_fperm,
		.task_fperm = new_default->task_fperm,
		.set = true,
	};
	pthread_mutex_unlock(&conf_lock);
	return 0;
}

/* ------------------------------------------------------------ templates */

static int templates_load(const char *pathname)
{
	struct cg_conf c;
	int r;

	r = conf_read(pathname, &c);
	if (r)
		return r;
	pthread_mutex_lock(&conf_lock);
	cg_conf_free(&tmpl_cache);
	tmpl_cache = c;
	tmpl_cached = true;
	pthread_mutex_unlock(&conf_lock);
	return 0;
}

_public_ int cgroup_init_templates_cache(char *pathname)
{
	return templates_load(pathname);
}

_public_ int cgroup_reload_cached_templates(char *pathname)
{
	return templates_load(pathname);
}

static const char *default_config(void)
{
	const char *p = secure_getenv("OPENLVE_CGCONFIG_CONF");

	return p && *p ? p : CONFIG_FILE;
}

/* Create cgroup->name for each of its controllers from template t (may be NULL). */
static int create_from(struct cgroup *want, const struct cg_conf_group *t)
{
	struct cgroup *cg;
	int r = 0;

	if (want->index <= 0) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	cg = cgroup_new_cgroup(want->name);
	if (!cg)
		return ECGINVAL;
	for (int i = 0; i < want->index && r == 0; i++) {
		const char *name = want->controller[i]->name;
		struct cgroup_controller *src = t ? cgroup_get_controller(t->cg, name) : NULL;
		struct cgroup_controller *dst = cgroup_add_controller(cg, name);

		if (!dst) {
			r = ECGINVAL;
			break;
		}
		for (int k = 0; src && k < src->n_values && r == 0; k++)
			r = cgroup_add_value_string(dst, src->values[k].name, src->values[k].value);
	}
	if (r == 0) {
		if (t && t->perms.set)
			perms_apply(cg, &t->perms);
		else {
			cgroup_set_uid_gid(cg, want->tasks_uid, want->tasks_gid, want->control_uid,
					   want->control_gid);
			cgroup_set_permissions(cg, want->control_dperm, want->control_fperm,
					       want->task_fperm);
		}
		r = cgroup_create_cgroup(cg, 0);
	}
	cgroup_free(&cg);
	return r;
}

_public_ int cgroup_config_create_template_group(struct cgroup *cgroup, char *template_name,
						 int flags)
{
	struct cg_conf fresh = {};
	const struct cg_conf *c = NULL;
	const struct cg_conf_group *t = NULL;
	int r;

	if (!cg_sys_get())
		return ECGROUPNOTINITIALIZED;
	if (!cgroup || !template_name) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	if (flags & CGFLAG_USE_TEMPLATE_CACHE) {
		pthread_mutex_lock(&conf_lock);
		if (!tmpl_cached) {
			pthread_mutex_unlock(&conf_lock);
			r = templates_load((char *)default_config());
			if (r && r != ECGOTHER)
				return r;
			pthread_mutex_lock(&conf_lock);
		}
		c = &tmpl_cache;
	} else {
		r = conf_read(default_config(), &fresh);
		if (r == 0)
			c = &fresh;
		else if (!(r == ECGOTHER && cgroup_get_last_errno() == ENOENT))
			return r;
	}
	for (int i = 0; c && i < c->n_groups && !t; i++)
		if (c->groups[i].is_template && !strcmp(c->groups[i].name, template_name))
			t = &c->groups[i];
	/* no such template: the group is created plainly (libcgroup) */
	r = create_from(cgroup, t);
	if (flags & CGFLAG_USE_TEMPLATE_CACHE)
		pthread_mutex_unlock(&conf_lock);
	cg_conf_free(&fresh);
	return r;
}

int cg_template_ensure(const char *name, const char *tmpl, const char *const *ctrls, bool use_cache)
{
	struct cgroup *cg = cgroup_new_cgroup(name);
	bool missing = false;
	int r = 0;

	if (!cg) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	for (int i = 0; ctrls[i] && r == 0; i++) {
		if (!strcmp(ctrls[i], "*"))
			r = cgroup_add_all_controllers(cg);
		else if (!cgroup_get_controller(cg, ctrls[i]) && !cgroup_add_controller(cg, ctrls[i]))
			r = ECGINVAL;
	}
	for (int i = 0; r == 0 && i < cg->index && !missing; i++) {
		struct cg_root root;
		int fd;

		r = cg_root_lookup(cg->controller[i]->name, &root);
		if (r)
			break;
		fd = cg_group_open(&root, name, OL_OPEN_PATH);
		if (fd == -ECGROUPNOTEXIST)
			missing = true;
		else if (fd < 0)
			r = -fd;
		else
			close(fd);
	}
	if (r == 0 && missing)
		r = cgroup_config_create_template_group(cg, (char *)tmpl,
							use_cache ? CGFLAG_USE_TEMPLATE_CACHE : 0);
	cgroup_free(&cg);
	return r;
}
