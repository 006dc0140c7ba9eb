/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-driver.h - what every fuzz target shares.
 *
 * A target defines LLVMFuzzerTestOneInput() and checks its invariants with
 * fuzz_check(). Built with -fsanitize=fuzzer and -DOPENLVE_LIBFUZZER it is a
 * libFuzzer target; otherwise fuzz-driver.c is linked in and supplies main():
 * `fuzz-NAME FILE...` runs every file once (corpus replay, crash
 * reproduction), or standard input when no file is named.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort() (a finding) when it is false. */
static inline void fuzz_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "%s: invariant violated: %s\n", program_invocation_short_name, what);
		abort();
	}
}

/*
 * The input as a NUL-terminated string, malloc'd (NULL when out of memory).
 * lines (may be NULL): 1 + the number of '\n' before the first NUL.
 */
static inline char *fuzz_text(const uint8_t *data, size_t size, unsigned *lines)
{
	char *text = malloc(size + 1);

	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = 0;
	if (lines) {
		*lines = 1;
		for (size_t i = 0; i < size && text[i]; i++)
			if (text[i] == '\n')
				(*lines)++;
	}
	return text;
}
