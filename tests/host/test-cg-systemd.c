/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-systemd - what cgroup_create_scope() asks systemd for over D-Bus.
 *
 * Neither this host nor the test VM runs systemd, so the test starts a
 * private dbus-daemon, points the library's system-bus connection at it
 * (DBUS_SYSTEM_BUS_ADDRESS, which sd-bus honours) and answers
 * org.freedesktop.systemd1.Manager.StartTransientUnit itself, recording
 * the request: unit name, job mode, Slice, Delegate and PIDs, and that a
 * placeholder process is started (and kept alive) when no pid is given.
 * Whether systemd then creates the scope is systemd's part and is not
 * covered here (see NOTES.md). Skipped without dbus-daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "lve/libcgroup.h"
#include "tap.h"

struct request {
	char name[256];
	char mode[64];
	char slice[256];
	int delegate;
	unsigned pids[8];
	int n_pids;
	int calls;
	const char *fail_with; /* D-Bus error name to answer with, or NULL */
};

static struct request req;
static volatile int stop_service;
static char bus_address[700];
static pid_t daemon_pid;

static int read_property(sd_bus_message *m)
{
	const char *key;
	int r = sd_bus_message_enter_container(m, 'r', "sv");

	if (r <= 0)
		return r;
	r = sd_bus_message_read(m, "s", &key);
	if (r < 0)
		return r;
	if (!strcmp(key, "Slice")) {
		const char *v;

		r = sd_bus_message_read(m, "v", "s", &v);
		if (r >= 0)
			snprintf(req.slice, sizeof(req.slice), "%s", v);
	} else if (!strcmp(key, "Delegate")) {
		r = sd_bus_message_read(m, "v", "b", &req.delegate);
	} else if (!strcmp(key, "PIDs")) {
		r = sd_bus_message_enter_container(m, 'v', "au");
		if (r >= 0)
			r = sd_bus_message_enter_container(m, 'a', "u");
		while (r >= 0) {
			unsigned pid;

			r = sd_bus_message_read(m, "u", &pid);
			if (r <= 0)
				break;
			if (req.n_pids < 8)
				req.pids[req.n_pids++] = pid;
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	} else {
		r = sd_bus_message_skip(m, "v");
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	return r < 0 ? r : 1;
}

static int start_transient_unit(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	const char *name, *mode;
	int r;

	req.calls++;
	r = sd_bus_message_read(m, "ss", &name, &mode);
	if (r < 0)
		return r;
	snprintf(req.name, sizeof(req.name), "%s", name);
	snprintf(req.mode, sizeof(req.mode), "%s", mode);
	r = sd_bus_message_enter_container(m, 'a', "(sv)");
	if (r < 0)
		return r;
	while ((r = read_property(m)) > 0)
		;
	if (r < 0)
		return r;
	if (req.fail_with)
		return sd_bus_error_set(e, req.fail_with, "refused by the test");
	return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/42");
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", start_transient_unit,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int service_ready; /* 1 ready, -errno failed */

static void service_set_ready(int v)
{
	pthread_mutex_lock(&ready_lock);
	service_ready = v;
	pthread_cond_signal(&ready_cond);
	pthread_mutex_unlock(&ready_lock);
}

/* The fake org.freedesktop.systemd1 on the private bus. */
static void *service(void *arg)
{
	sd_bus *bus = NULL;
	sd_bus_slot *slot = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, bus_address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, &slot, "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager", manager_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	service_set_ready(r < 0 ? r : 1);
	while (r >= 0 && !stop_service) {
		r = sd_bus_process(bus, NULL);
		if (r == 0)
			r = sd_bus_wait(bus, 100000);
	}
	sd_bus_slot_unref(slot);
	sd_bus_flush_close_unref(bus);
	return arg;
}

static void daemon_stop(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
}

/* A private dbus-daemon; 0, 1 (skip: no dbus-daemon) or -errno. */
static int daemon_start(char *dir, size_t size)
{
	char conf[600], sock[600];
	FILE *f;
	int r = tap_mktemp(dir, size);

	if (r < 0)
		return r;
	if (access("/usr/bin/dbus-daemon", X_OK) != 0)
		return 1;
	snprintf(conf, sizeof(conf), "%s/bus.conf", dir);
	snprintf(sock, sizeof(sock), "%s/bus", dir);
	f = fopen(conf, "we");
	if (!f)
		return -errno;
	fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		   "<busconfig><type>system</type><listen>unix:path=%s</listen>\n"
		   "<auth>EXTERNAL</auth>\n"
		   "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
		   "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
		sock);
	fclose(f);
	daemon_pid = fork();
	if (daemon_pid < 0)
		return -errno;
	if (daemon_pid == 0) {
		char arg[700];

		snprintf(arg, sizeof(arg), "--config-file=%s", conf);
		execl("/usr/bin/dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock, F_OK) != 0; i++)
		usleep(10000);
	if (access(sock, F_OK) != 0) {
		daemon_stop();
		return -ETIMEDOUT;
	}
	snprintf(bus_address, sizeof(bus_address), "unix:path=%s", sock);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
	return 0;
}

static int service_start(pthread_t *t)
{
	int r;

	service_ready = 0;
	stop_service = 0;
	if (pthread_create(t, NULL, service, NULL) != 0)
		return -EAGAIN;
	pthread_mutex_lock(&ready_lock);
	while (service_ready == 0)
		pthread_cond_wait(&ready_cond, &ready_lock);
	r = service_ready;
	pthread_mutex_unlock(&ready_lock);
	return r < 0 ? r : 0;
}

static bool comm_is(pid_t pid, const char *name)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 500; i++) {
		f = fopen(path, "re");
		if (f) {
			if (fgets(buf, sizeof(buf), f))
				buf[strcspn(buf, "\n")] = 0;
			fclose(f);
		}
		if (!strcmp(buf, name))
			return true;
		usleep(10000);
	}
	return false;
}

TEST(create_scope_asks_systemd_for_a_transient_scope)
{
	struct cgroup_systemd_scope_opts o;
	char dir[256];
	pthread_t t;
	pid_t placeholder;
	int r;

	REQUIRE_ROOT();
	r = daemon_start(dir, sizeof(dir));
	if (r == 1)
		SKIP("no dbus-daemon on this machine");
	ASSERT_OK(r);
	r = service_start(&t);
	if (r < 0) {
		daemon_stop();
		TAP_FAIL("fake systemd service: %s", strerror(-r));
	}

	/* a given pid, delegated, mode "fail" */
	memset(&req, 0, sizeof(req));
	ASSERT_EQ(cgroup_set_default_scope_opts(&o), 0);
	o.pid = getpid();
	o.mode = CGROUP_SYSTEMD_MODE_FAIL;
	ASSERT_EQ(cgroup_create_scope("olt-a.scope", "olt.slice", &o), 0);
	ASSERT_EQ(req.calls, 1);
	ASSERT_STREQ(req.name, "olt-a.scope");
	ASSERT_STREQ(req.mode, "fail");
	ASSERT_STREQ(req.slice, "olt.slice");
	ASSERT_EQ(req.delegate, 1);
	ASSERT_EQ(req.n_pids, 1);
	ASSERT_EQ(req.pids[0], (unsigned)getpid());

	/* no pid: a placeholder process goes into the scope and stays alive */
	memset(&req, 0, sizeof(req));
	ASSERT_EQ(cgroup_set_default_scope_opts(&o), 0);
	o.delegated = 0;
	ASSERT_EQ(cgroup_create_scope("olt-b.scope", "olt-x.slice", &o), 0);
	ASSERT_STREQ(req.mode, "replace"); /* CGROUP_SYSTEMD_MODE_DFLT */
	ASSERT_EQ(req.delegate, 0);
	ASSERT_EQ(req.n_pids, 1);
	placeholder = (pid_t)req.pids[0];
	ASSERT(placeholder > 0 && placeholder != getpid());
	ASSERT(comm_is(placeholder, "cgroup-scope"));
	kill(placeholder, SIGKILL);
	waitpid(placeholder, NULL, 0);

	/* systemd refuses: ECGOTHER with the errno of the D-Bus error, no placeholder left */
	memset(&req, 0, sizeof(req));
	req.fail_with = "org.freedesktop.systemd1.UnitExists";
	ASSERT_EQ(cgroup_create_scope("olt-c.scope", "olt.slice", &o), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), EEXIST);
	ASSERT_EQ(req.n_pids, 1);
	ASSERT_EQ(kill((pid_t)req.pids[0], 0), -1); /* killed and reaped */
	req.fail_with = NULL;

	stop_service = 1;
	pthread_join(t, NULL);
	/* nobody answers: a clear error, not a hang */
	ASSERT_EQ(cgroup_create_scope("olt-d.scope", "olt.slice", &o), ECGOTHER);
	ASSERT(cgroup_get_last_errno() != 0);
	daemon_stop();
	return 0;
}

TAP_MAIN()
