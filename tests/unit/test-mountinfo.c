/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-mountinfo - cg_parse_mountinfo() on real and hostile mountinfo text,
 * and the controller name table. Pure: no kernel access.
 */
#include <fcntl.h>
#include <string.h>

#include "cg-internal.h"
#include "tap.h"

/* Captured on this workplace's machine (kernel 6.18, hybrid). */
static const char host_hybrid[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
	"24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755\n"
	"25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
	"26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
	"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n"
	"28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755\n"
	"29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
	"30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* A systemd host booted with the unified hierarchy (Debian 12). */
static const char pure_v2[] =
	"21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
	"27 21 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:8 - securityfs securityfs rw\n"
	"29 21 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	"30 21 0:26 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n";
static const char pure_v2_controllers[] = "cpuset cpu io memory hugetlb pids rdma misc\n";

/* CentOS 7: everything v1, combined hierarchies, a read-only tmpfs above. */
static const char legacy[] =
	"18 61 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw,seclabel\n"
	"25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,seclabel,mode=755\n"
	"26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,seclabel,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
	"29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,seclabel,cpuacct,cpu\n"
	"30 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,seclabel,net_prio,net_cls\n"
	"31 25 0:27 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,seclabel,blkio\n"
	"32 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,seclabel,memory\n"
	"33 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,seclabel,pids\n"
	"34 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,seclabel,cpuset\n"
	"35 25 0:31 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,seclabel,freezer\n"
	"36 25 0:32 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,seclabel,devices\n"
	"37 25 0:33 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,seclabel,hugetlb\n"
	"38 25 0:34 / /sys/fs/cgroup/perf_event rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,seclabel,perf_event\n";

/* Ubuntu 20.04 systemd hybrid: cgroup2 beside, with nsdelegate, and no controllers. */
static const char systemd_hybrid[] =
	"33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
	"35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
	"38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
	"39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n";

static int find_mount(const struct cg_sys *sys, const char *path)
{
	for (int i = 0; i < sys->n_mounts; i++)
		if (!strcmp(sys->mounts[i].path, path))
			return i;
	return -1;
}

#define BIT(c) (1u << (unsigned)(c))

/* Structural invariants every successful parse must satisfy. */
static int check_invariants(const struct cg_sys *sys)
{
	int n_v2 = 0;

	ASSERT(sys->n_mounts >= 0 && sys->n_mounts <= CG_HIER_MAX);
	for (int i = 0; i < sys->n_mounts; i++) {
		const struct cg_mount *m = &sys->mounts[i];

		ASSERT(m->path && m->path[0] == '/');
		ASSERT(m->version == CGROUP_V1 || m->version == CGROUP_V2);
		ASSERT_EQ(m->fd, -1);
		if (m->version == CGROUP_V2) {
			n_v2++;
			ASSERT_EQ(sys->unified, i);
			ASSERT(!m->name);
		} else {
			ASSERT(m->ctrls || m->name);
		}
	}
	ASSERT(n_v2 <= 1);
	if (n_v2 == 0)
		ASSERT_EQ(sys->unified, -1);
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		int idx = sys->ctrl_mount[c];

		ASSERT(idx >= -1 && idx < sys->n_mounts);
		if (idx >= 0)
			ASSERT(sys->mounts[idx].ctrls & BIT(c));
		ASSERT(!sys->ns[c]);
	}
	return 0;
}

TEST(ctrl_table)
{
	static const char *const names[] = { "cpu",     "cpuacct", "cpuset",  "memory",     "blkio",
					     "io",      "pids",    "freezer", "devices",    "net_cls",
					     "net_prio", "perf_event", "hugetlb", "rdma", "misc" };

	ASSERT_EQ(ELEMENTSOF(names), CG_CTRL_COUNT);
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		ASSERT_STREQ(cg_ctrl_name(c), names[c]);
		ASSERT_EQ(cg_ctrl_lookup(names[c]), c);
	}
	ASSERT(cg_ctrl_lookup("blkio") != cg_ctrl_lookup("io"));
	ASSERT_EQ(cg_ctrl_lookup("CPU"), -1);
	ASSERT_EQ(cg_ctrl_lookup("cpu "), -1);
	ASSERT_EQ(cg_ctrl_lookup(""), -1);
	ASSERT_EQ(cg_ctrl_lookup("name=systemd"), -1);
	ASSERT_EQ(cg_ctrl_lookup(NULL), -1);
	ASSERT(cg_ctrl_name(-1) == NULL);
	ASSERT(cg_ctrl_name(CG_CTRL_COUNT) == NULL);
	return 0;
}

TEST(host_hybrid)
{
	struct cg_sys sys;
	int u, cpu, sd;

	ASSERT_OK(cg_parse_mountinfo(host_hybrid, "hugetlb\n", &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_HYBRID);
	ASSERT_EQ(sys.n_mounts, 10); /* 8 controller hierarchies, name=systemd, cgroup2 */
	u = find_mount(&sys, "/sys/fs/cgroup/unified");
	ASSERT(u >= 0);
	ASSERT_EQ(sys.unified, u);
	ASSERT_EQ(sys.mounts[u].version, CGROUP_V2);
	ASSERT_EQ(sys.mounts[u].ctrls, BIT(CG_CTRL_HUGETLB));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_HUGETLB], u);

	cpu = find_mount(&sys, "/sys/fs/cgroup/cpu");
	ASSERT(cpu >= 0);
	ASSERT_EQ(sys.mounts[cpu].version, CGROUP_V1);
	ASSERT_EQ(sys.mounts[cpu].ctrls, BIT(CG_CTRL_CPU));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], cpu);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPUACCT], find_mount(&sys, "/sys/fs/cgroup/cpuacct"));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_BLKIO], find_mount(&sys, "/sys/fs/cgroup/blkio"));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_IO], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MEMORY], find_mount(&sys, "/sys/fs/cgroup/memory"));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_NET_CLS], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MISC], -1);

	sd = find_mount(&sys, "/sys/fs/cgroup/systemd");
	ASSERT(sd >= 0);
	ASSERT_STREQ(sys.mounts[sd].name, "systemd");
	ASSERT_EQ(sys.mounts[sd].ctrls, 0);
	ASSERT(find_mount(&sys, "/sys/fs/cgroup") < 0); /* the tmpfs */
	cg_sys_free(&sys);
	ASSERT_EQ(sys.n_mounts, 0);
	ASSERT(sys.mounts == NULL);
	return 0;
}

TEST(host_hybrid_without_controllers_text)
{
	struct cg_sys sys;

	ASSERT_OK(cg_parse_mountinfo(host_hybrid, NULL, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_HYBRID);
	ASSERT_EQ(sys.mounts[sys.unified].ctrls, 0);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_HUGETLB], -1);
	cg_sys_free(&sys);
	return 0;
}

TEST(pure_v2)
{
	static const int expect[] = { CG_CTRL_CPUSET, CG_CTRL_CPU,     CG_CTRL_IO,   CG_CTRL_MEMORY,
				      CG_CTRL_HUGETLB, CG_CTRL_PIDS,   CG_CTRL_RDMA, CG_CTRL_MISC };
	struct cg_sys sys;
	uint32_t mask = 0;

	ASSERT_OK(cg_parse_mountinfo(pure_v2, pure_v2_controllers, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_UNIFIED);
	ASSERT_EQ(sys.n_mounts, 1);
	ASSERT_EQ(sys.unified, 0);
	ASSERT_STREQ(sys.mounts[0].path, "/sys/fs/cgroup");
	for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
		ASSERT_EQ(sys.ctrl_mount[expect[i]], 0);
		mask |= BIT(expect[i]);
	}
	ASSERT_EQ(sys.mounts[0].ctrls, mask);
	/* v1-only names are not offered by a cgroup2 mount */
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_BLKIO], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPUACCT], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_FREEZER], -1);
	cg_sys_free(&sys);
	return 0;
}

TEST(v2_controllers_text_is_checked)
{
	struct cg_sys sys;

	/* v1 names, unknown words, odd whitespace, an over-long word */
	ASSERT_OK(cg_parse_mountinfo(pure_v2,
				     "  blkio\tcpuacct  bogus memory\n\npids "
				     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				     &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mounts[0].ctrls, BIT(CG_CTRL_MEMORY) | BIT(CG_CTRL_PIDS));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_BLKIO], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPUACCT], -1);
	cg_sys_free(&sys);

	ASSERT_OK(cg_parse_mountinfo(pure_v2, "", &sys));
	ASSERT_EQ(sys.mounts[0].ctrls, 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_UNIFIED);
	cg_sys_free(&sys);
	return 0;
}

TEST(legacy_combined_hierarchies)
{
	struct cg_sys sys;
	int cc, np, sd;

	/* text for a cgroup2 root is ignored when there is no cgroup2 mount */
	ASSERT_OK(cg_parse_mountinfo(legacy, "cpu memory io", &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_LEGACY);
	ASSERT_EQ(sys.unified, -1);
	ASSERT_EQ(sys.n_mounts, 11); /* name=systemd + 10 controller hierarchies */
	cc = find_mount(&sys, "/sys/fs/cgroup/cpu,cpuacct");
	ASSERT(cc >= 0);
	ASSERT_EQ(sys.mounts[cc].ctrls, BIT(CG_CTRL_CPU) | BIT(CG_CTRL_CPUACCT));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], cc);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPUACCT], cc);
	np = find_mount(&sys, "/sys/fs/cgroup/net_cls,net_prio");
	ASSERT(np >= 0);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_NET_CLS], np);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_NET_PRIO], np);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_IO], -1);
	ASSERT(sys.ctrl_mount[CG_CTRL_BLKIO] >= 0);
	ASSERT(sys.ctrl_mount[CG_CTRL_PERF_EVENT] >= 0);
	sd = find_mount(&sys, "/sys/fs/cgroup/systemd");
	ASSERT(sd >= 0);
	/* release_agent=/usr/lib/... and xattr are not controllers */
	ASSERT_EQ(sys.mounts[sd].ctrls, 0);
	ASSERT_STREQ(sys.mounts[sd].name, "systemd");
	cg_sys_free(&sys);
	return 0;
}

TEST(systemd_hybrid)
{
	struct cg_sys sys;

	ASSERT_OK(cg_parse_mountinfo(systemd_hybrid, "", &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_HYBRID);
	ASSERT_EQ(sys.n_mounts, 4);
	ASSERT_STREQ(sys.mounts[sys.unified].path, "/sys/fs/cgroup/unified");
	cg_sys_free(&sys);
	return 0;
}

TEST(mode_rules)
{
	static const struct {
		const char *text;
		enum cg_setup_mode_t mode;
	} cases[] = {
		/* cgroup2 at /sys/fs/cgroup wins even with a stray v1 mount elsewhere */
		{ "1 0 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		  "2 0 0:41 / /mnt/cpu rw - cgroup cgroup rw,cpu\n",
		  CGROUP_MODE_UNIFIED },
		/* cgroup2 elsewhere, no v1 controllers */
		{ "1 0 0:40 / /mnt/cg2 rw - cgroup2 none rw\n", CGROUP_MODE_UNIFIED },
		/* cgroup2 elsewhere plus only a named v1 hierarchy: no v1 controllers */
		{ "1 0 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		  "2 0 0:41 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
		  CGROUP_MODE_UNIFIED },
		/* v1 controllers and cgroup2 beside them */
		{ "2 0 0:41 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
		  "1 0 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
		  CGROUP_MODE_HYBRID },
		/* only v1, even only a named hierarchy */
		{ "2 0 0:41 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
		  CGROUP_MODE_LEGACY },
		/* no cgroup file system at all */
		{ "1 0 0:5 / / rw - ext4 /dev/sda1 rw\n", CGROUP_MODE_UNK },
		{ "", CGROUP_MODE_UNK },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cg_sys sys;

		ASSERT_OK(cg_parse_mountinfo(cases[i].text, NULL, &sys));
		ASSERT_EQ(check_invariants(&sys), 0);
		if (sys.mode != cases[i].mode)
			TAP_FAIL("case %zu: mode %d, expected %d", i, sys.mode, cases[i].mode);
		if (cases[i].mode == CGROUP_MODE_UNK)
			ASSERT_EQ(sys.n_mounts, 0);
		cg_sys_free(&sys);
	}
	return 0;
}

TEST(optional_fields)
{
	struct cg_sys sys;
	const char *text =
		/* several optional fields, and one that looks like a path */
		"40 31 0:37 / /sys/fs/cgroup/pids rw,relatime shared:7 master:1 propagate_from:2 unbindable - cgroup cgroup rw,pids\n"
		/* no optional field at all */
		"41 31 0:38 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		/* a source that looks like the separator */
		"42 31 0:39 / /sys/fs/cgroup/freezer rw - cgroup - rw,freezer\n";

	ASSERT_OK(cg_parse_mountinfo(text, NULL, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.n_mounts, 3);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_PIDS], find_mount(&sys, "/sys/fs/cgroup/pids"));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MEMORY], find_mount(&sys, "/sys/fs/cgroup/memory"));
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_FREEZER], find_mount(&sys, "/sys/fs/cgroup/freezer"));
	ASSERT_EQ(sys.mode, CGROUP_MODE_LEGACY);
	cg_sys_free(&sys);
	return 0;
}

TEST(escaped_mount_points)
{
	struct cg_sys sys;
	const char *text =
		"50 1 0:50 / /mnt/my\\040cgroups/cpu rw - cgroup cgroup rw,cpu\n"
		"51 1 0:51 / /mnt/tab\\011and\\134backslash rw - cgroup cgroup rw,memory\n"
		"52 1 0:52 / /mnt/nl\\012x rw - cgroup cgroup rw,pids\n"
		/* not an escape: kept literally */
		"53 1 0:53 / /mnt/lit\\0x\\9 rw - cgroup cgroup rw,freezer\n"
		/* \000 would cut the path: the line is refused */
		"54 1 0:54 / /mnt/nul\\000x rw - cgroup cgroup rw,devices\n"
		/* > \377 is not a byte */
		"55 1 0:55 / /mnt/big\\777 rw - cgroup cgroup rw,hugetlb\n"
		/* escaped name= value */
		"56 1 0:56 / /mnt/named rw - cgroup cgroup rw,name=my\\040tree\n";

	ASSERT_OK(cg_parse_mountinfo(text, NULL, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], find_mount(&sys, "/mnt/my cgroups/cpu"));
	ASSERT(sys.ctrl_mount[CG_CTRL_CPU] >= 0);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MEMORY], find_mount(&sys, "/mnt/tab\tand\\backslash"));
	ASSERT(sys.ctrl_mount[CG_CTRL_MEMORY] >= 0);
	ASSERT(sys.ctrl_mount[CG_CTRL_PIDS] >= 0);
	ASSERT_STREQ(sys.mounts[sys.ctrl_mount[CG_CTRL_PIDS]].path, "/mnt/nl\nx");
	ASSERT(sys.ctrl_mount[CG_CTRL_FREEZER] >= 0);
	ASSERT_STREQ(sys.mounts[sys.ctrl_mount[CG_CTRL_FREEZER]].path, "/mnt/lit\\0x\\9");
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_DEVICES], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_HUGETLB], -1);
	ASSERT(find_mount(&sys, "/mnt/named") >= 0);
	ASSERT_STREQ(sys.mounts[find_mount(&sys, "/mnt/named")].name, "my tree");
	ASSERT_EQ(sys.n_mounts, 5);
	cg_sys_free(&sys);
	return 0;
}

TEST(bind_mount_duplicates_keep_first)
{
	struct cg_sys sys;
	const char *text =
		"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
		/* same hierarchy (same device) bound elsewhere, and a subdirectory of it */
		"60 1 0:29 / /srv/cpu-bind rw - cgroup cgroup rw,cpu,cpuacct\n"
		"61 1 0:29 /lve /srv/lve-only rw - cgroup cgroup rw,cpu,cpuacct\n"
		/* a second superblock line for the same controllers is the same hierarchy */
		"62 1 0:77 / /srv/cpu-again rw - cgroup cgroup rw,cpuacct,cpu\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		"63 1 0:38 / /srv/unified-bind rw - cgroup2 cgroup2 rw\n"
		/* there is one cgroup2 hierarchy, whatever the device */
		"64 1 0:99 / /srv/unified-other rw - cgroup2 cgroup2 rw\n"
		"40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
		"65 1 0:37 / /srv/systemd rw - cgroup cgroup rw,name=systemd\n"
		/* a different named hierarchy is not a duplicate */
		"66 1 0:88 / /srv/other rw - cgroup cgroup rw,name=other\n";

	ASSERT_OK(cg_parse_mountinfo(text, "memory", &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.n_mounts, 4);
	ASSERT_STREQ(sys.mounts[sys.ctrl_mount[CG_CTRL_CPU]].path, "/sys/fs/cgroup/cpu");
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], sys.ctrl_mount[CG_CTRL_CPUACCT]);
	ASSERT_STREQ(sys.mounts[sys.unified].path, "/sys/fs/cgroup/unified");
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MEMORY], sys.unified);
	ASSERT(find_mount(&sys, "/sys/fs/cgroup/systemd") >= 0);
	ASSERT(find_mount(&sys, "/srv/other") >= 0);
	ASSERT(find_mount(&sys, "/srv/systemd") < 0);
	ASSERT(find_mount(&sys, "/srv/cpu-bind") < 0);
	ASSERT_EQ(sys.mode, CGROUP_MODE_HYBRID);
	cg_sys_free(&sys);
	return 0;
}

TEST(v1_binding_wins_over_v2_text)
{
	struct cg_sys sys;
	int cpu;

	/* inconsistent input: cpu bound to v1 and listed by cgroup2 */
	ASSERT_OK(cg_parse_mountinfo(host_hybrid, "cpu hugetlb", &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	cpu = find_mount(&sys, "/sys/fs/cgroup/cpu");
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], cpu);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_HUGETLB], sys.unified);
	cg_sys_free(&sys);
	return 0;
}

TEST(garbage_is_ignored)
{
	struct cg_sys sys;
	const char *text =
		"\n"
		"   \n"
		"garbage\n"
		"1 2 3\n"
		"x 31 0:29 / /bad/id rw - cgroup cgroup rw,cpu\n"
		"70 31 0-29 / /bad/dev rw - cgroup cgroup rw,cpu\n"
		"71 31 :29 / /bad/dev2 rw - cgroup cgroup rw,cpu\n"
		"72 31 0:29x / /bad/dev3 rw - cgroup cgroup rw,cpu\n"
		"73 31 0:29 / /no/separator rw cgroup cgroup rw,cpu\n"
		"74 31 0:29 / /no/superopts rw - cgroup cgroup\n"
		"75 31 0:29 / /no/source rw -\n"
		"76 31 0:29 / relative/path rw - cgroup cgroup rw,cpu\n"
		"77 31 0:29 / /nothing/bound rw - cgroup cgroup rw,xattr,noprefix\n"
		"78 31 0:29 / /empty/name rw - cgroup cgroup rw,name=\n"
		"79 31 0:29 / /dotdot/name rw - cgroup cgroup rw,name=..\n"
		"80 31 0:29 / /v2/name rw - cgroup2 cgroup2 rw,name=x\n" /* kept: cgroup2 ignores options */
		"81 31 0:29 / /io/is/v2 rw - cgroup cgroup rw,io\n"
		"82 31 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
		"84 31 0:32 / /sys/fs/cg\n"
		"83 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memo"; /* truncated */

	ASSERT_OK(cg_parse_mountinfo(text, NULL, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.n_mounts, 2);
	ASSERT(find_mount(&sys, "/sys/fs/cgroup/pids") >= 0);
	ASSERT(find_mount(&sys, "/v2/name") >= 0);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_MEMORY], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_CPU], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_IO], -1);
	ASSERT_EQ(sys.ctrl_mount[CG_CTRL_BLKIO], -1);
	cg_sys_free(&sys);
	return 0;
}

TEST(binary_garbage_never_crashes)
{
	char buf[8192];
	unsigned x = 12345;

	/* pseudo-random bytes biased towards the characters the parser looks at */
	for (int round = 0; round < 200; round++) {
		static const char alphabet[] = " -\\0127:/\n,cgroup2name=cpumemory\t";
		struct cg_sys sys;
		size_t n = 1 + (size_t)(round * 37) % (sizeof(buf) - 1);

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (x >> 16) & 1 ? alphabet[(x >> 8) % (sizeof(alphabet) - 1)]
					       : (char)(1 + (x >> 8) % 255);
		}
		buf[n] = 0;
		ASSERT_OK(cg_parse_mountinfo(buf, buf + n / 2, &sys));
		ASSERT_EQ(check_invariants(&sys), 0);
		cg_sys_free(&sys);
	}
	return 0;
}

TEST(hierarchy_limit)
{
	size_t cap = 200 * 96 + 1, len = 0;
	_cleanup_free_ char *text = malloc(cap);
	struct cg_sys sys;

	ASSERT(text);
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%d 1 0:%d / /mnt/h%d rw - cgroup cgroup rw,name=h%d\n", 100 + i,
					1000 + i, i, i);
	ASSERT_OK(cg_parse_mountinfo(text, NULL, &sys));
	ASSERT_EQ(check_invariants(&sys), 0);
	ASSERT_EQ(sys.n_mounts, CG_HIER_MAX);
	ASSERT_STREQ(sys.mounts[0].path, "/mnt/h0");
	cg_sys_free(&sys);
	return 0;
}

TEST(bad_arguments)
{
	struct cg_sys sys;

	memset(&sys, 0x5a, sizeof(sys));
	ASSERT_ERR(cg_parse_mountinfo(NULL, NULL, &sys), EINVAL);
	ASSERT_EQ(sys.n_mounts, 0x5a5a5a5a); /* untouched */
	ASSERT_ERR(cg_parse_mountinfo(host_hybrid, NULL, NULL), EINVAL);
	return 0;
}

TEST(free_is_safe_on_zeroed_and_twice)
{
	struct cg_sys sys = {};
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT(fd >= 0);
	/* zeroed ns_fd[] are 0: freeing must not close fd 0 (make sure it is open) */
	if (fcntl(0, F_GETFD) < 0)
		ASSERT_EQ(dup2(fd, 0), 0);
	cg_sys_free(&sys);
	ASSERT(fcntl(0, F_GETFD) >= 0);
	ASSERT_OK(cg_parse_mountinfo(legacy, NULL, &sys));
	cg_sys_free(&sys);
	cg_sys_free(&sys);
	cg_sys_free(NULL);
	return 0;
}

TAP_MAIN()
