#!/bin/bash
# libcgroup-scope.sh - libopenlve-cgroup's systemd functions (issue 13)
# against the real systemd 252 of the system VM, through the installed
# `openlve-cgroups scope` (src/tools/openlve-cgroups.c):
#   cgroup_create_scope     a scope with libcgroup's placeholder process,
#                           delegated by default (cgroup_set_default_scope_opts);
#   opts.pid / delegated / mode   a given process, --no-delegate, an existing
#                           scope refused with mode "fail";
#   cgroup_create_scope2    the scope plus its group with a setting (pids.max);
#   cgroup_write_systemd_default_cgroup + cgroup_set_default_systemd_cgroup
#                           groups named afterwards land below the scope;
#   cgroup_is_systemd_enabled (the tool refuses without it).
# systemd's view is read with systemctl show and busctl, the processes'
# with /proc/PID/cgroup. Everything made here is stopped and removed.
# Run by in-vm.sh (tests/system/README.md, checks.d); prints TAP lines.
set -u
. "$(dirname "$0")/../checks-lib.sh" # ok nok diag expect_eq check http_status; PATH LC_ALL MODE
SL=olvetest.slice
prop() { systemctl show -p "$2" --value "$1" 2>/dev/null; }
# the cgroup directory of $1 (systemd's ControlGroup) in the hierarchy of controller $2
cgdir() {
	if [ "$MODE" = v2 ]; then echo "/sys/fs/cgroup$1"; return; fi
	local d
	for d in /sys/fs/cgroup/*; do
		case ",$(basename "$d")," in *",$2,"*) echo "$d$1"; return ;; esac
	done
}
cleanup() {
	systemctl stop plain.scope withpid.scope s2.scope s3.scope "$SL" >/dev/null 2>&1
	[ -n "${sp:-}" ] && kill "$sp" 2>/dev/null
	rm -f /var/run/libcgroup/systemd
}
trap cleanup EXIT
diag "libcgroup-scope: cgroup $MODE, $(systemctl --version | head -1)"

# --- cgroup_create_scope: placeholder process, default options (delegated, fail)
out=$(openlve-cgroups scope "$SL/plain.scope" 2>&1)
expect_eq "$MODE: cgroup_create_scope makes $SL/plain.scope" "$out" "created $SL/plain.scope"
expect_eq "$MODE: systemd has plain.scope active" "$(prop plain.scope ActiveState)" active
expect_eq "$MODE: plain.scope is in $SL" "$(prop plain.scope Slice)" "$SL"
expect_eq "$MODE: plain.scope is delegated (default scope options)" "$(prop plain.scope Delegate)" yes
cg=$(prop plain.scope ControlGroup)
expect_eq "$MODE: plain.scope's cgroup" "$cg" "/$SL/plain.scope"
obj=$(busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
	GetUnit s plain.scope 2>&1)
if echo "$obj" | grep -q '^o "/org/freedesktop/systemd1/unit/plain_2escope"$'; then
	ok "$MODE: busctl: the manager knows plain.scope"
	bcg=$(busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/plain_2escope \
		org.freedesktop.systemd1.Scope ControlGroup 2>&1)
	expect_eq "$MODE: busctl: plain.scope's ControlGroup" "$bcg" "s \"/$SL/plain.scope\""
else
	nok "$MODE: busctl: the manager knows plain.scope"; diag "$obj"
fi
# the placeholder keeps it alive: one process, libcgroup's, inside the scope
procs=$(cat "$(cgdir "$cg" pids)/cgroup.procs" 2>/dev/null)
if [ "$MODE" = v1 ]; then procs=$(cat "/sys/fs/cgroup/systemd$cg/cgroup.procs" 2>/dev/null); fi
n=$(echo "$procs" | grep -c .)
expect_eq "$MODE: plain.scope holds one process (the placeholder)" "$n" 1
pid=$(echo "$procs" | head -1)
expect_eq "$MODE: the placeholder is libcgroup's" "$(cat /proc/"$pid"/comm 2>/dev/null)" cgroup-scope
if grep -q ":/$SL/plain.scope\$" /proc/"$pid"/cgroup 2>/dev/null; then
	ok "$MODE: /proc/PID/cgroup of the placeholder names the scope"
else nok "$MODE: /proc/PID/cgroup of the placeholder names the scope"; diag "$(cat /proc/"$pid"/cgroup 2>&1)"; fi
sleep 2
expect_eq "$MODE: plain.scope stays active (not empty)" "$(prop plain.scope ActiveState)" active

# --- opts.pid, delegated = 0, mode fail on an existing scope
sleep 600 &
sp=$!
out=$(openlve-cgroups scope --pid "$sp" --no-delegate "$SL/withpid.scope" 2>&1)
expect_eq "$MODE: a scope for a given pid, not delegated" "$out" "created $SL/withpid.scope"
expect_eq "$MODE: withpid.scope is not delegated" "$(prop withpid.scope Delegate)" no
if grep -q ":/$SL/withpid.scope\$" /proc/"$sp"/cgroup; then ok "$MODE: the given process moved into withpid.scope"
else nok "$MODE: the given process moved into withpid.scope"; diag "$(cat /proc/"$sp"/cgroup)"; fi
out=$(openlve-cgroups scope --pid "$sp" --mode fail "$SL/withpid.scope" 2>&1)
rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "cannot create $SL/withpid.scope: File exists"; then
	ok "$MODE: an existing scope is refused (EEXIST) with one clear line"
else nok "$MODE: an existing scope is refused (EEXIST) with one clear line"; diag "exit $rc: $out"; fi
out=$(openlve-cgroups scope --mode sometimes "$SL/x.scope" 2>&1)
expect_eq "$MODE: a bad mode is a usage error" "$?" 2
out=$(openlve-cgroups scope "$SL/bad name.scope" 2>&1)
expect_eq "$MODE: a bad unit name is refused" "$?" 1
expect_eq "$MODE: nothing was made for the bad name" "$(prop 'bad\x20name.scope' LoadState)" not-found
kill "$sp"; wait "$sp" 2>/dev/null; sp=
sleep 1
expect_eq "$MODE: withpid.scope ends with its process" "$(prop withpid.scope ActiveState)" inactive

# --- cgroup_create_scope2: the scope and its group's settings
out=$(openlve-cgroups scope -g pids -r pids.max=42 "$SL/s2.scope" 2>&1)
expect_eq "$MODE: cgroup_create_scope2 with pids.max" "$out" "created $SL/s2.scope"
expect_eq "$MODE: s2.scope active" "$(prop s2.scope ActiveState)" active
expect_eq "$MODE: s2.scope's pids.max written by libcgroup" \
	"$(cat "$(cgdir /$SL/s2.scope pids)/pids.max" 2>&1)" 42

# --- the default systemd cgroup: groups named afterwards land below the scope
if [ "$MODE" = v2 ]; then g=""; else g="-g pids"; fi # v2: a controller-less group (no internal process)
out=$(openlve-cgroups scope $g --set-default --child kid "$SL/s3.scope" 2>&1)
expect_eq "$MODE: default scope set and a group made in it" "$out" \
	"$(printf 'created %s\ndefault %s\ncreated group kid' "$SL/s3.scope" "$SL/s3.scope")"
expect_eq "$MODE: libcgroup's default file names the scope" "$(cat /var/run/libcgroup/systemd 2>&1)" "$SL/s3.scope"
if [ -d "$(cgdir /$SL/s3.scope pids)/kid" ]; then ok "$MODE: group kid is below s3.scope"
else nok "$MODE: group kid is below s3.scope"; diag "$(ls "$(cgdir /$SL/s3.scope pids)" 2>&1 | tr '\n' ' ')"; fi
if [ ! -e "$(cgdir "" pids)/kid" ]; then ok "$MODE: and not at the root"
else nok "$MODE: and not at the root"; rmdir "$(cgdir "" pids)/kid"; fi
rmdir "$(cgdir /$SL/s3.scope pids)/kid" 2>/dev/null

# --- clean up: stopping the scopes kills the placeholders and removes the groups
pids_before=$(pgrep -x cgroup-scope | tr '\n' ' ')
systemctl stop plain.scope s2.scope s3.scope "$SL" >/dev/null 2>&1
sleep 1
rm -f /var/run/libcgroup/systemd
expect_eq "$MODE: the scopes are gone after systemctl stop" \
	"$(prop plain.scope ActiveState)/$(prop s2.scope ActiveState)/$(prop s3.scope ActiveState)" \
	inactive/inactive/inactive
if [ ! -e "$(cgdir /$SL pids)" ]; then ok "$MODE: no cgroup of $SL is left"
else nok "$MODE: no cgroup of $SL is left"; diag "$(find "$(cgdir /$SL pids)" 2>&1 | head)"; fi
left=$(pgrep -x cgroup-scope | tr '\n' ' ')
if [ -z "$left" ]; then ok "$MODE: no placeholder process is left"
else nok "$MODE: no placeholder process is left"; diag "before: $pids_before, after: $left"; fi
exit 0
