#!/bin/sh
# Build openlve twice (release-ish with -Werror, and address+undefined
# sanitizers) and run every test suite: unit, host (real kernel, root),
# vm (cgroup v2 and v1 in QEMU), fuzz (every libFuzzer target for 15 s in
# a clang build of its own, build-test/fuzz-clang) and system (the .debs
# installed on a Debian 12 booted with systemd in QEMU, v2 and v1;
# tests/system/README.md). Ends with "N passed, N failed, N skipped"
# counting individual test cases (TAP lines) across both builds.
#
#   scripts/test.sh [--no-deps] [--quick]
#     --no-deps  skip scripts/install-deps.sh
#     --quick    one build only (no sanitizer build)
#
# In CI (CI=true or OPENLVE_REQUIRE_VM=1; .ci/run) nothing may quietly not
# run: the VM suite is required (-Dvm_tests=enabled, OPENLVE_REQUIRE_VM=1),
# a test that cannot be built stops configure (-Drequire_all_tests=true),
# and scripts/count-tests.py --strict fails on any skip not listed in
# tests/expected-skips.txt and on case counts below tests/min-counts.txt.
# Every option is passed explicitly, so `meson setup --reconfigure` of an
# existing build dir cannot keep an earlier -Dvm_tests=disabled.
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

CI_MODE=0
case "${CI:-}" in true | 1 | yes) CI_MODE=1 ;; esac
[ "${OPENLVE_REQUIRE_VM:-}" = 1 ] && CI_MODE=1
if [ "$CI_MODE" = 1 ]; then
	export OPENLVE_REQUIRE_VM=1
	VM_TESTS=enabled REQUIRE_ALL=true STRICT=--strict
	[ "$QUICK" = 1 ] && { echo "test.sh: --quick is not allowed in CI (the sanitizer build is part of the run)" >&2; exit 2; }
else
	VM_TESTS=auto REQUIRE_ALL=false STRICT=
fi

rc=0
builds="build-test"

# [system] the system suite's Debian 12 rootfs is made once from the Debian
# archive (mmdebstrap, ~1 min, then cached in /var/cache/openlve-system):
# on a fresh machine it is built here in the background while the builds
# compile; the suite waits for it (build-rootfs.sh holds a lock) and reports
# a failure itself. Nothing timing-sensitive runs meanwhile.
SYSTEM_CACHE=${OPENLVE_SYSTEM_CACHE:-/var/cache/openlve-system}
rootfs_pid=
if [ "$(id -u)" = 0 ] && command -v mmdebstrap >/dev/null; then
	"$SRC/tests/system/build-rootfs.sh" "$SYSTEM_CACHE" >build-rootfs.log 2>&1 &
	rootfs_pid=$!
fi
# [/system]
setup_build() { # dir, extra args...
	d=$1; shift
	if [ -d "$d" ]; then
		meson setup --reconfigure "$d" "$@" >"$d.setup.log" 2>&1
	else
		meson setup "$d" "$@" >"$d.setup.log" 2>&1
	fi || { cat "$d.setup.log"; echo "test.sh: meson setup of $d failed" >&2; return 1; }
	ninja -C "$d" >"$d.build.log" 2>&1 || { tail -50 "$d.build.log"; echo "test.sh: build of $d failed" >&2; return 1; }
}

setup_build build-test -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=none -Dtests=true \
	-Dbench=true -Dvm_tests=$VM_TESTS -Drequire_all_tests=$REQUIRE_ALL || exit 1
# [system] the system suite runs last in this meson test (is_parallel: false,
# alone), so its cases are in build-test's test log with the others
[ -n "$rootfs_pid" ] && { wait "$rootfs_pid" || cat build-rootfs.log; }
# the VM runners (tests/vm/olve-vm.py, tests/system/olve-system.py) note
# every stalled guest and stuck test here, with its console; printed below
rm -f build-test/meson-logs/vm-events.txt
meson test -C build-test --print-errorlogs --num-processes 2 --suite unit --suite host --suite vm --suite fuzz \
	--suite system --suite bench || rc=1

if [ "$QUICK" = 0 ]; then
	builds="$builds build-asan"
	setup_build build-asan -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false -Dtests=true -Dbench=false -Dvm_tests=disabled -Drequire_all_tests=$REQUIRE_ALL || exit 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite host || rc=1
fi

# a guest that stalled and was run again may have passed: its trace is here
if [ -s build-test/meson-logs/vm-events.txt ]; then
	echo "test.sh: VM events of this run (build-test/meson-logs/vm-events.txt, last 100 lines):"
	tail -n 100 build-test/meson-logs/vm-events.txt | cut -c1-200
fi
# shellcheck disable=SC2086
python3 "$SRC/scripts/count-tests.py" $STRICT $builds || rc=1
exit $rc
