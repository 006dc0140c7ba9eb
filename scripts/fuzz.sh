#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fuzz.sh - run every libFuzzer target of openlve for a bounded time, growing
# the seed corpora in the repository (tests/fuzz/corpus-<target>/).
#
#   scripts/fuzz.sh [--seconds N] [--build DIR] [--grow] [TARGET...]
#
#   --seconds N   per target (default 30: the CI run, meson test --suite fuzz)
#   --build DIR   the clang build (default <source>/build-fuzz; made when missing:
#                 CC=clang meson setup DIR -Dfuzz=true)
#   --grow        afterwards add to the repository's corpus the inputs of this
#                 run that reach new coverage (libFuzzer -merge=1): commit them
#   TARGET        convert mountinfo lve-conf vecfg packages lvestats-conf
#                 lveinfo-args (default: all)
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
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=30
BUILD="$SRC/build-fuzz"
GROW=0
TARGETS=""
ALL="convert mountinfo lve-conf vecfg packages lvestats-conf lveinfo-args"

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECS=$2; shift 2 ;;
	--seconds=*) SECS=${1#*=}; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--build=*) BUILD=${1#*=}; shift ;;
	--grow) GROW=1; shift ;;
	-h|--help) sed -n '3,38p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) TARGETS="$TARGETS $1"; shift ;;
	esac
done
[ -n "$TARGETS" ] || TARGETS=$ALL
case "$SECS" in
''|*[!0-9]*) echo "fuzz.sh: --seconds needs a whole number" >&2; exit 2 ;;
esac

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz.sh: clang is not installed (scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
	exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
	echo "fuzz.sh: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)" >&2
	exit 77
fi

if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" "$SRC" -Dfuzz=true -Dvm_tests=disabled -Dbench=false \
		>"$probe/setup.log" 2>&1 || { cat "$probe/setup.log"; echo "fuzz.sh: meson setup of $BUILD failed" >&2; exit 1; }
fi
exes=""
for t in $TARGETS; do
	exes="$exes fuzz-$t-libfuzzer"
done
# target names as ninja knows them (the path below the build dir)
ninja_targets=""
for e in $exes; do
	p=$(ninja -C "$BUILD" -t targets all 2>/dev/null | sed -n "s|^\(tests/[a-z/]*$e\): .*|\1|p" | head -1)
	if [ -z "$p" ]; then
		echo "fuzz.sh: no libFuzzer target $e in $BUILD (unknown target name?)" >&2
		exit 1
	fi
	ninja_targets="$ninja_targets $p"
done
# shellcheck disable=SC2086
ninja -C "$BUILD" $ninja_targets >"$probe/build.log" 2>&1 || { tail -40 "$probe/build.log"; echo "fuzz.sh: build failed" >&2; exit 1; }

mkdir -p "$BUILD/fuzz-artifacts"
rc=0
for t in $TARGETS; do
	exe=$(find "$BUILD/tests" -name "fuzz-$t-libfuzzer" -type f | head -1)
	corpus="$SRC/tests/fuzz/corpus-$t"
	work="$BUILD/fuzz-corpus/$t"
	mkdir -p "$work"
	[ -d "$corpus" ] || corpus=""
	log="$BUILD/fuzz-artifacts/$t.log"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$t-" "$work" $corpus >"$log" 2>&1; then
		:
	else
		echo "fuzz.sh: $t: FINDING (log $log):" >&2
		tail -40 "$log" >&2
		rc=1
		continue
	fi
	grown=""
	if [ "$GROW" = 1 ]; then
		corpus="$SRC/tests/fuzz/corpus-$t"
		mkdir -p "$corpus"
		before=$(find "$corpus" -type f | wc -l)
		"$exe" -merge=1 "$corpus" "$work" >>"$log" 2>&1 || { echo "fuzz.sh: $t: merge failed (log $log)" >&2; rc=1; continue; }
		after=$(find "$corpus" -type f | wc -l)
		grown="; repository corpus $before -> $after inputs"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "fuzz.sh: $t: ${runs:-?} runs in ${SECS}s, clean$grown"
done
exit $rc
