# SPDX-License-Identifier: GPL-2.0
#
# Prepare the host for the dhp VM test bench (idempotent; run as root).
#
#  - installs the Debian packages the bench needs (only when some are missing)
#  - fetches the stock guest kernels (6.1, 6.12) into the cache, unpacked,
#    and the debug kernel kit from shared/kernels when it is there, else the
#    one scripts/build-debug-kernel.sh built into $CACHE/debug-kit (if any)
#  - extracts the kselftest headers, checkpatch and kernel-doc from
#    linux-source-6.1
#  - fetches Debian's irqbalance into the cache, unpacked, for the guests
#    of the irqbalance suite
#
# What it changes on the host: the Debian packages in $PACKAGES (none of
# them is a kernel image nor starts a service). The 6.12 headers depend on
# the 6.12 image, so they are fetched with apt-get download and unpacked
# into the cache like the guest kernels, never installed; so is irqbalance,
# whose package would start its service on the host (its libraries are in
# $PACKAGES: scripts/vm.py --host-prog copies them into the guest). To undo: rm -rf the cache, and
# apt-get purge the packages you did not have before.
#
# Cache: ${DHP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dhp}
# Each kernel gets $CACHE/kernels/<name>/env with KVER, VMLINUZ, MODROOT, KDIR.
# A second run only checks the markers and takes about a second.

set -eu

PACKAGES="qemu-system-x86 busybox-static cpio sparse make gcc libc6-dev \
python3 perl kmod xz-utils dwarves linux-headers-amd64 linux-source-6.1 \
dkms dh-dkms debhelper dpkg-dev openssl \
libcap-ng0 libglib2.0-0 libncursesw6 libnuma1 libsystemd0 libtinfo6"

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DHP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dhp}
SHARED=${DHP_SHARED:-$REPO/../shared}
[ -d "$SHARED" ] && SHARED=$(cd "$SHARED" && pwd)
KIT=$SHARED/kernels
SRC_TAR=/usr/src/linux-source-6.1.tar.xz

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

TAG=setup
# shellcheck source=scripts/pkg.sh
. "$REPO/scripts/pkg.sh"

# The ABI (e.g. 6.1.0-56-amd64) a linux-headers meta package depends on:
# the installed version's, else the archive's candidate.
headers_abi() {
	dep=$(dpkg-query -W -f='${Depends}' "$1" 2>/dev/null) ||
		dep=$(apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: //p') ||
		die "package $1 is neither installed nor known to apt"
	abi=$(printf '%s\n' "$dep" | tr ',' '\n' |
		sed -n 's/^ *linux-headers-\([^ ]*\).*/\1/p' | head -n 1)
	[ -n "$abi" ] || die "cannot find the kernel ABI $1 depends on ($dep)"
	printf '%s\n' "$abi"
}

write_env() { # dir kver vmlinuz modroot kdir
	{
		echo "KVER=$2"
		echo "VMLINUZ=$3"
		echo "MODROOT=$4"
		echo "KDIR=$5"
	} >"$1/env.tmp"
	mv "$1/env.tmp" "$1/env"
}

# shellcheck disable=SC2153 # KVER, VMLINUZ, MODROOT, KDIR come from env
check_kernel() { # name
	dir=$CACHE/kernels/$1
	# shellcheck disable=SC1091
	. "$dir/env"
	[ -f "$VMLINUZ" ] || die "$1: no kernel image at $VMLINUZ"
	[ -d "$MODROOT/lib/modules/$KVER" ] ||
		die "$1: no modules at $MODROOT/lib/modules/$KVER"
	[ -f "$MODROOT/lib/modules/$KVER/modules.dep" ] ||
		die "$1: no modules.dep in $MODROOT/lib/modules/$KVER"
	# Module vermagic comes from UTS_RELEASE. Debian 6.1's headers have the
	# upstream version (6.1.192) in include/config/kernel.release but the
	# ABI name (6.1.0-56-amd64) in utsrelease.h, so check the latter first.
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$KDIR/include/generated/utsrelease.h" 2>/dev/null) || true
	[ -n "$rel" ] || rel=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null) ||
		die "$1: no kernel release found in $KDIR"
	[ "$rel" = "$KVER" ] ||
		die "$1: $KDIR is for $rel, not $KVER"
}

# apt-get download into the current directory (as root: without the _apt
# sandbox, which cannot write here).
download() {
	if is_root; then
		apt-get -q -o APT::Sandbox::User=root download "$@"
	else
		apt-get -q download "$@"
	fi
}

# The packages the headers of ABI $1 consist of: linux-headers-$1 and the
# linux-headers-*-common and linux-kbuild-* packages it depends on.
headers_pkgs() {
	printf 'linux-headers-%s\n' "$1"
	apt-cache depends "linux-headers-$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p'
}

# Downloads $1's image (and, with $2 = unpack, its headers) into $3.
download_kernel() { # abi mode dir
	pkgs=linux-image-$1-unsigned
	[ "$2" = unpack ] && pkgs="$pkgs $(headers_pkgs "$1" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	(cd "$3" && download $pkgs)
}

# Stock Debian kernel: the unsigned image matching the headers of meta
# package $2, installed (mode "install") or unpacked beside the image in
# the cache (mode "unpack": headers that would pull a kernel image onto
# the host).
fetch_stock() { # name meta-headers-package mode
	name=$1
	abi=$(headers_abi "$2")
	dir=$CACHE/kernels/$name
	stamp="abi=$abi mode=$3"
	if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$stamp" ]; then
		check_kernel "$name"
		return 0
	fi
	say "$name: fetching linux-image-$abi-unsigned"
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	if ! download_kernel "$abi" "$3" "$dir/dl"; then
		is_root || die "$name: apt-get download failed; as root: apt-get update"
		# The archive moved on: refresh and follow.
		say "$name: $abi not downloadable, updating the package lists"
		apt-get update
		if [ "$3" = install ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y \
				--no-install-recommends "$2"
		fi
		abi=$(headers_abi "$2")
		stamp="abi=$abi mode=$3"
		rm -f "$dir"/dl/*.deb
		download_kernel "$abi" "$3" "$dir/dl" ||
			die "$name: apt-get download of $abi failed"
	fi
	for deb in "$dir"/dl/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	rm -rf "$dir/dl"
	kdir=/usr/src/linux-headers-$abi
	if [ "$3" = unpack ]; then
		kdir=$dir/root$kdir
		# Its Makefile includes the common part by absolute path.
		sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" \
			"$kdir/Makefile"
		ln -sfn "$kdir" "$dir/root/lib/modules/$abi/build"
	fi
	depmod -b "$dir/root" "$abi"
	write_env "$dir" "$abi" "$dir/root/boot/vmlinuz-$abi" "$dir/root" "$kdir"
	check_kernel "$name"
	if [ "$3" = unpack ] && ! try_kbuild "$kdir"; then
		die "$name: modules do not build against the unpacked $kdir"
	fi
	echo "$stamp" >"$dir/.done"
}

# Check that an out-of-tree module builds against KDIR.
try_kbuild() { # kdir
	t=$(mktemp -d)
	cat >"$t/probe.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init probe_init(void) { return 0; }
static void __exit probe_exit(void) { }
module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("setup.sh build probe");
EOF
	echo 'obj-m := probe.o' >"$t/Kbuild"
	if make -C "$1" M="$t" modules >"$t/log" 2>&1 && [ -f "$t/probe.ko" ]; then
		rm -rf "$t"
		return 0
	fi
	sed 's/^/[setup]   /' "$t/log" | tail -n 15 >&2
	rm -rf "$t"
	return 1
}

# A debug kit in DIR: SHA256SUMS and one linux-image-<ver>-dhp-debug_amd64.deb
# with its linux-headers-<ver>-dhp-debug_amd64.deb; sets img and hdr.
find_kit() { # dir
	[ -f "$1/SHA256SUMS" ] || return 1
	img=
	for f in "$1"/linux-image-*-dhp-debug_amd64.deb; do
		[ -f "$f" ] || return 1
		if [ -n "$img" ]; then
			say "debug: more than one kernel image in $1, ignored"
			return 1
		fi
		img=$f
	done
	ver=${img##*/linux-image-}
	ver=${ver%-dhp-debug_amd64.deb}
	hdr=$1/linux-headers-$ver-dhp-debug_amd64.deb
	[ -f "$hdr" ]
}

# The shared kit when it is there, else one built by build-debug-kernel.sh.
fetch_debug() {
	if find_kit "$KIT"; then
		kit=$KIT
	elif find_kit "$CACHE/debug-kit"; then
		kit=$CACHE/debug-kit
	elif [ -f "$CACHE/kernels/debug/.done" ]; then
		say "debug: no kit in $KIT nor $CACHE/debug-kit; using the one unpacked before in $CACHE/kernels/debug"
		check_kernel debug
		return 0
	else
		say "debug: kit not found in $KIT nor $CACHE/debug-kit, debug kernel skipped"
		say "debug: to build one (about 30 min on 2 cores): nice -n 19 scripts/build-debug-kernel.sh"
		return 0
	fi
	dir=$CACHE/kernels/debug
	stamp=$(cat "$kit/SHA256SUMS")
	if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$stamp" ]; then
		check_kernel debug
		return 0
	fi
	say "debug: verifying and unpacking $kit"
	if ! (cd "$kit" && sha256sum --quiet -c SHA256SUMS); then
		say "debug: checksum mismatch in $kit, debug kernel skipped"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/root"
	dpkg-deb -x "$img" "$dir/root"
	dpkg-deb -x "$hdr" "$dir/root"
	kver=$(ls "$dir/root/lib/modules")
	kdir=$dir/root/usr/src/linux-headers-$kver
	# The packages' build link is absolute (/usr/src/...): point it here.
	ln -sfn "$kdir" "$dir/root/lib/modules/$kver/build"
	rm -f "$dir/root/lib/modules/$kver/source"
	depmod -b "$dir/root" "$kver"
	vmlinuz=$dir/root/boot/vmlinuz-$kver
	write_env "$dir" "$kver" "$vmlinuz" "$dir/root" "$kdir"
	check_kernel debug
	if ! try_kbuild "$kdir"; then
		say "debug: modules do not build against $kdir, debug kernel skipped"
		rm -rf "$dir"
		return 0
	fi
	echo "$stamp" >"$dir/.done"
}

# What is taken from linux-source-6.1: the kselftest headers, the kernel's
# own CPU and memory hotplug selftests (run in guests with dhp loaded),
# checkpatch and kernel-doc. The stamp names them, so that a longer list
# extracts again.
SRC_FILES="tools/testing/selftests/kselftest_harness.h
tools/testing/selftests/kselftest.h
tools/testing/selftests/cpu-hotplug/cpu-on-off-test.sh
tools/testing/selftests/memory-hotplug/mem-on-off-test.sh
scripts/checkpatch.pl
scripts/kernel-doc
scripts/spelling.txt
scripts/const_structs.checkpatch"

extract_sources() {
	stamp="$(stat -c '%s %Y' "$SRC_TAR") $(echo $SRC_FILES)"
	if [ -f "$CACHE/ksft/.done" ] && [ "$(cat "$CACHE/ksft/.done")" = "$stamp" ]; then
		return 0
	fi
	say "extracting kselftest headers, checkpatch and kernel-doc from $SRC_TAR"
	top=$(tar -tJf "$SRC_TAR" | head -n 1) || true
	top=${top%%/*}
	[ -n "$top" ] || die "cannot read $SRC_TAR"
	t=$(mktemp -d)
	# shellcheck disable=SC2046
	tar -xJf "$SRC_TAR" -C "$t" --occurrence=1 \
		$(for f in $SRC_FILES; do echo "$top/$f"; done) ||
		{ rm -rf "$t"; die "extracting from $SRC_TAR failed"; }
	rm -rf "$CACHE/ksft" "$CACHE/checkpatch"
	mkdir -p "$CACHE/ksft/hotplug" "$CACHE/checkpatch/scripts"
	mv "$t/$top"/tools/testing/selftests/kselftest*.h "$CACHE/ksft/"
	mv "$t/$top"/tools/testing/selftests/*-hotplug/*.sh "$CACHE/ksft/hotplug/"
	mv "$t/$top"/scripts/* "$CACHE/checkpatch/scripts/"
	rm -rf "$t"
	echo "$stamp" >"$CACHE/ksft/.done"
}

# Debian's irqbalance, unpacked into $CACHE/irqbalance/root, for the guests
# of the irqbalance suite (selftests/dhp_irqbalance_test.c runs it there).
# The stamp is the archive's version: a new one is fetched again.
fetch_irqbalance() {
	dir=$CACHE/irqbalance
	bin=$dir/root/usr/sbin/irqbalance
	ver=$(apt-cache policy irqbalance 2>/dev/null |
		sed -n 's/^ *Candidate: //p')
	case $ver in
	'' | '(none)')
		if [ -f "$dir/.done" ] && [ -x "$bin" ]; then
			say "irqbalance: not known to apt, keeping $(cat "$dir/.done")"
			return 0
		fi
		die "irqbalance is not known to apt; as root: apt-get update" ;;
	esac
	stamp="irqbalance=$ver"
	if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$stamp" ] &&
		[ -x "$bin" ]; then
		return 0
	fi
	say "irqbalance: fetching $ver (unpacked, not installed)"
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && download "irqbalance=$ver") ||
		die "irqbalance: apt-get download failed; as root: apt-get update"
	dpkg-deb -x "$dir"/dl/irqbalance_*.deb "$dir/root"
	rm -rf "$dir/dl"
	[ -x "$bin" ] || die "irqbalance: no $bin in the package"
	if ldd "$bin" | grep -q 'not found'; then
		ldd "$bin" | sed 's/^/[setup]   /' >&2
		die "irqbalance: libraries missing on the host"
	fi
	echo "$stamp" >"$dir/.done"
}

install_packages
mkdir -p "$CACHE/kernels"
fetch_stock 6.1 linux-headers-amd64 install
fetch_stock 6.12 linux-headers-6.12-amd64 unpack
fetch_debug
extract_sources
fetch_irqbalance

say "cache: $CACHE"
for d in "$CACHE"/kernels/*/; do
	n=$(basename "$d")
	[ -f "$d/.done" ] || continue
	KVER=$(sed -n 's/^KVER=//p' "$d/env")
	say "kernel $n: $KVER"
done
say "kselftest headers: $CACHE/ksft"
say "checkpatch: $CACHE/checkpatch/scripts/checkpatch.pl"
say "kernel-doc: $CACHE/checkpatch/scripts/kernel-doc"
say "irqbalance: $CACHE/irqbalance/root/usr/sbin/irqbalance ($(cat "$CACHE/irqbalance/.done"))"
date +%s >"$CACHE/setup.done"
