/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * convert.c - THE one place where cgroup v1 and cgroup v2 settings are
 * translated into each other. liblve models LVE limits with v2 meaning and
 * converts them here for v1 hierarchies; cgroup_convert_cgroup() exposes it.
 *
 * Table (v1 setting <-> v2 setting), "exact" = a round trip in that
 * direction gives back the same text:
 *
 *   cpu.shares                      <-> cpu.weight        see "cpu weight" below
 *   cpu.cfs_quota_us (+ period)     <-> cpu.max           -1 <-> "max"; exact both ways
 *   cpu.cfs_burst_us                <-> cpu.max.burst     renamed, same unit
 *   cpu.idle, cpuset.cpus, cpuset.mems, pids.max, pids.current, pids.events,
 *   cgroup.procs, rdma.*, misc.*                          copied (same name and meaning)
 *   cpuset.effective_{cpus,mems}    <-> cpuset.{cpus,mems}.effective   renamed
 *   cpuset.cpu_exclusive 0/1        <-> cpuset.cpus.partition member/root
 *                                       ("isolated" has no v1 counterpart)
 *   memory.limit_in_bytes           <-> memory.max        see "memory limits"
 *   memory.soft_limit_in_bytes      <-> memory.low        see "soft limit"
 *   memory.memsw.limit_in_bytes     <-> memory.swap.max   see "swap"
 *   memory.usage_in_bytes           <-> memory.current    renamed (read-only)
 *   memory.max_usage_in_bytes       <-> memory.peak       renamed (read-only)
 *   hugetlb.<size>[.rsvd].limit_in_bytes <-> hugetlb.<size>[.rsvd].max  like memory.max
 *   hugetlb.<size>[.rsvd].usage_in_bytes <-> hugetlb.<size>[.rsvd].current
 *   blkio.throttle.{read,write}_{bps,iops}_device <-> io.max   see "io.max"
 *   blkio.weight + blkio.weight_device <-> io.weight      see "io weight"
 *   blkio.bfq.weight + blkio.bfq.weight_device <-> io.bfq.weight  same scale (1..1000)
 *
 * A setting that already belongs to the target version is copied as is.
 * memory.high, memory.min, cpu.weight.nice, cgroup.freeze, freezer.state,
 * cpu.rt_*, memory.swappiness, ... have no counterpart: -EOPNOTSUPP.
 * The "cgroup" v2 core files and freezer are not translated (different
 * controller names); the caller handles them.
 *
 * An empty value only names a setting (libcgroup uses that to ask which
 * settings to read): it converts to the counterpart name(s) with an empty,
 * not dirty, value. Copied settings keep their text and dirty flag.
 *
 * cpu weight. The OCI mapping of [2, 262144] onto [1, 10000] used by runc
 * (libcontainer/cgroups ConvertCPUSharesToCgroupV2Value, "262144 comes from
 * Linux kernel definition MAX_SHARES"), crun (crun.1.md, "CPU controller")
 * and Kubernetes (KEP-2254 "phase 1: convert from cgroups v1 settings to v2"):
 *     weight = 1 + ((shares - 2) * 9999) / 262142
 * shares are first clamped to [2, 262144] as the kernel does on write. The
 * inverse used by Kubernetes/crun is shares = 2 + ((weight - 1) * 262142) / 9999,
 * which rounds down and so does not give the weight back (100 -> 2597 -> 99).
 * We round it up instead:
 *     shares = 2 + ceil((weight - 1) * 262142 / 9999)
 * so weight -> shares -> weight is exact for every weight 1..10000; shares ->
 * weight -> shares is lossy (one weight step covers ~26.2 shares): the result
 * is <= the original and at most 26 below it. Note the linear map does not
 * keep the defaults: shares 1024 -> weight 39, weight 100 -> shares 2598
 * (runc >= 1.3.2 / crun >= 1.23 switched to a quadratic formula for that;
 * libcgroup itself scales by 100/1024). LVEs converted here all use the
 * same formula, so their relative weights are kept.
 *
 * io weight. runc's ConvertBlkIOToIOWeightValue: io = 1 + (blkio - 10) * 9999 / 990
 * (blkio 10..1000 onto io 1..10000; blkio 1..9, BFQ's extra range, counts as 10).
 * Inverse rounded up: blkio = 10 + ceil((io - 1) * 990 / 9999). blkio -> io ->
 * blkio is exact for 10..1000; io -> blkio -> io is lossy (one blkio step is
 * ~10.1 io steps): the result is >= the original and at most 10 above it. io.weight is written as "default N" plus "MAJ:MIN N" lines;
 * a bare "N" means "default N". A per-device "default" <-> v1 weight 0 (which
 * removes the device rule in v1).
 *
 * io.max. The four v1 files ("MAJ:MIN N" per line, N = 0 removes the limit)
 * are combined per device into io.max lines "MAJ:MIN rbps=N wbps=N riops=N
 * wiops=N" with v1 0 <-> "max". A key is written only when its v1 file lists
 * the device, so converting one v1 file never clears the other three limits
 * of that device; converting all four files read from the kernel gives full
 * lines. v2 -> v1 writes one line per device into each file whose key occurs.
 * v2 value 0 is rejected (-EINVAL) as the kernel does. Devices are sorted by
 * major:minor in the output; both directions are exact for sorted input.
 * Multi-line values are returned with '\n' between lines: the kernel parses
 * one device per write(2), so they must be written line by line.
 *
 * memory limits. v1 "-1", and any value of 9223372036854710272 (LONG_MAX
 * rounded down to 64 KiB pages) or more, including what v1 reads back for
 * "no limit" (9223372036854771712 with 4 KiB pages), is v2 "max"; v2 "max" is
 * v1 "-1". Numbers are passed through as text (K/M/G/T/P/E suffixes, as the
 * kernel's memparse() accepts them in both versions). Exact both ways except
 * that the large v1 numbers come back as "-1".
 *
 * soft limit. v1's soft limit is the reclaim priority under global memory
 * pressure (groups above it are reclaimed first), which is what v2's
 * memory.low expresses as best-effort protection; runc and crun write the
 * OCI "memory.reservation" to memory.soft_limit_in_bytes on v1 and to
 * memory.low on v2. memory.high throttles even without global pressure and
 * has no v1 counterpart: -EOPNOTSUPP. (libcgroup maps soft limit <-> high.)
 *
 * swap. v1 memory.memsw.limit_in_bytes limits memory + swap, v2
 * memory.swap.max limits swap alone, so the conversion needs the memory
 * limit of the same controller: swap.max = memsw - limit_in_bytes and
 * memsw = memory.max + swap.max. Without the partner, or with an unlimited
 * memory limit and a finite swap limit, there is no counterpart
 * (-EOPNOTSUPP); memsw below the memory limit is -EINVAL (v1 refuses it).
 * Unlimited maps to unlimited. Exact both ways for byte values. On v1 the
 * kernel needs memsw >= limit at every moment: write memsw first when
 * raising and limit first when lowering.
 *
 * cpu.max. v1 -1 (any negative quota means "no limit" to the v1 kernel)
 * <-> "max". A quota without a period converts to cpu.max "QUOTA" (v2 keeps
 * the period); a period without a quota cannot be expressed in cpu.max:
 * -EOPNOTSUPP.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-internal.h"
#include "fileio.h"

/* Any memory limit at or above this means "no limit" for page sizes up to 64 KiB. */
#define CG_MEM_UNLIMITED_MIN ((uint64_t)INT64_MAX - 65535)

#define CPU_SHARES_MIN 2ULL
#define CPU_SHARES_MAX 262144ULL
#define CPU_WEIGHT_MIN 1ULL
#define CPU_WEIGHT_MAX 10000ULL
#define BLKIO_WEIGHT_MIN 10ULL
#define BLKIO_WEIGHT_MAX 1000ULL
#define BFQ_WEIGHT_MIN 1ULL
#define BFQ_WEIGHT_MAX 1000ULL

enum conv_kind {
	CK_COPY,        /* same name and meaning in both versions */
	CK_COPY_LIST,   /* same, value is a cpu/node list (checked) */
	CK_COPY_MAX,    /* same, value is "max" or a number (checked) */
	CK_RENAME,      /* same meaning and text, other name */
	CK_RENAME_LIST, /* same, value is a list (checked) */
	CK_MEM,         /* memory-style limit: -1 <-> max */
	CK_CPU_WEIGHT,  /* cpu.shares <-> cpu.weight */
	CK_CPU_MAX,     /* cpu.cfs_quota_us + cpu.cfs_period_us <-> cpu.max */
	CK_SWAP,        /* memory.memsw.limit_in_bytes <-> memory.swap.max */
	CK_PARTITION,   /* cpuset.cpu_exclusive <-> cpuset.cpus.partition */
	CK_IO_MAX,      /* blkio.throttle.* <-> io.max */
	CK_IO_WEIGHT,   /* blkio.weight(_device) <-> io.weight */
	CK_BFQ_WEIGHT,  /* blkio.bfq.weight(_device) <-> io.bfq.weight */
};

struct conv_map {
	const char *v1;
	const char *v2;
	enum conv_kind kind;
};

static const struct conv_map conv_table[] = {
	{ "cpu.shares", "cpu.weight", CK_CPU_WEIGHT },
	{ "cpu.cfs_quota_us", "cpu.max", CK_CPU_MAX },
	{ "cpu.cfs_period_us", "cpu.max", CK_CPU_MAX },
	{ "cpu.cfs_burst_us", "cpu.max.burst", CK_RENAME },
	{ "cpu.idle", "cpu.idle", CK_COPY },
	{ "cpuset.cpus", "cpuset.cpus", CK_COPY_LIST },
	{ "cpuset.mems", "cpuset.mems", CK_COPY_LIST },
	{ "cpuset.effective_cpus", "cpuset.cpus.effective", CK_RENAME_LIST },
	{ "cpuset.effective_mems", "cpuset.mems.effective", CK_RENAME_LIST },
	{ "cpuset.cpu_exclusive", "cpuset.cpus.partition", CK_PARTITION },
	{ "memory.limit_in_bytes", "memory.max", CK_MEM },
	{ "memory.soft_limit_in_bytes", "memory.low", CK_MEM },
	{ "memory.memsw.limit_in_bytes", "memory.swap.max", CK_SWAP },
	{ "memory.usage_in_bytes", "memory.current", CK_RENAME },
	{ "memory.max_usage_in_bytes", "memory.peak", CK_RENAME },
	{ "blkio.throttle.read_bps_device", "io.max", CK_IO_MAX },
	{ "blkio.throttle.write_bps_device", "io.max", CK_IO_MAX },
	{ "blkio.throttle.read_iops_device", "io.max", CK_IO_MAX },
	{ "blkio.throttle.write_iops_device", "io.max", CK_IO_MAX },
	{ "blkio.weight", "io.weight", CK_IO_WEIGHT },
	{ "blkio.weight_device", "io.weight", CK_IO_WEIGHT },
	{ "blkio.bfq.weight", "io.bfq.weight", CK_BFQ_WEIGHT },
	{ "blkio.bfq.weight_device", "io.bfq.weight", CK_BFQ_WEIGHT },
	{ "pids.max", "pids.max", CK_COPY_MAX },
	{ "pids.current", "pids.current", CK_COPY },
	{ "pids.events", "pids.events", CK_COPY },
	{ "cgroup.procs", "cgroup.procs", CK_COPY },
	{ "rdma.max", "rdma.max", CK_COPY },
	{ "rdma.current", "rdma.current", CK_COPY },
	{ "misc.max", "misc.max", CK_COPY },
	{ "misc.current", "misc.current", CK_COPY },
};

/* Settings of one version only, without a counterpart. */
static const char *const v1_only[] = {
	"tasks",
	"notify_on_release",
	"release_agent",
	"cgroup.clone_children",
	"cgroup.sane_behavior",
	"memory.failcnt",
	"memory.force_empty",
	"memory.swappiness",
	"memory.move_charge_at_immigrate",
	"memory.oom_control",
	"memory.use_hierarchy",
	"memory.pressure_level",
	"cpuset.mem_exclusive",
	"cpuset.mem_hardwall",
	"cpuset.memory_migrate",
	"cpuset.memory_pressure",
	"cpuset.memory_pressure_enabled",
	"cpuset.memory_spread_page",
	"cpuset.memory_spread_slab",
	"cpuset.sched_load_balance",
	"cpuset.sched_relax_domain_level",
};

static const char *const v1_prefixes[] = {
	"blkio.", "cpuacct.", "devices.", "freezer.", "net_cls.", "net_prio.",
	"memory.kmem.", "memory.memsw.", "cpu.rt_",
};

static const char *const v2_only[] = {
	"cgroup.controllers",
	"cgroup.subtree_control",
	"cgroup.type",
	"cgroup.threads",
	"cgroup.events",
	"cgroup.freeze",
	"cgroup.kill",
	"cgroup.max.depth",
	"cgroup.max.descendants",
	"cgroup.stat",
	"cgroup.pressure",
	"cpu.weight.nice",
	"cpu.pressure",
	"memory.min",
	"memory.high",
	"memory.events",
	"memory.events.local",
	"memory.oom.group",
	"memory.reclaim",
	"memory.pressure",
	"cpuset.cpus.exclusive",
	"cpuset.cpus.exclusive.effective",
	"cpuset.cpus.isolated",
	"irq.pressure",
	"pids.peak",
	"misc.events",
};

static const char *const v2_prefixes[] = {
	"io.", "memory.swap.", "memory.zswap.", "cpu.uclamp.",
};

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ------------------------------------------------------------ hugetlb */

static const struct {
	const char *v1;
	const char *v2;
	enum conv_kind kind;
} hugetlb_suffixes[] = {
	{ ".limit_in_bytes", ".max", CK_MEM },
	{ ".usage_in_bytes", ".current", CK_RENAME },
};

/*
 * "hugetlb.2MB.limit_in_bytes" <-> "hugetlb.2MB.max" (also ".rsvd." forms).
 * Returns the kind and the counterpart name in buf, or -1 when no match.
 */
static int hugetlb_counterpart(const char *name, enum cg_version_t from, char *buf, size_t size)
{
	if (!has_prefix(name, "hugetlb.") || strlen(name) >= size)
		return -1;
	for (size_t i = 0; i < ELEMENTSOF(hugetlb_suffixes); i++) {
		const char *sfx = from == CGROUP_V1 ? hugetlb_suffixes[i].v1 : hugetlb_suffixes[i].v2;
		const char *osfx = from == CGROUP_V1 ? hugetlb_suffixes[i].v2 : hugetlb_suffixes[i].v1;
		size_t base = strlen(name) - strlen(sfx);

		/* need "hugetlb.<size>" before the suffix */
		if (!has_suffix(name, sfx) || base <= strlen("hugetlb."))
			continue;
		if (base + strlen(osfx) >= size)
			return -1;
		memcpy(buf, name, base);
		strcpy(buf + base, osfx);
		return (int)hugetlb_suffixes[i].kind;
	}
	return -1;
}

/* -------------------------------------------------------------- version */

_hidden_ enum cg_version_t cg_setting_version(const char *setting)
{
	char buf[256];

	if (!setting)
		return CGROUP_UNK;
	for (size_t i = 0; i < ELEMENTSOF(conv_table); i++) {
		bool is1 = strcmp(setting, conv_table[i].v1) == 0;
		bool is2 = strcmp(setting, conv_table[i].v2) == 0;

		if (is1 && is2)
			return CGROUP_UNK;
		if (is1)
			return CGROUP_V1;
		if (is2)
			return CGROUP_V2;
	}
	for (size_t i = 0; i < ELEMENTSOF(v1_only); i++)
		if (strcmp(setting, v1_only[i]) == 0)
			return CGROUP_V1;
	for (size_t i = 0; i < ELEMENTSOF(v2_only); i++)
		if (strcmp(setting, v2_only[i]) == 0)
			return CGROUP_V2;
	for (size_t i = 0; i < ELEMENTSOF(v1_prefixes); i++)
		if (has_prefix(setting, v1_prefixes[i]))
			return CGROUP_V1;
	for (size_t i = 0; i < ELEMENTSOF(v2_prefixes); i++)
		if (has_prefix(setting, v2_prefixes[i]))
			return CGROUP_V2;
	if (hugetlb_counterpart(setting, CGROUP_V1, buf, sizeof(buf)) >= 0)
		return CGROUP_V1;
	if (hugetlb_counterpart(setting, CGROUP_V2, buf, sizeof(buf)) >= 0)
		return CGROUP_V2;
	/* cpu.stat, memory.stat, ...: in both (with other contents), or unknown. */
	return CGROUP_UNK;
}

/* ------------------------------------------------------------- parsing */

static bool is_blank(const char *v)
{
	return !v || !*v;
}

/* Value text without one trailing newline. */
static char *text_dup(const char *v)
{
	size_t n = strlen(v);

	if (n > 0 && v[n - 1] == '\n')
		n--;
	return strndup(v, n);
}

static bool is_max(const char *v)
{
	return strcmp(v, "max") == 0 || strcmp(v, "max\n") == 0;
}

/* The kernel's memparse(): C-notation number with an optional K/M/G/T/P/E suffix. */
static int parse_memparse(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case 'p': case 'P': shift = 50; break;
	case 'e': case 'E': shift = 60; break;
	default: break;
	}
	if (shift)
		end++;
	if (!(*end == 0 || (end[0] == '\n' && end[1] == 0)))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		v = UINT64_MAX;
	else
		v <<= shift;
	*bytes = v;
	return 0;
}

/* A memory limit of version `ver`; *bytes = UINT64_MAX when unlimited. */
static int parse_mem_limit(const char *s, enum cg_version_t ver, uint64_t *bytes)
{
	uint64_t b;
	int r;

	if (ver == CGROUP_V1 ? (strcmp(s, "-1") == 0 || strcmp(s, "-1\n") == 0) : is_max(s)) {
		*bytes = UINT64_MAX;
		return 0;
	}
	r = parse_memparse(s, &b);
	if (r < 0)
		return r;
	*bytes = b >= CG_MEM_UNLIMITED_MIN ? UINT64_MAX : b;
	return 0;
}

/* "MAJ:MIN" with decimal numbers that fit 32 bits. */
static int parse_devnum(const char *tok, uint32_t *maj, uint32_t *min)
{
	const char *colon = strchr(tok, ':');
	char buf[16];
	size_t n;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - tok);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, tok, n);
	buf[n] = 0;
	if (strchr(buf, '\n') || ol_parse_u32(buf, maj) < 0)
		return -EINVAL;
	if (strchr(colon + 1, '\n') || ol_parse_u32(colon + 1, min) < 0)
		return -EINVAL;
	return 0;
}

/* Unsigned decimal, no newline (used inside lines). */
static int parse_u64_token(const char *tok, uint64_t *v)
{
	if (strchr(tok, '\n'))
		return -EINVAL;
	return ol_parse_u64(tok, v) < 0 ? -EINVAL : 0;
}

/* A cpu/memory-node list: "", "N", "N-M", "N-M:a/b", comma separated. */
static bool valid_list(const char *s)
{
	const char *p = s;
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n == 0)
		return true;
	while ((size_t)(p - s) < n) {
		unsigned long long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return false;
		errno = 0;
		a = strtoull(p, &end, 10);
		if (errno)
			return false;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return false;
			b = strtoull(p, &end, 10);
			if (errno || b < a)
				return false;
			p = end;
			if (*p == ':') {
				unsigned long long used, grp;

				p++;
				if (!isdigit((unsigned char)*p))
					return false;
				used = strtoull(p, &end, 10);
				if (*end != '/' || !isdigit((unsigned char)end[1]))
					return false;
				p = end + 1;
				grp = strtoull(p, &end, 10);
				if (errno || used == 0 || grp == 0 || used > grp)
					return false;
				p = end;
			}
		}
		if ((size_t)(p - s) == n)
			break;
		if (*p != ',')
			return false;
		p++;
		if ((size_t)(p - s) == n)
			return false; /* trailing comma */
	}
	return true;
}

/* ---------------------------------------------------------- conversion */

struct conv {
	const struct cgroup_controller *in;
	struct cgroup_controller *tmp; /* results, merged into out on success */
	enum cg_version_t to;
	unsigned done; /* bit (1u << kind) for combined settings already handled */
};

static const char *in_get(const struct conv *cv, const char *name)
{
	for (int i = 0; i < cv->in->n_values; i++)
		if (strcmp(cv->in->values[i].name, name) == 0)
			return cv->in->values[i].value;
	return NULL;
}

/* Add one result; two inputs producing the same setting is a conflict. */
static int emit(struct conv *cv, const char *name, const char *value, bool dirty)
{
	if (cg_controller_find(cv->tmp, name))
		return -EINVAL;
	return cg_controller_put(cv->tmp, name, value, dirty);
}

static int emit_nameonly(struct conv *cv, const char *name)
{
	return emit(cv, name, "", false);
}

static int emit_fmt(struct conv *cv, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int emit_fmt(struct conv *cv, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return emit(cv, name, buf, true);
}

static int emit_text(struct conv *cv, const char *name, const char *value)
{
	_cleanup_free_ char *t = text_dup(value);

	if (!t)
		return -ENOMEM;
	return emit(cv, name, t, true);
}

/* Copy or rename: text unchanged, dirty flag kept. */
static int conv_copy(struct conv *cv, const struct cg_value *v, const char *out_name,
		     enum conv_kind kind)
{
	if (!is_blank(v->value)) {
		if ((kind == CK_COPY_LIST || kind == CK_RENAME_LIST) && !valid_list(v->value))
			return -EINVAL;
		if (kind == CK_COPY_MAX && !is_max(v->value)) {
			int64_t x;

			if (ol_parse_i64(v->value, &x) < 0 || x < 0)
				return -EINVAL;
		}
	}
	return emit(cv, out_name, v->value, v->dirty || !is_blank(v->value));
}

static int conv_mem(struct conv *cv, const char *value, const char *out_name)
{
	enum cg_version_t from = cv->to == CGROUP_V2 ? CGROUP_V1 : CGROUP_V2;
	uint64_t b;
	int r;

	if (is_blank(value))
		return emit_nameonly(cv, out_name);
	r = parse_mem_limit(value, from, &b);
	if (r < 0)
		return r;
	if (cv->to == CGROUP_V2)
		return b == UINT64_MAX ? emit(cv, out_name, "max", true) : emit_text(cv, out_name, value);
	/* to v1: only "max" changes; a huge number means the same to the v1 kernel */
	return is_max(value) ? emit(cv, out_name, "-1", true) : emit_text(cv, out_name, value);
}

static int conv_cpu_weight(struct conv *cv, const char *value)
{
	uint64_t x;

	if (cv->to == CGROUP_V2) {
		if (is_blank(value))
			return emit_nameonly(cv, "cpu.weight");
		if (ol_parse_u64(value, &x) < 0)
			return -EINVAL;
		if (x < CPU_SHARES_MIN)
			x = CPU_SHARES_MIN;
		if (x > CPU_SHARES_MAX)
			x = CPU_SHARES_MAX;
		return emit_fmt(cv, "cpu.weight", "%" PRIu64, 1 + ((x - 2) * 9999) / 262142);
	}
	if (is_blank(value))
		return emit_nameonly(cv, "cpu.shares");
	if (ol_parse_u64(value, &x) < 0 || x < CPU_WEIGHT_MIN || x > CPU_WEIGHT_MAX)
		return -EINVAL;
	return emit_fmt(cv, "cpu.shares", "%" PRIu64, 2 + ((x - 1) * 262142 + 9998) / 9999);
}

static int conv_cpu_max_to_v2(struct conv *cv)
{
	const char *q = in_get(cv, "cpu.cfs_quota_us");
	const char *p = in_get(cv, "cpu.cfs_period_us");
	char quota[32];
	int64_t qv;
	uint64_t pv;

	if (is_blank(q) && is_blank(p))
		return emit_nameonly(cv, "cpu.max");
	if (is_blank(q))
		return -EOPNOTSUPP; /* a period alone cannot be written to cpu.max */
	if (ol_parse_i64(q, &qv) < 0)
		return -EINVAL;
	if (qv < 0)
		strcpy(quota, "max");
	else
		snprintf(quota, sizeof(quota), "%" PRId64, qv);
	if (is_blank(p))
		return emit(cv, "cpu.max", quota, true);
	if (ol_parse_u64(p, &pv) < 0)
		return -EINVAL;
	return emit_fmt(cv, "cpu.max", "%s %" PRIu64, quota, pv);
}

/* Split s (copied) into at most `max` whitespace-separated tokens; -EINVAL if more. */
static int split_tokens(char *s, char **tok, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -EINVAL;
		tok[n++] = t;
	}
	return n;
}

static int conv_cpu_max_to_v1(struct conv *cv, const char *value)
{
	_cleanup_free_ char *s = NULL;
	char *tok[2] = { NULL, NULL };
	uint64_t x;
	int n, r;

	if (is_blank(value)) {
		r = emit_nameonly(cv, "cpu.cfs_quota_us");
		return r < 0 ? r : emit_nameonly(cv, "cpu.cfs_period_us");
	}
	s = text_dup(value);
	if (!s)
		return -ENOMEM;
	if (strchr(s, '\n'))
		return -EINVAL;
	n = split_tokens(s, tok, 2);
	if (n <= 0)
		return -EINVAL;
	if (strcmp(tok[0], "max") == 0)
		r = emit(cv, "cpu.cfs_quota_us", "-1", true);
	else if (parse_u64_token(tok[0], &x) < 0 || x > (uint64_t)INT64_MAX)
		return -EINVAL;
	else
		r = emit_fmt(cv, "cpu.cfs_quota_us", "%" PRIu64, x);
	if (r < 0 || n == 1)
		return r;
	if (parse_u64_token(tok[1], &x) < 0)
		return -EINVAL;
	return emit_fmt(cv, "cpu.cfs_period_us", "%" PRIu64, x);
}

static int conv_swap_to_v2(struct conv *cv)
{
	const char *memsw = in_get(cv, "memory.memsw.limit_in_bytes");
	const char *limit = in_get(cv, "memory.limit_in_bytes");
	uint64_t w, l;
	int r;

	if (is_blank(memsw))
		return emit_nameonly(cv, "memory.swap.max");
	r = parse_mem_limit(memsw, CGROUP_V1, &w);
	if (r < 0)
		return r;
	if (w == UINT64_MAX)
		return emit(cv, "memory.swap.max", "max", true);
	if (is_blank(limit))
		return -EOPNOTSUPP;
	r = parse_mem_limit(limit, CGROUP_V1, &l);
	if (r < 0)
		return r;
	if (l == UINT64_MAX)
		return -EOPNOTSUPP; /* memory unlimited, memory+swap limited: no v2 form */
	if (w < l)
		return -EINVAL;
	return emit_fmt(cv, "memory.swap.max", "%" PRIu64, w - l);
}

static int conv_swap_to_v1(struct conv *cv, const char *swap)
{
	const char *max = in_get(cv, "memory.max");
	uint64_t s, m;
	int r;

	if (is_blank(swap))
		return emit_nameonly(cv, "memory.memsw.limit_in_bytes");
	r = parse_mem_limit(swap, CGROUP_V2, &s);
	if (r < 0)
		return r;
	if (s == UINT64_MAX)
		return emit(cv, "memory.memsw.limit_in_bytes", "-1", true);
	if (is_blank(max))
		return -EOPNOTSUPP;
	r = parse_mem_limit(max, CGROUP_V2, &m);
	if (r < 0)
		return r;
	if (m == UINT64_MAX)
		return -EOPNOTSUPP; /* swap limited, memory not: no v1 form */
	if (s > UINT64_MAX - m || m + s >= CG_MEM_UNLIMITED_MIN)
		return emit(cv, "memory.memsw.limit_in_bytes", "-1", true);
	return emit_fmt(cv, "memory.memsw.limit_in_bytes", "%" PRIu64, m + s);
}

static int conv_partition(struct conv *cv, const char *value)
{
	size_t w;

	if (cv->to == CGROUP_V2) {
		if (is_blank(value))
			return emit_nameonly(cv, "cpuset.cpus.partition");
		if (strcmp(value, "1") == 0 || strcmp(value, "1\n") == 0)
			return emit(cv, "cpuset.cpus.partition", "root", true);
		if (strcmp(value, "0") == 0 || strcmp(value, "0\n") == 0)
			return emit(cv, "cpuset.cpus.partition", "member", true);
		return -EINVAL;
	}
	if (is_blank(value))
		return emit_nameonly(cv, "cpuset.cpu_exclusive");
	/* read back as "root", "member", "isolated" or "root invalid (reason)" */
	w = strcspn(value, " \t\n");
	if (w == 4 && strncmp(value, "root", 4) == 0)
		return emit(cv, "cpuset.cpu_exclusive", "1", true);
	if (w == 8 && strncmp(value, "isolated", 8) == 0)
		return -EOPNOTSUPP;
	if (strcmp(value, "member") == 0 || strcmp(value, "member\n") == 0)
		return emit(cv, "cpuset.cpu_exclusive", "0", true);
	return -EINVAL;
}

/* -------------------------------------------------- per-device settings */

enum { IO_RBPS, IO_WBPS, IO_RIOPS, IO_WIOPS, IO_NKEYS };

enum io_state {
	IO_UNSET = 0,
	IO_VALUE,
	IO_NOLIMIT, /* io.max "max" / v1 throttle 0; per-device weight "default" / v1 0 */
};

static const char *const io_keys[IO_NKEYS] = { "rbps", "wbps", "riops", "wiops" };
static const char *const io_v1_files[IO_NKEYS] = {
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
};

struct io_dev {
	uint32_t maj, min;
	uint8_t st[IO_NKEYS];
	uint64_t val[IO_NKEYS];
};

struct io_set {
	struct io_dev *d;
	size_t n, cap;
};

static void io_set_free(struct io_set *s)
{
	free(s->d);
	s->d = NULL;
	s->n = s->cap = 0;
}

static int io_dev_get(struct io_set *s, uint32_t maj, uint32_t min, struct io_dev **ret)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->d[i].maj == maj && s->d[i].min == min) {
			*ret = &s->d[i];
			return 0;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct io_dev *nd = reallocarray(s->d, cap, sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		s->d = nd;
		s->cap = cap;
	}
	memset(&s->d[s->n], 0, sizeof(s->d[s->n]));
	s->d[s->n].maj = maj;
	s->d[s->n].min = min;
	*ret = &s->d[s->n++];
	return 0;
}

static int io_dev_cmp(const void *a, const void *b)
{
	const struct io_dev *x = a, *y = b;

	if (x->maj != y->maj)
		return x->maj < y->maj ? -1 : 1;
	if (x->min != y->min)
		return x->min < y->min ? -1 : 1;
	return 0;
}

static void io_set_sort(struct io_set *s)
{
	if (s->n > 1)
		qsort(s->d, s->n, sizeof(s->d[0]), io_dev_cmp);
}

/* Call fn for each non-empty line of value (a private copy, '\n'-separated). */
static int for_each_line(const char *value, int (*fn)(char *line, void *ud), void *ud)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		r = fn(l, ud);
		if (r < 0)
			return r;
	}
	return 0;
}

struct v1_dev_ctx {
	struct io_set *set;
	int key;
};

/* A line "MAJ:MIN N" of a v1 per-device file (blkio.throttle.*, *weight_device). */
static int parse_v1_dev_value(char *line, uint32_t *maj, uint32_t *min, uint64_t *v)
{
	char *tok[2] = { NULL, NULL };

	if (split_tokens(line, tok, 2) != 2)
		return -EINVAL;
	if (parse_devnum(tok[0], maj, min) < 0 || parse_u64_token(tok[1], v) < 0)
		return -EINVAL;
	return 0;
}

/* "MAJ:MIN N" of a v1 per-device file; N = 0 -> no limit / default. */
static int parse_v1_dev_line(char *line, void *ud)
{
	struct v1_dev_ctx *c = ud;
	struct io_dev *d;
	uint32_t maj, min;
	uint64_t v;
	int r;

	if (parse_v1_dev_value(line, &maj, &min, &v) < 0)
		return -EINVAL;
	r = io_dev_get(c->set, maj, min, &d);
	if (r < 0)
		return r;
	d->st[c->key] = v == 0 ? IO_NOLIMIT : IO_VALUE;
	d->val[c->key] = v;
	return 0;
}

/* "MAJ:MIN key=value..." of io.max. */
static int parse_io_max_line(char *line, void *ud)
{
	struct io_set *set = ud;
	struct io_dev *d;
	char *save = NULL, *t;
	uint32_t maj, min;
	int r;

	t = strtok_r(line, " \t", &save);
	if (!t || parse_devnum(t, &maj, &min) < 0)
		return -EINVAL;
	r = io_dev_get(set, maj, min, &d);
	if (r < 0)
		return r;
	while ((t = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(t, '=');
		int k;

		if (!eq)
			return -EINVAL;
		*eq = 0;
		for (k = 0; k < IO_NKEYS; k++)
			if (strcmp(t, io_keys[k]) == 0)
				break;
		if (k == IO_NKEYS)
			return -EINVAL;
		if (strcmp(eq + 1, "max") == 0) {
			d->st[k] = IO_NOLIMIT;
			d->val[k] = 0;
		} else {
			uint64_t v;

			if (parse_u64_token(eq + 1, &v) < 0 || v == 0)
				return -EINVAL;
			d->st[k] = IO_VALUE;
			d->val[k] = v;
		}
	}
	return 0;
}

/* Build a '\n'-separated text with open_memstream. */
struct text {
	FILE *f;
	char *buf;
	size_t len;
	bool any;
};

static int text_open(struct text *t)
{
	memset(t, 0, sizeof(*t));
	t->f = open_memstream(&t->buf, &t->len);
	return t->f ? 0 : -ENOMEM;
}

static void text_line(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_line(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->any)
		fputc('\n', t->f);
	va_start(ap, fmt);
	vfprintf(t->f, fmt, ap);
	va_end(ap);
	t->any = true;
}

/* Close; returns the text (caller frees) or NULL on ENOMEM. */
static char *text_close(struct text *t)
{
	bool err = ferror(t->f);

	if (fclose(t->f) != 0 || err) {
		free(t->buf);
		return NULL;
	}
	return t->buf;
}

/* Close t and emit its text as setting `name`. */
static int text_emit(struct conv *cv, const char *name, struct text *t)
{
	_cleanup_free_ char *out = text_close(t);

	return out ? emit(cv, name, out, true) : -ENOMEM;
}

/*
 * The v1 per-device file `name` for key k of set (sorted): "MAJ:MIN N" for
 * each device with k set, N = 0 for no limit, else its value (through to_v1
 * when given). Nothing when no device has k set.
 */
static int emit_v1_dev_file(struct conv *cv, const char *name, const struct io_set *set, int k,
			    uint64_t (*to_v1)(uint64_t))
{
	struct text t;
	int r = text_open(&t);

	if (r < 0)
		return r;
	for (size_t i = 0; i < set->n; i++) {
		const struct io_dev *d = &set->d[i];

		if (d->st[k] == IO_UNSET)
			continue;
		text_line(&t, "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->maj, d->min,
			  d->st[k] == IO_NOLIMIT ? 0 : to_v1 ? to_v1(d->val[k]) : d->val[k]);
	}
	if (!t.any) {
		free(text_close(&t));
		return 0;
	}
	return text_emit(cv, name, &t);
}

static int conv_io_max_to_v2(struct conv *cv)
{
	struct io_set set = { 0 };
	struct text t;
	bool any_file = false, any_value = false;
	int r = 0;

	for (int k = 0; k < IO_NKEYS; k++) {
		const char *v = in_get(cv, io_v1_files[k]);
		struct v1_dev_ctx ctx = { &set, k };

		if (!v)
			continue;
		any_file = true;
		if (is_blank(v))
			continue;
		any_value = true;
		r = for_each_line(v, parse_v1_dev_line, &ctx);
		if (r < 0)
			goto out;
	}
	if (!any_file)
		goto out;
	if (!any_value) {
		r = emit_nameonly(cv, "io.max");
		goto out;
	}
	if (set.n == 0) {
		r = -EINVAL; /* only blank lines */
		goto out;
	}
	io_set_sort(&set);
	r = text_open(&t);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < set.n; i++) {
		const struct io_dev *d = &set.d[i];

		text_line(&t, "%" PRIu32 ":%" PRIu32, d->maj, d->min);
		for (int k = 0; k < IO_NKEYS; k++) {
			if (d->st[k] == IO_NOLIMIT)
				fprintf(t.f, " %s=max", io_keys[k]);
			else if (d->st[k] == IO_VALUE)
				fprintf(t.f, " %s=%" PRIu64, io_keys[k], d->val[k]);
		}
	}
	r = text_emit(cv, "io.max", &t);
out:
	io_set_free(&set);
	return r;
}

static int conv_io_max_to_v1(struct conv *cv, const char *value)
{
	struct io_set set = { 0 };
	int r = 0;

	if (is_blank(value)) {
		for (int k = 0; k < IO_NKEYS && r >= 0; k++)
			r = emit_nameonly(cv, io_v1_files[k]);
		return r;
	}
	r = for_each_line(value, parse_io_max_line, &set);
	if (r < 0)
		goto out;
	if (set.n == 0) {
		r = -EINVAL; /* only blank lines */
		goto out;
	}
	io_set_sort(&set);
	for (int k = 0; k < IO_NKEYS && r >= 0; k++)
		r = emit_v1_dev_file(cv, io_v1_files[k], &set, k, NULL);
out:
	io_set_free(&set);
	return r;
}

/* --------------------------------------------------------- io weights */

struct weight_scale {
	const char *v1_default; /* blkio.weight */
	const char *v1_device;  /* blkio.weight_device */
	const char *v2;         /* io.weight */
	uint64_t v1_min, v1_max, v2_min, v2_max;
	uint64_t (*to_v2)(uint64_t);
	uint64_t (*to_v1)(uint64_t);
};

static uint64_t blkio_to_io(uint64_t b)
{
	if (b < BLKIO_WEIGHT_MIN)
		b = BLKIO_WEIGHT_MIN;
	return 1 + (b - 10) * 9999 / 990;
}

static uint64_t io_to_blkio(uint64_t w)
{
	return 10 + ((w - 1) * 990 + 9998) / 9999;
}

static uint64_t weight_same(uint64_t w)
{
	return w;
}

static const struct weight_scale io_weight_scale = {
	"blkio.weight", "blkio.weight_device", "io.weight",
	1, BLKIO_WEIGHT_MAX, CPU_WEIGHT_MIN, CPU_WEIGHT_MAX,
	blkio_to_io, io_to_blkio,
};

static const struct weight_scale bfq_weight_scale = {
	"blkio.bfq.weight", "blkio.bfq.weight_device", "io.bfq.weight",
	BFQ_WEIGHT_MIN, BFQ_WEIGHT_MAX, BFQ_WEIGHT_MIN, BFQ_WEIGHT_MAX,
	weight_same, weight_same,
};

struct weight_ctx {
	const struct weight_scale *sc;
	struct io_set *set;
	bool has_default;
	uint64_t dflt; /* v2 scale */
	enum cg_version_t from;
};

static int weight_check(const struct weight_ctx *c, uint64_t v, enum cg_version_t ver)
{
	if (ver == CGROUP_V1)
		return v >= c->sc->v1_min && v <= c->sc->v1_max ? 0 : -EINVAL;
	return v >= c->sc->v2_min && v <= c->sc->v2_max ? 0 : -EINVAL;
}

/* v1 weight_device line "MAJ:MIN N" (0 = remove the device rule). */
static int parse_v1_weight_line(char *line, void *ud)
{
	struct weight_ctx *c = ud;
	struct io_dev *d;
	uint32_t maj, min;
	uint64_t v;
	int r;

	if (parse_v1_dev_value(line, &maj, &min, &v) < 0)
		return -EINVAL;
	if (v != 0 && weight_check(c, v, CGROUP_V1) < 0)
		return -EINVAL;
	r = io_dev_get(c->set, maj, min, &d);
	if (r < 0)
		return r;
	d->st[0] = v == 0 ? IO_NOLIMIT : IO_VALUE;
	d->val[0] = v == 0 ? 0 : c->sc->to_v2(v);
	return 0;
}

/* io.weight line: "default N", "N", "MAJ:MIN N" or "MAJ:MIN default". */
static int parse_v2_weight_line(char *line, void *ud)
{
	struct weight_ctx *c = ud;
	struct io_dev *d;
	char *tok[2] = { NULL, NULL };
	uint32_t maj, min;
	uint64_t v;
	int n, r;

	n = split_tokens(line, tok, 2);
	if (n == 1) {
		if (parse_u64_token(tok[0], &v) < 0 || weight_check(c, v, CGROUP_V2) < 0)
			return -EINVAL;
		c->has_default = true;
		c->dflt = v;
		return 0;
	}
	if (n != 2)
		return -EINVAL;
	if (strcmp(tok[0], "default") == 0) {
		if (parse_u64_token(tok[1], &v) < 0 || weight_check(c, v, CGROUP_V2) < 0)
			return -EINVAL;
		c->has_default = true;
		c->dflt = v;
		return 0;
	}
	if (parse_devnum(tok[0], &maj, &min) < 0)
		return -EINVAL;
	r = io_dev_get(c->set, maj, min, &d);
	if (r < 0)
		return r;
	if (strcmp(tok[1], "default") == 0) {
		d->st[0] = IO_NOLIMIT;
		d->val[0] = 0;
		return 0;
	}
	if (parse_u64_token(tok[1], &v) < 0 || weight_check(c, v, CGROUP_V2) < 0)
		return -EINVAL;
	d->st[0] = IO_VALUE;
	d->val[0] = v;
	return 0;
}

static int conv_weight_to_v2(struct conv *cv, const struct weight_scale *sc)
{
	const char *dflt = in_get(cv, sc->v1_default);
	const char *dev = in_get(cv, sc->v1_device);
	struct io_set set = { 0 };
	struct weight_ctx c = { .sc = sc, .set = &set };
	struct text t;
	int r = 0;

	if (is_blank(dflt) && is_blank(dev))
		return emit_nameonly(cv, sc->v2);
	if (!is_blank(dflt)) {
		uint64_t v;

		if (ol_parse_u64(dflt, &v) < 0 || weight_check(&c, v, CGROUP_V1) < 0)
			return -EINVAL;
		c.has_default = true;
		c.dflt = sc->to_v2(v);
	}
	if (!is_blank(dev)) {
		r = for_each_line(dev, parse_v1_weight_line, &c);
		if (r < 0)
			goto out;
	}
	io_set_sort(&set);
	r = text_open(&t);
	if (r < 0)
		goto out;
	if (c.has_default)
		text_line(&t, "default %" PRIu64, c.dflt);
	for (size_t i = 0; i < set.n; i++) {
		if (set.d[i].st[0] == IO_NOLIMIT)
			text_line(&t, "%" PRIu32 ":%" PRIu32 " default", set.d[i].maj, set.d[i].min);
		else
			text_line(&t, "%" PRIu32 ":%" PRIu32 " %" PRIu64, set.d[i].maj, set.d[i].min,
				  set.d[i].val[0]);
	}
	r = text_emit(cv, sc->v2, &t);
out:
	io_set_free(&set);
	return r;
}

static int conv_weight_to_v1(struct conv *cv, const struct weight_scale *sc, const char *value)
{
	struct io_set set = { 0 };
	struct weight_ctx c = { .sc = sc, .set = &set };
	int r;

	if (is_blank(value)) {
		r = emit_nameonly(cv, sc->v1_default);
		return r < 0 ? r : emit_nameonly(cv, sc->v1_device);
	}
	r = for_each_line(value, parse_v2_weight_line, &c);
	if (r < 0)
		goto out;
	if (!c.has_default && set.n == 0) {
		r = -EINVAL; /* only blank lines */
		goto out;
	}
	if (c.has_default) {
		r = emit_fmt(cv, sc->v1_default, "%" PRIu64, sc->to_v1(c.dflt));
		if (r < 0)
			goto out;
	}
	io_set_sort(&set);
	r = emit_v1_dev_file(cv, sc->v1_device, &set, 0, sc->to_v1);
out:
	io_set_free(&set);
	return r;
}

/* ------------------------------------------------------------ dispatch */

static bool once(struct conv *cv, enum conv_kind kind)
{
	if (cv->done & (1u << kind))
		return false;
	cv->done |= 1u << kind;
	return true;
}

static int conv_one(struct conv *cv, const struct cg_value *v)
{
	enum cg_version_t from = cv->to == CGROUP_V2 ? CGROUP_V1 : CGROUP_V2;
	char hbuf[256];
	int hk;

	for (size_t i = 0; i < ELEMENTSOF(conv_table); i++) {
		const struct conv_map *m = &conv_table[i];
		const char *src = from == CGROUP_V1 ? m->v1 : m->v2;
		const char *dst = from == CGROUP_V1 ? m->v2 : m->v1;

		if (strcmp(v->name, src) != 0)
			continue;
		switch (m->kind) {
		case CK_COPY:
		case CK_COPY_LIST:
		case CK_COPY_MAX:
		case CK_RENAME:
		case CK_RENAME_LIST:
			return conv_copy(cv, v, dst, m->kind);
		case CK_MEM:
			return conv_mem(cv, v->value, dst);
		case CK_CPU_WEIGHT:
			return conv_cpu_weight(cv, v->value);
		case CK_CPU_MAX:
			if (cv->to == CGROUP_V1)
				return conv_cpu_max_to_v1(cv, v->value);
			return once(cv, m->kind) ? conv_cpu_max_to_v2(cv) : 0;
		case CK_SWAP:
			if (cv->to == CGROUP_V1)
				return conv_swap_to_v1(cv, v->value);
			return once(cv, m->kind) ? conv_swap_to_v2(cv) : 0;
		case CK_PARTITION:
			return conv_partition(cv, v->value);
		case CK_IO_MAX:
			if (cv->to == CGROUP_V1)
				return conv_io_max_to_v1(cv, v->value);
			return once(cv, m->kind) ? conv_io_max_to_v2(cv) : 0;
		case CK_IO_WEIGHT:
			if (cv->to == CGROUP_V1)
				return conv_weight_to_v1(cv, &io_weight_scale, v->value);
			return once(cv, m->kind) ? conv_weight_to_v2(cv, &io_weight_scale) : 0;
		case CK_BFQ_WEIGHT:
			if (cv->to == CGROUP_V1)
				return conv_weight_to_v1(cv, &bfq_weight_scale, v->value);
			return once(cv, m->kind) ? conv_weight_to_v2(cv, &bfq_weight_scale) : 0;
		}
	}

	hk = hugetlb_counterpart(v->name, from, hbuf, sizeof(hbuf));
	if (hk == CK_MEM)
		return conv_mem(cv, v->value, hbuf);
	if (hk == CK_RENAME)
		return conv_copy(cv, v, hbuf, CK_RENAME);

	/* Already a setting of the target version: copied unchanged. */
	if (cg_setting_version(v->name) == cv->to)
		return emit(cv, v->name, v->value, v->dirty || !is_blank(v->value));

	return -EOPNOTSUPP;
}

_hidden_ int cg_convert_controller(struct cgroup_controller *out, const struct cgroup_controller *in,
				   enum cg_version_t to)
{
	struct cgroup_controller tmp = { 0 };
	struct conv cv = { .in = in, .tmp = &tmp, .to = to };
	int r = 0;

	if (!out || !in || (to != CGROUP_V1 && to != CGROUP_V2))
		return -EINVAL;
	if (in->n_values < 0 || (in->n_values > 0 && !in->values))
		return -EINVAL;
	for (int i = 0; i < in->n_values; i++) {
		if (!in->values[i].name || !in->values[i].value) {
			r = -EINVAL;
			break;
		}
		r = conv_one(&cv, &in->values[i]);
		if (r < 0)
			break;
	}
	for (int i = 0; r >= 0 && i < tmp.n_values; i++)
		r = cg_controller_put(out, tmp.values[i].name, tmp.values[i].value, tmp.values[i].dirty);
	cg_controller_clear(&tmp);
	return r < 0 ? r : 0;
}

/* ------------------------------------------------------- public API */

/* Controller name in the other version: blkio <-> io; others unchanged. */
static const char *convert_ctrl_name(const char *name, enum cg_version_t to)
{
	if (to == CGROUP_V2 && strcmp(name, "blkio") == 0)
		return "io";
	if (to == CGROUP_V1 && strcmp(name, "io") == 0)
		return "blkio";
	return name;
}

static int convert_errno_to_ecg(int r)
{
	if (r == -EOPNOTSUPP) {
		cg_fail_errno(r);
		return ECGROUPUNSUPP;
	}
	return cg_ecg_from_errno(r);
}

_public_ int cgroup_convert_cgroup(struct cgroup *const out_cgrp, enum cg_version_t out_version,
				  const struct cgroup *const in_cgrp, enum cg_version_t in_version)
{
	struct cgroup *tmp;
	int r = 0;

	if (!out_cgrp || !in_cgrp || out_cgrp == in_cgrp)
		return ECGINVAL;
	if ((out_version != CGROUP_V1 && out_version != CGROUP_V2) ||
	    (in_version != CGROUP_V1 && in_version != CGROUP_V2))
		return ECGINVAL;
	if (in_cgrp->index < 0 || in_cgrp->index > CG_CONTROLLER_MAX)
		return ECGINVAL;

	tmp = cgroup_new_cgroup("/");
	if (!tmp)
		return cg_fail_errno(-ENOMEM);

	for (int i = 0; i < in_cgrp->index; i++) {
		const struct cgroup_controller *ic = in_cgrp->controller[i];
		const char *name;
		struct cgroup_controller *oc;

		if (!ic || !ic->name) {
			r = ECGINVAL;
			goto out;
		}
		name = in_version == out_version ? ic->name : convert_ctrl_name(ic->name, out_version);
		oc = cgroup_get_controller(tmp, name);
		if (!oc)
			oc = cgroup_add_controller(tmp, name);
		if (!oc) {
			r = ECGINVAL; /* invalid controller name */
			goto out;
		}
		if (in_version == out_version) {
			for (int j = 0; j < ic->n_values; j++) {
				const struct cg_value *v = &ic->values[j];
				int q = cg_controller_put(oc, v->name, v->value,
							  v->dirty || !is_blank(v->value));

				if (q < 0) {
					r = cg_ecg_from_errno(q);
					goto out;
				}
			}
		} else {
			int q = cg_convert_controller(oc, ic, out_version);

			if (q < 0) {
				r = convert_errno_to_ecg(q);
				goto out;
			}
		}
	}

	/* Success: out's controllers are replaced, its name and owners stay. */
	cgroup_free_controllers(out_cgrp);
	for (int i = 0; i < tmp->index; i++) {
		out_cgrp->controller[i] = tmp->controller[i];
		out_cgrp->controller[i]->cgroup = out_cgrp;
		tmp->controller[i] = NULL;
	}
	out_cgrp->index = tmp->index;
	tmp->index = 0;
out:
	cgroup_free(&tmp);
	return r;
}
