/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd.c - libcgroup's systemd functions: transient scopes created by
 * systemd's D-Bus API (org.freedesktop.systemd1.Manager.StartTransientUnit,
 * through sd-bus), the default slice/scope file, and the option list that
 * cgconfig.conf's systemd section fills.
 *
 * Owns: the option list (cgroup_alloc/add/cleanup_systemd_opts, mutex) and
 * the placeholder processes it starts (children of the caller that pause()
 * until killed, so an otherwise empty scope stays alive, as libcgroup does).
 * Files: the default cgroup file /var/run/libcgroup/systemd (libcgroup's;
 * OPENLVE_CGSYSTEMD_FILE overrides it for tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "cg-internal.h"
#include "fileio.h"

#define DEFAULT_FILE "/var/run/libcgroup/systemd"
/* How long to wait for systemd to report the scope's job done. */
#define SCOPE_WAIT_MS 10000

static const char *const mode_names[CGROUP_SYSTEMD_MODE_CNT] = {
	[CGROUP_SYSTEMD_MODE_FAIL] = "fail",
	[CGROUP_SYSTEMD_MODE_REPLACE] = "replace",
	[CGROUP_SYSTEMD_MODE_ISOLATE] = "isolate",
	[CGROUP_SYSTEMD_MODE_IGNORE_DEPS] = "ignore-dependencies",
	[CGROUP_SYSTEMD_MODE_IGNORE_REQS] = "ignore-requirements",
};

_public_ bool cgroup_is_systemd_enabled(void)
{
	return true; /* built with sd-bus */
}

_public_ int cgroup_set_default_scope_opts(struct cgroup_systemd_scope_opts *const opts)
{
	if (!opts)
		return ECGINVAL;
	opts->delegated = 1;
	opts->mode = CGROUP_SYSTEMD_MODE_DFLT;
	opts->pid = -1;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

/* A unit name systemd accepts: [A-Za-z0-9:_.\-@]+ with the given suffix. */
static bool unit_name_valid(const char *s, const char *suffix)
{
	if (!s || !has_suffix(s, suffix) || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      strchr(":_.-@\\", *p)))
			return false;
	return true;
}

/* A child that keeps an otherwise empty scope alive. */
static pid_t start_placeholder(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t all;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/*
		 * It outlives the caller: hold none of its files (a pipe of the
		 * caller's stdout kept open would make `$(prog)` wait forever).
		 */
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		close_range(3, ~0U, 0);
		sigfillset(&all);
		sigdelset(&all, SIGTERM);
		sigdelset(&all, SIGKILL);
		sigprocmask(SIG_SETMASK, &all, NULL);
		prctl(PR_SET_NAME, "cgroup-scope");
		setsid();
		for (;;)
			pause();
	}
	return pid;
}

static int bus_error(int r, const sd_bus_error *e)
{
	if (e && sd_bus_error_is_set(e))
		cg_log(CGROUP_LOG_ERROR, "systemd: %s: %s\n", e->name, e->message ? e->message : "");
	if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_INVALID_ARGS))
		return cg_fail_errno(-EINVAL);
	if (e && sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
		return cg_fail_errno(-EEXIST);
	return cg_fail_errno(r < 0 ? r : -EIO);
}

/* Wait until the job at `job` is gone (done). */
static int wait_job(sd_bus *bus, const char *job)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		char *state = NULL;
		int r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", job,
						   "org.freedesktop.systemd1.Job", "State", &e, &state);
		long ms;

		free(state);
		if (r < 0) {
			/* the job object is gone: finished */
			sd_bus_error_free(&e);
			return 0;
		}
		sd_bus_error_free(&e);
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > SCOPE_WAIT_MS)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

_public_ int cgroup_create_scope(const char *const scope_name, const char *const slice_name,
				 const struct cgroup_systemd_scope_opts *const opts)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus *bus = NULL;
	const char *job = NULL;
	pid_t pid, placeholder = 0;
	int r, ret = 0;

	if (!opts || !unit_name_valid(scope_name, ".scope") || !unit_name_valid(slice_name, ".slice") ||
	    opts->mode < 0 || opts->mode >= CGROUP_SYSTEMD_MODE_CNT) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return cg_fail_errno(r);
	pid = opts->pid;
	if (pid <= 0) {
		placeholder = pid = start_placeholder();
		if (pid < 0) {
			ret = cg_fail_errno(-errno);
			goto out;
		}
	}
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
					   "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", scope_name, mode_names[opts->mode]);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Slice", "s", slice_name, "Delegate", "b",
					  opts->delegated ? 1 : 0, "PIDs", "au", 1, (uint32_t)pid);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0) {
		ret = cg_fail_errno(r);
		goto out;
	}
	r = sd_bus_call(bus, m, 0, &e, &reply);
	if (r < 0) {
		ret = bus_error(r, &e);
		goto out;
	}
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0 || (r = wait_job(bus, job)) < 0) {
		ret = cg_fail_errno(r);
		goto out;
	}
	placeholder = 0; /* it lives in the scope now */
out:
	if (placeholder > 0) {
		kill(placeholder, SIGKILL);
		(void)waitpid(placeholder, NULL, 0);
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return ret;
}

/*
 * Group path of a unit below the cgroup root: "a-b.slice" lives in
 * "a.slice/a-b.slice" (systemd's slice nesting), scopes in their slice.
 */
static int slice_path(const char *slice, char *out, size_t size)
{
	size_t o = 0, n = strlen(slice) - strlen(".slice");

	out[0] = 0;
	if (!strcmp(slice, "-.slice"))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || slice[i] == '-') {
			int k = snprintf(out + o, size - o, "%s%.*s.slice", o ? "/" : "", (int)i, slice);

			if (k < 0 || (size_t)k >= size - o)
				return -ENAMETOOLONG;
			o += (size_t)k;
		}
	}
	return 0;
}

_public_ int cgroup_create_scope2(struct cgroup *cgroup, int ignore_ownership,
				  const struct cgroup_systemd_scope_opts *const opts)
{
	char slice[FILENAME_MAX], path[FILENAME_MAX * 2];
	const char *scope;
	_cleanup_free_ char *orig = NULL;
	int r;

	if (!cgroup || !cgroup->name || !opts) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	/* "foo.slice/bar.scope" */
	scope = strrchr(cgroup->name, '/');
	if (!scope || (size_t)(scope - cgroup->name) >= sizeof(slice)) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	memcpy(slice, cgroup->name, (size_t)(scope - cgroup->name));
	slice[scope - cgroup->name] = 0;
	scope++;
	if (strchr(slice, '/')) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	r = cgroup_create_scope(scope, slice, opts);
	if (r)
		return r;
	/* the settings of the struct go into the scope's directory */
	if (slice_path(slice, path, sizeof(path)) < 0 ||
	    strlen(path) + strlen(scope) + 2 > sizeof(path)) {
		cg_fail_errno(-ENAMETOOLONG);
		return ECGINVAL;
	}
	strcat(path, "/");
	strcat(path, scope);
	orig = cgroup->name;
	cgroup->name = strdup(path);
	if (!cgroup->name) {
		cgroup->name = TAKE_PTR(orig);
		return cg_ecg_from_errno(-ENOMEM);
	}
	r = cgroup_create_cgroup(cgroup, ignore_ownership);
	free(cgroup->name);
	cgroup->name = TAKE_PTR(orig);
	return r;
}

/* --------------------------------------------------- default cgroup file */

static const char *default_file(void)
{
	const char *p = secure_getenv("OPENLVE_CGSYSTEMD_FILE");

	return p && *p ? p : DEFAULT_FILE;
}

_public_ int cgroup_write_systemd_default_cgroup(const char *const slice, const char *const scope)
{
	const char *file = default_file();
	_cleanup_free_ char *dir = NULL, *text = NULL;
	char *slash;
	int r;

	if (!unit_name_valid(slice, ".slice") || !unit_name_valid(scope, ".scope")) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	dir = strdup(file);
	if (!dir || asprintf(&text, "%s/%s", slice, scope) < 0)
		return cg_ecg_from_errno(-ENOMEM);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		cg_fail_errno(-EINVAL);
		return ECGINVAL;
	}
	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cg_fail_errno(-errno);
	{
		_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			return cg_fail_errno(-errno);
		r = ol_write_atomic_at(dfd, slash + 1, text, strlen(text), 0644);
	}
	return r < 0 ? cg_fail_errno(r) : 0;
}

_public_ int cgroup_set_default_systemd_cgroup(void)
{
	char buf[FILENAME_MAX * 2 + 2], path[FILENAME_MAX * 2 + 2];
	_cleanup_close_ int fd = open(default_file(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *slash;

	if (fd < 0 || !cg_sys_get() || ol_pread_all(fd, buf, sizeof(buf)) <= 0)
		return 0;
	ol_strip(buf);
	slash = strchr(buf, '/');
	if (!slash)
		return 0;
	*slash = 0;
	if (!unit_name_valid(buf, ".slice") || !unit_name_valid(slash + 1, ".scope") ||
	    slice_path(buf, path, sizeof(path)) < 0 ||
	    strlen(path) + strlen(slash + 1) + 2 > sizeof(path))
		return 0;
	strcat(path, "/");
	strcat(path, slash + 1);
	/*
	 * The scope becomes the root of group names, like a namespace, in every
	 * hierarchy that has it. On cgroup v1 systemd makes a unit's group only
	 * in the hierarchies of the controllers it manages for it (never
	 * cpuset): those without the scope keep their root. 1 when at least
	 * one controller got it.
	 */
	{
		const struct cg_sys *sys = cg_sys_get();
		int applied = 0;

		for (int c = 0; c < CG_CTRL_COUNT; c++)
			if (sys->ctrl_mount[c] >= 0 && cg_ctrl_resolve(sys, c) == c &&
			    cgroup_set_namespace(cg_ctrl_name(c), path) == 0)
				applied = 1;
		return applied;
	}
}

/* ----------------------------------------------------------- option list */

static pthread_mutex_t opts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cgroup_systemd_opts *opts_head, *opts_tail;

static int opts_set(struct cgroup_systemd_opts *o, const char *conf, const char *value)
{
	if (!conf || !value)
		return 0;
	if (!strcmp(conf, "slice")) {
		if (!unit_name_valid(value, ".slice"))
			return 0;
		snprintf(o->slice_name, sizeof(o->slice_name), "%s", value);
	} else if (!strcmp(conf, "scope")) {
		if (!unit_name_valid(value, ".scope"))
			return 0;
		snprintf(o->scope_name, sizeof(o->scope_name), "%s", value);
	} else if (!strcmp(conf, "setdefault")) {
		if (!strcmp(value, "yes"))
			o->setdefault = 1;
		else if (!strcmp(value, "no"))
			o->setdefault = 0;
		else
			return 0;
	} else if (!strcmp(conf, "pid")) {
		uint32_t v;

		if (ol_parse_u32(value, &v) < 0 || v > INT32_MAX)
			return 0;
		o->pid = (pid_t)v;
	} else {
		return 0;
	}
	return 1;
}

_public_ int cgroup_alloc_systemd_opts(const char *const conf, const char *const value)
{
	struct cgroup_systemd_opts *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return 0;
	o->pid = -1;
	r = opts_set(o, conf, value);
	if (!r) {
		free(o);
		return 0;
	}
	pthread_mutex_lock(&opts_lock);
	if (opts_tail)
		opts_tail->next = o;
	else
		opts_head = o;
	opts_tail = o;
	pthread_mutex_unlock(&opts_lock);
	return 1;
}

_public_ int cgroup_add_systemd_opts(const char *const conf, const char *const value)
{
	int r = 0;

	pthread_mutex_lock(&opts_lock);
	if (opts_tail)
		r = opts_set(opts_tail, conf, value);
	pthread_mutex_unlock(&opts_lock);
	return r;
}

_public_ void cgroup_cleanup_systemd_opts(void)
{
	pthread_mutex_lock(&opts_lock);
	while (opts_head) {
		struct cgroup_systemd_opts *n = opts_head->next;

		free(opts_head);
		opts_head = n;
	}
	opts_tail = NULL;
	pthread_mutex_unlock(&opts_lock);
}

int cg_systemd_apply_opts(void)
{
	int ret = 0;

	pthread_mutex_lock(&opts_lock);
	for (struct cgroup_systemd_opts *o = opts_head; o && ret == 0; o = o->next) {
		struct cgroup_systemd_scope_opts so;

		if (!o->slice_name[0] || !o->scope_name[0]) {
			ret = ECGCONFIGPARSEFAIL;
			break;
		}
		cgroup_set_default_scope_opts(&so);
		so.pid = o->pid;
		ret = cgroup_create_scope(o->scope_name, o->slice_name, &so);
		if (ret == 0 && o->setdefault) {
			ret = cgroup_write_systemd_default_cgroup(o->slice_name, o->scope_name);
			if (ret == 0)
				(void)cgroup_set_default_systemd_cgroup();
		}
	}
	pthread_mutex_unlock(&opts_lock);
	return ret;
}
