/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mod_openlve.c - Apache 2.4 module (prefork, worker, event): every request
 * whose handler is limited runs inside the LVE of the site's owner, counted
 * against the LVE's entry-process (EP) limit; past it the client gets
 * LVEErrorCode (508) with Retry-After. Owner: the web-stack integration
 * (issue 8). The configuration language is mod_hostinglimits' where it
 * applies; what openlve does not implement is refused at config time.
 *
 * Life cycle (the documented liblve 1.x model)
 *   post_config (root parent, every (re)start): init_lve() once; the
 *   instance is released with destroy_lve() in a cleanup of the config
 *   pool, which runs before mod_so unloads the module on a graceful
 *   restart. The children (and mod_cgid's daemon, forked after
 *   post_config) inherit the instance and enter/leave per request.
 *
 * Per request (handler hook, APR_HOOK_REALLY_FIRST)
 *   The module wraps the handler: it resolves the LVE id, enters with
 *   lve_enter_flags(), runs the remaining handlers itself (ap_run_handler,
 *   with a thread-local guard so this hook declines the nested call), and
 *   leaves with lve_exit() on the same thread when the handler returns:
 *   after the response was generated, on client aborts and on errors alike
 *   (the handler always returns). A child killed with SIGKILL holds no
 *   slot: EP slots are OFD locks the kernel drops with the process.
 *   Subrequests and internal redirects inside an entered handler do not
 *   enter again. Processes forked by the handler (mod_cgi, suexec) are
 *   created inside the LVE (a child starts in its forking thread's cgroup).
 *   mod_cgid's daemon forks scripts outside any request: the handler gives
 *   the request a ticket and the daemon creates the script inside the
 *   ticket's LVE (cgid.c; mod_openlve(8)).
 *
 * LVE id of a request (LVEParseMode CONF, the default; the first that
 * gives an id wins): LVEId, LVEUser (per directory/vhost), the suexec
 * identity (SuexecUserGroup), the uid the serving process runs as when >=
 * LVEMinUid (mpm-itk AssignUserID, mod_ruid2), the owner of the virtual
 * host's DocumentRoot when >= LVEMinUid. OWNER: the owner of the requested
 * file (>= LVEMinUid). PATH: the user name captured by LVEPathRegexp from
 * the file name. No id: served outside LVEs. LVEUserGroupID On: each of
 * these users gives its group id instead (LVEUser and PATH: the user's
 * primary group; suexec: its group; the process's gid; the DocumentRoot's
 * or the file's group); LVEMinUid still applies to the user.
 *
 * LVELimitRecheckTimeout (mod_hostinglimits' meaning): after an LVE's
 * request was refused at its EP limit, its requests are answered
 * LVEErrorCode for that many milliseconds without trying to enter, so a
 * site under a request flood costs no enter attempts while its load falls.
 * The refusal times live in a small table of anonymous shared memory made
 * by the parent, so every child (prefork) and thread sees them.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Apache's headers need httpd.h first. */
#include "httpd.h"

#include "ap_regex.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_log_config.h"
#include "unixd.h"

#include <lve/lve-ctl.h>
#include <lve/openlve.h> /* [issue 11] olve_annotate */

#include "cgid.h"

#define DEFAULT_ERROR_CODE 508
#define DEFAULT_RETRY_AFTER 240
#define DEFAULT_MIN_UID 1000
#define UNSET -1
#define RECHECK_SLOTS 4096 /* LVELimitRecheckTimeout table: 64 KiB */

/* The project builds with -fvisibility=hidden: the module record Apache
 * looks up with dlsym() is the one exported name. */
extern module AP_MODULE_DECLARE_DATA openlve_module __attribute__((visibility("default")));
APLOG_USE_MODULE(openlve);

enum parse_mode { MODE_UNSET = 0, MODE_CONF, MODE_OWNER, MODE_PATH };

struct handler_pat {
	const char *name; /* exact name, or NULL */
	ap_regex_t *re;   /* %regex% */
};

struct srv_conf {
	int error_code;
	int retry_after;
	int recheck_ms;
	int use_group_id;
	int min_uid;
	int skip_errors;
	int use429;
	enum parse_mode mode;
	ap_regex_t *path_re;
	apr_array_header_t *allowed; /* struct handler_pat; NULL = defaults */
	apr_array_header_t *denied;
};

struct dir_conf {
	int64_t lve_id;  /* UNSET or an id (LVEId, LVEUser's uid) */
	int64_t user_gid; /* LVEUser's primary group (LVEUserGroupID On), else UNSET */
};

/* One LVE's last EP refusal (LVELimitRecheckTimeout): requests of `id` are
 * refused without entering until `until_ms` (CLOCK_MONOTONIC). */
struct recheck_slot {
	uint64_t until_ms;
	uint32_t id;
	uint32_t pad;
};

static struct liblve *g_lve;
static struct recheck_slot *g_recheck; /* RECHECK_SLOTS, shared by the children */
static __thread int g_in_handler;
static __thread const char *g_ticket; /* the entered request's mod_cgid ticket (cgid.c) */

/* Handlers limited when AllowedHandlers is not given. */
static const char *const default_handlers[] = { "cgi-script", "fcgid-script", "proxy-server", "%^proxy:%",
						"%^application/x-httpd-php%", "%^php%", NULL };

/* ---------------------------------------------------------------- config */

static void *create_srv(apr_pool_t *p, server_rec *s)
{
	struct srv_conf *c = apr_pcalloc(p, sizeof(*c));

	c->error_code = UNSET;
	c->retry_after = UNSET;
	c->recheck_ms = UNSET;
	c->use_group_id = UNSET;
	c->min_uid = UNSET;
	c->skip_errors = UNSET;
	c->use429 = UNSET;
	return c;
}

#define MERGE(f) m->f = (o->f != UNSET ? o->f : b->f)
static void *merge_srv(apr_pool_t *p, void *basev, void *addv)
{
	struct srv_conf *b = basev, *o = addv, *m = apr_pcalloc(p, sizeof(*m));

	MERGE(error_code);
	MERGE(retry_after);
	MERGE(recheck_ms);
	MERGE(use_group_id);
	MERGE(min_uid);
	MERGE(skip_errors);
	MERGE(use429);
	m->mode = o->mode != MODE_UNSET ? o->mode : b->mode;
	m->path_re = o->path_re ? o->path_re : b->path_re;
	m->allowed = o->allowed ? o->allowed : b->allowed;
	m->denied = o->denied ? o->denied : b->denied;
	return m;
}

static void *create_dir(apr_pool_t *p, char *dir)
{
	struct dir_conf *c = apr_pcalloc(p, sizeof(*c));

	c->lve_id = UNSET;
	c->user_gid = UNSET;
	return c;
}

static void *merge_dir(apr_pool_t *p, void *basev, void *addv)
{
	struct dir_conf *b = basev, *o = addv, *m = apr_pcalloc(p, sizeof(*m));

	if (o->lve_id != UNSET) {
		m->lve_id = o->lve_id;
		m->user_gid = o->user_gid;
	} else {
		m->lve_id = b->lve_id;
		m->user_gid = b->user_gid;
	}
	return m;
}

static struct srv_conf *srv_of(server_rec *s)
{
	return ap_get_module_config(s->module_config, &openlve_module);
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *cmd_lve_id(cmd_parms *cmd, void *dv, const char *arg)
{
	struct dir_conf *d = dv;
	long v;

	if (parse_int(arg, 1, UINT32_MAX - 1, &v) < 0)
		return apr_psprintf(cmd->pool, "LVEId: '%s' is not an LVE id (1..%u)", arg, UINT32_MAX - 1);
	d->lve_id = v;
	d->user_gid = UNSET;
	return NULL;
}

static const char *cmd_lve_user(cmd_parms *cmd, void *dv, const char *arg)
{
	struct dir_conf *d = dv;
	struct passwd *pw = getpwnam(arg);

	if (!pw)
		return apr_psprintf(cmd->pool, "LVEUser: no such user '%s'", arg);
	if (pw->pw_uid == 0)
		return "LVEUser: root has no LVE";
	d->lve_id = pw->pw_uid;
	d->user_gid = pw->pw_gid;
	return NULL;
}

static const char *cmd_error_code(cmd_parms *cmd, void *dv, const char *arg)
{
	long v;

	if (parse_int(arg, 400, 599, &v) < 0)
		return apr_psprintf(cmd->pool, "LVEErrorCode: '%s' is not an HTTP error status (400..599)", arg);
	srv_of(cmd->server)->error_code = (int)v;
	return NULL;
}

static const char *cmd_retry_after(cmd_parms *cmd, void *dv, const char *arg)
{
	long v;

	if (parse_int(arg, 0, 86400, &v) < 0)
		return apr_psprintf(cmd->pool, "LVERetryAfter: '%s' is not a number of seconds (0..86400)", arg);
	srv_of(cmd->server)->retry_after = (int)v;
	return NULL;
}

static const char *cmd_recheck(cmd_parms *cmd, void *dv, const char *arg)
{
	long v;

	if (parse_int(arg, 0, 60000, &v) < 0)
		return apr_psprintf(cmd->pool, "LVELimitRecheckTimeout: '%s' is not milliseconds (0..60000)", arg);
	srv_of(cmd->server)->recheck_ms = (int)v;
	return NULL;
}

static const char *cmd_min_uid(cmd_parms *cmd, void *dv, const char *arg)
{
	long v;

	if (parse_int(arg, 1, UINT32_MAX - 1, &v) < 0)
		return apr_psprintf(cmd->pool, "LVEMinUid: '%s' is not a uid >= 1", arg);
	srv_of(cmd->server)->min_uid = (int)v;
	return NULL;
}

static const char *cmd_group_id(cmd_parms *cmd, void *dv, int on)
{
	srv_of(cmd->server)->use_group_id = on;
	return NULL;
}

static const char *cmd_skip_errors(cmd_parms *cmd, void *dv, int on)
{
	srv_of(cmd->server)->skip_errors = on;
	return NULL;
}

static const char *cmd_use429(cmd_parms *cmd, void *dv, int on)
{
	srv_of(cmd->server)->use429 = on;
	return NULL;
}

static const char *cmd_parse_mode(cmd_parms *cmd, void *dv, const char *arg)
{
	struct srv_conf *c = srv_of(cmd->server);

	if (!strcasecmp(arg, "CONF"))
		c->mode = MODE_CONF;
	else if (!strcasecmp(arg, "OWNER"))
		c->mode = MODE_OWNER;
	else if (!strcasecmp(arg, "PATH"))
		c->mode = MODE_PATH;
	else if (!strcasecmp(arg, "REDIS"))
		return "LVEParseMode REDIS is not supported by mod_openlve (use CONF, OWNER or PATH)";
	else
		return apr_psprintf(cmd->pool, "LVEParseMode: unknown mode '%s' (CONF, OWNER or PATH)", arg);
	return NULL;
}

static const char *cmd_path_regexp(cmd_parms *cmd, void *dv, const char *arg)
{
	ap_regex_t *re = ap_pregcomp(cmd->pool, arg, AP_REG_EXTENDED);

	if (!re)
		return apr_psprintf(cmd->pool, "LVEPathRegexp: invalid regular expression '%s'", arg);
	if (re->re_nsub < 1)
		return "LVEPathRegexp: the expression needs a group capturing the user name, e.g. ^/home/([^/]+)/";
	srv_of(cmd->server)->path_re = re;
	return NULL;
}

static const char *add_handler(cmd_parms *cmd, apr_array_header_t **arr, const char *arg)
{
	struct handler_pat *h;
	size_t n = strlen(arg);

	if (!*arr)
		*arr = apr_array_make(cmd->pool, 4, sizeof(struct handler_pat));
	h = apr_array_push(*arr);
	h->name = NULL;
	h->re = NULL;
	if (n >= 2 && arg[0] == '%' && arg[n - 1] == '%') {
		const char *pat = apr_pstrndup(cmd->pool, arg + 1, n - 2);

		h->re = ap_pregcomp(cmd->pool, pat, AP_REG_EXTENDED | AP_REG_NOSUB);
		if (!h->re)
			return apr_psprintf(cmd->pool, "%s: invalid regular expression '%s'", cmd->cmd->name, pat);
	} else {
		h->name = arg;
	}
	return NULL;
}

static const char *cmd_allowed(cmd_parms *cmd, void *dv, const char *arg)
{
	return add_handler(cmd, &srv_of(cmd->server)->allowed, arg);
}

static const char *cmd_denied(cmd_parms *cmd, void *dv, const char *arg)
{
	return add_handler(cmd, &srv_of(cmd->server)->denied, arg);
}

static const char *cmd_refuse(cmd_parms *cmd, void *dv, const char *args)
{
	return apr_psprintf(cmd->pool, "%s is not supported by mod_openlve: %s", cmd->cmd->name,
			    (const char *)cmd->info);
}

static const command_rec openlve_cmds[] = {
	AP_INIT_TAKE1("LVEId", cmd_lve_id, NULL, RSRC_CONF | ACCESS_CONF, "LVE id of this vhost/directory"),
	AP_INIT_TAKE1("LVEUser", cmd_lve_user, NULL, RSRC_CONF | ACCESS_CONF,
		      "user whose uid is the LVE id of this vhost/directory"),
	AP_INIT_FLAG("LVEUserGroupID", cmd_group_id, NULL, RSRC_CONF,
		     "On: the suexec group id is the LVE id instead of the user id"),
	AP_INIT_TAKE1("LVEErrorCode", cmd_error_code, NULL, RSRC_CONF,
		      "HTTP status answered past the EP limit (default 508)"),
	AP_INIT_TAKE1("LVERetryAfter", cmd_retry_after, NULL, RSRC_CONF,
		      "Retry-After seconds sent with LVEErrorCode (default 240, 0 = none)"),
	AP_INIT_TAKE1("LVELimitRecheckTimeout", cmd_recheck, NULL, RSRC_CONF,
		      "milliseconds after an EP refusal during which the LVE's requests get LVEErrorCode "
		      "without an enter attempt (default 0)"),
	AP_INIT_FLAG("LVEUse429", cmd_use429, NULL, RSRC_CONF,
		     "On: answer 429 Too Many Requests past the EP limit instead of LVEErrorCode"),
	AP_INIT_TAKE1("LVEMinUid", cmd_min_uid, NULL, RSRC_CONF,
		      "smallest uid taken from the process or DocumentRoot owner (default 1000)"),
	AP_INIT_TAKE1("LVEParseMode", cmd_parse_mode, NULL, RSRC_CONF, "CONF (default), OWNER or PATH"),
	AP_INIT_TAKE1("LVEPathRegexp", cmd_path_regexp, NULL, RSRC_CONF,
		      "LVEParseMode PATH: regular expression capturing the user name from the file name"),
	AP_INIT_ITERATE("AllowedHandlers", cmd_allowed, NULL, RSRC_CONF,
			"handlers run inside the LVE (names, %regex%, or *)"),
	AP_INIT_ITERATE("DenyHandlers", cmd_denied, NULL, RSRC_CONF, "handlers never run inside the LVE"),
	AP_INIT_FLAG("SkipErrors", cmd_skip_errors, NULL, RSRC_CONF,
		     "On (default): start even when LVEs are not available"),
	AP_INIT_RAW_ARGS("SecureLinks", cmd_refuse,
			 (void *)"use Options SymLinksIfOwnerMatch (or -FollowSymLinks) for link protection",
			 RSRC_CONF | ACCESS_CONF, "refused"),
	AP_INIT_RAW_ARGS("LVESitesDebug", cmd_refuse, (void *)"use LogLevel openlve:debug", RSRC_CONF,
			 "refused"),
	AP_INIT_RAW_ARGS("LVERedisSocket", cmd_refuse, (void *)"LVEParseMode REDIS is not implemented",
			 RSRC_CONF, "refused"),
	AP_INIT_RAW_ARGS("LVERedisAddr", cmd_refuse, (void *)"LVEParseMode REDIS is not implemented", RSRC_CONF,
			 "refused"),
	AP_INIT_RAW_ARGS("LVERedisTimeout", cmd_refuse, (void *)"LVEParseMode REDIS is not implemented",
			 RSRC_CONF, "refused"),
	{ NULL },
};

/* ----------------------------------------------------------- per request */

static int pat_match(const apr_array_header_t *arr, const char *handler, bool *any)
{
	const struct handler_pat *p = (const void *)arr->elts;

	for (int i = 0; i < arr->nelts; i++) {
		if (p[i].name && !strcmp(p[i].name, "*")) {
			if (any)
				*any = true;
			return 1;
		}
		if (p[i].name ? !strcmp(p[i].name, handler) : ap_regexec(p[i].re, handler, 0, NULL, 0) == 0)
			return 1;
	}
	return 0;
}

static int handler_limited(const struct srv_conf *c, const char *handler)
{
	if (!handler)
		return 0;
	if (c->denied && pat_match(c->denied, handler, NULL))
		return 0;
	if (c->allowed)
		return pat_match(c->allowed, handler, NULL);
	for (int i = 0; default_handlers[i]; i++) {
		const char *d = default_handlers[i];
		size_t n = strlen(d);

		if (d[0] == '%') {
			/* "%^prefix%" */
			if (!strncmp(handler, d + 2, n - 3))
				return 1;
		} else if (!strcmp(d, handler)) {
			return 1;
		}
	}
	return 0;
}

static uint32_t id_from_path(const struct srv_conf *c, request_rec *r, bool group)
{
	ap_regmatch_t m[2];
	struct passwd pwb, *pw = NULL;
	char buf[4096];
	const char *name;

	if (!c->path_re || !r->filename || ap_regexec(c->path_re, r->filename, 2, m, 0) != 0 || m[1].rm_so < 0)
		return 0;
	name = apr_pstrndup(r->pool, r->filename + m[1].rm_so, (apr_size_t)(m[1].rm_eo - m[1].rm_so));
	if (getpwnam_r(name, &pwb, buf, sizeof(buf), &pw) != 0 || !pw || pw->pw_uid == 0)
		return 0;
	return group ? (uint32_t)pw->pw_gid : (uint32_t)pw->pw_uid;
}

/* A user found by uid (>= min_uid) gives its uid, or its gid in group mode (0: none). */
static uint32_t user_id(uint32_t uid, uint32_t gid, uint32_t min_uid, bool group)
{
	if (uid == 0 || uid < min_uid)
		return 0;
	return group ? gid : uid;
}

static uint32_t resolve_id(const struct srv_conf *c, request_rec *r)
{
	const struct dir_conf *d = ap_get_module_config(r->per_dir_config, &openlve_module);
	uint32_t min_uid = c->min_uid == UNSET ? DEFAULT_MIN_UID : (uint32_t)c->min_uid;
	bool group = c->use_group_id == 1;

	if (d && d->lve_id != UNSET)
		return group && d->user_gid != UNSET && d->user_gid != 0 ? (uint32_t)d->user_gid : (uint32_t)d->lve_id;
	if (c->mode == MODE_OWNER)
		return r->finfo.filetype != APR_NOFILE
			       ? user_id((uint32_t)r->finfo.user, (uint32_t)r->finfo.group, min_uid, group)
			       : 0;
	if (c->mode == MODE_PATH)
		return id_from_path(c, r, group);
	{
		ap_unix_identity_t *ugid = ap_run_get_suexec_identity(r);

		if (ugid) {
			uint32_t v = group ? (uint32_t)ugid->gid : (uint32_t)ugid->uid;

			if (ugid->uid != 0 && v != 0)
				return v;
		}
	}
	{
		uint32_t v = user_id((uint32_t)getuid(), (uint32_t)getgid(), min_uid, group);
		struct stat st;
		const char *root;

		if (v != 0)
			return v;
		root = ap_document_root(r);
		if (root && stat(root, &st) == 0)
			return user_id((uint32_t)st.st_uid, (uint32_t)st.st_gid, min_uid, group);
	}
	return 0;
}

static void note_id(request_rec *r, uint32_t id)
{
	const char *v = apr_psprintf(r->pool, "%u", id);

	for (request_rec *t = r; t; t = t->prev ? t->prev : t->main)
		apr_table_setn(t->notes, "openlve-lve-id", v);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * LVELimitRecheckTimeout: was LVE id refused at its EP limit less than the
 * timeout ago? The id is read before and after the deadline: a slot being
 * rewritten for another LVE meanwhile reads as "not refused" (the request
 * then simply tries to enter).
 */
static bool recheck_refused(uint32_t id)
{
	struct recheck_slot *sl;
	uint64_t until;

	if (!g_recheck)
		return false;
	sl = &g_recheck[id % RECHECK_SLOTS];
	if (__atomic_load_n(&sl->id, __ATOMIC_SEQ_CST) != id)
		return false;
	until = __atomic_load_n(&sl->until_ms, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sl->id, __ATOMIC_SEQ_CST) != id)
		return false;
	return until > mono_ms();
}

/* Remember an EP refusal of LVE id for ms milliseconds. */
static void recheck_arm(uint32_t id, int ms)
{
	struct recheck_slot *sl;

	if (!g_recheck || ms <= 0)
		return;
	sl = &g_recheck[id % RECHECK_SLOTS];
	__atomic_store_n(&sl->id, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->until_ms, mono_ms() + (uint64_t)ms, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->id, id, __ATOMIC_SEQ_CST);
}

/* The answer past the EP limit: LVEErrorCode (or 429), Retry-After. */
static int refuse(const struct srv_conf *c, request_rec *r, uint32_t id, bool entered)
{
	int code = c->use429 == 1 ? HTTP_TOO_MANY_REQUESTS : c->error_code == UNSET ? DEFAULT_ERROR_CODE : c->error_code;
	int retry = c->retry_after == UNSET ? DEFAULT_RETRY_AFTER : c->retry_after;

	if (entered)
		ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
			      "LVE %u: entry-process (EP) limit reached, answering %d (handler %s, uri %s)", id, code,
			      r->handler, r->uri);
	else
		ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
			      "LVE %u: refused at its EP limit less than LVELimitRecheckTimeout ago, answering %d "
			      "without entering (uri %s)",
			      id, code, r->uri);
	if (retry > 0)
		apr_table_setn(r->err_headers_out, "Retry-After", apr_psprintf(r->pool, "%d", retry));
	if (code == 508)
		r->status_line = "508 Resource Limit Is Reached";
	return code;
}

/* Proxied requests go to other servers: no mod_cgid ticket in their environment. */
static int is_proxy_handler(const char *h)
{
	return h && (!strncmp(h, "proxy:", 6) || !strcmp(h, "proxy-server"));
}

static int openlve_handler(request_rec *r)
{
	const struct srv_conf *c;
	struct olve_cgid_ticket ticket = { .slot = -1 };
	uint32_t id, cookie = 0;
	int rc, rv;

	if (!g_lve)
		return DECLINED;
	if (g_in_handler) {
		/* An internal redirect or subrequest of an entered request (e.g. an
		 * Action to a CGI): its scripts belong to the same LVE. Set after
		 * its fixups, so the customer's SetEnv cannot replace it. */
		if (g_ticket && !is_proxy_handler(r->handler))
			apr_table_setn(r->subprocess_env, OLVE_CGID_TICKET_VAR, g_ticket);
		return DECLINED;
	}
	c = srv_of(r->server);
	if (!handler_limited(c, r->handler))
		return DECLINED;
	id = resolve_id(c, r);
	if (id == 0)
		return DECLINED;
	note_id(r, id);
	if (c->recheck_ms > 0 && recheck_refused(id))
		return refuse(c, r, id, false);
	rc = lve_enter_flags(g_lve, id, &cookie, 0);
	if (rc == -E2BIG) {
		recheck_arm(id, c->recheck_ms);
		return refuse(c, r, id, true);
	}
	if (rc == -EPERM) {
		/* Already inside an LVE, or the LVE is disabled: served as is. */
		ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "LVE %u: not entered (%s), served outside", id,
			      strerror(-rc));
		return DECLINED;
	}
	if (rc < 0) {
		int code = c->error_code == UNSET ? DEFAULT_ERROR_CODE : c->error_code;

		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LVE %u: cannot enter: %s; answering %d", id, strerror(-rc),
			      code);
		return code;
	}
	/* [issue 11, s13] label the entry for lved's snapshots (olve_annotate(3)); -ENOENT without EP limit */
	(void)olve_annotate(cookie, apr_psprintf(r->pool, "%s %s %s", r->method, r->hostname ? r->hostname : "-",
						  r->unparsed_uri ? r->unparsed_uri : "-"));
	/* [/issue 11] */
	if (olve_cgid_active() && !is_proxy_handler(r->handler)) {
		rc = olve_cgid_issue(id, &ticket);
		if (rc < 0) {
			ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
				      "LVE %u: no free mod_cgid ticket (%s): answering 503", id, strerror(-rc));
			lve_exit(g_lve, &cookie);
			return HTTP_SERVICE_UNAVAILABLE;
		}
		g_ticket = apr_pstrdup(r->pool, ticket.text);
		apr_table_setn(r->subprocess_env, OLVE_CGID_TICKET_VAR, g_ticket);
	}
	g_in_handler = 1;
	rv = ap_run_handler(r);
	g_in_handler = 0;
	g_ticket = NULL;
	olve_cgid_revoke(&ticket);
	rc = lve_exit(g_lve, &cookie);
	if (rc < 0)
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "LVE %u: cannot leave: %s", id, strerror(-rc));
	return rv;
}

/* %{LVE_ID}y in LogFormat: the request's LVE, "-" when served outside. */
static const char *log_lve(request_rec *r, char *a)
{
	const char *v;

	if (!a || strcmp(a, "LVE_ID") != 0)
		return "-";
	v = apr_table_get(r->notes, "openlve-lve-id");
	return v ? v : "-";
}

/* -------------------------------------------------------------- life cycle */

static apr_status_t release_lve(void *unused)
{
	if (g_lve) {
		destroy_lve(g_lve);
		g_lve = NULL;
	}
	return APR_SUCCESS;
}

static apr_status_t release_recheck(void *unused)
{
	if (g_recheck) {
		munmap(g_recheck, RECHECK_SLOTS * sizeof(*g_recheck));
		g_recheck = NULL;
	}
	return APR_SUCCESS;
}

/* Does any server of the configuration use LVELimitRecheckTimeout? */
static bool recheck_used(server_rec *s)
{
	for (server_rec *v = s; v; v = v->next)
		if (srv_of(v)->recheck_ms > 0)
			return true;
	return false;
}

static int openlve_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
	APR_OPTIONAL_FN_TYPE(ap_register_log_handler) *reg = APR_RETRIEVE_OPTIONAL_FN(ap_register_log_handler);

	if (reg)
		reg(pconf, "y", log_lve, 0);
	return OK;
}

/* After the whole configuration was read (also for apache2 -t). */
static int openlve_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
	for (server_rec *v = s; v; v = v->next) {
		const struct srv_conf *vc = srv_of(v);

		if (vc->mode == MODE_PATH && !vc->path_re) {
			ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, v,
				     "mod_openlve: LVEParseMode PATH needs LVEPathRegexp");
			return HTTP_INTERNAL_SERVER_ERROR;
		}
	}
	return OK;
}

static int openlve_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
	const struct srv_conf *c = srv_of(s);

	if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
		return OK; /* the first, config-check pass: no instance yet */
	if (g_lve)
		return OK;
	errno = 0;
	g_lve = init_lve(malloc, free);
	if (!g_lve) {
		int e = errno ? errno : EIO;

		if (c->skip_errors == 0) {
			ap_log_error(APLOG_MARK, APLOG_CRIT, e, s,
				     "init_lve failed; SkipErrors Off: not starting (check openlve.conf, cgroups)");
			return HTTP_INTERNAL_SERVER_ERROR;
		}
		ap_log_error(APLOG_MARK, APLOG_ERR, e, s, "init_lve failed: requests are served without LVE limits");
		return OK;
	}
	apr_pool_cleanup_register(pconf, NULL, release_lve, apr_pool_cleanup_null);
	/* made by the parent before it forks the children, so all of them share it */
	if (recheck_used(s) && !g_recheck) {
		void *m = mmap(NULL, RECHECK_SLOTS * sizeof(*g_recheck), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
				     "openlve: no shared memory for LVELimitRecheckTimeout: every request tries to enter");
		} else {
			g_recheck = m;
			apr_pool_cleanup_register(pconf, NULL, release_recheck, apr_pool_cleanup_null);
		}
	}
	/* mod_cgid's daemon is forked by mod_cgid's post_config, after this one. */
	olve_cgid_setup(pconf, s, g_lve);
	ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "openlve: LVE instance ready (liblve API %u.%u)",
		     lve_get_api_version() >> 16, lve_get_api_version() & 0xffff);
	return OK;
}

static void openlve_register_hooks(apr_pool_t *p)
{
	ap_hook_pre_config(openlve_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_check_config(openlve_check_config, NULL, NULL, APR_HOOK_MIDDLE);
	/* Before mod_cgid's post_config forks its daemon. */
	ap_hook_post_config(openlve_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
	ap_hook_handler(openlve_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
}

module AP_MODULE_DECLARE_DATA openlve_module = {
	STANDARD20_MODULE_STUFF,
	create_dir,
	merge_dir,
	create_srv,
	merge_srv,
	openlve_cmds,
	openlve_register_hooks,
#if defined(AP_MODULE_FLAG_NONE)
	AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
