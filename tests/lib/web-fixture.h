/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * web-fixture.h - lved's usage page (src/stats/web.c) on 127.0.0.1 over a
 * known history, for the tests of the page (test-web: HTTP and the API;
 * test-web-browser: the page in headless Chromium). start() builds a SQLite
 * history in a tap_mktemp() dir (LVE 4242: CPU 50% of 100%, 256 MiB of
 * 1 GiB, 1 EP fault per sample; LVE 4343: CPU 25% of 50%, 64 of 512 MiB;
 * one sample every 5 s over the last hour), a secret, and starts the server
 * on a free port. Header only; one per test binary.
 */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "stats.h"
#include "tap.h"
#include "web.h"
#include "webtoken.h"

static char dir[512], dbfile[700], secretfile[700], webroot[700];
static int port;
static int64_t now;
static unsigned char secret[LVE_WEB_SECRET_LEN];
static struct lve_web *web;

static inline int make_db(void)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60, .interval = 5 };
	struct lve_db *db = NULL;
	int r;

	c.sqlite_path = dbfile;
	r = lve_db_open(&c, &db);
	if (r < 0)
		return r;
	for (int64_t ts = now - 3600 + 5; ts <= now && r >= 0; ts += 5) {
		struct lve_sample s[2] = {
			{ .id = 4242, .ts = ts, .interval = 5, .aCPU = 5000, .lCPU = 10000, .aPMem = 256ull << 20,
			  .lPMem = 1ull << 30, .aEP = 2, .lEP = 20, .aNproc = 5, .lNproc = 100, .lIO = 1 << 20,
			  .lIOPS = 1024, .EPf = 1 },
			{ .id = 4343, .ts = ts, .interval = 5, .aCPU = 2500, .lCPU = 5000, .aPMem = 64ull << 20,
			  .lPMem = 512ull << 20, .aEP = 1, .lEP = 10, .aNproc = 3, .lNproc = 50, .lIO = 1 << 20,
			  .lIOPS = 1024 },
		};
		r = lve_db_insert(db, s, 2);
	}
	lve_db_close(db);
	return r < 0 ? r : 0;
}

/*
 * [issue 11] Incident snapshots in <dir>/snapshots (snapshot.h's format):
 * LVE 4242 ten minutes ago with one process and one web request whose URL
 * carries markup (the page must show it as text), LVE 4343 one with a
 * request of its own (a 4242 link must never show it).
 */
static char snapdir[700];

static inline int make_snap(uint32_t id, int64_t ts, const char *cmd, const char *req)
{
	char path[900], day[32];
	time_t t = (time_t)ts;
	struct tm tm;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", snapdir, id);
	if (mkdir(snapdir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d.snap", &tm);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", day);
	f = fopen(path, "ae");
	if (!f)
		return -errno;
	fprintf(f, "S %lld %u %lld 0 3 0 0 0 0 0 5000 268435456 20 5 0 0 1 0\n"
		   "P 777 1 1001 R 1 1500 4194304 0 0 %s\nR 777 777 %lld %s\nE\n",
		(long long)ts, id, (long long)ts - 30, cmd, (long long)ts - 2, req);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* One HTTP exchange: raw request text in, status and body out (body malloc'd, may be NULL). */
static inline int http(const char *req, size_t reqlen, int *status, char **body, char *headers, size_t hsize)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char *sep;

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || send(fd, req, reqlen, MSG_NOSIGNAL) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	for (;;) {
		ssize_t k;

		if (n + 65536 > cap) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 131072);

			if (!p) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = p;
		}
		k = recv(fd, buf + n, cap - n - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (!buf)
		return -EPROTO;
	buf[n] = 0;
	if (sscanf(buf, "HTTP/1.1 %d", status) != 1) {
		free(buf);
		return -EPROTO;
	}
	sep = strstr(buf, "\r\n\r\n");
	if (headers && hsize) {
		size_t hl = sep ? (size_t)(sep - buf) : n;

		snprintf(headers, hsize, "%.*s", (int)hl, buf);
	}
	if (body)
		*body = sep ? strdup(sep + 4) : NULL;
	free(buf);
	return 0;
}

static inline int get(const char *path, int *status, char **body)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);

	return http(req, (size_t)n, status, body, NULL, 0);
}

static inline void token(uint32_t scope, int64_t expiry, char out[LVE_WEB_TOKEN_MAX])
{
	if (lve_web_token_make(secret, scope, expiry, out) < 0)
		out[0] = 0;
}

static inline int start(void)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60,
				   .interval = 5 };
	const char *src = getenv("OPENLVE_SOURCE_ROOT");
	char listen[64];
	int r;

	if (web)
		return 0;
	now = (int64_t)time(NULL);
	r = tap_mktemp(dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dir);
	snprintf(secretfile, sizeof(secretfile), "%s/web.secret", dir);
	snprintf(webroot, sizeof(webroot), "%s/src/stats/web", src ? src : "..");
	r = make_db();
	if (r < 0)
		return r;
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", dir);
	r = make_snap(4242, now - 600, "php-cgi\\x20/home/a/cart.php",
		      "GET\\x20shop-a.example\\x20/cart.php?q=<b>bold</b>");
	if (r < 0)
		return r;
	r = make_snap(4343, now - 300, "php-cgi", "GET\\x20site-b.example\\x20/b-secret");
	if (r < 0)
		return r;
	c.snapshot_dir = snapdir;
	r = lve_web_secret_load(secretfile, 1, secret);
	if (r < 0)
		return r;
	c.sqlite_path = dbfile;
	c.web_secret_file = secretfile;
	c.web_root = webroot;
	c.web_listen = listen;
	srand((unsigned)getpid());
	for (int tries = 0; tries < 50; tries++) {
		port = 20000 + rand() % 40000;
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		r = lve_web_start(&c, &web);
		if (r != -EADDRINUSE)
			break;
	}
	return r;
}

