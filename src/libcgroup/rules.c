/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules.c - cgrules.conf: the parser, the process-wide rule cache, printing,
 * and matching a task (uid, gid, process name) to a destination group.
 *
 * Syntax (cgrules.conf(5) of libcgroup), one rule per line, '#' comments:
 *     <user>[:<process>]  <controllers>  <destination>  [<options>]
 *   user: a user name, @group, '*' (anyone) or '%' (one more destination of
 *   the rule above); process: a name or absolute path; controllers: comma
 *   list or '*' (every mounted one); destination: a group name with
 *   %u %U %g %G %p %P (user, uid, group, gid, process name, pid) expanded at
 *   use; options: "ignore" (a matching task is left where it is).
 * Files: /etc/cgrules.conf, then /etc/cgrules.d/ *.conf in name order
 * (OPENLVE_CGRULES_CONF / OPENLVE_CGRULES_DIR override both, for tests and
 * chroots). Rules naming an unknown user or group are skipped with their
 * '%' lines, as libcgroup does.
 *
 * Owns: the cache (cgroup_init_rules_cache / cgroup_reload_cached_rules),
 * under a rwlock. cg_rules_parse() is pure (no NSS, no files) and fuzzed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"

#define RULES_FILE "/etc/cgrules.conf"
#define RULES_DIR "/etc/cgrules.d"
#define RULES_MAX_BYTES (4u << 20)
#define RULE_WILD ((uid_t)-2)
#define RULE_INVALID ((uid_t)-1)

static void rule_free(struct cg_rule *r)
{
	free(r->key);
	free(r->procname);
	free(r->dest);
	for (int k = 0; k < r->n_ctrl; k++)
		free(r->ctrl[k]);
}

void cg_rules_free(struct cg_rules *rs)
{
	if (!rs)
		return;
	for (int i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	*rs = (struct cg_rules){};
}

static int rules_push(struct cg_rules *rs, struct cg_rule **ret)
{
	if (rs->n >= rs->cap) {
		int cap = rs->cap ? rs->cap * 2 : 16;
		struct cg_rule *n = realloc(rs->v, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->v = n;
		rs->cap = cap;
	}
	*ret = &rs->v[rs->n++];
	**ret = (struct cg_rule){ .uid = RULE_INVALID, .gid = RULE_INVALID };
	return 0;
}

/* Split the next whitespace-separated field; NULL at end of line. */
static char *field(char **p)
{
	char *s = *p, *e;

	s += strspn(s, " \t\r");
	if (!*s)
		return NULL;
	e = s + strcspn(s, " \t\r");
	if (*e)
		*e++ = 0;
	*p = e;
	return s;
}

static int parse_line(struct cg_rules *rs, char *line, unsigned lineno)
{
	char *p = line, *key, *ctrls, *dest, *opts, *colon;
	struct cg_rule *r;
	int k;

	key = field(&p);
	if (!key)
		return 0;
	ctrls = field(&p);
	dest = field(&p);
	opts = field(&p);
	if (!ctrls || !dest || field(&p)) {
		cg_log(CGROUP_LOG_ERROR, "cgrules: line %u: expected <user> <controllers> <destination> [options]\n",
		       lineno);
		return -EINVAL;
	}
	if (key[0] == '%' && (rs->n == 0)) {
		cg_log(CGROUP_LOG_ERROR, "cgrules: line %u: '%%' without a rule above\n", lineno);
		return -EINVAL;
	}
	colon = strchr(key, ':');
	if (colon && (!colon[1] || colon == key))
		return -EINVAL;
	if (strlen(dest) > OL_NAME_MAX || strlen(key) > 4096)
		return -EINVAL;
	k = rules_push(rs, &r);
	if (k < 0)
		return k;
	r->line = lineno;
	r->cont = key[0] == '%';
	if (colon) {
		*colon = 0;
		r->procname = strdup(colon + 1);
		if (!r->procname)
			return -ENOMEM;
	}
	r->key = strdup(key);
	r->dest = strdup(dest);
	if (!r->key || !r->dest)
		return -ENOMEM;
	for (char *c = ctrls, *e; c && *c; c = e) {
		e = strchr(c, ',');
		if (e)
			*e++ = 0;
		if (!*c)
			continue;
		if (r->n_ctrl >= CG_RULE_CTRL_MAX || strlen(c) > 64)
			return -EINVAL;
		r->ctrl[r->n_ctrl] = strdup(c);
		if (!r->ctrl[r->n_ctrl])
			return -ENOMEM;
		r->n_ctrl++;
	}
	if (r->n_ctrl == 0)
		return -EINVAL;
	for (char *o = opts, *e; o && *o; o = e) {
		e = strchr(o, ',');
		if (e)
			*e++ = 0;
		if (!strcmp(o, "ignore"))
			r->ignore = true;
		else {
			cg_log(CGROUP_LOG_ERROR, "cgrules: line %u: unsupported option %s\n", lineno, o);
			return -EINVAL;
		}
	}
	return 0;
}

int cg_rules_parse(const char *text, size_t len, struct cg_rules *out, unsigned *err_line)
{
	struct cg_rules rs = {};
	unsigned lineno = 0;
	const char *p = text, *end = text + len;
	int r = 0;

	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		_cleanup_free_ char *line = NULL;
		char *hash;

		lineno++;
		if (memchr(p, 0, n)) {
			r = -EINVAL;
			break;
		}
		line = strndup(p, n);
		if (!line) {
			r = -ENOMEM;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		r = parse_line(&rs, line, lineno);
		p = nl ? nl + 1 : end;
	}
	if (r < 0) {
		cg_rules_free(&rs);
		if (err_line)
			*err_line = lineno;
		return r;
	}
	*out = rs;
	return 0;
}

/* Resolve user/group names; drop rules (and their '%' lines) naming unknown ones. */
static void rules_resolve(struct cg_rules *rs)
{
	bool skip = false;
	int w = 0;

	for (int i = 0; i < rs->n; i++) {
		struct cg_rule *r = &rs->v[i];
		bool keep = true;

		if (r->cont) {
			keep = !skip;
		} else if (!strcmp(r->key, "*")) {
			r->uid = r->gid = RULE_WILD;
		} else if (r->key[0] == '@') {
			struct group gr, *res = NULL;
			char buf[16384];

			if (getgrnam_r(r->key + 1, &gr, buf, sizeof(buf), &res) == 0 && res)
				r->gid = res->gr_gid;
			else
				keep = false;
		} else {
			struct passwd pw, *res = NULL;
			char buf[16384];

			if (getpwnam_r(r->key, &pw, buf, sizeof(buf), &res) == 0 && res)
				r->uid = res->pw_uid;
			else
				keep = false;
		}
		if (!r->cont)
			skip = !keep;
		if (!keep) {
			cg_log(CGROUP_LOG_WARNING, "cgrules: line %u: no such user or group %s, rule skipped\n",
			       r->line, r->key);
			rule_free(r);
			continue;
		}
		rs->v[w++] = *r;
	}
	rs->n = w;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the rules of one file; -ENOENT when it does not exist. */
static int load_file(int dirfd, const char *name, struct cg_rules *all)
{
	_cleanup_free_ char *text = NULL;
	struct cg_rules rs;
	unsigned line = 0;
	size_t len;
	int r;

	r = cg_read_conf_file(dirfd, name, RULES_MAX_BYTES, &text, &len);
	if (r < 0)
		return r;
	r = cg_rules_parse(text, len, &rs, &line);
	if (r < 0) {
		cg_log(CGROUP_LOG_ERROR, "cgrules: %s: parse error on line %u\n", name, line);
		return r;
	}
	for (int i = 0; i < rs.n; i++) {
		struct cg_rule *d;

		r = rules_push(all, &d);
		if (r < 0) {
			for (int k = i; k < rs.n; k++)
				rule_free(&rs.v[k]);
			free(rs.v);
			return r;
		}
		*d = rs.v[i];
	}
	free(rs.v);
	return 0;
}

/* Read every rules file. Returns 0 or an ECG* code. */
static int rules_load(struct cg_rules *out)
{
	const char *file = secure_getenv("OPENLVE_CGRULES_CONF");
	const char *dir = secure_getenv("OPENLVE_CGRULES_DIR");
	struct cg_rules all = {};
	bool any = false;
	int r;

	if (!file || !*file)
		file = RULES_FILE;
	if (!dir || !*dir)
		dir = RULES_DIR;
	r = load_file(AT_FDCWD, file, &all);
	if (r == 0)
		any = true;
	else if (r != -ENOENT)
		goto fail;
	{
		_cleanup_closedir_ DIR *d = opendir(dir);
		char **names = NULL;
		int n = 0;

		if (d) {
			struct dirent *de;

			while ((de = readdir(d))) {
				size_t l = strlen(de->d_name);
				char **nn;

				if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".conf"))
					continue;
				nn = realloc(names, sizeof(*nn) * (size_t)(n + 1));
				if (!nn) {
					r = -ENOMEM;
					goto fail_names;
				}
				names = nn;
				names[n] = strdup(de->d_name);
				if (!names[n]) {
					r = -ENOMEM;
					goto fail_names;
				}
				n++;
			}
			if (n > 1)
				qsort(names, (size_t)n, sizeof(*names), cmp_str);
			r = 0;
			for (int i = 0; i < n && r == 0; i++) {
				r = load_file(dirfd(d), names[i], &all);
				if (r == 0)
					any = true;
				else if (r == -ENOENT)
					r = 0;
			}
		fail_names:
			for (int i = 0; i < n && names; i++)
				free(names[i]);
			free(names);
			if (r < 0)
				goto fail;
		}
	}
	if (!any) {
		cg_fail_errno(-ENOENT);
		return ECGRULESPARSEFAIL;
	}
	rules_resolve(&all);
	*out = all;
	return 0;
fail:
	cg_rules_free(&all);
	if (r == -EINVAL) {
		cg_fail_errno(r);
		return ECGRULESPARSEFAIL;
	}
	return cg_fail_errno(r);
}

/* ----------------------------------------------------------------- cache */

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cg_rules cache;
static bool cache_loaded;

static int cache_reload(void)
{
	struct cg_rules rs;
	int r = rules_load(&rs);

	if (r)
		return r;
	pthread_rwlock_wrlock(&cache_lock);
	cg_rules_free(&cache);
	cache = rs;
	cache_loaded = true;
	pthread_rwlock_unlock(&cache_lock);
	return 0;
}

_public_ int cgroup_init_rules_cache(void)
{
	return cache_reload();
}

_public_ int cgroup_reload_cached_rules(void)
{
	return cache_reload();
}

static void print_id(FILE *fp, const char *what, unsigned id)
{
	if (id == RULE_WILD)
		fprintf(fp, "  %s: any\n", what);
	else if (id == RULE_INVALID)
		fprintf(fp, "  %s: N/A\n", what);
	else
		fprintf(fp, "  %s: %u\n", what, id);
}

_public_ void cgroup_print_rules_config(FILE *fp)
{
	if (!fp)
		return;
	pthread_rwlock_rdlock(&cache_lock);
	if (cache.n == 0)
		fprintf(fp, "The rules table is empty.\n\n");
	for (int i = 0; i < cache.n; i++) {
		const struct cg_rule *r = &cache.v[i];

		fprintf(fp, "Rule: %s%s%s\n", r->key, r->procname ? ":" : "",
			r->procname ? r->procname : "");
		print_id(fp, "UID", r->uid);
		print_id(fp, "GID", r->gid);
		fprintf(fp, "  DEST: %s\n", r->dest);
		fprintf(fp, "  CONTROLLERS:\n");
		for (int k = 0; k < r->n_ctrl; k++)
			fprintf(fp, "    %s\n", r->ctrl[k]);
		fprintf(fp, "  OPTIONS:\n");
		if (r->ignore)
			fprintf(fp, "    IS_IGNORE: True\n");
		fprintf(fp, "\n");
	}
	pthread_rwlock_unlock(&cache_lock);
}

/* -------------------------------------------------------------- matching */

static bool user_in_group(uid_t uid, gid_t pgid, gid_t want)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	gid_t groups[256];
	int n = (int)ELEMENTSOF(groups);

	if (pgid == want)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (getgrouplist(res->pw_name, res->pw_gid, groups, &n) < 0)
		n = (int)ELEMENTSOF(groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

static bool proc_matches(const char *want, const char *procname)
{
	const char *base;

	if (!want)
		return true;
	if (!procname)
		return false;
	if (!strcmp(want, procname))
		return true;
	/* a rule with a bare name matches the basename of a path, and vice versa */
	base = strrchr(procname, '/');
	if (base && !strchr(want, '/') && !strcmp(want, base + 1))
		return true;
	base = strrchr(want, '/');
	return base && !strchr(procname, '/') && !strncmp(base + 1, procname, 15) &&
	       strlen(procname) == 15 && strlen(base + 1) >= 15; /* comm is cut at 15 */
}

static bool rule_matches(const struct cg_rule *r, uid_t uid, gid_t gid, const char *procname)
{
	bool who = (r->uid == RULE_WILD) || (r->uid != RULE_INVALID && r->uid == uid) ||
		   (r->gid != RULE_INVALID && r->gid != RULE_WILD && user_in_group(uid, gid, r->gid));

	return who && proc_matches(r->procname, procname);
}

/* Expand %u %U %g %G %p %P %% of a destination. */
static int expand_dest(const char *tmpl, uid_t uid, gid_t gid, const char *procname, pid_t pid,
		       char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = tmpl; *p; p++) {
		char tmp[NAME_MAX + 1];
		const char *s = tmp;

		if (*p != '%' || !p[1]) {
			tmp[0] = *p;
			tmp[1] = 0;
		} else {
			p++;
			switch (*p) {
			case 'u':
			case 'g': {
				char buf[16384];
				struct passwd pw, *pr = NULL;
				struct group gr, *gres = NULL;

				if (*p == 'u' && getpwuid_r(uid, &pw, buf, sizeof(buf), &pr) == 0 && pr)
					snprintf(tmp, sizeof(tmp), "%s", pr->pw_name);
				else if (*p == 'g' && getgrgid_r(gid, &gr, buf, sizeof(buf), &gres) == 0 &&
					 gres)
					snprintf(tmp, sizeof(tmp), "%s", gres->gr_name);
				else
					snprintf(tmp, sizeof(tmp), "%u", *p == 'u' ? uid : gid);
				break;
			}
			case 'U':
				snprintf(tmp, sizeof(tmp), "%u", uid);
				break;
			case 'G':
				snprintf(tmp, sizeof(tmp), "%u", gid);
				break;
			case 'p':
				if (procname) {
					const char *b = strrchr(procname, '/');

					snprintf(tmp, sizeof(tmp), "%s", b ? b + 1 : procname);
				} else
					snprintf(tmp, sizeof(tmp), "%d", (int)pid);
				break;
			case 'P':
				snprintf(tmp, sizeof(tmp), "%d", (int)pid);
				break;
			case '%':
				s = "%";
				break;
			default:
				return -EINVAL;
			}
			/* an expanded name never adds path components */
			if (strchr(s, '/') || !strcmp(s, "..") || !strcmp(s, "."))
				return -EINVAL;
		}
		if (o + strlen(s) >= size)
			return -ENAMETOOLONG;
		memcpy(out + o, s, strlen(s));
		o += strlen(s);
	}
	out[o] = 0;
	return ol_name_check(out) < 0 ? -EINVAL : 0;
}

/* Move pid as rule r says (one destination). Returns 0 or an ECG* code. */
static int apply_one(const struct cg_rule *r, uid_t uid, gid_t gid, const char *procname, pid_t pid,
		     int flags)
{
	char dest[OL_NAME_MAX + 1];
	const char *ctrls[CG_RULE_CTRL_MAX + 1];
	int k;

	k = expand_dest(r->dest, uid, gid, procname, pid, dest, sizeof(dest));
	if (k < 0) {
		cg_fail_errno(k);
		return ECGINVAL;
	}
	for (int i = 0; i < r->n_ctrl; i++)
		ctrls[i] = r->ctrl[i];
	ctrls[r->n_ctrl] = NULL;
	/* a templated destination that does not exist yet is made from its template */
	if (strchr(r->dest, '%')) {
		k = cg_template_ensure(dest, r->dest, ctrls, flags & CGFLAG_USE_TEMPLATE_CACHE);
		if (k)
			return k;
	}
	return cgroup_change_cgroup_path(dest, pid, ctrls);
}

static int apply_from(const struct cg_rules *rs, uid_t uid, gid_t gid, const char *procname,
		      pid_t pid, int flags)
{
	for (int i = 0; i < rs->n; i++) {
		const struct cg_rule *r = &rs->v[i];
		int ret;

		if (r->cont || !rule_matches(r, uid, gid, procname))
			continue;
		if (r->ignore)
			return 0;
		ret = apply_one(r, uid, gid, procname, pid, flags);
		for (int k = i + 1; ret == 0 && k < rs->n && rs->v[k].cont; k++)
			ret = apply_one(&rs->v[k], uid, gid, procname, pid, flags);
		return ret;
	}
	return 0; /* no rule: the task stays */
}

int cg_rules_apply(uid_t uid, gid_t gid, const char *procname, pid_t pid, int flags)
{
	int r;

	if (flags & CGFLAG_USECACHE) {
		pthread_rwlock_rdlock(&cache_lock);
		if (!cache_loaded) {
			pthread_rwlock_unlock(&cache_lock);
			r = cache_reload();
			if (r)
				return r;
			pthread_rwlock_rdlock(&cache_lock);
		}
		r = apply_from(&cache, uid, gid, procname, pid, flags);
		pthread_rwlock_unlock(&cache_lock);
		return r;
	} else {
		struct cg_rules rs;

		r = rules_load(&rs);
		if (r)
			return r;
		r = apply_from(&rs, uid, gid, procname, pid, flags);
		cg_rules_free(&rs);
		return r;
	}
}
