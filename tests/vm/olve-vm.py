#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run openlve's functional test binaries inside a QEMU VM (cgroup v2 or v1).

See tests/vm/README.md. Subcommands:

  test   --mode M --name N ...   (meson's 'vm' suite) print the TAP output of
                                 test binary N from the VM boot of mode M and
                                 exit with its exit code. The first such test
                                 boots the VM (under a lock) and stores every
                                 binary's result; the others read them.
  run    --mode M ...            boot once, print the whole console, exit 0 if
                                 every binary passed
  shell  --mode M ...            boot into an interactive shell (Ctrl-A x quits)

Binaries and libraries come from --exe/--aux/--lib/--syslib, or with -C BUILD and
none given, from the vm test definitions in BUILD/meson-info/intro-tests.json.

Environment:
  OPENLVE_REQUIRE_VM=1     a VM that cannot be obtained is a failure, not a skip
  OPENLVE_VM_CACHE=DIR     where kernels are kept (default BUILD/vm-cache)
  OPENLVE_VM_KERNEL_PACKAGE=linux-image-...  pin the kernel package (default:
                           what linux-image-cloud-amd64 depends on)
  OPENLVE_VM_ACCEL=kvm|tcg accelerator (default tcg: nested KVM can hang)
  OPENLVE_VM_TIMEOUT=S     hard limit for one run, all its boots (default 1500)
  OPENLVE_VM_TEST_TIMEOUT=S  limit per test binary inside the VM (default 240)
  OPENLVE_VM_STALL=S       a guest silent this long has stopped (default: the
                           test limit + 90 s); the run goes on in a new boot
  OPENLVE_VM_REUSE=1       reuse stored results of an identical initramfs even
                           from an earlier 'meson test' run
"""
import argparse
import fcntl
import gzip
import hashlib
import io
import json
import lzma
import os
import pwd
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from vmevents import record_event  # tests/vm/vmevents.py

RUNNER_VERSION = '4'
MODES = ('v2', 'legacy')
HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_META = 'linux-image-cloud-amd64'
# Modules for the scratch disk (with their dependencies, found from modinfo).
WANT_MODULES = ('virtio_pci', 'virtio_blk')
# Environment handed to the tests in the VM (fixed list: the initramfs, and
# so the results key, must not depend on per-test noise like MALLOC_PERTURB_).
PASS_ENV = ('OPENLVE_BUILD_ROOT', 'OPENLVE_SOURCE_ROOT', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS',
            'OPENLVE_REQUIRE_VM', 'CI')
QEMU = 'qemu-system-x86_64'
# OPENLVE_VM_MEM_MB: more RAM for benchmarks (bench-apply's 10,000 LVEs need ~2 GiB).
MEM_MB = int(os.environ.get('OPENLVE_VM_MEM_MB', '512'))
SMP = 2
SCRATCH_MB = 128
# /dev/vdb: swap, so that "PMEM caps RAM + swap" is measured (a process at
# its PMEM limit is killed instead of swapping; without swap it could not).
SWAP_MB = 128


class Unavailable(Exception):
    """The VM cannot be had here (no QEMU, no kernel): skip, or fail when required."""


def log(msg):
    print(f'# olve-vm: {msg}', file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


class Lock:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *a):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def write_atomic(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.tmp-')
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


# --------------------------------------------------------------- kernel

def resolve_kernel_package(cache):
    """linux-image-6.1.0-NN-cloud-amd64 from the meta package, or None.

    apt-cache takes seconds; its answer is kept until apt's lists change.
    """
    memo = os.path.join(cache, 'resolved.json')
    try:
        lists = os.stat('/var/lib/apt/lists').st_mtime_ns
    except OSError:
        lists = None
    try:
        with open(memo) as f:
            m = json.load(f)
        if lists is not None and m.get('lists') == lists and m.get('pkg'):
            return m['pkg']
    except (OSError, ValueError):
        pass
    pkg = apt_depends()
    if pkg and lists is not None:
        write_atomic(memo, json.dumps({'lists': lists, 'pkg': pkg}).encode())
    return pkg


def apt_depends():
    try:
        out = subprocess.run(['apt-cache', 'depends', KERNEL_META], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'Depends:\s*(linux-image-[0-9][^\s]*-cloud-amd64)\b', out)
    return m.group(1) if m else None


def find_vmlinuz(root):
    boot = os.path.join(root, 'boot')
    if not os.path.isdir(boot):
        return None
    for n in sorted(os.listdir(boot)):
        if n.startswith('vmlinuz-'):
            return os.path.join(boot, n)
    return None


def get_kernel(cache):
    """Returns (package, vmlinuz, modules_dir). Downloads once into the cache."""
    os.makedirs(cache, exist_ok=True)
    with Lock(os.path.join(cache, 'lock')):
        pkg = os.environ.get('OPENLVE_VM_KERNEL_PACKAGE') or resolve_kernel_package(cache)
        if pkg is None:
            # no apt metadata: use a kernel downloaded before, newest first
            have = sorted((d for d in os.listdir(cache)
                           if d.startswith('linux-image-') and find_vmlinuz(os.path.join(cache, d))),
                          reverse=True)
            if not have:
                raise Unavailable(f'cannot resolve the kernel version (apt-cache depends {KERNEL_META} '
                                  'found nothing: run apt-get update) and no kernel is cached in ' + cache)
            pkg = have[0]
        root = os.path.join(cache, pkg)
        if not find_vmlinuz(root):
            if not shutil.which('apt-get') or not shutil.which('dpkg-deb'):
                raise Unavailable('apt-get/dpkg-deb not found: cannot fetch ' + pkg)
            dl = tempfile.mkdtemp(dir=cache, prefix='.dl-')
            try:
                os.chmod(dl, 0o755)
                try:  # let apt's sandbox user write there (avoids the "unsandboxed" warning)
                    os.chown(dl, pwd.getpwnam('_apt').pw_uid, -1)
                except (KeyError, OSError):
                    pass
                r = subprocess.run(['apt-get', 'download', '-q', '-o', 'Acquire::Retries=1',
                                    '-o', 'Acquire::http::Timeout=30', pkg],
                                   cwd=dl, capture_output=True, text=True, timeout=600)
                debs = [f for f in os.listdir(dl) if f.endswith('.deb')]
                if r.returncode != 0 or not debs:
                    raise Unavailable(f'apt-get download {pkg} failed: '
                                      + (r.stderr.strip().splitlines() or ['?'])[-1])
                tmp_root = root + '.tmp'
                shutil.rmtree(tmp_root, ignore_errors=True)
                r = subprocess.run(['dpkg-deb', '-x', os.path.join(dl, debs[0]), tmp_root],
                                   capture_output=True, text=True)
                if r.returncode != 0 or not find_vmlinuz(tmp_root):
                    shutil.rmtree(tmp_root, ignore_errors=True)
                    raise Unavailable(f'dpkg-deb -x of {debs[0]} failed: {r.stderr.strip()}')
                os.rename(tmp_root, root)
            finally:
                shutil.rmtree(dl, ignore_errors=True)
        vmlinuz = find_vmlinuz(root)
        kver = os.path.basename(vmlinuz)[len('vmlinuz-'):]
        return pkg, vmlinuz, os.path.join(root, 'lib', 'modules', kver)


def read_module(path):
    """Uncompressed bytes of a .ko, .ko.xz, .ko.gz or .ko.zst."""
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.xz'):
        return lzma.decompress(data)
    if path.endswith('.gz'):
        return gzip.decompress(data)
    if path.endswith('.zst'):
        if not shutil.which('zstd'):
            raise Unavailable('modules are .ko.zst but zstd is not installed')
        return subprocess.run(['zstd', '-dc', path], capture_output=True, check=True).stdout
    return data


def module_closure(moddir, wanted):
    """[(relative .ko path in the VM, bytes)] in load order (dependencies first)."""
    index = {}
    for dirpath, _, files in os.walk(os.path.join(moddir, 'kernel')):
        for f in files:
            m = re.match(r'(.+)\.ko(\.xz|\.gz|\.zst)?$', f)
            if m:
                index[m.group(1).replace('-', '_')] = os.path.join(dirpath, f)
    builtin = set()
    try:
        with open(os.path.join(moddir, 'modules.builtin')) as f:
            for line in f:
                builtin.add(os.path.basename(line.strip()).split('.ko')[0].replace('-', '_'))
    except OSError:
        pass
    order, seen = [], set()

    def visit(name):
        name = name.replace('-', '_')
        if name in seen or name in builtin:
            return
        seen.add(name)
        if name not in index:
            raise Unavailable(f'kernel module {name} not found in {moddir}')
        data = read_module(index[name])
        m = re.search(rb'(?:^|\x00)depends=([^\x00]*)\x00', data)
        for dep in (m.group(1).decode().split(',') if m and m.group(1) else []):
            visit(dep)
        order.append((f'{name}.ko', data, index[name]))

    for w in wanted:
        visit(w)
    return order


# ------------------------------------------------------------ initramfs

def ldd_deps(path):
    """Absolute paths of the shared libraries (and loader) a binary needs."""
    r = subprocess.run(['ldd', path], capture_output=True, text=True)
    if r.returncode != 0:
        return []  # static
    deps = []
    for line in r.stdout.splitlines():
        line = line.strip()
        m = re.match(r'\S+ => (/\S+) \(0x', line) or re.match(r'(/\S+) \(0x', line)
        if m:
            deps.append(os.path.normpath(m.group(1)))
        elif '=> not found' in line:
            raise RuntimeError(f'{path}: {line}')
    return deps


def syslib_path(name):
    out = subprocess.run(['ldconfig', '-p'], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r'\s*(\S+) \(([^)]*)\) => (\S+)', line)
        if m and m.group(1) == name and 'x86-64' in m.group(2):
            return m.group(3)
    return None


class Cpio:
    """Deterministic newc archive: entries sorted, mtime 0, uid/gid 0."""

    def __init__(self):
        self.entries = {}  # path -> (mode, data)
        self.sources = set()  # host files read (for the quick change check)

    def add_dir(self, path):
        path = path.strip('/')
        parts = path.split('/')
        for i in range(1, len(parts) + 1):
            p = '/'.join(parts[:i])
            if p and p not in self.entries:
                self.entries[p] = (stat.S_IFDIR | 0o755, b'')

    def add_file(self, path, data, mode=0o644, src=None):
        if src:
            self.sources.add(os.path.abspath(src))
        path = path.strip('/')
        self.add_dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFREG | mode, data)

    def add_symlink(self, path, target):
        path = path.strip('/')
        self.add_dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode())

    def digest(self):
        h = hashlib.sha256()
        for p in sorted(self.entries):
            mode, data = self.entries[p]
            h.update(f'{p}\0{mode:o}\0{len(data)}\0'.encode())
            h.update(hashlib.sha256(data).digest())
        return h.hexdigest()

    def pack(self):
        out = io.BytesIO()

        def rec(ino, name, mode, data):
            nb = name.encode() + b'\0'
            hdr = '070701' + ''.join(f'{v:08x}' for v in (
                ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
            out.write(hdr.encode() + nb)
            out.write(b'\0' * ((4 - (110 + len(nb)) % 4) % 4))
            out.write(data)
            out.write(b'\0' * ((4 - len(data) % 4) % 4))

        for i, p in enumerate(sorted(self.entries), start=1):
            mode, data = self.entries[p]
            rec(i, p, mode, data)
        rec(0, 'TRAILER!!!', 0, b'')
        return gzip.compress(out.getvalue(), compresslevel=6, mtime=0)


def required():
    return os.environ.get('OPENLVE_REQUIRE_VM') == '1'


def build_initramfs(exes, aux, libs, syslibs, moddir, test_timeout):
    """The image; cp.missing lists what could not be put in (a failure when required)."""
    cp = Cpio()
    cp.missing = []
    for d in ('proc', 'sys', 'dev', 'tmp', 'run', 'root', 'etc/olve', 'etc/pam.d', 'mnt'):
        cp.add_dir(d)
    busybox = shutil.which('busybox') or '/bin/busybox'
    if not os.path.exists(busybox):
        raise Unavailable('busybox not found (package busybox-static)')
    with open(busybox, 'rb') as f:
        cp.add_file('bin/busybox', f.read(), 0o755, src=busybox)
    with open(os.path.join(HERE, 'init.sh'), 'rb') as f:
        cp.add_file('init', f.read(), 0o755, src=os.path.join(HERE, 'init.sh'))
    # A hosting server's user database (Debian's first system users, the web
    # server's user, customers)
    # (lvectl package tests map users to packages; pam_lve sessions).
    cp.add_file('etc/passwd', b'root:x:0:0:root:/root:/bin/sh\n'
                b'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'
                b'bin:x:2:2:bin:/bin:/usr/sbin/nologin\n'
                b'www-data:x:33:33:www-data:/var/www:/bin/false\n'
                b'customer1:x:5001:5001::/home/customer1:/bin/sh\n'
                b'customer2:x:5002:5002::/home/customer2:/bin/sh\n'
                b'customer3:x:5003:5003::/home/customer3:/bin/sh\n'
                b'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
    cp.add_file('etc/group', b'root:x:0:\ndaemon:x:1:\nbin:x:2:\nwww-data:x:33:\ncustomer1:x:5001:\ncustomer2:x:5002:\n'
                b'customer3:x:5003:\nnogroup:x:65534:\n')

    needed = {}  # abs path -> mode
    for e in list(exes) + list(aux):
        needed[os.path.abspath(e)] = 0o755
    extra = [os.path.abspath(l) for l in libs]
    for name in syslibs:
        p = syslib_path(name)
        if p:
            extra.append(p)
        else:
            cp.missing.append(f'system library {name} not installed (ldconfig -p)')
            log(f'{name} not found: tests that need it will skip (fail with OPENLVE_REQUIRE_VM=1)')
    for l in extra:
        needed.setdefault(l, 0o755)
    for b in [busybox] + list(needed):
        for dep in ldd_deps(b):
            needed.setdefault(dep, 0o755)
    for path, mode in sorted(needed.items()):
        target = os.readlink(path) if os.path.islink(path) else None
        if target and '/' not in target:
            # soname link in the same directory (libfoo.so.1 -> libfoo.so.1.0.0): keep it a link
            cp.add_symlink(path, target)
            cp.sources.add(path)
            path = os.path.join(os.path.dirname(path), target)
        with open(path, 'rb') as f:
            cp.add_file(path, f.read(), mode, src=path)

    if not moddir:
        cp.missing.append('no kernel modules directory in the kernel package (virtio_blk: no /dev/vda)')
    mods = module_closure(moddir, WANT_MODULES) if moddir else []
    for name, data, src in mods:
        cp.add_file(f'lib/modules/{name}', data, src=src)
    cp.add_file('etc/olve/modules', ''.join(f'{n}\n' for n, _, _ in mods).encode())
    cp.add_file('etc/olve/tests', ''.join(f'{os.path.basename(e)} {os.path.abspath(e)}\n' for e in exes).encode())
    env = ''.join(f"{k}='{os.environ[k]}'\n" for k in PASS_ENV if k in os.environ and "'" not in os.environ[k])
    cp.add_file('etc/olve/env', env.encode())
    cp.add_file('etc/olve/timeout', f'{test_timeout}\n'.encode())
    return cp


# ------------------------------------------------------------------ qemu

def kvm_usable():
    try:
        fd = os.open('/dev/kvm', os.O_RDWR | os.O_CLOEXEC)
        os.close(fd)
        return True
    except OSError:
        return False


def qemu_cmd(vmlinuz, initrd, scratch, swap, mode, accel, shell=False, skip=0):
    cmd = [QEMU, '-nographic', '-no-reboot', '-m', str(MEM_MB), '-smp', str(SMP),
           '-kernel', vmlinuz, '-initrd', initrd,
           '-append', f'console=ttyS0 quiet panic=-1 olve.mode={mode}' + (' olve.shell=1' if shell else '')
           + (f' olve.skip={skip}' if skip else ''),
           '-drive', f'file={scratch},if=virtio,format=raw,cache=unsafe',
           '-drive', f'file={swap},if=virtio,format=raw,cache=unsafe',
           '-nic', 'none']
    if accel == 'kvm':
        cmd += ['-accel', 'kvm', '-cpu', 'host']
    else:
        cmd += ['-accel', 'tcg', '-cpu', 'max']
    if not shell:
        cmd += ['-monitor', 'none']
    return cmd


def boot(cmd, logpath, timeout, echo=False, stall=None):
    """Run QEMU, tee its console to logpath.

    Returns (console text, total seconds, seconds until init reported the
    cgroups mounted or None, timed_out, stalled): stalled when the guest
    printed nothing for `stall` seconds (its init prints at least at every
    test's end, and its watchdog ends a stuck test: silence means the guest
    itself stopped).
    """
    t0 = time.monotonic()
    last = t0
    chunks = []
    timed_out = stalled = False
    booted = None
    tail = b''
    with open(logpath, 'wb') as logf:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            while True:
                now = time.monotonic()
                left = timeout - (now - t0)
                if left <= 0:
                    timed_out = True
                    break
                if stall and now - last >= stall:
                    stalled = True
                    break
                r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
                if r:
                    data = os.read(p.stdout.fileno(), 65536)
                    if not data:
                        break
                    last = time.monotonic()
                    chunks.append(data)
                    if booted is None:
                        tail = (tail + data)[-4096:]
                        if b'@@OLVE-INFO mode=' in tail:
                            booted = time.monotonic() - t0
                    logf.write(data)
                    logf.flush()
                    if echo:
                        sys.stdout.buffer.write(data)
                        sys.stdout.flush()
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
    return b''.join(chunks).decode('utf-8', 'replace'), time.monotonic() - t0, booted, timed_out, stalled


def parse_console(text):
    """{name: {'rc', 'stdout', 'stderr'}}, done flag, fatal message, missing pieces."""
    results, cur, part, done, fatal, missing = {}, None, None, False, None, []
    for raw in text.replace('\r', '').split('\n'):
        if raw.startswith('@@OLVE-MISSING '):
            missing.append(raw[len('@@OLVE-MISSING '):].strip())
        elif raw.startswith('@@OLVE-BEGIN '):
            cur = raw.split(' ', 1)[1].strip()
            results[cur] = {'rc': None, 'stdout': [], 'stderr': [], 'seconds': None}
            part = 'stdout'
        elif raw.startswith('@@OLVE-STDERR ') and cur:
            part = 'stderr'
        elif raw.startswith('@@OLVE-END ') and cur:
            f = raw.split()
            try:
                results[cur]['rc'] = int(f[2])
            except (IndexError, ValueError):
                results[cur]['rc'] = 1
            try:
                results[cur]['seconds'] = float(f[3])
            except (IndexError, ValueError):
                pass
            cur = part = None
        elif raw.startswith('@@OLVE-DONE'):
            done = True
        elif raw.startswith('@@OLVE-FATAL'):
            fatal = raw[len('@@OLVE-FATAL'):].strip()
        elif raw.startswith('@@OLVE-DMESG'):
            cur = part = None
        elif cur and part:
            results[cur][part].append(raw)
    for r in results.values():
        r['stdout'] = '\n'.join(r['stdout']) + ('\n' if r['stdout'] else '')
        r['stderr'] = '\n'.join(r['stderr']) + ('\n' if r['stderr'] else '')
    return results, done, fatal, missing


# ------------------------------------------------------------------ main

def session_id():
    """Identifies one 'meson test' run (our parent), or None outside meson."""
    ppid = os.getppid()
    try:
        with open(f'/proc/{ppid}/cmdline', 'rb') as f:
            cmdline = f.read()
        with open(f'/proc/{ppid}/stat') as f:
            start = f.read().rsplit(')', 1)[1].split()[19]
    except OSError:
        return None
    if b'meson' not in cmdline:
        return None
    return f'{ppid}:{start}'


class Vm:
    def __init__(self, args):
        self.args = args
        self.mode = args.mode
        self.build = os.path.abspath(args.build_root)
        self.dir = os.path.join(self.build, 'vm', self.mode)
        self.cache = os.environ.get('OPENLVE_VM_CACHE') or os.path.join(self.build, 'vm-cache')
        os.makedirs(self.dir, exist_ok=True)

    def args_key(self):
        """Everything besides file contents that shapes the initramfs and the boot."""
        a = self.args
        parts = [RUNNER_VERSION, self.mode, repr(sorted(map(os.path.abspath, a.exe))),
                 repr([os.path.abspath(e) for e in a.exe]), repr(sorted(map(os.path.abspath, a.aux))),
                 repr(sorted(map(os.path.abspath, a.lib))), repr(sorted(a.syslib)),
                 repr([(k, os.environ.get(k)) for k in PASS_ENV]),
                 os.environ.get('OPENLVE_VM_TEST_TIMEOUT', ''), os.environ.get('OPENLVE_VM_ACCEL', ''),
                 self.cache]
        return hashlib.sha256('\0'.join(parts).encode()).hexdigest()

    def prepare(self):
        """Kernel + initramfs. Returns the results key."""
        if not shutil.which(QEMU):
            raise Unavailable(f'{QEMU} not found (package qemu-system-x86)')
        self.pkg, self.vmlinuz, moddir = get_kernel(self.cache)
        # TCG by default: it boots in seconds, and nested KVM (as on this
        # workplace's machines) may open fine and then hang the guest.
        self.accel = os.environ.get('OPENLVE_VM_ACCEL') or 'tcg'
        if self.accel == 'kvm' and not kvm_usable():
            raise Unavailable('OPENLVE_VM_ACCEL=kvm but /dev/kvm cannot be opened')
        self.test_timeout = int(os.environ.get('OPENLVE_VM_TEST_TIMEOUT', '240'))
        cp = build_initramfs(self.args.exe, self.args.aux, self.args.lib, self.args.syslib,
                             moddir if os.path.isdir(moddir) else None, self.test_timeout)
        key = hashlib.sha256('\0'.join([RUNNER_VERSION, self.mode, cp.digest(), sha256_file(self.vmlinuz),
                                        str(MEM_MB), str(SMP), str(SCRATCH_MB), str(SWAP_MB)]).encode()).hexdigest()
        self.initrd = os.path.join(self.dir, 'initramfs.cpio.gz')
        keyfile = self.initrd + '.key'
        try:
            with open(keyfile) as f:
                same = f.read().strip() == key and os.path.exists(self.initrd)
        except OSError:
            same = False
        if not same:
            write_atomic(self.initrd, cp.pack())
            write_atomic(keyfile, (key + '\n').encode())
        self.sources = cp.sources | {self.vmlinuz, os.path.abspath(__file__)}
        self.missing = cp.missing
        self.scratch = os.path.join(self.dir, 'scratch.img')
        self.swap = os.path.join(self.dir, 'swap.img')
        return key

    def fresh_scratch(self):
        with open(self.scratch, 'wb') as f:
            f.truncate(SCRATCH_MB << 20)
        with open(self.swap, 'wb') as f:
            f.truncate(SWAP_MB << 20)

    def run_boot(self, key, echo=False):
        """Boot and run every binary. A guest that stops talking (stall) is
        killed and the run goes on in a new boot: the binary it was running
        runs once more first (a second stall in it fails it and the next boot
        starts after it). Every stall is written into that binary's output."""
        timeout = float(os.environ.get('OPENLVE_VM_TIMEOUT', '1500'))
        stall = float(os.environ.get('OPENLVE_VM_STALL') or self.test_timeout + 90)
        names = [os.path.basename(e) for e in self.args.exe]
        results, logs, notes, missing_all = {}, [], {}, []
        skip, secs, booted, error, stalls = 0, 0.0, None, None, 0
        while True:
            self.fresh_scratch()
            cmd = qemu_cmd(self.vmlinuz, self.initrd, self.scratch, self.swap, self.mode, self.accel, skip=skip)
            logpath = os.path.join(self.dir, 'console.log' if not logs else f'console-{len(logs) + 1}.log')
            logs.append(logpath)
            log(f'booting {self.mode} VM ({self.pkg}, {self.accel}{f", from test {skip + 1}" if skip else ""}); '
                f'console: {logpath}')
            text, t, b, timed_out, stalled = boot(cmd, logpath, timeout - secs, echo=echo, stall=stall)
            secs += t
            booted = booted if booted is not None else b
            got, done, fatal, missing = parse_console(text)
            results.update(got)
            missing_all += [m for m in missing if m not in missing_all]
            error = None
            if fatal:
                error = f'VM init failed: {fatal}'
            elif timed_out:
                error = f'VM run timed out after {timeout:.0f}s'
            elif stalled:
                running = [n for n, r in got.items() if r['rc'] is None]
                cur = running[-1] if running else None
                if cur is None:  # between tests: go on after the last one that ended
                    ended = [n for n in got if n in names]
                    cur_i = names.index(ended[-1]) + 1 if ended else skip
                else:
                    cur_i = names.index(cur) if cur in names else skip
                msg = (f'# olve-vm: boot {len(logs)} of the {self.mode} VM printed nothing for {stall:.0f}s'
                       f'{f" while {cur} ran" if cur else ""} and was stopped (console: {logpath})')
                log(msg[len('# olve-vm: '):])
                tail = [l for l in text.replace('\r', '').splitlines() if l.strip()][-40:]
                record_event([msg[2:], 'console (last 40 lines):'] + ['  ' + l for l in tail])
                stalls += 1
                if cur is not None:
                    notes.setdefault(cur, []).append(msg)
                    # the first stall in a binary: run it again; the second: it failed
                    again = sum(1 for m in notes[cur] if 'printed nothing' in m) < 2
                    nxt = cur_i if again else cur_i + 1
                else:
                    nxt = cur_i
                if stalls <= 3 and nxt < len(names) and timeout - secs > 60:
                    if cur is not None and not again:
                        results[cur]['rc'] = None
                    skip = nxt
                    continue
                error = f'VM stopped responding ({stalls} stall(s), the last after {stall:.0f}s of silence)'
            elif not done:
                error = 'VM stopped before all tests finished (kernel panic or init crash?)'
            break
        for n, msgs in notes.items():
            if n in results:
                results[n]['stderr'] = '\n'.join(msgs) + '\n' + results[n]['stderr']
        return {
            'key': key, 'session': session_id(), 'time': time.time(), 'seconds': round(secs, 2),
            'accel': self.accel, 'kernel': self.pkg, 'results': results, 'error': error,
            'boot_seconds': None if booted is None else round(booted, 2), 'log': ', '.join(logs),
            'missing': list(getattr(self, 'missing', [])) + missing_all,
        }

    def results(self):
        """Results for this key and meson run: stored ones, or a new boot (under the lock)."""
        with Lock(os.path.join(self.dir, 'lock')):
            path = os.path.join(self.dir, 'results.json')
            try:
                with open(path) as f:
                    old = json.load(f)
            except (OSError, ValueError):
                old = None
            sess = session_id()
            reuse = os.environ.get('OPENLVE_VM_REUSE') == '1'
            # Quick path for the later tests of one run: same arguments and
            # every input file unchanged (size, mtime, inode) since that boot.
            if (old and old.get('unavailable') and sess is not None and old.get('session') == sess
                    and old.get('args_key') == self.args_key()):
                raise Unavailable(old['unavailable'])  # known since the first test of this run
            if (old and (reuse or (sess is not None and old.get('session') == sess))
                    and old.get('args_key') == self.args_key() and old.get('inputs')
                    and file_stats(p for p, *_ in old['inputs']) == old['inputs']):
                self.test_timeout = int(os.environ.get('OPENLVE_VM_TEST_TIMEOUT', '240'))
                return old
            try:
                key = self.prepare()
            except Unavailable as e:
                write_atomic(path, json.dumps({'unavailable': str(e), 'session': sess,
                                               'args_key': self.args_key()}).encode())
                raise
            if old and old.get('key') == key and (reuse or (sess is not None and old.get('session') == sess)):
                return old
            res = self.run_boot(key)
            res['args_key'] = self.args_key()
            res['inputs'] = file_stats(self.sources)
            write_atomic(path, json.dumps(res).encode())
            return res


def file_stats(paths):
    out = []
    for p in sorted(paths):
        try:
            st = os.stat(p)
            out.append([p, st.st_size, st.st_mtime_ns, st.st_ino])
        except OSError:
            out.append([p, None, None, None])
    return out


def unavailable(reason):
    if required():
        print('1..1')
        print(f'not ok 1 - VM required (OPENLVE_REQUIRE_VM=1) but unavailable: {reason}')
        return 1
    print(f'1..0 # SKIP VM unavailable: {reason}')
    return 0


def cmd_test(args):
    vm = Vm(args)
    try:
        res = vm.results()
    except Unavailable as e:
        return unavailable(str(e))
    info = (f"VM mode {args.mode}: {res['kernel']}, {res['accel']}, booted in {res.get('boot_seconds')}s, "
            f"all binaries done after {res['seconds']}s, console log {res['log']}")
    r = res['results'].get(args.name)
    if r is None or r['rc'] is None:
        why = res.get('error') or (f'the VM stopped responding twice while {args.name} ran (its stderr says when)'
                                   if r else f'{args.name} did not run in the VM')
        print('1..1')
        print(f'not ok 1 - {args.name} in VM: {why}')
        if r:  # partial output up to the crash
            sys.stderr.write(r['stdout'] + r['stderr'])
        log(info)
        return 1
    if res.get('missing') and required():
        # the image lacks something tests need: they may have skipped what CI must run
        print('1..1')
        print(f"not ok 1 - {args.name} in VM: image incomplete (OPENLVE_REQUIRE_VM=1): "
              + '; '.join(res['missing']))
        sys.stderr.write(r['stdout'] + r['stderr'])
        log(info)
        return 1
    for m in res.get('missing') or []:
        log(f'VM image incomplete: {m} (a failure with OPENLVE_REQUIRE_VM=1)')
    sys.stdout.write(r['stdout'])
    sys.stderr.write(r['stderr'])
    sys.stdout.flush()
    log(info)
    if r['rc'] == 137:
        log(f'{args.name} was killed after {vm.test_timeout}s in the VM')
    elif r['rc'] == 125:
        log(f'{args.name} did not die after SIGKILL (stuck in the kernel): its stderr has the blocked tasks')
        record_event([f'{vm.mode}: {args.name} did not die after SIGKILL (stuck in the kernel); '
                      'the end of its stderr:'] + ['  ' + l for l in r['stderr'].splitlines()[-40:]])
    return r['rc']


def cmd_run(args):
    vm = Vm(args)
    try:
        key = vm.prepare()
    except Unavailable as e:
        print(f'VM unavailable: {e}', file=sys.stderr)
        return 1 if os.environ.get('OPENLVE_REQUIRE_VM') == '1' else 77
    res = vm.run_boot(key, echo=True)
    print()
    bad = [n for n, r in res['results'].items() if r['rc'] != 0]
    for n, r in res['results'].items():
        print(f"# {n}: exit {r['rc']} after {r.get('seconds')}s")
    print(f"# {res['kernel']} {res['accel']} booted in {res['boot_seconds']}s, done after {res['seconds']}s; "
          f"{len(res['results'])} binaries, "
          f"{len(bad)} failed{'; ' + res['error'] if res['error'] else ''}")
    return 1 if bad or res['error'] else 0


def cmd_shell(args):
    vm = Vm(args)
    vm.prepare()
    vm.fresh_scratch()
    cmd = qemu_cmd(vm.vmlinuz, vm.initrd, vm.scratch, vm.swap, vm.mode, vm.accel, shell=True)
    print('# ' + ' '.join(cmd), file=sys.stderr)
    print('# Ctrl-A x leaves QEMU; "exit" in the shell powers off', file=sys.stderr)
    return subprocess.call(cmd)


def from_introspection(args):
    """Fill --exe/--lib/--syslib/--build-root from BUILD/meson-info/intro-tests.json."""
    with open(os.path.join(args.C, 'meson-info', 'intro-tests.json')) as f:
        tests = json.load(f)
    for t in tests:
        if t['name'].startswith(f'vm-{args.mode}/'):
            sub = argparse.ArgumentParser()
            add_common(sub)
            sub.add_argument('--name')
            sub.add_argument('what')
            cmd = t['cmd']
            i = next(i for i, c in enumerate(cmd) if c.endswith('olve-vm.py'))
            a = sub.parse_args(cmd[i + 1:])
            args.exe, args.lib, args.syslib, args.aux = a.exe, a.lib, a.syslib, a.aux
            args.build_root = args.build_root or a.build_root
            for k, v in t.get('env', {}).items():
                if k in PASS_ENV:
                    os.environ.setdefault(k, v)
            return
    sys.exit(f'olve-vm: no vm-{args.mode}/ test in {args.C} (configured with -Dvm_tests=disabled?)')


def add_common(p):
    p.add_argument('--mode', choices=MODES, required=False, default='v2')
    p.add_argument('--build-root')
    p.add_argument('--exe', action='append', default=[])
    p.add_argument('--lib', action='append', default=[])
    p.add_argument('--syslib', action='append', default=[])
    p.add_argument('--aux', action='append', default=[])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=('test', 'run', 'shell'))
    add_common(ap)
    ap.add_argument('--name', help='test binary to report (test)')
    ap.add_argument('-C', help='meson build dir: take binaries from its vm tests')
    args = ap.parse_args()
    if args.C:
        args.C = os.path.abspath(args.C)
        if not args.exe:
            from_introspection(args)
        os.chdir(args.C)  # meson's test commands use paths relative to the build dir
    args.build_root = args.build_root or args.C
    if not args.build_root or not args.exe:
        ap.error('need --build-root and --exe, or -C BUILD')
    if args.what == 'test':
        if not args.name:
            ap.error('test needs --name')
        return cmd_test(args)
    if args.what == 'run':
        return cmd_run(args)
    return cmd_shell(args)


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    sys.exit(main())
