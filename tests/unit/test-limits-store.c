/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The limits store (src/liblve/limits-store.c): write + lookup round trip,
 * the defaults record, binary search over many ids, every kind of damaged
 * file (-EBADMSG, outputs untouched), bad writer input (nothing written),
 * and the limits_file default of openlve.conf.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "limits-store.h"
#include "lve-internal.h"
#include "tap.h"

static struct olve_limits lim(uint64_t pmem_mb, uint32_t nproc)
{
	struct olve_limits l = { .mask = OLVE_L_PMEM | OLVE_L_NPROC | OLVE_L_SPEED,
				 .pmem = pmem_mb << 20,
				 .nproc = nproc,
				 .speed = 2500 };
	return l;
}

static int file_bytes(const char *path, unsigned char **buf, size_t *len)
{
	char *b = NULL;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = ol_read_full_fd(fd, 1 << 24, &b, &n);
	close(fd);
	if (r < 0)
		return r;
	*buf = (unsigned char *)b;
	*len = n;
	return 0;
}

static int put_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

TEST(round_trip_and_lookup)
{
	char dir[256], path[300];
	struct olve_store_entry e[3];
	struct olve_limits d = lim(200, 70), got_d, got_e;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	/* the parent directory is created */
	snprintf(path, sizeof(path), "%s/lib/limits", dir);
	e[0] = (struct olve_store_entry){ 1500, lim(50, 40) };
	e[1] = (struct olve_store_entry){ 7, lim(10, 20) };
	e[2] = (struct olve_store_entry){ 4294967294u, lim(1, 30) };
	ASSERT_OK(olve_store_write(path, &d, e, 3));

	memset(&got_e, 0x5a, sizeof(got_e));
	ASSERT_EQ(olve_store_lookup(path, 1500, &got_d, &got_e), 1);
	ASSERT_EQ(got_d.pmem, 200ULL << 20);
	ASSERT_EQ(got_d.nproc, 70);
	ASSERT_EQ(got_e.pmem, 50ULL << 20);
	ASSERT_EQ(got_e.mask, OLVE_L_PMEM | OLVE_L_NPROC | OLVE_L_SPEED);
	ASSERT_EQ(olve_store_lookup(path, 7, &got_d, &got_e), 1);
	ASSERT_EQ(got_e.nproc, 20);
	ASSERT_EQ(olve_store_lookup(path, 4294967294u, &got_d, &got_e), 1);
	ASSERT_EQ(got_e.nproc, 30);
	/* not listed: defaults only, entry untouched */
	memset(&got_e, 0x5a, sizeof(got_e));
	ASSERT_EQ(olve_store_lookup(path, 8, &got_d, &got_e), 0);
	ASSERT_EQ(((unsigned char *)&got_e)[0], 0x5a);
	ASSERT_EQ(olve_store_lookup(path, 0, &got_d, &got_e), 0);
	ASSERT_EQ(got_d.nproc, 70);
	/* no store */
	snprintf(path, sizeof(path), "%s/none", dir);
	ASSERT_ERR(olve_store_lookup(path, 7, &got_d, &got_e), ENOENT);
	/* an empty store (no LVE records) */
	snprintf(path, sizeof(path), "%s/empty", dir);
	ASSERT_OK(olve_store_write(path, &d, NULL, 0));
	ASSERT_EQ(olve_store_lookup(path, 7, &got_d, &got_e), 0);
	return 0;
}

TEST(many_ids_binary_search)
{
	char dir[256], path[300];
	struct olve_limits d = lim(100, 100), got_d, got_e;
	struct olve_store_entry *e = calloc(5000, sizeof(*e));

	ASSERT(e);
	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/limits", dir);
	for (uint32_t i = 0; i < 5000; i++) /* odd ids, given in descending order */
		e[i] = (struct olve_store_entry){ 2 * (5000 - i) + 1, lim(1 + i % 900, 20 + i % 1000) };
	ASSERT_OK(olve_store_write(path, &d, e, 5000));
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t id = 2 * (5000 - i) + 1;

		ASSERT_EQ(olve_store_lookup(path, id, &got_d, &got_e), 1);
		ASSERT_EQ(got_e.nproc, 20 + i % 1000);
		ASSERT_EQ(olve_store_lookup(path, id + 1, &got_d, &got_e), 0);
	}
	ASSERT_EQ(olve_store_lookup(path, 1, &got_d, &got_e), 0);
	free(e);
	return 0;
}

TEST(bad_writer_input_writes_nothing)
{
	char dir[256], path[300];
	struct olve_limits d = lim(100, 100), bad = lim(1, 1);
	struct olve_store_entry dup[2] = { { 5, lim(1, 20) }, { 5, lim(2, 20) } };
	struct olve_store_entry zero[1] = { { 0, lim(1, 20) } };
	struct olve_store_entry wild[1] = { { 9, lim(1, 20) } };
	struct stat st;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/limits", dir);
	ASSERT_ERR(olve_store_write(path, &d, dup, 2), EINVAL);
	ASSERT_ERR(olve_store_write(path, &d, zero, 1), EINVAL);
	wild[0].limits.mask |= 1u << 20;
	ASSERT_ERR(olve_store_write(path, &d, wild, 1), EINVAL);
	bad.mask |= 1u << 31;
	ASSERT_ERR(olve_store_write(path, &bad, NULL, 0), EINVAL);
	ASSERT_ERR(olve_store_write("relative/limits", &d, NULL, 0), EINVAL);
	ASSERT(stat(path, &st) < 0 && errno == ENOENT);
	return 0;
}

TEST(damaged_files_are_refused)
{
	char dir[256], path[300];
	struct olve_store_entry e[2] = { { 5, lim(1, 20) }, { 9, lim(2, 20) } };
	struct olve_limits d = lim(100, 100), got_d, got_e;
	unsigned char *good = NULL, *b;
	size_t len = 0;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/limits", dir);
	ASSERT_OK(olve_store_write(path, &d, e, 2));
	ASSERT_OK(file_bytes(path, &good, &len));
	ASSERT_EQ(len, 32 + 3 * 64);
	b = malloc(len + 64);
	ASSERT(b);

	struct {
		const char *what;
		size_t off; /* byte to change, or SIZE_MAX: truncate/extend */
		unsigned char val;
		long size_delta;
	} cases[] = {
		{ "magic", 0, 'X', 0 },
		{ "version", 8, 2, 0 },
		{ "record size", 12, 63, 0 },
		{ "count too big", 16, 3, 0 },
		{ "count too small", 16, 1, 0 },
		{ "reseller count", 20, 1, 0 },
		{ "defaults id", 32, 1, 0 },
		{ "defaults mask", 32 + 7, 0x80, 0 },
		{ "record reserved", 32 + 64 + 60, 1, 0 },
		{ "record id 0", 32 + 64, 0, 0 },
		{ "truncated", SIZE_MAX, 0, -1 },
		{ "header only", SIZE_MAX, 0, -(long)(3 * 64) },
		{ "extended", SIZE_MAX, 0, 64 },
		{ "empty", SIZE_MAX, 0, -(long)len },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		size_t n = len;
		int r;

		memcpy(b, good, len);
		memset(b + len, 0, 64);
		if (cases[i].off != SIZE_MAX)
			b[cases[i].off] = cases[i].val;
		else
			n = (size_t)((long)len + cases[i].size_delta);
		ASSERT_OK(put_bytes(path, b, n));
		memset(&got_d, 0x5a, sizeof(got_d));
		got_e = got_d;
		/* id 5 sits at the middle record: the search reads it */
		r = olve_store_lookup(path, 5, &got_d, &got_e);
		if (r != -EBADMSG)
			TAP_FAIL("%s: lookup returned %d, expected -EBADMSG", cases[i].what, r);
		if (((unsigned char *)&got_d)[0] != 0x5a || ((unsigned char *)&got_e)[0] != 0x5a)
			TAP_FAIL("%s: output written on failure", cases[i].what);
	}
	/* not a regular file; a symlink is not followed */
	ASSERT_OK(unlink(path));
	ASSERT_OK(mkdir(path, 0755));
	ASSERT(olve_store_lookup(path, 5, &got_d, &got_e) < 0);
	ASSERT_OK(rmdir(path));
	ASSERT_OK(symlink("/etc/passwd", path));
	ASSERT_ERR(olve_store_lookup(path, 5, &got_d, &got_e), ELOOP);
	free(b);
	free(good);
	return 0;
}

TEST(conf_limits_file_default)
{
	struct olve_conf c;
	unsigned line = 0;

	ASSERT_OK(olve_conf_parse("", &c, &line));
	ASSERT_STREQ(c.limits_file, "/var/lib/openlve/limits");
	olve_conf_free(&c);
	ASSERT_OK(olve_conf_parse("ve_cfg = /tmp/x/ve.cfg\n", &c, &line));
	ASSERT_STREQ(c.limits_file, "/tmp/x/ve.cfg.limits");
	olve_conf_free(&c);
	ASSERT_OK(olve_conf_parse("ve_cfg = /tmp/x/ve.cfg\nlimits_file = /srv/l\n", &c, &line));
	ASSERT_STREQ(c.limits_file, "/srv/l");
	olve_conf_free(&c);
	ASSERT_ERR(olve_conf_parse("limits_file = rel\n", &c, &line), EINVAL);
	ASSERT_ERR(olve_conf_parse("limits_file = /a\nlimits_file = /b\n", &c, &line), EINVAL);
	return 0;
}

TAP_MAIN()

/* [issue 10] reseller records: an LVE's reseller and the reseller's cap, looked up apart. */
TEST(reseller_records)
{
	char dir[256], path[300];
	struct olve_store_entry e[2], res[1], bad[1];
	struct olve_limits d = lim(200, 70), got_d, got_e;
	uint32_t rid = 77;

	ASSERT_OK(tap_mktemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/limits", dir);
	e[0] = (struct olve_store_entry){ 7001, lim(50, 40), 7000 };
	e[1] = (struct olve_store_entry){ 7000, lim(10, 20), 7000 }; /* the reseller's own account */
	res[0] = (struct olve_store_entry){ 7000, lim(64, 60), 0 };
	ASSERT_OK(olve_store_write_resellers(path, &d, e, 2, res, 1));
	ASSERT_EQ(olve_store_find(path, false, 7001, &got_d, &got_e, &rid), 1);
	ASSERT_EQ(rid, 7000);
	ASSERT_EQ(got_e.nproc, 40);
	ASSERT_EQ(olve_store_find(path, false, 7000, &got_d, &got_e, &rid), 1);
	ASSERT_EQ(got_e.nproc, 20);
	ASSERT_EQ(rid, 7000);
	ASSERT_EQ(olve_store_find(path, true, 7000, &got_d, &got_e, &rid), 1);
	ASSERT_EQ(got_e.nproc, 60);
	ASSERT_EQ(rid, 0);
	ASSERT_EQ(olve_store_find(path, true, 7001, &got_d, &got_e, &rid), 0);
	/* an LVE naming a reseller without a record: refused, nothing written */
	bad[0] = (struct olve_store_entry){ 5, lim(1, 20), 9 };
	ASSERT_ERR(olve_store_write_resellers(path, &d, bad, 1, res, 1), EINVAL);
	ASSERT_ERR(olve_store_write_resellers(path, &d, bad, 1, NULL, 0), EINVAL);
	ASSERT_EQ(olve_store_find(path, false, 7001, &got_d, &got_e, &rid), 1);
	return 0;
}
