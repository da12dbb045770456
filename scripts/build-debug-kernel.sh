#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug guest kernel kit from Debian's linux-source-6.1, for
# those who do not have ../shared/kernels (scripts/setup.sh picks it up).
#
#   scripts/build-debug-kernel.sh [--jobs N] [--out DIR | DIR]
#
#  - installs the build dependencies and linux-source-6.1 when missing (root)
#  - unpacks the source into $CACHE/debug-build (kept: a second run rebuilds
#    only what changed)
#  - make defconfig, make kvm_guest.config, merges scripts/debug.config,
#    make olddefconfig, and checks that every option of the fragment stuck
#  - make bindeb-pkg, then writes the kit into DIR ($CACHE/debug-kit):
#    linux-image-<ver>-dhp-debug_amd64.deb, linux-headers-<ver>-dhp-debug_amd64.deb,
#    SHA256SUMS and the fragment (debug.config)
#
# About 30 minutes on 2 cores. Run it under `nice -n 19` on a shared machine.
# Cache: ${DHP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dhp}

set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DHP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dhp}
FRAGMENT=$REPO/scripts/debug.config
SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
WORK=$CACHE/debug-build
LOG=$WORK/build.log
OUT=$CACHE/debug-kit
JOBS=$(nproc)

# What make bindeb-pkg needs (its debian/control Build-Depends included).
PACKAGES="$SRC_PKG build-essential bc bison flex libelf-dev libssl-dev \
rsync kmod cpio fakeroot dpkg-dev xz-utils"

say() { printf '[build-debug] %s\n' "$*"; }
die() { printf '[build-debug] error: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<EOF
usage: $0 [--jobs N] [--out DIR | DIR]

Build dhp's debug guest kernel (lockdep, KASAN, kmemleak, ...) from
$SRC_PKG with the fragment scripts/debug.config, and write the kit
(two .deb files and SHA256SUMS) where scripts/setup.sh looks for it.

  --jobs N    parallel make jobs (default: nproc, here $JOBS)
  --out DIR   kit directory (default: \$CACHE/debug-kit, here $OUT)
  --help      this text

Build tree and log: \$CACHE/debug-build (here $WORK). About 30 minutes
on 2 cores; on a shared machine run it as: nice -n 19 $0
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--jobs|-j)
		[ $# -ge 2 ] || die "$1 needs a number"
		JOBS=$2
		shift 2
		;;
	--jobs=*) JOBS=${1#--jobs=}; shift ;;
	--out)
		[ $# -ge 2 ] || die "$1 needs a directory"
		OUT=$2
		shift 2
		;;
	--out=*) OUT=${1#--out=}; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) OUT=$1; shift ;;
	esac
done
case $JOBS in
''|*[!0-9]*|0) die "--jobs wants a positive number, not '$JOBS'" ;;
esac
[ -n "$OUT" ] || die "--out wants a directory"

START=$(date +%s)
elapsed() {
	s=$(($(date +%s) - START))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

TAG=build-debug
# shellcheck source=scripts/pkg.sh
. "$REPO/scripts/pkg.sh"

# make in the source tree, output to the log; on failure show its end.
kmake() {
	if ! make -C "$SRC" LOCALVERSION= "$@" >>"$LOG" 2>&1; then
		tail -n 30 "$LOG" | sed 's/^/[build-debug]   /' >&2
		die "make $* failed (full log: $LOG)"
	fi
}

# Every line of the fragment, "CONFIG_X=V" or "# CONFIG_X is not set",
# must be in .config as written (an unset option may also be absent).
check_config() {
	bad=
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			opt=${line%%=*}
			grep -qxF "$line" "$SRC/.config" && continue
			;;
		'# CONFIG_'*' is not set')
			opt=${line#'# '}
			opt=${opt%' is not set'}
			grep -q "^$opt=" "$SRC/.config" || continue
			;;
		*) continue ;;
		esac
		got=$(grep -E "^$opt=|^# $opt is not set" "$SRC/.config") ||
			got="absent (dependencies not met)"
		printf '[build-debug]   %-40s wanted: %s  got: %s\n' "$opt" \
			"$line" "$got" >&2
		bad="$bad $opt"
	done <"$FRAGMENT"
	[ -z "$bad" ] ||
		die "options of $FRAGMENT that did not stick:$bad"
}

# Print a line every 2 minutes while the long make runs.
heartbeat() {
	nap=
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	while :; do
		sleep 120 &
		nap=$!
		wait "$nap"
		n=$(grep -c '^  CC ' "$LOG") || true
		say "  ... $(elapsed): $n files compiled"
	done
}

HB=
stop_heartbeat() {
	[ -n "$HB" ] && kill "$HB" 2>/dev/null
	HB=
	return 0
}
trap stop_heartbeat EXIT
trap 'stop_heartbeat; exit 130' INT TERM

[ -f "$FRAGMENT" ] || die "no config fragment at $FRAGMENT"
[ "$(dpkg --print-architecture)" = amd64 ] ||
	die "the kit is for amd64, this host is $(dpkg --print-architecture)"

install_packages
[ -f "$SRC_TAR" ] || die "$SRC_TAR missing although $SRC_PKG is installed"
srcver=$(dpkg-query -W -f='${Version}' "$SRC_PKG")

# Unpack, or reuse the tree unpacked from this same tarball.
mkdir -p "$WORK"
stamp="$(stat -c '%s %Y' "$SRC_TAR") $srcver"
top=$(tar -tJf "$SRC_TAR" 2>/dev/null | head -n 1) || true
top=${top%%/*}
[ -n "$top" ] || die "cannot read $SRC_TAR"
SRC=$WORK/$top
if [ -f "$WORK/.unpacked" ] && [ "$(cat "$WORK/.unpacked")" = "$stamp" ] &&
   [ -f "$SRC/Makefile" ]; then
	say "reusing $SRC ($SRC_PKG $srcver)"
else
	say "unpacking $SRC_TAR ($SRC_PKG $srcver) into $WORK"
	rm -rf "$SRC" "$WORK/.unpacked"
	tar -xJf "$SRC_TAR" -C "$WORK" || die "unpacking $SRC_TAR failed"
	echo "$stamp" >"$WORK/.unpacked"
fi
: >"$LOG"

say "configuring: defconfig + kvm_guest.config + $FRAGMENT"
kmake defconfig
kmake kvm_guest.config
if ! (cd "$SRC" && ./scripts/kconfig/merge_config.sh -m .config "$FRAGMENT") \
	>>"$LOG" 2>&1; then
	tail -n 30 "$LOG" | sed 's/^/[build-debug]   /' >&2
	die "merge_config.sh failed (full log: $LOG)"
fi
kmake olddefconfig
check_config
krel=$(make -s -C "$SRC" LOCALVERSION= kernelrelease 2>>"$LOG") ||
	die "cannot get the kernel release (log: $LOG)"
say "config ok: every option of the fragment stuck; kernel release $krel"

# bindeb-pkg writes the packages next to the source tree.
rm -f "$WORK"/*.deb "$WORK"/*.buildinfo "$WORK"/*.changes
say "building with $JOBS jobs (make bindeb-pkg; log: $LOG)"
heartbeat &
HB=$!
kmake -j"$JOBS" KDEB_PKGVERSION="$krel-1" bindeb-pkg
stop_heartbeat
n=$(grep -c '^  CC ' "$LOG") || true
say "built in $(elapsed) ($n files compiled)"

img=$WORK/linux-image-${krel}_${krel}-1_amd64.deb
hdr=$WORK/linux-headers-${krel}_${krel}-1_amd64.deb
[ -f "$img" ] || die "make bindeb-pkg did not make $img"
[ -f "$hdr" ] || die "make bindeb-pkg did not make $hdr"

# The kit: the names scripts/setup.sh looks for; SHA256SUMS last, since
# setup.sh takes a directory without it for no kit.
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/SHA256SUMS" "$OUT"/linux-image-*-dhp-debug_amd64.deb \
	"$OUT"/linux-headers-*-dhp-debug_amd64.deb
cp "$img" "$OUT/linux-image-$krel-dhp-debug_amd64.deb"
cp "$hdr" "$OUT/linux-headers-$krel-dhp-debug_amd64.deb"
cp "$FRAGMENT" "$OUT/debug.config"
(cd "$OUT" && sha256sum "linux-headers-$krel-dhp-debug_amd64.deb" \
	"linux-image-$krel-dhp-debug_amd64.deb" >SHA256SUMS.tmp &&
	mv SHA256SUMS.tmp SHA256SUMS)

say "kernel $krel from $SRC_PKG $srcver; build tree kept in $WORK ($(du -sh "$WORK" | cut -f1))"
say "kit in $OUT, made in $(elapsed); scripts/setup.sh will use it"
