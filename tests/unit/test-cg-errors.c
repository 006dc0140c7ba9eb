/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cg-errors - ECG* codes, cgroup_strerror(), the thread-local last
 * errno and the -errno -> ECG* mapping (src/libcgroup/error.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cg-internal.h"
#include "tap.h"

TEST(codes_match_libcgroup_numbers)
{
	/* the ABI: these numbers are libcgroup's */
	ASSERT_EQ(ECGROUPNOTCOMPILED, 50000);
	ASSERT_EQ(ECGINVAL, 50011);
	ASSERT_EQ(ECGOTHER, 50016);
	ASSERT_EQ(ECGROUPNOTEQUAL, 50017);
	ASSERT_EQ(ECGCONTROLLERNOTEQUAL, 50018);
	ASSERT_EQ(ECGEOF, 50023);
	ASSERT_EQ(ECGROUPUNSUPP, 50028);
	ASSERT_EQ(ECGNONEMPTY, 50030);
	return 0;
}

TEST(strerror_every_code_has_own_message)
{
	const char *msgs[ECGNONEMPTY - ECGROUPNOTCOMPILED + 1];

	for (int code = ECGROUPNOTCOMPILED; code <= ECGNONEMPTY; code++) {
		const char *m = cgroup_strerror(code);

		if (code == ECGSENTINEL || code == ECGOTHER) {
			/* reserved (libcgroup's text is ""), and ECGOTHER is strerror() */
			msgs[code - ECGROUPNOTCOMPILED] = code == ECGOTHER ? "(errno)" : "(reserved)";
			continue;
		}
		if (!m || !*m)
			TAP_FAIL("no message for %d", code);
		if (strcmp(m, "unknown error") == 0 || strncmp(m, "Unknown error", 13) == 0)
			TAP_FAIL("code %d reported as unknown: %s", code, m);
		msgs[code - ECGROUPNOTCOMPILED] = m;
	}
	for (size_t i = 0; i < ELEMENTSOF(msgs); i++)
		for (size_t j = i + 1; j < ELEMENTSOF(msgs); j++)
			if (strcmp(msgs[i], msgs[j]) == 0)
				TAP_FAIL("codes %zu and %zu share \"%s\"", i + 50000, j + 50000, msgs[i]);
	return 0;
}

TEST(strerror_specific_texts)
{
	/* libcgroup 3.x's exact texts */
	ASSERT_STREQ(cgroup_strerror(ECGINVAL), "Cgroup invalid operation");
	ASSERT_STREQ(cgroup_strerror(ECGROUPNOTEXIST), "Cgroup does not exist");
	ASSERT_STREQ(cgroup_strerror(ECGNONEMPTY), "Failed to remove a non-empty group");
	ASSERT_STREQ(cgroup_strerror(ECGROUPNOTINITIALIZED), "Cgroup not initialized");
	ASSERT_STREQ(cgroup_strerror(ECGEOF), "End of File or iterator");
	ASSERT_STREQ(cgroup_strerror(ECGSENTINEL), "");
	ASSERT_STREQ(cgroup_strerror(ECGROUPSUBSYSNOTMOUNTED),
		     "Cgroup one of the needed subsystems is not mounted");
	return 0;
}

TEST(strerror_out_of_range)
{
	static const int codes[] = { ECGNONEMPTY + 1, 60000, INT_MAX, INT_MIN };

	for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
		const char *m = cgroup_strerror(codes[i]);

		ASSERT(m);
		ASSERT_STREQ(m, "Invalid error code"); /* libcgroup's text */
	}
	return 0;
}

TEST(strerror_below_50000_is_strerror)
{
	static const int codes[] = { 0, EPERM, ENOENT, EINVAL, ENOSPC, 4000, 49999 };
	char expect[256];

	for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
		snprintf(expect, sizeof(expect), "%s", strerror(codes[i]));
		ASSERT_STREQ(cgroup_strerror(codes[i]), expect);
	}
	/* a leaked -errno reads like the errno */
	snprintf(expect, sizeof(expect), "%s", strerror(ENOENT));
	ASSERT_STREQ(cgroup_strerror(-ENOENT), expect);
	return 0;
}

TEST(fail_errno_records_and_returns_ecgother)
{
	char expect[256];

	ASSERT_EQ(cg_fail_errno(-ENOSPC), ECGOTHER);
	ASSERT_EQ(cgroup_get_last_errno(), ENOSPC);
	ASSERT_EQ(cg_fail_errno(EACCES), ECGOTHER); /* positive errno accepted too */
	ASSERT_EQ(cgroup_get_last_errno(), EACCES);
	ASSERT_EQ(cg_fail_errno(INT_MIN), ECGOTHER); /* no overflow */
	ASSERT(cgroup_get_last_errno() > 0);

	/* ECGOTHER's message is exactly strerror() of the recorded errno (libcgroup) */
	cg_fail_errno(-EMFILE);
	snprintf(expect, sizeof(expect), "%s", strerror(EMFILE));
	ASSERT_STREQ(cgroup_strerror(ECGOTHER), expect);
	return 0;
}

TEST(ecg_from_errno_mapping)
{
	static const struct {
		int err;
		int ecg;
	} map[] = {
		{ -ENOENT, ECGROUPNOTEXIST },   { -EPERM, ECGROUPNOTOWNER },
		{ -EACCES, ECGROUPNOTOWNER },   { -EINVAL, ECGINVAL },
		{ -ENAMETOOLONG, ECGINVAL },    { -ELOOP, ECGINVAL },
		{ -EXDEV, ECGINVAL },           { -EBUSY, ECGNONEMPTY },
		{ -ENOTEMPTY, ECGNONEMPTY },    { -ENOMEM, ECGFAIL },
		{ -EIO, ECGOTHER },             { -ENOSPC, ECGOTHER },
		{ -EOPNOTSUPP, ECGOTHER },      { -ESRCH, ECGOTHER },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++) {
		cg_fail_errno(-EDOM); /* something else first */
		if (cg_ecg_from_errno(map[i].err) != map[i].ecg)
			TAP_FAIL("%s -> %d, expected %d", strerror(-map[i].err),
				 cg_ecg_from_errno(map[i].err), map[i].ecg);
		ASSERT_EQ(cgroup_get_last_errno(), -map[i].err);
	}
	return 0;
}

TEST(ecg_from_errno_zero_and_passthrough)
{
	cg_fail_errno(-EDOM);
	ASSERT_EQ(cg_ecg_from_errno(0), 0);
	ASSERT_EQ(cgroup_get_last_errno(), EDOM); /* success records nothing */
	/* an ECG* code that is already one passes through unchanged */
	ASSERT_EQ(cg_ecg_from_errno(ECGROUPNOTEXIST), ECGROUPNOTEXIST);
	ASSERT_EQ(cg_ecg_from_errno(ECGNONEMPTY), ECGNONEMPTY);
	ASSERT_EQ(cgroup_get_last_errno(), EDOM);
	/* a positive errno is treated like the negative one */
	ASSERT_EQ(cg_ecg_from_errno(ENOENT), ECGROUPNOTEXIST);
	ASSERT_EQ(cgroup_get_last_errno(), ENOENT);
	return 0;
}

struct thread_arg {
	int err;
	pthread_barrier_t *barrier;
	int seen;
	int msg_ok;
};

static void *errno_thread(void *p)
{
	struct thread_arg *a = p;
	char expect[256];

	snprintf(expect, sizeof(expect), "%s", strerror(a->err));
	cg_fail_errno(-a->err);
	pthread_barrier_wait(a->barrier);
	/* the other thread has recorded its own errno by now */
	a->seen = cgroup_get_last_errno();
	a->msg_ok = 1;
	for (int i = 0; i < 2000; i++) {
		const char *m = cgroup_strerror(ECGOTHER);

		if (!strstr(m, expect))
			a->msg_ok = 0;
	}
	pthread_barrier_wait(a->barrier);
	return NULL;
}

TEST(last_errno_is_thread_local)
{
	pthread_barrier_t barrier;
	struct thread_arg a = { .err = ENOENT, .barrier = &barrier };
	struct thread_arg b = { .err = EPERM, .barrier = &barrier };
	pthread_t ta, tb;

	ASSERT_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
	cg_fail_errno(-ENOSPC);
	ASSERT_EQ(pthread_create(&ta, NULL, errno_thread, &a), 0);
	ASSERT_EQ(pthread_create(&tb, NULL, errno_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&barrier);
	ASSERT_EQ(a.seen, ENOENT);
	ASSERT_EQ(b.seen, EPERM);
	ASSERT(a.msg_ok);
	ASSERT(b.msg_ok);
	ASSERT_EQ(cgroup_get_last_errno(), ENOSPC);
	return 0;
}

TEST(public_functions_record_errors)
{
	struct cgroup *cg = cgroup_new_cgroup("g");
	struct cgroup *out = cgroup_new_cgroup("g");
	struct cgroup_controller *c = cgroup_add_controller(cg, "cpu");

	ASSERT(cg && out && c);
	ASSERT_EQ(cgroup_add_value_string(c, "no.such.setting", "1"), 0);
	/* an unsupported conversion is ECGROUPUNSUPP with EOPNOTSUPP recorded */
	ASSERT_EQ(cgroup_convert_cgroup(out, CGROUP_V2, cg, CGROUP_V1), ECGROUPUNSUPP);
	ASSERT_EQ(cgroup_get_last_errno(), EOPNOTSUPP);
	cgroup_free(&cg);
	cgroup_free(&out);
	return 0;
}

TAP_MAIN()
