/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vecfg - ve.cfg parse / serialize / modify (src/liblve/vecfg.c).
 * Pure except the file tests, which use a private temporary directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packages.h"
#include "tap.h"
#include "vecfg.h"

/* The example of CloudLinux's documentation ("Controlling LVE limits"). */
static const char cl_doc_sample[] = "<?xml version=\"1.0\" ?>\n"
                                    "<lveconfig>\n"
                                    " <defaults>\n"
                                    "         <cpu limit=\"25\"/>\n"
                                    "         <ncpu limit=\"1\"/>\n"
                                    "         <io limit=\"1024\"/>\n"
                                    "         <mem limit=\"262144\"/>\n"
                                    "         <other maxentryprocs=\"200\"/>\n"
                                    "         <pmem limit=\"262144\"/>\n"
                                    "         <nproc limit=\"0\"/>\n"
                                    " </defaults>\n"
                                    " <lve id=\"532\">\n"
                                    "         <cpu limit=\"30\"/>\n"
                                    "         <ncpu limit=\"5\"/>\n"
                                    " </lve>\n"
                                    "</lveconfig>\n";

/* A newer lvectl's file: SPEED as "N%", packages, tabs, a name needing escapes. */
static const char cl_speed_sample[] = "<?xml version=\"1.0\" ?>\n"
                                      "<lveconfig>\n"
                                      "\t<defaults>\n"
                                      "\t\t<cpu limit=\"100%\"/>\n"
                                      "\t\t<pmem limit=\"262144\"/>\n"
                                      "\t</defaults>\n"
                                      "\t<package id=\"Starter\">\n"
                                      "\t\t<cpu limit=\"50%\"/>\n"
                                      "\t\t<io limit=\"512\"/>\n"
                                      "\t\t<pmem limit=\"131072\"/>\n"
                                      "\t\t<nproc limit=\"50\"/>\n"
                                      "\t\t<iops limit=\"512\"/>\n"
                                      "\t\t<other maxentryprocs=\"10\"/>\n"
                                      "\t</package>\n"
                                      "\t<package id=\"G\xc3\xb3i Pro &amp; &lt;x&gt;\">\n"
                                      "\t\t<cpu limit=\"20%\"/>\n"
                                      "\t</package>\n"
                                      "\t<lve id=\"48\">\n"
                                      "\t\t<cpu limit=\"400%\"/>\n"
                                      "\t</lve>\n"
                                      "</lveconfig>\n";

/* Things openlve does not know, which must survive a rewrite. */
static const char unknown_sample[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                     "<!-- managed by the panel -->\n"
                                     "<lveconfig version=\"2\">\n"
                                     "  <defaults>\n"
                                     "    <cpu limit=\"100%\" unit=\"speed\"/>\n"
                                     "    <netbw in=\"100\" out=\"200\"/>\n"
                                     "  </defaults>\n"
                                     "  <reseller id=\"res1\"><limits cpu=\"5\"/></reseller>\n"
                                     "  <lve id=\"5\" user=\"bob\">\n"
                                     "    <cpu limit=\"50%\" extra=\"1\"/>\n"
                                     "    <custom a=\"b\">some text</custom>\n"
                                     "    <!-- bob asked for more -->\n"
                                     "  </lve>\n"
                                     "</lveconfig>\n";

static int parse(const char *text, struct vecfg **c, struct vecfg_error *err)
{
	return vecfg_parse(text, strlen(text), c, err);
}

static char *dump(const struct vecfg *c)
{
	char *s = NULL;
	size_t n;

	if (vecfg_serialize(c, &s, &n) < 0)
		return NULL;
	if (strlen(s) != n) {
		free(s);
		return NULL;
	}
	return s;
}

#define LVE(i) (&(struct vecfg_key){.kind = VECFG_LVE, .id = (i)})
#define PKG(n) (&(struct vecfg_key){.kind = VECFG_PACKAGE, .name = (n)})

static const struct vecfg_key defaults = {.kind = VECFG_DEFAULTS};

TEST(cloudlinux_doc_sample)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	struct vecfg_limits l;
	uint32_t *ids = NULL;

	ASSERT_OK(parse(cl_doc_sample, &c, NULL));
	ASSERT_OK(vecfg_get(c, &defaults, &l));
	ASSERT_EQ(l.mask, VECFG_F_ALL & ~VECFG_F_IOPS); /* the sample has no <iops> */
	ASSERT_EQ(l.cpu_unit, VECFG_CPU_PCT_ALL);
	ASSERT_EQ(l.cpu, 25);
	ASSERT_EQ(l.ncpu, 1);
	ASSERT_EQ(l.io, 1024);
	ASSERT_EQ(l.mem_pages, 262144);
	ASSERT_EQ(l.ep, 200);
	ASSERT_EQ(l.pmem_pages, 262144);
	ASSERT_EQ(l.nproc, 0);

	ASSERT_OK(vecfg_get(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 532}, &l));
	ASSERT_EQ(l.mask, VECFG_F_CPU | VECFG_F_NCPU);
	ASSERT_EQ(l.cpu, 30);
	ASSERT_EQ(l.ncpu, 5);
	ASSERT_ERR(vecfg_get(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 533}, &l), ENOENT);

	ASSERT_EQ(vecfg_lve_ids(c, &ids), 1);
	ASSERT_EQ(ids[0], 532);
	free(ids);
	ASSERT_EQ(vecfg_n_packages(c), 0);
	return 0;
}

TEST(speed_sample_and_packages)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	struct vecfg_limits l;

	ASSERT_OK(parse(cl_speed_sample, &c, NULL));
	ASSERT_OK(vecfg_get(c, &defaults, &l));
	ASSERT_EQ(l.cpu_unit, VECFG_CPU_SPEED);
	ASSERT_EQ(l.cpu, 10000);
	ASSERT_EQ(vecfg_n_packages(c), 2);
	/* sorted by name: 'G' < 'S' */
	ASSERT_STREQ(vecfg_package_name(c, 0), "G\xc3\xb3i Pro & <x>");
	ASSERT_STREQ(vecfg_package_name(c, 1), "Starter");
	ASSERT(vecfg_package_name(c, 2) == NULL);
	ASSERT_OK(vecfg_get(c, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = "Starter"}, &l));
	ASSERT_EQ(l.mask, VECFG_F_CPU | VECFG_F_IO | VECFG_F_PMEM | VECFG_F_NPROC | VECFG_F_IOPS |
	                          VECFG_F_EP);
	ASSERT_EQ(l.cpu, 5000);
	ASSERT_EQ(l.io, 512);
	ASSERT_EQ(l.iops, 512);
	ASSERT_EQ(l.pmem_pages, 131072);
	ASSERT_EQ(l.nproc, 50);
	ASSERT_EQ(l.ep, 10);
	ASSERT_OK(vecfg_get(
	        c, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = "G\xc3\xb3i Pro & <x>"}, &l));
	ASSERT_EQ(l.cpu, 2000);
	ASSERT_OK(vecfg_get(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 48}, &l));
	ASSERT_EQ(l.cpu, 40000);
	return 0;
}

/* parse -> serialize -> parse gives the same values, and serializing is stable. */
static int round_trip(const char *text)
{
	_cleanup_vecfg_ struct vecfg *a = NULL, *b = NULL;
	_cleanup_free_ char *t1 = NULL, *t2 = NULL;
	uint32_t *ia = NULL, *ib = NULL;
	struct vecfg_limits la, lb;
	int na, nb;

	ASSERT_OK(parse(text, &a, NULL));
	t1 = dump(a);
	ASSERT(t1);
	ASSERT_OK(parse(t1, &b, NULL));
	t2 = dump(b);
	ASSERT(t2);
	ASSERT_STREQ(t1, t2);
	ASSERT_EQ(vecfg_get(a, &defaults, &la), vecfg_get(b, &defaults, &lb));
	if (vecfg_get(a, &defaults, &la) == 0) {
		vecfg_get(b, &defaults, &lb);
		ASSERT(memcmp(&la, &lb, sizeof(la)) == 0);
	}
	na = vecfg_lve_ids(a, &ia);
	nb = vecfg_lve_ids(b, &ib);
	ASSERT_EQ(na, nb);
	for (int i = 0; i < na; i++) {
		ASSERT_EQ(ia[i], ib[i]);
		ASSERT_OK(vecfg_get(a, &(struct vecfg_key){.kind = VECFG_LVE, .id = ia[i]}, &la));
		ASSERT_OK(vecfg_get(b, &(struct vecfg_key){.kind = VECFG_LVE, .id = ia[i]}, &lb));
		ASSERT(memcmp(&la, &lb, sizeof(la)) == 0);
	}
	free(ia);
	free(ib);
	ASSERT_EQ(vecfg_n_packages(a), vecfg_n_packages(b));
	for (size_t i = 0; i < vecfg_n_packages(a); i++) {
		ASSERT_STREQ(vecfg_package_name(a, i), vecfg_package_name(b, i));
		ASSERT_OK(vecfg_get(a,
		                    &(struct vecfg_key){.kind = VECFG_PACKAGE,
		                                        .name = vecfg_package_name(a, i)},
		                    &la));
		ASSERT_OK(vecfg_get(b,
		                    &(struct vecfg_key){.kind = VECFG_PACKAGE,
		                                        .name = vecfg_package_name(a, i)},
		                    &lb));
		ASSERT(memcmp(&la, &lb, sizeof(la)) == 0);
	}
	return 0;
}

TEST(round_trip)
{
	ASSERT_EQ(round_trip(cl_doc_sample), 0);
	ASSERT_EQ(round_trip(cl_speed_sample), 0);
	ASSERT_EQ(round_trip(unknown_sample), 0);
	ASSERT_EQ(round_trip("<lveconfig/>"), 0);
	return 0;
}

TEST(unknown_content_is_kept)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	_cleanup_free_ char *out = NULL;
	struct vecfg_limits set = {.mask = VECFG_F_CPU | VECFG_F_PMEM,
	                           .cpu_unit = VECFG_CPU_SPEED,
	                           .cpu = 7500,
	                           .pmem_pages = 1000};
	struct vecfg_limits l;

	ASSERT_OK(parse(unknown_sample, &c, NULL));
	ASSERT_OK(vecfg_set(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 5}, &set));
	out = dump(c);
	ASSERT(out);
	ASSERT(strstr(out, "<!-- managed by the panel -->"));
	ASSERT(strstr(out, "<lveconfig version=\"2\">"));
	ASSERT(strstr(out, "<netbw in=\"100\" out=\"200\"/>"));
	ASSERT(strstr(out, "<cpu limit=\"100%\" unit=\"speed\"/>"));
	ASSERT(strstr(out, "<reseller id=\"res1\">"));
	ASSERT(strstr(out, "<limits cpu=\"5\"/>"));
	ASSERT(strstr(out, "<lve id=\"5\" user=\"bob\">"));
	/* the value changed in place, the unknown attribute stayed */
	ASSERT(strstr(out, "<cpu limit=\"75%\" extra=\"1\"/>"));
	ASSERT(strstr(out, "<custom a=\"b\">some text</custom>"));
	ASSERT(strstr(out, "<!-- bob asked for more -->"));
	ASSERT(strstr(out, "<pmem limit=\"1000\"/>"));
	ASSERT(!strstr(out, "50%"));

	/* unset keeps an element that has other attributes */
	ASSERT_OK(vecfg_unset(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 5},
	                      VECFG_F_CPU | VECFG_F_PMEM));
	free(out);
	out = dump(c);
	ASSERT(out);
	ASSERT(strstr(out, "<cpu extra=\"1\"/>"));
	ASSERT(!strstr(out, "<pmem"));
	ASSERT_OK(vecfg_get(c, &(struct vecfg_key){.kind = VECFG_LVE, .id = 5}, &l));
	ASSERT_EQ(l.mask, 0);
	return 0;
}

TEST(cpu_forms)
{
	enum vecfg_cpu_unit u;
	uint64_t v;
	char buf[32];

	ASSERT_OK(vecfg_parse_cpu("25", &u, &v));
	ASSERT_EQ(u, VECFG_CPU_PCT_ALL);
	ASSERT_EQ(v, 25);
	ASSERT_OK(vecfg_parse_cpu("100%", &u, &v));
	ASSERT_EQ(u, VECFG_CPU_SPEED);
	ASSERT_EQ(v, 10000);
	ASSERT_OK(vecfg_parse_cpu("12.5%", &u, &v));
	ASSERT_EQ(v, 1250);
	ASSERT_OK(vecfg_parse_cpu("0.01%", &u, &v));
	ASSERT_EQ(v, 1);
	ASSERT_OK(vecfg_parse_cpu("2400mhz", &u, &v));
	ASSERT_EQ(u, VECFG_CPU_MHZ);
	ASSERT_EQ(v, 2400);
	ASSERT_OK(vecfg_parse_cpu("2.4GHz", &u, &v));
	ASSERT_EQ(u, VECFG_CPU_MHZ);
	ASSERT_EQ(v, 2400);
	ASSERT_ERR(vecfg_parse_cpu("101", &u, &v), ERANGE);
	ASSERT_ERR(vecfg_parse_cpu("-5%", &u, &v), ERANGE);
	ASSERT_ERR(vecfg_parse_cpu("99999999999999999999999%", &u, &v), ERANGE);
	ASSERT_ERR(vecfg_parse_cpu("%", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu("1.234%", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu("1.%", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu("abc", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu("", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu(" 5", &u, &v), EINVAL);
	ASSERT_ERR(vecfg_parse_cpu("1.5mhz", &u, &v), EINVAL);

	struct vecfg_limits l = {.mask = VECFG_F_CPU, .cpu_unit = VECFG_CPU_SPEED, .cpu = 1250};
	ASSERT_OK(vecfg_format_cpu(&l, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "12.5%");
	l.cpu = 1201;
	ASSERT_OK(vecfg_format_cpu(&l, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "12.01%");
	l.cpu = 20000;
	ASSERT_OK(vecfg_format_cpu(&l, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "200%");
	l.cpu_unit = VECFG_CPU_MHZ;
	l.cpu = 2400;
	ASSERT_OK(vecfg_format_cpu(&l, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "2400mhz");
	l.cpu_unit = VECFG_CPU_PCT_ALL;
	l.cpu = 30;
	ASSERT_OK(vecfg_format_cpu(&l, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "30");
	return 0;
}

/* Every bad file is refused with a message that names the right line. */
static int expect_bad(const char *text, int line, const char *needle)
{
	struct vecfg *c = NULL;
	struct vecfg_error err = {-1, ""};
	int r = vecfg_parse(text, strlen(text), &c, &err);

	if (r != -EINVAL) {
		vecfg_free(c);
		TAP_FAIL("expected -EINVAL for %s, got %d", text, r);
	}
	ASSERT(c == NULL);
	if (line >= 0 && err.line != line)
		TAP_FAIL("line %d != %d (%s)", err.line, line, err.msg);
	if (needle && !strstr(err.msg, needle))
		TAP_FAIL("message \"%s\" lacks \"%s\"", err.msg, needle);
	return 0;
}

TEST(bad_xml)
{
	ASSERT_EQ(expect_bad(
	                  "<lveconfig>\n<defaults>\n<cpu limit=\"5\">\n</defaults>\n</lveconfig>\n",
	                  4, "malformed"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n<lve id=\"5\">\n", -1, "malformed"), 0);
	ASSERT_EQ(expect_bad("not xml at all", 1, "malformed"), 0);
	ASSERT_EQ(expect_bad("<other>\n</other>\n", 1, "lveconfig"), 0);
	ASSERT_EQ(expect_bad("<?xml version=\"1.0\"?>\n<!DOCTYPE lveconfig [<!ENTITY a "
	                     "\"aaaa\">]>\n<lveconfig/>\n",
	                     -1, "DOCTYPE"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><lve id=\"1\"><cpu limit=\"&a;\"/></lve></lveconfig>", 1,
	                     NULL),
	          0);
	struct vecfg *c = NULL;
	ASSERT_ERR(vecfg_parse("", 0, &c, NULL), EINVAL);
	ASSERT_ERR(vecfg_parse("<lveconfig/>\0<x/>", 17, &c, NULL), EINVAL);
	ASSERT(c == NULL);
	return 0;
}

TEST(bad_values)
{
	ASSERT_EQ(expect_bad("<lveconfig>\n <lve id=\"7\">\n  <pmem limit=\"-1\"/>\n "
	                     "</lve>\n</lveconfig>",
	                     3, "negative"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n<defaults>\n<io "
	                     "limit=\"4294967296\"/>\n</defaults>\n</lveconfig>",
	                     3, "too large"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><pmem "
	                     "limit=\"4503599627370496\"/></defaults></lveconfig>",
	                     1, "too large"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><mem "
	                     "limit=\"99999999999999999999999\"/></defaults></lveconfig>",
	                     1, NULL),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><nproc limit=\"12abc\"/></defaults></lveconfig>",
	                     1, "nproc"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><nproc limit=\"\"/></defaults></lveconfig>", 1,
	                     NULL),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><other "
	                     "maxentryprocs=\"1e3\"/></defaults></lveconfig>",
	                     1, "maxentryprocs"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig><defaults><cpu limit=\"101\"/></defaults></lveconfig>", 1,
	                     "cpu"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n\n<lve id=\"0\"/></lveconfig>", 3, "lve id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><lve id=\"-3\"/></lveconfig>", 1, "lve id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><lve id=\"4294967296\"/></lveconfig>", 1, "lve id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><lve id=\"abc\"/></lveconfig>", 1, "lve id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><lve/></lveconfig>", 1, "without id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><package/></lveconfig>", 1, "without id"), 0);
	ASSERT_EQ(expect_bad("<lveconfig><package id=\"\"/></lveconfig>", 1, "without id"), 0);
	return 0;
}

TEST(duplicates)
{
	ASSERT_EQ(expect_bad("<lveconfig>\n<lve id=\"5\"/>\n<lve id=\"5\"/>\n</lveconfig>", 3,
	                     "duplicate"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n<defaults/>\n<defaults/>\n</lveconfig>", 3, "duplicate"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n<package id=\"a\"/>\n<package id=\"a\"/>\n</lveconfig>",
	                     3, "duplicate"),
	          0);
	ASSERT_EQ(expect_bad("<lveconfig>\n<lve id=\"5\">\n<cpu limit=\"1\"/>\n<cpu "
	                     "limit=\"2%\"/>\n</lve>\n</lveconfig>",
	                     4, "duplicate"),
	          0);
	/* a <cpu> without the limit attribute is not ours: no duplicate */
	struct vecfg *c = NULL;
	const char *ok =
	        "<lveconfig><lve id=\"5\"><cpu x=\"1\"/><cpu limit=\"2%\"/></lve></lveconfig>";
	ASSERT_OK(vecfg_parse(ok, strlen(ok), &c, NULL));
	vecfg_free(c);
	return 0;
}

TEST(effective_layers)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	struct vecfg_limits b, e;
	const char *text =
	        "<lveconfig>"
	        "<defaults><pmem limit=\"1000\"/><io limit=\"100\"/><nproc "
	        "limit=\"50\"/></defaults>"
	        "<package id=\"gold\"><pmem limit=\"2000\"/><other maxentryprocs=\"40\"/>"
	        "<cpu limit=\"200%\"/></package>"
	        "<lve id=\"10\"><pmem limit=\"3000\"/><cpu limit=\"20\"/></lve>"
	        "</lveconfig>";

	vecfg_limits_builtin(&b);
	ASSERT_EQ(b.mask, VECFG_F_ALL);
	ASSERT_OK(parse(text, &c, NULL));

	/* an LVE with nothing of its own and no package: built-in <- defaults */
	vecfg_effective(c, 99, NULL, &e);
	ASSERT_EQ(e.mask, VECFG_F_ALL);
	ASSERT_EQ(e.pmem_pages, 1000);
	ASSERT_EQ(e.io, 100);
	ASSERT_EQ(e.nproc, 50);
	ASSERT_EQ(e.ep, b.ep);
	ASSERT_EQ(e.iops, b.iops);
	ASSERT_EQ(e.cpu_unit, b.cpu_unit);
	ASSERT_EQ(e.cpu, b.cpu);

	/* package on top */
	vecfg_effective(c, 99, "gold", &e);
	ASSERT_EQ(e.pmem_pages, 2000);
	ASSERT_EQ(e.ep, 40);
	ASSERT_EQ(e.io, 100);
	ASSERT_EQ(e.cpu_unit, VECFG_CPU_SPEED);
	ASSERT_EQ(e.cpu, 20000);

	/* unknown package: ignored */
	vecfg_effective(c, 99, "silver", &e);
	ASSERT_EQ(e.pmem_pages, 1000);

	/* the LVE's own on top of both; its old-style cpu replaces the package's speed */
	vecfg_effective(c, 10, "gold", &e);
	ASSERT_EQ(e.pmem_pages, 3000);
	ASSERT_EQ(e.ep, 40);
	ASSERT_EQ(e.io, 100);
	ASSERT_EQ(e.cpu_unit, VECFG_CPU_PCT_ALL);
	ASSERT_EQ(e.cpu, 20);

	/* id 0: the defaults themselves */
	vecfg_effective(c, 0, "gold", &e);
	ASSERT_EQ(e.pmem_pages, 1000);
	return 0;
}

TEST(to_olve_units)
{
	struct vecfg_limits v = {.mask = VECFG_F_ALL,
	                         .cpu_unit = VECFG_CPU_SPEED,
	                         .cpu = 15000,
	                         .ncpu = 2,
	                         .io = 2048,
	                         .iops = 300,
	                         .mem_pages = 10,
	                         .pmem_pages = 262144,
	                         .nproc = 70,
	                         .ep = 12};
	struct olve_limits o;

	ASSERT_OK(vecfg_to_olve(&v, 0, &o));
	ASSERT_EQ(o.speed, 15000);
	ASSERT_EQ(o.cpu_pct, 0);
	ASSERT_EQ(o.ncpu, 2);
	ASSERT_EQ(o.io, 2048);
	ASSERT_EQ(o.iops, 300);
	ASSERT_EQ(o.vmem, 40960);
	ASSERT_EQ(o.pmem, 1073741824ULL);
	ASSERT_EQ(o.nproc, 70);
	ASSERT_EQ(o.ep, 12);
	ASSERT(o.mask & OLVE_L_SPEED);
	ASSERT(o.mask & OLVE_L_CPU);
	ASSERT(!(o.mask & OLVE_L_WEIGHT));

	v.cpu_unit = VECFG_CPU_PCT_ALL;
	v.cpu = 25;
	ASSERT_OK(vecfg_to_olve(&v, 0, &o));
	ASSERT_EQ(o.cpu_pct, 25);
	ASSERT_EQ(o.speed, 0);

	/* 1200 MHz on a 2400 MHz CPU = half a core */
	v.cpu_unit = VECFG_CPU_MHZ;
	v.cpu = 1200;
	ASSERT_ERR(vecfg_to_olve(&v, 0, &o), EOPNOTSUPP);
	ASSERT_OK(vecfg_to_olve(&v, 2400, &o));
	ASSERT_EQ(o.speed, 5000);
	v.cpu = 1;
	ASSERT_OK(vecfg_to_olve(&v, 100000, &o));
	ASSERT_EQ(o.speed, 1); /* never rounds a limit down to "unlimited" */

	/* only the given fields */
	struct vecfg_limits p = {.mask = VECFG_F_PMEM, .pmem_pages = 2};
	ASSERT_OK(vecfg_to_olve(&p, 0, &o));
	ASSERT_EQ(o.mask, OLVE_L_PMEM);
	ASSERT_EQ(o.pmem, 8192);

	struct vecfg_limits bad = {.mask = VECFG_F_PMEM, .pmem_pages = VECFG_PAGES_MAX + 1};
	ASSERT_ERR(vecfg_to_olve(&bad, 0, &o), ERANGE);
	return 0;
}

TEST(set_creates_sections)
{
	_cleanup_vecfg_ struct vecfg *c = NULL, *back = NULL;
	_cleanup_free_ char *out = NULL;
	struct vecfg_limits l,
	        set = {.mask = VECFG_F_PMEM | VECFG_F_EP, .pmem_pages = 65536, .ep = 30};
	uint32_t *ids = NULL;

	ASSERT_OK(vecfg_new(&c));
	ASSERT_ERR(vecfg_get(c, &defaults, &l), ENOENT);
	ASSERT_OK(vecfg_set(c, LVE(300), &set));
	ASSERT_OK(vecfg_set(c, LVE(20), &set));
	ASSERT_OK(vecfg_set(c, LVE(1000), &set));
	set.mask = VECFG_F_CPU;
	set.cpu_unit = VECFG_CPU_SPEED;
	set.cpu = 10000;
	ASSERT_OK(vecfg_set(c, &defaults, &set));
	ASSERT_OK(vecfg_set(c, PKG("a & \"b\" <c>"), &set));
	/* a second set changes, does not duplicate */
	set.cpu = 5000;
	ASSERT_OK(vecfg_set(c, LVE(20), &set));

	out = dump(c);
	ASSERT(out);
	ASSERT_OK(parse(out, &back, NULL));
	ASSERT_EQ(vecfg_lve_ids(back, &ids), 3);
	ASSERT_EQ(ids[0], 20);
	ASSERT_EQ(ids[1], 300);
	ASSERT_EQ(ids[2], 1000);
	free(ids);
	ASSERT_OK(vecfg_get(back, LVE(20), &l));
	ASSERT_EQ(l.mask, VECFG_F_PMEM | VECFG_F_EP | VECFG_F_CPU);
	ASSERT_EQ(l.cpu, 5000);
	ASSERT_EQ(l.pmem_pages, 65536);
	ASSERT_OK(vecfg_get(back, &defaults, &l));
	ASSERT_EQ(l.cpu, 10000);
	ASSERT_OK(vecfg_get(back, PKG("a & \"b\" <c>"), &l));
	ASSERT_EQ(l.cpu, 10000);
	/* the defaults section comes first */
	ASSERT(strstr(out, "<defaults>") < strstr(out, "<lve id"));

	ASSERT_OK(vecfg_delete(back, LVE(300)));
	ASSERT_ERR(vecfg_delete(back, LVE(300)), ENOENT);
	ASSERT_ERR(vecfg_delete(back, &defaults), EINVAL);
	ASSERT_OK(vecfg_delete(back, PKG("a & \"b\" <c>")));
	ASSERT_EQ(vecfg_n_packages(back), 0);
	ASSERT_EQ(vecfg_lve_ids(back, &ids), 2);
	ASSERT_EQ(ids[0], 20);
	ASSERT_EQ(ids[1], 1000);
	free(ids);
	return 0;
}

TEST(set_rejects_bad_values_unchanged)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct vecfg_limits l;

	ASSERT_OK(parse(cl_doc_sample, &c, NULL));
	before = dump(c);
	l = (struct vecfg_limits){.mask = VECFG_F_CPU | VECFG_F_PMEM,
	                          .cpu_unit = VECFG_CPU_PCT_ALL,
	                          .cpu = 150,
	                          .pmem_pages = 5};
	ASSERT_ERR(vecfg_set(c, LVE(532), &l), ERANGE);
	l = (struct vecfg_limits){.mask = VECFG_F_PMEM, .pmem_pages = VECFG_PAGES_MAX + 1};
	ASSERT_ERR(vecfg_set(c, LVE(9), &l), ERANGE);
	l = (struct vecfg_limits){.mask = 1u << 20};
	ASSERT_ERR(vecfg_set(c, LVE(9), &l), EINVAL);
	l = (struct vecfg_limits){.mask = VECFG_F_IO, .io = 5};
	ASSERT_ERR(vecfg_set(c, LVE(0), &l), EINVAL);
	ASSERT_ERR(vecfg_set(c, PKG(""), &l), EINVAL);
	ASSERT_ERR(vecfg_set(c, PKG(" lead"), &l), EINVAL);
	ASSERT_ERR(vecfg_set(c, PKG("ctl\x01"), &l), EINVAL);
	ASSERT_ERR(vecfg_unset(c, LVE(9), VECFG_F_IO), ENOENT);
	after = dump(c);
	ASSERT_STREQ(before, after);
	return 0;
}

TEST(many_lves)
{
	_cleanup_vecfg_ struct vecfg *c = NULL, *back = NULL;
	_cleanup_free_ char *out = NULL;
	struct vecfg_limits l = {.mask = VECFG_F_IO};
	uint32_t *ids = NULL;

	ASSERT_OK(vecfg_new(&c));
	/* descending inserts exercise the sorted index */
	for (uint32_t id = 5000; id >= 1; id--) {
		l.io = id;
		ASSERT_OK(vecfg_set(c, LVE(id), &l));
	}
	out = dump(c);
	ASSERT(out);
	ASSERT_OK(parse(out, &back, NULL));
	ASSERT_EQ(vecfg_lve_ids(back, &ids), 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		ASSERT_EQ(ids[i], i + 1);
		ASSERT_OK(vecfg_get(back, LVE(i + 1), &l));
		ASSERT_EQ(l.io, i + 1);
	}
	free(ids);
	return 0;
}

/* ------------------------------------------------------------- files */

static char tmpdir[64];

static int make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-vecfg.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -errno;
}

static void rm_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)!system(cmd);
}

TEST(load_store)
{
	_cleanup_vecfg_ struct vecfg *c = NULL, *back = NULL;
	char path[128], sub[128];
	struct vecfg_limits l = {.mask = VECFG_F_NPROC, .nproc = 77};
	struct stat st;
	int r;

	ASSERT_OK(make_tmpdir());
	snprintf(path, sizeof(path), "%s/container/ve.cfg", tmpdir);
	/* missing directory and file: empty configuration */
	r = vecfg_load(path, &c, NULL);
	ASSERT_EQ(r, 0);
	ASSERT_OK(vecfg_set(c, LVE(42), &l));
	ASSERT_OK(vecfg_store(path, c));
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0644);
	r = vecfg_load(path, &back, NULL);
	ASSERT_EQ(r, 1);
	ASSERT_OK(vecfg_get(back, LVE(42), &l));
	ASSERT_EQ(l.nproc, 77);
	/* no temp files left behind */
	snprintf(sub, sizeof(sub), "ls -A '%s/container' | grep -v -x -e ve.cfg | grep -q .",
	         tmpdir);
	ASSERT(system(sub) != 0);
	rm_tmpdir();
	return 0;
}

TEST(load_bad_file_reports_line)
{
	struct vecfg *c = NULL;
	struct vecfg_error err = {0};
	char path[128];
	FILE *f;

	ASSERT_OK(make_tmpdir());
	snprintf(path, sizeof(path), "%s/ve.cfg", tmpdir);
	f = fopen(path, "we");
	ASSERT(f);
	fputs("<lveconfig>\n<lve id=\"3\">\n<io limit=\"x\"/>\n</lve>\n</lveconfig>\n", f);
	fclose(f);
	ASSERT_ERR(vecfg_load(path, &c, &err), EINVAL);
	ASSERT(c == NULL);
	ASSERT_EQ(err.line, 3);
	ASSERT(strstr(err.msg, "io"));
	/* a relative or empty path is refused */
	ASSERT_ERR(vecfg_load("", &c, NULL), EINVAL);
	rm_tmpdir();
	return 0;
}

TEST(lock_is_exclusive)
{
	char path[128];
	int fd, fd2, status;
	pid_t pid;

	ASSERT_OK(make_tmpdir());
	snprintf(path, sizeof(path), "%s/ve.cfg", tmpdir);
	fd = vecfg_lock(path, true, false);
	ASSERT_OK(fd);
	pid = fork();
	if (pid == 0) {
		/* A second open file description must not get the lock while we hold it. */
		char lk[160];
		int o;

		snprintf(lk, sizeof(lk), "%s/.ve.cfg.lock", tmpdir);
		o = open(lk, O_RDWR | O_CLOEXEC);
		if (o < 0)
			_exit(2);
		_exit(flock(o, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	ASSERT(pid > 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	close(fd);
	/* released: a shared lock is granted now */
	fd2 = vecfg_lock(path, false, false);
	ASSERT_OK(fd2);
	close(fd2);
	rm_tmpdir();
	return 0;
}

TAP_MAIN()

/* [issue 10] reseller sections and the reseller= attribute. */
TEST(reseller_sections)
{
	_cleanup_vecfg_ struct vecfg *c = NULL;
	struct vecfg_error err = {0};
	struct vecfg_limits l;
	_cleanup_free_ uint32_t *ids = NULL;
	_cleanup_free_ char *out = NULL;
	size_t len;

	ASSERT_OK(parse("<lveconfig><defaults><nproc limit=\"100\"/></defaults>"
	                "<reseller id=\"7000\" user=\"res\"><cpu limit=\"50%\"/></reseller>"
	                "<resellerdefaults id=\"7000\"><nproc limit=\"33\"/></resellerdefaults>"
	                "<lve id=\"7001\" reseller=\"7000\"><pmem limit=\"100\"/></lve>"
	                "<lve id=\"8\"/></lveconfig>",
	                &c, &err));
	ASSERT_EQ(vecfg_lve_reseller(c, 7001), 7000);
	ASSERT_EQ(vecfg_lve_reseller(c, 8), 0);
	ASSERT_EQ(vecfg_reseller_ids(c, &ids), 1);
	ASSERT_EQ(ids[0], 7000);
	ASSERT_STREQ(vecfg_reseller_user(c, 7000), "res");
	/* a customer: the reseller's defaults over the hoster's */
	vecfg_effective(c, 7001, NULL, &l);
	ASSERT_EQ(l.nproc, 33);
	ASSERT_EQ(l.pmem_pages, 100);
	vecfg_effective(c, 8, NULL, &l);
	ASSERT_EQ(l.nproc, 100);
	/* move out, and in again through the API */
	ASSERT_OK(vecfg_set_lve_reseller(c, 7001, 0));
	ASSERT_EQ(vecfg_lve_reseller(c, 7001), 0);
	ASSERT_ERR(vecfg_set_lve_reseller(c, 8, 9), ENOENT);
	ASSERT_OK(vecfg_set_lve_reseller(c, 9, 7000)); /* creates <lve id="9"> */
	ASSERT_OK(vecfg_serialize(c, &out, &len));
	ASSERT(strstr(out, "<lve id=\"9\" reseller=\"7000\"/>"));
	ASSERT(strstr(out, "<resellerdefaults id=\"7000\">"));
	vecfg_free(TAKE_PTR(c));
	/* bad input, with the line */
	ASSERT_ERR(parse("<lveconfig>\n<lve id=\"5\" reseller=\"9\"/></lveconfig>", &c, &err), EINVAL);
	ASSERT_EQ(err.line, 2);
	ASSERT_ERR(parse("<lveconfig><reseller id=\"1\"/><lve id=\"5\" reseller=\"0\"/></lveconfig>", &c, &err),
	           EINVAL);
	/* a non-numeric id is not openlve's form: kept, not a reseller */
	ASSERT_OK(parse("<lveconfig><reseller id=\"x\"/></lveconfig>", &c, &err));
	free(TAKE_PTR(ids));
	ASSERT_EQ(vecfg_reseller_ids(c, &ids), 0);
	vecfg_free(TAKE_PTR(c));
	ASSERT_ERR(parse("<lveconfig><reseller id=\"1\"/><reseller id=\"1\"/></lveconfig>", &c, &err), EINVAL);
	return 0;
}
