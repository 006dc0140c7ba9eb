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
 * target. Without, it is a plain program: `fuzz-vecfg FILE...` runs every
 * file once (corpus replay, crash reproduction) and exits 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vecfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-vecfg: invariant violated: %s\n", what);
		abort();
	}
}

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

	check(na >= 0 && na == nb, "same number of lve sections");
	for (int i = 0; i < na; i++) {
		check(ia[i] == ib[i], "same lve ids");
		check(i == 0 || ia[i - 1] < ia[i], "lve ids sorted and unique");
		check(ia[i] != 0, "no lve id 0");
		check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_LVE, .id = ia[i]}),
		      "same lve limits");
	}
	free(ia);
	free(ib);
	check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_DEFAULTS}), "same defaults");
	check(vecfg_n_packages(a) == vecfg_n_packages(b), "same number of packages");
	for (size_t i = 0; i < vecfg_n_packages(a); i++) {
		const char *n = vecfg_package_name(a, i);

		check(n && vecfg_package_name(b, i) && strcmp(n, vecfg_package_name(b, i)) == 0,
		      "same package names");
		check(same_limits(a, b, &(struct vecfg_key){.kind = VECFG_PACKAGE, .name = n}),
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
		check(l.mask == VECFG_F_ALL, "effective limits complete");
		check(vecfg_to_olve(&l, 2400, &o) == 0 || l.cpu_unit == VECFG_CPU_MHZ,
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
		check(r == -EINVAL || r == -EFBIG || r == -ENOMEM, "parse error code");
		check(a == NULL, "no output on error");
		check(err.msg[0] != 0, "error has a message");
		return 0;
	}
	check_values(a);
	check(vecfg_serialize(a, &t1, &n1) == 0, "serialize");
	check(strlen(t1) == n1, "serialized length");
	r = vecfg_parse(t1, n1, &b, &err);
	if (r < 0)
		fprintf(stderr, "fuzz-vecfg: reparse failed at line %d: %s\n", err.line, err.msg);
	check(r == 0, "serialized text parses");
	check_same(a, b);
	check(vecfg_serialize(b, &t2, &n2) == 0, "serialize again");
	check(n1 == n2 && memcmp(t1, t2, n1) == 0, "serialization is a fixed point");

	/* modify and write again */
	struct vecfg_limits set = {.mask = VECFG_F_CPU | VECFG_F_PMEM | VECFG_F_EP,
	                           .cpu_unit = VECFG_CPU_SPEED,
	                           .cpu = 12345,
	                           .pmem_pages = 4242,
	                           .ep = 7};
	check(vecfg_set(b, &(struct vecfg_key){.kind = VECFG_LVE, .id = 77}, &set) == 0, "set lve");
	check(vecfg_set(b, &(struct vecfg_key){.kind = VECFG_DEFAULTS}, &set) == 0, "set defaults");
	check(vecfg_serialize(b, &t3, &n3) == 0, "serialize modified");
	check(vecfg_parse(t3, n3, &d, &err) == 0, "modified text parses");
	{
		struct vecfg_limits l;

		check(vecfg_get(d, &(struct vecfg_key){.kind = VECFG_LVE, .id = 77}, &l) == 0 &&
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

#ifndef OPENLVE_LIBFUZZER
int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;

		if (!f) {
			fprintf(stderr, "fuzz-vecfg: cannot open %s: %m\n", argv[i]);
			rc = 1;
			continue;
		}
		for (;;) {
			size_t n;

			if (len == cap) {
				uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

				if (!nb) {
					fprintf(stderr, "fuzz-vecfg: out of memory\n");
					free(buf);
					fclose(f);
					return 1;
				}
				buf = nb;
				cap = cap ? cap * 2 : 4096;
			}
			n = fread(buf + len, 1, cap - len, f);
			if (n == 0)
				break;
			len += n;
		}
		if (ferror(f)) {
			fprintf(stderr, "fuzz-vecfg: cannot read %s\n", argv[i]);
			rc = 1;
		} else {
			LLVMFuzzerTestOneInput(buf, len);
			printf("%s: ok\n", argv[i]);
		}
		free(buf);
		fclose(f);
	}
	return rc;
}
#endif
