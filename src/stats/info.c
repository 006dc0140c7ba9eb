/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * info.c - /var/lve/info: averages over the info period, the text (one
 * line of default limits, one line per active LVE, see lved(8)) and its
 * atomic replacement.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "pathsafe.h"
#include "macro.h"
#include "stats.h"

#define INFO_PAGE 4096u

/* ---------------------------------------------------------------- period */

struct acc {
	uint32_t id;
	bool active;
	uint64_t secs; /* seconds sampled */
	double cpu, ep, vmem, pmem, nproc, io, iops; /* sum of value * interval */
	uint64_t CPUf, EPf, VMemF, PMemF, NprocF, IOf, IOPSf;
	struct lve_sample last;
};

struct lve_period {
	struct acc *v; /* sorted by id */
	size_t n, cap;
};

int lve_period_new(struct lve_period **out)
{
	struct lve_period *p;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*out = p;
	return 0;
}

void lve_period_free(struct lve_period *p)
{
	if (!p)
		return;
	free(p->v);
	free(p);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool sample_active(const struct lve_sample *s)
{
	return s->nprocs || s->nthreads || s->aCPU || s->aEP || s->aIO || s->aIOPS || s->CPUf || s->EPf ||
	       s->VMemF || s->PMemF || s->NprocF || s->IOf || s->IOPSf;
}

/* Index of id, or the insertion point as -(pos) - 1. */
static long acc_find(const struct lve_period *p, uint32_t id)
{
	size_t lo = 0, hi = p->n;

	/* passes come sorted: try the end first */
	if (p->n && p->v[p->n - 1].id < id)
		return -(long)p->n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].id == id)
			return (long)mid;
		if (p->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

int lve_period_add(struct lve_period *p, const struct lve_sample *s, size_t n)
{
	if (!p || (!s && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct lve_sample *x = &s[i];
		long pos = acc_find(p, x->id);
		struct acc *a;
		double w;

		if (pos < 0) {
			size_t at = (size_t)(-pos - 1);

			if (p->n == p->cap) {
				size_t ncap = p->cap ? p->cap * 2 : 64;
				struct acc *nv = realloc(p->v, ncap * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				p->v = nv;
				p->cap = ncap;
			}
			memmove(&p->v[at + 1], &p->v[at], (p->n - at) * sizeof(*p->v));
			memset(&p->v[at], 0, sizeof(p->v[at]));
			p->v[at].id = x->id;
			p->n++;
			pos = (long)at;
		}
		a = &p->v[pos];
		w = x->interval ? (double)x->interval : 1.0;
		a->secs += x->interval ? x->interval : 1;
		a->cpu += (double)x->aCPU * w;
		a->ep += (double)x->aEP * w;
		a->vmem += (double)x->aVMem * w;
		a->pmem += (double)x->aPMem * w;
		a->nproc += (double)x->aNproc * w;
		a->io += (double)x->aIO * w;
		a->iops += (double)x->aIOPS * w;
		a->CPUf = sat_add(a->CPUf, x->CPUf);
		a->EPf = sat_add(a->EPf, x->EPf);
		a->VMemF = sat_add(a->VMemF, x->VMemF);
		a->PMemF = sat_add(a->PMemF, x->PMemF);
		a->NprocF = sat_add(a->NprocF, x->NprocF);
		a->IOf = sat_add(a->IOf, x->IOf);
		a->IOPSf = sat_add(a->IOPSf, x->IOPSf);
		a->active = a->active || sample_active(x);
		a->last = *x;
	}
	return 0;
}

static uint64_t avg64(double sum, uint64_t secs)
{
	double v = secs ? sum / (double)secs : 0;

	if (v <= 0)
		return 0;
	if (v >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)llround(v);
}

static uint32_t avg32(double sum, uint64_t secs)
{
	uint64_t v = avg64(sum, secs);

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int lve_period_take(struct lve_period *p, struct lve_sample **out)
{
	struct lve_sample *v = NULL;
	size_t k = 0, na = 0;

	if (!p || !out)
		return -EINVAL;
	for (size_t i = 0; i < p->n; i++)
		na += p->v[i].active;
	if (na > INT_MAX)
		return -E2BIG;
	if (na) {
		v = calloc(na, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct acc *a = &p->v[i];
		struct lve_sample *s;

		if (!a->active)
			continue;
		s = &v[k++];
		*s = a->last; /* id, ts, limits, nprocs, nthreads */
		s->interval = a->secs > UINT32_MAX ? UINT32_MAX : (uint32_t)a->secs;
		s->aCPU = avg32(a->cpu, a->secs);
		s->aEP = avg32(a->ep, a->secs);
		s->aVMem = avg64(a->vmem, a->secs);
		s->aPMem = avg64(a->pmem, a->secs);
		s->aNproc = avg32(a->nproc, a->secs);
		s->aIO = avg64(a->io, a->secs);
		s->aIOPS = avg32(a->iops, a->secs);
		s->CPUf = a->CPUf;
		s->EPf = a->EPf;
		s->VMemF = a->VMemF;
		s->PMemF = a->PMemF;
		s->NprocF = a->NprocF;
		s->IOf = a->IOf;
		s->IOPSf = a->IOPSf;
	}
	p->n = 0;
	*out = v;
	return (int)k;
}

/* ---------------------------------------------------------------- render */

static uint64_t div_round(uint64_t v, uint64_t d)
{
	return v / d + (v % d >= (d + 1) / 2);
}

static uint64_t div_ceil(uint64_t v, uint64_t d)
{
	return v / d + (v % d != 0);
}

/*
 * CPU in /var/lve/info: SPEED units as lve-stats 2 writes them today,
 * hundredths of a percent of ONE core (10000 = one core, 2500 = 25%).
 * An unlimited LVE's limit is the whole machine (ncpus * 10000), and the
 * average is never written above the limit (a reader computes usage/limit).
 */
static uint64_t cpu_limit_speed(uint64_t hundredths, int ncpus)
{
	uint64_t all = 10000u * (uint64_t)ncpus;

	return hundredths == 0 || hundredths > all ? all : hundredths;
}

static uint64_t cpu_usage_speed(uint64_t hundredths, uint64_t limit)
{
	return hundredths > limit ? limit : hundredths;
}

/* The effective CPU limit of a limits record (as liblve enforces it): min of the non-zero parts. */
static uint64_t effective_speed(const struct olve_limits *l, int ncpus)
{
	uint64_t m = 0;
	uint64_t parts[3] = {
		(l->mask & OLVE_L_SPEED) ? l->speed : 0,
		(l->mask & OLVE_L_CPU) ? (uint64_t)l->cpu_pct * (uint64_t)ncpus * 100 : 0,
		(l->mask & OLVE_L_NCPU) ? (uint64_t)l->ncpu * 10000 : 0,
	};

	for (int i = 0; i < 3; i++)
		if (parts[i] && (m == 0 || parts[i] < m))
			m = parts[i];
	return m;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static int line_append(struct sbuf *b, const uint64_t f[LVE_INFO_FIELDS])
{
	char line[LVE_INFO_FIELDS * 21 + 2];
	size_t n = 0;

	for (int i = 0; i < LVE_INFO_FIELDS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%" PRIu64, i ? "," : "", f[i]);
	line[n++] = '\n';
	if (b->cap - b->len < n + 1) {
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		char *np;

		while (ncap - b->len < n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, line, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int lve_info_render(const struct olve_limits *defaults, int ncpus, const struct lve_sample *s, size_t n,
		    char **out, size_t *len)
{
	struct sbuf b = { 0 };
	uint64_t f[LVE_INFO_FIELDS];
	int r;

	if (!defaults || ncpus < 1 || (!s && n) || !out || !len)
		return -EINVAL;

	memset(f, 0, sizeof(f));
	f[2] = (defaults->mask & OLVE_L_EP) ? defaults->ep : 0;
	f[4] = cpu_limit_speed(effective_speed(defaults, ncpus), ncpus);
	f[6] = (defaults->mask & OLVE_L_VMEM) ? div_ceil(defaults->vmem, INFO_PAGE) : 0;
	f[9] = (defaults->mask & OLVE_L_PMEM) ? div_ceil(defaults->pmem, INFO_PAGE) : 0;
	f[12] = (defaults->mask & OLVE_L_NPROC) ? defaults->nproc : 0;
	f[17] = (defaults->mask & OLVE_L_IO) ? defaults->io : 0;
	f[18] = (defaults->mask & OLVE_L_IOPS) ? defaults->iops : 0;
	r = line_append(&b, f);
	if (r < 0)
		goto fail;

	for (size_t i = 0; i < n; i++) {
		const struct lve_sample *x = &s[i];

		f[0] = x->id;
		f[1] = x->aEP;
		f[2] = x->lEP;
		f[4] = cpu_limit_speed(x->lCPU, ncpus);
		f[3] = cpu_usage_speed(x->aCPU, f[4]);
		f[5] = div_round(x->aVMem, INFO_PAGE);
		f[6] = div_ceil(x->lVMem, INFO_PAGE);
		f[7] = x->VMemF;
		f[8] = x->EPf;
		f[9] = div_ceil(x->lPMem, INFO_PAGE);
		f[10] = div_round(x->aPMem, INFO_PAGE);
		f[11] = x->PMemF;
		f[12] = x->lNproc;
		f[13] = x->aNproc;
		f[14] = x->NprocF;
		f[15] = 0;
		f[16] = div_round(x->aIO, 1024);
		f[17] = div_ceil(x->lIO, 1024);
		f[18] = x->lIOPS;
		f[19] = x->aIOPS;
		r = line_append(&b, f);
		if (r < 0)
			goto fail;
	}
	*out = b.p;
	*len = b.len;
	return 0;
fail:
	free(b.p);
	return r;
}

/* ----------------------------------------------------------------- write */

/* Split an absolute path into its directory (malloc'd) and last component. */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash;
	char *d;

	if (!path || path[0] != '/' || ol_name_check(path) < 0)
		return -EINVAL;
	slash = strrchr(path, '/');
	if (!ol_component_valid(slash + 1))
		return -EINVAL;
	d = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (!d)
		return -ENOMEM;
	*dir = d;
	*base = slash + 1;
	return 0;
}

int lve_info_write(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *base;
	int r;

	if (!text && len)
		return -EINVAL;
	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return -errno;
	/* root writes here: refuse a directory another user controls (pathsafe.h) */
	if (geteuid() == 0) {
		r = ol_path_trusted(path, NULL, 0);
		if (r < 0)
			return r == -ELOOP ? -EPERM : r;
	}
	return ol_write_atomic_at(dfd, base, text ? text : "", len, 0644);
}

/* ".<base>.<digits>.<digits>.tmp", ol_write_atomic_at's temp names. */
static bool is_temp_of(const char *name, const char *base)
{
	size_t bl = strlen(base);
	const char *p;
	int groups = 0;

	if (name[0] != '.' || strncmp(name + 1, base, bl) || name[1 + bl] != '.')
		return false;
	p = name + 2 + bl;
	for (;;) {
		const char *q = p;

		while (isdigit((unsigned char)*q))
			q++;
		if (q == p || *q != '.')
			return false;
		groups++;
		p = q + 1;
		if (!strcmp(p, "tmp"))
			return groups == 2;
	}
}

int lve_info_clean_temps(const char *path)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	const char *base;
	struct dirent *de;
	int r, n = 0;

	r = split_path(path, &dir, &base);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		if (!is_temp_of(de->d_name, base))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			return -errno;
	}
	if (errno)
		return -errno;
	return n;
}
