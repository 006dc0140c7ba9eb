/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * snapshot.c - incident snapshots of an LVE's processes (snapshot.h):
 * SnapshotSaver.cfg, the incident and rate rules, capturing the processes
 * below the LVE's cgroup, the day files and their record format (writer and
 * reader). lved calls the snapper after each pass; lve-read-snapshot reads.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"
#include "pathsafe.h"
#include "snapshot.h"

/* ------------------------------------------------------------- config */

int lve_snap_conf_parse(const char *text, struct lve_snap_conf *out, unsigned *errline)
{
	struct lve_snap_conf c = { .period_between_incidents = 300, .snapshots_per_minute = 2,
				   .max_snapshots_per_incident = 10 };
	unsigned line = 0;
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512], *k, *v, *eq;

		line++;
		if (len >= sizeof(buf))
			goto bad;
		memcpy(buf, p, len);
		buf[len] = 0;
		p = nl ? nl + 1 : NULL;
		k = buf;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!*k || *k == '#' || *k == '\r')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			goto bad;
		v = eq + 1;
		while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		*eq = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		for (char *e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			e[-1] = 0;
		{
			uint32_t x;
			uint32_t *slot = !strcmp(k, "period_between_incidents")	  ? &c.period_between_incidents
					 : !strcmp(k, "snapshots_per_minute")	  ? &c.snapshots_per_minute
					 : !strcmp(k, "max_snapshots_per_incident") ? &c.max_snapshots_per_incident
										  : NULL;

			if (!slot)
				continue; /* other plugins' keys */
			if (ol_parse_u32(v, &x) < 0 || x > 86400 * 30)
				goto bad;
			*slot = x;
		}
	}
	c.dir = out->dir;
	c.disabled = out->disabled;
	*out = c;
	return 0;
bad:
	if (errline)
		*errline = line;
	return -EINVAL;
}

int lve_snap_conf_load(const char *cfgdir, struct lve_snap_conf *out, unsigned *errline)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dfd = -1;
	size_t len;
	int r;

	dfd = open(cfgdir ? cfgdir : LVE_SNAP_CONF_DIR_DEFAULT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		r = ol_read_full_at(dfd, "SnapshotSaver.cfg", &text, &len);
		if (r < 0 && r != -ENOENT)
			return r;
	} else if (errno != ENOENT)
		return -errno;
	return lve_snap_conf_parse(text ? text : "", out, errline);
}

/* -------------------------------------------------------------- state */

struct incident {
	uint32_t id;
	int64_t start, last_fault;
	uint32_t taken;          /* snapshots in this incident */
	int64_t minute;          /* start of the rate window */
	uint32_t in_minute;
};

struct lve_snapper {
	struct lve_snap_conf c;
	char *dir;
	int dfd;
	struct incident *inc;
	size_t ninc, capinc;
};

int lve_snapper_new(const struct lve_snap_conf *c, struct lve_snapper **out)
{
	_cleanup_free_ struct lve_snapper *s = calloc(1, sizeof(*s));
	const char *dir = c->dir ? c->dir : LVE_SNAP_DIR_DEFAULT;
	int r;

	if (!s)
		return -ENOMEM;
	s->c = *c;
	/* a hand-made conf: 0 means the documented default */
	if (!s->c.period_between_incidents)
		s->c.period_between_incidents = 300;
	if (!s->c.snapshots_per_minute)
		s->c.snapshots_per_minute = 2;
	if (!s->c.max_snapshots_per_incident)
		s->c.max_snapshots_per_incident = 10;
	s->dir = strdup(dir);
	if (!s->dir)
		return -ENOMEM;
	r = ol_path_trusted(dir, NULL, 0);
	if (r < 0 && r != -ENOENT) {
		free(s->dir);
		return r == -ELOOP ? -EPERM : r;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		free(s->dir);
		return r;
	}
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dfd < 0) {
		r = -errno;
		free(s->dir);
		return r;
	}
	s->c.dir = s->dir;
	*out = TAKE_PTR(s);
	return 0;
}

void lve_snapper_free(struct lve_snapper *s)
{
	if (!s)
		return;
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->inc);
	free(s->dir);
	free(s);
}

static struct incident *incident_of(struct lve_snapper *s, uint32_t id)
{
	for (size_t i = 0; i < s->ninc; i++)
		if (s->inc[i].id == id)
			return &s->inc[i];
	if (s->ninc == s->capinc) {
		size_t cap = s->capinc ? s->capinc * 2 : 16;
		struct incident *n = realloc(s->inc, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->inc = n;
		s->capinc = cap;
	}
	s->inc[s->ninc] = (struct incident){ .id = id, .start = INT64_MIN / 2, .last_fault = INT64_MIN / 2 };
	return &s->inc[s->ninc++];
}

/* Forget incidents that ended long ago (bounded memory with many LVEs over time). */
static void expire(struct lve_snapper *s, int64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < s->ninc; i++)
		if (now - s->inc[i].last_fault <= (int64_t)s->c.period_between_incidents + 60)
			s->inc[k++] = s->inc[i];
	s->ninc = k;
}

/* -------------------------------------------------------------- capture */

struct pidset {
	int32_t *v;
	size_t n, cap;
};

static int pidset_add(struct pidset *p, int32_t pid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		int32_t *n = realloc(p->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->v = n;
		p->cap = cap;
	}
	p->v[p->n++] = pid;
	return 0;
}

/* Every pid in cgroup.procs of dirfd and the groups below it (depth-limited). */
static int collect_pids(int dirfd, int depth, struct pidset *out)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	DIR *d;
	struct dirent *de;
	int r;

	r = ol_read_full_at(dirfd, "cgroup.procs", &text, &len);
	if (r < 0 && r != -ENOENT)
		return r;
	for (char *p = text, *e; p && *p; p = e) {
		long v = strtol(p, &e, 10);

		if (e == p)
			break;
		if (v > 0 && v <= INT32_MAX && (r = pidset_add(out, (int32_t)v)) < 0)
			return r;
		while (*e == '\n')
			e++;
	}
	if (depth >= 4)
		return 0;
	r = ol_opendir_at(dirfd, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		r = collect_pids(sub, depth + 1, out);
		close(sub);
		if (r < 0)
			break;
	}
	closedir(d);
	return r < 0 ? r : 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static void read_proc(int32_t pid, struct lve_snap_proc *p)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	long ticks = sysconf(_SC_CLK_TCK);

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->state = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		const char *q;
		unsigned long long ut = 0, st = 0;
		long thr = 0, rss = 0;
		int ppid = 0;

		buf[n] = 0;
		q = strrchr(buf, ')');
		if (q && sscanf(q + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d %*u %*u %ld",
				&p->state, &ppid, &ut, &st, &thr, &rss) == 6) {
			p->ppid = ppid;
			p->cpu_ms = ticks > 0 ? (ut + st) * 1000 / (unsigned long long)ticks : 0;
			p->threads = thr > 0 ? (uint32_t)thr : 0;
			p->rss = rss > 0 ? (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
		}
	}
	fd = safe_close(fd);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		const char *u;

		buf[n] = 0;
		u = strstr(buf, "\nUid:");
		if (u)
			p->uid = (uint32_t)strtoul(u + 5, NULL, 10);
	}
	fd = safe_close(fd);
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		const char *r, *w;

		buf[n] = 0;
		r = strstr(buf, "\nread_bytes:");
		w = strstr(buf, "\nwrite_bytes:");
		if (r)
			p->read_bytes = strtoull(r + 12, NULL, 10);
		if (w)
			p->write_bytes = strtoull(w + 13, NULL, 10);
	}
	fd = safe_close(fd);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, p->cmd, LVE_SNAP_CMD_MAX)) > 0) {
		while (n > 0 && p->cmd[n - 1] == 0)
			n--;
		for (ssize_t i = 0; i < n; i++)
			if (p->cmd[i] == 0)
				p->cmd[i] = ' ';
		p->cmd[n] = 0;
	}
	if (!p->cmd[0]) {
		/* a kernel thread or a zombie: the comm in brackets, as ps shows it */
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		fd = safe_close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (n = read(fd, buf, 64)) > 0) {
			while (n > 0 && buf[n - 1] == '\n')
				n--;
			snprintf(p->cmd, sizeof(p->cmd), "[%.*s]", (int)n, buf);
		}
	}
}

static void put_escaped(FILE *f, const char *s)
{
	if (!*s) {
		fputc('-', f); /* the empty command line */
		return;
	}
	if (!strcmp(s, "-")) {
		fputs("\\x2d", f);
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", f);
		else if (c < 0x21 || c > 0x7e)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/*
 * Start of process pid in CLOCK_REALTIME nanoseconds (from /proc/<pid>/stat
 * starttime, boot-relative), or -1 when it is gone.
 */
static int64_t proc_start_ns(int32_t pid)
{
	char path[64], buf[4096];
	_cleanup_close_ int fd = -1;
	unsigned long long start;
	long ticks = sysconf(_SC_CLK_TCK);
	struct timespec rt, bt;
	const char *q;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0 || ticks <= 0)
		return -1;
	buf[n] = 0;
	q = strrchr(buf, ')');
	if (!q || sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec) +
	       (int64_t)(start * (1000000000ULL / (unsigned long long)ticks));
}

/*
 * The R lines: labelled entries (olve_annotate) of the LVE whose state file
 * is statefd. A note counts when its slot is held (olve_state_notes) and its
 * process started before the note was written: a pid reused after a crashed
 * holder started later. Tick granularity: 2 ticks of slack.
 */
static void put_requests(FILE *m, int statefd)
{
	_cleanup_free_ struct olve_note *notes = calloc(LVE_SNAP_MAX_REQS, sizeof(*notes));
	long ticks = sysconf(_SC_CLK_TCK);
	int64_t slack = ticks > 0 ? 2 * 1000000000LL / ticks : 20000000LL;
	int n;

	if (!notes || statefd < 0)
		return;
	n = olve_state_notes(statefd, notes, LVE_SNAP_MAX_REQS);
	for (int i = 0; i < n; i++) {
		int64_t started = proc_start_ns(notes[i].pid);

		if (started < 0 || started > notes[i].when_ns + slack)
			continue;
		fprintf(m, "R %d %d %" PRId64 " ", (int)notes[i].pid, (int)notes[i].tid,
			(int64_t)(notes[i].when_ns / 1000000000LL));
		put_escaped(m, notes[i].text);
		fputc('\n', m);
	}
}

/* Capture LVE `id` now and append the record to its day file. */
static int take(struct lve_snapper *s, struct olve *h, const struct lve_sample *smp, const struct incident *inc)
{
	_cleanup_lve_put_ struct olve_lve_fds *f = NULL;
	struct pidset ps = { 0 };
	_cleanup_free_ char *rec = NULL;
	size_t reclen = 0, nlist;
	char name[16], day[16];
	time_t t = (time_t)smp->ts;
	struct tm tm;
	_cleanup_close_ int lfd = -1, ffd = -1;
	struct stat st;
	FILE *m;
	int r;

	r = olve_lve_get(h, smp->id, false, &f);
	if (r < 0)
		return r;
	r = collect_pids(f->dirfd[0], 0, &ps);
	if (r < 0) {
		free(ps.v);
		return r;
	}
	if (ps.n > 1) {
		size_t k = 1;

		qsort(ps.v, ps.n, sizeof(*ps.v), cmp_i32);
		for (size_t i = 1; i < ps.n; i++)
			if (ps.v[i] != ps.v[k - 1])
				ps.v[k++] = ps.v[i];
		ps.n = k;
	}
	nlist = ps.n < LVE_SNAP_MAX_PROCS ? ps.n : LVE_SNAP_MAX_PROCS;
	m = open_memstream(&rec, &reclen);
	if (!m) {
		free(ps.v);
		return -ENOMEM;
	}
	fprintf(m, "S %" PRId64 " %" PRIu32 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		   " %" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIu64 " %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu32
		   " %zu %d\n",
		smp->ts, smp->id, inc->start, smp->CPUf, smp->EPf, smp->PMemF, smp->VMemF, smp->NprocF, smp->IOf,
		smp->IOPSf, smp->aCPU, smp->aPMem, smp->aEP, smp->aNproc, smp->aIO, smp->aIOPS, ps.n,
		ps.n > nlist);
	for (size_t i = 0; i < nlist; i++) {
		struct lve_snap_proc p;

		read_proc(ps.v[i], &p);
		fprintf(m, "P %d %d %" PRIu32 " %c %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " ",
			(int)p.pid, (int)p.ppid, p.uid, isgraph((unsigned char)p.state) ? p.state : '?', p.threads,
			p.cpu_ms, p.rss, p.read_bytes, p.write_bytes);
		put_escaped(m, p.cmd);
		fputc('\n', m);
	}
	put_requests(m, f->statefd);
	fputs("E\n", m);
	free(ps.v);
	if (fclose(m) != 0)
		return -ENOMEM;

	snprintf(name, sizeof(name), "%" PRIu32, smp->id);
	if (mkdirat(s->dfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	lfd = openat(s->dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (lfd < 0)
		return -errno;
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d.snap", &tm);
	ffd = openat(lfd, day, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (ffd < 0)
		return -errno;
	if (fstat(ffd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EPERM;
	if ((uint64_t)st.st_size + reclen > LVE_SNAP_FILE_MAX)
		return -EFBIG; /* this LVE's day is full: bounded on disk */
	for (size_t off = 0; off < reclen;) {
		ssize_t w = write(ffd, rec + off, reclen - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

static bool has_fault(const struct lve_sample *x)
{
	return x->CPUf || x->EPf || x->PMemF || x->VMemF || x->NprocF || x->IOf || x->IOPSf;
}

int lve_snapper_pass(struct lve_snapper *s, struct olve *h, const struct lve_sample *smp, size_t n)
{
	int taken = 0, first_err = 0;

	if (!s || s->c.disabled)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct lve_sample *x = &smp[i];
		struct incident *inc;
		int r;

		if (!has_fault(x))
			continue;
		inc = incident_of(s, x->id);
		if (!inc)
			return -ENOMEM;
		if (x->ts - inc->last_fault > (int64_t)s->c.period_between_incidents) {
			inc->start = x->ts;
			inc->taken = 0;
		}
		inc->last_fault = x->ts;
		if (x->ts - inc->minute >= 60) {
			inc->minute = x->ts;
			inc->in_minute = 0;
		}
		if (inc->taken >= s->c.max_snapshots_per_incident || inc->in_minute >= s->c.snapshots_per_minute)
			continue;
		r = take(s, h, x, inc);
		if (r < 0) {
			if (!first_err)
				first_err = r;
			continue;
		}
		inc->taken++;
		inc->in_minute++;
		taken++;
	}
	if (n)
		expire(s, smp[n - 1].ts);
	return first_err ? first_err : taken;
}

int lve_snapper_retention(struct lve_snapper *s, uint32_t keep_days, int64_t now)
{
	time_t t = (time_t)(now - (int64_t)keep_days * 86400);
	char oldest[32];
	struct tm tm;
	DIR *d;
	struct dirent *de;
	int removed = 0, r;

	gmtime_r(&t, &tm);
	strftime(oldest, sizeof(oldest), "%Y-%m-%d.snap", &tm);
	r = ol_opendir_at(s->dfd, ".", &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		DIR *ld;
		struct dirent *fe;

		if (de->d_name[0] == '.' || strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		if (ol_opendir_at(s->dfd, de->d_name, &ld) < 0)
			continue;
		while ((fe = readdir(ld))) {
			/* names sort as dates: YYYY-MM-DD.snap */
			if (strlen(fe->d_name) == 15 && !strcmp(fe->d_name + 10, ".snap") &&
			    strcmp(fe->d_name, oldest) < 0 && unlinkat(dirfd(ld), fe->d_name, 0) == 0)
				removed++;
		}
		closedir(ld);
		(void)unlinkat(s->dfd, de->d_name, AT_REMOVEDIR); /* only when empty */
	}
	closedir(d);
	return removed;
}

/* ------------------------------------------------------------- reading */

void lve_snap_clear(struct lve_snap *s)
{
	free(s->procs);
	free(s->reqs);
	memset(s, 0, sizeof(*s));
}

static int unescape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	if (!strcmp(in, "-")) {
		out[0] = 0;
		return 0;
	}
	for (const char *p = in; *p; p++) {
		char c = *p;

		if (c == '\\') {
			if (p[1] == '\\') {
				p++;
			} else if (p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
				char hx[3] = { p[2], p[3], 0 };

				c = (char)strtoul(hx, NULL, 16);
				p += 3;
			} else
				return -EINVAL;
		}
		if (n + 1 >= size)
			return -EINVAL;
		out[n++] = c == 0 ? ' ' : c;
	}
	out[n] = 0;
	return 0;
}

static int parse_s(const char *l, struct lve_snap *s)
{
	int tr = 0, n = 0;
	unsigned long long np = 0;

	if (sscanf(l, "S %" SCNd64 " %" SCNu32 " %" SCNd64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		      " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		      " %llu %d%n",
		   &s->ts, &s->id, &s->incident, &s->faults[0], &s->faults[1], &s->faults[2], &s->faults[3],
		   &s->faults[4], &s->faults[5], &s->faults[6], &s->usage[0], &s->usage[1], &s->usage[2],
		   &s->usage[3], &s->usage[4], &s->usage[5], &np, &tr, &n) != 18 ||
	    l[n] != 0 || (tr != 0 && tr != 1) || np > UINT32_MAX || s->id == 0)
		return -EINVAL;
	s->nprocs = (uint32_t)np;
	s->truncated = tr;
	return 0;
}

static int parse_p(const char *l, struct lve_snap *s)
{
	struct lve_snap_proc p = { 0 };
	char cmd[4 * LVE_SNAP_CMD_MAX + 8];
	int n = 0;

	if (s->nproc >= LVE_SNAP_MAX_PROCS || strlen(l) >= sizeof(cmd))
		return -EINVAL;
	if (sscanf(l, "P %" SCNd32 " %" SCNd32 " %" SCNu32 " %c %" SCNu32 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		      " %s%n",
		   &p.pid, &p.ppid, &p.uid, &p.state, &p.threads, &p.cpu_ms, &p.rss, &p.read_bytes, &p.write_bytes, cmd,
		   &n) != 10 ||
	    l[n] != 0 || p.pid <= 0 || unescape(cmd, p.cmd, sizeof(p.cmd)) < 0)
		return -EINVAL;
	if (!s->procs) {
		s->procs = calloc(LVE_SNAP_MAX_PROCS, sizeof(*s->procs));
		if (!s->procs)
			return -ENOMEM;
	}
	s->procs[s->nproc++] = p;
	return 0;
}

static int parse_r(const char *l, struct lve_snap *s)
{
	struct lve_snap_req q = { 0 };
	char text[4 * LVE_SNAP_REQ_MAX + 8];
	int n = 0;

	if (s->nreq >= LVE_SNAP_MAX_REQS || strlen(l) >= sizeof(text))
		return -EINVAL;
	if (sscanf(l, "R %" SCNd32 " %" SCNd32 " %" SCNd64 " %s%n", &q.pid, &q.tid, &q.when, text, &n) != 4 ||
	    l[n] != 0 || q.pid <= 0 || q.tid <= 0 || unescape(text, q.text, sizeof(q.text)) < 0)
		return -EINVAL;
	if (!s->reqs) {
		s->reqs = calloc(LVE_SNAP_MAX_REQS, sizeof(*s->reqs));
		if (!s->reqs)
			return -ENOMEM;
	}
	s->reqs[s->nreq++] = q;
	return 0;
}

int lve_snap_read(FILE *f, struct lve_snap *out, unsigned *line)
{
	char buf[4 * LVE_SNAP_CMD_MAX + 256];
	bool in = false;
	unsigned start = 0;
	int r;

	lve_snap_clear(out);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		(*line)++;
		if (len == 0 || buf[len - 1] != '\n')
			goto bad; /* over-long or cut */
		buf[len - 1] = 0;
		if (!in) {
			if (buf[0] != 'S')
				continue; /* resynchronise after a bad record */
			start = *line;
			r = parse_s(buf, out);
			if (r < 0)
				goto bad;
			in = true;
		} else if (buf[0] == 'P') {
			if (out->nreq)
				goto bad; /* R lines come after every P line */
			r = parse_p(buf, out);
			if (r < 0)
				goto bad;
		} else if (buf[0] == 'R') {
			r = parse_r(buf, out);
			if (r < 0)
				goto bad;
		} else if (!strcmp(buf, "E")) {
			if (out->nproc > out->nprocs)
				goto bad;
			return 1;
		} else
			goto bad;
	}
	if (!in)
		return 0;
bad:
	lve_snap_clear(out);
	*line = start ? start : *line;
	return -EINVAL;
}

int lve_snap_parse(const char *text, struct lve_snap *out)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	unsigned line = 0;
	int r;

	if (!f)
		return -ENOMEM;
	r = lve_snap_read(f, out, &line);
	fclose(f);
	return r;
}

/* ------------------------------------------- many records, JSON (lve-read-snapshot, lved's page) */

const char *const lve_snap_fault_names[7] = { "cpu", "ep", "pmem", "vmem", "nproc", "io", "iops" };
static const char *const usage_names[6] = { "cpu", "pmem", "ep", "nproc", "io", "iops" };

void lve_snaps_free(struct lve_snaps *s)
{
	for (size_t i = 0; i < s->n; i++)
		lve_snap_clear(&s->v[i]);
	free(s->v);
}

int lve_snaps_load(const char *dir, uint32_t id, int64_t from, int64_t to, struct lve_snaps *out, int *bad)
{
	char path[4096];

	for (int64_t day = from - from % 86400; day < to; day += 86400) {
		time_t t = (time_t)day;
		struct tm tm;
		char name[32];
		FILE *f;
		unsigned line = 0;
		int fd;

		gmtime_r(&t, &tm);
		strftime(name, sizeof(name), "%Y-%m-%d.snap", &tm);
		snprintf(path, sizeof(path), "%s/%" PRIu32 "/%s", dir, id, name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			return -errno;
		}
		for (;;) {
			struct lve_snap s = { 0 };
			int r = lve_snap_read(f, &s, &line);

			if (r == 0)
				break;
			if (r < 0) {
				(*bad)++;
				continue;
			}
			if (s.ts < from || s.ts >= to || s.id != id) {
				lve_snap_clear(&s);
				continue;
			}
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 16;
				struct lve_snap *v = realloc(out->v, cap * sizeof(*v));

				if (!v) {
					lve_snap_clear(&s);
					fclose(f);
					return -ENOMEM;
				}
				out->v = v;
				out->cap = cap;
			}
			out->v[out->n++] = s;
		}
		fclose(f);
	}
	return 0;
}

void lve_snap_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void lve_snap_json(FILE *o, const struct lve_snap *s)
{
	fprintf(o, "{\"timestamp\": %" PRId64 ", \"incident_start\": %" PRId64 ", \"faults\": {", s->ts, s->incident);
	for (int k = 0; k < 7; k++)
		fprintf(o, "%s\"%s\": %" PRIu64, k ? ", " : "", lve_snap_fault_names[k], s->faults[k]);
	fputs("}, \"usage\": {", o);
	for (int k = 0; k < 6; k++) {
		if (k == 0)
			fprintf(o, "\"cpu\": %.2f", (double)s->usage[0] / 100.0);
		else
			fprintf(o, ", \"%s\": %" PRIu64, usage_names[k], s->usage[k]);
	}
	fprintf(o, "}, \"nprocs\": %" PRIu32 ", \"truncated\": %s, \"processes\": [", s->nprocs,
		s->truncated ? "true" : "false");
	for (size_t i = 0; i < s->nproc; i++) {
		const struct lve_snap_proc *p = &s->procs[i];

		fprintf(o, "%s{\"pid\": %d, \"ppid\": %d, \"uid\": %" PRIu32 ", \"state\": \"%c\", \"threads\": %" PRIu32
			   ", \"cpu_seconds\": %.3f, \"rss\": %" PRIu64 ", \"read_bytes\": %" PRIu64
			   ", \"write_bytes\": %" PRIu64 ", \"cmdline\": ",
			i ? ", " : "", (int)p->pid, (int)p->ppid, p->uid, p->state, p->threads,
			(double)p->cpu_ms / 1000.0, p->rss, p->read_bytes, p->write_bytes);
		lve_snap_json_str(o, p->cmd);
		fputc('}', o);
	}
	fputs("], \"http_requests\": [", o);
	for (size_t i = 0; i < s->nreq; i++) {
		const struct lve_snap_req *q = &s->reqs[i];

		fprintf(o, "%s{\"pid\": %d, \"tid\": %d, \"since\": %" PRId64 ", \"request\": ", i ? ", " : "",
			(int)q->pid, (int)q->tid, q->when);
		lve_snap_json_str(o, q->text);
		fputc('}', o);
	}
	fputs("]}", o);
}
