/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-snapshot: incident snapshots on the real kernel. A process runs in
 * an LVE (a child of the test, moved there by liblve); fault samples are
 * handed to the snapper as lved does after a pass; the day file then holds
 * that process with its command line, in a 0700/0600 tree, and
 * lve-read-snapshot shows it (text, JSON, --list, --stats). The incident
 * and rate rules of SnapshotSaver.cfg are counted; damaged records are
 * skipped with a warning; every bad option is a clear error.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "lve-internal.h" /* struct olve_note: a note written behind liblve's back */
#include "lve-testenv.h"
#include "lve/openlve.h"
#include "runtool.h"
#include "snapshot.h"

#define ID 4321

static char snapdir[600];

static int sleeper(void *arg)
{
	(void)arg;
	execl("/bin/sleep", "sleep", "97", (char *)NULL);
	return 127;
}

/* A snapper on a fresh dir; the test's child "sleep 97" inside LVE ID. */
static int setup(struct olve **h, struct lve_snapper **s, pid_t *child, const char *cfg)
{
	struct lve_snap_conf c = { .dir = snapdir };
	int r;

	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", lte_dir);
	if (cfg && (r = lve_snap_conf_parse(cfg, &c, NULL)) < 0)
		return r;
	r = olve_open(h, 0);
	if (r < 0)
		return r;
	*child = cgtest_fork_in("home", sleeper, NULL);
	if (*child < 0)
		return *child;
	r = olve_enter_pid(*h, ID, *child);
	if (r < 0)
		return r;
	return lve_snapper_new(&c, s);
}

static struct lve_sample fault(int64_t ts)
{
	return (struct lve_sample){ .id = ID, .ts = ts, .interval = 5, .aCPU = 9900, .lCPU = 10000, .CPUf = 7,
				    .aPMem = 1 << 20, .aEP = 1, .aNproc = 1 };
}

static int count_records(const char *path)
{
	char buf[1 << 16];
	int n = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return -errno;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k < 0)
		return -errno;
	buf[k] = 0;
	for (char *p = buf; (p = strstr(p, "\nE\n")); p += 2)
		n++;
	return n;
}

TEST(snapshot_names_the_process_inside_and_reads_back)
{
	static struct tool_run run;
	struct olve *h = NULL;
	struct lve_snapper *s = NULL;
	struct lve_sample x;
	char file[800], from[32], to[32], pidstr[16];
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	pid_t child;

	LTE_SETUP();
	ASSERT_OK(setup(&h, &s, &child, NULL));
	usleep(100 * 1000); /* the child has exec'd sleep */
	x = fault(now);
	ASSERT_EQ(lve_snapper_pass(s, h, &x, 1), 1);
	gmtime_r(&now, &tm);
	snprintf(file, sizeof(file), "%s/%d/", snapdir, ID);
	strftime(file + strlen(file), 32, "%Y-%m-%d.snap", &tm);
	ASSERT_EQ(count_records(file), 1);
	ASSERT(stat(snapdir, &st) == 0 && (st.st_mode & 0777) == 0700);
	ASSERT(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);

	snprintf(from, sizeof(from), "@%lld", (long long)now - 60);
	snprintf(to, sizeof(to), "@%lld", (long long)now + 60);
	snprintf(pidstr, sizeof(pidstr), " %d ", (int)child);
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, NULL }));
	if (run.code)
		TAP_FAIL("lve-read-snapshot: %d %s", run.code, run.err);
	ASSERT(strstr(run.out, "LVE 4321"));
	ASSERT(strstr(run.out, "Faults: CPU 7,"));
	ASSERT(strstr(run.out, "Usage: CPU 99.0%"));
	ASSERT(strstr(run.out, "sleep 97"));
	ASSERT(strstr(run.out, pidstr));
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, "--json", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "\"cmdline\": \"sleep 97\""));
	ASSERT(strstr(run.out, "\"cpu\": 7,") && strstr(run.out, "\"result\": \"success\""));
	kill(child, SIGKILL);
	cgtest_wait(child);
	lve_snapper_free(s);
	olve_close(h);
	return 0;
}

TEST(incidents_and_rates_follow_snapshotsaver_cfg)
{
	static struct tool_run run;
	struct olve *h = NULL;
	struct lve_snapper *s = NULL;
	int64_t t0 = (int64_t)time(NULL) / 86400 * 86400 + 3600; /* one UTC day, away from midnight */
	int taken = 0, n;
	char from[32], to[32];
	pid_t child;

	LTE_SETUP();
	ASSERT_OK(setup(&h, &s, &child, "period_between_incidents = 300\nsnapshots_per_minute = 2\n"
				       "max_snapshots_per_incident = 3\n"));
	/* incident 1: a fault every 5 s for 5 minutes: 2 in the first minute, 3 in all */
	for (int64_t ts = t0; ts < t0 + 300; ts += 5) {
		struct lve_sample x = fault(ts);

		n = lve_snapper_pass(s, h, &x, 1);
		ASSERT(n >= 0);
		taken += n;
		if (ts == t0 + 55)
			ASSERT_EQ(taken, 2);
	}
	ASSERT_EQ(taken, 3);
	/* a quiet pass (no fault) takes nothing */
	{
		struct lve_sample q = { .id = ID, .ts = t0 + 400, .interval = 5 };

		ASSERT_EQ(lve_snapper_pass(s, h, &q, 1), 0);
	}
	/* incident 2: faults again after more than 300 s without one */
	{
		struct lve_sample x = fault(t0 + 300 + 301);

		ASSERT_EQ(lve_snapper_pass(s, h, &x, 1), 1);
	}
	snprintf(from, sizeof(from), "@%lld", (long long)t0);
	snprintf(to, sizeof(to), "@%lld", (long long)t0 + 3000);
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, "--list", NULL }));
	ASSERT_EQ(run.code, 0);
	{
		int lines = 0;

		for (const char *p = run.out; *p; p++)
			lines += *p == '\n';
		ASSERT_EQ(lines, 4);
	}
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, "--stats", "--unit", "auto", "-j",
									     NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "\"incidents\": 1, \"snapshots\": 3"));
	ASSERT(strstr(run.out, "\"incidents\": 1, \"snapshots\": 1"));
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, "--stats", "-j", NULL }));
	ASSERT(strstr(run.out, "\"incidents\": 2, \"snapshots\": 4"));
	/* disabled: nothing at all */
	lve_snapper_free(s);
	{
		struct lve_snap_conf c = { .dir = snapdir, .disabled = true, .period_between_incidents = 300,
					   .snapshots_per_minute = 2, .max_snapshots_per_incident = 10 };
		struct lve_sample x = fault(t0 + 5000);

		ASSERT_OK(lve_snapper_new(&c, &s));
		ASSERT_EQ(lve_snapper_pass(s, h, &x, 1), 0);
	}
	kill(child, SIGKILL);
	cgtest_wait(child);
	lve_snapper_free(s);
	olve_close(h);
	return 0;
}

TEST(damaged_records_and_bad_options)
{
	static struct tool_run run;
	struct olve *h = NULL;
	struct lve_snapper *s = NULL;
	struct lve_sample x;
	time_t now = time(NULL);
	struct tm tm;
	char file[800], from[32];
	pid_t child;
	FILE *f;
	unsigned line = 0;
	struct lve_snap_conf c = { 0 };

	LTE_SETUP();
	ASSERT_OK(setup(&h, &s, &child, NULL));
	x = fault(now);
	ASSERT_EQ(lve_snapper_pass(s, h, &x, 1), 1);
	gmtime_r(&now, &tm);
	snprintf(file, sizeof(file), "%s/%d/", snapdir, ID);
	strftime(file + strlen(file), 32, "%Y-%m-%d.snap", &tm);
	f = fopen(file, "ae");
	ASSERT(f);
	fputs("S 1 2 garbage\nP nonsense\nE\n", f); /* a damaged record after the good one */
	fclose(f);
	snprintf(from, sizeof(from), "@%lld", (long long)now - 10);
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "--list", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.err, "1 damaged snapshot records skipped"));
	ASSERT(strstr(run.out, "\n") && !strstr(strchr(run.out, '\n') + 1, "\n"));
	{
		static const struct {
			const char *a[8];
			int code;
		} bad[] = {
			{ { NULL }, 2 },
			{ { "-i", "4321", "-u", "root", NULL }, 2 },
			{ { "-i", "0", NULL }, 2 },
			{ { "-i", "x", NULL }, 2 },
			{ { "-i", "4321", "--unit", "5x", NULL }, 2 },
			{ { "-i", "4321", "--timestamp", "12", "-p", "1h", NULL }, 2 },
			{ { "-i", "4321", "-p", "soon", NULL }, 2 },
			{ { "-i", "4321", "--list", "--stats", NULL }, 2 },
			{ { "-u", "no-such-user-olt", NULL }, 1 },
			{ { "-i", "4321", "extra", NULL }, 2 },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *argv[12] = { "--dir", snapdir };
			int k = 2;

			for (int j = 0; bad[i].a[j]; j++)
				argv[k++] = bad[i].a[j];
			argv[k] = NULL;
			ASSERT_OK(tool_run(&run, "lve-read-snapshot", argv));
			if (run.code != bad[i].code)
				TAP_FAIL("case %zu: exit %d, want %d: %s", i, run.code, bad[i].code, run.err);
			ASSERT(!strncmp(run.err, "lve-read-snapshot: ", 19));
		}
	}
	/* SnapshotSaver.cfg errors name their line */
	ASSERT_ERR(lve_snap_conf_parse("# c\nsnapshots_per_minute = many\n", &c, &line), EINVAL);
	ASSERT_EQ(line, 2);
	ASSERT_ERR(lve_snap_conf_parse("period_between_incidents\n", &c, &line), EINVAL);
	ASSERT_EQ(line, 1);
	kill(child, SIGKILL);
	cgtest_wait(child);
	lve_snapper_free(s);
	olve_close(h);
	return 0;
}

/* ============================================ web requests (olve_annotate) */

#define ID_B 4322

static int req_pipe[2] = { -1, -1 };

struct req_worker {
	uint32_t id;
	const char *text;
	int then; /* 0: stay inside, 1: leave, 2: exit without leaving (crash) */
};

/* Enter w->id as a web server child does, label the entry, report, then w->then. */
static int req_worker(void *arg)
{
	const struct req_worker *w = arg;
	struct olve *h = NULL;
	uint32_t cookie = 0;
	char r = 'E';

	if (olve_open(&h, 0) == 0 && olve_enter(h, w->id, 0, &cookie) == 0 &&
	    olve_annotate(cookie, w->text) == 0 && olve_annotate(cookie ^ 1u, "forged") == -EINVAL)
		r = 'k';
	if (r == 'k' && w->then == 1)
		r = olve_leave(h, cookie) == 0 && olve_annotate(cookie, "after leave") == -ESRCH ? 'k' : 'L';
	if (write(req_pipe[1], &r, 1) != 1 || w->then == 2)
		_exit(3);
	for (;;)
		pause();
}

static pid_t start_req_worker(const struct req_worker *w)
{
	pid_t p = cgtest_fork_in("home", req_worker, (void *)w);
	char c = 0;

	if (p < 0 || read(req_pipe[0], &c, 1) != 1 || c != 'k')
		return -1;
	return p;
}

/* The note in slot i of LVE id's state file has its magic (raw read of the layout). */
static int note_magic_slots(uint32_t id)
{
	char path[600];
	unsigned char buf[8];
	int fd, n = 0;

	snprintf(path, sizeof(path), "%s/state/lve/%u", lte_dir, id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int i = 0; i < 4; i++)
		if (pread(fd, buf, 4, 65536 + i * 512) == 4 && !memcmp(buf, "ETON", 4))
			n++;
	close(fd);
	return n;
}

/* Notes of state file `path` whose text is 479 'u's written by pid (-1 on a wrong one). */
static int long_notes(const char *path, pid_t pid)
{
	struct olve_note n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (pread(fd, &n, sizeof(n), OLVE_NOTE_BASE + i * (off_t)sizeof(n)) == (ssize_t)sizeof(n) &&
		    n.magic == OLVE_NOTE_MAGIC && n.text[0] == 'u') {
			if (strnlen(n.text, sizeof(n.text)) != OLVE_NOTE_TEXT - 1 || n.pid != pid ||
			    strspn(n.text, "u") != OLVE_NOTE_TEXT - 1)
				found = -1000;
			found++;
		}
	close(fd);
	return found;
}

static int drop_and_open(void *arg)
{
	const char *path = arg;

	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 9;
	return open(path, O_RDWR | O_CLOEXEC) < 0 && errno == EACCES ? 0 : 1;
}

TEST(web_requests_labelled_by_their_entries_are_in_the_snapshot)
{
	static struct tool_run run;
	static const struct req_worker a = { ID, "GET site-a.example /cart.php?x=\x01<b>", 0 };
	static const struct req_worker left = { ID, "GET site-a.example /left", 1 };
	static const struct req_worker crashed = { ID, "GET site-a.example /crashed", 2 };
	static const struct req_worker b = { ID_B, "GET site-b.example /other", 0 };
	struct olve_limits lim = { .mask = OLVE_L_EP, .ep = 4 };
	struct olve *h = NULL;
	struct lve_snapper *s = NULL;
	struct lve_sample x;
	char from[32], to[32], path[600];
	time_t now = time(NULL);
	pid_t child, pa, pl, pc, pb, p;
	uint32_t cookie;
	int st;

	LTE_SETUP();
	ASSERT_OK(setup(&h, &s, &child, NULL));
	ASSERT_OK(olve_apply(h, ID, &lim));
	ASSERT_OK(olve_apply(h, ID_B, &lim));
	ASSERT_OK(pipe2(req_pipe, O_CLOEXEC));
	pa = start_req_worker(&a);
	ASSERT(pa > 0);
	pl = start_req_worker(&left);
	ASSERT(pl > 0);
	pc = start_req_worker(&crashed);
	ASSERT(pc > 0);
	cgtest_wait(pc);
	pb = start_req_worker(&b);
	ASSERT(pb > 0);
	/* the crashed entry's note is still in the file, the left one's is cleared */
	ASSERT_EQ(note_magic_slots(ID), 2);
	/*
	 * A note in a slot nobody holds (one without a note: the only holder
	 * left, pa, has one in its slot), of a live process (this one): ignored.
	 */
	{
		struct olve_note n = { .magic = OLVE_NOTE_MAGIC, .pid = getpid(), .tid = getpid(),
				       .when_ns = (int64_t)(now + 5) * 1000000000LL };
		unsigned char m[4];
		int fd;

		snprintf(n.text, sizeof(n.text), "GET site-a.example /unheld");
		snprintf(path, sizeof(path), "%s/state/lve/%d", lte_dir, ID);
		fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT(fd >= 0);
		for (n.slot = 0; n.slot < 4; n.slot++)
			if (pread(fd, m, 4, OLVE_NOTE_BASE + n.slot * (off_t)sizeof(n)) != 4 || memcmp(m, "ETON", 4))
				break;
		ASSERT(n.slot < 4);
		ASSERT_EQ(pwrite(fd, &n, sizeof(n), OLVE_NOTE_BASE + n.slot * (off_t)sizeof(n)), (ssize_t)sizeof(n));
		close(fd);
	}

	x = fault(now);
	ASSERT_EQ(lve_snapper_pass(s, h, &x, 1), 1);
	snprintf(from, sizeof(from), "@%lld", (long long)now - 60);
	snprintf(to, sizeof(to), "@%lld", (long long)now + 60);
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, NULL }));
	if (run.code)
		TAP_FAIL("lve-read-snapshot: %d %s", run.code, run.err);
	ASSERT(strstr(run.out, "Requests: 1\n"));
	/* the client's bytes escaped: no control byte reaches the terminal */
	ASSERT(strstr(run.out, "GET site-a.example /cart.php?x=\\x01<b>\n"));
	{
		char want[32];

		snprintf(want, sizeof(want), "\n%8d ", (int)pa);
		ASSERT(strstr(strstr(run.out, "Requests:"), want));
	}
	ASSERT(!strstr(run.out, "/left") && !strstr(run.out, "/crashed") && !strstr(run.out, "/unheld"));
	/* another LVE's request is never in this LVE's snapshot */
	ASSERT(!strstr(run.out, "site-b"));
	ASSERT_OK(tool_run(&run, "lve-read-snapshot", (const char *const[]){ "--dir", snapdir, "-i", "4321", "-f", from,
									     "-t", to, "--json", NULL }));
	ASSERT_EQ(run.code, 0);
	ASSERT(strstr(run.out, "\"http_requests\": [{\"pid\": "));
	ASSERT(strstr(run.out, "\"request\": \"GET site-a.example /cart.php?x=\\u0001<b>\"}]"));

	/* a long label is cut at 479 bytes; leaving removes it */
	{
		char longtext[1000];

		memset(longtext, 'u', sizeof(longtext) - 1);
		longtext[sizeof(longtext) - 1] = 0;
		ASSERT_OK(olve_enter(h, ID, OLVE_ENTER_PROCESS, &cookie));
		ASSERT_OK(olve_annotate(cookie, longtext));
		ASSERT_EQ(long_notes(path, getpid()), 1);
		ASSERT_OK(olve_leave(h, cookie));
		ASSERT_EQ(long_notes(path, getpid()), 0);
	}
	/* entries without a place for a label, and callers outside any LVE */
	ASSERT_ERR(olve_annotate(1, "x"), ESRCH);
	ASSERT_OK(olve_enter(h, ID, OLVE_ENTER_NO_MAXENTER | OLVE_ENTER_PROCESS, &cookie));
	ASSERT_ERR(olve_annotate(cookie, "x"), ENOENT);
	ASSERT_ERR(olve_annotate(cookie, NULL), EINVAL);
	ASSERT_OK(olve_leave(h, cookie));
	/* a customer's process (not root, nothing inherited) cannot open the state file */
	snprintf(path, sizeof(path), "%s/state/lve/%d", lte_dir, ID);
	p = cgtest_fork_in("home", drop_and_open, path);
	ASSERT(p > 0);
	ASSERT_EQ(waitpid(p, &st, 0), p);
	ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* the parser: R lines after the P lines only, well-formed */
	{
		struct lve_snap sn = { 0 };
		static const char *const badrec[] = {
			"S 1 4321 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0\nR 5 5 1 GET\nP 5 1 0 S 1 0 0 0 0 x\nE\n",
			"S 1 4321 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nR 0 5 1 GET\nE\n",
			"S 1 4321 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nR 5 5 1 a b\nE\n",
			"S 1 4321 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nR 5 5 1 bad\\q\nE\n",
		};

		ASSERT_EQ(lve_snap_parse("S 1 4321 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nR 5 6 7 GET\\x20h\nE\n", &sn), 1);
		ASSERT_EQ(sn.nreq, 1);
		ASSERT_EQ(sn.reqs[0].tid, 6);
		ASSERT_STREQ(sn.reqs[0].text, "GET h");
		lve_snap_clear(&sn);
		for (size_t i = 0; i < sizeof(badrec) / sizeof(badrec[0]); i++)
			if (lve_snap_parse(badrec[i], &sn) != -EINVAL)
				TAP_FAIL("bad record %zu accepted", i);
	}
	kill(pa, SIGKILL);
	kill(pl, SIGKILL);
	kill(pb, SIGKILL);
	kill(child, SIGKILL);
	cgtest_wait(pa);
	cgtest_wait(pl);
	cgtest_wait(pb);
	cgtest_wait(child);
	lve_snapper_free(s);
	olve_close(h);
	return 0;
}

TAP_MAIN()
