/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-pam-lve - pam_lve.so on the real kernel (host: hybrid v1; VM: v2 and
 * legacy), with OPENLVE_CONF putting the LVE root at <random test root>/lveroot
 * (lve-testenv.h).
 *
 * The test is a PAM application itself: a worker in the test's "home"
 * group calls pam_start_confdir() with a service file in the test's temp
 * dir ("session required <build>/src/pam/pam_lve.so ARGS"), then
 * pam_open_session(), and checks where its own process is afterwards
 * (/proc/self/cgroup and the LVE's cgroup.procs): that is exactly what the
 * module does to sshd's or crond's session process. No file in /etc is
 * needed, so this also runs in the test VM. pam_syslog() lines are caught
 * by this program's own syslog()/__syslog_chk() (exported with -rdynamic,
 * so libpam binds to them), so the tests can check that errors are logged.
 *
 * The user is "nobody" (uid 65534, group nogroup; present on Debian and in
 * the test VM's /etc/passwd); no account is created. Root (uid 0) is the
 * user below any MIN_UID.
 *
 * pamtester: when installed (and /etc/pam.d exists, and the module is not
 * built with AddressSanitizer, which pamtester cannot load), one more test
 * writes /etc/pam.d/openlve-test-<random> (removed afterwards, also when the
 * test fails) with pam_lve.so and a pam_exec.so probe that records the
 * cgroups of its parent - pamtester's process - during the session.
 */
#include <fcntl.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>

#include "lve-testenv.h"
#include "lve/openlve.h"
#include "macro.h"

#define USER_ID 65534

#if defined(__SANITIZE_ADDRESS__)
#define OLT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OLT_ASAN 1
#endif
#endif

/* ------------------------------------------------------------- syslog capture */

static char log_buf[8192];
static size_t log_len;

__attribute__((format(printf, 2, 0))) static void log_add(int pri, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = snprintf(log_buf + log_len, sizeof(log_buf) - log_len, "<%d>%s\n", pri & LOG_PRIMASK, line);
	if (n > 0 && (size_t)n < sizeof(log_buf) - log_len)
		log_len += (size_t)n;
}

__attribute__((visibility("default"), format(printf, 2, 3))) void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_add(pri, fmt, ap);
	va_end(ap);
}

__attribute__((visibility("default"), format(printf, 2, 0))) void vsyslog(int pri, const char *fmt, va_list ap)
{
	log_add(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
__attribute__((visibility("default"), format(printf, 3, 4))) void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	log_add(pri, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);
__attribute__((visibility("default"), format(printf, 3, 0))) void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	log_add(pri, fmt, ap);
}

/* ---------------------------------------------------------------- helpers */

static char *module_path(void)
{
	const char *b = getenv("OPENLVE_BUILD_ROOT");
	char *p = NULL;

	if (!b || asprintf(&p, "%s/src/pam/pam_lve.so", b) < 0)
		return NULL;
	if (access(p, R_OK) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static int conv_none(int n, const struct pam_message **msg, struct pam_response **resp, void *ud)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)ud;
	return PAM_CONV_ERR;
}

/* Write <lte_dir>/pam.d/<service> with one session line: pam_lve.so args. */
static int write_service(const char *service, const char *args)
{
	_cleanup_free_ char *mod = module_path();
	char dir[512], path[600];
	FILE *f;

	if (!mod)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s/pam.d", lte_dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", dir, service);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "session required %s %s\n", mod, args);
	return fclose(f) == 0 ? 0 : -EIO;
}

struct session {
	const char *user;
	const char *args;
	int want_open;  /* PAM_* result expected from pam_open_session */
	bool want_moved;
	int want_log;   /* 0: no LOG_ERR/LOG_NOTICE line; else a line of this priority */
	const char *log_has;
};

/* The worker: open a session as the module's caller would, check where we are. */
static int body_session(void *arg)
{
	const struct session *s = arg;
	struct pam_conv conv = { conv_none, NULL };
	pam_handle_t *pamh = NULL;
	char dir[512], before[8192], after[8192], want[32];
	int r;

	snprintf(dir, sizeof(dir), "%s/pam.d", lte_dir);
	ASSERT(lte_read("/proc/self/cgroup", before, sizeof(before)) > 0);
	ASSERT_EQ(lte_inside(before, 0), 0);
	log_len = 0;
	log_buf[0] = 0;

	ASSERT_EQ(pam_start_confdir("olt", s->user, &conv, dir, &pamh), PAM_SUCCESS);
	r = pam_open_session(pamh, 0);
	if (r != s->want_open)
		TAP_FAIL("pam_open_session(%s, '%s'): %d (%s), expected %d; log: %s", s->user, s->args, r,
			 pam_strerror(pamh, r), s->want_open, log_buf);
	ASSERT(lte_read("/proc/self/cgroup", after, sizeof(after)) > 0);
	if (s->want_moved) {
		int n = 0;

		/* every openlve hierarchy: lveroot/lve65534, and the LVE lists this process */
		ASSERT(lte_inside(after, USER_ID) > 0);
		for (int i = 0; i < cgtest_n_hiers(); i++) {
			char ctrls[256], *save = NULL;
			char *c;
			bool cs_only;

			snprintf(ctrls, sizeof(ctrls), "%s", cgtest_hier(i)->ctrls);
			for (c = strtok_r(ctrls, " ", &save); c && !lte_ctrl_ours(c); c = strtok_r(NULL, " ", &save))
				;
			if (!c)
				continue;
			snprintf(want, sizeof(want), "lveroot/lve%d", USER_ID);
			cs_only = cgtest_hier(i)->version == 1 && !strcmp(cgtest_hier(i)->ctrls, "cpuset");
			/* a cpuset-only v1 hierarchy has no group of an LVE without a CPU mask (lazy
			 * cpuset): the session stays where it was there; lte_inside() does not count it */
			ASSERT_EQ(cgtest_pid_in(c, want, getpid()), !cs_only);
			if (!cs_only)
				n++;
		}
		ASSERT(n > 0);
		ASSERT_EQ(lte_inside(after, USER_ID), n);
	} else {
		ASSERT_STREQ(after, before);
	}
	if (r == PAM_SUCCESS)
		ASSERT_EQ(pam_close_session(pamh, 0), PAM_SUCCESS);
	pam_end(pamh, r);

	if (s->want_log) {
		char tag[16];

		snprintf(tag, sizeof(tag), "<%d>", s->want_log);
		if (!strstr(log_buf, tag) || !strstr(log_buf, "pam_lve") ||
		    (s->log_has && !strstr(log_buf, s->log_has)))
			TAP_FAIL("expected a log line %s with '%s', got: %s", tag, s->log_has ? s->log_has : "",
				 log_buf);
	} else if (strstr(log_buf, "pam_lve")) {
		TAP_FAIL("unexpected log: %s", log_buf);
	}
	return 0;
}

static int run_session(const char *user, const char *args, int want_open, bool want_moved, int want_log,
		       const char *log_has)
{
	struct session s = { user, args, want_open, want_moved, want_log, log_has };
	int r = write_service("olt", args);

	if (r < 0)
		return r;
	return lte_run_home(body_session, &s);
}

#define NEED_MODULE()                                                                    \
	do {                                                                             \
		_cleanup_free_ char *_m = module_path();                                  \
		if (!_m)                                                                 \
			SKIP("pam_lve.so not built (OPENLVE_BUILD_ROOT unset?)");         \
	} while (0)

/* ------------------------------------------------------------------ tests */

TEST(session_moved_into_users_lve)
{
	struct olve *h = NULL;
	struct olve_limits lim;

	LTE_SETUP();
	NEED_MODULE();
	ASSERT_EQ(run_session("nobody", "500", PAM_SUCCESS, true, 0, NULL), 0);
	/* the LVE was created with the default limits */
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_get_limits(h, USER_ID, &lim));
	olve_close(h);
	/* CloudLinux's full form; no arguments: MIN_UID 500 */
	ASSERT_EQ(run_session("nobody", "500 1 wheel-olt-absent", PAM_SUCCESS, true, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "", PAM_SUCCESS, true, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "65534", PAM_SUCCESS, true, 0, NULL), 0);
	return 0;
}

TEST(uid_below_min_uid_not_moved)
{
	LTE_SETUP();
	NEED_MODULE();
	ASSERT_EQ(run_session("nobody", "65535", PAM_SUCCESS, false, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "4294967295", PAM_SUCCESS, false, 0, NULL), 0);
	/* root never: there is no LVE 0 */
	ASSERT_EQ(run_session("root", "0", PAM_SUCCESS, false, 0, NULL), 0);
	ASSERT_EQ(run_session("root", "500", PAM_SUCCESS, false, 0, NULL), 0);
	return 0;
}

TEST(excluded_group_not_moved)
{
	LTE_SETUP();
	NEED_MODULE();
	/* nobody's primary group is nogroup */
	ASSERT_EQ(run_session("nobody", "500 1 nogroup", PAM_SUCCESS, false, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "500 0 nogroup", PAM_SUCCESS, false, 0, NULL), 0);
	/* not a member of root: moved */
	ASSERT_EQ(run_session("nobody", "500 1 root", PAM_SUCCESS, true, 0, NULL), 0);
	/* comma-separated lists (CloudLinux's GROUP[,GROUP]): any member group excludes */
	ASSERT_EQ(run_session("nobody", "500 1 wheel-olt-absent,nogroup", PAM_SUCCESS, false, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "500 1 nogroup,root", PAM_SUCCESS, false, 0, NULL), 0);
	ASSERT_EQ(run_session("nobody", "500 1 root,wheel-olt-absent,nogroup", PAM_SUCCESS, false, 0, NULL), 0);
	/* no listed group has the user: moved */
	ASSERT_EQ(run_session("nobody", "500 1 root,wheel-olt-absent", PAM_SUCCESS, true, 0, NULL), 0);
	return 0;
}

TEST(bad_arguments_fail_and_log)
{
	static const char *const bad[] = {
		"abc", "-5", "500x", "+500", "99999999999", "500 2", "500 yes", "500 1 nogroup extra", "500 -1",
		"0x10", "500 1 a:b", "500 1 nogroup,", "500 1 ,nogroup", "500 1 root,,nogroup", "500 1 ,",
	};

	LTE_SETUP();
	NEED_MODULE();
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (run_session("nobody", bad[i], PAM_SERVICE_ERR, false, LOG_ERR, NULL) != 0)
			TAP_FAIL("arguments '%s'", bad[i]);
	return 0;
}

TEST(unknown_user_fails_and_logs)
{
	LTE_SETUP();
	NEED_MODULE();
	ASSERT_EQ(run_session("olt-no-such-user-x", "500", PAM_SESSION_ERR, false, LOG_ERR, "olt-no-such-user-x"), 0);
	return 0;
}

TEST(openlve_unavailable_fails_and_logs)
{
	char path[600];

	LTE_SETUP();
	NEED_MODULE();
	snprintf(path, sizeof(path), "%s/no-such.conf", lte_dir);
	setenv("OPENLVE_CONF", path, 1);
	ASSERT_EQ(run_session("nobody", "500", PAM_SESSION_ERR, false, LOG_ERR, "openlve"), 0);
	return 0;
}

TEST(disabled_lve_leaves_session_outside)
{
	struct olve *h = NULL;
	struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 5 };

	LTE_SETUP();
	NEED_MODULE();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, USER_ID, &lim));
	ASSERT_OK(olve_set_flags(h, USER_ID, OLVE_F_DISABLED));
	olve_close(h);
	ASSERT_EQ(run_session("nobody", "500", PAM_SUCCESS, false, LOG_NOTICE, "disabled"), 0);
	return 0;
}

/* A worker that enters LVE 65534 (taking its only EP slot) and waits for a byte on fd. */
static int body_hold_slot(void *arg)
{
	int *p = arg;
	struct olve *h = NULL;
	uint32_t cookie = 0;
	char c;

	close(p[1]);
	close(p[2]);
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_enter(h, USER_ID, 0, &cookie));
	ASSERT_EQ(write(p[3], "r", 1), 1);
	ASSERT(read(p[0], &c, 1) >= 0);
	ASSERT_OK(olve_leave(h, cookie));
	olve_close(h);
	return 0;
}

static int body_entry_refused(void *arg)
{
	struct olve *h = NULL;
	uint32_t cookie = 0;

	(void)arg;
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_ERR(olve_enter(h, USER_ID, 0, &cookie), E2BIG);
	olve_close(h);
	return 0;
}

TEST(session_not_counted_against_ep)
{
	struct olve *h = NULL;
	struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 1 };
	struct olve_usage u;
	int p[4], go[2], ready[2];
	pid_t holder;
	char c;

	LTE_SETUP();
	NEED_MODULE();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, USER_ID, &lim));
	ASSERT_OK(pipe2(go, O_CLOEXEC));
	ASSERT_OK(pipe2(ready, O_CLOEXEC));
	p[0] = go[0];
	p[1] = go[1];
	p[2] = ready[0];
	p[3] = ready[1];
	holder = cgtest_fork_in("home", body_hold_slot, p);
	ASSERT(holder > 0);
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	ASSERT_OK(olve_usage(h, USER_ID, &u));
	ASSERT_EQ(u.ep, 1);
	/* the EP limit is reached, yet the login goes in */
	ASSERT_EQ(run_session("nobody", "500", PAM_SUCCESS, true, 0, NULL), 0);
	/* an entry would not (tried from a worker in "home") */
	ASSERT_EQ(lte_run_home(body_entry_refused, NULL), 0);
	ASSERT_EQ(write(go[1], "g", 1), 1);
	ASSERT_EQ(cgtest_wait(holder), 0);
	olve_close(h);
	return 0;
}

/* ---------------------------------------------------------------- pamtester */

static char pamd_file[256];

static void pamd_remove(void)
{
	if (pamd_file[0])
		unlink(pamd_file);
	pamd_file[0] = 0;
}

static const char *find_pam_exec(void)
{
	static const char *const dirs[] = {
		"/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security", "/lib/security",
		"/usr/lib/security",              "/lib64/security",                    "/usr/lib64/security",
	};
	static char path[256];

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(path, sizeof(path), "%s/pam_exec.so", dirs[i]);
		if (access(path, R_OK) == 0)
			return path;
	}
	return NULL;
}

static const char *find_program(const char *name)
{
	static char path[512];
	const char *pathenv = getenv("PATH");
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", pathenv ? pathenv : "/usr/bin:/bin");
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, name);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

struct pamtester_run {
	const char *prog;
	const char *service;
};

static int exec_pamtester(void *arg)
{
	const struct pamtester_run *pr = arg;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(2, 1); /* pamtester's chatter must not mix with the TAP stream */
	execl(pr->prog, pr->prog, "-v", pr->service, "nobody", "open_session", (char *)NULL);
	return 99;
}

static int pamtester_once(const char *prog, const char *service, const char *lines)
{
	struct pamtester_run pr = { prog, service };
	FILE *f = fopen(pamd_file, "we");

	if (!f)
		return -errno;
	fputs(lines, f);
	if (fclose(f) != 0)
		return -EIO;
	return cgtest_run_in("home", exec_pamtester, &pr);
}

TEST(pamtester_every_argument_form)
{
	_cleanup_free_ char *mod = module_path();
	const char *prog = find_program("pamtester"), *pam_exec = find_pam_exec();
	char service[64], probe[600], out[600], lines[2048], text[8192];
	uint64_t rnd = 0;
	FILE *f;
	int r;

	LTE_SETUP();
	if (!mod)
		SKIP("pam_lve.so not built (OPENLVE_BUILD_ROOT unset?)");
#ifdef OLT_ASAN
	SKIP("pam_lve.so is built with AddressSanitizer: pamtester cannot load it");
#endif
	if (!prog)
		SKIP("pamtester not installed");
	if (!pam_exec)
		SKIP("pam_exec.so not found");
	/* the VM's root is a throwaway initramfs without PAM configuration */
	if (cgtest_vm_mode() && mkdir("/etc/pam.d", 0755) < 0 && errno != EEXIST)
		TAP_FAIL("mkdir /etc/pam.d in the VM: %s", strerror(errno));
	if (access("/etc/pam.d", W_OK) < 0)
		SKIP("/etc/pam.d not writable");
	ASSERT_EQ(getrandom(&rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(service, sizeof(service), "openlve-test-%016" PRIx64, rnd);
	snprintf(pamd_file, sizeof(pamd_file), "/etc/pam.d/%s", service);
	/* the parent test process removes it even when this test crashes */
	ASSERT_OK(tap_cleanup_path(pamd_file));

	/* the probe records the cgroups of its parent, pamtester, during the session */
	snprintf(probe, sizeof(probe), "%s/probe.sh", lte_dir);
	snprintf(out, sizeof(out), "%s/probe.out", lte_dir);
	f = fopen(probe, "we");
	ASSERT(f);
	fprintf(f, "#!/bin/sh\ncat /proc/$PPID/cgroup > '%s'\n", out);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_OK(chmod(probe, 0755));

	/* every argument form: where was pamtester during the session? */
	static const struct {
		const char *args;
		int inside; /* 1: in LVE 65534, 0: outside any LVE, -1: the session fails (outside) */
	} forms[] = {
		{ "", 1 },
		{ "500", 1 },
		{ "500 1", 1 },
		{ "500 0 root", 1 },
		{ "500 1 root,wheel-olt-absent", 1 },
		{ "500 1 nogroup", 0 },
		{ "500 1 wheel-olt-absent,nogroup", 0 },
		{ "500 0 root,nogroup", 0 },
		{ "70000", 0 },
		{ "70000 1 root", 0 },
		{ "abc", -1 },
		{ "500 1 nogroup,", -1 },
	};
	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		unlink(out);
		snprintf(lines, sizeof(lines), "session required %s %s\nsession required %s %s\n", mod,
			 forms[i].args, pam_exec, probe);
		r = pamtester_once(prog, service, lines);
		text[0] = 0;
		if (lte_read(out, text, sizeof(text)) <= 0) {
			pamd_remove();
			TAP_FAIL("'%s': probe output missing (pamtester %d)", forms[i].args, r);
		}
		/* "required" still runs the probe after a failed pam_lve: pamtester stayed outside */
		bool where_ok = forms[i].inside > 0 ? lte_inside(text, USER_ID) > 0 : lte_inside(text, 0) == 0;
		bool exit_ok = forms[i].inside < 0 ? (r > 0 && r < 256) : r == 0;

		if (!where_ok || !exit_ok) {
			pamd_remove();
			TAP_FAIL("pam_lve.so '%s': pamtester exit %d, probe: %s", forms[i].args, r, text);
		}
	}
	pamd_remove();
	return 0;
}

TAP_MAIN()
