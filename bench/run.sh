#!/bin/sh
# Build and run the cgroup benchmark: openlve vs libcgroup 2.0.2 vs bare syscalls.
# Usage: bench/run.sh [BUILD_DIR] [bench-cgroup options, e.g. --quick --json]
# Needs root and the cgroup v1 hierarchies cpu, cpuacct, pids, blkio.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
if [ $# -gt 0 ]; then
	case "$1" in
	-*) ;;
	*) build=$1; shift ;;
	esac
fi
[ -f "$build/build.ninja" ] || meson setup "$build" "$src"
lib=src/libcgroup/libopenlve-cgroup.so.1.0.0
ninja -C "$build" bench/bench-cgroup "$lib"
exec "$build/bench/bench-cgroup" --ours "$build/$lib" "$@"
