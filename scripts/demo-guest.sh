#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo guest (/dhp): load dhp and the sample, bring up $1
# new CPUs (hot-added through the host where the kernel can, else present
# CPUs left offline at boot), hot-add a DIMM of size $2, and show what dhp
# and its sample client saw.
set -e
n=${1:-2}
dimm=${2:-1G}
D=/sys/kernel/debug/dhp
S=/sys/kernel/debug/dhp_sample
T=/sys/kernel/tracing

show() {
	echo "---- $1"
	cat "$1"
}

insmod ./dhp.ko
# dhp's history is in its tracepoints: record them from here on.
echo 1 > $T/events/dhp/enable
insmod ./dhp_sample.ko
echo "dhp: loaded; online CPUs $(cat /sys/devices/system/cpu/online)"
show $D/cpuhp_states

spare() {
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		[ "$(cat "$c/online" 2>/dev/null)" = 0 ] && { basename "$c"; return; }
	done
	return 0
}

i=0
while [ "$i" -lt "$n" ]; do
	cpu=$(spare)
	if [ -z "$cpu" ]; then
		echo "dhp: asking the host for a vCPU"
		./hostctl cpu-add
		t=0
		while [ -z "$cpu" ] && [ "$t" -lt 300 ]; do
			sleep 0.2
			t=$((t + 1))
			cpu=$(spare)
		done
	fi
	[ -n "$cpu" ] || { echo "dhp: no CPU appeared"; exit 1; }
	echo "dhp: onlining $cpu"
	echo 1 > /sys/devices/system/cpu/$cpu/online
	i=$((i + 1))
done
echo "dhp: online CPUs now $(cat /sys/devices/system/cpu/online)"

echo "dhp: asking the host for a $dimm DIMM"
./hostctl dimm-add "$dimm"
t=0
while [ "$(sed -n 's/^mem_added_mb //p' $S/stats)" = 0 ] && [ "$t" -lt 300 ]; do
	sleep 0.2
	t=$((t + 1))
done
sleep 1
echo "dhp: what the sample driver was told (dmesg):"
dmesg | grep 'dhp_sample: event' || true

echo 100 > $S/io
show $D/cpu_clients
show $D/cpus
echo "---- dhp's trace events ($T/trace)"
grep -v '^#' $T/trace | sed 's/^ *//'
show $D/events
show $D/event_clients
show $D/memory
show $D/high_memory
show $S/cpus
show $S/stats
rmmod dhp_sample
rmmod dhp
echo "dhp: unloaded"
