/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lveinfo and lvetop binaries.
 *
 * lveinfo: a SQLite statistics database with known samples (written with
 * lve_db_insert), then the built binary: default range (last 10 minutes),
 * --period, --from/--to, --id, -o, --by-fault (--threshold), --by-usage
 * -p, -l, --show-columns, --json (validated by a JSON parser here), --csv,
 * every bad option (exit 2, one line, nothing on stdout), errors (exit 1:
 * missing or corrupt database, bad configuration) and that lveinfo never
 * writes to the database. Also a disk-full store: a small private tmpfs
 * (own mount namespace) makes lve_db_insert fail with -ENOSPC, queue, and
 * catch up once space is freed.
 *
 * lvetop: LVEs created through liblve in a random cgroup subtree
 * (tests/lib/cgtest + lve-testenv.h: OPENLVE_CONF), a busy process with
 * two extra threads in one of them; `lvetop -n 1` batch output has the
 * right PNO/TNO and a non-zero SPEED for it, zeros for the idle one;
 * --json is valid; -o sorts; on a pseudo-terminal it redraws in place and
 * quits on 'q' restoring the cursor; bad options exit 2; no LVE root exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-testenv.h"
#include "runtool.h"
#include "macro.h"
#include "lve/openlve.h"
#include "stats.h"

/* ------------------------------------------------------------ helpers */

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* First token of data line i (0 = first line after the header), "" if none. */
static const char *row_id(const char *out, int i, char *buf, size_t size)
{
	const char *p = strchr(out, '\n');

	buf[0] = 0;
	while (p && i-- > 0)
		p = strchr(p + 1, '\n');
	if (!p || !p[1])
		return buf;
	p++;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " ,\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* ------------------------------------------------- a tiny JSON checker */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_value(const char *p, int depth);

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p, depth + 1);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return js_number(p);
}

static bool json_valid(const char *s)
{
	const char *e = js_value(s, 0);

	return e && !*js_ws(e);
}

/* --------------------------------------------------- lveinfo database */

static char dbdir[512], dbfile[600], conffile[600];

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static struct lve_sample smp(uint32_t id, int64_t ts, uint32_t cpu, uint32_t lcpu, uint64_t pmem, uint64_t lpmem)
{
	struct lve_sample s = { .id = id, .ts = ts, .interval = 5, .aCPU = cpu, .lCPU = lcpu, .aPMem = pmem,
				.lPMem = lpmem, .aEP = 1, .lEP = 20, .aNproc = 2, .lNproc = 100, .lIO = 1 << 20,
				.lIOPS = 1024 };

	return s;
}

/*
 * Known history (now = time of the call):
 *   LVE 1: now-30 cpu 10% pmem 100M PMemF 1, now-20 cpu 30% pmem 300M PMemF 2   (limit 100%, 1G)
 *   LVE 2: now-25 cpu 90% pmem 10M; now-1200 cpu 10%                            (limit 100%, 1G)
 *   LVE 3: now-15 cpu 5% (unlimited), pmem 900M of 1G, NprocF 5
 *   LVE 100..114: now-10 cpu (id-99)/100 %, nothing else
 */
static int make_db(int64_t now)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60, .interval = 5 };
	struct lve_db *db = NULL;
	struct lve_sample s[20];
	const uint64_t M = 1 << 20, G = 1 << 30;
	char text[1024];
	int r, k = 0;

	r = tap_mktemp(dbdir, sizeof(dbdir));
	if (r < 0)
		return r;
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dbdir);
	snprintf(conffile, sizeof(conffile), "%s/lvestats2", dbdir);
	snprintf(text, sizeof(text), "# test\ndb_type=sqlite\nsqlite_path=%s\nserver_id=localhost\n", dbfile);
	r = write_text(conffile, text);
	if (r < 0)
		return r;
	c.sqlite_path = dbfile;
	r = lve_db_open(&c, &db);
	if (r < 0)
		return r;

	s[0] = smp(2, now - 1200, 1000, 10000, 10 * M, G);
	r = lve_db_insert(db, s, 1);
	s[k = 0] = smp(1, now - 30, 1000, 10000, 100 * M, G);
	s[k++].PMemF = 1;
	s[k++] = smp(2, now - 25, 9000, 10000, 10 * M, G);
	r = r ?: lve_db_insert(db, s, (size_t)k);
	s[k = 0] = smp(1, now - 20, 3000, 10000, 300 * M, G);
	s[k++].PMemF = 2;
	s[k] = smp(3, now - 15, 500, 0, 900 * M, G);
	s[k++].NprocF = 5;
	r = r ?: lve_db_insert(db, s, (size_t)k);
	for (k = 0; k < 15; k++)
		s[k] = smp(100 + (uint32_t)k, now - 10, 1 + (uint32_t)k, 10000, M, G);
	r = r ?: lve_db_insert(db, s, 15);
	lve_db_close(db);
	return r;
}

#define MAKE_DB(now)                                                                     \
	do {                                                                             \
		int _r = make_db(now);                                                   \
		if (_r < 0)                                                              \
			TAP_FAIL("make_db: %s", strerror(-_r));                          \
	} while (0)

#define LVEINFO(r, ...)                                                                      \
	do {                                                                                 \
		ASSERT_OK(tool_run(r, "lveinfo", (const char *const[]){ "--config", conffile, __VA_ARGS__, NULL })); \
	} while (0)

static struct tool_run R;

/* ------------------------------------------------------------ lveinfo */

TEST(lveinfo_default_range_table)
{
	char id[32];

	MAKE_DB((int64_t)time(NULL));
	LVEINFO(&R, "-l", "0");
	ASSERT_EQ(R.code, 0);
	ASSERT(!strncmp(R.out, "ID", 2) || !strncmp(R.out, " ", 1));
	/* the documented column order (lve-stats' v1 output): golden header */
	{
		char hdr[512];
		size_t k = 0;
		bool sp = true;

		for (const char *p = R.out; *p && *p != '\n' && k + 1 < sizeof(hdr); p++) {
			if (*p == ' ') {
				if (!sp && k)
					hdr[k++] = ' ';
				sp = true;
			} else {
				hdr[k++] = *p;
				sp = false;
			}
		}
		hdr[k] = 0;
		ASSERT_STREQ(hdr, "ID aCPU mCPU lCPU aIO mIO lIO aEP mEP lEP aVMem mVMem lVMem aPMem mPMem lPMem "
				  "aNproc mNproc lNproc EPf VMemF PMemF NprocF");
	}
	ASSERT(!strstr(R.out, "anyF")); /* not a default column */
	ASSERT_EQ(lines(R.out), 1 + 3 + 15);
	/* default order aCPU, largest first: 2 (90%), 1 (20%), 3 (5%), 114 ... */
	ASSERT_STREQ(row_id(R.out, 0, id, sizeof(id)), "2");
	ASSERT_STREQ(row_id(R.out, 1, id, sizeof(id)), "1");
	ASSERT_STREQ(row_id(R.out, 2, id, sizeof(id)), "3");
	ASSERT_STREQ(row_id(R.out, 3, id, sizeof(id)), "114");
	/* the sample of 20 minutes ago is outside: LVE 2 averages 90.00 */
	ASSERT(strstr(R.out, "90.00") != NULL);
	ASSERT(strstr(R.out, "200.0M") != NULL); /* LVE 1 aPMem */
	ASSERT_EQ(R.err[0], 0);

	/* default limit: 10 rows */
	LVEINFO(&R, "--period", "1h");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(lines(R.out), 1 + 10);
	LVEINFO(&R, "-l", "3");
	ASSERT_EQ(lines(R.out), 1 + 3);
	return 0;
}

TEST(lveinfo_period_from_to_id)
{
	int64_t now = (int64_t)time(NULL);
	char from[32], to[32];

	MAKE_DB(now);
	/* 30 minutes: LVE 2 = (90 + 10) / 2 */
	LVEINFO(&R, "--period", "30m", "--id", "2", "--time-unit", "1d", "--csv", "--show-columns", "aCPU,lCPU,aPMem");
	ASSERT_EQ(R.code, 0);
	ASSERT_STREQ(R.out, "ID,aCPU,lCPU,aPMem\n2,50.00,100.00,10485760\n");
	LVEINFO(&R, "--period", "5m", "--id", "2", "--time-unit", "1d", "--csv", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	/* --from/--to (inclusive) around the old sample only */
	snprintf(from, sizeof(from), "@%" PRId64, now - 1300);
	snprintf(to, sizeof(to), "@%" PRId64, now - 1200);
	LVEINFO(&R, "--from", from, "--to", to, "--csv", "--show-columns", "aCPU");
	ASSERT_EQ(R.code, 0);
	ASSERT_STREQ(R.out, "ID,aCPU\n2,10.00\n");
	snprintf(to, sizeof(to), "@%" PRId64, now - 1201);
	LVEINFO(&R, "--from", from, "--to", to, "--csv");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(lines(R.out), 1);
	/* LVE 1 over both its samples */
	LVEINFO(&R, "--id", "1", "--time-unit", "1h", "--csv", "--show-columns", "aCPU,PMemF,anyF,aPMem,lPMem");
	ASSERT_STREQ(R.out, "ID,aCPU,PMemF,anyF,aPMem,lPMem\n1,20.00,3,3,209715200,1073741824\n");
	/* --user: uid as LVE id */
	LVEINFO(&R, "--user", "root");
	ASSERT_EQ(R.code, 2);
	/* yesterday / today parse (content depends on the clock) */
	LVEINFO(&R, "--period", "yesterday", "--csv");
	ASSERT_EQ(R.code, 0);
	LVEINFO(&R, "--period", "today", "--csv");
	ASSERT_EQ(R.code, 0);
	return 0;
}

TEST(lveinfo_order_and_filters)
{
	char id[32];

	MAKE_DB((int64_t)time(NULL));
	LVEINFO(&R, "-o", "aPMem", "-l", "3");
	ASSERT_EQ(R.code, 0);
	ASSERT_STREQ(row_id(R.out, 0, id, sizeof(id)), "3");
	ASSERT_STREQ(row_id(R.out, 1, id, sizeof(id)), "1");
	ASSERT_STREQ(row_id(R.out, 2, id, sizeof(id)), "2");
	LVEINFO(&R, "-o", "NprocF", "-l", "1", "--csv", "--show-columns", "NprocF");
	ASSERT_STREQ(R.out, "ID,NprocF\n3,5\n");

	/* --by-fault */
	LVEINFO(&R, "--by-fault", "PMemF", "--csv", "--show-columns", "PMemF");
	ASSERT_STREQ(R.out, "ID,PMemF\n1,3\n");
	LVEINFO(&R, "--by-fault", "anyF", "--csv", "--show-columns", "anyF");
	ASSERT_STREQ(R.out, "ID,anyF\n3,5\n1,3\n");
	LVEINFO(&R, "--by-fault", "pmem", "nproc", "--csv", "--show-columns", "anyF");
	ASSERT_STREQ(R.out, "ID,anyF\n1,3\n3,5\n"); /* sorted by the first alias (PMemF) */
	/* lve-stats 2: "mem" is VIRTUAL memory faults (none here), "pmem" physical */
	LVEINFO(&R, "--by-fault", "mem", "nproc", "--csv", "--show-columns", "anyF");
	ASSERT_STREQ(R.out, "ID,anyF\n3,5\n");
	LVEINFO(&R, "--by-fault", "mem", "--csv");
	ASSERT_STREQ(R.out, "ID,aCPU,mCPU,lCPU,aIO,mIO,lIO,aEP,mEP,lEP,aVMem,mVMem,lVMem,aPMem,mPMem,lPMem,"
			    "aNproc,mNproc,lNproc,EPf,VMemF,PMemF,NprocF\n");
	LVEINFO(&R, "--by-fault", "anyF", "--threshold", "4", "--csv", "--show-columns", "anyF");
	ASSERT_STREQ(R.out, "ID,anyF\n3,5\n");
	LVEINFO(&R, "--by-fault", "EPf", "--csv");
	ASSERT_EQ(lines(R.out), 1);

	/* --by-usage: average >= p% of a non-zero limit */
	LVEINFO(&R, "--by-usage", "aCPU", "-p", "80", "--csv", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	LVEINFO(&R, "--by-usage", "aCPU", "-p", "15", "--csv", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n1,20.00\n");
	LVEINFO(&R, "--by-usage", "pmem", "--csv", "--show-columns", "aPMem"); /* default 90% */
	ASSERT_STREQ(R.out, "ID,aPMem\n");
	LVEINFO(&R, "--by-usage", "pmem", "-p", "85", "--csv", "--show-columns", "aPMem");
	ASSERT_STREQ(R.out, "ID,aPMem\n3,943718400\n");
	LVEINFO(&R, "--by-usage=aCPU,aPMem", "-p", "85", "--csv", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n3,5.00\n");
	return 0;
}

TEST(lveinfo_json_and_csv)
{
	int commas = -1;

	MAKE_DB((int64_t)time(NULL));
	LVEINFO(&R, "--json", "-l", "0");
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	ASSERT(strstr(R.out, "\"server_id\": \"localhost\"") != NULL);
	ASSERT(strstr(R.out, "{\"ID\": 1, \"aCPU\": 20.00, \"mCPU\": \"-\", \"lCPU\": 100.00, \"aIO\": ") != NULL);
	ASSERT(strstr(R.out, "\"PMemF\": 3") != NULL);
	ASSERT(strstr(R.out, "\"ID\": 114") != NULL);
	LVEINFO(&R, "--json", "--id", "999");
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	ASSERT(strstr(R.out, "\"data\": []") != NULL);
	/* the checker itself rejects broken JSON */
	ASSERT(!json_valid("{\"a\": 1,}"));
	ASSERT(!json_valid("{\"a\": 01}"));
	ASSERT(!json_valid("[1 2]"));

	LVEINFO(&R, "--csv", "-l", "0");
	ASSERT_EQ(R.code, 0);
	ASSERT(!strncmp(R.out, "ID,aCPU,mCPU,lCPU,aIO,mIO,lIO,aEP,mEP,lEP,aVMem,mVMem,lVMem,aPMem,mPMem,lPMem,"
			    "aNproc,mNproc,lNproc,EPf,VMemF,PMemF,NprocF\n", 122));
	ASSERT_EQ(lines(R.out), 1 + 18);
	for (const char *l = R.out; *l;) {
		int c = 0;
		const char *e = strchr(l, '\n');

		for (const char *p = l; p < e; p++)
			c += *p == ',';
		if (commas < 0)
			commas = c;
		ASSERT_EQ(c, commas);
		l = e + 1;
	}
	ASSERT_EQ(commas, 22);
	return 0;
}

/*
 * Tiers raw 1 h, minutes 1 d, history 2 d, retention run at
 * now = D + 2 d + 5 h + 1830 (D a UTC midnight): raw horizon h0 = now - 1 h.
 * A range older than h0 comes back widened to whole minutes and --json
 * says so; one inside raw's reach keeps its bounds.
 */
TEST(lveinfo_json_reports_the_widened_range)
{
	const int64_t D = 1700006400, now = D + 2 * 86400 + 5 * 3600 + 1830, h0 = now - 3600;
	static const struct {
		int64_t off;
		uint32_t cpu;
	} pts[] = { { -30, 100 }, { -10, 200 }, { 10, 600 }, { 40, 5000 } };
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 2,
				   .keep_minute_days = 1, .keep_raw_hours = 1, .interval = 5 };
	struct lve_db *db = NULL;
	char text[1024], from[32], to[32], want[128];

	ASSERT_OK(tap_mktemp(dbdir, sizeof(dbdir)));
	snprintf(dbfile, sizeof(dbfile), "%s/lvestats2.db", dbdir);
	snprintf(conffile, sizeof(conffile), "%s/lvestats2", dbdir);
	snprintf(text, sizeof(text), "db_type=sqlite\nsqlite_path=%s\nkeep_raw_hours=1\nkeep_minute_days=1\n"
		 "keep_history_days=2\n", dbfile);
	ASSERT_OK(write_text(conffile, text));
	c.sqlite_path = dbfile;
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (size_t i = 0; i < ELEMENTSOF(pts); i++) {
		struct lve_sample s = smp(7, h0 + pts[i].off, pts[i].cpu, 10000, 0, 0);

		ASSERT_EQ(lve_db_insert(db, &s, 1), 0);
	}
	ASSERT(lve_db_retention(db, now) > 0);
	lve_db_close(db);

	/* [h0 - 25, h0 + 19] -> [h0 - 30, h0 + 29]: three samples, (1 + 2 + 6) / 3 % */
	snprintf(from, sizeof(from), "@%" PRId64, h0 - 25);
	snprintf(to, sizeof(to), "@%" PRId64, h0 + 19);
	LVEINFO(&R, "--from", from, "--to", to, "--json", "--show-columns", "aCPU");
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	snprintf(want, sizeof(want), "{\"from\": %" PRId64 ", \"to\": %" PRId64 ", ", h0 - 30, h0 + 29);
	if (strncmp(R.out, want, strlen(want)))
		TAP_FAIL("got %.120s, want %s", R.out, want);
	ASSERT(strstr(R.out, "{\"ID\": 7, \"aCPU\": 3.00}") != NULL);
	/* the same widening behind --csv */
	LVEINFO(&R, "--from", from, "--to", to, "--csv", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n7,3.00\n");
	/* inside raw's reach: the range as asked, two samples */
	snprintf(from, sizeof(from), "@%" PRId64, h0 + 5);
	snprintf(to, sizeof(to), "@%" PRId64, h0 + 44);
	LVEINFO(&R, "--from", from, "--to", to, "--json", "--show-columns", "aCPU");
	ASSERT_EQ(R.code, 0);
	snprintf(want, sizeof(want), "{\"from\": %" PRId64 ", \"to\": %" PRId64 ", ", h0 + 5, h0 + 44);
	if (strncmp(R.out, want, strlen(want)))
		TAP_FAIL("got %.120s, want %s", R.out, want);
	ASSERT(strstr(R.out, "{\"ID\": 7, \"aCPU\": 28.00}") != NULL);
	return 0;
}

TEST(lveinfo_bad_options_exit_2)
{
	static const char *const bad[][4] = {
		{ "--nope" }, { "-x" }, { "--id", "0" }, { "--id", "abc" }, { "--id", "4294967296" }, { "-l", "-1" },
		{ "-l", "x" }, { "--period", "5q" }, { "--period", "0m" }, { "--from", "yesterday-ish" },
		{ "--to", "2023-02-30" }, { "--json", "--csv" }, { "--period", "5m", "--from", "@1" },
		{ "--by-fault", "aCPU" }, { "--by-usage", "CPUf" }, { "--by-usage", "anyF" }, { "-o", "nope" },
		{ "--percentage", "50" }, { "--by-usage", "aCPU", "-p", "101" }, { "--threshold", "2" },
		{ "positional" }, { "--db", "relative.db" }, { "--id" }, { "--json=1" }, { "--show-columns", "x" },
		{ "--from", "@100", "--to", "@50" }, { "--by-fault" }, { "--by-fault", "aCPU", "--by-usage", "aCPU" },
		{ "--id", "1", "--id", "2" }, { "--server-id", "elevenchars" }, { "--user", "no-such-user-olt" },
	};

	MAKE_DB((int64_t)time(NULL));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *args[8] = { "--config", conffile };
		int k = 2;

		for (int j = 0; j < 4 && bad[i][j]; j++)
			args[k++] = bad[i][j];
		args[k] = NULL;
		ASSERT_OK(tool_run(&R, "lveinfo", args));
		if (R.code != 2 || R.out[0] || lines(R.err) != 1 || strncmp(R.err, "lveinfo: ", 9))
			TAP_FAIL("lveinfo %s %s: exit %d, stdout '%.40s', stderr '%s'", bad[i][0], bad[i][1] ? bad[i][1] : "",
				 R.code, R.out, R.err);
	}
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--help", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT(strstr(R.out, "--by-fault") != NULL);
	return 0;
}

TEST(lveinfo_errors_exit_1_and_never_write)
{
	char path[700], text[800];
	struct stat before, after;

	MAKE_DB((int64_t)time(NULL));
	ASSERT_EQ(stat(dbfile, &before), 0);
	LVEINFO(&R, "--period", "1d");
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(stat(dbfile, &after), 0);
	ASSERT(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	ASSERT_EQ(before.st_size, after.st_size);

	/* missing database: not created */
	snprintf(path, sizeof(path), "%s/missing.db", dbdir);
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--config", conffile, "--db", path, NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(lines(R.err), 1);
	ASSERT(strstr(R.err, path) != NULL);
	ASSERT(access(path, F_OK) != 0);

	/* corrupt database: reported, left alone (only lved moves it aside) */
	snprintf(path, sizeof(path), "%s/corrupt.db", dbdir);
	ASSERT_OK(write_text(path, "garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage "
				   "garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage\n"));
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--config", conffile, "--db", path, NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(lines(R.err), 1);
	ASSERT_EQ(access(path, F_OK), 0);

	/* missing and bad configuration */
	snprintf(path, sizeof(path), "%s/no-such-conf", dbdir);
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--config", path, NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(lines(R.err), 1);
	snprintf(path, sizeof(path), "%s/bad-conf", dbdir);
	ASSERT_OK(write_text(path, "db_type=sqlite\nthis line is wrong\n"));
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--config", path, NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT(strstr(R.err, ":2:") != NULL);
	/* mysql: a server that is not there is one clear line */
	snprintf(text, sizeof(text), "db_type=mysql\nconnect_string=u:p@127.0.0.1:1/db\n");
	ASSERT_OK(write_text(path, text));
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "--config", path, NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(lines(R.err), 1);
	ASSERT(strstr(R.err, "MySQL server 127.0.0.1") != NULL);
	return 0;
}

/* The options of CloudLinux's lveinfo, each as its documentation describes it. */
TEST(lveinfo_cloudlinux_options)
{
	char path[700], line[4096];
	struct passwd *pw1 = getpwuid(1);
	FILE *f;

	MAKE_DB((int64_t)time(NULL));
	/* -c PATH writes the CSV there, nothing on stdout; -c alone and -c - to stdout */
	snprintf(path, sizeof(path), "%s/out.csv", dbdir);
	LVEINFO(&R, "-c", path, "--show-columns", "aCPU", "-l", "1");
	ASSERT_EQ(R.code, 0);
	ASSERT_STREQ(R.out, "");
	f = fopen(path, "re");
	ASSERT(f);
	ASSERT(fread(line, 1, sizeof(line) - 1, f) > 0);
	fclose(f);
	ASSERT(!strncmp(line, "ID,aCPU\n2,90.00\n", 16));
	LVEINFO(&R, "-c", "--show-columns", "aCPU", "-l", "1");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	LVEINFO(&R, "--csv=-", "--show-columns", "aCPU", "-l", "1");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	/* --show-columns as separate words; aliases are not case sensitive; uCPU = % of the limit */
	LVEINFO(&R, "--csv", "--show-columns", "acpu", "uCPU", "lcpu", "mCPU", "-o", "cpu_avg", "-l", "1");
	ASSERT_STREQ(R.out, "ID,aCPU,uCPU,lCPU,mCPU\n2,90.00,90.0,100.00,-\n");
	/* --blank-value for what is not kept (max values) */
	LVEINFO(&R, "--csv", "--show-columns", "mCPU", "--blank-value", "n/a", "-l", "1");
	ASSERT_STREQ(R.out, "ID,mCPU\n2,n/a\n");
	LVEINFO(&R, "--csv", "--show-columns", "mCPU", "--blank-value", "-l", "1");
	ASSERT_STREQ(R.out, "ID,mCPU\n2,\n");
	/* long aliases of -o */
	LVEINFO(&R, "--csv", "--show-columns", "PMemF", "-o", "total_pmem_faults", "-l", "1");
	ASSERT_STREQ(R.out, "ID,PMemF\n1,3\n");
	LVEINFO(&R, "--csv", "--show-columns", "aPMem", "-o", "pmem_avg", "-l", "1");
	ASSERT_STREQ(R.out, "ID,aPMem\n3,943718400\n");
	LVEINFO(&R, "--csv", "--show-columns", "anyF", "-o", "any_faults", "-l", "1");
	ASSERT_STREQ(R.out, "ID,anyF\n3,5\n");
	/* --by-fault aliases: mcpu/cpu, mep/ep, any_faults/any */
	LVEINFO(&R, "--csv", "--show-columns", "anyF", "--by-fault", "any_faults");
	ASSERT_STREQ(R.out, "ID,anyF\n3,5\n1,3\n");
	LVEINFO(&R, "--csv", "--by-fault", "mcpu", "mep", "--show-columns", "anyF");
	ASSERT_STREQ(R.out, "ID,anyF\n");
	/* --by-usage long aliases, -b */
	LVEINFO(&R, "--csv", "-b", "cpu_avg", "-p", "80", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	/* -d: user names (uid 1 exists on Debian) */
	ASSERT(pw1);
	LVEINFO(&R, "--csv", "-d", "--show-columns", "PMemF", "-o", "PMemF", "-l", "1");
	snprintf(line, sizeof(line), "ID,PMemF\n%s,3\n", pw1->pw_name);
	ASSERT_STREQ(R.out, line);
	/* --show-all: every column, also CPUf, IOf, the IOPS group and anyF */
	LVEINFO(&R, "--csv", "--show-all", "-l", "1");
	ASSERT(!strncmp(R.out, "ID,aCPU,mCPU,lCPU,aIO,mIO,lIO,aEP,mEP,lEP,aVMem,mVMem,lVMem,aPMem,mPMem,lPMem,aNproc,"
			       "mNproc,lNproc,EPf,VMemF,PMemF,NprocF,CPUf,IOf,aIOPS,mIOPS,lIOPS,IOPSf,anyF\n",
			160));
	LVEINFO(&R, "--csv", "--show-columns", "all", "-l", "1");
	ASSERT(strstr(R.out, ",IOPSf,anyF\n"));
	/* -m v2: a u l f per resource */
	LVEINFO(&R, "--csv", "-m", "v2", "-l", "1");
	ASSERT(!strncmp(R.out, "ID,aCPU,uCPU,lCPU,CPUf,aIO,uIO,lIO,IOf,aIOPS,uIOPS,lIOPS,IOPSf,aEP,uEP,lEP,EPf,aPMem,"
			       "uPMem,lPMem,PMemF,aNproc,uNproc,lNproc,NprocF\n2,90.00,90.0,",
			144));
	/* --id: one row per --time-unit (default a minute) with From and To */
	LVEINFO(&R, "--csv", "--id", "1");
	ASSERT_EQ(R.code, 0);
	ASSERT(!strncmp(R.out, "ID,From,To,aCPU,mCPU,lCPU,", 26));
	ASSERT(lines(R.out) >= 2 && lines(R.out) <= 3); /* samples 10 s apart: one or two minutes */
	LVEINFO(&R, "--json", "-u", pw1->pw_name, "-d", "--time-unit", "1h", "--show-columns", "From", "To", "aCPU");
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	snprintf(line, sizeof(line), "{\"ID\": \"%s\", \"From\": ", pw1->pw_name);
	ASSERT(strstr(R.out, line));
	ASSERT(strstr(R.out, "\"aCPU\": 20.00}"));
	/* --server_id (and --server-id), --style (no effect), --servers-info, -v */
	LVEINFO(&R, "--csv", "--server_id", "localhost", "--style", "admin", "--show-columns", "aCPU", "-l", "1");
	ASSERT_STREQ(R.out, "ID,aCPU\n2,90.00\n");
	LVEINFO(&R, "--csv", "--server_id", "other", "--show-columns", "aCPU");
	ASSERT_STREQ(R.out, "ID,aCPU\n");
	LVEINFO(&R, "--servers-info");
	ASSERT_EQ(R.code, 0);
	ASSERT(strstr(R.out, "localhost") && strstr(R.out, "6"));
	ASSERT_OK(tool_run(&R, "lveinfo", (const char *const[]){ "-v", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT(!strncmp(R.out, "lveinfo (openlve) ", 18));
	/* a real-world command */
	LVEINFO(&R, "--period=1d", "--by-fault", "any", "-d", "--show-all", "--json");
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	ASSERT(strstr(R.out, "\"anyF\": 5"));
	/* bad values of the new options */
	LVEINFO(&R, "-m", "v3");
	ASSERT_EQ(R.code, 2);
	LVEINFO(&R, "--time-unit", "5x");
	ASSERT_EQ(R.code, 2);
	LVEINFO(&R, "--style", "root");
	ASSERT_EQ(R.code, 2);
	LVEINFO(&R, "--id", "1", "-u", "root");
	ASSERT_EQ(R.code, 2);
	return 0;
}

/* Disk full: an 8 MiB tmpfs in a private mount namespace (root only). */
TEST(db_disk_full_then_catch_up)
{
	struct lvestats_conf c = { .db_type = "sqlite", .server_id = "localhost", .keep_history_days = 60 };
	struct lve_db *db = NULL;
	struct lve_db_status st;
	struct lve_sample *s = calloc(4000, sizeof(*s));
	char mnt[600], filler[700], path[700];
	int r, fd, tries = 0;

	REQUIRE_ROOT();
	ASSERT(s);
	MAKE_DB((int64_t)time(NULL));
	if (unshare(CLONE_NEWNS) < 0)
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(mnt, sizeof(mnt), "%s/tiny", dbdir);
	ASSERT_EQ(mkdir(mnt, 0700), 0);
	ASSERT_EQ(mount("olt-tiny", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m"), 0);
	snprintf(path, sizeof(path), "%s/stats.db", mnt);
	c.sqlite_path = path;
	ASSERT_EQ(lve_db_open(&c, &db), 0);
	for (int i = 0; i < 4000; i++)
		s[i] = smp((uint32_t)i + 1, 1700000000, 100, 10000, 1, 2);
	ASSERT_EQ(lve_db_insert(db, s, 10), 0);
	/* fill the rest of the tmpfs */
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT(fd >= 0);
	{
		char buf[4096];

		memset(buf, 'x', sizeof(buf));
		while (write(fd, buf, sizeof(buf)) > 0) {
		}
	}
	close(fd);
	do {
		for (int i = 0; i < 4000; i++)
			s[i].ts = 1700000005 + tries * 5;
		r = lve_db_insert(db, s, 4000);
	} while (r == 0 && ++tries < 5);
	ASSERT_ERR(r, ENOSPC);
	lve_db_status(db, &st);
	ASSERT(st.queued_passes >= 1);
	ASSERT(strstr(st.message, "full") != NULL || strstr(st.message, "disk") != NULL);
	ASSERT_EQ(unlink(filler), 0);
	ASSERT_EQ(lve_db_flush(db, 0), 0);
	lve_db_close(db);
	/* the whole history is there */
	c.sqlite_path = path;
	ASSERT_EQ(lve_db_open_flags(&c, LVE_DB_READONLY, &db), 0);
	{
		struct lve_agg *a = NULL;

		r = lve_db_query(db, &(struct lve_query){ .from = 0, .to = 1800000000, .id = 1 }, &a);
		ASSERT_EQ(r, 1);
		ASSERT_EQ(a[0].n, (uint64_t)tries + 2);
		free(a);
	}
	lve_db_close(db);
	free(s);
	return 0;
}

/* -------------------------------------------------------------- lvetop */

/* Every controller liblve uses must have a cgtest root, or it would write outside. */
static const char *uncovered(void)
{
	static const char *const ours[] = { "cpu", "cpuacct", "cpuset", "memory", "blkio", "io", "pids", NULL };

	return cgtest_uncovered(ours);
}

static void *spin(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	for (;;)
		x++;
	return NULL;
}

/* In the LVE: two more threads, all three spinning until killed. */
static int busy(void *arg)
{
	pthread_t t;

	(void)arg;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t, NULL, spin, NULL) != 0)
			return 1;
	spin(NULL);
	return 0;
}

/* Columns of the row of LVE id in lvetop's table; 0 or -1 when absent. */
static int top_row(const char *out, uint32_t id, double v[9])
{
	char want[32];

	snprintf(want, sizeof(want), "%" PRIu32, id);
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char tok[9][32];
		char mem[32];

		if (sscanf(l, "%31s %31s %31s %31s %31s %31s %31s %31s %31s", tok[0], tok[1], tok[2], tok[3], tok[4], mem,
			   tok[6], tok[7], tok[8]) == 9 &&
		    !strcmp(tok[0], want)) {
			for (int i = 0; i < 9; i++)
				v[i] = i == 5 ? 0 : strtod(tok[i], NULL);
			return 0;
		}
	}
	return -1;
}

TEST(lvetop_batch_output)
{
	struct olve *h = NULL;
	struct olve_limits lim = { 0 };
	const char *why;
	double v[9];
	pid_t kid;

	LTE_SETUP();
	why = uncovered();
	if (why)
		SKIP("%s", why);

	/* no LVE root yet: exit 1, one line */
	ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "-n", "1", "-d", "0.1", NULL }));
	ASSERT_EQ(R.code, 1);
	ASSERT_EQ(lines(R.err), 1);

	ASSERT_OK(olve_open(&h, 0));
	ASSERT_OK(olve_apply(h, 701, &lim));
	ASSERT_OK(olve_apply(h, 702, &lim));
	kid = cgtest_fork_in("lveroot/lve701", busy, NULL);
	ASSERT(kid > 0);
	/* wait until the threads exist */
	for (int i = 0; i < 200; i++) {
		struct olve_usage u;

		if (olve_usage(h, 701, &u) == 0 && u.nproc >= 3)
			break;
		usleep(10000);
	}

	ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "-n", "1", "-d", "0.5", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT(strstr(R.out, "\033") == NULL); /* batch: no terminal control */
	ASSERT(strstr(R.out, "ID") && strstr(R.out, "EP") && strstr(R.out, "PNO") && strstr(R.out, "TNO") &&
	       strstr(R.out, "SPEED") && strstr(R.out, "MEM") && strstr(R.out, "IOPS") && strstr(R.out, "FAULTS"));
	ASSERT_OK(top_row(R.out, 701, v));
	ASSERT_EQ(v[2], 1); /* PNO */
	ASSERT_EQ(v[3], 3); /* TNO */
	ASSERT(v[4] > 0);   /* SPEED: it spins */
	ASSERT_OK(top_row(R.out, 702, v));
	ASSERT_EQ(v[2], 0);
	ASSERT_EQ(v[3], 0);
	ASSERT(v[4] == 0);
	/* sorted by SPEED: 701 first */
	ASSERT(strstr(R.out, "\n       701") && strstr(R.out, "\n       701") < strstr(R.out, "\n       702"));

	/* two refreshes, -o ID */
	ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "-n", "2", "-d", "0.2", "-o", "id", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT_EQ(lines(R.out), 2 * (2 + 2) + 1);
	ASSERT(strstr(R.out, "\n       702") > strstr(R.out, "\n       701"));

	/* --json: one snapshot */
	ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "--json", "-d", "0.2", NULL }));
	ASSERT_EQ(R.code, 0);
	ASSERT(json_valid(R.out));
	ASSERT(strstr(R.out, "\"ID\": 701, \"EP\": 0, \"PNO\": 1, \"TNO\": 3,") != NULL);
	ASSERT(strstr(R.out, "\"ID\": 702") != NULL);

	/* on a terminal: redrawn in place, 'q' quits, the cursor comes back */
	{
		char exe[1024], buf[16384];
		const char *root = getenv("OPENLVE_BUILD_ROOT");
		size_t n = 0;
		int master = -1, st = 0;
		bool sent = false;
		pid_t pid;

		snprintf(exe, sizeof(exe), "%s/src/tools/lvetop", root ? root : ".");
		pid = forkpty(&master, NULL, NULL, NULL);
		ASSERT(pid >= 0);
		if (pid == 0) {
			execl(exe, "lvetop", "-d", "0.2", (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) {
			struct pollfd pfd = { .fd = master, .events = POLLIN };
			ssize_t k;

			if (poll(&pfd, 1, 100) <= 0)
				continue;
			k = read(master, buf + n, sizeof(buf) - 1 - n);
			if (k <= 0)
				break; /* EIO once lvetop exited */
			n += (size_t)k;
			buf[n] = 0;
			if (!sent && strstr(buf, "FAULTS") && strstr(buf, "701")) {
				ASSERT_EQ(write(master, "q", 1), 1);
				sent = true;
			}
		}
		buf[n] = 0;
		ASSERT(sent);
		ASSERT_EQ(waitpid(pid, &st, 0), pid);
		ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ASSERT(strstr(buf, "\033[H") != NULL);
		ASSERT(strstr(buf, "\033[?25l") != NULL);
		ASSERT(n >= 6 && strstr(buf + n - 6, "\033[?25h") != NULL);
		close(master);
	}

	/* user names in the ID column (as CloudLinux's lvetop), -i / --ids for numbers */
	{
		struct passwd *pw1 = getpwuid(1);
		char want[64];

		ASSERT(pw1);
		ASSERT_OK(olve_apply(h, 1, &lim));
		ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "-n", "1", "-d", "0.1", "-o", "ID", NULL }));
		ASSERT_EQ(R.code, 0);
		snprintf(want, sizeof(want), "\n%10s ", pw1->pw_name);
		ASSERT(strstr(R.out, want));
		ASSERT(strstr(R.out, "\n       701 ")); /* no user 701: the number */
		ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "-n", "1", "-d", "0.1", "--ids", NULL }));
		ASSERT(strstr(R.out, "\n         1 ") && !strstr(R.out, want));
		ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ "--json", "-d", "0.1", NULL }));
		snprintf(want, sizeof(want), "\"USER\": \"%s\"", pw1->pw_name);
		ASSERT(json_valid(R.out) && strstr(R.out, want) && strstr(R.out, "\"USER\": null"));
		ASSERT_OK(olve_destroy(h, 1));
	}

	/* bad options */
	static const char *const bad[][3] = { { "-d", "0" }, { "-d", "abc" }, { "-n", "0" }, { "-o", "nope" },
					      { "--bogus" }, { "-d" }, { "-l", "-2" }, { "-d", "1e3" } };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ASSERT_OK(tool_run(&R, "lvetop", (const char *const[]){ bad[i][0], bad[i][1], NULL }));
		if (R.code != 2 || R.out[0] || lines(R.err) != 1)
			TAP_FAIL("lvetop %s %s: exit %d, stderr '%s'", bad[i][0], bad[i][1] ? bad[i][1] : "", R.code, R.err);
	}
	kill(kid, SIGKILL);
	cgtest_wait(kid);
	olve_close(h);
	return 0;
}

TAP_MAIN()
