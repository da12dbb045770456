#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every dhp test on a fresh Debian 12 machine: installs what is needed
# (scripts/setup.sh), then builds, checks and runs the guest suites
# (scripts/check.py). Arguments go to check.py, e.g. --kernels 6.1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/setup.sh"
exec python3 "$here/check.py" "$@"
