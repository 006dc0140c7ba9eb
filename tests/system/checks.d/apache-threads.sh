#!/bin/bash
# apache-threads.sh - request threads of Debian's Apache (event MPM, the
# default) entering an LVE, under the real systemd (issue 7).
# v2: with the package's drop-in (Delegate=yes, README "Threaded web servers
# on cgroup v2") systemd marks apache2.service's cgroup delegated, liblve
# builds <unit cgroup>/openlve-threads/lve<ID> at init_lve, and a request
# thread of LVE 1001 runs there with cpu.max = its SPEED while the worker
# process stays in the unit's cgroup. Without the drop-in the same request
# is counted in EP only (nothing moved, one syslog line).
# v1: the request thread itself is in LVE 1001's groups, its process is not.
# The request: a CGI of /usr/lib/cgi-bin (LVEId 1001, set up by in-vm.sh)
# through mod_cgid that sleeps, so the worker thread waits inside the LVE.
# Restores Apache without the drop-in at the end.
# Run by in-vm.sh (tests/system/README.md, checks.d); prints TAP lines.
set -u
. "$(dirname "$0")/../checks-lib.sh" # ok nok diag expect_eq check http_status; PATH LC_ALL MODE
CGI=/usr/lib/cgi-bin/olve-thread-wait
DROPIN=/etc/systemd/system/apache2.service.d/openlve-delegate.conf
UNIT_CG=/sys/fs/cgroup/system.slice/apache2.service
cleanup() {
	rm -f "$DROPIN" "$CGI" /run/olve-release-olve-thread-wait
	rmdir /etc/systemd/system/apache2.service.d 2>/dev/null
	systemctl daemon-reload
	systemctl restart apache2.service
}
trap cleanup EXIT

# the CGI runs until release_cgi (at most 6 s); held_cgi again before each request
held_cgi "$CGI" olve-thread-wait 6

# "tid1 tid2 ..." of Apache threads (not the CGI) whose cgroup names lve1001
threads_in_lve() {
	local p t
	for p in $(pgrep -x apache2); do
		for t in /proc/$p/task/*; do
			grep -q '/lve1001$' "$t/cgroup" 2>/dev/null && printf '%s ' "${t##*/}"
		done
	done
}
# wait until the CGI runs (the request thread is inside by then)
wait_cgi() {
	for _ in $(seq 60); do pgrep -f "$CGI" >/dev/null && return 0; sleep 0.25; done
	return 1
}

if [ "$MODE" = v2 ]; then
	mkdir -p "$(dirname "$DROPIN")"
	ln -sf /usr/share/openlve/systemd/openlve-delegate.conf "$DROPIN"
	systemctl daemon-reload
	if systemctl restart apache2.service; then ok "$MODE: apache2 restarts with the openlve-delegate drop-in"
	else nok "$MODE: apache2 restarts with the openlve-delegate drop-in"; journalctl -b --no-pager -u apache2 | tail -5 | sed 's/^/# /'; fi
	expect_eq "$MODE: systemd delegates apache2.service" "$(systemctl show -P Delegate apache2.service)" yes
	expect_eq "$MODE: liblve made the thread tree threaded" "$(cat $UNIT_CG/openlve-threads/cgroup.type 2>&1)" threaded
	( http_status /cgi-bin/olve-thread-wait > /tmp/olve-thr.status ) &
	job=$!
	wait_cgi || diag "the CGI did not start"
	tc=$UNIT_CG/openlve-threads/lve1001
	in=$(cat "$tc/cgroup.threads" 2>/dev/null | tr '\n' ' ')
	if [ -n "$in" ]; then ok "$MODE: the request thread runs in openlve-threads/lve1001"
	else nok "$MODE: the request thread runs in openlve-threads/lve1001"; diag "$(find $UNIT_CG -maxdepth 2 2>&1)"; fi
	expect_eq "$MODE: its cpu.max is LVE 1001's SPEED 20%" "$(cat $tc/cpu.max 2>&1)" "20000 100000"
	# the worker process (the thread group) stayed in the unit's cgroup
	bad=0
	for t in $in; do
		pid=$(awk '/^Tgid:/ {print $2}' /proc/$t/status 2>/dev/null)
		[ -n "$pid" ] && [ "$(cat /proc/$pid/cgroup)" != "0::/system.slice/apache2.service" ] && bad=$pid
	done
	expect_eq "$MODE: the worker process stays in apache2.service" "$bad" 0
	release_cgi olve-thread-wait
	wait $job
	expect_eq "$MODE: the request completes" "$(cat /tmp/olve-thr.status)" "HTTP/1.1 200 OK"
	left=$(cat "$tc/cgroup.threads" 2>/dev/null | tr '\n' ' ')
	expect_eq "$MODE: the thread left the thread child after the request" "$left" ""

	# without the drop-in: counted in EP only, nothing moved
	rm -f "$DROPIN"
	systemctl daemon-reload
	systemctl restart apache2.service
	held_cgi "$CGI" olve-thread-wait 6
	( http_status /cgi-bin/olve-thread-wait > /tmp/olve-thr.status ) &
	job=$!
	wait_cgi || diag "the CGI did not start"
	expect_eq "$MODE: not delegated: no Apache thread moved" "$(threads_in_lve)" ""
	release_cgi olve-thread-wait
	wait $job
	expect_eq "$MODE: not delegated: the request completes" "$(cat /tmp/olve-thr.status)" "HTTP/1.1 200 OK"
	if journalctl -b --no-pager | grep -q "threads into LVEs are counted in EP only"; then
		ok "$MODE: not delegated: liblve logs why thread entries count EP only"
	else
		nok "$MODE: not delegated: liblve logs why thread entries count EP only"
		journalctl -b --no-pager | grep -i 'openlve\|liblve' | tail -5 | sed 's/^/# /'
	fi
else
	( http_status /cgi-bin/olve-thread-wait > /tmp/olve-thr.status ) &
	job=$!
	wait_cgi || diag "the CGI did not start"
	in=$(threads_in_lve)
	if [ -n "$in" ]; then ok "$MODE: the request thread is in LVE 1001"
	else
		nok "$MODE: the request thread is in LVE 1001"
		for p in $(pgrep -x apache2); do diag "apache2 $p: $(grep -h ':cpu' /proc/$p/task/*/cgroup 2>/dev/null | sort | uniq -c | tr '\n' ' ')"; done
		diag "CGI: $(pgrep -af "$CGI" | head -2 | tr '\n' ' ')"
	fi
	bad=0
	for t in $in; do
		pid=$(awk '/^Tgid:/ {print $2}' /proc/$t/status 2>/dev/null)
		[ -n "$pid" ] && [ "$pid" != "$t" ] && grep -q '/lve1001$' /proc/$pid/task/$pid/cgroup && bad=$pid
	done
	expect_eq "$MODE: its process's main thread is not" "$bad" 0
	release_cgi olve-thread-wait
	wait $job
	expect_eq "$MODE: the request completes" "$(cat /tmp/olve-thr.status)" "HTTP/1.1 200 OK"
fi
exit 0
