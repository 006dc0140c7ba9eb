/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * web.c - lved's usage page (web.h): the HTTP server thread, its routes
 * and their JSON. Owns request parsing, access checks and answers; the
 * numbers come from lve_db_query() / lve_series_query(), pictures from
 * chart.c, tokens from webtoken.c, static files from web_root (a fixed
 * list of names: nothing from the URL is ever used as a path).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "config.h"
#include "fileio.h"
#include "macro.h"
#include "series.h"
#include "snapshot.h"
#include "web.h"
#include "webtoken.h"

#define REQ_MAX 8192
#define CONN_TIMEOUT_MS 10000

struct conn {
	int fd;
	size_t inlen;
	char in[REQ_MAX + 1];
	char *out;
	size_t outlen, outoff;
	int64_t deadline;       /* CLOCK_MONOTONIC ms */
};

struct static_file {
	const char *url, *name, *type;
	char *data;
	size_t len;
};

#define NAME_CACHE 1024
#define NAME_TTL 60
struct name_entry {
	uint32_t uid;
	int64_t expires;
	char name[64];
};

struct lve_web {
	int lfd, wakefd;
	char *unix_path;
	pthread_t thread;
	bool started;
	struct lve_db *db;
	unsigned char secret[LVE_WEB_SECRET_LEN];
	char server_id[16];
	struct static_file files[3];
	struct conn *conns[LVE_WEB_MAX_CONN];
	struct name_entry names[NAME_CACHE]; /* username(): uid -> name, NAME_TTL s */
	char *snap_dir;                      /* [issue 11] incident snapshots; NULL: disabled */
	_Atomic uint64_t requests, errors, refused;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- requests */

struct req {
	bool head;
	char path[256];
	char query[2048];
};

/* "GET /path?query HTTP/1.x" + headers up to the blank line. 0, or the HTTP status to answer. */
static int parse_request(const char *in, struct req *rq)
{
	const char *sp1, *sp2, *q, *eol = strstr(in, "\r\n");
	size_t plen;

	if (!eol)
		return 400;
	if (!strncmp(in, "GET ", 4))
		sp1 = in + 3;
	else if (!strncmp(in, "HEAD ", 5)) {
		sp1 = in + 4;
		rq->head = true;
	} else
		return 405;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp1[1] != '/' || (strncmp(sp2, " HTTP/1.1\r", 10) && strncmp(sp2, " HTTP/1.0\r", 10)))
		return 400;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	plen = (size_t)((q ? q : sp2) - sp1 - 1);
	if (plen >= sizeof(rq->path) || (q && (size_t)(sp2 - q - 1) >= sizeof(rq->query)))
		return 414;
	memcpy(rq->path, sp1 + 1, plen);
	rq->path[plen] = 0;
	if (q) {
		memcpy(rq->query, q + 1, (size_t)(sp2 - q - 1));
		rq->query[sp2 - q - 1] = 0;
	}
	for (const char *c = rq->path; *c; c++)
		if ((unsigned char)*c < 0x21 || *c == 0x7f)
			return 400;
	return 0;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The percent-decoded value of query parameter `key` into buf; false when absent or malformed. */
static bool qparam(const struct req *rq, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);
	const char *p = rq->query;

	while (*p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = 0;

			for (const char *c = p + kl + 1; c < end; c++) {
				char ch = *c;

				if (ch == '%') {
					if (c + 2 >= end)
						return false;
					if (hexv(c[1]) < 0 || hexv(c[2]) < 0)
						return false;
					ch = (char)(hexv(c[1]) << 4 | hexv(c[2]));
					c += 2;
				} else if (ch == '+')
					ch = ' ';
				if (ch == 0 || n + 1 >= size)
					return false;
				buf[n++] = ch;
			}
			buf[n] = 0;
			return true;
		}
		p = amp ? amp + 1 : end;
	}
	return false;
}

/* ------------------------------------------------------------ answers */

struct answer {
	int status;
	const char *type;
	char *body;          /* malloc'd */
	size_t len;
	const char *cache;   /* Cache-Control */
};

static const char *reason(int s)
{
	switch (s) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c); /* never markup, even if a page misuses it */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int answer_error(struct answer *a, int status, const char *msg)
{
	FILE *f;

	free(a->body);
	a->body = NULL;
	a->len = 0;
	f = open_memstream(&a->body, &a->len);
	if (!f)
		return -ENOMEM;
	fputs("{\"result\": \"error\", \"error\": ", f);
	json_str(f, msg);
	fputs("}\n", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	a->status = status;
	a->type = "application/json";
	return 0;
}

/* cloudlinux-statistics' sections: name, resource index (lve_col / 3), kind of value. */
static const struct {
	const char *name;
	int res;
} secs[] = { { "cpu", 0 }, { "ep", 1 }, { "vmem", 2 }, { "pmem", 3 }, { "nproc", 4 }, { "io", 5 }, { "iops", 6 } };

static void put_value(FILE *f, const struct lve_agg *a, int k, int kind)
{
	double v = a->v[3 * secs[k].res + kind];

	if (kind == 2)
		fprintf(f, "%.0f", v);
	else if (secs[k].res == 0)
		fprintf(f, "%.1f", v / 100.0);
	else if (secs[k].res == 5)
		fprintf(f, "%.1f", v);
	else if (kind == 0 && v != floor(v) && secs[k].res != 2 && secs[k].res != 3)
		fprintf(f, "%.2f", v);
	else
		fprintf(f, "%.0f", round(v));
}

static void put_sections(FILE *f, const struct lve_agg *a)
{
	static const char *const kinds[] = { "usage", "faults", "limits" };
	static const int kind_of[] = { 0, 2, 1 };

	for (int s = 0; s < 3; s++) {
		fprintf(f, "%s\"%s\": {", s ? ", " : "", kinds[s]);
		for (size_t k = 0; k < ELEMENTSOF(secs); k++) {
			fprintf(f, "%s\"%s\": {\"lve\": ", k ? ", " : "", secs[k].name);
			put_value(f, a, (int)k, kind_of[s]);
			fputc('}', f);
		}
		fputc('}', f);
	}
}

/*
 * uid -> user name, cached for NAME_TTL seconds: a name service lookup of
 * an unknown uid can take tens of milliseconds (nss-systemd asking a
 * userdb that is not there), and every /api answer names its LVEs. Only
 * the server thread uses it.
 */
static void username(struct lve_web *w, uint32_t id, char *buf, size_t size)
{
	struct name_entry *names = w->names;
	struct passwd pw, *res = NULL;
	char tmp[2048];
	int64_t now = mono_ms() / 1000;
	size_t slot = id % NAME_CACHE;

	if (names[slot].expires > now && names[slot].uid == id) {
		snprintf(buf, size, "%s", names[slot].name);
		return;
	}
	if (getpwuid_r(id, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "N/A");
	names[slot].uid = id;
	names[slot].expires = now + NAME_TTL;
	snprintf(names[slot].name, sizeof(names[slot].name), "%s", buf);
}

/* The range of a request: period=P, or from=&to= (unix seconds), default the last 24 h. */
static int req_range(const struct req *rq, struct answer *a, int64_t *from, int64_t *to)
{
	char p[64], f[32], t[32];
	int64_t now = (int64_t)time(NULL), fv, tv;

	if (qparam(rq, "period", p, sizeof(p))) {
		if (lve_parse_period(p, now, &fv, &tv) < 0)
			return answer_error(a, 400, "period: not Ns, Nm, Nh, Nd, today or yesterday") ?: -1;
	} else if (qparam(rq, "from", f, sizeof(f))) {
		char *end;

		errno = 0;
		fv = strtoll(f, &end, 10);
		if (errno || *end || end == f)
			return answer_error(a, 400, "from: not unix seconds") ?: -1;
		tv = now + 1;
		if (qparam(rq, "to", t, sizeof(t))) {
			errno = 0;
			tv = strtoll(t, &end, 10);
			if (errno || *end || end == t)
				return answer_error(a, 400, "to: not unix seconds") ?: -1;
		}
	} else {
		tv = now + 1;
		fv = tv - 86400;
	}
	if (fv >= tv)
		return answer_error(a, 400, "the range is empty (from is not before to)") ?: -1;
	if (tv - fv > (int64_t)LVE_WEB_MAX_DAYS * 86400)
		return answer_error(a, 400, "the range is too long (at most 400 days)") ?: -1;
	*from = fv;
	*to = tv;
	return 0;
}

/* The scope of the request's token; answers 403 and returns -1 when there is none. */
static int req_scope(struct lve_web *w, const struct req *rq, struct answer *a, uint32_t *scope)
{
	char tok[LVE_WEB_TOKEN_MAX];
	int r;

	if (!qparam(rq, "t", tok, sizeof(tok)))
		return answer_error(a, 403, "this page needs the link from your control panel (t=...)") ?: -1;
	r = lve_web_token_check(w->secret, tok, (int64_t)time(NULL), scope);
	if (r == -EKEYEXPIRED)
		return answer_error(a, 403, "this link has expired: open the page again from your control panel") ?: -1;
	if (r < 0)
		return answer_error(a, 403, "this link is not valid") ?: -1;
	return 0;
}

/* The LVE a request is about: id= (admin; customers only their own), else the token's. */
static int req_id(const struct req *rq, uint32_t scope, struct answer *a, uint32_t *id)
{
	char b[16];

	if (qparam(rq, "id", b, sizeof(b))) {
		uint32_t v;

		if (ol_parse_u32(b, &v) < 0 || v == 0 || v == UINT32_MAX)
			return answer_error(a, 400, "id: not an LVE id") ?: -1;
		if (scope != LVE_WEB_SCOPE_ADMIN && v != scope)
			return answer_error(a, 403, "this link does not show that LVE") ?: -1;
		*id = v;
		return 0;
	}
	if (scope == LVE_WEB_SCOPE_ADMIN)
		return answer_error(a, 400, "id: missing") ?: -1;
	*id = scope;
	return 0;
}

static int db_fail(struct lve_web *w, struct answer *a, int r)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "the statistics database cannot be read now: %s", strerror(-r));
	(void)w;
	return answer_error(a, 503, msg);
}

static int api_whoami(struct lve_web *w, const struct req *rq, struct answer *a, uint32_t scope)
{
	FILE *f = open_memstream(&a->body, &a->len);
	char name[256];

	(void)w;
	(void)rq;
	if (!f)
		return -ENOMEM;
	if (scope == LVE_WEB_SCOPE_ADMIN)
		fputs("{\"scope\": \"admin\", \"result\": \"success\"}\n", f);
	else {
		username(w, scope, name, sizeof(name));
		fprintf(f, "{\"scope\": \"lve\", \"id\": %" PRIu32 ", \"username\": ", scope);
		json_str(f, name);
		fputs(", \"result\": \"success\"}\n", f);
	}
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int cmp_agg(const void *pa, const void *pb, void *arg)
{
	const struct lve_agg *x = pa, *y = pb;
	int order_col = *(const int *)arg;

	if (x->v[order_col] != y->v[order_col])
		return x->v[order_col] > y->v[order_col] ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int api_top(struct lve_web *w, const struct req *rq, struct answer *a, uint32_t scope)
{
	_cleanup_free_ struct lve_agg *ag = NULL;
	int64_t from, to;
	char b[32];
	long limit = 20;
	int order_col = LVE_COL_ACPU;
	FILE *f;
	int n, r;

	if (scope != LVE_WEB_SCOPE_ADMIN)
		return answer_error(a, 403, "only the administrator's link shows every LVE");
	if (req_range(rq, a, &from, &to))
		return 0;
	if (qparam(rq, "order", b, sizeof(b))) {
		static const struct {
			const char *k;
			int col;
		} ord[] = { { "cpu", LVE_COL_ACPU }, { "pmem", LVE_COL_APMEM }, { "ep", LVE_COL_AEP },
			    { "nproc", LVE_COL_ANPROC }, { "io", LVE_COL_AIO }, { "iops", LVE_COL_AIOPS },
			    { "faults", LVE_COL_ANYF } };
		size_t k;

		for (k = 0; k < ELEMENTSOF(ord); k++)
			if (!strcmp(b, ord[k].k))
				break;
		if (k == ELEMENTSOF(ord))
			return answer_error(a, 400, "order: one of cpu pmem ep nproc io iops faults");
		order_col = ord[k].col;
	}
	if (qparam(rq, "limit", b, sizeof(b))) {
		char *end;

		errno = 0;
		limit = strtol(b, &end, 10);
		if (errno || *end || end == b || limit < 0 || limit > 100000)
			return answer_error(a, 400, "limit: 0 (all) .. 100000");
	}
	n = lve_db_query(w->db, &(struct lve_query){ .from = from, .to = to }, &ag);
	if (n < 0)
		return db_fail(w, a, n);
	if (n > 1)
		qsort_r(ag, (size_t)n, sizeof(*ag), cmp_agg, &order_col);
	if (limit > 0 && n > limit)
		n = (int)limit;
	f = open_memstream(&a->body, &a->len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "{\"result\": \"success\", \"timestamp\": %lld, \"from\": %lld, \"to\": %lld, \"users\": [",
		(long long)time(NULL), (long long)from, (long long)to);
	for (int i = 0; i < n; i++) {
		char name[256];

		username(w, ag[i].id, name, sizeof(name));
		fprintf(f, "%s\n  {\"id\": %" PRIu32 ", \"username\": ", i ? "," : "", ag[i].id);
		json_str(f, name);
		fputs(", ", f);
		put_sections(f, &ag[i]);
		fputc('}', f);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
	r = fclose(f);
	return r == 0 ? 0 : -ENOMEM;
}

static int api_lve(struct lve_web *w, const struct req *rq, struct answer *a, uint32_t scope, bool svg)
{
	_cleanup_free_ struct lve_series *s = NULL;
	_cleanup_free_ struct lve_agg *sum = NULL;
	int64_t from, to;
	uint32_t id;
	char name[256];
	FILE *f;
	int r, n;

	if (req_id(rq, scope, a, &id) || req_range(rq, a, &from, &to))
		return 0;
	r = lve_series_query(w->db, NULL, id, from, to, 0, &s);
	if (r < 0)
		return r == -EINVAL ? answer_error(a, 400, "the range cannot be drawn") : db_fail(w, a, r);
	username(w, id, name, sizeof(name));
	if (svg) {
		char title[300];

		snprintf(title, sizeof(title), "LVE %" PRIu32 " (%s)", id, name);
		r = lve_chart_render(s, title, LVE_CHART_SVG, scope == LVE_WEB_SCOPE_ADMIN ? 0 : LVE_CHART_USER,
				     &a->body, &a->len);
		if (r < 0)
			return answer_error(a, 500, "the chart cannot be drawn");
		a->type = "image/svg+xml";
		return 0;
	}
	n = lve_db_query(w->db, &(struct lve_query){ .from = s->from, .to = s->to, .id = id }, &sum);
	if (n < 0)
		return db_fail(w, a, n);
	f = open_memstream(&a->body, &a->len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "{\"result\": \"success\", \"id\": %" PRIu32 ", \"username\": ", id);
	json_str(f, name);
	fprintf(f, ", \"from\": %lld, \"to\": %lld, \"unit\": %lld, \"summary\": ", (long long)s->from,
		(long long)s->to, (long long)s->unit);
	if (n > 0) {
		fputc('{', f);
		put_sections(f, &sum[0]);
		fputc('}', f);
	} else
		fputs("null", f);
	fputs(", \"series\": [", f);
	n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->p[i].empty)
			continue;
		fprintf(f, "%s\n  {\"from\": %lld, \"to\": %lld, ", n++ ? "," : "", (long long)s->p[i].from,
			(long long)s->p[i].to);
		put_sections(f, &s->p[i].a);
		fputc('}', f);
	}
	fprintf(f, "%s]}\n", n ? "\n" : "");
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

/*
 * [issue 11] /api/snapshots: the incident snapshots of one LVE in the range
 * (snapshot.h), the newest WEB_SNAPS_MAX, each as lve-read-snapshot --json
 * prints it (processes and the web requests running at fault time).
 */
#define WEB_SNAPS_MAX 20
static int api_snapshots(struct lve_web *w, const struct req *rq, struct answer *a, uint32_t scope)
{
	struct lve_snaps sn = { 0 };
	int64_t from, to;
	uint32_t id;
	int bad = 0, r;
	size_t first;
	FILE *f;

	if (req_id(rq, scope, a, &id) || req_range(rq, a, &from, &to))
		return 0;
	if (w->snap_dir) {
		r = lve_snaps_load(w->snap_dir, id, from, to, &sn, &bad);
		if (r < 0) {
			lve_snaps_free(&sn);
			return answer_error(a, 500, "the snapshots cannot be read");
		}
	}
	first = sn.n > WEB_SNAPS_MAX ? sn.n - WEB_SNAPS_MAX : 0;
	f = open_memstream(&a->body, &a->len);
	if (!f) {
		lve_snaps_free(&sn);
		return -ENOMEM;
	}
	fprintf(f, "{\"result\": \"success\", \"id\": %" PRIu32 ", \"from\": %lld, \"to\": %lld, \"total\": %zu, "
		   "\"damaged\": %d, \"snapshots\": [",
		id, (long long)from, (long long)to, sn.n, bad);
	for (size_t i = sn.n; i-- > first;) {
		fputs(i + 1 < sn.n ? ",\n  " : "\n  ", f);
		lve_snap_json(f, &sn.v[i]);
	}
	fprintf(f, "%s]}\n", sn.n ? "\n" : "");
	lve_snaps_free(&sn);
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int route(struct lve_web *w, const struct req *rq, struct answer *a)
{
	uint32_t scope;

	a->status = 200;
	a->cache = "no-store";
	for (size_t i = 0; i < ELEMENTSOF(w->files); i++) {
		const struct static_file *sf = &w->files[i];

		if (!strcmp(rq->path, sf->url)) {
			if (!sf->data)
				return answer_error(a, 404, "the page's files are not installed (web_root)");
			a->body = malloc(sf->len ? sf->len : 1);
			if (!a->body)
				return -ENOMEM;
			memcpy(a->body, sf->data, sf->len);
			a->len = sf->len;
			a->type = sf->type;
			a->cache = "no-cache";
			return 0;
		}
	}
	if (strncmp(rq->path, "/api/", 5))
		return answer_error(a, 404, "no such page");
	if (req_scope(w, rq, a, &scope))
		return 0;
	a->type = "application/json";
	if (!strcmp(rq->path, "/api/whoami"))
		return api_whoami(w, rq, a, scope);
	if (!strcmp(rq->path, "/api/top"))
		return api_top(w, rq, a, scope);
	if (!strcmp(rq->path, "/api/lve"))
		return api_lve(w, rq, a, scope, false);
	if (!strcmp(rq->path, "/api/chart.svg"))
		return api_lve(w, rq, a, scope, true);
	if (!strcmp(rq->path, "/api/snapshots"))
		return api_snapshots(w, rq, a, scope);
	return answer_error(a, 404, "no such API");
}

/* Build the whole response of a complete request into c->out. */
static void respond(struct lve_web *w, struct conn *c, int status)
{
	struct answer a = { 0 };
	struct req rq = { 0 };
	char *hdr = NULL;
	int n;

	if (!status)
		status = parse_request(c->in, &rq);
	if (status) {
		if (answer_error(&a, status, reason(status)) < 0)
			a.status = 500;
	} else if (route(w, &rq, &a) < 0) {
		if (answer_error(&a, 500, "out of memory") < 0)
			a.status = 500;
	}
	atomic_fetch_add(&w->requests, 1);
	if (a.status >= 400)
		atomic_fetch_add(&w->errors, 1);
	n = asprintf(&hdr,
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
		     "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
		     "Content-Security-Policy: default-src 'self'; img-src 'self'; frame-ancestors 'none'\r\n"
		     "X-Frame-Options: DENY\r\n\r\n",
		     a.status, reason(a.status), a.type ? a.type : "text/plain", a.len,
		     a.cache ? a.cache : "no-store");
	if (n < 0) {
		free(a.body);
		c->out = NULL;
		c->outlen = 0;
		return;
	}
	c->out = malloc((size_t)n + (rq.head ? 0 : a.len));
	if (c->out) {
		memcpy(c->out, hdr, (size_t)n);
		if (!rq.head && a.len)
			memcpy(c->out + n, a.body, a.len);
		c->outlen = (size_t)n + (rq.head ? 0 : a.len);
	}
	c->outoff = 0;
	free(hdr);
	free(a.body);
}

/* ---------------------------------------------------------- the thread */

static void conn_close(struct lve_web *w, int i)
{
	struct conn *c = w->conns[i];

	close(c->fd);
	free(c->out);
	free(c);
	w->conns[i] = NULL;
}

static void conn_read(struct lve_web *w, int i)
{
	struct conn *c = w->conns[i];
	ssize_t n = recv(c->fd, c->in + c->inlen, REQ_MAX - c->inlen, 0);

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		atomic_fetch_add(&w->refused, 1);
		conn_close(w, i);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = 0;
	if (memchr(c->in, 0, c->inlen))
		respond(w, c, 400);
	else if (strstr(c->in, "\r\n\r\n"))
		respond(w, c, 0);
	else if (c->inlen >= REQ_MAX)
		respond(w, c, 431);
	else
		return;
	if (!c->out) {
		conn_close(w, i);
		return;
	}
	shutdown(c->fd, SHUT_RD);
}

static void conn_write(struct lve_web *w, int i)
{
	struct conn *c = w->conns[i];
	ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(w, i);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen)
		conn_close(w, i);
}

static void do_accept(struct lve_web *w)
{
	for (;;) {
		int fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

		if (fd < 0)
			return;
		for (i = 0; i < LVE_WEB_MAX_CONN && w->conns[i]; i++) {
		}
		if (i == LVE_WEB_MAX_CONN) {
			atomic_fetch_add(&w->refused, 1);
			close(fd);
			continue;
		}
		w->conns[i] = calloc(1, sizeof(struct conn));
		if (!w->conns[i]) {
			close(fd);
			return;
		}
		/* one response per connection, written whole: no Nagle delay before close */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		w->conns[i]->fd = fd;
		w->conns[i]->deadline = mono_ms() + CONN_TIMEOUT_MS;
	}
}

static void *serve(void *arg)
{
	struct lve_web *w = arg;
	struct pollfd pfd[LVE_WEB_MAX_CONN + 2];
	int map[LVE_WEB_MAX_CONN + 2];

	for (;;) {
		int n = 0, timeout = -1;
		int64_t now = mono_ms();

		pfd[n] = (struct pollfd){ .fd = w->wakefd, .events = POLLIN };
		map[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = w->lfd, .events = POLLIN };
		map[n++] = -2;
		for (int i = 0; i < LVE_WEB_MAX_CONN; i++) {
			struct conn *c = w->conns[i];
			int left;

			if (!c)
				continue;
			if (c->deadline <= now) {
				atomic_fetch_add(&w->refused, 1);
				conn_close(w, i);
				continue;
			}
			left = (int)(c->deadline - now);
			if (timeout < 0 || left < timeout)
				timeout = left;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents)
			do_accept(w);
		for (int k = 2; k < n; k++) {
			int i = map[k];

			if (!pfd[k].revents || !w->conns[i])
				continue;
			if (w->conns[i]->out)
				conn_write(w, i);
			else
				conn_read(w, i);
		}
	}
	return NULL;
}

static void load_static(struct lve_web *w, const char *root)
{
	static const struct {
		const char *url, *name, *type;
	} names[] = {
		{ "/", "index.html", "text/html; charset=utf-8" },
		{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
		{ "/app.css", "app.css", "text/css; charset=utf-8" },
	};
	_cleanup_close_ int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		w->files[i].url = names[i].url;
		w->files[i].name = names[i].name;
		w->files[i].type = names[i].type;
		if (dfd >= 0 && ol_read_full_at(dfd, names[i].name, &w->files[i].data, &w->files[i].len) < 0)
			w->files[i].data = NULL;
	}
}

int lve_web_start(const struct lvestats_conf *conf, struct lve_web **out)
{
	struct lve_web *w;
	int r;

	if (!conf || !conf->web_listen || !out)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->lfd = w->wakefd = -1;
	r = lve_web_secret_load(conf->web_secret_file ? conf->web_secret_file : LVE_WEB_SECRET_DEFAULT, 1,
				w->secret);
	if (r < 0)
		goto fail;
	load_static(w, conf->web_root ? conf->web_root : DATADIR "/openlve/web");
	if (!conf->disable_snapshots) {
		w->snap_dir = strdup(conf->snapshot_dir ? conf->snapshot_dir : LVE_SNAP_DIR_DEFAULT);
		if (!w->snap_dir) {
			r = -ENOMEM;
			goto fail;
		}
	}
	r = lve_db_open_flags(conf, LVE_DB_READONLY, &w->db);
	if (r < 0)
		goto fail;
	w->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wakefd < 0) {
		r = -errno;
		goto fail;
	}
	r = lve_listen_on(conf->web_listen, 128, &w->unix_path);
	if (r < 0)
		goto fail;
	w->lfd = r;
	r = -pthread_create(&w->thread, NULL, serve, w);
	if (r < 0)
		goto fail;
	w->started = true;
	*out = w;
	return 0;
fail:
	lve_web_stop(w);
	return r;
}

void lve_web_stop(struct lve_web *w)
{
	if (!w)
		return;
	if (w->started) {
		uint64_t one = 1;

		if (write(w->wakefd, &one, sizeof(one)) < 0) {
			/* eventfd write cannot fail here; the join below would hang otherwise */
		}
		pthread_join(w->thread, NULL);
	}
	for (int i = 0; i < LVE_WEB_MAX_CONN; i++)
		if (w->conns[i])
			conn_close(w, i);
	if (w->lfd >= 0)
		close(w->lfd);
	if (w->unix_path) {
		(void)unlink(w->unix_path);
		free(w->unix_path);
	}
	if (w->wakefd >= 0)
		close(w->wakefd);
	if (w->db)
		lve_db_close(w->db);
	free(w->snap_dir);
	for (size_t i = 0; i < ELEMENTSOF(w->files); i++)
		free(w->files[i].data);
	explicit_bzero(w->secret, sizeof(w->secret));
	free(w);
}

void lve_web_status(struct lve_web *w, struct lve_web_status *out)
{
	out->requests = atomic_load(&w->requests);
	out->errors = atomic_load(&w->errors);
	out->refused = atomic_load(&w->refused);
}
