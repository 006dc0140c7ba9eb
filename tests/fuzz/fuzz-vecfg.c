/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-vecfg - libFuzzer target for the ve.cfg parser and writer
 * (vecfg_parse / vecfg_serialize / vecfg_set, src/liblve/vecfg.c).
 *
 * Any input must either be refused with -EINVAL/-EFBIG and an error
 * message, or parse into a configuration whose serialization parses again
 * to the same values and serializes to the same bytes (a fixed point);
 * setting a limit on it and writing it out must also parse back. A
 * violation aborts.
 *
 * Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a libFuzzer
 * target; otherwise fuzz-driver.c makes it a plain program that runs every
 * file named on the command line once (corpus replay, crash reproduction).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-driver.h"
#include "vecfg.h"

static bool same_limits(const struct vecfg *a, const struct vecfg *b, const struct vecfg_key *k)
{
	struct vecfg_limits la, lb;
	int ra = vecfg_get(a, k, &la), rb = vecfg_get(b, k, &lb);

	if (ra != rb)
		return false;
	return ra < 0 || memcmp(&la, &lb, sizeof(la)) == 0;
}

static void check_same(const struct vecfg *a, const struct vecfg *b)
{
	uint32_t *ia = NULL, *ib = NULL;
	int na = vecfg_lve_ids(a, &ia), nb = vecfg_lve_ids(b, &ib);

	fuzz_check(na >= 0 && na == nb, "same number of lve sections");
	for (int i = 0; i < na; i++) {
		fuzz_check(ia[i] == ib[i], "same lve ids");
		fuzz_check(i == 0 || ia[i - 1] < ia[i], "lve ids sorted and unique");
		fuzz_check(ia[i] != 0, "no lve id 0");
		fuzz_check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_LVE, .id = ia[i]}),
		           "same lve limits");
	}
	free(ia);
	free(ib);
	fuzz_check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_DEFAULTS}), "same defaults");
	fuzz_check(vecfg_n_packages(a) == vecfg_n_packages(b), "same number of packages");
	for (size_t i = 0; i < vecfg_n_packages(a); i++) {
		const char *n = vecfg_package_name(a, i);

		fuzz_check(n && vecfg_package_name(b, i) && strcmp(n, vecfg_package_name(b, i)) == 0,
		           "same package names");
		fuzz_check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = n}),
		           "same package limits");
	}
}

static void check_values(const struct vecfg *c)
{
	struct vecfg_limits l;
	struct olve_limits o;
	uint32_t *ids = NULL;
	int n = vecfg_lve_ids(c, &ids);

	for (int i = 0; i < n; i++) {
		vecfg_effective(c, ids[i], vecfg_package_name(c, 0), &l);
		fuzz_check(l.mask == VECFG_F_ALL, "effective limits complete");
		fuzz_check(vecfg_to_olve(&l, 2400, &o) == 0 || l.cpu_unit == VECFG_CPU_MHZ,
		           "effective limits convert");
	}
	free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vecfg *a = NULL, *b = NULL, *d = NULL;
	struct vecfg_error err = {0};
	char *t1 = NULL, *t2 = NULL, *t3 = NULL;
	size_t n1, n2, n3;
	int r;

	r = vecfg_parse((const char *)data, size, &a, &err);
	if (r < 0) {
		fuzz_check(r == -EINVAL || r == -EFBIG || r == -ENOMEM, "parse error code");
		fuzz_check(a == NULL, "no output on error");
		fuzz_check(err.msg[0] != 0, "error has a message");
		return 0;
	}
	check_values(a);
	fuzz_check(vecfg_serialize(a, &t1, &n1) == 0, "serialize");
	fuzz_check(strlen(t1) == n1, "serialized length");
	r = vecfg_parse(t1, n1, &b, &err);
	if (r < 0)
		fprintf(stderr, "fuzz-vecfg: reparse failed at line %d: %s\n", err.line, err.msg);
	fuzz_check(r == 0, "serialized text parses");
	check_same(a, b);
	fuzz_check(vecfg_serialize(b, &t2, &n2) == 0, "serialize again");
	fuzz_check(n1 == n2 && memcmp(t1, t2, n1) == 0, "serialization is a fixed point");

	/* modify and write again */
	struct vecfg_limits set = {.mask = VECFG_F_CPU | VECFG_F_PMEM | VECFG_F_EP,
	                           .cpu_unit = VECFG_CPU_SPEED,
	                           .cpu = 12345,
	                           .pmem_pages = 4242,
	                           .ep = 7};
	fuzz_check(vecfg_set(b, &(struct vecfg_key){.kind = VECFG_LVE, .id = 77}, &set) == 0, "set lve");
	fuzz_check(vecfg_set(b, &(struct vecfg_key){.kind = VECFG_DEFAULTS}, &set) == 0, "set defaults");
	fuzz_check(vecfg_serialize(b, &t3, &n3) == 0, "serialize modified");
	fuzz_check(vecfg_parse(t3, n3, &d, &err) == 0, "modified text parses");
	{
		struct vecfg_limits l;

		fuzz_check(vecfg_get(d, &(struct vecfg_key){.kind = VECFG_LVE, .id = 77}, &l) == 0 &&
		                   l.cpu == 12345 && l.cpu_unit == VECFG_CPU_SPEED &&
		                   l.pmem_pages == 4242 && l.ep == 7,
		           "set values read back");
	}
	vecfg_free(a);
	vecfg_free(b);
	vecfg_free(d);
	free(t1);
	free(t2);
	free(t3);
	return 0;
}
