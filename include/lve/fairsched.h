/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fairsched.h - OpenVZ's Fairsched API (the fairsched_* system calls that
 * vzctl uses) as library functions of liblve.so.0, on LVE ids. See
 * fairsched(3) for the full mapping onto cgroups.
 *
 * Every function returns -1 and sets errno on failure, like the OpenVZ
 * system calls:
 *   EPERM   the caller is not root (euid 0) and lacks CAP_SYS_ADMIN
 *   EINVAL  id 0, or an argument out of range (see each function)
 *   ENOENT  no LVE `id`
 *   ENOSYS  the cgroup controller the call needs (cpu; cpuset for
 *           fairsched_cpumask) is not available on this host
 * id FAIRSCHED_HOST_ID (INT_MAX) is "the host": the LVE root group that
 * holds every LVE, i.e. all LVEs together against the rest of the system.
 */
#ifndef OPENLVE_FAIRSCHED_H
#define OPENLVE_FAIRSCHED_H

#ifdef __cplusplus
extern "C" {
#endif

/* The host system's id (INT_MAX): the LVE root group. */
#define FAIRSCHED_HOST_ID 2147483647

/* CPU weight range of fairsched_chwt(); OpenVZ's default weight is 500 (cpuunits 1000). */
#define FSCHWEIGHT_MIN 1
#define FSCHWEIGHT_MAX 65535

/* fairsched_rate() operations (OpenVZ's values). */
#define FAIRSCHED_SET_RATE 0
#define FAIRSCHED_DROP_RATE 1
#define FAIRSCHED_GET_RATE 2

/* Rate of one whole CPU: rate = cpulimit% * 1024 / 100. */
#define FAIRSCHED_RATE_ONE_CPU 1024

/*
 * Set the CPU weight of LVE `id`: 1..FSCHWEIGHT_MAX, smaller = more CPU.
 * cpuunits = 500000 / wght; the LVE's cpu_weight (cgroup v2 cpu.weight)
 * becomes cpuunits / 10 clamped to 1..10000 and is kept in the LVE's
 * limits (lvectl shows it). 0 or -1 (EINVAL: id 0 or wght out of range).
 */
int fairsched_chwt(unsigned int id, unsigned int wght);

/*
 * Set, drop or get the CPU limit of LVE `id` in 1/1024 of one CPU.
 * Container-wide (OpenVZ rhel5) semantics: the limit is a time quota over
 * all CPUs of the LVE. SET clamps rate to [10, 1024 * CPUs the LVE may run
 * on] (10 = 1% of a CPU, the kernel's minimum quota) and returns the limit
 * now in force; DROP returns 0; GET returns the limit in force (the lowest
 * of this rate, fairsched_vcpus() and lvectl's CPU limits) or fails with
 * ENODATA when there is none. EINVAL: id 0, unknown op, SET with rate 0 or
 * rate >= 2^31.
 */
int fairsched_rate(unsigned int id, int op, unsigned int rate);

/*
 * Number of virtual CPUs of LVE `id`, emulated as a CPU time quota of
 * vcpus whole CPUs (the limit in force is min(rate, vcpus * 1024)).
 * vcpus 0, or at least the number of online CPUs, removes the cap.
 */
int fairsched_vcpus(unsigned int id, unsigned int vcpus);

/*
 * CPU affinity of LVE `id`: the cpuset.cpus of its group. mask is `len`
 * bytes of a kernel cpumask (CPU n = bit n % (8 * sizeof(long)) of
 * mask[n / (8 * sizeof(long))]); it is intersected with the CPUs the
 * parent group may use. ENOSPC: no usable CPU left; EFAULT: mask NULL with
 * len > 0; EBUSY / EINVAL: refused by the kernel (a child cpuset not a
 * subset; exclusive cpusets); ENOMEM.
 */
int fairsched_cpumask(unsigned int id, unsigned int len, unsigned long *mask);

#ifdef __cplusplus
}
#endif

#endif
