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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort() (a finding) when it is false. */
static inline void fuzz_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "%s: invariant violated: %s\n", program_invocation_short_name, what);
		abort();
	}
}
