/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-values-kernel - values written with cgroup_create_cgroup() /
 * cgroup_modify_cgroup() land in the kernel, and cgroup_get_cgroup() reads
 * back exactly what the kernel holds ("max", "-1", empty and multi-line
 * values included), on whatever cgroup version each controller has here.
 * Settings named for the other cgroup version are translated.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgtest.h"
#include "lve/libcgroup.h"
#include "tap.h"

/* Create `group` with one controller and no values. */
static int mkgroup(const char *group, const char *ctrl)
{
	struct cgroup *cg = cgroup_new_cgroup(group);
	int r;

	if (!cg)
		return -ENOMEM;
	if (!cgroup_add_controller(cg, ctrl)) {
		cgroup_free(&cg);
		return -EINVAL;
	}
	r = cgroup_create_cgroup(cg, 0);
	cgroup_free(&cg);
	return r;
}

/* cgroup_modify_cgroup() of one setting. Returns the ECG code. */
static int set1(const char *group, const char *ctrl, const char *name, const char *value)
{
	struct cgroup *cg = cgroup_new_cgroup(group);
	struct cgroup_controller *c;
	int r;

	if (!cg)
		return -ENOMEM;
	c = cgroup_add_controller(cg, ctrl);
	if (!c || cgroup_add_value_string(c, name, value) != 0) {
		cgroup_free(&cg);
		return -EINVAL;
	}
	r = cgroup_modify_cgroup(cg);
	cgroup_free(&cg);
	return r;
}

/* cgroup_get_cgroup() of one setting (malloc'd in *out). Returns the ECG code. */
static int get1(const char *group, const char *ctrl, const char *name, char **out)
{
	struct cgroup *cg = cgroup_new_cgroup(group);
	struct cgroup_controller *c;
	int r;

	if (!cg)
		return -ENOMEM;
	if (!cgroup_add_controller(cg, ctrl)) {
		cgroup_free(&cg);
		return -EINVAL;
	}
	r = cgroup_get_cgroup(cg);
	if (r == 0) {
		c = cgroup_get_controller(cg, ctrl);
		r = c ? cgroup_get_value_string(c, name, out) : ECGROUPVALUENOTEXIST;
	}
	cgroup_free(&cg);
	return r;
}

/*
 * Write `value` to ctrl's `name` with modify; then the kernel must hold
 * `expect` (NULL: whatever it holds) and get_cgroup must read exactly the
 * kernel's text.
 */
static int roundtrip(const char *group, const char *ctrl, const char *name, const char *value,
		     const char *expect)
{
	char kernel[4096], *lib = NULL;

	ASSERT_EQ(set1(group, ctrl, name, value), 0);
	ASSERT_OK(cgtest_read_value(ctrl, group, name, kernel, sizeof(kernel)));
	if (expect)
		ASSERT_STREQ(kernel, expect);
	ASSERT_EQ(get1(group, ctrl, name, &lib), 0);
	ASSERT_STREQ(lib, kernel);
	free(lib);
	return 0;
}

TEST(pids_max_number_and_max)
{
	char *v = NULL;
	struct cgroup *cg;
	int64_t i64 = 0;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(mkgroup("p", "pids"), 0);
	if (roundtrip("p", "pids", "pids.max", "7", "7"))
		return 1;
	/* typed access to the read value */
	cg = cgroup_new_cgroup("p");
	ASSERT(cg && cgroup_add_controller(cg, "pids"));
	ASSERT_EQ(cgroup_get_cgroup(cg), 0);
	ASSERT_EQ(cgroup_get_value_int64(cgroup_get_controller(cg, "pids"), "pids.max", &i64), 0);
	ASSERT_EQ(i64, 7);
	cgroup_free(&cg);
	if (roundtrip("p", "pids", "pids.max", "max", "max"))
		return 1;
	ASSERT_EQ(get1("p", "pids", "pids.max", &v), 0);
	ASSERT_STREQ(v, "max");
	free(v);
	return 0;
}

TEST(cpu_weight_own_version)
{
	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_EQ(mkgroup("c", "cpu"), 0);
	if (cgtest_version("cpu") == 1)
		return roundtrip("c", "cpu", "cpu.shares", "512", "512");
	return roundtrip("c", "cpu", "cpu.weight", "50", "50");
}

TEST(cpu_quota_unlimited)
{
	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_EQ(mkgroup("q", "cpu"), 0);
	if (cgtest_version("cpu") == 1) {
		if (roundtrip("q", "cpu", "cpu.cfs_period_us", "100000", "100000") ||
		    roundtrip("q", "cpu", "cpu.cfs_quota_us", "50000", "50000") ||
		    roundtrip("q", "cpu", "cpu.cfs_quota_us", "-1", "-1"))
			return 1;
		return 0;
	}
	if (roundtrip("q", "cpu", "cpu.max", "50000 100000", "50000 100000") ||
	    roundtrip("q", "cpu", "cpu.max", "max 100000", "max 100000"))
		return 1;
	return 0;
}

/*
 * The value cgroup_convert_cgroup() (the library's one translation) gives
 * setting `name`=`value` of `ctrl` for the other version. NULL if none.
 */
TEST(cpu_weight_other_version_is_translated)
{
	const char *name, *value, *target, *want;
	char kernel[64], before[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("cpu");
	ASSERT_EQ(mkgroup("t", "cpu"), 0);
	/*
	 * Literal answers of the OCI runtime's documented linear mapping
	 * (runc, crun, Kubernetes; src/libcgroup/convert.c):
	 *   weight = 1 + (shares - 2) * 9999 / 262142   512 -> 1 + 5099490 / 262142 = 20
	 *   shares = 2 + ceil((weight - 1) * 262142 / 9999)   50 -> 2 + ceil(1284.6) = 1287
	 */
	if (cgtest_version("cpu") == 1) {
		name = "cpu.weight", value = "50", target = "cpu.shares", want = "1287";
	} else {
		name = "cpu.shares", value = "512", target = "cpu.weight", want = "20";
	}
	ASSERT_OK(cgtest_read_value("cpu", "t", target, before, sizeof(before)));
	ASSERT(strcmp(before, want) != 0); /* the write must be visible */
	ASSERT_EQ(set1("t", "cpu", name, value), 0);
	ASSERT_OK(cgtest_read_value("cpu", "t", target, kernel, sizeof(kernel)));
	ASSERT_STREQ(kernel, want);
	return 0;
}

TEST(memory_limit_with_other_version_name)
{
	const char *name, *target;
	char kernel[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_EQ(mkgroup("m", "memory"), 0);
	if (cgtest_version("memory") == 1)
		name = "memory.max", target = "memory.limit_in_bytes";
	else
		name = "memory.limit_in_bytes", target = "memory.max";
	ASSERT_EQ(set1("m", "memory", name, "67108864"), 0);
	ASSERT_OK(cgtest_read_value("memory", "m", target, kernel, sizeof(kernel)));
	ASSERT_STREQ(kernel, "67108864");
	/* and read back under the kernel's own name */
	{
		char *v = NULL;

		ASSERT_EQ(get1("m", "memory", target, &v), 0);
		ASSERT_STREQ(v, "67108864");
		free(v);
	}
	return 0;
}

TEST(untranslatable_setting_is_reported_the_rest_written)
{
	struct cgroup *cg;
	struct cgroup_controller *c;
	const char *conv, *target, *none;
	char kernel[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_EQ(mkgroup("mx", "memory"), 0);
	if (cgtest_version("memory") == 1) /* memory.high has no v1 counterpart */
		conv = "memory.max", target = "memory.limit_in_bytes", none = "memory.high";
	else /* memory.swappiness has no v2 counterpart */
		conv = "memory.limit_in_bytes", target = "memory.max", none = "memory.swappiness";
	cg = cgroup_new_cgroup("mx");
	ASSERT(cg && (c = cgroup_add_controller(cg, "memory")));
	ASSERT_EQ(cgroup_add_value_string(c, none, "1000000"), 0);
	ASSERT_EQ(cgroup_add_value_string(c, conv, "50331648"), 0);
	ASSERT_EQ(cgroup_modify_cgroup(cg), ECGROUPVALUENOTEXIST);
	ASSERT_OK(cgtest_read_value("memory", "mx", target, kernel, sizeof(kernel)));
	ASSERT_STREQ(kernel, "50331648");
	cgroup_free(&cg);
	return 0;
}

TEST(memory_limit_unlimited)
{
	char kernel[64];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("memory");
	ASSERT_EQ(mkgroup("mu", "memory"), 0);
	if (cgtest_version("memory") == 1) {
		char dflt[64];

		ASSERT_OK(cgtest_read_value("memory", "mu", "memory.limit_in_bytes", dflt, sizeof(dflt)));
		if (roundtrip("mu", "memory", "memory.limit_in_bytes", "33554432", "33554432"))
			return 1;
		/* -1 is stored as the kernel's "unlimited" number: read back what it holds */
		if (roundtrip("mu", "memory", "memory.limit_in_bytes", "-1", dflt))
			return 1;
		ASSERT_OK(cgtest_read_value("memory", "mu", "memory.limit_in_bytes", kernel, sizeof(kernel)));
		ASSERT(strcmp(kernel, "33554432") != 0);
		return 0;
	}
	if (roundtrip("mu", "memory", "memory.max", "33554432", "33554432") ||
	    roundtrip("mu", "memory", "memory.max", "max", "max") ||
	    roundtrip("mu", "memory", "memory.high", "max", "max"))
		return 1;
	return 0;
}

TEST(cpuset_empty_value_round_trip)
{
	char cpus[256];

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("cpuset");
	ASSERT_EQ(mkgroup("cs", "cpuset"), 0);
	if (cgtest_read_value("cpuset", "",
			      cgtest_version("cpuset") == 2 ? "cpuset.cpus.effective" : "cpuset.cpus",
			      cpus, sizeof(cpus)) < 0 ||
	    !cpus[0])
		SKIP("no cpus visible in the test root");
	/* the first cpu of the available set */
	cpus[strcspn(cpus, ",-")] = 0;
	if (roundtrip("cs", "cpuset", "cpuset.cpus", cpus, cpus))
		return 1;
	/* empty: a zero-length write would be a no-op; the library must clear */
	if (roundtrip("cs", "cpuset", "cpuset.cpus", "", ""))
		return 1;
	return 0;
}

TEST(multiline_values_are_whole)
{
	const char *ctrl, *file;
	char kernel[65536], again[65536], *v = NULL;

	CGTEST_SETUP();
	ctrl = cgtest_has_ctrl("memory") ? "memory" : "cpu";
	CGTEST_REQUIRE_CTRL(ctrl);
	file = strcmp(ctrl, "memory") ? "cpu.stat" : "memory.stat";
	ASSERT_EQ(mkgroup("ml", ctrl), 0);
	for (int tries = 0; tries < 5; tries++) {
		ASSERT_OK(cgtest_read_value(ctrl, "ml", file, kernel, sizeof(kernel)));
		ASSERT_EQ(get1("ml", ctrl, file, &v), 0);
		ASSERT_OK(cgtest_read_value(ctrl, "ml", file, again, sizeof(again)));
		if (!strcmp(kernel, again))
			break;
		free(v);
		v = NULL;
	}
	ASSERT(v);
	ASSERT(strchr(kernel, '\n')); /* really several lines */
	ASSERT_STREQ(v, kernel);
	ASSERT(v[strlen(v) - 1] != '\n');
	free(v);
	return 0;
}

/* "MAJ:MIN" of a whole disk, or 0. */
static int find_disk(char *out, size_t size)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char path[512], buf[64];
		int fd, n;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) ||
		    !strncmp(de->d_name, "ram", 3) || !strncmp(de->d_name, "zram", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = (int)read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		snprintf(out, size, "%s", buf);
		found = 1;
	}
	closedir(d);
	return found;
}

TEST(io_throttle_per_device)
{
	const char *ctrl = NULL;
	char dev[64], val[128], kernel[4096];

	CGTEST_SETUP();
	if (cgtest_has_ctrl("io"))
		ctrl = "io";
	else if (cgtest_has_ctrl("blkio"))
		ctrl = "blkio";
	else
		SKIP("no io/blkio controller");
	if (!find_disk(dev, sizeof(dev)))
		SKIP("no block device");
	ASSERT_EQ(mkgroup("io", ctrl), 0);
	if (cgtest_version(ctrl) == 1) {
		snprintf(val, sizeof(val), "%s 1048576", dev);
		if (roundtrip("io", ctrl, "blkio.throttle.read_bps_device", val, val))
			return 1;
		snprintf(val, sizeof(val), "%s 0", dev); /* 0 removes the rule */
		if (roundtrip("io", ctrl, "blkio.throttle.read_bps_device", val, ""))
			return 1;
		return 0;
	}
	snprintf(val, sizeof(val), "%s rbps=1048576", dev);
	/* the disk exists (find_disk): the library failing to write io.max is a failure */
	ASSERT_EQ(set1("io", ctrl, "io.max", val), 0);
	ASSERT_OK(cgtest_read_value(ctrl, "io", "io.max", kernel, sizeof(kernel)));
	snprintf(val, sizeof(val), "%s rbps=1048576 ", dev);
	ASSERT(strncmp(kernel, val, strlen(val)) == 0);
	{
		char *v = NULL;

		ASSERT_EQ(get1("io", ctrl, "io.max", &v), 0);
		ASSERT_STREQ(v, kernel);
		free(v);
	}
	return 0;
}

TEST(freezer_state)
{
	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("freezer");
	if (cgtest_version("freezer") != 1)
		SKIP("freezer is a v1 controller");
	ASSERT_EQ(mkgroup("fz", "freezer"), 0);
	if (roundtrip("fz", "freezer", "freezer.state", "FROZEN", "FROZEN") ||
	    roundtrip("fz", "freezer", "freezer.state", "THAWED", "THAWED"))
		return 1;
	return 0;
}

TEST(create_writes_typed_values)
{
	struct cgroup *cg;
	struct cgroup_controller *c;
	char kernel[64];
	uint64_t u = 0;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	cg = cgroup_new_cgroup("ty");
	ASSERT(cg);
	c = cgroup_add_controller(cg, "pids");
	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_uint64(c, "pids.max", 1234), 0);
	ASSERT_EQ(cgroup_create_cgroup(cg, 0), 0);
	ASSERT_OK(cgtest_read_value("pids", "ty", "pids.max", kernel, sizeof(kernel)));
	ASSERT_STREQ(kernel, "1234");
	cgroup_free(&cg);
	cg = cgroup_new_cgroup("ty");
	ASSERT(cg && cgroup_add_controller(cg, "pids"));
	ASSERT_EQ(cgroup_get_cgroup(cg), 0);
	ASSERT_EQ(cgroup_get_value_uint64(cgroup_get_controller(cg, "pids"), "pids.max", &u), 0);
	ASSERT_EQ(u, 1234);
	cgroup_free(&cg);
	return 0;
}

TEST(get_then_modify_round_trip_unchanged)
{
	/* every writable setting read from the kernel can be written back as is */
	struct cgroup *cg;
	int tried = 0;

	CGTEST_SETUP();
	CGTEST_REQUIRE_CTRL("pids");
	ASSERT_EQ(mkgroup("rt", "pids"), 0);
	ASSERT_OK(cgtest_write("pids", "rt", "pids.max", "max"));
	cg = cgroup_new_cgroup("rt");
	ASSERT(cg && cgroup_add_controller(cg, "pids"));
	ASSERT_EQ(cgroup_get_cgroup(cg), 0);
	{
		struct cgroup_controller *c = cgroup_get_controller(cg, "pids");

		for (int i = 0; i < cgroup_get_value_name_count(c); i++) {
			const char *n = cgroup_get_value_name(c, i);
			char *path = cgtest_path("pids", "rt", n), *v = NULL;
			struct stat st;

			ASSERT(path && stat(path, &st) == 0);
			free(path);
			if (!(st.st_mode & S_IWUSR))
				continue;
			ASSERT_EQ(cgroup_get_value_string(c, n, &v), 0);
			ASSERT_EQ(cgroup_set_value_string(c, n, v), 0);
			free(v);
			tried++;
		}
	}
	ASSERT(tried > 0);
	ASSERT_EQ(cgroup_modify_cgroup(cg), 0);
	{
		char kernel[64];

		ASSERT_OK(cgtest_read_value("pids", "rt", "pids.max", kernel, sizeof(kernel)));
		ASSERT_STREQ(kernel, "max");
	}
	cgroup_free(&cg);
	return 0;
}

TAP_MAIN()
