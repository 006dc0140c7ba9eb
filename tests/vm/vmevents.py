# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VM runners' event log (tests/vm/README.md step 4, tests/system/README.md).

tests/vm/olve-vm.py (a stalled guest, a stuck binary) and
tests/system/olve-system.py (a stalled or timed-out VM) append each event to
<OPENLVE_BUILD_ROOT>/meson-logs/vm-events.txt; scripts/test.sh prints it
before its final counts, so a rerun that then passed still shows in CI.
"""
import os
import time


def record_event(lines):
    """Append one event (a list of lines) with a time stamp; nothing outside a meson build."""
    root = os.environ.get('OPENLVE_BUILD_ROOT')
    if not root or not os.path.isdir(os.path.join(root, 'meson-logs')):
        return
    with open(os.path.join(root, 'meson-logs', 'vm-events.txt'), 'a') as f:
        f.write(time.strftime('%Y-%m-%d %H:%M:%S ') + '\n'.join(lines) + '\n')
