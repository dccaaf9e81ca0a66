#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build out/initramfs.cpio.gz: static busybox, bash and the shared
# libraries the tests need, and the kselftests installed through the
# kernel's own flow (make -C tools/testing/selftests ... install).
#
# With JUMP_LABEL=1: out/initramfs-jl.cpio.gz, the same tree with the
# modules of out/modules-jl (scripts/kernel.sh JUMP_LABEL=1), whose static
# keys have another layout; with DEBUG=1, out/initramfs-debug.cpio.gz with
# those of out/modules-debug. Run after the plain initramfs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TARGETS=${KSFT_TARGETS:-"cpu-proxy cpu-hotplug"}
KST=$OUT/kselftest
ROOT=$OUT/initramfs

sfx=
[ "${JUMP_LABEL:-0}" = 0 ] || sfx=-jl
[ "${DEBUG:-0}" = 0 ] || sfx=-debug
if [ -n "$sfx" ]; then
	[ -d "$ROOT/kselftest" ] || die "no $ROOT: build the plain initramfs first"
	[ -d "$OUT/modules$sfx/lib/modules" ] || die "no out/modules$sfx: run kernel.sh for it first"
	rm -rf "$ROOT$sfx"
	cp -a "$ROOT" "$ROOT$sfx"
	rm -rf "$ROOT$sfx/lib/modules"
	mkdir -p "$ROOT$sfx/lib"
	cp -a "$OUT/modules$sfx/lib/modules" "$ROOT$sfx/lib/"
	(cd "$ROOT$sfx" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT/initramfs$sfx.cpio.gz"
	note "out/initramfs$sfx.cpio.gz: $(du -h "$OUT/initramfs$sfx.cpio.gz" | cut -f1), modules of out/modules$sfx"
	exit 0
fi

step "building kselftests: $TARGETS"
rm -rf "$KST"
run_logged "$OUT/logs/kselftest.log" \
	make -C "$KSRC/tools/testing/selftests" TARGETS="$TARGETS" \
	INSTALL_PATH="$KST" install

# The kselftest install carries on past a target that fails to build.
if grep -E '(error:|\*\*\* )' "$OUT/logs/kselftest.log" >&2; then
	die "kselftests did not build; full log: $OUT/logs/kselftest.log"
fi
for t in $TARGETS; do
	grep -q "^$t:" "$KST/kselftest-list.txt" ||
		die "kselftest target $t installed no tests; log: $OUT/logs/kselftest.log"
done

step "assembling the initramfs"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root}
cp /bin/busybox "$ROOT/bin/busybox"
for applet in $("$ROOT/bin/busybox" --list-full); do
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done
# kselftest's runner wants bash and GNU timeout (busybox's lacks
# --foreground); they and the tests are dynamically linked.
for tool in /bin/bash /usr/bin/timeout; do
	rm -f "$ROOT$tool"
	cp "$tool" "$ROOT$tool"
done
cp -a "$KST" "$ROOT/kselftest"
if [ -d "$OUT/modules/lib/modules" ]; then
	mkdir -p "$ROOT/lib"
	cp -a "$OUT/modules/lib/modules" "$ROOT/lib/"
fi
cp "$REPO/scripts/guest-init" "$ROOT/init"
chmod 755 "$ROOT/init"

libs=$(find "$ROOT/bin/bash" "$ROOT/usr/bin/timeout" "$ROOT/kselftest" -type f -perm -u+x \
	-exec ldd {} \; 2>/dev/null | grep -o '/[^ ]*' | sort -u)
for l in $libs; do
	mkdir -p "$ROOT/$(dirname "$l")"
	cp -L "$l" "$ROOT/$l"
done
echo "root:x:0:0:root:/root:/bin/sh" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"

(cd "$ROOT" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT/initramfs.cpio.gz"
note "out/initramfs.cpio.gz: $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)," \
	"$(wc -l <"$KST/kselftest-list.txt") kselftests"
