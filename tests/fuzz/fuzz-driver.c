/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-driver - main() of the fuzz targets built without libFuzzer (see
 * fuzz-driver.h): each file named on the command line, or standard input
 * when none is, is read whole and passed once to LLVMFuzzerTestOneInput().
 * Prints "FILE: ok" per input; exits 1 when an input cannot be opened or
 * read (the others still run), 0 otherwise. A finding aborts.
 */
#include "fuzz-driver.h"

/* Reads all of f and runs it: 0, or 1 when it cannot be read. */
static int run_stream(FILE *f, const char *what)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		size_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				fprintf(stderr, "%s: %s: out of memory\n", program_invocation_short_name, what);
				free(buf);
				return 1;
			}
			buf = nb;
			cap = ncap;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: cannot read %s\n", program_invocation_short_name, what);
		free(buf);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	printf("%s: ok\n", what);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return run_stream(stdin, "stdin");
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");

		if (!f) {
			fprintf(stderr, "%s: cannot open %s: %m\n", program_invocation_short_name, argv[i]);
			rc = 1;
			continue;
		}
		rc |= run_stream(f, argv[i]);
		fclose(f);
	}
	return rc;
}
