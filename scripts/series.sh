#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Emit the whole change as a git format-patch series against the pinned
# kernel, into out/series/: one commit per patch of patches/, in the
# order they apply, each new file in the commit that first needs it. The
# new files are in their final form: the whole series builds, the commits
# in between are not build-tested.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# commit = "patch file (or -)|new files and directories|subject (for -)"
COMMITS=(
"0004-sched-park-a-CPU-without-taking-it-offline.patch|include/linux/cpu_proxy.h|"
"0001-cpu-proxy-add-CONFIG_CPU_PROXY-and-build-the-Rust-core.patch|kernel/Kconfig.cpu_proxy kernel/cpu_proxy_glue.c rust/proxy|"
"0002-lib-build-the-cpu-proxy-test-hooks.patch|lib/test_cpu_proxy.c|"
"0003-selftests-add-the-cpu-proxy-target.patch|tools/testing/selftests/cpu-proxy|"
"0005-cpu-proxy-run-a-parked-CPU-s-interrupt-side-work-on-a-proxy.patch|kernel/cpu_proxy_proxy.c arch/x86/kernel/proxy_gdt.c|"
"-|Documentation/cpu-proxy.rst|Documentation: describe processor proxies"
)
# The other patches, each a commit of its own, in order.
for p in "$REPO"/patches/*.patch; do
	p=$(basename "$p")
	case " ${COMMITS[*]} " in *"$p|"*) continue ;; esac
	COMMITS=("${COMMITS[@]:0:${#COMMITS[@]}-1}" "$p||" "${COMMITS[@]: -1}")
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
for c in "${COMMITS[@]}"; do
	IFS='|' read -r patch files subject <<<"$c"
	for f in $files; do
		mkdir -p "$(dirname "$f")"
		cp -r "$REPO/$f" "$(dirname "$f")/"
		assigned="$assigned $(cd "$REPO" && find "$f" -type f)"
	done
	if [ "$patch" != - ]; then
		git apply --index "$REPO/patches/$patch"
		subject=$(sed -n 's/^Subject: \[PATCH\] //p' "$REPO/patches/$patch")
		body=$(awk '/^Subject:/ { s = 1; next } s && /^---$/ { exit } s' "$REPO/patches/$patch")
	else
		body=
	fi
	git add -A -f $files
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
