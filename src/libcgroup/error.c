/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * error.c - libcgroup's ECG* codes: the thread's last errno, the mapping of
 * internal -errno results to ECG* codes, and cgroup_strerror().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cg-internal.h"

/* The errno behind the calling thread's last ECGOTHER (or other mapped) failure. */
static _Thread_local int cg_last_errno;

/* Per-thread buffer for messages that are built at run time. */
#define CG_ERRBUF_SIZE 256
static _Thread_local char cg_errbuf[CG_ERRBUF_SIZE];

static const char *const cg_messages[] = {
	[ECGROUPNOTCOMPILED - ECGROUPNOTCOMPILED] = "Cgroup support is not compiled into the kernel",
	[ECGROUPNOTMOUNTED - ECGROUPNOTCOMPILED] = "Cgroup is not mounted",
	[ECGROUPNOTEXIST - ECGROUPNOTCOMPILED] = "Cgroup does not exist",
	[ECGROUPNOTCREATED - ECGROUPNOTCOMPILED] = "Cgroup has not been created",
	[ECGROUPSUBSYSNOTMOUNTED - ECGROUPNOTCOMPILED] =
		"Cgroup, one of the needed controllers is not mounted",
	[ECGROUPNOTOWNER - ECGROUPNOTCOMPILED] = "Cgroup, permission denied (request from a non-owner)",
	[ECGROUPMULTIMOUNTED - ECGROUPNOTCOMPILED] =
		"Cgroup, the controllers are bound to different mount points",
	[ECGROUPNOTALLOWED - ECGROUPNOTCOMPILED] = "Cgroup, operation not allowed",
	[ECGMAXVALUESEXCEEDED - ECGROUPNOTCOMPILED] =
		"Cgroup, too many values for one controller (limit exceeded)",
	[ECGCONTROLLEREXISTS - ECGROUPNOTCOMPILED] = "Cgroup, controller already exists",
	[ECGVALUEEXISTS - ECGROUPNOTCOMPILED] = "Cgroup, value already exists",
	[ECGINVAL - ECGROUPNOTCOMPILED] = "Cgroup, invalid argument or operation",
	[ECGCONTROLLERCREATEFAILED - ECGROUPNOTCOMPILED] = "Cgroup, creation of the controller failed",
	[ECGFAIL - ECGROUPNOTCOMPILED] = "Cgroup operation failed",
	[ECGROUPNOTINITIALIZED - ECGROUPNOTCOMPILED] =
		"Cgroup library is not initialized (call cgroup_init() first)",
	[ECGROUPVALUENOTEXIST - ECGROUPNOTCOMPILED] =
		"Cgroup, the requested parameter does not exist",
	[ECGOTHER - ECGROUPNOTCOMPILED] = "Cgroup, generic error (see cgroup_get_last_errno())",
	[ECGROUPNOTEQUAL - ECGROUPNOTCOMPILED] = "Cgroups are not equal",
	[ECGCONTROLLERNOTEQUAL - ECGROUPNOTCOMPILED] = "Cgroup controllers are not equal",
	[ECGROUPPARSEFAIL - ECGROUPNOTCOMPILED] = "Cgroup, parsing the rules failed",
	[ECGROUPNORULES - ECGROUPNOTCOMPILED] = "Cgroup, the rules file does not exist",
	[ECGMOUNTFAIL - ECGROUPNOTCOMPILED] = "Cgroup mounting failed",
	[ECGSENTINEL - ECGROUPNOTCOMPILED] = "Cgroup, not an error (end of the error list)",
	[ECGEOF - ECGROUPNOTCOMPILED] = "Cgroup, end of file or of the iterator",
	[ECGCONFIGPARSEFAIL - ECGROUPNOTCOMPILED] = "Cgroup, failed to parse the configuration file",
	[ECGNAMESPACEPATHS - ECGROUPNOTCOMPILED] =
		"Cgroup, multiple namespace paths for the same controller",
	[ECGNAMESPACECONTROLLER - ECGROUPNOTCOMPILED] =
		"Cgroup, the controller of the namespace does not exist",
	[ECGMOUNTNAMESPACE - ECGROUPNOTCOMPILED] =
		"Cgroup, the configuration needs a mount or a namespace section",
	[ECGROUPUNSUPP - ECGROUPNOTCOMPILED] = "Cgroup, not supported by this kernel or setup",
	[ECGCANTSETVALUE - ECGROUPNOTCOMPILED] = "Cgroup, setting a value failed",
	[ECGNONEMPTY - ECGROUPNOTCOMPILED] = "Cgroup, failed to remove a non-empty group",
};

_Static_assert(ELEMENTSOF(cg_messages) == ECGNONEMPTY - ECGROUPNOTCOMPILED + 1,
	       "one message per ECG* code");

static void cg_set_last_errno(int err)
{
	if (err == INT_MIN)
		err = EIO;
	cg_last_errno = err < 0 ? -err : err;
}

_hidden_ int cg_fail_errno(int err)
{
	cg_set_last_errno(err);
	return ECGOTHER;
}

_hidden_ int cg_ecg_from_errno(int neg_errno)
{
	int e;

	if (neg_errno == 0)
		return 0;
	/* Already an ECG* code: pass it through unchanged. */
	if (neg_errno >= ECGROUPNOTCOMPILED && neg_errno <= ECGNONEMPTY)
		return neg_errno;

	cg_set_last_errno(neg_errno);
	e = cg_last_errno;
	switch (e) {
	case ENOENT:
		return ECGROUPNOTEXIST;
	case EPERM:
	case EACCES:
		return ECGROUPNOTOWNER;
	case EINVAL:
	case ENAMETOOLONG:
	case ELOOP:
	case EXDEV:
		return ECGINVAL;
	case EBUSY:
	case ENOTEMPTY:
		return ECGNONEMPTY;
	case ENOMEM:
		return ECGFAIL;
	default:
		return ECGOTHER;
	}
}

static const char *cg_errno_text(int e)
{
	/* GNU strerror_r: returns either a static string or cg_errbuf. */
	return strerror_r(e, cg_errbuf, sizeof(cg_errbuf));
}

_public_ const char *cgroup_strerror(int code)
{
	if (code >= ECGROUPNOTCOMPILED && code <= ECGNONEMPTY) {
		if (code == ECGOTHER && cg_last_errno != 0) {
			char tmp[CG_ERRBUF_SIZE];
			const char *e = strerror_r(cg_last_errno, tmp, sizeof(tmp));

			snprintf(cg_errbuf, sizeof(cg_errbuf), "Cgroup, generic error: %s", e);
			return cg_errbuf;
		}
		return cg_messages[code - ECGROUPNOTCOMPILED];
	}
	if (code >= 0 && code < ECGROUPNOTCOMPILED)
		return cg_errno_text(code);
	/* A -errno that leaked out of an internal call. */
	if (code < 0 && code != INT_MIN && -code < ECGROUPNOTCOMPILED)
		return cg_errno_text(-code);
	return "unknown error";
}

_public_ int cgroup_get_last_errno(void)
{
	return cg_last_errno;
}
