/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placed.c - openlve-placed: puts every process of a hosting customer into
 * the customer's LVE (LVE id = uid), whoever started it: PHP-FPM pool
 * workers, su / runuser / sudo -u, cron jobs, a customer's own daemons, and
 * processes that change their uid later. Owner: the automatic-placement
 * service (issue 8); liblve (src/liblve) does the moving, this file only
 * decides what to move and when.
 *
 * Mechanism
 *   The kernel's process-events connector (NETLINK_CONNECTOR, CN_IDX_PROC)
 *   reports every fork, exec and uid change. On each:
 *     - PROC_EVENT_UID  (setuid/setresuid/... of a thread): its process;
 *     - PROC_EVENT_FORK (a new process, not a new thread): the child, which
 *       catches children forked between a uid change and our move;
 *     - PROC_EVENT_EXEC: the process (a set-uid program changes the euid
 *       without a uid event);
 *   the process is checked and, when eligible, moved with olve_enter_pid()
 *   (all its threads, every hierarchy; the LVE is created with default
 *   limits when it does not exist yet). Children created after the move
 *   follow their parent's cgroup by the kernel's inheritance rule (fork and
 *   clone3 without CLONE_INTO_CGROUP), so they need no event of their own.
 *   A full /proc rescan runs at start, whenever the kernel dropped events
 *   (recv() fails with ENOBUFS), on SIGHUP and every --rescan-interval
 *   seconds, so nothing stays outside for longer than one rescan even when
 *   the socket overflowed during a fork storm.
 *
 * Which processes (checked in this order; the first "no" wins)
 *   - the effective uid is 0 (root), below --min-uid or above --max-uid
 *     (defaults: UID_MIN and UID_MAX of /etc/login.defs, 1000 and 60000 on
 *     Debian: system accounts, nobody and systemd's dynamic users are never
 *     regular users): never moved; a set-uid-root program a customer runs
 *     keeps euid 0;
 *   - the user is listed with --exclude-user, or is a member (primary or
 *     supplementary) of a group listed with --exclude-group (or
 *     --binaries-only is given): moved only for a listed binary (below);
 *   - the process is already inside an LVE in every hierarchy (any id: a
 *     web-server module, pam_lve or lve_wrapper put it there and decided):
 *     left alone; inside in some hierarchies only (forked while its parent
 *     was being moved one hierarchy after the other): the move is finished;
 *   - otherwise it is moved into LVE <euid>; a disabled LVE refuses
 *     (olve_enter_pid: -EPERM) and the process stays where it is.
 *
 * Listed binaries (issue 10: CloudLinux's lvectl set-binary, "binaries run
 * inside LVE on execution"; the lists are lvectl-binaries.c's)
 *   The loaded list <state_dir>/binaries is read at start, on SIGHUP and
 *   whenever lvectl replaces it (inotify on state_dir), each change followed
 *   by a rescan. A process whose executable (/proc/<pid>/exe: its path, or
 *   the file the listed path resolved to when the list was read) is listed
 *   is moved into LVE <euid> even when its user is excluded by
 *   --exclude-user/--exclude-group; with --binaries-only ONLY such processes
 *   are moved (CloudLinux's behaviour, where nothing else is placed). The
 *   uid range (--min-uid, --max-uid, never root) and "already inside an
 *   LVE" still apply: a listed binary never moves root's or a system
 *   user's process.
 *   Decisions per uid are cached; SIGHUP clears the cache (new users,
 *   changed groups), re-reads the binaries list and rescans.
 *
 * Races (documented in openlve-placed(8)): a pid read from /proc can exit
 * and, in theory, be reused between the check and the move; the event
 * stream keeps the window to microseconds. Kernel threads have no uid >= 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "binaries.h"
#include "fileio.h"
#include "logindefs.h"
#include "lve-internal.h"
#include "macro.h"

#define CACHE_SLOTS 4096
#define RCVBUF_BYTES (8 * 1024 * 1024)

struct uid_decision {
	uint32_t uid;
	bool valid;
	bool eligible;
};

static struct {
	uint32_t min_uid, max_uid;
	unsigned *ex_uids;
	size_t n_ex_uids;
	unsigned *ex_gids;
	size_t n_ex_gids;
	unsigned rescan_interval;
	bool verbose;
	bool once;
	bool binaries_only; /* move only processes of listed binaries */
} cfg = { .min_uid = LOGIN_DEFS_UID_MIN, .max_uid = LOGIN_DEFS_UID_MAX, .rescan_interval = 60 };

static struct {
	unsigned long long moved, rescans, overflows, failed;
} stats;

static struct uid_decision cache[CACHE_SLOTS];
static struct olve *lve;

/* The loaded binaries list: each listed path, the file it resolved to when read. */
struct binary {
	char *path;
	char *real; /* realpath() when it differs from path, else NULL */
	dev_t dev;
	ino_t ino;
	bool have_ino;
};
static struct binary *bins;
static size_t n_bins;

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("openlve-placed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool gid_excluded(gid_t g)
{
	for (size_t i = 0; i < cfg.n_ex_gids; i++)
		if (cfg.ex_gids[i] == g)
			return true;
	return false;
}

static bool uid_eligible_uncached(uid_t uid)
{
	struct passwd pwbuf, *pw = NULL;
	char buf[4096];

	if (uid == 0 || uid < cfg.min_uid || uid > cfg.max_uid)
		return false;
	for (size_t i = 0; i < cfg.n_ex_uids; i++)
		if (cfg.ex_uids[i] == uid)
			return false;
	if (cfg.n_ex_gids == 0)
		return true;
	if (getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw) != 0 || !pw)
		return true; /* no passwd entry: no group to be excluded by */
	if (gid_excluded(pw->pw_gid))
		return false;
	{
		gid_t groups[256];
		int n = (int)(sizeof(groups) / sizeof(groups[0]));

		if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0) {
			/* More than 256 groups: be safe, treat as excluded. */
			log_msg("user %s is in more than 256 groups: not placed", pw->pw_name);
			return false;
		}
		for (int i = 0; i < n; i++)
			if (gid_excluded(groups[i]))
				return false;
	}
	return true;
}

static bool uid_eligible(uid_t uid)
{
	struct uid_decision *d = &cache[uid % CACHE_SLOTS];

	if (uid == 0 || uid < cfg.min_uid || uid > cfg.max_uid)
		return false;
	if (d->valid && d->uid == uid)
		return d->eligible;
	d->uid = uid;
	d->eligible = uid_eligible_uncached(uid);
	d->valid = true;
	return d->eligible;
}

/* Effective uid of a process from /proc/<pid>/status. 0 or -errno. */
static int proc_euid(int procfd, pid_t pid, uid_t *out)
{
	char path[32], buf[2048];
	const char *p;
	unsigned long ruid, euid;
	ssize_t n;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%d/status", (int)pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%lu %lu", &ruid, &euid) != 2)
		return -EIO;
	*out = (uid_t)euid;
	return 0;
}

/*
 * LVE the process is in now (0: none) and whether only some of its
 * hierarchies are (*partial). 0 or -errno.
 */
static int proc_lve(int procfd, pid_t pid, uint32_t *out, bool *partial)
{
	char path[32], buf[8192];
	ssize_t n;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return olve_current_parse_all(lve, buf, out, partial);
}

static void bins_free(struct binary *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].real);
	}
	free(v);
}

/*
 * (Re)read <state_dir>/binaries. A missing file is an empty list; a bad
 * one is logged and the previous list stays in force. 0 or -errno.
 */
static int binaries_load(void)
{
	_cleanup_(olve_binaries_free) struct olve_binaries b = { 0 };
	struct olve_binaries_error e;
	_cleanup_free_ char *path = NULL;
	struct binary *nv;
	int r;

	if (asprintf(&path, "%s/binaries", lve->conf.state_dir) < 0)
		return -ENOMEM;
	r = olve_binaries_load(path, &b, NULL, &e);
	if (r < 0) {
		if (e.line)
			log_msg("%s line %u: %s; the previous binaries list stays in force", path, e.line, e.msg);
		else
			log_msg("cannot read %s: %s; the previous binaries list stays in force", path,
				e.msg[0] ? e.msg : strerror(-r));
		return r;
	}
	nv = calloc(b.n ? b.n : 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < b.n; i++) {
		char real[PATH_MAX];
		struct stat st;

		nv[i].path = TAKE_PTR(b.path[i]);
		if (realpath(nv[i].path, real) && strcmp(real, nv[i].path))
			nv[i].real = strdup(real);
		if (stat(nv[i].path, &st) == 0 && S_ISREG(st.st_mode)) {
			nv[i].dev = st.st_dev;
			nv[i].ino = st.st_ino;
			nv[i].have_ino = true;
		} else {
			log_msg("listed binary %s is not a program here now (placed once it is and the list is reloaded)",
				nv[i].path);
		}
	}
	bins_free(bins, n_bins);
	bins = nv;
	n_bins = b.n;
	b.n = 0;
	if (cfg.verbose || cfg.binaries_only)
		log_msg("binaries list %s: %zu programs", path, n_bins);
	return 0;
}

/* Is the executable of pid a listed binary? Its path, or the same file. */
static bool exe_listed(int procfd, pid_t pid, const char **which)
{
	char path[32], exe[PATH_MAX + 16];
	struct stat st;
	ssize_t n;

	if (n_bins == 0)
		return false;
	snprintf(path, sizeof(path), "%d/exe", (int)pid);
	n = readlinkat(procfd, path, exe, sizeof(exe) - 1);
	if (n > 0) {
		static const char deleted[] = " (deleted)";
		size_t dl = sizeof(deleted) - 1;

		exe[n] = 0;
		/* replaced by a package upgrade while it runs: still that program */
		if ((size_t)n > dl && !strcmp(exe + n - dl, deleted))
			exe[n - dl] = 0;
		for (size_t i = 0; i < n_bins; i++)
			if (!strcmp(exe, bins[i].path) || (bins[i].real && !strcmp(exe, bins[i].real))) {
				*which = bins[i].path;
				return true;
			}
	}
	/* the same file reached by another name (hard link, bind mount) */
	if (fstatat(procfd, path, &st, 0) < 0)
		return false;
	for (size_t i = 0; i < n_bins; i++)
		if (bins[i].have_ino && bins[i].dev == st.st_dev && bins[i].ino == st.st_ino) {
			*which = bins[i].path;
			return true;
		}
	return false;
}

/* Check one process and move it when eligible. 1 moved, 0 left alone, -errno. */
static int place(int procfd, pid_t pid)
{
	uid_t euid;
	uint32_t cur = 0;
	bool partial = false;
	const char *binary = NULL;
	int r;

	if (pid <= 1 || pid == getpid())
		return 0;
	r = proc_euid(procfd, pid, &euid);
	if (r < 0)
		return r == -ENOENT || r == -ESRCH ? 0 : r;
	if (euid == 0 || euid < cfg.min_uid || euid > cfg.max_uid)
		return 0;
	/* by uid, else (excluded user, --binaries-only) by a listed binary */
	if ((cfg.binaries_only || !uid_eligible(euid)) && !exe_listed(procfd, pid, &binary))
		return 0;
	r = proc_lve(procfd, pid, &cur, &partial);
	if (r < 0) {
		if ((r == -ENOENT || r == -ESRCH) && proc_euid(procfd, pid, &euid) < 0)
			return 0; /* exited meanwhile */
		static unsigned said;

		stats.failed++;
		/* the first 20 (a broken /proc/PID/cgroup format would repeat for every event) */
		if (cfg.verbose || said++ < 20)
			log_msg("cannot tell which LVE pid %d (uid %u) is in: %s", (int)pid, (unsigned)euid,
				strerror(-r));
		return r;
	}
	/* inside an LVE in every hierarchy: someone decided, leave it; caught half
	 * way (forked while its parent was being moved): finish that move */
	if (cur != 0 && !partial)
		return 0;
	r = olve_enter_pid(lve, cur ? cur : (uint32_t)euid, pid);
	if ((r == -ESRCH || r == -ENOENT) && proc_euid(procfd, pid, &euid) < 0)
		return 0; /* exited meanwhile */
	if (r < 0) {
		stats.failed++;
		if (cfg.verbose || r != -EPERM)
			log_msg("cannot move pid %d (uid %u) into LVE %u: %s", (int)pid, (unsigned)euid,
				(unsigned)euid, strerror(-r));
		return r;
	}
	stats.moved++;
	if (cfg.verbose)
		log_msg("moved pid %d into LVE %u%s%s", (int)pid, (unsigned)euid, binary ? ": listed binary " : "",
			binary ? binary : "");
	return 1;
}

static void rescan(int procfd)
{
	DIR *d;
	struct dirent *de;

	stats.rescans++;
	if (ol_opendir_at(procfd, ".", &d) < 0)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		pid = strtol(de->d_name, &end, 10);
		if (*end || errno || pid <= 0 || pid > INT_MAX)
			continue;
		(void)place(procfd, (pid_t)pid);
	}
	closedir(d);
}

static int cn_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) msg;
	int size = RCVBUF_BYTES;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	memset(&msg, 0, sizeof(msg));
	msg.nl.nlmsg_len = sizeof(msg);
	msg.nl.nlmsg_type = NLMSG_DONE;
	msg.cn.id.idx = CN_IDX_PROC;
	msg.cn.id.val = CN_VAL_PROC;
	msg.cn.len = sizeof(msg.op);
	msg.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Handle every event of one datagram. */
static void cn_handle(int procfd, const char *buf, size_t len)
{
	for (const struct nlmsghdr *nh = (const void *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		const struct cn_msg *cn;
		struct proc_event evbuf;
		const struct proc_event *ev = &evbuf;

		if (nh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_OVERRUN)
			break;
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*cn) + sizeof(evbuf)))
			continue;
		cn = NLMSG_DATA(nh);
		if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
			continue;
		/* the event sits 4 bytes into an 8-byte aligned record: copy it out
		 * instead of reading 8-byte fields at a misaligned address */
		memcpy(&evbuf, cn->data, sizeof(evbuf));
		switch (ev->what) {
		case PROC_EVENT_FORK:
			if (ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid)
				(void)place(procfd, ev->event_data.fork.child_tgid);
			break;
		case PROC_EVENT_UID:
			(void)place(procfd, ev->event_data.id.process_tgid);
			break;
		case PROC_EVENT_EXEC:
			(void)place(procfd, ev->event_data.exec.process_tgid);
			break;
		default:
			break;
		}
		if (nh->nlmsg_type == NLMSG_DONE)
			break;
	}
}

static int add_id(unsigned **arr, size_t *n, unsigned v)
{
	unsigned *a = realloc(*arr, (*n + 1) * sizeof(unsigned));

	if (!a)
		return -ENOMEM;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

/* "a,b,c" -> resolved ids. 0 or -errno (an unknown name is -ENOENT). */
static int parse_names(const char *arg, bool group, const char **bad)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		static char badname[256];
		unsigned id;
		int r;

		if (group) {
			struct group *g = getgrnam(t);

			if (!g) {
				snprintf(badname, sizeof(badname), "%s", t);
				*bad = badname;
				return -ENOENT;
			}
			id = g->gr_gid;
			r = add_id(&cfg.ex_gids, &cfg.n_ex_gids, id);
		} else {
			struct passwd *p = getpwnam(t);

			if (!p) {
				snprintf(badname, sizeof(badname), "%s", t);
				*bad = badname;
				return -ENOENT;
			}
			id = p->pw_uid;
			r = add_id(&cfg.ex_uids, &cfg.n_ex_uids, id);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: openlve-placed [OPTIONS]\n"
	      "Put every process of a user into the user's LVE (LVE id = uid).\n\n"
	      "  -m, --min-uid UID           smallest uid placed (default: UID_MIN of\n"
	      "                              /etc/login.defs, 1000 when unset)\n"
	      "  -M, --max-uid UID           largest uid placed (default: UID_MAX of\n"
	      "                              /etc/login.defs, 60000 when unset)\n"
	      "  -u, --exclude-user LIST     users not placed, except for listed binaries\n"
	      "                              (comma-separated; repeatable)\n"
	      "  -g, --exclude-group LIST    the same for the members of these groups\n"
	      "  -r, --rescan-interval SEC   full /proc rescan period, 0 = only at start,\n"
	      "                              on lost events and SIGHUP (default 60)\n"
	      "  -b, --binaries-only         move only processes of the binaries listed with\n"
	      "                              lvectl set-binary (default: every process of a\n"
	      "                              user, and listed binaries of excluded users too)\n"
	      "  -1, --once                  one rescan, then exit (no event loop)\n"
	      "  -v, --verbose               log every move\n"
	      "  -h, --help                  this text\n",
	      f);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "min-uid", required_argument, NULL, 'm' },
		{ "max-uid", required_argument, NULL, 'M' },
		{ "exclude-user", required_argument, NULL, 'u' },
		{ "exclude-group", required_argument, NULL, 'g' },
		{ "rescan-interval", required_argument, NULL, 'r' },
		{ "once", no_argument, NULL, '1' },
		{ "binaries-only", no_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_close_ int procfd = -1, nlfd = -1, sigfd = -1, tfd = -1, infd = -1;
	sigset_t mask;
	bool min_given = false, max_given = false;
	int c, r, defs;

	/* the regular users' uid range of this system: the defaults */
	defs = login_defs_uid_range(LOGIN_DEFS_PATH, &cfg.min_uid, &cfg.max_uid);
	if (defs < 0 && defs != -EINVAL) { /* -EINVAL (UID_MIN > UID_MAX): after the options */
		fprintf(stderr, "openlve-placed: cannot read " LOGIN_DEFS_PATH ": %s\n", strerror(-defs));
		return 1;
	}
	while ((c = getopt_long(argc, argv, "m:M:u:g:r:1bvh", opts, NULL)) != -1) {
		const char *bad = NULL;
		unsigned v;

		switch (c) {
		case 'm':
			if (parse_uint(optarg, UINT32_MAX - 1, &v) < 0 || v == 0) {
				fprintf(stderr, "openlve-placed: invalid --min-uid '%s' (a uid >= 1)\n", optarg);
				return 2;
			}
			cfg.min_uid = v;
			min_given = true;
			break;
		case 'M':
			if (parse_uint(optarg, UINT32_MAX - 1, &v) < 0 || v == 0) {
				fprintf(stderr, "openlve-placed: invalid --max-uid '%s' (a uid >= 1)\n", optarg);
				return 2;
			}
			cfg.max_uid = v;
			max_given = true;
			break;
		case 'u':
		case 'g':
			r = parse_names(optarg, c == 'g', &bad);
			if (r < 0) {
				fprintf(stderr, "openlve-placed: unknown %s '%s' in --exclude-%s (check the name)\n",
					c == 'g' ? "group" : "user", bad ? bad : optarg, c == 'g' ? "group" : "user");
				return 2;
			}
			break;
		case 'r':
			if (parse_uint(optarg, 86400 * 7, &v) < 0) {
				fprintf(stderr, "openlve-placed: invalid --rescan-interval '%s' (seconds, 0..604800)\n",
					optarg);
				return 2;
			}
			cfg.rescan_interval = v;
			break;
		case '1':
			cfg.once = true;
			break;
		case 'b':
			cfg.binaries_only = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "openlve-placed: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (defs == -EINVAL && (!min_given || !max_given)) {
		fprintf(stderr, "openlve-placed: UID_MIN is above UID_MAX in " LOGIN_DEFS_PATH
				": give both --min-uid and --max-uid\n");
		return 1;
	}
	if (cfg.max_uid < cfg.min_uid) {
		fprintf(stderr, "openlve-placed: %s %u is below %s %u\n",
			max_given ? "--max-uid" : "UID_MAX of " LOGIN_DEFS_PATH, cfg.max_uid,
			min_given ? "--min-uid" : "UID_MIN of " LOGIN_DEFS_PATH, cfg.min_uid);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "openlve-placed: must run as root (moves processes between cgroups)\n");
		return 1;
	}
	r = olve_open(&lve, 0);
	if (r < 0) {
		fprintf(stderr, "openlve-placed: cannot open the LVE tree: %s (check openlve.conf and the cgroup mounts)\n",
			strerror(-r));
		return 1;
	}
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		fprintf(stderr, "openlve-placed: cannot open /proc: %m\n");
		return 1;
	}
	if (!cfg.once) {
		nlfd = cn_open();
		if (nlfd < 0) {
			fprintf(stderr,
				"openlve-placed: cannot subscribe to process events (NETLINK_CONNECTOR): %s "
				"(needs CAP_NET_ADMIN in the initial network namespace)\n",
				strerror(-nlfd));
			return 1;
		}
	}
	/* The binaries list: watched before it is read, so no change is missed. */
	if (!cfg.once) {
		infd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (infd < 0 || inotify_add_watch(infd, lve->conf.state_dir,
						  IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) < 0)
			log_msg("cannot watch %s for binaries list changes: %m (SIGHUP re-reads it)",
				lve->conf.state_dir);
	}
	(void)binaries_load();
	/* Subscribe first, then scan: nothing started in between is missed. */
	rescan(procfd);
	if (cfg.once) {
		log_msg("placed %llu processes (%llu failed)", stats.moved, stats.failed);
		olve_close(lve);
		bins_free(bins, n_bins);
		return stats.failed ? 1 : 0;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		fprintf(stderr, "openlve-placed: signalfd: %m\n");
		return 1;
	}
	if (cfg.rescan_interval) {
		struct itimerspec its = { .it_interval = { cfg.rescan_interval, 0 },
					  .it_value = { cfg.rescan_interval, 0 } };

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
			fprintf(stderr, "openlve-placed: timerfd: %m\n");
			return 1;
		}
	}
	log_msg("ready: uids %u..%u, %zu excluded users, %zu excluded groups, %zu listed binaries%s, rescan every %us "
		"(%llu processes placed at start)",
		cfg.min_uid, cfg.max_uid, cfg.n_ex_uids, cfg.n_ex_gids, n_bins, cfg.binaries_only ? " (only those)" : "",
		cfg.rescan_interval, stats.moved);

	for (;;) {
		struct pollfd pfd[4] = { { nlfd, POLLIN, 0 }, { sigfd, POLLIN, 0 }, { infd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
		char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

		if (poll(pfd, tfd >= 0 ? 4 : 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg("poll: %m");
			break;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					memset(cache, 0, sizeof(cache));
					(void)binaries_load();
					rescan(procfd);
				} else if (si.ssi_signo == SIGUSR1) {
					log_msg("moved %llu, failed %llu, rescans %llu, event overflows %llu",
						stats.moved, stats.failed, stats.rescans, stats.overflows);
				} else {
					break;
				}
			}
		}
		if (infd >= 0 && (pfd[2].revents & POLLIN)) {
			char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			bool changed = false;
			ssize_t n;

			while ((n = read(infd, ev, sizeof(ev))) > 0)
				for (char *p = ev; p < ev + n;) {
					const struct inotify_event *ie = (const struct inotify_event *)p;

					if (ie->len && !strcmp(ie->name, "binaries"))
						changed = true;
					p += sizeof(*ie) + ie->len;
				}
			if (changed && binaries_load() == 0)
				rescan(procfd); /* running processes of newly listed binaries too */
		}
		if (tfd >= 0 && (pfd[3].revents & POLLIN)) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
				rescan(procfd);
		}
		if (pfd[0].revents & (POLLIN | POLLERR)) {
			for (;;) {
				ssize_t n = recv(nlfd, buf, sizeof(buf), 0);

				if (n < 0) {
					if (errno == ENOBUFS) {
						/* The kernel dropped events: find what we missed. */
						stats.overflows++;
						rescan(procfd);
						continue;
					}
					if (errno != EAGAIN && errno != EINTR)
						log_msg("recv: %m");
					break;
				}
				cn_handle(procfd, buf, (size_t)n);
			}
		}
	}
	log_msg("exiting: moved %llu, failed %llu, rescans %llu, event overflows %llu", stats.moved, stats.failed,
		stats.rescans, stats.overflows);
	olve_close(lve);
	free(cfg.ex_uids);
	free(cfg.ex_gids);
	bins_free(bins, n_bins);
	return 0;
}
