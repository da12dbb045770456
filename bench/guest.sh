#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench.sh (busybox sh, in /dhp). Every result is
# one line "BENCH <row> <name> <value>" on stdout; the host sorts them into
# the table. Environment: REPS, SCALES (client counts), ASYNC (clients),
# HOT (iterations), RB (rebalance device sizes).
set -u
REPS=${REPS:-5}
SCALES=${SCALES:-"1 20 1000 10000"}
ASYNC=${ASYNC:-1000}
HOT=${HOT:-1000000}
RB=${RB:-"1 16 64"}
BASE=/sys/kernel/debug/dhp_bench_base/run
DHPB=/sys/kernel/debug/dhp_bench/run

fail() { echo "BENCH-FAIL $*"; exit 1; }
# run FILE ROW COMMAND: one command, its result lines tagged with ROW
run() {
	echo "$3" > "$1" || fail "$2: $3"
	sed "s/^/BENCH $2 /" "$1"
}
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

insmod ./dhp_bench_base.ko || fail "insmod dhp_bench_base"
run $BASE states states
NOOP_BP=$(awk '$1 == "noop_bp" { print $2 }' $BASE)
NOOP_AP=$(awk '$1 == "noop_ap" { print $2 }' $BASE)

# Memory: one 128 MiB DIMM, i.e. one block, offlined and onlined; per
# repetition with nothing, a raw no-op notifier, and dhp loaded.
blocks_before=$(ls /sys/devices/system/memory | grep -c memory)
hostctl dimm-add 128M > /dev/null || fail "dimm-add"
i=0
while [ "$(ls /sys/devices/system/memory | grep -c memory)" = "$blocks_before" ]; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "the DIMM's block never came"
	sleep 0.1
done
BLOCK=$(ls /sys/devices/system/memory | sed -n 's/^memory//p' | sort -n | tail -1)
while ! grep -q online /sys/devices/system/memory/memory$BLOCK/state; do
	sleep 0.1
done
r=0
while [ $r -lt "$REPS" ]; do
	run $BASE mem_none "mem $BLOCK 1"
	run $BASE memnb "memnb 1" > /dev/null
	run $BASE mem_raw "mem $BLOCK 1"
	run $BASE memnb "memnb 0" > /dev/null
	insmod ./dhp.ko || fail "insmod dhp"
	run $BASE mem_dhp "mem $BLOCK 1"
	rmmod dhp || fail "rmmod dhp"
	r=$((r + 1))
done

insmod ./dhp.ko || fail "insmod dhp"
insmod ./dhp_bench.ko || fail "insmod dhp_bench"
ST=/sys/kernel/debug/dhp/cpuhp_states
DHP_BP=$(awk '$1 == "prepare" { print $2 }' $ST)
DHP_AP=$(awk '$1 == "online" { print $2 }' $ST)
echo "BENCH states dhp_bp $DHP_BP"
echo "BENCH states dhp_ap $DHP_AP"

# dhp's own steps with 0 clients vs the native no-op states.
run $BASE step0 "step 1 $REPS $DHP_BP $DHP_AP $NOOP_BP $NOOP_AP"

# A whole CPU offline+online with N clients: dhp's vs N native instances.
run $BASE cpu_0 "cpu 1 $REPS"
for n in $SCALES; do
	s0=$(($(meminfo Slab) + $(meminfo Percpu)))
	run $DHPB sync "sync $n"
	s1=$(($(meminfo Slab) + $(meminfo Percpu)))
	echo "BENCH bytes_$n kib $((s1 - s0))"
	run $BASE cpu_dhp_$n "cpu 1 $REPS"
	run $DHPB unreg_$n "unreg $REPS"
	run $DHPB sync "sync 0"
	run $BASE native "native $n"
	run $BASE cpu_native_$n "cpu 1 $REPS"
	run $BASE native "native 0"
done

# Asynchronous fan-out: 1 and $ASYNC clients, one offline+online per
# repetition, so two events each.
for n in 1 $ASYNC; do
	run $DHPB async "async $n"
	run $BASE async_cpu_$n "cpu 1 $REPS"
	run $DHPB async_$n "lag $((2 * REPS))"
	run $DHPB async "async 0"
done

run $DHPB hot "hot $HOT $REPS"

# Rebalance: one participating dhp_rbdev device per size, one round per
# repetition, each device's stop-to-start stall.
insmod ./dhp_rbdev.ko || fail "insmod dhp_rbdev"
RBD=/sys/kernel/debug/dhp/rebalance
# the knobs are in sysfs, each device's entry named bus:name
TRIGGER=/sys/kernel/dhp/rebalance/trigger
for n in $RB; do
	echo "add rb$n other $n participate" > /sys/kernel/debug/dhp_rbdev/ctl ||
		fail "rbdev add $n"
done
rounds() { awk '$1 == "rounds" { print $2 }' $RBD/stats; }
r=0
while [ $r -lt "$REPS" ]; do
	before=$(rounds)
	echo 1 > $TRIGGER || fail "rebalance trigger"
	i=0
	while [ "$(rounds)" = "$before" ]; do
		i=$((i + 1)); [ $i -gt 600 ] && fail "no rebalance round"
		sleep 0.1
	done
	for n in $RB; do
		awk -v row="rb_$n" '$1 == "last_stall_us" {
			print "BENCH " row " stall_ns " $2 * 1000 }' "$RBD/dhp_rbdev:rb$n/info"
	done
	r=$((r + 1))
done
echo "BENCH-DONE"
