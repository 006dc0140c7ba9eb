#!/bin/busybox sh
# /init of the openlve test VM (busybox, no systemd). Built into the
# initramfs by tests/vm/olve-vm.py together with the test binaries.
#
# Kernel command line: olve.mode=v2|legacy  [olve.shell=1]
#   v2      cgroup2 at /sys/fs/cgroup, cpuset cpu io memory pids enabled
#           in the root's cgroup.subtree_control
#   legacy  tmpfs at /sys/fs/cgroup, v1 controllers mounted as systemd does on
#           legacy distributions: /sys/fs/cgroup/<controller>, with cpu,cpuacct
#           and net_cls,net_prio co-mounted and symlinked, and the named
#           hierarchy name=systemd without controllers (no cgroup2 mount)
# Then each test binary listed in /etc/olve/tests ("name path" lines) runs
# as root in the root cgroup; its stdout, stderr and exit code go to the
# serial console between markers that olve-vm.py parses:
#   @@OLVE-BEGIN <name> / @@OLVE-STDERR <name> / @@OLVE-END <name> <rc>
# and finally @@OLVE-DONE. With olve.shell=1 a shell replaces the tests.
# olve.skip=N skips the first N tests (olve-vm.py resumes a run that stopped
# in a new boot). A test still running 30 s after its timeout's SIGKILL
# (stuck in the kernel, uninterruptible) is reported with
# "@@OLVE-STUCK <name>", the blocked tasks' stacks (sysrq w) and exit code
# 125, and the run goes on with the next test.
# A piece of the image that did not come up (a module, /dev/vda) is reported
# as "@@OLVE-MISSING what": with OPENLVE_REQUIRE_VM=1 every test then fails.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root

mkdir -p /proc /sys /dev /tmp /run /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts
# A build tree below /tmp is part of the initramfs: do not hide it.
[ -n "$(ls -A /tmp)" ] || mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
# Kernel messages (OOM kills of memory tests...) must not interleave with
# the results on the console; they stay readable with dmesg.
echo 1 >/proc/sys/kernel/printk

MODE=
SHELL_MODE=0
SKIP=0
for w in $(cat /proc/cmdline); do
	case "$w" in
	olve.mode=*) MODE=${w#olve.mode=} ;;
	olve.shell=1) SHELL_MODE=1 ;;
	olve.skip=*) SKIP=${w#olve.skip=} ;;
	esac
done

say() { echo "@@OLVE-INFO $*"; }
die() {
	echo "@@OLVE-FATAL $*"
	poweroff -f
	sleep 10
}

case "$MODE" in
v2)
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || die "mount cgroup2 failed"
	for c in cpuset cpu io memory pids; do
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || die "cannot enable $c in the root cgroup"
	done
	;;
legacy)
	mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup || die "mount tmpfs on /sys/fs/cgroup failed"
	# The layout systemd gives legacy distributions: cpu and cpuacct share one
	# hierarchy (so do net_cls and net_prio), reached through symlinks.
	while read -r name hier num enabled; do
		case "$name" in '#'*) continue ;; esac
		[ "$enabled" = 1 ] || continue
		case "$name" in
		cpu | cpuacct) opts=cpu,cpuacct ;;
		net_cls | net_prio) opts=net_cls,net_prio ;;
		*) opts=$name ;;
		esac
		if [ ! -d "/sys/fs/cgroup/$opts" ]; then
			mkdir -p "/sys/fs/cgroup/$opts"
			mount -t cgroup -o "$opts" cgroup "/sys/fs/cgroup/$opts" || die "mount v1 $opts failed"
		fi
		[ "$opts" = "$name" ] || [ -e "/sys/fs/cgroup/$name" ] || ln -s "$opts" "/sys/fs/cgroup/$name"
	done </proc/cgroups
	# and systemd's named hierarchy without controllers
	mkdir -p /sys/fs/cgroup/systemd
	mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd || die "mount name=systemd failed"
	;;
*)
	die "unknown olve.mode '$MODE'"
	;;
esac

# Block devices: the scratch disk /dev/vda for IO-limit tests.
if [ -f /etc/olve/modules ]; then
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "/lib/modules/$m" 2>/dev/null || echo "@@OLVE-MISSING insmod $m failed"
	done </etc/olve/modules
fi
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -b /dev/vda ] || echo "@@OLVE-MISSING no /dev/vda (the IO tests' scratch disk)"
# /dev/vdb: swap, so that PMEM (RAM + swap) limits are measured with swap present
while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -b /dev/vdb ] && mkswap /dev/vdb >/dev/null 2>&1 && swapon /dev/vdb; then
	:
else
	echo "@@OLVE-MISSING no swap on /dev/vdb (PMEM must be measured with swap present)"
fi

set -a
[ -f /etc/olve/env ] && . /etc/olve/env
OPENLVE_VM_MODE=$MODE
set +a
TEST_TIMEOUT=240
[ -f /etc/olve/timeout ] && TEST_TIMEOUT=$(cat /etc/olve/timeout)

echo
say "mode=$MODE kernel=$(uname -r) cpus=$(nproc) $(grep MemTotal /proc/meminfo | tr -s ' ')"

if [ "$SHELL_MODE" = 1 ]; then
	echo "openlve test VM ($MODE). Tests are listed in /etc/olve/tests. 'exit' powers off."
	setsid cttyhack sh -l
	poweroff -f
	sleep 10
fi

# Print a file and make sure the next marker starts on its own line.
dump() {
	cat "$1"
	[ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ] && echo
}

# The watchdog of one test: if the test still runs 30 s after timeout's
# SIGKILL, it cannot die (a task in uninterruptible sleep) and waiting for it
# would stop the whole run; SIGUSR1 makes `wait` return instead. Tests run
# in init's process group, so a program signalling its group (Apache's
# graceful restart does) reaches init too: only the watchdog's USR1, with
# /tmp/olve.stuck made first, counts; after any other the wait goes on.
stuck=0
trap '[ -e /tmp/olve.stuck ] && stuck=1' USR1
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
report_stuck() { # name pid
	echo "@@OLVE-STUCK $1"
	echo "# $1 (pid $2) did not end $((TEST_TIMEOUT + 30)) s after it started, 30 s after SIGKILL"
	for t in /proc/[0-9]*; do
		st=$(sed -n 's/^State:[[:space:]]*//p' "$t/status" 2>/dev/null)
		case "$st" in
		D*) echo "# blocked: pid ${t#/proc/} $(cat "$t/comm" 2>/dev/null): $(tr '\n' ' ' <"$t/stack" 2>/dev/null)" ;;
		esac
	done
	echo w >/proc/sysrq-trigger 2>/dev/null
	dmesg | tail -n 80 | sed 's/^/# dmesg: /'
}

n=0
while read -r name path; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	[ "$n" -gt "$SKIP" ] || continue
	echo "@@OLVE-BEGIN $name"
	t0=$(cut -d' ' -f1 /proc/uptime)
	stuck=0
	(cd /tmp && exec timeout -s KILL "$TEST_TIMEOUT" "$path" </dev/null >/tmp/olve.out 2>/tmp/olve.err) &
	tpid=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep $((TEST_TIMEOUT + 30)) &
		s=$!
		wait $s
		: >/tmp/olve.stuck
		kill -USR1 1
	) &
	wpid=$!
	while :; do
		wait $tpid
		rc=$?
		# a trapped signal ended the wait (rc > 128) while the test runs on
		[ "$rc" -gt 128 ] && [ "$stuck" = 0 ] && kill -0 $tpid 2>/dev/null && continue
		break
	done
	kill -TERM $wpid 2>/dev/null
	wait $wpid
	if [ "$stuck" = 1 ]; then
		report_stuck "$name" "$tpid" >>/tmp/olve.err
		rc=125
	fi
	rm -f /tmp/olve.stuck
	t1=$(cut -d' ' -f1 /proc/uptime)
	dump /tmp/olve.out
	echo "@@OLVE-STDERR $name"
	dump /tmp/olve.err
	echo "@@OLVE-END $name $rc $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')"
	rm -f /tmp/olve.out /tmp/olve.err
done </etc/olve/tests
echo "@@OLVE-DMESG"
dmesg | tail -n 200
echo "@@OLVE-DONE"
sync
poweroff -f
sleep 10
