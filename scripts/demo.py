#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot a guest, load dhp and the sample client, hot-add vCPUs and print
what dhp saw (its debugfs files). Run through scripts/demo.sh."""

import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'scripts'))
import check  # noqa: E402
import vm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--kernel', default='6.1',
                    help='guest kernel: 6.1 (default, vCPU hot-add), 6.12 '
                    '(CPUs present at boot are onlined), debug')
    ap.add_argument('--add', type=int, default=2,
                    help='vCPUs to add (default 2)')
    ap.add_argument('--dimm', default='1G',
                    help='size of the DIMM to hot-add (default 1G)')
    args = ap.parse_args()

    kernel = vm.Kernel(args.kernel)
    res = check.Results()
    tree = check.build(kernel, res)
    if not tree:
        sys.exit('[demo] error: the modules did not build, see above')
    if not check.build_guest_progs(res):
        sys.exit('[demo] error: the guest programs did not build, see above')
    files = check.stage(kernel, tree, 'demo', ['scripts/demo-guest.sh'])
    argv = [sys.executable, os.path.join(REPO, 'scripts', 'vm.py'),
            '--kernel', kernel.name, '--files', files, '--cpus', '2',
            '--maxcpus', str(2 + args.add), '--timeout', '900',
            '--mem', '1G', '--slots', '2', '--maxmem', '8G',
            '--loglevel', '4', '--',
            f'sh ./demo-guest.sh {args.add} {args.dimm}']
    return subprocess.call(argv)


if __name__ == '__main__':
    sys.exit(main())
