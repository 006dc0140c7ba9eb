/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * packages.c - CUSTOM_GETPACKAGE_SCRIPT: run it, parse its answers. See packages.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "packages.h"

extern char **environ;

static void set_err(struct pkg_error *err, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_err(struct pkg_error *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void pkg_map_free(struct pkg_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].package);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

void pkg_names_free(struct pkg_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

const char *pkg_map_lookup(const struct pkg_map *m, uint32_t uid)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].uid < uid)
			lo = mid + 1;
		else if (m->v[mid].uid > uid)
			hi = mid;
		else
			return m->v[mid].package;
	}
	return NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool name_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > PKG_NAME_MAX || is_blank(s[0]) || is_blank(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool pkg_name_valid(const char *name)
{
	return name && name_valid_n(name, strlen(name));
}

/*
 * Iterate over the lines of text. A final line without '\n' counts; the
 * '\n' after the last line does not start another one. A '\r' before the
 * '\n' is dropped. Returns false at the end.
 */
struct line_iter {
	const char *p, *end;
	int no;
};

static bool next_line(struct line_iter *it, const char **s, size_t *n)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*n = (size_t)((nl ? nl : it->end) - it->p);
	it->p = nl ? nl + 1 : it->end;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	it->no++;
	return true;
}

/*
 * The next entry of a list in script output: 1 (the line in *s, *n), 0 at
 * the end, or -EINVAL for an empty line (err says `expected` was expected).
 */
static int next_entry(struct line_iter *it, const char **s, size_t *n, const char *expected,
                      struct pkg_error *err)
{
	if (!next_line(it, s, n))
		return 0;
	if (*n == 0) {
		set_err(err, it->no, "line %d: empty line (expected %s)", it->no, expected);
		return -EINVAL;
	}
	return 1;
}

/*
 * Room for `need` elements of `size` bytes in the array v of capacity *cap
 * (doubled, from `first`). Returns the array (*cap updated) or NULL when out
 * of memory (v is left as it was).
 */
static void *grow(void *v, size_t need, size_t *cap, size_t size, size_t first)
{
	size_t nc = *cap;
	void *nv;

	if (need <= nc)
		return v;
	while (nc < need)
		nc = nc ? nc * 2 : first;
	nv = realloc(v, nc * size);
	if (nv)
		*cap = nc;
	return nv;
}

static int parse_uid(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX) /* (uid_t)-1 is not a user */
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pkg_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int check_text(const char *text, size_t len, struct pkg_error *err)
{
	const char *z = memchr(text, 0, len);

	if (z) {
		int line = 1;

		for (const char *p = text; p < z; p++)
			line += *p == '\n';
		set_err(err, line, "line %d: NUL byte in the output", line);
		return -EINVAL;
	}
	return 0;
}

int pkg_parse_list_all(const char *text, size_t len, struct pkg_map *out, struct pkg_error *err)
{
	struct pkg_map m = {0};
	struct line_iter it = {text, text + len, 0};
	size_t cap = 0;
	const char *s;
	size_t n;
	int r;

	r = check_text(text, len, err);
	if (r < 0)
		return r;
	while ((r = next_entry(&it, &s, &n, "\"UID PACKAGE\"", err)) > 0) {
		size_t i = 0, j;
		struct pkg_entry *nv;
		uint32_t uid;

		while (i < n && !is_blank(s[i]))
			i++;
		r = parse_uid(s, i, &uid);
		if (r < 0) {
			set_err(err, it.no,
			        "line %d: \"%.*s\" is not a user id (expected \"UID PACKAGE\")",
			        it.no, (int)(i > 40 ? 40 : i), s);
			r = -EINVAL;
			goto fail;
		}
		j = i;
		while (j < n && is_blank(s[j]))
			j++;
		if (j == i || j == n || !name_valid_n(s + j, n - j)) {
			set_err(err, it.no,
			        "line %d: uid %" PRIu32
			        " has no valid package name (expected \"UID PACKAGE\")",
			        it.no, uid);
			r = -EINVAL;
			goto fail;
		}
		nv = grow(m.v, m.n + 1, &cap, sizeof(*nv), 64);
		if (!nv) {
			r = -ENOMEM;
			goto fail;
		}
		m.v = nv;
		m.v[m.n].uid = uid;
		m.v[m.n].package = strndup(s + j, n - j);
		if (!m.v[m.n].package) {
			r = -ENOMEM;
			goto fail;
		}
		m.n++;
	}
	if (r < 0)
		goto fail;
	if (m.n)
		qsort(m.v, m.n, sizeof(*m.v), cmp_entry);
	for (size_t i = 1; i < m.n; i++)
		if (m.v[i].uid == m.v[i - 1].uid) {
			set_err(err, 0, "uid %" PRIu32 " is listed twice", m.v[i].uid);
			r = -EINVAL;
			goto fail;
		}
	*out = m;
	return 0;
fail:
	pkg_map_free(&m);
	return r;
}

int pkg_parse_uids(const char *text, size_t len, uint32_t **uids, struct pkg_error *err)
{
	_cleanup_free_ uint32_t *v = NULL;
	struct line_iter it = {text, text + len, 0};
	size_t cnt = 0, cap = 0;
	const char *s;
	size_t n;
	int r;

	r = check_text(text, len, err);
	if (r < 0)
		return r;
	while ((r = next_entry(&it, &s, &n, "a user id", err)) > 0) {
		uint32_t uid, *nv;

		if (parse_uid(s, n, &uid) < 0) {
			set_err(err, it.no, "line %d: \"%.*s\" is not a user id", it.no,
			        (int)(n > 40 ? 40 : n), s);
			return -EINVAL;
		}
		nv = grow(v, cnt + 1, &cap, sizeof(*nv), 64);
		if (!nv)
			return -ENOMEM;
		v = nv;
		v[cnt++] = uid;
	}
	if (r < 0)
		return r;
	if (cnt > INT_MAX)
		return -E2BIG;
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u32);
	for (size_t i = 1; i < cnt; i++)
		if (v[i] == v[i - 1]) {
			set_err(err, 0, "uid %" PRIu32 " is listed twice", v[i]);
			return -EINVAL;
		}
	*uids = TAKE_PTR(v);
	return (int)cnt;
}

int pkg_parse_names(const char *text, size_t len, struct pkg_names *out, struct pkg_error *err)
{
	struct pkg_names m = {0};
	struct line_iter it = {text, text + len, 0};
	size_t cap = 0;
	const char *s;
	size_t n;
	int r;

	r = check_text(text, len, err);
	if (r < 0)
		return r;
	while ((r = next_entry(&it, &s, &n, "a package name", err)) > 0) {
		char **nv;

		if (!name_valid_n(s, n)) {
			set_err(err, it.no, "line %d: not a valid package name", it.no);
			r = -EINVAL;
			goto fail;
		}
		for (size_t i = 0; i < m.n; i++)
			if (strlen(m.v[i]) == n && memcmp(m.v[i], s, n) == 0) {
				set_err(err, it.no, "line %d: package \"%.*s\" is listed twice",
				        it.no, (int)(n > 64 ? 64 : n), s);
				r = -EINVAL;
				goto fail;
			}
		nv = grow(m.v, m.n + 1, &cap, sizeof(*nv), 16);
		if (!nv) {
			r = -ENOMEM;
			goto fail;
		}
		m.v = nv;
		m.v[m.n] = strndup(s, n);
		if (!m.v[m.n]) {
			r = -ENOMEM;
			goto fail;
		}
		m.n++;
	}
	if (r < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	pkg_names_free(&m);
	return r;
}

int pkg_parse_one(const char *text, size_t len, char **name, struct pkg_error *err)
{
	struct line_iter it = {text, text + len, 0};
	const char *s, *s2;
	size_t n, n2;
	char *v;
	int r;

	r = check_text(text, len, err);
	if (r < 0)
		return r;
	r = next_entry(&it, &s, &n, "a package name", err);
	if (r < 0)
		return r;
	if (r == 0) {
		*name = NULL; /* no output: the user has no package */
		return 0;
	}
	if (!name_valid_n(s, n)) {
		set_err(err, 1, "line 1: not a valid package name");
		return -EINVAL;
	}
	if (next_line(&it, &s2, &n2)) {
		set_err(err, 2, "line 2: more than one line (expected one package name)");
		return -EINVAL;
	}
	v = strndup(s, n);
	if (!v)
		return -ENOMEM;
	*name = v;
	return 0;
}

int pkg_sysconfig_get(const char *text, const char *key, char **value)
{
	struct line_iter it = {text, text + strlen(text), 0};
	size_t klen = strlen(key);
	const char *s, *found = NULL;
	size_t n, found_n = 0;
	char *v;

	while (next_line(&it, &s, &n)) {
		while (n > 0 && is_blank(*s))
			s++, n--;
		if (n == 0 || *s == '#')
			continue;
		if (n > 7 && strncmp(s, "export", 6) == 0 && is_blank(s[6])) {
			s += 7, n -= 7;
			while (n > 0 && is_blank(*s))
				s++, n--;
		}
		if (n <= klen || strncmp(s, key, klen) != 0)
			continue;
		{
			const char *p = s + klen;
			size_t m = n - klen;

			while (m > 0 && is_blank(*p))
				p++, m--;
			if (m == 0 || *p != '=')
				continue;
			p++, m--;
			while (m > 0 && is_blank(*p))
				p++, m--;
			while (m > 0 && is_blank(p[m - 1]))
				m--;
			if (m >= 2 && (p[0] == '"' || p[0] == '\'') && p[m - 1] == p[0])
				p++, m -= 2;
			found = p;
			found_n = m;
		}
	}
	if (!found || found_n == 0)
		return -ENOENT;
	v = strndup(found, found_n);
	if (!v)
		return -ENOMEM;
	*value = v;
	return 0;
}

/* Read a whole file of at most max bytes into a malloc'd NUL-terminated buffer. */
static int read_small(int fd, size_t max, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t got = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			char *nb;

			if (cap > max)
				return -EFBIG;
			nb = grow(buf, got + 2, &cap, 1, 4096);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + got, cap - got - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (memchr(buf, 0, got))
		return -EINVAL;
	buf[got] = 0;
	*out = TAKE_PTR(buf);
	return 0;
}

void pkg_script_free(struct pkg_script *s)
{
	if (!s)
		return;
	free(s->path);
	s->path = NULL;
}

int pkg_script_load(const char *sysconfig_path, struct pkg_script *out, struct pkg_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *tmo = NULL;
	_cleanup_close_ int fd = -1;
	struct pkg_script s = {.timeout_ms = PKG_TIMEOUT_DEFAULT_MS};
	int r;

	fd = open(sysconfig_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			*out = s;
			return 0;
		}
		r = -errno;
		set_err(err, 0, "cannot open %s: %s", sysconfig_path, strerror(-r));
		return r;
	}
	r = read_small(fd, 1u << 20, &text);
	if (r < 0) {
		set_err(err, 0, "cannot read %s: %s", sysconfig_path, strerror(-r));
		return r;
	}
	r = pkg_sysconfig_get(text, "CUSTOM_GETPACKAGE_SCRIPT", &path);
	if (r < 0 && r != -ENOENT)
		return r;
	if (path && path[0] != '/') {
		set_err(err, 0, "%s: CUSTOM_GETPACKAGE_SCRIPT=%.100s is not an absolute path",
		        sysconfig_path, path);
		return -EINVAL;
	}
	r = pkg_sysconfig_get(text, "CUSTOM_GETPACKAGE_TIMEOUT", &tmo);
	if (r < 0 && r != -ENOENT)
		return r;
	if (tmo) {
		uint32_t sec;

		if (ol_parse_u32(tmo, &sec) < 0 || sec == 0 || sec > 3600) {
			set_err(err, 0,
			        "%s: CUSTOM_GETPACKAGE_TIMEOUT=%.40s is not a number of seconds "
			        "(1..3600)",
			        sysconfig_path, tmo);
			return -EINVAL;
		}
		s.timeout_ms = (int)sec * 1000;
	}
	s.path = TAKE_PTR(path);
	*out = s;
	return 0;
}

/* ------------------------------------------------------------- runner */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? -errno : (int)r;
#else
	return -ENOSYS;
#endif
}

/* Wait for pid to exit until deadline (ms, monotonic). 0 + *status, or -ETIMEDOUT. */
static int wait_deadline(pid_t pid, int pidfd, int64_t deadline, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		int64_t left;

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (pidfd >= 0) {
			struct pollfd p = {.fd = pidfd, .events = POLLIN};

			(void)poll(&p, 1, (int)(left > 100 ? 100 : left));
		} else {
			struct timespec ts = {0, 10 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
	}
}

static void kill_group(pid_t pid)
{
	/* The child made itself a group leader; also kill it directly in case setpgid lost a race.
	 */
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
}

int pkg_script_run(const char *script, const char *arg, int timeout_ms, char **out, size_t *len,
                   struct pkg_error *err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int rd = -1, wr = -1, erd = -1, ewr = -1, pidfd = -1, devnull = -1;
	char *argv[3] = {(char *)script, (char *)arg, NULL};
	size_t got = 0, cap = 0;
	int pipefd[2], errpipe[2], status = 0, exec_err = 0;
	int64_t deadline;
	sigset_t all, old;
	pid_t pid;
	int r;

	if (!script || script[0] != '/') {
		set_err(err, 0, "package script path must be absolute");
		return -EINVAL;
	}
	if (timeout_ms <= 0)
		timeout_ms = PKG_TIMEOUT_DEFAULT_MS;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	rd = pipefd[0];
	wr = pipefd[1];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	erd = errpipe[0];
	ewr = errpipe[1];
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		return -errno;

	/* Block signals around fork so the child does not run the parent's handlers. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		/* Child: async-signal-safe calls only. */
		int e;

		(void)setpgid(0, 0);
		{
			struct sigaction dfl = {.sa_handler = SIG_DFL};

			for (int sig = 1; sig < NSIG; sig++)
				if (sig != SIGKILL && sig != SIGSTOP)
					(void)sigaction(sig, &dfl, NULL);
		}
		if (devnull == 0 ? fcntl(0, F_SETFD, 0) < 0 : dup2(devnull, 0) < 0)
			goto child_fail;
		if (wr == 1 ? fcntl(1, F_SETFD, 0) < 0 : dup2(wr, 1) < 0)
			goto child_fail;
		{
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		execve(script, argv, environ);
	child_fail:
		e = errno;
		(void)!write(ewr, &e, sizeof(e));
		_exit(127);
	}
	r = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		set_err(err, 0, "cannot fork to run %s: %s", script, strerror(-r));
		return r;
	}
	(void)setpgid(pid, pid);
	deadline = now_ms() + timeout_ms;
	wr = safe_close(wr);
	ewr = safe_close(ewr);
	devnull = safe_close(devnull);
	pidfd = pidfd_open_(pid);

	/* Did execve work? The error pipe closes (0 bytes) on success. */
	{
		ssize_t n;

		do
			n = read(erd, &exec_err, sizeof(exec_err));
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)sizeof(exec_err)) {
			(void)wait_deadline(pid, pidfd, now_ms() + 5000, &status);
			set_err(err, 0, "cannot execute package script %s: %s", script,
			        strerror(exec_err));
			return exec_err == ENOEXEC ? -ENOEXEC : -exec_err;
		}
	}

	for (;;) {
		struct pollfd p = {.fd = rd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (r == 0)
			continue;
		if (got + 4096 + 1 > cap) {
			char *nb;

			if (cap >= PKG_OUTPUT_MAX + 4096) {
				r = -EFBIG;
				break;
			}
			nb = grow(buf, got + 4096 + 1, &cap, 1, 16384);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(rd, buf + got, cap - got - 1);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			break;
		}
		if (n == 0) {
			r = 0;
			break;
		}
		got += (size_t)n;
		if (got > PKG_OUTPUT_MAX) {
			r = -EFBIG;
			break;
		}
	}
	if (r == 0)
		r = wait_deadline(pid, pidfd, deadline, &status);
	if (r < 0) {
		kill_group(pid);
		(void)wait_deadline(pid, pidfd, now_ms() + 10000, &status);
		if (r == -ETIMEDOUT)
			set_err(err, 0,
			        "package script %s %s did not finish within %d s and was killed",
			        script, arg, (timeout_ms + 999) / 1000);
		else if (r == -EFBIG)
			set_err(err, 0, "package script %s %s printed more than %u bytes", script,
			        arg, PKG_OUTPUT_MAX);
		else
			set_err(err, 0, "running package script %s %s: %s", script, arg,
			        strerror(-r));
		return r;
	}
	if (WIFSIGNALED(status)) {
		set_err(err, 0, "package script %s %s was killed by signal %d", script, arg,
		        WTERMSIG(status));
		return -EPROTO;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		set_err(err, 0, "package script %s %s exited with status %d", script, arg,
		        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -EPROTO;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[got] = 0;
	*out = TAKE_PTR(buf);
	if (len)
		*len = got;
	return 0;
}

/* ------------------------------------------------------- run + parse */

static int run(const struct pkg_script *s, const char *arg, char **text, size_t *len,
               struct pkg_error *err)
{
	if (!s || !s->path) {
		set_err(err, 0, "no CUSTOM_GETPACKAGE_SCRIPT configured");
		return -ENOENT;
	}
	return pkg_script_run(s->path, arg, s->timeout_ms, text, len, err);
}

/* Prefix a parse error with the script and argument. */
static void prefix_err(struct pkg_error *err, const struct pkg_script *s, const char *arg)
{
	char tmp[sizeof(err->msg)];

	if (!err)
		return;
	snprintf(tmp, sizeof(tmp), "%s", err->msg);
	snprintf(err->msg, sizeof(err->msg), "package script %.60s %.40s: %.180s", s->path, arg,
	         tmp);
}

int pkg_list_all(const struct pkg_script *s, struct pkg_map *out, struct pkg_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = run(s, "--list-all", &text, &len, err);
	if (r < 0)
		return r;
	r = pkg_parse_list_all(text, len, out, err);
	if (r == -EINVAL)
		prefix_err(err, s, "--list-all");
	return r;
}

int pkg_of_user(const struct pkg_script *s, uint32_t uid, char **name, struct pkg_error *err)
{
	_cleanup_free_ char *text = NULL;
	char arg[32];
	size_t len;
	int r;

	snprintf(arg, sizeof(arg), "--userid=%" PRIu32, uid);
	r = run(s, arg, &text, &len, err);
	if (r < 0)
		return r;
	r = pkg_parse_one(text, len, name, err);
	if (r == -EINVAL)
		prefix_err(err, s, arg);
	return r;
}

int pkg_users_of(const struct pkg_script *s, const char *package, uint32_t **uids,
                 struct pkg_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *arg = NULL;
	size_t len;
	int r;

	if (!pkg_name_valid(package))
		return -EINVAL;
	if (asprintf(&arg, "--package=%s", package) < 0)
		return -ENOMEM;
	r = run(s, arg, &text, &len, err);
	if (r < 0)
		return r;
	r = pkg_parse_uids(text, len, uids, err);
	if (r == -EINVAL)
		prefix_err(err, s, "--package");
	return r;
}

int pkg_list_packages(const struct pkg_script *s, struct pkg_names *out, struct pkg_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = run(s, "--list-packages", &text, &len, err);
	if (r < 0)
		return r;
	r = pkg_parse_names(text, len, out, err);
	if (r == -EINVAL)
		prefix_err(err, s, "--list-packages");
	return r;
}
