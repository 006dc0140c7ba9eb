# common.sh - helpers for the checks.d scripts, sourced (`. "$(dirname
# "$0")/common.sh"`), never run: it is not executable, so in-vm.sh skips it
# (tests/system/README.md). Needs MODE (v2/v1) and OLVE_LVE_ROOT from
# in-vm.sh. [issue 8] The LVE helpers of php-stacks.sh; it sources
# ../checks-lib.sh for the result helpers every check shares.

# ok/nok/diag/expect_eq/check/http_status: the helpers of every check
. "$(dirname "${BASH_SOURCE[0]}")/../checks-lib.sh"

# cgroup directory of LVE $1 in the hierarchy of controller $2
lve_cgdir() {
	local c=$2 d
	if [ "$MODE" = v2 ]; then
		echo "/sys/fs/cgroup/$OLVE_LVE_ROOT/lve$1"
		return
	fi
	[ "$c" = cpuacct ] && c=cpu
	for d in /sys/fs/cgroup/*; do
		case ",$(basename "$d")," in *",$c,"*) echo "$d/$OLVE_LVE_ROOT/lve$1"; return ;; esac
	done
}
# the LVE a /proc/PID/cgroup text on stdin names (0: none)
lve_of() { grep -o "/lve/lve[0-9]*" | head -1 | sed 's|.*/lve||' | grep . || echo 0; }
# LVE of process $1 (0: none or gone)
lve_of_pid() { lve_of 2>/dev/null < "/proc/$1/cgroup" || echo 0; }
# wait up to $2 seconds (default 10) until process $1 is in LVE $3 (0: any)
wait_in_lve() {
	local i got
	for i in $(seq $((${2:-10} * 10))); do
		got=$(lve_of_pid "$1")
		if [ "${3:-0}" = 0 ]; then [ "$got" != 0 ] && return 0; else [ "$got" = "$3" ] && return 0; fi
		sleep 0.1
	done
	return 1
}
# cumulative CPU time of LVE $1 in microseconds
lve_cpu_us() {
	if [ "$MODE" = v2 ]; then awk '$1 == "usage_usec" { print $2 }' "$(lve_cgdir "$1" cpu)/cpu.stat"
	else echo $(($(cat "$(lve_cgdir "$1" cpuacct)/cpuacct.usage") / 1000)); fi
}
lve_throttled() { awk '$1 == "nr_throttled" { print $2 }' "$(lve_cgdir "$1" cpu)/cpu.stat"; }
# OOM kills in LVE $1 so far (v2 memory.events, v1 memory.oom_control)
lve_oom_kills() {
	if [ "$MODE" = v2 ]; then awk '$1 == "oom_kill" { print $2 }' "$(lve_cgdir "$1" memory)/memory.events"
	else awk '$1 == "oom_kill" { print $2 }' "$(lve_cgdir "$1" memory)/memory.oom_control"; fi
}
# highest memory use of LVE $1 in bytes, and its limit
lve_mem_peak() {
	if [ "$MODE" = v2 ]; then cat "$(lve_cgdir "$1" memory)/memory.peak"
	else cat "$(lve_cgdir "$1" memory)/memory.max_usage_in_bytes"; fi
}
lve_mem_max() {
	if [ "$MODE" = v2 ]; then cat "$(lve_cgdir "$1" memory)/memory.max"
	else cat "$(lve_cgdir "$1" memory)/memory.limit_in_bytes"; fi
}
# forks refused by pids.max, current tasks, the limit
lve_pids_refused() { awk '$1 == "max" { print $2 }' "$(lve_cgdir "$1" pids)/pids.events"; }
lve_pids_current() { cat "$(lve_cgdir "$1" pids)/pids.current"; }

# GET http://127.0.0.1:$1$2 (HTTP/1.0): the whole response on stdout
http_req() {
	timeout "${HTTP_TIMEOUT:-90}" bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$0" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$1" >&5
		cat <&5' "$1" "$2" 2>/dev/null
}
# the status code of that GET ("" when no answer)
http_code() { http_req "$1" "$2" | head -1 | tr -d '\r' | cut -d' ' -f2; }
# the body of that GET
http_body() { http_req "$1" "$2" | tr -d '\r' | sed '1,/^$/d'; }
# wait until port $1 answers $2 with any status (up to $3 s, default 30)
wait_http() {
	local i
	for i in $(seq $((${3:-30} * 4))); do
		[ -n "$(http_code "$1" "$2")" ] && return 0
		sleep 0.25
	done
	return 1
}
