/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-apply: `lvectl apply all` for many LVEs against bare system calls.
 *
 *   liblve  a ve.cfg with N <lve id> sections (built in memory), applied with
 *           vecfg_apply_all() -- the function `lvectl apply all` calls: it
 *           creates lve<ID> in every hierarchy, its state file, and writes
 *           the limits through liblve (olve_apply).
 *   bare    mkdirat() of lve<ID> in every hierarchy and write(2) of the same
 *           cgroup files with the same values (taken from liblve's own
 *           translation, olve_limits_translate) through directory fds. Like
 *           liblve (lazy cpuset, issue 12) it leaves a v1 hierarchy of cpuset
 *           alone (an LVE gets a group there only with a CPU mask); with
 *           --bare-cpuset it also makes lve<ID> there with its parent's
 *           cpus/mems (what liblve did before): its per-hierarchy column then
 *           shows the kernel's super-linear v1 cpuset cost.
 *
 * Both run in one process, one after the other, each in its own random
 * subtree "olbench-apply-XXXXXXXX/{bare,lib}" below this process's cgroup in
 * every hierarchy; everything (groups, state dir, ve.cfg) is removed at the
 * end, also after SIGINT/SIGTERM/SIGHUP (handled between steps).
 *
 *   bench-apply [--count=N] [--quick] [--bare-cpuset]   N LVEs (default 10000; --quick 1000)
 *
 * Without --count on a machine with less than 2 GiB of RAM (the test VM has
 * 480 MiB, where the kernel memory of 10,000 cgroups with every controller
 * ends in the OOM killer) the default is 5,000, said so on the first line.
 *
 * The cost curve: the time is taken at 1,000, 2,000, 5,000 and 10,000 LVEs
 * (those <= N) in both runs, and printed per checkpoint as the total and
 * the cost per LVE of the LVEs made since the previous checkpoint; for the
 * bare run also per hierarchy, which shows where a growing cost comes from
 * (the bare column has no library code at all: growth there is the
 * kernel's). The liblve run applies LVE after LVE with vecfg_apply_one(),
 * the per-LVE step of vecfg_apply_all(), to take the checkpoints; then
 * vecfg_apply_all() re-applies all N (the `lvectl apply all` of a running
 * server: every LVE exists) and its time is printed too. Linearity: the
 * average cost per LVE at each size (total / LVEs) and the ratio of the
 * per-LVE cost at the largest checkpoint to the one at 1,000 (1.00 =
 * linear), for both runs.
 *
 * Exit status: 0 done, 1 error, 2 usage, 77 cannot run here (not root, no
 * cgroup hierarchy). Times are reported, never asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "vecfg.h"

#include "bench-common.h"

static int barefd[BENCH_MAX_HIER];         /* <top>/bare per hierarchy */
static uint32_t hier_ctrls[BENCH_MAX_HIER]; /* bits of enum cg_ctrl served (ours only) */

static bool bare_cpuset; /* --bare-cpuset */

static bool cpuset_v1(int k)
{
	return bench_hier[k].version == 1 && (hier_ctrls[k] & (1u << CG_CTRL_CPUSET));
}

/* A v1 hierarchy of cpuset alone: liblve makes no LVE group there without a CPU mask. */
static bool cpuset_only(int k)
{
	return bench_hier[k].version == 1 && hier_ctrls[k] == (1u << CG_CTRL_CPUSET);
}

/* Make <own>/top (and bare) in every hierarchy with our controllers. */
static int setup_hiers(void)
{
	int r = bench_hiers_find();

	if (r <= 0)
		return r == 0 ? -ENODEV : r;
	for (int k = 0; k < bench_nhier; k++) {
		barefd[k] = -1;
		for (int c = 0; c < CG_CTRL_COUNT; c++)
			if (bench_hier_has(&bench_hier[k], cg_ctrl_name(c)))
				hier_ctrls[k] |= 1u << c;
	}
	r = bench_subtree_make("olbench-apply");
	if (r < 0)
		return r;
	return bench_subgroup_make("bare", true, barefd);
}

static void cleanup(void)
{
	for (int k = 0; k < bench_nhier; k++)
		if (barefd[k] >= 0)
			barefd[k] = safe_close(barefd[k]);
	bench_cleanup(false);
}

/* The limits of LVE i (varied a little so that values differ). */
static void lve_limits(uint32_t id, struct vecfg_limits *v)
{
	*v = (struct vecfg_limits){
	        .mask = VECFG_F_CPU | VECFG_F_PMEM | VECFG_F_NPROC | VECFG_F_IO | VECFG_F_IOPS |
	                VECFG_F_EP,
	        .cpu_unit = VECFG_CPU_SPEED,
	        .cpu = 5000 + (id % 100) * 100,
	        .pmem_pages = 65536 + id,
	        .nproc = 100 + id % 50,
	        .io = 1024 + id % 1024,
	        .iops = 1024,
	        .ep = 20,
	};
}

struct setting_fd {
	int hier;
	const struct olve_setting *s;
};

#define NCHECK 4
static const uint32_t checkpoint[NCHECK] = { 1000, 2000, 5000, 10000 };
static double t_bare_at[NCHECK], t_lib_at[NCHECK];
static double t_hier_at[NCHECK][BENCH_MAX_HIER]; /* bare: seconds spent in each hierarchy */

static int check_index(uint32_t id)
{
	for (int i = 0; i < NCHECK; i++)
		if (checkpoint[i] == id)
			return i;
	return -1;
}

/* The bare path: mkdirat + the same writes, through kept dirfds. */
static int run_bare(uint32_t n, const struct vecfg *cfg, int ncpus, const struct olve_dev *devs,
                    size_t ndevs, double *secs)
{
	struct olve_settings set[BENCH_MAX_HIER] = {0};
	double t0 = bench_now_s(), th[BENCH_MAX_HIER] = {0};
	char name[16], line[512];
	int r = 0;

	for (uint32_t id = 1; id <= n && !bench_stop; id++) {
		int ci = check_index(id);
		struct vecfg_limits v;
		struct olve_limits o;

		/* the values come from the same sources as in the liblve run (not timed separately:
		 * cheap) */
		vecfg_effective(cfg, id, NULL, &v);
		r = vecfg_to_olve(&v, 0, &o);
		if (r < 0)
			return r;
		snprintf(name, sizeof(name), "lve%" PRIu32, id);
		for (int k = 0; k < bench_nhier; k++) {
			_cleanup_close_ int dfd = -1;
			double tk;

			if (cpuset_only(k) && !bare_cpuset)
				continue;
			r = olve_limits_translate(&o, o.mask, bench_hier[k].version, ncpus, devs, ndevs,
			                          &set[k]);
			if (r < 0)
				return r;
			tk = bench_now_s();
			if (mkdirat(barefd[k], name, 0755) < 0)
				return -errno;
			dfd = openat(barefd[k], name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				return -errno;
			if (cpuset_v1(k)) {
				bench_copy_file_at(barefd[k], dfd, "cpuset.cpus");
				bench_copy_file_at(barefd[k], dfd, "cpuset.mems");
			}
			for (size_t i = 0; i < set[k].n; i++) {
				const struct olve_setting *s = &set[k].v[i];
				_cleanup_close_ int fd = -1;

				if (s->ctrl < 0 || !(hier_ctrls[k] & (1u << s->ctrl)))
					continue;
				fd = openat(dfd, s->file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
				if (fd < 0) {
					if (s->optional && errno == ENOENT)
						continue;
					return -errno;
				}
				for (const char *p = s->value; *p;) {
					const char *e = strchrnul(p, '\n');
					size_t l = (size_t)(e - p);

					if (l && l < sizeof(line)) {
						memcpy(line, p, l);
						if (write(fd, line, l) < 0 && !s->optional)
							return -errno;
					}
					p = *e ? e + 1 : e;
				}
			}
			th[k] += bench_now_s() - tk;
			olve_settings_free(&set[k]);
		}
		if (ci >= 0) {
			t_bare_at[ci] = bench_now_s() - t0;
			memcpy(t_hier_at[ci], th, sizeof(th));
		}
	}
	*secs = bench_now_s() - t0;
	return bench_stop ? -EINTR : 0;
}

static int scan_disks(struct olve_dev **devs)
{
	_cleanup_close_ int fd = open("/sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	return olve_disks_scan(fd, devs);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"count", required_argument, NULL, 'n'},
	        {"quick", no_argument, NULL, 'q'},
	        {"bare-cpuset", no_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct vecfg_apply_result res = {0};
	struct olve *h = NULL;
	uint32_t n = 10000;
	bool count_set = false;
	double t_bare = 0, t_lib = 0, t_all = 0, t0;
	int ch, r, ndevs, rc = 0;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	while ((ch = getopt_long(argc, argv, "n:qch", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			bare_cpuset = true;
			break;
		case 'n':
			if (ol_parse_u32(optarg, &n) < 0 || n == 0 || n > 1000000) {
				fprintf(stderr, "bench-apply: --count=%s: expected 1..1000000\n",
				        optarg);
				return 2;
			}
			count_set = true;
			break;
		case 'q':
			n = 1000;
			count_set = true;
			break;
		case 'h':
			printf("Usage: bench-apply [--count=N] [--quick] [--bare-cpuset]\n"
			       "Create N LVEs with limits through liblve (lvectl apply all) and "
			       "with bare\n"
			       "mkdirat + write on directory fds; print both times and their "
			       "ratio.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!count_set) {
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

		if (pages > 0 && psz > 0 && (double)pages * (double)psz < 2.0 * 1024 * 1024 * 1024) {
			n = 5000;
			printf("bench-apply: %.0f MiB of RAM: 5000 LVEs by default (the kernel memory of 10000 "
			       "cgroups does not fit)\n",
			       (double)pages * (double)psz / 1048576.0);
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-apply: needs root (skipped)\n");
		return BENCH_EXIT_SKIP;
	}
	bench_catch_signals(NULL);
	r = bench_tmpdir_make("olbench-apply");
	if (r < 0)
		return bench_die("cannot make a temporary directory: %s", strerror(-r));
	r = setup_hiers();
	if (r == -ENODEV) {
		cleanup();
		fprintf(stderr, "bench-apply: no cgroup hierarchy with cpu/memory/pids/io "
		                "controllers (skipped)\n");
		return BENCH_EXIT_SKIP;
	}
	if (r < 0) {
		cleanup();
		return bench_die("cannot create the benchmark groups: %s", strerror(-r));
	}
	r = bench_conf_write("lib");
	if (r < 0) {
		cleanup();
		return bench_die("cannot write the configuration: %s", strerror(-r));
	}
	ndevs = scan_disks(&devs);
	if (ndevs < 0)
		ndevs = 0;

	/* the ve.cfg `lvectl apply all` would read: N <lve> sections */
	r = vecfg_new(&cfg);
	for (uint32_t id = 1; r >= 0 && id <= n; id++) {
		struct vecfg_limits v;

		lve_limits(id, &v);
		r = vecfg_set(cfg, &(struct vecfg_key){.kind = VECFG_LVE, .id = id}, &v);
	}
	if (r < 0) {
		cleanup();
		return bench_die("cannot build the configuration: %s", strerror(-r));
	}

	printf("bench-apply: %" PRIu32 " LVEs, %d hierarchies, %d disks, %ld CPUs\n", n, bench_nhier, ndevs,
	       ncpus);
	fflush(stdout);

	/* bare first, removed before the liblve run so both start from the same state */
	r = run_bare(n, cfg, ncpus > 0 ? (int)ncpus : 1, devs, (size_t)ndevs, &t_bare);
	if (r < 0) {
		rc = bench_die("bare run failed: %s", strerror(-r));
		goto out;
	}
	for (int k = 0; k < bench_nhier; k++) {
		char name[16];

		for (uint32_t id = 1; id <= n; id++) {
			snprintf(name, sizeof(name), "lve%" PRIu32, id);
			(void)unlinkat(barefd[k], name, AT_REMOVEDIR);
		}
	}
	if (bench_stop)
		goto out;

	t0 = bench_now_s();
	r = olve_open(&h, 0);
	for (uint32_t id = 1; r >= 0 && id <= n && !bench_stop; id++) {
		int ci = check_index(id);

		r = vecfg_apply_one(h, cfg, id, NULL, 0);
		if (r < 0) {
			res.failed_id = id;
			res.failed_err = r;
		}
		if (ci >= 0)
			t_lib_at[ci] = bench_now_s() - t0;
	}
	t_lib = bench_now_s() - t0;
	if (r >= 0 && !bench_stop) {
		double ta = bench_now_s();

		r = vecfg_apply_all(h, cfg, NULL, 0, &res);
		t_all = bench_now_s() - ta;
	}
	if (r < 0) {
		rc = bench_die("liblve run failed (LVE %" PRIu32 ": %s; %zu ok, %zu failed): %s",
		         res.failed_id, strerror(-res.failed_err), res.n_ok, res.n_failed,
		         strerror(-r));
		goto out;
	}
	if (res.n_ok != n) {
		rc = bench_die("liblve applied %zu LVEs, expected %" PRIu32, res.n_ok, n);
		goto out;
	}

	printf("%-8s %10s %14s\n", "path", "total s", "per LVE us");
	printf("%-8s %10.3f %14.1f\n", "bare", t_bare, t_bare * 1e6 / n);
	printf("%-8s %10.3f %14.1f\n", "liblve", t_lib, t_lib * 1e6 / n);
	printf("ratio liblve/bare: %.2f\n", t_bare > 0 ? t_lib / t_bare : 0.0);
	printf("apply all again (all %" PRIu32 " exist): %.3f s, %.1f us per LVE\n", n, t_all, t_all * 1e6 / n);

	/* the curve: cost per LVE of the LVEs made since the previous checkpoint */
	printf("\ncost curve (us per LVE made since the previous checkpoint)\n%7s %10s %10s %10s %10s %7s", "LVEs",
	       "bare s", "bare us", "liblve s", "liblve us", "ratio");
	for (int k = 0; k < bench_nhier; k++)
		printf(" %9.9s", bench_hier[k].ctrls);
	printf("\n");
	for (int i = 0; i < NCHECK && checkpoint[i] <= n; i++) {
		uint32_t prev = i ? checkpoint[i - 1] : 0, cnt = checkpoint[i] - prev;
		double db = t_bare_at[i] - (i ? t_bare_at[i - 1] : 0), dl = t_lib_at[i] - (i ? t_lib_at[i - 1] : 0);

		printf("%7" PRIu32 " %10.3f %10.1f %10.3f %10.1f %7.2f", checkpoint[i], t_bare_at[i], db * 1e6 / cnt,
		       t_lib_at[i], dl * 1e6 / cnt, db > 0 ? dl / db : 0.0);
		for (int k = 0; k < bench_nhier; k++)
			printf(" %9.1f", (t_hier_at[i][k] - (i ? t_hier_at[i - 1][k] : 0)) * 1e6 / cnt);
		printf("\n");
	}
	printf("(per-hierarchy columns: bare mkdirat + writes, us per LVE%s)\n",
	       bare_cpuset ? "; bare includes the v1 cpuset groups liblve does not make" : "");

	/* linearity: average per LVE at each size, and the largest size against 1,000 */
	printf("\naverage cost per LVE at each size (total / LVEs)\n%7s %10s %10s\n", "LVEs", "bare us", "liblve us");
	for (int i = 0; i < NCHECK && checkpoint[i] <= n; i++)
		printf("%7" PRIu32 " %10.1f %10.1f\n", checkpoint[i], t_bare_at[i] * 1e6 / checkpoint[i],
		       t_lib_at[i] * 1e6 / checkpoint[i]);
	{
		int last = -1;

		for (int i = 0; i < NCHECK && checkpoint[i] <= n; i++)
			last = i;
		if (last > 0 && t_bare_at[0] > 0 && t_lib_at[0] > 0) {
			uint32_t prev = checkpoint[last - 1], cnt = checkpoint[last] - prev;
			double lb = (t_bare_at[last] - t_bare_at[last - 1]) / cnt, fb = t_bare_at[0] / checkpoint[0];
			double ll = (t_lib_at[last] - t_lib_at[last - 1]) / cnt, fl = t_lib_at[0] / checkpoint[0];

			printf("linearity %" PRIu32 "/%" PRIu32 " (per-LVE cost of the LVEs %" PRIu32 "..%" PRIu32
			       " / of the first %" PRIu32 "; 1.00 = linear): bare %.2f, liblve %.2f\n",
			       checkpoint[last], checkpoint[0], prev + 1, checkpoint[last], checkpoint[0], lb / fb,
			       ll / fl);
			printf("linearity of the average (total/N at %" PRIu32 " / at %" PRIu32 "): bare %.2f, liblve %.2f\n",
			       checkpoint[last], checkpoint[0], t_bare_at[last] / checkpoint[last] / fb,
			       t_lib_at[last] / checkpoint[last] / fl);
		}
	}
out:
	if (h)
		olve_close(h);
	cleanup();
	return rc;
}
