#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dhp's bench (scripts/bench.py): scripts/bench.sh [--short] [--kernel K]
exec python3 "$(dirname "$0")/bench.py" "$@"
