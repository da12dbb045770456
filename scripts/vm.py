#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a QEMU (TCG) guest with a dhp test kernel, run one shell command in
it, and return its exit status.

    python3 scripts/vm.py [options] -- <guest shell command>

One argument after -- is a shell command line, run with sh -c; several are
quoted and joined. Run scripts/setup.sh first (guest kernels, cache).
Progress lines ([vm] ...) go to stderr, the guest console to stdout and,
with the progress lines, to the log (--log, default $CACHE/runs/).

Exit status: the command's, or 124 timeout (boot or overall; a hung guest
gets sysrq w and l first, into the log), 125 QEMU or the guest died
(panic), 126 a kernel problem in the console (WARNING, BUG, Oops, lockdep,
KASAN, RCU stall, hung task, kmemleak, Call Trace...) even if the command
passed; 2 bad options or missing setup.

Guest contract
  /dhp             the --files contents; the command's working directory
  /etc/dhp/env     DHP_* variables, also in the command's environment:
                   DHP_KERNEL (6.1|6.12|debug), DHP_KVER, DHP_LAYOUT
                   (hotplug|present), DHP_BOOT_CPUS, DHP_MAX_CPUS, DHP_VMEM,
                   DHP_EDU, DHP_KMEMLEAK, DHP_NUMA (node 1's CPUs or
                   empty), DHP_THREADS
  /bin/hostctl     the CLI of selftests/hostctl.c, built by this script
  /dev/ttyS1       the control channel (raw, 115200; hostctl sets it up)
  modules          --kmod NAME ships NAME and its dependencies, decompressed;
                   load with `modprobe NAME` (busybox, modules.dep and
                   modules.builtin are there) or `kmod-load NAME` (insmod in
                   order). --vmem ships virtio_mem and loads virtio_pci at
                   boot where it is a module, so `modprobe virtio_mem` works
                   on every kernel.
  mounted          proc, sysfs, devtmpfs, devpts, /sys/kernel/debug,
                   /sys/kernel/tracing; console loglevel --loglevel (7)
  console markers  "DHP-START <uname -r> online=<cpus>" before the command,
                   "DHP-EXIT: <status>" after it; then poweroff.

Control channel: the guest writes "<id> <cmd> [args]" on ttyS1, the host
answers "<id> ok [info]" or "<id> err <ECODE> <message>" (ECODE: ENOSPC,
EBUSY, ETIME, ENODEV, ENOENT, EINVAL, EOPNOTSUPP, EIO). Commands:
  ping                      -> ok
  cpu-add [node]            -> ok <qom-id> apic-id=N core-id=.. node-id=..
                               socket-id=.. thread-id=..  (ENOSPC: no slot,
                               or none on that node: see --numa)
                               The guest sees cpuN appear (offline) shortly
                               after: poll /sys/devices/system/cpu/cpuN.
  cpu-del [qom-id]          -> ok <qom-id> <seconds>   (default: last added)
                               The guest offlines and ejects the CPU itself
                               (ACPI); offlining it first is not required.
  dimm-add <size> [node]    -> ok <dimm-id> <addr-hex> <size-bytes>
                               Blocks come online in ZONE_MOVABLE
                               (memhp_default_state=online_movable).
  dimm-del <dimm-id>        -> ok <dimm-id> <seconds>; the guest offlines
                               the blocks itself; EBUSY when it refuses
                               (ACPI _OST), ETIME after --op-timeout.
  vmem-resize <size> [wait] -> ok <requested-bytes> [<size-bytes>]
  vmem-size                 -> ok <size-bytes> <requested-bytes>
  qmp <command> [json-args] | qmp <json-object> -> ok <compact json>
  help                      -> ok <command list>
QEMU 7.2 under TCG corrupts itself on a vCPU unplug: any device_add after
a cpu-del aborts QEMU or hangs the guest, so cpu-add, dimm-add and a raw
device_add answer EOPNOTSUPP after a cpu-del: do cpu-del last.
"""

import argparse
import datetime
import gzip
import json
import lzma
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import (QMP, QMPError, QMPGone, QMPTimeout,  # noqa: E402
                 connect_unix, parse_size)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXIT_TIMEOUT = 124
EXIT_DIED = 125
EXIT_SPLAT = 126

START_MARK = 'DHP-START'
EXIT_RE = re.compile(r'DHP-EXIT: (\d+)')
# Terminal control sequences (SeaBIOS clears the screen): not for the log.
ESC_RE = re.compile(r'\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])')


class VMError(Exception):
    """A setup problem reported to the user (missing kernel, bad option)."""


def cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache')
    return os.environ.get('DHP_CACHE') or os.path.join(base, 'dhp')


def _log_stderr(msg):
    print('[vm] ' + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Guest kernels


class Kernel:
    """A guest kernel prepared by setup.sh: $CACHE/kernels/<name>/env."""

    def __init__(self, name):
        self.name = name
        path = os.path.join(cache_dir(), 'kernels', name, 'env')
        if not os.path.exists(path):
            raise VMError('kernel %r is not set up (%s missing): '
                          'run scripts/setup.sh' % (name, path))
        env = {}
        with open(path) as f:
            for line in f:
                key, sep, value = line.strip().partition('=')
                if sep:
                    env[key] = value
        try:
            self.kver = env['KVER']
            self.vmlinuz = env['VMLINUZ']
            self.modroot = env['MODROOT']
            self.kdir = env['KDIR']
        except KeyError as e:
            raise VMError('%s lacks %s: run scripts/setup.sh' % (path, e))
        if not os.path.exists(self.vmlinuz):
            raise VMError('%s is missing: run scripts/setup.sh'
                          % self.vmlinuz)
        self.moddir = os.path.join(self.modroot, 'lib', 'modules', self.kver)

    def config(self, option):
        """Value of CONFIG_<option> in the kernel's .config, or None."""
        key = 'CONFIG_%s=' % option
        for path in (os.path.join(self.kdir, '.config'),
                     os.path.join(self.modroot, 'boot',
                                  'config-' + self.kver)):
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith(key):
                            return line[len(key):].strip()
                return None
            except OSError:
                continue
        return None

    @property
    def slow(self):
        """The debug kernel (KASAN, lockdep) is several times slower."""
        return self.config('KASAN') == 'y' or self.name == 'debug'


def available_kernels():
    root = os.path.join(cache_dir(), 'kernels')
    try:
        return sorted(n for n in os.listdir(root)
                      if os.path.exists(os.path.join(root, n, 'env')))
    except OSError:
        return []


# --------------------------------------------------------------------------
# Kernel modules for the initramfs


def _modname(path):
    base = os.path.basename(path)
    base = base.split('.ko')[0]
    return base.replace('-', '_')


def _strip_comp(relpath):
    for ext in ('.xz', '.zst', '.gz'):
        if relpath.endswith(ext):
            return relpath[:-len(ext)]
    return relpath


class Modules:
    """modules.dep of a guest kernel: dependency closure and file access."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.deps = {}
        self.by_name = {}
        path = os.path.join(kernel.moddir, 'modules.dep')
        try:
            with open(path) as f:
                for line in f:
                    mod, sep, deps = line.partition(':')
                    if not sep:
                        continue
                    self.deps[mod] = deps.split()
                    self.by_name[_modname(mod)] = mod
        except OSError as e:
            raise VMError('cannot read %s (%s): run scripts/setup.sh'
                          % (path, e))
        try:
            with open(os.path.join(kernel.moddir, 'modules.builtin'),
                      'rb') as f:
                self.builtin_text = f.read()
        except OSError:
            self.builtin_text = b''
        self.builtin = {_modname(line) for line in
                        self.builtin_text.decode().split()}

    def is_module(self, name):
        return name.replace('-', '_') in self.by_name

    def load_order(self, name):
        """Relative paths to insmod, dependencies first; [] if built in."""
        key = name.replace('-', '_')
        if key not in self.by_name:
            if key in self.builtin:
                return []
            raise VMError('module %r not found in %s (nor built in)'
                          % (name, self.kernel.moddir))
        order = []

        def visit(mod, stack):
            if mod in order:
                return
            if mod in stack:
                raise VMError('module dependency loop at %s' % mod)
            for dep in self.deps.get(mod, []):
                visit(dep, stack + [mod])
            order.append(mod)

        visit(self.by_name[key], [])
        return order

    def read(self, relpath):
        """Module file contents, decompressed."""
        path = os.path.join(self.kernel.moddir, relpath)
        if relpath.endswith('.xz'):
            with lzma.open(path) as f:
                return f.read()
        if relpath.endswith('.gz'):
            with gzip.open(path) as f:
                return f.read()
        if relpath.endswith('.zst'):
            if not shutil.which('zstd'):
                raise VMError('%s is zstd-compressed: install zstd' % path)
            return subprocess.run(['zstd', '-dcq', path], check=True,
                                  stdout=subprocess.PIPE).stdout
        with open(path, 'rb') as f:
            return f.read()


# --------------------------------------------------------------------------
# initramfs (cpio newc, uncompressed)


class Cpio:
    """Writes a newc cpio archive; parent directories are added as needed."""

    def __init__(self, path):
        self.f = open(path, 'wb')
        self.ino = 1
        self.dirs = {''}
        self.mtime = int(time.time())

    def _entry(self, name, mode, data=b'', rdev=(0, 0), nlink=1):
        name_b = name.encode() + b'\0'
        hdr = '070701' + ''.join('%08X' % v for v in (
            self.ino, mode, 0, 0, nlink, self.mtime, len(data), 0, 0,
            rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        out = hdr.encode() + name_b
        out += b'\0' * (-len(out) % 4)
        out += data
        out += b'\0' * (-len(data) % 4)
        self.f.write(out)

    def _parents(self, path):
        parent = os.path.dirname(path)
        if parent not in self.dirs:
            self.mkdir(parent)

    def mkdir(self, path, mode=0o755):
        path = path.strip('/')
        if path in self.dirs:
            return
        self._parents(path)
        self.dirs.add(path)
        self._entry(path, 0o040000 | mode, nlink=2)

    def file(self, path, data, mode=0o644):
        path = path.strip('/')
        self._parents(path)
        self._entry(path, 0o100000 | (mode & 0o7777), data)

    def symlink(self, path, target):
        path = path.strip('/')
        self._parents(path)
        self._entry(path, 0o120777, target.encode())

    def chardev(self, path, major, minor, mode=0o600):
        path = path.strip('/')
        self._parents(path)
        self._entry(path, 0o020000 | mode, rdev=(major, minor))

    def tree(self, src, dest):
        """Copy a host directory (or a single file) to dest."""
        if not os.path.isdir(src):
            st = os.stat(src)
            with open(src, 'rb') as f:
                self.file(os.path.join(dest, os.path.basename(src)),
                          f.read(), st.st_mode)
            return
        self.mkdir(dest)
        for root, dirs, files in os.walk(src):
            rel = os.path.relpath(root, src)
            base = dest if rel == '.' else os.path.join(dest, rel)
            for d in sorted(dirs):
                p = os.path.join(root, d)
                if os.path.islink(p):
                    self.symlink(os.path.join(base, d), os.readlink(p))
                else:
                    self.mkdir(os.path.join(base, d))
            for name in sorted(files):
                p = os.path.join(root, name)
                if os.path.islink(p):
                    self.symlink(os.path.join(base, name), os.readlink(p))
                    continue
                st = os.stat(p)
                with open(p, 'rb') as f:
                    self.file(os.path.join(base, name), f.read(),
                              st.st_mode)

    def close(self):
        self._entry('TRAILER!!!', 0)
        self.f.close()


INIT_SCRIPT = r'''#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of a dhp test guest, generated by scripts/vm.py.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t debugfs debugfs /sys/kernel/debug
if [ -d /sys/kernel/tracing ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
set -a
. /etc/dhp/env
set +a
echo "$DHP_PRINTK" >/proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/sysrq
if ! stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null; then
	echo "dhp: warning: /dev/ttyS1 (control channel) is not usable"
fi
for m in $DHP_PRELOAD; do
	kmod-load "$m" || echo "dhp: warning: cannot load $m"
done
if [ "$DHP_KMEMLEAK" = 1 ]; then
	echo clear >/sys/kernel/debug/kmemleak
fi
cd /dhp
echo "DHP-START $(uname -r) online=$(cat /sys/devices/system/cpu/online)"
sh -c "$(cat /etc/dhp/cmd)"
rc=$?
if [ "$DHP_KMEMLEAK" = 1 ]; then
	echo "dhp: kmemleak: scanning"
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/kmemleak
	if [ -s /tmp/kmemleak ]; then
		echo "DHP-KMEMLEAK: leaks found"
		cat /tmp/kmemleak
	else
		echo "dhp: kmemleak: no leaks"
	fi
fi
echo "DHP-EXIT: $rc"
# Close the console so that its output drains before the power goes.
exec </dev/null >/dev/null 2>&1
poweroff -f
'''

KMOD_LOAD = r'''#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kmod-load NAME...: insmod modules given to vm.py --kmod, dependencies first.
rc=0
for name in "$@"; do
	name=$(echo "$name" | tr - _)
	list=/lib/modules/$(uname -r)/dhp-load/$name
	if [ ! -f "$list" ] && grep -q "/$name.ko" \
		"/lib/modules/$(uname -r)/modules.builtin"; then
		continue
	fi
	if [ ! -f "$list" ]; then
		echo "kmod-load: $name is not in the initramfs (vm.py --kmod $name)" >&2
		rc=1
		continue
	fi
	while read -r mod path; do
		[ -n "$path" ] || continue
		[ -e "/sys/module/$mod/initstate" ] && continue
		insmod "$path" || rc=1
	done <"$list"
done
exit $rc
'''


def busybox_applets(busybox):
    out = subprocess.run([busybox, '--list-full'], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    return [a for a in out.split() if a and a != 'bin/busybox']


def build_hostctl(log=_log_stderr):
    """Static CLI build of selftests/hostctl.c, cached; None if it fails."""
    src = os.path.join(REPO, 'selftests', 'hostctl.c')
    hdr = os.path.join(REPO, 'selftests', 'hostctl.h')
    if not os.path.exists(src):
        return None
    out = os.path.join(cache_dir(), 'bin', 'hostctl')
    newest = max(os.path.getmtime(p) for p in (src, hdr, __file__)
                 if os.path.exists(p))
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = '%s.%d' % (out, os.getpid())
    res = subprocess.run(['gcc', '-static', '-O2', '-Wall', '-DHOSTCTL_MAIN',
                          '-o', tmp, src], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    if res.returncode:
        log('warning: cannot build hostctl:\n' + res.stdout)
        return None
    os.replace(tmp, out)
    return out


def host_prog_files(prog):
    """A host program for the guest (e.g. bash for the kernel's own
    selftests, which busybox's sh cannot run): [(path in the guest, host
    file)], the program in /bin and the shared libraries ldd names at their
    paths."""
    path = shutil.which(prog) or prog
    if not os.path.isfile(path):
        raise VMError('--host-prog %s: not found on the host' % prog)
    out = subprocess.run(['ldd', path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    files = [('bin/' + os.path.basename(path), path)]
    for line in out.stdout.splitlines():
        m = re.search(r'(/\S+) \(0x', line)
        if m:
            files.append((m.group(1).lstrip('/'), m.group(1)))
    return files


def build_initramfs(path, kernel, command, files=(), kmods=(), preload=(),
                    env=None, hostctl=None, busybox='/bin/busybox',
                    host_progs=()):
    """Write the guest initramfs to path."""
    if not os.path.exists(busybox):
        raise VMError('%s missing: run scripts/setup.sh (busybox-static)'
                      % busybox)
    for src in files:
        if not os.path.exists(src):
            raise VMError('--files %s: no such file or directory' % src)
    mods = Modules(kernel)
    c = Cpio(path)
    for d in ('dev', 'proc', 'sys', 'tmp', 'run', 'root', 'mnt', 'dhp',
              'etc/dhp', 'sbin', 'usr/bin', 'usr/sbin'):
        c.mkdir(d)
    c.chardev('dev/console', 5, 1)
    c.chardev('dev/null', 1, 3, 0o666)
    with open(busybox, 'rb') as f:
        c.file('bin/busybox', f.read(), 0o755)
    progs = [f for p in host_progs for f in host_prog_files(p)]
    for applet in busybox_applets(busybox):
        if any(applet == g for g, _ in progs):
            continue
        depth = applet.count('/')
        c.symlink(applet, '../' * depth + 'bin/busybox')
    for guest, host in progs:
        with open(host, 'rb') as f:
            c.file(guest, f.read(), 0o755)
    c.file('init', INIT_SCRIPT.encode(), 0o755)
    c.file('bin/kmod-load', KMOD_LOAD.encode(), 0o755)
    if hostctl:
        with open(hostctl, 'rb') as f:
            c.file('bin/hostctl', f.read(), 0o755)
    c.file('etc/passwd', b'root:x:0:0:root:/root:/bin/sh\n')
    c.file('etc/group', b'root:x:0:\n')
    c.file('etc/dhp/cmd', command.encode() + b'\n')
    env = dict(env or {})
    env['DHP_PRELOAD'] = ' '.join(preload)
    c.file('etc/dhp/env', ''.join(
        '%s=%s\n' % (k, shlex.quote(str(v))) for k, v in env.items()).encode())

    # Modules: the requested ones with their dependencies, decompressed,
    # a modules.dep for them and the kernel's modules.builtin, so that
    # busybox modprobe works for both kinds.
    moddir = 'lib/modules/' + kernel.kver
    included = set()
    for name in list(kmods) + list(preload):
        order = mods.load_order(name)
        lines = ['%s %s' % (_modname(m), '/' + moddir + '/'
                            + _strip_comp(m)) for m in order]
        if not order:
            lines = ['# %s is built in' % name]
        c.file('%s/dhp-load/%s' % (moddir, name.replace('-', '_')),
               ('\n'.join(lines) + '\n').encode())
        for m in order:
            if m not in included:
                c.file(moddir + '/' + _strip_comp(m), mods.read(m))
                included.add(m)
    dep = ''.join('%s: %s\n' % (_strip_comp(m), ' '.join(
        _strip_comp(d) for d in mods.deps[m])) for m in sorted(included))
    c.file(moddir + '/modules.dep', dep.encode())
    c.file(moddir + '/modules.builtin', mods.builtin_text)
    for src in files:
        c.tree(src, 'dhp')
    c.close()


# --------------------------------------------------------------------------
# Splat scan

SPLAT_PATTERNS = [
    r'WARNING:', r'BUG:', r'kernel BUG at', r'Oops', r'Kernel panic',
    r'^(?!.*traps:).*general protection fault', r'KASAN', r'UBSAN',
    r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'possible irq lock inversion',
    r'suspicious RCU usage',
    r'sleeping function called from invalid context',
    r'using smp_processor_id\(\) in preemptible', r'soft lockup',
    r'hard LOCKUP', r'hung_task', r'blocked for more than',
    r'kmemleak: \d+ new suspected', r'unreferenced object 0x',
    r'DHP-KMEMLEAK', r'self-detected stall', r'detected stalls? on CPU',
    r'list_(add|del) corruption', r'Call Trace:',
]
SPLAT_RE = re.compile('|'.join('(?:%s)' % p for p in SPLAT_PATTERNS))
SPLAT_GRACE = 10    # seconds a splat's trace gets before the guest is ended


def scan_splats(lines, allow=None, before=3, after=8):
    """Find kernel problem lines; return [(first, last)] context ranges
    (line indexes, inclusive) around them, merged.

    allow: a compiled regex of known noise; a "Call Trace:" within 60 lines
    after an allowed line is taken to belong to it.
    """
    hits = []
    allowed_until = -1
    for i, line in enumerate(lines):
        # An allowed line need not be a splat itself (warn_alloc's report
        # is not), but the trace after it is.
        if allow is not None and allow.search(line):
            allowed_until = i + 60
            continue
        if not SPLAT_RE.search(line):
            continue
        if 'Call Trace:' in line and i <= allowed_until:
            continue
        hits.append(i)
    ranges = []
    for i in hits:
        lo, hi = max(0, i - before), min(len(lines) - 1, i + after)
        if ranges and lo <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges, len(hits)


# --------------------------------------------------------------------------
# Control channel (guest /dev/ttyS1 <-> host)


class ControlError(Exception):
    """An error answer: code is an errno name the guest library maps."""

    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


class Control:
    """Serves the guest's control requests on QEMU's ctl chardev socket."""

    def __init__(self, vm, path):
        self.vm = vm
        self.path = path
        self.sock = None
        self.thread = None
        self.cpus_added = []
        self.cpu_deleted = False
        self.dimms = {}
        self.ndimm = 0

    def start(self, timeout=15):
        self.sock = connect_unix(self.path, timeout, self.vm.qemu_alive)
        self.thread = threading.Thread(target=self._serve, name='ctl',
                                       daemon=True)
        self.thread.start()

    def stop(self):
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def _serve(self):
        buf = b''
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b''
            if not data:
                return
            buf += data
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                line = raw.decode('utf-8', 'replace').strip('\r\x00 \t')
                if line:
                    self._request(line)

    def _request(self, line):
        parts = line.split(None, 2)
        rid = parts[0]
        if len(parts) < 2:
            self._send('%s err EINVAL missing command' % rid)
            return
        cmd, rest = parts[1], parts[2] if len(parts) > 2 else ''
        t0 = time.monotonic()
        self.vm.note('ctl: %s %s' % (cmd, rest))
        try:
            handler = getattr(self, 'do_' + cmd.replace('-', '_'), None)
            if handler is None:
                raise ControlError('EOPNOTSUPP', 'unknown command %s' % cmd)
            info = handler(rest.split() if cmd != 'qmp' else rest)
            answer = 'ok' + (' ' + info if info else '')
        except ControlError as e:
            answer = 'err %s %s' % (e.code, e)
        except QMPGone:
            answer = 'err ENODEV qemu gone'
        except QMPTimeout as e:
            answer = 'err ETIME qmp timeout: %s' % e
        except QMPError as e:
            code = 'ENOENT' if e.cls == 'DeviceNotFound' else 'EIO'
            answer = 'err %s %s' % (code, e)
        except (ValueError, TypeError, IndexError) as e:
            answer = 'err EINVAL %s' % e
        except Exception as e:  # keep serving whatever happens
            answer = 'err EIO internal error: %r' % e
        answer = answer.replace('\n', ' ').replace('\r', ' ')
        self.vm.note('ctl: %s -> %s (%.2f s)'
                     % (cmd, answer, time.monotonic() - t0))
        self._send('%s %s' % (rid, answer))

    def _send(self, line):
        try:
            self.sock.sendall(line.encode() + b'\n')
        except OSError:
            pass

    # -- helpers

    @property
    def qmp(self):
        q = self.vm.qmp
        if q is None or q.gone or not self.vm.qemu_alive():
            raise QMPGone('qemu gone')
        return q

    def _check_add(self):
        """QEMU 7.2 under TCG corrupts its heap when a vCPU is unplugged:
        the next device_add aborts QEMU or hangs the guest (seen with pc
        and q35, qemu64 and max, MTTCG; single-threaded TCG aborts on the
        unplug itself). Refuse instead of losing the run."""
        if self.cpu_deleted and not self.vm.unsafe_add:
            raise ControlError('EOPNOTSUPP', 'device_add after a vCPU '
                               'unplug crashes QEMU 7.2 (TCG); do cpu-del '
                               'last (vm.py --unsafe-add-after-cpu-del to '
                               'try anyway)')

    def _present(self, dev_id):
        children = self.qmp.execute('qom-list', {'path': '/machine/peripheral'})
        return any(c['name'] == dev_id for c in children)

    def _device_del(self, dev_id, wait_eject=False):
        """device_del and wait until the device is gone.

        QEMU 7.2 sends DEVICE_DELETED for a DIMM but, for a vCPU, only for
        its lapic child: so the test is the device's absence from
        /machine/peripheral, checked on every event and every 0.2 s. An
        ACPI _OST failure status from the guest ends the wait early. With
        @wait_eject (DIMMs), also waits for the guest to finish the eject.
        """
        t0 = time.monotonic()
        deadline = t0 + self.vm.op_timeout
        mark = start = self.qmp.event_mark()
        self.qmp.execute('device_del', {'id': dev_id})
        slot = []

        def failed(ev):
            info = ev.get('data', {}).get('info', {})
            status = info.get('status', 0)
            if ev['event'] == 'ACPI_DEVICE_OST' and \
                    info.get('device') == dev_id and 'slot' in info:
                slot[:] = [(info.get('slot-type'), info['slot'])]
            if ev['event'] == 'ACPI_DEVICE_OST' and \
                    info.get('device') == dev_id and status not in (0, 0x84):
                raise ControlError(
                    'EBUSY', 'guest refused to eject %s (ACPI _OST source '
                    '0x%x status 0x%x)' % (dev_id, info.get('source', 0),
                                           status))
            return True

        while self._present(dev_id):
            left = deadline - time.monotonic()
            if left <= 0:
                raise ControlError('ETIME', '%s still present after %d s '
                                   '(the guest did not eject it)'
                                   % (dev_id, self.vm.op_timeout))
            try:
                _, mark = self.qmp.wait_event(failed, min(left, 0.2),
                                              since=mark)
            except QMPTimeout:
                pass
        if wait_eject and slot:
            self._eject_done(slot[0], start, deadline)
        return time.monotonic() - t0

    def _eject_done(self, slot, since, deadline):
        """Wait for the guest's last _OST of an eject (source 3, status 0,
        for the slot, after DEVICE_DELETED): until then the guest is still
        finishing the eject, and a device added into the freed slot can be
        taken for the old one ("Eject incomplete")."""
        def done(ev):
            info = ev.get('data', {}).get('info', {})
            return (ev['event'] == 'ACPI_DEVICE_OST' and
                    (info.get('slot-type'), info.get('slot')) == slot and
                    info.get('source') == 3 and info.get('status') == 0)
        try:
            self.qmp.wait_event(done, max(0.1, deadline - time.monotonic()),
                                since=since)
        except QMPTimeout:
            raise ControlError('ETIME', 'the guest did not finish the eject '
                               'of slot %s %s' % slot)

    # -- commands: do_<name>(args) returns the info after "ok"

    def do_help(self, args):
        return ' '.join(sorted(n[3:].replace('_', '-') for n in dir(self)
                               if n.startswith('do_')))

    def do_ping(self, args):
        return ''

    def do_cpu_add(self, args):
        self._check_add()
        slots = self.qmp.execute('query-hotpluggable-cpus')
        order = sorted(slots, key=lambda s: sorted(s['props'].items()))
        free = [s for s in order if 'qom-path' not in s and
                (not args or s['props'].get('node-id') == int(args[0]))]
        if not free:
            raise ControlError('ENOSPC', 'no free cpu slot' +
                               (' on node %s' % args[0] if args else ''))
        slot = free[0]
        dev_id = 'cpu%d' % order.index(slot)
        args = {'driver': slot['type'], 'id': dev_id}
        args.update(slot['props'])
        self.vm.note('qmp: device_add %s' % json.dumps(args))
        self.qmp.execute('device_add', args)
        self.cpus_added.append(dev_id)
        apic = self.qmp.execute('qom-get', {
            'path': '/machine/peripheral/' + dev_id, 'property': 'apic-id'})
        return '%s apic-id=%s %s' % (dev_id, apic, ' '.join(
            '%s=%s' % kv for kv in sorted(slot['props'].items())))

    def do_cpu_del(self, args):
        if args:
            dev_id = args[0]
        elif self.cpus_added:
            dev_id = self.cpus_added[-1]
        else:
            raise ControlError('ENOENT', 'no hot-added cpu to delete')
        self.vm.note('qmp: device_del %s' % dev_id)
        self.cpu_deleted = True
        secs = self._device_del(dev_id)
        if dev_id in self.cpus_added:
            self.cpus_added.remove(dev_id)
        return '%s %.2f' % (dev_id, secs)

    def do_dimm_add(self, args):
        if not args:
            raise ControlError('EINVAL', 'usage: dimm-add <size> [node]')
        size = parse_size(args[0])
        self._check_add()
        dev_id = 'dimm%d' % self.ndimm
        mem_id = 'mem-' + dev_id
        self.ndimm += 1
        self.vm.note('qmp: object-add memory-backend-ram %s size=%d'
                     % (mem_id, size))
        self.qmp.execute('object-add', {'qom-type': 'memory-backend-ram',
                                        'id': mem_id, 'size': size})
        dev = {'driver': 'pc-dimm', 'id': dev_id, 'memdev': mem_id}
        if len(args) > 1:
            dev['node'] = int(args[1])
        self.vm.note('qmp: device_add %s' % json.dumps(dev))
        try:
            self.qmp.execute('device_add', dev)
        except QMPError:
            try:
                self.qmp.execute('object-del', {'id': mem_id})
            except QMPError:
                pass
            raise
        self.dimms[dev_id] = mem_id
        addr = self.qmp.execute('qom-get', {
            'path': '/machine/peripheral/' + dev_id, 'property': 'addr'})
        return '%s 0x%x %d' % (dev_id, addr, size)

    def do_dimm_del(self, args):
        if not args:
            raise ControlError('EINVAL', 'usage: dimm-del <dimm-id>')
        dev_id = args[0]
        self.vm.note('qmp: device_del %s' % dev_id)
        secs = self._device_del(dev_id, wait_eject=True)
        mem_id = self.dimms.pop(dev_id, 'mem-' + dev_id)
        self.qmp.execute('object-del', {'id': mem_id})
        return '%s %.2f' % (dev_id, secs)

    def _vmem_get(self, prop):
        return self.qmp.execute('qom-get', {'path': '/machine/peripheral/vm0',
                                            'property': prop})

    def do_vmem_resize(self, args):
        if not args:
            raise ControlError('EINVAL', 'usage: vmem-resize <size> [wait]')
        if not self.vm.vmem:
            raise ControlError('ENODEV', 'no virtio-mem device (vm.py --vmem)')
        size = parse_size(args[0])
        self.vm.note('qmp: qom-set vm0 requested-size=%d' % size)
        self.qmp.execute('qom-set', {'path': '/machine/peripheral/vm0',
                                     'property': 'requested-size',
                                     'value': size})
        if len(args) < 2 or args[1] != 'wait':
            return str(size)
        deadline = time.monotonic() + self.vm.op_timeout
        while True:
            cur = self._vmem_get('size')
            if cur == size:
                return '%d %d' % (size, cur)
            if time.monotonic() > deadline:
                raise ControlError('ETIME', 'virtio-mem size is %d, not %d, '
                                   'after %d s' % (cur, size,
                                                   self.vm.op_timeout))
            time.sleep(0.2)

    def do_vmem_size(self, args):
        if not self.vm.vmem:
            raise ControlError('ENODEV', 'no virtio-mem device (vm.py --vmem)')
        return '%d %d' % (self._vmem_get('size'),
                          self._vmem_get('requested-size'))

    def do_qmp(self, rest):
        rest = rest.strip()
        if rest.startswith('{'):
            msg = json.loads(rest)
            cmd, args = msg['execute'], msg.get('arguments')
        else:
            cmd, _, a = rest.partition(' ')
            args = json.loads(a) if a.strip() else None
        if not cmd:
            raise ControlError('EINVAL', 'usage: qmp <command> [json-args]')
        if cmd == 'device_add':
            self._check_add()
        self.vm.note('qmp: %s %s' % (cmd, json.dumps(args) if args else ''))
        ret = self.qmp.execute(cmd, args, timeout=self.vm.op_timeout)
        return json.dumps(ret, separators=(',', ':'))


# --------------------------------------------------------------------------
# The VM


def _cpu_list(text, maxcpus):
    """The CPU indexes of a list like 2-3,5; VMError if one is out of
    range."""
    cpus = set()
    try:
        for part in text.split(','):
            lo, _, hi = part.partition('-')
            cpus.update(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise VMError('--numa %r: want a CPU list such as 2-3' % text)
    if not cpus or min(cpus) < 0 or max(cpus) >= maxcpus:
        raise VMError('--numa %r: CPUs must be in 0..%d' % (text, maxcpus - 1))
    return sorted(cpus)


def _tap_line(line):
    return line.startswith(('TAP version', 'KTAP version', '1..', 'ok ',
                            'not ok ', '# ', 'dhp:', 'DHP-', 'Bail out!')) \
        or re.match(r'\s+(ok|not ok) \d', line) is not None


class VM:
    """One guest run. Keyword options mirror the command line."""

    def __init__(self, kernel='6.1', cpus=2, maxcpus=4, layout=None,
                 mem='1G', slots=4, maxmem='8G', vmem=None, edu=0,
                 numa=None, threads=1,
                 files=(), kmods=(), append='', log=None, quiet=False,
                 timeout=600, boot_timeout=None, op_timeout=None,
                 kmemleak=False, allow_splat=None, cpu_model='qemu64',
                 machine='q35', accel='tcg', loglevel=7, boot_loglevel=5,
                 qemu_args=(), unsafe_add=False, qemu='qemu-system-x86_64',
                 host_progs=(), vmware=False, echo=print, note=_log_stderr):
        self.kernel = Kernel(kernel)
        if maxcpus < cpus:
            raise VMError('--maxcpus %d is below --cpus %d' % (maxcpus, cpus))
        self.cpus, self.maxcpus = cpus, maxcpus
        self.vmware = vmware
        self.layout = layout or ('present' if kernel == '6.12' and not vmware
                                 else 'hotplug')
        self.mem, self.slots, self.maxmem = mem, slots, maxmem
        self.vmem, self.edu = vmem, edu
        self.numa, self.threads = numa, threads
        if threads < 1 or maxcpus % threads:
            raise VMError('--maxcpus %d is not a multiple of --threads %d'
                          % (maxcpus, threads))
        if numa is not None:
            self.node1 = _cpu_list(numa, maxcpus)
        self.files, self.kmods = list(files), list(kmods)
        self.host_progs = list(host_progs)
        self.append = append
        self.quiet = quiet
        self.timeout = timeout
        slow = self.kernel.slow
        self.boot_timeout = boot_timeout or (300 if slow else 120)
        self.op_timeout = op_timeout or (240 if slow else 60)
        self.kmemleak = kmemleak
        self.allow = re.compile(allow_splat) if allow_splat else None
        self.cpu_model, self.machine, self.accel = cpu_model, machine, accel
        self.loglevel, self.boot_loglevel = loglevel, boot_loglevel
        self.qemu_args = list(qemu_args)
        self.unsafe_add = unsafe_add
        self.qemu = qemu
        self.echo = echo
        self._note = note
        self.log_path = log or self._default_log()
        self.proc = None
        self.qmp = None
        self.ctl = None
        self.lines = []
        self._splat_seen = False
        self.start_time = None
        self.exit_status = None
        self.scan_end = None
        self.qemu_err = []
        self._logf = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        if kmemleak and self.kernel.config('DEBUG_KMEMLEAK') != 'y':
            raise VMError('--kmemleak needs a kernel with kmemleak '
                          '(--kernel debug)')

    def _default_log(self, keep=300):
        d = os.path.join(cache_dir(), 'runs')
        os.makedirs(d, exist_ok=True)
        for old in sorted(os.listdir(d))[:-keep]:
            try:
                os.unlink(os.path.join(d, old))
            except OSError:
                pass
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        return os.path.join(d, '%s-%s-%d.log' % (stamp, self.kernel.name,
                                                 os.getpid()))

    # -- logging

    def note(self, msg):
        """Host progress line: to stderr and into the log."""
        self._note(msg)
        self._logline('[vm] ' + msg)

    def _logline(self, line):
        with self._lock:
            if self._logf:
                self._logf.write(line + '\n')
                self._logf.flush()

    # -- QEMU

    def qemu_alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kernel_append(self):
        args = ['console=ttyS0,115200', 'panic=-1', 'printk.devkmsg=on',
                'memhp_default_state=online_movable',
                'loglevel=%d' % self.boot_loglevel, 'rdinit=/init']
        if self.layout == 'present':
            args.append('maxcpus=%d' % self.cpus)
        if self.append:
            args.append(self.append)
        return ' '.join(args)

    def qemu_argv(self, tmp, initrd):
        if self.layout == 'present':
            smp = str(self.maxcpus)
        else:
            smp = '%d,maxcpus=%d' % (self.cpus, self.maxcpus)
        if self.threads > 1 or self.numa is not None:
            # a socket per core: the last-level cache is the socket's,
            # and a node that splits one makes the guest warn
            smp += ',sockets=%d,cores=1,threads=%d' % (
                self.maxcpus // self.threads, self.threads)
        mem = self.mem
        if self.slots:
            mem += ',slots=%d,maxmem=%s' % (self.slots, self.maxmem)
        machine, cpu_model, extra = self.machine, self.cpu_model, []
        if self.vmware:
            # 6.12 counts the MADT's disabled (hot-pluggable) CPUs only
            # under a hypervisor it knows. vmware.c accepts one without a
            # CPUID leaf when the CPU says no hypervisor, the DMI serial
            # names VMware and the backdoor port answers (QEMU's vmport).
            machine += ',vmport=on'
            cpu_model += ',hypervisor=off'
            extra = ['-smbios', 'type=1,serial=VMware-dhp']
        argv = [self.qemu, '-machine', machine, '-accel', self.accel,
                '-cpu', cpu_model, '-smp', smp, '-m', mem,
                '-nographic', '-no-reboot', '-nic', 'none',
                '-monitor', 'none', '-parallel', 'none',
                '-kernel', self.kernel.vmlinuz, '-initrd', initrd,
                '-append', self.kernel_append(),
                '-chardev', 'stdio,id=con,signal=off',
                '-serial', 'chardev:con',
                '-chardev', 'socket,id=ctl,path=%s/ctl.sock,server=on,'
                'wait=off' % tmp,
                '-serial', 'chardev:ctl',
                '-qmp', 'unix:%s/qmp.sock,server=on,wait=off' % tmp]
        if self.vmem:
            size, _, addr = self.vmem.partition('@')
            argv += ['-object', 'memory-backend-ram,id=vm0mem,size=%s'
                     % size, '-device', 'virtio-mem-pci,id=vm0,'
                     'memdev=vm0mem,requested-size=0' +
                     (',memaddr=' + addr if addr else '')]
        for i in range(self.edu):
            argv += ['-device', 'edu,id=edu%d' % i]
        return argv + extra + self.numa_argv() + self.qemu_args

    def numa_argv(self):
        """--numa: node 0 has the boot memory and the CPUs not in node 1;
        node 1 has no memory at boot (a DIMM can be added with node=1)."""
        if self.numa is None:
            return []
        node0 = [c for c in range(self.maxcpus) if c not in self.node1]
        argv = ['-object', 'memory-backend-ram,id=numa0,size=%s' % self.mem,
                '-numa', 'node,nodeid=0,memdev=numa0', '-numa',
                'node,nodeid=1']
        for node, cpus in ((0, node0), (1, self.node1)):
            for c in cpus:
                argv += ['-numa', 'cpu,node-id=%d,socket-id=%d,core-id=%d,'
                         'thread-id=%d' % ((node,) + self._cpu_slot(c))]
        return argv

    def _cpu_slot(self, index):
        """The socket, core and thread of CPU @index: QEMU numbers threads
        first, then cores, then sockets; one core per socket here."""
        return index // self.threads, 0, index % self.threads

    def _console_reader(self):
        buf = b''
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if not data:
                break
            *lines, buf = (buf + data).split(b'\n')
            for raw in lines:
                self._console_line(raw.decode('utf-8', 'replace'))
        if buf:
            self._console_line(buf.decode('utf-8', 'replace'))
        self._wake.set()

    def _console_line(self, line):
        line = ESC_RE.sub('', line).replace('\r', '')
        self._logline(line)
        self.lines.append(line)
        if SPLAT_RE.search(line):
            self._splat_seen = True
            self._wake.set()
        if self.start_time is None and START_MARK in line:
            self.start_time = time.monotonic()
            self._wake.set()
        m = EXIT_RE.search(line)
        if m and self.start_time is not None:
            self.exit_status = int(m.group(1))
            self._wake.set()
        if self.echo and (not self.quiet or _tap_line(line)):
            try:
                self.echo(line, flush=True)
            except (OSError, ValueError):
                self.echo = None    # stdout closed: keep logging

    def _stderr_reader(self):
        for raw in self.proc.stderr:
            line = raw.decode('utf-8', 'replace').rstrip()
            self.qemu_err.append(line)
            self._logline('[qemu] ' + line)
            print('[qemu] ' + line, file=sys.stderr, flush=True)

    def _kill(self):
        if not self.qemu_alive():
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()

    def _tail(self, n=40):
        self.note('last %d console lines:' % n)
        for line in self.lines[:self.scan_end][-n:]:
            print('    | ' + line, file=sys.stderr)
        sys.stderr.flush()

    # -- the run

    def run(self, command):
        """Boot, run command, scan; return the exit status (see module
        docstring)."""
        t0 = time.monotonic()
        tmp = tempfile.mkdtemp(prefix='dhp-vm-')
        os.makedirs(os.path.dirname(os.path.abspath(self.log_path)),
                    exist_ok=True)
        self._logf = open(self.log_path, 'w')
        try:
            return self._run(command, tmp, t0)
        except KeyboardInterrupt:
            self.note('interrupted')
            return 130
        finally:
            self._kill()
            if self.ctl:
                self.ctl.stop()
            if self.qmp:
                self.qmp.close()
            shutil.rmtree(tmp, ignore_errors=True)
            with self._lock:
                self._logf.close()
                self._logf = None

    def _env(self):
        return {'DHP_KERNEL': self.kernel.name, 'DHP_KVER': self.kernel.kver,
                'DHP_LAYOUT': self.layout, 'DHP_BOOT_CPUS': self.cpus,
                'DHP_MAX_CPUS': self.maxcpus, 'DHP_VMEM': self.vmem or '',
                'DHP_EDU': self.edu, 'DHP_NUMA': self.numa or '',
                'DHP_THREADS': self.threads,
                'DHP_KMEMLEAK': 1 if self.kmemleak else 0,
                'DHP_PRINTK': '%d 4 1 7' % self.loglevel}

    def _run(self, command, tmp, t0):
        k = self.kernel
        kmods, preload = list(self.kmods), []
        if self.vmem:
            mods = Modules(k)
            # virtio_mem binds through the virtio PCI transport: where that
            # is a module (Debian 6.1) load it at boot. Ship virtio_mem.
            if mods.is_module('virtio_pci'):
                preload.append('virtio_pci')
            if mods.is_module('virtio_mem') and 'virtio_mem' not in kmods:
                kmods.append('virtio_mem')
        initrd = os.path.join(tmp, 'initrd.cpio')
        build_initramfs(initrd, k, command, self.files, kmods, preload,
                        self._env(), build_hostctl(self.note),
                        host_progs=self.host_progs)
        argv = self.qemu_argv(tmp, initrd)
        self.note('booting %s (%s, %s layout, %d/%d cpus), log %s'
                  % (k.name, os.path.basename(k.vmlinuz), self.layout,
                     self.cpus, self.maxcpus, self.log_path))
        self._logline('[vm] ' + ' '.join(shlex.quote(a) for a in argv))
        self._logline('[vm] command: ' + command)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     start_new_session=True)
        threads = [threading.Thread(target=self._console_reader,
                                    name='console', daemon=True),
                   threading.Thread(target=self._stderr_reader,
                                    name='qemu-stderr', daemon=True)]
        for t in threads:
            t.start()
        try:
            self.qmp = QMP(os.path.join(tmp, 'qmp.sock'), connect_timeout=20,
                           alive=self.qemu_alive,
                           log=lambda m: self._logline('[vm] qmp: ' + m))
            self.ctl = Control(self, os.path.join(tmp, 'ctl.sock'))
            self.ctl.start()
        except (QMPError, VMError) as e:
            self._kill()
            for t in threads:
                t.join(2)
            self.note('error: QEMU did not come up: %s' % e)
            return EXIT_DIED

        status = self._wait(t0)
        for t in threads:
            t.join(5)
        return self._finish(status, t0)

    def _wait(self, t0):
        """Wait for the exit marker; return None or an error exit code.
        A kernel splat ends the guest SPLAT_GRACE s after it (time for its
        trace to be printed): the run has failed, waiting on is waste."""
        announced = False
        splat_time = None
        while True:
            self._wake.wait(0.25)
            self._wake.clear()
            now = time.monotonic()
            if self._splat_seen and splat_time is None:
                self._splat_seen = False
                if scan_splats(self.lines[:self.scan_end], self.allow)[1]:
                    splat_time = now
            if (splat_time is not None and self.exit_status is None and
                    now - splat_time > SPLAT_GRACE):
                self.note('error: kernel splat in the console: ending the '
                          'guest now')
                self.scan_end = len(self.lines)
                self._kill()
                return EXIT_SPLAT
            if self.start_time is not None and not announced:
                announced = True
                self.note('guest up in %.1f s' % (self.start_time - t0))
            if self.exit_status is not None:
                # The guest powers off by itself; give it a moment.
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    self._kill()
                return None
            if not self.qemu_alive():
                time.sleep(0.2)     # let the console reader catch up
                if self.exit_status is not None:
                    return None
                panic = [ln for ln in self.lines if 'Kernel panic' in ln]
                self.note('error: QEMU exited (status %s) without DHP-EXIT%s'
                          % (self.proc.returncode,
                             ': ' + panic[0].strip() if panic else ''))
                return EXIT_DIED
            if self.start_time is None and now - t0 > self.boot_timeout:
                self.note('error: no %s from the guest in %d s (boot '
                          'timeout)' % (START_MARK, self.boot_timeout))
                self._kill()
                return EXIT_TIMEOUT
            if now - t0 > self.timeout:
                self.note('error: timeout after %d s' % self.timeout)
                self._hang_dump()
                self._kill()
                return EXIT_TIMEOUT

    def _hang_dump(self):
        """Before killing a hung guest: sysrq w (blocked tasks) and l
        (backtraces of all CPUs) through the PS/2 keyboard, for the log.
        What follows is not scanned for splats."""
        self.scan_end = len(self.lines)
        try:
            for key in ('w', 'l'):
                self.qmp.execute('send-key', {'keys': [
                    {'type': 'qcode', 'data': k}
                    for k in ('alt', 'sysrq', key)]}, timeout=5)
                time.sleep(1.5)
            self.note('sysrq w and l sent: blocked tasks and CPU '
                      'backtraces are in the log')
        except QMPError as e:
            self.note('no sysrq dump: %s' % e)

    def _finish(self, status, t0):
        elapsed = time.monotonic() - t0
        lines = self.lines[:self.scan_end]
        ranges, nhits = scan_splats(lines, self.allow)
        if ranges:
            self.note('error: %d kernel problem line(s) in the console:'
                      % nhits)
            shown = 0
            for lo, hi in ranges:
                print('    ----', file=sys.stderr)
                for line in self.lines[lo:hi + 1]:
                    print('    | ' + line, file=sys.stderr)
                shown += hi - lo + 1
                if shown > 200:
                    print('    (more in the log)', file=sys.stderr)
                    break
            sys.stderr.flush()
        if status is not None:
            self._tail()
            self.note('failed (%d) after %.0f s; log %s'
                      % (status, elapsed, self.log_path))
            return status
        if ranges:
            self.note('guest exit %d, but kernel splat: failing (%d) after '
                      '%.0f s; log %s' % (self.exit_status, EXIT_SPLAT,
                                          elapsed, self.log_path))
            return EXIT_SPLAT
        self.note('guest exit %d after %.0f s' % (self.exit_status, elapsed))
        return self.exit_status


# --------------------------------------------------------------------------
# Command line


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='vm.py', usage='%(prog)s [options] -- <guest shell command>',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--kernel', default='6.1',
                   help='guest kernel: 6.1, 6.12 or debug (default 6.1); '
                        'set up: %s' % (', '.join(available_kernels())
                                        or 'none, run scripts/setup.sh'))
    p.add_argument('--cpus', type=int, default=2,
                   help='vCPUs online at boot (default 2)')
    p.add_argument('--maxcpus', type=int, default=4,
                   help='total vCPUs, hot-pluggable or present (default 4)')
    lay = p.add_mutually_exclusive_group()
    lay.add_argument('--present-cpus', dest='layout', action='store_const',
                     const='present',
                     help='-smp MAXCPUS and maxcpus=CPUS on the kernel '
                          'command line: all present, CPUS online '
                          '(default for 6.12)')
    lay.add_argument('--hotplug-cpus', dest='layout', action='store_const',
                     const='hotplug',
                     help='-smp CPUS,maxcpus=MAXCPUS: the rest is hot-added '
                          'with cpu-add (default for 6.1 and debug)')
    p.add_argument('--mem', default='1G', help='boot memory (default 1G)')
    p.add_argument('--slots', type=int, default=4,
                   help='DIMM slots (default 4; 0: no memory hotplug)')
    p.add_argument('--maxmem', default='8G', help='default 8G')
    p.add_argument('--vmem', metavar='SIZE[@ADDR]',
                   help='add a virtio-mem device vm0 of SIZE (requested 0), '
                        'at guest physical ADDR if given (else the first '
                        'free device memory, before any DIMM); ships '
                        'virtio_mem and loads its PCI transport')
    p.add_argument('--numa', metavar='CPUS',
                   help='two NUMA nodes: node 1 gets the CPUs (indexes '
                        'in QEMU\'s order, e.g. 2-3) and no memory, node 0 '
                        'the rest and the boot memory; dimm-add SIZE 1 '
                        'puts a DIMM on node 1')
    p.add_argument('--threads', type=int, default=1, metavar='N',
                   help='SMT threads per core (-smp ...,threads=N; '
                        'default 1)')
    p.add_argument('--edu', type=int, default=0, metavar='N',
                   help='add N edu PCI devices (ids edu0..)')
    p.add_argument('--files', action='append', default=[], metavar='DIR',
                   help='copy DIR\'s contents (or a file) to /dhp '
                        '(repeatable)')
    p.add_argument('--kmod', action='append', default=[], metavar='NAME',
                   help='ship a module of the guest kernel with its '
                        'dependencies; load with kmod-load NAME or '
                        'modprobe NAME (repeatable)')
    p.add_argument('--host-prog', action='append', default=[],
                   metavar='PROG', help='put a host program (with its '
                   'shared libraries) in the guest\'s /bin, e.g. bash')
    p.add_argument('--append', action='append', default=[],
                   help='extra kernel command line arguments (may be given '
                   'more than once)')
    p.add_argument('--log', help='console log file (default $CACHE/runs/)')
    p.add_argument('--quiet', action='store_true',
                   help='echo only TAP/KTAP lines and dhp:/DHP- lines')
    p.add_argument('--timeout', type=int, default=600,
                   help='overall seconds (default 600)')
    p.add_argument('--boot-timeout', type=int,
                   help='seconds to the start marker (default 120, '
                        'debug 300)')
    p.add_argument('--op-timeout', type=int,
                   help='seconds a control operation waits for the guest '
                        '(default 60, debug 240)')
    p.add_argument('--kmemleak', action='store_true',
                   help='scan kmemleak after the command; leaks fail the run')
    p.add_argument('--allow-splat', metavar='REGEX',
                   help='console lines matching REGEX are not splats')
    p.add_argument('--cpu-model', default='qemu64', help='default qemu64')
    p.add_argument('--machine', default='q35',
                   help='default q35 (with pc the debug kernel spends 30 s '
                        'in ACPI _PRT when there is a PCI device)')
    p.add_argument('--vmware', action='store_true',
                   help='look like VMware to the guest (vmport, DMI serial, '
                        'no CPUID hypervisor bit), so that 6.12 accepts '
                        'hot-pluggable vCPUs under TCG; implies '
                        '--hotplug-cpus unless --present-cpus')
    p.add_argument('--accel', default='tcg',
                   help='default tcg (multi-threaded); tcg,thread=single')
    p.add_argument('--loglevel', type=int, default=7,
                   help='console loglevel once booted (default 7)')
    p.add_argument('--boot-loglevel', type=int, default=5,
                   help='console loglevel while booting (default 5: '
                        'warnings and worse)')
    p.add_argument('--qemu-arg', action='append', default=[],
                   metavar='ARG', help='extra QEMU argument (repeatable)')
    p.add_argument('--unsafe-add-after-cpu-del', action='store_true',
                   help='let cpu-add/dimm-add through after a cpu-del '
                        '(crashes QEMU 7.2 under TCG)')
    p.add_argument('command', nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cmd = args.command
    if cmd and cmd[0] == '--':
        cmd = cmd[1:]
    if not cmd:
        p.error('no guest command (vm.py [options] -- <command>)')
    args.command = cmd[0] if len(cmd) == 1 else shlex.join(cmd)
    return args


def _sigterm(signum, frame):
    raise KeyboardInterrupt()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        vm = VM(kernel=args.kernel, cpus=args.cpus, maxcpus=args.maxcpus,
                layout=args.layout, mem=args.mem, slots=args.slots,
                maxmem=args.maxmem, vmem=args.vmem, edu=args.edu,
                numa=args.numa, threads=args.threads,
                files=args.files, kmods=args.kmod, append=' '.join(args.append),
                log=args.log, quiet=args.quiet, timeout=args.timeout,
                boot_timeout=args.boot_timeout, op_timeout=args.op_timeout,
                kmemleak=args.kmemleak, allow_splat=args.allow_splat,
                cpu_model=args.cpu_model, machine=args.machine,
                accel=args.accel,
                loglevel=args.loglevel, boot_loglevel=args.boot_loglevel,
                qemu_args=args.qemu_arg, host_progs=args.host_prog,
                unsafe_add=args.unsafe_add_after_cpu_del,
                vmware=args.vmware)
    except (VMError, re.error) as e:
        _log_stderr('error: %s' % e)
        return 2
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        return vm.run(args.command)
    except VMError as e:
        _log_stderr('error: %s' % e)
        return 2


if __name__ == '__main__':
    sys.exit(main())
