#!/bin/bash
# in-vm.sh - the system suite inside the booted Debian 12 (run by
# systest.service at every boot; the host runner is olve-system.py).
#
# Stage 1 (first boot): install the .debs, add customers and an admin, put
#   pam_lve in su/sudo, set limits with lvectl, reboot.
# Stage 2 (after the reboot): limits in force without any manual step, CPU
#   burners via lve_wrapper and su -, lved + /var/lve/info + lveinfo,
#   the extra checks of checks.d/*.sh (run_checks below),
#   restarts of lved and openlve.service kill nothing, an upgrade keeps the
#   configuration and history, purge leaves no cgroup and no file. Power off.
#
# Results go to the second serial port (/dev/ttyS1) as "ok - ..." /
# "not ok - ..." / "# ..." lines, then "@@done"; the runner numbers them.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
D=/root/systest
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null || true
# expect_eq, check, http_status: the checks' shared helpers (checks-lib.sh);
# here the results go to the serial port, not stdout
. $D/checks-lib.sh
say() { printf '%s\n' "$*" >&3; }
ok() { say "ok - $*"; }
nok() { say "not ok - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&3; }
finish() {
	say "@@done"
	sync
	systemctl poweroff --no-block
	exit 0
}

if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then MODE=v2; else MODE=v1; fi
ROOT=system.slice/openlve.scope/lve
# cgroup dir of LVE $1 holding controller $2
cgdir() {
	if [ $MODE = v2 ]; then
		echo "/sys/fs/cgroup/$ROOT/lve$1"
	else
		local c=$2
		[ "$c" = cpuacct ] && c=cpu
		for d in /sys/fs/cgroup/*; do
			case ",$(basename "$d")," in *",$c,"*) echo "$d/$ROOT/lve$1"; return ;; esac
		done
	fi
}
cpu_quota() { # LVE -> quota in us per 100 ms, or "max"
	if [ $MODE = v2 ]; then cut -d' ' -f1 "$(cgdir "$1" cpu)/cpu.max"
	else
		local q
		q=$(cat "$(cgdir "$1" cpu)/cpu.cfs_quota_us")
		[ "$q" = -1 ] && echo max || echo "$q"
	fi
}
pmem() {
	if [ $MODE = v2 ]; then cat "$(cgdir "$1" memory)/memory.max"
	else cat "$(cgdir "$1" memory)/memory.limit_in_bytes"; fi
}
nproc_limit() { cat "$(cgdir "$1" pids)/pids.max"; }
cpu_usage_us() { # cumulative CPU time of LVE $1 in microseconds
	if [ $MODE = v2 ]; then awk '$1 == "usage_usec" { print $2 }' "$(cgdir "$1" cpu)/cpu.stat"
	else echo $(( $(cat "$(cgdir "$1" cpuacct)/cpuacct.usage") / 1000 )); fi
}
throttled() { awk '$1 == "nr_throttled" { print $2 }' "$(cgdir "$1" cpu)/cpu.stat"; }
# the LVE id a /proc/PID/cgroup text names (0 = none)
lve_of() { grep -o "/lve/lve[0-9]*" | head -1 | sed 's|.*/lve||; s|^$|0|' | grep . || echo 0; }
unit_active() { # unit: is-active, else its status and journal as diagnostics
	systemctl is-active -q "$1" && return 0
	systemctl status --no-pager "$1" 2>&1 | tail -15
	journalctl -b --no-pager -u "$1" 2>&1 | tail -15
	return 1
}

# A CPU burner in LVE $1 started by "$2..." (which must run "$BURN"); checks the quota bit.
BURN='timeout 6 sh -c "while :; do :; done"'
burn_check() {
	local id=$1 what=$2 t0 t1 u0 u1 th0 th1 ratio
	shift 2
	th0=$(throttled "$id"); u0=$(cpu_usage_us "$id"); t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N); u1=$(cpu_usage_us "$id"); th1=$(throttled "$id")
	ratio=$(awk -v u=$((u1 - u0)) -v t=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.2f", u / t }')
	diag "$what: LVE $id used $ratio of a core (SPEED 20%), throttled periods $th0 -> $th1"
	if [ "$th1" -gt "$th0" ] && awk -v r="$ratio" 'BEGIN { exit !(r > 0.02 && r < 0.35) }'; then
		ok "$MODE: CPU burner via $what is held to SPEED 20% in LVE $id"
	else
		nok "$MODE: CPU burner via $what is held to SPEED 20% in LVE $id"
	fi
}

stage=$(cat $D/stage 2>/dev/null || echo 1)
diag "stage $stage, cgroup $MODE, kernel $(uname -r), $(systemctl --version | head -1)"

if [ "$stage" = 1 ]; then
	echo 2 > $D/stage
	sync
	# as the README's "Install on a server" says: apt with the .deb files (the
	# VM has no network; the rootfs has every dependency, so nothing is fetched;
	# not --no-download: apt 2.6 then refuses local .debs, "Pathname to install
	# is not absolute")
	check "$MODE: apt install the .debs (README)" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q $D/debs/*.deb
	check "$MODE: mod_openlve enabled by its package" test -L /etc/apache2/mods-enabled/openlve.load
	check "$MODE: openlve.service and lved.service enabled" systemctl is-enabled openlve.service lved.service
	# [issue 8] automatic placement by uid is on after install (debian/rules)
	check "$MODE: openlve-placed.service enabled and active after install" \
		sh -c 'systemctl is-enabled -q openlve-placed.service && systemctl is-active openlve-placed.service'
	check "$MODE: openlve.service active after install" unit_active openlve.service
	check "$MODE: openlve.scope (the LVE tree's holder) active" unit_active openlve.scope
	check "$MODE: /etc/container/ve.cfg created by the package" test -s /etc/container/ve.cfg
	check "$MODE: pam_lve.so in the multiarch security dir" test -f /usr/lib/x86_64-linux-gnu/security/pam_lve.so
	groupadd admins
	useradd -m -s /bin/bash -u 1001 cust1
	useradd -m -s /bin/bash -u 1002 cust2
	useradd -m -s /bin/bash -u 1005 -G admins admin1
	# su, su - (su-l includes su) and sudo open sessions through pam_lve
	echo "session required pam_lve.so 1000 0 wheel,admins" >> /etc/pam.d/su
	echo "session required pam_lve.so 1000 0 wheel,admins" >> /etc/pam.d/sudo
	# [issue 8] openlve-placed excludes the same admins as pam_lve (its
	# default file names Debian's sudo group; README "Putting sites into LVEs")
	sed -i 's/^PLACED_OPTS=.*/PLACED_OPTS="--exclude-group sudo,admins"/' /etc/default/openlve-placed
	check "$MODE: openlve-placed restarts with the admins group excluded" systemctl restart openlve-placed.service
	printf 'interval = 1\ninfo_period = 2\n' > /etc/sysconfig/lvestats2 2>/dev/null ||
		{ mkdir -p /etc/sysconfig; printf 'interval = 1\ninfo_period = 2\n' > /etc/sysconfig/lvestats2; }
	check "$MODE: lvectl set default" lvectl set default --pmem=300m --nproc=80
	check "$MODE: lvectl set 1001" lvectl set 1001 --speed=20% --pmem=128m
	expect_eq "$MODE: LVE 1001 limited at once" "$(cpu_quota 1001)" 20000
	diag "rebooting"
	sync
	systemctl reboot --no-block
	exit 0
fi

# ------------------------------------------------------------------ stage 2
echo 3 > $D/stage
for _ in $(seq 120); do
	systemctl is-active -q openlve.service && systemctl is-active -q lved.service && break
	sleep 1
done
check "$MODE: openlve.service active after the reboot" unit_active openlve.service
check "$MODE: lved active after the reboot" unit_active lved.service
check "$MODE: openlve.scope active after the reboot" unit_active openlve.scope
expect_eq "$MODE: after the reboot LVE 1001 has SPEED 20% (no manual step)" "$(cpu_quota 1001)" 20000
expect_eq "$MODE: after the reboot LVE 1001 has PMEM 128M" "$(pmem 1001)" 134217728

# LVEs created lazily by a login get ve.cfg's defaults, not the built-in ones
cg=$(su - cust2 -c 'cat /proc/self/cgroup' 2>&1)
expect_eq "$MODE: su - cust2 lands in LVE 1002" "$(echo "$cg" | lve_of)" 1002
expect_eq "$MODE: LVE 1002 created on login has ve.cfg's default PMEM 300M" "$(pmem 1002)" 314572800
expect_eq "$MODE: LVE 1002 created on login has ve.cfg's default NPROC 80" "$(nproc_limit 1002)" 80
systemctl daemon-reload # systemd prunes the empty groups of units it re-evaluates: not ours
sleep 2
# in every hierarchy: on v1, systemd 252 removed the blkio groups of idle
# LVEs here until openlve.scope got blkio (units/openlve-boot.in)
check "$MODE: idle LVE 1002 still exists in every hierarchy (systemd left the delegated tree alone)" \
	sh -c 'for d; do [ -d "$d" ] || { echo "missing: $d"; exit 1; }; done' - \
	"$(cgdir 1002 cpu)" "$(cgdir 1002 memory)" "$(cgdir 1002 blkio)" "$(cgdir 1002 pids)"
cg=$(su - cust1 -c 'cat /proc/self/cgroup' 2>&1)
expect_eq "$MODE: su - cust1 lands in LVE 1001" "$(echo "$cg" | lve_of)" 1001
# excluded group (second of the comma-separated list) and root never do
cg=$(su - admin1 -c 'cat /proc/self/cgroup' 2>&1)
expect_eq "$MODE: su - admin1 (group admins) stays outside any LVE" "$(echo "$cg" | lve_of)" 0
cg=$(sudo -u admin1 cat /proc/self/cgroup 2>&1)
expect_eq "$MODE: sudo -u admin1 stays outside any LVE" "$(echo "$cg" | lve_of)" 0
cg=$(sudo -u cust2 cat /proc/self/cgroup 2>&1)
expect_eq "$MODE: sudo -u cust2 lands in LVE 1002" "$(echo "$cg" | lve_of)" 1002
cg=$(su - root -c 'cat /proc/self/cgroup' 2>&1)
expect_eq "$MODE: su - root stays outside any LVE" "$(echo "$cg" | lve_of)" 0

burn_check 1001 lve_wrapper setpriv --reuid=1001 --regid=1001 --init-groups lve_wrapper sh -c "$BURN"
burn_check 1001 "su -" su - cust1 -c "$BURN"

# lved: /var/lve/info (active LVEs) and the history
su - cust1 -c 'timeout 30 sh -c "while :; do :; done"' >/dev/null 2>&1 &
burner=$!
for _ in $(seq 60); do grep -q '^1001,' /var/lve/info 2>/dev/null && break; sleep 1; done
if grep -q '^1001,' /var/lve/info 2>/dev/null; then ok "$MODE: lved writes LVE 1001 to /var/lve/info"
else
	nok "$MODE: lved writes LVE 1001 to /var/lve/info"
	diag "$(ls -la /var/lve 2>&1)" "$(head -5 /var/lve/info 2>&1)" "$(cat /etc/sysconfig/lvestats2 2>&1)" \
		"$(journalctl -b --no-pager -u lved.service 2>&1 | tail -15)" "$(ls /sys/fs/cgroup/$ROOT 2>&1 | tr '\n' ' ')" \
		"$(systemctl status --no-pager lved.service 2>&1 | head -12)" "$(pgrep -a -u cust1 2>&1)" \
		"$(cat "$(cgdir 1001 cpu)/cgroup.procs" 2>&1 | tr '\n' ' ')"
fi
sleep 3
out=$(lveinfo --period 1h --id 1001 2>&1)
if [ $? = 0 ] && echo "$out" | grep -q 1001; then ok "$MODE: lveinfo answers for LVE 1001"
else nok "$MODE: lveinfo answers for LVE 1001"; diag "$out"; fi
# the burner's login session holds one of LVE 1001's EP slots: end it before
# the EP checks below (otherwise they race with its 30 s timeout)
pkill -KILL -u cust1 >/dev/null 2>&1
wait $burner 2>/dev/null
for _ in $(seq 40); do [ -z "$(cat "$(cgdir 1001 pids)/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.25; done

# Apache with mod_openlve: requests of LVE 1001 past its EP limit get 508
if [ -f /usr/lib/apache2/modules/mod_openlve.so ]; then
	lvectl set 1001 --maxEntryProcs=1 >/dev/null
	held_cgi /usr/lib/cgi-bin/slow slow 10 # ended by release_cgi below
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\ncat /proc/self/cgroup\n' > /usr/lib/cgi-bin/where
	chmod 755 /usr/lib/cgi-bin/where
	printf '<Directory /usr/lib/cgi-bin>\n\tLVEId 1001\n</Directory>\n' > /etc/apache2/conf-available/olve-systest.conf
	a2enmod -q cgid openlve >/dev/null && a2enconf -q olve-systest >/dev/null
	check "$MODE: apache2 restarts with mod_openlve" systemctl restart apache2.service
	st=$(http_status /cgi-bin/where)
	expect_eq "$MODE: apache answers a CGI request of LVE 1001" "$st" "HTTP/1.1 200 OK"
	# the slow request must hold the only slot: mod_openlve frees the previous
	# request's slot when that request ends, which may be just after its
	# client read the answer; a slow request refused then is tried again
	for try in 1 2 3; do
		( http_status /cgi-bin/slow > $D/slow.status ) &
		slowjob=$!
		for _ in $(seq 60); do
			pgrep -f cgi-bin/slow >/dev/null && break
			kill -0 $slowjob 2>/dev/null || break
			sleep 0.5
		done
		pgrep -f cgi-bin/slow >/dev/null && break
		wait $slowjob
		diag "try $try: the slow request was answered '$(cat $D/slow.status)' before its CGI ran"
		sleep 1
	done
	st=$(http_status /cgi-bin/where)
	expect_eq "$MODE: past EP 1 apache answers 508" "${st%% *} $(echo "$st" | cut -d' ' -f2)" "HTTP/1.1 508"
	diag "status line: $st"
	release_cgi slow
	wait $slowjob
	expect_eq "$MODE: the request holding the EP slot completes" "$(cat $D/slow.status)" "HTTP/1.1 200 OK"
	lvectl set 1001 --maxEntryProcs=20 >/dev/null
else
	nok "$MODE: mod_openlve installed"
fi

# checks.d: every executable /root/systest/checks.d/*.sh (from
# tests/system/checks.d/, tests/system/README.md) runs here: the .debs are
# installed, the host rebooted, openlve.service and lved active. Each prints
# "ok - ..." / "not ok - ..." / "# ..." lines on stdout; they are forwarded
# with "$MODE: <name>: " before the description. A check that exits non-zero
# without any "not ok" line, prints no result, or runs longer than
# OLVE_CHECK_TIMEOUT seconds adds one failure.
run_checks() {
	local f name rc line n_ok n_nok
	for f in $D/checks.d/*.sh; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=$(basename "$f" .sh)
		# its lines are forwarded as they come (the runner counts a long
		# silence as a stalled VM); the last line is its exit status
		n_ok=0 n_nok=0 rc=
		while IFS= read -r line; do
			case "$line" in
			"@@rc "*) rc=${line#@@rc } ;;
			"ok - "*) n_ok=$((n_ok + 1)); say "ok - $MODE: $name: ${line#ok - }" ;;
			"not ok - "*) n_nok=$((n_nok + 1)); say "not ok - $MODE: $name: ${line#not ok - }" ;;
			"") ;;
			"#"*) say "$line" ;;
			*) say "# $name: $line" ;;
			esac
		done < <(cd /root && MODE=$MODE OLVE_LVE_ROOT=$ROOT timeout "${OLVE_CHECK_TIMEOUT:-300}" "$f" 2>&1 </dev/null
			echo "@@rc $?")
		rc=${rc:-1}
		if [ $rc != 0 ] && [ $n_nok = 0 ]; then
			nok "$MODE: $name: exited with status $rc$([ $rc = 124 ] && echo " (timed out)")"
		elif [ $((n_ok + n_nok)) = 0 ]; then
			nok "$MODE: $name: printed no ok/not ok line"
		fi
	done
}
run_checks

# restarts kill no customer process
su - cust1 -c 'exec sleep 900' >/dev/null 2>&1 &
for _ in $(seq 20); do pid=$(pgrep -u cust1 -x sleep | head -1); [ -n "$pid" ] && break; sleep 0.5; done
expect_eq "$MODE: customer process runs in LVE 1001" "$(lve_of < /proc/$pid/cgroup)" 1001
check "$MODE: systemctl restart lved" systemctl restart lved.service
check "$MODE: lved active after its restart" unit_active lved.service
check "$MODE: restart of lved killed no customer process" kill -0 "$pid"
check "$MODE: systemctl restart openlve" systemctl restart openlve.service
check "$MODE: restart of openlve killed no customer process" kill -0 "$pid"
expect_eq "$MODE: the customer process is still in LVE 1001" "$(lve_of < /proc/$pid/cgroup)" 1001
expect_eq "$MODE: LVE 1001 still at SPEED 20% after the restarts" "$(cpu_quota 1001)" 20000

# upgrade (reinstall): configuration, history and LVEs stay
sum=$(md5sum < /etc/container/ve.cfg)
check "$MODE: upgrade (dpkg -i again)" dpkg -i $D/debs/*.deb
expect_eq "$MODE: upgrade keeps ve.cfg" "$(md5sum < /etc/container/ve.cfg)" "$sum"
check "$MODE: upgrade keeps the lve-stats history" test -s /var/lve/lvestats2.db
check "$MODE: upgrade killed no customer process" kill -0 "$pid"
expect_eq "$MODE: LVE 1001 at SPEED 20% after the upgrade" "$(cpu_quota 1001)" 20000

# purge: no cgroup, no file
files=$(dpkg -L openlve libpam-lve libapache2-mod-openlve liblve-dev liblve0 libopenlve-cgroup1 2>/dev/null | sort -u)
sed -i '/pam_lve.so/d' /etc/pam.d/su /etc/pam.d/sudo
check "$MODE: dpkg --purge" dpkg --purge libapache2-mod-openlve openlve libpam-lve liblve-dev liblve0 libopenlve-cgroup1
left=$(find /sys/fs/cgroup -name "openlve.scope" -o -name 'lve[0-9]*' 2>/dev/null)
expect_eq "$MODE: purge leaves no cgroup" "$left" ""
left=""
while read -r f; do
	[ -n "$f" ] && [ ! -d "$f" ] && [ -e "$f" ] && left="$left $f"
done <<< "$files"
for f in /etc/container /etc/openlve /var/lib/openlve /run/openlve /var/lve /usr/sbin/lvectl; do
	[ -e "$f" ] && left="$left $f"
done
expect_eq "$MODE: purge leaves no file" "$left" ""
for f in $left; do [ -d "$f" ] && diag "left in $f:" "$(find "$f" | head -20)"; done
finish
