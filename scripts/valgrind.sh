#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# valgrind.sh - run one openlve program under valgrind's memcheck with the
# project's suppressions (tests/valgrind.supp), full leak checking, and
# without valgrind 3.19's "unhandled syscall: 437" (openat2) notice, which is
# not an error (see the suppressions file).
#
#   scripts/valgrind.sh PROGRAM [ARGS...]      e.g. scripts/valgrind.sh build/src/lved/lved --once
#
# Exit status: the program's, or 99 when valgrind reported an error or leak.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
valgrind -q --suppressions="$SRC/tests/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --log-file="$log" "$@"
rc=$?
# drop the 5-line notice about syscall 437 (openat2); keep everything else
awk '
	/WARNING: unhandled amd64-linux syscall: 437$/ { skip = 4; next }
	skip > 0 { skip--; next }
	{ print }
' "$log" >&2
exit $rc
