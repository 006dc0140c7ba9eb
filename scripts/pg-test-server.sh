#!/bin/sh
# A throwaway PostgreSQL server on 127.0.0.1 for tests (test-lve-db-pg).
#
#   pg-test-server.sh start DIR      initdb into DIR/data, start on a random free
#                                    port; prints the lve-stats connect_string
#                                    USER:PASSWORD@127.0.0.1:PORT/DATABASE
#   pg-test-server.sh stop DIR [fast|immediate]   stop it (default fast)
#   pg-test-server.sh restart DIR    start it again on the same port
#   pg-test-server.sh status DIR     exit 0 when it is running
#
# DIR must be a new, empty directory (the caller's temp dir); it is handed
# to the server's user. As root the server runs as "postgres" (runuser),
# otherwise as the caller. Nothing outside DIR is written: the socket goes
# into DIR too, the server listens on 127.0.0.1 only, password auth
# (scram-sha-256) over TCP. Exit 77 when the PostgreSQL server binaries are
# absent (Debian: apt-get install postgresql), 1 on any other failure.
set -eu

die() { echo "pg-test-server: $*" >&2; exit 1; }

find_bin() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v pg_ctl)"
		return 0
	fi
	return 1
}

[ $# -ge 2 ] || die "usage: pg-test-server.sh start|stop|restart|status DIR"
cmd=$1
dir=$2
case "$dir" in
/*) ;;
*) die "DIR must be an absolute path" ;;
esac

BIN=$(find_bin) || { echo "pg-test-server: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 77; }

if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (Debian package postgresql)"
	RUNAS="runuser -u postgres --"
	command -v runuser >/dev/null 2>&1 || RUNAS=""
else
	RUNAS=""
fi

as_pg() {
	if [ -n "$RUNAS" ]; then
		$RUNAS "$@"
	elif [ "$(id -u)" -eq 0 ]; then
		# no runuser: su with an explicit shell
		su postgres -s /bin/sh -c "$(printf '%s ' "$@")"
	else
		"$@"
	fi
}

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
rand_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 )); }

start_server() { # port
	as_pg "$BIN/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" \
		-o "-p $1 -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
		>/dev/null 2>&1
}

case "$cmd" in
start)
	[ -d "$dir" ] || mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
	user=olt
	pass=$(rand_hex 12)
	db=olt_stats
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	chmod 0700 "$dir"
	printf '%s\n' "$pass" >"$dir/pwfile"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pwfile"
	as_pg "$BIN/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	rm -f "$dir/pwfile"
	ok=0
	for _ in 1 2 3 4 5 6 7 8; do
		port=$(rand_port)
		if start_server "$port"; then
			ok=1
			break
		fi
	done
	[ "$ok" = 1 ] || { tail -20 "$dir/server.log" >&2 2>/dev/null; die "the server did not start"; }
	echo "$port" >"$dir/port"
	as_pg "$BIN/psql" -X -q -h "$dir" -p "$port" -U "$user" -d postgres -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
		as_pg "$BIN/createdb" -h "$dir" -p "$port" -U "$user" "$db" ||
		die "creating database $db failed"
	echo "$user:$pass@127.0.0.1:$port/$db" >"$dir/connect_string"
	cat "$dir/connect_string"
	;;
stop)
	mode=${3:-fast}
	case "$mode" in fast | immediate) ;; *) die "stop mode: fast or immediate" ;; esac
	[ -d "$dir/data" ] || exit 0
	as_pg "$BIN/pg_ctl" status -D "$dir/data" >/dev/null 2>&1 || exit 0
	as_pg "$BIN/pg_ctl" stop -w -t 60 -m "$mode" -D "$dir/data" >/dev/null 2>&1 || die "stop failed"
	;;
restart)
	[ -f "$dir/port" ] || die "$dir: no server was started there"
	start_server "$(cat "$dir/port")" || { tail -20 "$dir/server.log" >&2 2>/dev/null; die "the server did not start"; }
	;;
status)
	[ -d "$dir/data" ] && as_pg "$BIN/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
	;;
*)
	die "unknown command $cmd (start, stop, restart, status)"
	;;
esac
