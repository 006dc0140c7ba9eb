/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limits-store.c - the limits store (format and roles: limits-store.h).
 *
 * Owns the file at openlve.conf's limits_file: its binary format, the
 * atomic writer lvectl calls, the reader, and olve_limits_for_new(), the
 * one place that decides which limits a freshly created LVE gets (lve.c
 * calls it; state.c keeps the runtime defaults record it consults).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "limits-store.h"
#include "pathsafe.h"
#include "lve-internal.h"

_Static_assert(sizeof(struct olve_store_header) == 32, "store header is 32 bytes");
_Static_assert(sizeof(struct olve_store_record) == 64, "store record is 64 bytes");

static void record_from(struct olve_store_record *rec, uint32_t id, const struct olve_limits *l)
{
	*rec = (struct olve_store_record){
		.id = id,
		.mask = l->mask,
		.speed = l->speed,
		.cpu_pct = l->cpu_pct,
		.ncpu = l->ncpu,
		.io = l->io,
		.iops = l->iops,
		.ep = l->ep,
		.nproc = l->nproc,
		.cpu_weight = l->cpu_weight,
		.pmem = l->pmem,
		.vmem = l->vmem,
	};
}

/* Record -> limits; -EBADMSG when the record is not one olve_store_write could have written. */
static int record_to(const struct olve_store_record *rec, struct olve_limits *out)
{
	struct olve_limits l = {
		.mask = rec->mask,
		.speed = rec->speed,
		.cpu_pct = rec->cpu_pct,
		.ncpu = rec->ncpu,
		.io = rec->io,
		.iops = rec->iops,
		.ep = rec->ep,
		.nproc = rec->nproc,
		.cpu_weight = rec->cpu_weight,
		.pmem = rec->pmem,
		.vmem = rec->vmem,
	};

	if ((l.mask & ~(uint32_t)OLVE_L_ALL) || rec->reserved || olve_limits_check(&l) < 0)
		return -EBADMSG;
	*out = l;
	return 0;
}

static int read_record(int fd, uint64_t index, struct olve_store_record *rec)
{
	off_t off = (off_t)(sizeof(struct olve_store_header) + index * sizeof(*rec));
	ssize_t n = pread(fd, rec, sizeof(*rec), off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*rec) ? 0 : -EBADMSG;
}

int olve_store_lookup(const char *path, uint32_t id, struct olve_limits *defaults, struct olve_limits *entry)
{
	uint32_t res;

	return olve_store_find(path, false, id, defaults, entry, &res);
}

int olve_store_reseller_of(const char *path, uint32_t id, uint32_t *rid)
{
	struct olve_limits d, e;
	uint32_t r = 0;
	int k;

	if (!path || !rid || id == 0)
		return -EINVAL;
	k = olve_store_find(path, false, id, &d, &e, &r);
	if (k == -ENOENT || k == 0 || (k == 1 && r == 0))
		return 0;
	if (k < 0)
		return k;
	*rid = r;
	return 1;
}

int olve_store_find(const char *path, bool reseller_rec, uint32_t id, struct olve_limits *defaults,
                    struct olve_limits *entry, uint32_t *reseller)
{
	_cleanup_close_ int fd = -1;
	struct olve_store_header hd;
	struct olve_store_record rec;
	struct olve_limits d;
	struct stat st;
	uint64_t lo, hi;
	ssize_t n;
	int r;

	if (!path || !defaults || !entry || !reseller)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	n = pread(fd, &hd, sizeof(hd), 0);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(hd) || memcmp(hd.magic, OLVE_STORE_MAGIC, sizeof(hd.magic)) != 0 ||
	    hd.version != OLVE_STORE_VERSION || hd.record_size != sizeof(rec) ||
	    hd.count > OLVE_STORE_MAX_ENTRIES || hd.n_resellers > OLVE_STORE_MAX_ENTRIES || hd.reserved1 ||
	    (uint64_t)st.st_size !=
	            sizeof(hd) + ((uint64_t)hd.count + 1 + hd.n_resellers) * sizeof(rec))
		return -EBADMSG;

	r = read_record(fd, 0, &rec);
	if (r < 0)
		return r;
	if (rec.id != 0 || record_to(&rec, &d) < 0)
		return -EBADMSG;
	if (id == 0) {
		*defaults = d;
		return 0;
	}
	/* records 1..count (LVEs), then the resellers, each sorted by id: binary search */
	lo = reseller_rec ? (uint64_t)hd.count + 1 : 1;
	hi = reseller_rec ? (uint64_t)hd.count + 1 + hd.n_resellers : (uint64_t)hd.count + 1;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		r = read_record(fd, mid, &rec);
		if (r < 0)
			return r;
		if (rec.id == 0)
			return -EBADMSG;
		if (rec.id == id) {
			struct olve_limits e;

			if (record_to(&rec, &e) < 0 || (reseller_rec && rec.reseller))
				return -EBADMSG;
			*defaults = d;
			*entry = e;
			*reseller = rec.reseller;
			return 1;
		}
		if (rec.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*defaults = d;
	return 0;
}

int olve_store_reseller_ids(const char *path, uint32_t **ids)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint32_t *v = NULL;
	struct olve_store_header hd;
	struct olve_store_record rec;
	struct stat st;
	ssize_t n;
	int r;

	if (!path || !ids)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	n = pread(fd, &hd, sizeof(hd), 0);
	if (n < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || n != (ssize_t)sizeof(hd) || memcmp(hd.magic, OLVE_STORE_MAGIC, sizeof(hd.magic)) ||
	    hd.version != OLVE_STORE_VERSION || hd.record_size != sizeof(rec) || hd.count > OLVE_STORE_MAX_ENTRIES ||
	    hd.n_resellers > 65536 ||
	    (uint64_t)st.st_size != sizeof(hd) + ((uint64_t)hd.count + 1 + hd.n_resellers) * sizeof(rec))
		return -EBADMSG;
	if (hd.n_resellers) {
		v = malloc(hd.n_resellers * sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < hd.n_resellers; i++) {
		r = read_record(fd, (uint64_t)hd.count + 1 + i, &rec);
		if (r < 0)
			return r;
		if (rec.id == 0)
			return -EBADMSG;
		v[i] = rec.id;
	}
	*ids = TAKE_PTR(v);
	return (int)hd.n_resellers;
}

static int cmp_entry(const void *a, const void *b)
{
	uint32_t x = ((const struct olve_store_entry *)a)->id, y = ((const struct olve_store_entry *)b)->id;

	return x < y ? -1 : x > y;
}

/* Split an absolute path into an O_DIRECTORY fd of its parent (created when missing) and the name. */
static int open_parent(const char *path, int *dirfd, const char **name)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || path[0] != '/' || !slash[1] || !ol_component_valid(slash + 1))
		return -EINVAL;
	dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	*dirfd = fd;
	*name = slash + 1;
	return 0;
}

int olve_store_write(const char *path, const struct olve_limits *defaults, const struct olve_store_entry *v,
		     size_t n)
{
	return olve_store_write_resellers(path, defaults, v, n, NULL, 0);
}

static int sort_check(const struct olve_store_entry *v, size_t n, struct olve_store_entry **out)
{
	_cleanup_free_ struct olve_store_entry *sorted = NULL;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, v, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_entry);
	}
	for (size_t i = 0; i < n; i++)
		if (sorted[i].id == 0 || (i > 0 && sorted[i].id == sorted[i - 1].id) ||
		    (sorted[i].limits.mask & ~(uint32_t)OLVE_L_ALL) || olve_limits_check(&sorted[i].limits) < 0)
			return -EINVAL;
	*out = TAKE_PTR(sorted);
	return 0;
}

int olve_store_write_resellers(const char *path, const struct olve_limits *defaults,
                               const struct olve_store_entry *v, size_t n,
                               const struct olve_store_entry *res, size_t nres)
{
	_cleanup_free_ struct olve_store_entry *sorted = NULL, *rsorted = NULL;
	_cleanup_free_ unsigned char *buf = NULL;
	_cleanup_close_ int dfd = -1;
	struct olve_store_header hd = { .magic = OLVE_STORE_MAGIC };
	struct olve_store_record rec;
	const char *name = NULL;
	size_t size;
	int r;

	if (!path || !defaults || (n && !v) || n > OLVE_STORE_MAX_ENTRIES || (nres && !res) ||
	    nres > OLVE_STORE_MAX_ENTRIES)
		return -EINVAL;
	if ((defaults->mask & ~(uint32_t)OLVE_L_ALL) || olve_limits_check(defaults) < 0)
		return -EINVAL;
	r = sort_check(v, n, &sorted);
	if (r < 0)
		return r;
	r = sort_check(res, nres, &rsorted);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nres; i++)
		if (rsorted[i].reseller)
			return -EINVAL;
	/* every LVE's reseller has a reseller record */
	for (size_t i = 0; i < n; i++)
		if (sorted[i].reseller &&
		    (nres == 0 || !bsearch(&(struct olve_store_entry){ .id = sorted[i].reseller }, rsorted, nres,
		             sizeof(*rsorted), cmp_entry)))
			return -EINVAL;

	size = sizeof(hd) + (n + 1 + nres) * sizeof(rec);
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	hd.version = OLVE_STORE_VERSION;
	hd.record_size = sizeof(rec);
	hd.count = (uint32_t)n;
	hd.n_resellers = (uint32_t)nres;
	memcpy(buf, &hd, sizeof(hd));
	record_from(&rec, 0, defaults);
	memcpy(buf + sizeof(hd), &rec, sizeof(rec));
	for (size_t i = 0; i < n; i++) {
		record_from(&rec, sorted[i].id, &sorted[i].limits);
		rec.reseller = sorted[i].reseller;
		memcpy(buf + sizeof(hd) + (i + 1) * sizeof(rec), &rec, sizeof(rec));
	}
	for (size_t i = 0; i < nres; i++) {
		record_from(&rec, rsorted[i].id, &rsorted[i].limits);
		memcpy(buf + sizeof(hd) + (n + 1 + i) * sizeof(rec), &rec, sizeof(rec));
	}
	r = open_parent(path, &dfd, &name);
	if (r < 0)
		return r;
	return ol_write_atomic_at(dfd, name, buf, size, 0644);
}

int olve_limits_for_new(struct olve *h, uint32_t id, struct olve_limits *out)
{
	struct olve_limits d, e, res;
	struct stat st;
	int r;

	if (!h || !out || id == 0)
		return -EINVAL;
	/* [issue 14] a store another user could have written is not read (pathsafe.h) */
	r = h->conf.limits_file && h->conf.limits_file[0] == '/' ? ol_path_trusted(h->conf.limits_file, NULL, 0) : 0;
	if (r < 0 && r != -ENOENT)
		return olve_defaults_get(h, out);
	r = olve_store_lookup(h->conf.limits_file, id, &d, &e);
	if (r > 0) {
		/* full effective limits; a field the store lacks keeps the built-in value */
		olve_limits_default(&res);
		olve_limits_merge(&res, &e);
		*out = res;
		return 0;
	}
	/* the runtime record (set at boot by `lvectl apply all`, or by lve_set_default) wins */
	if (r < 0 || fstatat(h->statefd, OLVE_STATE_DEFAULT, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return olve_defaults_get(h, out);
	olve_limits_default(&res);
	olve_limits_merge(&res, &d);
	*out = res;
	return 0;
}
