/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prom.c - Prometheus text exposition of the last collector pass, and a
 * deliberately small HTTP/1.0 server for it, driven by lved's poll loop:
 * loopback TCP or a unix socket, one connection at a time, bounded request
 * size and time, the answer rendered once per request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "stats.h"

#define REQ_MAX 8192
#define CONN_TIMEOUT_USEC (10 * 1000000LL)

enum fault { F_CPU, F_EP, F_PMEM, F_VMEM, F_NPROC, F_IO, F_IOPS, F_COUNT };
static const char *const fault_names[F_COUNT] = { "cpu", "ep", "pmem", "vmem", "nproc", "io", "iops" };

struct pent {
	struct lve_sample s;
	uint64_t faults[F_COUNT];
	uint64_t cpu_hs; /* sum of aCPU * interval: hundredths of %-of-a-core seconds */
};

struct lve_prom {
	int lfd; /* listening socket, -1 */
	char *unix_path;
	struct pent *v; /* last pass, sorted by id */
	size_t n;
	int64_t last_usec;
	uint64_t passes;
	/* the one connection */
	int cfd;
	int64_t deadline;
	char req[REQ_MAX];
	size_t reqlen;
	char *resp;
	size_t resplen, resppos;
};

/* ---------------------------------------------------------------- render */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EIO;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 16384;
			char *np;

			while (ncap - b->len <= (size_t)n)
				ncap *= 2;
			np = realloc(b->p, ncap);
			if (!np) {
				b->err = -ENOMEM;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

enum kind { K_U64, K_CORES /* hundredths of % of a core -> cores, 4 decimals */ };

struct metric {
	const char *name, *type, *help;
	enum kind kind;
	uint64_t (*get)(const struct pent *e);
};

#define GETTER(fn, expr)                                   \
	static uint64_t fn(const struct pent *e)           \
	{                                                  \
		return (uint64_t)(expr);                   \
	}
GETTER(g_cpu, e->s.aCPU)
GETTER(g_lcpu, e->s.lCPU)
GETTER(g_cpu_total, e->cpu_hs)
GETTER(g_ep, e->s.aEP)
GETTER(g_lep, e->s.lEP)
GETTER(g_pmem, e->s.aPMem)
GETTER(g_lpmem, e->s.lPMem)
GETTER(g_vmem, e->s.aVMem)
GETTER(g_lvmem, e->s.lVMem)
GETTER(g_nproc, e->s.aNproc)
GETTER(g_lnproc, e->s.lNproc)
GETTER(g_procs, e->s.nprocs)
GETTER(g_io, e->s.aIO)
GETTER(g_lio, e->s.lIO)
GETTER(g_iops, e->s.aIOPS)
GETTER(g_liops, e->s.lIOPS)

static const struct metric metrics[] = {
	{ "openlve_lve_cpu_usage_ratio", "gauge", "CPU used over the last interval, in cores (1 = one core).", K_CORES, g_cpu },
	{ "openlve_lve_cpu_limit_ratio", "gauge", "CPU limit in cores (effective SPEED), 0 = unlimited.", K_CORES, g_lcpu },
	{ "openlve_lve_cpu_seconds_total", "counter", "CPU seconds used since lved started watching the LVE.", K_CORES, g_cpu_total },
	{ "openlve_lve_entry_processes", "gauge", "Entry processes (EP) now.", K_U64, g_ep },
	{ "openlve_lve_entry_processes_limit", "gauge", "EP limit, 0 = unlimited.", K_U64, g_lep },
	{ "openlve_lve_memory_bytes", "gauge", "Physical memory charged to the LVE (PMEM), bytes.", K_U64, g_pmem },
	{ "openlve_lve_memory_limit_bytes", "gauge", "PMEM limit in bytes, 0 = unlimited.", K_U64, g_lpmem },
	{ "openlve_lve_virtual_memory_bytes", "gauge", "Virtual memory of the LVE's processes (VMEM), bytes.", K_U64, g_vmem },
	{ "openlve_lve_virtual_memory_limit_bytes", "gauge", "VMEM limit in bytes, 0 = unlimited.", K_U64, g_lvmem },
	{ "openlve_lve_tasks", "gauge", "Processes and threads (NPROC) now.", K_U64, g_nproc },
	{ "openlve_lve_tasks_limit", "gauge", "NPROC limit, 0 = unlimited.", K_U64, g_lnproc },
	{ "openlve_lve_processes", "gauge", "Processes (thread groups) now.", K_U64, g_procs },
	{ "openlve_lve_io_bytes_per_second", "gauge", "Disk read + write rate over the last interval, bytes/s.", K_U64, g_io },
	{ "openlve_lve_io_limit_bytes_per_second", "gauge", "IO limit per direction and disk, bytes/s, 0 = unlimited.", K_U64, g_lio },
	{ "openlve_lve_iops", "gauge", "Disk read + write operations per second over the last interval.", K_U64, g_iops },
	{ "openlve_lve_iops_limit", "gauge", "IOPS limit per direction and disk, 0 = unlimited.", K_U64, g_liops },
};

int lve_prom_render(const struct lve_prom *p, char **out, size_t *len)
{
	struct sbuf b = { 0 };

	if (!p || !out || !len)
		return -EINVAL;
	sb_printf(&b, "# HELP openlve_lves LVEs sampled in the last pass.\n# TYPE openlve_lves gauge\nopenlve_lves %zu\n",
		  p->n);
	sb_printf(&b,
		  "# HELP openlve_last_pass_timestamp_seconds Time of the last collector pass.\n"
		  "# TYPE openlve_last_pass_timestamp_seconds gauge\nopenlve_last_pass_timestamp_seconds %" PRId64
		  ".%06" PRId64 "\n",
		  p->last_usec / 1000000, p->last_usec % 1000000);
	sb_printf(&b, "# HELP openlve_passes_total Collector passes.\n# TYPE openlve_passes_total counter\n"
		      "openlve_passes_total %" PRIu64 "\n", p->passes);
	for (size_t m = 0; m < ELEMENTSOF(metrics); m++) {
		const struct metric *mt = &metrics[m];

		sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", mt->name, mt->help, mt->name, mt->type);
		for (size_t i = 0; i < p->n; i++) {
			uint64_t v = mt->get(&p->v[i]);

			if (mt->kind == K_CORES)
				sb_printf(&b, "%s{lve=\"%" PRIu32 "\"} %" PRIu64 ".%04" PRIu64 "\n", mt->name, p->v[i].s.id,
					  v / 10000, v % 10000);
			else
				sb_printf(&b, "%s{lve=\"%" PRIu32 "\"} %" PRIu64 "\n", mt->name, p->v[i].s.id, v);
		}
	}
	sb_printf(&b, "# HELP openlve_lve_faults_total Limit hits since lved started watching the LVE "
		      "(cpu: throttled periods; io, iops: intervals at the limit).\n"
		      "# TYPE openlve_lve_faults_total counter\n");
	for (size_t i = 0; i < p->n; i++)
		for (int f = 0; f < F_COUNT; f++)
			sb_printf(&b, "openlve_lve_faults_total{lve=\"%" PRIu32 "\",resource=\"%s\"} %" PRIu64 "\n",
				  p->v[i].s.id, fault_names[f], p->v[i].faults[f]);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int lve_prom_update(struct lve_prom *p, const struct lve_sample *s, size_t n, int64_t now_usec)
{
	struct pent *nv = NULL;
	size_t j = 0;

	if (!p || (!s && n))
		return -EINVAL;
	if (n) {
		nv = calloc(n, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct pent *e = &nv[i];

		if (i && s[i].id <= s[i - 1].id) {
			free(nv);
			return -EINVAL; /* not sorted */
		}
		while (j < p->n && p->v[j].s.id < s[i].id)
			j++;
		if (j < p->n && p->v[j].s.id == s[i].id) {
			memcpy(e->faults, p->v[j].faults, sizeof(e->faults));
			e->cpu_hs = p->v[j].cpu_hs;
		}
		e->s = s[i];
		e->faults[F_CPU] = sat_add(e->faults[F_CPU], s[i].CPUf);
		e->faults[F_EP] = sat_add(e->faults[F_EP], s[i].EPf);
		e->faults[F_PMEM] = sat_add(e->faults[F_PMEM], s[i].PMemF);
		e->faults[F_VMEM] = sat_add(e->faults[F_VMEM], s[i].VMemF);
		e->faults[F_NPROC] = sat_add(e->faults[F_NPROC], s[i].NprocF);
		e->faults[F_IO] = sat_add(e->faults[F_IO], s[i].IOf);
		e->faults[F_IOPS] = sat_add(e->faults[F_IOPS], s[i].IOPSf);
		e->cpu_hs = sat_add(e->cpu_hs, (uint64_t)s[i].aCPU * s[i].interval);
	}
	free(p->v);
	p->v = nv;
	p->n = n;
	p->last_usec = now_usec;
	p->passes++;
	return 0;
}

/* ---------------------------------------------------------------- server */

int lve_listen_on(const char *spec, int backlog, char **unix_path)
{
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = spec + 5;
		struct stat st;

		if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
			return -EINVAL;
		memcpy(sa.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		/* a socket left by an earlier lved; never remove anything else */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -errno;
		*unix_path = strdup(path);
		if (!*unix_path) {
			(void)unlink(path);
			return -ENOMEM;
		}
	} else {
		const char *colon = strrchr(spec, ':');
		unsigned long port;
		char *end;

		if (!colon)
			return -EINVAL;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || port == 0 || port > 65535 || colon[1] == '-' || colon[1] == '+')
			return -EINVAL;
		if (!strncmp(spec, "[::1]:", 6) && colon == spec + 5) {
			struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };

			sa.sin6_addr = in6addr_loopback;
			fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0)
				return -errno;
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return -errno;
		} else if ((!strncmp(spec, "127.0.0.1:", 10) || !strncmp(spec, "localhost:", 10)) && colon == spec + 9) {
			struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

			sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0)
				return -errno;
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				return -errno;
		} else {
			return -EINVAL; /* loopback only */
		}
	}
	if (listen(fd, backlog) < 0) {
		int e = -errno;

		if (*unix_path) {
			(void)unlink(*unix_path);
			free(*unix_path);
			*unix_path = NULL;
		}
		return e;
	}
	return TAKE_FD(fd);
}

int lve_prom_new(const char *listen, struct lve_prom **out)
{
	struct lve_prom *p;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->lfd = p->cfd = -1;
	if (listen) {
		int fd = lve_listen_on(listen, 8, &p->unix_path);

		if (fd < 0) {
			free(p);
			return fd;
		}
		p->lfd = fd;
	}
	*out = p;
	return 0;
}

static void conn_close(struct lve_prom *p)
{
	p->cfd = safe_close(p->cfd);
	free(p->resp);
	p->resp = NULL;
	p->resplen = p->resppos = p->reqlen = 0;
}

void lve_prom_free(struct lve_prom *p)
{
	if (!p)
		return;
	conn_close(p);
	safe_close(p->lfd);
	if (p->unix_path) {
		(void)unlink(p->unix_path);
		free(p->unix_path);
	}
	free(p->v);
	free(p);
}

int lve_prom_pollfd(const struct lve_prom *p, short *events)
{
	if (!p || !events)
		return -1;
	if (p->cfd >= 0) {
		*events = p->resp ? POLLOUT : POLLIN;
		return p->cfd;
	}
	*events = POLLIN;
	return p->lfd;
}

int lve_prom_timeout_ms(const struct lve_prom *p, int64_t now_usec)
{
	int64_t left;

	if (!p || p->cfd < 0)
		return -1;
	left = p->deadline - now_usec;
	if (left <= 0)
		return 0;
	return (int)((left + 999) / 1000);
}

static int respond(struct lve_prom *p, int code, const char *reason, const char *body, size_t blen, bool exposition)
{
	char head[256];
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
			  reason, exposition ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
			  blen);

	if (hn < 0 || (size_t)hn >= sizeof(head))
		return -EIO;
	p->resp = malloc((size_t)hn + blen + 1);
	if (!p->resp)
		return -ENOMEM;
	memcpy(p->resp, head, (size_t)hn);
	if (blen)
		memcpy(p->resp + hn, body, blen);
	p->resplen = (size_t)hn + blen;
	p->resppos = 0;
	return 0;
}

/* The request is complete in p->req: choose the answer. */
static int handle_request(struct lve_prom *p)
{
	char *sp1, *sp2, *eol;
	size_t plen;

	p->req[p->reqlen] = 0;
	eol = strpbrk(p->req, "\r\n");
	if (eol)
		*eol = 0;
	sp1 = strchr(p->req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/", 5))
		return respond(p, 400, "Bad Request", "bad request\n", 12, false);
	if (sp1 - p->req != 3 || strncmp(p->req, "GET", 3))
		return respond(p, 405, "Method Not Allowed", "only GET\n", 9, false);
	plen = strcspn(sp1 + 1, "? ");
	if ((plen == 8 && !strncmp(sp1 + 1, "/metrics", 8)) || (plen == 1 && sp1[1] == '/')) {
		_cleanup_free_ char *body = NULL;
		size_t blen;
		int r = lve_prom_render(p, &body, &blen);

		if (r < 0)
			return respond(p, 500, "Internal Server Error", "error\n", 6, false);
		return respond(p, 200, "OK", body, blen, true);
	}
	return respond(p, 404, "Not Found", "not found: try /metrics\n", 24, false);
}

static bool request_complete(const char *b, size_t n)
{
	return memmem(b, n, "\r\n\r\n", 4) || memmem(b, n, "\n\n", 2);
}

int lve_prom_dispatch(struct lve_prom *p, short revents, int64_t now_usec)
{
	if (!p)
		return -EINVAL;
	if (p->cfd >= 0 && now_usec >= p->deadline) {
		conn_close(p);
		return 0;
	}
	if (p->cfd < 0) {
		int fd;

		if (p->lfd < 0 || !(revents & POLLIN))
			return 0;
		fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
		p->cfd = fd;
		p->deadline = now_usec + CONN_TIMEOUT_USEC;
		p->reqlen = 0;
		/* the request is usually there already: read it now rather than
		 * after the next poll, which can wait behind a whole sampling pass */
		revents = POLLIN;
	}
	if (!p->resp) {
		ssize_t n;

		if (!(revents & (POLLIN | POLLHUP | POLLERR)))
			return 0;
		n = recv(p->cfd, p->req + p->reqlen, REQ_MAX - 1 - p->reqlen, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			conn_close(p);
			return 0;
		}
		if (n == 0) {
			conn_close(p);
			return 0;
		}
		p->reqlen += (size_t)n;
		if (request_complete(p->req, p->reqlen)) {
			if (handle_request(p) < 0)
				conn_close(p);
		} else if (p->reqlen >= REQ_MAX - 1) {
			if (respond(p, 431, "Request Header Fields Too Large", "request too large\n", 18, false) < 0)
				conn_close(p);
		}
		if (!p->resp)
			return 0;
		/* answer at once (non-blocking): the socket buffer takes it unless it is large */
		revents = POLLOUT;
	}
	if (revents & (POLLOUT | POLLHUP | POLLERR)) {
		ssize_t n = send(p->cfd, p->resp + p->resppos, p->resplen - p->resppos, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(p);
			return 0;
		}
		p->resppos += (size_t)n;
		if (p->resppos == p->resplen) {
			(void)shutdown(p->cfd, SHUT_WR);
			conn_close(p);
		}
	}
	return 0;
}
