/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lve-info - olstats' pure parts: /var/lve/info rendering (hand-computed
 * lines, unit conversions), period averages, the atomic writer (a reader
 * looping over 50 rewrites), temp-file cleanup, the Prometheus exposition,
 * and the kernel-file parsers on real samples.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stats.h"
#include "tap.h"

static char tmpdir[64];

/* A fresh dir per test, removed by the tap framework after all tests. */
static int mktmp(void)
{
	return tap_mktemp(tmpdir, sizeof(tmpdir));
}

static struct olve_limits defaults_cl(void)
{
	struct olve_limits d = {
		.mask = OLVE_L_ALL,
		.speed = 10000,
		.pmem = 1ull << 30,
		.io = 1024,
		.iops = 1024,
		.ep = 20,
		.nproc = 100,
	};
	return d;
}

static struct lve_sample sample_1001(void)
{
	struct lve_sample s = {
		.id = 1001,
		.interval = 5,
		.aEP = 3,
		.lEP = 20,
		.aCPU = 5000,              /* half a core */
		.lCPU = 20000,             /* two cores */
		.aVMem = 10ull << 20,      /* 2560 pages */
		.lVMem = 0,
		.VMemF = 1,
		.EPf = 2,
		.lPMem = 512ull << 20,     /* 131072 pages */
		.aPMem = (100ull << 20) + 1, /* 25600 pages, the byte rounds away */
		.PMemF = 3,
		.lNproc = 100,
		.aNproc = 7,
		.NprocF = 4,
		.aIO = 1536 * 1024,        /* 1536 KB/s */
		.lIO = 1024 * 1024,        /* 1024 KB/s */
		.lIOPS = 1024,
		.aIOPS = 77,
		.nprocs = 2,
		.nthreads = 7,
	};
	return s;
}

static int count_fields(const char *line, size_t n)
{
	int f = 1;

	for (size_t i = 0; i < n; i++)
		f += line[i] == ',';
	return f;
}

TEST(render_hand_computed)
{
	struct olve_limits d = defaults_cl();
	struct lve_sample s = sample_1001();
	char *text = NULL;
	size_t len = 0;

	ASSERT_OK(lve_info_render(&d, 4, &s, 1, &text, &len));
	/* CPU in SPEED units (10000 = one core, as lve-stats 2); 1 GiB = 262144 pages */
	ASSERT_STREQ(text, "0,0,20,0,10000,0,0,0,0,262144,0,0,100,0,0,0,0,1024,1024,0\n"
			   "1001,3,20,5000,20000,2560,0,1,2,131072,25600,3,100,7,4,0,1536,1024,1024,77\n");
	ASSERT_EQ(len, strlen(text));
	for (char *l = text; *l;) {
		char *nl = strchr(l, '\n');

		ASSERT(nl);
		ASSERT_EQ(count_fields(l, (size_t)(nl - l)), LVE_INFO_FIELDS);
		l = nl + 1;
	}
	free(text);
	return 0;
}

TEST(render_cpu_conversions)
{
	struct olve_limits d = defaults_cl();
	struct lve_sample s[4] = { sample_1001(), sample_1001(), sample_1001(), sample_1001() };
	char *text = NULL;
	size_t len;

	s[0].id = 1, s[0].aCPU = 1, s[0].lCPU = 0;          /* unlimited = the whole machine (4 cores) */
	s[1].id = 2, s[1].aCPU = 0, s[1].lCPU = 80000;      /* 8 cores on 4: capped at 40000 */
	s[2].id = 3, s[2].aCPU = 40000, s[2].lCPU = 2500;   /* usage above the limit: written as the limit */
	s[3].id = 4, s[3].lPMem = 4097, s[3].lVMem = 1, s[3].aPMem = 2047, s[3].aVMem = 2048; /* ceil / round */
	d.mask = OLVE_L_CPU | OLVE_L_NCPU | OLVE_L_SPEED;
	d.speed = 0, d.cpu_pct = 30, d.ncpu = 1;            /* min(30% of 4 cores, 1 core) = 1 core */
	ASSERT_OK(lve_info_render(&d, 4, s, 4, &text, &len));
	ASSERT_STREQ(text, "0,0,0,0,10000,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
			   "1,3,20,1,40000,2560,0,1,2,131072,25600,3,100,7,4,0,1536,1024,1024,77\n"
			   "2,3,20,0,40000,2560,0,1,2,131072,25600,3,100,7,4,0,1536,1024,1024,77\n"
			   "3,3,20,2500,2500,2560,0,1,2,131072,25600,3,100,7,4,0,1536,1024,1024,77\n"
			   "4,3,20,5000,20000,1,1,1,2,2,0,3,100,7,4,0,1536,1024,1024,77\n");
	free(text);
	/* one CPU: an unlimited LVE's limit is that one core */
	s[0] = sample_1001();
	s[0].lCPU = 0;
	ASSERT_OK(lve_info_render(&d, 1, s, 1, &text, &len));
	ASSERT(strstr(text, "\n1001,3,20,5000,10000,"));
	free(text);
	return 0;
}

TEST(render_bad_input)
{
	struct olve_limits d = defaults_cl();
	struct lve_sample s = sample_1001();
	char *text = (char *)"untouched";
	size_t len = 7;

	ASSERT_ERR(lve_info_render(&d, 0, &s, 1, &text, &len), EINVAL);
	ASSERT_ERR(lve_info_render(NULL, 2, &s, 1, &text, &len), EINVAL);
	ASSERT_ERR(lve_info_render(&d, 2, NULL, 1, &text, &len), EINVAL);
	ASSERT_ERR(lve_info_render(&d, 2, &s, 1, NULL, &len), EINVAL);
	ASSERT_STREQ(text, "untouched");
	ASSERT_EQ(len, 7);
	/* no LVEs: only the defaults line */
	ASSERT_OK(lve_info_render(&d, 2, NULL, 0, &text, &len));
	ASSERT_STREQ(text, "0,0,20,0,10000,0,0,0,0,262144,0,0,100,0,0,0,0,1024,1024,0\n");
	free(text);
	return 0;
}

TEST(period_weighted_averages)
{
	struct lve_period *p = NULL;
	struct lve_sample a[3] = { sample_1001(), sample_1001(), sample_1001() }, b[2] = { sample_1001(), sample_1001() };
	struct lve_sample *out = NULL;
	int n;

	ASSERT_OK(lve_period_new(&p));
	/* pass 1: LVE 5 busy for 5 s, LVE 7 idle, LVE 1001 ... */
	memset(&a[0], 0, sizeof(a[0]));
	a[0].id = 5, a[0].interval = 5, a[0].aCPU = 10000, a[0].aPMem = 4096 * 10, a[0].aEP = 1, a[0].CPUf = 3,
	a[0].lPMem = 1 << 20, a[0].nprocs = 1;
	memset(&a[1], 0, sizeof(a[1]));
	a[1].id = 7, a[1].interval = 5, a[1].aPMem = 8192; /* page cache only: not active */
	a[2].interval = 5;
	ASSERT_OK(lve_period_add(p, a, 3));
	/* pass 2: 15 s later, LVE 5 idle, limits changed */
	b[0] = a[0];
	b[0].interval = 15, b[0].aCPU = 0, b[0].aPMem = 4096 * 30, b[0].aEP = 0, b[0].CPUf = 4, b[0].lPMem = 2 << 20,
	b[0].nprocs = 0;
	b[1] = a[1];
	ASSERT_OK(lve_period_add(p, b, 2));
	n = lve_period_take(p, &out);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(out[0].id, 5);
	ASSERT_EQ(out[0].interval, 20);
	ASSERT_EQ(out[0].aCPU, 2500);        /* (10000*5 + 0*15) / 20 */
	ASSERT_EQ(out[0].aPMem, 4096 * 25);  /* (10*5 + 30*15) / 20 = 25 pages */
	ASSERT_EQ(out[0].aEP, 0);            /* 0.25 rounds to 0 */
	ASSERT_EQ(out[0].CPUf, 7);
	ASSERT_EQ(out[0].lPMem, 2 << 20);    /* the last limits */
	ASSERT_EQ(out[1].id, 1001);
	ASSERT_EQ(out[1].aCPU, 5000);
	free(out);
	/* take empties the period */
	out = (struct lve_sample *)1;
	ASSERT_EQ(lve_period_take(p, &out), 0);
	ASSERT(out == NULL);
	/* bad input */
	ASSERT_ERR(lve_period_add(NULL, a, 1), EINVAL);
	ASSERT_ERR(lve_period_add(p, NULL, 1), EINVAL);
	ASSERT_ERR(lve_period_take(p, NULL), EINVAL);
	lve_period_free(p);
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return -errno;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				return -ENOMEM;
			}
		}
		k = fread(buf + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

TEST(write_atomic_and_mode)
{
	char path[128], *got = NULL;
	size_t len;
	struct stat st;

	ASSERT_OK(mktmp());
	/* the last directory is created when missing */
	snprintf(path, sizeof(path), "%s/lve/info", tmpdir);
	ASSERT_OK(lve_info_write(path, "0,1\n", 4));
	ASSERT_OK(read_file(path, &got, &len));
	ASSERT_EQ(len, 4);
	ASSERT(!memcmp(got, "0,1\n", 4));
	free(got);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 07777, 0644);
	ASSERT_OK(lve_info_write(path, "x\n", 2));
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_size, 2);
	snprintf(path, sizeof(path), "%s/lve", tmpdir);
	ASSERT_EQ(count_entries(path, "."), 2); /* "." and "..": no temp file left */
	/* bad paths: nothing written */
	ASSERT_ERR(lve_info_write("info", "x", 1), EINVAL);
	ASSERT_ERR(lve_info_write("/tmp/../tmp/x", "x", 1), EINVAL);
	ASSERT_ERR(lve_info_write("/tmp/dir/", "x", 1), EINVAL);
	ASSERT_ERR(lve_info_write(NULL, "x", 1), EINVAL);
	snprintf(path, sizeof(path), "%s/no/such/info", tmpdir);
	ASSERT_ERR(lve_info_write(path, "x", 1), ENOENT);
	return 0;
}

/* Two versions of a large file: a torn read would mix them or be short. */
static char *make_text(char c, size_t lines)
{
	char *t = malloc(lines * 64 + 1);
	size_t n = 0;

	for (size_t i = 0; i < lines; i++)
		n += (size_t)sprintf(t + n, "%zu,%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c\n", i, c,
				     c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c);
	t[n] = 0;
	return t;
}

TEST(write_reader_never_sees_partial)
{
	char path[128], *a = make_text('a', 6000), *b = make_text('b', 9000);
	size_t la = strlen(a), lb = strlen(b);
	int pfd[2];
	pid_t pid;
	int status;
	long reads = 0, bad = 0;

	ASSERT_OK(mktmp());
	snprintf(path, sizeof(path), "%s/info", tmpdir);
	ASSERT_OK(lve_info_write(path, a, la));
	ASSERT_OK(pipe(pfd));
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		long res[2] = { 0, 0 };

		close(pfd[0]);
		/* read until the parent kills us; report the counts after every read */
		for (;;) {
			char *got = NULL;
			size_t len = 0;

			if (read_file(path, &got, &len) < 0)
				res[1]++;
			else if (!((len == la && !memcmp(got, a, la)) || (len == lb && !memcmp(got, b, lb))))
				res[1]++;
			res[0]++;
			free(got);
			if (write(pfd[1], res, sizeof(res)) != sizeof(res))
				_exit(1);
		}
	}
	close(pfd[1]);
	for (int i = 0; i < 50; i++) {
		long res[2];

		ASSERT_OK(lve_info_write(path, i % 2 ? a : b, i % 2 ? la : lb));
		/* let the reader run a few reads against every version */
		for (int k = 0; k < 3; k++)
			if (read(pfd[0], res, sizeof(res)) == sizeof(res))
				reads = res[0], bad = res[1];
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	{
		long res[2];

		while (read(pfd[0], res, sizeof(res)) == sizeof(res))
			reads = res[0], bad = res[1];
	}
	close(pfd[0]);
	fprintf(stderr, "# %ld reads during 50 rewrites, %ld partial\n", reads, bad);
	ASSERT(reads >= 50);
	ASSERT_EQ(bad, 0);
	free(a);
	free(b);
	return 0;
}

TEST(clean_temps)
{
	char path[160];
	static const char *const files[] = { ".info.123.4.tmp", ".info.9.10.tmp", ".info.x.1.tmp", ".info.1.tmp",
					      ".other.1.2.tmp", "info", ".info.1.2.tmpx" };
	int fd;

	ASSERT_OK(mktmp());
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ASSERT(fd >= 0);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/info", tmpdir);
	ASSERT_EQ(lve_info_clean_temps(path), 2);
	ASSERT_EQ(count_entries(tmpdir, ".info."), 3);
	ASSERT_EQ(count_entries(tmpdir, ".other"), 1);
	ASSERT_EQ(count_entries(tmpdir, "info"), 1);
	ASSERT_EQ(lve_info_clean_temps(path), 0);
	ASSERT_ERR(lve_info_clean_temps("relative"), EINVAL);
	snprintf(path, sizeof(path), "%s/missing-dir/info", tmpdir);
	ASSERT_EQ(lve_info_clean_temps(path), 0);
	return 0;
}

TEST(prom_render)
{
	struct lve_prom *p = NULL;
	struct lve_sample s[2] = { sample_1001(), sample_1001() };
	char *text = NULL;
	size_t len;

	s[0].id = 7, s[0].aCPU = 12345, s[0].CPUf = 5, s[0].interval = 10;
	ASSERT_OK(lve_prom_new(NULL, &p));
	ASSERT_OK(lve_prom_update(p, s, 2, 1700000000123456LL));
	ASSERT_OK(lve_prom_update(p, s, 2, 1700000005000000LL));
	ASSERT_OK(lve_prom_render(p, &text, &len));
	ASSERT_EQ(len, strlen(text));
	ASSERT(strstr(text, "# TYPE openlve_lve_cpu_usage_ratio gauge\n"));
	ASSERT(strstr(text, "openlve_lve_cpu_usage_ratio{lve=\"7\"} 1.2345\n"));
	ASSERT(strstr(text, "openlve_lve_cpu_usage_ratio{lve=\"1001\"} 0.5000\n"));
	ASSERT(strstr(text, "openlve_lve_cpu_limit_ratio{lve=\"1001\"} 2.0000\n"));
	/* counters add up over passes: 2 x 12345 x 10 s / 10000 = 24.69 s */
	ASSERT(strstr(text, "openlve_lve_cpu_seconds_total{lve=\"7\"} 24.6900\n"));
	ASSERT(strstr(text, "openlve_lve_faults_total{lve=\"7\",resource=\"cpu\"} 10\n"));
	ASSERT(strstr(text, "openlve_lve_faults_total{lve=\"1001\",resource=\"pmem\"} 6\n"));
	ASSERT(strstr(text, "openlve_lve_memory_limit_bytes{lve=\"1001\"} 536870912\n"));
	ASSERT(strstr(text, "openlve_lve_io_limit_bytes_per_second{lve=\"1001\"} 1048576\n"));
	ASSERT(strstr(text, "openlve_lves 2\n"));
	ASSERT(strstr(text, "openlve_last_pass_timestamp_seconds 1700000005.000000\n"));
	ASSERT(strstr(text, "openlve_passes_total 2\n"));
	free(text);
	/* an LVE that is gone disappears; one that is back starts at 0 */
	ASSERT_OK(lve_prom_update(p, &s[1], 1, 1700000010000000LL));
	ASSERT_OK(lve_prom_update(p, s, 2, 1700000015000000LL));
	ASSERT_OK(lve_prom_render(p, &text, &len));
	ASSERT(strstr(text, "openlve_lve_faults_total{lve=\"7\",resource=\"cpu\"} 5\n"));
	ASSERT(strstr(text, "openlve_lve_faults_total{lve=\"1001\",resource=\"pmem\"} 12\n"));
	free(text);
	/* unsorted input is refused, state kept */
	{
		struct lve_sample u[2] = { s[1], s[0] };

		ASSERT_ERR(lve_prom_update(p, u, 2, 1), EINVAL);
	}
	ASSERT_OK(lve_prom_render(p, &text, &len));
	ASSERT(strstr(text, "openlve_lves 2\n"));
	free(text);
	lve_prom_free(p);
	/* listen addresses: loopback only */
	ASSERT_ERR(lve_prom_new("0.0.0.0:9595", &p), EINVAL);
	ASSERT_ERR(lve_prom_new("127.0.0.1:0", &p), EINVAL);
	ASSERT_ERR(lve_prom_new("127.0.0.1:x", &p), EINVAL);
	ASSERT_ERR(lve_prom_new("unix:relative", &p), EINVAL);
	return 0;
}

/* ------------------------------------------------------------- parsers */

TEST(parse_cpu_stat)
{
	struct lve_cpu_stat c;

	/* cgroup v2 (6.x) */
	ASSERT_OK(lve_parse_cpu_stat("usage_usec 3583843771\nuser_usec 2514877444\nsystem_usec 1068966326\n"
				     "core_sched.force_idle_usec 0\nnr_periods 120\nnr_throttled 30\n"
				     "throttled_usec 250000\nnr_bursts 0\nburst_usec 0\n",
				     &c));
	ASSERT_EQ(c.usage_usec, 3583843771ull);
	ASSERT_EQ(c.nr_periods, 120);
	ASSERT_EQ(c.nr_throttled, 30);
	ASSERT_EQ(c.throttled_usec, 250000);
	/* cgroup v1 (this host) */
	ASSERT_OK(lve_parse_cpu_stat("nr_periods 42\nnr_throttled 40\nthrottled_time 1953089835\nnr_bursts 0\n"
				     "burst_time 0\n",
				     &c));
	ASSERT_EQ(c.usage_usec, 0);
	ASSERT_EQ(c.nr_throttled, 40);
	ASSERT_EQ(c.throttled_usec, 1953089);
	ASSERT_OK(lve_parse_cpu_stat("", &c));
	ASSERT_EQ(c.nr_throttled, 0);
	c.nr_throttled = 99;
	ASSERT_ERR(lve_parse_cpu_stat("nr_throttled x\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_cpu_stat("nr_throttled\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_cpu_stat("nr_throttled -1\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_cpu_stat("nr_throttled 99999999999999999999\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_cpu_stat(" 5\n", &c), EINVAL);
	ASSERT_EQ(c.nr_throttled, 99); /* untouched on failure */
	ASSERT_ERR(lve_parse_cpu_stat(NULL, &c), EINVAL);
	return 0;
}

TEST(parse_memory_events_and_keyed)
{
	struct lve_mem_events e;
	uint64_t v = 7;

	ASSERT_OK(lve_parse_memory_events("low 0\nhigh 12\nmax 345\noom 6\noom_kill 2\noom_group_kill 0\n", &e));
	ASSERT_EQ(e.low, 0);
	ASSERT_EQ(e.high, 12);
	ASSERT_EQ(e.max, 345);
	ASSERT_EQ(e.oom, 6);
	ASSERT_EQ(e.oom_kill, 2);
	ASSERT_ERR(lve_parse_memory_events("max 1 2\n", &e), EINVAL);
	/* pids.events, v1 memory.oom_control */
	ASSERT_OK(lve_parse_keyed("max 0\n", "max", &v));
	ASSERT_EQ(v, 0);
	ASSERT_OK(lve_parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 17\n", "oom_kill", &v));
	ASSERT_EQ(v, 17);
	ASSERT_ERR(lve_parse_keyed("oom_kill_disable 0\n", "oom_kill", &v), ENOENT);
	ASSERT_EQ(v, 17);
	ASSERT_ERR(lve_parse_keyed("max 0\n", NULL, &v), EINVAL);
	return 0;
}

TEST(parse_io_stat)
{
	struct lve_io_counters c = { 1, 1, 1, 1 };

	/* two disks, with discard counters (ignored) */
	ASSERT_EQ(lve_parse_io_stat("8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
				    "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n",
				    &c),
		  2);
	ASSERT_EQ(c.rbytes, 1459200ull + 90430464ull);
	ASSERT_EQ(c.wbytes, 314773504ull + 299008000ull);
	ASSERT_EQ(c.rios, 192 + 8950);
	ASSERT_EQ(c.wios, 353 + 1252);
	ASSERT_EQ(lve_parse_io_stat("", &c), 0);
	ASSERT_EQ(c.rbytes, 0);
	c.rbytes = 5;
	ASSERT_ERR(lve_parse_io_stat("8:16 rbytes=x\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_io_stat("8 rbytes=1\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_io_stat("8:0 =1\n", &c), EINVAL);
	ASSERT_ERR(lve_parse_io_stat("8:0 rbytes1\n", &c), EINVAL);
	ASSERT_EQ(c.rbytes, 5);
	/* sums saturate instead of wrapping */
	ASSERT_EQ(lve_parse_io_stat("1:0 rbytes=18446744073709551615\n1:1 rbytes=5\n", &c), 2);
	ASSERT_EQ(c.rbytes, UINT64_MAX);
	return 0;
}

TEST(parse_blkio)
{
	uint64_t rd = 1, wr = 1;

	/* blkio.throttle.io_service_bytes read on this machine's kind (kernel 6.18, v1) */
	ASSERT_EQ(lve_parse_blkio("254:0 Read 21430272\n254:0 Write 20971520\n254:0 Sync 42401792\n254:0 Async 0\n"
				  "254:0 Discard 0\n254:0 Total 42401792\nTotal 42401792\n",
				  &rd, &wr),
		  1);
	ASSERT_EQ(rd, 21430272);
	ASSERT_EQ(wr, 20971520);
	ASSERT_EQ(lve_parse_blkio("8:0 Read 1\n8:0 Write 2\n8:0 Total 3\n8:16 Read 10\n8:16 Write 20\n8:16 Total 30\n"
				  "Total 33\n",
				  &rd, &wr),
		  2);
	ASSERT_EQ(rd, 11);
	ASSERT_EQ(wr, 22);
	ASSERT_EQ(lve_parse_blkio("Total 0\n", &rd, &wr), 0);
	ASSERT_EQ(rd, 0);
	rd = 9;
	ASSERT_ERR(lve_parse_blkio("8:0 Read\n", &rd, &wr), EINVAL);
	ASSERT_ERR(lve_parse_blkio("8:0 Read x\n", &rd, &wr), EINVAL);
	ASSERT_ERR(lve_parse_blkio("Read 5\n", &rd, &wr), EINVAL);
	ASSERT_ERR(lve_parse_blkio("Total x\n", &rd, &wr), EINVAL);
	ASSERT_EQ(rd, 9);
	return 0;
}

TEST(parse_numbers_and_lines)
{
	uint64_t v = 3;

	ASSERT_OK(lve_parse_u64_or_max("1234\n", &v));
	ASSERT_EQ(v, 1234);
	ASSERT_OK(lve_parse_u64_or_max("max\n", &v));
	ASSERT_EQ(v, 0);
	v = 3;
	ASSERT_ERR(lve_parse_u64_or_max("12 34\n", &v), EINVAL);
	ASSERT_ERR(lve_parse_u64_or_max("", &v), EINVAL);
	ASSERT_ERR(lve_parse_u64_or_max("-1\n", &v), EINVAL);
	ASSERT_EQ(v, 3);
	ASSERT_EQ(lve_count_lines("1\n2\n3\n"), 3);
	ASSERT_EQ(lve_count_lines("1\n\n3"), 2);
	ASSERT_EQ(lve_count_lines(""), 0);
	ASSERT_EQ(lve_count_lines(NULL), 0);
	return 0;
}

TAP_MAIN()
