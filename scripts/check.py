#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every dhp test: builds with W=1 and sparse against each kernel,
checkpatch, and the kselftest suites inside QEMU guests (scripts/vm.py).

Each check is one TAP-like result; guest suites contribute one result per
KTAP test line. Ends with "N passed, N failed, N skipped" and exits non-zero
on any failure. Run through scripts/check.sh, which installs what is needed.
"""

import argparse
import atexit
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'scripts'))
import vm  # noqa: E402

# Module objects built by the top-level Kbuild, and where they land.
MODULES = ['dhp.ko', 'samples/dhp_sample.ko', 'selftests/dhp_test.ko',
           'selftests/dhp_evtest.ko', 'samples/dhp_edu.ko',
           'samples/dhp_rbdev.ko', 'samples/dhp_wdm_sample.ko']
# Built only for kernels that have what they need (KUnit).
OPTIONAL_MODULES = ['selftests/dhp_kunit.ko']
GUEST_PROGS = ['selftests/dhp_sync_test', 'selftests/dhp_event_test',
               'selftests/dhp_rebalance_test', 'selftests/dhp_stress_test',
               'selftests/dhp_fault_test', 'selftests/dhp_fuzz_test',
               'selftests/dhp_pm_test', 'selftests/dhp_wdm_test',
               'selftests/dhp_numa_test', 'selftests/dhp_khotplug_test',
               'selftests/dhp_mem_test',
               'selftests/dhp_lockdown_test', 'selftests/dhp_irqbalance_test',
               'selftests/dhp_kunit.sh',
               'selftests/hostctl']
# Lines of a kbuild run that are progress, not diagnostics.
KBUILD_NOISE = re.compile(
    r'^(make(\[\d+\])?: |make -C |'
    r'\s*(CC|LD|CHECK|MODPOST|AR|BTF)\b|Skipping BTF generation)')

# A guest with DIMM slots, a virtio-mem device and the error injector.
MEMORY = ['--mem', '1G', '--slots', '4', '--maxmem', '8G', '--vmem', '1G',
          '--kmod', 'memory-notifier-error-inject']
# The reliability runs (issue 5): long storms print progress instead of
# every kernel line, faults make the page allocator warn by design.
STRESS = ['--cpus', '2', '--maxcpus', '3'] + MEMORY + ['--loglevel', '5']
# The fuzzer writes to the debugfs files of every sample, edu's included.
FUZZ = ['--cpus', '2', '--maxcpus', '4', '--edu', '1', '--loglevel', '5']
# Allowed under fault injection only: the page allocator's and vmalloc's
# failure reports (warn_alloc). Faults reach only dhp's own allocations: the
# rebalance sample creates its IRQs before the faulted write.
FAULT = ['--loglevel', '5', '--allow-splat',
         r'page allocation failure|vmalloc error: size \d+']
# Suspend with pm_test: four CPUs present and online at boot; the console
# stays on through suspend, so that a crash there is seen.
PM = ['--present-cpus', '--cpus', '4', '--maxcpus', '4',
      '--append', 'no_console_suspend']
# Memory as it is onlined: boot RAM above 4 GiB that the first DIMM
# adjoins, DIMM slots, virtio-mem out of the DIMMs' way (at 12 GiB); MEMMAP
# puts each hot-added block's memmap on the block itself (6.1 only for
# one-block DIMMs). The debug kernel runs mem only: the memmap variant
# changes no path of dhp's that mem leaves out, and its lane is the long one.
MEMTEST = ['--cpus', '2', '--maxcpus', '2', '--mem', '3G', '--slots', '4',
           '--maxmem', '12G', '--vmem', '1G@0x300000000']
MEMMAP = MEMTEST + ['--append', 'memory_hotplug.memmap_on_memory=1']
# Two NUMA nodes, two threads per core (an Intel vendor: the guest reads
# SMT siblings from the Intel topology leaves): node 0 has the boot memory
# and CPUs 0-1, node 1 CPUs 2-3 and no memory; CPU 2 online at boot, CPU 3
# hot-added (6.1) or present and offline (6.12, which boots the first
# thread of each core, CPUs 0 and 2). The second variant isolates CPU 3.
NUMA = ['--maxcpus', '4', '--numa', '2-3', '--threads', '2',
        '--cpu-model', 'qemu64,vendor=GenuineIntel', '--mem', '1G',
        '--slots', '4', '--maxmem', '8G']
ISOLATED = ['--append', 'isolcpus=managed_irq,domain,3']
# The kernel's own CPU and memory hotplug selftests (scripts/setup.sh takes
# them from linux-source-6.1), run with dhp loaded: bash scripts, with the
# DIMM slots and the error injector their memory part uses.
KHOTPLUG = ['--cpus', '2', '--maxcpus', '4', '--host-prog', 'bash'] + MEMORY
KSFT_HOTPLUG = ['cpu-on-off-test.sh', 'mem-on-off-test.sh']
# dhp beside irqbalance: Debian's, which scripts/setup.sh unpacks into the
# cache (never installed: its package would start the host's service).
IRQBALANCE = ['--cpus', '2', '--maxcpus', '4', '--host-prog',
              os.path.join(vm.cache_dir(), 'irqbalance', 'root', 'usr',
                           'sbin', 'irqbalance')]
# Lockdown: the rebalance sample's devices have debugfs files too.
LOCKDOWN = ['--cpus', '2', '--maxcpus', '2']
SYNC = ['--cpus', '2', '--maxcpus', '6']
# Every suite's guest: tracing records no task names, so that turning an
# event on or off (tests do, around dhp's tracepoints) never registers
# tracing's own probes on sched_switch and sched_wakeup, which rewrites
# __schedule()'s text with int3 on a running system. Under TCG that once
# left a vCPU looping in the int3 handler with interrupts off while
# text_poke_bp() waited for it (an RCU stall, sync.trace_records on 6.1
# with the host loaded; twice before at dhp's unload on the debug kernel).
NO_TEXT_POKE = ['--append', 'trace_options=norecord-cmd']
CPUS4 = ['--cpus', '2', '--maxcpus', '4']


def on(kernels, name, opts, cmd):
    """Suite @name on each of @kernels (space-separated): vm.py options
    @opts, on the debug kernel with kmemleak too, and the guest command
    @cmd ({scale} as for --stress-scale). "name:variant" runs with
    --suites name."""
    return [(name, k, opts + ['--kmemleak'] * (k == 'debug'), cmd)
            for k in kernels.split()]


SUITES = (
    on('6.1 debug', 'sync', SYNC, './dhp_sync_test') +
    on('6.12', 'sync', SYNC + ['--vmware'], './dhp_sync_test') +
    on('6.1 6.12 debug', 'event', CPUS4 + MEMORY, './dhp_event_test') +
    on('6.1 6.12 debug', 'mem', MEMTEST, './dhp_mem_test') +
    on('6.1 6.12', 'memmap', MEMMAP, './dhp_mem_test') +
    on('6.1 6.12 debug', 'rebalance', CPUS4 + ['--edu', '1'],
       './dhp_rebalance_test') +
    on('6.1 6.12 debug', 'wdm', CPUS4 + MEMORY, './dhp_wdm_test') +
    on('6.1', 'numa', ['--cpus', '3'] + NUMA, './dhp_numa_test') +
    on('6.1', 'numa:isolcpus', ['--cpus', '3'] + NUMA + ISOLATED,
       './dhp_numa_test') +
    on('6.12', 'numa', ['--cpus', '2'] + NUMA, './dhp_numa_test') +
    on('6.12', 'numa:isolcpus', ['--cpus', '2'] + NUMA + ISOLATED,
       './dhp_numa_test') +
    on('6.1 6.12 debug', 'khotplug', KHOTPLUG, './dhp_khotplug_test') +
    on('6.1 6.12', 'irqbalance', IRQBALANCE, './dhp_irqbalance_test') +
    # lockdown is raised in the guest and stays: one boot for the suite;
    # not on debug, whose kernel has no lockdown LSM
    on('6.1 6.12', 'lockdown', LOCKDOWN, './dhp_lockdown_test') +
    on('6.1 6.12 debug', 'pm', PM, './dhp_pm_test') +
    on('debug', 'kunit', ['--cpus', '2', '--maxcpus', '2'],
       'sh ./dhp_kunit.sh') +
    on('debug', 'fault', CPUS4 + MEMORY + FAULT, './dhp_fault_test') +
    on('6.1 debug', 'fuzz', FUZZ, 'DHP_FUZZ_SCALE={scale} ./dhp_fuzz_test') +
    on('6.1 6.12', 'stress', STRESS,
       'DHP_STRESS_SCALE={scale} ./dhp_stress_test') +
    on('debug', 'stress', STRESS,
       'DHP_STRESS_SCALE={debug_scale} ./dhp_stress_test'))

# "# DHP-STAT key value [key value ...]" lines from the reliability tests.
STAT = re.compile(r'#\s*DHP-STAT\s+(.*)$')
# What the reliability summary shows, in order: key, label.
SUMMARY = [
    ('cpu_cycles', 'CPU offline/online cycles'),
    ('sync_register_cycles', 'sync register/unregister cycles in the storm'),
    ('async_register_cycles', 'async register/unregister cycles in the storm'),
    ('dimm_cycles', 'DIMM add/remove cycles'),
    ('vmem_cycles', 'virtio-mem grow/shrink cycles'),
    ('module_cycles', 'client module load/unload cycles'),
    ('dhp_unloads_checked', 'dhp unloads with allocations == frees'),
    ('faults_injected', 'faults injected'),
    ('fuzz_writes', 'debugfs and sysfs writes fuzzed'),
    ('fuzz_files', 'debugfs and sysfs files fuzzed'),
    ('events_posted', 'events posted'),
    ('events_delivered', 'event deliveries (one per client and event)'),
    ('events_discarded', 'deliveries discarded by unregistration'),
    ('kunit_cases', 'KUnit cases run'),
]


# The stress on the debug kernel runs at this fraction of the others'
# scale in reduced runs: a CPU cycle costs it ~1 s under TCG (KASAN,
# lockdep), against ~0.1 s on 6.1, where the storm hunts races in volume;
# lockdep and KASAN see every path in far fewer cycles.
DEBUG_STRESS_FRACTION = 0.3


class Results:
    """The counts of a run. Suites may run in parallel (--jobs): add()
    and stat_line() take a lock, and a suite's lines go to its own buffer
    (@out), printed in one piece when it ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.passed = self.failed = self.skipped = self.retries = 0
        self.failures = []
        self.stats = {}
        self.splat_runs = self.leak_runs = self.leak_scans = 0
        self.reliability = False

    def stat_line(self, text):
        words = text.split()
        with self.lock:
            for key, val in zip(words[::2], words[1::2]):
                try:
                    self.stats[key] = self.stats.get(key, 0) + int(val)
                except ValueError:
                    pass

    def summary(self, scale):
        if not self.reliability:
            return
        what = ('the full run' if scale >= 1 else
                f'{scale:g} of the full run, '
                f'{DEBUG_STRESS_FRACTION:g} of that on the debug kernel (CI\'s reduced run; check.sh --full '
                'for all of it)')
        print(f'# reliability summary, stress at {what}:')
        for key, label in SUMMARY:
            if key in self.stats:
                print(f'#   {label:48} {self.stats[key]}')
        print(f'#   {"guest runs with a kernel splat":48} {self.splat_runs}')
        print(f'#   {"kmemleak scans / with leaks":48} '
              f'{self.leak_scans} / {self.leak_runs}')

    def add(self, ok, name, skip=False, why='', out=None):
        with self.lock:
            if skip:
                self.skipped += 1
                line = f'ok - {name} # SKIP {why}'
            elif ok:
                self.passed += 1
                line = f'ok - {name}'
            else:
                self.failed += 1
                self.failures.append(name)
                line = f'not ok - {name}' + (f' # {why}' if why else '')
        emit(line, out)


def emit(line, out=None):
    """Print @line now, or keep it in @out, a suite's buffer."""
    if out is None:
        print(line, flush=True)
    else:
        out.append(line)


def progress(msg):
    print(f'[check] {msg}', flush=True)


def source_files():
    out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                         cwd=REPO, capture_output=True, text=True)
    if out.returncode:
        sys.exit('[check] error: not a git checkout: ' + out.stderr.strip())
    return [f for f in out.stdout.split() if os.path.isfile(
        os.path.join(REPO, f))]


def run_dir():
    """This run's own directory for build trees and guest stages: keyed by
    checkout and process, so that concurrent runs (two checkouts, or two
    runs in one) never share one; removed when the run ends."""
    global _RUN_DIR
    if not _RUN_DIR:
        tag = hashlib.sha1(REPO.encode()).hexdigest()[:8]
        _RUN_DIR = os.path.join(vm.cache_dir(), 'work',
                                f'{tag}-{os.getpid()}')
        os.makedirs(_RUN_DIR, exist_ok=True)
        atexit.register(shutil.rmtree, _RUN_DIR, ignore_errors=True)
    return _RUN_DIR


_RUN_DIR = None


def build_tree(kernel):
    """Copy the sources to a per-kernel build directory (kbuild builds in
    place, so kernels cannot share one) and return it."""
    dest = os.path.join(run_dir(), 'build', kernel.name)
    shutil.rmtree(dest, ignore_errors=True)
    for f in source_files():
        if f.startswith(('scripts/', '.ci/', '.git')):
            continue
        os.makedirs(os.path.join(dest, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(REPO, f), os.path.join(dest, f))
    return dest


def build(kernel, res):
    """Build the modules with W=1 C=1; any diagnostic line fails it."""
    tree = build_tree(kernel)
    t = time.time()
    p = subprocess.run(['make', '-C', tree, f'KDIR={kernel.kdir}', 'W=1',
                       'C=1'], capture_output=True, text=True)
    noise = [ln for ln in (p.stdout + p.stderr).splitlines()
             if ln.strip() and not KBUILD_NOISE.match(ln.strip())]
    ok = p.returncode == 0 and not noise
    for ln in noise[:40]:
        print(f'# {ln}')
    res.add(ok, f'build {kernel.name} ({kernel.kver}) W=1 C=1, '
            f'{time.time() - t:.0f} s',
            why='' if ok else f'{len(noise)} diagnostic lines')
    return tree if p.returncode == 0 else None


def checkpatch(res):
    script = os.path.join(vm.cache_dir(), 'checkpatch', 'scripts',
                          'checkpatch.pl')
    files = [f for f in source_files()
             if f.endswith(('.c', '.h')) and not f.endswith('.mod.c')]
    p = subprocess.run(['perl', script, '--strict', '--no-tree', '--terse',
                        '--show-types', '-f'] + files, cwd=REPO,
                       capture_output=True, text=True)
    bad = [ln for ln in p.stdout.splitlines()
           if re.search(r': (ERROR|WARNING|CHECK):', ln)]
    for ln in bad[:40]:
        print(f'# {ln}')
    res.add(not bad, f'checkpatch --strict ({len(files)} files)',
            why=f'{len(bad)} findings' if bad else '')


def kernel_doc(res):
    """kernel-doc -none over the public headers and every file that exports
    a symbol: any line it prints (a warning or an error) fails."""
    script = os.path.join(vm.cache_dir(), 'checkpatch', 'scripts',
                          'kernel-doc')
    files = [f for f in source_files() if f.startswith('include/') and
             f.endswith('.h') or f.endswith('.c') and
             'EXPORT_SYMBOL' in open(os.path.join(REPO, f)).read()]
    p = subprocess.run(['perl', script, '-none'] + files, cwd=REPO,
                       capture_output=True, text=True)
    bad = (p.stdout + p.stderr).splitlines()
    for ln in bad[:40]:
        print(f'# {ln}')
    ok = p.returncode == 0 and not bad
    res.add(ok, f'kernel-doc ({len(files)} files)',
            why=f'{len(bad)} lines, exit {p.returncode}' if not ok else '')


def build_guest_progs(res):
    ksft = os.path.join(vm.cache_dir(), 'ksft')
    p = subprocess.run(['make', '-C', os.path.join(REPO, 'selftests'),
                        f'KSFT_DIR={ksft}', 'all'],
                       capture_output=True, text=True)
    warn = [ln for ln in (p.stdout + p.stderr).splitlines()
            if 'warning:' in ln or 'error:' in ln]
    for ln in warn[:20]:
        print(f'# {ln}')
    ok = p.returncode == 0 and not warn
    res.add(ok, 'selftests build (static)')
    return ok


def unit_tests(res):
    """The pure logic's unit tests and the QMP client's, on the host."""
    ksft = os.path.join(vm.cache_dir(), 'ksft')
    sel = os.path.join(REPO, 'selftests')
    p = subprocess.run(['make', '-C', sel, f'KSFT_DIR={ksft}', 'unit'],
                       capture_output=True, text=True)
    if p.returncode:
        print('# ' + (p.stdout + p.stderr).strip().replace('\n', '\n# '))
        res.add(False, 'unit tests build')
        return
    for prog in ([os.path.join(sel, 'unit', 'logic_test')],
                 [sys.executable, os.path.join(REPO, 'scripts',
                                               'qmp_test.py')]):
        p = subprocess.run(prog, capture_output=True, text=True,
                           timeout=120)
        counted = 0
        for line in p.stdout.splitlines():
            m = TAP.match(line)
            if m:
                counted += 1
                res.add(m.group(1) == 'ok', f'unit: {m.group(3)}')
            elif line.startswith('# ') and 'Expected' in line:
                print(line)
        if p.returncode or not counted:
            print('# ' + p.stderr.strip().replace('\n', '\n# '))
            res.add(False, f'unit tests run ({os.path.basename(prog[-1])})',
                    why=f'exit {p.returncode}')


TAP = re.compile(r'^(not ok|ok) (\d+) ?([^#]*?) *(#.*)?$')
RUN = re.compile(r'^#\s+RUN\s+(\S+) \.\.\.')


def stage(kernel, tree, name, extra=()):
    """A directory with what the guest gets at /dhp: the modules built
    for @kernel in @tree, the static test programs and @extra files."""
    dest = os.path.join(run_dir(), 'stage', f'{kernel.name}-{name}')
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for f in MODULES:
        shutil.copy2(os.path.join(tree, f), dest)
    for f in OPTIONAL_MODULES:
        if os.path.exists(os.path.join(tree, f)):
            shutil.copy2(os.path.join(tree, f), dest)
    for f in GUEST_PROGS + list(extra):
        shutil.copy2(os.path.join(REPO, f), dest)
    for f in KSFT_HOTPLUG:
        shutil.copy2(os.path.join(vm.cache_dir(), 'ksft', 'hotplug', f), dest)
    return dest


def add_tap(res, m, name, out):
    """One TAP result line (a TAP match) into @res as @name."""
    directive = m.group(4) or ''
    skip = directive.startswith('# SKIP')
    res.add(m.group(1) == 'ok', name, skip=skip,
            why=directive[6:].strip() if skip else '', out=out)


def guest_run(argv, label, res, out):
    """Runs one guest; streams its KTAP into @res, its lines into @out.
    Returns (exit status, tests counted, whether the guest got as far as
    running the command)."""
    counted, running, started = 0, '?', False
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    for line in p.stdout:
        line = line.rstrip('\n')
        started = started or line.startswith('DHP-START')
        st = STAT.search(line)
        if st:
            res.stat_line(st.group(1))
        with res.lock:
            if 'kmemleak: no leaks' in line:
                res.leak_scans += 1
            elif 'DHP-KMEMLEAK' in line:
                res.leak_scans += 1
                res.leak_runs += 1
        m = TAP.match(line)
        if not m:
            r = RUN.match(line)
            running = r.group(1) if r else running
            emit(f'  {line}', out)
            continue
        counted += 1
        add_tap(res, m, f'{label}: {m.group(3) or running}', out)
    return p.wait(), counted, started


def package_check(res):
    """scripts/pkg-check.sh: builds the dhp-dkms package, installs it on the
    host, DKMS for 6.1 and 6.12, a signing key, an outside client, a guest
    with the DKMS-built modules, then purges it. One result per line,
    printed together when it ends."""
    out = []
    t = time.time()
    try:
        _package_check(res, out)
    finally:
        with res.lock:
            print('\n'.join(out), flush=True)
    progress(f'package: {time.time() - t:.0f} s')


def _package_check(res, out):
    progress('package: dhp-dkms build, install, DKMS, guest, purge')
    p = subprocess.Popen(['nice', '-n', '10', 'sh',
                          os.path.join(REPO, 'scripts', 'pkg-check.sh')],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    counted = bad = 0
    for line in p.stdout:
        line = line.rstrip('\n')
        m = TAP.match(line)
        if not m:
            emit(f'  {line}', out)
            continue
        counted += 1
        bad += m.group(1) != 'ok'
        add_tap(res, m, f'package: {m.group(3)}', out)
    status = p.wait()
    if status and not bad or not counted:
        res.add(False, 'package: pkg-check.sh', why=f'exit {status}',
                out=out)


def run_suite(name, kernel, opts, cmd, tree, res, timeout):
    """One suite in one guest (booted again once if it died booting);
    its lines are printed together when it ends."""
    out = []
    try:
        _run_suite(name, kernel, opts, cmd, tree, res, timeout, out)
    finally:
        with res.lock:
            print('\n'.join(out), flush=True)


def _run_suite(name, kernel, opts, cmd, tree, res, timeout, out):
    files = stage(kernel, tree, name)
    # On the debug kernel dhp's tracepoints are on in every suite
    # (dhp_util.c's mod_load()), so KASAN and lockdep see them run.
    if kernel.name == 'debug':
        cmd = f'DHP_TRACE=1 {cmd}'

    label = f'{name} on {kernel.name}'
    for attempt in (1, 2):
        log = os.path.join(vm.cache_dir(), 'runs', f'{name}-{kernel.name}-'
                           f'{time.strftime("%H%M%S")}-{attempt}.log')
        argv = [sys.executable, os.path.join(REPO, 'scripts', 'vm.py'),
                '--kernel', kernel.name, '--files', files, '--quiet',
                '--timeout', str(timeout), '--log', log] + opts + \
            NO_TEXT_POKE + ['--', cmd]
        progress(f'{label}: booting a guest (log {log})')
        t = time.time()
        status, counted, started = guest_run(argv, label, res, out)
        took = time.time() - t
        progress(f'{label}: {counted} tests, exit {status}, {took:.0f} s')
        if name == 'kunit':
            with res.lock:
                res.stats['kunit_cases'] = counted
        # A guest that died or timed out booting, before dhp or any test
        # was loaded (the guest prints DHP-START before it loads anything),
        # is QEMU/TCG trouble (seen: an int3 oops while 6.12 patches its
        # text under TCG; a debug boot past 300 s on a loaded host), not a
        # test result: say so and boot once more.
        if status in (124, 125) and not started and attempt == 1:
            what = 'died' if status == 125 else 'timed out'
            progress(f'{label}: the guest {what} while booting, before any '
                     f'test ran (see {log}); retrying once')
            with res.lock:
                res.retries += 1
            continue
        break
    why = {124: 'guest timed out', 125: 'guest or QEMU died',
           126: 'kernel splat in the guest log'}.get(status, '')
    with res.lock:
        res.splat_runs += status == 126
    if status in (124, 125, 126) or not counted:
        res.add(False, f'{label}: guest run', why=why or 'no test ran',
                out=out)


def run_lanes(lanes):
    """Runs each lane (a list of thunks) in order, the lanes side by
    side."""
    def lane_main(lane):
        for job in lane:
            job()
    threads = [threading.Thread(target=lane_main, args=(lane,))
               for lane in lanes if lane]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def bench_short(res):
    """scripts/bench.py --short: every row of the bench still prints (one
    result per row; figures are printed, never asserted). Its lines are
    printed together when it ends, as a suite's."""
    out = []
    try:
        _bench_short(res, out)
    finally:
        with res.lock:
            print('\n'.join(out), flush=True)


def _bench_short(res, out):
    progress('bench --short: booting a guest')
    p = subprocess.run([sys.executable, os.path.join(REPO, 'scripts',
                                                     'bench.py'), '--short'],
                       capture_output=True, text=True)
    rows = [ln.split(' | ') for ln in p.stdout.splitlines()
            if ln.startswith('| ') and not ln.startswith(('| figure',
                                                         '| ---'))]
    for r in rows:
        emit(f'# {" | ".join(r)}', out)
        res.add('missing' not in r[1:3], f'bench --short: {r[0][2:]}',
                out=out)
    if p.returncode or not rows:
        emit('# ' + p.stderr.strip().replace('\n', '\n# '), out)
        res.add(False, 'bench --short', why=f'exit {p.returncode}', out=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--kernels', default='6.1,6.12,debug',
                    help='comma-separated guest kernels (default: '
                    '6.1,6.12,debug; debug only when its kit is set up)')
    ap.add_argument('--suites', default='',
                    help='comma-separated suite names (default: all)')
    ap.add_argument('--timeout', type=int, default=1800,
                    help='seconds per guest run (default 1800)')
    ap.add_argument('--no-static', action='store_true',
                    help='skip the build warnings and checkpatch checks')
    ap.add_argument('--stress-scale', type=float, default=0.1,
                    help='fraction of the full stress run (default 0.1, '
                    'what CI runs)')
    ap.add_argument('--jobs', type=int, default=2, choices=(1, 2),
                    help='guest lanes side by side (default 2: the debug '
                    'kernel\'s suites in one, the others in the other; '
                    '1: one guest at a time)')
    ap.add_argument('--full', action='store_true',
                    help='the full reliability run: stress at scale 1 '
                    '(10,000 CPU cycles, ...); hours on TCG')
    args = ap.parse_args()

    start = time.time()
    res = Results()
    scale = 1.0 if args.full else args.stress_scale
    avail = vm.available_kernels()
    wanted = [k for k in args.kernels.split(',') if k]
    suites = [s for s in args.suites.split(',') if s]
    trees = {}
    for name in wanted:
        if name not in avail:
            res.add(True, f'kernel {name}', skip=True,
                    why='not set up (scripts/setup.sh; debug needs '
                    'shared/kernels)')
            continue
        kernel = vm.Kernel(name)
        trees[name] = (kernel, build(kernel, res))
    if not args.no_static:
        checkpatch(res)
        kernel_doc(res)
    progs = build_guest_progs(res)
    unit_tests(res)

    debug_scale = scale if scale >= 1 else scale * DEBUG_STRESS_FRACTION
    lanes = [[], []]
    # The package check boots a guest too: first in the lane of the stock
    # kernels, never beside a third guest.
    if not suites or 'package' in suites:
        if '6.1' in trees and '6.12' in trees:
            lanes[args.jobs > 1].append(lambda: package_check(res))
        else:
            res.add(True, 'package', skip=True,
                    why='needs the kernels 6.1 and 6.12')
    for name, kname, opts, cmd in SUITES:
        if suites and name.split(':')[0] not in suites or \
                kname not in trees:
            continue
        kernel, tree = trees[kname]
        if not tree or not progs:
            res.add(False, f'{name} on {kname}', why='build failed')
            continue
        if name in ('stress', 'fault', 'kunit', 'fuzz'):
            res.reliability = True
        lane = lanes[args.jobs > 1 and kname != 'debug']
        lane.append(lambda a=(name, kernel, opts, cmd.format(
            scale=scale, debug_scale=debug_scale), tree, res,
            args.timeout * (10 if scale >= 1 else 1)): run_suite(*a))
    # The bench's short mode boots its own guest: in the stock lane too.
    if (not suites or 'bench' in suites) and trees:
        lanes[args.jobs > 1].append(lambda: bench_short(res))
    run_lanes(lanes)

    mins = (time.time() - start) / 60
    if res.failures:
        print('# failed: ' + '; '.join(res.failures))
    if res.retries:
        print(f'# guests that died or timed out booting, retried: '
              f'{res.retries}')
    res.summary(scale)
    print(f'# total time {mins:.1f} min')
    print(f'{res.passed} passed, {res.failed} failed, '
          f'{res.skipped} skipped')
    return 1 if res.failed else 0


if __name__ == '__main__':
    sys.exit(main())
