/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_lve.so - put a user's login session into the user's LVE (id = uid).
 *
 *   session required pam_lve.so [MIN_UID [CAGEFS_FLAG [GROUP[,GROUP...]]]]
 *
 * Positional arguments as CloudLinux's module takes them
 * (`session required pam_lve.so 500 1 wheel` or `... 500 1 wheel,admins`):
 *   MIN_UID         users with a smaller uid are left alone (default 500);
 *                   root (uid 0) is always left alone: there is no LVE 0
 *   CAGEFS_FLAG     0 or 1; accepted for compatibility, openlve has no CageFS
 *   GROUP,...       excluded groups, comma-separated (up to 64): members of
 *                   any of them (primary or supplementary, getgrouplist) are
 *                   left alone; a group that does not exist excludes nobody.
 *                   An empty name ("wheel,", "a,,b") is a bad argument.
 * The user checked is PAM_USER, the account the session is opened for (for
 * su/sudo: the target account).
 * open_session moves the calling process - the PAM application's session
 * process, e.g. sshd's privileged session child or crond's job process,
 * with all its threads - into LVE uid (olve_enter_pid(getpid())), creating
 * the LVE with the default limits when needed. Everything the session
 * starts afterwards is created inside. The session is NOT counted against
 * the LVE's EP limit (EP counts web entries; a login must not be refused
 * because the site is busy). A disabled LVE (lvectl / OLVE_F_DISABLED)
 * leaves the session outside any LVE, with a notice in the log.
 * close_session does nothing: the session's processes end inside the LVE.
 * Errors: bad arguments -> PAM_SERVICE_ERR; unknown user, openlve not
 * available, the move failed -> PAM_SESSION_ERR; each with one pam_syslog
 * line. The liblve configuration comes from openlve.conf (OPENLVE_CONF in
 * the application's environment, unless it runs setuid).
 */
#define PAM_SM_SESSION
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lve/openlve.h"
#include "macro.h"

#define DEFAULT_MIN_UID 500
#define BUF_MAX (1024 * 1024)
#define GROUPS_MAX 65536
#define EXCLUDED_MAX 64
#define GROUP_NAME_MAX 255

struct lve_args {
	uint32_t min_uid;
	int cagefs;
	const char *excluded; /* comma-separated group names; NULL: none */
};

/* Check a GROUP[,GROUP...] argument: 1..EXCLUDED_MAX non-empty names without ':' or blanks. */
static bool groups_arg_valid(const char *s)
{
	size_t n = 0;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (len == 0 || len > GROUP_NAME_MAX || ++n > EXCLUDED_MAX)
			return false;
		for (size_t i = 0; i < len; i++)
			if (s[i] == ':' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
				return false;
		if (!s[len])
			return true;
		s += len + 1;
	}
}

/* Decimal without sign, 0..UINT32_MAX. */
static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(pam_handle_t *pamh, int argc, const char **argv, struct lve_args *a)
{
	a->min_uid = DEFAULT_MIN_UID;
	a->cagefs = 0;
	a->excluded = NULL;
	if (argc > 3) {
		pam_syslog(pamh, LOG_ERR,
			   "too many arguments (%d); usage: pam_lve.so [MIN_UID [CAGEFS_FLAG [GROUP[,GROUP...]]]]",
			   argc);
		return -EINVAL;
	}
	if (argc >= 1 && parse_u32(argv[0], &a->min_uid) < 0) {
		pam_syslog(pamh, LOG_ERR, "bad MIN_UID argument '%s' (expected 0..4294967295)", argv[0]);
		return -EINVAL;
	}
	if (argc >= 2) {
		if (strcmp(argv[1], "0") && strcmp(argv[1], "1")) {
			pam_syslog(pamh, LOG_ERR, "bad CAGEFS_FLAG argument '%s' (expected 0 or 1)", argv[1]);
			return -EINVAL;
		}
		a->cagefs = argv[1][0] == '1';
	}
	if (argc >= 3) {
		if (!groups_arg_valid(argv[2])) {
			pam_syslog(pamh, LOG_ERR,
				   "bad excluded groups argument '%s' (expected GROUP[,GROUP...], at most %d names)",
				   argv[2], EXCLUDED_MAX);
			return -EINVAL;
		}
		a->excluded = argv[2];
	}
	return 0;
}

/*
 * User `name` (getpwnam_r: *uid and its primary group *gid) or, with group,
 * group `name` (getgrnam_r: its *gid; uid unused), with a growing buffer:
 * 0, -ENOENT, or -errno.
 */
static int lookup_name(const char *name, bool group, uid_t *uid, gid_t *gid)
{
	long hint = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 4096;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct passwd pw, *pwres = NULL;
		struct group gr, *grres = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		if (group)
			r = getgrnam_r(name, &gr, buf, size, &grres);
		else
			r = getpwnam_r(name, &pw, buf, size, &pwres);
		if (r == ERANGE && size < BUF_MAX) {
			size *= 2;
			continue;
		}
		if (r != 0)
			return -r;
		if (group ? !grres : !pwres)
			return -ENOENT;
		if (group) {
			*gid = gr.gr_gid;
		} else {
			*uid = pw.pw_uid;
			*gid = pw.pw_gid;
		}
		return 0;
	}
}

/* Is `user` (primary group pgid) a member of gid? 1, 0 or -errno. */
static int user_in_group(const char *user, gid_t pgid, gid_t gid)
{
	int n = 32;

	if (pgid == gid)
		return 1;
	for (;;) {
		_cleanup_free_ gid_t *list = calloc((size_t)n, sizeof(gid_t));
		int got = n;

		if (!list)
			return -ENOMEM;
		if (getgrouplist(user, pgid, list, &got) < 0) {
			if (got > n && got <= GROUPS_MAX) {
				n = got;
				continue;
			}
			if (n >= GROUPS_MAX)
				return -E2BIG;
			n *= 2;
			continue;
		}
		for (int i = 0; i < got; i++)
			if (list[i] == gid)
				return 1;
		return 0;
	}
}

/*
 * Is `user` (primary group pgid) a member of one of the comma-separated
 * groups `list` (validated by groups_arg_valid)? 1, 0, or -errno (logged).
 */
static int user_excluded(pam_handle_t *pamh, const char *user, gid_t pgid, const char *list)
{
	char name[GROUP_NAME_MAX + 1];

	for (const char *s = list;;) {
		size_t len = strcspn(s, ",");
		gid_t xgid = 0;
		int r;

		memcpy(name, s, len);
		name[len] = 0;
		r = lookup_name(name, true, NULL, &xgid);
		if (r == 0) {
			r = user_in_group(user, pgid, xgid);
			if (r < 0) {
				pam_syslog(pamh, LOG_ERR, "cannot read the groups of user '%s': %s", user,
					   strerror(-r));
				return r;
			}
			if (r > 0)
				return 1;
		} else if (r != -ENOENT) {
			pam_syslog(pamh, LOG_ERR, "cannot look up group '%s': %s", name, strerror(-r));
			return r;
		}
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

_public_ int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct lve_args a;
	const char *user = NULL;
	struct olve *h = NULL;
	uint32_t fl = 0;
	uid_t uid = 0;
	gid_t pgid = 0;
	int r;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) < 0)
		return PAM_SERVICE_ERR;
	r = pam_get_user(pamh, &user, NULL);
	if (r != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user: %s", pam_strerror(pamh, r));
		return PAM_SESSION_ERR;
	}
	r = lookup_name(user, false, &uid, &pgid);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot look up user '%s': %s", user,
			   r == -ENOENT ? "no such user" : strerror(-r));
		return PAM_SESSION_ERR;
	}
	if (uid == 0 || (uint32_t)uid < a.min_uid)
		return PAM_SUCCESS;
	if (a.excluded) {
		r = user_excluded(pamh, user, pgid, a.excluded);
		if (r < 0)
			return PAM_SESSION_ERR;
		if (r > 0)
			return PAM_SUCCESS;
	}

	r = olve_open(&h, 0);
	if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot open openlve: %s", strerror(-r));
		return PAM_SESSION_ERR;
	}
	r = olve_enter_pid(h, (uint32_t)uid, getpid());
	if (r == -EPERM && olve_get_flags(h, (uint32_t)uid, &fl) == 0 && (fl & OLVE_F_DISABLED)) {
		pam_syslog(pamh, LOG_NOTICE, "LVE %u of user '%s' is disabled: session not limited", (unsigned)uid,
			   user);
		r = 0;
	} else if (r < 0) {
		pam_syslog(pamh, LOG_ERR, "cannot move session process %d of user '%s' into LVE %u: %s",
			   (int)getpid(), user, (unsigned)uid, strerror(-r));
	}
	olve_close(h);
	return r < 0 ? PAM_SESSION_ERR : PAM_SUCCESS;
}

_public_ int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
