/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vecfg.h - /etc/container/ve.cfg, CloudLinux's XML limit store (internal to
 * liblve; used by lvectl, lved and the bench). Read and written with libxml2.
 *
 *   <lveconfig>
 *     <defaults> <cpu limit="100%"/> <pmem limit="262144"/> ... </defaults>
 *     <package id="Starter"> ... </package>
 *     <lve id="532"> <cpu limit="30"/> <ncpu limit="5"/> </lve>
 *   </lveconfig>
 *
 * Elements of a section and their units as stored in the file:
 *   <cpu limit="N"/>        old CPU: N % of ALL cores
 *   <cpu limit="N%"/>       SPEED: N % of ONE core (N may have 2 decimals)
 *   <cpu limit="Nmhz"/>     SPEED given as a frequency (also "Nghz" on input;
 *                           written back as mhz); converted with the CPU's
 *                           maximum frequency when applied
 *   <ncpu limit="N"/>       cores
 *   <io limit="N"/>         KB/s
 *   <iops limit="N"/>       operations/s
 *   <mem limit="N"/>        VMEM, 4096-byte pages
 *   <pmem limit="N"/>       PMEM, 4096-byte pages
 *   <nproc limit="N"/>      processes + threads
 *   <other maxentryprocs="N"/>  EP
 * 0 means unlimited everywhere. Everything else in the file (unknown
 * elements, attributes, comments) is kept when the file is rewritten.
 *
 * The parse / serialize / query functions are pure (no file access) and
 * fuzzed; vecfg_load / vecfg_store do the file side: read, and atomic
 * replace (temp + fsync + rename) under an exclusive flock on
 * "<dir>/.<name>.lock", held by the caller across read-modify-write.
 *
 * All functions return 0/positive or -errno; outputs written on success only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lve/openlve.h"
#include "macro.h"

/* Fields of struct vecfg_limits (which elements a section sets). */
enum vecfg_field {
	VECFG_F_CPU = 1u << 0, /* cpu (old CPU or SPEED, see cpu_unit) */
	VECFG_F_NCPU = 1u << 1,
	VECFG_F_IO = 1u << 2,
	VECFG_F_IOPS = 1u << 3,
	VECFG_F_MEM = 1u << 4, /* VMEM */
	VECFG_F_PMEM = 1u << 5,
	VECFG_F_NPROC = 1u << 6,
	VECFG_F_EP = 1u << 7,
	VECFG_F_ALL = (1u << 8) - 1,
};

enum vecfg_cpu_unit {
	VECFG_CPU_PCT_ALL = 0, /* cpu = % of all cores (old CPU) */
	VECFG_CPU_SPEED = 1,   /* cpu = hundredths of % of one core (10000 = 1 core) */
	VECFG_CPU_MHZ = 2,     /* cpu = MHz */
};

struct vecfg_limits {
	uint32_t mask; /* enum vecfg_field */
	enum vecfg_cpu_unit cpu_unit;
	uint64_t cpu;
	uint32_t ncpu;
	uint32_t io;
	uint32_t iops;
	uint64_t mem_pages;
	uint64_t pmem_pages;
	uint32_t nproc;
	uint32_t ep;
};

/* Upper bounds accepted in the file (and from lvectl). */
#define VECFG_SPEED_MAX (100000u * 100u) /* 100000 % = 1000 cores */
#define VECFG_MHZ_MAX   100000000u
#define VECFG_PAGES_MAX                                                                            \
	((uint64_t)INT64_MAX / 4096) /* the kernel takes bytes as a signed 64-bit number */

enum vecfg_kind {
	VECFG_DEFAULTS,
	VECFG_LVE,
	VECFG_PACKAGE,
	VECFG_RESELLER,          /* <reseller id=R>: the reseller's total (lvectl set-reseller) */
	VECFG_RESELLER_DEFAULTS, /* <resellerdefaults id=R>: its customers' defaults */
};

/* Which section: defaults, <lve id=ID>, or <package id=NAME>. */
struct vecfg_key {
	enum vecfg_kind kind;
	uint32_t id;      /* VECFG_LVE, VECFG_RESELLER, VECFG_RESELLER_DEFAULTS */
	const char *name; /* VECFG_PACKAGE */
};

/* Where and why parsing failed (line 0 when unknown). */
struct vecfg_error {
	int line;
	char msg[200];
};

struct vecfg;

/* An empty configuration (<lveconfig/>). */
_hidden_ int vecfg_new(struct vecfg **out);
/*
 * Parse ve.cfg text. Malformed XML, a root that is not <lveconfig>, a DTD,
 * a bad / negative / overflowing number, a missing or bad id, a duplicate
 * section or element -> -EINVAL (-ENOMEM on allocation failure) with
 * err (if not NULL) filled: line and message.
 */
_hidden_ int vecfg_parse(const char *text, size_t len, struct vecfg **out, struct vecfg_error *err);
/* UTF-8 XML text of the whole document; *out malloc'd and NUL-terminated. */
_hidden_ int vecfg_serialize(const struct vecfg *c, char **out, size_t *len);
_hidden_ void vecfg_free(struct vecfg *c);
static inline void vecfg_freep(struct vecfg **c)
{
	if (*c)
		vecfg_free(*c);
}
#define _cleanup_vecfg_ _cleanup_(vecfg_freep)

/* Limits a section sets (mask may be 0). -ENOENT when the section does not exist. */
_hidden_ int vecfg_get(const struct vecfg *c, const struct vecfg_key *key,
                       struct vecfg_limits *out);
/*
 * Set the fields of lim->mask in a section, creating the section when
 * missing. Fields not in the mask are kept. Values are validated
 * (-EINVAL, -ERANGE); on error nothing is changed.
 */
_hidden_ int vecfg_set(struct vecfg *c, const struct vecfg_key *key,
                       const struct vecfg_limits *lim);
/*
 * lvectl --save-username: the user="NAME" attribute of <lve id=ID> (the
 * section is created when missing; NAME 1..255 bytes without control
 * characters or '/'). Readers of ve.cfg ignore it; it records whose LVE it is.
 */
_hidden_ int vecfg_set_user(struct vecfg *c, uint32_t id, const char *user);
/*
 * Reseller limits (openlve's ve.cfg form, ve.cfg(5)):
 *   <reseller id="R" user="NAME"> limit elements </reseller>   the reseller's total
 *   <resellerdefaults id="R"> limit elements </resellerdefaults> its customers' defaults
 *   <lve id="C" reseller="R">                                    C is R's customer
 * A customer's LVE lives inside the reseller's cgroup, so the kernel caps
 * the customers' sum. vecfg_lve_reseller: R of LVE id (0 = none);
 * vecfg_set_lve_reseller: set (R != 0) or clear (R = 0) it, creating the
 * <lve> section when missing. Parsing refuses reseller="0", a bad number,
 * and an LVE naming a reseller without a <reseller> section (-EINVAL).
 */
_hidden_ uint32_t vecfg_lve_reseller(const struct vecfg *c, uint32_t id);
_hidden_ int vecfg_set_lve_reseller(struct vecfg *c, uint32_t id, uint32_t reseller);
/* Ids of <reseller> sections, ascending; *ids malloc'd (NULL when 0). Returns the count. */
_hidden_ int vecfg_reseller_ids(const struct vecfg *c, uint32_t **ids);
/* user="NAME" of <reseller id=R> (borrowed; NULL when none). */
_hidden_ const char *vecfg_reseller_user(const struct vecfg *c, uint32_t id);
_hidden_ int vecfg_set_reseller_user(struct vecfg *c, uint32_t id, const char *user);
/* Remove the elements of `mask` from a section (the section stays). -ENOENT if absent. */
_hidden_ int vecfg_unset(struct vecfg *c, const struct vecfg_key *key, uint32_t mask);
/* Remove a whole section. -ENOENT if absent; defaults cannot be deleted (-EINVAL). */
_hidden_ int vecfg_delete(struct vecfg *c, const struct vecfg_key *key);

/* Ids of the <lve> sections, ascending; *ids malloc'd (NULL when 0). Returns the count. */
_hidden_ int vecfg_lve_ids(const struct vecfg *c, uint32_t **ids);
/* Number of <package> sections and the i-th name (sorted by name; borrowed). */
_hidden_ size_t vecfg_n_packages(const struct vecfg *c);
_hidden_ const char *vecfg_package_name(const struct vecfg *c, size_t i);

/* Copy the fields of over->mask onto base (the cpu element replaces the cpu element). */
_hidden_ void vecfg_limits_merge(struct vecfg_limits *base, const struct vecfg_limits *over);
/* Built-in defaults (olve_limits_default) in ve.cfg units, every field set. */
_hidden_ void vecfg_limits_builtin(struct vecfg_limits *out);
/*
 * Effective limits of LVE `id`: built-in <- <defaults> <- <resellerdefaults id=R> (when
 * <lve id> names reseller R) <- <package name=package>
 * (package may be NULL or not present in the file) <- <lve id=id>, field by field.
 * id 0 = the defaults themselves (no package, no lve section).
 */
_hidden_ void vecfg_effective(const struct vecfg *c, uint32_t id, const char *package,
                              struct vecfg_limits *out);
/*
 * Convert to olve_limits (every field but cpu_weight set in the mask).
 * cpu_mhz = the CPU's maximum frequency, needed only for VECFG_CPU_MHZ
 * (0 there -> -EOPNOTSUPP). Overflow -> -ERANGE.
 */
_hidden_ int vecfg_to_olve(const struct vecfg_limits *v, uint32_t cpu_mhz, struct olve_limits *out);

/* Text of a limit value as stored in the file ("100%", "25", "2400mhz", "262144"). */
_hidden_ int vecfg_format_cpu(const struct vecfg_limits *v, char *buf, size_t size);
/*
 * Parse a cpu limit attribute: "N" (old CPU), "N%" / "N.NN%" (SPEED),
 * "Nmhz" / "Nghz" / "N.Nghz" (SPEED as frequency). Case-insensitive unit.
 */
_hidden_ int vecfg_parse_cpu(const char *s, enum vecfg_cpu_unit *unit, uint64_t *value);

/* The CPU's maximum frequency in MHz (cpufreq cpuinfo_max_freq, else /proc/cpuinfo "cpu MHz"). */
_hidden_ int vecfg_cpu_max_mhz(uint32_t *mhz);

/* ------------------------------------------------------------------ files */

/*
 * Take the lock of ve.cfg at `path`: the file "<dir>/.<name>.lock" (created
 * 0600), flock LOCK_EX (or LOCK_SH when !exclusive). Creates the directory
 * (one level, 0755) when `create_dir`. Returns the lock fd (close to unlock).
 */
_hidden_ int vecfg_lock(const char *path, bool exclusive, bool create_dir);
/*
 * [issue 10] O_DIRECTORY fd of path's directory (created, one level, when
 * `create_dir`), *base = the last component. Run by root on an absolute
 * path, the path must be root's and not writable by others (-EPERM).
 */
_hidden_ int vecfg_open_parent(const char *path, bool create_dir, const char **base);
/*
 * Read and parse ve.cfg. A missing file gives an empty configuration and
 * returns 0; a present file returns 1. Parse errors -> -EINVAL with err.
 */
_hidden_ int vecfg_load(const char *path, struct vecfg **out, struct vecfg_error *err);
/* Serialize and atomically replace `path` (mode 0644). Caller holds the lock. */
_hidden_ int vecfg_store(const char *path, const struct vecfg *c);

/* ----------------------------------------------------------------- apply */

struct pkg_map;

struct vecfg_apply_result {
	size_t n_ok;        /* LVEs applied */
	size_t n_failed;    /* LVEs that failed */
	uint32_t failed_id; /* first failure */
	int failed_err;     /* its -errno */
};

/* Apply the effective limits of `id` (package may be NULL). */
_hidden_ int vecfg_apply_one(struct olve *h, const struct vecfg *c, uint32_t id,
                             const char *package, uint32_t cpu_mhz);
/*
 * `lvectl apply all`: every LVE that exists, every <lve id> of the file and
 * every user of `pm` (may be NULL) whose package has a <package> section
 * get their effective limits. Goes on after a failure; returns 0 when all
 * succeeded, else the first failure's -errno (details in *res, may be NULL).
 */
_hidden_ int vecfg_apply_all(struct olve *h, const struct vecfg *c, const struct pkg_map *pm,
                             uint32_t cpu_mhz, struct vecfg_apply_result *res);
