#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fuzz.sh - run every libFuzzer target of openlve for a bounded time, growing
# the seed corpora in the repository (tests/fuzz/corpus-<target>/).
#
#   scripts/fuzz.sh [--seconds N] [--jobs N] [--tap] [--build DIR] [--grow] [TARGET...]
#
#   --seconds N   per target (default 30; the CI run, meson test --suite fuzz,
#                 uses 15 with --jobs 2)
#   --jobs N      run N targets at the same time (default 1)
#   --tap         print one TAP case per target (meson's fuzz-libfuzzer test)
#   --build DIR   the clang build (default <source>/build-fuzz; made when missing:
#                 CC=clang meson setup DIR -Dfuzz=true)
#   --grow        afterwards add to the repository's corpus the inputs of this
#                 run that reach new coverage (libFuzzer -merge=1): commit them
#   TARGET        convert, vecfg, ... (default: every fuzz-*-libfuzzer target
#                 the build defines, tests/fuzz/meson.build and tests/meson.build)
#
# Each target starts from its seed corpus in the repository,
# tests/fuzz/corpus-<target>/ (read only), and writes what it finds to
# DIR/fuzz-corpus/<target>/, which later runs reuse. With --grow the inputs
# that add coverage are merged into the repository's corpus (a few per run,
# not every input found): the corpora grow in the repo with each grown run
# and every plain build replays them (meson test --suite unit).
# A crash, leak, sanitizer report or timeout fails the run; the input is kept
# as DIR/fuzz-artifacts/<target>-crash-* and the log tail printed.
#
# Long run (hours, e.g. before a release), per parser:
#   scripts/fuzz.sh --seconds 3600 --grow vecfg
#   scripts/fuzz.sh --seconds 3600 --grow          # every target, an hour each
# or directly: build-fuzz/tests/fuzz/fuzz-vecfg-libfuzzer -max_total_time=3600 \
#   -jobs=2 build-fuzz/fuzz-corpus/vecfg tests/fuzz/corpus-vecfg
#
# Exit: 0 all targets ran clean, 1 a finding or a build failure, 77 clang or
# its libFuzzer runtime is missing (meson counts the test as skipped).
# With --tap a missing clang is a plan "1..0 # SKIP" (exit 0) and each target
# one "ok"/"not ok" line, so scripts/count-tests.py counts targets as cases.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=30
JOBS=1
TAP=0
BUILD="$SRC/build-fuzz"
GROW=0
TARGETS=""

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECS=$2; shift 2 ;;
	--seconds=*) SECS=${1#*=}; shift ;;
	--jobs) JOBS=$2; shift 2 ;;
	--jobs=*) JOBS=${1#*=}; shift ;;
	--tap) TAP=1; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--build=*) BUILD=${1#*=}; shift ;;
	--grow) GROW=1; shift ;;
	-h|--help) sed -n '3,40p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) TARGETS="$TARGETS $1"; shift ;;
	esac
done
for v in "$SECS" "$JOBS"; do
	case "$v" in
	''|*[!0-9]*|0) echo "fuzz.sh: --seconds and --jobs need a whole number > 0" >&2; exit 2 ;;
	esac
done

skip() { # reason
	if [ "$TAP" = 1 ]; then
		echo "1..0 # SKIP $1"
		exit 0
	fi
	echo "fuzz.sh: $1" >&2
	exit 77
}

command -v clang >/dev/null 2>&1 ||
	skip "clang is not installed (scripts/install-deps.sh installs clang and libclang-rt-14-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' >"$probe/p.c"
clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1 ||
	skip "clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"

if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" "$SRC" -Dfuzz=true -Dvm_tests=disabled -Dbench=false \
		>"$probe/setup.log" 2>&1 || { cat "$probe/setup.log" >&2; echo "fuzz.sh: meson setup of $BUILD failed" >&2; exit 1; }
fi
# every libFuzzer target the build defines: "tests/.../fuzz-NAME-libfuzzer: ..."
ninja -C "$BUILD" -t targets all 2>/dev/null | sed -n 's|^\(tests/[a-z/]*fuzz-[a-z0-9-]*-libfuzzer\): .*|\1|p' |
	sort -u >"$probe/targets"
[ -n "$TARGETS" ] || TARGETS=$(sed 's|.*/fuzz-\(.*\)-libfuzzer$|\1|' "$probe/targets" | tr '\n' ' ')
[ -n "$TARGETS" ] || { echo "fuzz.sh: $BUILD defines no libFuzzer target (configured without -Dfuzz=true?)" >&2; exit 1; }
ninja_targets=""
for t in $TARGETS; do
	p=$(grep "/fuzz-$t-libfuzzer\$" "$probe/targets" | head -1)
	[ -n "$p" ] || { echo "fuzz.sh: no libFuzzer target fuzz-$t-libfuzzer in $BUILD (unknown target name?)" >&2; exit 1; }
	ninja_targets="$ninja_targets $p"
done
# shellcheck disable=SC2086
ninja -C "$BUILD" $ninja_targets >"$probe/build.log" 2>&1 || { tail -40 "$probe/build.log" >&2; echo "fuzz.sh: build failed" >&2; exit 1; }

# fuzz_one TARGET: run it, then write "ok"/"fail" and a summary to $probe/TARGET.res
fuzz_one() {
	t=$1
	exe="$BUILD/$(grep "/fuzz-$t-libfuzzer\$" "$probe/targets" | head -1)"
	corpus="$SRC/tests/fuzz/corpus-$t"
	work="$BUILD/fuzz-corpus/$t"
	mkdir -p "$work"
	[ -d "$corpus" ] || corpus=""
	log="$BUILD/fuzz-artifacts/$t.log"
	# shellcheck disable=SC2086
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$t-" "$work" $corpus >"$log" 2>&1; then
		echo "fail $t: FINDING (log $log; the input is $BUILD/fuzz-artifacts/$t-*)" >"$probe/$t.res"
		return
	fi
	grown=""
	if [ "$GROW" = 1 ]; then
		corpus="$SRC/tests/fuzz/corpus-$t"
		mkdir -p "$corpus"
		before=$(find "$corpus" -type f | wc -l)
		if ! "$exe" -merge=1 "$corpus" "$work" >>"$log" 2>&1; then
			echo "fail $t: corpus merge failed (log $log)" >"$probe/$t.res"
			return
		fi
		after=$(find "$corpus" -type f | wc -l)
		grown="; repository corpus $before -> $after inputs"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "ok $t: ${runs:-?} runs in ${SECS}s, clean$grown" >"$probe/$t.res"
}

mkdir -p "$BUILD/fuzz-artifacts"
n=0
[ "$TAP" = 1 ] && echo "1..$(echo $TARGETS | wc -w)"
running=0
for t in $TARGETS; do
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait

rc=0
for t in $TARGETS; do
	n=$((n + 1))
	res=$(cat "$probe/$t.res" 2>/dev/null || echo "fail $t: no result (the run was killed?)")
	status=${res%% *}
	msg=${res#* }
	if [ "$status" != ok ]; then
		rc=1
		log="$BUILD/fuzz-artifacts/$t.log"
		if [ "$TAP" = 1 ]; then
			echo "not ok $n - fuzz-$t # $msg"
			[ -f "$log" ] && tail -40 "$log" | sed 's/^/# /'
		else
			echo "fuzz.sh: $msg" >&2
			[ -f "$log" ] && tail -40 "$log" >&2
		fi
	elif [ "$TAP" = 1 ]; then
		echo "ok $n - fuzz-$t: ${msg#*: }"
	else
		echo "fuzz.sh: $msg"
	fi
done
exit $rc
