/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * priv.c - who may enter and leave LVEs, and the privileged broker that
 * lets a web server's unprivileged children do it (issue 7). Everything
 * that decides "may this caller enter / change LVEs" calls in here.
 *
 * The right
 *   A caller is privileged when its euid is 0 or it has CAP_SYS_ADMIN in
 *   its effective set (olve_privileged). Privileged callers open every
 *   cgroup and state file themselves. A handle opened while privileged
 *   with OLVE_OPEN_DELEGATE (init_lve and lve_instance_init always ask for
 *   it) also carries the right to enter and leave into the processes
 *   forked from the opener after they drop privileges (Apache, LiteSpeed
 *   and PHP LSAPI call init_lve as root, then their children setuid to
 *   www-data or the site's user). Changing limits, creating LVEs outside
 *   an entry, destroying and moving other tasks stay privileged-only.
 *
 * The broker (OpenSSH-style privilege separation)
 *   olve_broker_start(), run by the privileged opener, makes a
 *   SOCK_SEQPACKET socketpair (both ends O_CLOEXEC) and double-forks a
 *   small root process that keeps one end; the handle keeps the other.
 *   The broker starts a new session, ignores job-control and Apache's
 *   signals, closes every fd it inherited except the socket and the cgroup
 *   mount fds, opens a handle of its own and serves requests until every
 *   holder of the other end is gone (then it _exit()s). Forked children
 *   inherit the handle and its socket; execve() closes the socket like
 *   every other openlve fd, and the socketpair has no name in the file
 *   system, so nothing a child exec()s can reach the broker.
 *
 *   A request is one datagram on the shared socket carrying a fresh
 *   socketpair end (SCM_RIGHTS) for the reply, so replies of concurrent
 *   children never mix; the kernel adds the sender's pid (SO_PASSCRED,
 *   SCM_CREDENTIALS, verified by the kernel). Requests:
 *     LVE    id, create   the LVE's dir, tasks (v1) / cgroup.procs (v2) fd
 *                         per hierarchy and a fresh open file description
 *                         of its state file; creates the LVE (default
 *                         limits) when asked, as a privileged enter would
 *     STATE  id           another open file description of the state file
 *                         (each concurrent EP slot needs its own)
 *     ORIGIN tid          the tasks / cgroup.procs fd of the cgroup thread
 *                         `tid` of the SENDER's process is in, per hierarchy,
 *                         then that cgroup's cgroup.threads per v2 hierarchy,
 *                         refused (-EPERM) when that is inside an LVE
 *     TLVE   id           cgroup.threads and cpu.max of LVE id's threaded
 *                         child below the server's cgroup (threads.c), made
 *                         when missing; -EOPNOTSUPP when there is no tree
 *   The fds come back opened by root: since Linux 5.16 the kernel checks a
 *   cgroup migration with the credentials of the opener of the file
 *   (cgroup v1 always let a task move itself through an fd it could open).
 *   The requester keeps them (the handle's LVE fd cache, the thread's
 *   origin, the EP pools), so after the first entry of a process into an
 *   LVE every entry and leave is the same bare writes a root caller does:
 *   no round trip per request.
 *
 * Threat model (man liblve(3), section "Privileges")
 *   Trusted: the privileged opener and what it forks without exec (the web
 *   server's own children and the module code in them, e.g. mod_php, can
 *   enter and leave any LVE, as with CloudLinux). Not trusted: any program
 *   exec()ed by them (CGI, suexec, PHP-FPM workers, lve_wrapper's command)
 *   and everything those start. Such a program inherits no fd of ours,
 *   cannot open a tasks / cgroup.procs / cgroup.threads / state file
 *   (root-owned, not writable for others), cannot connect to the broker,
 *   and an init_lve of its own (unprivileged) gets no broker: every enter
 *   or leave is -EPERM. Same-uid theft of the child's fds is stopped by the
 *   kernel: a process whose credentials changed from root is not dumpable,
 *   so ptrace / pidfd_getfd / /proc/<pid>/fd of it are refused, and
 *   re-opening a cgroup file through /proc/<pid>/fd checks the file mode.
 *   Before Linux 5.16 a cgroup v2 migration through a root-opened fd by an
 *   unprivileged writer is refused by the kernel (-EPERM here): no escape,
 *   but no unprivileged entries there either.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-internal.h"
#include "lve-internal.h"
#include "macro.h"

#define PRIV_MAGIC 0x4f4c5650u /* "OLVP" */
#define PRIV_OP_LVE 1
#define PRIV_OP_STATE 2
#define PRIV_OP_ORIGIN 3
#define PRIV_OP_TLVE 4
#define PRIV_PATHS_MAX 16384
#define PRIV_FDS_MAX (2 * OLVE_MAX_HIER + 1)

struct priv_req {
	uint32_t magic;
	uint32_t op;
	uint32_t id;     /* LVE, STATE, TLVE */
	uint32_t create; /* LVE */
	int32_t tid;     /* ORIGIN */
	uint32_t n_hier; /* the requester's, must match the broker's */
};

struct priv_reply {
	int32_t err; /* 0 or -errno */
	uint32_t n_hier;
	uint32_t nfds;
	uint32_t absent; /* LVE: hierarchies without lve<ID> (lazy cpuset [i12]), no fds sent for them */
	uint16_t pathlen[OLVE_MAX_HIER]; /* ORIGIN: bytes of each path (no NUL) */
	char paths[PRIV_PATHS_MAX];      /* ORIGIN: the paths, concatenated */
};

/* ------------------------------------------------------------ the right */

_hidden_ bool olve_privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

_hidden_ bool olve_broker_wanted(const struct olve *h)
{
	return h && h->brokerfd >= 0 && !olve_privileged();
}

_hidden_ bool olve_may_enter(const struct olve *h)
{
	/* the handle first: no capget(2) per entry for a web server's children */
	return (h && h->brokerfd >= 0) || olve_privileged();
}

/* ------------------------------------------------------------ messages */

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Send buf with fds (may be 0) on sock. */
static int send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * PRIV_FDS_MAX)];
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > PRIV_FDS_MAX)
		return -EINVAL;
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&u.h), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * Receive one message into buf: its length, the fds it carried (O_CLOEXEC,
 * at most max; extra ones are closed) in fds (count in *nfds), and the sender's pid
 * when pid is not NULL (SCM_CREDENTIALS; -EPROTO when missing). 0 = EOF.
 */
static ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, unsigned max, unsigned *nfds,
			pid_t *pid)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * PRIV_FDS_MAX) + CMSG_SPACE(sizeof(struct ucred))];
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	bool have_cred = false;
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int tmp[PRIV_FDS_MAX + 2];

			if (k > ELEMENTSOF(tmp))
				k = ELEMENTSOF(tmp); /* cannot happen: the buffer holds no more */
			memcpy(tmp, CMSG_DATA(c), sizeof(int) * k);
			for (unsigned i = 0; i < k; i++) {
				if (*nfds < max)
					fds[(*nfds)++] = tmp[i];
				else
					close(tmp[i]);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS && pid) {
			struct ucred cr;

			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			*pid = cr.pid;
			have_cred = true;
		}
	}
	if (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return -EPROTO;
	}
	if (pid && n > 0 && !have_cred) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return -EPROTO;
	}
	return n;
}

/* ------------------------------------------------------------ the broker */

/* *lf: the broker's reference to the LVE's fds, put after the reply is sent. */
static int broker_lve(struct olve *bh, const struct priv_req *q, struct priv_reply *rep, int *fds,
		      struct olve_lve_fds **lf)
{
	struct olve_lve_fds *f = NULL;
	int r, st;

	r = olve_lve_get(bh, q->id, q->create != 0, &f);
	if (r < 0)
		return r;
	for (int i = 0; i < bh->n_hier; i++) {
		if (f->dirfd[i] < 0 && olve_hier_cpuset_only(&bh->hier[i])) {
			rep->absent |= 1u << i; /* [i12] lazy cpuset */
			continue;
		}
		if (f->dirfd[i] < 0 || f->tasksfd[i] < 0) {
			olve_lve_put(bh, f);
			return -EPERM;
		}
	}
	st = olve_state_open(bh, q->id, false);
	if (st < 0) {
		olve_lve_put(bh, f);
		return st;
	}
	for (int i = 0; i < bh->n_hier; i++) {
		if (rep->absent & (1u << i))
			continue;
		fds[rep->nfds++] = f->dirfd[i];
		fds[rep->nfds++] = f->tasksfd[i];
	}
	fds[rep->nfds++] = st; /* closed by the caller after sending */
	*lf = f;
	return 0;
}

static int broker_origin(struct olve *bh, pid_t pid, const struct priv_req *q, struct priv_reply *rep,
			 int *fds)
{
	char *paths[OLVE_MAX_HIER] = { 0 };
	int tfds[OLVE_MAX_HIER];
	size_t used = 0;
	unsigned n = (unsigned)bh->n_hier;
	int r;

	r = olve_origin_open(bh, pid, q->tid, fds, tfds, paths);
	if (r < 0)
		return r;
	for (int i = 0; i < bh->n_hier; i++) {
		size_t l = strlen(paths[i]);

		if (l > UINT16_MAX || used + l > PRIV_PATHS_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(rep->paths + used, paths[i], l);
		rep->pathlen[i] = (uint16_t)l;
		used += l;
	}
	for (int i = 0; i < bh->n_hier; i++) {
		free(paths[i]);
		if (tfds[i] >= 0)
			fds[n++] = tfds[i];
	}
	if (r < 0) {
		close_fds(fds, n);
		return r;
	}
	rep->nfds = n;
	return 0;
}

/* One request: reply on the channel it brought. Only fds this function opened are closed after. */
static void broker_serve(struct olve *bh, int sock)
{
	struct priv_req q;
	struct olve_lve_fds *lf = NULL;
	struct priv_reply *rep;
	int in[4], out[PRIV_FDS_MAX];
	unsigned nin = 0, nclose = 0;
	pid_t pid = 0;
	ssize_t n;
	int r;

	n = recv_fds(sock, &q, sizeof(q), in, ELEMENTSOF(in), &nin, &pid);
	if (n == 0 || (n < 0 && n != -EPROTO))
		_exit(0); /* every holder of the other end is gone */
	if (n < 0)
		return;
	if (nin != 1 || (size_t)n != sizeof(q) || q.magic != PRIV_MAGIC) {
		close_fds(in, nin);
		return;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		close(in[0]);
		return;
	}
	rep->n_hier = (uint32_t)bh->n_hier;
	if (q.n_hier != (uint32_t)bh->n_hier) {
		r = -ESTALE; /* the hierarchies changed since init */
	} else if (q.op == PRIV_OP_LVE && q.id != 0) {
		r = broker_lve(bh, &q, rep, out, &lf);
		if (r == 0)
			nclose = 1; /* only the state fd is ours; the rest belong to the cache */
	} else if (q.op == PRIV_OP_STATE && q.id != 0) {
		r = olve_state_open(bh, q.id, false);
		if (r >= 0) {
			out[0] = r;
			rep->nfds = nclose = 1;
			r = 0;
		}
	} else if (q.op == PRIV_OP_TLVE && q.id != 0) {
		r = olve_tcg_lve_open(bh, q.id, out);
		if (r == 0)
			rep->nfds = nclose = 2;
	} else if (q.op == PRIV_OP_ORIGIN && q.tid > 0) {
		r = broker_origin(bh, pid, &q, rep, out);
		if (r == 0)
			nclose = rep->nfds;
	} else {
		r = -EINVAL;
	}
	rep->err = r;
	if (r < 0)
		rep->nfds = 0;
	(void)send_fds(in[0], rep, sizeof(*rep), out, rep->nfds);
	close(in[0]);
	if (r == 0)
		close_fds(out + (rep->nfds - nclose), nclose);
	olve_lve_put(bh, lf);
	free(rep);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Close every fd except keep[0..n) (sorted in place). */
static void close_all_but(int *keep, int n)
{
	int lo = 0;

	qsort(keep, (size_t)n, sizeof(int), cmp_int);
	for (int i = 0; i <= n; i++) {
		int hi = i < n ? keep[i] - 1 : INT32_MAX;

		if (hi >= lo && syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) < 0) {
			/* before Linux 5.9: one by one, up to the soft fd limit */
			long max = sysconf(_SC_OPEN_MAX);

			for (long fd = lo; fd <= hi && fd < (max > 0 ? max : 1024); fd++)
				close((int)fd);
		}
		if (i < n)
			lo = keep[i] + 1;
	}
}

static _Noreturn void broker_main(int sock, int tcgfd)
{
	static const int quiet[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGWINCH, SIGTSTP,
				     SIGTTIN, SIGTTOU };
	int keep[CG_HIER_MAX + CG_CTRL_COUNT + 2];
	struct olve *bh = NULL;
	sigset_t none;
	int n;

	(void)setsid();
	(void)prctl(PR_SET_NAME, "openlve-broker", 0, 0, 0);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (size_t i = 0; i < ELEMENTSOF(quiet); i++)
		signal(quiet[i], SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	n = cg_sys_fds(keep, (int)ELEMENTSOF(keep) - 2);
	if (n < 0)
		_exit(1);
	keep[n++] = sock;
	if (tcgfd >= 0)
		keep[n++] = tcgfd;
	close_all_but(keep, n);
	if (olve_open(&bh, 0) < 0)
		_exit(1);
	/* the opener's thread tree (threads.c): the broker makes its children */
	bh->tcg_dirfd = tcgfd;
	for (;;)
		broker_serve(bh, sock);
}

_hidden_ int olve_broker_start(struct olve *h)
{
	int sv[2], status;
	pid_t pid;

	if (!olve_privileged())
		return -EPERM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		/* double fork: the broker is nobody's child to reap (init or a subreaper takes it) */
		close(sv[0]);
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		broker_main(sv[1], h->tcg_dirfd);
	}
	close(sv[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(sv[0]);
		return -ECHILD;
	}
	h->brokerfd = sv[0];
	return 0;
}

/* ------------------------------------------------------------ requests */

/* One round trip: *rep filled, fds (rep->nfds of them) in fds. rep->err is returned. */
static int broker_call(const struct olve *h, const struct priv_req *q, struct priv_reply *rep, int *fds)
{
	_cleanup_close_ int mine = -1;
	int pair[2], r;
	unsigned n = 0;
	ssize_t len;

	if (h->brokerfd < 0)
		return -EPERM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -errno;
	mine = pair[0];
	r = send_fds(h->brokerfd, q, sizeof(*q), &pair[1], 1);
	close(pair[1]);
	if (r < 0)
		return r == -EPIPE || r == -ECONNREFUSED || r == -ECONNRESET ? -ENOTCONN : r;
	len = recv_fds(mine, rep, sizeof(*rep), fds, PRIV_FDS_MAX, &n, NULL);
	if (len == 0)
		return -ENOTCONN; /* the broker died */
	if (len < 0)
		return (int)len;
	if ((size_t)len != sizeof(*rep) || rep->nfds != n || rep->n_hier != q->n_hier) {
		close_fds(fds, n);
		return -EPROTO;
	}
	if (rep->err < 0) {
		close_fds(fds, n);
		return rep->err;
	}
	return 0;
}

_hidden_ int olve_broker_lve(struct olve *h, uint32_t id, bool create, struct olve_lve_fds **out)
{
	struct priv_req q = { .magic = PRIV_MAGIC, .op = PRIV_OP_LVE, .id = id, .create = create,
			      .n_hier = (uint32_t)h->n_hier };
	_cleanup_free_ struct priv_reply *rep = calloc(1, sizeof(*rep));
	struct olve_lve_fds *f;
	int fds[PRIV_FDS_MAX], r;
	uint32_t want, k = 0;

	if (!rep)
		return -ENOMEM;
	r = broker_call(h, &q, rep, fds);
	if (r < 0)
		return r;
	want = 2 * (uint32_t)(h->n_hier - __builtin_popcount(rep->absent)) + 1;
	if ((rep->absent >> h->n_hier) || rep->nfds != want || !(f = calloc(1, sizeof(*f)))) {
		close_fds(fds, rep->nfds);
		return (rep->absent >> h->n_hier) || rep->nfds != want ? -EPROTO : -ENOMEM;
	}
	f->id = id;
	atomic_init(&f->refs, 1);
	for (int i = 0; i < OLVE_MAX_HIER; i++)
		f->dirfd[i] = f->tasksfd[i] = -1;
	for (int i = 0; i < h->n_hier; i++) {
		if (rep->absent & (1u << i))
			continue; /* [i12] lazy cpuset */
		f->dirfd[i] = fds[k++];
		f->tasksfd[i] = fds[k++];
	}
	f->statefd = fds[k];
	olve_state_attach(f);
	*out = f;
	return 0;
}

_hidden_ int olve_broker_state(struct olve *h, uint32_t id)
{
	struct priv_req q = { .magic = PRIV_MAGIC, .op = PRIV_OP_STATE, .id = id, .n_hier = (uint32_t)h->n_hier };
	_cleanup_free_ struct priv_reply *rep = calloc(1, sizeof(*rep));
	int fds[PRIV_FDS_MAX], r;

	if (!rep)
		return -ENOMEM;
	r = broker_call(h, &q, rep, fds);
	if (r < 0)
		return r;
	if (rep->nfds != 1) {
		close_fds(fds, rep->nfds);
		return -EPROTO;
	}
	return fds[0];
}

_hidden_ int olve_broker_origin(const struct olve *h, pid_t tid, int fds[static OLVE_MAX_HIER],
				int tfds[static OLVE_MAX_HIER], char *paths[static OLVE_MAX_HIER])
{
	struct priv_req q = { .magic = PRIV_MAGIC, .op = PRIV_OP_ORIGIN, .tid = tid, .n_hier = (uint32_t)h->n_hier };
	_cleanup_free_ struct priv_reply *rep = calloc(1, sizeof(*rep));
	int got[PRIV_FDS_MAX], r;
	uint32_t want = (uint32_t)h->n_hier;
	size_t off = 0;

	if (!rep)
		return -ENOMEM;
	for (int i = 0; i < h->n_hier; i++)
		if (h->hier[i].version == 2)
			want++;
	r = broker_call(h, &q, rep, got);
	if (r < 0)
		return r;
	if (rep->nfds != want) {
		close_fds(got, rep->nfds);
		return -EPROTO;
	}
	for (int i = 0; i < h->n_hier; i++) {
		size_t l = rep->pathlen[i];

		paths[i] = off + l <= PRIV_PATHS_MAX ? strndup(rep->paths + off, l) : NULL;
		off += l;
		if (!paths[i]) {
			for (int k = 0; k < i; k++) {
				free(paths[k]);
				paths[k] = NULL;
			}
			close_fds(got, rep->nfds);
			return off > PRIV_PATHS_MAX ? -EPROTO : -ENOMEM;
		}
	}
	want = (uint32_t)h->n_hier;
	for (int i = 0; i < h->n_hier; i++) {
		fds[i] = got[i];
		tfds[i] = h->hier[i].version == 2 ? got[want++] : -1;
	}
	return 0;
}

_hidden_ int olve_broker_tcg(struct olve *h, uint32_t id, int fds[static 2])
{
	struct priv_req q = { .magic = PRIV_MAGIC, .op = PRIV_OP_TLVE, .id = id, .n_hier = (uint32_t)h->n_hier };
	_cleanup_free_ struct priv_reply *rep = calloc(1, sizeof(*rep));
	int got[PRIV_FDS_MAX], r;

	if (!rep)
		return -ENOMEM;
	r = broker_call(h, &q, rep, got);
	if (r < 0)
		return r;
	if (rep->nfds != 2) {
		close_fds(got, rep->nfds);
		return -EPROTO;
	}
	fds[0] = got[0];
	fds[1] = got[1];
	return 0;
}
