/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure limits translation of liblve (src/liblve/limits.c): every field,
 * cgroup v2 and v1, unlimited values, the min() rule of SPEED/CPU/NCPU,
 * overflow, bad input; the read-back parser; the disk scan on a fake
 * /sys/block; the state file and defaults record on a temp dir.
 * Expected values are written out from the documented units, not computed
 * by the code under test.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-internal.h"
#include "lve-internal.h"
#include "tap.h"

static const struct olve_dev two_disks[] = { { 8, 0 }, { 254, 0 } };

static const struct olve_setting *find(const struct olve_settings *s, const char *file)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].file, file))
			return &s->v[i];
	return NULL;
}

static const char *val(const struct olve_settings *s, const char *file)
{
	const struct olve_setting *x = find(s, file);
	return x ? x->value : NULL;
}

static struct olve_limits lim_all(void)
{
	struct olve_limits l = { .mask = OLVE_L_ALL };
	return l;
}

/* cpu.max for one combination on `ncpus` CPUs, v2. */
static char *cpu_max(uint32_t speed, uint32_t cpu_pct, uint32_t ncpu, int ncpus)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };
	char *out = NULL;

	l.speed = speed;
	l.cpu_pct = cpu_pct;
	l.ncpu = ncpu;
	if (olve_limits_translate(&l, OLVE_L_SPEED | OLVE_L_CPU | OLVE_L_NCPU, 2, ncpus, NULL, 0, &s) == 0 && s.n == 1 &&
	    !strcmp(s.v[0].file, "cpu.max"))
		out = strdup(s.v[0].value);
	olve_settings_free(&s);
	return out ? out : strdup("(error)");
}

#define ASSERT_CPU(speed, pct, ncpu, ncpus, want)                                \
	do {                                                                     \
		char *_v = cpu_max(speed, pct, ncpu, ncpus);                     \
		int _ok = !strcmp(_v, want);                                     \
		if (!_ok)                                                        \
			fprintf(stderr, "# cpu.max(%u,%u,%u on %d) = %s, want %s\n", \
				(unsigned)(speed), (unsigned)(pct), (unsigned)(ncpu), ncpus, _v, want); \
		free(_v);                                                        \
		ASSERT(_ok);                                                     \
	} while (0)

TEST(defaults_documented)
{
	struct olve_limits d;

	memset(&d, 0xff, sizeof(d));
	olve_limits_default(&d);
	ASSERT_EQ(d.speed, 10000);
	ASSERT_EQ(d.pmem, 1024ULL * 1024 * 1024);
	ASSERT_EQ(d.io, 1024);
	ASSERT_EQ(d.iops, 1024);
	ASSERT_EQ(d.nproc, 100);
	ASSERT_EQ(d.ep, 20);
	ASSERT_EQ(d.vmem, 0);
	ASSERT_EQ(d.cpu_pct, 0);
	ASSERT_EQ(d.ncpu, 0);
	ASSERT(!(d.mask & OLVE_L_CPU));
	ASSERT(!(d.mask & OLVE_L_NCPU));
	ASSERT(d.mask & OLVE_L_SPEED);
	ASSERT(d.mask & OLVE_L_PMEM);
	ASSERT_OK(olve_limits_check(&d));
	olve_limits_default(NULL); /* no crash */
	return 0;
}

TEST(v2_default_limits)
{
	struct olve_limits d;
	struct olve_settings s = { 0 };

	olve_limits_default(&d);
	ASSERT_OK(olve_limits_translate(&d, d.mask, 2, 4, two_disks, 2, &s));
	ASSERT_STREQ(val(&s, "cpu.max"), "100000 100000");
	ASSERT_STREQ(val(&s, "cpu.weight"), "100");
	ASSERT_STREQ(val(&s, "memory.max"), "1073741824");
	ASSERT_STREQ(val(&s, "memory.swap.max"), "0");
	ASSERT_STREQ(val(&s, "pids.max"), "100");
	ASSERT_STREQ(val(&s, "io.max"), "8:0 rbps=1048576 wbps=1048576 riops=1024 wiops=1024\n"
					"254:0 rbps=1048576 wbps=1048576 riops=1024 wiops=1024");
	ASSERT_EQ(s.n, 6);
	ASSERT_EQ(find(&s, "cpu.max")->ctrl, CG_CTRL_CPU);
	ASSERT_EQ(find(&s, "memory.max")->ctrl, CG_CTRL_MEMORY);
	ASSERT_EQ(find(&s, "pids.max")->ctrl, CG_CTRL_PIDS);
	ASSERT_EQ(find(&s, "io.max")->ctrl, CG_CTRL_IO);
	ASSERT(!find(&s, "memory.max")->optional);
	ASSERT(find(&s, "memory.swap.max")->optional);
	olve_settings_free(&s);
	return 0;
}

TEST(v2_unlimited)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };

	ASSERT_OK(olve_limits_translate(&l, OLVE_L_ALL, 2, 2, two_disks, 1, &s));
	ASSERT_STREQ(val(&s, "cpu.max"), "max 100000");
	ASSERT_STREQ(val(&s, "cpu.weight"), "100");
	ASSERT_STREQ(val(&s, "memory.max"), "max");
	ASSERT_STREQ(val(&s, "memory.swap.max"), "max");
	ASSERT_STREQ(val(&s, "pids.max"), "max");
	ASSERT_STREQ(val(&s, "io.max"), "8:0 rbps=max wbps=max riops=max wiops=max");
	olve_settings_free(&s);
	return 0;
}

TEST(fields_select_settings)
{
	struct olve_limits d;
	struct olve_settings s = { 0 };

	olve_limits_default(&d);
	ASSERT_OK(olve_limits_translate(&d, OLVE_L_NPROC, 2, 1, NULL, 0, &s));
	ASSERT_EQ(s.n, 1);
	ASSERT_STREQ(s.v[0].file, "pids.max");
	ASSERT_EQ(s.v[0].fields, OLVE_L_NPROC);
	olve_settings_free(&s);
	/* EP and VMEM are not cgroup settings */
	ASSERT_OK(olve_limits_translate(&d, OLVE_L_EP | OLVE_L_VMEM, 2, 1, NULL, 0, &s));
	ASSERT_EQ(s.n, 0);
	olve_settings_free(&s);
	/* IO without disks: nothing to write */
	ASSERT_OK(olve_limits_translate(&d, OLVE_L_IO | OLVE_L_IOPS, 2, 1, NULL, 0, &s));
	ASSERT_EQ(s.n, 0);
	olve_settings_free(&s);
	/* IOPS alone still writes the whole line (io and iops together) */
	ASSERT_OK(olve_limits_translate(&d, OLVE_L_IOPS, 2, 1, two_disks, 1, &s));
	ASSERT_STREQ(val(&s, "io.max"), "8:0 rbps=1048576 wbps=1048576 riops=1024 wiops=1024");
	olve_settings_free(&s);
	return 0;
}

TEST(cpu_min_rule)
{
	/* SPEED alone: hundredths of % of one core -> us per 100 ms */
	ASSERT_CPU(5000, 0, 0, 4, "50000 100000");
	ASSERT_CPU(10000, 0, 0, 4, "100000 100000");
	ASSERT_CPU(25000, 0, 0, 4, "250000 100000"); /* 250%: two and a half cores */
	/* old CPU: % of all cores */
	ASSERT_CPU(0, 25, 0, 4, "100000 100000");    /* 25% of 4 cores = 1 core */
	ASSERT_CPU(0, 50, 0, 2, "100000 100000");
	ASSERT_CPU(0, 100, 0, 8, "800000 100000");
	/* NCPU: cores */
	ASSERT_CPU(0, 0, 1, 4, "100000 100000");
	ASSERT_CPU(0, 0, 3, 4, "300000 100000");
	/* the smallest non-zero wins */
	ASSERT_CPU(20000, 25, 0, 4, "100000 100000");
	ASSERT_CPU(5000, 25, 0, 4, "50000 100000");
	ASSERT_CPU(0, 25, 2, 16, "200000 100000");   /* 25% of 16 = 4 cores, ncpu 2 */
	ASSERT_CPU(30000, 100, 2, 4, "200000 100000");
	ASSERT_CPU(0, 10, 1, 4, "40000 100000");     /* 10% of 4 = 0.4 core */
	/* all unset: unlimited */
	ASSERT_CPU(0, 0, 0, 4, "max 100000");
	/* below the kernel minimum (1 ms per period): 1% */
	ASSERT_CPU(50, 0, 0, 1, "1000 100000");
	ASSERT_CPU(1, 0, 0, 1, "1000 100000");
	ASSERT_CPU(100, 0, 0, 1, "1000 100000");
	ASSERT_CPU(101, 0, 0, 1, "1010 100000");
	ASSERT_CPU(0, 1, 0, 1, "1000 100000");
	return 0;
}

TEST(cpu_overflow)
{
	/* every product is done in 64 bits */
	ASSERT_CPU(UINT32_MAX, 0, 0, 1, "42949672950 100000");
	ASSERT_CPU(0, 0, UINT32_MAX, 1, "429496729500000 100000");
	ASSERT_CPU(0, 100, 0, 65536, "6553600000 100000"); /* 65536 cores */
	ASSERT_CPU(UINT32_MAX, 100, UINT32_MAX, 4096, "409600000 100000"); /* 4096 cores */
	return 0;
}

TEST(weight_pmem_nproc_io_values)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };

	l.cpu_weight = 10000;
	l.pmem = 4096;
	l.nproc = 4194304;
	l.io = UINT32_MAX;
	l.iops = UINT32_MAX;
	ASSERT_OK(olve_limits_translate(&l, OLVE_L_ALL, 2, 1, two_disks, 1, &s));
	ASSERT_STREQ(val(&s, "cpu.weight"), "10000");
	ASSERT_STREQ(val(&s, "memory.max"), "4096");
	ASSERT_STREQ(val(&s, "pids.max"), "4194304");
	ASSERT_STREQ(val(&s, "io.max"), "8:0 rbps=4398046510080 wbps=4398046510080 riops=4294967295 wiops=4294967295");
	olve_settings_free(&s);

	l.cpu_weight = 1;
	l.pmem = (uint64_t)INT64_MAX;
	ASSERT_OK(olve_limits_translate(&l, OLVE_L_WEIGHT | OLVE_L_PMEM, 2, 1, NULL, 0, &s));
	ASSERT_STREQ(val(&s, "cpu.weight"), "1");
	ASSERT_STREQ(val(&s, "memory.max"), "9223372036854775807");
	olve_settings_free(&s);
	return 0;
}

TEST(bad_input)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };

	ASSERT_ERR(olve_limits_translate(NULL, OLVE_L_ALL, 2, 1, NULL, 0, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 2, 1, NULL, 0, NULL), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 3, 1, NULL, 0, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 0, 1, NULL, 0, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 2, 0, NULL, 0, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 2, -1, NULL, 0, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_ALL, 2, 1, NULL, 3, &s), EINVAL);
	ASSERT_ERR(olve_limits_translate(&l, 1u << 20, 2, 1, NULL, 0, &s), EINVAL);

	l.cpu_pct = 101;
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_CPU, 2, 1, NULL, 0, &s), EINVAL);
	l = lim_all();
	l.cpu_weight = 10001;
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_WEIGHT, 2, 1, NULL, 0, &s), EINVAL);
	l = lim_all();
	l.pmem = 4095; /* less than a page would read back as "unlimited" */
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_PMEM, 2, 1, NULL, 0, &s), EINVAL);
	l.pmem = (uint64_t)INT64_MAX + 1;
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_PMEM, 1, 1, NULL, 0, &s), EINVAL);
	l = lim_all();
	l.nproc = 4194305;
	ASSERT_ERR(olve_limits_translate(&l, OLVE_L_NPROC, 2, 1, NULL, 0, &s), EINVAL);
	ASSERT_EQ(s.n, 0);
	ASSERT(s.v == NULL);

	/* olve_limits_check looks only at the fields in the mask */
	l = lim_all();
	l.mask = OLVE_L_SPEED;
	l.cpu_pct = 1000;
	ASSERT_OK(olve_limits_check(&l));
	l.mask |= OLVE_L_CPU;
	ASSERT_ERR(olve_limits_check(&l), EINVAL);
	l.mask = 1u << 30;
	ASSERT_ERR(olve_limits_check(&l), EINVAL);
	l = lim_all();
	l.vmem = 100;
	ASSERT_ERR(olve_limits_check(&l), EINVAL);
	ASSERT_ERR(olve_limits_check(NULL), EINVAL);
	return 0;
}

TEST(v1_translation)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };

	l.speed = 5000;
	l.cpu_weight = 100;
	l.pmem = 256ULL << 20;
	l.nproc = 50;
	l.io = 1024;
	l.iops = 500;
	ASSERT_OK(olve_limits_translate(&l, OLVE_L_ALL, 1, 2, two_disks, 2, &s));
	ASSERT_STREQ(val(&s, "cpu.cfs_quota_us"), "50000");
	ASSERT_STREQ(val(&s, "cpu.cfs_period_us"), "100000");
	ASSERT(val(&s, "cpu.shares") != NULL); /* scale owned by convert.c */
	ASSERT_STREQ(val(&s, "memory.limit_in_bytes"), "268435456");
	ASSERT_STREQ(val(&s, "memory.memsw.limit_in_bytes"), "268435456"); /* no swap on top */
	ASSERT(!find(&s, "memory.limit_in_bytes")->optional);
	ASSERT(find(&s, "memory.memsw.limit_in_bytes")->optional);
	ASSERT_STREQ(val(&s, "pids.max"), "50");
	ASSERT_STREQ(val(&s, "blkio.throttle.read_bps_device"), "8:0 1048576\n254:0 1048576");
	ASSERT_STREQ(val(&s, "blkio.throttle.write_bps_device"), "8:0 1048576\n254:0 1048576");
	ASSERT_STREQ(val(&s, "blkio.throttle.read_iops_device"), "8:0 500\n254:0 500");
	ASSERT_STREQ(val(&s, "blkio.throttle.write_iops_device"), "8:0 500\n254:0 500");
	ASSERT_EQ(find(&s, "cpu.cfs_quota_us")->ctrl, CG_CTRL_CPU);
	ASSERT_EQ(find(&s, "blkio.throttle.read_bps_device")->ctrl, CG_CTRL_BLKIO);
	ASSERT_EQ(find(&s, "memory.memsw.limit_in_bytes")->ctrl, CG_CTRL_MEMORY);
	ASSERT_EQ(find(&s, "blkio.throttle.read_iops_device")->fields, OLVE_L_IO | OLVE_L_IOPS);
	ASSERT(!find(&s, "cpu.max"));
	ASSERT(!find(&s, "memory.max"));
	ASSERT(!find(&s, "memory.swap.max"));
	olve_settings_free(&s);
	return 0;
}

TEST(v1_unlimited)
{
	struct olve_limits l = lim_all();
	struct olve_settings s = { 0 };

	ASSERT_OK(olve_limits_translate(&l, OLVE_L_ALL, 1, 2, two_disks, 1, &s));
	ASSERT_STREQ(val(&s, "cpu.cfs_quota_us"), "-1");
	ASSERT_STREQ(val(&s, "memory.limit_in_bytes"), "-1");
	ASSERT_STREQ(val(&s, "memory.memsw.limit_in_bytes"), "-1");
	ASSERT_STREQ(val(&s, "pids.max"), "max");
	/* 0 removes a v1 throttle rule */
	ASSERT_STREQ(val(&s, "blkio.throttle.read_bps_device"), "8:0 0");
	ASSERT_STREQ(val(&s, "blkio.throttle.write_iops_device"), "8:0 0");
	olve_settings_free(&s);
	return 0;
}

TEST(v1_weight_round_trip)
{
	/* weight -> shares (v1) -> weight (v2) gives the weight back */
	static const uint32_t w[] = { 1, 50, 100, 1000, 9999, 10000 };

	for (size_t i = 0; i < ELEMENTSOF(w); i++) {
		struct olve_limits l = lim_all(), back = { 0 };
		struct olve_settings s = { 0 };
		struct cgroup_controller in = { .name = (char *)"cpu" }, out = { .name = (char *)"cpu" };

		l.cpu_weight = w[i];
		ASSERT_OK(olve_limits_translate(&l, OLVE_L_WEIGHT, 1, 1, NULL, 0, &s));
		ASSERT_EQ(s.n, 1);
		ASSERT_STREQ(s.v[0].file, "cpu.shares");
		ASSERT_OK(cg_controller_put(&in, "cpu.shares", s.v[0].value, true));
		ASSERT_OK(cg_convert_controller(&out, &in, CGROUP_V2));
		ASSERT_EQ(out.n_values, 1);
		ASSERT_OK(olve_limits_from_v2(out.values[0].name, out.values[0].value, NULL, 0, &back));
		ASSERT_EQ(back.cpu_weight, w[i]);
		cg_controller_clear(&in);
		cg_controller_clear(&out);
		olve_settings_free(&s);
	}
	return 0;
}

TEST(readback_parse)
{
	struct olve_limits l = { 0 };

	ASSERT_OK(olve_limits_from_v2("cpu.max", "50000 100000\n", NULL, 0, &l));
	ASSERT_EQ(l.speed, 5000);
	ASSERT(l.mask & OLVE_L_SPEED);
	ASSERT_OK(olve_limits_from_v2("cpu.max", "max 100000", NULL, 0, &l));
	ASSERT_EQ(l.speed, 0);
	ASSERT_OK(olve_limits_from_v2("cpu.max", "25000 50000", NULL, 0, &l)); /* other period */
	ASSERT_EQ(l.speed, 5000);
	ASSERT_OK(olve_limits_from_v2("cpu.max", "1 1000000", NULL, 0, &l)); /* tiny, still limited */
	ASSERT_EQ(l.speed, 1);
	ASSERT_OK(olve_limits_from_v2("cpu.weight", "250", NULL, 0, &l));
	ASSERT_EQ(l.cpu_weight, 250);
	ASSERT_OK(olve_limits_from_v2("memory.max", "268435456", NULL, 0, &l));
	ASSERT_EQ(l.pmem, 268435456);
	ASSERT_OK(olve_limits_from_v2("memory.max", "max", NULL, 0, &l));
	ASSERT_EQ(l.pmem, 0);
	ASSERT_OK(olve_limits_from_v2("memory.max", "9223372036854771712", NULL, 0, &l)); /* v1 "no limit" */
	ASSERT_EQ(l.pmem, 0);
	ASSERT_OK(olve_limits_from_v2("pids.max", "max", NULL, 0, &l));
	ASSERT_EQ(l.nproc, 0);
	ASSERT_OK(olve_limits_from_v2("pids.max", "77\n", NULL, 0, &l));
	ASSERT_EQ(l.nproc, 77);
	ASSERT_OK(olve_limits_from_v2("io.max", "7:0 rbps=5 wbps=5 riops=5 wiops=5\n"
						"254:0 rbps=2097152 wbps=2097152 riops=300 wiops=max\n",
				      two_disks, 2, &l));
	ASSERT_EQ(l.io, 2048); /* 7:0 is not one of our disks */
	ASSERT_EQ(l.iops, 300);
	ASSERT_OK(olve_limits_from_v2("io.max", "254:0 rbps=1000 wbps=max riops=max wiops=max", two_disks, 2, &l));
	ASSERT_EQ(l.io, 1); /* below 1 KB/s rounds up, never "unlimited" */
	ASSERT_EQ(l.iops, 0);
	ASSERT_OK(olve_limits_from_v2("io.max", "", two_disks, 2, &l));
	ASSERT_EQ(l.io, 0);
	ASSERT(l.mask & OLVE_L_IO);
	ASSERT(l.mask & OLVE_L_IOPS);

	/* text the kernel never prints */
	ASSERT_ERR(olve_limits_from_v2("cpu.max", "abc 100000", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("cpu.max", "100 0", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("cpu.max", "100", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("cpu.max", "100 100000 7", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("cpu.weight", "0", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("cpu.weight", "10001", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("memory.max", "-1", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("pids.max", "1x", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("io.max", "254:0 rbps", two_disks, 2, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("io.max", "254 rbps=1", two_disks, 2, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("io.max", "254:0 foo=1", two_disks, 2, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("io.max", "-1:0 rbps=1", two_disks, 2, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("io.max", "254:0x rbps=1", two_disks, 2, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2("no.such", "1", NULL, 0, &l), EINVAL);
	ASSERT_ERR(olve_limits_from_v2(NULL, "1", NULL, 0, &l), EINVAL);
	return 0;
}

TEST(translate_then_read_back_v2)
{
	/* what the translation writes reads back as the same limits */
	struct olve_limits l = lim_all(), back = { 0 };
	struct olve_settings s = { 0 };

	l.speed = 7500;
	l.cpu_weight = 300;
	l.pmem = 512ULL << 20;
	l.nproc = 33;
	l.io = 4096;
	l.iops = 77;
	ASSERT_OK(olve_limits_translate(&l, OLVE_L_ALL, 2, 2, two_disks, 2, &s));
	for (size_t i = 0; i < s.n; i++)
		ASSERT_OK(olve_limits_from_v2(s.v[i].file, s.v[i].value, two_disks, 2, &back));
	olve_settings_free(&s);
	ASSERT_EQ(back.speed, 7500);
	ASSERT_EQ(back.cpu_weight, 300);
	ASSERT_EQ(back.pmem, 512ULL << 20);
	ASSERT_EQ(back.nproc, 33);
	ASSERT_EQ(back.io, 4096);
	ASSERT_EQ(back.iops, 77);
	return 0;
}

/* ----------------------------------------------------------- disk scan */

static char tmpdir[64];

static int mk(const char *rel, const char *content)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	if (!content)
		return mkdir(p, 0755) < 0 ? -errno : 0;
	{
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return -errno;
		if (write(fd, content, strlen(content)) < 0) {
			close(fd);
			return -errno;
		}
		close(fd);
	}
	return 0;
}

TEST(disk_scan_fake_sysfs)
{
	struct olve_dev *d = NULL;
	int fd, n;
	char p[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-lve-disks-XXXXXX");
	ASSERT(mkdtemp(tmpdir));
	/* real disks: have "device" */
	ASSERT_OK(mk("vda", NULL));
	ASSERT_OK(mk("vda/device", NULL));
	ASSERT_OK(mk("vda/dev", "254:0\n"));
	ASSERT_OK(mk("sda", NULL));
	ASSERT_OK(mk("sda/device", NULL));
	ASSERT_OK(mk("sda/dev", "8:0\n"));
	ASSERT_OK(mk("nvme0n1", NULL));
	ASSERT_OK(mk("nvme0n1/device", NULL));
	ASSERT_OK(mk("nvme0n1/dev", "259:0\n"));
	/* virtual: by name, or no device link */
	ASSERT_OK(mk("loop0", NULL));
	ASSERT_OK(mk("loop0/device", NULL));
	ASSERT_OK(mk("loop0/dev", "7:0\n"));
	ASSERT_OK(mk("zram0", NULL));
	ASSERT_OK(mk("zram0/dev", "253:0\n"));
	ASSERT_OK(mk("dm-0", NULL));
	ASSERT_OK(mk("dm-0/device", NULL));
	ASSERT_OK(mk("dm-0/dev", "252:0\n"));
	ASSERT_OK(mk("ram0", NULL));
	ASSERT_OK(mk("ram0/device", NULL));
	ASSERT_OK(mk("ram0/dev", "1:0\n"));
	ASSERT_OK(mk("md0", NULL));
	ASSERT_OK(mk("md0/device", NULL));
	ASSERT_OK(mk("md0/dev", "9:0\n"));
	ASSERT_OK(mk("nbd0", NULL));
	ASSERT_OK(mk("nbd0/device", NULL));
	ASSERT_OK(mk("nbd0/dev", "43:0\n"));
	ASSERT_OK(mk("virt", NULL));
	ASSERT_OK(mk("virt/dev", "250:0\n"));
	/* garbage dev files are skipped */
	ASSERT_OK(mk("sdx", NULL));
	ASSERT_OK(mk("sdx/device", NULL));
	ASSERT_OK(mk("sdx/dev", "8:16 junk\n"));
	ASSERT_OK(mk("sdy", NULL));
	ASSERT_OK(mk("sdy/device", NULL));
	ASSERT_OK(mk("sdy/dev", "-1:0\n"));

	fd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ASSERT(fd >= 0);
	n = olve_disks_scan(fd, &d);
	close(fd);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmpdir);
	if (system(p) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
	ASSERT_EQ(n, 3);
	/* sorted by major:minor */
	ASSERT_EQ(d[0].major, 8);
	ASSERT_EQ(d[0].minor, 0);
	ASSERT_EQ(d[1].major, 254);
	ASSERT_EQ(d[2].major, 259);
	free(d);
	ASSERT_ERR(olve_disks_scan(-1, &d), EBADF);
	ASSERT_ERR(olve_disks_scan(AT_FDCWD, NULL), EINVAL);
	return 0;
}

/* ---------------------------------------------------- names and current */

TEST(lve_dirname_parse)
{
	char b[16];
	uint32_t id = 42;

	olve_lve_dirname(4294967295u, b);
	ASSERT_STREQ(b, "lve4294967295");
	ASSERT_OK(olve_lve_parse_dirname("lve1", &id));
	ASSERT_EQ(id, 1);
	ASSERT_OK(olve_lve_parse_dirname("lve4294967295", &id));
	ASSERT_EQ(id, 4294967295u);
	id = 42;
	ASSERT_ERR(olve_lve_parse_dirname("lve0", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve01", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve-1", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve+1", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve 1", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve1x", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve4294967296", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("lve99999999999999999999", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname("LVE1", &id), EINVAL);
	ASSERT_ERR(olve_lve_parse_dirname(NULL, &id), EINVAL);
	ASSERT_EQ(id, 42);
	return 0;
}

static void fake_handle(struct olve *h, int version)
{
	memset(h, 0, sizeof(*h));
	h->n_hier = 1;
	h->hier[0].version = version;
	h->hier[0].ctrls = 1u << CG_CTRL_CPU;
	h->hier[0].first_ctrl = CG_CTRL_CPU;
	h->hier[0].root = (char *)"/a/olt-1/openlve";
}

TEST(current_parse)
{
	struct olve h;
	uint32_t id = 99;

	fake_handle(&h, 1);
	ASSERT_OK(olve_current_parse(&h, "4:memory:/x\n2:cpu,cpuacct:/a/olt-1/openlve/lve17\n0::/\n", &id));
	ASSERT_EQ(id, 17);
	ASSERT_OK(olve_current_parse(&h, "1:cpu:/a/olt-1/openlve\n", &id));
	ASSERT_EQ(id, 0);
	ASSERT_OK(olve_current_parse(&h, "1:cpu:/a/olt-1/openlve/lve17/sub\n", &id));
	ASSERT_EQ(id, 0);
	ASSERT_OK(olve_current_parse(&h, "1:cpu:/a/olt-1/openlvex/lve17\n", &id));
	ASSERT_EQ(id, 0);
	ASSERT_OK(olve_current_parse(&h, "1:cpu:/a/olt-1/openlve/lve017\n", &id));
	ASSERT_EQ(id, 0);
	ASSERT_OK(olve_current_parse(&h, "1:cpuacct:/q\n1:cpu:/a/olt-1/openlve/lve5", &id)); /* no newline */
	ASSERT_EQ(id, 5);
	/* cpuacct is not cpu */
	ASSERT_ERR(olve_current_parse(&h, "1:cpuacct:/a/olt-1/openlve/lve5\n", &id), ENOENT);
	/* v2: the "0::" line */
	fake_handle(&h, 2);
	ASSERT_OK(olve_current_parse(&h, "1:cpu:/a/olt-1/openlve/lve5\n0::/a/olt-1/openlve/lve6\n", &id));
	ASSERT_EQ(id, 6);
	ASSERT_ERR(olve_current_parse(&h, "1:cpu:/a/olt-1/openlve/lve5\n", &id), ENOENT);
	ASSERT_ERR(olve_current_parse(&h, "garbage", &id), ENOENT);
	ASSERT_ERR(olve_current_parse(&h, NULL, &id), EINVAL);
	return 0;
}

/* ------------------------------------------------------- state and defaults */

static int bump_flags(struct olve_state *st, void *ud)
{
	st->flags = *(uint32_t *)ud;
	return 1;
}

static int no_write(struct olve_state *st, void *ud)
{
	st->flags = 12345; /* not written back */
	return 0;
}

static int fail_update(struct olve_state *st, void *ud)
{
	st->flags = 999;
	return -EIO;
}

/*
 * [i12] The change log <state_dir>/lve/changes: each note adds one to gen
 * and names its LVE in slot gen % OLVE_CHANGES_RING; the defaults record
 * notes 0; an empty file reads as gen 0, a foreign one is refused and
 * started over by the next note; a symlink or FIFO planted there is
 * neither followed nor waited on.
 */
TEST(change_log)
{
	char dir[] = "/tmp/test-lve-changes-XXXXXX", cmd[128], path[128];
	struct olve h;
	struct olve_changes ch;
	int fd, wfd;

	ASSERT(mkdtemp(dir));
	memset(&h, 0, sizeof(h));
	h.statefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(h.statefd >= 0);
	ASSERT_ERR(olve_changes_note(NULL, 5), EINVAL);
	ASSERT_ERR(olve_changes_read(-1, &ch), EINVAL);

	ASSERT_OK(olve_changes_note(&h, 5));
	fd = openat(h.statefd, OLVE_STATE_CHANGES, O_RDONLY | O_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT_OK(olve_changes_read(fd, &ch));
	ASSERT_EQ(ch.gen, 1);
	ASSERT_EQ(ch.id[1], 5);
	ASSERT_OK(olve_changes_note(&h, 7));
	{
		struct olve_limits set = { .mask = OLVE_L_IO, .io = 2048 };

		ASSERT_OK(olve_defaults_set(&h, &set));
	}
	ASSERT_OK(olve_changes_read(fd, &ch)); /* the same description sees every later write */
	ASSERT_EQ(ch.gen, 3);
	ASSERT_EQ(ch.id[2], 7);
	ASSERT_EQ(ch.id[3], 0); /* the defaults record */
	{
		struct stat sb;

		ASSERT_OK(fstat(fd, &sb));
		ASSERT_EQ(sb.st_mode & 07777, 0600);
	}
	/* more notes than the ring holds: gen still counts each, the ring keeps the last */
	for (uint32_t i = 0; i < OLVE_CHANGES_RING + 44; i++)
		ASSERT_OK(olve_changes_note(&h, 1000 + i));
	ASSERT_OK(olve_changes_read(fd, &ch));
	ASSERT_EQ(ch.gen, 3 + OLVE_CHANGES_RING + 44);
	ASSERT_EQ(ch.id[ch.gen % OLVE_CHANGES_RING], 1000 + OLVE_CHANGES_RING + 43);
	ASSERT_EQ(ch.id[(ch.gen - 1) % OLVE_CHANGES_RING], 1000 + OLVE_CHANGES_RING + 42);

	/* not ours: refused; the next note starts over (a reader seeing gen go back re-reads all) */
	wfd = openat(h.statefd, OLVE_STATE_CHANGES, O_WRONLY | O_CLOEXEC);
	ASSERT(wfd >= 0);
	ASSERT_EQ(pwrite(wfd, "XXXXXXXX", 8, 0), 8);
	ASSERT_ERR(olve_changes_read(fd, &ch), EBADMSG);
	ASSERT_OK(olve_changes_note(&h, 9));
	ASSERT_OK(olve_changes_read(fd, &ch));
	ASSERT_EQ(ch.gen, 1);
	ASSERT_EQ(ch.id[1], 9);
	/* empty (a writer just created it): gen 0 */
	ASSERT_OK(ftruncate(wfd, 0));
	close(wfd);
	ASSERT_OK(olve_changes_read(fd, &ch));
	ASSERT_EQ(ch.gen, 0);
	close(fd);

	/* a symlink planted there is not followed, a FIFO not waited on */
	snprintf(path, sizeof(path), "%s/target", dir);
	ASSERT_OK(unlinkat(h.statefd, OLVE_STATE_CHANGES, 0));
	ASSERT_OK(symlinkat(path, h.statefd, OLVE_STATE_CHANGES));
	ASSERT_ERR(olve_changes_note(&h, 5), ELOOP);
	ASSERT(faccessat(h.statefd, "target", F_OK, 0) < 0);
	ASSERT_OK(unlinkat(h.statefd, OLVE_STATE_CHANGES, 0));
	ASSERT_OK(mkfifoat(h.statefd, OLVE_STATE_CHANGES, 0600));
	ASSERT_ERR(olve_changes_note(&h, 5), EINVAL);

	close(h.statefd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_EQ(system(cmd), 0);
	return 0;
}

TEST(state_file)
{
	char dir[] = "/tmp/test-lve-state-XXXXXX", cmd[128];
	struct olve h;
	struct olve_state st;
	struct olve_limits d, want;
	uint32_t f = OLVE_F_DISABLED;
	int fd, fd2;

	ASSERT(mkdtemp(dir));
	memset(&h, 0, sizeof(h));
	h.statefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(h.statefd >= 0);

	ASSERT_ERR(olve_state_open(&h, 5, false), ENOENT);
	ASSERT_ERR(olve_state_open(&h, 0, true), EINVAL);
	fd = olve_state_open(&h, 5, true);
	ASSERT_OK(fd);
	ASSERT_OK(olve_state_read(fd, &st));
	ASSERT_EQ(st.magic, OLVE_STATE_MAGIC);
	ASSERT_EQ(st.flags, 0);
	ASSERT_EQ(st.limits.mask, 0);
	ASSERT_EQ(olve_state_update(fd, bump_flags, &f), 1);
	ASSERT_EQ(olve_state_update(fd, no_write, NULL), 0);
	ASSERT_ERR(olve_state_update(fd, fail_update, NULL), EIO);
	/* seen through another description */
	fd2 = olve_state_open(&h, 5, false);
	ASSERT_OK(fd2);
	ASSERT_OK(olve_state_read(fd2, &st));
	ASSERT_EQ(st.flags, OLVE_F_DISABLED);
	ASSERT_OK(olve_state_add_fault(fd2, offsetof(struct olve_state, fault_ep)));
	ASSERT_OK(olve_state_add_fault(fd, offsetof(struct olve_state, fault_ep)));
	ASSERT_OK(olve_state_add_fault(fd, offsetof(struct olve_state, fault_vmem)));
	ASSERT_ERR(olve_state_add_fault(fd, offsetof(struct olve_state, flags)), EINVAL);
	ASSERT_ERR(olve_state_add_fault(fd, 4096), EINVAL);
	ASSERT_OK(olve_state_read(fd, &st));
	ASSERT_EQ(st.fault_ep, 2);
	ASSERT_EQ(st.fault_vmem, 1);

	/* EP slots: OFD locks on bytes from OLVE_SLOT_BASE, counted through a fresh description */
	ASSERT_EQ(olve_state_count_slots(&h, 5), 0);
	{
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = OLVE_SLOT_BASE, .l_len = 1 };
		ASSERT_OK(fcntl(fd2, F_OFD_SETLK, &fl));
		fl.l_start = OLVE_SLOT_BASE + 7;
		ASSERT_OK(fcntl(fd, F_OFD_SETLK, &fl)); /* our own handle's description counts too */
		fl.l_start = OLVE_SLOT_BASE + 8;
		ASSERT_OK(fcntl(fd, F_OFD_SETLK, &fl)); /* merges with 7: still two slots */
		ASSERT_EQ(olve_state_count_slots(&h, 5), 3);
		close(fd2);
		ASSERT_EQ(olve_state_count_slots(&h, 5), 2); /* a closed description frees its slots */
	}
	ASSERT_ERR(olve_state_count_slots(&h, 6), ENOENT);

	/* a corrupt header is rebuilt on open with create */
	ASSERT_EQ(pwrite(fd, "XXXX", 4, 0), 4);
	ASSERT_ERR(olve_state_read(fd, &st), EBADMSG);
	close(fd);
	fd = olve_state_open(&h, 5, true);
	ASSERT_OK(fd);
	ASSERT_OK(olve_state_read(fd, &st));
	ASSERT_EQ(st.flags, 0);
	close(fd);

	ASSERT_OK(olve_state_remove(&h, 5));
	ASSERT_ERR(olve_state_remove(&h, 5), ENOENT);

	/* defaults: documented values until set, then merged field by field */
	ASSERT_OK(olve_defaults_get(&h, &d));
	olve_limits_default(&want);
	ASSERT(!memcmp(&d, &want, sizeof(d)));
	{
		struct olve_limits set = { .mask = OLVE_L_CPU | OLVE_L_IO, .cpu_pct = 30, .io = 2048, .speed = 1 };
		ASSERT_OK(olve_defaults_set(&h, &set));
	}
	ASSERT_OK(olve_defaults_get(&h, &d));
	ASSERT_EQ(d.cpu_pct, 30);
	ASSERT_EQ(d.io, 2048);
	ASSERT_EQ(d.speed, 10000); /* not in the mask: unchanged */
	ASSERT(d.mask & OLVE_L_CPU);
	{
		struct olve_limits set = { .mask = OLVE_L_CPU, .cpu_pct = 101 };
		ASSERT_ERR(olve_defaults_set(&h, &set), EINVAL);
	}
	ASSERT_OK(olve_defaults_get(&h, &d));
	ASSERT_EQ(d.cpu_pct, 30);

	close(h.statefd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_EQ(system(cmd), 0);
	return 0;
}

TEST(merge)
{
	struct olve_limits a, b = { .mask = OLVE_L_PMEM | OLVE_L_EP, .pmem = 4096, .ep = 3, .speed = 1 };

	olve_limits_default(&a);
	a.mask = OLVE_L_SPEED;
	olve_limits_merge(&a, &b);
	ASSERT_EQ(a.pmem, 4096);
	ASSERT_EQ(a.ep, 3);
	ASSERT_EQ(a.speed, 10000);
	ASSERT_EQ(a.mask, OLVE_L_SPEED | OLVE_L_PMEM | OLVE_L_EP);
	return 0;
}

TAP_MAIN()
