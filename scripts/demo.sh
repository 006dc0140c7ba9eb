#!/bin/sh
# The main job, end to end on this machine (root): install what openlve
# needs, build it, then
#   1. configure three LVEs with lvectl (ve.cfg) and apply them to the kernel,
#   2. start lved, the statistics daemon, with its embedded SQLite store,
#   3. run a CPU-bound program in each LVE (lve_suwrapper) and a fork bomb in one,
#   4. show the limits the kernel enforces (lvectl limits / proc-list, lvetop),
#      the /var/lve/info file lved writes and the history in SQLite (lveinfo),
#   5. stop lved and remove the LVEs again.
# Everything lives in a demo directory (OPENLVE_DEMO_DIR, default
# /tmp/openlve-demo) and a cgroup subtree "openlve-demo" of its own in each
# hierarchy: the host's /etc, /var/lve and other cgroups are not touched.
set -eu
cd "$(dirname "$0")/.."
SRC=$(pwd)
if [ "${1:-}" != "--no-deps" ]; then
	scripts/install-deps.sh
fi
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null

B=$SRC/build
D=${OPENLVE_DEMO_DIR:-/tmp/openlve-demo}
LVECTL=$B/src/tools/lvectl
SUW=$B/src/tools/lve_suwrapper
rm -rf "$D"
mkdir -p "$D/state"
cat >"$D/openlve.conf" <<EOF
# demo: LVEs under <each cgroup mount>/openlve-demo, state and files in $D
cgroup_root = openlve-demo
state_dir = $D/state
ve_cfg = $D/ve.cfg
sysconfig = $D/sysconfig
info_file = $D/info
list_file = $D/list
EOF
cat >"$D/lvestats2" <<EOF
db_type = sqlite
sqlite_path = $D/lvestats2.db
server_id = demo
interval = 1
info_period = 5
keep_history_days = 1
info_file = $D/info
EOF
export OPENLVE_CONF="$D/openlve.conf"
LVED_PID=
cleanup() {
	[ -n "$LVED_PID" ] && kill "$LVED_PID" 2>/dev/null && wait "$LVED_PID" 2>/dev/null
	"$LVECTL" destroy all >/dev/null 2>&1 || true
	for m in /sys/fs/cgroup/*/openlve-demo /sys/fs/cgroup/openlve-demo; do
		[ -d "$m" ] && rmdir "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

echo "== cgroup setup"
"$B/src/tools/openlve-cgroups"

echo
echo "== 1. limits (saved in $D/ve.cfg and applied)"
"$LVECTL" set default --speed=100% --pmem=256m --nproc=100 --maxEntryProcs=20
"$LVECTL" set 1001 --speed=50% --pmem=128m
"$LVECTL" set 1002 --speed=25% --io=1024
"$LVECTL" set 1003 --speed=10% --nproc=20 --maxEntryProcs=5
"$LVECTL" apply all
"$LVECTL" list

echo
echo "== 2. lved (SQLite store $D/lvestats2.db)"
"$B/src/lved/lved" --config "$D/lvestats2" --foreground 2>"$D/lved.log" &
LVED_PID=$!

echo
echo "== 3. a CPU burner in each LVE for 12 s; a fork bomb in LVE 1003 (NPROC 20)"
for id in 1001 1002 1003; do
	"$SUW" "$id" timeout 12 sh -c 'while :; do :; done' &
done
"$SUW" 1003 sh -c 'n=0; while [ $n -lt 60 ]; do sleep 3 & n=$((n+1)); done 2>/dev/null; wait' \
	>/dev/null 2>&1 &
sleep 7

echo
echo "== 4. what the kernel enforces and what openlve sees"
for id in 1001 1002 1003; do "$LVECTL" limits "$id"; done
echo "-- lvetop (one refresh)"
"$B/src/tools/lvetop" -n 1 -d 2
echo "-- /proc/lve/list format (lvectl proc-list)"
"$LVECTL" proc-list
sleep 6
echo "-- $D/info (the /var/lve/info format, written by lved every 5 s here)"
cat "$D/info"
echo "-- lveinfo: averages over the last 5 minutes from SQLite (aCPU in % of one core)"
"$B/src/tools/lveinfo" --config "$D/lvestats2" --period 5m

echo
echo "== 5. stop lved, remove the LVEs"
kill "$LVED_PID"
wait "$LVED_PID" || true
LVED_PID=
"$LVECTL" destroy all
echo "demo done: files kept in $D"
