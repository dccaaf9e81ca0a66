#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Emit the whole change as a git format-patch series against the pinned
# kernel, into out/series/: one commit per patch of patches/, in the
# order they apply, each new file of this repository in the commit that
# first needs it, in its final form. The order is such that every commit
# builds (make series-check): the new files come with the patches whose
# hooks they implement, and CONFIG_CPU_PROXY becomes selectable only once
# everything its code calls is in.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The new files each patch brings (a patch not named brings none).
declare -A FILES=(
[0001-sched-park-a-CPU-without-taking-it-offline.patch]="include/linux/cpu_proxy.h"
[0002-cpu-proxy-build-the-Rust-core-and-its-C-glue.patch]="kernel/cpu_proxy_glue.c rust/proxy Documentation/ABI"
[0003-lib-build-the-cpu-proxy-test-hooks.patch]="lib/test_cpu_proxy.c"
[0004-selftests-add-the-cpu-proxy-target.patch]="tools/testing/selftests/cpu-proxy"
[0005-cpu-proxy-run-a-parked-CPU-s-interrupt-side-work-on-a-proxy.patch]="kernel/cpu_proxy_proxy.c kernel/cpu_proxy_helpers.c kernel/cpu_proxy_rust.h arch/x86/kernel/proxy_gdt.c"
[0040-cpu-proxy-make-CONFIG_CPU_PROXY-selectable.patch]="kernel/Kconfig.cpu_proxy"
[0037-Documentation-list-the-cpu-proxy-documents-in-the-toctrees.patch]="Documentation/admin-guide Documentation/core-api"
)
for p in "${!FILES[@]}"; do
	[ -f "$REPO/patches/$p" ] || die "series.sh names $p, which is not in patches/"
done

kver=$(dpkg-query -W -f='${Version}' "$KPKG")
S=$OUT/series
rm -rf "$S"
mkdir -p "$S"
step "extracting $KPKG $kver into out/series/linux"
tar -C "$S" -xf "/usr/src/$KPKG.tar.xz"
mv "$S/$KPKG" "$S/linux"
cd "$S/linux"
git init -q
git -c user.name=cpu-proxy -c user.email=cpu-proxy@localhost commit -q --allow-empty -m base
git add -A -f >/dev/null
git -c user.name=cpu-proxy -c user.email=cpu-proxy@localhost commit -q -m "Linux $kver ($KPKG)"
base=$(git rev-parse HEAD)

assigned=
for p in "$REPO"/patches/*.patch; do
	patch=$(basename "$p")
	files=${FILES[$patch]:-}
	for f in $files; do
		mkdir -p "$(dirname "$f")"
		cp -r "$REPO/$f" "$(dirname "$f")/"
		assigned="$assigned $(cd "$REPO" && find "$f" -type f)"
	done
	git apply --index "$p"
	subject=$(sed -n 's/^Subject: \[PATCH\] //p' "$p")
	body=$(awk '/^Subject:/ { s = 1; next } s && /^---$/ { exit } s' "$p")
	[ -z "$files" ] || git add -A -f $files
	git -c user.name="cpu-proxy developers" -c user.email=cpu-proxy@localhost \
		commit -q -m "$subject" -m "$body"
	note "$subject"
done

# Every new file of the repo must be in exactly one commit.
for f in $(cd "$REPO" && for d in $OVERLAY_DIRS; do [ ! -d "$d" ] || find "$d" -type f; done); do
	n=$(echo "$assigned" | tr ' ' '\n' | grep -cxF "$f" || true)
	[ "$n" -eq 1 ] || die "$f is in $n commits of the series"
done
git format-patch -q -o "$S/patches" "$base"
note "wrote $(ls "$S/patches" | wc -l) patches to out/series/patches/"
