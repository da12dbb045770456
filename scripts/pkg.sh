# SPDX-License-Identifier: GPL-2.0
#
# Sourced by setup.sh and build-debug-kernel.sh: installs the Debian
# packages of $PACKAGES that are missing, as root; otherwise prints the
# apt-get command to run and exits. Needs say() and $TAG, the prefix of
# the caller's messages.

is_root() { [ "$(id -u)" = 0 ]; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'
}

install_packages() {
	missing=
	for p in $PACKAGES; do
		installed "$p" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if ! is_root; then
		printf '[%s] missing packages:%s\n' "$TAG" "$missing" >&2
		printf '[%s] install them as root with:\n' "$TAG" >&2
		printf '  apt-get update && apt-get install -y --no-install-recommends%s\n' \
			"$missing" >&2
		exit 1
	fi
	say "installing:$missing"
	apt-get update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends $missing
}
