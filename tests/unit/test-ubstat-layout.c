/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ABI of include/lve/ubstat.h and include/lve/fairsched.h: OpenVZ's
 * constant values, the buffer layouts of an LP64 system (x86_64) exactly
 * as the ubstat system call wrote them, command/resource extraction, and
 * the argument checks of ubstat() that need no cgroups (they come before
 * anything is read, so they run without root).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lve/fairsched.h"
#include "lve/ubstat.h"
#include "tap.h"

TEST(command_values)
{
	ASSERT_EQ(UBSTAT_READ_ONE, 0x010000);
	ASSERT_EQ(UBSTAT_READ_ALL, 0x020000);
	ASSERT_EQ(UBSTAT_READ_FULL, 0x030000);
	ASSERT_EQ(UBSTAT_UBLIST, 0x040000);
	ASSERT_EQ(UBSTAT_UBPARMNUM, 0x050000);
	ASSERT_EQ(UBSTAT_GETTIME, 0x060000);
	return 0;
}

TEST(cmd_and_parmid_extraction)
{
	for (int res = 0; res < UB_RESOURCES; res++) {
		int f = UBSTAT_READ_ONE | res;

		ASSERT_EQ(UBSTAT_CMD(f), UBSTAT_READ_ONE);
		ASSERT_EQ(UBSTAT_PARMID(f), res);
	}
	ASSERT_EQ(UBSTAT_CMD(0x12345), 0x10000);
	ASSERT_EQ(UBSTAT_PARMID(0x12345), 0x2345);
	ASSERT_EQ(UBSTAT_CMD(UBSTAT_READ_FULL | 0xffff), UBSTAT_READ_FULL);
	ASSERT_EQ(UBSTAT_PARMID(UBSTAT_READ_FULL | 0xffff), 0xffff);
	ASSERT_EQ(UBSTAT_CMD(0x7f0000), 0xf0000); /* bits above the command are not part of it */
	return 0;
}

TEST(resource_ids)
{
	ASSERT_EQ(UB_KMEMSIZE, 0);
	ASSERT_EQ(UB_LOCKEDPAGES, 1);
	ASSERT_EQ(UB_PRIVVMPAGES, 2);
	ASSERT_EQ(UB_SHMPAGES, 3);
	ASSERT_EQ(UB_DUMMY, 4);
	ASSERT_EQ(UB_NUMPROC, 5);
	ASSERT_EQ(UB_PHYSPAGES, 6);
	ASSERT_EQ(UB_VMGUARPAGES, 7);
	ASSERT_EQ(UB_OOMGUARPAGES, 8);
	ASSERT_EQ(UB_NUMTCPSOCK, 9);
	ASSERT_EQ(UB_NUMFLOCK, 10);
	ASSERT_EQ(UB_NUMPTY, 11);
	ASSERT_EQ(UB_NUMSIGINFO, 12);
	ASSERT_EQ(UB_TCPSNDBUF, 13);
	ASSERT_EQ(UB_TCPRCVBUF, 14);
	ASSERT_EQ(UB_OTHERSOCKBUF, 15);
	ASSERT_EQ(UB_DGRAMRCVBUF, 16);
	ASSERT_EQ(UB_NUMOTHERSOCK, 17);
	ASSERT_EQ(UB_DCACHESIZE, 18);
	ASSERT_EQ(UB_NUMFILE, 19);
	ASSERT_EQ(UB_NUMIPTENT, 23);
	ASSERT_EQ(UB_SWAPPAGES, 24);
	ASSERT_EQ(UB_RESOURCES_COMPAT, 24);
	ASSERT_EQ(UB_RESOURCES, 25);
	return 0;
}

TEST(struct_layouts_lp64)
{
	if (sizeof(long) != 8)
		SKIP("the ubstat layouts are those of an LP64 system");
	ASSERT_EQ(sizeof(ubstattime_t), 8);
	ASSERT_EQ(sizeof(ubgettime_t), 24);
	ASSERT_EQ(offsetof(ubgettime_t, start_time), 0);
	ASSERT_EQ(offsetof(ubgettime_t, end_time), 8);
	ASSERT_EQ(offsetof(ubgettime_t, cur_time), 16);

	ASSERT_EQ(sizeof(ubnotifrq_t), 16);
	ASSERT_EQ(offsetof(ubnotifrq_t, maxinterval), 0);
	ASSERT_EQ(offsetof(ubnotifrq_t, signum), 8);

	ASSERT_EQ(sizeof(ubstatparm_t), 16);
	ASSERT_EQ(offsetof(ubstatparm_t, maxheld), 0);
	ASSERT_EQ(offsetof(ubstatparm_t, failcnt), 8);

	ASSERT_EQ(sizeof(ubstatparmf_t), 64);
	ASSERT_EQ(offsetof(ubstatparmf_t, barrier), 0);
	ASSERT_EQ(offsetof(ubstatparmf_t, limit), 8);
	ASSERT_EQ(offsetof(ubstatparmf_t, held), 16);
	ASSERT_EQ(offsetof(ubstatparmf_t, maxheld), 24);
	ASSERT_EQ(offsetof(ubstatparmf_t, minheld), 32);
	ASSERT_EQ(offsetof(ubstatparmf_t, failcnt), 40);
	ASSERT_EQ(offsetof(ubstatparmf_t, __unused1), 48);
	ASSERT_EQ(offsetof(ubstatparmf_t, __unused2), 56);

	ASSERT_EQ(sizeof(ubstatfull_t), 16);
	ASSERT_EQ(offsetof(ubstatfull_t, start_time), 0);
	ASSERT_EQ(offsetof(ubstatfull_t, end_time), 8);
	ASSERT_EQ(offsetof(ubstatfull_t, param), 16);

	/* the records the seed's READ commands write */
	{
		struct {
			ubstattime_t start_time, end_time;
			ubstatparm_t param[1];
		} one;
		struct {
			ubstattime_t start_time, end_time;
			ubstatparm_t param[UB_RESOURCES];
		} all;
		struct {
			ubstattime_t start_time, end_time;
			ubstatparmf_t param[UB_RESOURCES];
		} full;

		ASSERT_EQ(sizeof(one), 32);
		ASSERT_EQ(sizeof(all), 16 + 25 * 16);
		ASSERT_EQ(sizeof(full), 16 + 25 * 64);
		ASSERT_EQ(offsetof(__typeof__(full), param[24].failcnt), 16 + 24 * 64 + 40);
	}
	return 0;
}

TEST(fairsched_constants)
{
	ASSERT_EQ(FAIRSCHED_SET_RATE, 0);
	ASSERT_EQ(FAIRSCHED_DROP_RATE, 1);
	ASSERT_EQ(FAIRSCHED_GET_RATE, 2);
	ASSERT_EQ(FSCHWEIGHT_MAX, 65535);
	ASSERT_EQ(FAIRSCHED_HOST_ID, INT_MAX);
	ASSERT_EQ(FAIRSCHED_RATE_ONE_CPU, 1024);
	return 0;
}

/* ubstat returns -1 + errno: as -errno for ASSERT_ERR. */
static long us(long r)
{
	return r < 0 ? -errno : r;
}

TEST(ubparmnum)
{
	ASSERT_EQ(ubstat(UBSTAT_UBPARMNUM, 0, NULL, NULL, 0), UB_RESOURCES);
	ASSERT_EQ(ubstat(UBSTAT_UBPARMNUM, 12345, NULL, NULL, -1), 25);
	return 0;
}

TEST(bad_arguments_before_any_reading)
{
	char buf[2048];
	ubnotifrq_t bad_interval = { .maxinterval = 1, .signum = SIGUSR1 };
	ubnotifrq_t zero_interval = { .maxinterval = 0, .signum = SIGUSR1 };
	ubnotifrq_t neg_interval = { .maxinterval = -5, .signum = SIGUSR1 };
	ubnotifrq_t bad_signal = { .maxinterval = 5, .signum = 65 };
	ubnotifrq_t neg_signal = { .maxinterval = 5, .signum = -1 };

	memset(buf, 0x5a, sizeof(buf));
	/* unknown commands and resources */
	ASSERT_ERR(us(ubstat(0, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(0x070000, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(0x0f0000, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE | UB_RESOURCES, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE | 0xffff, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ALL | 1, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_FULL | 3, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME | 1, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_UBLIST | 1, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(0x100000 | UBSTAT_READ_ALL, 1, NULL, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(-1, 1, NULL, buf, sizeof(buf))), EINVAL);
	/* sizes and buffers */
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ALL, 1, NULL, buf, -1)), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, NULL, buf, -8)), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_UBLIST, 0, NULL, buf, INT_MIN)), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_FULL, 1, NULL, NULL, 16)), EFAULT);
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, NULL, NULL, 24)), EFAULT);
	ASSERT_ERR(us(ubstat(UBSTAT_UBLIST, 0, NULL, NULL, 8)), EFAULT);
	/* notification requests */
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, &bad_interval, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, &zero_interval, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, &neg_interval, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE, 1, &bad_signal, buf, sizeof(buf))), EINVAL);
	ASSERT_ERR(us(ubstat(UBSTAT_READ_ONE, 1, &neg_signal, buf, sizeof(buf))), EINVAL);
	/* the system call's callers pass the address as an unsigned long: same checks */
	ASSERT_ERR(us(ubstat(UBSTAT_GETTIME, 0, (unsigned long)&bad_interval, buf, sizeof(buf))), EINVAL);
	/* nothing was written */
	for (size_t i = 0; i < sizeof(buf); i++)
		ASSERT_EQ((unsigned char)buf[i], 0x5a);
	return 0;
}

TEST(errno_kept_on_success)
{
	errno = EDOM;
	ASSERT_EQ(ubstat(UBSTAT_UBPARMNUM, 0, NULL, NULL, 0), 25);
	ASSERT_EQ(errno, EDOM);
	return 0;
}

/*
 * A program that defines UB_RESOURCES itself after including the header,
 * as the OpenVZ wiki's demo does, compiles without a redefinition: the
 * header's UB_RESOURCES is an enum constant, not a macro. (This file is
 * built with -Werror-free warnings on; a redefinition would be one.)
 */
#define UB_RESOURCES 24
TEST(demo_may_define_ub_resources)
{
	int a[UB_RESOURCES];

	ASSERT_EQ(sizeof(a) / sizeof(a[0]), 24);
	return 0;
}

TAP_MAIN()
