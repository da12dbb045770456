#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Soak: run .ci/run again and again, each time from a fresh clone of one
# commit, with the host loaded, and stop at the first red run.
#
#   scripts/soak.sh [-n RUNS] [-c COMMIT] [-l CPU_HOGS]
#
# Defaults: 3 runs of HEAD beside one "stress-ng --cpu 1" hog. The clone
# has no ../shared next to it, as a user's would not. Each run's whole
# output and a line per run go under ~/.cache/dhp/soak/, which outlives
# the clones. series.tsv there holds every run ever made:
#   commit  start(UTC)  seconds  rc  "N passed, N failed, N skipped"
# and the script ends by printing how many runs in a row are green for
# what COMMIT tests, counting earlier invocations too. Two commits test
# the same thing when their trees differ only in this script and
# README.md, which .ci/run never reads. A red run resets the count, and
# is a bug to find, never a run to repeat.
set -eu

runs=3
commit=HEAD
hogs=1
while getopts n:c:l: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	c) commit=$OPTARG ;;
	l) hogs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-c COMMIT] [-l CPU_HOGS]" >&2; exit 2 ;;
	esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse --verify "$commit^{commit}")
short=$(printf %.7s "$commit")
out="${XDG_CACHE_HOME:-$HOME/.cache}/dhp/soak"
mkdir -p "$out"
series="$out/series.tsv"

if ! command -v stress-ng >/dev/null 2>&1; then
	echo "soak: installing stress-ng (the load)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q stress-ng >/dev/null
fi

hog=
work=
cleanup() {
	if [ -n "$hog" ]; then kill "$hog" 2>/dev/null || :; fi
	if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

i=1
rc=0
while [ "$i" -le "$runs" ]; do
	work=$(mktemp -d /tmp/dhp-soak.XXXXXX)
	git clone -q --no-local "$repo" "$work/dhp"
	git -C "$work/dhp" checkout -q "$commit"
	stress-ng --cpu "$hogs" --quiet >/dev/null 2>&1 &
	hog=$!
	start=$(date -u +%Y-%m-%dT%H:%M:%S)
	log="$out/$short-$(date -u +%Y%m%d-%H%M%S)-$i.log"
	echo "soak: run $i/$runs of $short beside $hogs CPU hog(s), log $log"
	t0=$(date +%s)
	rc=0
	"$work/dhp/.ci/run" >"$log" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
	kill "$hog" 2>/dev/null || :
	wait "$hog" 2>/dev/null || :
	hog=
	rm -rf "$work"
	work=
	result=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	printf '%s\t%s\t%s\t%s\t%s\n' "$commit" "$start" "$secs" "$rc" \
		"${result:-no result line}" >>"$series"
	echo "soak: run $i: rc $rc after $((secs / 60)) min: ${result:-no result line}"
	[ "$rc" -eq 0 ] || break
	i=$((i + 1))
done

# What a commit's .ci/run tests: its tree without this script and README.
suite() {
	git -C "$repo" ls-tree -r "$1" 2>/dev/null |
		grep -v -E '	(scripts/soak\.sh|README\.md)$' | git hash-object --stdin
}

# Green runs in a row of what COMMIT tests, across invocations.
want=$(suite "$commit")
streak=0
while IFS='	' read -r c _ _ r _; do
	if [ "$(suite "$c")" != "$want" ]; then
		streak=0
	elif [ "$r" -eq 0 ]; then
		streak=$((streak + 1))
	else
		streak=0
	fi
done <"$series"
echo "soak: what $short tests has $streak green loaded run(s) in a row (series: $series)"
if [ "$rc" -ne 0 ]; then
	echo "soak: run $i failed: read $log from the first 'not ok'" >&2
	exit 1
fi
