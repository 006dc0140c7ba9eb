/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-ctl.h - the LVE userland API (CloudLinux liblve), as implemented by
 * openlve on stock kernels. Two layers, one library (liblve.so.0, liblve.a):
 *
 *  1. The seed API (liblve-userland-api.txt), exact signatures and return
 *     codes: lve_is_available, lve_set_default, lve_create, lve_destroy,
 *     lve_setup, lve_instance_init, lve_instance_destroy, lve_enter, lve_leave.
 *  2. The 1.x ABI that Apache/LiteSpeed/PHP modules dlopen (API version 1.3):
 *     init_lve, destroy_lve, lve_enter_flags, lve_exit, lve_setup_enter,
 *     lve_check_fault, is_in_lve, lve_get_api_version, lve_kapi_ver,
 *     lve_flush, lve_info, lve_setup_flags, lve_enter_pid, lve_leave_pid,
 *     lve_start.
 *
 * Where the 1.x header declares lve_create, lve_destroy, lve_setup and
 * lve_set_default with a `struct liblve *` first argument, the seed's
 * signatures below win (documented in liblve(3)).
 *
 * Return values are 0 or a negative errno unless noted.
 */
#ifndef OPENLVE_LVE_CTL_H
#define OPENLVE_LVE_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBLVE_API_MAJOR 1
#define LIBLVE_API_MINOR 3

struct liblve;

/* ------------------------------------------------------------ seed API */

/* 1 if LVE is available, 0 otherwise. */
int lve_is_available(void);

/* Admin: defaults for LVEs without their own limits. cpu: % of all cores, io: KB/s. */
int lve_set_default(uint32_t cpu, uint32_t io);
int lve_create(uint32_t ve_id);
int lve_destroy(uint32_t ve_id);
/* cpu, io: -1 = do not adjust. */
int lve_setup(uint32_t ve_id, int32_t cpu, int32_t io);

/* NULL: returns the size to allocate (> 0). Otherwise initializes it (0) or < 0 on error. */
int lve_instance_init(struct liblve *lve);
int lve_instance_destroy(struct liblve *lve);
/* uid, gid: not used, must be -1 ((uint32_t)-1). */
int lve_enter(struct liblve *lve, uint32_t ve_id, uint32_t uid, uint32_t gid, uint32_t *cookie);
int lve_leave(struct liblve *lve, uint32_t *cookie);

/* ------------------------------------------------------------- 1.x ABI */

enum liblve_enter_flags {
	LVE_NO_UBC = 1 << 0,
	LVE_NO_NAMESPACE = 1 << 1,
	LVE_NO_MAXENTER = 1 << 2,
	LVE_SILENCE = 1 << 3,
};

enum liblve_ve_flags {
	LVE_VE_DISABLE = 1 << 0,
};

enum liblve_ve_fails {
	LVE_FAIL_MEM = 1 << 0,
	LVE_FAIL_MEM_PHY = 1 << 1,
	LVE_FAIL_NPROC = 1 << 2,
};

/*
 * Units (openlve): ls_cpu SPEED in hundredths of a percent of one core
 * (10000 = one core); ls_cpus NCPU cores; ls_io KB/s; ls_enters EP;
 * ls_memory VMEM and ls_memory_phy PMEM in 4 KiB pages; ls_cpu_weight the
 * cgroup v2 cpu.weight 1..10000 (100 = default, 0 = default);
 * ls_nproc processes+threads; ls_iops operations/s.
 * 0 = unlimited; a negative value = leave unchanged.
 */
struct liblve_settings {
	int32_t ls_cpu;
	int32_t ls_cpus;
	int32_t ls_io;
	int32_t ls_enters;
	int32_t ls_memory;
	int32_t ls_cpu_weight;
	int32_t ls_memory_phy;
	int32_t ls_nproc;
	int32_t ls_iops;
};

struct liblve_info {
	struct liblve_settings li_set;
	enum liblve_ve_flags li_flags;
};

typedef void *(*liblve_alloc)(size_t size);
typedef void (*liblve_free)(void *ptr);

/* NULL + errno on failure. free may be NULL (memory is then never freed). */
struct liblve *init_lve(liblve_alloc alloc, liblve_free free);
int destroy_lve(struct liblve *lve);
int lve_enter_flags(struct liblve *lve, uint32_t lve_id, uint32_t *cookie, enum liblve_enter_flags flags);
/* Same as lve_leave; lve may be NULL. */
int lve_exit(struct liblve *lve, uint32_t *cookie);
int lve_setup_enter(struct liblve *lve, uint32_t ve_id, struct liblve_settings *set, uint32_t *cookie,
		    enum liblve_enter_flags flags);
/* liblve_ve_fails bits seen since the last call (cleared on read). */
int lve_check_fault(struct liblve *lve, uint32_t *failmask);
/* 1 inside an LVE, 0 outside, < 0 on error. */
int is_in_lve(struct liblve *lve);
/* LIBLVE_API_MAJOR << 16 | LIBLVE_API_MINOR */
uint32_t lve_get_api_version(void);
/* Version of the "kernel" interface: the /proc/lve/list format version openlve serves (6). */
uint32_t lve_kapi_ver(struct liblve *lve);

int lve_flush(struct liblve *lve, int all);
int lve_info(struct liblve *lve, uint32_t ve_id, struct liblve_info *info);
int lve_setup_flags(struct liblve *lve, uint32_t ve_id, enum liblve_ve_flags flags);
int lve_enter_pid(struct liblve *lve, uint32_t ve_id, pid_t pid);
int lve_leave_pid(struct liblve *lve, pid_t pid);
int lve_start(struct liblve *lve);

#ifdef __cplusplus
}
#endif

#endif
