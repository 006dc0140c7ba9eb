#!/bin/sh
# Build openlve twice (release-ish with -Werror, and address+undefined
# sanitizers) and run every test suite: unit, host (real kernel, root) and
# vm (cgroup v2 and v1 in QEMU). Ends with "N passed, N failed, N skipped"
# counting individual test cases (TAP lines) across both builds.
#
#   scripts/test.sh [--no-deps] [--quick]
#     --no-deps  skip scripts/install-deps.sh
#     --quick    one build only (no sanitizer build)
set -u
cd "$(dirname "$0")/.."
SRC=$(pwd)
DEPS=1
QUICK=0
for a in "$@"; do
	case "$a" in
	--no-deps) DEPS=0 ;;
	--quick) QUICK=1 ;;
	*) echo "test.sh: unknown option $a (use --no-deps, --quick)" >&2; exit 2 ;;
	esac
done

if [ "$DEPS" = 1 ]; then
	"$SRC/scripts/install-deps.sh" || { echo "test.sh: dependency install failed" >&2; exit 1; }
fi

rc=0
builds="build-test"
setup_build() { # dir, extra args...
	d=$1; shift
	if [ -d "$d" ]; then
		meson setup --reconfigure "$d" "$@" >"$d.setup.log" 2>&1
	else
		meson setup "$d" "$@" >"$d.setup.log" 2>&1
	fi || { cat "$d.setup.log"; echo "test.sh: meson setup of $d failed" >&2; return 1; }
	ninja -C "$d" >"$d.build.log" 2>&1 || { tail -50 "$d.build.log"; echo "test.sh: build of $d failed" >&2; return 1; }
}

setup_build build-test -Dwerror=true -Dbuildtype=debugoptimized || exit 1
meson test -C build-test --print-errorlogs --num-processes 2 --suite unit --suite host --suite vm || rc=1

if [ "$QUICK" = 0 ]; then
	builds="$builds build-asan"
	setup_build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false -Dvm_tests=disabled || exit 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite host || rc=1
fi

python3 "$SRC/scripts/count-tests.py" $builds || rc=1
exit $rc
