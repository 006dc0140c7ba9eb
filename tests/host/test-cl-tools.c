/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cl-tools - CloudLinux's JSON tools as control panels call them.
 *
 * cloudlinux-statistics on a SQLite history with known samples (written
 * with lve_db_insert): the summary and --id detailed shapes validated
 * against JSON schemas (tests/schemas, python3-jsonschema), then values:
 * units (cpu % of one core, pmem bytes), --order-by, --by-fault with
 * --threshold, --by-usage with --percentage, --show (comma and words),
 * --limit, --period, the error object (bad option: exit 2; missing
 * database: exit 1). A panel-style script (tests/host/panel-script.sh: jq
 * over cloudlinux-statistics --json, awk over a /var/lve/info file)
 * computes what a panel shows.
 *
 * cloudlinux-top on LVEs created through liblve in a random cgroup subtree:
 * a busy LVE and an idle one; the schema, the busy one first with cpu > 0
 * and its limits in bytes, -u filter, --max, --show; bad option exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-testenv.h"
#include "lve/openlve.h"
#include "macro.h"
#include "stats.h"

struct run {
	int code;
	char out[131072];
	char err[4096];
};

static struct run R;
static char dbdir[256], dbfile[512], conffile[512];

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char junk[4096];

	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	while (read(fd, junk, sizeof(junk)) > 0) {
	}
}

/* Run argv[0] (a path, or a tool name under build/src/tools); stdout, stderr, exit code. */
static int run(struct run *r, const char *const *argv)
{
	char exe[1024];
	const char *root = getenv("OPENLVE_BUILD_ROOT");
	int out[2], err[2], st;
	pid_t pid;

	if (argv[0][0] == '/')
		snprintf(exe, sizeof(exe), "%s", argv[0]);
	else
		snprintf(exe, sizeof(exe), "%s/src/tools/%s", root ? root : ".", argv[0]);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Validate r->out against tests/schemas/<schema>; 0 valid. */
static int schema_ok(const struct run *r, const char *schema)
{
	char path[1024], doc[600], sch[1024];
	const char *src = getenv("OPENLVE_SOURCE_ROOT");
	struct run v;

	snprintf(doc, sizeof(doc), "%s/out.json", dbdir);
	if (write_text(doc, r->out) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/tests/schemas/validate.py", src ? src : "..");
	snprintf(sch, sizeof(sch), "%s/tests/schemas/%s", src ? src : "..", schema);
	if (run(&v, (const char *const[]){ "/usr/bin/python3", path, sch, doc, NULL }) < 0)
		return -EIO;
	if (v.code != 0)
		fprintf(stderr, "# %s: %s# output: %.400s\n", schema, v.err, r->out);
	return v.code;
}

/* Run jq FILTER over r->out (-r raw output) into *j. */
static int jq(const struct run *r, const char *filter, struct run *j)
{
	char doc[600];

	snprintf(doc, sizeof(doc), "%s/out.json", dbdir);
	if (write_text(doc, r->out) < 0)
		return -EIO;
	return run(j, (const char *const[]){ "/usr/bin/jq", "-r", "-c", filter, doc, NULL });
}

static struct lve_sample smp(uint32_t id, int64_t ts, uint32_t cpu, uint64_t pmem)
{
	return (struct lve_sample){ .id = id, .ts = ts, .interval = 5, .aCPU = cpu, .lCPU = 10000, .aPMem = pmem,
				    .lPMem = 1ull << 30, .aEP = 1, .lEP = 20, .aNproc = 2, .lNproc = 100,
				    .aIO = 4096, .lIO = 1 << 20, .aIOPS = 3, .lIOPS = 1024 };
}

/*
 * History (now = time of the call), uids that exist here (root is 0, so
 * ids 1, 2, 3 are daemon, bin, sys on Debian; names come from getpwuid):
 *   1: now-30 cpu 10% pmem 100M PMemF 1; now-20 cpu 30% pmem 300M PMemF 2
 *   2: now-25 cpu 90% pmem 10M; now-1200 cpu 10% (outside the default 10 minutes)
 *   3: now-15 cpu 5% pmem 900M of 1G, NprocF 5
 */
static int make_db(int64_t now)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60,
				   .interval = 5 };
	struct lve_db *db = NULL;
	struct lve_sample s[4];
	const uint64_t M = 1 << 20;
	char text[1024];
	int r;

	r = tap_mktemp(dbdir, sizeof(dbdir));
	if (r < 0)
		return r;
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dbdir);
	snprintf(conffile, sizeof(conffile), "%s/lvestats2", dbdir);
	snprintf(text, sizeof(text), "db_type=sqlite\nsqlite_path=%s\nserver_id=localhost\nlogging_level=info\n",
		 dbfile);
	r = write_text(conffile, text);
	if (r < 0)
		return r;
	c.sqlite_path = dbfile;
	r = lve_db_open(&c, &db);
	if (r < 0)
		return r;
	s[0] = smp(2, now - 1200, 1000, 10 * M);
	r = lve_db_insert(db, s, 1);
	s[0] = smp(1, now - 30, 1000, 100 * M);
	s[0].PMemF = 1;
	s[1] = smp(2, now - 25, 9000, 10 * M);
	r = r ?: lve_db_insert(db, s, 2);
	s[0] = smp(1, now - 20, 3000, 300 * M);
	s[0].PMemF = 2;
	s[1] = smp(3, now - 15, 500, 900 * M);
	s[1].NprocF = 5;
	r = r ?: lve_db_insert(db, s, 2);
	lve_db_close(db);
	return r;
}

#define STATS(...)                                                                                     \
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-statistics", "--config", conffile, __VA_ARGS__, \
						 NULL }))

static int setup_db(void)
{
	int r = make_db((int64_t)time(NULL));

	if (r < 0)
		fprintf(stderr, "# make_db: %s\n", strerror(-r));
	return r;
}

TEST(statistics_summary_shape_and_units)
{
	struct run j;

	ASSERT_OK(setup_db());
	STATS("--json");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics.json"), 0);
	/* the keys warning names the lvestats2 key without effect, once */
	ASSERT(strstr(R.err, "logging_level"));
	/* default order: average cpu, largest first; 2's old sample is outside the 10 minutes */
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[2,1,3]\n");
	/* cpu in % of one core, pmem in bytes, io bytes/s, faults summed, limits */
	ASSERT_OK(jq(&R, ".users[] | select(.id==1) | [.usage.cpu.lve, .usage.pmem.lve, .faults.pmem.lve, "
			 ".limits.cpu.lve, .limits.pmem.lve, .usage.io.lve, .limits.ep.lve, .usage.iops.lve]",
		     &j));
	ASSERT_STREQ(j.out, "[20,209715200,3,100,1073741824,4096,20,3]\n");
	ASSERT_OK(jq(&R, ".users[] | select(.id==1) | .username", &j));
	ASSERT(j.out[0] && strcmp(j.out, "N/A\n") != 0); /* uid 1 exists on Debian (daemon) */
	return 0;
}

TEST(statistics_order_filters_show_limit)
{
	struct run j;

	ASSERT_OK(setup_db());
	STATS("--json", "--order-by=pmem");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[3,1,2]\n");
	STATS("--json", "-o", "pmem_faults", "--limit=1");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[1]\n");
	STATS("--json", "--order-by", "iops_fault"); /* spelled as the documentation does */
	ASSERT_EQ(R.code, 0);
	/* faults: threshold is "more than or equal" the given number of faults */
	STATS("--json", "--by-fault=pmem", "--threshold=3");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[1]\n");
	STATS("--json", "--by-fault=pmem", "--threshold=4");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[]\n");
	STATS("--json", "--by-fault", "any");
	ASSERT_OK(jq(&R, "[.users[].id] | sort", &j));
	ASSERT_STREQ(j.out, "[1,3]\n");
	/* usage: 900M of 1G is 88%: in at 80, out at 90 (the default) */
	STATS("--json", "--by-usage=pmem", "--percentage=80");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[3]\n");
	STATS("--json", "--by-usage=pmem");
	ASSERT_OK(jq(&R, "[.users[].id]", &j));
	ASSERT_STREQ(j.out, "[]\n");
	/* --show: comma list and words */
	STATS("--json", "--show=cpu,io");
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics.json"), 0);
	ASSERT_OK(jq(&R, "[.users[0].usage | keys[]] | join(\" \")", &j));
	ASSERT_STREQ(j.out, "cpu io\n");
	STATS("--json", "--show", "pmem", "ep");
	ASSERT_OK(jq(&R, "[.users[0].limits | keys[]] | join(\" \")", &j));
	ASSERT_STREQ(j.out, "ep pmem\n");
	/* --period: 2's old sample is in the last hour */
	STATS("--json", "--period=1h", "--id=2");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics-detail.json"), 0);
	ASSERT_OK(jq(&R, "[.user[].usage.cpu.lve]", &j));
	ASSERT_STREQ(j.out, "[10,90]\n");
	return 0;
}

TEST(statistics_detailed_time_unit)
{
	struct run j;

	ASSERT_OK(setup_db());
	STATS("--json", "--id=1", "--time-unit=1h");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics-detail.json"), 0);
	/* both samples of the last 10 minutes in one bucket */
	ASSERT_OK(jq(&R, "[.user[] | .usage.cpu.lve, .faults.pmem.lve, (.to - .from + 1 > 0)]", &j));
	ASSERT_STREQ(j.out, "[20,3,true]\n");
	STATS("--json", "--id=1", "--time-unit=dynamic");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics-detail.json"), 0);
	return 0;
}

TEST(statistics_errors)
{
	static const char *const badopts[][3] = {
		{ "--bogus" },		   { "--order-by=nothing" }, { "--by-fault=nothing" }, { "--show=x" },
		{ "--percentage=101" },	   { "--limit=-1" },	     { "--id=0" },	       { "--time-unit=1h" },
		{ "--by-usage=cpu", "--by-fault=cpu" }, { "--period=forever" }, { "positional" },
		{ "--server_id=eleven-chars" },
	};
	char missing[600];

	ASSERT_OK(setup_db());
	for (size_t i = 0; i < ELEMENTSOF(badopts); i++) {
		STATS(badopts[i][0], badopts[i][1]);
		ASSERT_EQ(R.code, 2);
		ASSERT_EQ(schema_ok(&R, "cloudlinux-error.json"), 0);
	}
	snprintf(missing, sizeof(missing), "%s/none.db", dbdir);
	STATS("--json", "--db", missing);
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-error.json"), 0);
	STATS("--json", "--for-reseller=nobody");
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-error.json"), 0);
	return 0;
}

/* lvestats2's hide_lve_more_than_maxuid: LVEs above UID_MAX are left out. */
TEST(statistics_hide_lve_more_than_maxuid)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60,
				   .interval = 5 };
	struct lve_db *db = NULL;
	struct lve_sample x = smp(4000000, (int64_t)time(NULL) - 10, 100, 0);
	char text[1024];
	struct run j;

	ASSERT_OK(setup_db());
	c.sqlite_path = dbfile;
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	ASSERT_EQ(lve_db_insert(db, &x, 1), 0);
	lve_db_close(db);
	STATS("--json");
	ASSERT_OK(jq(&R, "[.users[].id] | sort", &j));
	ASSERT_STREQ(j.out, "[1,2,3,4000000]\n");
	snprintf(text, sizeof(text), "sqlite_path=%s\nhide_lve_more_than_maxuid=true\n", dbfile);
	ASSERT_OK(write_text(conffile, text));
	STATS("--json");
	ASSERT_OK(jq(&R, "[.users[].id] | sort", &j));
	ASSERT_STREQ(j.out, "[1,2,3]\n");
	return 0;
}

/* The panel-style script: jq over cloudlinux-statistics, awk over /var/lve/info. */
TEST(panel_script_jq_and_awk)
{
	const char *src = getenv("OPENLVE_SOURCE_ROOT"), *root = getenv("OPENLVE_BUILD_ROOT");
	struct olve_limits d = { .mask = OLVE_L_ALL, .speed = 10000, .pmem = 1ull << 30, .io = 1024, .iops = 1024,
				 .ep = 20, .nproc = 100 };
	struct lve_sample s[2] = { smp(1001, 0, 2492, 300 << 20), smp(1002, 0, 20000, 1 << 20) };
	char script[1024], info[600], tool[1024];
	_cleanup_free_ char *text = NULL;
	size_t len;

	ASSERT_OK(setup_db());
	s[0].lCPU = 2500; /* the documentation's example: 25% of a core, 24.92% used */
	ASSERT_OK(lve_info_render(&d, 2, s, 2, &text, &len));
	snprintf(info, sizeof(info), "%s/info", dbdir);
	ASSERT_OK(write_text(info, text));
	snprintf(script, sizeof(script), "%s/tests/host/panel-script.sh", src ? src : "..");
	snprintf(tool, sizeof(tool), "%s/src/tools/cloudlinux-statistics", root ? root : ".");
	ASSERT_OK(run(&R, (const char *const[]){ "/bin/sh", script, tool, conffile, info, NULL }));
	if (R.code != 0)
		fprintf(stderr, "# %s", R.err);
	ASSERT_EQ(R.code, 0);
	/* jq part: id cpu% pmemMB; awk part: id cpu-usage-% of the limit, PMEM MB */
	ASSERT_STREQ(R.out, "stats 2 90.0 10\n"
			    "stats 1 20.0 200\n"
			    "stats 3 5.0 900\n"
			    "info 1001 99.7 300\n"
			    "info 1002 100.0 1\n");
	return 0;
}

/* ------------------------------------------------------------ cloudlinux-top */

static int spin(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	for (;;)
		x++;
	return 0;
}

static int nap(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

TEST(top_live_usage)
{
	struct olve *h = NULL;
	struct olve_limits lim = { .mask = OLVE_L_PMEM | OLVE_L_EP, .pmem = 256ull << 20, .ep = 7 };
	struct run j;
	pid_t a, b;

	LTE_SETUP();
	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 711, &lim));
	ASSERT_OK(olve_apply(h, 712, &lim));
	a = cgtest_fork_in("lveroot/lve711", spin, NULL);
	b = cgtest_fork_in("lveroot/lve712", nap, NULL);
	ASSERT(a > 0 && b > 0);
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "--json", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-top.json"), 0);
	ASSERT_OK(jq(&R, "[.users[] | select(.id==711 or .id==712) | .id]", &j));
	ASSERT_STREQ(j.out, "[711,712]\n"); /* ordered by cpu: the busy one first */
	ASSERT_OK(jq(&R, ".users[] | select(.id==711) | [.usage.cpu.all > 5, .limit.ep, .usage.pno]", &j));
	ASSERT_STREQ(j.out, "[true,7,1]\n");
	if (cgtest_has_ctrl("memory")) { /* PMEM is enforced where the memory controller has a test root */
		ASSERT_OK(jq(&R, ".users[] | select(.id==711) | .limit.mem", &j));
		ASSERT_STREQ(j.out, "268435456\n");
	}
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "--json", "--max=1", "--show=cpu,mem", NULL }));
	ASSERT_EQ(schema_ok(&R, "cloudlinux-top.json"), 0);
	ASSERT_OK(jq(&R, "[(.users | length), (.users[0].usage | keys | join(\" \"))]", &j));
	ASSERT_STREQ(j.out, "[1,\"cpu mem\"]\n");
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "-u", "no-such-user-name", NULL }));
	ASSERT_OK(jq(&R, ".users | length", &j));
	ASSERT_STREQ(j.out, "0\n");
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "--order-by=nothing", NULL }));
	ASSERT_EQ(R.code, 2);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-error.json"), 0);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	olve_destroy(h, 711);
	olve_destroy(h, 712);
	olve_close(h);
	return 0;
}

/*
 * [issue 10] --for-reseller: the reseller's caps and its customers' usage
 * summed (cloudlinux-top live, cloudlinux-statistics from the history); only
 * its customers listed, each with its reseller's name. The reseller model
 * comes from lvectl (ve.cfg compiled into the limits store).
 */
TEST(for_reseller_totals)
{
	struct run j;
	pid_t a, b;

	LTE_SETUP();
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set-reseller", "7500", "--speed=50%", "--nproc=80", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set", "7501", "--reseller=7500", "--speed=40%", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set", "7502", "--reseller=7500", NULL }));
	if (R.code)
		TAP_FAIL("lvectl set 7502 --reseller=7500: %d %s", R.code, R.err);
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set", "7503", "--speed=40%", NULL }));
	ASSERT_EQ(R.code, 0);
	a = cgtest_fork_in("lveroot/lvp7500/lve7501", spin, NULL);
	b = cgtest_fork_in("lveroot/lve7503", spin, NULL);
	ASSERT(a > 0 && b > 0);
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "--json", "--for-reseller=7500", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-top.json"), 0);
	ASSERT_OK(jq(&R, "[.users[].id] | sort", &j));
	ASSERT_STREQ(j.out, "[7501,7502]\n"); /* 7503 is the hoster's */
	ASSERT_OK(jq(&R, "[.resellers[0].id, .resellers[0].limit.cpu.all, .resellers[0].limit.pno, "
			 "(.users[] | select(.id==7501) | .reseller)]", &j));
	ASSERT_STREQ(j.out, "[7500,50,80,\"7500\"]\n");
	/* the reseller's usage is its customers' sum, and the busy customer used CPU
	 * (any: on a loaded machine a spinner may get little of a core) */
	ASSERT_OK(jq(&R, "[((.resellers[0].usage.cpu.all - ([.users[].usage.cpu.all] | add)) | fabs < 0.3), "
			 "(.resellers[0].usage.cpu.all > 0), (.resellers[0].usage.pno == ([.users[].usage.pno] | add))]",
		     &j));
	ASSERT_STREQ(j.out, "[true,true,true]\n");
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	ASSERT_OK(run(&R, (const char *const[]){ "cloudlinux-top", "--json", "--for-reseller=7599", NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-error.json"), 0);

	/* history: LVEs 1 and 3 of make_db become customers of 7500 */
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set", "1", "--reseller=7500", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_OK(run(&R, (const char *const[]){ "lvectl", "set", "3", "--reseller=7500", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_OK(setup_db());
	STATS("--json", "--for-reseller=7500");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(schema_ok(&R, "cloudlinux-statistics.json"), 0);
	ASSERT_OK(jq(&R, "[.users[].id] | sort", &j));
	ASSERT_STREQ(j.out, "[1,3]\n");
	/* usage 20% + 5%, PMEM faults 3, NPROC faults 5; the reseller's caps */
	ASSERT_OK(jq(&R, "[.resellers[0].id, .resellers[0].usage.cpu.lve, .resellers[0].faults.pmem.lve, "
			 ".resellers[0].faults.nproc.lve, .resellers[0].limits.cpu.lve, .resellers[0].limits.nproc.lve]",
		     &j));
	ASSERT_STREQ(j.out, "[7500,25,3,5,50,80]\n");
	STATS("--json");
	ASSERT_EQ(R.code, 0);
	ASSERT_OK(jq(&R, "[(.users[] | select(.id==2) | .reseller), (.users[] | select(.id==1) | .reseller)]", &j));
	ASSERT_STREQ(j.out, "[\"\",\"7500\"]\n");
	return 0;
}

TAP_MAIN()
