#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The dhp-dkms package, end to end, on this host (as root; run by
# scripts/check.py as its "package" step, or by hand):
#
#  1. builds dhp-dkms from a clean copy of the tree (dpkg-buildpackage);
#  2. with a throwaway signing key configured for dkms (a snippet in
#     /etc/dkms/framework.conf.d/ naming mok_signing_key and
#     mok_certificate), installs it with apt-get: its postinst builds and
#     installs dhp for the kernels whose headers are installed (6.1);
#  3. builds and installs it with dkms for 6.12 too, whose headers are only
#     unpacked in the cache (--kernelsourcedir; installed into a scratch
#     module tree, --installtree, since the host has no 6.12 kernel);
#  4. checks `dkms status`, that the modules are signed by the throwaway key
#     (modinfo signer and sig_key), and that dhp's Module.symvers is kept;
#  5. builds an outside client (the installed samples/dhp_sample.c in a
#     directory of its own) against the installed headers and Module.symvers
#     for both kernels: no modpost warning;
#  6. boots a 6.1 guest that loads the DKMS-built dhp.ko and that client and
#     hot-adds a CPU, which the client must be told of;
#  7. purges the package and removes what the check put on the host: the
#     host is left as it was (checked).
#
# Prints "ok N ..." / "not ok N ..." lines (TAP), "# ..." details, and exits
# non-zero on any failure. Never loads a module on the host.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DHP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dhp}
PKG=dhp-dkms
SNIPPET=/etc/dkms/framework.conf.d/zz-dhp-pkg-check.conf
LOCK=/run/lock/dhp-pkg-check.lock
ARCH=$(uname -m)

n=0
failed=0
note() { printf '# %s\n' "$*"; }
result() { # status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		printf 'ok %d %s\n' "$n" "$2"
	else
		failed=$((failed + 1))
		printf 'not ok %d %s\n' "$n" "$2"
	fi
}
skip_all() {
	printf 'ok 1 package check # SKIP %s\n' "$1"
	exit 0
}
# Runs "$@" with its output in $T/log.<n>; a failure shows the log's tail.
step() { # description command...
	d=$1
	shift
	log=$T/log.$((n + 1))
	"$@" >"$log" 2>&1
	st=$?
	if [ "$st" != 0 ]; then
		note "$d: exit $st, last lines of $log:"
		tail -n 25 "$log" | sed 's/^/#   /'
	fi
	result "$st" "$d"
	return "$st"
}

[ "$(id -u)" = 0 ] || skip_all "not root (apt-get install and dkms need root)"
for c in dkms dpkg-buildpackage dh_dkms openssl; do
	command -v "$c" >/dev/null ||
		skip_all "$c missing (scripts/setup.sh installs dkms, dh-dkms, dpkg-dev, openssl)"
done
for k in 6.1 6.12; do
	[ -f "$CACHE/kernels/$k/env" ] || skip_all "kernel $k not set up (scripts/setup.sh)"
done
K61=$(sed -n 's/^KVER=//p' "$CACHE/kernels/6.1/env")
KDIR61=$(sed -n 's/^KDIR=//p' "$CACHE/kernels/6.1/env")
K612=$(sed -n 's/^KVER=//p' "$CACHE/kernels/6.12/env")
KDIR612=$(sed -n 's/^KDIR=//p' "$CACHE/kernels/6.12/env")
VER=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)
VER=${VER%-*}
# The 6.1 guest runs the DKMS module built against the host's headers.
[ -d "/lib/modules/$K61/build" ] ||
	skip_all "no /lib/modules/$K61/build: the 6.1 headers are not installed"

# One package check at a time on this host; never touch an operator's own
# installation of dhp.
exec 8>"$LOCK"
flock 8
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed ||
	[ -e /var/lib/dkms/dhp ] || [ -e "$SNIPPET" ]; then
	skip_all "$PKG, /var/lib/dkms/dhp or $SNIPPET is already on this host: not touching it"
fi

T=$(mktemp -d /tmp/dhp-pkg-check.XXXXXX)
START=$(date +%s)
MODTREE=$T/modules # the scratch module tree 6.12 is installed into

# What the check may change, to restore and compare at the end: the 6.1
# module directory (dkms install runs depmod there) and dkms's default key.
ls "/lib/modules/$K61" >"$T/modules61.before"
mok_state() {
	for f in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
		if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
	done
}
mok_state >"$T/mok.before"

cleanup() {
	if [ -e /var/lib/dkms/dhp ]; then
		dkms remove -m dhp -v "$VER" -k "$K612" --installtree "$MODTREE" \
			>/dev/null 2>&1
	fi
	if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PKG" \
			>"$T/purge.log" 2>&1
	fi
	rm -f "$SNIPPET"
	# depmod's files (and updates/) that were not there before the install
	for p in "/lib/modules/$K61"/*; do
		grep -qxF "${p##*/}" "$T/modules61.before" || rm -rf "$p"
	done
}
finish() {
	cleanup
	rm -rf "$T"
}
trap finish EXIT
trap 'exit 130' INT TERM

# 1. The package, from a clean copy of the tree (what git would check out,
#    with the working tree's changes).
mkdir "$T/src" "$T/src/dhp"
(cd "$REPO" && git ls-files -co --exclude-standard | while read -r f; do
	[ -f "$f" ] && printf '%s\n' "$f"
done | tar -T - -cf -) | tar -xf - -C "$T/src/dhp"
t=$(date +%s)
step "dpkg-buildpackage -b -us -uc builds $PKG $VER" \
	sh -c "cd '$T/src/dhp' && dpkg-buildpackage -b -us -uc" || exit 1
DEB=$(ls "$T"/src/${PKG}_*_all.deb)
note "built $(basename "$DEB") in $(($(date +%s) - t)) s"

# 2. A throwaway key, configured as Debian 12's dkms reads it: dkms sources
#    /etc/dkms/framework.conf, then framework.conf.d/*.conf, and signs every
#    module it builds with mok_signing_key and mok_certificate.
CN="dhp pkg-check throwaway $(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
step "throwaway signing key" openssl req -new -x509 -nodes -days 1 \
	-subj "/CN=$CN" -newkey rsa:2048 -keyout "$T/mok.key" \
	-outform DER -out "$T/mok.der" || exit 1
# sign-file names the signer by issuer and serial number: modinfo's sig_key
# is the certificate's serial.
SERIAL=$(openssl x509 -inform DER -in "$T/mok.der" -noout -serial |
	sed 's/^serial=//')
note "throwaway key: CN '$CN', serial $SERIAL"
cat >"$SNIPPET" <<EOF
# Written by dhp's scripts/pkg-check.sh for its run; removed when it ends.
mok_signing_key="$T/mok.key"
mok_certificate="$T/mok.der"
EOF

t=$(date +%s)
step "apt-get install ./$(basename "$DEB")" \
	env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "$DEB" || exit 1
note "installed in $(($(date +%s) - t)) s; the postinst said:"
grep -E '^(Building|Loading|Module build|It is likely|dhp\.ko|dhp_sample\.ko|Signing|Sign command|Signing key|Public cert|Done|Skipped)' \
	"$log" | sed 's/^/#   /'
if ! dkms status -m dhp -v "$VER" -k "$K61" | grep -q ': installed'; then
	# A host running another kernel than 6.1 builds only for the kernel
	# it runs (when its headers are there): install for 6.1 by hand.
	note "the postinst did not install for $K61; dkms install -k $K61"
	step "dkms install -k $K61" dkms install -m dhp -v "$VER" -k "$K61"
fi

# 3. 6.12: its headers are unpacked in the cache, never installed (the
#    headers package pulls the 6.12 image). dkms builds against them with
#    --kernelsourcedir, signs with the kernel's own sign-file (found where
#    /lib/modules/<kver>/build/scripts would be), and installs into a
#    scratch module tree: the host has no /lib/modules/<6.12> (no depmod
#    there either).
mkdir -p "$MODTREE/$K612"
t=$(date +%s)
step "dkms install -k $K612 --kernelsourcedir <unpacked 6.12 headers>" \
	env sign_file="$KDIR612/scripts/sign-file" \
	dkms install -m dhp -v "$VER" -k "$K612" --kernelsourcedir "$KDIR612" \
	--installtree "$MODTREE" --no-depmod
note "6.12 build and install took $(($(date +%s) - t)) s"

# 4. What dkms says and keeps.
S61=$(dkms status -m dhp -v "$VER" -k "$K61")
S612=$(dkms status -m dhp -v "$VER" -k "$K612" --installtree "$MODTREE")
note "dkms status: $S61"
note "dkms status (--installtree $MODTREE): $S612"
case $S61 in *": installed"*) st=0 ;; *) st=1 ;; esac
result $st "dkms status: dhp/$VER installed for $K61"
case $S612 in *": installed"*) st=0 ;; *) st=1 ;; esac
result $st "dkms status: dhp/$VER installed for $K612"

for k in "$K61" "$K612"; do
	dir=/var/lib/dkms/dhp/$VER/$k/$ARCH
	for m in dhp dhp_sample; do
		ko=$dir/module/$m.ko
		signer=$(modinfo -F signer "$ko" 2>/dev/null)
		key=$(modinfo -F sig_key "$ko" 2>/dev/null)
		note "$k $m.ko: signer '$signer', sig_key $key"
		[ "$signer" = "$CN" ] && [ "$(echo "$key" | tr -d :)" = "$SERIAL" ]
		result $? "$m.ko for $k signed with the throwaway key"
	done
	grep -q "	dhp_unregister_cpu_callback	" "$dir/Module.symvers" 2>/dev/null
	result $? "dhp's Module.symvers kept in $dir"
done
ko=/lib/modules/$K61/updates/dkms/dhp.ko
[ -f "$ko" ] && cmp -s "$ko" "/var/lib/dkms/dhp/$VER/$K61/$ARCH/module/dhp.ko"
result $? "dhp.ko installed in /lib/modules/$K61/updates/dkms"

# 5. An outside client built as a third-party driver would be: the
#    installed sample's source in a directory of its own, the installed
#    headers, dhp's Module.symvers for the kernel.
client() { # kver kdir
	c=$T/client-$1
	mkdir -p "$c"
	cp "/usr/src/dhp-$VER/samples/dhp_sample.c" "$c/"
	cat >"$c/Kbuild" <<EOF
obj-m := dhp_sample.o
ccflags-y := -I/usr/src/dhp-$VER/include
KBUILD_EXTRA_SYMBOLS := /var/lib/dkms/dhp/$VER/$1/$ARCH/Module.symvers
EOF
	make -C "$2" M="$c" modules >"$c/log" 2>&1 || { cat "$c/log"; return 1; }
	cat "$c/log"
	! grep -Ei 'warning|undefined' "$c/log" && [ -f "$c/dhp_sample.ko" ] &&
		[ "$(modinfo -F depends "$c/dhp_sample.ko")" = dhp ]
}
step "outside client builds against the installed dhp for $K61, no warning" \
	client "$K61" "$KDIR61"
step "outside client builds against the installed dhp for $K612, no warning" \
	client "$K612" "$KDIR612"

# 6. A 6.1 guest loads the DKMS-built dhp.ko and the outside client, and
#    hot-adds a CPU: the client must size it (allocs) and be told of it.
g=$T/guest
mkdir "$g"
cp "/lib/modules/$K61/updates/dkms/dhp.ko" "$T/client-$K61/dhp_sample.ko" "$g/"
cat >"$g/pkg-guest.sh" <<'EOF'
# Runs in the guest (/dhp): the DKMS-built dhp.ko, the outside client.
S=/sys/kernel/debug/dhp_sample
fail() { echo "pkg-guest: FAIL: $*"; dmesg | tail -n 20; exit 1; }
insmod ./dhp.ko || fail "insmod dhp.ko"
insmod ./dhp_sample.ko || fail "insmod dhp_sample.ko"
cpus=$(grep -c "^[0-9]" $S/cpus)
[ "$cpus" = "$DHP_BOOT_CPUS" ] || fail "$cpus contexts for $DHP_BOOT_CPUS CPUs"
out=$(hostctl cpu-add) || fail "cpu-add: $out"
cpu=$DHP_BOOT_CPUS
t=0
until [ -e /sys/devices/system/cpu/cpu$cpu/online ]; do
	[ $t -lt 300 ] || fail "cpu$cpu did not appear"
	sleep 0.2
	t=$((t + 1))
done
echo 1 > /sys/devices/system/cpu/cpu$cpu/online || fail "online cpu$cpu"
t=0
until dmesg | grep -q "dhp_sample: event [0-9]*: cpu $cpu (node [0-9]*) arrived"; do
	[ $t -lt 300 ] || fail "no arrival event for cpu$cpu"
	sleep 0.2
	t=$((t + 1))
done
allocs=$(sed -n 's/^allocs //p' $S/stats)
[ "$allocs" = $((DHP_BOOT_CPUS + 1)) ] || fail "allocs $allocs"
rmmod dhp_sample && rmmod dhp || fail rmmod
echo "pkg-guest: ok: cpu$cpu hot-added, client told; allocs $allocs"
EOF
t=$(date +%s)
step "6.1 guest: DKMS-built dhp.ko and the outside client, a CPU hot-added" \
	python3 "$REPO/scripts/vm.py" --kernel 6.1 --cpus 2 --maxcpus 3 \
	--slots 0 --files "$g" --timeout 300 -- 'sh ./pkg-guest.sh'
grep '^pkg-guest:' "$log" | sed 's/^/#   /'
note "guest run took $(($(date +%s) - t)) s"

# 7. Remove it all again.
dkms remove -m dhp -v "$VER" -k "$K612" --installtree "$MODTREE" \
	>"$T/remove612.log" 2>&1
step "apt-get purge $PKG" env DEBIAN_FRONTEND=noninteractive \
	apt-get purge -y -q "$PKG"
cleanup
left=
[ -e "/usr/src/dhp-$VER" ] && left="$left /usr/src/dhp-$VER"
[ -e /var/lib/dkms/dhp ] && left="$left /var/lib/dkms/dhp"
[ -e "$SNIPPET" ] && left="$left $SNIPPET"
ls "/lib/modules/$K61" | cmp -s - "$T/modules61.before" ||
	left="$left /lib/modules/$K61 (differs)"
mok_state | cmp -s - "$T/mok.before" || left="$left /var/lib/dkms/mok.* (changed)"
[ -z "$left" ] || note "left on the host:$left"
[ -z "$left" ]
result $? "host as before: package, DKMS tree, key snippet and module files gone"

note "package check took $(($(date +%s) - START)) s"
[ "$failed" = 0 ]
