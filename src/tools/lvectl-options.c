/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: command-line option parsing (the one place), and the value
 * parsers (ids, sizes, whole numbers) the commands share.
 */
#include "lvectl.h"

/* ------------------------------------------------------------- values */

/* Strict decimal u64 (no sign, no blanks). */
static int parse_u64_strict(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Memory "N[K|M|G|T][B]" (plain = KB) -> 4 KiB pages, rounded up. */
static int parse_mem_pages(const char *s, uint64_t *pages)
{
	char num[32];
	const char *suf;
	uint64_t v, mult = 1024;
	size_t n;

	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(num, s, n);
	num[n] = 0;
	suf = s + n;
	if (*suf) {
		switch (*suf) {
		case 'k':
		case 'K':
			mult = 1024ULL;
			break;
		case 'm':
		case 'M':
			mult = 1024ULL << 10;
			break;
		case 'g':
		case 'G':
			mult = 1024ULL << 20;
			break;
		case 't':
		case 'T':
			mult = 1024ULL << 30;
			break;
		default:
			return -EINVAL;
		}
		suf++;
		if (*suf == 'b' || *suf == 'B')
			suf++;
		if (*suf)
			return -EINVAL;
	}
	if (parse_u64_strict(num, &v) < 0)
		return -ERANGE;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	v *= mult;
	v = v / 4096 + (v % 4096 != 0);
	if (v > (uint64_t)INT64_MAX / 4096)
		return -ERANGE;
	*pages = v;
	return 0;
}

int parse_u32_opt(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r = parse_u64_strict(s, &v);

	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* LVE id: 1..UINT32_MAX-1 (decimal). */
int parse_id(const char *s, uint32_t *id)
{
	uint32_t v;

	if (parse_u32_opt(s, UINT32_MAX - 1, &v) < 0 || v == 0)
		return -EINVAL;
	*id = v;
	return 0;
}

/* ------------------------------------------------------------- options */

enum {
	OPT_SPEED = 1000,
	OPT_CPU,
	OPT_NCPU,
	OPT_IO,
	OPT_IOPS,
	OPT_NPROC,
	OPT_PMEM,
	OPT_VMEM,
	OPT_EP,
	OPT_UNLIMITED,
	OPT_SAVE_ALL,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_FORCE,
	OPT_TTL,
	OPT_BASE_URL,
	OPT_SECRET_FILE,
	OPT_SAVE_USER,
	OPT_VERSION,
	OPT_RESELLER,
	OPT_BYTES,
	OPT_ENTER_COUNT,
};

static int parse_speed(const char *s, struct vecfg_limits *l)
{
	enum vecfg_cpu_unit u;
	uint64_t v;
	char buf[40];
	int r;

	/* a plain number is a percentage here (--cpu is the old % of all cores) */
	if (strlen(s) < sizeof(buf) - 1 && s[0] && strspn(s, "0123456789.") == strlen(s)) {
		snprintf(buf, sizeof(buf), "%s%%", s);
		s = buf;
	}
	r = vecfg_parse_cpu(s, &u, &v);
	if (r < 0 || u == VECFG_CPU_PCT_ALL)
		return r < 0 ? r : -EINVAL;
	l->cpu_unit = u;
	l->cpu = v;
	l->mask |= VECFG_F_CPU;
	return 0;
}

int parse_options(int argc, char **argv, struct opts *o, int *first_arg)
{
	static const struct option longopts[] = {
	        {"speed", required_argument, NULL, OPT_SPEED},
	        {"cpu", required_argument, NULL, OPT_CPU},
	        {"ncpu", required_argument, NULL, OPT_NCPU},
	        {"io", required_argument, NULL, OPT_IO},
	        {"iops", required_argument, NULL, OPT_IOPS},
	        {"nproc", required_argument, NULL, OPT_NPROC},
	        {"pmem", required_argument, NULL, OPT_PMEM},
	        {"vmem", required_argument, NULL, OPT_VMEM},
	        {"mem", required_argument, NULL, OPT_VMEM},
	        {"maxEntryProcs", required_argument, NULL, OPT_EP},
	        {"maxentryprocs", required_argument, NULL, OPT_EP},
	        {"unlimited", no_argument, NULL, OPT_UNLIMITED},
	        {"save-all-parameters", no_argument, NULL, OPT_SAVE_ALL},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"help", no_argument, NULL, OPT_HELP},
	        {"force", no_argument, NULL, OPT_FORCE},
	        {"ttl", required_argument, NULL, OPT_TTL},
	        {"base-url", required_argument, NULL, OPT_BASE_URL},
	        {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
	        {"save-username", no_argument, NULL, OPT_SAVE_USER},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"reseller", required_argument, NULL, OPT_RESELLER},
	        {"bytes", no_argument, NULL, OPT_BYTES},
	        {"enter-count", no_argument, NULL, OPT_ENTER_COUNT},
	        {NULL, 0, NULL, 0},
	};
	struct vecfg_limits given = {0};
	int ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hv", longopts, NULL)) != -1 || optind < argc) {
		const char *name = NULL;

		if (ch == -1) {
			/* a non-option: keep it for the command and go on (options may follow) */
			argv[(*first_arg)++] = argv[optind++];
			continue;
		}
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == ch)
				name = lo->name;
		switch (ch) {
		case OPT_SPEED:
			if (parse_speed(optarg, &given) < 0)
				return fail(EXIT_USAGE,
				            "--speed=%s: expected N%% (of one core, up to 2 "
				            "decimals), Nmhz or Nghz",
				            optarg);
			break;
		case OPT_CPU: {
			uint32_t v;
			char buf[16];
			const char *s = optarg;
			size_t n = strlen(s);

			if (n > 1 && n < sizeof(buf) && s[n - 1] == '%') {
				memcpy(buf, s, n - 1);
				buf[n - 1] = 0;
				s = buf;
			}
			if (parse_u32_opt(s, 100, &v) < 0)
				return fail(EXIT_USAGE,
				            "--cpu=%s: expected 0..100 (%% of all cores; 0 = "
				            "unlimited)",
				            optarg);
			given.mask |= VECFG_F_CPU;
			given.cpu_unit = VECFG_CPU_PCT_ALL;
			given.cpu = v;
			break;
		}
		case OPT_NCPU:
		case OPT_IO:
		case OPT_IOPS:
		case OPT_NPROC:
		case OPT_EP: {
			uint32_t max = ch == OPT_NPROC  ? NPROC_MAX
			               : ch == OPT_NCPU ? 1000000u
			                                : UINT32_MAX;
			uint32_t v;

			r = parse_u32_opt(optarg, max, &v);
			if (r < 0)
				return fail(EXIT_USAGE,
				            "--%s=%s: expected a whole number 0..%" PRIu32
				            " (0 = unlimited)",
				            name, optarg, max);
			if (ch == OPT_NCPU) {
				given.mask |= VECFG_F_NCPU;
				given.ncpu = v;
			} else if (ch == OPT_IO) {
				given.mask |= VECFG_F_IO;
				given.io = v;
			} else if (ch == OPT_IOPS) {
				given.mask |= VECFG_F_IOPS;
				given.iops = v;
			} else if (ch == OPT_NPROC) {
				given.mask |= VECFG_F_NPROC;
				given.nproc = v;
			} else {
				given.mask |= VECFG_F_EP;
				given.ep = v;
			}
			break;
		}
		case OPT_PMEM:
		case OPT_VMEM: {
			uint64_t p;

			r = parse_mem_pages(optarg, &p);
			if (r < 0)
				return fail(EXIT_USAGE,
				            "--%s=%s: expected a size like 1048576 (KB), 512m, 2g "
				            "or 1t (0 = unlimited)%s",
				            name, optarg,
				            r == -ERANGE ? "; the value is too large" : "");
			if (p && p < PMEM_MIN_PAGES)
				return fail(EXIT_USAGE,
				            "--%s=%s: at least 1M (no process can start with less); 0 = "
				            "unlimited",
				            name, optarg);
			if (ch == OPT_PMEM) {
				given.mask |= VECFG_F_PMEM;
				given.pmem_pages = p;
			} else {
				given.mask |= VECFG_F_MEM;
				given.mem_pages = p;
			}
			break;
		}
		case OPT_UNLIMITED:
			o->unlimited = true;
			break;
		case OPT_SAVE_ALL:
			o->save_all = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TIMEOUT: {
			uint32_t v;

			if (parse_u32_opt(optarg, 3600, &v) < 0 || v == 0)
				return fail(EXIT_USAGE, "--timeout=%s: expected seconds 1..3600",
				            optarg);
			o->timeout_s = (int)v;
			break;
		}
		case OPT_SAVE_USER:
			o->save_username = true;
			break;
		case OPT_RESELLER:
			o->reseller = optarg;
			break;
		case OPT_BYTES:
			o->bytes = true;
			break;
		case OPT_TTL: {
			uint32_t v;

			if (parse_u32_opt(optarg, 366u * 86400u, &v) < 0 || v == 0)
				return fail(EXIT_USAGE, "--ttl=%s: expected seconds 1..31622400 (366 days)",
				            optarg);
			o->ttl = v;
			break;
		}
		case OPT_BASE_URL:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return fail(EXIT_USAGE, "--base-url=%s: expected http://... or https://...",
				            optarg);
			o->base_url = optarg;
			break;
		case OPT_SECRET_FILE:
			if (optarg[0] != '/')
				return fail(EXIT_USAGE, "--secret-file=%s: expected an absolute path", optarg);
			o->secret_file = optarg;
			break;
		case OPT_VERSION:
		case 'v':
			o->version = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_ENTER_COUNT:
			o->enter_count = true;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return fail(EXIT_USAGE, "option %s needs a value (for example --pmem=512m)",
			            argv[optind - 1]);
		default:
			return fail(EXIT_USAGE, "unknown option %s (see lvectl --help)",
			            argv[optind - 1]);
		}
	}
	if (o->unlimited) {
		o->set = (struct vecfg_limits){.mask = VECFG_F_ALL, .cpu_unit = VECFG_CPU_SPEED};
		vecfg_limits_merge(&o->set, &given);
	} else {
		o->set = given;
	}
	return 0;
}
