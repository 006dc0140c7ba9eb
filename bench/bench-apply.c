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
 *           translation, olve_limits_translate) through directory fds; v1
 *           cpuset directories get their parent's cpus/mems, as liblve does.
 *
 * Both run in one process, one after the other, each in its own random
 * subtree "olbench-apply-XXXXXXXX/{bare,lib}" below this process's cgroup in
 * every hierarchy; everything (groups, state dir, ve.cfg) is removed at the
 * end, also after SIGINT/SIGTERM/SIGHUP (handled between steps).
 *
 *   bench-apply [--count=N] [--quick]      N LVEs (default 10000; --quick 1000)
 *
 * Exit status: 0 done, 1 error, 2 usage, 77 cannot run here (not root, no
 * cgroup hierarchy). Times are reported, never asserted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "vecfg.h"

#define EXIT_SKIP 77
#define MAX_H     8

struct hier {
	char mount[256];
	int version;
	uint32_t ctrls;     /* bits of enum cg_ctrl served (ours only) */
	char own[PATH_MAX]; /* this process's cgroup, no leading '/' ("" = root) */
	int topfd;          /* <mount>/<own>/olbench-apply-XXXX */
	int barefd;         /* .../bare */
	bool cpuset_v1;
};

static struct hier H[MAX_H];
static int nh;
static char top[40];
static char tmpdir[64];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-apply: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const int our_ctrls[] = {CG_CTRL_CPU,   CG_CTRL_CPUACCT, CG_CTRL_CPUSET, CG_CTRL_MEMORY,
                                CG_CTRL_BLKIO, CG_CTRL_IO,      CG_CTRL_PIDS};

/* This process's cgroup in the hierarchy serving ctrl (v1) or the unified one. */
static int own_cgroup(int version, const char *ctrl, char *out, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		bool match = false;

		if (!c2)
			continue;
		*c2 = 0;
		if (version == 2) {
			match = c2 == c1 + 1;
		} else {
			char *save = NULL;

			for (char *t = strtok_r(c1 + 1, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				if (!strcmp(t, ctrl))
					match = true;
		}
		if (match) {
			char *p = c2 + 1;

			p[strcspn(p, "\n")] = 0;
			snprintf(out, size, "%s", p + strspn(p, "/"));
			return 0;
		}
	}
	return -ENOENT;
}

static int copy_file_at(int from, int to, const char *name)
{
	char buf[4096];
	int r = ol_read_at(from, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	ol_strip(buf);
	if (!buf[0])
		return 0;
	return ol_write_at(to, name, buf);
}

/* Make <own>/top (and bare) in every hierarchy with our controllers. */
static int setup_hiers(void)
{
	struct cg_sys *sys;
	uint8_t rnd[4];
	int r;

	if (cgroup_init() != 0)
		return -ENODEV;
	sys = cg_sys_get();
	if (!sys)
		return -ENODEV;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	snprintf(top, sizeof(top), "olbench-apply-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	         rnd[3]);
	for (size_t i = 0; i < ELEMENTSOF(our_ctrls); i++) {
		int c = our_ctrls[i], m = sys->ctrl_mount[c], k;
		const struct cg_mount *mt;

		if (m < 0)
			continue;
		mt = &sys->mounts[m];
		for (k = 0; k < nh; k++)
			if (!strcmp(H[k].mount, mt->path))
				break;
		if (k == nh) {
			if (nh == MAX_H)
				return -E2BIG;
			snprintf(H[k].mount, sizeof(H[k].mount), "%s", mt->path);
			H[k].version = mt->version == CGROUP_V2 ? 2 : 1;
			H[k].topfd = H[k].barefd = -1;
			r = own_cgroup(H[k].version, cg_ctrl_name(c), H[k].own, sizeof(H[k].own));
			if (r < 0)
				return r;
			nh++;
		}
		H[k].ctrls |= 1u << c;
		if (c == CG_CTRL_CPUSET && H[k].version == 1)
			H[k].cpuset_v1 = true;
	}
	if (nh == 0)
		return -ENODEV;
	for (int k = 0; k < nh; k++) {
		char path[sizeof(H[0].mount) + sizeof(H[0].own) + 2];
		_cleanup_close_ int ownfd = -1;

		snprintf(path, sizeof(path), "%.255s/%.4095s", H[k].mount, H[k].own);
		ownfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ownfd < 0)
			return -errno;
		if (mkdirat(ownfd, top, 0755) < 0)
			return -errno;
		H[k].topfd = openat(ownfd, top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (H[k].topfd < 0)
			return -errno;
		if (H[k].cpuset_v1) {
			copy_file_at(ownfd, H[k].topfd, "cpuset.cpus");
			copy_file_at(ownfd, H[k].topfd, "cpuset.mems");
		}
		if (H[k].version == 2)
			(void)ol_write_at(H[k].topfd, "cgroup.subtree_control",
			                  "+cpu +io +memory +pids");
		if (mkdirat(H[k].topfd, "bare", 0755) < 0)
			return -errno;
		H[k].barefd = openat(H[k].topfd, "bare", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (H[k].barefd < 0)
			return -errno;
		if (H[k].cpuset_v1) {
			copy_file_at(H[k].topfd, H[k].barefd, "cpuset.cpus");
			copy_file_at(H[k].topfd, H[k].barefd, "cpuset.mems");
		}
		if (H[k].version == 2)
			(void)ol_write_at(H[k].barefd, "cgroup.subtree_control",
			                  "+cpu +io +memory +pids");
	}
	return 0;
}

/* Remove every directory below dirfd/name depth-first, then name itself. */
static void rmtree_at(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rmtree_at(dirfd(d), de->d_name);
	closedir(d);
	(void)unlinkat(pfd, name, AT_REMOVEDIR);
}

static void cleanup(void)
{
	char cmd[128];

	for (int k = 0; k < nh; k++) {
		char path[sizeof(H[0].mount) + sizeof(H[0].own) + 2];
		int ownfd;

		if (H[k].barefd >= 0)
			close(H[k].barefd);
		if (H[k].topfd >= 0)
			close(H[k].topfd);
		H[k].barefd = H[k].topfd = -1;
		snprintf(path, sizeof(path), "%.255s/%.4095s", H[k].mount, H[k].own);
		ownfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ownfd >= 0) {
			rmtree_at(ownfd, top);
			close(ownfd);
		}
	}
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		(void)!system(cmd);
		tmpdir[0] = 0;
	}
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

/* The bare path: mkdirat + the same writes, through kept dirfds. */
static int run_bare(uint32_t n, const struct vecfg *cfg, int ncpus, const struct olve_dev *devs,
                    size_t ndevs, double *secs)
{
	struct olve_settings set[MAX_H] = {0};
	double t0 = now_s();
	char name[16], line[512];
	int r = 0;

	for (uint32_t id = 1; id <= n && !stop; id++) {
		struct vecfg_limits v;
		struct olve_limits o;

		/* the values come from the same sources as in the liblve run (not timed separately:
		 * cheap) */
		vecfg_effective(cfg, id, NULL, &v);
		r = vecfg_to_olve(&v, 0, &o);
		if (r < 0)
			return r;
		snprintf(name, sizeof(name), "lve%" PRIu32, id);
		for (int k = 0; k < nh; k++) {
			_cleanup_close_ int dfd = -1;

			r = olve_limits_translate(&o, o.mask, H[k].version, ncpus, devs, ndevs,
			                          &set[k]);
			if (r < 0)
				return r;
			if (mkdirat(H[k].barefd, name, 0755) < 0)
				return -errno;
			dfd = openat(H[k].barefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				return -errno;
			if (H[k].cpuset_v1) {
				copy_file_at(H[k].barefd, dfd, "cpuset.cpus");
				copy_file_at(H[k].barefd, dfd, "cpuset.mems");
			}
			for (size_t i = 0; i < set[k].n; i++) {
				const struct olve_setting *s = &set[k].v[i];
				_cleanup_close_ int fd = -1;

				if (s->ctrl < 0 || !(H[k].ctrls & (1u << s->ctrl)))
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
			olve_settings_free(&set[k]);
		}
	}
	*secs = now_s() - t0;
	return stop ? -EINTR : 0;
}

static int write_conf(void)
{
	char buf[8192], path[128];
	size_t len = 0;
	FILE *f;

	for (int k = 0; k < nh; k++)
		for (size_t i = 0; i < ELEMENTSOF(our_ctrls); i++) {
			int c = our_ctrls[i];

			if (!(H[k].ctrls & (1u << c)))
				continue;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			                        "cgroup_root.%s = %s%s%s/lib\n", cg_ctrl_name(c),
			                        H[k].own, H[k].own[0] ? "/" : "", top);
			if (len >= sizeof(buf))
				return -E2BIG;
		}
	len += (size_t)snprintf(
	        buf + len, sizeof(buf) - len,
	        "state_dir = %s/state\nve_cfg = %s/ve.cfg\nsysconfig = %s/cloudlinux\n"
	        "info_file = %s/info\nlist_file = %s/list\n",
	        tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	if (len >= sizeof(buf))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/openlve.conf", tmpdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(buf, f);
	if (fclose(f) != 0)
		return -EIO;
	setenv("OPENLVE_CONF", path, 1);
	return 0;
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
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_vecfg_ struct vecfg *cfg = NULL;
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct vecfg_apply_result res = {0};
	struct olve *h = NULL;
	uint32_t n = 10000;
	double t_bare = 0, t_lib = 0, t0;
	int ch, r, ndevs, rc = 0;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	while ((ch = getopt_long(argc, argv, "n:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (ol_parse_u32(optarg, &n) < 0 || n == 0 || n > 1000000) {
				fprintf(stderr, "bench-apply: --count=%s: expected 1..1000000\n",
				        optarg);
				return 2;
			}
			break;
		case 'q':
			n = 1000;
			break;
		case 'h':
			printf("Usage: bench-apply [--count=N] [--quick]\n"
			       "Create N LVEs with limits through liblve (lvectl apply all) and "
			       "with bare\n"
			       "mkdirat + write on directory fds; print both times and their "
			       "ratio.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-apply: needs root (skipped)\n");
		return EXIT_SKIP;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/olbench-apply-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		return die("cannot make a temporary directory: %s", strerror(errno));
	}
	r = setup_hiers();
	if (r == -ENODEV) {
		cleanup();
		fprintf(stderr, "bench-apply: no cgroup hierarchy with cpu/memory/pids/io "
		                "controllers (skipped)\n");
		return EXIT_SKIP;
	}
	if (r < 0) {
		cleanup();
		return die("cannot create the benchmark groups: %s", strerror(-r));
	}
	r = write_conf();
	if (r < 0) {
		cleanup();
		return die("cannot write the configuration: %s", strerror(-r));
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
		return die("cannot build the configuration: %s", strerror(-r));
	}

	printf("bench-apply: %" PRIu32 " LVEs, %d hierarchies, %d disks, %ld CPUs\n", n, nh, ndevs,
	       ncpus);
	fflush(stdout);

	/* bare first, removed before the liblve run so both start from the same state */
	r = run_bare(n, cfg, ncpus > 0 ? (int)ncpus : 1, devs, (size_t)ndevs, &t_bare);
	if (r < 0) {
		rc = die("bare run failed: %s", strerror(-r));
		goto out;
	}
	for (int k = 0; k < nh; k++) {
		char name[16];

		for (uint32_t id = 1; id <= n; id++) {
			snprintf(name, sizeof(name), "lve%" PRIu32, id);
			(void)unlinkat(H[k].barefd, name, AT_REMOVEDIR);
		}
	}
	if (stop)
		goto out;

	t0 = now_s();
	r = olve_open(&h, 0);
	if (r >= 0)
		r = vecfg_apply_all(h, cfg, NULL, 0, &res);
	t_lib = now_s() - t0;
	if (r < 0) {
		rc = die("liblve run failed (LVE %" PRIu32 ": %s; %zu ok, %zu failed): %s",
		         res.failed_id, strerror(-res.failed_err), res.n_ok, res.n_failed,
		         strerror(-r));
		goto out;
	}
	if (res.n_ok != n) {
		rc = die("liblve applied %zu LVEs, expected %" PRIu32, res.n_ok, n);
		goto out;
	}

	printf("%-8s %10s %14s\n", "path", "total s", "per LVE us");
	printf("%-8s %10.3f %14.1f\n", "bare", t_bare, t_bare * 1e6 / n);
	printf("%-8s %10.3f %14.1f\n", "liblve", t_lib, t_lib * 1e6 / n);
	printf("ratio liblve/bare: %.2f\n", t_bare > 0 ? t_lib / t_bare : 0.0);
out:
	if (h)
		olve_close(h);
	cleanup();
	return rc;
}
