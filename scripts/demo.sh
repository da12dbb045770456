#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job: boot a QEMU guest, load dhp and its sample client, hot-add
# vCPUs and show what dhp saw. Installs what is needed first.
# Arguments go to demo.py, e.g. --kernel 6.12.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/setup.sh"
exec python3 "$here/demo.py" "$@"
