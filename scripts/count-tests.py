#!/usr/bin/env python3
"""Count individual test cases from meson's testlog.json of each build dir.

TAP tests contribute one case per 'ok'/'not ok' line ('# SKIP' counts as
skipped); a TAP plan '1..0 # SKIP' counts as one skipped case; a test that
printed no TAP line counts by its meson result. Prints the closing line
'N passed, N failed, N skipped' and exits 1 when anything failed.
"""
import json
import re
import sys

passed = failed = skipped = 0
OK = re.compile(r'^(not )?ok\b(.*)$')
for build in sys.argv[1:]:
    try:
        lines = open(f'{build}/meson-logs/testlog.json').read().splitlines()
    except OSError as e:
        print(f'count-tests: no test log in {build}: {e}', file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get('stdout') or ''
        p = f = s = 0
        plan_skip = False
        for l in out.splitlines():
            m = OK.match(l.strip())
            if m:
                if m.group(1):
                    f += 1
                elif re.search(r'#\s*skip', m.group(2), re.I):
                    s += 1
                else:
                    p += 1
            elif re.match(r'^1\.\.0\b.*#\s*skip', l.strip(), re.I):
                plan_skip = True
        result = t.get('result', '')
        if p + f + s == 0:
            if plan_skip or result == 'SKIP':
                s = 1
            elif result in ('OK', 'EXPECTEDFAIL'):
                p = 1
            else:
                f = 1
        elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and f == 0:
            # crashed or bailed out after its last TAP line
            f = 1
        passed += p
        failed += f
        skipped += s
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
