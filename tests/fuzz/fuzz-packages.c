/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-packages - libFuzzer target for the parsers of package-script output
 * and of /etc/sysconfig/cloudlinux (src/liblve/packages.c).
 *
 * The first byte of the input picks the parser (--list-all, --package,
 * --list-packages, --userid, sysconfig); the rest is the text. Results must
 * satisfy the documented invariants (sorted unique uids, valid names, no
 * output on error); a violation aborts.
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
#include "packages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct pkg_error err = {0};
	int r;

	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0: {
		struct pkg_map m = {0};

		r = pkg_parse_list_all(text, len, &m, &err);
		if (r < 0) {
			fuzz_check(m.n == 0 && m.v == NULL, "no output on error");
			fuzz_check(err.msg[0], "error message");
			break;
		}
		for (size_t i = 0; i < m.n; i++) {
			fuzz_check(pkg_name_valid(m.v[i].package), "valid package name");
			fuzz_check(m.v[i].uid != UINT32_MAX, "uid range");
			fuzz_check(i == 0 || m.v[i - 1].uid < m.v[i].uid, "uids sorted and unique");
			fuzz_check(pkg_map_lookup(&m, m.v[i].uid) == m.v[i].package, "lookup finds it");
		}
		pkg_map_free(&m);
		break;
	}
	case 1: {
		uint32_t *u = NULL;

		r = pkg_parse_uids(text, len, &u, &err);
		if (r < 0) {
			fuzz_check(u == NULL, "no output on error");
			break;
		}
		for (int i = 1; i < r; i++)
			fuzz_check(u[i - 1] < u[i], "uids sorted and unique");
		free(u);
		break;
	}
	case 2: {
		struct pkg_names n = {0};

		r = pkg_parse_names(text, len, &n, &err);
		if (r < 0) {
			fuzz_check(n.n == 0 && n.v == NULL, "no output on error");
			break;
		}
		for (size_t i = 0; i < n.n; i++) {
			fuzz_check(pkg_name_valid(n.v[i]), "valid name");
			for (size_t j = 0; j < i; j++)
				fuzz_check(strcmp(n.v[i], n.v[j]) != 0, "names unique");
		}
		pkg_names_free(&n);
		break;
	}
	case 3: {
		char *name = (char *)"x";

		r = pkg_parse_one(text, len, &name, &err);
		if (r < 0) {
			fuzz_check(name && name[0] == 'x', "no output on error");
			break;
		}
		fuzz_check(name == NULL || pkg_name_valid(name), "valid name");
		free(name);
		break;
	}
	default: {
		char *s = malloc(len + 1), *v = NULL;

		if (!s)
			return 0;
		memcpy(s, text, len);
		s[len] = 0;
		r = pkg_sysconfig_get(s, "CUSTOM_GETPACKAGE_SCRIPT", &v);
		fuzz_check(r == 0 || r == -ENOENT || r == -ENOMEM, "sysconfig result");
		if (r == 0) {
			fuzz_check(v && v[0] && !strchr(v, '\n'), "value is one non-empty line");
			free(v);
		}
		free(s);
		break;
	}
	}
	return 0;
}
