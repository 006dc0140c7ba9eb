#!/usr/bin/env python3
"""Count individual test cases from meson's testlog.json of each build dir,
check them against the committed expectations, print the counts per
environment and the closing line 'N passed, N failed, N skipped'.

  scripts/count-tests.py [--strict] BUILD...
  scripts/count-tests.py --floors BUILD...   print "ENV TEST PASSED" lines of
                                             a run (to raise tests/min-counts.txt)

A case is one TAP 'ok'/'not ok' line ('# SKIP' = skipped); a TAP plan
'1..0 # SKIP' is one skipped case named '*'; a test that printed no TAP
line counts by its meson result; a test that crashed or bailed out after
its last TAP line adds one failed case.

Environments: 'unit', 'host', 'fuzz' (suite of the meson test; the corpus
replays are in 'unit' and 'fuzz' and count as 'unit'), 'vm-v2' and
'vm-legacy' (tests named vm-v2/... and vm-legacy/...), 'system' (the
installed-package suite, tests/system/README.md: one meson test whose TAP
lines are the checks of both boot modes), 'bench' (one smoke run of each
benchmark, bench/meson.build: it must still run; figures are not checked); a build with -Db_sanitize appends
'-asan' ('unit-asan', 'host-asan').

Checks (tests/expected-skips.txt and tests/min-counts.txt, formats there):
  - every skipped case must be listed as expected for its environment, and
    its printed reason must contain the listed reason;
  - every (environment, test) with a floor must have passed at least that
    many cases -- a test binary that vanished passes 0;
  - every environment must reach the sum of its floors;
  - every host test runs in both VM modes unless tests/vm-exceptions.txt
    lists it (checked for the build that ran the vm suite).
With --strict (scripts/test.sh passes it in CI: CI=true or
OPENLVE_REQUIRE_VM=1) a violation fails the run: an unexpected skip counts
as a failed case, a floor not reached as one failed case. Without it they
are printed as warnings. Exit 1 when anything failed.
"""
import fnmatch
import json
import os
import re
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIPS_FILE = os.path.join(SRC, 'tests', 'expected-skips.txt')
FLOORS_FILE = os.path.join(SRC, 'tests', 'min-counts.txt')
VM_EXC_FILE = os.path.join(SRC, 'tests', 'vm-exceptions.txt')
ENVS = ('unit', 'host', 'vm-v2', 'vm-legacy', 'fuzz', 'system', 'bench', 'unit-asan', 'host-asan')
OK = re.compile(r'^(not )?ok\b\s*\d*\s*(?:-\s*)?(.*)$')


def data_lines(path):
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if line and not line.startswith('#'):
                    yield n, line
    except OSError as e:
        sys.exit(f'count-tests: cannot read {path}: {e}')


def load_skips():
    """[(env pattern, test, case, reason)]"""
    out = []
    for n, line in data_lines(SKIPS_FILE):
        f = line.split(None, 3)
        if len(f) < 4:
            sys.exit(f'count-tests: {SKIPS_FILE}:{n}: want "environment test case reason"')
        out.append((f[0], f[1], f[2], f[3].strip()))
    return out


def load_floors():
    """{(env, test): min passed}"""
    out = {}
    for n, line in data_lines(FLOORS_FILE):
        f = line.split()
        if len(f) != 3 or not f[2].isdigit() or f[0] not in ENVS:
            sys.exit(f'count-tests: {FLOORS_FILE}:{n}: want "environment test min-passed" '
                     f'(environments: {", ".join(ENVS)})')
        out[(f[0], f[1])] = int(f[2])
    return out


def load_vm_exceptions():
    return {line.split()[0] for _, line in data_lines(VM_EXC_FILE)}


def env_matches(pattern, env):
    return any(fnmatch.fnmatchcase(env, p) for p in pattern.split(','))


def sanitized(build):
    try:
        with open(f'{build}/meson-info/intro-buildoptions.json') as f:
            for o in json.load(f):
                if o.get('name') == 'b_sanitize':
                    return o.get('value') not in ('none', '', None, [])
    except (OSError, ValueError):
        pass
    return False


def env_of(test, asan):
    """(environment, test name) from meson's "project:suite+suite / name"."""
    full = test.get('name', '')
    prefix, sep, name = full.partition(' / ')
    if not sep:
        prefix, name = '', full
    for m in ('vm-v2', 'vm-legacy'):
        if name.startswith(m + '/'):
            return m, name[len(m) + 1:]
    suites = prefix.split(':', 1)[-1].split('+') if prefix else []
    for s in ('host', 'unit'):
        if s in suites:
            return s + ('-asan' if asan else ''), name
    if 'fuzz' in suites and not asan:
        return 'fuzz', name
    if 'system' in suites and not asan:
        return 'system', name
    if 'bench' in suites and not asan:
        return 'bench', name
    return None, name


def cases(test):
    """[(status, case name, skip reason)] status: pass / fail / skip"""
    out = []
    plan_skip = None
    for l in (test.get('stdout') or '').splitlines():
        l = l.strip()
        m = OK.match(l)
        if m:
            rest = m.group(2)
            name, _, directive = rest.partition('#')
            name = name.strip()
            d = directive.strip()
            if m.group(1):
                out.append(('fail', name, ''))
            elif re.match(r'skip\b', d, re.I):
                out.append(('skip', name, d[4:].strip()))
            else:
                out.append(('pass', name, ''))
        else:
            m = re.match(r'^1\.\.0\b.*#\s*skip\b\s*(.*)$', l, re.I)
            if m:
                plan_skip = m.group(1)
    result = test.get('result', '')
    if not out:
        if plan_skip is not None or result == 'SKIP':
            out.append(('skip', '*', plan_skip or ''))
        elif result in ('OK', 'EXPECTEDFAIL'):
            out.append(('pass', '*', ''))
        else:
            out.append(('fail', '*', f'meson result {result}'))
    elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and not any(s == 'fail' for s, _, _ in out):
        out.append(('fail', '(exit)', f'meson result {result} after the last TAP line'))
    return out


def main(argv):
    strict = '--strict' in argv
    print_floors = '--floors' in argv
    builds = [a for a in argv if a not in ('--strict', '--floors')]
    skips = load_skips()
    floors = {} if print_floors else load_floors()
    vm_exc = load_vm_exceptions()
    seen = {}
    passed = failed = skipped = 0
    problems = []
    for build in builds:
        try:
            lines = open(f'{build}/meson-logs/testlog.json').read().splitlines()
        except OSError as e:
            print(f'count-tests: no test log in {build}: {e}', file=sys.stderr)
            failed += 1
            continue
        asan = sanitized(build)
        per_env = {}    # env -> [pass, fail, skip, expected skips]
        per_test = {}   # (env, test) -> passed
        for line in lines:
            t = json.loads(line)
            env, name = env_of(t, asan)
            for status, case, reason in cases(t):
                if env is None:
                    continue
                c = per_env.setdefault(env, [0, 0, 0, 0])
                if status == 'pass':
                    c[0] += 1
                    per_test[(env, name)] = per_test.get((env, name), 0) + 1
                elif status == 'fail':
                    c[1] += 1
                else:
                    ok = [s for s in skips if env_matches(s[0], env) and fnmatch.fnmatchcase(name, s[1])
                          and (fnmatch.fnmatchcase(case, s[2]) or s[2] == '*')
                          and s[3].lower() in reason.lower()]
                    if ok:
                        c[3] += 1
                        c[2] += 1
                    else:
                        problems.append(f'{build}: unexpected skip: {env} {name} {case}: {reason}')
                        if strict:
                            c[1] += 1
                        else:
                            c[2] += 1
        seen.update(per_test)
        if not asan:
            names = {(e, n) for e, n in ((env_of(json.loads(x), asan)) for x in lines)}
            for env, name in sorted(names):
                if env != 'host' or name in vm_exc:
                    continue
                for m in ('vm-v2', 'vm-legacy'):
                    if (m, name) not in names:
                        problems.append(f'{build}: host test {name} has no {m} run (add it to host_exes, '
                                        'or to tests/vm-exceptions.txt with the reason)')
                        if strict:
                            per_env.setdefault(m, [0, 0, 0, 0])[1] += 1
        # every environment of this build's flavour is expected: a suite that
        # vanished (e.g. -Dvm_tests=disabled) misses its floors
        for (env, name), floor in sorted(floors.items()):
            if env.endswith('-asan') != asan:
                continue
            got = per_test.get((env, name), 0)
            if got < floor:
                problems.append(f'{build}: {env} {name}: {got} cases passed, floor {floor}'
                                + (' (the test vanished)' if got == 0 else ''))
                if strict:
                    per_env.setdefault(env, [0, 0, 0, 0])[1] += 1
        for env in ENVS:
            floor = sum(v for (fe, _), v in floors.items() if fe == env)
            if env.endswith('-asan') != asan or (env not in per_env and not floor):
                continue
            p, f, s, e = per_env.get(env, [0, 0, 0, 0])
            if p < floor:
                problems.append(f'{build}: {env}: {p} cases passed, floor {floor}')
            print(f'count-tests: {build:<12} {env:<10} {p:4d} passed {f:3d} failed '
                  f'{s:3d} skipped ({e} expected)  floor {floor}')
            passed += p
            failed += f
            skipped += s
    if print_floors:
        for (env, name), n in sorted(seen.items()):
            print(f'{env} {name} {n}')
        return 0
    for pr in problems:
        print(f'count-tests: {"FAIL" if strict else "warning (fails in CI)"}: {pr}')
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
