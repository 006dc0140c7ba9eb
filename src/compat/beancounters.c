/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * beancounters.c - OpenVZ beancounters on LVEs: what each beancounter
 * resource of an LVE is (shared by ubstat() and the renderer), and the
 * /proc/user_beancounters-format view of all LVEs.
 *
 * Mapping (resource id: source; units are OpenVZ's, pages = the system's
 * page size). barrier/limit come from the limits liblve applied to the LVE
 * (its state record, what lvectl shows); a limit of 0 (unlimited) is
 * printed as LONG_MAX.
 *   2 privvmpages  held = sum of the LVE processes' VmSize (/proc/PID/statm
 *                  size) = what LVE VMEM limits; barrier = limit = VMEM;
 *                  failcnt = VMEM faults (state record)
 *   5 numproc      held = pids.current (processes + threads; without the
 *                  pids controller: lines of tasks / cgroup.threads);
 *                  barrier = limit = NPROC; failcnt = pids.events "max";
 *                  kernel peak = pids.peak (lifetime)
 *   6 physpages    held = memory.current (v1 memory.usage_in_bytes);
 *                  barrier 0, limit = PMEM (OpenVZ's VSwap convention);
 *                  failcnt = v2 memory.events "max", v1 memory.failcnt +
 *                  memory.memsw.failcnt and at least the OOM kills (as
 *                  olve_usage's fault_pmem); kernel peak = memory.peak
 *                  (v1 memory.max_usage_in_bytes), per-fd resettable on
 *                  v2 with kernel 6.12+, else lifetime
 *   8 oomguarpages held and peak as physpages; barrier = PMEM, limit
 *                  LONG_MAX; failcnt = OOM kills (memory.events "oom_kill",
 *                  v1 memory.oom_control "oom_kill")
 *   all others (kmemsize, lockedpages, shmpages, vmguarpages, sockets,
 *   buffers, numflock, numpty, numsiginfo, dcachesize, numfile, numiptent,
 *   swappages, dummy): no LVE counterpart: held 0, barrier = limit =
 *   LONG_MAX, failcnt 0.
 *
 * The sampling functions are async-signal-safe (see compat-internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-internal.h"
#include "compat-internal.h"
#include "fileio.h"

static const char *const ub_names[UB_RESOURCES] = {
	"kmemsize",     "lockedpages", "privvmpages",  "shmpages",     "dummy",        "numproc",    "physpages",
	"vmguarpages",  "oomguarpages", "numtcpsock",  "numflock",     "numpty",       "numsiginfo", "tcpsndbuf",
	"tcprcvbuf",    "othersockbuf", "dgramrcvbuf", "numothersock", "dcachesize",   "numfile",    "dummy",
	"dummy",        "dummy",        "numiptent",   "swappages",
};

const char *ubc_resource_name(int res)
{
	return res >= 0 && res < UB_RESOURCES ? ub_names[res] : NULL;
}

/* ------------------------------------------------------ name translation */

int compat_v1_name(const char *ctrl, const char *v2name, char *buf, size_t size)
{
	struct cgroup_controller in = { 0 }, out = { 0 };
	int r;

	in.name = (char *)ctrl;
	out.name = (char *)ctrl;
	/* an empty value only names the setting: convert.c answers with the counterpart's name */
	r = cg_controller_put(&in, v2name, "", false);
	if (r >= 0)
		r = cg_convert_controller(&out, &in, CGROUP_V1);
	if (r >= 0 && out.n_values < 1)
		r = -EOPNOTSUPP;
	if (r >= 0) {
		size_t n = strlen(out.values[0].name);

		if (n >= size)
			r = -ERANGE;
		else
			memcpy(buf, out.values[0].name, n + 1);
	}
	cg_controller_clear(&in);
	cg_controller_clear(&out);
	return r < 0 ? r : 0;
}

int ubc_names_init(struct ubc_names *n)
{
	struct ubc_names t;
	int r;

	r = compat_v1_name("memory", "memory.current", t.mem_current_v1, sizeof(t.mem_current_v1));
	if (r < 0)
		return r;
	r = compat_v1_name("memory", "memory.peak", t.mem_peak_v1, sizeof(t.mem_peak_v1));
	if (r < 0)
		return r;
	*n = t;
	return 0;
}

/* ------------------------------------------- async-signal-safe helpers */

size_t ubc_fmt_u64(char *buf, uint64_t v)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return n;
}

static void close_keep_errno(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
}

/* pread from offset 0 until EOF or the buffer is full; NUL-terminated. Length or -errno. */
static int as_pread(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t k = pread(fd, buf + n, size - 1 - n, (off_t)n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	return (int)n;
}

static int as_read_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd, r;

	if (dirfd < 0)
		return -ENOENT;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = as_pread(fd, buf, size);
	close_keep_errno(fd);
	return r;
}

/* Leading decimal number of s (after blanks); *end past it. false when none or on overflow. */
static bool as_parse_u64(const char *s, const char **end, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (end)
		*end = p;
	*v = x;
	return true;
}

/* A one-number cgroup file. "max" sets *v to UINT64_MAX. */
static int as_read_u64(int dirfd, const char *name, uint64_t *v)
{
	char buf[64];
	int r = as_read_at(dirfd, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (!strncmp(buf, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	return as_parse_u64(buf, NULL, v) ? 0 : -EINVAL;
}

/* Value of "key N" in a flat-keyed text. */
static int as_keyed(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (!strncmp(line, key, kl) && line[kl] == ' ')
			return as_parse_u64(line + kl + 1, NULL, v) ? 0 : -EINVAL;
		if (!nl)
			break;
		line = nl + 1;
	}
	return -ENOENT;
}

static int as_read_keyed(int dirfd, const char *name, const char *key, uint64_t *v)
{
	char buf[2048];
	int r = as_read_at(dirfd, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	return as_keyed(buf, key, v);
}

/* Number of lines of dirfd/name (read sequentially, any size). */
static int as_count_lines(int dirfd, const char *name, uint64_t *out)
{
	char buf[4096];
	uint64_t n = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0) {
			if (errno == EINTR)
				continue;
			k = -errno;
			close_keep_errno(fd);
			return (int)k;
		}
		if (k == 0)
			break;
		for (ssize_t i = 0; i < k; i++)
			n += buf[i] == '\n';
	}
	close_keep_errno(fd);
	*out = n;
	return 0;
}

/* VmSize in pages of /proc/<pid> (first field of statm); 0 when it is gone. */
static uint64_t statm_pages(int procfd, uint64_t pid)
{
	char path[40], buf[128];
	size_t n = ubc_fmt_u64(path, pid);
	uint64_t v;

	memcpy(path + n, "/statm", 7);
	if (as_read_at(procfd, path, buf, sizeof(buf)) < 0)
		return 0;
	return as_parse_u64(buf, NULL, &v) ? v : 0;
}

/*
 * Sum of VmSize over the pids of <lve>/cgroup.procs, read in chunks (a
 * pid may straddle two). -ENOENT when the group is gone.
 */
static int vmem_pages(int dirfd, int procfd, uint64_t *out)
{
	char buf[4096];
	uint64_t sum = 0, pid = 0;
	bool in_num = false;
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENODEV ? -ENOENT : -errno;
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0) {
			if (errno == EINTR)
				continue;
			k = errno == ENODEV ? -ENOENT : -errno;
			close_keep_errno(fd);
			return (int)k;
		}
		if (k == 0)
			break;
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (uint64_t)(buf[i] - '0');
				in_num = true;
			} else {
				if (in_num && procfd >= 0)
					sum += statm_pages(procfd, pid);
				pid = 0;
				in_num = false;
			}
		}
	}
	if (in_num && procfd >= 0)
		sum += statm_pages(procfd, pid);
	close_keep_errno(fd);
	*out = sum;
	return 0;
}

/* ---------------------------------------------------------- open LVE */

static void lve_init_fds(struct ubc_lve *l)
{
	l->hier0fd = l->memfd = l->pidsfd = l->statefd = l->peakfd = -1;
}

int ubc_lve_open(const struct olve *h, const struct ubc_names *n, uint32_t id, bool reset, struct ubc_lve *out)
{
	struct ubc_lve l = { .id = id, .names = n };
	int dir[OLVE_MAX_HIER];
	char name[32];
	int mi, pi, r = 0;

	if (!h || !n || !out || id == 0 || h->n_hier < 1)
		return -EINVAL;
	lve_init_fds(&l);
	memcpy(name, "lve", 3);
	ubc_fmt_u64(name + 3, id);
	for (int i = 0; i < h->n_hier; i++)
		dir[i] = -1;
	/* like olve_lve_get: the LVE exists when lve<ID> is in every hierarchy */
	for (int i = 0; i < h->n_hier; i++) {
		if (olve_hier_cpuset_only(&h->hier[i]))
			continue; /* [i12] lazy cpuset: lve<ID> there only with a CPU mask */
		dir[i] = openat(h->hier[i].rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dir[i] < 0) {
			r = errno == ENOTDIR ? -ENOENT : -errno;
			goto fail;
		}
	}
	mi = olve_hier_of(h, CG_CTRL_MEMORY);
	pi = olve_hier_of(h, CG_CTRL_PIDS);
	l.hier0fd = dir[0];
	l.hier0_v2 = h->hier[0].version == 2;
	dir[0] = -1;
	if (mi >= 0) {
		l.memfd = mi == 0 ? l.hier0fd : dir[mi];
		l.mem_v2 = h->hier[mi].version == 2;
		if (mi)
			dir[mi] = -1;
	}
	if (pi >= 0) {
		l.pidsfd = pi == 0 ? l.hier0fd : pi == mi ? l.memfd : dir[pi];
		if (pi)
			dir[pi] = -1;
	}
	for (int i = 0; i < h->n_hier; i++)
		close_keep_errno(dir[i]);

	if (h->statefd >= 0) {
		char sname[24];

		ubc_fmt_u64(sname, id);
		l.statefd = openat(h->statefd, sname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (l.memfd >= 0 && l.mem_v2) {
		if (reset)
			l.peakfd = openat(l.memfd, "memory.peak", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (l.peakfd < 0)
			l.peakfd = openat(l.memfd, "memory.peak", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	*out = l;
	return 0;
fail:
	for (int i = 0; i < h->n_hier; i++)
		close_keep_errno(dir[i]);
	return r;
}

void ubc_lve_close(struct ubc_lve *l)
{
	if (!l)
		return;
	if (l->pidsfd != l->hier0fd && l->pidsfd != l->memfd)
		close_keep_errno(l->pidsfd);
	if (l->memfd != l->hier0fd)
		close_keep_errno(l->memfd);
	close_keep_errno(l->hier0fd);
	close_keep_errno(l->statefd);
	close_keep_errno(l->peakfd);
	lve_init_fds(l);
}

void ubc_peak_reset(struct ubc_lve *l)
{
	static const char reset[] = "reset\n";
	ssize_t w;

	if (!l || l->peakfd < 0)
		return;
	do
		w = write(l->peakfd, reset, sizeof(reset) - 1);
	while (w < 0 && errno == EINTR);
	l->peak_resettable = w == (ssize_t)(sizeof(reset) - 1);
}

/* --------------------------------------------------------------- sample */

static unsigned long to_ul(uint64_t v)
{
	return v >= (uint64_t)UBC_UNLIMITED ? UBC_UNLIMITED : (unsigned long)v;
}

/* bytes -> pages; 0 (unlimited) and huge values -> UBC_UNLIMITED when `limit`. */
static unsigned long pages_of(uint64_t bytes, unsigned long pagesize, bool limit)
{
	if (limit && (bytes == 0 || bytes == UINT64_MAX))
		return UBC_UNLIMITED;
	return to_ul(bytes / pagesize);
}

int ubc_sample(const struct ubc_lve *l, int procfd, unsigned long pagesize, struct ubc_val v[UB_RESOURCES])
{
	struct olve_state st;
	bool have_st = false;
	uint64_t x;
	int r;

	if (!l || !v || l->hier0fd < 0 || pagesize == 0)
		return -EINVAL;
	for (int i = 0; i < UB_RESOURCES; i++)
		v[i] = (struct ubc_val){ .barrier = UBC_UNLIMITED, .limit = UBC_UNLIMITED };

	/* privvmpages; reading cgroup.procs also tells whether the LVE still exists */
	r = vmem_pages(l->hier0fd, procfd, &x);
	if (r < 0)
		return r;
	v[UB_PRIVVMPAGES].held = to_ul(x);

	if (l->statefd >= 0) {
		ssize_t k;

		do
			k = pread(l->statefd, &st, sizeof(st), 0);
		while (k < 0 && errno == EINTR);
		have_st = k == (ssize_t)sizeof(st) && st.magic == OLVE_STATE_MAGIC && st.version == OLVE_STATE_VERSION;
	}
	if (have_st) {
		unsigned long vm = pages_of(st.vmem_limit, pagesize, true);

		v[UB_PRIVVMPAGES].barrier = v[UB_PRIVVMPAGES].limit = vm;
		v[UB_PRIVVMPAGES].failcnt = to_ul(st.fault_vmem);
		if ((st.limits.mask & OLVE_L_NPROC) && st.limits.nproc)
			v[UB_NUMPROC].barrier = v[UB_NUMPROC].limit = st.limits.nproc;
		if ((st.limits.mask & OLVE_L_PMEM) && st.limits.pmem) {
			unsigned long pm = pages_of(st.limits.pmem, pagesize, true);

			v[UB_PHYSPAGES].limit = pm;
			v[UB_OOMGUARPAGES].barrier = pm;
		}
	}
	v[UB_PHYSPAGES].barrier = 0;

	/* numproc */
	if (l->pidsfd >= 0 && as_read_u64(l->pidsfd, "pids.current", &x) == 0) {
		v[UB_NUMPROC].held = to_ul(x);
		if (as_read_keyed(l->pidsfd, "pids.events", "max", &x) == 0)
			v[UB_NUMPROC].failcnt = to_ul(x);
		if (as_read_u64(l->pidsfd, "pids.peak", &x) == 0 && x != UINT64_MAX) {
			v[UB_NUMPROC].peak = to_ul(x);
			v[UB_NUMPROC].has_peak = v[UB_NUMPROC].peak_lifetime = true;
		}
	} else if (as_count_lines(l->hier0fd, l->hier0_v2 ? "cgroup.threads" : "tasks", &x) == 0)
		v[UB_NUMPROC].held = to_ul(x);

	/* physpages, oomguarpages */
	if (l->memfd >= 0) {
		uint64_t fail = 0, ooms = 0, peak = 0;
		bool has_peak = false, lifetime = true;

		if (as_read_u64(l->memfd, l->mem_v2 ? "memory.current" : l->names->mem_current_v1, &x) == 0)
			v[UB_PHYSPAGES].held = pages_of(x, pagesize, false);
		if (l->mem_v2) {
			char buf[64];

			(void)as_read_keyed(l->memfd, "memory.events", "max", &fail);
			(void)as_read_keyed(l->memfd, "memory.events", "oom_kill", &ooms);
			if (l->peakfd >= 0 && as_pread(l->peakfd, buf, sizeof(buf)) > 0 && as_parse_u64(buf, NULL, &x)) {
				peak = x;
				has_peak = true;
				lifetime = !l->peak_resettable;
			}
		} else {
			(void)as_read_u64(l->memfd, "memory.failcnt", &fail);
			if (as_read_u64(l->memfd, "memory.memsw.failcnt", &x) == 0)
				fail += x;
			(void)as_read_keyed(l->memfd, "memory.oom_control", "oom_kill", &ooms);
			if (ooms > fail)
				fail = ooms;
			if (as_read_u64(l->memfd, l->names->mem_peak_v1, &x) == 0) {
				peak = x;
				has_peak = true;
			}
		}
		v[UB_PHYSPAGES].failcnt = to_ul(fail);
		v[UB_OOMGUARPAGES].failcnt = to_ul(ooms);
		v[UB_OOMGUARPAGES].held = v[UB_PHYSPAGES].held;
		if (has_peak) {
			static const int mem_res[] = { UB_PHYSPAGES, UB_OOMGUARPAGES };

			for (size_t i = 0; i < ELEMENTSOF(mem_res); i++) {
				v[mem_res[i]].peak = pages_of(peak, pagesize, false);
				v[mem_res[i]].has_peak = true;
				v[mem_res[i]].peak_lifetime = lifetime;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------- renderer */

/* OpenVZ 2.6.18/2.6.32, 64-bit: "%10s  %-12s %20s ..." with the uid as "ID:" on a block's first line. */
static void render_line(FILE *f, const char *uid, const char *res, unsigned long held, unsigned long maxheld,
			unsigned long barrier, unsigned long limit, unsigned long failcnt)
{
	fprintf(f, "%10s  %-12s %20lu %20lu %20lu %20lu %20lu\n", uid, res, held, maxheld, barrier, limit, failcnt);
}

_public_ int olve_beancounters_render(struct olve *h, char **out)
{
	struct ubc_names names;
	_cleanup_free_ uint32_t *ids = NULL;
	_cleanup_close_ int procfd = -1;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int n, r;

	if (!h || !out)
		return -EINVAL;
	r = ubc_names_init(&names);
	if (r < 0)
		return r;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	n = olve_list(h, &ids);
	if (n < 0)
		return n;
	f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	fprintf(f, "Version: 2.5\n");
	fprintf(f, "%10s  %-12s %20s %20s %20s %20s %20s\n", "uid", "resource", "held", "maxheld", "barrier", "limit",
		"failcnt");
	for (int i = 0; i < n; i++) {
		struct ubc_val v[UB_RESOURCES];
		struct ubc_lve l;
		char uid[32];

		r = ubc_lve_open(h, &names, ids[i], false, &l);
		if (r == -ENOENT)
			continue; /* destroyed meanwhile */
		if (r < 0)
			break;
		r = ubc_sample(&l, procfd, (unsigned long)sysconf(_SC_PAGESIZE), v);
		ubc_lve_close(&l);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		snprintf(uid, sizeof(uid), "%" PRIu32 ":", ids[i]);
		for (int res = 0; res < UB_RESOURCES_COMPAT; res++) {
			unsigned long maxheld = v[res].held;

			if (v[res].has_peak && v[res].peak > maxheld)
				maxheld = v[res].peak;
			render_line(f, res == 0 ? uid : "", ub_names[res], v[res].held, maxheld, v[res].barrier,
				    v[res].limit, v[res].failcnt);
		}
		r = 0;
	}
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(text);
		return r;
	}
	if (len > INT32_MAX) {
		free(text);
		return -E2BIG;
	}
	*out = text;
	return (int)len;
}
