/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-web: lved's usage page (src/stats/web.c) served from a known
 * history on 127.0.0.1, driven over real sockets: what an admin link and a
 * customer link may see (403 for another customer's LVE, for an expired or
 * forged link), the numbers of the JSON API against the history's own
 * values, the SVG chart, the static page with its security headers, every
 * malformed request answered with a clear error, 10,000 requests from 50
 * concurrent clients with no growth in memory, and `lvectl usage-url`
 * minting links the server accepts.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "runtool.h"
#include "web-fixture.h"

#define START() ASSERT_OK(start())

#define GET_STATUS(path, want)                                                           \
	do {                                                                             \
		int _st = 0;                                                             \
		char *_b = NULL;                                                         \
		ASSERT_OK(get(path, &_st, &_b));                                         \
		if (_st != (want))                                                       \
			TAP_FAIL("GET %s: %d, want %d: %s", path, _st, want, _b ? _b : ""); \
		free(_b);                                                                \
	} while (0)

TEST(admin_sees_every_lve_with_the_history_numbers)
{
	char tok[LVE_WEB_TOKEN_MAX], path[512];
	char *b = NULL, *p;
	int st;

	START();
	token(LVE_WEB_SCOPE_ADMIN, now + 600, tok);
	snprintf(path, sizeof(path), "/api/whoami?t=%s", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"scope\": \"admin\""));
	free(b);
	snprintf(path, sizeof(path), "/api/top?t=%s&period=2h&order=cpu", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	/* ordered by CPU: 4242 (50%) before 4343 (25%) */
	p = strstr(b, "\"id\": 4242");
	ASSERT(p && strstr(b, "\"id\": 4343") > p);
	ASSERT(strstr(p, "\"usage\": {\"cpu\": {\"lve\": 50.0}"));
	ASSERT(strstr(p, "\"pmem\": {\"lve\": 268435456}"));
	ASSERT(strstr(p, "\"limits\": {\"cpu\": {\"lve\": 100.0}"));
	p = strstr(b, "\"id\": 4343");
	ASSERT(strstr(p, "\"usage\": {\"cpu\": {\"lve\": 25.0}"));
	free(b);
	/* ordered by faults: 4242 has EP faults, 4343 none */
	snprintf(path, sizeof(path), "/api/top?t=%s&period=2h&order=faults&limit=1", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"id\": 4242") && !strstr(b, "\"id\": 4343"));
	ASSERT(strstr(b, "\"faults\": {\"cpu\": {\"lve\": 0}, \"ep\": {\"lve\": 720}"));
	free(b);
	/* one LVE: summary and a series of 1-minute buckets */
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4343&period=1h", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"id\": 4343"));
	ASSERT(strstr(b, "\"unit\": 60"));
	ASSERT(strstr(b, "\"summary\": {\"usage\": {\"cpu\": {\"lve\": 25.0}"));
	{
		int points = 0;

		for (p = strstr(b, "\"series\""); (p = strstr(p + 1, "{\"from\": ")); )
			points++;
		ASSERT(points >= 55 && points <= 61);
	}
	free(b);
	snprintf(path, sizeof(path), "/api/chart.svg?t=%s&id=4242&period=1h", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "<svg"));
	free(b);
	return 0;
}

TEST(customer_sees_only_their_lve)
{
	char tok[LVE_WEB_TOKEN_MAX], path[512];
	char *b = NULL;
	int st;

	START();
	token(4242, now + 600, tok);
	snprintf(path, sizeof(path), "/api/whoami?t=%s", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"scope\": \"lve\", \"id\": 4242"));
	free(b);
	snprintf(path, sizeof(path), "/api/lve?t=%s&period=1h", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"id\": 4242") && !strstr(b, "4343"));
	free(b);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4242&period=1h", tok);
	GET_STATUS(path, 200);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4343&period=1h", tok);
	GET_STATUS(path, 403);
	snprintf(path, sizeof(path), "/api/chart.svg?t=%s&id=4343", tok);
	GET_STATUS(path, 403);
	snprintf(path, sizeof(path), "/api/top?t=%s", tok);
	GET_STATUS(path, 403);
	/* [issue 11] its snapshots, with the web requests running then; never another LVE's */
	snprintf(path, sizeof(path), "/api/snapshots?t=%s&period=1h", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"id\": 4242") && strstr(b, "\"total\": 1,"));
	ASSERT(strstr(b, "\"http_requests\": [{\"pid\": 777, \"tid\": 777, "));
	ASSERT(strstr(b, "\"request\": \"GET shop-a.example /cart.php?q=<b>bold</b>\"}"));
	ASSERT(strstr(b, "\"cmdline\": \"php-cgi /home/a/cart.php\""));
	ASSERT(!strstr(b, "site-b") && !strstr(b, "4343"));
	free(b);
	snprintf(path, sizeof(path), "/api/snapshots?t=%s&id=4343&period=1h", tok);
	GET_STATUS(path, 403);
	snprintf(path, sizeof(path), "/api/snapshots?t=%s&period=1m", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"total\": 0,") && strstr(b, "\"snapshots\": []"));
	free(b);
	snprintf(path, sizeof(path), "/api/snapshots?t=%s&period=99999d", tok);
	GET_STATUS(path, 400);
	return 0;
}

TEST(expired_forged_and_malformed_links_are_refused)
{
	char tok[LVE_WEB_TOKEN_MAX], forged[LVE_WEB_TOKEN_MAX], path[700];
	char *b = NULL;
	int st;

	START();
	token(4242, now - 5, tok);
	snprintf(path, sizeof(path), "/api/lve?t=%s", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 403);
	ASSERT(strstr(b, "expired"));
	free(b);
	/* another LVE's id with 4242's signature */
	token(4242, now + 600, tok);
	snprintf(forged, sizeof(forged), "v1.4343%s", strchr(tok + 3, '.'));
	snprintf(path, sizeof(path), "/api/lve?t=%s", forged);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 403);
	ASSERT(strstr(b, "not valid"));
	free(b);
	/* a later expiry with the old signature; one flipped digit of the signature */
	snprintf(forged, sizeof(forged), "v1.4242.%lld%s", (long long)now + 99999, strrchr(tok, '.'));
	snprintf(path, sizeof(path), "/api/lve?t=%s", forged);
	GET_STATUS(path, 403);
	snprintf(forged, sizeof(forged), "%s", tok);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
	snprintf(path, sizeof(path), "/api/lve?t=%s", forged);
	GET_STATUS(path, 403);
	GET_STATUS("/api/lve", 403);
	GET_STATUS("/api/lve?t=", 403);
	GET_STATUS("/api/lve?t=garbage", 403);
	GET_STATUS("/api/lve?t=v1.admin.1.zz", 403);
	GET_STATUS("/api/lve?t=%zz", 403);
	/* a valid admin link with bad parameters */
	token(LVE_WEB_SCOPE_ADMIN, now + 600, tok);
	snprintf(path, sizeof(path), "/api/lve?t=%s", tok); /* no id */
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=0", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=abc", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4294967295", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4242&from=0", tok); /* 56 years */
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4242&period=7x", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=4242&from=100&to=50", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/top?t=%s&order=nonsense", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/top?t=%s&limit=-1", tok);
	GET_STATUS(path, 400);
	snprintf(path, sizeof(path), "/api/nothing?t=%s", tok);
	GET_STATUS(path, 404);
	GET_STATUS("/../../etc/passwd", 404);
	GET_STATUS("/index.html", 404);
	/* an unknown LVE is simply empty */
	snprintf(path, sizeof(path), "/api/lve?t=%s&id=999999&period=1h", tok);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"summary\": null") && strstr(b, "\"series\": []"));
	free(b);
	return 0;
}

TEST(bad_requests_get_clear_http_errors)
{
	static char big[12000];
	int st;

	START();
	ASSERT_OK(http("POST /api/top HTTP/1.1\r\n\r\n", 26, &st, NULL, NULL, 0));
	ASSERT_EQ(st, 405);
	ASSERT_OK(http("GET nothing\r\n\r\n", 15, &st, NULL, NULL, 0));
	ASSERT_EQ(st, 400);
	ASSERT_OK(http("GET / HTTP/2.0\r\n\r\n", 18, &st, NULL, NULL, 0));
	ASSERT_EQ(st, 400);
	ASSERT_OK(http("GET /a\x01 HTTP/1.1\r\n\r\n", 21, &st, NULL, NULL, 0));
	ASSERT_EQ(st, 400);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ASSERT_OK(http(big, sizeof(big), &st, NULL, NULL, 0));
	ASSERT_EQ(st, 431);
	ASSERT_OK(http("GET /\0 HTTP/1.1\r\n\r\n", 20, &st, NULL, NULL, 0));
	ASSERT_EQ(st, 400);
	return 0;
}

TEST(static_page_and_security_headers)
{
	char hdr[4096];
	char *b = NULL;
	int st;

	START();
	ASSERT_OK(http("GET / HTTP/1.1\r\n\r\n", 18, &st, &b, hdr, sizeof(hdr)));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(hdr, "Content-Type: text/html"));
	ASSERT(strstr(hdr, "Content-Security-Policy: default-src 'self'"));
	ASSERT(strstr(hdr, "Referrer-Policy: no-referrer"));
	ASSERT(strstr(b, "/app.js"));
	free(b);
	ASSERT_OK(http("GET /app.js HTTP/1.1\r\n\r\n", 24, &st, &b, hdr, sizeof(hdr)));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(hdr, "text/javascript"));
	ASSERT(strstr(b, "/api/whoami"));
	free(b);
	ASSERT_OK(http("HEAD /app.css HTTP/1.0\r\n\r\n", 26, &st, &b, hdr, sizeof(hdr)));
	ASSERT_EQ(st, 200);
	ASSERT(!b || !b[0]);
	free(b);
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
int __lsan_do_recoverable_leak_check(void);
#endif

static atomic_int ok_count, bad_count;
static char load_tok[LVE_WEB_TOKEN_MAX];

static void *client(void *arg)
{
	char path[512];

	(void)arg;
	for (int i = 0; i < 200; i++) {
		int st = 0;
		char *b = NULL;

		if (i % 10 == 0)
			snprintf(path, sizeof(path), "/api/lve?t=%s&period=10m", load_tok);
		else
			snprintf(path, sizeof(path), "/api/whoami?t=%s", load_tok);
		if (get(path, &st, &b) == 0 && st == 200)
			atomic_fetch_add(&ok_count, 1);
		else
			atomic_fetch_add(&bad_count, 1);
		free(b);
	}
	return NULL;
}

/* Bytes the process has allocated and not freed (every malloc arena plus
 * mmapped chunks). Not RSS: with 50 client threads glibc spreads work over
 * per-thread arenas whose pages RSS counts whether or not they hold live
 * data, so RSS grew by 3 MiB on one machine without a byte leaked. */
static long long heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long long)mi.uordblks + (long long)mi.hblkhd;
}

TEST(ten_thousand_requests_fifty_clients_no_growth)
{
	pthread_t th[50];
	struct lve_web_status ws;
	long long before, after;

	START();
	token(4343, now + 3600, load_tok);
	/* warm up: allocator arenas, SQLite's page cache, 50 thread stacks */
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, client, NULL), 0);
	for (int i = 0; i < 50; i++)
		pthread_join(th[i], NULL);
	before = heap_in_use();
	atomic_store(&ok_count, 0);
	atomic_store(&bad_count, 0);
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, client, NULL), 0);
	for (int i = 0; i < 50; i++)
		pthread_join(th[i], NULL);
	after = heap_in_use();
	lve_web_status(web, &ws);
	fprintf(stderr, "# 10000 requests: %d ok, %d failed; heap in use %lld -> %lld bytes; server answered %llu\n",
		atomic_load(&ok_count), atomic_load(&bad_count), before, after, (unsigned long long)ws.requests);
	ASSERT_EQ(atomic_load(&ok_count), 10000);
	ASSERT(ws.requests >= 20000);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan keeps freed memory in quarantine, so RSS says nothing here: stop the
	 * server and let LeakSanitizer look at the heap instead */
	(void)before;
	(void)after;
	lve_web_stop(web);
	web = NULL;
	ASSERT_EQ(__lsan_do_recoverable_leak_check(), 0);
#else
	/* a leak of 24 bytes per request would be 240,000 bytes */
	ASSERT(after - before < 200 * 1024);
#endif
	return 0;
}

TEST(lvectl_usage_url_mints_links_the_server_accepts)
{
	static struct tool_run run;
	char base[64], path[700], *q;
	char *b = NULL;
	int st;

	START();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "4343", "--secret-file", secretfile,
								   "--base-url", base, "--ttl", "120", NULL }));
	if (run.code)
		TAP_FAIL("lvectl usage-url: %d %s", run.code, run.err);
	ASSERT(!strncmp(run.out, base, strlen(base)));
	q = strstr(run.out, "/?t=");
	ASSERT(q);
	q[strcspn(q, "\n")] = 0;
	snprintf(path, sizeof(path), "/api/whoami%s", q + 1);
	ASSERT_OK(get(path, &st, &b));
	ASSERT_EQ(st, 200);
	ASSERT(strstr(b, "\"id\": 4343"));
	free(b);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "admin", "--secret-file", secretfile,
								   "--json", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "\"status\": \"OK\"") && strstr(run.out, "\"token\": \"v1.admin."));
	/* bad input: clear one-line errors, exit 2 (usage) or 1 (runtime) */
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", NULL }));
	ASSERT_EQ(run.code, 2);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "no-such-user-olt", NULL }));
	ASSERT_EQ(run.code, 2);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "root", NULL }));
	ASSERT_EQ(run.code, 2);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "4343", "--ttl", "0", NULL }));
	ASSERT_EQ(run.code, 2);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "4343", "--base-url", "ftp://x", NULL }));
	ASSERT_EQ(run.code, 2);
	ASSERT(chmod(secretfile, 0644) == 0);
	ASSERT_OK(tool_run(&run, "lvectl", (const char *const[]){ "usage-url", "4343", "--secret-file", secretfile,
								   NULL }));
	ASSERT(chmod(secretfile, 0600) == 0);
	ASSERT_EQ(run.code, 1);
	ASSERT(strstr(run.err, "0600"));
	return 0;
}

TAP_MAIN()
