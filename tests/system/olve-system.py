#!/usr/bin/env python3
"""olve-system.py - the `system` suite: openlve installed from its .debs on a
real Debian 12 booted with systemd under QEMU (tests/system/README.md).

  olve-system.py SOURCE_ROOT [v2|v1 ...]   (default: v2 v1)

1. the root filesystem: build-rootfs.sh (mmdebstrap once, cached in
   $OPENLVE_SYSTEM_CACHE, default /var/cache/openlve-system);
2. the .debs: dpkg-buildpackage -us -uc -b on a copy of the source tree;
3. a disk image: the rootfs + the .debs + in-vm.sh run by systest.service at
   every boot (mkfs.ext4 -d), one copy per cgroup mode;
4. boot it with the rootfs's own cloud kernel and initrd: cgroup v2 (systemd's
   default) and v1 (systemd.unified_cgroup_hierarchy=0). in-vm.sh installs,
   configures and reboots, checks, purges and powers off; its results come
   over the second serial port and are printed here as TAP. The two VMs run
   at the same time.

Exit 77 (skip) without root, QEMU, mmdebstrap or dpkg-buildpackage, unless
OPENLVE_REQUIRE_VM=1 (CI), where that is a failure. OPENLVE_SYSTEM_TIMEOUT
(seconds, default 1200) bounds one run of a VM; the VMs run side by side.
A VM that sends no result for OPENLVE_SYSTEM_STALL seconds (default 480;
the longest normal wait is printed after each run) has stalled. A stalled
or timed-out VM is examined through its QEMU monitor (vCPU state, the
guest kernel's sysrq-w/-l stacks on its console), killed, and its mode runs
once more from a fresh disk: only the second run's results count, the first
one's are printed as diagnostics. Every such event, with the end of the
console, is also written to OPENLVE_BUILD_ROOT/meson-logs/vm-events.txt,
which scripts/test.sh prints at its end. OPENLVE_SYSTEM_KEEP=1 keeps the
work dir (printed).
"""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'vm'))
from vmevents import record_event  # noqa: E402 (tests/vm/vmevents.py)
CACHE = os.environ.get('OPENLVE_SYSTEM_CACHE', '/var/cache/openlve-system')
TIMEOUT = int(os.environ.get('OPENLVE_SYSTEM_TIMEOUT', '1200'))
STALL = int(os.environ.get('OPENLVE_SYSTEM_STALL', '480'))
ATTEMPTS = 2  # a stalled or timed-out mode runs once more
# console lines worth seeing when a guest stalls: the kernel's hang and
# lockup reports, systemd's stuck jobs and failures
NOTABLE = ('blocked for more than', 'rcu:', 'soft lockup', 'hard LOCKUP', 'BUG:', 'WARNING:', 'Oops',
           'A stop job', 'A start job', 'Failed to', 'FAILED', 'timed out', 'Timed out', 'Killing process')
REQUIRE = os.environ.get('OPENLVE_REQUIRE_VM') == '1'
PACKAGES = ['openlve', 'liblve0', 'libopenlve-cgroup1', 'liblve-dev', 'libpam-lve', 'libapache2-mod-openlve']

UNIT = """[Unit]
Description=openlve system test (tests/system/in-vm.sh)
After=multi-user.target openlve.service lved.service

[Service]
Type=simple
ExecStart=/root/systest/in-vm.sh
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
"""


def log(msg):
    print(f'# {msg}', flush=True)


def skip_or_fail(reason):
    if REQUIRE:
        print('1..1')
        print(f'not ok 1 - system suite cannot run: {reason}')
        sys.exit(1)
    print(f'1..0 # SKIP {reason}')
    sys.exit(77)


def run(cmd, **kw):
    # stdout is the TAP stream: what the command prints goes to stderr
    return subprocess.run(cmd, check=True, stdout=sys.stderr, **kw)


def copy_source(src, dst):
    """The tracked (and new, unignored) files of the tree: no build dirs."""
    os.makedirs(dst)
    if os.path.isdir(os.path.join(src, '.git')) or os.path.isfile(os.path.join(src, '.git')):
        files = subprocess.run(['git', '-C', src, 'ls-files', '-z', '-co', '--exclude-standard'],
                               check=True, capture_output=True).stdout
        files = b'\0'.join(f for f in files.split(b'\0') if f and os.path.lexists(os.path.join(src.encode(), f)))
        tar = subprocess.Popen(['tar', '-C', src, '--null', '-T', '-', '-cf', '-'],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        untar = subprocess.Popen(['tar', '-C', dst, '-xf', '-'], stdin=tar.stdout)
        tar.stdout.close()
        tar.stdin.write(files)
        tar.stdin.close()
        if tar.wait() or untar.wait():
            raise RuntimeError('copying the source tree failed')
    else:
        shutil.copytree(src, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns('build*', 'obj-*', '.git'))


def build_debs(source, work):
    src = os.path.join(work, 'src')
    copy_source(source, src)
    env = dict(os.environ, DEB_BUILD_OPTIONS='nocheck noautodbgsym parallel=2')
    with open(os.path.join(work, 'dpkg-buildpackage.log'), 'w') as lf:
        r = subprocess.run(['dpkg-buildpackage', '-us', '-uc', '-b'], cwd=src, env=env,
                           stdout=lf, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(os.path.join(work, 'dpkg-buildpackage.log')) as lf:
            tail = lf.read()[-3000:]
        raise RuntimeError('dpkg-buildpackage failed:\n' + tail)
    debs = sorted(glob.glob(os.path.join(work, '*.deb')))
    names = {os.path.basename(d).split('_')[0] for d in debs}
    missing = [p for p in PACKAGES if p not in names]
    if missing:
        raise RuntimeError(f'packages not built: {missing}')
    return debs


def make_image(rootfs_tar, debs, work):
    root = os.path.join(work, 'root')
    os.makedirs(root)
    run(['tar', '--numeric-owner', '-xpf', rootfs_tar, '-C', root])
    with open(os.path.join(root, 'etc/fstab'), 'w') as f:
        f.write('/dev/vda / ext4 defaults 0 1\n')
    with open(os.path.join(root, 'etc/hostname'), 'w') as f:
        f.write('openlve-systest\n')
    shadow = os.path.join(root, 'etc/shadow')
    with open(shadow) as f:
        lines = [('root::' + l.split(':', 2)[2]) if l.startswith('root:') else l for l in f]
    with open(shadow, 'w') as f:
        f.writelines(lines)
    d = os.path.join(root, 'root/systest')
    os.makedirs(os.path.join(d, 'debs'))
    for deb in debs:
        shutil.copy(deb, os.path.join(d, 'debs'))
    shutil.copy(os.path.join(HERE, 'in-vm.sh'), d)
    os.chmod(os.path.join(d, 'in-vm.sh'), 0o755)
    # the helpers in-vm.sh and every check source (checks.d/../checks-lib.sh)
    shutil.copy(os.path.join(HERE, 'checks-lib.sh'), d)
    # the extra checks (tests/system/README.md); in-vm.sh runs the executable ones
    checks = os.path.join(d, 'checks.d')
    os.makedirs(checks)
    for f in sorted(glob.glob(os.path.join(HERE, 'checks.d', '*.sh'))):
        shutil.copy(f, checks)  # keeps the mode: only executable ones run
    with open(os.path.join(root, 'etc/systemd/system/systest.service'), 'w') as f:
        f.write(UNIT)
    wants = os.path.join(root, 'etc/systemd/system/multi-user.target.wants')
    os.makedirs(wants, exist_ok=True)
    os.symlink('/etc/systemd/system/systest.service', os.path.join(wants, 'systest.service'))
    vmlinuz = sorted(glob.glob(os.path.join(root, 'boot/vmlinuz-*')))
    initrd = sorted(glob.glob(os.path.join(root, 'boot/initrd.img-*')))
    if not vmlinuz or not initrd:
        raise RuntimeError('the rootfs has no boot/vmlinuz-* or boot/initrd.img-*')
    shutil.copy(vmlinuz[-1], os.path.join(work, 'vmlinuz'))
    shutil.copy(initrd[-1], os.path.join(work, 'initrd'))
    img = os.path.join(work, 'disk.img')
    run(['mkfs.ext4', '-q', '-F', '-L', 'root', '-d', root, img, '2G'])
    shutil.rmtree(root)
    return img


def boot_start(work, img, mode, attempt=1):
    """Start the VM of one mode on its own copy of the image."""
    tag = mode if attempt == 1 else f'{mode}-{attempt}'
    disk = os.path.join(work, f'disk-{tag}.img')
    run(['cp', '--sparse=always', img, disk])
    console = os.path.join(work, f'console-{tag}.log')
    results = os.path.join(work, f'results-{tag}.txt')
    mon = os.path.join(work, f'monitor-{tag}.sock')
    # no "quiet": a hung task's or an RCU stall's stacks reach the console;
    # sysrq via the monitor's sendkey when a VM stalls
    append = ('root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=1'
              ' sysrq_always_enabled=1 sysctl.kernel.hung_task_timeout_secs=60'
              ' no_timer_check nowatchdog')  # a loaded host makes TCG timers late
    if mode == 'v1':
        append += ' systemd.unified_cgroup_hierarchy=0'
    cmd = ['qemu-system-x86_64', '-display', 'none', '-monitor', f'unix:{mon},server=on,wait=off',
           '-m', '1024', '-smp', '2', '-accel', 'tcg', '-cpu', 'max',
           '-kernel', os.path.join(work, 'vmlinuz'), '-initrd', os.path.join(work, 'initrd'),
           '-append', append,
           '-drive', f'file={disk},if=virtio,format=raw,cache=unsafe', '-nic', 'none',
           '-serial', f'file:{console}', '-serial', f'file:{results}']
    now = time.time()
    return {'mode': mode, 'attempt': attempt, 'disk': disk, 'console': console, 'results': results,
            'monitor': mon, 'proc': subprocess.Popen(cmd, stdin=subprocess.DEVNULL),
            't0': now, 'deadline': now + TIMEOUT, 'size': 0, 'last': now, 'last_line': '(none yet)',
            'gap': 0.0, 'gap_before': ''}


def read_text(path):
    try:
        with open(path, errors='replace') as f:
            return f.read().replace('\r', '')
    except OSError:
        return ''


def monitor(vm, commands):
    """Run HMP commands on the VM's QEMU monitor; returns what it answered."""
    out = []
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(vm['monitor'])
            for cmd, wait in commands:
                s.sendall(cmd.encode() + b'\n')
                time.sleep(wait)
                try:
                    while True:
                        s.settimeout(1)
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        out.append(chunk.decode(errors='replace'))
                except socket.timeout:
                    pass
    except OSError as e:
        out.append(f'(monitor: {e})')
    text = ''.join(out).replace('\r', '')
    # drop the terminal escapes of HMP's line editor
    return '\n'.join(l for l in text.splitlines() if l.strip() and '\x1b' not in l)


def poll(vm, now):
    """Note a new result line; returns None (running), 'exited', 'stalled' or 'timeout'."""
    size = os.path.getsize(vm['results']) if os.path.exists(vm['results']) else 0
    if size != vm['size']:
        lines = [l for l in read_text(vm['results']).splitlines() if l.strip()]
        if now - vm['last'] > vm['gap']:
            vm['gap'], vm['gap_before'] = now - vm['last'], lines[-1] if lines else ''
        vm['size'], vm['last'] = size, now
        vm['last_line'] = lines[-1] if lines else vm['last_line']
    if vm['proc'].poll() is not None:
        return 'exited'
    if now - vm['last'] > STALL:
        return 'stalled'
    if now > vm['deadline']:
        return 'timeout'
    return None


def examine(vm, state):
    """A stalled or timed-out VM: its vCPUs and its kernel's stacks, then kill it.
    Returns diagnostic lines."""
    mark = len(read_text(vm['console']))
    mon = monitor(vm, [('info status', 1), ('info cpus', 1),
                       ('sendkey alt-sysrq-w', 5), ('sendkey alt-sysrq-l', 5)])
    time.sleep(2)
    vm['proc'].kill()
    vm['proc'].wait()
    console = read_text(vm['console'])
    # (without the per-counter lines of the OOM reports the checks cause)
    before = [l for l in console[:mark].splitlines()
              if l.strip() and not re.match(r'\[ *[0-9.]+\] [a-z_]+ [0-9]+$', l)][-40:]
    notable = [l for l in console[:mark].splitlines()
               if any(k in l for k in NOTABLE)][-30:]
    after = [l for l in console[mark:].splitlines() if l.strip()][:150]
    why = (f'no result for {time.time() - vm["last"]:.0f} s' if state == 'stalled'
           else f'not done after {TIMEOUT} s')
    lines = [f'{vm["mode"]}: run {vm["attempt"]} {state} ({why}; ran {time.time() - vm["t0"]:.0f} s; '
             f'last result: {vm["last_line"]})',
             'QEMU monitor (info status, info cpus):'] + ['  ' + l for l in mon.splitlines()] + \
        ['the console\'s warnings (last 30):'] + ['  ' + l for l in notable] + \
        ['console before the stall was noticed (last 40 lines):'] + ['  ' + l for l in before] + \
        ['console after sysrq-w and sysrq-l:'] + ['  ' + l for l in after]
    return lines


def report(vm, text, results, counted):
    """Print one VM run's results (as TAP cases when counted, else as diagnostics);
    returns whether it reached @@done."""
    done = False
    for line in text.splitlines():
        if line.startswith('ok - ') or line.startswith('not ok - '):
            if counted:
                results.append(line)
                print(('ok' if line.startswith('ok') else 'not ok') + f' {len(results)} - ' +
                      line.split(' - ', 1)[1], flush=True)
            else:
                print(f'# {vm["mode"]} run {vm["attempt"]}: {line}', flush=True)
        elif line.startswith('#'):
            print(line, flush=True)
        elif line.strip() == '@@done':
            done = True
    return done


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = os.path.abspath(sys.argv[1])
    modes = sys.argv[2:] or ['v2', 'v1']
    if os.geteuid() != 0:
        skip_or_fail('needs root')
    for prog, pkg in (('qemu-system-x86_64', 'qemu-system-x86'), ('mmdebstrap', 'mmdebstrap'),
                      ('lintian', 'lintian'),
                      ('dpkg-buildpackage', 'dpkg-dev'), ('dh', 'debhelper'), ('mkfs.ext4', 'e2fsprogs')):
        if not shutil.which(prog):
            skip_or_fail(f'{prog} not found (package {pkg}; scripts/install-deps.sh)')
    work = tempfile.mkdtemp(prefix='openlve-system-')
    results = []
    vms = []
    try:
        t0 = time.time()
        rootfs = subprocess.run([os.path.join(HERE, 'build-rootfs.sh'), CACHE], check=True,
                                capture_output=True, text=True).stdout.strip().splitlines()[-1]
        log(f'rootfs {rootfs} ({time.time() - t0:.0f} s)')
        t0 = time.time()
        debs = build_debs(source, work)
        log(f'built {len(debs)} .debs ({time.time() - t0:.0f} s)')
        # lintian (errors fail) runs beside the VMs
        changes = glob.glob(os.path.join(work, '*.changes'))
        lint = subprocess.Popen(['lintian', '--fail-on', 'error'] + changes,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) \
            if shutil.which('lintian') and changes else None
        t0 = time.time()
        img = make_image(rootfs, debs, work)
        log(f'disk image ready ({time.time() - t0:.0f} s)')
        # the modes boot side by side: the guests wait on timers most of the time
        running = [boot_start(work, img, mode) for mode in modes]
        vms = list(running)
        finished = {}
        while running:
            time.sleep(2)
            for vm in list(running):
                state = poll(vm, time.time())
                if state is None:
                    continue
                running.remove(vm)
                events = examine(vm, state) if state in ('stalled', 'timeout') else []
                log(f"{vm['mode']}: VM run {vm['attempt']} ran {time.time() - vm['t0']:.0f} s; "
                    f"longest wait for a result {vm['gap']:.0f} s (before: {vm['gap_before'][:80]})")
                os.unlink(vm['disk'])
                if events and vm['attempt'] < ATTEMPTS:
                    events.append(f"{vm['mode']}: its results are not counted; the mode runs again "
                                  'from a fresh disk')
                    record_event(events)
                    for l in events:
                        print('# ' + l, flush=True)
                    report(vm, read_text(vm['results']), results, counted=False)
                    nxt = boot_start(work, img, vm['mode'], vm['attempt'] + 1)
                    running.append(nxt)
                    vms.append(nxt)
                    continue
                finished[vm['mode']] = (vm, state, events)
        for mode in modes:
            vm, state, events = finished[mode]
            done = report(vm, read_text(vm['results']), results, counted=True)
            if not done:
                results.append('not ok')
                why = {'timeout': f'timed out after {TIMEOUT} s', 'stalled': f'no result for {STALL} s',
                       'exited': 'stopped early'}[state]
                print(f'not ok {len(results)} - {mode}: the VM run completed ({why}, run {vm["attempt"]})',
                      flush=True)
                if not events:
                    tail = [l for l in read_text(vm['console']).splitlines() if l.strip()][-60:]
                    events = [f'{mode}: run {vm["attempt"]} {why}; console (last 60 lines):'] + \
                        ['  ' + l for l in tail]
                record_event(events)
                for l in events:
                    print('#   ' + l)
        if lint:
            out = lint.communicate()[0]
            results.append('ok' if lint.returncode == 0 else 'not ok')
            print(('ok' if lint.returncode == 0 else 'not ok') +
                  f' {len(results)} - lintian: the .debs have no errors', flush=True)
            for l in out.splitlines():
                print('# lintian: ' + l)
        else:
            results.append('not ok')
            print(f'not ok {len(results)} - lintian: not installed (scripts/install-deps.sh)')
    except (subprocess.CalledProcessError, RuntimeError, OSError) as e:
        results.append('not ok')
        msg = str(e)
        if isinstance(e, subprocess.CalledProcessError) and e.stderr:
            msg += '\n' + (e.stderr if isinstance(e.stderr, str) else e.stderr.decode(errors='replace'))
        print(f'not ok {len(results)} - system suite setup')
        for l in msg.splitlines()[-40:]:
            print('# ' + l)
    finally:
        for vm in vms:
            if vm['proc'].poll() is None:
                vm['proc'].kill()
                vm['proc'].wait()
        if os.environ.get('OPENLVE_SYSTEM_KEEP') == '1':
            log(f'work dir kept: {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f'1..{len(results)}')
    return 1 if any(r.startswith('not ok') for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
