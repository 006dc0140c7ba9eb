/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * collect.c - the sampler behind lved.
 *
 * Per LVE it keeps O_RDONLY fds of the kernel's usage files and one open
 * file description of the LVE's state file, and re-reads them with pread(2)
 * each pass: no path is built per sample. The LVE root is listed again only
 * when its link count changes (kernfs counts subdirectories in it; its mtime
 * does not move), every LVE_COLLECT_RESCAN passes, or after an LVE
 * disappeared (its files then fail with ENODEV).
 *
 * The probe, read every pass, its fd always kept: the LVE's CPU time
 *   v2  cpu.stat (usage_usec)       v1  cpuacct.usage
 * An LVE whose CPU time did not move since the last pass is "quiet":
 * nothing ran in it, so no counter that needs a running task (throttling,
 * fork and charge failures, IO, EP, processes, threads) can have moved and
 * the previous values stand; that pass costs one pread. Every
 * LVE_COLLECT_RESCAN passes (staggered by id; every LVE_COLLECT_IDLE_REREAD
 * passes once it has been quiet that long and its files are closed) a quiet
 * LVE's memory charge (reclaim moves it) and its task count (a sleeping task
 * moved in or out by someone else) are read again, and v2 io.stat
 * (writeback of its pages). Its state file is read again when liblve's
 * change log names it (below).
 * The other files, read when the LVE is not quiet, are opened on demand
 * beneath the hierarchy's LVE root (openat2 RESOLVE_BENEATH), kept while
 * the LVE is busy and closed (with the state file) after
 * LVE_COLLECT_RESCAN quiet passes:
 *   v2  memory.current memory.events pids.current pids.events io.stat
 *       cgroup.procs [cgroup.threads]
 *   v1  cpu.stat memory.usage_in_bytes memory.failcnt memory.memsw.failcnt
 *       memory.oom_control pids.current pids.events
 *       blkio.throttle.io_service_bytes(_recursive)
 *       blkio.throttle.io_serviced(_recursive) cgroup.procs [tasks]
 * Every kept kernfs file pins a seq_file page in the kernel (charged to
 * lved's memory cgroup), hence one fd per idle LVE; peaks (memory.peak,
 * max_usage_in_bytes) are not read: no sample field uses them. LVEs over
 * the fd budget (RLIMIT_NOFILE minus LVE_COLLECT_FD_RESERVE) are opened,
 * read and closed in every pass.
 *
 * EP is the number of EP slot bytes locked in the state file (F_OFD_GETLK
 * scan from our own description, which never holds a slot). Limits come
 * from olve_get_limits(), refreshed when the state file's mtime moves (every
 * olve_apply writes it; checked while the LVE is busy) or when liblve's
 * change log <state_dir>/lve/changes (state.c) names the LVE: every state
 * header write through liblve (limits, flags, the defaults record, an EP
 * fault counted by root) notes its LVE there, and the log is read once per
 * pass (lock, pread, unlock), so limits set on a quiet LVE are in the next
 * pass's sample, without re-reading 10,000 idle state files on a timer.
 * A fault counted by a process that is not root (a web-server child; the
 * log is root's) is not noted: a quiet LVE's shows when it next runs.
 * Limits changed behind liblve (cgroup files written by hand) are read
 * again every LVE_COLLECT_LIMITS_CHECK passes (a day at 5 s). The handle's
 * fd cache entry olve_get_limits creates is dropped again
 * (olve_lve_forget) so each LVE's fds are held once, here. Each LVE's
 * directory (lve<ID>, lvp<R>/lve<ID>) is found once, when it is first
 * listed: one that moves fails its probe and is listed again.
 *
 * Reseller groups (lve_collector_reseller_pass): the lvp<R> groups that
 * carry a reseller's own caps over its customers. Listed again after every
 * LVE root listing (a new lvp<R> changes the root's link count too); each
 * pass opens, reads and closes every usage file of every group (resellers
 * are few; nothing is kept). Their usage is the customers' sum (the kernel
 * counts hierarchically); their faults are those of the group's own caps
 * only: cpu.stat nr_throttled (a parent's CFS pool throttles on its own
 * count), memory.failcnt + memory.memsw.failcnt (v1: the counter that
 * refused the charge) or memory.events.local "max" (v2; memory.events adds
 * the customers' own events), pids.events.local "max" where the kernel has
 * it, else pids.events. No state file: EP, VMEM and their faults are 0.
 * Limits: olve_reseller_limits(), read again every LVE_COLLECT_RESCAN passes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "lve-internal.h"
#include "macro.h"
#include "stats.h"

/* ------------------------------------------------------------- parsers */

/* Parse a decimal u64 at *p (advanced past it). -EINVAL when no digits or overflow. */
static int scan_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

/*
 * Walk the "key value" lines of a flat-keyed file; cb(key, keylen, value, ud)
 * for each. A line whose value is not a number is -EINVAL; a line that is
 * only a key (or empty) too, except empty lines.
 */
static int keyed_walk(const char *text, void (*cb)(const char *k, size_t kl, uint64_t v, void *ud), void *ud)
{
	if (!text)
		return -EINVAL;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n'), *sp;
		uint64_t v;

		if (end == p) {
			p++;
			continue;
		}
		sp = memchr(p, ' ', (size_t)(end - p));
		if (!sp || sp == p)
			return -EINVAL;
		{
			const char *q = sp + 1;

			if (scan_u64(&q, &v) < 0 || q != end)
				return -EINVAL;
		}
		cb(p, (size_t)(sp - p), v, ud);
		p = *end ? end + 1 : end;
	}
	return 0;
}

static bool key_is(const char *k, size_t kl, const char *want)
{
	return strlen(want) == kl && !memcmp(k, want, kl);
}

static void cpu_stat_cb(const char *k, size_t kl, uint64_t v, void *ud)
{
	struct lve_cpu_stat *s = ud;

	if (key_is(k, kl, "usage_usec"))
		s->usage_usec = v;
	else if (key_is(k, kl, "nr_periods"))
		s->nr_periods = v;
	else if (key_is(k, kl, "nr_throttled"))
		s->nr_throttled = v;
	else if (key_is(k, kl, "throttled_usec"))
		s->throttled_usec = v;
	else if (key_is(k, kl, "throttled_time"))
		s->throttled_usec = v / 1000;
}

int lve_parse_cpu_stat(const char *text, struct lve_cpu_stat *out)
{
	struct lve_cpu_stat s = { 0 };
	int r;

	if (!out)
		return -EINVAL;
	r = keyed_walk(text, cpu_stat_cb, &s);
	if (r < 0)
		return r;
	*out = s;
	return 0;
}

static void mem_events_cb(const char *k, size_t kl, uint64_t v, void *ud)
{
	struct lve_mem_events *e = ud;

	if (key_is(k, kl, "low"))
		e->low = v;
	else if (key_is(k, kl, "high"))
		e->high = v;
	else if (key_is(k, kl, "max"))
		e->max = v;
	else if (key_is(k, kl, "oom"))
		e->oom = v;
	else if (key_is(k, kl, "oom_kill"))
		e->oom_kill = v;
}

int lve_parse_memory_events(const char *text, struct lve_mem_events *out)
{
	struct lve_mem_events e = { 0 };
	int r;

	if (!out)
		return -EINVAL;
	r = keyed_walk(text, mem_events_cb, &e);
	if (r < 0)
		return r;
	*out = e;
	return 0;
}

struct keyed_one {
	const char *key;
	uint64_t v;
	bool found;
};

static void keyed_one_cb(const char *k, size_t kl, uint64_t v, void *ud)
{
	struct keyed_one *o = ud;

	if (!o->found && key_is(k, kl, o->key)) {
		o->v = v;
		o->found = true;
	}
}

int lve_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	struct keyed_one o = { .key = key };
	int r;

	if (!key || !out)
		return -EINVAL;
	r = keyed_walk(text, keyed_one_cb, &o);
	if (r < 0)
		return r;
	if (!o.found)
		return -ENOENT;
	*out = o.v;
	return 0;
}

/* "MAJ:MIN" at *p, advanced past it. */
static int scan_devnum(const char **p)
{
	uint64_t maj, min;
	const char *s = *p;

	if (scan_u64(&s, &maj) < 0 || *s != ':')
		return -EINVAL;
	s++;
	if (scan_u64(&s, &min) < 0)
		return -EINVAL;
	*p = s;
	return 0;
}

/* Saturating add: a corrupt file must not wrap the sums. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int lve_parse_io_stat(const char *text, struct lve_io_counters *out)
{
	struct lve_io_counters c = { 0 };
	int ndev = 0;

	if (!text || !out)
		return -EINVAL;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n'), *q = p;

		if (end == p) {
			p++;
			continue;
		}
		if (scan_devnum(&q) < 0)
			return -EINVAL;
		while (q < end) {
			const char *eq, *tok;
			uint64_t v;

			if (*q != ' ')
				return -EINVAL;
			while (q < end && *q == ' ')
				q++;
			if (q == end)
				break;
			tok = q;
			eq = memchr(tok, '=', (size_t)(end - tok));
			if (!eq || eq == tok)
				return -EINVAL;
			q = eq + 1;
			if (scan_u64(&q, &v) < 0 || (q < end && *q != ' '))
				return -EINVAL;
			if (key_is(tok, (size_t)(eq - tok), "rbytes"))
				c.rbytes = sat_add(c.rbytes, v);
			else if (key_is(tok, (size_t)(eq - tok), "wbytes"))
				c.wbytes = sat_add(c.wbytes, v);
			else if (key_is(tok, (size_t)(eq - tok), "rios"))
				c.rios = sat_add(c.rios, v);
			else if (key_is(tok, (size_t)(eq - tok), "wios"))
				c.wios = sat_add(c.wios, v);
		}
		ndev++;
		p = *end ? end + 1 : end;
	}
	*out = c;
	return ndev;
}

int lve_parse_blkio(const char *text, uint64_t *rd, uint64_t *wr)
{
	uint64_t r_sum = 0, w_sum = 0;
	int ndev = 0;

	if (!text || !rd || !wr)
		return -EINVAL;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n'), *q = p, *op;
		size_t ol;
		uint64_t v;

		if (end == p) {
			p++;
			continue;
		}
		if (!strncmp(p, "Total ", 6)) {
			/* the summary line of all devices */
			q = p + 6;
			if (scan_u64(&q, &v) < 0 || q != end)
				return -EINVAL;
			p = *end ? end + 1 : end;
			continue;
		}
		if (scan_devnum(&q) < 0 || *q != ' ')
			return -EINVAL;
		op = ++q;
		while (q < end && *q != ' ')
			q++;
		ol = (size_t)(q - op);
		if (q == end || ol == 0)
			return -EINVAL;
		q++;
		if (scan_u64(&q, &v) < 0 || q != end)
			return -EINVAL;
		if (key_is(op, ol, "Read"))
			r_sum = sat_add(r_sum, v);
		else if (key_is(op, ol, "Write"))
			w_sum = sat_add(w_sum, v);
		else if (key_is(op, ol, "Total"))
			ndev++;
		p = *end ? end + 1 : end;
	}
	*rd = r_sum;
	*wr = w_sum;
	return ndev;
}

int lve_parse_u64_or_max(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t v;

	if (!text || !out)
		return -EINVAL;
	if (!strcmp(text, "max\n") || !strcmp(text, "max")) {
		*out = 0;
		return 0;
	}
	if (scan_u64(&p, &v) < 0 || (*p && strcmp(p, "\n")))
		return -EINVAL;
	*out = v;
	return 0;
}

uint32_t lve_count_lines(const char *text)
{
	uint32_t n = 0;

	if (!text)
		return 0;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');

		if (end != p)
			n++;
		p = *end ? end + 1 : end;
	}
	return n;
}

/* ----------------------------------------------------------- collector */

enum slot {
	S_CPU_STAT,
	S_CPUACCT,
	S_MEM_CUR,
	S_MEM_EVENTS,
	S_MEM_FAILCNT,
	S_MEMSW_FAILCNT,
	S_MEM_OOM,
	S_PIDS_CUR,
	S_PIDS_EVENTS,
	S_IO_STAT,
	S_BLKIO_BYTES,
	S_BLKIO_IOS,
	S_PROCS,
	S_THREADS,
	S_COUNT
};

struct slot_def {
	int hier; /* index into h->hier, -1 = not read on this host */
	const char *name;
	const char *alt; /* tried when name is missing */
	bool probe;      /* read in every pass, fd always kept (see read_ent) */
};

/* Cumulative counters and instantaneous values read in one pass. */
struct raw {
	uint64_t cpu_usec, throttled;
	uint64_t pmem, fault_pmem;
	uint64_t nthreads, fault_nproc;
	uint64_t rbytes, wbytes, rios, wios;
	uint64_t vmem;
	uint64_t fault_ep, fault_vmem;
	uint32_t nprocs, ep;
};

struct ent {
	uint32_t id;
	char rel[OLVE_RELPATH_MAX]; /* lve<ID> or lvp<R>/lve<ID>, found when it was first listed */
	int fd[S_COUNT];
	uint32_t absent;          /* detail slots this LVE does not have (bits) */
	uint32_t quiet_passes;    /* consecutive quiet passes */
	int statefd;
	struct timespec state_mtime;
	bool st_recheck;  /* mtime was recent at the last refresh: coarse clock, look again */
	bool lim_valid;
	struct olve_limits lim;
	struct raw prev;
	int64_t prev_mono;
	bool have_prev;
	bool dead;
	bool transient; /* over the fd budget: files opened and closed in every pass */
	bool fds_open;
	bool quiet;     /* the last pass was quiet */
	bool reseller;  /* a reseller's own group lvp<id> (lve_collector_reseller_pass) */
	bool state_dirty; /* the change log named it: read its state file (limits, faults) */
};

/* Passes between re-reads of a long-idle LVE's memory, tasks and state file (5 min at 5 s). */
#define LVE_COLLECT_IDLE_REREAD (LVE_COLLECT_RESCAN * 5)
/* A long-idle LVE's probe is read every this many passes (see lve_collector_pass). */
#define LVE_COLLECT_IDLE_PROBE 3
/* Passes between limit reads of an LVE nobody changed through liblve (a day at 5 s; see the top). */
#define LVE_COLLECT_LIMITS_CHECK (LVE_COLLECT_RESCAN * 60 * 24)

struct lve_collector {
	struct olve *h;
	struct slot_def slot[S_COUNT];
	bool cpu_v2;     /* S_CPU_STAT holds usage_usec */
	int procfd;      /* /proc */
	long page_size;
	struct ent **v;  /* sorted by id */
	size_t n;
	char *buf;
	size_t bufcap;
	uint64_t *pids;
	size_t pidcap;
	nlink_t root_nlink;
	uint64_t fd_budget;  /* fds we may keep (RLIMIT_NOFILE minus a reserve) */
	uint64_t fds_per_lve;
	bool full;           /* lve_collector_set_full: no quiet shortcut */
	bool need_rescan;
	int chgfd;           /* the change log (OLVE_STATE_CHANGES), -1 while missing */
	uint64_t chg_gen;    /* its gen as of the last pass */
	uint64_t pass_no;
	struct lve_collector_status st;
	/* the resellers' own groups, sorted by id */
	struct ent **rv;
	size_t rn;
	uint64_t res_listed_at; /* st.n_rescans when rv was listed */
	bool res_listed, res_need;
	uint64_t res_pass_no;
};

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void slot_set(struct lve_collector *c, enum slot s, int hier, const char *name, const char *alt)
{
	c->slot[s].hier = hier;
	c->slot[s].name = name;
	c->slot[s].alt = alt;
}

static void setup_slots(struct lve_collector *c)
{
	struct olve *h = c->h;
	int cpu = olve_hier_of(h, CG_CTRL_CPU), acct = olve_hier_of(h, CG_CTRL_CPUACCT);
	int mem = olve_hier_of(h, CG_CTRL_MEMORY), pids = olve_hier_of(h, CG_CTRL_PIDS);
	int io = olve_hier_of(h, CG_CTRL_IO);
	int any = h->n_hier > 0 ? 0 : -1;

	if (io < 0)
		io = olve_hier_of(h, CG_CTRL_BLKIO);
	for (int s = 0; s < S_COUNT; s++) {
		c->slot[s].hier = -1;
		c->slot[s].probe = false;
	}

	if (cpu >= 0 && h->hier[cpu].version == 2) {
		slot_set(c, S_CPU_STAT, cpu, "cpu.stat", NULL);
		c->cpu_v2 = true;
	} else {
		if (cpu >= 0)
			slot_set(c, S_CPU_STAT, cpu, "cpu.stat", NULL);
		if (acct >= 0)
			slot_set(c, S_CPUACCT, acct, "cpuacct.usage", NULL);
		else if (cpu < 0 && any >= 0 && h->hier[any].version == 2) {
			/* v2 without the cpu controller: cpu.stat still has usage_usec */
			slot_set(c, S_CPU_STAT, any, "cpu.stat", NULL);
			c->cpu_v2 = true;
		}
	}
	if (mem >= 0) {
		if (h->hier[mem].version == 2) {
			slot_set(c, S_MEM_CUR, mem, "memory.current", NULL);
			slot_set(c, S_MEM_EVENTS, mem, "memory.events", NULL);
		} else {
			slot_set(c, S_MEM_CUR, mem, "memory.usage_in_bytes", NULL);
			slot_set(c, S_MEM_FAILCNT, mem, "memory.failcnt", NULL);
			slot_set(c, S_MEMSW_FAILCNT, mem, "memory.memsw.failcnt", NULL);
			slot_set(c, S_MEM_OOM, mem, "memory.oom_control", NULL);
		}
	}
	if (pids >= 0) {
		slot_set(c, S_PIDS_CUR, pids, "pids.current", NULL);
		slot_set(c, S_PIDS_EVENTS, pids, "pids.events", NULL);
	}
	if (io >= 0) {
		if (h->hier[io].version == 2) {
			slot_set(c, S_IO_STAT, io, "io.stat", NULL);
		} else {
			slot_set(c, S_BLKIO_BYTES, io, "blkio.throttle.io_service_bytes",
				 "blkio.throttle.io_service_bytes_recursive");
			slot_set(c, S_BLKIO_IOS, io, "blkio.throttle.io_serviced",
				 "blkio.throttle.io_serviced_recursive");
		}
	}
	if (any >= 0) {
		int ph = pids >= 0 ? pids : any;

		slot_set(c, S_PROCS, ph, "cgroup.procs", NULL);
		if (pids < 0)
			slot_set(c, S_THREADS, any, h->hier[any].version == 2 ? "cgroup.threads" : "tasks", NULL);
	}
	c->slot[S_CPUACCT].probe = true;
	c->slot[S_CPU_STAT].probe = c->cpu_v2;
}

int lve_collector_new(struct olve *h, struct lve_collector **out)
{
	struct lve_collector *c;
	struct stat sb;

	if (!h || !out || h->n_hier <= 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h = h;
	c->page_size = sysconf(_SC_PAGESIZE);
	if (c->page_size <= 0)
		c->page_size = 4096;
	c->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->chgfd = -1;
	c->bufcap = 4096;
	c->buf = malloc(c->bufcap);
	if (!c->buf) {
		lve_collector_free(c);
		return -ENOMEM;
	}
	setup_slots(c);
	c->fds_per_lve = 0; /* the probe of an idle LVE */
	for (int s = 0; s < S_COUNT; s++)
		c->fds_per_lve += c->slot[s].hier >= 0 && c->slot[s].probe;
	if (!c->fds_per_lve)
		c->fds_per_lve = 1;
	{
		struct rlimit rl;
		uint64_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 1024;

		/* leave room for the database, sockets, /proc reads and liblve */
		c->fd_budget = lim > LVE_COLLECT_FD_RESERVE * 2 ? lim - LVE_COLLECT_FD_RESERVE : lim / 2;
	}
	if (fstat(h->hier[0].rootfd, &sb) == 0)
		c->root_nlink = sb.st_nlink;
	c->need_rescan = true;
	*out = c;
	return 0;
}

static void ent_close_fds(struct lve_collector *c, struct ent *e);

static void ent_free(struct lve_collector *c, struct ent *e)
{
	if (!e)
		return;
	ent_close_fds(c, e);
	free(e);
}

void lve_collector_free(struct lve_collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		ent_free(c, c->v[i]);
	free(c->v);
	for (size_t i = 0; i < c->rn; i++)
		ent_free(c, c->rv[i]);
	free(c->rv);
	free(c->buf);
	free(c->pids);
	safe_close(c->procfd);
	safe_close(c->chgfd);
	free(c);
}

void lve_collector_set_full(struct lve_collector *c, bool full)
{
	if (c)
		c->full = full;
}

void lve_collector_status(const struct lve_collector *c, struct lve_collector_status *out)
{
	if (c && out)
		*out = c->st;
}

/* Limits through liblve; the handle's per-LVE fd cache entry is dropped again. */
static int refresh_limits(struct lve_collector *c, struct ent *e)
{
	struct olve_limits lim;
	int r = olve_get_limits(c->h, e->id, &lim);

	olve_lve_forget(c->h, e->id);
	if (r < 0)
		return r;
	e->lim = lim;
	e->lim_valid = true;
	return 0;
}

static void close_fd(struct lve_collector *c, int *fd)
{
	if (*fd >= 0) {
		*fd = safe_close(*fd);
		c->st.n_fds--;
	}
}

/* Detail fds and the state file (kept while the LVE is busy). */
static void ent_close_details(struct lve_collector *c, struct ent *e)
{
	for (int s = 0; s < S_COUNT; s++)
		if (!c->slot[s].probe)
			close_fd(c, &e->fd[s]);
	close_fd(c, &e->statefd);
}

static void ent_close_fds(struct lve_collector *c, struct ent *e)
{
	for (int s = 0; s < S_COUNT; s++)
		close_fd(c, &e->fd[s]);
	close_fd(c, &e->statefd);
	e->fds_open = false;
}

/* "lve<ID>/<file>" beneath the hierarchy's LVE root, never leaving it. -errno. */
static int open_beneath(int rootfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS) {
		/* before Linux 5.6: lve<ID> is a name we made, cgroupfs has no symlinks */
		fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	return fd < 0 ? -errno : (int)fd;
}

static int open_slot(struct lve_collector *c, const struct ent *e, const struct slot_def *d)
{
	char rel[128];
	int fd;

	/* [issue 10] lve<ID>, or lvp<R>/lve<ID> for a reseller's customer (moved: its probe fails, rescan) */
	snprintf(rel, sizeof(rel), "%s/%s", e->rel, d->name);
	fd = open_beneath(c->h->hier[d->hier].rootfd, rel);
	if (fd == -ENOENT && d->alt) {
		snprintf(rel, sizeof(rel), "%s/%s", e->rel, d->alt);
		fd = open_beneath(c->h->hier[d->hier].rootfd, rel);
	}
	return fd;
}

/* Open e's probe (the CPU time file). On failure nothing stays open. */
static int ent_open_fds(struct lve_collector *c, struct ent *e)
{
	int r = 0, opened = 0;

	for (int s = 0; s < S_COUNT && r >= 0; s++) {
		int fd;

		if (c->slot[s].hier < 0 || !c->slot[s].probe)
			continue;
		fd = open_slot(c, e, &c->slot[s]);
		if (fd < 0) {
			r = fd;
			break;
		}
		e->fd[s] = fd;
		c->st.n_fds++;
		opened++;
	}
	if (r >= 0 && !opened) {
		/* no CPU file on this host: the LVE must still exist */
		_cleanup_close_ int d = -1;

		d = ol_open_dir_beneath(c->h->hier[0].rootfd, e->rel, OL_OPEN_PATH, 0);
		if (d < 0)
			r = d;
	}
	if (r < 0)
		ent_close_fds(c, e);
	else
		e->fds_open = true;
	return r;
}

/* The state file, opened when needed (busy, or a periodic limits refresh). */
static void ent_open_state(struct lve_collector *c, struct ent *e)
{
	int fd;

	if (e->statefd >= 0)
		return;
	fd = olve_state_open(c->h, e->id, false);
	if (fd == -ENOENT) {
		/* olve_get_limits opens the LVE through liblve, which (re)creates its state file */
		if (refresh_limits(c, e) >= 0)
			fd = olve_state_open(c->h, e->id, false);
	}
	if (fd >= 0) {
		e->statefd = fd;
		c->st.n_fds++;
	}
}

static bool out_of_fds(int r)
{
	return r == -EMFILE || r == -ENFILE;
}

/*
 * A new LVE: its probe fds are kept while the budget allows; beyond it (or
 * when the kernel says EMFILE) it is "transient": opened, read and closed in
 * every pass.
 */
static int ent_open(struct lve_collector *c, uint32_t id, struct ent **out)
{
	struct ent *e;
	int r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->id = id;
	{
		uint32_t rid;

		(void)olve_lve_relpath(c->h, id, e->rel, &rid);
	}
	e->statefd = -1;
	for (int s = 0; s < S_COUNT; s++)
		e->fd[s] = -1;
	e->transient = c->st.n_fds + c->fds_per_lve > c->fd_budget;
	r = ent_open_fds(c, e);
	if (out_of_fds(r) && !e->transient) {
		e->transient = true;
		r = ent_open_fds(c, e);
	}
	if (r < 0) {
		ent_free(c, e);
		return r;
	}
	/* it exists; a transient LVE is opened again when it is read */
	if (e->transient)
		ent_close_fds(c, e);
	*out = e;
	return 0;
}

/* Merge the LVE root's listing into c->v. */
static int rescan(struct lve_collector *c)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct ent **nv;
	size_t i = 0, j = 0, k = 0;
	int n;

	n = olve_list(c->h, &ids);
	if (n < 0)
		return n;
	nv = malloc(((size_t)n + c->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	c->need_rescan = false;
	c->st.n_rescans++;
	c->st.n_skipped = 0;
	while (i < (size_t)n || j < c->n) {
		if (j < c->n && (i == (size_t)n || c->v[j]->id < ids[i])) {
			/* gone */
			ent_free(c, c->v[j++]);
		} else if (j < c->n && c->v[j]->id == ids[i]) {
			nv[k++] = c->v[j++];
			i++;
		} else {
			struct ent *e;
			int r = ent_open(c, ids[i], &e);

			if (r >= 0) {
				nv[k++] = e;
			} else {
				c->st.n_skipped++;
				c->st.last_err = r;
				c->st.last_err_id = ids[i];
				/* half-created or just removed: look again next pass */
				if (r == -ENOENT || r == -ENODEV)
					c->need_rescan = true;
			}
			i++;
		}
	}
	free(c->v);
	c->v = nv;
	c->n = k;
	return 0;
}

/* pread the whole file into c->buf (NUL-terminated). Length or -errno. */
static ssize_t read_slot(struct lve_collector *c, int fd)
{
	for (;;) {
		ssize_t n = pread(fd, c->buf, c->bufcap - 1, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n < c->bufcap - 1) {
			c->buf[n] = 0;
			return n;
		}
		if (c->bufcap >= 256u << 20)
			return -EFBIG;
		{
			char *nb = realloc(c->buf, c->bufcap * 2);

			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->bufcap *= 2;
		}
	}
}

static bool gone(ssize_t r)
{
	return r == -ENODEV || r == -ENOENT || r == -ESTALE;
}

/* Sum of the virtual memory of the processes listed in c->buf (cgroup.procs). */
static uint64_t vmem_of(struct lve_collector *c, uint32_t nprocs)
{
	uint64_t sum = 0;
	size_t n = 0;

	if (c->procfd < 0 || nprocs == 0)
		return 0;
	if (nprocs > c->pidcap) {
		uint64_t *np = realloc(c->pids, nprocs * sizeof(*np));

		if (!np)
			return 0;
		c->pids = np;
		c->pidcap = nprocs;
	}
	for (const char *p = c->buf; *p && n < nprocs;) {
		const char *q = p;
		uint64_t pid;

		if (scan_u64(&q, &pid) == 0)
			c->pids[n++] = pid;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	for (size_t i = 0; i < n; i++) {
		char path[32], buf[128];
		const char *q = buf;
		uint64_t pages;
		int fd;
		ssize_t len;

		snprintf(path, sizeof(path), "%" PRIu64 "/statm", c->pids[i]);
		fd = openat(c->procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		safe_close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		if (scan_u64(&q, &pages) == 0)
			sum = sat_add(sum, pages * (uint64_t)c->page_size);
	}
	return sum;
}

/* Number of EP slot bytes locked by anyone (see OLVE_SLOT_BASE). */
static int count_slots(int fd)
{
	off_t pos = OLVE_SLOT_BASE;
	long n = 0;

	for (;;) {
		struct flock fl = {
			.l_type = F_WRLCK,
			.l_whence = SEEK_SET,
			.l_start = pos,
			.l_len = 0,
		};

		if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
			return -errno;
		if (fl.l_type == F_UNLCK)
			break;
		if (fl.l_len == 0)
			return (int)(n + 1);
		if (fl.l_start < pos)
			fl.l_len -= pos - fl.l_start, fl.l_start = pos;
		n += fl.l_len;
		if (n > INT32_MAX)
			return INT32_MAX;
		pos = fl.l_start + fl.l_len;
	}
	return (int)n;
}

/* State file: fault counters (and limits) when it changed; EP slots every pass. */
static void read_state(struct lve_collector *c, struct ent *e, int64_t now_sec, bool slots, struct raw *raw)
{
	struct stat sb;
	bool changed, dirty = e->state_dirty;

	e->state_dirty = false;
	ent_open_state(c, e);
	if (e->statefd < 0) {
		if (!e->lim_valid)
			(void)refresh_limits(c, e);
		return;
	}
	if (fstat(e->statefd, &sb) < 0)
		return;
	changed = sb.st_mtim.tv_sec != e->state_mtime.tv_sec || sb.st_mtim.tv_nsec != e->state_mtime.tv_nsec;
	if (changed || dirty || e->st_recheck || !e->lim_valid || (c->pass_no + e->id) % LVE_COLLECT_LIMITS_CHECK == 0) {
		struct olve_state st;

		(void)refresh_limits(c, e);
		if (olve_state_read(e->statefd, &st) == 0) {
			raw->fault_ep = st.fault_ep;
			raw->fault_vmem = st.fault_vmem;
		}
		e->state_mtime = sb.st_mtim;
		/* file times move in coarse ticks: a write in the same tick leaves mtime alone */
		e->st_recheck = changed && sb.st_mtim.tv_sec >= now_sec - 2;
	}
	if (slots) {
		int n = count_slots(e->statefd);

		if (n >= 0)
			raw->ep = (uint32_t)n;
	}
	/* over the fd budget: opened for this read only */
	if (c->st.n_fds > c->fd_budget)
		close_fd(c, &e->statefd);
}

struct v1mem {
	uint64_t failcnt, memsw, oomk;
	bool have;
};

/* Parse slot s (its text is in c->buf) into raw. */
static void parse_slot(struct lve_collector *c, int s, struct raw *raw, struct v1mem *m)
{
	switch (s) {
	case S_CPU_STAT: {
		struct lve_cpu_stat cs;

		if (lve_parse_cpu_stat(c->buf, &cs) == 0) {
			raw->throttled = cs.nr_throttled;
			if (c->cpu_v2)
				raw->cpu_usec = cs.usage_usec;
		}
		break;
	}
	case S_CPUACCT: {
		uint64_t ns;

		if (lve_parse_u64_or_max(c->buf, &ns) == 0)
			raw->cpu_usec = ns / 1000;
		break;
	}
	case S_MEM_CUR:
		(void)lve_parse_u64_or_max(c->buf, &raw->pmem);
		break;
	case S_MEM_EVENTS: {
		struct lve_mem_events me;

		if (lve_parse_memory_events(c->buf, &me) == 0)
			raw->fault_pmem = me.max;
		break;
	}
	case S_MEM_FAILCNT:
		if (lve_parse_u64_or_max(c->buf, &m->failcnt) == 0)
			m->have = true;
		break;
	case S_MEMSW_FAILCNT:
		(void)lve_parse_u64_or_max(c->buf, &m->memsw);
		break;
	case S_MEM_OOM:
		(void)lve_parse_keyed(c->buf, "oom_kill", &m->oomk);
		break;
	case S_PIDS_CUR:
		(void)lve_parse_u64_or_max(c->buf, &raw->nthreads);
		break;
	case S_PIDS_EVENTS:
		(void)lve_parse_keyed(c->buf, "max", &raw->fault_nproc);
		break;
	case S_IO_STAT: {
		struct lve_io_counters io;

		if (lve_parse_io_stat(c->buf, &io) >= 0) {
			raw->rbytes = io.rbytes;
			raw->wbytes = io.wbytes;
			raw->rios = io.rios;
			raw->wios = io.wios;
		}
		break;
	}
	case S_BLKIO_BYTES:
		(void)lve_parse_blkio(c->buf, &raw->rbytes, &raw->wbytes);
		break;
	case S_BLKIO_IOS:
		(void)lve_parse_blkio(c->buf, &raw->rios, &raw->wios);
		break;
	case S_THREADS:
		raw->nthreads = lve_count_lines(c->buf);
		break;
	}
}

/*
 * pread + parse one slot. 1 read, 0 absent or unreadable, -ENODEV when the
 * LVE is gone. A detail file not open yet is opened, and kept unless
 * `keep` is false or the fd budget is used up.
 */
static int read_one(struct lve_collector *c, struct ent *e, int s, struct raw *raw, struct v1mem *m, bool keep)
{
	const struct slot_def *d = &c->slot[s];
	bool once = false;
	ssize_t n;

	if (e->fd[s] < 0) {
		int fd;

		if (d->hier < 0 || d->probe || (e->absent >> s) & 1)
			return 0;
		fd = open_slot(c, e, d);
		if (fd < 0) {
			if (fd == -ENOENT) {
				/* a file this kernel does not have, or the LVE is gone (its probe tells) */
				e->absent |= 1u << s;
				return 0;
			}
			return gone(fd) ? -ENODEV : 0;
		}
		e->fd[s] = fd;
		c->st.n_fds++;
		once = !keep || c->st.n_fds > c->fd_budget;
	}
	n = read_slot(c, e->fd[s]);
	if (once)
		close_fd(c, &e->fd[s]);
	if (n < 0)
		return gone(n) ? -ENODEV : 0;
	parse_slot(c, s, raw, m);
	return 1;
}

/*
 * Read e's files into *raw (starting from the previous values). Quiet (see
 * the top of this file): the probe only, and every LVE_COLLECT_RESCAN
 * passes the memory charge, the task count and v2 io.stat (files not kept).
 */
static int read_ent(struct lve_collector *c, struct ent *e, int64_t now_sec, struct raw *raw)
{
	static const int first[] = { S_CPUACCT, S_CPU_STAT, S_PIDS_CUR, S_THREADS };
	struct v1mem m = { 0 };
	bool read_first[S_COUNT] = { false }, quiet, have_usage = false;
	int r;

	*raw = e->prev;
	for (size_t i = 0; i < ELEMENTSOF(first); i++) {
		int s = first[i];

		if (s == S_CPU_STAT && !c->cpu_v2)
			continue; /* v1 cpu.stat only has the throttling counters */
		if (s == S_PIDS_CUR || s == S_THREADS) {
			/* decided after the CPU time */
			quiet = !c->full && e->have_prev && have_usage && raw->cpu_usec == e->prev.cpu_usec;
			if (quiet)
				break;
		}
		r = read_one(c, e, s, raw, &m, e->have_prev);
		if (r < 0)
			return r;
		read_first[s] = true;
		if (r > 0 && (s == S_CPUACCT || s == S_CPU_STAT))
			have_usage = true;
	}
	quiet = !c->full && e->have_prev && have_usage && raw->cpu_usec == e->prev.cpu_usec;
	e->quiet = quiet;
	if (quiet) {
		c->st.n_quiet++;
		/* idle for a while: give back the detail fds (each pins a kernel seq_file buffer) */
		if (++e->quiet_passes == LVE_COLLECT_RESCAN)
			ent_close_details(c, e);
		if ((c->pass_no + e->id) % (e->quiet_passes < LVE_COLLECT_RESCAN ? LVE_COLLECT_RESCAN
										  : LVE_COLLECT_IDLE_REREAD) == 0) {
			static const int slow[] = { S_MEM_CUR, S_IO_STAT, S_PIDS_CUR, S_THREADS };

			for (size_t i = 0; i < ELEMENTSOF(slow); i++) {
				r = read_one(c, e, slow[i], raw, &m, false);
				if (r < 0)
					return r;
			}
		}
		/* limits set (or a fault counted) while idle: the change log names it (check_changes) */
		if (e->state_dirty || !e->lim_valid || (c->pass_no + e->id) % LVE_COLLECT_LIMITS_CHECK == 0) {
			read_state(c, e, now_sec, false, raw);
			if (e->quiet_passes >= LVE_COLLECT_RESCAN)
				close_fd(c, &e->statefd);
		}
		return 0;
	}
	e->quiet_passes = 0;
	for (int s = 0; s < S_COUNT; s++) {
		if (read_first[s] || s == S_PROCS)
			continue;
		/* the first pass over an LVE (lved starting: all of them) keeps nothing but its probe */
		r = read_one(c, e, s, raw, &m, e->have_prev);
		if (r < 0)
			return r;
	}
	if (m.have) {
		/* as olve_usage(): memory + memsw failures, at least the OOM kills */
		uint64_t f = sat_add(m.failcnt, m.memsw);

		raw->fault_pmem = f > m.oomk ? f : m.oomk;
	}
	/* cgroup.procs last: c->buf then holds it for the VMEM scan */
	raw->nprocs = 0;
	raw->vmem = 0;
	raw->ep = 0;
	r = read_one(c, e, S_PROCS, raw, &m, e->have_prev);
	if (r < 0)
		return r;
	if (r > 0) {
		raw->nprocs = lve_count_lines(c->buf);
		raw->vmem = vmem_of(c, raw->nprocs);
	}
	read_state(c, e, now_sec, true, raw);
	if (!e->have_prev)
		close_fd(c, &e->statefd);
	return 0;
}

static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur; /* a counter that went back was reset */
}

static uint64_t rate(uint64_t d, int64_t dt_usec)
{
	unsigned __int128 x = (unsigned __int128)d * 1000000u / (uint64_t)dt_usec;

	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* 1 when the faster direction averaged >= 95% of the limit over the interval. */
static uint64_t emulated_fault(uint64_t rate_r, uint64_t rate_w, uint64_t limit)
{
	uint64_t m = rate_r > rate_w ? rate_r : rate_w;

	if (limit == 0)
		return 0;
	return (unsigned __int128)m * 100 >= (unsigned __int128)limit * 95;
}

static void make_sample(const struct ent *e, const struct raw *cur, int64_t dt, int64_t now_usec,
			struct lve_sample *s)
{
	const struct raw *p = &e->prev;
	const struct olve_limits *l = &e->lim;
	uint64_t rr = rate(delta(cur->rbytes, p->rbytes), dt), rw = rate(delta(cur->wbytes, p->wbytes), dt);
	uint64_t ir = rate(delta(cur->rios, p->rios), dt), iw = rate(delta(cur->wios, p->wios), dt);

	memset(s, 0, sizeof(*s));
	s->id = e->id;
	s->ts = now_usec / 1000000;
	s->interval = (uint32_t)((dt + 500000) / 1000000);
	if (s->interval == 0)
		s->interval = 1;
	s->aCPU = clamp32(rate(delta(cur->cpu_usec, p->cpu_usec), dt) / 100); /* usec/s -> 1/100 % */
	s->CPUf = delta(cur->throttled, p->throttled);
	s->aEP = cur->ep;
	s->EPf = delta(cur->fault_ep, p->fault_ep);
	s->aVMem = cur->vmem;
	s->VMemF = delta(cur->fault_vmem, p->fault_vmem);
	s->aPMem = cur->pmem;
	s->PMemF = delta(cur->fault_pmem, p->fault_pmem);
	s->aNproc = clamp32(cur->nthreads);
	s->NprocF = delta(cur->fault_nproc, p->fault_nproc);
	s->aIO = sat_add(rr, rw);
	s->aIOPS = clamp32(sat_add(ir, iw));
	s->nprocs = cur->nprocs;
	s->nthreads = clamp32(cur->nthreads);
	s->quiet = e->quiet;
	if (e->lim_valid) {
		s->lCPU = (l->mask & OLVE_L_SPEED) ? l->speed : 0;
		s->lEP = l->ep;
		s->lVMem = l->vmem;
		s->lPMem = l->pmem;
		s->lNproc = l->nproc;
		s->lIO = (uint64_t)l->io * 1024;
		s->lIOPS = l->iops;
	}
	s->IOf = emulated_fault(rr, rw, s->lIO);
	s->IOPSf = emulated_fault(ir, iw, s->lIOPS);
}

static void mark_all_dirty(struct lve_collector *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->v[i]->state_dirty = true;
}

static struct ent *find_ent(struct lve_collector *c, uint32_t id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid]->id == id)
			return c->v[mid];
		if (c->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The change log (OLVE_STATE_CHANGES, see state.c): the LVEs whose state
 * header liblve wrote since the last pass get state_dirty; more writes
 * than its ring holds, the defaults record, or a log that went back
 * (recreated) mark every LVE. Missing or unreadable reads as gen 0. The
 * file is opened again every LVE_COLLECT_RESCAN passes (replaced by a
 * reinstall: the new one's gen differs).
 */
static void check_changes(struct lve_collector *c)
{
	struct olve_changes ch;
	uint64_t g = 0;

	if (c->chgfd >= 0 && c->pass_no % LVE_COLLECT_RESCAN == 0)
		c->chgfd = safe_close(c->chgfd);
	if (c->chgfd < 0 && c->h->statefd >= 0)
		c->chgfd = openat(c->h->statefd, OLVE_STATE_CHANGES, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (c->chgfd >= 0 && olve_changes_read(c->chgfd, &ch) == 0)
		g = ch.gen;
	if (g == c->chg_gen)
		return;
	if (g < c->chg_gen || g - c->chg_gen > OLVE_CHANGES_RING) {
		mark_all_dirty(c);
	} else {
		for (uint64_t x = c->chg_gen + 1; x <= g; x++) {
			uint32_t id = ch.id[x % OLVE_CHANGES_RING];
			struct ent *e;

			if (id == 0) {
				mark_all_dirty(c);
				break;
			}
			e = find_ent(c, id);
			if (e)
				e->state_dirty = true;
		}
	}
	c->chg_gen = g;
}

static bool root_changed(struct lve_collector *c)
{
	struct stat sb;

	if (fstat(c->h->hier[0].rootfd, &sb) < 0)
		return true;
	if (sb.st_nlink != c->root_nlink) {
		c->root_nlink = sb.st_nlink;
		return true;
	}
	return false;
}

/* Keep raw as e's latest reading; a sample into *out when there was an earlier one. 1 when written. */
static size_t ent_take(struct ent *e, const struct raw *raw, int64_t mono, int64_t now_usec, struct lve_sample *out)
{
	size_t n = 0;

	if (e->have_prev && mono > e->prev_mono) {
		make_sample(e, raw, mono - e->prev_mono, now_usec, out);
		n = 1;
	}
	e->prev = *raw;
	e->prev_mono = mono;
	e->have_prev = true;
	return n;
}

/* Free the dead entries of vec[0..n), keeping the order of the others. Their new count. */
static size_t prune_dead(struct lve_collector *c, struct ent **vec, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (vec[i]->dead)
			ent_free(c, vec[i]);
		else
			vec[j++] = vec[i];
	}
	return j;
}

int lve_collector_pass(struct lve_collector *c, int64_t now_usec, struct lve_sample **out)
{
	_cleanup_free_ struct lve_sample *v = NULL;
	int64_t mono = mono_usec(), now_sec;
	struct timespec rt;
	size_t k = 0;
	bool any_dead = false;

	if (!c || !out)
		return -EINVAL;
	/* compared with file times: the real clock, whatever the caller stamps samples with */
	clock_gettime(CLOCK_REALTIME, &rt);
	now_sec = rt.tv_sec;
	c->st.n_quiet = 0;
	if (root_changed(c) || c->need_rescan || c->pass_no % LVE_COLLECT_RESCAN == 0) {
		int r = rescan(c);

		if (r < 0)
			return r;
	}
	check_changes(c);
	if (c->n) {
		v = malloc(c->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct ent *e = c->v[i];
		struct raw raw;
		int r;

		if (!c->full && e->have_prev && e->quiet && e->quiet_passes >= LVE_COLLECT_RESCAN && !e->state_dirty &&
		    (c->pass_no + e->id) % LVE_COLLECT_IDLE_PROBE != 0) {
			/*
			 * Idle for a minute: its probe is read every LVE_COLLECT_IDLE_PROBE
			 * passes only. In between it counts as read and unchanged, so the
			 * CPU time of a wake-up lands in the sample of the pass that sees
			 * it: sums and averages stay exact, that one sample's rate is up to
			 * LVE_COLLECT_IDLE_PROBE times the true one.
			 */
			c->st.n_quiet++;
			e->quiet_passes++;
			if (mono > e->prev_mono)
				make_sample(e, &e->prev, mono - e->prev_mono, now_usec, &v[k++]);
			e->prev_mono = mono;
			continue;
		}
		if (e->transient && !e->fds_open && ent_open_fds(c, e) < 0) {
			/* gone, or no fd at all right now: look again at the next rescan */
			e->dead = any_dead = true;
			continue;
		}
		r = read_ent(c, e, now_sec, &raw);
		if (e->transient) {
			/* room again (fds were given back, the limit was raised): keep them from now on */
			if (r >= 0 && c->st.n_fds <= c->fd_budget)
				e->transient = false;
			else
				ent_close_fds(c, e);
		}
		if (r < 0) {
			e->dead = any_dead = true;
			continue;
		}
		k += ent_take(e, &raw, mono, now_usec, &v[k]);
	}
	if (any_dead) {
		c->n = prune_dead(c, c->v, c->n);
		c->need_rescan = true;
	}
	c->pass_no++;
	c->st.n_lves = (uint32_t)c->n;
	c->st.n_transient = 0;
	for (size_t i = 0; i < c->n; i++)
		c->st.n_transient += c->v[i]->transient;
	*out = k ? TAKE_PTR(v) : NULL;
	return (int)k;
}

/* ------------------------------------------------------------ resellers */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Merge the lvp<R> groups that exist now into c->rv (kept entries keep their baseline). */
static int reseller_relist(struct lve_collector *c)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct ent **nv;
	size_t i = 0, j = 0, k = 0;
	int n = olve_reseller_groups(c->h, &ids);

	if (n < 0)
		return n;
	if (n > 1)
		qsort(ids, (size_t)n, sizeof(*ids), cmp_u32);
	nv = malloc(((size_t)n + c->rn + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	while (i < (size_t)n || j < c->rn) {
		if (j < c->rn && (i == (size_t)n || c->rv[j]->id < ids[i])) {
			ent_free(c, c->rv[j++]); /* gone */
		} else if (j < c->rn && c->rv[j]->id == ids[i]) {
			nv[k++] = c->rv[j++];
			i++;
		} else {
			struct ent *e = calloc(1, sizeof(*e));

			if (!e) {
				for (size_t x = 0; x < k; x++)
					ent_free(c, nv[x]);
				for (; j < c->rn; j++)
					ent_free(c, c->rv[j]);
				free(nv);
				free(c->rv);
				c->rv = NULL;
				c->rn = 0;
				return -ENOMEM;
			}
			e->id = ids[i++];
			e->reseller = true;
			e->statefd = -1;
			for (int s = 0; s < S_COUNT; s++)
				e->fd[s] = -1;
			nv[k++] = e;
		}
	}
	free(c->rv);
	c->rv = nv;
	c->rn = k;
	c->res_listed = true;
	c->res_need = false;
	c->res_listed_at = c->st.n_rescans;
	return 0;
}

/* "lvp<R>/<name>" beneath hierarchy hier's LVE root, or the first of the names that exists. */
static int reseller_open(struct lve_collector *c, const struct ent *e, int hier, const char *const *names)
{
	char lvp[16], rel[128];
	int fd = -ENOENT;

	olve_lvp_dirname(e->id, lvp);
	for (; *names && fd == -ENOENT; names++) {
		snprintf(rel, sizeof(rel), "%s/%s", lvp, *names);
		fd = open_beneath(c->h->hier[hier].rootfd, rel);
	}
	return fd;
}

/* Every usage file of reseller group e into *raw (from its previous values). -ENODEV: the group is gone. */
static int read_reseller(struct lve_collector *c, struct ent *e, struct raw *raw)
{
	struct v1mem m = { 0 };
	bool any = false;

	*raw = e->prev;
	for (int s = 0; s < S_COUNT; s++) {
		const struct slot_def *d = &c->slot[s];
		const char *names[3] = { d->name, d->alt, NULL };
		ssize_t n;
		int fd;

		/* no task lives in lvp<R> itself (cgroup.procs, tasks); the OOM kills are the customers' */
		if (d->hier < 0 || s == S_PROCS || s == S_THREADS || s == S_MEM_OOM)
			continue;
		/* faults of the group's own caps only (see the top of this file) */
		if (s == S_MEM_EVENTS)
			names[0] = "memory.events.local", names[1] = d->name;
		else if (s == S_PIDS_EVENTS)
			names[0] = "pids.events.local", names[1] = d->name;
		fd = reseller_open(c, e, d->hier, names);
		if (fd == -ENODEV || fd == -ESTALE)
			return -ENODEV;
		if (fd < 0)
			continue; /* a file this kernel does not have (a group that is gone has none) */
		n = read_slot(c, fd);
		safe_close(fd);
		if (n < 0)
			continue;
		parse_slot(c, s, raw, &m);
		any = true;
	}
	if (!any)
		return -ENODEV;
	if (m.have)
		raw->fault_pmem = sat_add(m.failcnt, m.memsw);
	raw->nprocs = 0;
	raw->vmem = 0;
	raw->ep = 0;
	if (!e->lim_valid || (c->res_pass_no + e->id) % LVE_COLLECT_RESCAN == 0) {
		struct olve_limits lim;

		if (olve_reseller_limits(c->h, e->id, &lim) == 0) {
			e->lim = lim;
			e->lim_valid = true;
		}
	}
	return 0;
}

int lve_collector_reseller_pass(struct lve_collector *c, int64_t now_usec, struct lve_sample **out)
{
	_cleanup_free_ struct lve_sample *v = NULL;
	size_t k = 0;
	bool any_dead = false;

	if (!c || !out)
		return -EINVAL;
	if (!c->res_listed || c->res_need || c->res_listed_at != c->st.n_rescans) {
		int r = reseller_relist(c);

		if (r < 0)
			return r;
	}
	if (c->rn) {
		v = malloc(c->rn * sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->rn; i++) {
		struct ent *e = c->rv[i];
		int64_t mono = mono_usec();
		struct raw raw;

		if (read_reseller(c, e, &raw) < 0) {
			e->dead = any_dead = true;
			continue;
		}
		k += ent_take(e, &raw, mono, now_usec, &v[k]);
	}
	if (any_dead) {
		c->rn = prune_dead(c, c->rv, c->rn);
		c->res_need = true;
	}
	c->res_pass_no++;
	*out = k ? TAKE_PTR(v) : NULL;
	return (int)k;
}
