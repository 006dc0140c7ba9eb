/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-values - struct cgroup / cgroup_controller and typed values
 * (src/libcgroup/cgroup.c): no kernel access.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "fileio.h"
#include "tap.h"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memset(s, c, n);
	s[n] = 0;
	return s;
}

/* Text stored for `name`, or NULL. */
static const char *stored(struct cgroup_controller *c, const char *name)
{
	struct cg_value *v = cg_controller_find(c, name);

	return v ? v->value : NULL;
}

TEST(new_cgroup_normalizes_names)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "/", "" },
		{ ".", "" },
		{ "", "" },
		{ "//", "" },
		{ "a", "a" },
		{ "/a", "a" },
		{ "a/", "a" },
		{ "/a/b/c/", "a/b/c" },
		{ "//a///b//", "a/b" },
		{ "lve1000", "lve1000" },
		{ "...", "..." },
		{ "a b/c-d_e", "a b/c-d_e" },
		{ ".hidden/x", ".hidden/x" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cgroup *cg = cgroup_new_cgroup(cases[i].in);

		if (!cg)
			TAP_FAIL("cgroup_new_cgroup(\"%s\") failed", cases[i].in);
		ASSERT_STREQ(cgroup_get_cgroup_name(cg), cases[i].out);
		ASSERT_STREQ(cg->name, cases[i].out);
		ASSERT_EQ(cgroup_get_controller_count(cg), 0);
		cgroup_free(&cg);
		ASSERT(cg == NULL);
	}
	return 0;
}

/*
 * libcgroup 3.x accepts any name in the structure; a name that would leave
 * the hierarchy fails with ECGINVAL at the first kernel operation
 * (tests/host/test-cg-safety.c, test-cg-api.c). Only an over-long name is
 * refused here (it could never be used).
 */
TEST(new_cgroup_keeps_bad_names_for_the_kernel_ops)
{
	static const char *const bad[] = {
		"..", "../x", "a/..", "a/../b", "/..", "./a", "a/./b", "a/.", "a\nb",
		"a\x01", "tab\there", "del\x7f",
	};
	char *long_comp = repeat('x', NAME_MAX + 1);
	char *ok_comp = repeat('y', NAME_MAX);
	char *too_long = repeat('z', OL_NAME_MAX + 1);
	struct cgroup *cg;

	ASSERT(cgroup_new_cgroup(NULL) == NULL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		cg = cgroup_new_cgroup(bad[i]);
		if (!cg)
			TAP_FAIL("refused name index %zu (libcgroup accepts it)", i);
		/* no kernel access: the structure functions work, the name fails ol_name_check */
		ASSERT(ol_name_check(cgroup_get_cgroup_name(cg)) < 0);
		cgroup_free(&cg);
	}
	cg = cgroup_new_cgroup(long_comp);
	ASSERT(cg);
	cgroup_free(&cg);
	ASSERT(cgroup_new_cgroup(too_long) == NULL);

	cg = cgroup_new_cgroup(ok_comp);
	ASSERT(cg);
	ASSERT_STREQ(cgroup_get_cgroup_name(cg), ok_comp);
	cgroup_free(&cg);
	free(long_comp);
	free(ok_comp);
	free(too_long);
	return 0;
}

TEST(new_cgroup_defaults)
{
	struct cgroup *cg = cgroup_new_cgroup("x");
	uid_t tu = 1, cu = 1;
	gid_t tg = 1, cgid = 1;

	ASSERT(cg);
	ASSERT_EQ(cgroup_get_uid_gid(cg, &tu, &tg, &cu, &cgid), 0);
	ASSERT_EQ(tu, NO_UID_GID);
	ASSERT_EQ(tg, NO_UID_GID);
	ASSERT_EQ(cu, NO_UID_GID);
	ASSERT_EQ(cgid, NO_UID_GID);
	ASSERT_EQ(cg->control_dperm, (mode_t)NO_PERMS);
	ASSERT_EQ(cg->control_fperm, (mode_t)NO_PERMS);
	ASSERT_EQ(cg->task_fperm, (mode_t)NO_PERMS);
	cgroup_free(&cg);
	return 0;
}

TEST(free_handles_null)
{
	struct cgroup *cg = NULL;

	cgroup_free(NULL);
	cgroup_free(&cg);
	cgroup_free_controllers(NULL);
	ASSERT(cg == NULL);
	return 0;
}

TEST(add_controller_basic)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *cpu, *mem, *unk;

	ASSERT(cg);
	cpu = cgroup_add_controller(cg, "cpu");
	ASSERT(cpu);
	ASSERT(cpu->cgroup == cg);
	ASSERT_STREQ(cgroup_get_controller_name(cpu), "cpu");
	ASSERT_EQ(cgroup_get_value_name_count(cpu), 0);
	mem = cgroup_add_controller(cg, "memory");
	ASSERT(mem && mem != cpu);
	/* unknown controllers are accepted here; the kernel side fails later */
	unk = cgroup_add_controller(cg, "no_such_controller");
	ASSERT(unk);
	ASSERT(cgroup_add_controller(cg, "name=systemd"));
	ASSERT_EQ(cgroup_get_controller_count(cg), 4);

	/* duplicates are refused and change nothing */
	ASSERT(cgroup_add_controller(cg, "cpu") == NULL);
	ASSERT_EQ(cgroup_get_controller_count(cg), 4);

	ASSERT(cgroup_get_controller(cg, "cpu") == cpu);
	ASSERT(cgroup_get_controller(cg, "memory") == mem);
	ASSERT(cgroup_get_controller(cg, "pids") == NULL);
	ASSERT(cgroup_get_controller(cg, NULL) == NULL);
	ASSERT(cgroup_get_controller(NULL, "cpu") == NULL);

	ASSERT(cgroup_get_controller_by_index(cg, 0) == cpu);
	ASSERT(cgroup_get_controller_by_index(cg, 1) == mem);
	ASSERT(cgroup_get_controller_by_index(cg, 2) == unk);
	ASSERT(cgroup_get_controller_by_index(cg, 4) == NULL);
	ASSERT(cgroup_get_controller_by_index(cg, -1) == NULL);
	ASSERT(cgroup_get_controller_by_index(cg, INT_MAX) == NULL);
	ASSERT(cgroup_get_controller_by_index(NULL, 0) == NULL);
	ASSERT_EQ(cgroup_get_controller_count(NULL), -1);
	ASSERT(cgroup_get_controller_name(NULL) == NULL);
	ASSERT(cgroup_get_cgroup_name(NULL) == NULL);
	cgroup_free(&cg);
	return 0;
}

TEST(add_controller_rejects_bad_names)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/cpu", "cpu/", "x\ny", "\x01" };
	struct cgroup *cg = cgroup_new_cgroup("g");
	char *longname = repeat('c', NAME_MAX + 1);

	ASSERT(cg);
	ASSERT(cgroup_add_controller(NULL, "cpu") == NULL);
	ASSERT(cgroup_add_controller(cg, NULL) == NULL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cgroup_add_controller(cg, bad[i]))
			TAP_FAIL("accepted controller name index %zu", i);
	ASSERT(cgroup_add_controller(cg, longname) == NULL);
	ASSERT_EQ(cgroup_get_controller_count(cg), 0);
	free(longname);
	cgroup_free(&cg);
	return 0;
}

TEST(add_controller_limit)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	char name[32];

	ASSERT(cg);
	for (int i = 0; i < CG_CONTROLLER_MAX; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if (!cgroup_add_controller(cg, name))
			TAP_FAIL("controller %d refused", i);
	}
	ASSERT_EQ(cgroup_get_controller_count(cg), CG_CONTROLLER_MAX);
	ASSERT(cgroup_add_controller(cg, "one_too_many") == NULL);
	ASSERT_EQ(cgroup_get_controller_count(cg), CG_CONTROLLER_MAX);
	ASSERT_STREQ(cgroup_get_controller_name(cgroup_get_controller_by_index(cg, 99)), "c99");

	cgroup_free_controllers(cg);
	ASSERT_EQ(cgroup_get_controller_count(cg), 0);
	ASSERT(cgroup_get_controller(cg, "c5") == NULL);
	ASSERT(cgroup_add_controller(cg, "c5"));
	ASSERT_EQ(cgroup_get_controller_count(cg), 1);
	cgroup_free(&cg);
	return 0;
}

TEST(add_value_string)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpu");
	char *out = NULL;

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_string(c, "cpu.max", "50000 100000"), 0);
	ASSERT_EQ(cgroup_get_value_name_count(c), 1);
	ASSERT_EQ(cgroup_get_value_string(c, "cpu.max", &out), 0);
	ASSERT_STREQ(out, "50000 100000");
	ASSERT(out != stored(c, "cpu.max")); /* a copy the caller frees */
	free(out);
	ASSERT(cg_controller_find(c, "cpu.max")->dirty);

	/* adding twice fails and keeps the old text */
	ASSERT_EQ(cgroup_add_value_string(c, "cpu.max", "max"), ECGVALUEEXISTS);
	ASSERT_STREQ(stored(c, "cpu.max"), "50000 100000");
	ASSERT_EQ(cgroup_get_value_name_count(c), 1);

	/* multi-line and empty text is stored verbatim */
	ASSERT_EQ(cgroup_add_value_string(c, "io.max", "8:0 rbps=1\n8:16 wbps=2"), 0);
	ASSERT_STREQ(stored(c, "io.max"), "8:0 rbps=1\n8:16 wbps=2");
	ASSERT_EQ(cgroup_add_value_string(c, "cpuset.cpus", ""), 0);
	ASSERT_STREQ(stored(c, "cpuset.cpus"), "");
	ASSERT(cg_controller_find(c, "cpuset.cpus")->dirty);

	/* NULL value: names the setting only (libcgroup), not dirty */
	ASSERT_EQ(cgroup_add_value_string(c, "cpu.stat", NULL), 0);
	ASSERT_STREQ(stored(c, "cpu.stat"), "");
	ASSERT(!cg_controller_find(c, "cpu.stat")->dirty);
	ASSERT_EQ(cgroup_get_value_name_count(c), 4);
	cgroup_free(&cg);
	return 0;
}

TEST(add_value_rejects_bad_input)
{
	static const char *const bad[] = { "", ".", "..", "../tasks", "a/b", "/cpu.max", "x\ny" };
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpu");

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_string(NULL, "cpu.max", "1"), ECGINVAL);
	ASSERT_EQ(cgroup_add_value_string(c, NULL, "1"), ECGINVAL);
	ASSERT_EQ(cgroup_add_value_int64(NULL, "a", 1), ECGINVAL);
	ASSERT_EQ(cgroup_add_value_uint64(c, NULL, 1), ECGINVAL);
	ASSERT_EQ(cgroup_add_value_bool(NULL, "a", true), ECGINVAL);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ASSERT_EQ(cgroup_add_value_string(c, bad[i], "1"), ECGINVAL);
		ASSERT_EQ(cgroup_set_value_string(c, bad[i], "1"), ECGINVAL);
		ASSERT_EQ(cgroup_set_value_int64(c, bad[i], 1), ECGINVAL);
	}
	ASSERT_EQ(cgroup_get_value_name_count(c), 0);
	cgroup_free(&cg);
	return 0;
}

TEST(value_limit)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "memory");
	char name[32];
	int64_t v = 0;

	ASSERT(c);
	for (int i = 0; i < CG_NV_MAX; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		ASSERT_EQ(cgroup_add_value_int64(c, name, i), 0);
	}
	ASSERT_EQ(cgroup_get_value_name_count(c), CG_NV_MAX);
	ASSERT_EQ(cgroup_add_value_string(c, "one_more", "1"), ECGMAXVALUESEXCEEDED);
	ASSERT_EQ(cgroup_add_value_uint64(c, "one_more", 1), ECGMAXVALUESEXCEEDED);
	ASSERT_EQ(cgroup_set_value_bool(c, "one_more", true), ECGMAXVALUESEXCEEDED);
	ASSERT(cg_controller_find(c, "one_more") == NULL);
	/* replacing an existing value still works at the limit */
	ASSERT_EQ(cgroup_set_value_int64(c, "v42", -42), 0);
	ASSERT_EQ(cgroup_get_value_int64(c, "v42", &v), 0);
	ASSERT_EQ(v, -42);
	ASSERT_EQ(cgroup_get_value_int64(c, "v99", &v), 0);
	ASSERT_EQ(v, 99);
	ASSERT_EQ(cgroup_get_value_name_count(c), CG_NV_MAX);
	cgroup_free(&cg);
	return 0;
}

TEST(set_value_replaces_or_adds)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "pids");
	struct cg_value *v;

	ASSERT(c);
	/* libcgroup 3.x: set adds a value that is not there yet */
	ASSERT_EQ(cgroup_set_value_string(c, "pids.max", "100"), 0);
	ASSERT_STREQ(stored(c, "pids.max"), "100");
	v = cg_controller_find(c, "pids.max");
	v->dirty = false;
	ASSERT_EQ(cgroup_set_value_string(c, "pids.max", "max"), 0);
	ASSERT_STREQ(stored(c, "pids.max"), "max");
	ASSERT(cg_controller_find(c, "pids.max")->dirty);
	ASSERT_EQ(cgroup_get_value_name_count(c), 1);

	ASSERT_EQ(cgroup_set_value_string(c, "pids.max", NULL), ECGINVAL);
	ASSERT_STREQ(stored(c, "pids.max"), "max");
	ASSERT_EQ(cgroup_set_value_string(NULL, "pids.max", "1"), ECGINVAL);
	ASSERT_EQ(cgroup_set_value_string(c, NULL, "1"), ECGINVAL);
	ASSERT_EQ(cgroup_set_value_uint64(NULL, "x", 1), ECGINVAL);
	ASSERT_EQ(cgroup_set_value_bool(c, NULL, true), ECGINVAL);

	ASSERT_EQ(cgroup_set_value_uint64(c, "pids.max", 7), 0);
	ASSERT_STREQ(stored(c, "pids.max"), "7");
	ASSERT_EQ(cgroup_set_value_bool(c, "pids.max", false), 0);
	ASSERT_STREQ(stored(c, "pids.max"), "0");
	ASSERT_EQ(cgroup_set_value_int64(c, "pids.max", -3), 0);
	ASSERT_STREQ(stored(c, "pids.max"), "-3");
	cgroup_free(&cg);
	return 0;
}

TEST(int64_values)
{
	static const int64_t vals[] = { 0, 1, -1, 100000, INT64_MAX, INT64_MIN, INT32_MIN };
	static const char *const texts[] = {
		"0", "1", "-1", "100000", "9223372036854775807", "-9223372036854775808", "-2147483648",
	};
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpu");
	char name[16];

	ASSERT(c);
	for (size_t i = 0; i < ELEMENTSOF(vals); i++) {
		int64_t got = 12345;

		snprintf(name, sizeof(name), "v%zu", i);
		ASSERT_EQ(cgroup_add_value_int64(c, name, vals[i]), 0);
		ASSERT_STREQ(stored(c, name), texts[i]);
		ASSERT_EQ(cgroup_get_value_int64(c, name, &got), 0);
		ASSERT(got == vals[i]);
		ASSERT_EQ(cgroup_add_value_int64(c, name, 5), ECGVALUEEXISTS);
	}
	cgroup_free(&cg);
	return 0;
}

TEST(uint64_values)
{
	static const uint64_t vals[] = { 0, 1, 4096, UINT64_MAX, (uint64_t)INT64_MAX + 1 };
	static const char *const texts[] = {
		"0", "1", "4096", "18446744073709551615", "9223372036854775808",
	};
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "memory");
	char name[16];

	ASSERT(c);
	for (size_t i = 0; i < ELEMENTSOF(vals); i++) {
		u_int64_t got = 12345;

		snprintf(name, sizeof(name), "v%zu", i);
		ASSERT_EQ(cgroup_add_value_uint64(c, name, vals[i]), 0);
		ASSERT_STREQ(stored(c, name), texts[i]);
		ASSERT_EQ(cgroup_get_value_uint64(c, name, &got), 0);
		ASSERT(got == vals[i]);
	}
	ASSERT_EQ(cgroup_set_value_uint64(c, "v0", UINT64_MAX), 0);
	ASSERT_STREQ(stored(c, "v0"), "18446744073709551615");
	cgroup_free(&cg);
	return 0;
}

TEST(numeric_getters_are_strict)
{
	static const char *const not_int[] = {
		"", " 12", "12 ", "12abc", "abc", "1.5", "+1", "--1", "0x10", "1e3",
		"9223372036854775808", "-9223372036854775809", "12\n\n", "\n", "max ", "MAX",
	};
	static const char *const not_uint[] = {
		"", "-1", "-0", " 1", "1 ", "18446744073709551616", "0x10", "abc", "1,5", "max\n",
	};
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "x");
	int64_t i64;
	u_int64_t u64;
	bool b;

	ASSERT(c);
	for (size_t i = 0; i < ELEMENTSOF(not_int); i++) {
		ASSERT_OK(cg_controller_put(c, "v", not_int[i], true));
		i64 = 777;
		if (cgroup_get_value_int64(c, "v", &i64) != ECGINVAL)
			TAP_FAIL("int64 accepted \"%s\"", not_int[i]);
		ASSERT_EQ(i64, 777); /* output untouched on failure */
		b = true;
		if (cgroup_get_value_bool(c, "v", &b) != ECGINVAL)
			TAP_FAIL("bool accepted \"%s\"", not_int[i]);
		ASSERT(b == true);
	}
	for (size_t i = 0; i < ELEMENTSOF(not_uint); i++) {
		ASSERT_OK(cg_controller_put(c, "v", not_uint[i], true));
		u64 = 777;
		if (cgroup_get_value_uint64(c, "v", &u64) != ECGINVAL)
			TAP_FAIL("uint64 accepted \"%s\"", not_uint[i]);
		ASSERT_EQ(u64, 777);
	}
	/* a trailing newline as read from a kernel file is accepted */
	ASSERT_OK(cg_controller_put(c, "v", "12\n", true));
	ASSERT_EQ(cgroup_get_value_int64(c, "v", &i64), 0);
	ASSERT_EQ(i64, 12);
	cgroup_free(&cg);
	return 0;
}

TEST(max_reads_as_largest_number)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "pids");
	int64_t i64 = 0;
	u_int64_t u64 = 0;
	bool b = false;

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_string(c, "pids.max", "max"), 0);
	ASSERT_EQ(cgroup_get_value_uint64(c, "pids.max", &u64), 0);
	ASSERT(u64 == UINT64_MAX);
	ASSERT_EQ(cgroup_get_value_int64(c, "pids.max", &i64), 0);
	ASSERT(i64 == INT64_MAX);
	/* "max" is no boolean */
	ASSERT_EQ(cgroup_get_value_bool(c, "pids.max", &b), ECGINVAL);
	cgroup_free(&cg);
	return 0;
}

TEST(bool_values)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpuset");
	bool b;

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_bool(c, "t", true), 0);
	ASSERT_EQ(cgroup_add_value_bool(c, "f", false), 0);
	ASSERT_STREQ(stored(c, "t"), "1");
	ASSERT_STREQ(stored(c, "f"), "0");
	b = false;
	ASSERT_EQ(cgroup_get_value_bool(c, "t", &b), 0);
	ASSERT(b == true);
	b = true;
	ASSERT_EQ(cgroup_get_value_bool(c, "f", &b), 0);
	ASSERT(b == false);
	ASSERT_EQ(cgroup_set_value_bool(c, "t", false), 0);
	ASSERT_STREQ(stored(c, "t"), "0");
	/* like libcgroup, any non-zero integer is true */
	ASSERT_OK(cg_controller_put(c, "n", "2", false));
	b = false;
	ASSERT_EQ(cgroup_get_value_bool(c, "n", &b), 0);
	ASSERT(b == true);
	ASSERT_OK(cg_controller_put(c, "n", "-1", false));
	b = false;
	ASSERT_EQ(cgroup_get_value_bool(c, "n", &b), 0);
	ASSERT(b == true);
	ASSERT_OK(cg_controller_put(c, "n", "yes", false));
	ASSERT_EQ(cgroup_get_value_bool(c, "n", &b), ECGINVAL);
	cgroup_free(&cg);
	return 0;
}

TEST(getters_missing_and_null)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpu");
	char *s = (char *)"untouched";
	int64_t i64 = 5;
	u_int64_t u64 = 5;
	bool b = true;

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_string(c, "cpu.weight", "100"), 0);
	ASSERT_EQ(cgroup_get_value_string(c, "nope", &s), ECGROUPVALUENOTEXIST);
	ASSERT_STREQ(s, "untouched");
	ASSERT_EQ(cgroup_get_value_int64(c, "nope", &i64), ECGROUPVALUENOTEXIST);
	ASSERT_EQ(cgroup_get_value_uint64(c, "nope", &u64), ECGROUPVALUENOTEXIST);
	ASSERT_EQ(cgroup_get_value_bool(c, "nope", &b), ECGROUPVALUENOTEXIST);
	ASSERT_EQ(i64, 5);
	ASSERT_EQ(u64, 5);
	ASSERT(b);

	ASSERT_EQ(cgroup_get_value_string(NULL, "cpu.weight", &s), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_string(c, NULL, &s), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_string(c, "cpu.weight", NULL), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_int64(c, "cpu.weight", NULL), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_uint64(c, "cpu.weight", NULL), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_bool(c, "cpu.weight", NULL), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_int64(NULL, "cpu.weight", &i64), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_uint64(c, NULL, &u64), ECGINVAL);
	ASSERT_EQ(cgroup_get_value_bool(NULL, NULL, &b), ECGINVAL);
	cgroup_free(&cg);
	return 0;
}

TEST(value_names_by_index)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "memory");

	ASSERT(c);
	ASSERT_EQ(cgroup_add_value_string(c, "memory.max", "1G"), 0);
	ASSERT_EQ(cgroup_add_value_string(c, "memory.high", "512M"), 0);
	ASSERT_EQ(cgroup_add_value_string(c, "memory.low", "0"), 0);
	ASSERT_EQ(cgroup_get_value_name_count(c), 3);
	ASSERT_STREQ(cgroup_get_value_name(c, 0), "memory.max");
	ASSERT_STREQ(cgroup_get_value_name(c, 1), "memory.high");
	ASSERT_STREQ(cgroup_get_value_name(c, 2), "memory.low");
	ASSERT(cgroup_get_value_name(c, 3) == NULL);
	ASSERT(cgroup_get_value_name(c, -1) == NULL);
	ASSERT(cgroup_get_value_name(c, INT_MIN) == NULL);
	ASSERT(cgroup_get_value_name(NULL, 0) == NULL);
	ASSERT_EQ(cgroup_get_value_name_count(NULL), -1);
	cgroup_free(&cg);
	return 0;
}

static struct cgroup *make_sample(const char *name)
{
	struct cgroup *cg = cgroup_new_cgroup(name);
	struct cgroup_controller *cpu, *mem;

	if (!cg)
		return NULL;
	cpu = cgroup_add_controller(cg, "cpu");
	mem = cgroup_add_controller(cg, "memory");
	if (!cpu || !mem || cgroup_add_value_string(cpu, "cpu.max", "50000 100000") ||
	    cgroup_add_value_uint64(cpu, "cpu.weight", 200) ||
	    cgroup_add_value_string(mem, "memory.max", "1073741824")) {
		cgroup_free(&cg);
		return NULL;
	}
	return cg;
}

TEST(copy_cgroup)
{
	struct cgroup *src = make_sample("src");
	struct cgroup *dst = cgroup_new_cgroup("dst");
	struct cgroup_controller *old, *c;

	ASSERT(src && dst);
	old = cgroup_add_controller(dst, "pids");
	ASSERT(old);
	ASSERT_EQ(cgroup_add_value_string(old, "pids.max", "5"), 0);
	ASSERT_EQ(cgroup_set_uid_gid(dst, 1, 2, 3, 4), 0);
	/* loaded-from-kernel values are not dirty; the copies must be */
	cg_controller_find(cgroup_get_controller(src, "cpu"), "cpu.max")->dirty = false;

	ASSERT_EQ(cgroup_copy_cgroup(dst, src), 0);
	ASSERT_STREQ(cgroup_get_cgroup_name(dst), "dst");
	ASSERT_EQ(cgroup_get_controller_count(dst), 2);
	ASSERT(cgroup_get_controller(dst, "pids") == NULL);
	for (int i = 0; i < 2; i++) {
		struct cgroup_controller *s = cgroup_get_controller_by_index(src, i);
		struct cgroup_controller *d = cgroup_get_controller(dst, s->name);

		ASSERT(d && d != s);
		ASSERT(d->cgroup == dst);
		ASSERT_EQ(cgroup_compare_controllers(s, d), 0);
		for (int j = 0; j < d->n_values; j++)
			ASSERT(d->values[j].dirty);
	}
	/* owners are not copied */
	ASSERT_EQ(dst->tasks_uid, 1);
	ASSERT_EQ(dst->control_gid, 4);

	/* deep copy: changing src does not change dst */
	c = cgroup_get_controller(src, "cpu");
	ASSERT_EQ(cgroup_set_value_string(c, "cpu.max", "max 100000"), 0);
	ASSERT_STREQ(stored(cgroup_get_controller(dst, "cpu"), "cpu.max"), "50000 100000");

	/* copying an empty group empties dst */
	{
		struct cgroup *empty = cgroup_new_cgroup("e");

		ASSERT(empty);
		ASSERT_EQ(cgroup_copy_cgroup(dst, empty), 0);
		ASSERT_EQ(cgroup_get_controller_count(dst), 0);
		cgroup_free(&empty);
	}

	ASSERT_EQ(cgroup_copy_cgroup(NULL, src), ECGINVAL);
	ASSERT_EQ(cgroup_copy_cgroup(dst, NULL), ECGINVAL);
	ASSERT_EQ(cgroup_copy_cgroup(src, src), ECGFAIL);
	ASSERT_EQ(cgroup_get_controller_count(src), 2);
	cgroup_free(&src);
	cgroup_free(&dst);
	return 0;
}

TEST(compare_cgroup)
{
	struct cgroup *a = make_sample("g"), *b = make_sample("g"), *c = make_sample("other");
	struct cgroup *d = cgroup_new_cgroup("g");
	struct cgroup_controller *mem, *cpu;

	ASSERT(a && b && c && d);
	ASSERT_EQ(cgroup_compare_cgroup(a, b), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, a), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, c), ECGROUPNOTEQUAL);

	/* the same controllers in another order are equal */
	mem = cgroup_add_controller(d, "memory");
	cpu = cgroup_add_controller(d, "cpu");
	ASSERT(mem && cpu);
	ASSERT_EQ(cgroup_add_value_string(mem, "memory.max", "1073741824"), 0);
	ASSERT_EQ(cgroup_add_value_uint64(cpu, "cpu.weight", 200), 0);
	ASSERT_EQ(cgroup_add_value_string(cpu, "cpu.max", "50000 100000"), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, d), 0);

	/* only values differ */
	ASSERT_EQ(cgroup_set_value_string(mem, "memory.max", "max"), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, d), ECGCONTROLLERNOTEQUAL);
	ASSERT_EQ(cgroup_set_value_string(mem, "memory.max", "1073741824"), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, d), 0);

	/* controller set differs */
	ASSERT(cgroup_add_controller(d, "pids"));
	ASSERT_EQ(cgroup_compare_cgroup(a, d), ECGCONTROLLERNOTEQUAL);
	ASSERT_EQ(cgroup_compare_cgroup(d, a), ECGCONTROLLERNOTEQUAL);

	/* owners and permissions make groups different */
	ASSERT_EQ(cgroup_set_uid_gid(b, 0, 0, 0, 0), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, b), ECGROUPNOTEQUAL);
	ASSERT_EQ(cgroup_set_uid_gid(b, NO_UID_GID, NO_UID_GID, NO_UID_GID, NO_UID_GID), 0);
	ASSERT_EQ(cgroup_compare_cgroup(a, b), 0);
	cgroup_set_permissions(b, 0755, NO_PERMS, NO_PERMS);
	ASSERT_EQ(cgroup_compare_cgroup(a, b), ECGROUPNOTEQUAL);
	/* a name difference wins over controller differences */
	ASSERT_EQ(cgroup_compare_cgroup(c, d), ECGROUPNOTEQUAL);

	ASSERT_EQ(cgroup_compare_cgroup(NULL, a), ECGINVAL);
	ASSERT_EQ(cgroup_compare_cgroup(a, NULL), ECGINVAL);
	cgroup_free(&a);
	cgroup_free(&b);
	cgroup_free(&c);
	cgroup_free(&d);
	return 0;
}

TEST(compare_controllers)
{
	struct cgroup *g = cgroup_new_cgroup("g"), *h = cgroup_new_cgroup("h");
	struct cgroup_controller *a, *b, *x;

	ASSERT(g && h);
	a = cgroup_add_controller(g, "memory");
	b = cgroup_add_controller(h, "memory");
	x = cgroup_add_controller(h, "cpu");
	ASSERT(a && b && x);
	ASSERT_EQ(cgroup_compare_controllers(a, b), 0); /* both empty */
	ASSERT_EQ(cgroup_compare_controllers(a, x), ECGCONTROLLERNOTEQUAL);

	ASSERT_EQ(cgroup_add_value_string(a, "memory.max", "1"), 0);
	ASSERT_EQ(cgroup_add_value_string(a, "memory.low", "2"), 0);
	ASSERT_EQ(cgroup_compare_controllers(a, b), ECGCONTROLLERNOTEQUAL);
	/* other order, same values */
	ASSERT_EQ(cgroup_add_value_string(b, "memory.low", "2"), 0);
	ASSERT_EQ(cgroup_add_value_string(b, "memory.max", "1"), 0);
	ASSERT_EQ(cgroup_compare_controllers(a, b), 0);
	/* dirty flags do not matter */
	b->values[0].dirty = false;
	ASSERT_EQ(cgroup_compare_controllers(a, b), 0);
	/* value text differs */
	ASSERT_EQ(cgroup_set_value_string(b, "memory.max", "1 "), 0);
	ASSERT_EQ(cgroup_compare_controllers(a, b), ECGCONTROLLERNOTEQUAL);
	ASSERT_EQ(cgroup_set_value_string(b, "memory.max", "1"), 0);
	/* extra value */
	ASSERT_EQ(cgroup_add_value_string(b, "memory.high", "3"), 0);
	ASSERT_EQ(cgroup_compare_controllers(a, b), ECGCONTROLLERNOTEQUAL);
	ASSERT_EQ(cgroup_compare_controllers(b, a), ECGCONTROLLERNOTEQUAL);

	ASSERT_EQ(cgroup_compare_controllers(NULL, b), ECGINVAL);
	ASSERT_EQ(cgroup_compare_controllers(a, NULL), ECGINVAL);
	cgroup_free(&g);
	cgroup_free(&h);
	return 0;
}

TEST(uid_gid_and_permissions)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	uid_t tu = 9, cu = 9;
	gid_t tg = 9, cgid = 9;

	ASSERT(cg);
	ASSERT_EQ(cgroup_set_uid_gid(cg, 1000, 1001, 0, 5), 0);
	ASSERT_EQ(cgroup_get_uid_gid(cg, &tu, &tg, &cu, &cgid), 0);
	ASSERT_EQ(tu, 1000);
	ASSERT_EQ(tg, 1001);
	ASSERT_EQ(cu, 0);
	ASSERT_EQ(cgid, 5);

	ASSERT_EQ(cgroup_set_uid_gid(NULL, 1, 1, 1, 1), ECGINVAL);
	tu = tg = cu = cgid = 77;
	ASSERT_EQ(cgroup_get_uid_gid(NULL, &tu, &tg, &cu, &cgid), ECGINVAL);
	ASSERT_EQ(cgroup_get_uid_gid(cg, NULL, &tg, &cu, &cgid), ECGINVAL);
	ASSERT_EQ(cgroup_get_uid_gid(cg, &tu, NULL, &cu, &cgid), ECGINVAL);
	ASSERT_EQ(cgroup_get_uid_gid(cg, &tu, &tg, NULL, &cgid), ECGINVAL);
	ASSERT_EQ(cgroup_get_uid_gid(cg, &tu, &tg, &cu, NULL), ECGINVAL);
	ASSERT_EQ(tu, 77);
	ASSERT_EQ(tg, 77);
	ASSERT_EQ(cu, 77);

	cgroup_set_permissions(cg, 0750, 0640, 0660);
	ASSERT_EQ(cg->control_dperm, 0750);
	ASSERT_EQ(cg->control_fperm, 0640);
	ASSERT_EQ(cg->task_fperm, 0660);
	cgroup_set_permissions(NULL, 0, 0, 0);
	cgroup_free(&cg);
	return 0;
}

TEST(internal_put_find_clear)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "memory");
	char name[32], val[32];

	ASSERT(c);
	ASSERT_ERR(cg_controller_put(NULL, "a", "b", true), EINVAL);
	ASSERT_ERR(cg_controller_put(c, NULL, "b", true), EINVAL);
	ASSERT(cg_controller_find(NULL, "a") == NULL);
	ASSERT(cg_controller_find(c, NULL) == NULL);

	ASSERT_OK(cg_controller_put(c, "memory.max", "1", false));
	ASSERT(!cg_controller_find(c, "memory.max")->dirty);
	ASSERT_OK(cg_controller_put(c, "memory.max", "2", true));
	ASSERT_STREQ(stored(c, "memory.max"), "2");
	ASSERT(cg_controller_find(c, "memory.max")->dirty);
	ASSERT_EQ(c->n_values, 1);
	ASSERT_OK(cg_controller_put(c, "memory.low", NULL, false));
	ASSERT_STREQ(stored(c, "memory.low"), "");

	/* put has no CG_NV_MAX limit (kernel reads may list many files) */
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(val, sizeof(val), "%d", i * 3);
		ASSERT_OK(cg_controller_put(c, name, val, i & 1));
	}
	ASSERT_EQ(cgroup_get_value_name_count(c), 1002);
	for (int i = 0; i < 1000; i += 37) {
		struct cg_value *v;

		snprintf(name, sizeof(name), "f%d", i);
		snprintf(val, sizeof(val), "%d", i * 3);
		v = cg_controller_find(c, name);
		ASSERT(v);
		ASSERT_STREQ(v->value, val);
		ASSERT_EQ(v->dirty, i & 1);
	}
	/* but the public add respects it */
	ASSERT_EQ(cgroup_add_value_string(c, "new", "1"), ECGMAXVALUESEXCEEDED);

	cg_controller_clear(c);
	ASSERT_EQ(cgroup_get_value_name_count(c), 0);
	ASSERT(cg_controller_find(c, "f1") == NULL);
	cg_controller_clear(c);
	cg_controller_clear(NULL);
	ASSERT_OK(cg_controller_put(c, "x", "y", true));
	ASSERT_STREQ(stored(c, "x"), "y");
	cgroup_free(&cg);
	return 0;
}

TAP_MAIN()
