/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-fileio - src/shared/fileio.c: name checks, ol_open_dir_beneath(),
 * ol_opendir_at() / ol_fdopendir()
 * (escapes, symlinks, create), reads/writes below a dirfd, atomic writes,
 * strict number parsing. Everything happens in one temporary directory made
 * by the parent before the first test and removed after the last one (also
 * when a test fails or crashes). The fallback paths for kernels without
 * openat2(2) are tested by making openat2 fail with ENOSYS (seccomp) in the
 * test's child.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "tap.h"

static char base_dir[64];

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static int make_base(void)
{
	snprintf(base_dir, sizeof(base_dir), "/tmp/openlve-test-fileio-XXXXXX");
	return mkdtemp(base_dir) ? 0 : -errno;
}

static void remove_base(void)
{
	if (base_dir[0])
		nftw(base_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct tap_hooks hooks = {
	.before_all = make_base,
	.after_all = remove_base,
};

__attribute__((constructor)) static void register_hooks(void)
{
	tap_register_hooks(&hooks);
}

/* A fresh directory for one test: <base>/<name>/{root,outside}; returns root's fd. */
static int make_area(const char *name, int *outside_fd)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", base_dir, name);
	if (mkdir(path, 0755) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s/root", base_dir, name);
	if (mkdir(path, 0755) < 0)
		return -errno;
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (outside_fd) {
		snprintf(path, sizeof(path), "%s/%s/outside", base_dir, name);
		if (mkdir(path, 0755) < 0 || (*outside_fd = open(path, O_DIRECTORY | O_CLOEXEC)) < 0) {
			close(fd);
			return -errno;
		}
	}
	return fd;
}

static int write_file(int dirfd, const char *name, const char *s)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool same_inode_at(int fd, int dirfd, const char *name)
{
	struct stat sa, sb;

	return fstat(fd, &sa) == 0 && fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Make openat2(2) fail with ENOSYS in this process, like a kernel before 5.6. */
static int block_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ELEMENTSOF(filter), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	if (syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0) >= 0 || errno != ENOSYS)
		return -EPERM;
	return 0;
}

/* --------------------------------------------------------- name checks */

TEST(name_check)
{
	static const char *const good[] = {
		"", "/", "a", "a/b", "/a/b", "a/b/", "//a//b//", "...", "a..", "..a", ".a", "a b",
		"lve1000/leaf", "\xc3\xa9t\xc3\xa9", "a/.../b",
	};
	static const char *const bad[] = {
		".", "..", "./a", "a/.", "a/./b", "../a", "a/..", "a/../b", "/..", "a\nb", "a\x01",
		"\x7f", "a/\tb", "a/\x1f",
	};
	char comp_ok[NAME_MAX + 1], comp_long[NAME_MAX + 2], total[OL_NAME_MAX + 2];

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (ol_name_check(good[i]) != 0)
			TAP_FAIL("rejected good name %zu \"%s\"", i, good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (ol_name_check(bad[i]) != -EINVAL)
			TAP_FAIL("bad name %zu: %d", i, ol_name_check(bad[i]));
	ASSERT_ERR(ol_name_check(NULL), EINVAL);

	memset(comp_ok, 'x', NAME_MAX);
	comp_ok[NAME_MAX] = 0;
	ASSERT_EQ(ol_name_check(comp_ok), 0);
	memset(comp_long, 'x', NAME_MAX + 1);
	comp_long[NAME_MAX + 1] = 0;
	ASSERT_ERR(ol_name_check(comp_long), ENAMETOOLONG);

	/* total length: OL_NAME_MAX is fine, one more is not */
	for (size_t i = 0; i < OL_NAME_MAX; i++)
		total[i] = (i % 100 == 99) ? '/' : 'a';
	total[OL_NAME_MAX] = 0;
	ASSERT_EQ(ol_name_check(total), 0);
	total[OL_NAME_MAX] = 'a';
	total[OL_NAME_MAX + 1] = 0;
	ASSERT_ERR(ol_name_check(total), ENAMETOOLONG);
	return 0;
}

TEST(component_valid)
{
	static const char *const good[] = { "a", "...", ".a", "a.", "cpu.max", "name=systemd", "a b" };
	static const char *const bad[] = { "", ".", "..", "a/b", "/", "/a", "a/", "a\n", "\x01", "\x7f" };
	char comp[NAME_MAX + 2];

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		if (!ol_component_valid(good[i]))
			TAP_FAIL("rejected \"%s\"", good[i]);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (ol_component_valid(bad[i]))
			TAP_FAIL("accepted bad component %zu", i);
	ASSERT(!ol_component_valid(NULL));
	memset(comp, 'c', NAME_MAX);
	comp[NAME_MAX] = 0;
	ASSERT(ol_component_valid(comp));
	comp[NAME_MAX] = 'c';
	comp[NAME_MAX + 1] = 0;
	ASSERT(!ol_component_valid(comp));
	return 0;
}

/* ----------------------------------------------------- open_dir_beneath */

static int check_open_create(const char *area)
{
	_cleanup_close_ int root = make_area(area, NULL);
	_cleanup_close_ int fd = -1, again = -1, self = -1, pathfd = -1;
	struct stat st;
	mode_t old_umask;

	ASSERT_OK(root);
	/* missing without CREATE */
	ASSERT_ERR(ol_open_dir_beneath(root, "a/b/c", 0, 0755), ENOENT);

	old_umask = umask(022);
	fd = ol_open_dir_beneath(root, "a/b/c", OL_OPEN_CREATE, 0750);
	umask(old_umask);
	ASSERT_OK(fd);
	ASSERT(same_inode_at(fd, root, "a/b/c"));
	ASSERT_EQ(fstatat(root, "a/b/c", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0750);
	ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT(!(fcntl(fd, F_GETFL) & O_PATH));

	/* existing, with leading/duplicate/trailing slashes */
	again = ol_open_dir_beneath(root, "//a///b/c/", 0, 0);
	ASSERT_OK(again);
	ASSERT(same_inode(fd, again));
	safe_close(again);
	/* CREATE on an existing path is fine, EXCL is not */
	again = ol_open_dir_beneath(root, "a/b/c", OL_OPEN_CREATE, 0755);
	ASSERT_OK(again);
	ASSERT(same_inode(fd, again));
	again = safe_close(again);
	ASSERT_ERR(ol_open_dir_beneath(root, "a/b/c", OL_OPEN_CREATE | OL_OPEN_EXCL, 0755), EEXIST);
	again = ol_open_dir_beneath(root, "a/b/new", OL_OPEN_CREATE | OL_OPEN_EXCL, 0755);
	ASSERT_OK(again);
	ASSERT(same_inode_at(again, root, "a/b/new"));
	again = safe_close(again);
	/* only the last component missing, odd slashes: made with its mode, opened */
	again = ol_open_dir_beneath(root, "a//b/d//", OL_OPEN_CREATE | OL_OPEN_EXCL, 0700);
	ASSERT_OK(again);
	ASSERT(same_inode_at(again, root, "a/b/d"));
	ASSERT(!(fcntl(again, F_GETFL) & O_PATH));
	ASSERT_EQ(fstatat(root, "a/b/d", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT_EQ(st.st_mode & 07777, 0700);
	again = safe_close(again);
	/* directly below dirfd, as O_PATH */
	again = ol_open_dir_beneath(root, "top", OL_OPEN_CREATE | OL_OPEN_PATH, 0755);
	ASSERT_OK(again);
	ASSERT(fcntl(again, F_GETFL) & O_PATH);
	ASSERT(same_inode_at(again, root, "top"));

	/* "" and "/" open the directory itself, as a new fd */
	self = ol_open_dir_beneath(root, "", 0, 0);
	ASSERT_OK(self);
	ASSERT(self != root);
	ASSERT(same_inode(self, root));
	safe_close(self);
	self = ol_open_dir_beneath(root, "/", 0, 0);
	ASSERT_OK(self);
	ASSERT(same_inode(self, root));

	/* an absolute name is relative to dirfd */
	pathfd = ol_open_dir_beneath(root, "/a/b", OL_OPEN_PATH, 0);
	ASSERT_OK(pathfd);
	ASSERT(fcntl(pathfd, F_GETFL) & O_PATH);
	ASSERT(same_inode_at(pathfd, root, "a/b"));
	ASSERT_ERR(ol_open_dir_beneath(root, "/etc", 0, 0), ENOENT);

	/* a file is not a directory */
	ASSERT_OK(write_file(root, "file", "x"));
	ASSERT_ERR(ol_open_dir_beneath(root, "file", 0, 0), ENOTDIR);
	ASSERT(ol_open_dir_beneath(root, "file/sub", OL_OPEN_CREATE, 0755) < 0);
	return 0;
}

TEST(open_dir_beneath_create)
{
	return check_open_create("create");
}

TEST(open_dir_beneath_create_without_openat2)
{
	ASSERT_OK(block_openat2());
	return check_open_create("create-noopenat2");
}

static int check_open_escapes(const char *area)
{
	int outside = -1;
	_cleanup_close_ int root = make_area(area, &outside);
	_cleanup_close_ int out = outside;
	static const char *const bad_names[] = { "..", "../outside", "a/../..", "a/../../outside", "./a", "a/." };
	static const char *const via_links[] = {
		"abs", "abs/x", "up", "up/outside", "rel", "rel/b", "a/dotdot", "a/dotdot/outside",
		"dangling", "dangling/new",
	};
	char target[PATH_MAX];

	ASSERT_OK(root);
	ASSERT(out >= 0);
	ASSERT_EQ(mkdirat(root, "a", 0755), 0);
	ASSERT_EQ(mkdirat(root, "a/b", 0755), 0);
	ASSERT_EQ(mkdirat(out, "x", 0755), 0);
	snprintf(target, sizeof(target), "%s/%s/outside", base_dir, area);
	ASSERT_EQ(symlinkat(target, root, "abs"), 0);      /* absolute, outside */
	ASSERT_EQ(symlinkat("..", root, "up"), 0);         /* relative, outside */
	ASSERT_EQ(symlinkat("a", root, "rel"), 0);         /* relative, inside: refused too */
	ASSERT_EQ(symlinkat("..", root, "a/dotdot"), 0);   /* up to root */
	ASSERT_EQ(symlinkat("../outside/gone", root, "dangling"), 0);

	for (size_t i = 0; i < ELEMENTSOF(bad_names); i++) {
		if (ol_open_dir_beneath(root, bad_names[i], 0, 0) != -EINVAL)
			TAP_FAIL("\"%s\" not refused with EINVAL", bad_names[i]);
		if (ol_open_dir_beneath(root, bad_names[i], OL_OPEN_CREATE, 0755) != -EINVAL)
			TAP_FAIL("\"%s\" (create) not refused", bad_names[i]);
	}
	for (size_t i = 0; i < ELEMENTSOF(via_links); i++) {
		int fd = ol_open_dir_beneath(root, via_links[i], 0, 0);

		if (fd >= 0) {
			close(fd);
			TAP_FAIL("opened \"%s\" through a symlink", via_links[i]);
		}
		fd = ol_open_dir_beneath(root, via_links[i], OL_OPEN_CREATE, 0755);
		if (fd >= 0) {
			close(fd);
			TAP_FAIL("opened \"%s\" (create) through a symlink", via_links[i]);
		}
		fd = ol_open_dir_beneath(root, via_links[i], OL_OPEN_PATH, 0);
		if (fd >= 0) {
			close(fd);
			TAP_FAIL("opened \"%s\" (O_PATH) through a symlink", via_links[i]);
		}
	}
	/* nothing was created outside */
	ASSERT_EQ(count_entries(out), 1);
	ASSERT(faccessat(out, "gone", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
	ASSERT(faccessat(out, "new", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
	ASSERT(faccessat(out, "x/x", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
	return 0;
}

TEST(open_dir_beneath_escapes)
{
	return check_open_escapes("escapes");
}

TEST(open_dir_beneath_escapes_without_openat2)
{
	ASSERT_OK(block_openat2());
	return check_open_escapes("escapes-noopenat2");
}

/*
 * Another filesystem mounted inside the tree (a tmpfs, in a private mount
 * namespace of the test's child, gone with it) is never entered and nothing
 * is created in it or beyond it: by the plain open, by the create path
 * with openat2, and by the component walk.
 */
static int check_open_foreign_mount(const char *area, bool no_openat2)
{
	static const char *const inside[] = { "a/mnt", "a/mnt/sub", "a/mnt/new", "a/mnt/new/deeper",
					      "a/mnt/sub/new" };
	static const int flag_sets[] = { 0, OL_OPEN_PATH, OL_OPEN_CREATE,
					 OL_OPEN_CREATE | OL_OPEN_EXCL, OL_OPEN_CREATE | OL_OPEN_PATH };
	_cleanup_close_ int area_fd = make_area(area, NULL);
	_cleanup_close_ int root = -1, tmpfs = -1, sub = -1, ok = -1;
	char mnt[PATH_MAX];

	ASSERT_OK(area_fd);
	REQUIRE_ROOT();
	if (unshare(CLONE_NEWNS) < 0)
		SKIP("no private mount namespace: %s", strerror(errno));
	ASSERT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	/* an fd opened before unshare() sees the old namespace's mounts: reopen */
	snprintf(mnt, sizeof(mnt), "%s/%s/root", base_dir, area);
	root = open(mnt, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT(root >= 0);
	ASSERT_EQ(mkdirat(root, "a", 0755), 0);
	ASSERT_EQ(mkdirat(root, "a/mnt", 0755), 0);
	snprintf(mnt, sizeof(mnt), "%s/%s/root/a/mnt", base_dir, area);
	if (mount("tmpfs", mnt, "tmpfs", 0, "mode=755") < 0)
		SKIP("cannot mount a tmpfs: %s", strerror(errno));
	tmpfs = open(mnt, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT(tmpfs >= 0);
	ASSERT_EQ(mkdirat(tmpfs, "sub", 0755), 0);
	sub = openat(tmpfs, "sub", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ASSERT(sub >= 0);
	if (no_openat2)
		ASSERT_OK(block_openat2());

	for (size_t i = 0; i < ELEMENTSOF(inside); i++)
		for (size_t f = 0; f < ELEMENTSOF(flag_sets); f++) {
			int fd = ol_open_dir_beneath(root, inside[i], flag_sets[f], 0755);

			if (fd >= 0)
				close(fd);
			if (fd != -EXDEV)
				TAP_FAIL("\"%s\" (flags %#x): expected -EXDEV, got %d", inside[i],
					 (unsigned)flag_sets[f], fd);
		}
	/* nothing was made in the foreign filesystem */
	ASSERT_EQ(count_entries(tmpfs), 1);
	ASSERT_EQ(count_entries(sub), 0);
	/* its neighbours are still fine */
	ok = ol_open_dir_beneath(root, "a/ok", OL_OPEN_CREATE | OL_OPEN_EXCL, 0755);
	ASSERT_OK(ok);
	ASSERT(same_inode_at(ok, root, "a/ok"));
	return 0;
}

TEST(open_dir_beneath_other_filesystem)
{
	return check_open_foreign_mount("xdev", false);
}

TEST(open_dir_beneath_other_filesystem_without_openat2)
{
	return check_open_foreign_mount("xdev-noopenat2", true);
}

/* ------------------------------------------------------- reads / writes */

static int check_read_write(const char *area)
{
	int outside = -1;
	_cleanup_close_ int root = make_area(area, &outside);
	_cleanup_close_ int out = outside;
	char buf[64], target[PATH_MAX];

	ASSERT_OK(root);
	ASSERT_EQ(mkdirat(root, "a", 0755), 0);
	ASSERT_OK(write_file(root, "f", "hello\n"));
	ASSERT_OK(write_file(root, "a/g", "nested"));
	ASSERT_OK(write_file(out, "secret", "SECRET"));
	snprintf(target, sizeof(target), "%s/%s/outside", base_dir, area);
	ASSERT_EQ(symlinkat(target, root, "link"), 0);
	ASSERT_EQ(symlinkat("../outside/secret", root, "flink"), 0);

	ASSERT_EQ(ol_read_at(root, "f", buf, sizeof(buf)), 6);
	ASSERT_STREQ(buf, "hello\n");
	ASSERT_STREQ(ol_strip(buf), "hello");
	ASSERT_EQ(ol_read_at(root, "a/g", buf, sizeof(buf)), 6);
	ASSERT_STREQ(buf, "nested");

	ASSERT_ERR(ol_read_at(root, "missing", buf, sizeof(buf)), ENOENT);
	ASSERT_ERR(ol_read_at(root, "../outside/secret", buf, sizeof(buf)), EINVAL);
	ASSERT_ERR(ol_read_at(root, "/etc/passwd", buf, sizeof(buf)), EINVAL);
	ASSERT_ERR(ol_read_at(root, "", buf, sizeof(buf)), EINVAL);
	ASSERT(ol_read_at(root, "flink", buf, sizeof(buf)) < 0);
	/* an intermediate symlink must not lead out either */
	ASSERT(ol_read_at(root, "link/secret", buf, sizeof(buf)) < 0);

	ASSERT_OK(ol_write_at(root, "f", "HELLO!"));
	ASSERT_EQ(ol_read_at(root, "f", buf, sizeof(buf)), 6);
	ASSERT_STREQ(buf, "HELLO!");
	ASSERT_OK(ol_write_at(root, "a/g", "x"));
	ASSERT_EQ(ol_read_at(root, "a/g", buf, sizeof(buf)), 6);
	ASSERT_STREQ(buf, "xested"); /* one write at offset 0, no truncation */
	ASSERT_ERR(ol_write_at(root, "missing", "1"), ENOENT);
	ASSERT(ol_write_at(root, "flink", "pwned") < 0);
	ASSERT(ol_write_at(root, "link/secret", "pwned") < 0);
	ASSERT_ERR(ol_write_at(root, "../outside/secret", "pwned"), EINVAL);
	ASSERT_EQ(ol_read_at(out, "secret", buf, sizeof(buf)), 6);
	ASSERT_STREQ(buf, "SECRET");
	return 0;
}

TEST(read_write_at)
{
	return check_read_write("rw");
}

TEST(read_write_at_without_openat2)
{
	ASSERT_OK(block_openat2());
	return check_read_write("rw-noopenat2");
}

TEST(read_at_buffer_sizes)
{
	_cleanup_close_ int root = make_area("bufsize", NULL);
	char buf[8];

	ASSERT_OK(root);
	ASSERT_OK(write_file(root, "seven", "1234567"));
	ASSERT_OK(write_file(root, "eight", "12345678"));
	ASSERT_OK(write_file(root, "empty", ""));

	ASSERT_ERR(ol_read_at(root, "eight", buf, sizeof(buf)), EFBIG);
	ASSERT_EQ(ol_read_at(root, "empty", buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "");
	ASSERT_ERR(ol_read_at(root, "empty", buf, 0), EINVAL);
	/* 7 bytes + NUL fit exactly into 8 */
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(ol_read_at(root, "seven", buf, sizeof(buf)), 7);
	ASSERT_STREQ(buf, "1234567");
	/* a 1-byte buffer only holds the NUL of an empty file */
	ASSERT_EQ(ol_read_at(root, "empty", buf, 1), 0);
	ASSERT_ERR(ol_read_at(root, "seven", buf, 1), EFBIG);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Names read from a DIR stream, sorted and joined with ',' (no "." / ".."). */
static void dir_names(DIR *d, char *out, size_t size)
{
	char names[8][NAME_MAX + 1];
	struct dirent *de;
	size_t n = 0, len = 0;

	while ((de = readdir(d)) && n < 8)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	qsort(names, n, sizeof(names[0]), cmp_name);
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", names[i]);
}

static bool fd_is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

TEST(opendir_at)
{
	_cleanup_close_ int root = make_area("opendir", NULL);
	_cleanup_closedir_ DIR *self = NULL, *sub = NULL, *again = NULL;
	DIR *untouched = (DIR *)0x1;
	char got[256];
	long pos;

	ASSERT_OK(root);
	ASSERT_OK(mkdirat(root, "sub", 0755));
	ASSERT_OK(write_file(root, "a", "1"));
	ASSERT_OK(write_file(root, "sub/b", "2"));
	ASSERT_OK(symlinkat("sub", root, "link"));

	/* "." reads dirfd itself through a new fd: dirfd keeps its own offset and stays open */
	ASSERT_EQ(ol_opendir_at(root, ".", &self), 0);
	ASSERT(self != NULL);
	ASSERT(dirfd(self) != root);
	ASSERT(same_inode(dirfd(self), root));
	ASSERT(fd_is_cloexec(dirfd(self)));
	dir_names(self, got, sizeof(got));
	ASSERT_STREQ(got, "a,link,sub");
	pos = lseek(root, 0, SEEK_CUR);
	ASSERT_EQ(pos, 0);
	ASSERT(fcntl(root, F_GETFD) >= 0);
	/* NULL is "." */
	ASSERT_EQ(ol_opendir_at(root, NULL, &again), 0);
	ASSERT(same_inode(dirfd(again), root));

	/* a subdirectory */
	ASSERT_EQ(ol_opendir_at(root, "sub", &sub), 0);
	ASSERT(same_inode_at(dirfd(sub), root, "sub"));
	ASSERT(fd_is_cloexec(dirfd(sub)));
	dir_names(sub, got, sizeof(got));
	ASSERT_STREQ(got, "b");

	/* errors: -errno, *ret untouched */
	/* symlinks are not followed (O_DIRECTORY | O_NOFOLLOW: Linux says ENOTDIR, POSIX allows ELOOP) */
	{
		int r = ol_opendir_at(root, "link", &untouched);

		ASSERT(r == -ENOTDIR || r == -ELOOP);
	}
	ASSERT_ERR(ol_opendir_at(root, "a", &untouched), ENOTDIR);
	ASSERT_ERR(ol_opendir_at(root, "missing", &untouched), ENOENT);
	ASSERT_ERR(ol_opendir_at(-1, "sub", &untouched), EBADF);
	ASSERT(untouched == (DIR *)0x1);
	ASSERT_ERR(ol_opendir_at(root, "sub", NULL), EINVAL);
	return 0;
}

TEST(fdopendir_owns_fd)
{
	_cleanup_close_ int root = make_area("fdopendir", NULL);
	_cleanup_closedir_ DIR *d = NULL;
	DIR *untouched = (DIR *)0x1;
	int fd;

	ASSERT_OK(root);
	ASSERT_OK(write_file(root, "f", "x"));
	/* success: the stream owns fd */
	fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_EQ(ol_fdopendir(fd, &d), 0);
	ASSERT_EQ(dirfd(d), fd);
	/* failure: a file is no directory; the fd is closed, *ret untouched */
	fd = openat(root, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERR(ol_fdopendir(fd, &untouched), ENOTDIR);
	ASSERT(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	ASSERT(untouched == (DIR *)0x1);
	/* a failed open passed on: -EBADF; NULL ret: the fd is still taken */
	ASSERT_ERR(ol_fdopendir(-1, &untouched), EBADF);
	fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(fd);
	ASSERT_ERR(ol_fdopendir(fd, NULL), EINVAL);
	ASSERT(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	return 0;
}

TEST(read_full_at)
{
	_cleanup_close_ int root = make_area("full", NULL);
	_cleanup_free_ char *big = malloc(100001), *got = NULL, *empty = NULL;
	size_t len = 1;

	ASSERT_OK(root);
	ASSERT(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = 0;
	ASSERT_OK(write_file(root, "big", big));
	ASSERT_OK(write_file(root, "empty", ""));
	ASSERT_EQ(ol_read_full_at(root, "big", &got, &len), 0);
	ASSERT_EQ(len, 100000);
	ASSERT(strcmp(got, big) == 0);
	ASSERT_EQ(ol_read_full_at(root, "empty", &empty, &len), 0);
	ASSERT_EQ(len, 0);
	ASSERT_STREQ(empty, "");
	ASSERT_ERR(ol_read_full_at(root, "missing", &got, &len), ENOENT);
	ASSERT_ERR(ol_read_full_at(root, "../x", &got, &len), EINVAL);
	return 0;
}

TEST(write_fd_pipe_fallback)
{
	int p[2];
	char buf[16] = { 0 };

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	/* pwrite on a pipe is ESPIPE: falls back to write */
	ASSERT_OK(ol_write_fd(p[1], "abc", 3));
	ASSERT_EQ(read(p[0], buf, sizeof(buf)), 3);
	ASSERT_STREQ(buf, "abc");
	close(p[0]);
	close(p[1]);
	return 0;
}

/* -------------------------------------------------------- atomic write */

TEST(write_atomic_at)
{
	int outside = -1;
	_cleanup_close_ int root = make_area("atomic", &outside);
	_cleanup_close_ int out = outside;
	char buf[64], target[PATH_MAX];
	struct stat st;

	ASSERT_OK(root);
	ASSERT_OK(ol_write_atomic_at(root, "conf", "one\n", 4, 0640));
	ASSERT_EQ(ol_read_at(root, "conf", buf, sizeof(buf)), 4);
	ASSERT_STREQ(buf, "one\n");
	ASSERT_EQ(fstatat(root, "conf", &st, 0), 0);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	/* replaces, shorter content leaves nothing behind */
	ASSERT_OK(ol_write_atomic_at(root, "conf", "2", 1, 0600));
	ASSERT_EQ(ol_read_at(root, "conf", buf, sizeof(buf)), 1);
	ASSERT_STREQ(buf, "2");
	ASSERT_EQ(fstatat(root, "conf", &st, 0), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_OK(ol_write_atomic_at(root, "zero", "", 0, 0644));
	ASSERT_EQ(ol_read_at(root, "zero", buf, sizeof(buf)), 0);
	ASSERT_EQ(count_entries(root), 2); /* no temp files left */

	/* binary data with NULs */
	ASSERT_OK(ol_write_atomic_at(root, "bin", "a\0b", 3, 0644));
	ASSERT_EQ(fstatat(root, "bin", &st, 0), 0);
	ASSERT_EQ(st.st_size, 3);

	/* a symlink at the name is replaced, its target is not written */
	ASSERT_OK(write_file(out, "victim", "keep"));
	snprintf(target, sizeof(target), "%s/atomic/outside/victim", base_dir);
	ASSERT_EQ(symlinkat(target, root, "link"), 0);
	ASSERT_OK(ol_write_atomic_at(root, "link", "new", 3, 0644));
	ASSERT_EQ(fstatat(root, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT(S_ISREG(st.st_mode));
	ASSERT_EQ(ol_read_at(out, "victim", buf, sizeof(buf)), 4);
	ASSERT_STREQ(buf, "keep");

	/* names must be one component */
	ASSERT_ERR(ol_write_atomic_at(root, "a/b", "x", 1, 0644), EINVAL);
	ASSERT_ERR(ol_write_atomic_at(root, "../outside/victim", "x", 1, 0644), EINVAL);
	ASSERT_ERR(ol_write_atomic_at(root, "..", "x", 1, 0644), EINVAL);
	ASSERT_ERR(ol_write_atomic_at(root, "", "x", 1, 0644), EINVAL);
	ASSERT_ERR(ol_write_atomic_at(root, NULL, "x", 1, 0644), EINVAL);

	/* a failed replace (the name is a non-empty directory: rename fails)
	 * leaves what was there and no temp file behind */
	{
		int before;

		ASSERT_EQ(mkdirat(root, "busy", 0755), 0);
		ASSERT_OK(ol_write_atomic_at(root, "conf", "3", 1, 0644));
		{
			_cleanup_close_ int bfd = openat(root, "busy", O_DIRECTORY | O_CLOEXEC);
			ASSERT(bfd >= 0);
			ASSERT_OK(write_file(bfd, "inner", "keep"));
		}
		before = count_entries(root);
		ASSERT(ol_write_atomic_at(root, "busy", "broken", 6, 0644) < 0);
		ASSERT_EQ(count_entries(root), before);
		ASSERT_EQ(fstatat(root, "busy", &st, AT_SYMLINK_NOFOLLOW), 0);
		ASSERT(S_ISDIR(st.st_mode));
		ASSERT_EQ(ol_read_at(root, "conf", buf, sizeof(buf)), 1);
		ASSERT_STREQ(buf, "3");
	}
	return 0;
}

/* ------------------------------------------------------------- parsing */

TEST(parse_u64)
{
	uint64_t v;

	ASSERT_EQ(ol_parse_u64("0", &v), 0);
	ASSERT(v == 0);
	ASSERT_EQ(ol_parse_u64("18446744073709551615", &v), 0);
	ASSERT(v == UINT64_MAX);
	ASSERT_EQ(ol_parse_u64("42\n", &v), 0);
	ASSERT(v == 42);
	ASSERT_EQ(ol_parse_u64("007", &v), 0);
	ASSERT(v == 7);

	v = 99;
	ASSERT_ERR(ol_parse_u64("18446744073709551616", &v), ERANGE);
	ASSERT_ERR(ol_parse_u64("-1", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("+1", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64(" 1", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("1 ", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("1\n\n", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("\n", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("0x10", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("1k", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64("max", &v), EINVAL);
	ASSERT_ERR(ol_parse_u64(NULL, &v), EINVAL);
	ASSERT(v == 99); /* untouched on failure */
	return 0;
}

TEST(parse_i64)
{
	int64_t v;

	ASSERT_EQ(ol_parse_i64("-9223372036854775808", &v), 0);
	ASSERT(v == INT64_MIN);
	ASSERT_EQ(ol_parse_i64("9223372036854775807", &v), 0);
	ASSERT(v == INT64_MAX);
	ASSERT_EQ(ol_parse_i64("-1\n", &v), 0);
	ASSERT(v == -1);

	v = 99;
	ASSERT_ERR(ol_parse_i64("9223372036854775808", &v), ERANGE);
	ASSERT_ERR(ol_parse_i64("-9223372036854775809", &v), ERANGE);
	ASSERT_ERR(ol_parse_i64("-", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64("--1", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64("+1", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64("- 1", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64("1.0", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64("", &v), EINVAL);
	ASSERT_ERR(ol_parse_i64(NULL, &v), EINVAL);
	ASSERT(v == 99);
	return 0;
}

TEST(parse_u32)
{
	uint32_t v;

	ASSERT_EQ(ol_parse_u32("4294967295", &v), 0);
	ASSERT(v == UINT32_MAX);
	v = 5;
	ASSERT_ERR(ol_parse_u32("4294967296", &v), ERANGE);
	ASSERT_ERR(ol_parse_u32("18446744073709551616", &v), ERANGE);
	ASSERT_ERR(ol_parse_u32("-1", &v), EINVAL);
	ASSERT_ERR(ol_parse_u32("1x", &v), EINVAL);
	ASSERT(v == 5);
	return 0;
}

TEST(strip)
{
	char a[] = "value \t\n\n", b[] = "", c[] = "  lead", d[] = "\n";

	ASSERT_STREQ(ol_strip(a), "value");
	ASSERT_STREQ(ol_strip(b), "");
	ASSERT_STREQ(ol_strip(c), "  lead");
	ASSERT_STREQ(ol_strip(d), "");
	return 0;
}

TAP_MAIN()
