#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dhp_kunit.sh: runs the KUnit suite "dhp_logic" (dhp_kunit.ko, the cases of
# logic_cases.h) in a test guest and prints its results as plain KTAP: one
# "ok N case" or "not ok N case" line per case, and KUnit's diagnostics as
# "# " lines. Exits 0 only when every case of the plan has a line and passed.
#
#   sh dhp_kunit.sh [DIR]    DIR holds dhp_kunit.ko (default $DHP_MODDIR,
#                            else the current directory)
#
# KUnit runs the suite while the module loads, so KUnit must be built in or
# loaded first (vm.py --kmod kunit where it is a module), and keeps the
# results in debugfs (CONFIG_KUNIT_DEBUGFS) until the module unloads.
# Written for busybox sh.

suite=dhp_logic
results=/sys/kernel/debug/kunit/$suite/results
dir=${1:-${DHP_MODDIR:-.}}

bail() {
	echo "Bail out! $*"
	exit 1
}

if [ ! -d /sys/module/kunit ]; then
	kmod-load kunit || bail "no KUnit in this kernel"
fi
insmod "$dir/dhp_kunit.ko" || bail "cannot load $dir/dhp_kunit.ko"
if [ ! -r "$results" ]; then
	rmmod dhp_kunit
	bail "no $results: KUnit disabled, or built without KUNIT_DEBUGFS"
fi

# The file is KTAP with the suite as a subtest: its cases are indented by
# four, the suite's own result is not. Lift the cases to the top level.
set -f
plan=
next=1
bad=0
suite_ok=
echo "KTAP version 1"
while IFS= read -r line; do
	case $line in
	"KTAP version"* | "1..1" | "    KTAP version"*)
		;;
	"    1.."*)
		plan=${line#    1..}
		echo "1..$plan"
		;;
	"    ok "* | "    not ok "*)
		# shellcheck disable=SC2086 # the words of the line
		set -- $line
		if [ "$1" = not ]; then
			shift
			bad=1
		fi
		while [ "$next" -lt "$2" ]; do
			echo "not ok $next case_$next # no result line: KUnit log full?"
			bad=1
			next=$((next + 1))
		done
		echo "${line#    }"
		next=$(($2 + 1))
		;;
	"ok 1 $suite"*)
		suite_ok=1
		;;
	"not ok 1 $suite"*)
		suite_ok=0
		;;
	*)
		line=${line#"${line%%[! ]*}"}
		case $line in
		"#"*) echo "$line" ;;
		?*) echo "# $line" ;;
		esac
		;;
	esac
done <"$results"

[ -n "$plan" ] || bail "no plan in $results"
while [ "$next" -le "$plan" ]; do
	echo "not ok $next case_$next # no result line: KUnit log full?"
	bad=1
	next=$((next + 1))
done
case $suite_ok in
1) ;;
0) echo "# $suite: not ok"; bad=1 ;;
*) echo "# $suite: no result line"; bad=1 ;;
esac
rmmod dhp_kunit || bad=1
exit "$bad"
