#!/bin/sh
# Install what openlve needs, build it, and run the main job: show the cgroup
# setup openlve detected on this host (mode, mounts, controller versions).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null
build/src/tools/openlve-cgroups
