#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the patched kernel into out/bzImage (config in out/kernel.config).
#
#   1. Extract the pinned Debian source into out/linux and apply patches/,
#      only when the source version or the patches changed.
#   2. Copy this repo's new kernel files over the tree (only those whose
#      content changed, so that the build stays incremental).
#   3. Configure: tinyconfig + configs/base.config + the selftest config,
#      only when a fragment changed; check every requested option took.
#   4. make LLVM=1 bzImage modules in out/build; modules installed under
#      out/modules for the initramfs.
#
# With NOPROXY=1 (make build-noproxy): the same tree and fragments but
# CONFIG_CPU_PROXY=n, in out/build-noproxy, bzImage only: the series must
# build with the feature off, its hooks compiled away.
#
# With JUMP_LABEL=1 (the jump-label lane of make check): the same kernel
# plus configs/jump-label.config, in out/build-jl, installed as
# out/bzImage-jl and out/modules-jl: static keys are patched branches.
#
# With DEBUG=1 (the debug lane of make check): the same kernel plus
# configs/debug.config (lockdep, RCU and object debugging), in
# out/build-debug, installed as out/bzImage-debug and out/modules-debug.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NOPROXY=${NOPROXY:-0}
JUMP_LABEL=${JUMP_LABEL:-0}
DEBUG=${DEBUG:-0}
[ "$NOPROXY" = 0 ] || KOBJ=$OUT/build-noproxy
[ "$JUMP_LABEL" = 0 ] || KOBJ=$OUT/build-jl
[ "$DEBUG" = 0 ] || KOBJ=$OUT/build-debug
sfx=
[ "$JUMP_LABEL" = 0 ] || sfx=-jl
[ "$DEBUG" = 0 ] || sfx=-debug

mkdir -p "$OUT/logs"
kver=$(dpkg-query -W -f='${Version}' "$KPKG")
tarball=/usr/src/$KPKG.tar.xz

# -- 1. extract + patch ----------------------------------------------------
stamp=$( (echo "$kver"; cat "$REPO"/patches/*.patch) | sha256sum | cut -c1-16)
if [ "$(cat "$KSRC/.cpu-proxy-stamp" 2>/dev/null)" != "$stamp" ]; then
	step "extracting $KPKG $kver and applying patches/"
	old_touched=$(cat "$KSRC/.cpu-proxy-touched" 2>/dev/null || true)
	rm -rf "$KSRC" "$OUT/$KPKG"
	tar -C "$OUT" -xf "$tarball"
	mv "$OUT/$KPKG" "$KSRC"
	for p in "$REPO"/patches/*.patch; do
		patch -d "$KSRC" -p1 --forward --quiet <"$p" ||
			die "$(basename "$p") does not apply to $KPKG $kver"
		note "applied $(basename "$p")"
	done
	touched=$(sed -n 's|^+++ b/||p' "$REPO"/patches/*.patch | sort -u)
	# The tarball's files are older than objects built earlier in out/build;
	# touch whatever a patch changes now or changed before, so that nothing
	# built from a different version of the file survives.
	for f in $touched $old_touched; do
		if [ -e "$KSRC/$f" ]; then touch "$KSRC/$f"; fi
	done
	echo "$touched" >"$KSRC/.cpu-proxy-touched"
	echo "$stamp" >"$KSRC/.cpu-proxy-stamp"
fi

# -- 2. overlay ------------------------------------------------------------
manifest=$KSRC/.cpu-proxy-overlay
new_manifest=$(cd "$REPO" && for d in $OVERLAY_DIRS; do
	[ ! -d "$d" ] || find "$d" -type f; done | sort)
copied=0
for f in $new_manifest; do
	if ! cmp -s "$REPO/$f" "$KSRC/$f"; then
		mkdir -p "$(dirname "$KSRC/$f")"
		cp "$REPO/$f" "$KSRC/$f"
		copied=$((copied + 1))
	fi
done
for f in $(cat "$manifest" 2>/dev/null); do
	case " $(echo $new_manifest) " in
	*" $f "*) ;;
	*) rm -f "$KSRC/$f" ;;
	esac
done
echo "$new_manifest" >"$manifest"
[ $copied -eq 0 ] || note "overlaid $copied changed file(s)"

# -- 3. configure ----------------------------------------------------------
frags="$REPO/configs/base.config $KSRC/tools/testing/selftests/cpu-proxy/config"
if [ "$NOPROXY" != 0 ]; then
	mkdir -p "$KOBJ"
	grep -v 'CPU_PROXY' "$KSRC/tools/testing/selftests/cpu-proxy/config" \
		>"$KOBJ/noproxy.config"
	echo '# CONFIG_CPU_PROXY is not set' >>"$KOBJ/noproxy.config"
	frags="$REPO/configs/base.config $KOBJ/noproxy.config"
fi
[ "$JUMP_LABEL" = 0 ] || frags="$frags $REPO/configs/jump-label.config"
[ "$DEBUG" = 0 ] || frags="$frags $REPO/configs/debug.config"
cstamp=$( (echo "$stamp"; cat $frags) | sha256sum | cut -c1-16)
if [ ! -f "$KOBJ/.config" ] || [ "$(cat "$KOBJ/.cpu-proxy-config" 2>/dev/null)" != "$cstamp" ]; then
	step "configuring (tinyconfig + fragments)"
	mkdir -p "$KOBJ"
	if ! kmake -s rustavailable >"$OUT/logs/rustavailable.log" 2>&1; then
		cat "$OUT/logs/rustavailable.log" >&2
		die "the Rust toolchain is not usable for this kernel (see above); run scripts/setup.sh"
	fi
	kmake -s tinyconfig >"$OUT/logs/config.log" 2>&1
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$KOBJ/.config" $frags \
		>>"$OUT/logs/config.log" 2>&1
	kmake -s olddefconfig >>"$OUT/logs/config.log" 2>&1
	bad=
	for opt in $(grep -ho '^CONFIG_[A-Z0-9_]*=.*' $frags); do
		grep -qxF "$opt" "$KOBJ/.config" || bad="$bad $opt"
	done
	[ -z "$bad" ] || die "requested options did not take (unmet dependencies?):$bad"
	echo "$cstamp" >"$KOBJ/.cpu-proxy-config"
fi

# -- 4. build --------------------------------------------------------------
if [ "$NOPROXY" != 0 ]; then
	grep -qx '# CONFIG_CPU_PROXY is not set' "$KOBJ/.config" ||
		die "CONFIG_CPU_PROXY is still set in $KOBJ/.config"
	step "building bzImage with CONFIG_CPU_PROXY=n (LLVM=1, -j$JOBS)"
	run_logged "$OUT/logs/build-noproxy.log" kmake -j"$JOBS" bzImage
	note "out/build-noproxy: built with CONFIG_CPU_PROXY=n"
	exit 0
fi
if [ "$JUMP_LABEL" != 0 ]; then
	grep -qx 'CONFIG_JUMP_LABEL=y' "$KOBJ/.config" ||
		die "CONFIG_JUMP_LABEL is not set in $KOBJ/.config"
	step "building bzImage and modules with CONFIG_JUMP_LABEL=y (LLVM=1, -j$JOBS)"
elif [ "$DEBUG" != 0 ]; then
	grep -qx 'CONFIG_PROVE_LOCKING=y' "$KOBJ/.config" ||
		die "CONFIG_PROVE_LOCKING is not set in $KOBJ/.config"
	step "building bzImage and modules with lockdep (configs/debug.config; LLVM=1, -j$JOBS)"
else
	step "building bzImage and modules (LLVM=1, -j$JOBS)"
fi
run_logged "$OUT/logs/build$sfx.log" kmake -j"$JOBS" bzImage modules
rm -rf "$OUT/modules$sfx"
kmake -s INSTALL_MOD_PATH="$OUT/modules$sfx" INSTALL_MOD_STRIP=1 modules_install \
	>"$OUT/logs/modules_install$sfx.log" 2>&1 ||
	die "modules_install failed; log: $OUT/logs/modules_install$sfx.log"
cp "$KOBJ/arch/x86/boot/bzImage" "$OUT/bzImage$sfx"
cp "$KOBJ/.config" "$OUT/kernel$sfx.config"
note "out/bzImage$sfx: $(grep -m1 'Linux/x86' "$KOBJ/.config" | sed 's/^# //')"
