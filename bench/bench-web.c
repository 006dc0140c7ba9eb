/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-web: lved's usage page (src/stats/web.c) against its baseline.
 *
 * A SQLite history of 1,000 LVEs x 1 hour (5 s samples) is made in a temp
 * dir, the page's server is started on 127.0.0.1, and in the same run:
 *   1. one LVE's hour (/api/lve, 60 one-minute buckets) over HTTP against
 *      the same lve_series_query() + lve_db_query() called directly: the
 *      ratio is what HTTP, JSON and the thread hop add;
 *   2. the server thread's own CPU time (its /proc/self/task/TID/stat)
 *      while idle for 10 s -- what the page costs lved when nobody looks --
 *      and per request under 50 concurrent clients.
 * Timing is printed, never asserted. `--quick`: 100 LVEs, fewer rounds.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "series.h"
#include "stats.h"
#include "web.h"
#include "webtoken.h"

static char dir[] = "/tmp/bench-web-XXXXXX";
static int port;
static char tok[LVE_WEB_TOKEN_MAX];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int get(const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[1024], buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), n, st = -1;
	ssize_t k;
	size_t got = 0;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(fd, req, (size_t)n) == n) {
		while ((k = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0 && got + (size_t)k < sizeof(buf) - 1)
			got += (size_t)k;
		buf[got] = 0;
		if (sscanf(buf, "HTTP/1.1 %d", &st) != 1)
			st = -1;
	}
	close(fd);
	return st;
}

/* The web thread's CPU seconds (utime + stime of the task that is not us). */
static double web_thread_cpu(pid_t self_tid)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	double best = 0;
	long tck = sysconf(_SC_CLK_TCK);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char p[300], buf[1024];
		FILE *f;
		unsigned long ut = 0, stt = 0;
		const char *q;

		if (de->d_name[0] == '.' || atoi(de->d_name) == self_tid)
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/stat", de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (q = strrchr(buf, ')')) &&
		    sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) == 2) {
			double v = (double)(ut + stt) / (double)tck;

			if (v > best)
				best = v;
		}
		fclose(f);
	}
	closedir(d);
	return best;
}

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static volatile int load_left;

static void *client(void *arg)
{
	char path[512];

	(void)arg;
	snprintf(path, sizeof(path), "/api/whoami?t=%s", tok);
	while (__sync_fetch_and_sub(&load_left, 1) > 0)
		(void)get(path);
	return NULL;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	uint32_t nlve = quick ? 100 : 1000;
	int rounds = quick ? 50 : 300;
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60,
				   .interval = 5 };
	char dbfile[128], secret[128], listen[64], path[512];
	unsigned char key[LVE_WEB_SECRET_LEN];
	struct lve_web *w = NULL;
	struct lve_db *db = NULL;
	int64_t now = (int64_t)time(NULL);
	double t, direct, http, idle0, idle1, load0, load1;
	pid_t self = gettid();
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dir);
	snprintf(secret, sizeof(secret), "%s/web.secret", dir);
	c.sqlite_path = dbfile;
	if (lve_db_open(&c, &db) < 0)
		return 1;
	for (int64_t ts = now - 3600 + 5; ts <= now; ts += 5) {
		struct lve_sample s[1000];

		for (uint32_t i = 0; i < nlve; i++)
			s[i] = (struct lve_sample){ .id = 1000 + i, .ts = ts, .interval = 5, .aCPU = 100 * i,
						    .lCPU = 10000, .aPMem = 1 << 26, .lPMem = 1 << 30, .aEP = 1,
						    .lEP = 20 };
		if (lve_db_insert(db, s, nlve) < 0)
			return 1;
	}
	lve_db_close(db);
	if (lve_web_secret_load(secret, 1, key) < 0 || lve_web_token_make(key, LVE_WEB_SCOPE_ADMIN, now + 3600, tok) < 0)
		return 1;
	c.web_secret_file = secret;
	c.web_listen = listen;
	srand((unsigned)getpid());
	do {
		port = 20000 + rand() % 40000;
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		r = lve_web_start(&c, &w);
	} while (r == -EADDRINUSE);
	if (r < 0 || lve_db_open_flags(&c, LVE_DB_READONLY, &db) < 0) {
		fprintf(stderr, "bench-web: cannot start: %s\n", strerror(-r));
		return 1;
	}

	/* 1. one LVE's hour: direct vs HTTP, interleaved */
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=%u&period=1h", tok, 1000 + nlve / 2);
	direct = http = 0;
	idle0 = web_thread_cpu(self);
	for (int i = 0; i < rounds; i++) {
		struct lve_series *s = NULL;
		struct lve_agg *a = NULL;

		t = now_s();
		if (lve_series_query(db, NULL, 1000 + nlve / 2, now - 3600, now + 1, 0, &s) < 0)
			return 1;
		(void)lve_db_query(db, &(struct lve_query){ .from = s->from, .to = s->to, .id = 1000 + nlve / 2 }, &a);
		direct += now_s() - t;
		free(s);
		free(a);
		t = now_s();
		if (get(path) != 200)
			return 1;
		http += now_s() - t;
	}
	{
		char wp[512];
		double tw = now_s();

		snprintf(wp, sizeof(wp), "/api/whoami?t=%s", tok);
		for (int i = 0; i < rounds; i++)
			(void)get(wp);
		printf("bench-web: /api/whoami (no database): %.3f ms per request, one client\n",
		       (now_s() - tw) / rounds * 1000);
	}
	idle1 = web_thread_cpu(self);
	printf("bench-web: /api/lve (one LVE, 1 h in 1-minute buckets, %u LVEs stored): %.2f ms over HTTP, "
	       "%.2f ms direct = %.2fx wall clock (load average %.1f: the HTTP path waits for two wake-ups)\n",
	       nlve, http / rounds * 1000, direct / rounds * 1000, http / direct, loadavg());
	printf("bench-web: the same, CPU: server thread %.2f ms per request vs %.2f ms direct = %.2fx\n",
	       (idle1 - idle0) / rounds * 1000, direct / rounds * 1000, (idle1 - idle0) / direct);

	/* 2. the server thread's CPU: idle, then under 50 clients */
	idle0 = web_thread_cpu(self);
	sleep(quick ? 2 : 10);
	idle1 = web_thread_cpu(self);
	printf("bench-web: server thread idle for %d s: %.3f s CPU = %.3f%% of one core\n", quick ? 2 : 10,
	       idle1 - idle0, (idle1 - idle0) / (quick ? 2 : 10) * 100);
	{
		pthread_t th[50];
		int total = quick ? 2000 : 10000;

		load_left = total;
		load0 = web_thread_cpu(self);
		t = now_s();
		for (int i = 0; i < 50; i++)
			pthread_create(&th[i], NULL, client, NULL);
		for (int i = 0; i < 50; i++)
			pthread_join(th[i], NULL);
		t = now_s() - t;
		load1 = web_thread_cpu(self);
		printf("bench-web: %d requests from 50 clients in %.2f s = %.0f requests/s; server thread %.1f us CPU "
		       "per request\n",
		       total, t, total / t, (load1 - load0) / total * 1e6);
	}
	lve_db_close(db);
	lve_web_stop(w);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
