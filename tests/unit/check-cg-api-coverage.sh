#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-cg-api-coverage - every function libopenlve-cgroup.so.1 exports
# (src/libcgroup/libopenlve-cgroup.sym) is called by a functional test
# (tests/host/test-cg-*.c; functions that never touch the kernel may be
# covered by tests/unit/test-cg-*.c instead), and every one is declared in a public header
# (include/lve/libcgroup.h, include/lve/libcgroup/*.h). TAP output.
set -u
src=${1:?usage: check-cg-api-coverage.sh SOURCE_ROOT}
sym="$src/src/libcgroup/libopenlve-cgroup.sym"
names=$(sed -n 's/^\t\([a-z_0-9]*\);$/\1/p' "$sym")
n=0
fail=0
count=$(printf '%s\n' "$names" | wc -l)
echo "1..$((count * 2))"
for f in $names; do
	n=$((n + 1))
	if grep -qE -- "\b$f\(" "$src"/tests/host/test-cg-*.c "$src"/tests/unit/test-cg-*.c; then
		echo "ok $n - $f is called by a functional test"
	else
		echo "not ok $n - $f is called by no tests/{host,unit}/test-cg-*.c"
		fail=1
	fi
	n=$((n + 1))
	if grep -qE -- "\b$f\(" "$src"/include/lve/libcgroup.h "$src"/include/lve/libcgroup/*.h; then
		echo "ok $n - $f is declared in a public header"
	else
		echo "not ok $n - $f is declared in no public header"
		fail=1
	fi
done
exit $fail
