#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Self-test of olve-vm.py's stall and stuck handling (tests/vm/README.md,
# steps 2 and 4), by hand: boots five small VMs, ~3 minutes under TCG.
#   tests/vm/selftest.sh [WORKDIR]
# Exits 0 when every expectation held; prints what did not.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d /tmp/olve-vm-selftest.XXXXXX)}
mkdir -p "$work"
cd "$work" || exit 1
for p in ok silent frozen groupsig; do
	cc -O1 -o "$p" "$here/selftest/$p.c" || { echo "selftest: cannot build $p"; exit 1; }
done
cp ok ok2
fail=0
expect() { # log pattern what
	grep -q -- "$2" "$1" || { echo "selftest: FAIL: $3 (no '$2' in $1)"; fail=1; }
}

# 1. a binary that cannot die: exit 125 with its stack, the next one runs
OPENLVE_VM_TEST_TIMEOUT=10 python3 "$here/olve-vm.py" run --mode legacy --build-root "$work/stuck" \
	--exe ./ok --exe ./frozen --exe ./ok2 >stuck.log 2>&1
expect stuck.log '^# frozen: exit 125' 'the frozen binary ends with 125'
expect stuck.log '__refrigerator' 'its blocked stack is printed'
expect stuck.log '^# ok2: exit 0' 'the binary after it runs'

# 1b. a binary signalling its process group (init is in it) is not stuck
OPENLVE_VM_TEST_TIMEOUT=10 python3 "$here/olve-vm.py" run --mode v2 --build-root "$work/group" \
	--exe ./ok --exe ./groupsig --exe ./ok2 >group.log 2>&1
expect group.log '^# groupsig: exit 0' 'a group signal does not end the wait'
expect group.log '^# ok2: exit 0' 'the binary after it runs'

# 2. a silent guest: stopped, resumed twice, the binary after it runs
OPENLVE_VM_STALL=30 python3 "$here/olve-vm.py" run --mode v2 --build-root "$work/stall" \
	--exe ./ok --exe ./silent --exe ./ok2 >stall.log 2>&1
expect stall.log 'boot 1 of the v2 VM printed nothing for 30s while silent ran' 'first stall seen'
expect stall.log 'boot 2 of the v2 VM printed nothing for 30s while silent ran' 'the stalled binary ran again'
expect stall.log 'from test 3' 'the third boot starts after it'
expect stall.log '^# silent: exit None' 'the twice-stalled binary failed'
expect stall.log '^# ok2: exit 0' 'the binary after it passes'
expect stall.log '^# ok: exit 0' 'the binary before it kept its result'

[ $fail = 0 ] && echo "selftest: all expectations held ($work)"
exit $fail
