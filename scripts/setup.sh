#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what a fresh machine lacks to build, boot and test cpu-proxy.
# Idempotent and quiet when everything is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

APT_PKGS="clang-19 lld-19 llvm-19 libclang-19-dev qemu-system-x86
	busybox-static flex bison bc libelf-dev libssl-dev cpio make gcc
	libc6-dev bash python3 python3-docutils ccache xz-utils patch kmod git"

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	step "apt-get update"
	$SUDO apt-get update -q >/dev/null
	apt_updated=1
}

installed_version() {
	# dpkg-query fails for a package it has never seen: that is "no".
	{ dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } |
		awk '$3 == "installed" { print $4 }'
}

missing=
for p in $APT_PKGS; do
	[ -n "$(installed_version "$p")" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt_update
	step "installing:$missing"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing >/dev/null
fi

# The kernel source, pinned.
have=$(installed_version "$KPKG")
if [ "$have" != "$KPIN" ]; then
	apt_update
	if apt-cache madison "$KPKG" | awk '{ print $3 }' | grep -qxF "$KPIN"; then
		want=$KPIN
	else
		want=$(apt-cache madison "$KPKG" | awk '{ print $3 }' |
			grep '^6\.12\.' | sort -V | tail -n 1)
		[ -n "$want" ] || die "no $KPKG in the archive"
		warn "$KPKG $KPIN is no longer in the archive."
		warn "Falling back to $KPKG $want; the patches must still apply."
	fi
	if [ "$have" != "$want" ]; then
		step "installing $KPKG=$want"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
			--allow-downgrades "$KPKG=$want" >/dev/null
	fi
fi
[ -f /usr/src/$KPKG.tar.xz ] || die "/usr/src/$KPKG.tar.xz missing after install"

# Rust: the machine's rustc, plus the standard library source and bindgen.
command -v rustc >/dev/null || die "rustc not found (expected the machine's rustup toolchain)"
sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
	step "rustup component add rust-src"
	rustup component add rust-src >/dev/null
fi
# make lint (part of make check) runs rustfmtcheck and clippy.
if ! command -v rustfmt >/dev/null || ! cargo clippy --version >/dev/null 2>&1; then
	step "rustup component add rustfmt clippy"
	rustup component add rustfmt clippy >/dev/null
fi
if [ "$(bindgen --version 2>/dev/null)" != "bindgen 0.71.1" ]; then
	step "cargo install bindgen-cli 0.71.1 (takes a minute)"
	cargo install --locked -q bindgen-cli --version 0.71.1
fi
exit 0
