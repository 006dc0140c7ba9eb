/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lved - openlve's statistics daemon (lve-stats 2's lvestats-server).
 *
 *   lved [--config FILE] [--foreground] [--once]
 *
 * Samples every LVE every `interval` seconds (a CLOCK_REALTIME timerfd on
 * an absolute, wall-clock aligned schedule: no drift), keeps averages over
 * `info_period` and atomically rewrites /var/lve/info at its end, hands
 * each pass to the history database (when built with db.c) and, when
 * configured, serves the last pass to Prometheus. One thread, one poll
 * loop; signals through a signalfd: SIGHUP reloads lvestats2 and
 * openlve.conf, SIGTERM/SIGINT stop cleanly. systemd Type=notify (the
 * NOTIFY_SOCKET datagram protocol, implemented here). See lved(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"
#include "stats.h"
#include "notify.h"
#include "snapshot.h"
#include "web.h"

#define USEC 1000000LL
#define RATELIMIT_USEC (60 * USEC)
#define DB_RETRY_USEC (60 * USEC)
#define RETENTION_USEC (3600 * USEC)
#define RETENTION_BACKLOG_USEC (60 * USEC) /* the last run ran out of its time budget */

/* ---------------------------------------------------------------- logging */

static bool log_syslog;
static bool log_journal; /* stderr is the journal: prefix <N> priorities */

static void log_v(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog)
		syslog(prio, "%s", msg);
	else if (log_journal)
		fprintf(stderr, "<%d>lved: %s\n", prio, msg);
	else
		fprintf(stderr, "lved: %s\n", msg);
}

static void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(prio, fmt, ap);
	va_end(ap);
}

/* One line per problem and minute: repeats are counted and reported with the next line. */
enum rl_key { RL_PASS, RL_SKIP, RL_FDS, RL_INFO, RL_DB_OPEN, RL_DB_INSERT, RL_DB_RETENTION, RL_PROM, RL_TIMER, RL_SNAP, RL_COUNT };

static struct {
	int64_t last;
	unsigned suppressed;
} ratelimit[RL_COUNT];

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * USEC + ts.tv_nsec / 1000;
}

static int64_t real_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * USEC + ts.tv_nsec / 1000;
}

static void log_rl(enum rl_key key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_rl(enum rl_key key, const char *fmt, ...)
{
	int64_t now = mono_usec();
	char msg[1024];
	va_list ap;

	if (ratelimit[key].last && now - ratelimit[key].last < RATELIMIT_USEC) {
		ratelimit[key].suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ratelimit[key].suppressed)
		log_msg(LOG_ERR, "%s (%u similar messages suppressed)", msg, ratelimit[key].suppressed);
	else
		log_msg(LOG_ERR, "%s", msg);
	ratelimit[key].last = now;
	ratelimit[key].suppressed = 0;
}

/* ------------------------------------------------------------- sd_notify */

static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void notify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	if (e && (e[0] == '/' || e[0] == '@') && strlen(e) < sizeof(notify_path))
		snprintf(notify_path, sizeof(notify_path), "%s", e);
	unsetenv("NOTIFY_SOCKET");
}

static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify(const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	size_t plen = strlen(notify_path);
	char msg[512];
	va_list ap;
	int n;

	if (!plen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	memcpy(sa.sun_path, notify_path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (notify_path[0] == '/')));
}

/* ------------------------------------------------------------ delegation */

/*
 * systemd marks a cgroup it delegates (Delegate=yes) with the xattr
 * trusted.delegate (or user.delegate) = "1". On cgroup v2 a cgroup that
 * enables controllers for children may hold no processes, and openlve's
 * LVE root lives below lved.service there: so lved moves itself into the
 * leaf child "daemon" first. Returns 1 when it moved, 0 when not needed.
 */
static int delegate_leaf(void)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_close_ int fd = -1, procs = -1;
	char line[4096], mnt[PATH_MAX] = "", own[PATH_MAX] = "", path[PATH_MAX * 2 + 2], val[8], pid[32];
	ssize_t n;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(own, sizeof(own), "%s", line + 3);
			own[strcspn(own, "\n")] = 0;
		}
	fclose(f);
	f = NULL;
	if (!own[0] || !strcmp(own, "/") || ol_name_check(own) < 0)
		return 0;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - cgroup2 ");
		char root[PATH_MAX], mp[PATH_MAX];

		if (sep && sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) == 2 && !strcmp(root, "/")) {
			snprintf(mnt, sizeof(mnt), "%s", mp);
			break;
		}
	}
	if (!mnt[0])
		return 0;
	snprintf(path, sizeof(path), "%s%s", mnt, own);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = fgetxattr(fd, "trusted.delegate", val, sizeof(val) - 1);
	if (n < 0)
		n = fgetxattr(fd, "user.delegate", val, sizeof(val) - 1);
	if (n != 1 || val[0] != '1')
		return 0;
	if (mkdirat(fd, "daemon", 0755) < 0 && errno != EEXIST) {
		log_msg(LOG_ERR, "cannot create the leaf cgroup %s/daemon: %m (the LVE root below %s may not work)",
			path, own);
		return -errno;
	}
	procs = openat(fd, "daemon/cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (procs < 0 || write(procs, pid, strlen(pid)) < 0) {
		log_msg(LOG_ERR, "cannot move into the leaf cgroup %s/daemon: %m", own);
		return -errno;
	}
	log_msg(LOG_INFO, "moved into the leaf cgroup %s/daemon of the delegated %s", own, own);
	return 1;
}

/* ----------------------------------------------------------------- state */

struct lved {
	const char *config_path; /* NULL: LVESTATS_CONF_DEFAULT */
	bool foreground, once;
	struct lvestats_conf conf;
	struct olve *h;
	struct lve_collector *col;
	struct lve_period *period;
	struct lve_prom *prom;
	struct lve_web *web; /* [issue 11] the usage page (web.h), its own thread */
	struct lve_snapper *snap; /* [issue 11] incident snapshots (snapshot.h), NULL when disabled */
	struct lve_notifier *notify; /* [issue 11] fault e-mails (notify.h), NULL when off */
	uint64_t notify_lookup_failed; /* [issue 11] reseller lookups failed, as last logged */
	int64_t next_snap_retention;
	char *info_path;
	int tfd, sfd;
	int64_t next_info; /* CLOCK_REALTIME usec of the next /var/lve/info write; 0 = at the next pass */
	uint64_t passes;
	uint32_t last_n;
#ifdef HAVE_LVE_DB
	struct lve_db *db;
	int64_t db_retry_at, next_retention;
#endif
};

/* [issue 11] Incident snapshots unless disable_snapshots; a failure is logged, never fatal. */
static void open_snapper(struct lved *d)
{
	struct lve_snap_conf sc = { .dir = d->conf.snapshot_dir, .disabled = d->conf.disable_snapshots };
	unsigned line = 0;
	int r;

	lve_snapper_free(d->snap);
	d->snap = NULL;
	if (d->conf.disable_snapshots)
		return;
	r = lve_snap_conf_load(d->conf.plugin_config_dir, &sc, &line);
	if (r == 0)
		r = lve_snapper_new(&sc, &d->snap);
	if (r < 0)
		log_msg(LOG_ERR, "incident snapshots are off: %s%s%s", line ? "SnapshotSaver.cfg: bad line" : "",
			line ? "; " : "", strerror(-r));
}

/* [issue 11] Fault notifications per StatsNotifier.cfg; a bad file is logged, never fatal. */
static void open_notifier(struct lved *d)
{
	struct lve_notify_conf nc;
	unsigned line = 0;
	int r;

	lve_notifier_free(d->notify);
	d->notify = NULL;
	d->notify_lookup_failed = 0;
	r = lve_notify_conf_load(d->conf.plugin_config_dir, &nc, &line);
	/* resellers' customers: the limits store of openlve.conf (lvectl set-reseller) */
	if (r == 0 && d->h->conf.limits_file && strlen(d->h->conf.limits_file) < sizeof(nc.limits_file))
		snprintf(nc.limits_file, sizeof(nc.limits_file), "%s", d->h->conf.limits_file);
	if (r == 0 && (nc.admin || nc.customer || nc.reseller))
		r = lve_notifier_new(&nc, &d->notify);
	if (r < 0)
		log_msg(LOG_ERR, "fault notifications are off: StatsNotifier.cfg%s%u: %s", line ? " line " : "", line,
			strerror(-r));
}

/* [issue 11] Start the usage page when web_listen is set; a failure is logged, never fatal. */
static void open_web(struct lved *d)
{
	int r;

	if (!d->conf.web_listen)
		return;
	r = lve_web_start(&d->conf, &d->web);
	if (r < 0) {
		d->web = NULL;
		log_msg(LOG_ERR, "cannot serve the usage page on web_listen=%s: %s%s", d->conf.web_listen,
			strerror(-r), r == -EPERM ? " (the secret file must be root's, mode 0600)" : "");
	} else
		log_msg(LOG_INFO, "usage page on %s", d->conf.web_listen);
}

static int load_conf(const char *path, struct lvestats_conf *out)
{
	unsigned line = 0;
	int r = lvestats_conf_load(path, out, &line);

	const char *key = r == -EINVAL ? lvestats_conf_error_key() : NULL;

	if (key && !strcmp(key, "connect_string"))
		log_msg(LOG_ERR,
			"%s:%u: invalid connect_string: expected USER:PASSWORD@HOST[:PORT]/DATABASE "
			"(libpq key=value strings are not accepted; see lvestats2(5))",
			path ? path : LVESTATS_CONF_DEFAULT, line);
	else if (r == -EINVAL && line)
		log_msg(LOG_ERR, "%s:%u: invalid line%s%s (see lvestats2(5))", path ? path : LVESTATS_CONF_DEFAULT,
			line, key ? ": bad value of " : "", key ? key : "");
	else if (r < 0)
		log_msg(LOG_ERR, "cannot load %s: %s", path ? path : LVESTATS_CONF_DEFAULT, strerror(-r));
	return r;
}

static int open_handle(struct olve **out)
{
	int r = olve_open(out, 0);

	if (r < 0)
		log_msg(LOG_ERR, "cannot open the LVE root (openlve.conf, cgroup mounts): %s", strerror(-r));
	return r;
}

static int open_prom(const char *listen, struct lve_prom **out)
{
	int r;

	*out = NULL;
	if (!listen)
		return 0;
	r = lve_prom_new(listen, out);
	if (r < 0)
		log_msg(LOG_ERR, "cannot listen on prometheus_listen=%s: %s", listen, strerror(-r));
	return r;
}

#ifdef HAVE_LVE_DB
static void db_log_recreated(struct lved *d)
{
	struct lve_db_status st;

	lve_db_status(d->db, &st);
	log_msg(LOG_WARNING, "the %s statistics database was corrupt: moved aside to %s, started a new one",
		d->conf.db_type, st.moved_aside[0] ? st.moved_aside : "(unknown)");
}

static void db_try_open(struct lved *d)
{
	int64_t now = mono_usec();
	int r;

	if (d->db || now < d->db_retry_at)
		return;
	r = lve_db_open(&d->conf, &d->db);
	if (r < 0) {
		d->db = NULL;
		d->db_retry_at = now + DB_RETRY_USEC;
		log_rl(RL_DB_OPEN, "cannot open the %s statistics database: %s (sampling and %s go on; retrying every minute)",
		       d->conf.db_type, strerror(-r), d->info_path);
		return;
	}
	if (r == LVE_DB_RECREATED)
		db_log_recreated(d);
}

/* Store a pass. The database layer queues what it cannot write and retries at every call. */
static void db_store(struct lved *d, const struct lve_sample *s, size_t n)
{
	struct lve_db_status st;
	int r;

	db_try_open(d);
	if (!d->db)
		return;
	r = lve_db_insert(d->db, s, n);
	if (r == LVE_DB_RECREATED) {
		db_log_recreated(d);
	} else if (r < 0) {
		lve_db_status(d->db, &st);
		log_rl(RL_DB_INSERT,
		       "cannot store samples in the %s statistics database: %s%s%s (%zu passes queued; sampling and %s go on)",
		       d->conf.db_type, strerror(-r), st.message[0] ? ": " : "", st.message, st.queued_passes,
		       d->info_path);
	}
}

/* Before exit: write what is queued, for a bounded time. */
static void db_finish(struct lved *d)
{
	int r;

	if (!d->db)
		return;
	r = lve_db_flush(d->db, 2000);
	if (r > 0)
		log_msg(LOG_WARNING, "%d passes could not be stored in the %s statistics database before exit", r,
			d->conf.db_type);
	else if (r < 0)
		log_msg(LOG_WARNING, "cannot store the queued passes in the %s statistics database: %s", d->conf.db_type,
			strerror(-r));
}
#endif

static int write_info(struct lved *d, int64_t now)
{
	_cleanup_free_ struct lve_sample *avg = NULL;
	_cleanup_free_ char *text = NULL;
	struct olve_limits defs;
	size_t len;
	int64_t period = (int64_t)(d->conf.info_period > d->conf.interval ? d->conf.info_period : d->conf.interval) * USEC;
	int n, r;

	d->next_info = (now / period + 1) * period;
	n = lve_period_take(d->period, &avg);
	if (n < 0) {
		log_rl(RL_INFO, "cannot average the info period: %s", strerror(-n));
		return n;
	}
	if (olve_defaults_get(d->h, &defs) < 0)
		olve_limits_default(&defs);
	r = lve_info_render(&defs, d->h->ncpus, avg, (size_t)n, &text, &len);
	if (r >= 0)
		r = lve_info_write(d->info_path, text, len);
	if (r < 0) {
		log_rl(RL_INFO, "cannot write %s: %s", d->info_path, strerror(-r));
		return r;
	}
	notify("STATUS=%u LVEs sampled every %u s, %d active in %s", d->last_n, d->conf.interval, n, d->info_path);
	return 0;
}

static int do_pass(struct lved *d, bool force_info)
{
	_cleanup_free_ struct lve_sample *s = NULL;
	struct lve_collector_status st;
	int64_t now = real_usec();
	int n, r;

	n = lve_collector_pass(d->col, now, &s);
	if (n < 0) {
		log_rl(RL_PASS, "cannot sample the LVEs: %s", strerror(-n));
		n = 0;
	}
	d->passes++;
	lve_collector_status(d->col, &st);
	d->last_n = st.n_lves;
	if (st.n_skipped)
		log_rl(RL_SKIP, "cannot open the usage files of %u LVEs (LVE %" PRIu32 ": %s)%s", st.n_skipped,
		       st.last_err_id, strerror(-st.last_err),
		       st.last_err == -EMFILE || st.last_err == -ENFILE ? "; raise LimitNOFILE / ulimit -n" : "");
	if (st.n_transient) {
		struct rlimit rl = { 0 };

		(void)getrlimit(RLIMIT_NOFILE, &rl);
		log_rl(RL_FDS, "%u of %u LVEs read without kept fds (RLIMIT_NOFILE %llu): raise LimitNOFILE / ulimit -n",
		       st.n_transient, st.n_lves, (unsigned long long)rl.rlim_cur);
	}
	r = lve_period_add(d->period, s, (size_t)n);
	if (r < 0)
		log_rl(RL_PASS, "cannot keep the period averages: %s", strerror(-r));
	if (d->prom && (r = lve_prom_update(d->prom, s, (size_t)n, now)) < 0)
		log_rl(RL_PROM, "cannot update the Prometheus data: %s", strerror(-r));
	if (d->snap) {
		/* [issue 11] what ran in the LVEs that hit a limit in this pass */
		if ((r = lve_snapper_pass(d->snap, d->h, s, (size_t)n)) < 0)
			log_rl(RL_SNAP, "cannot write an incident snapshot: %s", strerror(-r));
		if (mono_usec() >= d->next_snap_retention) {
			(void)lve_snapper_retention(d->snap, d->conf.keep_history_days, now / USEC);
			d->next_snap_retention = mono_usec() + RETENTION_USEC;
		}
	}
	if (d->notify) {
		/* the resellers' own caps (lvp<R>): their faults go into the same pass's mails */
		_cleanup_free_ struct lve_sample *rs = NULL;
		int nr = lve_collector_reseller_pass(d->col, now, &rs);

		if (nr < 0)
			log_rl(RL_PASS, "cannot sample the reseller groups: %s", strerror(-nr));
		else if ((r = lve_notifier_reseller_faults(d->notify, rs, (size_t)nr)) < 0)
			log_rl(RL_SNAP, "cannot count the resellers' faults: %s", strerror(-r));
	}
	if (d->notify && (r = lve_notifier_pass(d->notify, s, (size_t)n)) < 0)
		log_rl(RL_SNAP, "cannot start sendmail for a fault notification: %s", strerror(-r));
	if (d->notify) {
		struct lve_notify_status ns;

		lve_notifier_status(d->notify, &ns);
		if (ns.reseller_lookup_failed > d->notify_lookup_failed) {
			log_rl(RL_SNAP, "fault notifications: cannot find the reseller of a faulting LVE in %s (%s): "
					"no reseller mail for it; check it with lvectl list-reseller",
			       d->h->conf.limits_file ? d->h->conf.limits_file : "the limits store",
			       strerror(-ns.reseller_lookup_err));
			d->notify_lookup_failed = ns.reseller_lookup_failed;
		}
	}
#ifdef HAVE_LVE_DB
	db_store(d, s, (size_t)n);
	if (d->db && mono_usec() >= d->next_retention) {
		struct lve_db_status rst;

		if ((r = lve_db_retention(d->db, now / USEC)) < 0)
			log_rl(RL_DB_RETENTION, "cannot remove history older than %u days: %s", d->conf.keep_history_days,
			       strerror(-r));
		lve_db_status(d->db, &rst);
		d->next_retention = mono_usec() + (r >= 0 && rst.retention_pending ? RETENTION_BACKLOG_USEC : RETENTION_USEC);
	}
#endif
	if (force_info || d->next_info == 0 || now >= d->next_info)
		return write_info(d, now);
	return 0;
}

/* Schedule passes at multiples of the interval (wall clock), absolute: no drift. */
static int arm_timer(struct lved *d)
{
	int64_t iv = (int64_t)d->conf.interval * USEC, now = real_usec(), first = (now / iv + 1) * iv;
	struct itimerspec its = {
		.it_value = { .tv_sec = first / USEC, .tv_nsec = (first % USEC) * 1000 },
		.it_interval = { .tv_sec = d->conf.interval },
	};

	if (timerfd_settime(d->tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		return -errno;
	return 0;
}

static char *info_path_of(const struct lvestats_conf *c, const struct olve *h)
{
	return strdup(c->info_file ? c->info_file : h->conf.info_file ? h->conf.info_file : "/var/lve/info");
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void reload(struct lved *d)
{
	struct lvestats_conf nc;
	struct olve *nh = NULL;
	struct lve_collector *ncol = NULL;
	struct lve_prom *np = NULL;
	_cleanup_free_ struct lve_sample *s = NULL;
	char *npath;
	bool prom_changed;
	int r;

	notify("RELOADING=1\nMONOTONIC_USEC=%" PRId64, mono_usec());
	if (load_conf(d->config_path, &nc) < 0) {
		log_msg(LOG_ERR, "reload failed: keeping the running configuration");
		notify("READY=1");
		return;
	}
	r = open_handle(&nh);
	if (r >= 0 && (r = lve_collector_new(nh, &ncol)) < 0)
		log_msg(LOG_ERR, "cannot set up the sampler: %s", strerror(-r));
	if (r < 0) {
		log_msg(LOG_ERR, "reload failed: keeping the running configuration");
		olve_close(nh);
		lvestats_conf_free(&nc);
		notify("READY=1");
		return;
	}
	prom_changed = !same_str(nc.prometheus_listen, d->conf.prometheus_listen);
	if (prom_changed) {
		/* release the old address first: the new one may be the same port on another name */
		lve_prom_free(d->prom);
		d->prom = NULL;
		if (open_prom(nc.prometheus_listen, &np) == 0)
			d->prom = np;
	}
	npath = info_path_of(&nc, nh);
	if (!npath) {
		log_msg(LOG_ERR, "reload failed: out of memory");
		lve_collector_free(ncol);
		olve_close(nh);
		lvestats_conf_free(&nc);
		notify("READY=1");
		return;
	}
	/* the new sampler's baseline: its first pass gives no samples */
	(void)lve_collector_pass(ncol, real_usec(), &s);
	lve_collector_free(d->col);
	olve_close(d->h);
	d->col = ncol;
	d->h = nh;
	free(d->info_path);
	d->info_path = npath;
#ifdef HAVE_LVE_DB
	if (strcmp(nc.db_type, d->conf.db_type) || !same_str(nc.connect_string, d->conf.connect_string) ||
	    !same_str(nc.sqlite_path, d->conf.sqlite_path) || strcmp(nc.server_id, d->conf.server_id) ||
	    nc.keep_history_days != d->conf.keep_history_days || nc.keep_raw_hours != d->conf.keep_raw_hours ||
	    nc.keep_minute_days != d->conf.keep_minute_days) {
		db_finish(d);
		lve_db_close(d->db);
		d->db = NULL;
		d->db_retry_at = 0;
	}
#endif
	{
		/* [issue 11] the page keeps its own database handle: restart it on any change */
		bool web_changed = !same_str(nc.web_listen, d->conf.web_listen) ||
				   !same_str(nc.web_root, d->conf.web_root) ||
				   !same_str(nc.web_secret_file, d->conf.web_secret_file) ||
				   strcmp(nc.db_type, d->conf.db_type) || !same_str(nc.sqlite_path, d->conf.sqlite_path) ||
				   !same_str(nc.connect_string, d->conf.connect_string) ||
				   strcmp(nc.server_id, d->conf.server_id);

		lvestats_conf_free(&d->conf);
		d->conf = nc;
		open_snapper(d);
		open_notifier(d);
		if (web_changed) {
			lve_web_stop(d->web);
			d->web = NULL;
			open_web(d);
		}
	}
	r = arm_timer(d);
	if (r < 0)
		log_msg(LOG_ERR, "cannot rearm the sampling timer: %s", strerror(-r));
	{
		int64_t period = (int64_t)(d->conf.info_period > d->conf.interval ? d->conf.info_period : d->conf.interval) *
				 USEC,
			now = real_usec();

		if (d->next_info > now + period || d->next_info == 0)
			d->next_info = (now / period + 1) * period;
	}
#ifdef HAVE_LVE_DB
	db_try_open(d);
#endif
	log_msg(LOG_INFO, "reloaded: sampling every %u s, %s every %u s, prometheus %s", d->conf.interval, d->info_path,
		d->conf.info_period, d->conf.prometheus_listen ? d->conf.prometheus_listen : "off");
	notify("READY=1\nSTATUS=reloaded: sampling every %u s", d->conf.interval);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void lved_free(struct lved *d)
{
#ifdef HAVE_LVE_DB
	db_finish(d);
	lve_db_close(d->db);
#endif
	lve_web_stop(d->web);
	lve_snapper_free(d->snap);
	lve_notifier_free(d->notify);
	lve_prom_free(d->prom);
	lve_period_free(d->period);
	lve_collector_free(d->col);
	olve_close(d->h);
	lvestats_conf_free(&d->conf);
	free(d->info_path);
	safe_close(d->tfd);
	safe_close(d->sfd);
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	openlog("lved", LOG_PID, LOG_DAEMON);
	log_syslog = true;
	return 0;
}

static int run_loop(struct lved *d)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = d->sfd, .events = POLLIN },
			{ .fd = d->tfd, .events = POLLIN },
			{ .fd = -1 },
		};
		int timeout = -1;

		if (d->prom) {
			pfd[2].fd = lve_prom_pollfd(d->prom, &pfd[2].events);
			timeout = lve_prom_timeout_ms(d->prom, mono_usec());
		}
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "poll: %m");
			return -errno;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(d);
					continue;
				}
				log_msg(LOG_INFO, "%s: stopping", strsignal((int)si.ssi_signo));
				return 0;
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t exp;

			if (read(d->tfd, &exp, sizeof(exp)) < 0) {
				if (errno == ECANCELED) {
					/* the wall clock was set: keep the schedule aligned to it */
					int r = arm_timer(d);

					if (r < 0)
						log_rl(RL_TIMER, "cannot rearm the sampling timer: %s", strerror(-r));
				}
			} else {
				if (exp > 1)
					log_rl(RL_TIMER, "%" PRIu64 " sampling passes missed (system busy or suspended)",
					       exp - 1);
				(void)do_pass(d, false);
			}
		}
		if (d->prom && pfd[2].fd >= 0 && (pfd[2].revents || lve_prom_timeout_ms(d->prom, mono_usec()) == 0)) {
			int r = lve_prom_dispatch(d->prom, pfd[2].revents, mono_usec());

			if (r < 0)
				log_rl(RL_PROM, "Prometheus endpoint: %s", strerror(-r));
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: lved [--config FILE] [--foreground] [--once]\n"
		   "  -c, --config FILE  lve-stats 2 configuration (default %s)\n"
		   "  -f, --foreground   do not detach (systemd, containers)\n"
		   "  -1, --once         sample over one interval, write the info file (and the database), exit\n"
		   "  -h, --help         this text\n"
		   "  -V, --version      version\n",
		   LVESTATS_CONF_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct lved d = { .tfd = -1, .sfd = -1 };
	_cleanup_free_ struct lve_sample *s = NULL;
	sigset_t mask;
	int c, r, rc = 1;

	while ((c = getopt_long(argc, argv, "c:f1hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			d.foreground = true;
			break;
		case '1':
			d.once = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
#ifdef HAVE_LVE_DB
			printf("lved (openlve) %s, history database: sqlite%s\n", OPENLVE_VERSION,
#ifdef HAVE_LIBPQ
			       ", postgresql"
#else
			       ""
#endif
			);
#else
			printf("lved (openlve) %s, history database: none\n", OPENLVE_VERSION);
#endif
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lved: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	notify_init();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	(void)delegate_leaf();

	if (load_conf(d.config_path, &d.conf) < 0)
		return 1;
	if (open_handle(&d.h) < 0)
		goto out;
	d.info_path = info_path_of(&d.conf, d.h);
	if (!d.info_path) {
		log_msg(LOG_ERR, "out of memory");
		goto out;
	}
	r = lve_info_clean_temps(d.info_path);
	if (r > 0)
		log_msg(LOG_INFO, "removed %d temporary files an interrupted writer left beside %s", r, d.info_path);
	if ((r = lve_collector_new(d.h, &d.col)) < 0 || (r = lve_period_new(&d.period)) < 0) {
		log_msg(LOG_ERR, "cannot set up the sampler: %s", strerror(-r));
		goto out;
	}
	if (!d.once && open_prom(d.conf.prometheus_listen, &d.prom) < 0)
		goto out;
	open_snapper(&d);
	open_notifier(&d);
#ifdef HAVE_LVE_DB
	db_try_open(&d);
#endif
	/* the baseline: the first pass over an LVE gives no sample */
	r = lve_collector_pass(d.col, real_usec(), &s);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot sample the LVEs: %s", strerror(-r));
		goto out;
	}
	free(TAKE_PTR(s));

	if (d.once) {
		struct timespec ts = { .tv_sec = d.conf.interval };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		rc = do_pass(&d, true) < 0 ? 1 : 0;
		goto out;
	}

	if (!d.foreground && (r = daemonize()) < 0) {
		log_msg(LOG_ERR, "cannot detach: %s", strerror(-r));
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (d.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (d.tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) {
		log_msg(LOG_ERR, "cannot set up signals and the timer: %m");
		goto out;
	}
	if ((r = arm_timer(&d)) < 0) {
		log_msg(LOG_ERR, "cannot arm the sampling timer: %s", strerror(-r));
		goto out;
	}
	open_web(&d); /* after daemonize(), with the signals blocked: its thread inherits the mask */
	log_msg(LOG_INFO, "sampling every %u s, %s every %u s, prometheus %s", d.conf.interval, d.info_path,
		d.conf.info_period, d.conf.prometheus_listen ? d.conf.prometheus_listen : "off");
	notify("READY=1\nSTATUS=sampling every %u s\nMAINPID=%d", d.conf.interval, (int)getpid());
	rc = run_loop(&d) < 0 ? 1 : 0;
	notify("STOPPING=1");
out:
	lved_free(&d);
	return rc;
}
