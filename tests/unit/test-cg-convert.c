/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-convert - v1 <-> v2 translation of settings (src/libcgroup/convert.c).
 * Expected values come from the formulas' sources (runc/crun/Kubernetes,
 * the kernel's file formats), not from the code under test.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "tap.h"

struct kv {
	const char *name;
	const char *value;
};

#define KV(...) ((const struct kv[]){ __VA_ARGS__, { NULL, NULL } })
#define NONE ((const struct kv[]){ { NULL, NULL } })

static const char *vname(enum cg_version_t v)
{
	return v == CGROUP_V1 ? "v1" : v == CGROUP_V2 ? "v2" : "?";
}

/* Fill `c` with the pairs of kv (dirty). */
static int fill(struct cgroup_controller *c, const struct kv *kv)
{
	for (; kv->name; kv++) {
		int r = cg_controller_put(c, kv->name, kv->value, true);
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t kv_len(const struct kv *kv)
{
	size_t n = 0;

	while (kv[n].name)
		n++;
	return n;
}

static void why(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/*
 * Convert `in` to `to`. expect_r 0: the output must be exactly `expect`
 * (and every result dirty unless its value is empty). expect_r < 0: the
 * conversion must fail with it and leave `out` (seeded with a sentinel)
 * untouched. Returns 0 or 1 with a reason in buf.
 */
static int run(const struct kv *in, enum cg_version_t to, int expect_r, const struct kv *expect,
	       char *buf, size_t size)
{
	struct cgroup *cg = cgroup_new_cgroup("t");
	struct cgroup_controller *ic = cgroup_add_controller(cg, "in");
	struct cgroup_controller *oc = cgroup_add_controller(cg, "out");
	int r, ret = 1;

	if (!ic || !oc || fill(ic, in) < 0 || cg_controller_put(oc, "sentinel", "keep", false) < 0) {
		why(buf, size, "setup failed");
		goto out;
	}
	r = cg_convert_controller(oc, ic, to);
	if (r != expect_r) {
		why(buf, size, "%s(%s=\"%s\"...) returned %d (%s), expected %d", vname(to),
		    in[0].name ? in[0].name : "", in[0].name ? in[0].value : "", r,
		    r < 0 ? strerror(-r) : "ok", expect_r);
		if (r == 0)
			for (int i = 0; i < oc->n_values; i++)
				fprintf(stderr, "#   got %s=\"%s\"\n", oc->values[i].name,
					oc->values[i].value);
		goto out;
	}
	if (r < 0) {
		if (oc->n_values != 1 || strcmp(oc->values[0].value, "keep") != 0) {
			why(buf, size, "failed conversion changed the output");
			goto out;
		}
		ret = 0;
		goto out;
	}
	if ((size_t)oc->n_values != kv_len(expect) + 1) {
		why(buf, size, "%s(%s): %d results, expected %zu", vname(to),
		    in[0].name ? in[0].name : "", oc->n_values - 1, kv_len(expect));
		for (int i = 0; i < oc->n_values; i++)
			fprintf(stderr, "#   got %s=\"%s\"\n", oc->values[i].name, oc->values[i].value);
		goto out;
	}
	for (const struct kv *e = expect; e->name; e++) {
		struct cg_value *v = cg_controller_find(oc, e->name);

		if (!v) {
			why(buf, size, "%s: missing %s", vname(to), e->name);
			goto out;
		}
		if (strcmp(v->value, e->value) != 0) {
			why(buf, size, "%s: %s = \"%s\", expected \"%s\"", vname(to), e->name, v->value,
			    e->value);
			goto out;
		}
		if (v->dirty != (*e->value != 0)) {
			why(buf, size, "%s: %s dirty=%d", vname(to), e->name, v->dirty);
			goto out;
		}
	}
	ret = 0;
out:
	cgroup_free(&cg);
	return ret;
}

#define CHECK(in, to, r, expect)                                          \
	do {                                                              \
		char _why[512];                                           \
		if (run((in), (to), (r), (expect), _why, sizeof(_why)))   \
			TAP_FAIL("%s", _why);                             \
	} while (0)

#define OK1(to, name, value, oname, ovalue) CHECK(KV({ name, value }), to, 0, KV({ oname, ovalue }))
#define FAIL1(to, name, value, err) CHECK(KV({ name, value }), to, -(err), NONE)

/* Convert `in` to `to` and back; the result must equal `in` exactly. */
static int roundtrip(const struct kv *in, enum cg_version_t to, char *buf, size_t size)
{
	struct cgroup *cg = cgroup_new_cgroup("t");
	struct cgroup_controller *a = cgroup_add_controller(cg, "a");
	struct cgroup_controller *b = cgroup_add_controller(cg, "b");
	struct cgroup_controller *c = cgroup_add_controller(cg, "c");
	enum cg_version_t back = to == CGROUP_V1 ? CGROUP_V2 : CGROUP_V1;
	int r, ret = 1;

	if (!a || !b || !c || fill(a, in) < 0) {
		why(buf, size, "setup failed");
		goto out;
	}
	r = cg_convert_controller(b, a, to);
	if (r == 0)
		r = cg_convert_controller(c, b, back);
	if (r < 0) {
		why(buf, size, "round trip via %s of %s=\"%s\" failed: %s", vname(to), in[0].name,
		    in[0].value, strerror(-r));
		goto out;
	}
	if (c->n_values != a->n_values) {
		why(buf, size, "round trip via %s: %d settings back, %d in", vname(to), c->n_values,
		    a->n_values);
		goto out;
	}
	for (int i = 0; i < a->n_values; i++) {
		struct cg_value *v = cg_controller_find(c, a->values[i].name);

		if (!v || strcmp(v->value, a->values[i].value) != 0) {
			why(buf, size, "round trip via %s: %s \"%s\" came back as \"%s\"", vname(to),
			    a->values[i].name, a->values[i].value, v ? v->value : "(missing)");
			goto out;
		}
	}
	ret = 0;
out:
	cgroup_free(&cg);
	return ret;
}

#define ROUNDTRIP(in, to)                                                 \
	do {                                                              \
		char _why[512];                                           \
		if (roundtrip((in), (to), _why, sizeof(_why)))            \
			TAP_FAIL("%s", _why);                             \
	} while (0)

/* Convert one numeric setting, return the numeric result (or -1). */
static long long conv_num(const char *name, unsigned long long v, enum cg_version_t to,
			  const char *oname)
{
	struct cgroup *cg = cgroup_new_cgroup("t");
	struct cgroup_controller *a = cgroup_add_controller(cg, "a");
	struct cgroup_controller *b = cgroup_add_controller(cg, "b");
	char buf[32];
	long long res = -1;
	struct cg_value *o;

	snprintf(buf, sizeof(buf), "%llu", v);
	if (a && b && cg_controller_put(a, name, buf, true) == 0 &&
	    cg_convert_controller(b, a, to) == 0 && (o = cg_controller_find(b, oname)) &&
	    b->n_values == 1)
		res = strtoll(o->value, NULL, 10);
	cgroup_free(&cg);
	return res;
}

/* ------------------------------------------------------------ versions */

TEST(setting_versions)
{
	static const struct {
		const char *name;
		enum cg_version_t v;
	} cases[] = {
		{ "cpu.shares", CGROUP_V1 },
		{ "cpu.cfs_quota_us", CGROUP_V1 },
		{ "cpu.rt_runtime_us", CGROUP_V1 },
		{ "cpu.weight", CGROUP_V2 },
		{ "cpu.max", CGROUP_V2 },
		{ "cpu.weight.nice", CGROUP_V2 },
		{ "cpu.uclamp.min", CGROUP_V2 },
		{ "cpu.stat", CGROUP_UNK },
		{ "cpu.idle", CGROUP_UNK },
		{ "cpuset.cpus", CGROUP_UNK },
		{ "cpuset.mems", CGROUP_UNK },
		{ "cpuset.cpu_exclusive", CGROUP_V1 },
		{ "cpuset.sched_load_balance", CGROUP_V1 },
		{ "cpuset.cpus.partition", CGROUP_V2 },
		{ "cpuset.cpus.effective", CGROUP_V2 },
		{ "memory.limit_in_bytes", CGROUP_V1 },
		{ "memory.memsw.usage_in_bytes", CGROUP_V1 },
		{ "memory.kmem.tcp.limit_in_bytes", CGROUP_V1 },
		{ "memory.swappiness", CGROUP_V1 },
		{ "memory.max", CGROUP_V2 },
		{ "memory.high", CGROUP_V2 },
		{ "memory.swap.max", CGROUP_V2 },
		{ "memory.zswap.max", CGROUP_V2 },
		{ "memory.stat", CGROUP_UNK },
		{ "blkio.throttle.read_bps_device", CGROUP_V1 },
		{ "blkio.something_new", CGROUP_V1 },
		{ "io.max", CGROUP_V2 },
		{ "io.latency", CGROUP_V2 },
		{ "pids.max", CGROUP_UNK },
		{ "pids.peak", CGROUP_V2 },
		{ "freezer.state", CGROUP_V1 },
		{ "cgroup.freeze", CGROUP_V2 },
		{ "cgroup.subtree_control", CGROUP_V2 },
		{ "cgroup.procs", CGROUP_UNK },
		{ "cgroup.clone_children", CGROUP_V1 },
		{ "tasks", CGROUP_V1 },
		{ "devices.allow", CGROUP_V1 },
		{ "hugetlb.2MB.limit_in_bytes", CGROUP_V1 },
		{ "hugetlb.1GB.rsvd.limit_in_bytes", CGROUP_V1 },
		{ "hugetlb.2MB.max", CGROUP_V2 },
		{ "hugetlb.2MB.current", CGROUP_V2 },
		{ "no.such.file", CGROUP_UNK },
		{ "", CGROUP_UNK },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (cg_setting_version(cases[i].name) != cases[i].v)
			TAP_FAIL("%s: %d, expected %d", cases[i].name,
				 cg_setting_version(cases[i].name), cases[i].v);
	ASSERT_EQ(cg_setting_version(NULL), CGROUP_UNK);
	return 0;
}

TEST(bad_arguments)
{
	struct cgroup *cg = cgroup_new_cgroup("t");
	struct cgroup_controller *a = cgroup_add_controller(cg, "a");
	struct cgroup_controller *b = cgroup_add_controller(cg, "b");

	ASSERT(a && b);
	ASSERT_OK(cg_controller_put(a, "cpu.shares", "1024", true));
	ASSERT_ERR(cg_convert_controller(NULL, a, CGROUP_V2), EINVAL);
	ASSERT_ERR(cg_convert_controller(b, NULL, CGROUP_V2), EINVAL);
	ASSERT_ERR(cg_convert_controller(b, a, CGROUP_UNK), EINVAL);
	ASSERT_ERR(cg_convert_controller(b, a, CGROUP_DISK), EINVAL);
	ASSERT_ERR(cg_convert_controller(b, a, (enum cg_version_t)7), EINVAL);
	ASSERT_EQ(b->n_values, 0);
	/* an empty controller converts to nothing */
	ASSERT_EQ(cg_convert_controller(a, b, CGROUP_V1), 0);
	ASSERT_EQ(a->n_values, 1);
	cgroup_free(&cg);
	return 0;
}

TEST(unknown_settings_are_unsupported)
{
	FAIL1(CGROUP_V2, "no.such.file", "1", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "no.such.file", "1", EOPNOTSUPP);
	FAIL1(CGROUP_V2, "cpu.stat", "usage_usec 5", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "memory.stat", "anon 5", EOPNOTSUPP);
	FAIL1(CGROUP_V2, "memory.swappiness", "60", EOPNOTSUPP);
	FAIL1(CGROUP_V2, "cpu.rt_runtime_us", "950000", EOPNOTSUPP);
	FAIL1(CGROUP_V2, "freezer.state", "FROZEN", EOPNOTSUPP);
	FAIL1(CGROUP_V2, "tasks", "1", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "memory.high", "1G", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "memory.min", "1G", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "cpu.weight.nice", "0", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "cgroup.freeze", "1", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "cpuset.cpus.exclusive", "1", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "hugetlb.max", "1", EOPNOTSUPP);
	/* an unsupported setting anywhere fails the whole controller */
	CHECK(KV({ "cpu.shares", "1024" }, { "cpu.rt_period_us", "1000000" }), CGROUP_V2, -EOPNOTSUPP,
	      NONE);
	return 0;
}

TEST(native_settings_are_copied)
{
	OK1(CGROUP_V2, "memory.high", "1G", "memory.high", "1G");
	OK1(CGROUP_V2, "cpu.weight.nice", "-5", "cpu.weight.nice", "-5");
	OK1(CGROUP_V2, "io.latency", "8:0 target=10", "io.latency", "8:0 target=10");
	OK1(CGROUP_V1, "cpu.shares", "1024", "cpu.shares", "1024");
	OK1(CGROUP_V1, "memory.swappiness", "60", "memory.swappiness", "60");
	OK1(CGROUP_V1, "blkio.throttle.read_bps_device", "8:0 1", "blkio.throttle.read_bps_device",
	    "8:0 1");
	return 0;
}

TEST(conflicting_inputs)
{
	/* two inputs that produce the same v2 setting */
	CHECK(KV({ "cpu.shares", "1024" }, { "cpu.weight", "100" }), CGROUP_V2, -EINVAL, NONE);
	CHECK(KV({ "memory.limit_in_bytes", "1" }, { "memory.max", "2" }), CGROUP_V2, -EINVAL, NONE);
	CHECK(KV({ "cpu.cfs_quota_us", "1000" }, { "cpu.max", "max" }), CGROUP_V1, -EINVAL, NONE);
	return 0;
}

TEST(failure_leaves_output_untouched)
{
	/* the first setting converts, the second is garbage: nothing is written */
	CHECK(KV({ "memory.limit_in_bytes", "4096" }, { "memory.soft_limit_in_bytes", "x" }),
	      CGROUP_V2, -EINVAL, NONE);
	CHECK(KV({ "pids.max", "10" }, { "cpu.weight", "0" }), CGROUP_V1, -EINVAL, NONE);
	return 0;
}

TEST(empty_value_names_the_counterpart)
{
	/* "" = only a name (libcgroup's NULL value): converted name, empty, not dirty */
	OK1(CGROUP_V2, "cpu.shares", "", "cpu.weight", "");
	OK1(CGROUP_V1, "cpu.weight", "", "cpu.shares", "");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "", "memory.max", "");
	OK1(CGROUP_V2, "cpu.cfs_quota_us", "", "cpu.max", "");
	CHECK(KV({ "cpu.max", "" }), CGROUP_V1, 0,
	      KV({ "cpu.cfs_quota_us", "" }, { "cpu.cfs_period_us", "" }));
	CHECK(KV({ "io.max", "" }), CGROUP_V1, 0,
	      KV({ "blkio.throttle.read_bps_device", "" }, { "blkio.throttle.write_bps_device", "" },
		 { "blkio.throttle.read_iops_device", "" },
		 { "blkio.throttle.write_iops_device", "" }));
	OK1(CGROUP_V2, "blkio.throttle.write_iops_device", "", "io.max", "");
	CHECK(KV({ "io.weight", "" }), CGROUP_V1, 0,
	      KV({ "blkio.weight", "" }, { "blkio.weight_device", "" }));
	OK1(CGROUP_V2, "memory.memsw.limit_in_bytes", "", "memory.swap.max", "");
	OK1(CGROUP_V1, "memory.swap.max", "", "memory.memsw.limit_in_bytes", "");
	OK1(CGROUP_V2, "cpuset.cpu_exclusive", "", "cpuset.cpus.partition", "");
	return 0;
}

/* -------------------------------------------------------------- cpu */

TEST(cpu_shares_to_weight)
{
	/* OCI/runc/KEP-2254: weight = 1 + ((shares - 2) * 9999) / 262142 */
	OK1(CGROUP_V2, "cpu.shares", "2", "cpu.weight", "1");
	OK1(CGROUP_V2, "cpu.shares", "262144", "cpu.weight", "10000");
	OK1(CGROUP_V2, "cpu.shares", "1024", "cpu.weight", "39");
	OK1(CGROUP_V2, "cpu.shares", "2048", "cpu.weight", "79"); /* cadvisor's example */
	OK1(CGROUP_V2, "cpu.shares", "28", "cpu.weight", "1");
	OK1(CGROUP_V2, "cpu.shares", "29", "cpu.weight", "2");
	/* the kernel clamps shares to [2, 262144] */
	OK1(CGROUP_V2, "cpu.shares", "0", "cpu.weight", "1");
	OK1(CGROUP_V2, "cpu.shares", "1", "cpu.weight", "1");
	OK1(CGROUP_V2, "cpu.shares", "300000", "cpu.weight", "10000");
	OK1(CGROUP_V2, "cpu.shares", "18446744073709551615", "cpu.weight", "10000");
	OK1(CGROUP_V2, "cpu.shares", "1024\n", "cpu.weight", "39");
	FAIL1(CGROUP_V2, "cpu.shares", "-1", EINVAL);
	FAIL1(CGROUP_V2, "cpu.shares", "abc", EINVAL);
	FAIL1(CGROUP_V2, "cpu.shares", "1.5", EINVAL);
	FAIL1(CGROUP_V2, "cpu.shares", " 1024", EINVAL);
	FAIL1(CGROUP_V2, "cpu.shares", "18446744073709551616", EINVAL);
	FAIL1(CGROUP_V2, "cpu.shares", "max", EINVAL);
	return 0;
}

TEST(cpu_weight_to_shares)
{
	/* shares = 2 + ceil((weight - 1) * 262142 / 9999) */
	OK1(CGROUP_V1, "cpu.weight", "1", "cpu.shares", "2");
	OK1(CGROUP_V1, "cpu.weight", "10000", "cpu.shares", "262144");
	OK1(CGROUP_V1, "cpu.weight", "100", "cpu.shares", "2598");
	OK1(CGROUP_V1, "cpu.weight", "79", "cpu.shares", "2047");
	OK1(CGROUP_V1, "cpu.weight", "2", "cpu.shares", "29");
	FAIL1(CGROUP_V1, "cpu.weight", "0", EINVAL);
	FAIL1(CGROUP_V1, "cpu.weight", "10001", EINVAL);
	FAIL1(CGROUP_V1, "cpu.weight", "-1", EINVAL);
	FAIL1(CGROUP_V1, "cpu.weight", "max", EINVAL);
	FAIL1(CGROUP_V1, "cpu.weight", "100 ", EINVAL);
	return 0;
}

TEST(cpu_weight_roundtrip_exact_for_every_weight)
{
	for (unsigned long long w = 1; w <= 10000; w++) {
		long long s = conv_num("cpu.weight", w, CGROUP_V1, "cpu.shares");
		long long back;

		if (s < 2 || s > 262144)
			TAP_FAIL("weight %llu -> shares %lld", w, s);
		back = conv_num("cpu.shares", (unsigned long long)s, CGROUP_V2, "cpu.weight");
		if (back != (long long)w)
			TAP_FAIL("weight %llu -> shares %lld -> weight %lld", w, s, back);
	}
	return 0;
}

TEST(cpu_shares_roundtrip_within_26)
{
	/* documented precision: shares' = shares - 26 .. shares */
	for (unsigned long long s = 2; s <= 262144; s += (s < 5000 ? 1 : 7)) {
		long long w = conv_num("cpu.shares", s, CGROUP_V2, "cpu.weight");
		long long back = conv_num("cpu.weight", (unsigned long long)w, CGROUP_V1, "cpu.shares");

		if (back > (long long)s || back < (long long)s - 26)
			TAP_FAIL("shares %llu -> weight %lld -> shares %lld", s, w, back);
	}
	return 0;
}

TEST(cpu_quota_period_to_max)
{
	CHECK(KV({ "cpu.cfs_quota_us", "-1" }, { "cpu.cfs_period_us", "100000" }), CGROUP_V2, 0,
	      KV({ "cpu.max", "max 100000" }));
	CHECK(KV({ "cpu.cfs_quota_us", "50000" }, { "cpu.cfs_period_us", "100000" }), CGROUP_V2, 0,
	      KV({ "cpu.max", "50000 100000" }));
	/* order of the inputs does not matter */
	CHECK(KV({ "cpu.cfs_period_us", "250000" }, { "cpu.cfs_quota_us", "1000000" }), CGROUP_V2, 0,
	      KV({ "cpu.max", "1000000 250000" }));
	OK1(CGROUP_V2, "cpu.cfs_quota_us", "50000", "cpu.max", "50000");
	OK1(CGROUP_V2, "cpu.cfs_quota_us", "-1", "cpu.max", "max");
	/* every negative quota is "no limit" to the v1 kernel */
	CHECK(KV({ "cpu.cfs_quota_us", "-7" }, { "cpu.cfs_period_us", "100000" }), CGROUP_V2, 0,
	      KV({ "cpu.max", "max 100000" }));
	/* a period alone cannot be written to cpu.max */
	FAIL1(CGROUP_V2, "cpu.cfs_period_us", "100000", EOPNOTSUPP);
	CHECK(KV({ "cpu.cfs_quota_us", "" }, { "cpu.cfs_period_us", "100000" }), CGROUP_V2,
	      -EOPNOTSUPP, NONE);
	FAIL1(CGROUP_V2, "cpu.cfs_quota_us", "abc", EINVAL);
	FAIL1(CGROUP_V2, "cpu.cfs_quota_us", "max", EINVAL);
	FAIL1(CGROUP_V2, "cpu.cfs_quota_us", "9223372036854775808", EINVAL);
	CHECK(KV({ "cpu.cfs_quota_us", "1000" }, { "cpu.cfs_period_us", "-5" }), CGROUP_V2, -EINVAL,
	      NONE);
	CHECK(KV({ "cpu.cfs_quota_us", "1000" }, { "cpu.cfs_period_us", "1e5" }), CGROUP_V2, -EINVAL,
	      NONE);
	return 0;
}

TEST(cpu_max_to_quota_period)
{
	CHECK(KV({ "cpu.max", "max 100000" }), CGROUP_V1, 0,
	      KV({ "cpu.cfs_quota_us", "-1" }, { "cpu.cfs_period_us", "100000" }));
	CHECK(KV({ "cpu.max", "50000 100000" }), CGROUP_V1, 0,
	      KV({ "cpu.cfs_quota_us", "50000" }, { "cpu.cfs_period_us", "100000" }));
	CHECK(KV({ "cpu.max", "max 100000\n" }), CGROUP_V1, 0,
	      KV({ "cpu.cfs_quota_us", "-1" }, { "cpu.cfs_period_us", "100000" }));
	OK1(CGROUP_V1, "cpu.max", "max", "cpu.cfs_quota_us", "-1");
	OK1(CGROUP_V1, "cpu.max", "20000", "cpu.cfs_quota_us", "20000");
	OK1(CGROUP_V1, "cpu.max", "9223372036854775807", "cpu.cfs_quota_us", "9223372036854775807");
	FAIL1(CGROUP_V1, "cpu.max", "9223372036854775808 100000", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "-1 100000", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "max 100000 1", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "max max", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "50000 abc", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "abc", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", " ", EINVAL);
	FAIL1(CGROUP_V1, "cpu.max", "max\n100000", EINVAL);
	return 0;
}

TEST(cpu_max_roundtrips_exact)
{
	ROUNDTRIP(KV({ "cpu.max", "max 100000" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.max", "50000 100000" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.max", "1000 1000" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.max", "max" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.max", "300000" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.cfs_quota_us", "-1" }, { "cpu.cfs_period_us", "100000" }), CGROUP_V2);
	ROUNDTRIP(KV({ "cpu.cfs_quota_us", "75000" }, { "cpu.cfs_period_us", "50000" }), CGROUP_V2);
	ROUNDTRIP(KV({ "cpu.cfs_quota_us", "75000" }), CGROUP_V2);
	ROUNDTRIP(KV({ "cpu.cfs_burst_us", "1000" }), CGROUP_V2);
	ROUNDTRIP(KV({ "cpu.max.burst", "0" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpu.idle", "1" }), CGROUP_V1);
	return 0;
}

/* ----------------------------------------------------------- memory */

TEST(memory_limit)
{
	OK1(CGROUP_V2, "memory.limit_in_bytes", "-1", "memory.max", "max");
	/* what v1 reads back for "no limit" with 4 KiB and 64 KiB pages */
	OK1(CGROUP_V2, "memory.limit_in_bytes", "9223372036854771712", "memory.max", "max");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "9223372036854710272", "memory.max", "max");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "18446744073709551615", "memory.max", "max");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "9223372036854710271", "memory.max",
	    "9223372036854710271");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "1073741824", "memory.max", "1073741824");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "0", "memory.max", "0");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "512M", "memory.max", "512M");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "1g", "memory.max", "1g");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "8E", "memory.max", "max");
	OK1(CGROUP_V2, "memory.limit_in_bytes", "4096\n", "memory.max", "4096");
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "-2", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "max", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "1X", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "1GB", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "abc", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", " 1", EINVAL);
	FAIL1(CGROUP_V2, "memory.limit_in_bytes", "99999999999999999999", EINVAL);

	OK1(CGROUP_V1, "memory.max", "max", "memory.limit_in_bytes", "-1");
	OK1(CGROUP_V1, "memory.max", "max\n", "memory.limit_in_bytes", "-1");
	OK1(CGROUP_V1, "memory.max", "1073741824", "memory.limit_in_bytes", "1073741824");
	OK1(CGROUP_V1, "memory.max", "2G", "memory.limit_in_bytes", "2G");
	FAIL1(CGROUP_V1, "memory.max", "-1", EINVAL);
	FAIL1(CGROUP_V1, "memory.max", "maximum", EINVAL);
	return 0;
}

TEST(memory_roundtrips)
{
	static const char *const v2[] = { "max", "0", "4096", "1073741824", "1G", "9223372036854710271" };
	static const char *const v1[] = { "-1", "0", "4096", "536870912", "64k" };

	for (size_t i = 0; i < ELEMENTSOF(v2); i++) {
		ROUNDTRIP(KV({ "memory.max", v2[i] }), CGROUP_V1);
		ROUNDTRIP(KV({ "memory.low", v2[i] }), CGROUP_V1);
		ROUNDTRIP(KV({ "hugetlb.2MB.max", v2[i] }), CGROUP_V1);
	}
	for (size_t i = 0; i < ELEMENTSOF(v1); i++) {
		ROUNDTRIP(KV({ "memory.limit_in_bytes", v1[i] }), CGROUP_V2);
		ROUNDTRIP(KV({ "memory.soft_limit_in_bytes", v1[i] }), CGROUP_V2);
	}
	/* documented normalization: v1's read-back "no limit" returns as -1 */
	CHECK(KV({ "memory.limit_in_bytes", "9223372036854771712" }), CGROUP_V2, 0,
	      KV({ "memory.max", "max" }));
	OK1(CGROUP_V1, "memory.max", "max", "memory.limit_in_bytes", "-1");
	return 0;
}

TEST(memory_soft_limit_is_low)
{
	OK1(CGROUP_V2, "memory.soft_limit_in_bytes", "268435456", "memory.low", "268435456");
	OK1(CGROUP_V2, "memory.soft_limit_in_bytes", "-1", "memory.low", "max");
	OK1(CGROUP_V1, "memory.low", "0", "memory.soft_limit_in_bytes", "0");
	OK1(CGROUP_V1, "memory.low", "max", "memory.soft_limit_in_bytes", "-1");
	FAIL1(CGROUP_V1, "memory.low", "low", EINVAL);
	return 0;
}

TEST(memory_usage_renames)
{
	OK1(CGROUP_V2, "memory.usage_in_bytes", "12345", "memory.current", "12345");
	OK1(CGROUP_V1, "memory.peak", "99", "memory.max_usage_in_bytes", "99");
	OK1(CGROUP_V2, "hugetlb.2MB.usage_in_bytes", "0", "hugetlb.2MB.current", "0");
	OK1(CGROUP_V2, "hugetlb.2MB.limit_in_bytes", "-1", "hugetlb.2MB.max", "max");
	OK1(CGROUP_V2, "hugetlb.1GB.rsvd.limit_in_bytes", "1073741824", "hugetlb.1GB.rsvd.max",
	    "1073741824");
	OK1(CGROUP_V1, "hugetlb.1GB.max", "max", "hugetlb.1GB.limit_in_bytes", "-1");
	FAIL1(CGROUP_V1, "hugetlb.1GB.max", "x", EINVAL);
	return 0;
}

TEST(memsw_to_swap_max)
{
	/* swap.max = memsw - limit */
	CHECK(KV({ "memory.limit_in_bytes", "1073741824" },
		 { "memory.memsw.limit_in_bytes", "1610612736" }),
	      CGROUP_V2, 0, KV({ "memory.max", "1073741824" }, { "memory.swap.max", "536870912" }));
	/* suffixes are understood for the arithmetic */
	CHECK(KV({ "memory.memsw.limit_in_bytes", "2G" }, { "memory.limit_in_bytes", "1G" }),
	      CGROUP_V2, 0, KV({ "memory.max", "1G" }, { "memory.swap.max", "1073741824" }));
	/* memsw == limit: no swap */
	CHECK(KV({ "memory.limit_in_bytes", "4096" }, { "memory.memsw.limit_in_bytes", "4096" }),
	      CGROUP_V2, 0, KV({ "memory.max", "4096" }, { "memory.swap.max", "0" }));
	CHECK(KV({ "memory.limit_in_bytes", "-1" }, { "memory.memsw.limit_in_bytes", "-1" }),
	      CGROUP_V2, 0, KV({ "memory.max", "max" }, { "memory.swap.max", "max" }));
	CHECK(KV({ "memory.limit_in_bytes", "4096" },
		 { "memory.memsw.limit_in_bytes", "9223372036854771712" }),
	      CGROUP_V2, 0, KV({ "memory.max", "4096" }, { "memory.swap.max", "max" }));
	/* unlimited memsw needs no partner */
	OK1(CGROUP_V2, "memory.memsw.limit_in_bytes", "-1", "memory.swap.max", "max");
	/* no partner, unlimited memory with limited memsw, memsw below limit */
	FAIL1(CGROUP_V2, "memory.memsw.limit_in_bytes", "1073741824", EOPNOTSUPP);
	CHECK(KV({ "memory.limit_in_bytes", "-1" }, { "memory.memsw.limit_in_bytes", "4096" }),
	      CGROUP_V2, -EOPNOTSUPP, NONE);
	CHECK(KV({ "memory.limit_in_bytes", "8192" }, { "memory.memsw.limit_in_bytes", "4096" }),
	      CGROUP_V2, -EINVAL, NONE);
	CHECK(KV({ "memory.limit_in_bytes", "8192" }, { "memory.memsw.limit_in_bytes", "x" }),
	      CGROUP_V2, -EINVAL, NONE);
	CHECK(KV({ "memory.limit_in_bytes", "y" }, { "memory.memsw.limit_in_bytes", "8192" }),
	      CGROUP_V2, -EINVAL, NONE);
	return 0;
}

TEST(swap_max_to_memsw)
{
	CHECK(KV({ "memory.max", "1073741824" }, { "memory.swap.max", "536870912" }), CGROUP_V1, 0,
	      KV({ "memory.limit_in_bytes", "1073741824" },
		 { "memory.memsw.limit_in_bytes", "1610612736" }));
	CHECK(KV({ "memory.swap.max", "0" }, { "memory.max", "4096" }), CGROUP_V1, 0,
	      KV({ "memory.limit_in_bytes", "4096" }, { "memory.memsw.limit_in_bytes", "4096" }));
	CHECK(KV({ "memory.max", "4096" }, { "memory.swap.max", "max" }), CGROUP_V1, 0,
	      KV({ "memory.limit_in_bytes", "4096" }, { "memory.memsw.limit_in_bytes", "-1" }));
	OK1(CGROUP_V1, "memory.swap.max", "max", "memory.memsw.limit_in_bytes", "-1");
	/* a sum beyond the largest limit is "no limit", not an overflow */
	CHECK(KV({ "memory.max", "9223372036854000000" }, { "memory.swap.max", "9223372036854000000" }),
	      CGROUP_V1, 0,
	      KV({ "memory.limit_in_bytes", "9223372036854000000" },
		 { "memory.memsw.limit_in_bytes", "-1" }));
	CHECK(KV({ "memory.max", "1" }, { "memory.swap.max", "18446744073709551615" }), CGROUP_V1, 0,
	      KV({ "memory.limit_in_bytes", "1" }, { "memory.memsw.limit_in_bytes", "-1" }));
	FAIL1(CGROUP_V1, "memory.swap.max", "4096", EOPNOTSUPP);
	CHECK(KV({ "memory.max", "max" }, { "memory.swap.max", "4096" }), CGROUP_V1, -EOPNOTSUPP,
	      NONE);
	CHECK(KV({ "memory.max", "4096" }, { "memory.swap.max", "-1" }), CGROUP_V1, -EINVAL, NONE);
	return 0;
}

TEST(swap_roundtrips_exact)
{
	ROUNDTRIP(KV({ "memory.max", "1073741824" }, { "memory.swap.max", "536870912" }), CGROUP_V1);
	ROUNDTRIP(KV({ "memory.max", "4096" }, { "memory.swap.max", "0" }), CGROUP_V1);
	ROUNDTRIP(KV({ "memory.max", "4096" }, { "memory.swap.max", "max" }), CGROUP_V1);
	ROUNDTRIP(KV({ "memory.max", "max" }, { "memory.swap.max", "max" }), CGROUP_V1);
	ROUNDTRIP(KV({ "memory.limit_in_bytes", "1073741824" },
		     { "memory.memsw.limit_in_bytes", "2147483648" }),
		  CGROUP_V2);
	ROUNDTRIP(KV({ "memory.limit_in_bytes", "-1" }, { "memory.memsw.limit_in_bytes", "-1" }),
		  CGROUP_V2);
	return 0;
}

/* ----------------------------------------------------------- cpuset */

TEST(cpuset_lists)
{
	static const char *const good[] = {
		"0", "0-3", "0-3,5", "0,2,4-7", "1-1", "0-15:2/4", "63", "0-3\n",
	};
	static const char *const bad[] = {
		"a", "-1", "0-", "3-1", "1,,2", "1,", ",1", "0 1", "0-3:0/4", "0-3:5/4", "0-3:2",
		"0-3:2/", "0-3:/4", "0:2/4", "1\n2", "0x3",
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		OK1(CGROUP_V2, "cpuset.cpus", good[i], "cpuset.cpus", good[i]);
		OK1(CGROUP_V1, "cpuset.mems", good[i], "cpuset.mems", good[i]);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		FAIL1(CGROUP_V2, "cpuset.cpus", bad[i], EINVAL);
		FAIL1(CGROUP_V1, "cpuset.mems", bad[i], EINVAL);
	}
	OK1(CGROUP_V2, "cpuset.effective_cpus", "0-7", "cpuset.cpus.effective", "0-7");
	OK1(CGROUP_V1, "cpuset.mems.effective", "0", "cpuset.effective_mems", "0");
	FAIL1(CGROUP_V1, "cpuset.cpus.effective", "x", EINVAL);
	return 0;
}

TEST(cpuset_empty_list_keeps_dirty_flag)
{
	struct cgroup *cg = cgroup_new_cgroup("t");
	struct cgroup_controller *a = cgroup_add_controller(cg, "a");
	struct cgroup_controller *b = cgroup_add_controller(cg, "b");

	ASSERT(a && b);
	/* an empty cpuset.cpus written by the user is a real value (v2: inherit) */
	ASSERT_OK(cg_controller_put(a, "cpuset.cpus", "", true));
	ASSERT_EQ(cg_convert_controller(b, a, CGROUP_V2), 0);
	ASSERT(cg_controller_find(b, "cpuset.cpus"));
	ASSERT(cg_controller_find(b, "cpuset.cpus")->dirty);
	cg_controller_clear(a);
	cg_controller_clear(b);
	ASSERT_OK(cg_controller_put(a, "cpuset.cpus", "", false));
	ASSERT_EQ(cg_convert_controller(b, a, CGROUP_V2), 0);
	ASSERT(!cg_controller_find(b, "cpuset.cpus")->dirty);
	cgroup_free(&cg);
	return 0;
}

TEST(cpuset_exclusive_partition)
{
	OK1(CGROUP_V2, "cpuset.cpu_exclusive", "1", "cpuset.cpus.partition", "root");
	OK1(CGROUP_V2, "cpuset.cpu_exclusive", "0", "cpuset.cpus.partition", "member");
	OK1(CGROUP_V1, "cpuset.cpus.partition", "root", "cpuset.cpu_exclusive", "1");
	OK1(CGROUP_V1, "cpuset.cpus.partition", "member", "cpuset.cpu_exclusive", "0");
	OK1(CGROUP_V1, "cpuset.cpus.partition", "root invalid (Parent is not a partition root)",
	    "cpuset.cpu_exclusive", "1");
	FAIL1(CGROUP_V1, "cpuset.cpus.partition", "isolated", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "cpuset.cpus.partition", "isolated invalid (x)", EOPNOTSUPP);
	FAIL1(CGROUP_V1, "cpuset.cpus.partition", "rooted", EINVAL);
	FAIL1(CGROUP_V1, "cpuset.cpus.partition", "member x", EINVAL);
	FAIL1(CGROUP_V2, "cpuset.cpu_exclusive", "2", EINVAL);
	FAIL1(CGROUP_V2, "cpuset.cpu_exclusive", "yes", EINVAL);
	ROUNDTRIP(KV({ "cpuset.cpus.partition", "root" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpuset.cpus.partition", "member" }), CGROUP_V1);
	ROUNDTRIP(KV({ "cpuset.cpu_exclusive", "1" }), CGROUP_V2);
	ROUNDTRIP(KV({ "cpuset.cpu_exclusive", "0" }), CGROUP_V2);
	return 0;
}

/* ------------------------------------------------------------- pids */

TEST(pids_max)
{
	OK1(CGROUP_V2, "pids.max", "max", "pids.max", "max");
	OK1(CGROUP_V1, "pids.max", "max", "pids.max", "max");
	OK1(CGROUP_V2, "pids.max", "100", "pids.max", "100");
	OK1(CGROUP_V1, "pids.max", "0", "pids.max", "0");
	OK1(CGROUP_V2, "pids.current", "3", "pids.current", "3");
	FAIL1(CGROUP_V2, "pids.max", "-1", EINVAL);
	FAIL1(CGROUP_V1, "pids.max", "unlimited", EINVAL);
	FAIL1(CGROUP_V1, "pids.max", "10 ", EINVAL);
	ROUNDTRIP(KV({ "pids.max", "4096" }), CGROUP_V1);
	ROUNDTRIP(KV({ "pids.max", "max" }), CGROUP_V2);
	return 0;
}

/* --------------------------------------------------------------- io */

TEST(io_throttle_to_io_max)
{
	OK1(CGROUP_V2, "blkio.throttle.read_bps_device", "8:0 1048576", "io.max",
	    "8:0 rbps=1048576");
	OK1(CGROUP_V2, "blkio.throttle.write_iops_device", "259:0 120", "io.max", "259:0 wiops=120");
	/* v1 0 removes the limit: "max" */
	OK1(CGROUP_V2, "blkio.throttle.read_iops_device", "8:0 0", "io.max", "8:0 riops=max");
	/* all four files read from the kernel: full lines */
	CHECK(KV({ "blkio.throttle.read_bps_device", "8:0 1048576" },
		 { "blkio.throttle.write_bps_device", "8:0 0" },
		 { "blkio.throttle.read_iops_device", "8:0 0" },
		 { "blkio.throttle.write_iops_device", "8:0 120" }),
	      CGROUP_V2, 0, KV({ "io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=120" }));
	/* several devices, in several files, come out sorted by major:minor */
	CHECK(KV({ "blkio.throttle.read_bps_device", "8:16 200\n8:0 100" },
		 { "blkio.throttle.write_bps_device", "8:16 300" },
		 { "blkio.throttle.read_iops_device", "8:0 0\n253:1 7" },
		 { "blkio.throttle.write_iops_device", "" }),
	      CGROUP_V2, 0,
	      KV({ "io.max", "8:0 rbps=100 riops=max\n8:16 rbps=200 wbps=300\n253:1 riops=7" }));
	/* a trailing newline, and a later line for the same device wins */
	OK1(CGROUP_V2, "blkio.throttle.read_bps_device", "8:0 5\n8:0 6\n", "io.max", "8:0 rbps=6");
	OK1(CGROUP_V2, "blkio.throttle.read_bps_device", "4294967295:4294967295 1", "io.max",
	    "4294967295:4294967295 rbps=1");
	OK1(CGROUP_V2, "blkio.throttle.read_bps_device", "8:0 18446744073709551615", "io.max",
	    "8:0 rbps=18446744073709551615");
	return 0;
}

TEST(io_throttle_garbage)
{
	static const char *const bad[] = {
		"8:0", "8:0 1 2", "8-0 1", "a:b 1", ":0 1", "8: 1", "8:0 -1", "8:0 abc", "8:0 1x",
		"8:0:0 1", "4294967296:0 1", "8:0 18446744073709551616", "\n", "\n\n", "1",
		"8:0 max", "+8:0 1", "8:+0 1",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		FAIL1(CGROUP_V2, "blkio.throttle.write_bps_device", bad[i], EINVAL);
	return 0;
}

TEST(io_max_to_throttle)
{
	CHECK(KV({ "io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=120" }), CGROUP_V1, 0,
	      KV({ "blkio.throttle.read_bps_device", "8:0 1048576" },
		 { "blkio.throttle.write_bps_device", "8:0 0" },
		 { "blkio.throttle.read_iops_device", "8:0 0" },
		 { "blkio.throttle.write_iops_device", "8:0 120" }));
	/* only the keys that occur produce v1 files */
	OK1(CGROUP_V1, "io.max", "8:0 rbps=1", "blkio.throttle.read_bps_device", "8:0 1");
	CHECK(KV({ "io.max", "8:16 wiops=5\n8:0 rbps=1 wiops=max\n" }), CGROUP_V1, 0,
	      KV({ "blkio.throttle.read_bps_device", "8:0 1" },
		 { "blkio.throttle.write_iops_device", "8:0 0\n8:16 5" }));
	/* a device line without keys changes nothing */
	CHECK(KV({ "io.max", "8:0" }), CGROUP_V1, 0, NONE);
	/* tabs and repeated blanks are accepted between fields */
	OK1(CGROUP_V1, "io.max", "8:0\trbps=2  ", "blkio.throttle.read_bps_device", "8:0 2");
	return 0;
}

TEST(io_max_garbage)
{
	static const char *const bad[] = {
		"8:0 rbps=0", "8:0 rbps", "8:0 rbps=", "8:0 foo=1", "8:0 rbps=-1", "8:0 rbps=1x",
		"8:0 rbps=1=2", "max", "rbps=1", "8 rbps=1", "\n", "8:0 RBPS=1", "8:0 rbps=MAX",
		"8:0 rbps=18446744073709551616",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		FAIL1(CGROUP_V1, "io.max", bad[i], EINVAL);
	return 0;
}

TEST(io_max_roundtrips_exact)
{
	ROUNDTRIP(KV({ "io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=120" }), CGROUP_V1);
	ROUNDTRIP(KV({ "io.max", "8:0 rbps=1 wbps=2 riops=3 wiops=4\n"
				 "259:0 rbps=5 wbps=max riops=max wiops=max" }),
		  CGROUP_V1);
	ROUNDTRIP(KV({ "io.max", "8:0 rbps=1\n8:16 wbps=2" }), CGROUP_V1);
	ROUNDTRIP(KV({ "io.max", "8:0 riops=max" }), CGROUP_V1);
	ROUNDTRIP(KV({ "blkio.throttle.read_bps_device", "8:0 100\n8:16 200" },
		     { "blkio.throttle.write_bps_device", "8:16 0" },
		     { "blkio.throttle.read_iops_device", "253:0 9" }),
		  CGROUP_V2);
	ROUNDTRIP(KV({ "blkio.throttle.write_iops_device", "8:0 0" }), CGROUP_V2);
	return 0;
}

TEST(io_weight_from_blkio)
{
	/* runc: io = 1 + (blkio - 10) * 9999 / 990 */
	OK1(CGROUP_V2, "blkio.weight", "500", "io.weight", "default 4950");
	OK1(CGROUP_V2, "blkio.weight", "10", "io.weight", "default 1");
	OK1(CGROUP_V2, "blkio.weight", "1000", "io.weight", "default 10000");
	OK1(CGROUP_V2, "blkio.weight", "100", "io.weight", "default 910");
	OK1(CGROUP_V2, "blkio.weight", "1", "io.weight", "default 1"); /* BFQ's 1..9 count as 10 */
	FAIL1(CGROUP_V2, "blkio.weight", "0", EINVAL);
	FAIL1(CGROUP_V2, "blkio.weight", "1001", EINVAL);
	FAIL1(CGROUP_V2, "blkio.weight", "default 500", EINVAL);
	CHECK(KV({ "blkio.weight", "500" }, { "blkio.weight_device", "8:16 0\n8:0 100" }), CGROUP_V2,
	      0, KV({ "io.weight", "default 4950\n8:0 910\n8:16 default" }));
	OK1(CGROUP_V2, "blkio.weight_device", "8:0 1000", "io.weight", "8:0 10000");
	FAIL1(CGROUP_V2, "blkio.weight_device", "8:0 1001", EINVAL);
	FAIL1(CGROUP_V2, "blkio.weight_device", "8:0", EINVAL);
	FAIL1(CGROUP_V2, "blkio.weight_device", "8:0 default", EINVAL);
	return 0;
}

TEST(io_weight_to_blkio)
{
	/* blkio = 10 + ceil((io - 1) * 990 / 9999) */
	OK1(CGROUP_V1, "io.weight", "default 100", "blkio.weight", "20");
	OK1(CGROUP_V1, "io.weight", "100", "blkio.weight", "20");
	OK1(CGROUP_V1, "io.weight", "default 1", "blkio.weight", "10");
	OK1(CGROUP_V1, "io.weight", "default 10000", "blkio.weight", "1000");
	OK1(CGROUP_V1, "io.weight", "default 4950", "blkio.weight", "500");
	OK1(CGROUP_V1, "io.weight", "8:0 200", "blkio.weight_device", "8:0 30");
	CHECK(KV({ "io.weight", "default 100\n8:16 default\n8:0 10000\n" }), CGROUP_V1, 0,
	      KV({ "blkio.weight", "20" }, { "blkio.weight_device", "8:0 1000\n8:16 0" }));
	FAIL1(CGROUP_V1, "io.weight", "default 0", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "default 10001", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "default", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "foo 1", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "8:0 0", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "8:0 1 2", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "\n", EINVAL);
	FAIL1(CGROUP_V1, "io.weight", "max", EINVAL);
	return 0;
}

TEST(io_weight_precision)
{
	/* blkio -> io -> blkio is exact for every CFQ weight */
	for (unsigned long long b = 10; b <= 1000; b++) {
		char in[32], mid[64];
		struct cgroup *cg = cgroup_new_cgroup("t");
		struct cgroup_controller *a = cgroup_add_controller(cg, "a");
		struct cgroup_controller *m = cgroup_add_controller(cg, "m");
		struct cgroup_controller *c = cgroup_add_controller(cg, "c");
		struct cg_value *v;

		snprintf(in, sizeof(in), "%llu", b);
		ASSERT_OK(cg_controller_put(a, "blkio.weight", in, true));
		ASSERT_EQ(cg_convert_controller(m, a, CGROUP_V2), 0);
		snprintf(mid, sizeof(mid), "%s", cg_controller_find(m, "io.weight")->value);
		ASSERT_EQ(cg_convert_controller(c, m, CGROUP_V1), 0);
		v = cg_controller_find(c, "blkio.weight");
		ASSERT(v);
		if (strcmp(v->value, in) != 0)
			TAP_FAIL("blkio %s -> io \"%s\" -> blkio %s", in, mid, v->value);
		cgroup_free(&cg);
	}
	/* io -> blkio -> io: io' = io .. io + 10 */
	for (unsigned long long w = 1; w <= 10000; w++) {
		char in[32];
		struct cgroup *cg = cgroup_new_cgroup("t");
		struct cgroup_controller *a = cgroup_add_controller(cg, "a");
		struct cgroup_controller *m = cgroup_add_controller(cg, "m");
		struct cgroup_controller *c = cgroup_add_controller(cg, "c");
		unsigned long long back;

		snprintf(in, sizeof(in), "default %llu", w);
		ASSERT_OK(cg_controller_put(a, "io.weight", in, true));
		ASSERT_EQ(cg_convert_controller(m, a, CGROUP_V1), 0);
		ASSERT_EQ(cg_convert_controller(c, m, CGROUP_V2), 0);
		ASSERT(cg_controller_find(c, "io.weight"));
		if (sscanf(cg_controller_find(c, "io.weight")->value, "default %llu", &back) != 1)
			TAP_FAIL("bad io.weight back");
		if (back < w || back > w + 10)
			TAP_FAIL("io %llu -> blkio %s -> io %llu", w,
				 cg_controller_find(m, "blkio.weight")->value, back);
		cgroup_free(&cg);
	}
	return 0;
}

TEST(bfq_weight_same_scale)
{
	OK1(CGROUP_V2, "blkio.bfq.weight", "100", "io.bfq.weight", "default 100");
	OK1(CGROUP_V2, "blkio.bfq.weight", "1", "io.bfq.weight", "default 1");
	OK1(CGROUP_V1, "io.bfq.weight", "default 1000", "blkio.bfq.weight", "1000");
	FAIL1(CGROUP_V1, "io.bfq.weight", "default 1001", EINVAL);
	FAIL1(CGROUP_V2, "blkio.bfq.weight", "0", EINVAL);
	ROUNDTRIP(KV({ "io.bfq.weight", "default 100\n8:0 300\n8:16 default" }), CGROUP_V1);
	ROUNDTRIP(KV({ "blkio.bfq.weight", "7" }, { "blkio.bfq.weight_device", "8:0 9" }), CGROUP_V2);
	return 0;
}

TEST(io_weight_roundtrips_exact)
{
	ROUNDTRIP(KV({ "blkio.weight", "500" }, { "blkio.weight_device", "8:0 100\n8:16 0" }),
		  CGROUP_V2);
	ROUNDTRIP(KV({ "blkio.weight_device", "259:3 1000" }), CGROUP_V2);
	ROUNDTRIP(KV({ "io.weight", "default 4950\n8:0 10000\n8:16 default" }), CGROUP_V1);
	return 0;
}

/* --------------------------------------------------- cgroup_convert_cgroup */

static struct cgroup_controller *add(struct cgroup *cg, const char *ctrl, const struct kv *kv)
{
	struct cgroup_controller *c = cgroup_add_controller(cg, ctrl);

	if (c && fill(c, kv) < 0)
		return NULL;
	return c;
}

static const char *get(struct cgroup *cg, const char *ctrl, const char *name)
{
	struct cgroup_controller *c = cgroup_get_controller(cg, ctrl);
	struct cg_value *v = c ? cg_controller_find(c, name) : NULL;

	return v ? v->value : NULL;
}

TEST(convert_cgroup_v1_to_v2)
{
	struct cgroup *in = cgroup_new_cgroup("lve/1000");
	struct cgroup *out = cgroup_new_cgroup("out");

	ASSERT(in && out);
	ASSERT(add(in, "cpu", KV({ "cpu.shares", "2048" }, { "cpu.cfs_quota_us", "50000" },
				 { "cpu.cfs_period_us", "100000" })));
	ASSERT(add(in, "memory", KV({ "memory.limit_in_bytes", "1073741824" })));
	ASSERT(add(in, "blkio", KV({ "blkio.throttle.read_bps_device", "8:0 1048576" })));
	ASSERT(add(in, "pids", KV({ "pids.max", "100" })));
	ASSERT(add(in, "cpuacct", NONE));
	ASSERT(add(out, "old", KV({ "x", "y" })));
	ASSERT_EQ(cgroup_set_uid_gid(out, 5, 5, 5, 5), 0);

	ASSERT_EQ(cgroup_convert_cgroup(out, CGROUP_V2, in, CGROUP_V1), 0);
	ASSERT_STREQ(cgroup_get_cgroup_name(out), "out");
	ASSERT_EQ(out->tasks_uid, 5);
	ASSERT_EQ(cgroup_get_controller_count(out), 5);
	ASSERT(cgroup_get_controller(out, "old") == NULL);
	ASSERT(cgroup_get_controller(out, "blkio") == NULL);
	ASSERT_STREQ(get(out, "cpu", "cpu.weight"), "79");
	ASSERT_STREQ(get(out, "cpu", "cpu.max"), "50000 100000");
	ASSERT_EQ(cgroup_get_value_name_count(cgroup_get_controller(out, "cpu")), 2);
	ASSERT_STREQ(get(out, "memory", "memory.max"), "1073741824");
	ASSERT_STREQ(get(out, "io", "io.max"), "8:0 rbps=1048576");
	ASSERT_STREQ(get(out, "pids", "pids.max"), "100");
	ASSERT(cgroup_get_controller(out, "cpuacct"));
	for (int i = 0; i < out->index; i++)
		ASSERT(out->controller[i]->cgroup == out);
	/* the input is unchanged */
	ASSERT_STREQ(get(in, "cpu", "cpu.shares"), "2048");
	ASSERT_EQ(cgroup_get_controller_count(in), 5);
	cgroup_free(&in);
	cgroup_free(&out);
	return 0;
}

TEST(convert_cgroup_roundtrip_v2_v1_v2)
{
	struct cgroup *a = cgroup_new_cgroup("g"), *b = cgroup_new_cgroup("g"),
		      *c = cgroup_new_cgroup("g");

	ASSERT(a && b && c);
	ASSERT(add(a, "cpu", KV({ "cpu.weight", "100" }, { "cpu.max", "max 100000" })));
	ASSERT(add(a, "memory", KV({ "memory.max", "1073741824" }, { "memory.swap.max", "0" },
				   { "memory.low", "max" })));
	ASSERT(add(a, "io", KV({ "io.max", "8:0 rbps=10 wbps=20\n8:16 riops=max" },
			       { "io.weight", "default 4950" })));
	ASSERT(add(a, "pids", KV({ "pids.max", "max" })));
	ASSERT(add(a, "cpuset", KV({ "cpuset.cpus", "0-3" }, { "cpuset.mems", "0" })));

	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V1, a, CGROUP_V2), 0);
	ASSERT(cgroup_get_controller(b, "blkio"));
	ASSERT_STREQ(get(b, "cpu", "cpu.shares"), "2598");
	ASSERT_STREQ(get(b, "memory", "memory.memsw.limit_in_bytes"), "1073741824");
	ASSERT_STREQ(get(b, "blkio", "blkio.throttle.read_iops_device"), "8:16 0");
	ASSERT_EQ(cgroup_convert_cgroup(c, CGROUP_V2, b, CGROUP_V1), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, c), 0);
	cgroup_free(&a);
	cgroup_free(&b);
	cgroup_free(&c);
	return 0;
}

TEST(convert_cgroup_same_version_copies)
{
	struct cgroup *a = cgroup_new_cgroup("g"), *b = cgroup_new_cgroup("g");
	struct cgroup_controller *c;

	ASSERT(a && b);
	c = add(a, "blkio", KV({ "anything.at.all", "kept verbatim" }));
	ASSERT(c);
	c->values[0].dirty = false;
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V1, a, CGROUP_V1), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, b), 0);
	ASSERT(cgroup_get_controller(b, "blkio")->values[0].dirty);
	cgroup_free(&a);
	cgroup_free(&b);
	return 0;
}

TEST(convert_cgroup_merges_blkio_and_io)
{
	struct cgroup *a = cgroup_new_cgroup("g"), *b = cgroup_new_cgroup("g");

	ASSERT(a && b);
	ASSERT(add(a, "blkio", KV({ "blkio.weight", "500" })));
	ASSERT(add(a, "io", KV({ "io.max", "8:0 rbps=1" })));
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, a, CGROUP_V1), 0);
	ASSERT_EQ(cgroup_get_controller_count(b), 1);
	ASSERT_STREQ(get(b, "io", "io.weight"), "default 4950");
	ASSERT_STREQ(get(b, "io", "io.max"), "8:0 rbps=1");
	cgroup_free(&a);
	cgroup_free(&b);
	return 0;
}

TEST(convert_cgroup_errors)
{
	struct cgroup *a = cgroup_new_cgroup("g"), *b = cgroup_new_cgroup("g");

	ASSERT(a && b);
	ASSERT(add(a, "cpu", KV({ "cpu.shares", "1024" })));
	ASSERT(add(b, "keep", KV({ "k", "v" })));
	ASSERT_EQ(cgroup_convert_cgroup(NULL, CGROUP_V2, a, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, NULL, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(a, CGROUP_V2, a, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_UNK, a, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_DISK, a, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, a, CGROUP_UNK), ECGINVAL);
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, a, CGROUP_DISK), ECGINVAL);

	/* garbage value: ECGINVAL, output untouched */
	ASSERT(add(a, "memory", KV({ "memory.limit_in_bytes", "lots" })));
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, a, CGROUP_V1), ECGINVAL);
	ASSERT_EQ(cgroup_get_controller_count(b), 1);
	ASSERT_STREQ(get(b, "keep", "k"), "v");

	/* unsupported setting: ECGROUPUNSUPP + EOPNOTSUPP, output untouched */
	cgroup_free_controllers(a);
	ASSERT(add(a, "memory", KV({ "memory.limit_in_bytes", "1" }, { "memory.swappiness", "1" })));
	ASSERT_EQ(cgroup_convert_cgroup(b, CGROUP_V2, a, CGROUP_V1), ECGROUPUNSUPP);
	ASSERT_EQ(cgroup_get_last_errno(), EOPNOTSUPP);
	ASSERT_EQ(cgroup_get_controller_count(b), 1);
	ASSERT_STREQ(get(b, "keep", "k"), "v");
	cgroup_free(&a);
	cgroup_free(&b);
	return 0;
}

TAP_MAIN()
