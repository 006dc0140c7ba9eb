#!/bin/bash
# php-stacks.sh - the stock Debian web stacks of README "Putting sites into
# LVEs" on the installed .debs under the real systemd, cgroup v2 and v1
# (issue 8): Debian's php8.2-fpm, apache2 and nginx-light packages with
# their own units, one PHP-FPM pool per customer, openlve-placed as the
# package enabled it (/etc/default/openlve-placed: sudo and admins excluded,
# in-vm.sh stage 1).
#   placement rules: a process of a uid without any PAM session (setpriv)
#     lands in its LVE; root, a uid below UID_MIN, nobody (above UID_MAX),
#     a member of an excluded group and the www-data pool stay outside;
#   Apache event + proxy_fcgi -> pool of cust3 (SPEED 25%, PMEM 64M, NPROC
#     20): the workers are in LVE 1003 (the root master is not), a request
#     is served by them, the proxied request counts in EP, a CPU-burning
#     script gets about 25% of a core, a process storm stops at NPROC, a
#     200 MB allocation is OOM-killed at PMEM and the respawned worker is
#     placed again;
#   nginx -> pool of cust4: workers in LVE 1004, CPU held at 25%;
#   su -c (pam_lve) and runuser -u (openlve-placed) land in the LVE;
#   Apache prefork + mod_php: the request counts in EP (508 past EP 1).
# The CPU share is the LVE's cgroup usage over the request's wall time,
# against a free spinner (root, outside any LVE) over the same window.
# Everything is undone at the end (pools, sites, MPM, nginx stopped).
# Run by in-vm.sh (tests/system/README.md, checks.d); prints TAP lines.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
MODE=${MODE:-v2}
OLVE_LVE_ROOT=${OLVE_LVE_ROOT:-system.slice/openlve.scope/lve}
. "$(dirname "$0")/common.sh"
M="$MODE:"
FPM_PORT=8081 NGINX_PORT=8082 MODPHP_PORT=8083
POOLS=/etc/php/8.2/fpm/pool.d
# the lowest share a SPEED 25% LVE must reach, as a fraction of min(25%,
# what a free spinner got meanwhile) (tests/host/test-apache.c burn_share_ok)
CPU_FLOOR=0.6

cleanup() {
	systemctl stop nginx.service >/dev/null 2>&1
	rm -f /etc/nginx/sites-enabled/olve-cust4
	[ -e /etc/nginx/sites-available/default ] && [ ! -e /etc/nginx/sites-enabled/default ] &&
		ln -s ../sites-available/default /etc/nginx/sites-enabled/default
	rm -f $POOLS/olve-cust3.conf $POOLS/olve-cust4.conf
	systemctl restart php8.2-fpm.service >/dev/null 2>&1
	a2dissite -q olve-fpm olve-modphp >/dev/null 2>&1
	rm -f /etc/apache2/sites-available/olve-fpm.conf /etc/apache2/sites-available/olve-modphp.conf
	if [ "$(a2query -M 2>/dev/null)" != event ]; then
		a2dismod -q php8.2 >/dev/null 2>&1
		a2dismod -q mpm_prefork >/dev/null 2>&1
		a2enmod -q mpm_event >/dev/null 2>&1
	fi
	systemctl restart apache2.service >/dev/null 2>&1
	for u in cust3 cust4 cust6; do pkill -KILL -u "$u" >/dev/null 2>&1; done
	for p in ${SLEEPERS:-}; do kill -KILL "$p" 2>/dev/null; done
	if [ -f /tmp/olve-login.defs ]; then
		cp -p /tmp/olve-login.defs /etc/login.defs
		rm -f /tmp/olve-login.defs
		systemctl restart openlve-placed.service
	fi
	return 0
}
trap cleanup EXIT
trap 'exit 1' TERM INT # in-vm.sh's timeout: clean up all the same
export HTTP_TIMEOUT=30

# spinner: a free CPU burner as root (outside any LVE); spin_share PID MS
spin_start() { sh -c 'while :; do :; done' & SPIN=$!; }
spin_share() { # the spinner's share of a core over $1 ms; stops it
	local t
	t=$(awk '{ print $14 + $15 }' "/proc/$SPIN/stat" 2>/dev/null || echo 0)
	kill -KILL "$SPIN" 2>/dev/null
	wait "$SPIN" 2>/dev/null
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" -v ms="$1" 'BEGIN { printf "%.3f", t / hz * 1000 / ms }'
}
# GET port path (a 6 s CPU burner of LVE id, SPEED 25%): one result
burn_share_ok() { # port path id what
	local port=$1 path=$2 id=$3 what=$4 u0 u1 t0 t1 th0 th1 code share base
	u0=$(lve_cpu_us "$id"); th0=$(lve_throttled "$id")
	spin_start
	t0=$(date +%s%N)
	code=$(http_code "$port" "$path")
	t1=$(date +%s%N)
	base=$(spin_share $(((t1 - t0) / 1000000)))
	u1=$(lve_cpu_us "$id"); th1=$(lve_throttled "$id")
	share=$(awk -v u=$((u1 - u0)) -v t=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.3f", u / t }')
	diag "$what: LVE $id used $share of a core over $(((t1 - t0) / 1000000)) ms (SPEED 25%, answer $code);" \
		"a free spinner got $base meanwhile; throttled periods $th0 -> $th1"
	if [ "$code" = 200 ] && [ "$th1" -gt "$th0" ] &&
		awk -v s="$share" -v b="$base" -v f="$CPU_FLOOR" \
			'BEGIN { m = b < 0.25 ? b : 0.25; exit !(s < 0.35 && s > f * m) }'; then
		ok "$M $what: PHP burning CPU in a SPEED 25% LVE gets about 25% of a core"
	else
		nok "$M $what: PHP burning CPU in a SPEED 25% LVE gets about 25% of a core"
	fi
}
# EP 1 of the site on port $1: a 6 s /slow.php holds the slot, /whoami.php
# is refused 508; two results ("$2: past EP 1 ...", "$2: ... completes")
ep_check() { # port what lve
	local port=$1 what=$2 id=$3 out=/tmp/olve-ep-$1 job try st
	for try in 1 2 3; do
		rm -f $out
		( http_code "$port" /slow.php > $out ) &
		job=$!
		sleep 2 # nothing else asks meanwhile: the slow request takes the slot
		kill -0 $job 2>/dev/null && break
		wait $job
		diag "try $try: the slow request was answered '$(cat $out)' at once"
	done
	st=$(http_code "$port" /whoami.php)
	expect_eq "$M $what: past EP 1 a request of LVE $id is answered 508" "$st" 508
	wait $job
	expect_eq "$M $what: the request holding the EP slot completes" "$(cat $out)" 200
}
# pids of the workers of pool user $1: the php-fpm master's children running as it
pool_workers() { pgrep -P "$(systemctl show -P MainPID php8.2-fpm.service)" -u "$1" | tr '\n' ' '; }
# are all of pool user $1's workers ($3 expected) in LVE $2? waits up to 10 s
pool_in_lve() {
	local w p n i
	for i in $(seq 40); do
		w=$(pool_workers "$1")
		n=0
		for p in $w; do [ "$(lve_of_pid "$p")" = "$2" ] && n=$((n + 1)); done
		[ "$n" -ge "$3" ] && [ "$n" = "$(echo $w | wc -w)" ] && return 0
		sleep 0.25
	done
	for p in $w; do echo "worker $p: $(tr '\n' ' ' < /proc/$p/cgroup 2>/dev/null)"; done
	return 1
}

check "$M openlve-placed.service active after the reboot" systemctl is-active openlve-placed.service

# ----------------------------------------------------------------- users
for u in 3 4 6; do
	id "cust$u" >/dev/null 2>&1 || useradd -m -s /bin/bash -u "100$u" "cust$u"
	chmod 755 "/home/cust$u"
	mkdir -p "/home/cust$u/www"
	cat > "/home/cust$u/www/burn.php" <<'PHP'
<?php $e = microtime(true) + 6; $i = 0; while (microtime(true) < $e) $i++; echo $i, "\n";
PHP
	cat > "/home/cust$u/www/slow.php" <<'PHP'
<?php sleep(6); echo "slow\n";
PHP
	cat > "/home/cust$u/www/whoami.php" <<'PHP'
<?php echo getmypid(), "\n";
PHP
	# a bounded process storm (60 sleepers): stopped at NPROC inside the LVE
	cat > "/home/cust$u/www/storm.php" <<'PHP'
<?php exec("sh -c 'for i in $(seq 60); do sleep 40 & done' >/dev/null 2>&1 &"); echo "storm\n";
PHP
	cat > "/home/cust$u/www/mem.php" <<'PHP'
<?php $s = str_repeat("x", 200 * 1024 * 1024); echo strlen($s), "\n";
PHP
	chown -R "cust$u:cust$u" "/home/cust$u/www"
done
lvectl set 1003 --speed=25% --pmem=64m --nproc=30 --maxEntryProcs=10 >/dev/null
lvectl set 1004 --speed=25% --pmem=128m --nproc=40 >/dev/null
lvectl set 1006 --maxEntryProcs=1 >/dev/null

# ------------------------------------------- what openlve-placed moves (item 2)
# processes started without any PAM session, only by a uid change
SLEEPERS=""
sleeper() { # uid [gid [setpriv group option]]: a sleep 60 as that uid, its pid in LAST
	setpriv --reuid="$1" --regid="${2:-$1}" ${3:---clear-groups} sleep 60 >/dev/null 2>"/tmp/olve-sleeper-$1.err" &
	LAST=$!
	SLEEPERS="$SLEEPERS $LAST"
}
sleeper 1007; p_user=$LAST
sleeper 0 0; p_root=$LAST
sleeper 999; p_sys=$LAST
sleeper 65534 65534; p_nobody=$LAST
sleeper 1005 1005 --init-groups; p_admin=$LAST
# their uid changes and execs were seen; a full rescan (SIGHUP) looks again
wait_in_lve "$p_user" 10 1007
systemctl reload openlve-placed.service
sleep 2
# LVE of a sleeper, "gone" when it is no longer running (a vanished process
# proves nothing about placement)
lve_alive() { if kill -0 "$1" 2>/dev/null; then lve_of_pid "$1"; else echo gone; fi; }
# on v1 openlve-placed's handle (opened at boot) outlived the LVE root of
# blkio, which systemd removed and a login made again (NOTES.md): the LVE
# must be created and entered all the same
expect_eq "$M openlve-placed puts a process of uid 1007 (no session) into LVE 1007" "$(lve_alive "$p_user")" 1007
if [ "$(lve_alive "$p_user")" != 1007 ]; then
	diag "$(grep -E 'Uid|State' /proc/$p_user/status 2>&1)" "$(cat /proc/$p_user/cgroup 2>&1)" \
		"$(ls "$(lve_cgdir 1003 pids)/.." 2>&1 | tr '\n' ' ')" \
		"$(journalctl -b --no-pager -u openlve-placed.service 2>&1 | tail -15)" \
		"setpriv's stderr: $(cat /tmp/olve-sleeper-1007.err 2>&1)" "$(dmesg 2>&1 | tail -5)"
fi
expect_eq "$M openlve-placed leaves root's process outside" "$(lve_alive "$p_root")" 0
expect_eq "$M openlve-placed leaves uid 999 (below UID_MIN) outside" "$(lve_alive "$p_sys")" 0
expect_eq "$M openlve-placed leaves nobody (65534, above UID_MAX) outside" "$(lve_alive "$p_nobody")" 0
expect_eq "$M openlve-placed leaves admin1 (excluded group admins) outside" "$(lve_alive "$p_admin")" 0
for p in $SLEEPERS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
SLEEPERS=""
# the range comes from /etc/login.defs: with UID_MIN 1010 uid 1008 is no user
cp -p /etc/login.defs /tmp/olve-login.defs
sed -i 's/^UID_MIN[[:space:]].*/UID_MIN 1010/' /etc/login.defs
systemctl restart openlve-placed.service
sleeper 1008; p_low=$LAST
sleep 2
systemctl reload openlve-placed.service
sleep 1
expect_eq "$M with UID_MIN 1010 in /etc/login.defs uid 1008 stays outside" "$(lve_alive "$p_low")" 0
cp -p /tmp/olve-login.defs /etc/login.defs
systemctl restart openlve-placed.service
for p in $SLEEPERS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
SLEEPERS=""

# ------------------------------------------------ PHP-FPM pools of customers
for u in 3 4; do
	cat > "$POOLS/olve-cust$u.conf" <<EOF
[olve-cust$u]
user = cust$u
group = cust$u
listen = /run/php/olve-cust$u.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 3
php_admin_value[memory_limit] = -1
EOF
done
check "$M php8.2-fpm restarts with a pool per customer" systemctl restart php8.2-fpm.service
check "$M the workers of cust3's pool are placed into LVE 1003" pool_in_lve cust3 1003 3
check "$M the workers of cust4's pool are placed into LVE 1004" pool_in_lve cust4 1004 3
master=$(systemctl show -P MainPID php8.2-fpm.service)
expect_eq "$M php-fpm's master (root) stays outside" "$(lve_of_pid "$master")" 0
www=$(pgrep -P "$master" -u www-data | head -1)
expect_eq "$M the www-data pool's worker stays outside (uid 33)" "$([ -n "$www" ] && lve_of_pid "$www")" 0

# ------------------------------------------ Apache event + proxy_fcgi (a)
cat > /etc/apache2/sites-available/olve-fpm.conf <<EOF
Listen 127.0.0.1:$FPM_PORT
<VirtualHost 127.0.0.1:$FPM_PORT>
	DocumentRoot /home/cust3/www
	<Directory /home/cust3/www>
		Require all granted
	</Directory>
	<FilesMatch "\.php$">
		SetHandler "proxy:unix:/run/php/olve-cust3.sock|fcgi://localhost"
	</FilesMatch>
</VirtualHost>
EOF
a2enmod -q proxy_fcgi >/dev/null && a2ensite -q olve-fpm >/dev/null
check "$M apache2 (event MPM) restarts with a proxy_fcgi site of cust3" systemctl restart apache2.service
wait_http $FPM_PORT /whoami.php
pid=$(http_body $FPM_PORT /whoami.php | head -1)
expect_eq "$M a request through proxy_fcgi is served by a pool worker in LVE 1003" \
	"$([ -n "$pid" ] && lve_of_pid "$pid")" 1003

# the proxied request counts in EP (the LVE id: the DocumentRoot's owner)
lvectl set 1003 --maxEntryProcs=1 >/dev/null
ep_check $FPM_PORT "proxy_fcgi" 1003
lvectl set 1003 --maxEntryProcs=10 >/dev/null

burn_share_ok $FPM_PORT /burn.php 1003 "Apache event + PHP-FPM"

# a process storm from the pool stops at NPROC 30 (60 sleepers forked one
# by one: slow under emulation, so wait until the kernel refused a fork)
r0=$(lve_pids_refused 1003)
code=$(http_code $FPM_PORT /storm.php)
for _ in $(seq 120); do [ "$(lve_pids_refused 1003)" -gt "$r0" ] && break; sleep 0.25; done
r1=$(lve_pids_refused 1003)
cur=$(lve_pids_current 1003)
diag "storm (answer $code): LVE 1003 has $cur tasks (NPROC $(cat "$(lve_cgdir 1003 pids)/pids.max")), forks refused $r0 -> $r1"
if [ "$code" = 200 ] && [ "$cur" -le 30 ] && [ "$r1" -gt "$r0" ]; then
	ok "$M a process storm from PHP stops at NPROC 30 (the kernel refused forks)"
else nok "$M a process storm from PHP stops at NPROC 30 (the kernel refused forks)"; fi
for p in $(cat "$(lve_cgdir 1003 pids)/cgroup.procs"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ] && kill -KILL "$p" 2>/dev/null
done

# memory above PMEM: the kernel OOM-kills the worker at the LVE's limit
o0=$(lve_oom_kills 1003)
code=$(http_code $FPM_PORT /mem.php)
o1=$(lve_oom_kills 1003)
peak=$(lve_mem_peak 1003)
max=$(lve_mem_max 1003)
diag "200 MB in PHP (answer $code): OOM kills in LVE 1003 $o0 -> $o1, peak $peak of max $max bytes"
if [ "$code" != 200 ] && [ "$o1" -gt "$o0" ] && [ "$peak" -le "$max" ]; then
	ok "$M PHP allocating 200 MB is OOM-killed at PMEM 64M (peak within the limit)"
else nok "$M PHP allocating 200 MB is OOM-killed at PMEM 64M (peak within the limit)"; fi
check "$M the respawned pool worker is placed into LVE 1003 again" pool_in_lve cust3 1003 3

# -------------------------------------------------- nginx + PHP-FPM (b)
cat > /etc/nginx/sites-enabled/olve-cust4 <<EOF
server {
	listen 127.0.0.1:$NGINX_PORT;
	root /home/cust4/www;
	location ~ \.php\$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/olve-cust4.sock;
	}
}
EOF
rm -f /etc/nginx/sites-enabled/default # it listens on port 80, Apache's
check "$M nginx starts with a PHP-FPM site of cust4" systemctl start nginx.service
wait_http $NGINX_PORT /whoami.php
pid=$(http_body $NGINX_PORT /whoami.php | head -1)
expect_eq "$M nginx's PHP request is served by a pool worker in LVE 1004" "$([ -n "$pid" ] && lve_of_pid "$pid")" 1004
burn_share_ok $NGINX_PORT /burn.php 1004 "nginx + PHP-FPM"

# ---------------------------------------------------- su -c, runuser (d)
cg=$(su cust3 -c 'cat /proc/self/cgroup' 2>&1)
expect_eq "$M su cust3 -c lands in LVE 1003 (pam_lve)" "$(echo "$cg" | lve_of)" 1003
cg=$(runuser -u cust4 -- sh -c 'for i in $(seq 50); do grep -q "/lve1004\$" /proc/self/cgroup && break; sleep 0.1; done
	cat /proc/self/cgroup' 2>&1)
expect_eq "$M runuser -u cust4 (no pam_lve) lands in LVE 1004 (openlve-placed)" "$(echo "$cg" | lve_of)" 1004

# ------------------------------------------- Apache prefork + mod_php (c)
systemctl stop nginx.service
cat > /etc/apache2/sites-available/olve-modphp.conf <<EOF
Listen 127.0.0.1:$MODPHP_PORT
<VirtualHost 127.0.0.1:$MODPHP_PORT>
	DocumentRoot /home/cust6/www
	<Directory /home/cust6/www>
		Require all granted
	</Directory>
</VirtualHost>
EOF
a2dissite -q olve-fpm >/dev/null
a2dismod -q mpm_event >/dev/null && a2enmod -q mpm_prefork php8.2 >/dev/null && a2ensite -q olve-modphp >/dev/null
check "$M apache2 restarts with the prefork MPM and mod_php" systemctl restart apache2.service
wait_http $MODPHP_PORT /whoami.php
ep_check $MODPHP_PORT "prefork + mod_php" 1006
for _ in $(seq 20); do st=$(http_code $MODPHP_PORT /whoami.php); [ "$st" = 200 ] && break; sleep 0.3; done
expect_eq "$M prefork + mod_php: served again once the slot is free" "$st" 200

trap - EXIT
cleanup
expect_eq "$M Apache is back on Debian's default event MPM" "$(a2query -M)" event
check "$M apache2 active again" systemctl is-active apache2.service
exit 0
