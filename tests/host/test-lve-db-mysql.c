/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The statistics store's MySQL / MariaDB backend (db_type = mysql) against a
 * real server: a throwaway mariadbd on 127.0.0.1 (tests/lib/dbserver.h,
 * started once for the binary, stopped and removed at the end). Two
 * server_ids in one database, averages against a brute-force answer,
 * rollups answering an old range after retention, duplicates ignored,
 * lveinfo and cloudlinux-statistics reading it, a wrong password, a closed
 * port and a missing database (clear errors, no hang).
 *
 * Skipped when the MariaDB server binaries are absent, unless
 * OPENLVE_REQUIRE_VM=1 (CI installs them): then that is a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "dbserver.h"
#include "lve-sample.h"
#include "stats.h"
#include "tap.h"

static struct olt_dbserver my; /* tests/lib/dbserver.h */
static int my_state = -1;      /* 0 running, 77 binaries absent, 1 failed */

/* Run `prog args...` (NULL-terminated); first stdout line into out. Exit code. */
static int run_out(char *out, size_t size, const char *const *argv)
{
	int pfd[2], st;
	pid_t pid;
	size_t n = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(126);
	}
	close(pfd[1]);
	for (;;) {
		char buf[4096];
		ssize_t k = read(pfd[0], buf, sizeof(buf));

		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && out && n + 1 < size; i++)
			out[n++] = buf[i];
	}
	if (out && size)
		out[n] = 0;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int hook_before_all(void)
{
	int r;

	setenv("TZ", "UTC", 1);
	tzset();
	r = olt_dbserver_start(&my, OLT_DB_MARIADB, "olt-maria");
	my_state = r == 0 ? 0 : r == 77 ? 77 : 1;
	return 0;
}

static void hook_after_all(void)
{
	olt_dbserver_destroy(&my);
}

static const struct tap_hooks hooks = { .before_all = hook_before_all, .after_all = hook_after_all };

__attribute__((constructor)) static void register_hooks(void)
{
	tap_register_hooks(&hooks);
}

#define MY_REQUIRE()                                                                     \
	do {                                                                             \
		const char *_req = getenv("OPENLVE_REQUIRE_VM");                        \
		if (my_state == 77 && !(_req && !strcmp(_req, "1")))                     \
			SKIP("%.150s", my.why);                                            \
		if (my_state != 0)                                                       \
			TAP_FAIL("MariaDB test server: %.150s", my.why);                   \
	} while (0)

static struct lvestats_conf conf_for(const char *sid, const char *cs)
{
	return (struct lvestats_conf){ .db_type = "mysql", .connect_string = (char *)cs, .server_id = { 0 },
				       .keep_history_days = 60, .interval = 5 };
}

static int open_db(const char *sid, const char *cs, unsigned flags, struct lve_db **db)
{
	struct lvestats_conf c = conf_for(sid, cs);

	snprintf(c.server_id, sizeof(c.server_id), "%s", sid);
	return lve_db_open_flags(&c, flags, db);
}

/* A fixed day far in the past, minute-aligned. */
#define T0 1700006400

TEST(two_servers_averages_and_duplicates)
{
	struct lve_db *a = NULL, *b = NULL, *r = NULL;
	struct lve_sample s[40];
	struct lve_agg *agg = NULL;
	uint64_t st = 42;
	double sum[2] = { 0, 0 };
	int n;

	MY_REQUIRE();
	ASSERT_EQ(open_db("web1", my.cs, 0, &a), 0);
	ASSERT_EQ(open_db("web2", my.cs, 0, &b), 0);
	/* web1: LVE 1001 and 1002, 20 passes of 5 s; web2: LVE 1001 with other values */
	for (int p = 0; p < 20; p++) {
		s[0] = lvetest_sample(&st, 1001, T0 + 5 * p);
		s[1] = lvetest_sample(&st, 1002, T0 + 5 * p);
		sum[0] += s[0].aCPU;
		ASSERT_EQ(lve_db_insert(a, s, 2), 0);
		s[2] = lvetest_sample(&st, 1001, T0 + 5 * p);
		s[2].aCPU = 700;
		ASSERT_EQ(lve_db_insert(b, &s[2], 1), 0);
	}
	/* the last pass sent again: ignored, rollups unchanged */
	ASSERT_EQ(lve_db_insert(a, s, 2), 0);
	ASSERT_EQ(lve_db_flush(a, 0), 0);
	ASSERT_EQ(lve_db_flush(b, 0), 0);
	/* a reader (the way lveinfo opens it) */
	ASSERT_EQ(open_db("web1", my.cs, LVE_DB_READONLY, &r), 0);
	n = lve_db_query(r, &(struct lve_query){ .from = T0, .to = T0 + 100 }, &agg);
	if (n < 0)
		TAP_FAIL("query: %s (%s)", strerror(-n), lve_db_errmsg(r));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(agg[0].id, 1001);
	ASSERT_EQ(agg[0].n, 20);
	ASSERT(fabs(agg[0].v[LVE_COL_ACPU] - sum[0] / 20) < 1e-6);
	free(agg);
	/* whole minutes come from the minute rollup: the same answer */
	n = lve_db_query(r, &(struct lve_query){ .from = T0, .to = T0 + 60, .id = 1001 }, &agg);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(agg[0].n, 12);
	free(agg);
	/* the other server's rows */
	n = lve_db_query(r, &(struct lve_query){ .server_id = "web2", .from = T0, .to = T0 + 100 }, &agg);
	ASSERT_EQ(n, 1);
	ASSERT(fabs(agg[0].v[LVE_COL_ACPU] - 700) < 1e-6);
	free(agg);
	lve_db_close(r);
	lve_db_close(a);
	lve_db_close(b);
	return 0;
}

/* [i12] A pass of 2,500 LVEs spans three multi-row statements (1,000 rows each) per table. */
TEST(big_passes_span_several_statements)
{
	enum { NL = 2500, NP = 14 };
	struct lve_db *w = NULL, *r = NULL;
	struct lve_sample *s = calloc(NL, sizeof(*s));
	struct lve_agg *agg = NULL;
	uint64_t st = 7;
	double *sum = calloc(NL, sizeof(*sum));
	int n;

	MY_REQUIRE();
	ASSERT(s && sum);
	ASSERT_EQ(open_db("big", my.cs, 0, &w), 0);
	/* 14 passes of 5 s from T0: 12 in the first minute (closed by the 13th), 2 in the next */
	for (int p = 0; p < NP; p++) {
		for (int i = 0; i < NL; i++) {
			s[i] = lvetest_sample(&st, 5000 + (uint32_t)i, T0 + 5 * p);
			sum[i] += s[i].aCPU;
		}
		ASSERT_EQ(lve_db_insert(w, s, NL), 0);
	}
	ASSERT_EQ(lve_db_flush(w, 0), 0);
	ASSERT_EQ(open_db("big", my.cs, LVE_DB_READONLY, &r), 0);
	/* raw rows of every LVE */
	n = lve_db_query(r, &(struct lve_query){ .from = T0, .to = T0 + 5 * NP }, &agg);
	if (n < 0)
		TAP_FAIL("query: %s (%s)", strerror(-n), lve_db_errmsg(r));
	ASSERT_EQ(n, NL);
	for (int i = 0; i < NL; i++) {
		ASSERT_EQ(agg[i].id, 5000 + (uint32_t)i);
		ASSERT_EQ(agg[i].n, NP);
		ASSERT(fabs(agg[i].v[LVE_COL_ACPU] - sum[i] / NP) < 1e-6);
	}
	free(agg);
	/* the first minute from the minute rollup, written in the same multi-row way */
	n = lve_db_query(r, &(struct lve_query){ .from = T0, .to = T0 + 60 }, &agg);
	ASSERT_EQ(n, NL);
	ASSERT_EQ(agg[0].n, 12);
	ASSERT_EQ(agg[NL - 1].n, 12);
	free(agg);
	lve_db_close(r);
	lve_db_close(w);
	free(s);
	free(sum);
	return 0;
}

TEST(retention_keeps_rollups_exact)
{
	struct lvestats_conf c = conf_for("ret1", my.cs);
	struct lve_db *db = NULL;
	struct lve_agg *agg = NULL;
	struct lve_query_span used;
	struct lve_sample s;
	uint64_t st = 7;
	int64_t now = T0 + 3 * 86400;
	double sum = 0;
	int n;

	MY_REQUIRE();
	snprintf(c.server_id, sizeof(c.server_id), "ret1");
	c.keep_raw_hours = 1;
	c.keep_minute_days = 1;
	c.keep_history_days = 30;
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (int p = 0; p < 24; p++) {
		s = lvetest_sample(&st, 7, T0 + 5 * p);
		sum += s.aCPU;
		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	}
	ASSERT(lve_db_retention(db, now) > 0); /* raw and minute rows are past their horizons */
	/* the two minutes are answered by the hour rollup, widened to it */
	n = lve_db_query_span(db, &(struct lve_query){ .from = T0, .to = T0 + 120 }, &agg, &used);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(agg[0].n, 24);
	ASSERT(fabs(agg[0].v[LVE_COL_ACPU] - sum / 24) < 1e-6);
	ASSERT_EQ(used.from, T0);
	ASSERT_EQ(used.to, T0 + 3600);
	free(agg);
	lve_db_close(db);
	return 0;
}

/* lveinfo and cloudlinux-statistics with db_type = mysql in lvestats2. */
TEST(tools_read_mysql)
{
	char conf[600], text[800], out[65536], tool[1024];
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	struct lve_db *db = NULL;
	struct lve_sample s;
	uint64_t st = 9;
	int64_t now = (int64_t)time(NULL);
	int fd;

	MY_REQUIRE();
	ASSERT_EQ(open_db("tools", my.cs, 0, &db), 0);
	s = lvetest_sample(&st, 4242, now - 30);
	s.aCPU = 2500;
	ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	lve_db_close(db);
	snprintf(conf, sizeof(conf), "%s/lvestats2", my.dir);
	snprintf(text, sizeof(text), "db_type = mysql\nconnect_string = %s\nserver_id = tools\n", my.cs);
	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(tool, sizeof(tool), "%s/src/tools/lveinfo", root ? root : ".");
	ASSERT_EQ(run_out(out, sizeof(out),
			  (const char *const[]){ tool, "--config", conf, "--csv", "--show-columns", "aCPU", NULL }),
		  0);
	ASSERT_STREQ(out, "ID,aCPU\n4242,25.00\n");
	snprintf(tool, sizeof(tool), "%s/src/tools/cloudlinux-statistics", root ? root : ".");
	ASSERT_EQ(run_out(out, sizeof(out), (const char *const[]){ tool, "--config", conf, "--json", NULL }), 0);
	ASSERT(strstr(out, "\"cpu\": {\"lve\": 25.0}") && strstr(out, "\"id\": 4242"));
	return 0;
}

TEST(wrong_password_closed_port_missing_database)
{
	char cs[600], user[64], pass[128], host[128];
	unsigned port;
	struct lve_db *db = NULL;
	struct lve_agg *agg = NULL;
	int r;

	MY_REQUIRE();
	ASSERT_EQ(sscanf(my.cs, "%63[^:]:%127[^@]@%127[^:]:%u/", user, pass, host, &port), 4);
	snprintf(cs, sizeof(cs), "%s:wrong@%s:%u/olt_stats", user, host, port);
	ASSERT_EQ(open_db("x", cs, LVE_DB_READONLY, &db), 0);
	r = lve_db_query(db, &(struct lve_query){ .from = 0, .to = 10 }, &agg);
	ASSERT_EQ(r, -EACCES);
	ASSERT(strstr(lve_db_errmsg(db), "Access denied"));
	lve_db_close(db);
	snprintf(cs, sizeof(cs), "%s:%s@%s:%u/no_such_db", user, pass, host, port);
	ASSERT_EQ(open_db("x", cs, LVE_DB_READONLY, &db), 0);
	r = lve_db_query(db, &(struct lve_query){ .from = 0, .to = 10 }, &agg);
	ASSERT(r == -ENOENT || r == -EACCES); /* MariaDB says "access denied" for a database not granted */
	lve_db_close(db);
	/* a closed port: refused */
	snprintf(cs, sizeof(cs), "%s:%s@127.0.0.1:1/olt_stats", user, pass);
	ASSERT_EQ(open_db("x", cs, 0, &db), 0); /* a writer's open succeeds; the error shows */
	{
		struct lve_db_status s;
		struct lve_sample smp = { .id = 1, .ts = 100, .interval = 5 };

		lve_db_status(db, &s);
		ASSERT_EQ(s.last_error, -ECONNREFUSED);
		ASSERT_EQ(lve_db_insert(db, &smp, 1), -ECONNREFUSED); /* queued */
		lve_db_status(db, &s);
		ASSERT_EQ(s.queued_passes, 1);
	}
	lve_db_close(db);
	/* bad connect strings are configuration errors */
	ASSERT_EQ(open_db("x", "nouser", 0, &db), -EINVAL);
	return 0;
}

TAP_MAIN()
