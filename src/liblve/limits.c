/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limits.c - LVE limits as cgroup settings: the pure translation (v2
 * meaning; v1 through cg_convert_controller, the one place for it), the
 * disk scan for io.max, olve_apply, olve_get_limits (read back from the
 * kernel, so what is reported is what is enforced) and olve_usage.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#define CPU_PERIOD_US 100000ULL
#define CPU_QUOTA_MIN_US 1000ULL        /* the kernel's minimum quota (1 ms) */
#define PIDS_MAX_LIMIT 4194304u         /* PID_MAX_LIMIT: pids.max accepts up to this */
#define MEM_UNLIMITED_V1 0x7FFFFFFFFFFFF000ULL /* v1 prints PAGE_COUNTER_MAX pages like this */
#define PAGE_BYTES 4096ULL

#define F_CPUMAX (OLVE_L_SPEED | OLVE_L_CPU | OLVE_L_NCPU)
#define F_IO (OLVE_L_IO | OLVE_L_IOPS)

_public_ void olve_limits_default(struct olve_limits *out)
{
	if (!out)
		return;
	*out = (struct olve_limits){
		/* CPU (old) and NCPU are not set by default: SPEED rules */
		.mask = OLVE_L_ALL & ~(OLVE_L_CPU | OLVE_L_NCPU),
		.speed = 10000,              /* SPEED 100% = one core */
		.pmem = 1024ULL << 20,       /* 1024 MB */
		.vmem = 0,                   /* off */
		.io = 1024,                  /* KB/s */
		.iops = 1024,
		.ep = 20,
		.nproc = 100,
		.cpu_weight = 0,             /* default (100) */
	};
}

/* ------------------------------------------------------------ settings */

void olve_settings_free(struct olve_settings *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].value);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int settings_add(struct olve_settings *s, int ctrl, const char *file, const char *value, bool optional,
			uint32_t fields)
{
	struct olve_setting *nv;
	char *f, *v;

	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	f = strdup(file);
	v = strdup(value);
	if (!f || !v) {
		free(f);
		free(v);
		return -ENOMEM;
	}
	s->v[s->n++] = (struct olve_setting){ .ctrl = ctrl, .file = f, .value = v, .optional = optional, .fields = fields };
	return 0;
}

/* "cpu.cfs_quota_us" -> CG_CTRL_CPU: the controller is the prefix of the file name. */
static int ctrl_of_file(const char *file)
{
	char pre[32];
	const char *dot = strchr(file, '.');
	size_t n;

	if (!dot)
		return -EINVAL;
	n = (size_t)(dot - file);
	if (n == 0 || n >= sizeof(pre))
		return -EINVAL;
	memcpy(pre, file, n);
	pre[n] = 0;
	return cg_ctrl_lookup(pre) < 0 ? -EINVAL : cg_ctrl_lookup(pre);
}

int olve_limits_check(const struct olve_limits *lim)
{
	uint32_t m;

	if (!lim)
		return -EINVAL;
	m = lim->mask;
	if (m & ~(uint32_t)OLVE_L_ALL)
		return -EINVAL;
	if ((m & OLVE_L_CPU) && lim->cpu_pct > 100)
		return -EINVAL;
	if ((m & OLVE_L_WEIGHT) && lim->cpu_weight > 10000)
		return -EINVAL;
	/* below one page the kernel would enforce 0 bytes, which reads back as "unlimited" */
	if ((m & OLVE_L_PMEM) && lim->pmem && (lim->pmem < PAGE_BYTES || lim->pmem > (uint64_t)INT64_MAX))
		return -EINVAL;
	if ((m & OLVE_L_VMEM) && lim->vmem && (lim->vmem < PAGE_BYTES || lim->vmem > (uint64_t)INT64_MAX))
		return -EINVAL;
	if ((m & OLVE_L_NPROC) && lim->nproc > PIDS_MAX_LIMIT)
		return -EINVAL;
	return 0;
}

/* Effective CPU limit in hundredths of a percent of one core; 0 = unlimited. */
static uint64_t cpu_effective(const struct olve_limits *lim, int ncpus)
{
	uint64_t eff = 0;

	if (lim->speed)
		eff = lim->speed;
	if (lim->cpu_pct) {
		uint64_t v = (uint64_t)lim->cpu_pct * (uint64_t)ncpus * 100u;
		if (!eff || v < eff)
			eff = v;
	}
	if (lim->ncpu) {
		uint64_t v = (uint64_t)lim->ncpu * 10000u;
		if (!eff || v < eff)
			eff = v;
	}
	return eff;
}

static void fmt_max(char *buf, size_t size, uint64_t v)
{
	if (v)
		snprintf(buf, size, "%" PRIu64, v);
	else
		snprintf(buf, size, "max");
}

/* The v2 settings (ctrl, file, value) for `fields`. */
static int translate_v2(const struct olve_limits *lim, uint32_t fields, int ncpus, const struct olve_dev *devs,
			size_t n_devs, struct olve_settings *out)
{
	char buf[128];
	int r;

	if (fields & F_CPUMAX) {
		uint64_t eff = cpu_effective(lim, ncpus);

		if (eff) {
			uint64_t q = eff * 10; /* 10000 = one core = 100000 us per 100000 us */
			if (q < CPU_QUOTA_MIN_US)
				q = CPU_QUOTA_MIN_US;
			snprintf(buf, sizeof(buf), "%" PRIu64 " %llu", q, CPU_PERIOD_US);
		} else
			snprintf(buf, sizeof(buf), "max %llu", CPU_PERIOD_US);
		r = settings_add(out, CG_CTRL_CPU, "cpu.max", buf, false, F_CPUMAX);
		if (r < 0)
			return r;
	}
	if (fields & OLVE_L_WEIGHT) {
		snprintf(buf, sizeof(buf), "%" PRIu32, lim->cpu_weight ? lim->cpu_weight : 100);
		r = settings_add(out, CG_CTRL_CPU, "cpu.weight", buf, false, OLVE_L_WEIGHT);
		if (r < 0)
			return r;
	}
	if (fields & OLVE_L_PMEM) {
		fmt_max(buf, sizeof(buf), lim->pmem);
		r = settings_add(out, CG_CTRL_MEMORY, "memory.max", buf, false, OLVE_L_PMEM);
		if (r < 0)
			return r;
		/* PMEM caps RAM + swap: no swapping around the limit (absent without swap accounting) */
		r = settings_add(out, CG_CTRL_MEMORY, "memory.swap.max", lim->pmem ? "0" : "max", true, OLVE_L_PMEM);
		if (r < 0)
			return r;
	}
	if (fields & OLVE_L_NPROC) {
		fmt_max(buf, sizeof(buf), lim->nproc);
		r = settings_add(out, CG_CTRL_PIDS, "pids.max", buf, false, OLVE_L_NPROC);
		if (r < 0)
			return r;
	}
	if ((fields & F_IO) && n_devs > 0) {
		char bps[32], iops[32];
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		fmt_max(bps, sizeof(bps), (uint64_t)lim->io * 1024u);
		fmt_max(iops, sizeof(iops), lim->iops);
		text = malloc(n_devs * 128 + 1);
		if (!text)
			return -ENOMEM;
		for (size_t i = 0; i < n_devs; i++)
			len += (size_t)snprintf(text + len, 128, "%s%" PRIu32 ":%" PRIu32 " rbps=%s wbps=%s riops=%s wiops=%s",
						i ? "\n" : "", devs[i].major, devs[i].minor, bps, bps, iops, iops);
		r = settings_add(out, CG_CTRL_IO, "io.max", text, false, F_IO);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Convert the v2 settings in[idx[0..n)] (one controller) with convert.c; names into *out. */
static int convert_group(const struct olve_settings *in, const size_t *idx, size_t n, enum cg_version_t to,
			 struct cgroup_controller *res)
{
	struct cgroup_controller c = { 0 };
	int ctrl = in->v[idx[0]].ctrl;
	int r = 0;

	c.name = (char *)cg_ctrl_name(ctrl);
	res->name = (char *)cg_ctrl_name(ctrl == CG_CTRL_IO ? CG_CTRL_BLKIO : ctrl);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = cg_controller_put(&c, in->v[idx[i]].file, in->v[idx[i]].value, true);
	if (r >= 0)
		r = cg_convert_controller(res, &c, to);
	cg_controller_clear(&c);
	return r;
}

/*
 * v2 -> v1 through convert.c, the one place for it. Settings enforcing the
 * same fields are converted together (memory.max + memory.swap.max give
 * memory.limit_in_bytes + memory.memsw.limit_in_bytes). A v1 file that
 * only the optional inputs produce is optional too.
 */
static int convert_settings_v1(const struct olve_settings *v2, struct olve_settings *out)
{
	bool done[64] = { false };
	int r = 0;

	if (v2->n > ELEMENTSOF(done))
		return -E2BIG;
	for (size_t i = 0; i < v2->n && r >= 0; i++) {
		struct cgroup_controller all = { 0 }, must = { 0 };
		size_t idx[64], midx[64], n = 0, nm = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < v2->n; j++)
			if (!done[j] && v2->v[j].fields == v2->v[i].fields && v2->v[j].ctrl == v2->v[i].ctrl) {
				done[j] = true;
				idx[n++] = j;
				if (!v2->v[j].optional)
					midx[nm++] = j;
			}
		r = convert_group(v2, idx, n, CGROUP_V1, &all);
		if (r >= 0 && nm > 0 && nm < n)
			r = convert_group(v2, midx, nm, CGROUP_V1, &must);
		for (int k = 0; r >= 0 && k < all.n_values; k++) {
			const char *name = all.values[k].name;
			bool optional = nm == 0;
			int c = ctrl_of_file(name);

			if (nm > 0 && nm < n) {
				optional = true;
				for (int m = 0; m < must.n_values; m++)
					if (!strcmp(must.values[m].name, name))
						optional = false;
			}
			if (c < 0)
				r = -EINVAL;
			else
				r = settings_add(out, c, name, all.values[k].value, optional, v2->v[i].fields);
		}
		cg_controller_clear(&all);
		cg_controller_clear(&must);
	}
	return r;
}

int olve_limits_translate(const struct olve_limits *lim, uint32_t fields, int version, int ncpus,
			  const struct olve_dev *devs, size_t n_devs, struct olve_settings *out)
{
	struct olve_settings v2 = { 0 }, res = { 0 };
	struct olve_limits chk;
	int r;

	if (!lim || !out || (version != 1 && version != 2) || ncpus < 1 || (n_devs && !devs) ||
	    (fields & ~(uint32_t)OLVE_L_ALL))
		return -EINVAL;
	chk = *lim;
	chk.mask = fields;
	r = olve_limits_check(&chk);
	if (r < 0)
		return r;
	r = translate_v2(lim, fields, ncpus, devs, n_devs, &v2);
	if (r < 0)
		goto fail;
	if (version == 2) {
		*out = v2;
		return 0;
	}
	r = convert_settings_v1(&v2, &res);
	if (r < 0)
		goto fail;
	olve_settings_free(&v2);
	*out = res;
	return 0;
fail:
	olve_settings_free(&v2);
	olve_settings_free(&res);
	return r;
}

/* ------------------------------------------------------------ read back */

static int parse_u64_or_max(const char *s, uint64_t *v)
{
	if (!strcmp(s, "max")) {
		*v = 0;
		return 0;
	}
	return ol_parse_u64(s, v);
}

/* Strict "MAJ:MIN" (decimal, no sign or blanks) at the start of s; returns the length used or -EINVAL. */
static int parse_devnum(const char *s, uint32_t *maj, uint32_t *min)
{
	uint64_t v[2] = { 0, 0 };
	const char *p = s;

	for (int k = 0; k < 2; k++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (uint64_t)(*p - '0');
			if (v[k] > UINT32_MAX)
				return -EINVAL;
			p++;
		}
		if (p == start || p - start > 10)
			return -EINVAL;
		if (k == 0) {
			if (*p != ':')
				return -EINVAL;
			p++;
		}
	}
	*maj = (uint32_t)v[0];
	*min = (uint32_t)v[1];
	return (int)(p - s);
}

static bool dev_listed(const struct olve_dev *devs, size_t n, uint32_t maj, uint32_t min)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i].major == maj && devs[i].minor == min)
			return true;
	return false;
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* One io.max line "MAJ:MIN rbps=.. wbps=.. riops=.. wiops=..". 1 if it is for a listed disk. */
static int parse_io_line(char *line, const struct olve_dev *devs, size_t n_devs, struct olve_limits *out)
{
	char *save = NULL, *tok = strtok_r(line, " \t", &save);
	uint32_t maj, min;
	int pos;
	uint64_t rbps = 0, riops = 0;

	if (!tok)
		return 0; /* blank line */
	pos = parse_devnum(tok, &maj, &min);
	if (pos < 0 || tok[pos] != 0)
		return -EINVAL;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		uint64_t v;

		if (!eq)
			return -EINVAL;
		*eq = 0;
		if (parse_u64_or_max(eq + 1, &v) < 0)
			return -EINVAL;
		if (!strcmp(tok, "rbps"))
			rbps = v;
		else if (!strcmp(tok, "riops"))
			riops = v;
		else if (strcmp(tok, "wbps") && strcmp(tok, "wiops"))
			return -EINVAL;
	}
	if (!dev_listed(devs, n_devs, maj, min))
		return 0;
	/* round up: a limit below 1 KB/s must not read as "unlimited" */
	out->io = clamp_u32(rbps / 1024 + (rbps % 1024 ? 1 : 0));
	out->iops = clamp_u32(riops);
	return 1;
}

int olve_limits_from_v2(const char *file, const char *value, const struct olve_dev *devs, size_t n_devs,
			struct olve_limits *out)
{
	_cleanup_free_ char *v = NULL;
	uint64_t n;
	int r;

	if (!file || !value || !out || (n_devs && !devs))
		return -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	ol_strip(v);

	if (!strcmp(file, "cpu.max")) {
		char q[32], extra;
		unsigned long long period;
		uint64_t quota;

		if (sscanf(v, "%31s %llu %c", q, &period, &extra) != 2 || period == 0)
			return -EINVAL;
		if (parse_u64_or_max(q, &quota) < 0)
			return -EINVAL;
		if (quota > UINT64_MAX / 10000)
			return -EINVAL;
		out->speed = clamp_u32(quota * 10000 / period);
		if (quota && !out->speed)
			out->speed = 1;
		out->mask |= OLVE_L_SPEED;
		return 0;
	}
	if (!strcmp(file, "cpu.weight")) {
		if (ol_parse_u64(v, &n) < 0 || n < 1 || n > 10000)
			return -EINVAL;
		out->cpu_weight = (uint32_t)n;
		out->mask |= OLVE_L_WEIGHT;
		return 0;
	}
	if (!strcmp(file, "memory.max")) {
		if (parse_u64_or_max(v, &n) < 0)
			return -EINVAL;
		out->pmem = n >= MEM_UNLIMITED_V1 ? 0 : n;
		out->mask |= OLVE_L_PMEM;
		return 0;
	}
	if (!strcmp(file, "pids.max")) {
		if (parse_u64_or_max(v, &n) < 0)
			return -EINVAL;
		out->nproc = clamp_u32(n);
		out->mask |= OLVE_L_NPROC;
		return 0;
	}
	if (!strcmp(file, "io.max")) {
		struct olve_limits t = *out;
		char *save = NULL;

		t.io = t.iops = 0;
		for (char *line = strtok_r(v, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			struct olve_limits one = t;

			r = parse_io_line(line, devs, n_devs, &one);
			if (r < 0)
				return r;
			if (r > 0) {
				t = one;
				break; /* every disk gets the same line */
			}
		}
		t.mask |= F_IO;
		*out = t;
		return 0;
	}
	if (!strcmp(file, "memory.swap.max"))
		return 0; /* part of PMEM, not reported on its own */
	return -EINVAL;
}

/* ---------------------------------------------------------------- disks */

static int cmp_dev(const void *a, const void *b)
{
	const struct olve_dev *x = a, *y = b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

static bool virtual_disk_name(const char *n)
{
	static const char *const pre[] = { "loop", "ram", "zram", "dm-", "md", "nbd" };

	for (size_t i = 0; i < ELEMENTSOF(pre); i++)
		if (!strncmp(n, pre[i], strlen(pre[i])))
			return true;
	return false;
}

int olve_disks_scan(int sysblockfd, struct olve_dev **devs)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ struct olve_dev *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r;

	if (!devs)
		return -EINVAL;
	r = ol_opendir_at(sysblockfd, ".", &d);
	if (r < 0)
		return r;
	while ((errno = 0, de = readdir(d))) {
		char path[NAME_MAX + 16], buf[64];
		uint32_t maj, min;
		int pos;
		struct stat st;

		if (de->d_name[0] == '.' || virtual_disk_name(de->d_name))
			continue;
		/* a real disk has its hardware behind "device" */
		snprintf(path, sizeof(path), "%s/device", de->d_name);
		if (fstatat(dirfd(d), path, &st, 0) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/dev", de->d_name);
		{
			_cleanup_close_ int dfd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
			if (dfd < 0 || ol_pread_all(dfd, buf, sizeof(buf)) < 0)
				continue;
		}
		ol_strip(buf);
		pos = parse_devnum(buf, &maj, &min);
		if (pos < 0 || buf[pos] != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct olve_dev *nv;

			if (ncap > 65536)
				return -E2BIG;
			nv = realloc(v, ncap * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			v = nv;
			cap = ncap;
		}
		v[n].major = maj;
		v[n].minor = min;
		n++;
	}
	if (errno)
		return -errno;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_dev);
	*devs = TAKE_PTR(v);
	return (int)n;
}

static int scan_host_disks(struct olve_dev **devs)
{
	_cleanup_close_ int fd = open("/sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		*devs = NULL;
		return 0; /* no sysfs: nothing to throttle */
	}
	return olve_disks_scan(fd, devs);
}

/* --------------------------------------------------------------- kernel */

static int write_setting_raw(int dirfd, const struct olve_setting *s);

static long long quota_at(int dirfd, const char *file)
{
	char buf[64];

	if (ol_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return LLONG_MIN;
	return strtoll(buf, NULL, 10);
}

/*
 * [issue 10] cgroup v1 refuses a CFS quota above the parent's (v2 takes the
 * minimum by itself): a reseller's customer may have a higher SPEED than its
 * reseller (CloudLinux: the reseller's cap still holds), and a reseller's cap
 * may be lowered below its customers'. On EINVAL: customers (lve* children)
 * above the new value are lowered to it, and a value above the parent's is
 * written as the parent's. The kernel's effective cap is the same: the minimum.
 */
static int v1_quota_fit(int dirfd, const struct olve_setting *s)
{
	long long want = strtoll(s->value, NULL, 10), parent;
	struct olve_setting fit = *s;
	char val[32];
	int r;

	if (want > 0) {
		_cleanup_closedir_ DIR *d = NULL;
		struct dirent *de;

		(void)ol_opendir_at(dirfd, ".", &d);
		while (d && (de = readdir(d))) {
			int cfd;
			long long q;

			if (strncmp(de->d_name, "lve", 3) || de->d_name[3] < '1' || de->d_name[3] > '9')
				continue;
			cfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (cfd < 0)
				continue;
			q = quota_at(cfd, "cpu.cfs_quota_us");
			if (q != LLONG_MIN && (q < 0 || q > want)) {
				snprintf(val, sizeof(val), "%lld", want);
				fit.value = val;
				(void)write_setting_raw(cfd, &fit);
			}
			close(cfd);
		}
		r = write_setting_raw(dirfd, s);
		if (r != -EINVAL)
			return r;
	}
	{
		_cleanup_close_ int pfd = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		parent = pfd >= 0 ? quota_at(pfd, "cpu.cfs_quota_us") : LLONG_MIN;
	}
	if (parent <= 0 || (want > 0 && want <= parent))
		return -EINVAL;
	snprintf(val, sizeof(val), "%lld", parent);
	fit.value = val;
	return write_setting_raw(dirfd, &fit);
}

/* Write one setting to its file below dirfd (v1 CPU quota fitted to its parent, see v1_quota_fit). */
static int write_setting(int dirfd, const struct olve_setting *s)
{
	int r = write_setting_raw(dirfd, s);

	if (r == -EINVAL && !strcmp(s->file, "cpu.cfs_quota_us"))
		r = v1_quota_fit(dirfd, s);
	return r;
}

/* Write one setting to its file below dirfd, one write(2) per line. */
static int write_setting_raw(int dirfd, const struct olve_setting *s)
{
	_cleanup_close_ int fd = openat(dirfd, s->file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	const char *p = s->value;

	if (fd < 0) {
		if (errno == ENOENT && s->optional)
			return 0;
		return -errno;
	}
	do {
		const char *e = strchrnul(p, '\n');
		size_t n = (size_t)(e - p);

		if (n > 0) {
			ssize_t w;

			do
				w = write(fd, p, n);
			while (w < 0 && errno == EINTR);
			if (w < 0)
				return -errno;
			if ((size_t)w != n)
				return -EIO;
		}
		p = *e ? e + 1 : e;
	} while (*p);
	return 0;
}

static void limits_merge(struct olve_limits *dst, const struct olve_limits *src)
{
	uint32_t m = src->mask;

	if (m & OLVE_L_SPEED)
		dst->speed = src->speed;
	if (m & OLVE_L_CPU)
		dst->cpu_pct = src->cpu_pct;
	if (m & OLVE_L_NCPU)
		dst->ncpu = src->ncpu;
	if (m & OLVE_L_PMEM)
		dst->pmem = src->pmem;
	if (m & OLVE_L_VMEM)
		dst->vmem = src->vmem;
	if (m & OLVE_L_IO)
		dst->io = src->io;
	if (m & OLVE_L_IOPS)
		dst->iops = src->iops;
	if (m & OLVE_L_EP)
		dst->ep = src->ep;
	if (m & OLVE_L_NPROC)
		dst->nproc = src->nproc;
	if (m & OLVE_L_WEIGHT)
		dst->cpu_weight = src->cpu_weight;
	dst->mask |= m;
}

void olve_limits_merge(struct olve_limits *dst, const struct olve_limits *src)
{
	limits_merge(dst, src);
}

/* Settings the read-back reads, as v2 files. */
static const struct {
	const char *file;
	uint32_t fields;
} readback_files[] = {
	{ "cpu.max", F_CPUMAX },
	{ "cpu.weight", OLVE_L_WEIGHT },
	{ "memory.max", OLVE_L_PMEM },
	{ "pids.max", OLVE_L_NPROC },
	{ "io.max", F_IO },
};

/* Read a cgroup file into a malloc'd string without the trailing newline. -ENOENT when absent. */
/*
 * One limit file of an LVE's group: 0 and *out, 1 when this controller has
 * no such file (skip it), -ENOENT when the group itself was removed
 * (olve_destroy racing the read: skipping one file of a v1 pair, such as
 * cfs_period_us after cfs_quota_us was read, converted to a malformed
 * cpu.max and EINVAL), or another -errno.
 */
static int read_value(int dirfd, const char *file, char **out)
{
	char *text = NULL;
	int r = ol_read_full_at(dirfd, file, &text, NULL);

	if (r == -ENOENT && !olve_group_removed(dirfd))
		return 1;
	if (r < 0)
		return r;
	ol_strip(text);
	*out = text;
	return 0;
}

/*
 * The limits the kernel enforces on an open LVE (fields of controllers we
 * have), without the state file. v1 files are found by translating a
 * template and converted back to v2 by convert.c.
 */
static int kernel_limits(struct olve *h, const struct olve_lve_fds *f, const struct olve_dev *devs, size_t n_devs,
			 struct olve_limits *out)
{
	struct olve_limits res = { 0 };
	/* every field non-zero so every file appears in the v1 translation */
	struct olve_limits tmpl = {
		.mask = OLVE_L_ALL, .speed = 10000, .pmem = 1 << 30, .io = 1, .iops = 1, .nproc = 1, .cpu_weight = 100,
	};
	int r;

	for (size_t k = 0; k < ELEMENTSOF(readback_files); k++) {
		struct olve_settings s = { 0 };
		int ctrl, hi;

		r = olve_limits_translate(&tmpl, readback_files[k].fields, 2, 1, devs, n_devs, &s);
		if (r < 0)
			return r;
		if (s.n == 0) { /* io.max without disks: nothing enforced */
			olve_settings_free(&s);
			res.mask |= readback_files[k].fields;
			continue;
		}
		ctrl = s.v[0].ctrl;
		olve_settings_free(&s);
		hi = olve_hier_of(h, ctrl);
		if (hi < 0)
			continue; /* controller not available: not enforced, not reported */

		if (h->hier[hi].version == 2) {
			_cleanup_free_ char *v = NULL;

			r = read_value(f->dirfd[hi], readback_files[k].file, &v);
			if (r > 0)
				continue;
			if (r < 0)
				return r;
			r = olve_limits_from_v2(readback_files[k].file, v, devs, n_devs, &res);
			if (r < 0)
				return r;
		} else {
			struct olve_settings v1 = { 0 };
			struct cgroup_controller in = { 0 }, back = { 0 };

			r = olve_limits_translate(&tmpl, readback_files[k].fields, 1, 1, devs, n_devs, &v1);
			if (r < 0)
				return r;
			in.name = (char *)cg_ctrl_name(ctrl == CG_CTRL_IO ? CG_CTRL_BLKIO : ctrl);
			back.name = (char *)cg_ctrl_name(ctrl);
			for (size_t i = 0; i < v1.n && r >= 0; i++) {
				_cleanup_free_ char *v = NULL;
				int h1;

				if (!strncmp(v1.v[i].file, "memory.memsw.", 13))
					continue; /* PMEM is read from limit_in_bytes */
				h1 = olve_hier_of(h, v1.v[i].ctrl);
				if (h1 < 0)
					continue;
				r = read_value(f->dirfd[h1], v1.v[i].file, &v);
				if (r > 0) {
					r = 0;
					continue;
				}
				if (r >= 0)
					r = cg_controller_put(&in, v1.v[i].file, v, true);
			}
			olve_settings_free(&v1);
			if (r >= 0 && in.n_values > 0)
				r = cg_convert_controller(&back, &in, CGROUP_V2);
			for (int i = 0; r >= 0 && i < back.n_values; i++)
				if (!strcmp(back.values[i].name, readback_files[k].file))
					r = olve_limits_from_v2(back.values[i].name, back.values[i].value, devs, n_devs,
								&res);
			if (r >= 0 && !strcmp(readback_files[k].file, "io.max"))
				res.mask |= F_IO; /* no throttle lines: unlimited */
			cg_controller_clear(&in);
			cg_controller_clear(&back);
			free(in.values);
			free(back.values);
			if (r < 0)
				return r;
		}
	}
	*out = res;
	return 0;
}

struct write_ctx {
	struct olve *h;
	struct olve_lve_fds *f;
	const struct olve_limits *lim;
	int err;
	bool initial; /* only when no limits were ever recorded (creation, lve.c) */
};

/* Write the settings for the fields in lim->mask; record which fields failed. */
static int write_locked(struct olve_state *st, void *ud)
{
	struct write_ctx *c = ud;
	struct olve *h = c->h;
	struct olve_limits merged = { 0 };
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct olve_settings s[3] = { { 0 } };
	uint32_t failed = 0;
	bool pending[OLVE_MAX_HIER * 64] = { false };
	/* rollback: the old content of each setting's file, and the writes in order */
	char *old[OLVE_MAX_HIER * 64] = { NULL };
	struct {
		int dirfd;
		const struct olve_setting *set;
		size_t k;
	} done[OLVE_MAX_HIER * 64];
	size_t n_done = 0;
	int nd, r = 0;

	if (c->initial && st->limits.mask)
		return 0; /* someone completed the LVE meanwhile: keep their limits */
	nd = scan_host_disks(&devs);
	if (nd < 0)
		return nd;

	if (st->limits.mask)
		merged = st->limits;
	else {
		/* no record (new or lost state): start from what the kernel enforces */
		r = kernel_limits(h, c->f, devs, (size_t)nd, &merged);
		if (r < 0)
			return r;
		merged.mask = 0;
		merged.ep = st->ep_limit;
		merged.vmem = st->vmem_limit;
	}
	limits_merge(&merged, c->lim);

	for (int v = 1; v <= 2; v++) {
		bool need = false;

		for (int i = 0; i < h->n_hier; i++)
			if (h->hier[i].version == v)
				need = true;
		if (!need)
			continue;
		r = olve_limits_translate(&merged, c->lim->mask, v, h->ncpus, devs, (size_t)nd, &s[v]);
		if (r < 0)
			goto out;
	}

	/* two passes: a write refused with EINVAL (v1 memsw vs limit order, cfs period vs quota) is retried */
	for (int pass = 0; pass < 2; pass++) {
		size_t k = 0;

		for (int v = 1; v <= 2; v++)
			for (size_t i = 0; i < s[v].n; i++, k++) {
				const struct olve_setting *set = &s[v].v[i];
				int hi = olve_hier_of(h, set->ctrl);
				int w;

				if (hi < 0 || h->hier[hi].version != v)
					continue; /* controller not here: not enforced */
				if (pass == 1 && (k >= ELEMENTSOF(pending) || !pending[k]))
					continue;
				if (pass == 0 && k < ELEMENTSOF(old) &&
				    ol_read_full_at(c->f->dirfd[hi], set->file, &old[k], NULL) < 0)
					old[k] = NULL;
				w = write_setting(c->f->dirfd[hi], set);
				if (k < ELEMENTSOF(pending))
					pending[k] = false;
				if (w == -EINVAL && pass == 0 && k < ELEMENTSOF(pending)) {
					pending[k] = true;
					continue;
				}
				if (w < 0) {
					failed |= set->fields;
					if (!c->err)
						c->err = w;
				} else if (k < ELEMENTSOF(old) && n_done < ELEMENTSOF(done)) {
					done[n_done].dirfd = c->f->dirfd[hi];
					done[n_done].set = set;
					done[n_done].k = k;
					n_done++;
				}
			}
	}

	/*
	 * A field enforced by several files (v1 PMEM: memory.limit_in_bytes and
	 * memory.memsw.limit_in_bytes; lowering writes the first, the second is
	 * refused with EBUSY when swap holds the excess) must not stay
	 * half-applied: the files of a failed field that were written get their
	 * old content back, newest first.
	 */
	for (size_t i = n_done; i-- > 0;) {
		if ((done[i].set->fields & failed) && old[done[i].k]) {
			struct olve_setting back = *done[i].set;

			back.value = ol_strip(old[done[i].k]);
			(void)write_setting(done[i].dirfd, &back);
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(old); i++)
		free(old[i]);

	/* record what was applied: the fields that did not fail */
	{
		struct olve_limits ok = merged;

		ok.mask = c->lim->mask & ~failed;
		limits_merge(&st->limits, &ok);
		if (ok.mask & OLVE_L_EP)
			st->ep_limit = merged.ep;
		if (ok.mask & OLVE_L_VMEM)
			st->vmem_limit = merged.vmem;
	}
	r = 1;
out:
	for (int v = 0; v < 3; v++)
		olve_settings_free(&s[v]);
	return r;
}

int olve_limits_write(struct olve *h, struct olve_lve_fds *f, const struct olve_limits *lim)
{
	struct write_ctx c = { .h = h, .f = f, .lim = lim };
	int r;

	if (f->statefd < 0)
		return -EACCES;
	r = olve_state_update(f->statefd, write_locked, &c);
	if (r < 0)
		return r;
	if (r > 0)
		(void)olve_changes_note(h, f->id); /* lved: re-read this LVE's limits */
	return c.err;
}

int olve_limits_write_initial(struct olve *h, struct olve_lve_fds *f, const struct olve_limits *lim)
{
	struct write_ctx c = { .h = h, .f = f, .lim = lim, .initial = true };
	int r;

	if (f->statefd < 0)
		return -EACCES;
	r = olve_state_update(f->statefd, write_locked, &c);
	if (r < 0)
		return r;
	if (r > 0)
		(void)olve_changes_note(h, f->id); /* lved: re-read this LVE's limits */
	return c.err;
}

_public_ int olve_apply(struct olve *h, uint32_t id, const struct olve_limits *lim)
{
	struct olve_lve_fds *f;
	int r;

	if (!h || !lim || id == 0)
		return -EINVAL;
	/* fds opened by a privileged caller stay writable after it drops
	 * privileges: refuse explicitly, like the kernel would on a fresh open */
	if (!olve_privileged())
		return -EPERM;
	r = olve_limits_check(lim);
	if (r < 0)
		return r;
	r = olve_lve_get(h, id, true, &f);
	if (r < 0)
		return r;
	r = olve_limits_write(h, f, lim);
	olve_lve_put(h, f);
	return r;
}

_public_ int olve_get_limits(struct olve *h, uint32_t id, struct olve_limits *out)
{
	_cleanup_lve_put_ struct olve_lve_fds *f = NULL;
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct olve_state st = { 0 };
	struct olve_limits res;
	int nd, r;

	if (!h || !out || id == 0)
		return -EINVAL;
	r = olve_lve_get(h, id, false, &f);
	if (r < 0)
		return r;
	nd = scan_host_disks(&devs);
	if (nd < 0)
		return nd;
	r = kernel_limits(h, f, devs, (size_t)nd, &res);
	if (r < 0)
		return r;
	if (f->statefd >= 0 && olve_state_read(f->statefd, &st) < 0)
		memset(&st, 0, sizeof(st));
	/* no access to the state file (it is root's, 0600): EP and VMEM as the LVE list shows them */
	if (f->statefd < 0 && olve_state_public_limits(h, id, &st.ep_limit, &st.vmem_limit) < 0)
		st.ep_limit = 0, st.vmem_limit = 0;
	/* the kernel has one CPU number (the effective SPEED); the parts come from the record */
	if (res.mask & OLVE_L_SPEED) {
		if (st.limits.mask & OLVE_L_CPU) {
			res.cpu_pct = st.limits.cpu_pct;
			res.mask |= OLVE_L_CPU;
		}
		if (st.limits.mask & OLVE_L_NCPU) {
			res.ncpu = st.limits.ncpu;
			res.mask |= OLVE_L_NCPU;
		}
	}
	res.ep = st.ep_limit;
	res.vmem = st.vmem_limit;
	res.mask |= OLVE_L_EP | OLVE_L_VMEM;
	*out = res;
	return 0;
}

/* ----------------------------------------------------------------- usage */

/* Value of "key N" in a flat-keyed file like cpu.stat / memory.events. -ENOENT when absent. */
static int keyed_value(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');

		if ((size_t)(end - line) > kl && !strncmp(line, key, kl) && line[kl] == ' ') {
			char num[32];
			size_t n = (size_t)(end - line) - kl - 1;

			if (n == 0 || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, line + kl + 1, n);
			num[n] = 0;
			return ol_parse_u64(num, out);
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

static int read_keyed(int dirfd, const char *file, const char *key, uint64_t *out)
{
	_cleanup_free_ char *text = NULL;
	int r = ol_read_full_at(dirfd, file, &text, NULL);

	if (r < 0)
		return r;
	return keyed_value(text, key, out);
}

static int read_u64_file(int dirfd, const char *file, uint64_t *out)
{
	char buf[64];
	int r = ol_read_at(dirfd, file, buf, sizeof(buf));

	if (r < 0)
		return r;
	ol_strip(buf);
	if (!strcmp(buf, "max")) {
		*out = 0;
		return 0;
	}
	return ol_parse_u64(buf, out);
}

static int count_lines(int dirfd, const char *file, uint32_t *out)
{
	_cleanup_free_ char *text = NULL;
	uint32_t n = 0;
	int r = ol_read_full_at(dirfd, file, &text, NULL);

	if (r < 0)
		return r;
	for (const char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	*out = n;
	return 0;
}

/* v2 io.stat: sum over devices. */
static void io_stat_v2(const char *text, struct olve_usage *u)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		_cleanup_free_ char *l = strndup(line, (size_t)(end - line));
		char *save = NULL;

		if (l) {
			strtok_r(l, " ", &save); /* MAJ:MIN */
			for (char *t = strtok_r(NULL, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
				unsigned long long v;
				char key[16];

				if (sscanf(t, "%15[a-z]=%llu", key, &v) != 2)
					continue;
				if (!strcmp(key, "rbytes"))
					u->io_rbytes += v;
				else if (!strcmp(key, "wbytes"))
					u->io_wbytes += v;
				else if (!strcmp(key, "rios"))
					u->io_rios += v;
				else if (!strcmp(key, "wios"))
					u->io_wios += v;
			}
		}
		line = *end ? end + 1 : end;
	}
}

/* v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Read N" lines. */
static void io_stat_v1(const char *text, uint64_t *rd, uint64_t *wr)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		char dev[32], op[16];
		unsigned long long v;
		_cleanup_free_ char *l = strndup(line, (size_t)(end - line));

		if (l && sscanf(l, "%31s %15s %llu", dev, op, &v) == 3 && strchr(dev, ':')) {
			if (!strcmp(op, "Read"))
				*rd += v;
			else if (!strcmp(op, "Write"))
				*wr += v;
		}
		line = *end ? end + 1 : end;
	}
}

/* Sum of VmSize of the processes listed in cgroup.procs. */
static uint64_t vmem_of_procs(int dirfd)
{
	_cleanup_free_ char *text = NULL;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t sum = 0;
	char *save = NULL;

	if (ol_read_full_at(dirfd, "cgroup.procs", &text, NULL) < 0)
		return 0;
	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		char path[64], buf[256];
		unsigned long long pages;
		uint32_t pid;
		int fd;

		if (ol_parse_u32(t, &pid) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/statm", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ol_pread_all(fd, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu", &pages) == 1)
			sum += pages * (uint64_t)(page > 0 ? page : 4096);
		safe_close(fd);
	}
	return sum;
}

_public_ int olve_usage(struct olve *h, uint32_t id, struct olve_usage *out)
{
	_cleanup_lve_put_ struct olve_lve_fds *f = NULL;
	struct olve_usage u = { 0 };
	struct olve_state st = { 0 };
	uint64_t v;
	int hi, r;

	if (!h || !out || id == 0)
		return -EINVAL;
	r = olve_lve_get(h, id, false, &f);
	if (r < 0)
		return r;

	/* CPU */
	hi = olve_hier_of(h, CG_CTRL_CPU);
	if (hi >= 0 && h->hier[hi].version == 2) {
		if (read_keyed(f->dirfd[hi], "cpu.stat", "usage_usec", &v) == 0)
			u.cpu_usec = v;
		if (read_keyed(f->dirfd[hi], "cpu.stat", "nr_throttled", &v) == 0)
			u.cpu_throttled = v;
	} else {
		int ha = olve_hier_of(h, CG_CTRL_CPUACCT);

		if (ha >= 0 && read_u64_file(f->dirfd[ha], "cpuacct.usage", &v) == 0)
			u.cpu_usec = v / 1000;
		else if (h->hier[0].version == 2 && read_keyed(f->dirfd[0], "cpu.stat", "usage_usec", &v) == 0)
			u.cpu_usec = v;
		if (hi >= 0 && read_keyed(f->dirfd[hi], "cpu.stat", "nr_throttled", &v) == 0)
			u.cpu_throttled = v;
	}

	/* memory */
	hi = olve_hier_of(h, CG_CTRL_MEMORY);
	if (hi >= 0) {
		int d = f->dirfd[hi];

		if (h->hier[hi].version == 2) {
			if (read_u64_file(d, "memory.current", &v) == 0)
				u.pmem = v;
			if (read_u64_file(d, "memory.peak", &v) == 0)
				u.pmem_peak = v;
			if (read_keyed(d, "memory.events", "max", &v) == 0)
				u.fault_pmem = v;
		} else {
			if (read_u64_file(d, "memory.usage_in_bytes", &v) == 0)
				u.pmem = v;
			if (read_u64_file(d, "memory.max_usage_in_bytes", &v) == 0)
				u.pmem_peak = v;
			/* a charge fails at memory+swap first when memsw = limit (PMEM): count both */
			if (read_u64_file(d, "memory.failcnt", &v) == 0)
				u.fault_pmem = v;
			if (read_u64_file(d, "memory.memsw.failcnt", &v) == 0)
				u.fault_pmem += v;
			/*
			 * Some kernels (6.18 here) leave v1 failcnt at 0 although the
			 * limit is hit; an OOM kill in the group proves at least as many hits.
			 */
			if (read_keyed(d, "memory.oom_control", "oom_kill", &v) == 0 && v > u.fault_pmem)
				u.fault_pmem = v;
		}
	}

	/* tasks */
	hi = olve_hier_of(h, CG_CTRL_PIDS);
	if (hi >= 0 && read_u64_file(f->dirfd[hi], "pids.current", &v) == 0) {
		u.nproc = clamp_u32(v);
		if (read_keyed(f->dirfd[hi], "pids.events", "max", &v) == 0)
			u.fault_nproc = v;
	} else {
		(void)count_lines(f->dirfd[0], h->hier[0].version == 2 ? "cgroup.threads" : "tasks", &u.nproc);
	}
	(void)count_lines(f->dirfd[0], "cgroup.procs", &u.nprocs_only);

	/* IO */
	hi = olve_hier_of(h, CG_CTRL_IO);
	if (hi >= 0) {
		_cleanup_free_ char *text = NULL;

		if (h->hier[hi].version == 2) {
			if (ol_read_full_at(f->dirfd[hi], "io.stat", &text, NULL) == 0)
				io_stat_v2(text, &u);
		} else {
			_cleanup_free_ char *ios = NULL;

			if (ol_read_full_at(f->dirfd[hi], "blkio.throttle.io_service_bytes", &text, NULL) == 0)
				io_stat_v1(text, &u.io_rbytes, &u.io_wbytes);
			if (ol_read_full_at(f->dirfd[hi], "blkio.throttle.io_serviced", &ios, NULL) == 0)
				io_stat_v1(ios, &u.io_rios, &u.io_wios);
		}
	}

	/* VMEM, EP and the faults only userspace sees */
	u.vmem = vmem_of_procs(f->dirfd[0]);
	r = olve_state_count_slots(h, id);
	if (r >= 0)
		u.ep = (uint32_t)r;
	if (f->statefd >= 0 && olve_state_read(f->statefd, &st) == 0) {
		u.fault_ep = st.fault_ep;
		u.fault_vmem = st.fault_vmem;
	}
	*out = u;
	return 0;
}

/* ------------------------------------------------------- reseller groups */

int olve_group_limits_write(struct olve *h, const int *dirfd, const struct olve_limits *lim)
{
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct olve_settings s[3] = { { 0 } };
	struct olve_limits l = *lim;
	int nd, r = 0, err = 0;

	l.mask &= ~(uint32_t)(OLVE_L_EP | OLVE_L_VMEM); /* no group-wide meaning */
	nd = scan_host_disks(&devs);
	if (nd < 0)
		return nd;
	for (int v = 1; v <= 2 && r >= 0; v++) {
		bool need = false;

		for (int i = 0; i < h->n_hier; i++)
			need = need || h->hier[i].version == v;
		if (need)
			r = olve_limits_translate(&l, l.mask, v, h->ncpus, devs, (size_t)nd, &s[v]);
	}
	/* two passes: a write refused with EINVAL (v1 memsw vs limit order) is retried */
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		err = 0;
		for (int v = 1; v <= 2; v++)
			for (size_t i = 0; i < s[v].n; i++) {
				int hi = olve_hier_of(h, s[v].v[i].ctrl), w;

				if (hi < 0 || h->hier[hi].version != v || dirfd[hi] < 0)
					continue;
				w = write_setting(dirfd[hi], &s[v].v[i]);
				if (w < 0 && !err)
					err = w;
			}
		if (!err)
			break;
	}
	for (int v = 0; v < 3; v++)
		olve_settings_free(&s[v]);
	return r < 0 ? r : err;
}

int olve_group_limits_read(struct olve *h, const int *dirfd, struct olve_limits *out)
{
	_cleanup_free_ struct olve_dev *devs = NULL;
	struct olve_lve_fds f = { 0 };
	int nd;

	for (int i = 0; i < OLVE_MAX_HIER; i++)
		f.dirfd[i] = i < h->n_hier ? dirfd[i] : -1;
	nd = scan_host_disks(&devs);
	if (nd < 0)
		return nd;
	return kernel_limits(h, &f, devs, (size_t)nd, out);
}
