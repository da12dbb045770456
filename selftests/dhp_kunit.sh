#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dhp_kunit.sh: runs the KUnit suites of dhp_kunit.ko, "dhp_logic" (the
# cases of logic_cases.h) and "dhp_wdm" (dhp_wdm.h's translations), in a
# test guest and prints their results as one plain KTAP document: one
# "ok N case" or "not ok N case" line per case, numbered across the suites,
# and KUnit's diagnostics as "# " lines. Exits 0 only when every case of
# every plan has a line and passed.
#
#   sh dhp_kunit.sh [DIR]    DIR holds dhp_kunit.ko (default $DHP_MODDIR,
#                            else the current directory)
#
# KUnit runs the suites while the module loads, so KUnit must be built in
# or loaded first (vm.py --kmod kunit where it is a module), and keeps the
# results in debugfs (CONFIG_KUNIT_DEBUGFS) until the module unloads.
# Written for busybox sh.

suites="dhp_logic dhp_wdm"
dir=${1:-${DHP_MODDIR:-.}}

bail() {
	echo "Bail out! $*"
	exit 1
}

results() {
	echo "/sys/kernel/debug/kunit/$1/results"
}

if [ ! -d /sys/module/kunit ]; then
	kmod-load kunit || bail "no KUnit in this kernel"
fi
insmod "$dir/dhp_kunit.ko" || bail "cannot load $dir/dhp_kunit.ko"

# Every suite's plan first: one plan for all their cases.
total=0
for suite in $suites; do
	if [ ! -r "$(results "$suite")" ]; then
		rmmod dhp_kunit
		bail "no $(results "$suite"): KUnit disabled, or built without KUNIT_DEBUGFS"
	fi
	plan=$(sed -n 's/^    1\.\.//p' "$(results "$suite")")
	[ -n "$plan" ] || bail "no plan in $(results "$suite")"
	total=$((total + plan))
done
echo "KTAP version 1"
echo "1..$total"

bad=0

# Prints the cases of suite $1, its plan $2 cases numbered from $3 + 1:
# the file is KTAP with the suite as a subtest, its cases indented by four,
# the suite's own result not. Lifts the cases to the top level.
lift() {
	name=$1
	plan=$2
	base=$3
	next=1
	suite_ok=
	while IFS= read -r line; do
		case $line in
		"KTAP version"* | "1..1" | "    KTAP version"* | "    1.."*)
			;;
		"    ok "* | "    not ok "*)
			# shellcheck disable=SC2086 # the words of the line
			set -- $line
			verdict=ok
			if [ "$1" = not ]; then
				shift
				verdict="not ok"
				bad=1
			fi
			while [ "$next" -lt "$2" ]; do
				echo "not ok $((base + next)) case_$((base + next)) # no result line: KUnit log full?"
				bad=1
				next=$((next + 1))
			done
			next=$(($2 + 1))
			shift 2
			echo "$verdict $((base + next - 1)) $*"
			;;
		"ok 1 $name"*)
			suite_ok=1
			;;
		"not ok 1 $name"*)
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
	done <"$(results "$name")"
	while [ "$next" -le "$plan" ]; do
		echo "not ok $((base + next)) case_$((base + next)) # no result line: KUnit log full?"
		bad=1
		next=$((next + 1))
	done
	case $suite_ok in
	1) ;;
	0) echo "# $name: not ok"; bad=1 ;;
	*) echo "# $name: no result line"; bad=1 ;;
	esac
}

set -f
offset=0
for suite in $suites; do
	n=$(sed -n 's/^    1\.\.//p' "$(results "$suite")")
	lift "$suite" "$n" "$offset"
	offset=$((offset + n))
done
rmmod dhp_kunit || bad=1
exit "$bad"
