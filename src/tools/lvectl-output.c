/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lvectl: output: the /proc/lve/list table (and its copy in conf.list_file),
 * the rows of limits shown by list/limits/package-list, text and JSON tables.
 */
#include "lvectl.h"

/* -------------------------------------------------------- /proc/lve/list */

static uint64_t pages(uint64_t bytes)
{
	return bytes / 4096;
}

/* lCPU of version 6: the CPU limit in % of all cores (100 = unlimited). */
static uint64_t lcpu_pct(uint32_t speed, int ncpus)
{
	uint64_t d = 100u * (uint64_t)(ncpus > 0 ? ncpus : 1);

	if (!speed)
		return 100;
	return (speed + d - 1) / d > 100 ? 100 : (speed + d - 1) / d;
}

static int list_row(FILE *f, uint32_t id, const struct olve_limits *l, const struct olve_usage *u,
                    int ncpus)
{
	/* LVE EP lCPU lIO CPU MEM IO lMEM lEP nCPU fMEM fEP lMEMPHY lCPUW lNPROC MEMPHY fMEMPHY
	 * NPROC fNPROC */
	return fprintf(f,
	               "%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64
	               "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64
	               "\t%" PRIu64 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu32
	               "\t%" PRIu64 "\n",
	               id, u->ep, lcpu_pct(l->speed, ncpus), l->io, u->cpu_usec * 1000,
	               pages(u->vmem), (u->io_rbytes + u->io_wbytes) / 1024, pages(l->vmem), l->ep,
	               l->ncpu ? l->ncpu : (uint32_t)(ncpus > 0 ? ncpus : 1), u->fault_vmem,
	               u->fault_ep, pages(l->pmem), l->cpu_weight ? l->cpu_weight : 100, l->nproc,
	               pages(u->pmem), u->fault_pmem, u->nproc, u->fault_nproc);
}

/* The version 6 table of every LVE; *out malloc'd. */
int build_proc_list(struct ctx *c, char **out, size_t *len)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct olve_limits d;
	struct olve_usage zero = {0};
	char *buf = NULL;
	size_t sz = 0;
	FILE *f;
	int n, r;

	n = olve_list(c->h, &ids);
	if (n < 0)
		return n;
	f = open_memstream(&buf, &sz);
	if (!f)
		return -ENOMEM;
	fprintf(f,
	        "%d:"
	        "LVE\tEP\tlCPU\tlIO\tCPU\tMEM\tIO\tlMEM\tlEP\tnCPU\tfMEM\tfEP\tlMEMPHY\tlCPUW\tlNPR"
	        "OC\tMEMPHY\tfMEMPHY\t"
	        "NPROC\tfNPROC\n",
	        LIST_VERSION);
	/* LVE 0: the limits new LVEs get */
	if (olve_defaults_get(c->h, &d) == 0)
		list_row(f, 0, &d, &zero, c->h->ncpus);
	for (int i = 0; i < n; i++) {
		struct olve_limits l;
		struct olve_usage u;

		r = olve_get_limits(c->h, ids[i], &l);
		if (r == -ENOENT)
			continue; /* destroyed meanwhile */
		if (r >= 0)
			r = olve_usage(c->h, ids[i], &u);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			fclose(f);
			free(buf);
			return r;
		}
		list_row(f, ids[i], &l, &u, c->h->ncpus);
		olve_lve_forget(c->h, ids[i]); /* keep no fds of thousands of LVEs */
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = sz;
	return 0;
}

/* Replace conf.list_file atomically. Returns 0 or an exit code. */
int write_list_file(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *path = c->conf.list_file, *slash;
	size_t len;
	int r;

	if (!path)
		return 0;
	r = build_proc_list(c, &text, &len);
	if (r < 0)
		return fail(EXIT_RUNTIME, "cannot read the LVE table for %s: %s%s", path,
		            strerror(-r), hint(r));
	/* [issue 14] root writes it: refuse a path another user controls */
	if (geteuid() == 0 && path[0] == '/') {
		char why[512] = "";

		r = ol_path_trusted(path, why, sizeof(why));
		if (r < 0 && r != -ENOENT)
			return fail(EXIT_RUNTIME, "limits are in force, but %s is not safe to write: %s (fix its "
			            "ownership/modes)", path, why[0] ? why : strerror(-r));
	}
	slash = strrchr(path, '/');
	dir = slash && slash != path ? strndup(path, (size_t)(slash - path)) : strdup("/");
	if (!dir)
		return fail(EXIT_RUNTIME, "out of memory");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		r = -errno;
	else
		r = ol_write_atomic_at(dfd, slash ? slash + 1 : path, text, len, 0644);
	if (r < 0)
		return fail(EXIT_RUNTIME, "limits are in force, but writing %s failed: %s%s", path,
		            strerror(-r), hint(r));
	return 0;
}

/* -------------------------------------------------------------- rows */

static void fmt_mem(char *buf, size_t size, uint64_t bytes)
{
	if (bytes && bytes % (1ULL << 20) == 0)
		snprintf(buf, size, "%" PRIu64 "M", bytes >> 20);
	else
		snprintf(buf, size, "%" PRIu64 "K", bytes >> 10);
}

static void fmt_pct(char *buf, size_t size, uint64_t hundredths)
{
	if (hundredths % 100 == 0)
		snprintf(buf, size, "%" PRIu64, hundredths / 100);
	else
		snprintf(buf, size, "%" PRIu64 ".%02" PRIu64, hundredths / 100, hundredths % 100);
}

/* Row of limits in olve units. SPEED and CPU are both shown, each derived from the other. */
void row_from_olve(struct row *r, const struct olve_limits *o, int ncpus)
{
	uint64_t speed = o->speed;

	if (ncpus < 1)
		ncpus = 1;
	if (o->cpu_pct) {
		uint64_t s = (uint64_t)o->cpu_pct * (uint64_t)ncpus * 100;

		if (!speed || s < speed)
			speed = s;
	}
	if (o->ncpu && (!speed || (uint64_t)o->ncpu * 10000 < speed))
		speed = (uint64_t)o->ncpu * 10000;
	fmt_pct(r->speed, sizeof(r->speed), speed);
	if (o->cpu_pct)
		snprintf(r->cpu, sizeof(r->cpu), "%" PRIu32, o->cpu_pct);
	else
		snprintf(r->cpu, sizeof(r->cpu), "%" PRIu64,
		         lcpu_pct((uint32_t)(speed > UINT32_MAX ? 0 : speed), ncpus));
	snprintf(r->ncpu, sizeof(r->ncpu), "%" PRIu32, o->ncpu);
	fmt_mem(r->pmem, sizeof(r->pmem), o->pmem);
	fmt_mem(r->vmem, sizeof(r->vmem), o->vmem);
	snprintf(r->ep, sizeof(r->ep), "%" PRIu32, o->ep);
	snprintf(r->nproc, sizeof(r->nproc), "%" PRIu32, o->nproc);
	snprintf(r->io, sizeof(r->io), "%" PRIu32, o->io);
	snprintf(r->iops, sizeof(r->iops), "%" PRIu32, o->iops);
}

void row_from_vecfg(struct row *r, const struct vecfg_limits *v, uint32_t mhz, int ncpus)
{
	struct olve_limits o;
	char cpu[32];

	if (vecfg_to_olve(v, mhz, &o) == 0) {
		row_from_olve(r, &o, ncpus);
		return;
	}
	/* a frequency on a machine whose frequency is unknown: show it as stored */
	struct vecfg_limits w = *v;
	w.mask &= ~(uint32_t)VECFG_F_CPU;
	if (vecfg_to_olve(&w, mhz, &o) < 0)
		memset(&o, 0, sizeof(o));
	row_from_olve(r, &o, ncpus);
	vecfg_format_cpu(v, cpu, sizeof(cpu));
	snprintf(r->speed, sizeof(r->speed), "%s", cpu);
	snprintf(r->cpu, sizeof(r->cpu), "-");
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void table_begin(struct table *t)
{
	if (t->json) {
		fputs("{\"data\":[", stdout);
		return;
	}
	printf("%10s %8s %4s %5s %10s %10s %6s %6s %8s %8s%s%s\n", "ID", "SPEED", "CPU", "NCPU",
	       "PMEM", "VMEM", "EP", "NPROC", "IO", "IOPS", t->extra_name ? " " : "",
	       t->extra_name ? t->extra_name : "");
}

void table_row(struct table *t, const struct row *r, const char *extra)
{
	if (t->json) {
		static const char *const keys[] = {"ID",   "SPEED", "CPU",   "NCPU", "PMEM",
		                                   "VMEM", "EP",    "NPROC", "IO",   "IOPS"};
		const char *vals[] = {r->id,   r->speed, r->cpu,   r->ncpu, r->pmem,
		                      r->vmem, r->ep,    r->nproc, r->io,   r->iops};

		fputs(t->n ? ",{" : "{", stdout);
		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			if (i)
				fputc(',', stdout);
			json_str(stdout, keys[i]);
			fputc(':', stdout);
			json_str(stdout, vals[i]);
		}
		if (t->extra_name) {
			fputc(',', stdout);
			json_str(stdout, t->extra_name);
			fputc(':', stdout);
			json_str(stdout, extra ? extra : "");
		}
		fputc('}', stdout);
	} else {
		printf("%10s %8s %4s %5s %10s %10s %6s %6s %8s %8s%s%s\n", r->id, r->speed, r->cpu,
		       r->ncpu, r->pmem, r->vmem, r->ep, r->nproc, r->io, r->iops,
		       t->extra_name ? " " : "", t->extra_name ? (extra ? extra : "-") : "");
	}
	t->n++;
}

void table_end(struct table *t)
{
	if (t->json)
		fputs("]}\n", stdout);
}

int ncpus_online(const struct ctx *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)c;
	return n > 0 ? (int)n : 1;
}
