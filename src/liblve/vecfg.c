/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vecfg.c - /etc/container/ve.cfg with libxml2. See vecfg.h.
 *
 * The document is kept as a libxml2 tree so that everything openlve does
 * not know (other elements, attributes, comments) survives a rewrite. An
 * index (defaults, <lve> sorted by id, <package> sorted by name) points
 * into the tree and caches the parsed values; every change updates both.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "fileio.h"
#include "lve-internal.h"
#include "packages.h"
#include "vecfg.h"
#include "pathsafe.h"

#define VECFG_FILE_MAX (128u << 20)
#define N_FIELDS       8

/* Element and attribute of every field, in enum vecfg_field bit order. */
static const struct {
	const char *elem;
	const char *attr;
} field_xml[N_FIELDS] = {
        {"cpu", "limit"}, {"ncpu", "limit"}, {"io", "limit"},    {"iops", "limit"},
        {"mem", "limit"}, {"pmem", "limit"}, {"nproc", "limit"}, {"other", "maxentryprocs"},
};

struct sect {
	enum vecfg_kind kind;
	uint32_t id;
	char *name;
	xmlNodePtr node;
	xmlNodePtr elem[N_FIELDS]; /* element holding each field, NULL when absent */
	struct vecfg_limits lim;
	uint32_t reseller; /* VECFG_LVE: reseller="R" (0 = none) */
};

struct vecfg {
	xmlDocPtr doc;
	struct sect defaults; /* node NULL when there is no <defaults> */
	struct sect *lves;    /* sorted by id */
	size_t n_lves, cap_lves;
	struct sect *pkgs; /* sorted by name */
	size_t n_pkgs, cap_pkgs;
	struct sect *res; /* <reseller> and <resellerdefaults>, sorted by (kind, id) */
	size_t n_res, cap_res;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static void set_err(struct vecfg_error *err, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_err(struct vecfg_error *err, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static bool name_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns == NULL &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

static int node_line(xmlNodePtr n)
{
	long l = xmlGetLineNo(n);

	return l > 0 && l < INT_MAX ? (int)l : 0;
}

/* ------------------------------------------------------------ numbers */

/* Strict unsigned decimal: digits only, at most `max`. */
static int parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '-')
		return -ERANGE; /* negative */
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "N", "N.D", "N.DD" ... with at most `decimals` fraction digits, scaled by 10^decimals. */
static int parse_fixed(const char *s, size_t n, unsigned decimals, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool dot = false, digit = false;

	if (n > 0 && s[0] == '-')
		return -ERANGE;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.' && !dot && decimals > 0) {
			dot = true;
			continue;
		}
		if (ch < '0' || ch > '9')
			return -EINVAL;
		digit = true;
		if (dot) {
			if (++frac > decimals)
				return -EINVAL;
		}
		if (v > (UINT64_MAX - (uint64_t)(ch - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(ch - '0');
	}
	if (!digit || (dot && frac == 0))
		return -EINVAL;
	for (; frac < decimals; frac++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix, size_t *stem)
{
	size_t k = strlen(suffix);

	if (n < k || strncasecmp(s + n - k, suffix, k) != 0)
		return false;
	*stem = n - k;
	return true;
}

int vecfg_parse_cpu(const char *s, enum vecfg_cpu_unit *unit, uint64_t *value)
{
	size_t n, stem;
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (ends_with_ci(s, n, "%", &stem)) {
		r = parse_fixed(s, stem, 2, VECFG_SPEED_MAX, &v);
		if (r < 0)
			return r;
		*unit = VECFG_CPU_SPEED;
	} else if (ends_with_ci(s, n, "mhz", &stem)) {
		r = parse_fixed(s, stem, 0, VECFG_MHZ_MAX, &v);
		if (r < 0)
			return r;
		*unit = VECFG_CPU_MHZ;
	} else if (ends_with_ci(s, n, "ghz", &stem)) {
		r = parse_fixed(s, stem, 3, VECFG_MHZ_MAX, &v);
		if (r < 0)
			return r;
		*unit = VECFG_CPU_MHZ;
	} else {
		r = parse_fixed(s, n, 0, 100, &v);
		if (r < 0)
			return r;
		*unit = VECFG_CPU_PCT_ALL;
	}
	*value = v;
	return 0;
}

int vecfg_format_cpu(const struct vecfg_limits *v, char *buf, size_t size)
{
	int r;

	switch (v->cpu_unit) {
	case VECFG_CPU_PCT_ALL:
		r = snprintf(buf, size, "%" PRIu64, v->cpu);
		break;
	case VECFG_CPU_SPEED:
		if (v->cpu % 100 == 0)
			r = snprintf(buf, size, "%" PRIu64 "%%", v->cpu / 100);
		else if (v->cpu % 10 == 0)
			r = snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%%", v->cpu / 100,
			             (v->cpu % 100) / 10);
		else
			r = snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 "%%", v->cpu / 100,
			             v->cpu % 100);
		break;
	case VECFG_CPU_MHZ:
		r = snprintf(buf, size, "%" PRIu64 "mhz", v->cpu);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0 || (size_t)r >= size)
		return -ENOBUFS;
	return r;
}

static uint64_t field_max(unsigned f)
{
	switch (1u << f) {
	case VECFG_F_MEM:
	case VECFG_F_PMEM:
		return VECFG_PAGES_MAX;
	default:
		return UINT32_MAX;
	}
}

/* Check the values of the fields in lim->mask. */
static int limits_validate(const struct vecfg_limits *lim)
{
	if (lim->mask & ~(uint32_t)VECFG_F_ALL)
		return -EINVAL;
	if (lim->mask & VECFG_F_CPU) {
		switch (lim->cpu_unit) {
		case VECFG_CPU_PCT_ALL:
			if (lim->cpu > 100)
				return -ERANGE;
			break;
		case VECFG_CPU_SPEED:
			if (lim->cpu > VECFG_SPEED_MAX)
				return -ERANGE;
			break;
		case VECFG_CPU_MHZ:
			if (lim->cpu > VECFG_MHZ_MAX)
				return -ERANGE;
			break;
		default:
			return -EINVAL;
		}
	}
	if ((lim->mask & VECFG_F_MEM) && lim->mem_pages > VECFG_PAGES_MAX)
		return -ERANGE;
	if ((lim->mask & VECFG_F_PMEM) && lim->pmem_pages > VECFG_PAGES_MAX)
		return -ERANGE;
	return 0;
}

static uint64_t field_get(const struct vecfg_limits *l, unsigned f)
{
	switch (1u << f) {
	case VECFG_F_CPU:
		return l->cpu;
	case VECFG_F_NCPU:
		return l->ncpu;
	case VECFG_F_IO:
		return l->io;
	case VECFG_F_IOPS:
		return l->iops;
	case VECFG_F_MEM:
		return l->mem_pages;
	case VECFG_F_PMEM:
		return l->pmem_pages;
	case VECFG_F_NPROC:
		return l->nproc;
	default:
		return l->ep;
	}
}

static void field_put(struct vecfg_limits *l, unsigned f, uint64_t v)
{
	switch (1u << f) {
	case VECFG_F_CPU:
		l->cpu = v;
		break;
	case VECFG_F_NCPU:
		l->ncpu = (uint32_t)v;
		break;
	case VECFG_F_IO:
		l->io = (uint32_t)v;
		break;
	case VECFG_F_IOPS:
		l->iops = (uint32_t)v;
		break;
	case VECFG_F_MEM:
		l->mem_pages = v;
		break;
	case VECFG_F_PMEM:
		l->pmem_pages = v;
		break;
	case VECFG_F_NPROC:
		l->nproc = (uint32_t)v;
		break;
	default:
		l->ep = (uint32_t)v;
		break;
	}
}

/* Text of field f of l, as stored in the file. */
static int field_format(const struct vecfg_limits *l, unsigned f, char *buf, size_t size)
{
	int r;

	if (f == 0)
		return vecfg_format_cpu(l, buf, size);
	r = snprintf(buf, size, "%" PRIu64, field_get(l, f));
	return r < 0 || (size_t)r >= size ? -ENOBUFS : r;
}

void vecfg_limits_merge(struct vecfg_limits *base, const struct vecfg_limits *over)
{
	for (unsigned f = 0; f < N_FIELDS; f++) {
		if (!(over->mask & (1u << f)))
			continue;
		field_put(base, f, field_get(over, f));
		if (f == 0)
			base->cpu_unit = over->cpu_unit;
		base->mask |= 1u << f;
	}
}

void vecfg_limits_builtin(struct vecfg_limits *out)
{
	struct olve_limits d;

	olve_limits_default(&d);
	*out = (struct vecfg_limits){
	        .mask = VECFG_F_ALL,
	        .ncpu = d.ncpu,
	        .io = d.io,
	        .iops = d.iops,
	        .mem_pages = (d.vmem + 4095) / 4096,
	        .pmem_pages = (d.pmem + 4095) / 4096,
	        .nproc = d.nproc,
	        .ep = d.ep,
	};
	if (d.speed || !d.cpu_pct) {
		out->cpu_unit = VECFG_CPU_SPEED;
		out->cpu = d.speed;
	} else {
		out->cpu_unit = VECFG_CPU_PCT_ALL;
		out->cpu = d.cpu_pct;
	}
}

int vecfg_to_olve(const struct vecfg_limits *v, uint32_t cpu_mhz, struct olve_limits *out)
{
	struct olve_limits o = {0};
	int r;

	r = limits_validate(v);
	if (r < 0)
		return r;
	if (v->mask & VECFG_F_CPU) {
		o.mask |= OLVE_L_SPEED | OLVE_L_CPU;
		switch (v->cpu_unit) {
		case VECFG_CPU_PCT_ALL:
			o.cpu_pct = (uint32_t)v->cpu;
			break;
		case VECFG_CPU_SPEED:
			o.speed = (uint32_t)v->cpu;
			break;
		case VECFG_CPU_MHZ: {
			uint64_t s;

			if (!cpu_mhz)
				return -EOPNOTSUPP;
			/* speed 10000 = one core at its maximum frequency; round to nearest. */
			s = (v->cpu * 10000 + cpu_mhz / 2) / cpu_mhz;
			if (v->cpu && !s)
				s = 1;
			if (s > UINT32_MAX)
				return -ERANGE;
			o.speed = (uint32_t)s;
			break;
		}
		}
	}
	if (v->mask & VECFG_F_NCPU) {
		o.mask |= OLVE_L_NCPU;
		o.ncpu = v->ncpu;
	}
	if (v->mask & VECFG_F_IO) {
		o.mask |= OLVE_L_IO;
		o.io = v->io;
	}
	if (v->mask & VECFG_F_IOPS) {
		o.mask |= OLVE_L_IOPS;
		o.iops = v->iops;
	}
	if (v->mask & VECFG_F_MEM) {
		o.mask |= OLVE_L_VMEM;
		o.vmem = v->mem_pages * 4096;
	}
	if (v->mask & VECFG_F_PMEM) {
		o.mask |= OLVE_L_PMEM;
		o.pmem = v->pmem_pages * 4096;
	}
	if (v->mask & VECFG_F_NPROC) {
		o.mask |= OLVE_L_NPROC;
		o.nproc = v->nproc;
	}
	if (v->mask & VECFG_F_EP) {
		o.mask |= OLVE_L_EP;
		o.ep = v->ep;
	}
	*out = o;
	return 0;
}

int vecfg_cpu_max_mhz(uint32_t *mhz)
{
	char buf[64];
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	double best = 0;
	uint64_t khz;

	{
		_cleanup_close_ int fd =
		        open("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
		             O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && ol_pread_all(fd, buf, sizeof(buf)) > 0 &&
		    ol_parse_u64(buf, &khz) >= 0 && khz >= 1000 && khz / 1000 <= UINT32_MAX) {
			*mhz = (uint32_t)(khz / 1000);
			return 0;
		}
	}
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *colon;
		double v;

		if (strncmp(line, "cpu MHz", 7) != 0)
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		v = strtod(colon + 1, NULL);
		if (v > best && v < 1e9)
			best = v;
	}
	if (best < 1)
		return -ENOENT;
	*mhz = (uint32_t)(best + 0.5);
	return 0;
}

/* ------------------------------------------------------------- index */

static void sect_clear(struct sect *s)
{
	free(s->name);
	*s = (struct sect){0};
}

void vecfg_free(struct vecfg *c)
{
	if (!c)
		return;
	sect_clear(&c->defaults);
	for (size_t i = 0; i < c->n_lves; i++)
		sect_clear(&c->lves[i]);
	for (size_t i = 0; i < c->n_pkgs; i++)
		sect_clear(&c->pkgs[i]);
	for (size_t i = 0; i < c->n_res; i++)
		sect_clear(&c->res[i]);
	free(c->lves);
	free(c->pkgs);
	free(c->res);
	if (c->doc)
		xmlFreeDoc(c->doc);
	free(c);
}

/* Index of the first lve with id >= `id`. */
static size_t lve_pos(const struct vecfg *c, uint32_t id)
{
	size_t lo = 0, hi = c->n_lves;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->lves[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t pkg_pos(const struct vecfg *c, const char *name)
{
	size_t lo = 0, hi = c->n_pkgs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->pkgs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first reseller section >= (kind, id). */
static size_t res_pos(const struct vecfg *c, enum vecfg_kind kind, uint32_t id)
{
	size_t lo = 0, hi = c->n_res;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->res[mid].kind < kind || (c->res[mid].kind == kind && c->res[mid].id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct sect *find_sect(const struct vecfg *c, const struct vecfg_key *key, size_t *pos)
{
	size_t i;

	switch (key->kind) {
	case VECFG_DEFAULTS:
		return c->defaults.node ? (struct sect *)&c->defaults : NULL;
	case VECFG_LVE:
		i = lve_pos(c, key->id);
		if (pos)
			*pos = i;
		return i < c->n_lves && c->lves[i].id == key->id ? &c->lves[i] : NULL;
	case VECFG_PACKAGE:
		if (!key->name)
			return NULL;
		i = pkg_pos(c, key->name);
		if (pos)
			*pos = i;
		return i < c->n_pkgs && strcmp(c->pkgs[i].name, key->name) == 0 ? &c->pkgs[i]
		                                                                : NULL;
	case VECFG_RESELLER:
	case VECFG_RESELLER_DEFAULTS:
		i = res_pos(c, key->kind, key->id);
		if (pos)
			*pos = i;
		return i < c->n_res && c->res[i].kind == key->kind && c->res[i].id == key->id
		               ? &c->res[i]
		               : NULL;
	}
	return NULL;
}

static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	if (nc > SIZE_MAX / elem)
		return -ENOMEM;
	nv = realloc(*v, nc * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

/* Insert a section at position pos of its array (takes s). */
static int index_insert(struct vecfg *c, struct sect *s, size_t pos)
{
	bool res = s->kind == VECFG_RESELLER || s->kind == VECFG_RESELLER_DEFAULTS;
	struct sect **v = res ? &c->res : s->kind == VECFG_LVE ? &c->lves : &c->pkgs;
	size_t *n = res ? &c->n_res : s->kind == VECFG_LVE ? &c->n_lves : &c->n_pkgs;
	size_t *cap = res ? &c->cap_res : s->kind == VECFG_LVE ? &c->cap_lves : &c->cap_pkgs;
	int r;

	r = grow((void **)v, cap, *n, sizeof(struct sect));
	if (r < 0)
		return r;
	memmove(*v + pos + 1, *v + pos, (*n - pos) * sizeof(struct sect));
	(*v)[pos] = *s;
	(*n)++;
	return 0;
}

static const char *sect_describe(const struct sect *s, char *buf, size_t size)
{
	switch (s->kind) {
	case VECFG_DEFAULTS:
		snprintf(buf, size, "<defaults>");
		break;
	case VECFG_LVE:
		snprintf(buf, size, "<lve id=\"%" PRIu32 "\">", s->id);
		break;
	case VECFG_PACKAGE:
		snprintf(buf, size, "<package id=\"%.64s\">", s->name ? s->name : "");
		break;
	case VECFG_RESELLER:
		snprintf(buf, size, "<reseller id=\"%" PRIu32 "\">", s->id);
		break;
	case VECFG_RESELLER_DEFAULTS:
		snprintf(buf, size, "<resellerdefaults id=\"%" PRIu32 "\">", s->id);
		break;
	}
	return buf;
}

/* Read the limit elements of a section node into s. */
static int parse_section(struct sect *s, struct vecfg_error *err)
{
	char where[100];

	for (xmlNodePtr e = s->node->children; e; e = e->next) {
		for (unsigned f = 0; f < N_FIELDS; f++) {
			xmlChar *val;
			uint64_t v;
			int r;

			if (!name_is(e, field_xml[f].elem))
				continue;
			val = xmlGetNoNsProp(e, BAD_CAST field_xml[f].attr);
			if (!val)
				break; /* not ours (kept as is) */
			if (s->elem[f]) {
				xmlFree(val);
				set_err(err, node_line(e),
				        "duplicate <%s %s=...> in %s (first on line %d)",
				        field_xml[f].elem, field_xml[f].attr,
				        sect_describe(s, where, sizeof(where)),
				        node_line(s->elem[f]));
				return -EINVAL;
			}
			if (f == 0)
				r = vecfg_parse_cpu((const char *)val, &s->lim.cpu_unit, &v);
			else
				r = parse_dec((const char *)val, field_max(f), &v);
			if (r < 0) {
				set_err(err, node_line(e),
				        "bad value \"%.40s\" in <%s %s> of %s: %s",
				        (const char *)val, field_xml[f].elem, field_xml[f].attr,
				        sect_describe(s, where, sizeof(where)),
				        r == -ERANGE ? "negative or too large"
				        : f == 0 ? "expected N (% of all cores), N% (speed), Nmhz "
				                   "or Nghz"
				                 : "expected a non-negative integer");
				xmlFree(val);
				return -EINVAL;
			}
			xmlFree(val);
			field_put(&s->lim, f, v);
			s->lim.mask |= 1u << f;
			s->elem[f] = e;
			break;
		}
	}
	return 0;
}

static int build_index(struct vecfg *c, struct vecfg_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(c->doc);
	int r;

	if (!root) {
		set_err(err, 0, "no root element (expected <lveconfig>)");
		return -EINVAL;
	}
	if (!name_is(root, "lveconfig")) {
		set_err(err, node_line(root), "root element is <%.40s>, expected <lveconfig>",
		        (const char *)root->name);
		return -EINVAL;
	}
	for (xmlNodePtr n = root->children; n; n = n->next) {
		struct sect s = {0};
		xmlChar *id;
		size_t pos;

		if (name_is(n, "defaults")) {
			if (c->defaults.node) {
				set_err(err, node_line(n),
				        "duplicate <defaults> (first on line %d)",
				        node_line(c->defaults.node));
				return -EINVAL;
			}
			c->defaults.kind = VECFG_DEFAULTS;
			c->defaults.node = n;
			r = parse_section(&c->defaults, err);
			if (r < 0)
				return r;
			continue;
		}
		if (name_is(n, "lve")) {
			uint64_t v;

			s.kind = VECFG_LVE;
			id = xmlGetNoNsProp(n, BAD_CAST "id");
			if (!id) {
				set_err(err, node_line(n), "<lve> without id attribute");
				return -EINVAL;
			}
			r = parse_dec((const char *)id, UINT32_MAX, &v);
			if (r < 0 || v == 0) {
				set_err(err, node_line(n), "bad <lve id=\"%.40s\">: expected 1..%u",
				        (const char *)id, UINT32_MAX);
				xmlFree(id);
				return -EINVAL;
			}
			xmlFree(id);
			s.id = (uint32_t)v;
			s.node = n;
			id = xmlGetNoNsProp(n, BAD_CAST "reseller");
			if (id) {
				r = parse_dec((const char *)id, UINT32_MAX, &v);
				if (r < 0 || v == 0) {
					set_err(err, node_line(n),
					        "bad reseller=\"%.40s\" in <lve id=\"%" PRIu32
					        "\">: expected a reseller id 1..%u",
					        (const char *)id, s.id, UINT32_MAX);
					xmlFree(id);
					return -EINVAL;
				}
				xmlFree(id);
				s.reseller = (uint32_t)v;
			}
			if (find_sect(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = s.id},
			              &pos)) {
				set_err(err, node_line(n),
				        "duplicate <lve id=\"%" PRIu32 "\"> (first on line %d)",
				        s.id, node_line(c->lves[pos].node));
				return -EINVAL;
			}
		} else if (name_is(n, "package")) {
			s.kind = VECFG_PACKAGE;
			id = xmlGetNoNsProp(n, BAD_CAST "id");
			if (!id || !*id) {
				set_err(err, node_line(n), "<package> without id attribute");
				xmlFree(id);
				return -EINVAL;
			}
			s.name = strdup((const char *)id);
			xmlFree(id);
			if (!s.name)
				return -ENOMEM;
			s.node = n;
			if (find_sect(c, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = s.name},
			              &pos)) {
				set_err(err, node_line(n),
				        "duplicate <package id=\"%.64s\"> (first on line %d)",
				        s.name, node_line(c->pkgs[pos].node));
				free(s.name);
				return -EINVAL;
			}
		} else if (name_is(n, "reseller") || name_is(n, "resellerdefaults")) {
			uint64_t v;

			s.kind = name_is(n, "reseller") ? VECFG_RESELLER : VECFG_RESELLER_DEFAULTS;
			id = xmlGetNoNsProp(n, BAD_CAST "id");
			r = id ? parse_dec((const char *)id, UINT32_MAX, &v) : -EINVAL;
			if (r < 0 || v == 0) {
				/* not openlve's form (a panel's own data, e.g. id="res1"): kept as is */
				xmlFree(id);
				continue;
			}
			xmlFree(id);
			s.id = (uint32_t)v;
			s.node = n;
			if (find_sect(c, &(struct vecfg_key){.kind = s.kind, .id = s.id}, &pos)) {
				set_err(err, node_line(n),
				        "duplicate <%s id=\"%" PRIu32 "\"> (first on line %d)",
				        (const char *)n->name, s.id, node_line(c->res[pos].node));
				return -EINVAL;
			}
		} else {
			continue; /* unknown: kept untouched */
		}
		r = parse_section(&s, err);
		if (r >= 0)
			r = index_insert(c, &s, pos);
		if (r < 0) {
			free(s.name);
			return r;
		}
	}
	for (size_t i = 0; i < c->n_lves; i++) {
		const struct sect *l = &c->lves[i];

		if (l->reseller &&
		    !find_sect(c, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = l->reseller}, NULL)) {
			set_err(err, node_line(l->node),
			        "<lve id=\"%" PRIu32 "\"> names reseller %" PRIu32
			        " which has no <reseller id=\"%" PRIu32 "\"> section",
			        l->id, l->reseller, l->reseller);
			return -EINVAL;
		}
	}
	return 0;
}

int vecfg_new(struct vecfg **out)
{
	struct vecfg *c;
	xmlNodePtr root;

	pthread_once(&xml_once, xml_init);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->doc = xmlNewDoc(BAD_CAST "1.0");
	if (!c->doc) {
		free(c);
		return -ENOMEM;
	}
	root = xmlNewDocNode(c->doc, NULL, BAD_CAST "lveconfig", NULL);
	if (!root) {
		vecfg_free(c);
		return -ENOMEM;
	}
	xmlDocSetRootElement(c->doc, root);
	*out = c;
	return 0;
}

struct first_error {
	int code;
	int line;
	char msg[160];
};

/* Structured error handler of the parser context: remember the first error. */
static void keep_first_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct first_error *fe = ctxt ? ctxt->_private : NULL;

	if (!fe || !e || fe->code || e->level < XML_ERR_ERROR)
		return;
	fe->code = e->code ? e->code : -1;
	fe->line = e->line;
	snprintf(fe->msg, sizeof(fe->msg), "%s", e->message ? e->message : "");
}

int vecfg_parse(const char *text, size_t len, struct vecfg **out, struct vecfg_error *err)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	struct first_error first = {0};
	xmlParserCtxtPtr ctxt;
	int r;

	pthread_once(&xml_once, xml_init);
	if (len > VECFG_FILE_MAX || len > INT_MAX) {
		set_err(err, 0, "file too large (more than %u bytes)", VECFG_FILE_MAX);
		return -EFBIG;
	}
	if (len == 0 || memchr(text, 0, len)) {
		set_err(err, 0, len ? "NUL byte in the file" : "empty file");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	/* Keep the FIRST error (libxml2 reports follow-up errors after it) and print nothing. */
	ctxt->_private = &first;
	if (ctxt->sax)
		ctxt->sax->serror = keep_first_error;
	c->doc = xmlCtxtReadMemory(ctxt, text, (int)len, "ve.cfg", NULL,
	                           XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	                                   XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	if (!c->doc || !ctxt->wellFormed) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		char msg[160] = "";
		int line = 0;
		size_t l;

		if (first.code) {
			line = first.line;
			snprintf(msg, sizeof(msg), "%s", first.msg);
		} else if (e) {
			line = e->line;
			snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "");
		}
		l = strlen(msg);
		while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
			msg[--l] = 0;
		set_err(err, line, "malformed XML%s%s", l ? ": " : "", msg);
		xmlFreeParserCtxt(ctxt);
		return -EINVAL;
	}
	xmlFreeParserCtxt(ctxt);
	if (c->doc->intSubset || c->doc->extSubset) {
		set_err(err, c->doc->intSubset ? node_line((xmlNodePtr)c->doc->intSubset) : 0,
		        "<!DOCTYPE> is not allowed in ve.cfg");
		return -EINVAL;
	}
	r = build_index(c, err);
	if (r < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

int vecfg_serialize(const struct vecfg *c, char **out, size_t *len)
{
	xmlChar *x = NULL;
	int n = 0;
	char *buf;

	xmlDocDumpFormatMemoryEnc(c->doc, &x, &n, "UTF-8", 1);
	if (!x || n <= 0) {
		xmlFree(x);
		return -ENOMEM;
	}
	buf = malloc((size_t)n + 1);
	if (!buf) {
		xmlFree(x);
		return -ENOMEM;
	}
	memcpy(buf, x, (size_t)n);
	buf[n] = 0;
	xmlFree(x);
	*out = buf;
	if (len)
		*len = (size_t)n;
	return 0;
}

/* -------------------------------------------------------------- query */

int vecfg_get(const struct vecfg *c, const struct vecfg_key *key, struct vecfg_limits *out)
{
	const struct sect *s = find_sect(c, key, NULL);

	if (!s)
		return -ENOENT;
	*out = s->lim;
	return 0;
}

int vecfg_lve_ids(const struct vecfg *c, uint32_t **ids)
{
	uint32_t *v = NULL;

	if (c->n_lves > INT_MAX)
		return -E2BIG;
	if (c->n_lves) {
		v = malloc(c->n_lves * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < c->n_lves; i++)
			v[i] = c->lves[i].id;
	}
	*ids = v;
	return (int)c->n_lves;
}

size_t vecfg_n_packages(const struct vecfg *c)
{
	return c->n_pkgs;
}

const char *vecfg_package_name(const struct vecfg *c, size_t i)
{
	return i < c->n_pkgs ? c->pkgs[i].name : NULL;
}

void vecfg_effective(const struct vecfg *c, uint32_t id, const char *package,
                     struct vecfg_limits *out)
{
	struct vecfg_limits l;
	const struct sect *s;

	vecfg_limits_builtin(&l);
	if (c->defaults.node)
		vecfg_limits_merge(&l, &c->defaults.lim);
	if (id != 0) {
		uint32_t rid = vecfg_lve_reseller(c, id);

		if (rid) {
			s = find_sect(c, &(struct vecfg_key){.kind = VECFG_RESELLER_DEFAULTS, .id = rid}, NULL);
			if (s)
				vecfg_limits_merge(&l, &s->lim);
		}
		if (package) {
			s = find_sect(c,
			              &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = package},
			              NULL);
			if (s)
				vecfg_limits_merge(&l, &s->lim);
		}
		s = find_sect(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = id}, NULL);
		if (s)
			vecfg_limits_merge(&l, &s->lim);
	}
	*out = l;
}

/* ------------------------------------------------------------- modify */

/* Create the section node for key (not yet in the index); s filled. */
static int sect_create(struct vecfg *c, const struct vecfg_key *key, struct sect *s)
{
	xmlNodePtr root = xmlDocGetRootElement(c->doc);
	xmlNodePtr n;
	char idbuf[16];

	*s = (struct sect){.kind = key->kind, .id = key->id};
	switch (key->kind) {
	case VECFG_DEFAULTS:
		n = xmlNewDocNode(c->doc, NULL, BAD_CAST "defaults", NULL);
		if (!n)
			return -ENOMEM;
		if (root->children)
			xmlAddPrevSibling(root->children, n);
		else
			xmlAddChild(root, n);
		break;
	case VECFG_LVE:
		if (key->id == 0)
			return -EINVAL;
		snprintf(idbuf, sizeof(idbuf), "%" PRIu32, key->id);
		n = xmlNewChild(root, NULL, BAD_CAST "lve", NULL);
		if (!n)
			return -ENOMEM;
		if (!xmlNewProp(n, BAD_CAST "id", BAD_CAST idbuf))
			goto oom;
		break;
	case VECFG_PACKAGE:
		if (!key->name || !*key->name || strlen(key->name) > PKG_NAME_MAX)
			return -EINVAL;
		s->name = strdup(key->name);
		if (!s->name)
			return -ENOMEM;
		n = xmlNewChild(root, NULL, BAD_CAST "package", NULL);
		if (!n) {
			free(s->name);
			return -ENOMEM;
		}
		/* xmlSetProp escapes the value (xmlNewChild's content would not). */
		if (!xmlSetProp(n, BAD_CAST "id", BAD_CAST key->name))
			goto oom;
		break;
	case VECFG_RESELLER:
	case VECFG_RESELLER_DEFAULTS:
		if (key->id == 0)
			return -EINVAL;
		snprintf(idbuf, sizeof(idbuf), "%" PRIu32, key->id);
		n = xmlNewChild(root, NULL,
		                BAD_CAST(key->kind == VECFG_RESELLER ? "reseller" : "resellerdefaults"),
		                NULL);
		if (!n)
			return -ENOMEM;
		if (!xmlNewProp(n, BAD_CAST "id", BAD_CAST idbuf))
			goto oom;
		break;
	default:
		return -EINVAL;
	}
	s->node = n;
	return 0;
oom:
	xmlUnlinkNode(n);
	xmlFreeNode(n);
	free(s->name);
	s->name = NULL;
	return -ENOMEM;
}

int vecfg_set(struct vecfg *c, const struct vecfg_key *key, const struct vecfg_limits *lim)
{
	char vals[N_FIELDS][32];
	struct sect *s, fresh;
	size_t pos = 0;
	bool created = false;
	int r;

	r = limits_validate(lim);
	if (r < 0)
		return r;
	if ((key->kind == VECFG_LVE || key->kind == VECFG_RESELLER ||
	     key->kind == VECFG_RESELLER_DEFAULTS) && key->id == 0)
		return -EINVAL;
	if (key->kind == VECFG_PACKAGE && (!key->name || !pkg_name_valid(key->name)))
		return -EINVAL;
	for (unsigned f = 0; f < N_FIELDS; f++)
		if (lim->mask & (1u << f)) {
			r = field_format(lim, f, vals[f], sizeof(vals[f]));
			if (r < 0)
				return r;
		}
	s = find_sect(c, key, &pos);
	if (!s) {
		r = sect_create(c, key, &fresh);
		if (r < 0)
			return r;
		s = &fresh;
		created = true;
	}
	/* Create missing elements first so that a failure leaves values untouched. */
	xmlNodePtr made[N_FIELDS] = {0};
	for (unsigned f = 0; f < N_FIELDS; f++) {
		if (!(lim->mask & (1u << f)) || s->elem[f])
			continue;
		made[f] = xmlNewChild(s->node, NULL, BAD_CAST field_xml[f].elem, NULL);
		if (!made[f]) {
			r = -ENOMEM;
			goto undo;
		}
	}
	/* xmlSetProp on an existing attribute replaces its value. */
	for (unsigned f = 0; f < N_FIELDS; f++) {
		xmlNodePtr e;

		if (!(lim->mask & (1u << f)))
			continue;
		e = s->elem[f] ? s->elem[f] : made[f];
		if (!xmlSetProp(e, BAD_CAST field_xml[f].attr, BAD_CAST vals[f])) {
			r = -ENOMEM;
			goto undo;
		}
	}
	for (unsigned f = 0; f < N_FIELDS; f++)
		if (made[f])
			s->elem[f] = made[f];
	vecfg_limits_merge(&s->lim, lim);
	if (created && key->kind == VECFG_DEFAULTS) {
		c->defaults = fresh;
	} else if (created) {
		r = index_insert(c, &fresh, pos);
		if (r < 0) {
			xmlUnlinkNode(fresh.node);
			xmlFreeNode(fresh.node);
			free(fresh.name);
			return r;
		}
	}
	return 0;
undo:
	/* Only reachable on allocation failure; values already replaced stay replaced. */
	for (unsigned f = 0; f < N_FIELDS; f++)
		if (made[f]) {
			xmlUnlinkNode(made[f]);
			xmlFreeNode(made[f]);
		}
	if (created) {
		xmlUnlinkNode(fresh.node);
		xmlFreeNode(fresh.node);
		free(fresh.name);
	}
	return r;
}

int vecfg_set_user(struct vecfg *c, uint32_t id, const char *user)
{
	struct vecfg_key key = {.kind = VECFG_LVE, .id = id};
	struct sect *s, fresh;
	size_t pos = 0;
	int r;

	if (id == 0 || !user || strlen(user) > 255 || !ol_component_valid(user) || ol_name_check(user) < 0)
		return -EINVAL;
	s = find_sect(c, &key, &pos);
	if (s)
		return xmlSetProp(s->node, BAD_CAST "user", BAD_CAST user) ? 0 : -ENOMEM;
	r = sect_create(c, &key, &fresh);
	if (r < 0)
		return r;
	if (!xmlSetProp(fresh.node, BAD_CAST "user", BAD_CAST user))
		r = -ENOMEM;
	else
		r = index_insert(c, &fresh, pos);
	if (r < 0) {
		xmlUnlinkNode(fresh.node);
		xmlFreeNode(fresh.node);
	}
	return r;
}

uint32_t vecfg_lve_reseller(const struct vecfg *c, uint32_t id)
{
	const struct sect *s = find_sect(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = id}, NULL);

	return s ? s->reseller : 0;
}

int vecfg_set_lve_reseller(struct vecfg *c, uint32_t id, uint32_t reseller)
{
	struct vecfg_key key = {.kind = VECFG_LVE, .id = id};
	struct sect *s, fresh;
	char buf[16];
	size_t pos = 0;
	int r;

	if (id == 0)
		return -EINVAL;
	if (reseller &&
	    !find_sect(c, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = reseller}, NULL))
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%" PRIu32, reseller);
	s = find_sect(c, &key, &pos);
	if (s) {
		if (!reseller) {
			xmlUnsetProp(s->node, BAD_CAST "reseller");
			s->reseller = 0;
			return 0;
		}
		if (!xmlSetProp(s->node, BAD_CAST "reseller", BAD_CAST buf))
			return -ENOMEM;
		s->reseller = reseller;
		return 0;
	}
	if (!reseller)
		return 0;
	r = sect_create(c, &key, &fresh);
	if (r < 0)
		return r;
	fresh.reseller = reseller;
	if (!xmlSetProp(fresh.node, BAD_CAST "reseller", BAD_CAST buf))
		r = -ENOMEM;
	else
		r = index_insert(c, &fresh, pos);
	if (r < 0) {
		xmlUnlinkNode(fresh.node);
		xmlFreeNode(fresh.node);
	}
	return r;
}

int vecfg_reseller_ids(const struct vecfg *c, uint32_t **ids)
{
	uint32_t *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->n_res; i++)
		if (c->res[i].kind == VECFG_RESELLER)
			n++;
	if (n > INT_MAX)
		return -E2BIG;
	if (n) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		n = 0;
		for (size_t i = 0; i < c->n_res; i++)
			if (c->res[i].kind == VECFG_RESELLER)
				v[n++] = c->res[i].id;
	}
	*ids = v;
	return (int)n;
}

const char *vecfg_reseller_user(const struct vecfg *c, uint32_t id)
{
	const struct sect *s = find_sect(c, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = id}, NULL);
	xmlAttrPtr a;

	if (!s)
		return NULL;
	for (a = s->node->properties; a; a = a->next)
		if (!xmlStrcmp(a->name, BAD_CAST "user") && a->children && a->children->content)
			return (const char *)a->children->content;
	return NULL;
}

int vecfg_set_reseller_user(struct vecfg *c, uint32_t id, const char *user)
{
	struct sect *s = find_sect(c, &(struct vecfg_key){.kind = VECFG_RESELLER, .id = id}, NULL);

	if (!s)
		return -ENOENT;
	if (!user || strlen(user) > 255 || !ol_component_valid(user) || ol_name_check(user) < 0)
		return -EINVAL;
	return xmlSetProp(s->node, BAD_CAST "user", BAD_CAST user) ? 0 : -ENOMEM;
}

int vecfg_unset(struct vecfg *c, const struct vecfg_key *key, uint32_t mask)
{
	struct sect *s = find_sect(c, key, NULL);

	if (!s)
		return -ENOENT;
	for (unsigned f = 0; f < N_FIELDS; f++) {
		xmlNodePtr e;

		if (!(mask & (1u << f)) || !s->elem[f])
			continue;
		e = s->elem[f];
		/* Keep the element when it carries other attributes or content we do not know. */
		if (e->children || !e->properties || e->properties->next)
			xmlUnsetProp(e, BAD_CAST field_xml[f].attr);
		else {
			xmlUnlinkNode(e);
			xmlFreeNode(e);
		}
		s->elem[f] = NULL;
		s->lim.mask &= ~(1u << f);
		field_put(&s->lim, f, 0);
	}
	return 0;
}

int vecfg_delete(struct vecfg *c, const struct vecfg_key *key)
{
	size_t pos = 0;
	struct sect *s = find_sect(c, key, &pos);
	struct sect **v;
	size_t *n;

	if (key->kind == VECFG_DEFAULTS)
		return -EINVAL;
	if (!s)
		return -ENOENT;
	xmlUnlinkNode(s->node);
	xmlFreeNode(s->node);
	free(s->name);
	if (key->kind == VECFG_RESELLER || key->kind == VECFG_RESELLER_DEFAULTS) {
		v = &c->res;
		n = &c->n_res;
	} else {
		v = key->kind == VECFG_LVE ? &c->lves : &c->pkgs;
		n = key->kind == VECFG_LVE ? &c->n_lves : &c->n_pkgs;
	}
	memmove(*v + pos, *v + pos + 1, (*n - pos - 1) * sizeof(struct sect));
	(*n)--;
	return 0;
}

/* -------------------------------------------------------------- files */

/* Split path into an open directory fd and the base name (borrowed from path). */
static int open_parent(const char *path, bool create_dir, const char **base)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash;
	int fd;

	if (!path || !*path)
		return -EINVAL;
	slash = strrchr(path, '/');
	if (!slash) {
		dir = strdup(".");
		*base = path;
	} else {
		dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	if (!dir)
		return -ENOMEM;
	if (!ol_component_valid(*base))
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create_dir) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	/*
	 * root reads limits from here and writes them back: a ve.cfg (or its
	 * directory) another user can change would let that user set its own
	 * limits (StrictModes, pathsafe.h). -EPERM; a symlinked ve.cfg too.
	 */
	if (geteuid() == 0 && path[0] == '/') {
		int r = ol_path_trusted(path, NULL, 0);

		if (r < 0 && r != -ENOENT) {
			close(fd);
			return r == -ELOOP ? -EPERM : r;
		}
	}
	return fd;
}

/* [issue 10] the same for the other admin files beside ve.cfg (binaries.c) */
int vecfg_open_parent(const char *path, bool create_dir, const char **base)
{
	return open_parent(path, create_dir, base);
}

int vecfg_lock(const char *path, bool exclusive, bool create_dir)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int fd = -1;
	char name[NAME_MAX + 1];
	const char *base;
	int r;

	dfd = open_parent(path, create_dir, &base);
	if (dfd < 0)
		return dfd;
	r = snprintf(name, sizeof(name), ".%s.lock", base);
	if (r < 0 || (size_t)r >= sizeof(name))
		return -ENAMETOOLONG;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EACCES && !exclusive)
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return -errno;
	return TAKE_FD(fd);
}

int vecfg_load(const char *path, struct vecfg **out, struct vecfg_error *err)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	const char *base;
	size_t len = 0;
	int r;

	dfd = open_parent(path, false, &base);
	if (dfd == -ENOENT)
		return vecfg_new(out);
	if (dfd < 0)
		return dfd;
	r = ol_read_full_at(dfd, base, &text, &len);
	if (r == -ENOENT)
		return vecfg_new(out);
	if (r < 0)
		return r;
	r = vecfg_parse(text, len, out, err);
	return r < 0 ? r : 1;
}

int vecfg_store(const char *path, const struct vecfg *c)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	const char *base;
	size_t len;
	int r;

	dfd = open_parent(path, true, &base);
	if (dfd < 0)
		return dfd;
	r = vecfg_serialize(c, &text, &len);
	if (r < 0)
		return r;
	return ol_write_atomic_at(dfd, base, text, len, 0644);
}

/* -------------------------------------------------------------- apply */

int vecfg_apply_one(struct olve *h, const struct vecfg *c, uint32_t id, const char *package,
                    uint32_t cpu_mhz)
{
	struct vecfg_limits v;
	struct olve_limits o;
	int r;

	if (id == 0)
		return -EINVAL;
	vecfg_effective(c, id, package, &v);
	r = vecfg_to_olve(&v, cpu_mhz, &o);
	if (r < 0)
		return r;
	return olve_apply(h, id, &o);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int vecfg_apply_all(struct olve *h, const struct vecfg *c, const struct pkg_map *pm,
                    uint32_t cpu_mhz, struct vecfg_apply_result *res)
{
	_cleanup_free_ uint32_t *existing = NULL;
	_cleanup_free_ uint32_t *ids = NULL;
	struct vecfg_apply_result rs = {0};
	size_t n = 0, cap;
	int ne, r, first = 0;

	ne = olve_list(h, &existing);
	if (ne < 0)
		return ne;
	cap = (size_t)ne + c->n_lves + (pm ? pm->n : 0);
	if (cap) {
		ids = malloc(cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
	}
	for (int i = 0; i < ne; i++)
		ids[n++] = existing[i];
	for (size_t i = 0; i < c->n_lves; i++)
		ids[n++] = c->lves[i].id;
	for (size_t i = 0; pm && i < pm->n; i++)
		if (pm->v[i].uid != 0 &&
		    find_sect(c,
		              &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = pm->v[i].package},
		              NULL))
			ids[n++] = pm->v[i].uid;
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		r = vecfg_apply_one(h, c, ids[i], pm ? pkg_map_lookup(pm, ids[i]) : NULL, cpu_mhz);
		/* do not keep ~2 fds per hierarchy of every LVE open: thousands would hit
		 * RLIMIT_NOFILE */
		olve_lve_forget(h, ids[i]);
		if (r < 0) {
			if (!rs.n_failed) {
				rs.failed_id = ids[i];
				rs.failed_err = r;
				first = r;
			}
			rs.n_failed++;
		} else {
			rs.n_ok++;
		}
	}
	if (res)
		*res = rs;
	return first;
}
