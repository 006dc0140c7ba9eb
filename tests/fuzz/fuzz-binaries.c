/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-binaries - libFuzzer target for the parser of lvectl's binaries
 * lists (src/liblve/binaries.c: /etc/container/lve-binaries and the loaded
 * list openlve-placed reads). Issue 10.
 *
 * Invariants: on success every path passes olve_binary_path_check, no path
 * twice, at most OLVE_BINARIES_MAX; the canonical text (olve_binaries_format)
 * parses back to the same list in the same order; on error a message and
 * no output. A violation aborts.
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

#include "binaries.h"
#include "fuzz-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct olve_binaries b = {0}, again = {0};
	struct olve_binaries_error e;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = olve_binaries_parse((const char *)data, size, &b, &e);
	if (r < 0) {
		fuzz_check(b.n == 0 && b.path == NULL, "no output on error");
		fuzz_check(e.msg[0], "error message");
		return 0;
	}
	fuzz_check(b.n <= OLVE_BINARIES_MAX, "at most the maximum");
	for (size_t i = 0; i < b.n; i++) {
		const char *why;

		fuzz_check(olve_binary_path_check(b.path[i], &why) == 0, "every path canonical");
		for (size_t k = 0; k < i; k++)
			fuzz_check(strcmp(b.path[k], b.path[i]) != 0, "each path once");
	}
	fuzz_check(!b.dup_line || (b.dup_of && b.dup_of < b.dup_line), "duplicate lines ordered");
	fuzz_check(olve_binaries_format(&b, "# header\n", &text, &len) == 0, "format");
	fuzz_check(olve_binaries_parse(text, len, &again, &e) == 0, "canonical text parses");
	fuzz_check(again.n == b.n && again.dup_line == 0, "same entries, no duplicate");
	for (size_t i = 0; i < b.n; i++)
		fuzz_check(!strcmp(again.path[i], b.path[i]), "same order");
	free(text);
	olve_binaries_free(&again);
	olve_binaries_free(&b);
	return 0;
}
