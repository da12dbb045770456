#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench.sh (busybox sh, in /dhp). Every result is
# one line "BENCH <row> <name> <value>" on stdout; the host sorts them into
# the table. Environment: REPS, SCALES (client counts), ASYNC (clients),
# HOT (iterations), RB (rebalance device sizes; 256 is four devices of 64,
# dhp_rbdev's most), FI_REPS and FI_TIMEOUT (ms) for a CPU's first
# interrupt of a device after its online.
set -u
REPS=${REPS:-5}
SCALES=${SCALES:-"1 20 1000 10000"}
ASYNC=${ASYNC:-1000}
HOT=${HOT:-1000000}
RB=${RB:-"1 16 64 256"}
FI_REPS=${FI_REPS:-$REPS}
FI_TIMEOUT=${FI_TIMEOUT:-30000}
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
# repetition with nothing, a raw no-op notifier, and dhp loaded. Each is
# timed on the second cycle after the change: the first offline after a
# module load or unload takes about three times as long with or without
# dhp (measured on 6.12), which the rows are not about.
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
	run $BASE mem_none "mem $BLOCK 1" > /dev/null
	run $BASE mem_none "mem $BLOCK 1"
	run $BASE memnb "memnb 1" > /dev/null
	run $BASE mem_raw "mem $BLOCK 1" > /dev/null
	run $BASE mem_raw "mem $BLOCK 1"
	run $BASE memnb "memnb 0" > /dev/null
	insmod ./dhp.ko || fail "insmod dhp"
	run $BASE mem_dhp "mem $BLOCK 1" > /dev/null
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
# repetition, so two events each; then as many native cpuhp instances that
# each queue a work item, on system_wq and on system_unbound_wq.
for n in 1 $ASYNC; do
	run $DHPB async "async $n"
	run $BASE async_cpu_$n "cpu 1 $REPS"
	run $DHPB async_$n "lag $((2 * REPS))"
	run $DHPB async "async 0"
	for wq in 0 1; do
		run $BASE anative "anative $n $wq"
		run $BASE anative_cpu_${n}_$wq "cpu 1 $REPS"
		run $BASE anative_${n}_$wq "anlag $((2 * REPS))"
		run $BASE anative "anative 0 0"
	done
done

run $DHPB hot "hot $HOT $REPS"

# A CPU's first interrupt of a device after its online: device fi (4 IRQs)
# under rbdev's I/O load, which submits from every online CPU to IRQ
# cpu % 4, raised on that IRQ's effective CPU. CPU 1 goes offline, stays
# so $1 s (irqbalance must see the CPU count change: longer than its
# interval), then bench_base's firstirq onlines it and waits for CPU 1's
# first handler of fi's IRQs.
insmod ./dhp_rbdev.ko || fail "insmod dhp_rbdev"
RBCTL=/sys/kernel/debug/dhp_rbdev/ctl
RBD=/sys/kernel/debug/dhp/rebalance
echo "add fi other 4 participate" > $RBCTL || fail "rbdev add fi"
FI_IRQ=$(awk '$1 == "irqs" { print $2 }' /sys/kernel/debug/dhp_rbdev/fi/stats)
CPU1=/sys/devices/system/cpu/cpu1/online
submitted() { awk '$1 == "submitted" { print $2 }' /sys/kernel/debug/dhp_rbdev/fi/stats; }
# firstirq SETTLE ROW: FI_REPS repetitions under a load of their own (at
# most 10 min each, rbdev's bound)
firstirq() {
	( exec echo "load fi 600000" > $RBCTL ) &
	LOAD=$!
	s0=$(submitted)
	sleep 1
	[ "$(submitted)" != "$s0" ] || fail "$2: the load submits nothing"
	r=0
	while [ $r -lt "$FI_REPS" ]; do
		echo 0 > $CPU1 || fail "$2: offline"
		sleep "$1"
		run $BASE "$2" "firstirq 1 $FI_IRQ 4 $FI_TIMEOUT"
		echo "BENCH-NOTE $2: fi's IRQs on CPUs" $(awk '$1 == "irq_cpus" {
			$1 = ""; print }' /sys/kernel/debug/dhp_rbdev/fi/stats) \
			"affinity" $(for i in 0 1 2 3; do
				cat /proc/irq/$((FI_IRQ + i))/smp_affinity_list
			done)
		r=$((r + 1))
	done
	kill -KILL $LOAD
	wait $LOAD
}
# (a) dhp's rebalance; nothing else moves IRQs
firstirq 2 fi_dhp
# (b), (c) dhp not participating, irqbalance as it comes (its default
# interval, 10 s), then every second; (d) every second with a policy
# script that balances fi's IRQs per core, as irqbalance does a PCI
# network or storage device's (a device of no PCI class, as fi, is
# "other": balanced per package, whose mask holds CPU 0 as well)
echo opt-out > /sys/kernel/dhp/rebalance/dhp_rbdev:fi/policy ||
	fail "fi opt-out"
printf '#!/bin/sh\necho balance_level=core\n' > /tmp/ib-core
chmod +x /tmp/ib-core
if command -v irqbalance > /dev/null; then
	for ib in 10 1 1_core; do
		iv=${ib%_core}
		set -- --foreground --interval=$iv
		[ "$ib" = "$iv" ] || set -- "$@" --policyscript=/tmp/ib-core
		irqbalance "$@" > /tmp/irqbalance.log 2>&1 &
		IB=$!
		sleep $((iv + 2))
		firstirq $((iv + 2)) fi_ib_$ib
		kill $IB 2> /dev/null || {
			echo "BENCH-NOTE irqbalance $ib had exited:"
			tail -5 /tmp/irqbalance.log | sed "s/^/BENCH-NOTE /"
		}
		wait $IB
	done
else
	echo "BENCH-NOTE no irqbalance in PATH (vm.py --host-prog)"
fi
echo "remove fi" > $RBCTL || fail "rbdev remove fi"

# Rebalance: one participating dhp_rbdev device per size (256: four of
# 64), one round per repetition, each device's stop-to-start stall.
# the knobs are in sysfs, each device's entry named bus:name
TRIGGER=/sys/kernel/dhp/rebalance/trigger
# devices NIRQS: the names of the devices that make up a size
devices() {
	if [ "$1" -gt 64 ]; then
		i=0
		while [ $((i * 64)) -lt "$1" ]; do
			echo "rb$1_$i"
			i=$((i + 1))
		done
	else
		echo "rb$1"
	fi
}
for n in $RB; do
	for d in $(devices "$n"); do
		echo "add $d other $((n > 64 ? 64 : n)) participate" > $RBCTL ||
			fail "rbdev add $d"
	done
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
	# a size's stall: the sum of its devices' (a round takes them in turn)
	for n in $RB; do
		for d in $(devices "$n"); do
			cat "$RBD/dhp_rbdev:$d/info"
		done | awk -v row="rb_$n" '$1 == "last_stall_us" { s += $2 }
			END { print "BENCH " row " stall_ns " s * 1000 }'
	done
	r=$((r + 1))
done
echo "BENCH-DONE"
