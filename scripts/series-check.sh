#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build every commit of the series (make series), in order, incrementally:
# the series must bisect. Each commit gets its own config, made as the
# test kernel's is (tinyconfig + configs/base.config + the selftests'
# config fragment, where that commit has it): CONFIG_CPU_PROXY=y from the
# commit that makes it selectable on, checked. bzImage and modules, with
# LLVM=1, in out/build-series; one log per commit in
# out/logs/series-check/. Stops at the first commit that does not build.
#
# FROM=N starts at the Nth commit of the series (1-based), for a rerun
# after a fix; the commits before it are taken as built.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FROM=${FROM:-1}
bash "$REPO/scripts/series.sh"

KSRC=$OUT/series/linux
KOBJ=$OUT/build-series
LOGS=$OUT/logs/series-check
# series.sh extracts the tarball afresh, with its old mtimes: an object
# built from a file that a patch changed in an earlier run would look up
# to date. Start from an empty object directory when the series changed
# (ccache keeps that cheap); within one run, git checkout touches what
# each commit changes.
stamp=$( (cat "$REPO"/patches/*.patch; cat "$REPO"/configs/base.config) | sha256sum | cut -c1-16)
if [ "$(cat "$KOBJ/.series-stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$KOBJ"
	FROM=1
fi
mkdir -p "$KOBJ" "$LOGS"
echo "$stamp" >"$KOBJ/.series-stamp"
if ! kmake -s rustavailable >"$LOGS/rustavailable.log" 2>&1; then
	cat "$LOGS/rustavailable.log" >&2
	die "the Rust toolchain is not usable for this kernel; run scripts/setup.sh"
fi
base=$(git -C "$KSRC" log --format=%H --grep='^Linux ' -1)
mapfile -t commits < <(git -C "$KSRC" rev-list --reverse "$base"..HEAD)
total=${#commits[@]}
step "building $total commits of the series in order (from commit $FROM)"

start_all=$SECONDS
for ((i = 1; i <= total; i++)); do
	c=${commits[i - 1]}
	subject=$(git -C "$KSRC" log -1 --format=%s "$c")
	((i >= FROM)) || continue
	git -C "$KSRC" checkout -q "$c"
	log=$(printf '%s/%02d.log' "$LOGS" "$i")
	frags="$REPO/configs/base.config"
	cfg=$KSRC/tools/testing/selftests/cpu-proxy/config
	[ ! -f "$cfg" ] || frags="$frags $cfg"
	t0=$SECONDS
	{
		kmake -s tinyconfig
		"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$KOBJ/.config" $frags
		kmake -s olddefconfig
	} >"$log" 2>&1 || { tail -n 20 "$log"; die "commit $i ($subject): configuring failed; log: $log"; }
	# Every option asked for took, but CONFIG_CPU_PROXY and what depends
	# on it before the commit that makes it selectable.
	bad=
	for opt in $(grep -ho '^CONFIG_[A-Z0-9_]*=.*' $frags); do
		case $opt in CONFIG_CPU_PROXY=* | CONFIG_TEST_CPU_PROXY=*) continue ;; esac
		grep -qxF "$opt" "$KOBJ/.config" || bad="$bad $opt"
	done
	[ -z "$bad" ] || die "commit $i ($subject): options did not take:$bad; log: $log"
	if grep -q 'Kconfig.cpu_proxy' "$KSRC/init/Kconfig"; then
		grep -qx 'CONFIG_CPU_PROXY=y' "$KOBJ/.config" &&
			grep -qx 'CONFIG_TEST_CPU_PROXY=y' "$KOBJ/.config" ||
			die "commit $i ($subject): CONFIG_CPU_PROXY is selectable but did not take; log: $log"
		mode="CONFIG_CPU_PROXY=y"
	else
		mode="no CONFIG_CPU_PROXY yet"
	fi
	if ! kmake -j"$JOBS" bzImage modules >>"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -n 20 || true
		die "commit $i of $total does not build ($subject, $mode); log: $log"
	fi
	note "$(printf '%2d/%d %4ds' "$i" "$total" $((SECONDS - t0)))  $subject ($mode)"
done
git -C "$KSRC" checkout -q "${commits[total - 1]}"
step "series-check: all $total commits build ($((SECONDS - start_all)) s)"
