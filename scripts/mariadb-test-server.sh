#!/bin/sh
# A throwaway MariaDB (MySQL) server on 127.0.0.1 for tests (test-lve-db-mysql).
#
#   mariadb-test-server.sh start DIR   install a data dir in DIR/data, start the
#                                      server on a random free port; prints the
#                                      lve-stats connect_string
#                                      USER:PASSWORD@127.0.0.1:PORT/DATABASE
#   mariadb-test-server.sh stop DIR    stop it (waits until it is gone)
#   mariadb-test-server.sh status DIR  exit 0 when it is running
#
# DIR must be a new, empty directory whose parents the server's user can
# traverse (the tests use a mkdtemp under /tmp); it is handed to that user
# ("mysql" when run as root). Nothing outside DIR is written: the socket, the
# pid file and the log go into DIR, the server listens on 127.0.0.1 only and
# reads no option file (--no-defaults). Exit 77 when the server binaries are
# absent (Debian: apt-get install mariadb-server), 1 on any other failure.
set -eu

die() { echo "mariadb-test-server: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: mariadb-test-server.sh start|stop|status DIR"
cmd=$1
dir=$2
case "$dir" in
/*) ;;
*) die "DIR must be an absolute path" ;;
esac

SERVER=$(command -v mariadbd 2>/dev/null || ls /usr/sbin/mariadbd 2>/dev/null || true)
INSTALL=$(command -v mariadb-install-db 2>/dev/null || true)
CLIENT=$(command -v mariadb 2>/dev/null || true)
[ -n "$SERVER" ] && [ -n "$INSTALL" ] && [ -n "$CLIENT" ] ||
	{ echo "mariadb-test-server: MariaDB server binaries not found (apt-get install mariadb-server)" >&2; exit 77; }

if [ "$(id -u)" -eq 0 ]; then
	id mysql >/dev/null 2>&1 || die "running as root needs the 'mysql' user (Debian package mariadb-server)"
	RUNAS=mysql
else
	RUNAS=$(id -un)
fi

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
rand_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 )); }

running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

sql() { "$CLIENT" --no-defaults -S "$dir/sock" -uroot -e "$1"; }

start_server() { # port
	"$SERVER" --no-defaults --user="$RUNAS" --datadir="$dir/data" --socket="$dir/sock" \
		--pid-file="$dir/pid" --port="$1" --bind-address=127.0.0.1 --log-error="$dir/server.log" \
		--skip-name-resolve --innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
		--innodb-flush-log-at-trx-commit=0 --skip-log-bin >/dev/null 2>&1 &
	echo $! >"$dir/launcher.pid"
	for _ in $(seq 1 300); do
		if "$CLIENT" --no-defaults -S "$dir/sock" -uroot -e "SELECT 1" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

case "$cmd" in
start)
	[ -d "$dir" ] || mkdir -p "$dir"
	[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
	chown "$RUNAS" "$dir"
	chmod 0700 "$dir"
	"$INSTALL" --no-defaults --user="$RUNAS" --datadir="$dir/data" --auth-root-authentication-method=socket \
		--skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }
	ok=0
	for _ in 1 2 3 4 5 6; do
		port=$(rand_port)
		if start_server "$port"; then
			ok=1
			break
		fi
	done
	[ "$ok" = 1 ] || { tail -20 "$dir/server.log" >&2 2>/dev/null; die "the server did not start"; }
	echo "$port" >"$dir/port"
	user=olt
	pass=$(rand_hex 12)
	db=olt_stats
	sql "CREATE DATABASE $db; CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
	     GRANT ALL ON $db.* TO '$user'@'127.0.0.1';" || die "creating the database failed"
	echo "$user:$pass@127.0.0.1:$port/$db" >"$dir/connect_string"
	cat "$dir/connect_string"
	;;
stop)
	running || exit 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || exit 0
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
	;;
status)
	running
	;;
*)
	die "unknown command $cmd (start, stop, status)"
	;;
esac
