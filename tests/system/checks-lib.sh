# shellcheck shell=bash
# checks-lib.sh - the helpers every system-suite check shares, sourced by
# tests/system/checks.d/*.sh (and by in-vm.sh for http_status/expect_eq/check/held_cgi):
#
#   . "$(dirname "$0")/../checks-lib.sh"
#
# (olve-system.py copies it to /root/systest/checks-lib.sh, next to
# checks.d/). Output is what in-vm.sh's run_checks counts, one line each on
# stdout: "ok - DESCRIPTION", "not ok - DESCRIPTION", "# diagnostics".
# Sourcing sets PATH, LC_ALL and MODE (v2 when unset) and nothing else; it
# defines no traps and runs nothing.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
MODE=${MODE:-v2}

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1"; diag "got '$2', expected '$3'"; fi
}
# check DESCRIPTION COMMAND...: ok when the command succeeds, else its output as diagnostics
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else nok "$d"; diag "$out"; fi
}
# held_cgi FILE NAME MAX: an executable CGI at FILE that answers 200 (body
# NAME) once release_cgi NAME was called, at the latest after MAX seconds:
# a check looks at the request while it runs, then ends it instead of
# sleeping out a fixed time. The flag is in /run (Apache's /tmp is private).
held_cgi() {
	rm -f "/run/olve-release-$2"
	cat > "$1" <<EOF
#!/bin/sh
for _ in \$(seq $(($3 * 2))); do [ -e /run/olve-release-$2 ] && break; sleep 0.5; done
printf 'Content-Type: text/plain\\n\\n$2\\n'
EOF
	chmod 755 "$1"
}
release_cgi() { : > "/run/olve-release-$1"; }
# http_status PATH: the status line of a GET of PATH from 127.0.0.1:80 (HTTP/1.0)
http_status() {
	exec 5<>/dev/tcp/127.0.0.1/80 || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&5
	head -1 <&5 | tr -d '\r'
	exec 5>&-
}
